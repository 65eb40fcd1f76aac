//! Ctrl-C, SIGTERM and SIGHUP (the `ctrlc` crate's `termination` feature).
//!
//! Three phases. Until [`Interrupt::defer`], nothing has been written: a
//! signal ends the process at once with status 1 (a genome that takes a
//! minute to develop need not be waited for). From `defer` on, outputs are
//! open: a signal only sets a flag, the command finishes the burst under way
//! and then writes its record, raster, summary and snapshot completely, and
//! exits with status 0. After [`Interrupt::ending`] (a failure has been
//! reported) a signal ends the process at once and silently: in an MPI job
//! `mpirun` terminates the other ranks when one exits with an error, and
//! that must not add a second, misleading message.
//!
//! In an MPI job only rank 0 speaks ([`Interrupt::in_job`]): the other
//! ranks' signals are silent, and rank 0 says when a signal stops the job,
//! since mpirun's own report of a rank that died follows later.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    AtOnce,
    Deferred,
    Ending,
}

/// The signal state of one command.
#[derive(Clone, Debug)]
pub struct Interrupt {
    stop: Arc<AtomicBool>,
    /// Signals end or stop the command without a word (ranks other than 0).
    silent: Arc<AtomicBool>,
    /// Printed when a signal first stops a deferred command.
    notice: Arc<Mutex<Option<String>>>,
    /// Held by the handler while it exits, so a phase change never returns
    /// while an exit is under way.
    phase: Arc<Mutex<Phase>>,
}

impl Interrupt {
    /// Installs the handler for SIGINT, SIGTERM and SIGHUP (once per process).
    pub fn install() -> Interrupt {
        let interrupt = Interrupt {
            stop: Arc::new(AtomicBool::new(false)),
            silent: Arc::new(AtomicBool::new(false)),
            notice: Arc::new(Mutex::new(None)),
            phase: Arc::new(Mutex::new(Phase::AtOnce)),
        };
        let handler = interrupt.clone();
        // If a handler cannot be installed, signals keep their default action.
        let _ = ctrlc::set_handler(move || {
            // The guard is held through the exit (see `phase`).
            let guard = handler.phase.lock();
            let silent = handler.silent.load(Ordering::SeqCst);
            match guard.as_deref().copied().unwrap_or(Phase::AtOnce) {
                Phase::AtOnce => {
                    if !silent {
                        // In a job the signal may be mpirun's, after another rank ended.
                        let why = if handler.notice.lock().is_ok_and(|n| n.is_some()) {
                            " (Ctrl-C, or mpirun ending the job because a rank ended: its report follows)"
                        } else {
                            ""
                        };
                        errln!(
                            "feagi-npu: error: interrupted before the first burst{why}; nothing was written"
                        );
                    }
                    std::process::exit(1);
                }
                Phase::Ending => std::process::exit(1),
                Phase::Deferred => {
                    if !handler.stop.swap(true, Ordering::SeqCst) && !silent {
                        if let Some(notice) = handler.notice.lock().ok().and_then(|n| n.clone()) {
                            errln!("{notice}");
                        }
                    }
                }
            }
            drop(guard);
        });
        interrupt
    }

    /// This command is rank `rank` of an MPI job: rank 0 announces a stop,
    /// the other ranks stay silent.
    #[cfg_attr(not(feature = "mpi"), allow(dead_code))]
    pub fn in_job(&self, rank: usize) {
        if rank == 0 {
            if let Ok(mut n) = self.notice.lock() {
                *n = Some(
                    "feagi-npu: stopping after this burst on a signal (Ctrl-C, or mpirun ending \
                     the job because a rank ended: its report follows)"
                        .to_string(),
                );
            }
        } else {
            self.silent.store(true, Ordering::SeqCst);
        }
    }

    fn set(&self, phase: Phase) {
        if let Ok(mut g) = self.phase.lock() {
            *g = phase;
        }
    }

    /// From now on a signal asks the command to stop instead of ending it.
    pub fn defer(&self) {
        self.set(Phase::Deferred);
    }

    /// The command failed and said so: a signal now ends it without a word.
    #[cfg_attr(not(feature = "mpi"), allow(dead_code))]
    pub fn ending(&self) {
        self.set(Phase::Ending);
    }

    /// Whether a signal asked the command to stop.
    pub fn requested(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }
}
