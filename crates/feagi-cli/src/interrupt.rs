//! Ctrl-C, SIGTERM and SIGHUP (the `ctrlc` crate's `termination` feature).
//!
//! Two phases. Until [`Interrupt::defer`], nothing has been written: a
//! signal ends the process at once with status 1 (a genome that takes a
//! minute to develop need not be waited for). From `defer` on, outputs are
//! open: a signal only sets a flag, the command finishes the burst under way
//! and then writes its record, raster, summary and snapshot completely, and
//! exits with status 0.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// The signal state of one command.
#[derive(Clone, Debug)]
pub struct Interrupt {
    stop: Arc<AtomicBool>,
    /// True until `defer`: a signal exits at once. Held by the handler while
    /// it exits, so `defer` never returns while an exit is under way.
    at_once: Arc<Mutex<bool>>,
}

impl Interrupt {
    /// Installs the handler for SIGINT, SIGTERM and SIGHUP (once per process).
    pub fn install() -> Interrupt {
        let interrupt = Interrupt {
            stop: Arc::new(AtomicBool::new(false)),
            at_once: Arc::new(Mutex::new(true)),
        };
        let handler = interrupt.clone();
        // If a handler cannot be installed, signals keep their default action.
        let _ = ctrlc::set_handler(move || {
            // The guard is held through the exit (see `at_once`).
            let guard = handler.at_once.lock();
            if guard.as_ref().is_ok_and(|at_once| **at_once) {
                errln!("feagi-npu: error: interrupted before the first burst; nothing was written");
                std::process::exit(1);
            }
            handler.stop.store(true, Ordering::SeqCst);
            drop(guard);
        });
        interrupt
    }

    /// From now on a signal asks the command to stop instead of ending it.
    pub fn defer(&self) {
        if let Ok(mut g) = self.at_once.lock() {
            *g = false;
        }
    }

    /// Whether a signal asked the command to stop.
    pub fn requested(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }
}
