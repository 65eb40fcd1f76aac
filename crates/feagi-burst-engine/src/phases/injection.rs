//! Phase 1: build the fire candidate list, adding in exactly the order of
//! SPEC §4.1 (D8): staged input, power, fatigue, then synaptic input from
//! FQ(t-1) by ascending source and, per source, ascending synapse.
//!
//! Parallel propagation splits the FCL into disjoint target ranges; each
//! thread walks every fired source but adds only into its own range, so every
//! target still receives its contributions in the sequential order and the
//! f32 sums are bit-identical to one thread.

use feagi_types::fire::FclShard;
use feagi_types::{
    AreaIndex, FireCandidateList, FireQueue, NeuronId, SynapseArray, SynapseType, FCL_SHARD_ALIGN,
};

use feagi_types::units::OutgoingDivisor;

use crate::areas::{FLAG_MP_DRIVEN_PSP, FLAG_PSP_UNIFORM};
use crate::parallel;

/// How many fired sources ahead propagation prefetches synapse rows.
const PREFETCH_AHEAD: usize = 4;

/// Adds staged (neuron, potential) pairs in staging order and empties the list.
pub fn inject_staged(fcl: &mut FireCandidateList, staged: &mut Vec<(NeuronId, f32)>) {
    let mut shard = fcl.shard();
    for &(id, p) in staged.iter() {
        shard.add(id, p);
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
    pub area_of: &'a [AreaIndex],
    pub area_flags: &'a [u8],
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

    /// Delivers every contribution whose target lies in the shard (SPEC §4.3).
    fn deliver(&self, shard: &mut FclShard<'_>) {
        let (lo, span) = (shard.offset(), shard.len());
        let fired = &self.previous.neuron_ids;
        for (k, (&source, &v_fire)) in fired.iter().zip(&self.previous.potentials).enumerate() {
            // Rows of fired neurons lie far apart: start loading one a few sources ahead.
            if let Some(&ahead) = fired.get(k + PREFETCH_AHEAD) {
                self.synapses.prefetch_row(ahead);
            }
            let row = self.synapses.row(source);
            if row.is_empty() {
                continue;
            }
            let flags = self.area_flags[self.area_of[source as usize] as usize];
            let uniform = flags & FLAG_PSP_UNIFORM != 0;
            let driven_psp = (flags & FLAG_MP_DRIVEN_PSP != 0)
                .then(|| round_half_away(v_fire.clamp(0.0, 255.0)) as u32);
            let divisor = OutgoingDivisor::new(row.len() as u32);
            for i in 0..row.len() {
                let target = row.target[i];
                if (target as usize).wrapping_sub(lo) >= span {
                    continue;
                }
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
                shard.add(target, c);
            }
        }
    }

    /// Delivers FQ(t-1) into the FCL, split across up to `threads` shards.
    pub fn run(&self, fcl: &mut FireCandidateList, threads: usize) {
        let depth = usize::BITS - threads.max(1).saturating_sub(1).leading_zeros();
        self.run_split(fcl.shard(), depth);
    }

    fn run_split(&self, mut shard: FclShard<'_>, depth: u32) {
        let halves = shard.len() / FCL_SHARD_ALIGN;
        if depth == 0 || halves < 2 {
            self.deliver(&mut shard);
            return;
        }
        let (a, b) = shard.split_at(halves / 2 * FCL_SHARD_ALIGN);
        parallel::join(
            || self.run_split(a, depth - 1),
            || self.run_split(b, depth - 1),
        );
    }
}

/// round_half_away(x) = floor(x + 0.5) for x >= 0, in f32 (SPEC §0, §4.3).
#[inline]
pub fn round_half_away(x: f32) -> f32 {
    (x + 0.5).floor()
}
