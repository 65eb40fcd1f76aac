//! [`BurstLoop`]: bursts on a background thread at a steady rate.

use std::ops::ControlFlow;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Instant;

use parking_lot::{Condvar, Mutex};

use crate::error::{panic_message, RuntimeError};
use crate::handle::NpuHandle;
use crate::pacer::{period_from_hz, Pace, Pacer, MIN_FREQUENCY_HZ};
use crate::snapshot::BurstSnapshot;

/// Why a burst loop could not start.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LoopError {
    /// The rate is not finite or below [`MIN_FREQUENCY_HZ`].
    #[error("frequency must be a finite number of at least {MIN_FREQUENCY_HZ} Hz, got {0}")]
    InvalidFrequency(f64),
    /// A loop of this [`BurstLoop`] is running.
    #[error("the burst loop is already running")]
    AlreadyRunning,
    /// The operating system refused a thread.
    #[error("cannot start the burst loop thread: {0}")]
    Spawn(String),
}

/// What the loop calls after each burst, without the NPU lock held.
///
/// Any `FnMut(&BurstSnapshot) -> ControlFlow<Option<String>>` is a hook:
/// `Continue(())` goes on, `Break(None)` stops the loop, `Break(Some(e))`
/// stops it and keeps `e` as [`BurstLoop::last_error`].
pub trait BurstHook: Send + 'static {
    /// Called after each successful burst.
    fn on_burst(&mut self, snapshot: &BurstSnapshot) -> ControlFlow<Option<String>>;

    /// Called when a burst fails; returns the text kept as the loop's error.
    /// The loop stops afterwards.
    fn on_error(&mut self, error: &RuntimeError) -> String {
        format!("burst failed: {error}")
    }
}

impl<F> BurstHook for F
where
    F: FnMut(&BurstSnapshot) -> ControlFlow<Option<String>> + Send + 'static,
{
    fn on_burst(&mut self, snapshot: &BurstSnapshot) -> ControlFlow<Option<String>> {
        self(snapshot)
    }
}

/// Stop flag and wake-up of one loop thread.
#[derive(Debug)]
struct Control {
    stop: Mutex<bool>,
    wake: Condvar,
    running: AtomicBool,
}

impl Control {
    fn request_stop(&self) {
        *self.stop.lock() = true;
        self.wake.notify_all();
    }

    fn stop_requested(&self) -> bool {
        *self.stop.lock()
    }

    /// Sleeps until `deadline` or a stop request; returns whether to stop.
    fn sleep_until(&self, deadline: Instant) -> bool {
        let mut stop = self.stop.lock();
        while !*stop {
            if self.wake.wait_until(&mut stop, deadline).timed_out() {
                break;
            }
        }
        *stop
    }
}

#[derive(Debug)]
struct LoopRun {
    control: Arc<Control>,
    thread: JoinHandle<()>,
}

/// One NPU's background burst loop: at most one thread at a time, named
/// `feagi-burst-loop`.
///
/// The thread runs a burst (holding the NPU lock only for the burst), calls
/// the [`BurstHook`] without the lock, then paces with [`Pacer`]'s catch-up
/// rule: sleep until the next deadline; when a burst ends late by at most
/// one period, start the next at once and keep the schedule; when behind by
/// more than one period, restart the schedule from now, never bursting to
/// catch up.
///
/// The loop ends after `max_bursts`, on [`BurstLoop::stop`] (from any
/// thread, or from inside the hook, where it does not join), when the hook
/// breaks, or when a burst fails or panics; the error that stopped it is
/// kept as text ([`BurstLoop::last_error`]) until the next start. Dropping
/// the `BurstLoop` asks its thread to stop without waiting.
#[derive(Debug, Default)]
pub struct BurstLoop {
    current: Mutex<Option<LoopRun>>,
    last_error: Arc<Mutex<Option<String>>>,
}

impl BurstLoop {
    /// A loop slot with no thread.
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts the loop thread: `frequency_hz` bursts per second (finite, at
    /// least [`MIN_FREQUENCY_HZ`]), at most `max_bursts` bursts, `hook` after
    /// each. The first burst runs at once. Clears the last error.
    pub fn start(
        &self,
        npu: NpuHandle,
        frequency_hz: f64,
        max_bursts: Option<u64>,
        hook: impl BurstHook,
    ) -> Result<(), LoopError> {
        let period = period_from_hz(frequency_hz)?;
        let finished = {
            let mut current = self.current.lock();
            if current.as_ref().is_some_and(LoopRun::is_running) {
                return Err(LoopError::AlreadyRunning);
            }
            current.take()
        };
        if let Some(finished) = finished {
            // The old thread has left its loop. Join it without holding the
            // slot lock, so a caller waiting for that lock is never blocked
            // behind a join.
            let _ = finished.thread.join();
        }
        let mut current = self.current.lock();
        if current.as_ref().is_some_and(LoopRun::is_running) {
            // Another thread started a loop meanwhile.
            return Err(LoopError::AlreadyRunning);
        }
        *self.last_error.lock() = None;
        let control = Arc::new(Control {
            stop: Mutex::new(false),
            wake: Condvar::new(),
            running: AtomicBool::new(true),
        });
        let thread_control = control.clone();
        let errors = self.last_error.clone();
        let mut hook = hook;
        let thread = std::thread::Builder::new()
            .name("feagi-burst-loop".to_string())
            .spawn(move || {
                let control = thread_control;
                let body = AssertUnwindSafe(|| {
                    run_loop(&npu, &control, &errors, period, max_bursts, &mut hook)
                });
                if let Err(payload) = catch_unwind(body) {
                    *errors.lock() = Some(format!(
                        "internal error in the burst loop: {}",
                        panic_message(payload.as_ref())
                    ));
                }
                control.running.store(false, Ordering::SeqCst);
            })
            .map_err(|e| LoopError::Spawn(e.to_string()))?;
        *current = Some(LoopRun { control, thread });
        Ok(())
    }

    /// Stops the loop and waits for its thread. Called from inside the hook
    /// it only asks for the stop (joining would wait for itself); the loop
    /// ends when the hook returns. Does nothing when no loop runs.
    pub fn stop(&self) {
        let run = self.current.lock().take();
        if let Some(run) = run {
            run.control.request_stop();
            if run.thread.thread().id() != std::thread::current().id() {
                let _ = run.thread.join();
            }
        }
    }

    /// Asks the loop to stop without waiting for its thread.
    pub fn request_stop(&self) {
        if let Some(run) = self.current.lock().as_ref() {
            run.control.request_stop();
        }
    }

    /// Whether the loop thread is running.
    pub fn is_running(&self) -> bool {
        self.current
            .lock()
            .as_ref()
            .is_some_and(LoopRun::is_running)
    }

    /// The error that stopped the last loop, if any (cleared by `start`).
    pub fn last_error(&self) -> Option<String> {
        self.last_error.lock().clone()
    }
}

impl LoopRun {
    fn is_running(&self) -> bool {
        self.control.running.load(Ordering::SeqCst)
    }
}

impl Drop for BurstLoop {
    fn drop(&mut self) {
        // Never join here: the last owner may be the hook on the loop thread.
        self.request_stop();
    }
}

fn run_loop(
    npu: &NpuHandle,
    control: &Control,
    errors: &Mutex<Option<String>>,
    period: std::time::Duration,
    max_bursts: Option<u64>,
    hook: &mut impl BurstHook,
) {
    let mut pacer = Pacer::new(period, Instant::now());
    let mut done = 0u64;
    while !control.stop_requested() && max_bursts.is_none_or(|m| done < m) {
        // The NPU lock is held only inside `run_burst`, never during the hook.
        let outcome = npu.run_burst(None);
        done += 1;
        let flow = match outcome {
            Ok(snapshot) => catch_unwind(AssertUnwindSafe(|| hook.on_burst(&snapshot)))
                .unwrap_or_else(|payload| {
                    ControlFlow::Break(Some(format!(
                        "the burst hook panicked: {}",
                        panic_message(payload.as_ref())
                    )))
                }),
            Err(e) => ControlFlow::Break(Some(hook.on_error(&e))),
        };
        if let ControlFlow::Break(error) = flow {
            if error.is_some() {
                *errors.lock() = error;
            }
            break;
        }
        if let Pace::SleepUntil(deadline) = pacer.burst_done(Instant::now()) {
            if control.sleep_until(deadline) {
                break;
            }
        }
    }
}
