//! NPU configuration that does not come from the genome (SPEC §0).

/// Settings of a [`crate::RustNPU`].
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NpuConfig {
    /// Seed of synaptogenesis (attractivity and `randomizer`, SPEC §7.2).
    pub seed: u64,
    /// Potential the power neuron (and an active fatigue neuron) receives each burst.
    pub power_amount: f32,
    /// Frames the fire ledger keeps per area (SPEC §5.1).
    pub fire_ledger_window: usize,
    /// Inject `power_amount` into the fatigue neuron every burst.
    pub fatigue_active: bool,
    /// Run propagation and dynamics on the rayon pool when the `parallel`
    /// feature is built in. Results are bit-identical either way.
    pub parallel: bool,
    /// Below this many synaptic events propagation runs on one thread (and
    /// dynamics below 4 times as many candidates), where splitting would
    /// cost more than it saves. 0 splits whenever possible (used by the tests
    /// that compare the two paths).
    pub parallel_min_work: usize,
    /// Measure each phase of every burst (see `RustNPU::last_phase_timings`).
    pub record_phase_timings: bool,
    /// Run the built-in plasticity of SPEC §6 (STDP, memory areas): on by
    /// default; off gives M1 semantics (registrations kept, nothing learns).
    pub plasticity: bool,
}

impl Default for NpuConfig {
    fn default() -> Self {
        NpuConfig {
            seed: 0,
            power_amount: 1.0,
            fire_ledger_window: 20,
            fatigue_active: false,
            parallel: true,
            parallel_min_work: 20_000,
            record_phase_timings: false,
            plasticity: true,
        }
    }
}
