//! Neuron storage (SPEC §2.3), laid out for the burst: what UPDATE reads and
//! writes lives in one 32-byte record per neuron ([`NeuronRecord`]: V, the
//! refractory countdown and consecutive count, and every parameter of the
//! dynamics), so a candidate's update touches one cache line; the fields only
//! queries and learning read (area, x, y, z) are separate columns.
//!
//! Phase 0 (SPEC §4.1) sets V of the last burst's non-accumulating
//! candidates to 0. Rather than visit them again, the dynamics store that 0
//! in the record at once and keep the value observers must see until the
//! next burst starts (the potential before the reset) in a short side list,
//! [`DeferredResets`]; [`NeuronArray::membrane_potential`] and every other
//! reader of V go through it. Phase 0 then only empties the list.
//!
//! **Invariant:** the records and every column of a [`NeuronArray`] have the
//! same length, the neuron count. The fields are private and neurons are only
//! appended through [`NeuronArray::push`], so the invariant holds by
//! construction; the burst phases get a fixed-length slice of records
//! ([`NeuronArray::records_mut`]) whose parameters they can read but only the
//! dynamic state they can change.
use std::collections::TryReserveError;

use crate::units;
use crate::AreaIndex;
use crate::NeuronId;

/// The static parameters of one neuron, in internal units.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NeuronParams {
    /// Firing threshold (gene `firing_threshold` plus the voxel's increment).
    pub threshold: f32,
    /// Gene form: 0 means no limit.
    pub threshold_limit: f32,
    /// Leak coefficient in [0, 1].
    pub leak: f32,
    /// Firing probability in [0, 1].
    pub excitability: f32,
    /// Bursts a neuron ignores input after firing.
    pub refractory_period: u16,
    /// Consecutive fires allowed before the snooze (gene
    /// `consecutive_fire_cnt_max`); 0 and 65535 mean unlimited.
    pub consecutive_fire_limit: u16,
    /// Bursts of extra refractoriness after reaching the consecutive-fire limit.
    pub snooze_period: u16,
    /// Whether V is kept from burst to burst instead of reset.
    pub mp_charge_accumulation: bool,
}

impl Default for NeuronParams {
    fn default() -> Self {
        NeuronParams {
            threshold: 1.0,
            threshold_limit: 0.0,
            leak: 0.0,
            excitability: 1.0,
            refractory_period: 0,
            consecutive_fire_limit: 0,
            snooze_period: 0,
            mp_charge_accumulation: false,
        }
    }
}

/// What phase 0 and UPDATE (SPEC §4.4) read and write of one neuron, in one
/// 32-byte, 32-aligned record (one cache line holds two): the dynamic state
/// (V, refractory countdown, consecutive fire count) and the parameters in
/// internal units. Parameters are read-only outside [`NeuronArray`]; the
/// state has setters for the burst phases.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C, align(32))]
pub struct NeuronRecord {
    potential: f32,
    threshold: f32,
    threshold_limit: f32,
    leak: f32,
    excitability: f32,
    refractory_countdown: u16,
    consecutive_fire_count: u16,
    refractory_period: u16,
    consecutive_fire_limit: u16,
    snooze_period: u16,
    mp_charge_accumulation: bool,
}

impl Default for NeuronRecord {
    fn default() -> Self {
        NeuronRecord::new(&NeuronParams::default())
    }
}

impl NeuronRecord {
    /// A neuron with `p` in its initial state (V 0, countdown 0, count 0).
    fn new(p: &NeuronParams) -> Self {
        let mut r = NeuronRecord {
            potential: 0.0,
            threshold: 0.0,
            threshold_limit: 0.0,
            leak: 0.0,
            excitability: 0.0,
            refractory_countdown: 0,
            consecutive_fire_count: 0,
            refractory_period: 0,
            consecutive_fire_limit: 0,
            snooze_period: 0,
            mp_charge_accumulation: false,
        };
        r.set_params(p);
        r
    }

    fn set_params(&mut self, p: &NeuronParams) {
        self.threshold = p.threshold;
        self.threshold_limit = units::threshold_limit_from_gene(p.threshold_limit);
        self.leak = p.leak;
        self.excitability = p.excitability;
        self.refractory_period = p.refractory_period;
        self.consecutive_fire_limit = p.consecutive_fire_limit;
        self.snooze_period = p.snooze_period;
        self.mp_charge_accumulation = p.mp_charge_accumulation;
    }

    /// V, the membrane potential.
    #[inline(always)]
    pub fn potential(&self) -> f32 {
        self.potential
    }
    /// Firing threshold.
    #[inline(always)]
    pub fn threshold(&self) -> f32 {
        self.threshold
    }
    /// Threshold limit; +inf when the neuron has none (see
    /// [`units::threshold_limit_from_gene`]).
    #[inline(always)]
    pub fn threshold_limit(&self) -> f32 {
        self.threshold_limit
    }
    /// Leak coefficient in [0, 1].
    #[inline(always)]
    pub fn leak(&self) -> f32 {
        self.leak
    }
    /// Firing probability in [0, 1].
    #[inline(always)]
    pub fn excitability(&self) -> f32 {
        self.excitability
    }
    /// Remaining refractory (and snooze) bursts.
    #[inline(always)]
    pub fn refractory_countdown(&self) -> u16 {
        self.refractory_countdown
    }
    /// Consecutive fires so far.
    #[inline(always)]
    pub fn consecutive_fire_count(&self) -> u16 {
        self.consecutive_fire_count
    }
    /// Refractory period.
    #[inline(always)]
    pub fn refractory_period(&self) -> u16 {
        self.refractory_period
    }
    /// Consecutive-fire limit (0 and 65535 = unlimited).
    #[inline(always)]
    pub fn consecutive_fire_limit(&self) -> u16 {
        self.consecutive_fire_limit
    }
    /// Snooze period.
    #[inline(always)]
    pub fn snooze_period(&self) -> u16 {
        self.snooze_period
    }
    /// Whether V is kept from burst to burst instead of reset.
    #[inline(always)]
    pub fn mp_charge_accumulation(&self) -> bool {
        self.mp_charge_accumulation
    }

    /// Sets V.
    #[inline(always)]
    pub fn set_potential(&mut self, v: f32) {
        self.potential = v;
    }
    /// Sets the refractory countdown.
    #[inline(always)]
    pub fn set_refractory_countdown(&mut self, c: u16) {
        self.refractory_countdown = c;
    }
    /// Sets the consecutive fire count.
    #[inline(always)]
    pub fn set_consecutive_fire_count(&mut self, c: u16) {
        self.consecutive_fire_count = c;
    }
}

/// The non-accumulating neurons the last burst's dynamics left with a V other
/// than +0.0, ascending id, with that V. Their records already hold the +0.0
/// that the next burst's phase 0 would give them; until that phase 0 (which
/// empties the list) readers of V see the value kept here.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DeferredResets {
    ids: Vec<NeuronId>,
    potentials: Vec<f32>,
}

impl DeferredResets {
    /// Adds neuron `id` (above every id held) with the V observers see.
    #[inline]
    pub fn push(&mut self, id: NeuronId, v: f32) {
        debug_assert!(self.ids.last().is_none_or(|&last| last < id));
        self.ids.push(id);
        self.potentials.push(v);
    }

    /// Appends the entries of another list whose ids all follow these.
    pub fn append(&mut self, other: &DeferredResets) {
        self.ids.extend_from_slice(&other.ids);
        self.potentials.extend_from_slice(&other.potentials);
    }

    /// Empties the list (phase 0), keeping its allocation.
    pub fn clear(&mut self) {
        self.ids.clear();
        self.potentials.clear();
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The V observers see for neuron `id`, when the list holds it.
    pub fn get(&self, id: usize) -> Option<f32> {
        let id = NeuronId::try_from(id).ok()?;
        self.ids.binary_search(&id).ok().map(|k| self.potentials[k])
    }
}

/// Every per-neuron field of SPEC §2.3: the records of the dynamics plus the
/// area and voxel columns, indexed by neuron id. See the module docs for the
/// length invariant and the deferred resets.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NeuronArray {
    records: Vec<NeuronRecord>,
    deferred: DeferredResets,
    area: Vec<AreaIndex>,
    /// Maximal runs of consecutive ids in one area, as (first id, area),
    /// ascending: the area column run-length encoded, so that a walk over
    /// ascending ids finds areas without reading `area` ([`AreaCursor`]).
    area_runs: Vec<(NeuronId, AreaIndex)>,
    x: Vec<u32>,
    y: Vec<u32>,
    z: Vec<u32>,
}

/// One field of every neuron, read-only, as a view over the records: what the
/// per-field getters of [`NeuronArray`] return. Indexable like a slice
/// (`column[i]`), with `len`, `iter`, `to_vec` and comparison with slices.
#[derive(Clone, Copy)]
pub struct Column<'a, T> {
    records: &'a [NeuronRecord],
    field: fn(&NeuronRecord) -> &T,
    /// Values that replace the records' for these ids (ascending): the
    /// deferred resets, for V; empty for every other field.
    overlay_ids: &'a [NeuronId],
    overlay: &'a [T],
}

impl<'a, T: Copy + 'a> Column<'a, T> {
    /// The number of neurons.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether there are no neurons.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The value of neuron `i`, if it exists.
    pub fn get(&self, i: usize) -> Option<T> {
        (i < self.len()).then(|| self[i])
    }

    /// The values in neuron order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = T> + 'a {
        let (field, ids, overlay) = (self.field, self.overlay_ids, self.overlay);
        let mut next = 0;
        self.records.iter().enumerate().map(move |(i, r)| {
            if ids.get(next).is_some_and(|&id| id as usize == i) {
                next += 1;
                overlay[next - 1]
            } else {
                *field(r)
            }
        })
    }

    /// The values as a vector.
    pub fn to_vec(&self) -> Vec<T> {
        self.iter().collect()
    }
}

impl<T> std::ops::Index<usize> for Column<'_, T> {
    type Output = T;
    #[inline]
    fn index(&self, i: usize) -> &T {
        let r = &self.records[i];
        if !self.overlay_ids.is_empty() {
            if let Ok(k) = self.overlay_ids.binary_search(&(i as NeuronId)) {
                return &self.overlay[k];
            }
        }
        (self.field)(r)
    }
}

impl<T: Copy + std::fmt::Debug> std::fmt::Debug for Column<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<T: Copy + PartialEq> PartialEq<[T]> for Column<'_, T> {
    fn eq(&self, other: &[T]) -> bool {
        self.len() == other.len() && self.iter().zip(other).all(|(a, b)| a == *b)
    }
}

impl<T: Copy + PartialEq> PartialEq<&[T]> for Column<'_, T> {
    fn eq(&self, other: &&[T]) -> bool {
        *self == **other
    }
}

impl<T: Copy + PartialEq, const N: usize> PartialEq<[T; N]> for Column<'_, T> {
    fn eq(&self, other: &[T; N]) -> bool {
        *self == other[..]
    }
}

impl<T: Copy + PartialEq, const N: usize> PartialEq<&[T; N]> for Column<'_, T> {
    fn eq(&self, other: &&[T; N]) -> bool {
        *self == other[..]
    }
}

impl<T: Copy + PartialEq> PartialEq<Vec<T>> for Column<'_, T> {
    fn eq(&self, other: &Vec<T>) -> bool {
        *self == other[..]
    }
}

impl<T: Copy + PartialEq> PartialEq for Column<'_, T> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

/// Every column of a [`NeuronArray`], owned: the form a saved brain is read
/// back into ([`NeuronArray::from_columns`]) and [`NeuronArray::to_columns`]
/// gives.
#[derive(Clone, Debug, Default, PartialEq)]
#[allow(missing_docs)] // The columns of NeuronArray, documented on its getters.
pub struct NeuronColumns {
    pub membrane_potential: Vec<f32>,
    pub threshold: Vec<f32>,
    pub threshold_limit: Vec<f32>,
    pub leak: Vec<f32>,
    pub excitability: Vec<f32>,
    pub refractory_period: Vec<u16>,
    pub refractory_countdown: Vec<u16>,
    pub consecutive_fire_limit: Vec<u16>,
    pub consecutive_fire_count: Vec<u16>,
    pub snooze_period: Vec<u16>,
    pub mp_charge_accumulation: Vec<bool>,
    pub area: Vec<AreaIndex>,
    pub x: Vec<u32>,
    pub y: Vec<u32>,
    pub z: Vec<u32>,
}

impl NeuronArray {
    /// The array of `columns`, which must all have the same length (the
    /// column values are taken as they are, e.g. a threshold limit of +inf
    /// for "none"); otherwise the length that differs. Fails without
    /// aborting when the records cannot be allocated.
    pub fn from_columns(c: NeuronColumns) -> Result<Self, String> {
        let n = c.membrane_potential.len();
        let lengths = [
            c.threshold.len(),
            c.threshold_limit.len(),
            c.leak.len(),
            c.excitability.len(),
            c.refractory_period.len(),
            c.refractory_countdown.len(),
            c.consecutive_fire_limit.len(),
            c.consecutive_fire_count.len(),
            c.snooze_period.len(),
            c.mp_charge_accumulation.len(),
            c.area.len(),
            c.x.len(),
            c.y.len(),
            c.z.len(),
        ];
        if let Some(bad) = lengths.iter().find(|&&l| l != n) {
            return Err(format!("neuron columns of {n} and {bad} entries"));
        }
        let mut records = Vec::new();
        records.try_reserve_exact(n).map_err(|_| {
            format!(
                "cannot allocate {} bytes of memory for {n} neurons",
                n as u128 * std::mem::size_of::<NeuronRecord>() as u128
            )
        })?;
        records.extend((0..n).map(|i| NeuronRecord {
            potential: c.membrane_potential[i],
            threshold: c.threshold[i],
            threshold_limit: c.threshold_limit[i],
            leak: c.leak[i],
            excitability: c.excitability[i],
            refractory_countdown: c.refractory_countdown[i],
            consecutive_fire_count: c.consecutive_fire_count[i],
            refractory_period: c.refractory_period[i],
            consecutive_fire_limit: c.consecutive_fire_limit[i],
            snooze_period: c.snooze_period[i],
            mp_charge_accumulation: c.mp_charge_accumulation[i],
        }));
        let mut area_runs: Vec<(NeuronId, AreaIndex)> = Vec::new();
        for (i, &a) in c.area.iter().enumerate() {
            if area_runs.last().is_none_or(|&(_, last)| last != a) {
                area_runs.push((i as NeuronId, a));
            }
        }
        Ok(NeuronArray {
            records,
            deferred: DeferredResets::default(),
            area_runs,
            area: c.area,
            x: c.x,
            y: c.y,
            z: c.z,
        })
    }

    /// Every field as an owned column (a copy; [`Self::from_columns`] of it
    /// gives this array back).
    pub fn to_columns(&self) -> NeuronColumns {
        NeuronColumns {
            membrane_potential: self.membrane_potential().to_vec(),
            threshold: self.threshold().to_vec(),
            threshold_limit: self.threshold_limit().to_vec(),
            leak: self.leak().to_vec(),
            excitability: self.excitability().to_vec(),
            refractory_period: self.refractory_period().to_vec(),
            refractory_countdown: self.refractory_countdown().to_vec(),
            consecutive_fire_limit: self.consecutive_fire_limit().to_vec(),
            consecutive_fire_count: self.consecutive_fire_count().to_vec(),
            snooze_period: self.snooze_period().to_vec(),
            mp_charge_accumulation: self.mp_charge_accumulation().to_vec(),
            area: self.area.clone(),
            x: self.x.clone(),
            y: self.y.clone(),
            z: self.z.clone(),
        }
    }

    /// The x, y and z columns.
    pub fn voxel_columns(&self) -> [&[u32]; 3] {
        [&self.x, &self.y, &self.z]
    }

    /// Reserves room for `additional` more neurons in the records and every
    /// column, or fails without changing the array's contents.
    pub fn try_reserve(&mut self, additional: usize) -> Result<(), TryReserveError> {
        self.records.try_reserve(additional)?;
        self.area.try_reserve(additional)?;
        self.x.try_reserve(additional)?;
        self.y.try_reserve(additional)?;
        self.z.try_reserve(additional)
    }

    /// Reserves room for `additional` more neurons where memory allows; a
    /// capacity hint, so failing to reserve is not an error.
    pub fn reserve_hint(&mut self, additional: usize) {
        let _ = self.try_reserve(additional);
    }

    /// The number of neurons.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether there are no neurons.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Appends a neuron in its initial state (V 0, countdown 0, count 0) and
    /// returns its id.
    pub fn push(
        &mut self,
        params: &NeuronParams,
        area: AreaIndex,
        [x, y, z]: [u32; 3],
    ) -> NeuronId {
        let id = self.len() as NeuronId;
        self.records.push(NeuronRecord::new(params));
        if self.area.last() != Some(&area) {
            self.area_runs.push((id, area));
        }
        self.area.push(area);
        self.x.push(x);
        self.y.push(y);
        self.z.push(z);
        id
    }

    /// Overwrites the static parameters of neuron `i`, keeping its dynamic state
    /// (V, refractory countdown, consecutive count). Panics when `i` is out of range.
    ///
    /// A neuron that starts accumulating charge while its reset is deferred
    /// is no longer reset at the next phase 0 (which checks the flag): its
    /// record takes back the V observers see.
    pub fn set_params(&mut self, i: usize, p: &NeuronParams) {
        let r = &mut self.records[i];
        if p.mp_charge_accumulation && !r.mp_charge_accumulation {
            if let Some(v) = self.deferred.get(i) {
                r.potential = v;
            }
        }
        r.set_params(p);
    }

    /// The static parameters of neuron `i` in gene form (a threshold limit of
    /// 0 when it has none): `set_params(i, &params(i))` changes nothing.
    /// Panics when `i` is out of range.
    pub fn params(&self, i: usize) -> NeuronParams {
        let r = &self.records[i];
        NeuronParams {
            threshold: r.threshold,
            threshold_limit: units::threshold_limit_to_option(r.threshold_limit).unwrap_or(0.0),
            leak: r.leak,
            excitability: r.excitability,
            refractory_period: r.refractory_period,
            consecutive_fire_limit: r.consecutive_fire_limit,
            snooze_period: r.snooze_period,
            mp_charge_accumulation: r.mp_charge_accumulation,
        }
    }

    /// The voxel (x, y, z) of neuron `i`. Panics when `i` is out of range.
    pub fn coordinates(&self, i: usize) -> [u32; 3] {
        [self.x[i], self.y[i], self.z[i]]
    }

    /// The record of every neuron, read-only.
    pub fn records(&self) -> &[NeuronRecord] {
        &self.records
    }

    /// The record of every neuron and the deferred resets, mutable, for the
    /// burst phases: the length stays fixed and only the dynamic state can
    /// change. Whoever writes V here keeps the deferred resets right (see the
    /// module docs).
    pub fn records_mut(&mut self) -> (&mut [NeuronRecord], &mut DeferredResets) {
        (&mut self.records, &mut self.deferred)
    }

    /// The record of neuron `i`, mutable, for its refractory countdown and
    /// consecutive count (a V written here bypasses the deferred resets).
    /// Panics when `i` is out of range.
    pub fn record_mut(&mut self, i: usize) -> &mut NeuronRecord {
        &mut self.records[i]
    }

    /// V of neuron `i` as observers see it (the deferred reset's value while
    /// there is one). Panics when `i` is out of range.
    pub fn potential(&self, i: usize) -> f32 {
        let v = self.records[i].potential;
        if self.deferred.is_empty() {
            v
        } else {
            self.deferred.get(i).unwrap_or(v)
        }
    }

    /// Copies V, the refractory countdowns, the consecutive counts and the
    /// deferred resets of `other` (which must hold as many neurons) into this
    /// array. Panics when the lengths differ.
    pub fn copy_state_from(&mut self, other: &NeuronArray) {
        assert_eq!(self.len(), other.len(), "neuron arrays of different sizes");
        for (r, o) in self.records.iter_mut().zip(&other.records) {
            r.potential = o.potential;
            r.refractory_countdown = o.refractory_countdown;
            r.consecutive_fire_count = o.consecutive_fire_count;
        }
        self.deferred = other.deferred.clone();
    }

    /// Area index per neuron.
    pub fn area(&self) -> &[AreaIndex] {
        &self.area
    }

    /// A reader of areas for ids asked in ascending order (any order works,
    /// ascending is the fast one): the fire queue's walk in archival and
    /// propagation.
    pub fn area_cursor(&self) -> AreaCursor<'_> {
        AreaCursor {
            runs: &self.area_runs,
            at: 0,
        }
    }

    /// Voxel x per neuron.
    pub fn x(&self) -> &[u32] {
        &self.x
    }

    /// Voxel y per neuron.
    pub fn y(&self) -> &[u32] {
        &self.y
    }

    /// Voxel z per neuron.
    pub fn z(&self) -> &[u32] {
        &self.z
    }
}

impl NeuronArray {
    /// V (membrane potential) per neuron, as observers see it (deferred
    /// resets included).
    pub fn membrane_potential(&self) -> Column<'_, f32> {
        Column {
            records: &self.records,
            field: |r| &r.potential,
            overlay_ids: &self.deferred.ids,
            overlay: &self.deferred.potentials,
        }
    }
}

/// The area of neurons asked in ascending id order, from the run-length
/// encoded area column: O(1) per id while ids stay in the current or next
/// run, a binary search otherwise. Ids must be below the neuron count.
#[derive(Clone, Debug)]
pub struct AreaCursor<'a> {
    runs: &'a [(NeuronId, AreaIndex)],
    at: usize,
}

impl AreaCursor<'_> {
    /// The area of neuron `id`.
    #[inline]
    pub fn area(&mut self, id: NeuronId) -> AreaIndex {
        let runs = self.runs;
        let starts_after = |k: usize| runs.get(k + 1).is_none_or(|&(first, _)| id < first);
        if !(runs[self.at].0 <= id && starts_after(self.at)) {
            if runs[self.at].0 <= id && starts_after(self.at + 1) {
                self.at += 1;
            } else {
                self.at = runs.partition_point(|&(first, _)| first <= id) - 1;
            }
        }
        runs[self.at].1
    }
}

/// Read access to one field of every record each, as a [`Column`].
macro_rules! column_getters {
    ($($(#[$doc:meta])* $name:ident: $field:ident: $ty:ty;)*) => {
        impl NeuronArray {
            $(
                $(#[$doc])*
                pub fn $name(&self) -> Column<'_, $ty> {
                    Column {
                        records: &self.records,
                        field: |r| &r.$field,
                        overlay_ids: &[],
                        overlay: &[],
                    }
                }
            )*
        }
    };
}

column_getters! {
    /// Firing threshold per neuron.
    threshold: threshold: f32;
    /// Threshold limit per neuron; +inf when the neuron has no limit (see
    /// [`units::threshold_limit_from_gene`]).
    threshold_limit: threshold_limit: f32;
    /// Leak coefficient per neuron, in [0, 1].
    leak: leak: f32;
    /// Firing probability per neuron, in [0, 1].
    excitability: excitability: f32;
    /// Refractory period per neuron.
    refractory_period: refractory_period: u16;
    /// Remaining refractory bursts per neuron.
    refractory_countdown: refractory_countdown: u16;
    /// Consecutive-fire limit per neuron (0 and 65535 = unlimited).
    consecutive_fire_limit: consecutive_fire_limit: u16;
    /// Consecutive fires so far per neuron.
    consecutive_fire_count: consecutive_fire_count: u16;
    /// Snooze period per neuron.
    snooze_period: snooze_period: u16;
    /// Charge accumulation flag per neuron.
    mp_charge_accumulation: mp_charge_accumulation: bool;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_grow_together() {
        let mut a = NeuronArray::default();
        a.try_reserve(4).unwrap();
        let p = NeuronParams {
            threshold_limit: 0.0,
            consecutive_fire_limit: 3,
            ..NeuronParams::default()
        };
        assert_eq!(a.push(&p, 2, [1, 2, 3]), 0);
        assert_eq!(a.push(&p, 3, [4, 5, 6]), 1);
        assert_eq!(a.len(), 2);
        for len in [
            a.membrane_potential().len(),
            a.threshold().len(),
            a.threshold_limit().len(),
            a.leak().len(),
            a.excitability().len(),
            a.refractory_period().len(),
            a.refractory_countdown().len(),
            a.consecutive_fire_limit().len(),
            a.consecutive_fire_count().len(),
            a.snooze_period().len(),
            a.mp_charge_accumulation().len(),
            a.area().len(),
            a.x().len(),
            a.y().len(),
            a.z().len(),
        ] {
            assert_eq!(len, 2);
        }
        assert_eq!(a.coordinates(1), [4, 5, 6]);
        assert_eq!(a.area(), &[2, 3]);
        assert!(a.threshold_limit()[0].is_infinite());
        assert_eq!(a.consecutive_fire_limit(), &[3, 3]);
        assert_eq!(NeuronArray::from_columns(a.to_columns()).unwrap(), a);
        let mut cursor = a.area_cursor();
        assert_eq!((cursor.area(0), cursor.area(1), cursor.area(0)), (2, 3, 2));
    }

    #[test]
    fn the_area_cursor_reads_the_area_column() {
        let mut a = NeuronArray::default();
        let areas = [0, 0, 1, 1, 1, 0, 2, 2, 5, 5, 5, 5, 1];
        for (x, &area) in areas.iter().enumerate() {
            a.push(&NeuronParams::default(), area, [x as u32, 0, 0]);
        }
        let mut cursor = a.area_cursor();
        for (id, &area) in areas.iter().enumerate() {
            assert_eq!(cursor.area(id as NeuronId), area, "ascending {id}");
        }
        for id in [12, 0, 7, 3, 3, 11, 1, 8] {
            assert_eq!(cursor.area(id), areas[id as usize], "any order {id}");
        }
        let back = NeuronArray::from_columns(a.to_columns()).unwrap();
        assert_eq!(back, a);
    }

    #[test]
    fn a_record_is_half_a_cache_line() {
        assert_eq!(std::mem::size_of::<NeuronRecord>(), 32);
        assert_eq!(std::mem::align_of::<NeuronRecord>(), 32);
    }
}
