//! The FEAGI burst engine: [`RustNPU`] and the phases of a burst.
//!
//! A burst (SPEC §4.1) runs [`phases::cleanup`], [`phases::injection`],
//! [`phases::dynamics`] and [`phases::archival`] in that order. With the
//! default `parallel` feature propagation and dynamics use the rayon pool;
//! results are bit-identical to the single-threaded build, which also
//! compiles for `wasm32-unknown-unknown`.

mod areas;
pub mod config;
pub mod error;
mod genome;
pub mod npu;
mod parallel;
mod phases;
pub mod synthetic;
mod timing;

pub use config::NpuConfig;
pub use error::{NpuError, Result};
pub use feagi_genome::{Genome, GenomeError, LoadOptions};
pub use genome::LoadError;
pub use npu::{AreaInfo, AreaUpdate, BurstResult, FiredNeuron, NeuronState, RustNPU, SynapseInfo};
pub use timing::PhaseTimings;

pub use feagi_types::{
    AreaIndex, AreaKind, AreaProperties, CorticalArea, CorticalId, NeuronId, NeuronParams,
    SynapseType,
};
