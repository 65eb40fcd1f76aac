//! Phase 3, first step: archive FQ(t) in the fire ledger (SPEC §5.1).
//! Plasticity runs right after, so it sees burst t's frames.

use feagi_types::memory::is_memory_neuron_id;
use feagi_types::{FireLedger, FireQueue, MemoryNeurons, NeuronArray};

use crate::error::Result;

/// Archives FQ(t); memory neurons go into their memory area's frame.
pub fn run(
    ledger: &mut FireLedger,
    fire_queue: &FireQueue,
    neurons: &NeuronArray,
    memory: &MemoryNeurons,
) -> Result<()> {
    // FQ(t) is ascending: the cursor reads areas run by run.
    let mut areas = neurons.area_cursor();
    ledger.archive(fire_queue.timestep, &fire_queue.neuron_ids, |id| {
        if is_memory_neuron_id(id) {
            // Every fired memory neuron exists; an unknown one is dropped.
            memory.area_of(id).unwrap_or(u32::MAX)
        } else {
            areas.area(id)
        }
    })?;
    Ok(())
}
