//! Data shared by every feagi-rust crate: identifiers, cortical areas, the
//! neuron records and synapse storage, the neuron grid of a
//! developed area, the fire structures (fire candidate list, fire queue, fire
//! ledger), the deterministic RNG of SPEC §7 and the gene unit rules that both
//! the genome loader and runtime updates must apply identically ("SPEC" is
//! `docs/SPEC.md`).
//!
//! ```
//! use feagi_types::{AreaKind, CorticalArea, CorticalId, NeuronArray};
//!
//! // A 2 x 1 x 1 area; its neurons take their parameters from the area genes.
//! let id = CorticalId::from_bytes(*b"cInput__");
//! let mut area = CorticalArea::new(id, "input", AreaKind::Ipu, [2, 1, 1]);
//! area.properties.firing_threshold = 2.0;
//! let mut neurons = NeuronArray::default();
//! for voxel in area.neuron_grid(0).voxels() {
//!     let [x, y, z] = voxel;
//!     neurons.push(&area.properties.neuron_params_at(x, y, z), 0, voxel);
//! }
//! assert_eq!(neurons.len(), 2);
//! assert_eq!(neurons.threshold(), &[2.0, 2.0]);
//! assert_eq!(neurons.coordinates(1), [1, 0, 0]);
//! ```

pub mod area;
pub mod connectome;
pub mod cortical_id;
pub mod fire;
pub mod grid;
pub mod memory;
pub mod neuron;
pub mod parallel;
pub mod rng;
pub mod synapse;
pub mod units;

pub use area::{AreaKind, AreaProperties, CorticalArea};
pub use connectome::{
    Connectome, DevelopedArea, MemoryAreaGenes, MemoryRelation, MemoryTwin, StdpRegistration,
};
pub use cortical_id::CorticalId;
pub use fire::{
    FireCandidateList, FireLedger, FireQueue, LedgerError, FCL_SHARD_ALIGN, MAX_LEDGER_FRAMES,
};
pub use grid::NeuronGrid;
pub use memory::{MemoryNeuron, MemoryNeurons, ReplayFrame};
pub use neuron::{Column, DeferredResets, NeuronArray, NeuronColumns, NeuronParams, NeuronRecord};
pub use synapse::{StampedRowsMut, SynapseArray, SynapseList, SynapseRow, SynapseType};

/// A neuron id: dense, assigned in creation order, never reused (SPEC §2.2).
pub type NeuronId = u32;
/// A cortical area index (SPEC §2.1): 0 death, 1 power, 2 fatigue, then sorted ids.
pub type AreaIndex = u32;

/// Regular neuron ids are below this bound (SPEC §2.2).
pub const MAX_REGULAR_NEURONS: u64 = 50_000_000;
/// First id reserved for M2 memory neurons (SPEC §2.2, §6.2).
pub const MEMORY_NEURON_ID_BASE: NeuronId = 50_000_000;
