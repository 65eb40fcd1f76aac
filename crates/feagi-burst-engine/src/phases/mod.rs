//! The phases of a burst (SPEC §4.1), each in its own module:
//! [`cleanup`] (phase 0: reset of non-accumulating potentials, clearing the
//! previous FCL), [`injection`] (phase 1: staged, power, fatigue and synaptic
//! input into the FCL), [`dynamics`] (phase 2: neuron updates, fire queue) and
//! [`archival`] (phase 3: the fire ledger). `RustNPU::process_burst` runs them
//! in that order.

pub mod archival;
pub mod cleanup;
pub mod dynamics;
pub mod injection;
