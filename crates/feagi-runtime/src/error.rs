//! Errors of NPU calls made through an [`NpuHandle`](crate::NpuHandle).

use feagi_burst_engine::NpuError;

/// Why a call through an [`NpuHandle`](crate::NpuHandle) failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RuntimeError {
    /// An earlier call panicked: the NPU may be half-updated, so every later
    /// call is refused.
    #[error("this NPU hit an internal error earlier and can no longer be used; create a new one")]
    Poisoned,
    /// This call panicked (a bug in feagi-rust, never bad input); the NPU is
    /// poisoned from now on.
    #[error("internal error in feagi-rust: {0}")]
    Panic(String),
    /// The NPU rejected the call (unknown neuron or area, bad value, ...).
    #[error(transparent)]
    Npu(#[from] NpuError),
}

/// The message carried by a caught panic payload (`&str` or `String`).
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string())
}
