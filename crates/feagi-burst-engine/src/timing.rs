//! Optional wall-clock timing of the burst phases, for benchmarks. Off by
//! default; on `wasm32` (where `std::time::Instant` is unavailable) it always
//! reports zero.

use std::time::Duration;

/// Time spent in each phase of the last burst (zero unless
/// `NpuConfig::record_phase_timings` is set).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PhaseTimings {
    /// Phase 0, reset: potentials back to 0 and the previous FCL cleared.
    pub reset: Duration,
    /// Phase 1a-1c, injection: staged, power and fatigue input.
    pub injection: Duration,
    /// Phase 1d, propagation: synaptic input from the previous fire queue.
    pub propagation: Duration,
    /// Phase 2, dynamics: candidate collection and neuron updates.
    pub dynamics: Duration,
    /// End of phase 2: the forced memory neurons appended to the fire queue
    /// and, on a partitioned NPU, the exchange of the ranks' fired neurons.
    pub exchange: Duration,
    /// Phase 3, archival: the fire ledger.
    pub archival: Duration,
    /// Phase 3, plasticity: STDP, memory and plugin rules.
    pub plasticity: Duration,
}

impl PhaseTimings {
    /// Sum of the phase times of the last burst.
    pub fn total(&self) -> Duration {
        self.reset
            + self.injection
            + self.propagation
            + self.dynamics
            + self.exchange
            + self.archival
            + self.plasticity
    }
}

/// Measures the time since the last lap, when enabled.
pub(crate) struct Stopwatch {
    #[cfg(not(target_arch = "wasm32"))]
    last: Option<std::time::Instant>,
}

impl Stopwatch {
    pub(crate) fn start(enabled: bool) -> Self {
        #[cfg(not(target_arch = "wasm32"))]
        {
            Stopwatch {
                last: enabled.then(std::time::Instant::now),
            }
        }
        #[cfg(target_arch = "wasm32")]
        {
            let _ = enabled;
            Stopwatch {}
        }
    }

    /// Time since the previous lap (zero when disabled).
    pub(crate) fn lap(&mut self) -> Duration {
        #[cfg(not(target_arch = "wasm32"))]
        if let Some(last) = self.last.as_mut() {
            let now = std::time::Instant::now();
            let d = now - *last;
            *last = now;
            return d;
        }
        Duration::ZERO
    }
}
