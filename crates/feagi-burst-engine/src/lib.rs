//! The FEAGI burst engine: [`RustNPU`], the neural processing unit that runs
//! a developed brain in bursts (SPEC §4; "SPEC" is `docs/SPEC.md`).
//!
//! ```
//! use feagi_burst_engine::{Genome, NpuConfig, RustNPU};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let genome = Genome::default_genome();
//! let mut npu = RustNPU::from_genome(&genome, NpuConfig::default())?;
//! // Sensory input for the next burst: voxel (0, 0, 0) of the input area.
//! npu.stage_sensory_by_id("i_sens", &[0], &[0], &[0], &[1.0])?;
//! let burst = npu.process_burst(None)?;
//! assert_eq!(burst.burst, 1);
//! // The power neuron (id 1) fires every burst.
//! assert!(burst.fired_neurons.contains(&1));
//! # Ok(())
//! # }
//! ```
//!
//! A burst runs the phases of SPEC §4.1 in order: phase 0 reset, phase 1
//! injection (1a staged, 1b power, 1c fatigue, 1d synaptic propagation),
//! phase 2 dynamics, phase 3 archival into the fire ledger, phase 4 the
//! [`BurstResult`]. With the default `parallel` feature, propagation and
//! dynamics use the rayon pool; results are bit-identical to the
//! single-threaded build, which also compiles for `wasm32-unknown-unknown`.

mod areas;
pub mod config;
pub mod distributed;
pub mod error;
mod genome;
pub mod npu;
mod phases;
mod plasticity;
pub mod snapshot;
pub mod synthetic;
mod timing;

pub use config::NpuConfig;
pub use distributed::{ExchangeError, FireExchange, Partition, ThreadExchange};
pub use error::{NpuError, Result};
pub use feagi_genome::{Genome, GenomeError, LoadOptions};
pub use feagi_plasticity::{PlasticityError, PlasticityRule, PlasticityStats};
pub use genome::LoadError;
pub use npu::{
    AreaInfo, AreaUpdate, BurstResult, FiredNeuron, NeuronState, PairSynapses, RustNPU, SynapseInfo,
};
pub use snapshot::SnapshotError;
pub use timing::PhaseTimings;

pub use feagi_types::{
    AreaIndex, AreaKind, AreaProperties, CorticalArea, CorticalId, MemoryAreaGenes, MemoryNeuron,
    MemoryRelation, MemoryTwin, NeuronId, NeuronParams, StdpRegistration, SynapseType,
};

/// The README's Rust example, compiled and run as a doctest so that it stays true.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeExample;
