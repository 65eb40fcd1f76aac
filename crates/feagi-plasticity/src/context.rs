//! What a plasticity rule sees after burst t is archived: the
//! [`PlasticityContext`], and the queues it fills for later bursts.

use std::collections::VecDeque;

use feagi_types::memory::is_memory_neuron_id;
use feagi_types::parallel::Parallelism;
use feagi_types::{
    AreaIndex, CorticalArea, FireLedger, MemoryNeurons, NeuronArray, NeuronId, SynapseArray,
    SynapseRow, SynapseType,
};

use crate::{PlasticityError, PlasticityStats};

/// The areas of the brain as a rule needs them: genes and voxel lookup.
/// The burst engine implements it over its area table.
pub trait BrainAreas {
    /// The area at `index`, or `None` beyond the area table.
    fn area(&self, index: AreaIndex) -> Option<&CorticalArea>;
    /// Calls `f` with every neuron of voxel `voxel` of `area`, ascending id
    /// (nothing for a voxel outside the area).
    fn for_each_neuron_at(&self, area: AreaIndex, voxel: [u32; 3], f: &mut dyn FnMut(NeuronId));
    /// The number of areas.
    fn area_count(&self) -> usize;
}

/// Input scheduled for later bursts by replay (SPEC §6.2): per future burst,
/// the (neuron, potential) entries in scheduling order. The engine appends the
/// entries due at burst v to the staged input of v, after the API's.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReplayQueue {
    /// Front: the entries due at the next burst.
    slots: VecDeque<Vec<(NeuronId, f32)>>,
    /// Emptied buffers, reused so that a steady state allocates nothing.
    spare: Vec<Vec<(NeuronId, f32)>>,
}

impl ReplayQueue {
    /// Schedules `potential` into `neuron` `delay` bursts after the current
    /// one (`delay` >= 1; 1 is the next burst).
    pub fn schedule(&mut self, delay: usize, neuron: NeuronId, potential: f32) {
        let delay = delay.max(1);
        while self.slots.len() < delay {
            let buffer = self.spare.pop().unwrap_or_default();
            self.slots.push_back(buffer);
        }
        self.slots[delay - 1].push((neuron, potential));
    }

    /// Calls `f` on every entry due at the next burst, in scheduling order,
    /// and moves the queue on by one burst.
    pub fn drain_next(&mut self, mut f: impl FnMut(NeuronId, f32)) {
        if let Some(mut due) = self.slots.pop_front() {
            for &(id, p) in &due {
                f(id, p);
            }
            due.clear();
            self.spare.push(due);
        }
    }

    /// The entries due `delay` bursts from now (1 = the next burst).
    pub fn due_in(&self, delay: usize) -> &[(NeuronId, f32)] {
        delay
            .checked_sub(1)
            .and_then(|i| self.slots.get(i))
            .map_or(&[], |v| v.as_slice())
    }

    /// Every pending entry as (delay, neuron, potential), in delivery order.
    pub fn entries(&self) -> impl Iterator<Item = (usize, NeuronId, f32)> + '_ {
        self.slots
            .iter()
            .enumerate()
            .flat_map(|(i, v)| v.iter().map(move |&(id, p)| (i + 1, id, p)))
    }
}

/// Everything a plasticity rule may read or change after burst t was
/// archived (SPEC §4.1 phase 3). Built by the burst engine; a rule receives
/// it in [`crate::PlasticityRule::after_burst`].
///
/// Changes take effect from burst t+1: weights and new synapses in
/// propagation, forced injections in phase 1e, replay in phase 1a.
pub struct PlasticityContext<'a> {
    p: ContextParts<'a>,
}

/// The parts a [`PlasticityContext`] is built from (the burst engine's state).
pub struct ContextParts<'a> {
    /// t, the burst just archived.
    pub burst: u64,
    /// FQ(t), ascending (memory neurons last).
    pub fired: &'a [NeuronId],
    /// The fire ledger, with FQ(t) archived.
    pub ledger: &'a FireLedger,
    /// The regular neurons.
    pub neurons: &'a NeuronArray,
    /// The area table.
    pub areas: &'a dyn BrainAreas,
    /// Every synapse.
    pub synapses: &'a mut SynapseArray,
    /// The memory neurons.
    pub memory: &'a mut MemoryNeurons,
    /// Forced injections due at burst t+1 (phase 1e).
    pub forced: &'a mut Vec<(NeuronId, f32)>,
    /// Replay input for later bursts (phase 1a).
    pub replay: &'a mut ReplayQueue,
    /// This burst's counters.
    pub stats: &'a mut PlasticityStats,
    /// How the burst may split work over threads (rules may ignore it).
    pub parallelism: Parallelism,
}

impl<'a> PlasticityContext<'a> {
    /// A context over the engine's state.
    pub fn new(parts: ContextParts<'a>) -> Self {
        PlasticityContext { p: parts }
    }

    /// t: the burst just archived.
    pub fn burst(&self) -> u64 {
        self.p.burst
    }

    /// FQ(t): the neurons that fired in burst t, ascending (memory neurons,
    /// whose ids are the highest, last).
    pub fn fired(&self) -> &'a [NeuronId] {
        self.p.fired
    }

    /// The `depth` ledger frames of `area` ending at burst `end`, oldest
    /// first, each the area's fired ids ascending; `None` when the window is
    /// not available (untracked area, depth beyond its window, or not enough
    /// history yet: SPEC §5.1).
    pub fn window(
        &self,
        area: AreaIndex,
        end: u64,
        depth: usize,
    ) -> Option<impl ExactSizeIterator<Item = &'a [NeuronId]> + Clone + 'a> {
        let frames = self.p.ledger.window_frames(area, end, depth).ok()?;
        Some(frames.map(|f| f.neuron_ids.as_slice()))
    }

    /// How many threads a rule may use for `work` units (synapse updates):
    /// the engine's own rule, so that small bursts stay on one thread.
    /// Results must not depend on it.
    pub fn threads_for(&self, work: usize) -> usize {
        self.p.parallelism.threads_for(work)
    }

    /// The number of regular neurons (ids `0..neuron_count()`).
    pub fn neuron_count(&self) -> usize {
        self.p.neurons.len()
    }

    /// The regular neurons (read-only).
    pub fn neurons(&self) -> &'a NeuronArray {
        self.p.neurons
    }

    /// The area of a regular or memory neuron.
    #[inline]
    pub fn area_of(&self, id: NeuronId) -> Option<AreaIndex> {
        if is_memory_neuron_id(id) {
            self.p.memory.area_of(id)
        } else {
            self.p.neurons.area().get(id as usize).copied()
        }
    }

    /// The area table.
    pub fn areas(&self) -> &'a dyn BrainAreas {
        self.p.areas
    }

    /// Every synapse (read-only).
    pub fn synapses(&self) -> &SynapseArray {
        self.p.synapses
    }

    /// The synapses leaving `source`, in row order.
    #[inline]
    pub fn row(&self, source: NeuronId) -> SynapseRow<'_> {
        self.p.synapses.row(source)
    }

    /// The weights of `source`'s row, mutable, in row order.
    #[inline]
    pub fn row_weights_mut(&mut self, source: NeuronId) -> &mut [u8] {
        self.p.synapses.row_weights_mut(source)
    }

    /// Appends synapse `source -> target` to the end of `source`'s row and
    /// returns its position in the row. Both must be regular neurons: memory
    /// neurons never have synapses (SPEC §6.2).
    pub fn add_synapse(
        &mut self,
        source: NeuronId,
        target: NeuronId,
        weight: u8,
        psp: u8,
        ty: SynapseType,
    ) -> Result<u32, PlasticityError> {
        let n = self.p.neurons.len();
        for id in [source, target] {
            if id as usize >= n {
                return Err(PlasticityError::NotARegularNeuron(id));
            }
        }
        self.p.synapses.ensure_sources(n);
        self.p.synapses.push(source, target, weight, psp, ty);
        Ok(self.p.synapses.outgoing_count(source) - 1)
    }

    /// The memory neurons (read-only).
    pub fn memory(&self) -> &MemoryNeurons {
        self.p.memory
    }

    /// The memory neurons, to create, age or kill them.
    pub fn memory_mut(&mut self) -> &mut MemoryNeurons {
        self.p.memory
    }

    /// Stages a forced injection of `potential` into memory neuron `id` for
    /// burst t+1 (phase 1e): the neuron fires then (SPEC §6.2).
    pub fn force_memory_neuron(
        &mut self,
        id: NeuronId,
        potential: f32,
    ) -> Result<(), PlasticityError> {
        if self.p.memory.get(id).is_none() {
            return Err(PlasticityError::NotAMemoryNeuron(id));
        }
        self.p.forced.push((id, potential));
        Ok(())
    }

    /// Schedules `potential` into regular neuron `id` at burst t + `delay`
    /// (`delay` >= 1) as staged input (phase 1a, after the API's input).
    pub fn schedule_input(
        &mut self,
        delay: usize,
        id: NeuronId,
        potential: f32,
    ) -> Result<(), PlasticityError> {
        if id as usize >= self.p.neurons.len() {
            return Err(PlasticityError::NotARegularNeuron(id));
        }
        if delay == 0 {
            return Err(PlasticityError::InvalidDelay);
        }
        self.p.replay.schedule(delay, id, potential);
        Ok(())
    }

    /// This burst's counters, to add what the rule did.
    pub fn stats_mut(&mut self) -> &mut PlasticityStats {
        self.p.stats
    }

    /// The synapse array and the read-only parts at once (for rules that
    /// walk rows while reading neurons and the ledger).
    pub(crate) fn split(&mut self) -> (&mut SynapseArray, &'a NeuronArray, &mut PlasticityStats) {
        (self.p.synapses, self.p.neurons, self.p.stats)
    }

    /// The replay queue and the area table at once.
    pub(crate) fn replay_parts(
        &mut self,
    ) -> (
        &mut ReplayQueue,
        &MemoryNeurons,
        &'a dyn BrainAreas,
        &mut PlasticityStats,
    ) {
        (self.p.replay, self.p.memory, self.p.areas, self.p.stats)
    }
}
