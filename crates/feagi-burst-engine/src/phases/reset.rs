//! Phase 0: start a burst from a clean slate.
//!
//! Every non-accumulating neuron must hold V = 0 when a burst starts. Only the
//! candidates of the previous burst can have changed V since, so the reset
//! visits those (plus neurons an API call asked to reset) instead of the whole
//! brain; the result is the same as resetting everyone (D7).

use feagi_types::{FireCandidateList, NeuronArray, NeuronId};

/// Resets V of the last burst's non-accumulating candidates and of `pending`,
/// then empties the FCL and `pending`.
pub fn run(neurons: &mut NeuronArray, fcl: &mut FireCandidateList, pending: &mut Vec<NeuronId>) {
    let columns = neurons.columns_mut();
    let potential = columns.membrane_potential;
    let accumulate = columns.mp_charge_accumulation;
    let mut reset = |id: NeuronId| {
        let i = id as usize;
        if !accumulate[i] {
            potential[i] = 0.0;
        }
    };
    pending.iter().copied().for_each(&mut reset);
    pending.clear();
    fcl.clear_each(reset);
}
