//! Phase 3: archive FQ(t) in the fire ledger (SPEC §5.1). M2 plasticity and
//! memory will run here, after archiving, so they see burst t's frames.

use feagi_types::{FireLedger, FireQueue, NeuronArray};

use crate::error::Result;

pub fn run(ledger: &mut FireLedger, fire_queue: &FireQueue, neurons: &NeuronArray) -> Result<()> {
    ledger.archive(fire_queue.timestep, &fire_queue.neuron_ids, neurons.area())?;
    Ok(())
}
