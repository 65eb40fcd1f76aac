//! The NPU's plasticity state (SPEC §6): the built-in rules, plugins, memory
//! neurons and the injections they schedule, and how phase 3 runs them.

use feagi_plasticity::{
    ContextParts, MemoryAreas, PlasticityContext, PlasticityError, PlasticityRule, PlasticityStats,
    ReplayQueue, Stdp,
};
use feagi_types::parallel::Parallelism;
use feagi_types::{AreaIndex, FireLedger, MemoryNeurons, NeuronArray, NeuronId, SynapseArray};

use crate::areas::AreaTable;

/// Plasticity of one NPU.
#[derive(Default)]
pub(crate) struct Plasticity {
    /// Whether the built-in rules run (SPEC §6 M2 semantics; off = M1).
    pub(crate) enabled: bool,
    pub(crate) stdp: Stdp,
    pub(crate) memory_rule: MemoryAreas,
    pub(crate) plugins: Vec<Box<dyn PlasticityRule>>,
    pub(crate) memory: MemoryNeurons,
    /// Forced injections due at the next burst (phase 1e).
    pub(crate) forced: Vec<(NeuronId, f32)>,
    /// Forced injections of the current burst, summed per memory neuron.
    pub(crate) due: Vec<(NeuronId, f32)>,
    /// Replay input for later bursts (phase 1a).
    pub(crate) replay: ReplayQueue,
    /// What the last burst did.
    pub(crate) stats: PlasticityStats,
}

impl std::fmt::Debug for Plasticity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plasticity")
            .field("enabled", &self.enabled)
            .field("stdp", &self.stdp)
            .field("memory_rule", &self.memory_rule)
            .field(
                "plugins",
                &self
                    .plugins
                    .iter()
                    .map(|p| p.name().to_string())
                    .collect::<Vec<_>>(),
            )
            .field("memory_neurons", &self.memory.created())
            .finish()
    }
}

impl Plasticity {
    /// Every (area, frames) the ledger must keep for the active rules.
    pub(crate) fn ledger_requirements(&self) -> Vec<(AreaIndex, usize)> {
        let mut out = Vec::new();
        if self.enabled {
            out.extend(self.stdp.ledger_requirements());
            out.extend(self.memory_rule.ledger_requirements());
        }
        for p in &self.plugins {
            out.extend(p.ledger_requirements());
        }
        out
    }

    /// Phase 3 after the archive: STDP, memory (lifecycle, detection,
    /// replay), then plugins in registration order.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn run(
        &mut self,
        burst: u64,
        fired: &[NeuronId],
        ledger: &FireLedger,
        neurons: &NeuronArray,
        areas: &AreaTable,
        synapses: &mut SynapseArray,
        parallelism: Parallelism,
    ) -> Result<(), PlasticityError> {
        self.stats = PlasticityStats::default();
        if !self.enabled && self.plugins.is_empty() {
            return Ok(());
        }
        let Plasticity {
            enabled,
            stdp,
            memory_rule,
            plugins,
            memory,
            forced,
            replay,
            stats,
            ..
        } = self;
        macro_rules! context {
            () => {
                PlasticityContext::new(ContextParts {
                    burst,
                    fired,
                    ledger,
                    neurons,
                    areas,
                    synapses: &mut *synapses,
                    memory: &mut *memory,
                    forced: &mut *forced,
                    replay: &mut *replay,
                    stats: &mut *stats,
                    parallelism,
                })
            };
        }
        if *enabled {
            let mut ctx = context!();
            stdp.after_burst(&mut ctx)?;
            memory_rule.after_burst(&mut ctx)?;
        }
        if !plugins.is_empty() {
            // Plugins read and change weights directly: give them exact ones.
            stdp.settle(synapses, neurons.area());
            let mut ctx = context!();
            for plugin in plugins.iter_mut() {
                plugin.after_burst(&mut ctx)?;
            }
        }
        Ok(())
    }
}
