//! Plasticity for the FEAGI burst engine (SPEC §6; "SPEC" is `docs/SPEC.md`):
//! the plugin interface through which a rule changes the brain after each
//! burst, and the two built-in rules, [`Stdp`] (§6.1) and [`MemoryAreas`]
//! (§6.2).
//!
//! A rule implements [`PlasticityRule`]. After burst t is archived in the
//! fire ledger (phase 3 of SPEC §4.1), the NPU runs the built-in rules (STDP,
//! then memory lifecycle, pattern detection and replay scheduling) and then
//! every registered plugin, in registration order, each with a
//! [`PlasticityContext`]: the burst number, the fire queue, the ledger
//! windows of every tracked area, the synapses (read and change weights,
//! append synapses), the memory neurons, and queues for forced injections at
//! t+1 and staged input at later bursts. What a rule changes takes effect
//! from burst t+1.
//!
//! A rule written in another crate, registered on an NPU: an opt-in causal
//! variant of STDP (SPEC §6.1 mentions it), which compares A's window ending
//! at t-1 with B's ending at t, so that "A fired, then B fired" strengthens
//! A -> B. It is an example and never on by default.
//!
//! ```
//! use feagi_burst_engine::{Genome, NpuConfig, RustNPU};
//! use feagi_plasticity::{PlasticityContext, PlasticityError, PlasticityRule};
//! use feagi_types::{AreaIndex, NeuronId};
//!
//! /// Causal STDP between two areas: s -> d gains `step` when s fired at
//! /// t-1 and d fired at t.
//! struct CausalStdp {
//!     a: AreaIndex,
//!     b: AreaIndex,
//!     step: u8,
//!     before: Vec<NeuronId>, // A's fired ids at t-1 (reused buffer)
//! }
//!
//! impl PlasticityRule for CausalStdp {
//!     fn name(&self) -> &str {
//!         "causal-stdp"
//!     }
//!
//!     fn ledger_requirements(&self) -> Vec<(AreaIndex, usize)> {
//!         vec![(self.a, 2), (self.b, 1)]
//!     }
//!
//!     fn after_burst(&mut self, ctx: &mut PlasticityContext<'_>) -> Result<(), PlasticityError> {
//!         let t = ctx.burst();
//!         let (Some(mut a_frames), Some(mut b_frames)) =
//!             (ctx.window(self.a, t, 2), ctx.window(self.b, t, 1))
//!         else {
//!             return Ok(()); // not enough history yet
//!         };
//!         self.before.clear();
//!         self.before.extend_from_slice(a_frames.next().unwrap_or(&[]));
//!         let after = b_frames.next().unwrap_or(&[]);
//!         // Potentiate s -> d for s in A at t-1 and d in B at t.
//!         for &s in &self.before {
//!             let targets = ctx.row(s).target.to_vec();
//!             for (pos, d) in targets.into_iter().enumerate() {
//!                 if after.binary_search(&d).is_ok() {
//!                     let w = &mut ctx.row_weights_mut(s)[pos];
//!                     *w = w.saturating_add(self.step);
//!                     ctx.stats_mut().potentiations += 1;
//!                 }
//!             }
//!         }
//!         Ok(())
//!     }
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // The default genome: i_sens feeds c_feat.
//! let genome = Genome::default_genome();
//! let mut npu = RustNPU::from_genome(&genome, NpuConfig::default())?;
//! let (a, b) = (npu.resolve_area("i_sens")?, npu.resolve_area("c_feat")?);
//! npu.add_plasticity_rule(Box::new(CausalStdp { a, b, step: 1, before: Vec::new() }))?;
//! let before = npu.synapse_weights_between(a, b)?;
//! for _ in 0..10 {
//!     let (xs, ys, zs, ps) = (vec![0, 1, 2], vec![0, 0, 0], vec![0, 0, 0], vec![5.0; 3]);
//!     npu.stage_sensory(a, &xs, &ys, &zs, &ps)?;
//!     npu.process_burst(None)?;
//! }
//! let after = npu.synapse_weights_between(a, b)?;
//! assert!(after.weight.iter().zip(&before.weight).any(|(x, y)| x > y));
//! # Ok(())
//! # }
//! ```
//!
//! Determinism: rules run on one thread, in a fixed order, over ascending ids
//! and synapse positions, so results are identical for the parallel and the
//! sequential engine. Rules must not iterate hash maps (the workspace denies
//! `clippy::iter_over_hash_type`).

mod context;
mod memory;
mod stdp;

pub use context::{BrainAreas, ContextParts, PlasticityContext, ReplayQueue};
pub use memory::{MemoryAreas, FORCED_POTENTIAL};
pub use stdp::Stdp;

use feagi_types::{AreaIndex, NeuronId};

/// A plasticity rule: a plugin the NPU runs after every burst.
///
/// `Send` so that an NPU holding rules can move to a burst-loop thread.
pub trait PlasticityRule: Send {
    /// A short name for messages.
    fn name(&self) -> &str;

    /// The ledger windows the rule reads, as (area, frames). The NPU tracks
    /// each area with at least that many frames when the rule is registered
    /// and refuses to shrink a window below it afterwards.
    fn ledger_requirements(&self) -> Vec<(AreaIndex, usize)> {
        Vec::new()
    }

    /// Runs in phase 3 of burst t, after FQ(t) was archived. An error stops
    /// `process_burst` with that error; the rule should then have changed
    /// nothing (see the NPU's `process_burst` for what the burst keeps).
    fn after_burst(&mut self, ctx: &mut PlasticityContext<'_>) -> Result<(), PlasticityError>;
}

/// Why a rule could not do its work.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum PlasticityError {
    /// A synapse or staged input named an id that is not a regular neuron.
    #[error("neuron {0} is not a regular neuron of this brain")]
    NotARegularNeuron(NeuronId),
    /// A forced injection named an id that is not a memory neuron.
    #[error("neuron {0} is not a memory neuron")]
    NotAMemoryNeuron(NeuronId),
    /// Input was scheduled for the burst that just ran (delay 0).
    #[error("scheduled input needs a delay of at least one burst")]
    InvalidDelay,
    /// A rule's own failure.
    #[error("plasticity rule {rule}: {message}")]
    Rule {
        /// The rule's name.
        rule: String,
        /// What went wrong.
        message: String,
    },
}

/// What plasticity did in one burst (every field counts events of that burst).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PlasticityStats {
    /// Synapses the potentiation branch applied to (SPEC §6.1), saturated or not.
    pub potentiations: u64,
    /// Synapses the depression branch applied to, saturated or not.
    pub depressions: u64,
    /// Synapses created by bidirectional pairs.
    pub synapses_created: u64,
    /// Memory neurons created for new patterns.
    pub memory_born: u64,
    /// Known patterns seen again (their memory neuron reactivated).
    pub memory_reactivated: u64,
    /// Memory neurons that died of age.
    pub memory_died: u64,
    /// Memory neurons that became long-term.
    pub memory_long_term: u64,
    /// Replay injections scheduled into twin neurons.
    pub replay_injections: u64,
    /// New patterns ignored because memory ids ran out.
    pub patterns_ignored: u64,
}

impl PlasticityStats {
    /// Adds `other` to these counters.
    pub fn add(&mut self, other: &PlasticityStats) {
        self.potentiations += other.potentiations;
        self.depressions += other.depressions;
        self.synapses_created += other.synapses_created;
        self.memory_born += other.memory_born;
        self.memory_reactivated += other.memory_reactivated;
        self.memory_died += other.memory_died;
        self.memory_long_term += other.memory_long_term;
        self.replay_injections += other.replay_injections;
        self.patterns_ignored += other.patterns_ignored;
    }
}
