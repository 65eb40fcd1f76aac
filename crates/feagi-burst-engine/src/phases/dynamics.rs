//! Phase 2: update every FCL candidate in ascending id order (SPEC §4.4) and
//! collect FQ(t).
//!
//! Candidates are independent of each other, so the parallel path hands
//! disjoint id ranges (and the matching slices of the mutable neuron state) to
//! different threads and concatenates their fired lists in range order: the
//! same fire queue, bit for bit, as one thread.

use feagi_types::rng::excitability_random;
use feagi_types::synapse::prefetch;
use feagi_types::units::is_capped;
use feagi_types::{
    DeferredResets, FireCandidateList, FireQueue, NeuronArray, NeuronId, NeuronRecord,
};

use feagi_types::parallel;

/// How many candidates ahead the records and sums are prefetched: candidates
/// lie far apart in a large brain, beyond what the hardware prefetcher follows.
const PREFETCH_AHEAD: usize = 64;

/// The records of the neurons `offset .. offset + records.len()`.
struct State<'a> {
    offset: usize,
    records: &'a mut [NeuronRecord],
}

impl<'a> State<'a> {
    /// Splits at neuron id `at` (absolute).
    fn split_at(self, at: usize) -> (State<'a>, State<'a>) {
        let (r0, r1) = self.records.split_at_mut(at - self.offset);
        (
            State {
                offset: self.offset,
                records: r0,
            },
            State {
                offset: at,
                records: r1,
            },
        )
    }
}

/// Where one range of candidates writes what it fired.
#[derive(Debug, Default)]
pub struct Output {
    pub fired: Vec<NeuronId>,
    pub potentials: Vec<f32>,
    pub refractory: usize,
    /// The range's deferred resets (see [`DeferredResets`]).
    pub deferred: DeferredResets,
}

/// The result of UPDATE for one candidate.
enum Update {
    Fired(f32),
    Quiet,
    Refractory,
}

/// f32(0.999): at or above it a neuron always passes the excitability draw.
const ALWAYS_EXCITED: f32 = 0.999;

#[inline]
fn excited(excitability: f32, id: NeuronId, burst: u64) -> bool {
    if excitability >= ALWAYS_EXCITED {
        true
    } else if excitability <= 0.0 {
        false
    } else {
        excitability_random(id, burst) < excitability
    }
}

/// UPDATE(n, P, t) of SPEC §4.4 on neuron `id`'s record `r`.
#[inline(always)]
fn update(r: &mut NeuronRecord, id: NeuronId, input: f32, burst: u64) -> Update {
    let cap = r.consecutive_fire_limit();
    let capped = is_capped(cap);
    let countdown = r.refractory_countdown();
    if countdown > 0 {
        let countdown = countdown - 1;
        r.set_refractory_countdown(countdown);
        if countdown == 0 && capped && r.consecutive_fire_count() >= cap {
            r.set_consecutive_fire_count(0);
        }
        return Update::Refractory;
    }
    // V stays finite (SPEC §4.4): a sum beyond f32 range saturates.
    let v = (r.potential() + input).clamp(-f32::MAX, f32::MAX);
    if v >= r.threshold() && v <= r.threshold_limit() {
        if capped && r.consecutive_fire_count() >= cap {
            // Blocked by the cap: V is kept as it is, without leak.
            r.set_consecutive_fire_count(0);
            r.set_potential(v);
            return Update::Quiet;
        }
        if excited(r.excitability(), id, burst) {
            r.set_potential(0.0);
            let count = r.consecutive_fire_count().saturating_add(1);
            r.set_consecutive_fire_count(count);
            r.set_refractory_countdown(if capped && count >= cap {
                r.refractory_period().saturating_add(r.snooze_period())
            } else {
                r.refractory_period()
            });
            return Update::Fired(v);
        }
    }
    if capped {
        r.set_consecutive_fire_count(0);
    }
    r.set_potential(v * (1.0 - r.leak()));
    Update::Quiet
}

/// Updates `candidates` (ascending) with their summed inputs `sums` (same
/// positions), then does phase 0's reset of the next burst at once for the
/// non-accumulating ones, keeping the V observers see in `deferred`.
fn run_range(
    candidates: &[NeuronId],
    sums: &[f32],
    s: State<'_>,
    burst: u64,
    out: &mut Output,
    deferred: &mut DeferredResets,
) {
    let offset = s.offset;
    let records = s.records;
    for (k, (&id, &input)) in candidates.iter().zip(sums).enumerate() {
        if let Some(&ahead) = candidates.get(k + PREFETCH_AHEAD) {
            prefetch(
                records
                    .as_ptr()
                    .wrapping_add((ahead as usize).wrapping_sub(offset)),
            );
        }
        let r = &mut records[id as usize - offset];
        match update(r, id, input, burst) {
            Update::Fired(v) => {
                out.fired.push(id);
                out.potentials.push(v);
            }
            Update::Refractory => out.refractory += 1,
            Update::Quiet => {}
        }
        // Phase 0 would set V to +0.0 (SPEC §4.1): do it now, while the
        // record is in cache. A refractory non-accumulating neuron already
        // holds +0.0 (every burst starts with V = 0 for those).
        if !r.mp_charge_accumulation() {
            let v = r.potential();
            if v.to_bits() != 0 {
                deferred.push(id, v);
                r.set_potential(0.0);
            }
        }
    }
}

fn run_split(candidates: &[NeuronId], sums: &[f32], s: State<'_>, burst: u64, outs: &mut [Output]) {
    if outs.len() <= 1 || candidates.len() < 2 {
        if let Some(out) = outs.first_mut() {
            // Work on a local copy: the outputs of different threads lie next
            // to each other in memory, and pushing through them would make
            // the threads fight over one cache line.
            let mut local = std::mem::take(out);
            let mut deferred = std::mem::take(&mut local.deferred);
            run_range(candidates, sums, s, burst, &mut local, &mut deferred);
            local.deferred = deferred;
            *out = local;
        }
        return;
    }
    let left_outs = outs.len() / 2;
    let mid = candidates.len() * left_outs / outs.len();
    let mid = mid.clamp(1, candidates.len() - 1);
    let (ca, cb) = candidates.split_at(mid);
    let (ia, ib) = sums.split_at(mid);
    let (sa, sb) = s.split_at(cb[0] as usize);
    let (oa, ob) = outs.split_at_mut(left_outs);
    parallel::join(
        || run_split(ca, ia, sa, burst, oa),
        || run_split(cb, ib, sb, burst, ob),
    );
}

/// Statistics of one dynamics phase.
#[derive(Clone, Copy, Debug, Default)]
pub struct Stats {
    pub processed: usize,
    pub refractory: usize,
}

/// Updates every candidate of `fcl` and writes FQ(`burst`) into `fire_queue`.
/// With more than one `scratch` output the work is split across threads.
pub fn run(
    neurons: &mut NeuronArray,
    fcl: &FireCandidateList,
    burst: u64,
    fire_queue: &mut FireQueue,
    scratch: &mut [Output],
) -> Stats {
    let (records, deferred) = neurons.records_mut();
    let state = State { offset: 0, records };
    let candidates = fcl.candidates();
    fire_queue.clear();
    fire_queue.timestep = burst;
    let mut stats = Stats {
        processed: candidates.len(),
        refractory: 0,
    };
    if scratch.len() <= 1 {
        let mut out = Output {
            fired: std::mem::take(&mut fire_queue.neuron_ids),
            potentials: std::mem::take(&mut fire_queue.potentials),
            refractory: 0,
            deferred: DeferredResets::default(),
        };
        run_range(
            candidates,
            fcl.candidate_sums(),
            state,
            burst,
            &mut out,
            deferred,
        );
        fire_queue.neuron_ids = out.fired;
        fire_queue.potentials = out.potentials;
        stats.refractory = out.refractory;
    } else {
        for out in scratch.iter_mut() {
            out.fired.clear();
            out.potentials.clear();
            out.refractory = 0;
            out.deferred.clear();
        }
        // The first range writes into the fire queue and the deferred resets
        // themselves (both empty here); only the later ranges are copied.
        let mut first = Output {
            fired: std::mem::take(&mut fire_queue.neuron_ids),
            potentials: std::mem::take(&mut fire_queue.potentials),
            refractory: 0,
            deferred: std::mem::take(deferred),
        };
        std::mem::swap(&mut scratch[0], &mut first);
        run_split(candidates, fcl.candidate_sums(), state, burst, scratch);
        std::mem::swap(&mut scratch[0], &mut first);
        fire_queue.neuron_ids = first.fired;
        fire_queue.potentials = first.potentials;
        *deferred = first.deferred;
        stats.refractory += first.refractory;
        for out in &scratch[1..] {
            fire_queue.neuron_ids.extend_from_slice(&out.fired);
            fire_queue.potentials.extend_from_slice(&out.potentials);
            stats.refractory += out.refractory;
            deferred.append(&out.deferred);
        }
    }
    stats
}
