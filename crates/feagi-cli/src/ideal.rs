//! The ideal kernel of `feagi-npu bench`: the machine's limit for a burst's
//! work, measured in the same process as the engine on the same fired sets.
//!
//! The work is the engine's minimum: deliver every synaptic event of the fired
//! sources into a dense f32 accumulator, then visit every touched neuron once
//! (test and clear). It is measured two ways and reports use the better:
//! * on one thread ([`Ideal::burst`]): a bare compressed-row scatter-add with
//!   the rows prefetched a few sources ahead;
//! * on all threads ([`Ideal::burst_parallel`]), with the ordering freedom
//!   the engine has (every target receives its contributions in the
//!   sequential order, so sums are bit-identical to one thread). Two forms are
//!   timed and the faster counts: *split* (each thread owns a target range
//!   and walks every fired row, keeping its own targets, branch-free) and
//!   *buckets* (source chunks append their events to a bucket per target
//!   range, then each thread drains one range, chunk by chunk).

use feagi_types::parallel;
use feagi_types::synapse::prefetch;

/// How many fired sources ahead the rows are prefetched.
const AHEAD: usize = 4;

/// At or above this potential a neuron fires: the synthetic thresholds (1e12)
/// are out of reach of synaptic input, so the pass finds nothing, as in the
/// engine (the pass still reads and clears every touched neuron).
const FIRE_AT: f32 = 1.0e12;

/// The network as compressed rows: u32 targets, u8 weights.
struct Rows {
    offsets: Vec<usize>,
    targets: Vec<u32>,
    weights: Vec<u8>,
}

impl Rows {
    #[inline]
    fn prefetch(&self, s: u32) {
        let start = self.offsets[s as usize];
        prefetch(self.targets.as_ptr().wrapping_add(start));
        prefetch(self.weights.as_ptr().wrapping_add(start));
    }

    #[inline]
    fn range(&self, s: u32) -> std::ops::Range<usize> {
        self.offsets[s as usize]..self.offsets[s as usize + 1]
    }
}

/// One thread's part of the parallel kernel: a target range `lo .. lo + len`
/// with its own accumulator (plus one dummy slot for events outside it).
#[derive(Default)]
struct Lane {
    lo: u32,
    acc: Vec<f32>,
    touched: Vec<u32>,
    fired: usize,
}

impl Lane {
    /// The touched pass: test and clear every touched neuron of the range.
    fn finish(&mut self, count: usize, fire_at: f32) {
        let mut fired = 0;
        for &t in &self.touched[..count] {
            let v = &mut self.acc[t as usize];
            fired += (*v >= fire_at) as usize;
            *v = 0.0;
        }
        self.fired = fired;
    }
}

/// Which parallel form [`Ideal::burst_parallel`] runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParallelForm {
    /// Every thread walks every fired row and keeps its own target range.
    Split,
    /// Events bucketed by target range, then one range per thread.
    Buckets,
}

/// The ideal kernel over a copy of an NPU's synapse rows.
pub struct Ideal {
    rows: Rows,
    acc: Vec<f32>,
    touched: Vec<u32>,
    fired: Vec<u32>,
    lanes: Vec<Lane>,
    /// `[source chunk][target range]` events of the bucket form.
    chunks: Vec<Vec<Vec<(u32, f32)>>>,
    /// log2 of a lane's target range width.
    shift: u32,
    fire_at: f32,
}

impl Ideal {
    /// Copies the rows of `npu` (regular neurons only).
    pub fn from_npu(npu: &feagi_burst_engine::RustNPU) -> Ideal {
        let n = npu.neurons().len();
        let mut offsets = Vec::with_capacity(n + 1);
        let mut targets = Vec::with_capacity(npu.synapse_count());
        let mut weights = Vec::with_capacity(npu.synapse_count());
        offsets.push(0);
        for s in 0..n {
            let row = npu.synapses().row(s as u32);
            targets.extend_from_slice(row.target);
            weights.extend_from_slice(row.weight);
            offsets.push(targets.len());
        }
        let threads = parallel::threads().max(1);
        let shift = n
            .div_ceil(threads)
            .max(1)
            .next_power_of_two()
            .trailing_zeros();
        let width = 1usize << shift;
        let lanes = (0..n.div_ceil(width))
            .map(|r| {
                let lo = r * width;
                let len = width.min(n - lo);
                Lane {
                    lo: lo as u32,
                    acc: vec![0.0; len + 1],
                    touched: Vec::new(),
                    fired: 0,
                }
            })
            .collect::<Vec<_>>();
        let ranges = lanes.len();
        Ideal {
            rows: Rows {
                offsets,
                targets,
                weights,
            },
            acc: vec![0.0; n],
            touched: Vec::new(),
            fired: Vec::new(),
            chunks: (0..threads).map(|_| vec![Vec::new(); ranges]).collect(),
            lanes,
            shift,
            fire_at: FIRE_AT,
        }
    }

    /// Synaptic events the rows of `sources` deliver.
    pub fn events(&self, sources: &[u32]) -> usize {
        sources.iter().map(|&s| self.rows.range(s).len()).sum()
    }

    /// Threads the parallel kernel uses.
    pub fn threads(&self) -> usize {
        self.lanes.len()
    }

    /// One burst on one thread: deliver the events of `sources`, then test
    /// every touched neuron. Returns how many fired.
    pub fn burst(&mut self, sources: &[u32]) -> usize {
        let rows = &self.rows;
        for (k, &s) in sources.iter().enumerate() {
            // Prefetch rows a few sources ahead, as the engine does: the best
            // known single-thread form of this kernel on this machine.
            if let Some(&ahead) = sources.get(k + AHEAD) {
                rows.prefetch(ahead);
            }
            for i in rows.range(s) {
                let t = rows.targets[i] as usize;
                if self.acc[t] == 0.0 {
                    self.touched.push(t as u32);
                }
                self.acc[t] += rows.weights[i] as f32;
            }
        }
        self.fired.clear();
        for &t in &self.touched {
            let v = &mut self.acc[t as usize];
            if *v >= self.fire_at {
                self.fired.push(t);
            }
            *v = 0.0;
        }
        self.touched.clear();
        self.fired.len()
    }

    /// One burst on all threads in the given form. Returns how many fired.
    pub fn burst_parallel(&mut self, sources: &[u32], form: ParallelForm) -> usize {
        let events = self.events(sources);
        match form {
            ParallelForm::Split => {
                for lane in &mut self.lanes {
                    // Branch-free appends write up to one slot per event.
                    if lane.touched.len() < events {
                        lane.touched.resize(events, 0);
                    }
                }
                split(&self.rows, sources, &mut self.lanes, self.fire_at);
            }
            ParallelForm::Buckets => {
                for lanes in &mut self.chunks {
                    lanes.iter_mut().for_each(Vec::clear);
                }
                fill(&self.rows, sources, &mut self.chunks, self.shift);
                drain(&self.chunks, &mut self.lanes, 0, self.fire_at);
            }
        }
        self.lanes.iter().map(|l| l.fired).sum()
    }
}

/// Split form: each lane walks every row and keeps the events of its range.
fn split(rows: &Rows, sources: &[u32], lanes: &mut [Lane], fire_at: f32) {
    if lanes.len() > 1 {
        let (a, b) = lanes.split_at_mut(lanes.len() / 2);
        parallel::join(
            || split(rows, sources, a, fire_at),
            || split(rows, sources, b, fire_at),
        );
        return;
    }
    let Some(lane) = lanes.first_mut() else {
        return;
    };
    let len = lane.acc.len() - 1;
    let (lo, acc, touched) = (lane.lo, &mut lane.acc, &mut lane.touched);
    let mut count = 0;
    for (k, &s) in sources.iter().enumerate() {
        if let Some(&ahead) = sources.get(k + AHEAD) {
            rows.prefetch(ahead);
        }
        for i in rows.range(s) {
            let local = rows.targets[i].wrapping_sub(lo) as usize;
            let inside = local < len;
            // Events outside the range go to the dummy slot `len`.
            let slot = if inside { local } else { len };
            touched[count] = slot as u32;
            count += (inside && acc[slot] == 0.0) as usize;
            acc[slot] += rows.weights[i] as f32;
        }
    }
    acc[len] = 0.0;
    lane.finish(count, fire_at);
}

/// Bucket form, pass A: source chunks (one per thread) append their events to
/// a bucket per target range, in order.
fn fill(rows: &Rows, sources: &[u32], chunks: &mut [Vec<Vec<(u32, f32)>>], shift: u32) {
    if chunks.len() > 1 {
        let half = chunks.len() / 2;
        let mid = sources.len() * half / chunks.len();
        let (a, b) = chunks.split_at_mut(half);
        parallel::join(
            || fill(rows, &sources[..mid], a, shift),
            || fill(rows, &sources[mid..], b, shift),
        );
        return;
    }
    let Some(buckets) = chunks.first_mut() else {
        return;
    };
    for (k, &s) in sources.iter().enumerate() {
        if let Some(&ahead) = sources.get(k + AHEAD) {
            rows.prefetch(ahead);
        }
        for i in rows.range(s) {
            let t = rows.targets[i];
            buckets[(t >> shift) as usize].push((t, rows.weights[i] as f32));
        }
    }
}

/// Bucket form, pass B: each lane adds its range's buckets, chunk by chunk.
fn drain(chunks: &[Vec<Vec<(u32, f32)>>], lanes: &mut [Lane], first: usize, fire_at: f32) {
    if lanes.len() > 1 {
        let half = lanes.len() / 2;
        let (a, b) = lanes.split_at_mut(half);
        parallel::join(
            || drain(chunks, a, first, fire_at),
            || drain(chunks, b, first + half, fire_at),
        );
        return;
    }
    let Some(lane) = lanes.first_mut() else {
        return;
    };
    lane.touched.clear();
    for buckets in chunks {
        for &(t, w) in &buckets[first] {
            let local = (t - lane.lo) as usize;
            if lane.acc[local] == 0.0 {
                lane.touched.push(local as u32);
            }
            lane.acc[local] += w;
        }
    }
    let count = lane.touched.len();
    lane.finish(count, fire_at);
}

#[cfg(test)]
mod tests {
    use super::*;
    use feagi_burst_engine::synthetic::{self, Driver, SyntheticSpec, Targets};
    use feagi_burst_engine::NpuConfig;

    /// The three forms deliver the same sums: with a firing level within
    /// reach they find the same number of firing neurons, and every
    /// accumulator is clean after each burst.
    #[test]
    fn forms_agree_and_leave_accumulators_clean() {
        let spec = SyntheticSpec {
            neurons: 20_000,
            fanout: 7,
            firing: 0.2,
            targets: Targets::Random,
            seed: 3,
        };
        let npu = synthetic::build(&spec, NpuConfig::default()).unwrap();
        let mut ideal = Ideal::from_npu(&npu);
        ideal.fire_at = 300.0;
        let mut driver = Driver::new(&spec);
        for _ in 0..3 {
            let mut fired = driver.next_selection().to_vec();
            fired.sort_unstable();
            let one = ideal.burst(&fired);
            assert!(one > 0);
            assert_eq!(ideal.burst_parallel(&fired, ParallelForm::Split), one);
            assert_eq!(ideal.burst_parallel(&fired, ParallelForm::Buckets), one);
            assert!(ideal.acc.iter().all(|&v| v == 0.0));
            for lane in &ideal.lanes {
                assert!(lane.acc.iter().all(|&v| v == 0.0));
            }
        }
    }
}
