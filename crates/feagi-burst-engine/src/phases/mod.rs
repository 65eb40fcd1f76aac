//! The phases of a burst (SPEC §4.1), numbered as the spec numbers them,
//! each in its own module:
//!
//! * phase 0, [`reset`]: V of non-accumulating neurons back to 0 (only the
//!   previous candidates can differ), and the previous FCL cleared;
//! * phase 1, [`injection`]: 1a staged input, 1b power, 1c fatigue, 1d
//!   synaptic input from FQ(t-1), into the fire candidate list;
//!   1e forced injections into memory neurons ([`memory`]);
//! * phase 2, [`dynamics`]: every candidate updated in ascending id; the
//!   fired neurons form FQ(t), followed by the forced memory neurons
//!   ([`memory`]);
//! * phase 3, [`archival`]: FQ(t) archived in the fire ledger; then
//!   plasticity (`crate::plasticity`: STDP, memory, plugins);
//! * phase 4, outputs: the `BurstResult` that `RustNPU::process_burst` returns.
//!
//! Private to the engine: `RustNPU::process_burst` is the only caller, and
//! runs them in that order.

pub(crate) mod archival;
pub(crate) mod dynamics;
pub(crate) mod injection;
pub(crate) mod memory;
pub(crate) mod reset;
