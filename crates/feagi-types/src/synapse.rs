//! Synapse storage (SPEC §3.4).
//!
//! [`SynapseList`] is the flat, creation-ordered form that synaptogenesis
//! produces. [`SynapseArray`] is the form the NPU propagates from: a structure
//! of arrays (target, weight, psp, type) grouped into one *row* per source
//! neuron, so that a fired neuron's synapses are one contiguous run. The row
//! table (start, length, capacity per source) is the index from a source
//! neuron to its synapses. Rows live in one arena in any order:
//! * adding a synapse appends to its row, using spare capacity or moving the
//!   row to the end of the arena with doubled capacity (amortised O(1));
//! * removing a synapse shifts the rest of its row down, so a row only ever
//!   holds valid synapses, in ascending creation order, and the outgoing count
//!   that propagation divides by is simply the row length;
//! * the space of moved rows is reclaimed by [`SynapseArray::compact`], which
//!   the NPU calls once abandoned space outgrows the live synapses.
//!
//! No operation rebuilds the whole index except that amortised compaction.

use crate::NeuronId;

/// Excitatory synapses add their contribution, inhibitory ones subtract it.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[repr(u8)]
pub enum SynapseType {
    /// Adds its contribution to the target's FCL sum (API code 0).
    #[default]
    Excitatory = 0,
    /// Subtracts its contribution (API code 1); made by a negative mapping
    /// multiplier (SPEC §3.2).
    Inhibitory = 1,
}

impl SynapseType {
    /// 0 = excitatory, 1 = inhibitory (the encoding FEAGI's APIs use).
    pub fn from_code(code: u8) -> Option<Self> {
        match code {
            0 => Some(SynapseType::Excitatory),
            1 => Some(SynapseType::Inhibitory),
            _ => None,
        }
    }

    /// The API code: 0 = excitatory, 1 = inhibitory (inverse of [`Self::from_code`]).
    pub fn code(self) -> u8 {
        self as u8
    }
}

/// Synapses in creation order, as synaptogenesis appends them (SPEC §3.1).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SynapseList {
    /// Source (pre-synaptic) neuron of each synapse.
    pub source: Vec<NeuronId>,
    /// Target (post-synaptic) neuron of each synapse.
    pub target: Vec<NeuronId>,
    /// Synapse weight 0..255: min(|multiplier|, 255) (SPEC §3.2).
    pub weight: Vec<u8>,
    /// PSP 0..255 from the source area's `postsynaptic_current`:
    /// clamp(trunc(PSC), 0, 255) (SPEC §3.2).
    pub psp: Vec<u8>,
    /// Excitatory or inhibitory (inhibitory iff the multiplier was negative).
    pub synapse_type: Vec<SynapseType>,
}

impl SynapseList {
    /// Appends one synapse; its synapse index is the previous length.
    pub fn push(
        &mut self,
        source: NeuronId,
        target: NeuronId,
        weight: u8,
        psp: u8,
        ty: SynapseType,
    ) {
        self.source.push(source);
        self.target.push(target);
        self.weight.push(weight);
        self.psp.push(psp);
        self.synapse_type.push(ty);
    }

    /// Number of synapses.
    pub fn len(&self) -> usize {
        self.source.len()
    }

    /// True when the list holds no synapse.
    pub fn is_empty(&self) -> bool {
        self.source.is_empty()
    }
}

/// The synapses of one source neuron, in ascending creation order.
#[derive(Clone, Copy, Debug)]
pub struct SynapseRow<'a> {
    /// Target neuron of each synapse.
    pub target: &'a [NeuronId],
    /// Weight 0..255 of each synapse.
    pub weight: &'a [u8],
    /// PSP 0..255 of each synapse.
    pub psp: &'a [u8],
    /// Excitatory or inhibitory, per synapse.
    pub synapse_type: &'a [SynapseType],
}

impl SynapseRow<'_> {
    /// The source's outgoing synapse count: the divisor of SPEC §4.3.
    pub fn len(&self) -> usize {
        self.target.len()
    }

    /// True when the source has no outgoing synapse.
    pub fn is_empty(&self) -> bool {
        self.target.is_empty()
    }
}

/// One entry of the row table: where a source's row starts in the arena, its
/// length and its capacity, together in 16 bytes (four entries per cache
/// line), so finding a fired source's row costs one memory access.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C, align(16))]
struct RowEntry {
    start: usize,
    len: u32,
    cap: u32,
}

/// Per-source rows of synapses in one arena; see the module documentation.
#[derive(Clone, Debug, Default)]
pub struct SynapseArray {
    rows: Vec<RowEntry>,
    target: Vec<NeuronId>,
    weight: Vec<u8>,
    psp: Vec<u8>,
    synapse_type: Vec<SynapseType>,
    live: usize,
    garbage: usize,
    /// Bumped by every change that adds, removes or shifts synapses or adds
    /// sources (not by weight changes): lets an index over the rows (such as
    /// STDP's per-pair counts) know when to rebuild.
    version: u64,
    /// A u32 per synapse for a learning rule's bookkeeping (STDP's lazy
    /// depression); empty until [`Self::enable_stamps`]. Moves with its synapse.
    stamp: Vec<u32>,
    /// Whether `stamp` is kept (it then has the arena's length).
    stamped: bool,
}

impl SynapseArray {
    /// An empty array with room reserved for `sources` row entries and
    /// `synapses` synapses.
    pub fn with_capacity(sources: usize, synapses: usize) -> Self {
        SynapseArray {
            rows: Vec::with_capacity(sources),
            target: Vec::with_capacity(synapses),
            weight: Vec::with_capacity(synapses),
            psp: Vec::with_capacity(synapses),
            synapse_type: Vec::with_capacity(synapses),
            live: 0,
            garbage: 0,
            version: 0,
            stamp: Vec::new(),
            stamped: false,
        }
    }

    /// Reserves room for `sources` row entries and `synapses` synapses where
    /// memory allows; a capacity hint, so failing to reserve is not an error.
    pub fn reserve_hint(&mut self, sources: usize, synapses: usize) {
        let _ = self.rows.try_reserve(sources);
        let _ = self.target.try_reserve(synapses);
        let _ = self.weight.try_reserve(synapses);
        let _ = self.psp.try_reserve(synapses);
        let _ = self.synapse_type.try_reserve(synapses);
    }

    /// The array whose rows are given in source order: `row_len[s]`
    /// synapses for each source s, their columns concatenated (what
    /// [`Self::row`] gives, source by source). Every target must be below
    /// `neurons`; otherwise what is wrong.
    pub fn from_rows(
        row_len: Vec<u32>,
        target: Vec<NeuronId>,
        weight: Vec<u8>,
        psp: Vec<u8>,
        synapse_type: Vec<SynapseType>,
        neurons: usize,
    ) -> Result<Self, String> {
        let total: u64 = row_len.iter().map(|&l| u64::from(l)).sum();
        let n = target.len();
        if total != n as u64 || weight.len() != n || psp.len() != n || synapse_type.len() != n {
            return Err(format!(
                "rows of {total} synapses for columns of {n}, {}, {} and {}",
                weight.len(),
                psp.len(),
                synapse_type.len()
            ));
        }
        if let Some(&t) = target.iter().find(|&&t| t as usize >= neurons) {
            return Err(format!("a synapse targets neuron {t} of {neurons}"));
        }
        let mut rows = Vec::new();
        rows.try_reserve_exact(row_len.len())
            .map_err(|_| format!("cannot allocate the row table of {} sources", row_len.len()))?;
        let mut next = 0usize;
        for &len in &row_len {
            rows.push(RowEntry {
                start: next,
                len,
                cap: len,
            });
            next += len as usize;
        }
        Ok(SynapseArray {
            rows,
            target,
            weight,
            psp,
            synapse_type,
            live: n,
            garbage: 0,
            version: 0,
            stamp: Vec::new(),
            stamped: false,
        })
    }

    /// Builds rows from a creation-ordered list with a stable counting sort by
    /// source, so each row keeps creation order and the arena has no slack.
    /// Every source must be below `sources` (else an error names it). Memory
    /// is reserved fallibly: when it cannot be allocated the error says how
    /// much was asked for, and nothing aborts.
    pub fn try_from_list(list: &SynapseList, sources: usize) -> Result<Self, String> {
        let total = list.len();
        if list.target.len() != total
            || list.weight.len() != total
            || list.psp.len() != total
            || list.synapse_type.len() != total
        {
            return Err(format!(
                "synapse list columns differ in length: {total}, {}, {}, {} and {}",
                list.target.len(),
                list.weight.len(),
                list.psp.len(),
                list.synapse_type.len()
            ));
        }
        /// `len` copies of `value`. The fallible reservation of the same size
        /// comes first, then `vec!` allocates: for zeros that is a zeroed
        /// allocation, whose fresh pages need no second pass of writes.
        fn zeroed<T: Clone>(len: usize, value: T, what: &str) -> Result<Vec<T>, String> {
            let mut probe: Vec<T> = Vec::new();
            probe.try_reserve_exact(len).map_err(|_| {
                let bytes = (len as u128) * (std::mem::size_of::<T>() as u128);
                format!("cannot allocate {bytes} bytes of memory for {len} {what}")
            })?;
            drop(probe);
            Ok(vec![value; len])
        }
        let mut rows = zeroed(sources, RowEntry::default(), "synapse rows")?;
        for &s in &list.source {
            match rows.get_mut(s as usize) {
                Some(r) => r.len += 1,
                None => return Err(format!("a synapse has source {s} of {sources} neurons")),
            }
        }
        let mut next = 0usize;
        for r in rows.iter_mut() {
            r.start = next;
            next += r.len as usize;
        }
        let mut target = zeroed(total, 0, "synapses")?;
        let mut weight = zeroed(total, 0, "synapses")?;
        let mut psp = zeroed(total, 0, "synapses")?;
        let mut synapse_type = zeroed(total, SynapseType::Excitatory, "synapses")?;
        // cap counts each row's synapses placed so far; at the end it is len.
        for i in 0..total {
            let s = list.source[i] as usize;
            let r = &mut rows[s];
            let pos = r.start + r.cap as usize;
            r.cap += 1;
            target[pos] = list.target[i];
            weight[pos] = list.weight[i];
            psp[pos] = list.psp[i];
            synapse_type[pos] = list.synapse_type[i];
        }
        Ok(SynapseArray {
            rows,
            target,
            weight,
            psp,
            synapse_type,
            live: total,
            garbage: 0,
            version: 0,
            stamp: Vec::new(),
            stamped: false,
        })
    }

    /// Makes room in the row table for sources `0..sources`.
    pub fn ensure_sources(&mut self, sources: usize) {
        if self.rows.len() < sources {
            self.version += 1;
            self.rows.resize(sources, RowEntry::default());
        }
    }

    /// Number of source neurons the row table covers (ids `0..source_count()`).
    pub fn source_count(&self) -> usize {
        self.rows.len()
    }

    /// Number of valid synapses.
    pub fn len(&self) -> usize {
        self.live
    }

    /// True when no valid synapse remains.
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// The outgoing synapse count of `source` (0 for an unknown source).
    #[inline]
    pub fn outgoing_count(&self, source: NeuronId) -> u32 {
        self.rows.get(source as usize).map_or(0, |r| r.len)
    }

    /// The row of `source` (empty for an unknown source).
    #[inline]
    pub fn row(&self, source: NeuronId) -> SynapseRow<'_> {
        let Some(&RowEntry { start, len, .. }) = self.rows.get(source as usize) else {
            return SynapseRow {
                target: &[],
                weight: &[],
                psp: &[],
                synapse_type: &[],
            };
        };
        let end = start + len as usize;
        SynapseRow {
            target: &self.target[start..end],
            weight: &self.weight[start..end],
            psp: &self.psp[start..end],
            synapse_type: &self.synapse_type[start..end],
        }
    }

    /// Asks the CPU to start loading `source`'s entry of the row table, so
    /// that [`Self::prefetch_row`] a few sources later finds it in cache (a
    /// hint only: it never faults and changes nothing).
    #[inline]
    pub fn prefetch_entry(&self, source: NeuronId) {
        prefetch(self.rows.as_ptr().wrapping_add(source as usize));
    }

    /// Asks the CPU to start loading the first and last cache line of each of
    /// the row's arrays (the hardware follows the lines between), so a row
    /// needed a few sources later is in cache by then (a hint only: it never
    /// faults and changes nothing).
    #[inline]
    pub fn prefetch_row(&self, source: NeuronId) {
        if let Some(&RowEntry { start, len, .. }) = self.rows.get(source as usize) {
            if len > 0 {
                let last = start + len as usize - 1;
                prefetch(self.target.as_ptr().wrapping_add(start));
                prefetch(self.target.as_ptr().wrapping_add(last));
                prefetch(self.weight.as_ptr().wrapping_add(start));
                prefetch(self.weight.as_ptr().wrapping_add(last));
                prefetch(self.psp.as_ptr().wrapping_add(start));
                prefetch(self.psp.as_ptr().wrapping_add(last));
                prefetch(self.synapse_type.as_ptr().wrapping_add(start));
                prefetch(self.synapse_type.as_ptr().wrapping_add(last));
            }
        }
    }

    /// Appends one synapse to the end of its source's row. The row table must
    /// already cover `source` ([`Self::ensure_sources`]).
    pub fn push(
        &mut self,
        source: NeuronId,
        target: NeuronId,
        weight: u8,
        psp: u8,
        ty: SynapseType,
    ) {
        let s = source as usize;
        let len = self.rows[s].len;
        if len == self.rows[s].cap {
            self.grow_row(s, len as usize + 1);
        }
        let pos = self.rows[s].start + len as usize;
        self.target[pos] = target;
        self.weight[pos] = weight;
        self.psp[pos] = psp;
        self.synapse_type[pos] = ty;
        if self.stamped {
            self.stamp[pos] = 0;
        }
        self.rows[s].len = len + 1;
        self.live += 1;
        self.version += 1;
    }

    /// Appends many synapses in input order. Each touched row grows at most
    /// once, so a batch sorted by source lays its rows out without slack.
    /// All slices must have equal length and the row table must cover every source.
    pub fn push_batch(
        &mut self,
        sources: &[NeuronId],
        targets: &[NeuronId],
        weights: &[u8],
        psps: &[u8],
        types: &[SynapseType],
    ) {
        let mut sorted = sources.to_vec();
        sorted.sort_unstable();
        for run in sorted.chunk_by(|a, b| a == b) {
            let s = run[0] as usize;
            let needed = self.rows[s].len as usize + run.len();
            if needed > self.rows[s].cap as usize {
                self.grow_row(s, needed);
            }
        }
        for i in 0..sources.len() {
            self.push(sources[i], targets[i], weights[i], psps[i], types[i]);
        }
    }

    /// Gives row `s` room for at least `needed` synapses.
    fn grow_row(&mut self, s: usize, needed: usize) {
        let arena = self.target.len();
        let (start, len, cap) = (
            self.rows[s].start,
            self.rows[s].len as usize,
            self.rows[s].cap as usize,
        );
        if cap == 0 || start + cap == arena {
            // A fresh row, or the last row of the arena: grow in place at the end.
            if cap == 0 {
                self.rows[s].start = arena;
                self.resize_arena(arena + needed);
            } else {
                self.resize_arena(start + needed);
            }
            self.rows[s].cap = needed as u32;
        } else {
            let new_cap = needed.max(cap * 2).max(4);
            self.resize_arena(arena + new_cap);
            self.target.copy_within(start..start + len, arena);
            self.weight.copy_within(start..start + len, arena);
            self.psp.copy_within(start..start + len, arena);
            self.synapse_type.copy_within(start..start + len, arena);
            if self.stamped {
                self.stamp.copy_within(start..start + len, arena);
            }
            self.rows[s].start = arena;
            self.rows[s].cap = new_cap as u32;
            self.garbage += cap;
        }
    }

    fn resize_arena(&mut self, len: usize) {
        self.target.resize(len, 0);
        self.weight.resize(len, 0);
        self.psp.resize(len, 0);
        self.synapse_type.resize(len, SynapseType::Excitatory);
        if self.stamped {
            self.stamp.resize(len, 0);
        }
    }

    /// Removes every synapse `source -> target`; returns how many there were.
    pub fn remove(&mut self, source: NeuronId, target: NeuronId) -> usize {
        let s = source as usize;
        if s >= self.rows.len() {
            return 0;
        }
        let start = self.rows[s].start;
        let len = self.rows[s].len as usize;
        let mut kept = 0;
        for i in 0..len {
            let p = start + i;
            if self.target[p] != target {
                let q = start + kept;
                self.target[q] = self.target[p];
                self.weight[q] = self.weight[p];
                self.psp[q] = self.psp[p];
                self.synapse_type[q] = self.synapse_type[p];
                if self.stamped {
                    self.stamp[q] = self.stamp[p];
                }
                kept += 1;
            }
        }
        let removed = len - kept;
        self.rows[s].len = kept as u32;
        self.live -= removed;
        if removed > 0 {
            self.version += 1;
        }
        removed
    }

    /// Sets the weight of every synapse `source -> target`; returns how many changed.
    pub fn set_weight(&mut self, source: NeuronId, target: NeuronId, weight: u8) -> usize {
        let s = source as usize;
        if s >= self.rows.len() {
            return 0;
        }
        let start = self.rows[s].start;
        let mut n = 0;
        for p in start..start + self.rows[s].len as usize {
            if self.target[p] == target {
                self.weight[p] = weight;
                n += 1;
            }
        }
        n
    }

    /// The structure version: it changes whenever synapses are added, removed
    /// or shifted within a row, or sources are added; weight and PSP changes
    /// and compaction (which keeps positions within rows) leave it as it is.
    pub fn structure_version(&self) -> u64 {
        self.version
    }

    /// The weights of `source`'s row, mutable, in row order (empty for an
    /// unknown source). Positions within a row are stable until a removal.
    #[inline]
    pub fn row_weights_mut(&mut self, source: NeuronId) -> &mut [u8] {
        let s = source as usize;
        match self.rows.get(s).map(|r| (r.start, r.len)) {
            Some((start, len)) => &mut self.weight[start..start + len as usize],
            _ => &mut [],
        }
    }

    /// Gives every synapse a stamp (0), kept from now on; see [`Self::row_stamped_mut`].
    pub fn enable_stamps(&mut self) {
        if !self.stamped {
            self.stamp = vec![0; self.target.len()];
            self.stamped = true;
        }
    }

    /// Whether synapses carry stamps.
    pub fn has_stamps(&self) -> bool {
        self.stamped
    }

    /// The targets (read-only), weights and stamps (mutable) of `source`'s
    /// row, in row order; empty for an unknown source or without stamps.
    #[inline]
    pub fn row_stamped_mut(&mut self, source: NeuronId) -> (&[NeuronId], &mut [u8], &mut [u32]) {
        self.stamped_rows_mut().into_row(source).unwrap_or_default()
    }

    /// Every row's targets, weights and stamps as a view that can be split
    /// into disjoint parts of the arena, so that threads can update the rows
    /// of different sources at once (see [`StampedRowsMut`]). Empty without stamps.
    pub fn stamped_rows_mut(&mut self) -> StampedRowsMut<'_> {
        let n = if self.stamped { self.target.len() } else { 0 };
        StampedRowsMut {
            rows: &self.rows,
            offset: 0,
            target: &self.target[..n],
            weight: &mut self.weight[..n],
            stamp: &mut self.stamp[..n],
        }
    }

    /// The stamps of `source`'s row (empty without stamps).
    #[inline]
    pub fn row_stamps(&self, source: NeuronId) -> &[u32] {
        let s = source as usize;
        match self.rows.get(s).map(|r| (r.start, r.len)) {
            Some((start, len)) if self.stamped => &self.stamp[start..start + len as usize],
            _ => &[],
        }
    }

    /// Sets the PSP of every synapse leaving `source`.
    pub fn set_row_psp(&mut self, source: NeuronId, psp: u8) {
        let s = source as usize;
        if s < self.rows.len() {
            let start = self.rows[s].start;
            self.psp[start..start + self.rows[s].len as usize].fill(psp);
        }
    }

    /// Every synapse ending at `target` as (source, position in its row),
    /// sources ascending and, per source, in creation order. Scans all rows: a
    /// query, not a burst-path operation.
    pub fn incoming(&self, target: NeuronId) -> impl Iterator<Item = (NeuronId, usize)> + '_ {
        (0..self.rows.len() as NeuronId).flat_map(move |s| {
            let row = self.row(s);
            (0..row.len())
                .filter(move |&i| row.target[i] == target)
                .map(move |i| (s, i))
        })
    }

    /// Rewrites the arena with rows in source order and no slack.
    pub fn compact(&mut self) {
        let mut out = SynapseArray::with_capacity(self.rows.len(), self.live);
        out.ensure_sources(self.rows.len());
        for s in 0..self.rows.len() {
            let row = self.row(s as NeuronId);
            out.rows[s].start = out.target.len();
            out.rows[s].len = row.len() as u32;
            out.rows[s].cap = row.len() as u32;
            out.target.extend_from_slice(row.target);
            out.weight.extend_from_slice(row.weight);
            out.psp.extend_from_slice(row.psp);
            out.synapse_type.extend_from_slice(row.synapse_type);
            if self.stamped {
                let start = self.rows[s].start;
                out.stamp
                    .extend_from_slice(&self.stamp[start..start + row.len()]);
            }
        }
        out.live = self.live;
        // Positions within rows are kept, but the version must still move on.
        out.version = self.version + 1;
        out.stamped = self.stamped;
        *self = out;
    }

    /// Compacts when abandoned space exceeds the live synapses (amortised O(1)
    /// per mutation). Returns whether it compacted.
    pub fn compact_if_sparse(&mut self) -> bool {
        if self.garbage > self.live.max(1 << 16) {
            self.compact();
            true
        } else {
            false
        }
    }
}

/// The targets (read-only), weights and stamps (mutable) of the rows that lie
/// in one part of the synapse arena. [`Self::split_at_row`] cuts a view in
/// two at a row boundary; rows never overlap, so each part can be handed to a
/// different thread, which then updates the rows it holds.
#[derive(Debug)]
pub struct StampedRowsMut<'a> {
    rows: &'a [RowEntry],
    /// Arena position of this part's first element.
    offset: usize,
    target: &'a [NeuronId],
    weight: &'a mut [u8],
    stamp: &'a mut [u32],
}

impl<'a> StampedRowsMut<'a> {
    /// The arena range of `source`'s row relative to this part, when the
    /// row is non-empty and lies inside it.
    #[inline]
    fn local(&self, source: NeuronId) -> Option<std::ops::Range<usize>> {
        let s = source as usize;
        let r = self.rows.get(s)?;
        let start = r.start.checked_sub(self.offset)?;
        let len = r.len as usize;
        (len > 0 && start + len <= self.target.len()).then(|| start..start + len)
    }

    /// Targets, weights and stamps of `source`'s row, in row order, when the
    /// row is non-empty and held by this part.
    #[inline]
    pub fn row(&mut self, source: NeuronId) -> Option<(&[NeuronId], &mut [u8], &mut [u32])> {
        let r = self.local(source)?;
        Some((
            &self.target[r.clone()],
            &mut self.weight[r.clone()],
            &mut self.stamp[r],
        ))
    }

    /// [`Self::row`], consuming the view: the row borrows for the view's lifetime.
    pub fn into_row(
        self,
        source: NeuronId,
    ) -> Option<(&'a [NeuronId], &'a mut [u8], &'a mut [u32])> {
        let r = self.local(source)?;
        let StampedRowsMut {
            target,
            weight,
            stamp,
            ..
        } = self;
        Some((&target[r.clone()], &mut weight[r.clone()], &mut stamp[r]))
    }

    /// Whether this part holds `source`'s (non-empty) row.
    #[inline]
    pub fn holds(&self, source: NeuronId) -> bool {
        self.local(source).is_some()
    }

    /// Prefetches every cache line of `source`'s row (a hint only).
    #[inline]
    pub fn prefetch_row(&self, source: NeuronId) {
        if let Some(r) = self.local(source) {
            for k in r.clone().step_by(16) {
                prefetch(self.target.as_ptr().wrapping_add(k));
                prefetch(self.stamp.as_ptr().wrapping_add(k));
            }
            for k in r.step_by(64) {
                prefetch(self.weight.as_ptr().wrapping_add(k));
            }
        }
    }

    /// Splits at the start of `source`'s row: the first part holds the rows
    /// before it, the second that row and the rows after it. When this part
    /// does not hold that row, the first part is everything and the second empty.
    pub fn split_at_row(self, source: NeuronId) -> (StampedRowsMut<'a>, StampedRowsMut<'a>) {
        let at = self.local(source).map_or(self.target.len(), |r| r.start);
        let (t0, t1) = self.target.split_at(at);
        let (w0, w1) = self.weight.split_at_mut(at);
        let (s0, s1) = self.stamp.split_at_mut(at);
        (
            StampedRowsMut {
                rows: self.rows,
                offset: self.offset,
                target: t0,
                weight: w0,
                stamp: s0,
            },
            StampedRowsMut {
                rows: self.rows,
                offset: self.offset + at,
                target: t1,
                weight: w1,
                stamp: s1,
            },
        )
    }
}

/// A read prefetch hint on x86_64; nothing elsewhere. Used by the burst
/// engine's synapse rows and by the benchmark's ideal kernel.
#[inline(always)]
#[allow(unsafe_code)] // The one unsafe block of the engine (see the workspace lints).
pub fn prefetch<T>(ptr: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint; it never dereferences or faults, whatever the address.
    unsafe {
        std::arch::x86_64::_mm_prefetch(ptr as *const i8, std::arch::x86_64::_MM_HINT_T0);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = ptr;
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rows(a: &SynapseArray) -> Vec<Vec<(u32, u8)>> {
        (0..a.source_count())
            .map(|s| {
                let r = a.row(s as u32);
                r.target
                    .iter()
                    .copied()
                    .zip(r.weight.iter().copied())
                    .collect()
            })
            .collect()
    }

    #[test]
    fn stamps_move_with_their_synapses() {
        let mut a = SynapseArray::default();
        a.ensure_sources(3);
        a.enable_stamps();
        let stamp = |a: &mut SynapseArray, s: u32, pos: usize, v: u32| {
            a.row_stamped_mut(s).2[pos] = v;
        };
        for t in 0..3 {
            a.push(0, t, 1, 1, SynapseType::Excitatory);
            stamp(&mut a, 0, t as usize, 10 + t);
        }
        a.push(1, 0, 1, 1, SynapseType::Excitatory);
        stamp(&mut a, 1, 0, 99);
        // Row 0 grows past its capacity: it moves, stamps with it.
        for t in 0..3 {
            a.push(0, t, 1, 1, SynapseType::Excitatory);
        }
        assert_eq!(a.row_stamps(0), [10, 11, 12, 0, 0, 0]);
        let v0 = a.structure_version();
        assert_eq!(a.remove(0, 1), 2);
        assert_eq!(a.row_stamps(0), [10, 12, 0, 0]);
        assert!(a.structure_version() > v0);
        let v1 = a.structure_version();
        a.compact();
        assert_eq!(a.row_stamps(0), [10, 12, 0, 0]);
        assert_eq!(a.row_stamps(1), [99]);
        assert!(
            a.structure_version() > v1,
            "compaction moves rows: a new version"
        );
        assert!(a.has_stamps());
    }

    #[test]
    fn from_list_refuses_bad_lists_without_panicking() {
        let mut l = SynapseList::default();
        l.push(3, 0, 1, 1, SynapseType::Excitatory);
        let e = SynapseArray::try_from_list(&l, 3).unwrap_err();
        assert!(e.contains("source 3"), "{e}");
        l.weight.pop();
        assert!(SynapseArray::try_from_list(&l, 4).is_err());
        // More rows than memory can hold is an error, not an abort.
        let e = SynapseArray::try_from_list(&SynapseList::default(), usize::MAX / 2).unwrap_err();
        assert!(e.contains("cannot allocate"), "{e}");
    }

    #[test]
    fn from_list_keeps_creation_order_per_source() {
        let mut l = SynapseList::default();
        l.push(2, 0, 1, 1, SynapseType::Excitatory);
        l.push(0, 1, 2, 1, SynapseType::Excitatory);
        l.push(2, 1, 3, 1, SynapseType::Inhibitory);
        l.push(0, 0, 4, 1, SynapseType::Excitatory);
        let a = SynapseArray::try_from_list(&l, 3).unwrap();
        assert_eq!(
            rows(&a),
            vec![vec![(1, 2), (0, 4)], vec![], vec![(0, 1), (1, 3)]]
        );
        assert_eq!(a.len(), 4);
        assert_eq!(a.outgoing_count(2), 2);
        assert_eq!(a.row(2).synapse_type[1], SynapseType::Inhibitory);
        let incoming: Vec<_> = a
            .incoming(1)
            .map(|(s, i)| {
                let r = a.row(s);
                (s, r.weight[i], r.psp[i], r.synapse_type[i])
            })
            .collect();
        assert_eq!(
            incoming,
            vec![
                (0, 2, 1, SynapseType::Excitatory),
                (2, 3, 1, SynapseType::Inhibitory)
            ]
        );
    }

    #[test]
    fn remove_and_reweight_touch_only_matching_synapses() {
        let mut a = SynapseArray::default();
        a.ensure_sources(3);
        for (s, t) in [(0, 1), (0, 2), (0, 1), (1, 2)] {
            a.push(s, t, 5, 1, SynapseType::Excitatory);
        }
        assert_eq!(a.set_weight(0, 1, 9), 2);
        assert_eq!(a.remove(0, 1), 2);
        assert_eq!(rows(&a), vec![vec![(2, 5)], vec![(2, 5)], vec![]]);
        assert_eq!(a.len(), 2);
        assert_eq!(a.remove(0, 7), 0);
        // Spare capacity is reused for the next push to the row.
        a.push(0, 0, 3, 1, SynapseType::Excitatory);
        assert_eq!(rows(&a)[0], vec![(2, 5), (0, 3)]);
    }

    proptest! {
        // Any sequence of pushes, batches, removals and compactions leaves the
        // same rows as a naive per-source vector model.
        #[test]
        fn rows_match_a_naive_model(ops in proptest::collection::vec((0u8..4, 0u32..6, 0u32..6, any::<u8>()), 1..200)) {
            let mut a = SynapseArray::default();
            a.ensure_sources(6);
            let mut model: Vec<Vec<(u32, u8)>> = vec![Vec::new(); 6];
            for (op, s, t, w) in ops {
                match op {
                    0 => { a.push(s, t, w, 1, SynapseType::Excitatory); model[s as usize].push((t, w)); }
                    1 => {
                        let srcs = [s, t, s];
                        a.push_batch(&srcs, &[t, s, 0], &[w, w, 1], &[1; 3], &[SynapseType::Excitatory; 3]);
                        model[s as usize].push((t, w));
                        model[t as usize].push((s, w));
                        model[s as usize].push((0, 1));
                    }
                    2 => {
                        let n = a.remove(s, t);
                        let before = model[s as usize].len();
                        model[s as usize].retain(|&(x, _)| x != t);
                        prop_assert_eq!(n, before - model[s as usize].len());
                    }
                    _ => { a.compact(); }
                }
                prop_assert_eq!(rows(&a), model.clone());
                prop_assert_eq!(a.len(), model.iter().map(Vec::len).sum::<usize>());
            }
        }
    }

    #[test]
    fn split_views_hold_disjoint_rows() {
        let mut a = SynapseArray::with_capacity(4, 8);
        a.ensure_sources(4);
        for (s, d) in [(0, 1), (2, 3), (0, 2), (3, 0), (1, 1), (2, 2)] {
            a.push(s, d, 10, 1, SynapseType::Excitatory);
        }
        a.enable_stamps();
        let rows = a.stamped_rows_mut();
        let (mut low, mut high) = rows.split_at_row(2);
        // Every non-empty row is in exactly one part, whole.
        for s in 0..4 {
            assert!(low.holds(s) != high.holds(s), "row {s}");
        }
        let (_, w, st) = high.row(2).expect("row 2 starts the high part");
        w.fill(7);
        st.fill(5);
        assert!(low.row(2).is_none());
        let (_, w, _) = low.row(0).or_else(|| high.row(0)).expect("row 0");
        w[0] = 1;
        assert_eq!(a.row(2).weight, [7, 7]);
        assert_eq!(a.row_stamps(2), [5, 5]);
        assert_eq!(a.row(0).weight, [1, 10]);
        // A split at a row the view does not hold keeps everything low.
        let (low, high) = a.stamped_rows_mut().split_at_row(99);
        assert!((0..4).all(|s| low.holds(s) && !high.holds(s)));
    }
}
