//! The one place that decides whether work runs on the rayon pool, shared by
//! the burst engine's phases and the plasticity rules. Without the `parallel`
//! feature everything here is sequential and the crates build for
//! `wasm32-unknown-unknown`.

/// Runs `a` and `b`, in parallel when the feature is on.
pub fn join<A, B, RA, RB>(a: A, b: B) -> (RA, RB)
where
    A: FnOnce() -> RA + Send,
    B: FnOnce() -> RB + Send,
    RA: Send,
    RB: Send,
{
    #[cfg(feature = "parallel")]
    {
        rayon::join(a, b)
    }
    #[cfg(not(feature = "parallel"))]
    {
        (a(), b())
    }
}

/// Threads available to a burst (1 without the `parallel` feature).
pub fn threads() -> usize {
    #[cfg(feature = "parallel")]
    {
        rayon::current_num_threads()
    }
    #[cfg(not(feature = "parallel"))]
    {
        1
    }
}

/// How one burst may split its work: the rule every phase and plasticity
/// rule applies, so that small bursts stay on one thread everywhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Parallelism {
    /// Whether splitting is allowed at all (`NpuConfig::parallel`).
    pub enabled: bool,
    /// Below this much work (synaptic events or synapse updates) one thread
    /// does it; 0 splits whenever possible.
    pub min_work: usize,
}

impl Parallelism {
    /// One thread, always.
    pub const SEQUENTIAL: Parallelism = Parallelism {
        enabled: false,
        min_work: usize::MAX,
    };

    /// The threads to use for `work` units.
    pub fn threads_for(&self, work: usize) -> usize {
        if self.enabled && work >= self.min_work {
            threads()
        } else {
            1
        }
    }
}

impl Default for Parallelism {
    fn default() -> Self {
        Parallelism::SEQUENTIAL
    }
}
