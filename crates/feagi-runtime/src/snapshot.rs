//! [`BurstSnapshot`]: an owned copy of one burst's results.

use feagi_burst_engine::{BurstResult, NeuronId, PlasticityStats};

/// What one burst did (SPEC §4.5), owned, so it can cross threads and
/// outlive the NPU lock. Built from the engine's borrowed [`BurstResult`]
/// with one copy of the fired ids and potentials.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BurstSnapshot {
    /// t, the number of this burst (the first is 1).
    pub burst: u64,
    /// FQ(t): the neurons that fired, ascending id.
    pub fired_neurons: Vec<NeuronId>,
    /// The potential of each fired neuron at the moment it fired.
    pub fired_potentials: Vec<f32>,
    /// Power injections made (1 for the power neuron, or the ids passed in).
    pub power_injections: usize,
    /// Synaptic contributions delivered from FQ(t-1).
    pub synaptic_injections: usize,
    /// Fire candidates processed by the dynamics.
    pub neurons_processed: usize,
    /// Candidates whose input was dropped because they were refractory.
    pub neurons_in_refractory: usize,
    /// Memory neurons among the fired (SPEC §6.2).
    pub memory_fired: usize,
    /// What plasticity did after this burst (SPEC §6).
    pub plasticity: PlasticityStats,
}

impl BurstSnapshot {
    /// How many neurons fired.
    pub fn fired_count(&self) -> usize {
        self.fired_neurons.len()
    }
}

impl From<&BurstResult<'_>> for BurstSnapshot {
    fn from(r: &BurstResult<'_>) -> Self {
        BurstSnapshot {
            burst: r.burst,
            fired_neurons: r.fired_neurons.to_vec(),
            fired_potentials: r.fired_potentials.to_vec(),
            power_injections: r.power_injections,
            synaptic_injections: r.synaptic_injections,
            neurons_processed: r.neurons_processed,
            neurons_in_refractory: r.neurons_in_refractory,
            memory_fired: r.memory_fired,
            plasticity: r.plasticity,
        }
    }
}
