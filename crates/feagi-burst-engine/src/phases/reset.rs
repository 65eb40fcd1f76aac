//! Phase 0: start a burst from a clean slate.
//!
//! Every non-accumulating neuron must hold V = 0 when a burst starts. Only the
//! candidates of the previous burst can have changed V since, plus neurons an
//! API call asked to reset; the result is the same as resetting everyone (D7).
//! The candidates' resets were already done by the previous burst's dynamics
//! (deferred resets, `feagi_types::neuron`), so this phase visits only the
//! API's neurons.

use feagi_types::{FireCandidateList, NeuronArray, NeuronId};

/// Resets V of `pending` (neurons an API call asked to reset), ends the
/// deferred resets of the last burst's candidates (their records already
/// hold +0.0, see `feagi_types::DeferredResets`), then empties the FCL and
/// `pending`.
pub fn run(neurons: &mut NeuronArray, fcl: &mut FireCandidateList, pending: &mut Vec<NeuronId>) {
    let (records, deferred) = neurons.records_mut();
    for &id in pending.iter() {
        let r = &mut records[id as usize];
        if !r.mp_charge_accumulation() {
            r.set_potential(0.0);
        }
    }
    pending.clear();
    deferred.clear();
    fcl.clear();
}
