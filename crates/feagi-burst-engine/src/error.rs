//! Errors of the NPU API. Every failing call leaves the NPU unchanged.

use feagi_types::{AreaIndex, CorticalId, LedgerError, NeuronId};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NpuError {
    #[error("unknown neuron {0}")]
    UnknownNeuron(NeuronId),
    #[error("unknown cortical area index {0}")]
    UnknownArea(AreaIndex),
    #[error("unknown cortical area {0}")]
    UnknownCorticalId(CorticalId),
    #[error("no cortical area has the id or name {0:?}")]
    UnknownAreaName(String),
    #[error("cortical area {0} is already registered")]
    DuplicateArea(CorticalId),
    #[error("invalid {what} {value}: {why}")]
    InvalidValue {
        what: &'static str,
        value: String,
        why: &'static str,
    },
    #[error("input arrays differ in length: {0}")]
    LengthMismatch(String),
    #[error("voxel ({x}, {y}, {z}) is outside cortical area {area} of dimensions {dims:?}")]
    OutsideArea {
        area: AreaIndex,
        x: u32,
        y: u32,
        z: u32,
        dims: [u32; 3],
    },
    #[error("capacity exceeded: {0}")]
    CapacityExceeded(String),
    #[error("inconsistent connectome: {0}")]
    InvalidConnectome(String),
    #[error("fire ledger: {0}")]
    Ledger(#[from] LedgerError),
}

pub type Result<T, E = NpuError> = std::result::Result<T, E>;

pub(crate) fn invalid(what: &'static str, value: impl ToString, why: &'static str) -> NpuError {
    NpuError::InvalidValue {
        what,
        value: value.to_string(),
        why,
    }
}
