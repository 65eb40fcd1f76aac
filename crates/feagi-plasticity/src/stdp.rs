//! FEAGI's STDP (SPEC §6.1): a co-activity rule over a window of the fire
//! ledger, per registered (A, B) area pair, with synapse creation for
//! bidirectional (`associative_memory`) pairs.
//!
//! Work per burst is proportional to activity, not to the number of synapses
//! in a pair. Synapses from a neuron of A that fired in the window are
//! updated at once (their rows are walked). The other updated synapses, s ->
//! d with d in B fired and s in A not, are only ever depressed, and that by
//! the same step each burst, so their depression is applied lazily: d counts
//! the bursts in which it fired ("depression bursts"), each synapse keeps, in
//! its stamp, the count it has already paid, and the difference is subtracted
//! (saturating at 0) the next time the synapse's row is walked. A row is
//! walked whenever its source fires, before it next propagates (W >= 1), so
//! propagation always reads the exact weight; queries and exports apply the
//! pending depression too ([`Stdp::pending_depression`], [`Stdp::settle`]).
//!
//! The walk over the fired sources' rows is the hot loop. Each synapse's new
//! weight depends only on itself, its source's marks and one state word of
//! its target (depression count and this burst's "fired" bits together), all
//! read-only while rows are walked, so the rows are split by arena position
//! over the burst's threads ([`feagi_types::StampedRowsMut`]) with results
//! independent of the split; the counters are sums.

use feagi_types::memory::is_memory_neuron_id;
use feagi_types::parallel;
use feagi_types::synapse::prefetch;
use feagi_types::{AreaIndex, NeuronId, StampedRowsMut, StdpRegistration, SynapseArray};

use crate::{PlasticityContext, PlasticityError, PlasticityRule};

/// How many fired sources ahead the row walk prefetches whole rows.
const ROWS_AHEAD: usize = 4;
/// How many synapses ahead it prefetches target state words.
const WORDS_AHEAD: usize = 16;

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

/// Bits of a slot's state word: "fired in every frame of the window" and
/// "fired in the window" (this pass only), above the depression count.
const ALL_BIT: u32 = 1 << 30;
const ANY_BIT: u32 = 1 << 31;
/// The depression count of a slot (and a synapse's stamp) runs modulo 2^30.
const DEBT_MASK: u32 = ALL_BIT - 1;
/// Past this count the pair settles every synapse and restarts at 0, so
/// that no stamp can fall 2^30 depression bursts behind (once in a billion
/// bursts of one neuron at most).
const DEBT_LIMIT: u32 = DEBT_MASK - 1;

/// One registered pair and its per-pair state, per neuron of B (slot `d -
/// first`): its fan-in from A and one state word: its depression bursts so
/// far (see the module docs) and two bits of the current pass, "fired in the
/// window" and "fired in every frame of it", so that updating a synapse
/// reads one word of its target. The bits are cleared through the list of
/// fired neurons.
#[derive(Clone, Debug)]
struct Pair {
    registration: StdpRegistration,
    /// Whether `first` and the per-slot columns describe the current synapses.
    built: bool,
    /// B's neurons lie in `first .. first + state.len()`.
    first: NeuronId,
    /// True when every id of that range is a neuron of B (developed brains),
    /// so that a range check alone tells whether a target is in B.
    contiguous: bool,
    state: Vec<u32>,
    fan_in: Vec<u32>,
    /// Whether some synapse of the pair may owe depression.
    owing: bool,
}

/// What walking some rows of a pair did.
#[derive(Clone, Copy, Debug, Default)]
struct RowCounts {
    /// Synapses into B updated.
    updated: u64,
    potentiated: u64,
    /// Of the updated synapses, those whose target fired in the window.
    into_fired: u64,
}

impl std::ops::Add for RowCounts {
    type Output = RowCounts;
    fn add(self, o: RowCounts) -> RowCounts {
        RowCounts {
            updated: self.updated + o.updated,
            potentiated: self.potentiated + o.potentiated,
            into_fired: self.into_fired + o.into_fired,
        }
    }
}

/// Depression owed for `bursts` depression bursts at `d_minus` each.
#[inline]
fn owed(bursts: u32, d_minus: u8) -> u8 {
    (bursts.min(255) * u32::from(d_minus)).min(255) as u8
}

/// Counts one depression burst in a slot's state word, keeping its bits;
/// true once the count has reached [`DEBT_LIMIT`] (the pair must settle).
#[inline]
fn count_depression_burst(word: &mut u32) -> bool {
    *word = (*word & !DEBT_MASK) | (word.wrapping_add(1) & DEBT_MASK);
    (*word & DEBT_MASK) >= DEBT_LIMIT
}

impl Pair {
    fn new(registration: StdpRegistration) -> Self {
        Pair {
            registration,
            built: false,
            first: 0,
            contiguous: true,
            state: Vec::new(),
            fan_in: Vec::new(),
            owing: false,
        }
    }

    fn d_plus(&self) -> u8 {
        let r = &self.registration;
        r.plasticity_constant
            .saturating_mul(r.ltp_multiplier)
            .clamp(0, 255) as u8
    }

    fn d_minus(&self) -> u8 {
        let r = &self.registration;
        r.plasticity_constant
            .saturating_mul(r.ltd_multiplier)
            .clamp(0, 255) as u8
    }

    /// The slot of neuron `d` of B, when `d` is one.
    #[inline]
    fn slot(&self, d: NeuronId, area_of: &[AreaIndex]) -> Option<usize> {
        let i = d.wrapping_sub(self.first) as usize;
        (i < self.state.len()
            && (self.contiguous
                || area_of.get(d as usize) == Some(&self.registration.destination_area)))
        .then_some(i)
    }

    /// What a synapse into slot `i` with `stamp` still owes, at `d_minus` per burst.
    #[inline]
    fn owed(&self, i: usize, stamp: u32, d_minus: u8) -> u8 {
        owed(self.state[i].wrapping_sub(stamp) & DEBT_MASK, d_minus)
    }

    /// Counts B's range and the fan-in from A. Stamps and debts restart at 0:
    /// the caller has settled every owed depression first.
    fn build(&mut self, synapses: &mut SynapseArray, area_of: &[AreaIndex]) {
        let (a, b) = (
            self.registration.source_area,
            self.registration.destination_area,
        );
        let mut lo = NeuronId::MAX;
        let mut hi = 0;
        let mut members = 0usize;
        for (id, &area) in area_of.iter().enumerate() {
            if area == b {
                lo = lo.min(id as NeuronId);
                hi = hi.max(id as NeuronId + 1);
                members += 1;
            }
        }
        if lo > hi {
            (lo, hi) = (0, 0);
        }
        self.first = lo;
        let span = (hi - lo) as usize;
        self.contiguous = members == span;
        self.state.clear();
        self.state.resize(span, 0);
        self.fan_in.clear();
        self.fan_in.resize(span, 0);
        for (s, &area) in area_of.iter().enumerate() {
            if area != a {
                continue;
            }
            let (targets, _, stamps) = synapses.row_stamped_mut(s as NeuronId);
            for (&d, stamp) in targets.iter().zip(stamps.iter_mut()) {
                if let Some(i) = self.slot(d, area_of) {
                    self.fan_in[i] += 1;
                    *stamp = 0;
                }
            }
        }
        self.owing = false;
        self.built = true;
    }

    /// Applies every owed depression and restarts debts and stamps at 0.
    fn settle(&mut self, synapses: &mut SynapseArray, area_of: &[AreaIndex]) {
        if !self.owing || !self.built {
            return;
        }
        let a = self.registration.source_area;
        let d_minus = self.d_minus();
        for (s, &area) in area_of.iter().enumerate() {
            if area != a {
                continue;
            }
            let (targets, weights, stamps) = synapses.row_stamped_mut(s as NeuronId);
            for ((&d, w), stamp) in targets
                .iter()
                .zip(weights.iter_mut())
                .zip(stamps.iter_mut())
            {
                if let Some(i) = self.slot(d, area_of) {
                    *w = w.saturating_sub(self.owed(i, *stamp, d_minus));
                    *stamp = 0;
                }
            }
        }
        for word in &mut self.state {
            *word &= !DEBT_MASK;
        }
        self.owing = false;
    }

    /// Updates the synapses into B of the rows of `sources` that `rows`
    /// holds (the others are another part's): settles what each owes,
    /// applies this burst's step and stamps it paid up, including this
    /// burst's depression burst of its target. `s_all(s)` tells whether
    /// source s fired in every frame of the window. The slot bits of this
    /// pass are set and the debts not yet counted up.
    fn walk_rows<const CONTIGUOUS: bool>(
        &self,
        rows: &mut StampedRowsMut<'_>,
        sources: &[NeuronId],
        s_all: &impl Fn(NeuronId) -> bool,
        area_of: &[AreaIndex],
    ) -> RowCounts {
        let (d_plus, d_minus) = (self.d_plus(), self.d_minus());
        let (first, state) = (self.first, &self.state[..]);
        let b = self.registration.destination_area;
        let mut counts = RowCounts::default();
        for (k, &s) in sources.iter().enumerate() {
            if let Some(&ahead) = sources.get(k + ROWS_AHEAD) {
                rows.prefetch_row(ahead);
            }
            let all = u32::from(s_all(s));
            let Some((targets, weights, stamps)) = rows.row(s) else {
                continue;
            };
            for (j, ((&d, weight), stamp)) in targets
                .iter()
                .zip(weights.iter_mut())
                .zip(stamps)
                .enumerate()
            {
                // Target words are random reads: ask for them a little ahead.
                if let Some(&ahead) = targets.get(j + WORDS_AHEAD) {
                    if let Some(word) = state.get(ahead.wrapping_sub(first) as usize) {
                        prefetch(word);
                    }
                }
                let i = d.wrapping_sub(first) as usize;
                let Some(&word) = state.get(i) else {
                    continue;
                };
                if !CONTIGUOUS && area_of.get(d as usize) != Some(&b) {
                    continue;
                }
                // Branch-free: this loop runs once per synapse of every
                // fired source.
                let debt = word & DEBT_MASK;
                let value =
                    weight.saturating_sub(owed(debt.wrapping_sub(*stamp) & DEBT_MASK, d_minus));
                let fired = word >> 31;
                let both = all & (word >> 30);
                *weight = if both == 1 {
                    value.saturating_add(d_plus)
                } else {
                    value.saturating_sub(d_minus)
                };
                *stamp = (debt + fired) & DEBT_MASK;
                counts.updated += 1;
                counts.potentiated += u64::from(both);
                counts.into_fired += u64::from(fired);
            }
        }
        counts
    }

    /// [`Self::walk_rows`] over every row of `sources`, split over up to
    /// `threads` threads by arena position. Each synapse's update depends only
    /// on itself and the read-only slot words, so the split cannot change a
    /// result, and the counts are sums.
    fn walk_rows_split<const CONTIGUOUS: bool>(
        &self,
        mut rows: StampedRowsMut<'_>,
        sources: &[NeuronId],
        s_all: &(impl Fn(NeuronId) -> bool + Sync),
        area_of: &[AreaIndex],
        threads: usize,
    ) -> RowCounts {
        if threads <= 1 || sources.len() < 2 {
            return self.walk_rows::<CONTIGUOUS>(&mut rows, sources, s_all, area_of);
        }
        // Cut the arena at the row of the middle source (or the nearest one
        // this part holds); each side skips the sources the other holds.
        let mid = sources.len() / 2;
        let Some(cut) = sources[mid..]
            .iter()
            .chain(sources[..mid].iter().rev())
            .copied()
            .find(|&s| rows.holds(s))
        else {
            return RowCounts::default();
        };
        let (low, high) = rows.split_at_row(cut);
        let left = threads / 2;
        let (a, b) = parallel::join(
            || self.walk_rows_split::<CONTIGUOUS>(low, sources, s_all, area_of, left),
            || self.walk_rows_split::<CONTIGUOUS>(high, sources, s_all, area_of, threads - left),
        );
        a + b
    }
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
    /// The synapse structure version the pairs were last in step with.
    known_version: Option<u64>,
    /// When set, synapses are created only into these targets (a partitioned
    /// NPU holds only the synapses whose target it owns).
    owned_targets: Option<std::ops::Range<NeuronId>>,
    /// Whether the last burst reached synapse creation (some bidirectional
    /// pair had sources and targets that fired in every frame of its window).
    /// It depends only on the fire ledger, so every part of a partitioned
    /// brain sees the same value.
    creation_reached: bool,
    /// The source of each synapse created in the last burst, in creation order.
    created_sources: Vec<NeuronId>,
}

impl Stdp {
    /// The rule over `registrations` (at most one per pair; a later one for
    /// the same pair replaces the earlier), before any burst has run.
    pub fn new(registrations: &[StdpRegistration]) -> Self {
        let mut stdp = Stdp::default();
        for r in registrations {
            stdp.insert(r.clone());
        }
        stdp
    }

    /// Registers (or replaces) the pair of `registration` on a brain that may
    /// have run: every owed depression is applied to `synapses` first (a
    /// replaced pair would otherwise lose it). Pairs stay in ascending (A, B)
    /// order.
    pub fn register(
        &mut self,
        registration: StdpRegistration,
        synapses: &mut SynapseArray,
        area_of: &[AreaIndex],
    ) {
        self.settle(synapses, area_of);
        self.insert(registration);
    }

    fn insert(&mut self, registration: StdpRegistration) {
        let key = (registration.source_area, registration.destination_area);
        let pair = Pair::new(registration);
        match self.pairs.binary_search_by_key(&key, |p| {
            (p.registration.source_area, p.registration.destination_area)
        }) {
            Ok(i) => self.pairs[i] = pair,
            Err(i) => self.pairs.insert(i, pair),
        }
        self.known_version = None;
    }

    /// Creates synapses only into `targets` from now on (`None`: into every
    /// neuron), for a partitioned NPU that holds the synapses of its targets.
    pub fn set_owned_targets(&mut self, targets: Option<std::ops::Range<NeuronId>>) {
        self.owned_targets = targets;
    }

    /// Whether the last burst reached synapse creation (see the field docs);
    /// the same on every part of a partitioned brain.
    pub fn creation_reached(&self) -> bool {
        self.creation_reached
    }

    /// The source of every synapse created in the last burst, in creation order.
    pub fn created_sources(&self) -> &[NeuronId] {
        &self.created_sources
    }

    /// The registered pairs, ascending (A, B).
    pub fn registrations(&self) -> impl ExactSizeIterator<Item = &StdpRegistration> {
        self.pairs.iter().map(|p| &p.registration)
    }

    /// Applies every owed depression to the weights, so that the synapse
    /// array holds the exact weights of SPEC §6.1. Call it before anything
    /// that reads or changes weights or synapses outside this rule (the NPU
    /// does). Work: the rows of the pairs' source areas, and only when some
    /// depression is owed.
    pub fn settle(&mut self, synapses: &mut SynapseArray, area_of: &[AreaIndex]) {
        for pair in &mut self.pairs {
            pair.settle(synapses, area_of);
        }
    }

    /// The depression synapse `source -> target` (of stamp `stamp`, in the
    /// pair (`source_area`, `area_of[target]`)) still owes: its exact weight is
    /// its stored weight minus this, saturating at 0.
    pub fn pending_depression(
        &self,
        source_area: AreaIndex,
        target: NeuronId,
        stamp: u32,
        area_of: &[AreaIndex],
    ) -> u8 {
        let Some(&b) = area_of.get(target as usize) else {
            return 0;
        };
        let Ok(p) = self.pairs.binary_search_by_key(&(source_area, b), |p| {
            (p.registration.source_area, p.registration.destination_area)
        }) else {
            return 0;
        };
        let pair = &self.pairs[p];
        match pair.slot(target, area_of) {
            Some(i) if pair.owing && pair.built => pair.owed(i, stamp, pair.d_minus()),
            _ => 0,
        }
    }

    /// Collects the distinct fired ids of `area`'s window into `out`
    /// (ascending) and counts frames per neuron in `marks`; false when the
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
        let (a, b, w) = {
            let r = &self.pairs[p].registration;
            (r.source_area, r.destination_area, r.window.max(1) as usize)
        };
        let full = w as u32;
        // A and B are disjoint (or equal), so one marking pass counts both.
        // The pair is skipped until both windows are available (SPEC §6.1);
        // marks of a skipped pass are never read.
        self.marks.begin(ctx.neuron_count());
        if !Self::gather(ctx, &mut self.marks, b, w, &mut self.any_b) {
            return;
        }
        if a == b {
            self.any_a.clone_from(&self.any_b);
        } else if !Self::gather(ctx, &mut self.marks, a, w, &mut self.any_a) {
            return;
        }
        let marks = &self.marks;
        let pair = &mut self.pairs[p];
        for &d in &self.any_b {
            if let Some(word) = d
                .checked_sub(pair.first)
                .and_then(|i| pair.state.get_mut(i as usize))
            {
                *word |= ANY_BIT;
                if marks.count(d) == full {
                    *word |= ALL_BIT;
                }
            }
        }
        let d_minus = pair.d_minus();
        // Synapses from a neuron of A that fired in the window, on as many
        // threads as their number allows.
        let work: usize = self
            .any_a
            .iter()
            .map(|&s| ctx.synapses().outgoing_count(s) as usize)
            .sum();
        let threads = ctx.threads_for(work);
        let (synapses, neurons, stats) = ctx.split();
        let area_of = neurons.area();
        let s_all = |s: NeuronId| marks.count(s) == full;
        let rows = synapses.stamped_rows_mut();
        let counts = if pair.contiguous {
            pair.walk_rows_split::<true>(rows, &self.any_a, &s_all, area_of, threads)
        } else {
            pair.walk_rows_split::<false>(rows, &self.any_a, &s_all, area_of, threads)
        };
        stats.potentiations += counts.potentiated;
        if d_minus > 0 {
            stats.depressions += counts.updated - counts.potentiated;
        }
        // Synapses into a neuron of B that fired, from a neuron of A that did
        // not: one depression burst each, paid later.
        let mut into = 0u64;
        let mut limit = false;
        for &d in &self.any_b {
            let i = (d - pair.first) as usize;
            limit |= count_depression_burst(&mut pair.state[i]);
            into += u64::from(pair.fan_in[i]);
        }
        if d_minus > 0 && !self.any_b.is_empty() {
            stats.depressions += into.saturating_sub(counts.into_fired);
            pair.owing = true;
        }
        if pair.registration.bidirectional {
            self.create_synapses(p, ctx);
        }
        // Clear this pass's bits through the fired list (work: fired neurons).
        let pair = &mut self.pairs[p];
        for &d in &self.any_b {
            pair.state[(d - pair.first) as usize] &= DEBT_MASK;
        }
        if limit {
            let (synapses, neurons, _) = ctx.split();
            pair.settle(synapses, neurons.area());
        }
    }

    /// Appends s -> d for s in allA, d in allB without one (SPEC §6.1).
    fn create_synapses(&mut self, p: usize, ctx: &mut PlasticityContext<'_>) {
        let r = self.pairs[p].registration.clone();
        let d_plus = self.pairs[p].d_plus();
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
        self.creation_reached = true;
        if let Some(owned) = &self.owned_targets {
            self.all_b.retain(|d| owned.contains(d));
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
                let Ok(pos) = ctx.add_synapse(s, d, d_plus, psp, r.synapse_type) else {
                    continue;
                };
                ctx.stats_mut().synapses_created += 1;
                self.created_sources.push(s);
                let pair = &mut self.pairs[p];
                let i = (d - pair.first) as usize;
                pair.fan_in[i] += 1;
                // Created after this burst's depression bursts: it owes nothing.
                let debt = pair.state[i] & DEBT_MASK;
                let (synapses, _, _) = ctx.split();
                if let Some(stamp) = synapses.row_stamped_mut(s).2.get_mut(pos as usize) {
                    *stamp = debt;
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
        self.creation_reached = false;
        self.created_sources.clear();
        if self.pairs.is_empty() {
            return Ok(());
        }
        {
            let (synapses, neurons, _) = ctx.split();
            synapses.enable_stamps();
            if self.known_version != Some(synapses.structure_version()) {
                // Synapses or neurons changed outside this rule: settle what
                // is owed (nothing, when the NPU settled before the change)
                // and recount.
                for pair in &mut self.pairs {
                    pair.settle(synapses, neurons.area());
                    pair.build(synapses, neurons.area());
                }
            }
        }
        for p in 0..self.pairs.len() {
            self.update_pair(p, ctx);
        }
        self.known_version = Some(ctx.synapses().structure_version());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depression_counts_keep_the_bits_and_stop_at_the_limit() {
        let mut word = ANY_BIT | ALL_BIT | 7;
        assert!(!count_depression_burst(&mut word));
        assert_eq!(word, ANY_BIT | ALL_BIT | 8);
        let mut word = ANY_BIT | (DEBT_LIMIT - 2);
        assert!(!count_depression_burst(&mut word));
        assert!(count_depression_burst(&mut word));
        assert_eq!(word, ANY_BIT | DEBT_LIMIT);
        // Past the limit (only when nothing is owed, d_minus = 0) it wraps
        // inside the count, never into the bits.
        let mut word = ANY_BIT | DEBT_MASK;
        count_depression_burst(&mut word);
        assert_eq!(word, ANY_BIT);
    }

    #[test]
    fn owed_depression_saturates_and_reads_counts_modulo_2_30() {
        assert_eq!(owed(0, 5), 0);
        assert_eq!(owed(3, 5), 15);
        assert_eq!(owed(51, 5), 255);
        assert_eq!(owed(u32::MAX, 255), 255);
        // A stamp taken just before the count wrapped still owes the bursts since.
        let (debt, stamp) = (2u32, DEBT_MASK - 1);
        assert_eq!(debt.wrapping_sub(stamp) & DEBT_MASK, 4);
    }
}
