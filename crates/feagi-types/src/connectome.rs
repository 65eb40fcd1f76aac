//! The developed brain handed from neuroembryogenesis to the NPU: areas in
//! index order, neurons, synapses in creation order, and the M2 registrations
//! that M1 keeps but does not act on.

use crate::area::CorticalArea;
use crate::grid::NeuronGrid;
use crate::neuron::NeuronArray;
use crate::synapse::{SynapseList, SynapseType};
use crate::{AreaIndex, NeuronId};

/// One area of a developed brain. Its neurons are the ids
/// `first_neuron .. first_neuron + neuron_count`, laid out on
/// [`DevelopedArea::grid`] (SPEC §2.2).
#[derive(Clone, Debug, PartialEq)]
pub struct DevelopedArea {
    /// The area and its genes.
    pub area: CorticalArea,
    /// The id of its first neuron.
    pub first_neuron: NeuronId,
    /// How many neurons it has.
    pub neuron_count: u32,
}

impl DevelopedArea {
    /// Where each of its neurons sits.
    pub fn grid(&self) -> NeuronGrid {
        self.area.neuron_grid(self.first_neuron)
    }
}

/// An STDP registration (SPEC §6.1), kept for the plasticity milestone.
#[derive(Clone, Debug, PartialEq)]
pub struct StdpRegistration {
    pub source_area: AreaIndex,
    pub destination_area: AreaIndex,
    pub plasticity_constant: i64,
    pub ltp_multiplier: i64,
    pub ltd_multiplier: i64,
    pub window: u32,
    pub bidirectional: bool,
    /// PSP and type that a bidirectional rule gives the synapses it creates.
    pub psp: u8,
    pub synapse_type: SynapseType,
}

/// An `episodic_memory` relation (SPEC §6.2): `upstream` feeds memory area `memory_area`.
#[derive(Clone, Debug, PartialEq)]
pub struct MemoryRelation {
    pub upstream: AreaIndex,
    pub memory_area: AreaIndex,
}

/// A developed brain, ready to load into an NPU.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Connectome {
    /// Indexed by area index.
    pub areas: Vec<DevelopedArea>,
    pub neurons: NeuronArray,
    /// In creation order (SPEC §3.1).
    pub synapses: SynapseList,
    pub stdp: Vec<StdpRegistration>,
    pub memory_relations: Vec<MemoryRelation>,
}
