//! The runtime layer of feagi-rust: what the CLI, the Python module and a
//! server share to run one NPU.
//!
//! ```
//! use std::ops::ControlFlow;
//! use feagi_burst_engine::{NpuConfig, RustNPU};
//! use feagi_genome::Genome;
//! use feagi_runtime::{apply_gene_updates, BurstLoop, GeneValue, NpuHandle};
//!
//! let genome = Genome::default_genome();
//! let npu = RustNPU::from_genome(&genome, NpuConfig::default())?;
//! let handle = NpuHandle::with_warnings(npu, genome.warnings().to_vec());
//!
//! // A gene update by any name the genome accepts: hierarchical, alias or exon.
//! handle.with(|npu| -> Result<(), Box<dyn std::error::Error>> {
//!     let sensors = npu.resolve_area("i_sens")?;
//!     apply_gene_updates(npu, sensors, &[("snooze_period", GeneValue::Int(2))])?;
//!     Ok(())
//! })??;
//!
//! // Five bursts at 1 kHz on the background thread; the hook sees each one.
//! let burst_loop = BurstLoop::new();
//! let (tx, rx) = std::sync::mpsc::channel();
//! burst_loop.start(handle.clone(), 1000.0, Some(5), move |s: &feagi_runtime::BurstSnapshot| {
//!     let _ = tx.send((s.burst, s.fired_count()));
//!     ControlFlow::Continue(())
//! })?;
//! let seen: Vec<(u64, usize)> = rx.iter().collect(); // ends when the loop drops the hook
//! assert_eq!(seen.iter().map(|s| s.0).collect::<Vec<_>>(), [1, 2, 3, 4, 5]);
//! burst_loop.stop();
//! assert_eq!(burst_loop.last_error(), None);
//! assert_eq!(handle.with(|npu| npu.burst_count())?, 5);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! * [`NpuHandle`]: one [`RustNPU`](feagi_burst_engine::RustNPU) behind an
//!   `Arc<Mutex<..>>`, cheap to clone; a panic inside a call becomes
//!   [`RuntimeError::Panic`] and poisons the NPU, so every later call is
//!   refused with [`RuntimeError::Poisoned`].
//! * [`Pacer`] and [`BurstLoop`]: bursts at a fixed rate with one catch-up
//!   rule. Sleep until the next deadline; when a burst ends late by at most
//!   one period, start the next at once and keep the schedule; when behind by
//!   more than one period, restart the schedule from now, never bursting to
//!   catch up. The loop runs its hook without the NPU lock held.
//!   [`Pacer::wait_unless`] sleeps in short slices so a synchronous loop
//!   (`feagi-npu run`) can stop within [`STOP_CHECK_INTERVAL`] of a signal.
//! * [`BurstSnapshot`]: an owned copy of a burst's results for other threads.
//! * [`parse_gene_update`] and [`apply_gene_updates`]: runtime gene updates
//!   (SPEC §4.6) by any name, alias or exon of the genome's gene table.

mod burst_loop;
mod error;
mod genes;
mod handle;
mod pacer;
mod snapshot;

pub use burst_loop::{BurstHook, BurstLoop, LoopError};
pub use error::{panic_message, RuntimeError};
pub use genes::{
    apply_gene_updates, apply_parsed_updates, gene_names, parse_gene_update,
    parse_json_gene_update, resolve_gene, GeneError, GeneTarget, GeneUpdate, GeneValue,
    NotAGeneValue, THRESHOLD_INCREMENT_VECTOR,
};
pub use handle::{NpuGuard, NpuHandle, NpuState};
pub use pacer::{period_from_hz, Pace, Pacer, MIN_FREQUENCY_HZ, STOP_CHECK_INTERVAL};
pub use snapshot::BurstSnapshot;
