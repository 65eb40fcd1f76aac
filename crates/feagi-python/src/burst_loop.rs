//! The Python side of the background burst loop. Thread, pacing and stop
//! control are `feagi_runtime::BurstLoop`'s (one catch-up rule: sleep until
//! the next deadline; late by at most one period, start at once and keep the
//! schedule; further behind, restart the schedule from now, never bursting
//! to catch up). This module attaches to the interpreter, calls the Python
//! callback and formats exceptions.
//!
//! Why it cannot deadlock: the loop thread holds the NPU lock only while the
//! burst runs and never while it waits for the GIL; the callback runs with
//! the GIL and without the NPU lock, so it may call any `RustNPU` method
//! (stage input, read the fire queue). `stop` releases the GIL while it joins
//! the thread, and a stop requested from inside the callback does not join.
//!
//! Failures (an exception in the callback, a failing burst) never reach the
//! process: the loop keeps the formatted error, prints it to `sys.stderr` and
//! stops; `RustNPU.burst_loop_error()` returns it.

use std::ops::ControlFlow;
use std::sync::{Arc, Weak};

use feagi_runtime::{
    period_from_hz, BurstHook, BurstLoop, BurstSnapshot, LoopError, NpuHandle, RuntimeError,
    MIN_FREQUENCY_HZ,
};
use parking_lot::Mutex;
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBool;

use crate::errors::runtime_error;
use crate::results::BurstResult;

/// Every loop that ever started, for the `atexit` hook.
static REGISTRY: Mutex<Vec<Weak<BurstLoop>>> = parking_lot::const_mutex(Vec::new());

/// Calls the Python callback after each burst and formats failures.
struct PythonHook {
    callback: Option<Py<PyAny>>,
}

impl BurstHook for PythonHook {
    fn on_burst(&mut self, snapshot: &BurstSnapshot) -> ControlFlow<Option<String>> {
        let Some(callback) = &self.callback else {
            return ControlFlow::Continue(());
        };
        // No interpreter to call into (it is shutting down): stop quietly.
        Python::try_attach(|py| invoke(py, callback, snapshot)).unwrap_or(ControlFlow::Break(None))
    }

    fn on_error(&mut self, error: &RuntimeError) -> String {
        Python::try_attach(|py| report(py, &runtime_error(error.clone())))
            .unwrap_or_else(|| "burst failed while Python was shutting down".to_string())
    }
}

/// Starts the loop thread. `frequency_hz` bursts per second; `max_bursts`
/// ends the loop after that many bursts.
pub fn start(
    py: Python<'_>,
    slot: &Arc<BurstLoop>,
    npu: NpuHandle,
    frequency_hz: f64,
    callback: Option<Py<PyAny>>,
    max_bursts: Option<u64>,
) -> PyResult<()> {
    period_from_hz(frequency_hz).map_err(loop_error)?;
    if let Some(cb) = &callback {
        if !cb.bind(py).is_callable() {
            return Err(PyTypeError::new_err("callback must be callable or None"));
        }
    }
    let hook = PythonHook { callback };
    // Starting may join a finished loop thread: never while holding the GIL.
    py.detach(|| slot.start(npu, frequency_hz, max_bursts, hook))
        .map_err(loop_error)?;
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

fn loop_error(e: LoopError) -> PyErr {
    match e {
        LoopError::InvalidFrequency(hz) => PyValueError::new_err(format!(
            "frequency_hz must be a finite number of at least {MIN_FREQUENCY_HZ}, got {hz}"
        )),
        LoopError::AlreadyRunning => PyRuntimeError::new_err(
            "the burst loop is already running; call stop_burst_loop() first",
        ),
        LoopError::Spawn(_) => PyRuntimeError::new_err(e.to_string()),
    }
}

/// Calls the callback; `Break` when the loop must stop (an exception, kept
/// and printed, or the callback returned `False`).
fn invoke(
    py: Python<'_>,
    callback: &Py<PyAny>,
    snapshot: &BurstSnapshot,
) -> ControlFlow<Option<String>> {
    let outcome =
        Py::new(py, BurstResult::from(snapshot.clone())).and_then(|r| callback.call1(py, (r,)));
    match outcome {
        Ok(ret) => {
            // Only a literal `False` stops the loop; `None` and anything else continue.
            let ret = ret.bind(py);
            if ret.is_instance_of::<PyBool>() && !ret.is_truthy().unwrap_or(true) {
                ControlFlow::Break(None)
            } else {
                ControlFlow::Continue(())
            }
        }
        Err(e) => ControlFlow::Break(Some(report(py, &e))),
    }
}

/// Prints the formatted exception (with traceback) to sys.stderr and returns it.
fn report(py: Python<'_>, e: &PyErr) -> String {
    let formatted = format_exception(py, e).unwrap_or_else(|_| e.to_string());
    if let Ok(stderr) = py.import("sys").and_then(|s| s.getattr("stderr")) {
        let _ = stderr.call_method1(
            "write",
            (format!(
                "feagi_rust: burst loop stopped by an exception:\n{formatted}"
            ),),
        );
    }
    formatted
}

fn format_exception(py: Python<'_>, e: &PyErr) -> PyResult<String> {
    let lines = py.import("traceback")?.call_method1(
        "format_exception",
        (e.get_type(py), e.value(py), e.traceback(py)),
    )?;
    let text: Vec<String> = lines.extract()?;
    Ok(text.concat())
}

/// Stops the loop and waits for its thread (with the GIL released). From the
/// loop's own callback it only requests the stop; the loop ends when the
/// callback returns.
pub fn stop(py: Python<'_>, slot: &BurstLoop) {
    py.detach(|| slot.stop());
}

/// Stops every loop of the process (the `atexit` hook).
pub fn stop_all(py: Python<'_>) {
    let slots: Vec<Arc<BurstLoop>> = REGISTRY.lock().iter().filter_map(Weak::upgrade).collect();
    for slot in slots {
        stop(py, &slot);
    }
}
