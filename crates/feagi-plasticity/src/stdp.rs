//! FEAGI's STDP (SPEC §6.1): a co-activity rule over a window of the fire
//! ledger, per registered (A, B) area pair, with synapse creation for
//! bidirectional (`associative_memory`) pairs.
//!
//! Work per burst is proportional to activity: the neurons of A that fired in
//! the window times their fan-out, plus the neurons of B that fired times
//! their fan-in from A (through an incoming index per pair), never to the
//! number of synapses in the pair.

use feagi_types::memory::is_memory_neuron_id;
use feagi_types::{AreaIndex, NeuronId, StdpRegistration, SynapseArray};

use crate::{PlasticityContext, PlasticityError, PlasticityRule};

/// Per neuron, how many frames of the current window it fired in, valid
/// while its epoch equals the current pass. A neuron is in one area, so one
/// array serves both ends of a pair. Epoch and count sit side by side: one
/// cache line per lookup on the hot path.
#[derive(Clone, Debug, Default)]
struct Marks {
    /// (epoch, count) per neuron id.
    slots: Vec<(u32, u32)>,
    current: u32,
}

impl Marks {
    fn begin(&mut self, neurons: usize) {
        if self.slots.len() < neurons {
            self.slots.resize(neurons, (0, 0));
        }
        self.current = self.current.wrapping_add(1);
        if self.current == 0 {
            // Wrapped: forget every old mark once every 4 billion passes.
            self.slots.fill((0, 0));
            self.current = 1;
        }
    }

    /// Counts one firing of `id`; true the first time in this pass.
    #[inline]
    fn hit(&mut self, id: NeuronId) -> bool {
        let slot = &mut self.slots[id as usize];
        if slot.0 == self.current {
            slot.1 += 1;
            false
        } else {
            *slot = (self.current, 1);
            true
        }
    }

    /// Marks `id` without counting.
    #[inline]
    fn mark(&mut self, id: NeuronId) {
        self.slots[id as usize] = (self.current, 0);
    }

    #[inline]
    fn seen(&self, id: NeuronId) -> bool {
        self.slots[id as usize].0 == self.current
    }

    #[inline]
    fn count(&self, id: NeuronId) -> u32 {
        let (epoch, count) = self.slots[id as usize];
        if epoch == self.current {
            count
        } else {
            0
        }
    }
}

/// The synapses of one pair by target: for each neuron d of B, the (source,
/// position in the source's row) of every A -> d synapse. Positions within a
/// row are stable until a synapse is removed, which changes the synapse
/// array's structure version and makes the index rebuild.
#[derive(Clone, Debug, Default)]
struct IncomingIndex {
    built: bool,
    /// Targets covered: `base .. base + start.len() - 1`.
    base: NeuronId,
    start: Vec<u32>,
    entries: Vec<(NeuronId, u32)>,
    /// Synapses appended since the build: a linked list per target.
    extra_head: Vec<u32>,
    extra: Vec<(NeuronId, u32, u32)>,
}

const NONE: u32 = u32::MAX;

impl IncomingIndex {
    fn rebuild(&mut self, synapses: &SynapseArray, area: &[AreaIndex], a: AreaIndex, b: AreaIndex) {
        let (mut lo, mut hi) = (NeuronId::MAX, 0u32);
        for (id, &ar) in area.iter().enumerate() {
            if ar == b {
                lo = lo.min(id as NeuronId);
                hi = hi.max(id as NeuronId + 1);
            }
        }
        if lo > hi {
            lo = 0;
            hi = 0;
        }
        let span = (hi - lo) as usize;
        self.base = lo;
        self.start.clear();
        self.start.resize(span + 1, 0);
        // Counting sort by target, sources ascending, rows in order.
        for (s, &ar) in area.iter().enumerate() {
            if ar != a {
                continue;
            }
            for &d in synapses.row(s as NeuronId).target {
                if area.get(d as usize) == Some(&b) {
                    self.start[(d - lo) as usize + 1] += 1;
                }
            }
        }
        for i in 1..self.start.len() {
            self.start[i] += self.start[i - 1];
        }
        let total = self.start[span] as usize;
        self.entries.clear();
        self.entries.resize(total, (0, 0));
        let mut fill = self.start[..span].to_vec();
        for (s, &ar) in area.iter().enumerate() {
            if ar != a {
                continue;
            }
            for (pos, &d) in synapses.row(s as NeuronId).target.iter().enumerate() {
                if area.get(d as usize) == Some(&b) {
                    let slot = &mut fill[(d - lo) as usize];
                    self.entries[*slot as usize] = (s as NeuronId, pos as u32);
                    *slot += 1;
                }
            }
        }
        self.extra_head.clear();
        self.extra_head.resize(span, NONE);
        self.extra.clear();
        self.built = true;
    }

    /// Calls `f(source, position)` for every A -> `d` synapse.
    #[inline]
    fn for_each(&self, d: NeuronId, mut f: impl FnMut(NeuronId, u32)) {
        let Some(i) = d.checked_sub(self.base).map(|i| i as usize) else {
            return;
        };
        if i + 1 >= self.start.len() {
            return;
        }
        for &(s, pos) in &self.entries[self.start[i] as usize..self.start[i + 1] as usize] {
            f(s, pos);
        }
        let mut next = self.extra_head[i];
        while next != NONE {
            let (s, pos, link) = self.extra[next as usize];
            f(s, pos);
            next = link;
        }
    }

    fn append(&mut self, d: NeuronId, s: NeuronId, pos: u32) {
        let Some(i) = d.checked_sub(self.base).map(|i| i as usize) else {
            self.built = false;
            return;
        };
        if i >= self.extra_head.len() || self.extra.len() >= NONE as usize - 1 {
            // Outside the range seen at build time: rebuild next burst.
            self.built = false;
            return;
        }
        self.extra.push((s, pos, self.extra_head[i]));
        self.extra_head[i] = (self.extra.len() - 1) as u32;
    }
}

/// One registered pair and its per-pair state.
#[derive(Clone, Debug)]
struct Pair {
    registration: StdpRegistration,
    incoming: IncomingIndex,
}

/// The built-in STDP rule of SPEC §6.1 over every registered pair.
#[derive(Clone, Debug, Default)]
pub struct Stdp {
    pairs: Vec<Pair>,
    marks: Marks,
    /// Existing targets of one source during synapse creation.
    existing: Marks,
    any_a: Vec<NeuronId>,
    any_b: Vec<NeuronId>,
    all_a: Vec<NeuronId>,
    all_b: Vec<NeuronId>,
    /// The synapse structure version the indexes were last in step with.
    known_version: Option<u64>,
}

impl Stdp {
    /// The rule over `registrations` (at most one per pair; a later one for
    /// the same pair replaces the earlier).
    pub fn new(registrations: &[StdpRegistration]) -> Self {
        let mut stdp = Stdp::default();
        for r in registrations {
            stdp.register(r.clone());
        }
        stdp
    }

    /// Registers (or replaces) the pair of `registration`; pairs stay in
    /// ascending (A, B) order.
    pub fn register(&mut self, registration: StdpRegistration) {
        let key = (registration.source_area, registration.destination_area);
        let pair = Pair {
            registration,
            incoming: IncomingIndex::default(),
        };
        match self.pairs.binary_search_by_key(&key, |p| {
            (p.registration.source_area, p.registration.destination_area)
        }) {
            Ok(i) => self.pairs[i] = pair,
            Err(i) => self.pairs.insert(i, pair),
        }
    }

    /// The registered pairs, ascending (A, B).
    pub fn registrations(&self) -> impl Iterator<Item = &StdpRegistration> {
        self.pairs.iter().map(|p| &p.registration)
    }

    /// Collects the distinct fired ids of `area`'s window into `out`
    /// (ascending) and counts frames per neuron in `marks`. False when the
    /// window is not available.
    fn gather(
        ctx: &PlasticityContext<'_>,
        marks: &mut Marks,
        area: AreaIndex,
        window: usize,
        out: &mut Vec<NeuronId>,
    ) -> bool {
        out.clear();
        let Some(frames) = ctx.window(area, ctx.burst(), window) else {
            return false;
        };
        for frame in frames {
            for &id in frame {
                if is_memory_neuron_id(id) {
                    // Memory neurons never take part in STDP; they are last.
                    break;
                }
                if marks.hit(id) {
                    out.push(id);
                }
            }
        }
        out.sort_unstable();
        true
    }

    fn update_pair(&mut self, p: usize, ctx: &mut PlasticityContext<'_>) {
        let r = self.pairs[p].registration.clone();
        let (a, b) = (r.source_area, r.destination_area);
        let w = r.window.max(1) as usize;
        let mut available = true;
        self.marks.begin(ctx.neuron_count());
        // Both windows are read before anything changes (SPEC §6.1).
        if ctx.window(a, ctx.burst(), w).is_none() || ctx.window(b, ctx.burst(), w).is_none() {
            return;
        }
        available &= Self::gather(ctx, &mut self.marks, a, w, &mut self.any_a);
        if a != b {
            available &= Self::gather(ctx, &mut self.marks, b, w, &mut self.any_b);
        } else {
            self.any_b.clone_from(&self.any_a);
        }
        if !available {
            return;
        }
        let d_plus = r
            .plasticity_constant
            .saturating_mul(r.ltp_multiplier)
            .clamp(0, 255) as u8;
        let d_minus = r
            .plasticity_constant
            .saturating_mul(r.ltd_multiplier)
            .clamp(0, 255) as u8;
        let full = w as u32;
        let marks = &self.marks;
        let incoming = &self.pairs[p].incoming;
        let (synapses, neurons, stats) = ctx.split();
        let area_of = neurons.area();

        // Synapses from a neuron of A that fired in the window.
        for &s in &self.any_a {
            let s_all = marks.count(s) == full;
            let (targets, weights) = synapses.row_targets_and_weights_mut(s);
            for (&d, weight) in targets.iter().zip(weights.iter_mut()) {
                if area_of.get(d as usize) != Some(&b) {
                    continue;
                }
                if s_all && marks.count(d) == full {
                    stats.potentiations += 1;
                    let new = weight.saturating_add(d_plus);
                    stats.weight_changes += u64::from(new != *weight);
                    *weight = new;
                } else if d_minus > 0 {
                    stats.depressions += 1;
                    let new = weight.saturating_sub(d_minus);
                    stats.weight_changes += u64::from(new != *weight);
                    *weight = new;
                }
            }
        }
        // Synapses into a neuron of B that fired, from a neuron of A that did not.
        if d_minus > 0 {
            for &d in &self.any_b {
                incoming.for_each(d, |s, pos| {
                    if marks.seen(s) {
                        return; // s fired in the window: handled above.
                    }
                    if let Some(weight) = synapses.row_weights_mut(s).get_mut(pos as usize) {
                        stats.depressions += 1;
                        let new = weight.saturating_sub(d_minus);
                        stats.weight_changes += u64::from(new != *weight);
                        *weight = new;
                    }
                });
            }
        }
        if r.bidirectional {
            self.create_synapses(p, ctx, &r, d_plus);
        }
    }

    /// Appends s -> d for s in allA, d in allB without one (SPEC §6.1).
    fn create_synapses(
        &mut self,
        p: usize,
        ctx: &mut PlasticityContext<'_>,
        r: &StdpRegistration,
        d_plus: u8,
    ) {
        let full = r.window.max(1);
        let marks = &self.marks;
        self.all_a.clear();
        self.all_a.extend(
            self.any_a
                .iter()
                .copied()
                .filter(|&s| marks.count(s) == full),
        );
        self.all_b.clear();
        self.all_b.extend(
            self.any_b
                .iter()
                .copied()
                .filter(|&d| marks.count(d) == full),
        );
        if self.all_a.is_empty() || self.all_b.is_empty() {
            return;
        }
        let psp = ctx
            .areas()
            .area(r.source_area)
            .map_or(r.psp, |area| area.properties.psp());
        for i in 0..self.all_a.len() {
            let s = self.all_a[i];
            self.existing.begin(ctx.neuron_count());
            for &d in ctx.row(s).target {
                self.existing.mark(d);
            }
            for j in 0..self.all_b.len() {
                let d = self.all_b[j];
                if self.existing.seen(d) {
                    continue;
                }
                // Both are regular neurons of the brain, so this cannot fail.
                if let Ok(pos) = ctx.add_synapse(s, d, d_plus, psp, r.synapse_type) {
                    ctx.stats_mut().synapses_created += 1;
                    self.pairs[p].incoming.append(d, s, pos);
                }
            }
        }
    }
}

impl PlasticityRule for Stdp {
    fn name(&self) -> &str {
        "stdp"
    }

    fn ledger_requirements(&self) -> Vec<(AreaIndex, usize)> {
        self.pairs
            .iter()
            .flat_map(|p| {
                let w = p.registration.window.max(1) as usize;
                [
                    (p.registration.source_area, w),
                    (p.registration.destination_area, w),
                ]
            })
            .collect()
    }

    fn after_burst(&mut self, ctx: &mut PlasticityContext<'_>) -> Result<(), PlasticityError> {
        if self.pairs.is_empty() {
            return Ok(());
        }
        let version = ctx.synapses().structure_version();
        if self.known_version != Some(version) {
            for pair in &mut self.pairs {
                pair.incoming.built = false;
            }
        }
        for p in 0..self.pairs.len() {
            if !self.pairs[p].incoming.built {
                let (a, b) = (
                    self.pairs[p].registration.source_area,
                    self.pairs[p].registration.destination_area,
                );
                self.pairs[p]
                    .incoming
                    .rebuild(ctx.synapses(), ctx.neurons().area(), a, b);
            }
            self.update_pair(p, ctx);
        }
        self.known_version = Some(ctx.synapses().structure_version());
        Ok(())
    }
}
