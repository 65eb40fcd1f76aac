//! The background burst loop: a Rust thread that runs one burst per period
//! and, after each burst, calls an optional Python callback.
//!
//! Why it cannot deadlock: the thread holds the NPU lock only while the burst
//! runs and never while it waits for the GIL; the callback runs with the GIL
//! and without the NPU lock, so it may call any `RustNPU` method (stage input,
//! read the fire queue). `stop` releases the GIL while it joins the thread,
//! and a stop requested from inside the callback does not join at all.
//!
//! Failures (an exception in the callback, a failing burst) never reach the
//! process: the loop stores the formatted error, prints it to `sys.stderr`
//! and stops; `RustNPU.burst_loop_error()` returns it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBool;

use crate::npu::NpuCell;
use crate::results::BurstResult;

/// Stop flag and wake-up of one loop thread.
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

struct LoopRun {
    control: Arc<Control>,
    thread: JoinHandle<()>,
}

/// The burst loop of one `RustNPU`: the running thread, if any, and the
/// error that stopped the last one.
#[derive(Default)]
pub struct LoopSlot {
    current: Mutex<Option<LoopRun>>,
    last_error: Arc<Mutex<Option<String>>>,
}

/// The slowest loop accepted: one burst in about 11.6 days.
const MIN_FREQUENCY_HZ: f64 = 1e-6;

/// Every slot that ever started a loop, for the `atexit` hook.
static REGISTRY: Mutex<Vec<Weak<LoopSlot>>> = parking_lot::const_mutex(Vec::new());

/// Starts the loop thread. `frequency_hz` bursts per second; `max_bursts`
/// ends the loop after that many bursts.
pub fn start(
    py: Python<'_>,
    slot: &Arc<LoopSlot>,
    npu: Arc<NpuCell>,
    frequency_hz: f64,
    callback: Option<Py<PyAny>>,
    max_bursts: Option<u64>,
) -> PyResult<()> {
    if !(frequency_hz.is_finite() && frequency_hz >= MIN_FREQUENCY_HZ) {
        return Err(PyValueError::new_err(format!(
            "frequency_hz must be a finite number of at least {MIN_FREQUENCY_HZ}, got {frequency_hz}"
        )));
    }
    let period = Duration::try_from_secs_f64(1.0 / frequency_hz).map_err(|_| {
        PyValueError::new_err(format!("frequency_hz {frequency_hz} is out of range"))
    })?;
    if let Some(cb) = &callback {
        if !cb.bind(py).is_callable() {
            return Err(PyTypeError::new_err("callback must be callable or None"));
        }
    }
    let already_running = || {
        PyRuntimeError::new_err("the burst loop is already running; call stop_burst_loop() first")
    };
    let finished = {
        let mut current = slot.current.lock();
        if current
            .as_ref()
            .is_some_and(|r| r.control.running.load(Ordering::SeqCst))
        {
            return Err(already_running());
        }
        current.take()
    };
    if let Some(finished) = finished {
        // The old thread has left its loop and needs neither lock nor GIL to
        // end. Join it without holding the slot lock: a thread that waits for
        // that lock may hold the GIL we need back afterwards.
        py.detach(move || {
            let _ = finished.thread.join();
        });
    }
    let mut current = slot.current.lock();
    if current
        .as_ref()
        .is_some_and(|r| r.control.running.load(Ordering::SeqCst))
    {
        // Another thread started a loop meanwhile.
        return Err(already_running());
    }
    *slot.last_error.lock() = None;
    let control = Arc::new(Control {
        stop: Mutex::new(false),
        wake: Condvar::new(),
        running: AtomicBool::new(true),
    });
    let thread_control = control.clone();
    let errors = slot.last_error.clone();
    let thread = std::thread::Builder::new()
        .name("feagi-burst-loop".to_string())
        .spawn(move || {
            let control = thread_control;
            let body = std::panic::AssertUnwindSafe(|| {
                run_loop(&npu, &control, &errors, period, callback, max_bursts)
            });
            if let Err(payload) = std::panic::catch_unwind(body) {
                let message = crate::errors::panic_message(payload.as_ref());
                *errors.lock() = Some(format!("RuntimeError: {message}"));
            }
            control.running.store(false, Ordering::SeqCst);
        })
        .map_err(|e| PyRuntimeError::new_err(format!("cannot start the burst loop: {e}")))?;
    *current = Some(LoopRun { control, thread });
    drop(current);
    let mut registry = REGISTRY.lock();
    registry.retain(|w| w.strong_count() > 0);
    if !registry
        .iter()
        .any(|w| std::ptr::eq(w.as_ptr(), Arc::as_ptr(slot)))
    {
        registry.push(Arc::downgrade(slot));
    }
    Ok(())
}

fn run_loop(
    npu: &NpuCell,
    control: &Control,
    errors: &Mutex<Option<String>>,
    period: Duration,
    callback: Option<Py<PyAny>>,
    max_bursts: Option<u64>,
) {
    let mut next = Instant::now();
    let mut done = 0u64;
    while !control.stop_requested() && max_bursts.is_none_or(|m| done < m) {
        // The lock is released at the end of this statement, before any GIL use.
        let outcome = npu.lock().run_burst(None);
        done += 1;
        let keep_going = match (outcome, &callback) {
            (Err(e), _) => {
                let stored = Python::try_attach(|py| report(py, &e, errors));
                if stored.is_none() {
                    *errors.lock() = Some("burst failed while Python was shutting down".into());
                }
                false
            }
            (Ok(_), None) => true,
            // No interpreter to call into (it is shutting down): stop quietly.
            (Ok(result), Some(cb)) => {
                Python::try_attach(|py| invoke(py, cb, result, errors)).unwrap_or(false)
            }
        };
        if !keep_going {
            break;
        }
        let now = Instant::now();
        next = next.checked_add(period).unwrap_or(now);
        if next <= now {
            // Behind schedule: continue at once, without bursting to catch up.
            next = now;
        } else if control.sleep_until(next) {
            break;
        }
    }
}

/// Calls the callback; false when the loop must stop (an exception, or the
/// callback returned `False`).
fn invoke(
    py: Python<'_>,
    callback: &Py<PyAny>,
    result: BurstResult,
    errors: &Mutex<Option<String>>,
) -> bool {
    let outcome = Py::new(py, result).and_then(|r| callback.call1(py, (r,)));
    match outcome {
        Ok(ret) => {
            // Only a literal `False` stops the loop; `None` and anything else continue.
            let ret = ret.bind(py);
            let returned_false = ret.is_instance_of::<PyBool>() && !ret.is_truthy().unwrap_or(true);
            !returned_false
        }
        Err(e) => {
            report(py, &e, errors);
            false
        }
    }
}

/// Stores the formatted exception (with traceback) and prints it to sys.stderr.
fn report(py: Python<'_>, e: &PyErr, errors: &Mutex<Option<String>>) {
    let formatted = format_exception(py, e).unwrap_or_else(|_| e.to_string());
    if let Ok(stderr) = py.import("sys").and_then(|s| s.getattr("stderr")) {
        let _ = stderr.call_method1(
            "write",
            (format!(
                "feagi_rust: burst loop stopped by an exception:\n{formatted}"
            ),),
        );
    }
    *errors.lock() = Some(formatted);
}

fn format_exception(py: Python<'_>, e: &PyErr) -> PyResult<String> {
    let lines = py.import("traceback")?.call_method1(
        "format_exception",
        (e.get_type(py), e.value(py), e.traceback(py)),
    )?;
    let text: Vec<String> = lines.extract()?;
    Ok(text.concat())
}

/// Whether the loop thread is running.
pub fn is_running(slot: &LoopSlot) -> bool {
    slot.current
        .lock()
        .as_ref()
        .is_some_and(|r| r.control.running.load(Ordering::SeqCst))
}

/// The formatted error that stopped the last loop, if any.
pub fn last_error(slot: &LoopSlot) -> Option<String> {
    slot.last_error.lock().clone()
}

/// Stops the loop and waits for its thread (with the GIL released). From the
/// loop's own callback it only requests the stop; the loop ends when the
/// callback returns.
pub fn stop(py: Python<'_>, slot: &LoopSlot) {
    let run = slot.current.lock().take();
    if let Some(run) = run {
        run.control.request_stop();
        if run.thread.thread().id() == std::thread::current().id() {
            return;
        }
        py.detach(move || {
            let _ = run.thread.join();
        });
    }
}

/// Asks the loop to stop without waiting (used when the NPU object is freed).
pub fn request_stop(slot: &LoopSlot) {
    if let Some(run) = slot.current.lock().as_ref() {
        run.control.request_stop();
    }
}

/// Stops every loop of the process (the `atexit` hook).
pub fn stop_all(py: Python<'_>) {
    let slots: Vec<Arc<LoopSlot>> = REGISTRY.lock().iter().filter_map(Weak::upgrade).collect();
    for slot in slots {
        stop(py, &slot);
    }
}
