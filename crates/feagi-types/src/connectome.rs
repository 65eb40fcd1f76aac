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
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
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
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StdpRegistration {
    /// A: index of the area whose synapses leave (the pre-synaptic side).
    pub source_area: AreaIndex,
    /// B: index of the area the synapses reach (the post-synaptic side).
    pub destination_area: AreaIndex,
    /// C of SPEC §6.1 as written in the rule (default 1); scales both steps.
    pub plasticity_constant: i64,
    /// Lp: potentiation step per update is clamp(C*Lp, 0, 255) (default 1).
    pub ltp_multiplier: i64,
    /// Ld: depression step per update is clamp(C*Ld, 0, 255) (default 1).
    pub ltd_multiplier: i64,
    /// W: fire-ledger frames of A and B compared per update, in bursts (>= 1;
    /// rule `plasticity_window`, default `plasticity_queue_depth`).
    pub window: u32,
    /// True for an `associative_memory` rule: each update also creates the
    /// missing s->d synapses between neurons that fired in every burst of the
    /// window (SPEC §6.1).
    pub bidirectional: bool,
    /// PSP and type that a bidirectional rule gives the synapses it creates.
    pub psp: u8,
    /// Inhibitory iff the winning rule's multiplier is negative.
    pub synapse_type: SynapseType,
}

impl StdpRegistration {
    /// The smallest rule between areas `source` and `destination`: C = Lp =
    /// Ld = 1, W = 1, not bidirectional, PSP 1, excitatory. Change fields with
    /// struct update syntax.
    pub fn between(source: AreaIndex, destination: AreaIndex) -> Self {
        StdpRegistration {
            source_area: source,
            destination_area: destination,
            plasticity_constant: 1,
            ltp_multiplier: 1,
            ltd_multiplier: 1,
            window: 1,
            bidirectional: false,
            psp: 1,
            synapse_type: SynapseType::Excitatory,
        }
    }
}

/// An `episodic_memory` relation (SPEC §6.2): `upstream` feeds memory area `memory_area`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MemoryRelation {
    /// U: index of the area whose fire-ledger window forms the patterns.
    pub upstream: AreaIndex,
    /// M: index of the memory area that remembers U's patterns.
    pub memory_area: AreaIndex,
}

/// The memory genes of a memory area (SPEC §6.2), in the units the rule uses.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MemoryAreaGenes {
    /// M: index of the memory area.
    pub area: AreaIndex,
    /// D: frames of every upstream area that form one pattern (>= 1).
    pub temporal_depth: u32,
    /// A memory neuron whose lifespan reaches this becomes long-term.
    pub longterm_mem_threshold: u32,
    /// Lifespan added when a known pattern reactivates its memory neuron.
    pub lifespan_growth_rate: u32,
    /// Lifespan of a new memory neuron (>= 1).
    pub init_lifespan: u32,
}

/// `twin` replays the activity remembered from `of` (`memory_twin_of`, SPEC §6.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MemoryTwin {
    /// The area that receives the replay.
    pub twin: AreaIndex,
    /// The upstream area whose remembered voxels are replayed.
    pub of: AreaIndex,
}

/// A developed brain, ready to load into an NPU.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Connectome {
    /// Indexed by area index.
    pub areas: Vec<DevelopedArea>,
    /// Every regular neuron in id order: parameters, initial state, area and
    /// voxel (SPEC §2.2, §2.3).
    pub neurons: NeuronArray,
    /// In creation order (SPEC §3.1).
    pub synapses: SynapseList,
    /// STDP registrations, at most one per (A, B) pair, ascending (SPEC §6.1);
    /// kept, inactive in M1.
    pub stdp: Vec<StdpRegistration>,
    /// `episodic_memory` relations without repeats, in synaptogenesis order
    /// (SPEC §6.2); kept, inactive in M1.
    pub memory_relations: Vec<MemoryRelation>,
    /// Memory genes of every memory area, ascending area.
    pub memory_areas: Vec<MemoryAreaGenes>,
    /// Twin relations, ascending (of, twin).
    pub memory_twins: Vec<MemoryTwin>,
}
