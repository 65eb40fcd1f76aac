//! The fire structures of a burst: the fire candidate list (FCL), the fire
//! queue (FQ) and the fire ledger (SPEC §4.1, §4.5, §5.1).

use std::collections::VecDeque;

use roaring::RoaringBitmap;

use crate::{AreaIndex, NeuronId};

const WORD_BITS: usize = 64;
/// Neurons covered by one summary word (64 words of 64 bits). Parallel shards
/// of the FCL start at multiples of this so they share no word.
pub const FCL_SHARD_ALIGN: usize = WORD_BITS * WORD_BITS;

/// The fire candidate list: neuron -> summed input of the current burst.
///
/// Sums are added into a dense f32 array (no hashing per contribution);
/// membership is a two-level bitset (a bit per neuron, a summary bit per
/// 64-neuron word), so collecting the candidates in ascending id order costs
/// time proportional to the candidates, not to the brain.
/// [`FireCandidateList::collect`] moves the candidates and their sums into two
/// compact lists (ascending id, same positions) and leaves the dense array all
/// zero, so the dynamics read the sums in order and nothing has to clear them
/// later. The lists stay readable until the next [`FireCandidateList::clear`];
/// that is the "last FCL" snapshot of SPEC §5.2.
#[derive(Clone, Debug, Default)]
pub struct FireCandidateList {
    sums: Vec<f32>,
    bits: Vec<u64>,
    summary: Vec<u64>,
    candidates: Vec<NeuronId>,
    candidate_sums: Vec<f32>,
}

/// A mutable view of the FCL for the neuron ids `offset .. offset + len`.
/// The whole list is one shard; parallel propagation splits it into shards
/// aligned to [`FCL_SHARD_ALIGN`], each owned by one thread.
pub struct FclShard<'a> {
    offset: usize,
    sums: &'a mut [f32],
    bits: &'a mut [u64],
    summary: &'a mut [u64],
}

impl FclShard<'_> {
    /// First neuron id of the shard.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Neuron ids `offset .. end()` belong to this shard.
    pub fn end(&self) -> usize {
        self.offset + self.sums.len()
    }

    /// Number of neuron ids in the shard.
    pub fn len(&self) -> usize {
        self.sums.len()
    }

    /// True when the shard covers no neuron id.
    pub fn is_empty(&self) -> bool {
        self.sums.is_empty()
    }

    /// Splits into `[offset, offset + mid)` and the rest. `mid` must be a
    /// multiple of [`FCL_SHARD_ALIGN`] no greater than `len()`, so the halves
    /// share no bitset word.
    pub fn split_at(self, mid: usize) -> (Self, Self) {
        assert!(
            mid.is_multiple_of(FCL_SHARD_ALIGN) && mid <= self.sums.len(),
            "unaligned FCL split"
        );
        let words = (mid / WORD_BITS).min(self.bits.len());
        let summary_words = (words / WORD_BITS).min(self.summary.len());
        let (s0, s1) = self.sums.split_at_mut(mid);
        let (b0, b1) = self.bits.split_at_mut(words);
        let (m0, m1) = self.summary.split_at_mut(summary_words);
        (
            FclShard {
                offset: self.offset,
                sums: s0,
                bits: b0,
                summary: m0,
            },
            FclShard {
                offset: self.offset + mid,
                sums: s1,
                bits: b1,
                summary: m1,
            },
        )
    }

    /// `FCL[id] += contribution` (f32), marking `id` as a candidate.
    #[inline]
    pub fn add(&mut self, id: NeuronId, contribution: f32) {
        let i = id as usize - self.offset;
        self.sums[i] += contribution;
        let w = i / WORD_BITS;
        let word = &mut self.bits[w];
        if *word == 0 {
            self.summary[w / WORD_BITS] |= 1 << (w % WORD_BITS);
        }
        *word |= 1 << (i % WORD_BITS);
    }
}

impl FireCandidateList {
    /// Sizes the list for neuron ids `0..neurons`.
    pub fn resize(&mut self, neurons: usize) {
        let words = neurons.div_ceil(WORD_BITS);
        self.sums.resize(neurons, 0.0);
        self.bits.resize(words, 0);
        self.summary.resize(words.div_ceil(WORD_BITS), 0);
    }

    /// Number of neuron ids the list is sized for (ids `0..capacity_neurons()`).
    pub fn capacity_neurons(&self) -> usize {
        self.sums.len()
    }

    /// Empties the list (the dense sums are already zero after
    /// [`Self::collect`]; nothing per candidate is touched).
    pub fn clear(&mut self) {
        self.candidates.clear();
        self.candidate_sums.clear();
    }

    /// Empties the list like [`Self::clear`], calling `f` on each previous
    /// candidate first, so a caller that must visit them (the phase-0 reset)
    /// walks the list it needs anyway.
    pub fn clear_each(&mut self, f: impl FnMut(NeuronId)) {
        self.candidates.iter().copied().for_each(f);
        self.clear();
    }

    /// The whole list as one shard (sequential use).
    pub fn shard(&mut self) -> FclShard<'_> {
        FclShard {
            offset: 0,
            sums: &mut self.sums,
            bits: &mut self.bits,
            summary: &mut self.summary,
        }
    }

    /// `FCL[id] += contribution`.
    #[inline]
    pub fn add(&mut self, id: NeuronId, contribution: f32) {
        self.shard().add(id, contribution);
    }

    /// Turns the marked neurons into the ascending candidate list with their
    /// sums, and leaves the bitset and the dense sums all zero. Returns the
    /// number of candidates.
    pub fn collect(&mut self) -> usize {
        let (sums, bits) = (&mut self.sums, &mut self.bits);
        let n = sums.len();
        let (candidates, taken) = (&mut self.candidates, &mut self.candidate_sums);
        for (m, summary) in self.summary.iter_mut().enumerate() {
            let mut sw = std::mem::take(summary);
            while sw != 0 {
                let w = m * WORD_BITS + sw.trailing_zeros() as usize;
                sw &= sw - 1;
                let mut bw = std::mem::take(&mut bits[w]);
                let first = w * WORD_BITS;
                // The sums of this word's neurons: ascending ids, so the
                // hardware prefetcher follows them.
                let word_sums = &mut sums[first..(first + WORD_BITS).min(n)];
                while bw != 0 {
                    let b = bw.trailing_zeros() as usize;
                    bw &= bw - 1;
                    candidates.push((first + b) as NeuronId);
                    taken.push(std::mem::take(&mut word_sums[b]));
                }
            }
        }
        self.candidates.len()
    }

    /// The candidates of the current (or, between bursts, the last) burst, ascending.
    pub fn candidates(&self) -> &[NeuronId] {
        &self.candidates
    }

    /// The summed input of each of [`Self::candidates`], same positions.
    pub fn candidate_sums(&self) -> &[f32] {
        &self.candidate_sums
    }

    /// Summed input of a neuron in the current FCL (0 for non-candidates);
    /// a binary search once the candidates are collected.
    pub fn sum(&self, id: NeuronId) -> f32 {
        match self.candidates.binary_search(&id) {
            Ok(k) => self.candidate_sums[k],
            Err(_) => self.sums.get(id as usize).copied().unwrap_or(0.0),
        }
    }

    /// (id, sum) for every candidate, ascending id.
    pub fn entries(&self) -> impl Iterator<Item = (NeuronId, f32)> + '_ {
        self.candidates
            .iter()
            .copied()
            .zip(self.candidate_sums.iter().copied())
    }
}

/// FQ(t): the neurons that fired in burst `timestep`, ascending id, each with
/// its potential at the moment of firing (SPEC §4.5).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FireQueue {
    /// t: the burst that produced this queue (0 before the first burst).
    pub timestep: u64,
    /// Ids of the neurons that fired, ascending.
    pub neuron_ids: Vec<NeuronId>,
    /// V_fire of each neuron of `neuron_ids` (same position): its potential
    /// at the moment of firing, before the reset.
    pub potentials: Vec<f32>,
}

impl FireQueue {
    /// Empties the queue, keeping `timestep` and the allocations.
    pub fn clear(&mut self) {
        self.neuron_ids.clear();
        self.potentials.clear();
    }

    /// Number of neurons that fired.
    pub fn len(&self) -> usize {
        self.neuron_ids.len()
    }

    /// True when no neuron fired.
    pub fn is_empty(&self) -> bool {
        self.neuron_ids.is_empty()
    }
}

/// Why a ledger request failed (SPEC §5.1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    /// [`FireLedger::track`] was asked for a window of 0 frames.
    #[error("fire ledger window must be at least 1")]
    ZeroWindow,
    /// A window request ([`FireLedger::frames`], [`FireLedger::dense_window`])
    /// asked for 0 frames.
    #[error("fire ledger depth must be at least 1")]
    ZeroDepth,
    /// A window request asked for more frames than the area's window keeps.
    #[error("depth {depth} exceeds the fire ledger window {window} of area {area}")]
    DepthExceedsWindow {
        /// The area asked about.
        area: AreaIndex,
        /// Frames requested.
        depth: usize,
        /// Frames the area's window keeps.
        window: usize,
    },
    /// A window request ends after the last archived timestep.
    #[error("timestep {end} is after the last archived burst {last}")]
    EndBeyondLastBurst {
        /// Requested last timestep.
        end: u64,
        /// Last archived timestep (0 before the first burst).
        last: u64,
    },
    /// The area is not tracked by the ledger (never tracked, untracked, or
    /// beyond the area table).
    #[error("area {area} is not tracked by the fire ledger")]
    UntrackedArea {
        /// The area asked about.
        area: AreaIndex,
    },
    /// The requested frames start before timestep 1 or before the oldest frame
    /// still held (frames dropped by a smaller window are gone for good; SPEC §5.1).
    #[error("area {area} has no frames for timesteps {first}..={end}")]
    InsufficientHistory {
        /// The area asked about.
        area: AreaIndex,
        /// First requested timestep, `end - depth + 1`; 0 or negative when the
        /// window reaches back before burst 1.
        first: i64,
        /// Last requested timestep.
        end: u64,
    },
    /// The windows of all tracked areas together would exceed
    /// [`MAX_LEDGER_FRAMES`] frames (areas x window).
    #[error(
        "the fire ledger would keep {frames} frames (the windows of all tracked areas together); \
         the limit is {MAX_LEDGER_FRAMES}: use smaller windows or track fewer areas"
    )]
    TooManyFrames {
        /// The total the change asked for.
        frames: u64,
    },
    /// [`FireLedger::archive`] got a timestep not strictly after the last
    /// archived one.
    #[error("timestep {timestep} is not after the last archived timestep {last}")]
    NonIncreasingTimestep {
        /// Timestep passed to `archive`.
        timestep: u64,
        /// Last archived timestep.
        last: u64,
    },
}

/// Most frames the ledger keeps over all tracked areas together (their
/// windows summed): 16.7 million, about half a GiB of frames even when every
/// one is empty. Windows that would pass it are refused.
pub const MAX_LEDGER_FRAMES: usize = 1 << 24;

/// One ledger frame: the neurons of an area that fired at `timestep`, ascending.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LedgerFrame {
    /// t: the burst this frame records.
    pub timestep: u64,
    /// The area's neurons in FQ(t), ascending; empty when it did not fire.
    pub neuron_ids: Vec<NeuronId>,
}

#[derive(Clone, Debug)]
struct AreaLedger {
    window: usize,
    frames: VecDeque<LedgerFrame>,
}

impl AreaLedger {
    /// Appends an empty frame for `timestep`, reusing the oldest frame's buffer
    /// when the window is full (no allocation in steady state).
    fn push_empty(&mut self, timestep: u64) -> &mut LedgerFrame {
        let mut frame = if self.frames.len() >= self.window {
            self.frames.pop_front().unwrap_or_default()
        } else {
            LedgerFrame::default()
        };
        frame.timestep = timestep;
        frame.neuron_ids.clear();
        self.frames.push_back(frame);
        self.frames.back_mut().expect("frame just pushed")
    }
}

/// Per tracked area, the most recent `window` dense frames (SPEC §5.1).
#[derive(Clone, Debug, Default)]
pub struct FireLedger {
    areas: Vec<Option<AreaLedger>>,
    last_timestep: u64,
    /// The windows of all tracked areas, summed (bounded by [`MAX_LEDGER_FRAMES`]).
    windows: u64,
}

impl FireLedger {
    /// Timestep of the last archived burst (0 before the first).
    pub fn last_timestep(&self) -> u64 {
        self.last_timestep
    }

    /// Starts tracking `area` with `window` frames, or changes its window.
    /// Shrinking drops the oldest frames; growing keeps what is held. A newly
    /// tracked area gets empty frames for the last `window` archived timesteps.
    pub fn track(&mut self, area: AreaIndex, window: usize) -> Result<(), LedgerError> {
        let frames = self.check_track(area, window)?;
        let a = area as usize;
        if self.areas.len() <= a {
            self.areas.resize(a + 1, None);
        }
        self.windows = frames;
        match &mut self.areas[a] {
            Some(l) => {
                l.window = window;
                while l.frames.len() > window {
                    l.frames.pop_front();
                }
            }
            slot @ None => {
                let mut l = AreaLedger {
                    window,
                    // Frames arrive as bursts run: a huge window reserves nothing up front.
                    frames: VecDeque::with_capacity(window.min(64)),
                };
                let first = self.last_timestep.saturating_sub(window as u64 - 1).max(1);
                for t in first..=self.last_timestep {
                    l.push_empty(t);
                }
                *slot = Some(l);
            }
        }
        Ok(())
    }

    /// Every tracked area as (area, window, frames oldest first), ascending area.
    pub fn tracked(&self) -> impl Iterator<Item = (AreaIndex, usize, &VecDeque<LedgerFrame>)> {
        self.areas
            .iter()
            .enumerate()
            .filter_map(|(a, l)| l.as_ref().map(|l| (a as AreaIndex, l.window, &l.frames)))
    }

    /// A ledger as [`Self::tracked`] and [`Self::last_timestep`] describe it,
    /// checked: windows >= 1, at most `window` frames per area, frames of
    /// consecutive timesteps ending at `last_timestep` (or none), ids ascending.
    pub fn restore(
        last_timestep: u64,
        tracked: Vec<(AreaIndex, usize, Vec<LedgerFrame>)>,
    ) -> Result<Self, String> {
        let frames = tracked
            .iter()
            .fold(0u64, |sum, (_, w, _)| sum.saturating_add(*w as u64));
        if frames > MAX_LEDGER_FRAMES as u64 {
            return Err(LedgerError::TooManyFrames { frames }.to_string());
        }
        let mut ledger = FireLedger {
            areas: Vec::new(),
            last_timestep,
            windows: frames,
        };
        for (area, window, frames) in tracked {
            let a = area as usize;
            if window == 0 || frames.len() > window {
                return Err(format!(
                    "area {area}: {} ledger frames for a window of {window}",
                    frames.len()
                ));
            }
            let first = (last_timestep + 1).checked_sub(frames.len() as u64);
            for (k, f) in frames.iter().enumerate() {
                if first.map(|t| t + k as u64) != Some(f.timestep) || f.timestep == 0 {
                    return Err(format!(
                        "area {area}: ledger frame {k} is for burst {}, not part of a window ending at burst {last_timestep}",
                        f.timestep
                    ));
                }
                if f.neuron_ids.windows(2).any(|w| w[0] >= w[1]) {
                    return Err(format!(
                        "area {area}: the ledger frame of burst {} is not ascending",
                        f.timestep
                    ));
                }
            }
            if ledger.areas.len() <= a {
                ledger.areas.resize(a + 1, None);
            }
            if ledger.areas[a].is_some() {
                return Err(format!("area {area} is tracked twice in the ledger"));
            }
            ledger.areas[a] = Some(AreaLedger {
                window,
                frames: frames.into(),
            });
        }
        Ok(ledger)
    }

    /// Whether [`Self::track`] would accept `window` for `area`; the windows'
    /// total it would make.
    pub fn check_track(&self, area: AreaIndex, window: usize) -> Result<u64, LedgerError> {
        if window == 0 {
            return Err(LedgerError::ZeroWindow);
        }
        let others = self.windows - self.window(area).unwrap_or(0) as u64;
        let frames = others.saturating_add(window as u64);
        if frames > MAX_LEDGER_FRAMES as u64 {
            return Err(LedgerError::TooManyFrames { frames });
        }
        Ok(frames)
    }

    /// Stops tracking `area` and drops its frames.
    pub fn untrack(&mut self, area: AreaIndex) {
        if let Some(slot) = self.areas.get_mut(area as usize) {
            if let Some(l) = slot.take() {
                self.windows -= l.window as u64;
            }
        }
    }

    /// The window of a tracked area.
    pub fn window(&self, area: AreaIndex) -> Option<usize> {
        self.areas.get(area as usize)?.as_ref().map(|l| l.window)
    }

    /// (area, window) of every tracked area, ascending area.
    pub fn configs(&self) -> Vec<(AreaIndex, usize)> {
        self.areas
            .iter()
            .enumerate()
            .filter_map(|(a, l)| l.as_ref().map(|l| (a as AreaIndex, l.window)))
            .collect()
    }

    /// Archives FQ(timestep): a frame for every tracked area, empty when the
    /// area did not fire. `fired` must be ascending; `area_of(id)` gives a
    /// neuron's area (memory neurons included).
    pub fn archive(
        &mut self,
        timestep: u64,
        fired: &[NeuronId],
        mut area_of: impl FnMut(NeuronId) -> AreaIndex,
    ) -> Result<(), LedgerError> {
        if timestep <= self.last_timestep {
            return Err(LedgerError::NonIncreasingTimestep {
                timestep,
                last: self.last_timestep,
            });
        }
        for l in self.areas.iter_mut().flatten() {
            l.push_empty(timestep);
        }
        for &id in fired {
            let a = area_of(id) as usize;
            if let Some(Some(l)) = self.areas.get_mut(a) {
                if let Some(frame) = l.frames.back_mut() {
                    frame.neuron_ids.push(id);
                }
            }
        }
        self.last_timestep = timestep;
        Ok(())
    }

    /// Exactly `depth` frames for timesteps `end-depth+1 ..= end`, oldest first.
    pub fn frames(
        &self,
        area: AreaIndex,
        end: u64,
        depth: usize,
    ) -> Result<Vec<&LedgerFrame>, LedgerError> {
        Ok(self.window_frames(area, end, depth)?.collect())
    }

    /// [`Self::frames`] without collecting them (no allocation): what
    /// plasticity reads every burst.
    pub fn window_frames(
        &self,
        area: AreaIndex,
        end: u64,
        depth: usize,
    ) -> Result<impl ExactSizeIterator<Item = &LedgerFrame> + Clone + '_, LedgerError> {
        let l = self
            .areas
            .get(area as usize)
            .and_then(Option::as_ref)
            .ok_or(LedgerError::UntrackedArea { area })?;
        if depth == 0 {
            return Err(LedgerError::ZeroDepth);
        }
        if depth > l.window {
            return Err(LedgerError::DepthExceedsWindow {
                area,
                depth,
                window: l.window,
            });
        }
        if end > self.last_timestep {
            return Err(LedgerError::EndBeyondLastBurst {
                end,
                last: self.last_timestep,
            });
        }
        let first = end as i64 - depth as i64 + 1;
        let insufficient = LedgerError::InsufficientHistory { area, first, end };
        let oldest = l
            .frames
            .front()
            .map(|f| f.timestep)
            .ok_or(insufficient.clone())?;
        if first < 1 || (first as u64) < oldest {
            return Err(insufficient);
        }
        // Frames are dense, so the frame of timestep t sits at t - oldest.
        let start = (first as u64 - oldest) as usize;
        Ok(l.frames.range(start..start + depth))
    }

    /// `frames` as roaring bitmaps: the dense window of SPEC §5.1.
    pub fn dense_window(
        &self,
        area: AreaIndex,
        end: u64,
        depth: usize,
    ) -> Result<Vec<RoaringBitmap>, LedgerError> {
        Ok(self
            .frames(area, end, depth)?
            .into_iter()
            .map(|f| {
                RoaringBitmap::from_sorted_iter(f.neuron_ids.iter().copied()).unwrap_or_default()
            })
            .collect())
    }

    /// Every retained frame of a tracked area, oldest first.
    pub fn retained(&self, area: AreaIndex) -> Option<impl Iterator<Item = &LedgerFrame>> {
        Some(self.areas.get(area as usize)?.as_ref()?.frames.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fcl_collects_ascending_and_sums_in_order() {
        let mut fcl = FireCandidateList::default();
        fcl.resize(10_000);
        fcl.add(9000, 1.0);
        fcl.add(3, 0.0);
        fcl.add(64, 2.0);
        fcl.add(9000, 0.5);
        assert_eq!(fcl.collect(), 3);
        assert_eq!(
            fcl.entries().collect::<Vec<_>>(),
            vec![(3, 0.0), (64, 2.0), (9000, 1.5)]
        );
        fcl.clear();
        assert_eq!(fcl.collect(), 0);
        assert_eq!(fcl.sum(9000), 0.0);
    }

    #[test]
    fn fcl_shards_cover_disjoint_ranges() {
        let mut fcl = FireCandidateList::default();
        fcl.resize(3 * FCL_SHARD_ALIGN + 5);
        {
            let (mut a, rest) = fcl.shard().split_at(FCL_SHARD_ALIGN);
            let (mut b, mut c) = rest.split_at(2 * FCL_SHARD_ALIGN);
            assert_eq!(
                (b.offset(), c.offset(), c.end()),
                (
                    FCL_SHARD_ALIGN,
                    3 * FCL_SHARD_ALIGN,
                    3 * FCL_SHARD_ALIGN + 5
                )
            );
            c.add(3 * FCL_SHARD_ALIGN as u32 + 4, 1.0);
            b.add(FCL_SHARD_ALIGN as u32, 2.0);
            a.add(7, 3.0);
        }
        fcl.collect();
        assert_eq!(
            fcl.candidates(),
            &[7, FCL_SHARD_ALIGN as u32, 3 * FCL_SHARD_ALIGN as u32 + 4]
        );
    }
}
