//! Memory neurons in a burst (SPEC §6.2), in one place: phase 1e, the
//! forced injections due at t, and the phase 2 bypass that fires them.
//!
//! Memory neurons have no synapses and no dynamics state: a memory neuron
//! fires in burst t if and only if a forced injection is due at t, with
//! V_fire = the sum of what was forced into it. They never enter the fire
//! candidate list (whose dense arrays cover regular neurons only), and their
//! ids, the highest of all, follow the regular neurons in FQ(t), so the queue
//! stays ascending.

use feagi_types::{FireQueue, NeuronId};

/// Phase 1e: takes the forced injections due at this burst into `due`,
/// ascending id, one entry per memory neuron with its summed potential (f32
/// additions in staging order), and empties `forced`.
pub(crate) fn take_forced(forced: &mut Vec<(NeuronId, f32)>, due: &mut Vec<(NeuronId, f32)>) {
    due.clear();
    // Stable: a neuron's contributions keep their staging order in the sum.
    forced.sort_by_key(|&(id, _)| id);
    for &(id, p) in forced.iter() {
        match due.last_mut() {
            Some((last, sum)) if *last == id => *sum += p,
            _ => due.push((id, 0.0 + p)),
        }
    }
    forced.clear();
}

/// Phase 2 bypass: appends the forced memory neurons to FQ(t) after the
/// regular neurons; returns how many fired.
pub(crate) fn fire(due: &[(NeuronId, f32)], fire_queue: &mut FireQueue) -> usize {
    for &(id, v) in due {
        fire_queue.neuron_ids.push(id);
        fire_queue.potentials.push(v);
    }
    due.len()
}
