//! Phase 2: update every FCL candidate in ascending id order (SPEC §4.4) and
//! collect FQ(t).
//!
//! Candidates are independent of each other, so the parallel path hands
//! disjoint id ranges (and the matching slices of the mutable neuron state) to
//! different threads and concatenates their fired lists in range order: the
//! same fire queue, bit for bit, as one thread.

use feagi_types::neuron::NeuronColumnsMut;
use feagi_types::rng::excitability_random;
use feagi_types::units::is_capped;
use feagi_types::{FireCandidateList, FireQueue, NeuronArray, NeuronId};

use feagi_types::parallel;

/// Per-neuron parameters the dynamics only read.
struct Params<'a> {
    threshold: &'a [f32],
    threshold_limit: &'a [f32],
    leak: &'a [f32],
    excitability: &'a [f32],
    refractory_period: &'a [u16],
    consecutive_fire_limit: &'a [u16],
    snooze_period: &'a [u16],
}

/// The mutable state of the neurons `offset .. offset + len`.
struct State<'a> {
    offset: usize,
    potential: &'a mut [f32],
    refractory_countdown: &'a mut [u16],
    consecutive_fire_count: &'a mut [u16],
}

impl<'a> State<'a> {
    /// Splits at neuron id `at` (absolute).
    fn split_at(self, at: usize) -> (State<'a>, State<'a>) {
        let mid = at - self.offset;
        let (p0, p1) = self.potential.split_at_mut(mid);
        let (r0, r1) = self.refractory_countdown.split_at_mut(mid);
        let (c0, c1) = self.consecutive_fire_count.split_at_mut(mid);
        (
            State {
                offset: self.offset,
                potential: p0,
                refractory_countdown: r0,
                consecutive_fire_count: c0,
            },
            State {
                offset: at,
                potential: p1,
                refractory_countdown: r1,
                consecutive_fire_count: c1,
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

/// UPDATE(n, P, t) of SPEC §4.4. `i` indexes the state slices, `id` the params.
#[inline]
fn update(p: &Params<'_>, s: &mut State<'_>, id: NeuronId, input: f32, burst: u64) -> Update {
    let n = id as usize;
    let i = n - s.offset;
    let cap = p.consecutive_fire_limit[n];
    let capped = is_capped(cap);
    let countdown = s.refractory_countdown[i];
    if countdown > 0 {
        let countdown = countdown - 1;
        s.refractory_countdown[i] = countdown;
        if countdown == 0 && capped && s.consecutive_fire_count[i] >= cap {
            s.consecutive_fire_count[i] = 0;
        }
        return Update::Refractory;
    }
    // V stays finite (SPEC §4.4): a sum beyond f32 range saturates.
    let v = (s.potential[i] + input).clamp(-f32::MAX, f32::MAX);
    if v >= p.threshold[n] && v <= p.threshold_limit[n] {
        if capped && s.consecutive_fire_count[i] >= cap {
            // Blocked by the cap: V is kept as it is, without leak.
            s.consecutive_fire_count[i] = 0;
            s.potential[i] = v;
            return Update::Quiet;
        }
        if excited(p.excitability[n], id, burst) {
            s.potential[i] = 0.0;
            let count = s.consecutive_fire_count[i].saturating_add(1);
            s.consecutive_fire_count[i] = count;
            s.refractory_countdown[i] = if capped && count >= cap {
                p.refractory_period[n].saturating_add(p.snooze_period[n])
            } else {
                p.refractory_period[n]
            };
            return Update::Fired(v);
        }
    }
    if capped {
        s.consecutive_fire_count[i] = 0;
    }
    s.potential[i] = v * (1.0 - p.leak[n]);
    Update::Quiet
}

fn run_range(
    candidates: &[NeuronId],
    sums: &[f32],
    p: &Params<'_>,
    mut s: State<'_>,
    burst: u64,
    out: &mut Output,
) {
    for &id in candidates {
        match update(p, &mut s, id, sums[id as usize], burst) {
            Update::Fired(v) => {
                out.fired.push(id);
                out.potentials.push(v);
            }
            Update::Refractory => out.refractory += 1,
            Update::Quiet => {}
        }
    }
}

fn run_split(
    candidates: &[NeuronId],
    sums: &[f32],
    p: &Params<'_>,
    s: State<'_>,
    burst: u64,
    outs: &mut [Output],
) {
    if outs.len() <= 1 || candidates.len() < 2 {
        if let Some(out) = outs.first_mut() {
            run_range(candidates, sums, p, s, burst, out);
        }
        return;
    }
    let left_outs = outs.len() / 2;
    let mid = candidates.len() * left_outs / outs.len();
    let mid = mid.clamp(1, candidates.len() - 1);
    let (ca, cb) = candidates.split_at(mid);
    let (sa, sb) = s.split_at(cb[0] as usize);
    let (oa, ob) = outs.split_at_mut(left_outs);
    parallel::join(
        || run_split(ca, sums, p, sa, burst, oa),
        || run_split(cb, sums, p, sb, burst, ob),
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
    let NeuronColumnsMut {
        membrane_potential,
        threshold,
        threshold_limit,
        leak,
        excitability,
        refractory_period,
        refractory_countdown,
        consecutive_fire_limit,
        consecutive_fire_count,
        snooze_period,
        ..
    } = neurons.columns_mut();
    let params = Params {
        threshold,
        threshold_limit,
        leak,
        excitability,
        refractory_period,
        consecutive_fire_limit,
        snooze_period,
    };
    let state = State {
        offset: 0,
        potential: membrane_potential,
        refractory_countdown,
        consecutive_fire_count,
    };
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
        };
        run_range(candidates, fcl.sums(), &params, state, burst, &mut out);
        fire_queue.neuron_ids = out.fired;
        fire_queue.potentials = out.potentials;
        stats.refractory = out.refractory;
    } else {
        for out in scratch.iter_mut() {
            out.fired.clear();
            out.potentials.clear();
            out.refractory = 0;
        }
        run_split(candidates, fcl.sums(), &params, state, burst, scratch);
        for out in scratch.iter() {
            fire_queue.neuron_ids.extend_from_slice(&out.fired);
            fire_queue.potentials.extend_from_slice(&out.potentials);
            stats.refractory += out.refractory;
        }
    }
    stats
}
