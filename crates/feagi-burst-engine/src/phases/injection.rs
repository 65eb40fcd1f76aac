//! Phase 1: build the fire candidate list, adding in exactly the order of
//! SPEC §4.1 (D8): staged input, power, fatigue, then synaptic input from
//! FQ(t-1) by ascending source and, per source, ascending synapse.
//!
//! Parallel propagation runs in two passes. Pass A splits the fired sources
//! into contiguous chunks, one per thread; each thread computes its
//! contributions and appends them, in order, to a bucket per target range.
//! Pass B gives each thread one target range, which it fills from the buckets
//! of chunk 0, then chunk 1, and so on. Every target therefore receives its
//! contributions in the sequential order and the f32 sums are bit-identical
//! to one thread, while no thread reads another's synapses or touches
//! another's part of the FCL.

use feagi_types::fire::FclShard;
use feagi_types::neuron::AreaCursor;
use feagi_types::{
    FireCandidateList, FireQueue, NeuronArray, NeuronId, SynapseArray, SynapseType, FCL_SHARD_ALIGN,
};

use feagi_types::units::OutgoingDivisor;

use crate::areas::{FLAG_MP_DRIVEN_PSP, FLAG_PSP_UNIFORM};
use feagi_types::parallel;

/// How many fired sources ahead propagation prefetches synapse rows.
const PREFETCH_AHEAD: usize = 4;

/// How many fired sources ahead propagation prefetches row-table entries
/// so that the row prefetch finds them in cache.
const ENTRY_AHEAD: usize = 12;

/// Adds the staged (neuron, potential) pairs in staging order, only those of
/// `owned` on a partitioned NPU, and empties the list.
pub fn inject_staged(
    fcl: &mut FireCandidateList,
    staged: &mut Vec<(NeuronId, f32)>,
    owned: Option<&std::ops::Range<NeuronId>>,
) {
    let mut shard = fcl.shard();
    // The test stays out of the loop when every neuron is owned: a camera
    // stages a whole frame every burst.
    match owned {
        None => staged.iter().for_each(|&(id, p)| shard.add(id, p)),
        Some(range) => staged
            .iter()
            .filter(|(id, _)| range.contains(id))
            .for_each(|&(id, p)| shard.add(id, p)),
    }
    staged.clear();
}

/// Adds `amount` to each neuron in order; returns how many injections.
pub fn inject_power(
    fcl: &mut FireCandidateList,
    neurons: impl IntoIterator<Item = NeuronId>,
    amount: f32,
) -> usize {
    let mut n = 0;
    let mut shard = fcl.shard();
    for id in neurons {
        shard.add(id, amount);
        n += 1;
    }
    n
}

/// What propagation reads: FQ(t-1), the synapse rows and per-area flags.
pub struct Propagation<'a> {
    pub previous: &'a FireQueue,
    pub synapses: &'a SynapseArray,
    /// The neurons, for the areas of fired sources.
    pub neurons: &'a NeuronArray,
    pub area_flags: &'a [u8],
    /// The flags of every area when all areas have the same: then the
    /// source's area is not looked up.
    pub common_flags: Option<u8>,
    /// On a partitioned NPU, every source's outgoing count in the whole
    /// brain: the divisor of SPEC §4.3 (the local rows hold only the
    /// synapses of owned targets). `None`: the row's length.
    pub outgoing_counts: Option<&'a [u32]>,
}

impl Propagation<'_> {
    /// Number of synaptic contributions FQ(t-1) delivers.
    pub fn events(&self) -> usize {
        self.previous
            .neuron_ids
            .iter()
            .map(|&s| self.synapses.outgoing_count(s) as usize)
            .sum()
    }

    /// Calls `emit(target, c)` for every synapse of fired `source`, in row
    /// order, with its contribution c of SPEC §4.3.
    #[inline]
    fn contributions<const GLOBAL_COUNTS: bool>(
        &self,
        source: NeuronId,
        v_fire: f32,
        areas: &mut AreaCursor<'_>,
        mut emit: impl FnMut(NeuronId, f32),
    ) {
        let row = self.synapses.row(source);
        if row.is_empty() {
            return;
        }
        let flags = match self.common_flags {
            Some(flags) => flags,
            None => self.area_flags[areas.area(source) as usize],
        };
        let uniform = flags & FLAG_PSP_UNIFORM != 0;
        let driven_psp = (flags & FLAG_MP_DRIVEN_PSP != 0)
            .then(|| round_half_away(v_fire.clamp(0.0, 255.0)) as u32);
        // An ordinary NPU compiles this to the row length alone.
        let count = match self.outgoing_counts {
            Some(counts) if GLOBAL_COUNTS => counts[source as usize],
            _ => row.len() as u32,
        };
        let divisor = OutgoingDivisor::new(count);
        for i in 0..row.len() {
            let psp = driven_psp.unwrap_or(row.psp[i] as u32);
            // w * psp <= 65025: exact in f32, and in range for the divisor.
            let product = row.weight[i] as u32 * psp;
            let magnitude = if uniform {
                product as f32
            } else {
                divisor.divide(product)
            };
            let c = if row.synapse_type[i] == SynapseType::Inhibitory {
                -magnitude
            } else {
                magnitude
            };
            emit(row.target[i], c);
        }
    }

    /// Walks `sources` (ascending, with their firing potentials) in order,
    /// prefetching rows a few sources ahead, since the rows of fired neurons
    /// lie far apart.
    #[inline]
    fn for_each_contribution(
        &self,
        sources: &[NeuronId],
        potentials: &[f32],
        emit: impl FnMut(NeuronId, f32),
    ) {
        // One instantiation per kind of NPU: the ordinary one does no extra
        // work per source or synapse for partitioning.
        match self.outgoing_counts {
            None => self.walk::<false>(sources, potentials, emit),
            Some(_) => self.walk::<true>(sources, potentials, emit),
        }
    }

    #[inline]
    fn walk<const GLOBAL_COUNTS: bool>(
        &self,
        sources: &[NeuronId],
        potentials: &[f32],
        mut emit: impl FnMut(NeuronId, f32),
    ) {
        let mut areas = self.neurons.area_cursor();
        for (k, (&source, &v_fire)) in sources.iter().zip(potentials).enumerate() {
            if let Some(&far) = sources.get(k + ENTRY_AHEAD) {
                self.synapses.prefetch_entry(far);
            }
            if let Some(&ahead) = sources.get(k + PREFETCH_AHEAD) {
                self.synapses.prefetch_row(ahead);
            }
            self.contributions::<GLOBAL_COUNTS>(source, v_fire, &mut areas, &mut emit);
        }
    }

    /// Delivers FQ(t-1) into the FCL, on up to `threads` threads.
    pub fn run(&self, fcl: &mut FireCandidateList, threads: usize, buckets: &mut Buckets) {
        let n = fcl.capacity_neurons();
        if threads <= 1 || n < 2 * FCL_SHARD_ALIGN {
            let mut shard = fcl.shard();
            self.for_each_contribution(
                &self.previous.neuron_ids,
                &self.previous.potentials,
                |t, c| shard.add(t, c),
            );
            return;
        }
        // Target ranges: a power of two (so a range is a shift away), aligned
        // to FCL shards, about n / threads wide.
        let shift = (n.div_ceil(threads).max(FCL_SHARD_ALIGN))
            .next_power_of_two()
            .trailing_zeros();
        let ranges = n.div_ceil(1 << shift);
        buckets.prepare(threads, ranges);
        let (ids, vs) = (&self.previous.neuron_ids[..], &self.previous.potentials[..]);
        self.fill(ids, vs, &mut buckets.chunks, shift);
        drain(fcl.shard(), &buckets.chunks, shift);
    }

    /// Pass A: contributions of `ids` into the buckets of `chunks`, one chunk per thread.
    fn fill(
        &self,
        ids: &[NeuronId],
        vs: &[f32],
        chunks: &mut [Vec<Vec<(NeuronId, f32)>>],
        shift: u32,
    ) {
        if chunks.len() == 1 {
            let lanes = &mut chunks[0];
            self.for_each_contribution(ids, vs, |t, c| lanes[(t >> shift) as usize].push((t, c)));
            return;
        }
        let half = chunks.len() / 2;
        let mid = ids.len() * half / chunks.len();
        let (ca, cb) = chunks.split_at_mut(half);
        parallel::join(
            || self.fill(&ids[..mid], &vs[..mid], ca, shift),
            || self.fill(&ids[mid..], &vs[mid..], cb, shift),
        );
    }
}

/// Pass B: each target range added from the buckets of every chunk, chunk by chunk.
fn drain(mut shard: FclShard<'_>, chunks: &[Vec<Vec<(NeuronId, f32)>>], shift: u32) {
    let range = 1usize << shift;
    if shard.len() <= range {
        let r = shard.offset() >> shift;
        for lanes in chunks {
            for &(t, c) in &lanes[r] {
                shard.add(t, c);
            }
        }
        return;
    }
    let ranges = shard.len().div_ceil(range);
    let (a, b) = shard.split_at(ranges / 2 * range);
    parallel::join(|| drain(a, chunks, shift), || drain(b, chunks, shift));
}

/// Event buckets of parallel propagation, `[source chunk][target range]`,
/// kept between bursts so a burst allocates nothing once they have grown.
#[derive(Debug, Default)]
pub struct Buckets {
    chunks: Vec<Vec<Vec<(NeuronId, f32)>>>,
}

impl Buckets {
    fn prepare(&mut self, chunks: usize, ranges: usize) {
        self.chunks.resize_with(chunks, Vec::new);
        for lanes in &mut self.chunks {
            lanes.resize_with(ranges, Vec::new);
            lanes.iter_mut().for_each(Vec::clear);
        }
    }
}

/// round_half_away(x) = floor(x + 0.5) for x >= 0, in f32 (SPEC §0, §4.3).
#[inline]
pub fn round_half_away(x: f32) -> f32 {
    (x + 0.5).floor()
}
