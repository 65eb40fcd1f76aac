//! Errors of the NPU API. Every failing call leaves the NPU unchanged.

use feagi_types::{AreaIndex, CorticalId, LedgerError, NeuronId};

/// Why an NPU call failed; a failing call leaves the NPU unchanged.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NpuError {
    /// A neuron id at or beyond the neuron count.
    #[error("unknown neuron {0}")]
    UnknownNeuron(NeuronId),
    /// An area index at or beyond the area count.
    #[error("unknown cortical area index {0}")]
    UnknownArea(AreaIndex),
    /// No area has this canonical cortical id.
    #[error("unknown cortical area {0}")]
    UnknownCorticalId(CorticalId),
    /// Neither a known cortical id spelling nor an area name
    /// ([`crate::RustNPU::resolve_area`]).
    #[error("no cortical area has the id or name {0:?}")]
    UnknownAreaName(String),
    /// An area with this cortical id is already registered.
    #[error("cortical area {0} is already registered")]
    DuplicateArea(CorticalId),
    /// A value outside its domain, e.g. a non-finite threshold, gene update or
    /// power amount, leak or excitability outside [0, 1], a zero area
    /// dimension or neurons per voxel, a fire ledger window of 0.
    #[error("invalid {what} {value}: {why}")]
    InvalidValue {
        /// The parameter, e.g. `"leak"`.
        what: &'static str,
        /// The rejected value, as text.
        value: String,
        /// The rule it breaks, e.g. `"must lie in [0, 1]"`.
        why: &'static str,
    },
    /// The parallel slices of a batch call (`add_synapses_batch`,
    /// `stage_inputs`, `stage_sensory`) differ in length; lists the lengths.
    #[error("input arrays differ in length: {0}")]
    LengthMismatch(String),
    /// `add_neuron` at a voxel outside the area's grid.
    #[error("voxel ({x}, {y}, {z}) is outside cortical area {area} of dimensions {dims:?}")]
    OutsideArea {
        /// Index of the area the neuron was to join.
        area: AreaIndex,
        /// Voxel x requested.
        x: u32,
        /// Voxel y requested.
        y: u32,
        /// Voxel z requested.
        z: u32,
        /// The area's dimensions (W, H, D).
        dims: [u32; 3],
    },
    /// A call a partitioned NPU (one rank of a brain over several processes,
    /// `crate::distributed`) does not support, or a partitioned call on an
    /// ordinary NPU.
    #[error("not supported on a partitioned NPU: {0}")]
    Partitioned(&'static str),
    /// The exchange of a partitioned burst failed (a rank left, or the
    /// gathered fire queue is malformed); the ranks are out of step.
    #[error("{0}")]
    Exchange(String),
    /// Another rank of a job failed a step every rank takes together (such as
    /// developing its part of the genome); that rank reports why.
    #[error("{0} failed on another rank")]
    OtherRank(&'static str),
    /// Adding a neuron would pass the 50 000 000 regular neurons of SPEC §2.2,
    /// or memory for a connectome's synapse rows cannot be allocated.
    #[error("capacity exceeded: {0}")]
    CapacityExceeded(String),
    /// [`crate::RustNPU::from_connectome`] found an inconsistent connectome
    /// (area neuron ranges, neuron areas, synapse ends or column lengths,
    /// STDP or memory registrations naming missing areas).
    #[error("inconsistent connectome: {0}")]
    InvalidConnectome(String),
    /// A fire ledger request failed: zero depth or window, depth beyond the
    /// window, untracked area, missing history (SPEC §5.1).
    #[error("fire ledger: {0}")]
    Ledger(#[from] LedgerError),
    /// A plasticity rule failed in phase 3 (the burst itself completed; see
    /// [`crate::RustNPU::process_burst`]).
    #[error("plasticity: {0}")]
    Plasticity(#[from] feagi_plasticity::PlasticityError),
    /// A ledger window change would drop frames a plasticity rule reads.
    #[error("fire ledger window {window} of area {area} is below the {required} frames plasticity needs")]
    WindowBelowRequirement {
        /// The area.
        area: AreaIndex,
        /// The window asked for.
        window: usize,
        /// The smallest window the rules accept.
        required: usize,
    },
}

/// Result of the NPU API; the error defaults to [`NpuError`].
pub type Result<T, E = NpuError> = std::result::Result<T, E>;

pub(crate) fn invalid(what: &'static str, value: impl ToString, why: &'static str) -> NpuError {
    NpuError::InvalidValue {
        what,
        value: value.to_string(),
        why,
    }
}
