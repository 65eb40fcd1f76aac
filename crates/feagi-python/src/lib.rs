//! Python bindings of the FEAGI Rust NPU: the extension module `feagi_rust`.
//! Its Rust items are private; the API is the Python one (`docs/PYTHON.md`).
//!
//! Modules:
//!
//! * `npu::PyRustNpu` (`feagi_rust.RustNPU`) wraps a `feagi_runtime::NpuHandle`
//!   (the NPU behind an `Arc<parking_lot::Mutex<..>>`), so a background burst
//!   loop, long `run` calls (which release the GIL) and other Python threads
//!   can share it.
//! * `results` holds the result classes (`BurstResult`, `SpikeRecord`).
//! * `burst_loop` is the Python side of `feagi_runtime::BurstLoop`: it calls
//!   the callback with the GIL and formats exceptions.
//! * `params` turns Python values into runtime gene values.
//! * `convert` turns Python values (lists, numpy arrays, ids) into Rust ones
//!   with range checks, and `errors` maps Rust errors to Python exceptions.
//!
//! Locking rule (what keeps this deadlock-free): code that holds the NPU lock
//! never waits for the GIL. Code that holds the GIL and finds the lock busy
//! releases the GIL while it waits (`npu::PyRustNpu`'s `lock`), and no
//! Python code runs while the lock is held (arguments are converted first).

use pyo3::prelude::*;

mod burst_loop;
mod convert;
mod errors;
mod npu;
mod params;
mod results;

/// The embedded default genome as JSON text.
///
/// Load it with ``RustNPU.from_genome(default_genome_json())``.
#[pyfunction]
fn default_genome_json() -> &'static str {
    feagi_genome::default_genome_json()
}

/// Stops every running burst loop and waits for its thread. Registered with
/// `atexit`, so no loop thread calls into an interpreter that is shutting down.
#[pyfunction]
fn _stop_all_burst_loops(py: Python<'_>) {
    burst_loop::stop_all(py);
}

/// feagi-rust: a Rust implementation of FEAGI's Neural Processing Unit.
///
/// ``RustNPU`` builds a brain from a genome or by hand, runs bursts (one at a
/// time, ``run(n)`` with the GIL released, or a background burst loop) and
/// answers queries with numpy arrays. See docs/PYTHON.md.
// `gil_used`: input arrays are read while the GIL guards them from other
// Python threads; a free-threaded interpreter must keep its GIL for this module.
#[pymodule(gil_used = true)]
fn feagi_rust(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("GenomeError", py.get_type::<errors::GenomeError>())?;
    m.add(
        "GenomeCapacityError",
        errors::genome_capacity_error_type(py)?.clone(),
    )?;
    m.add_class::<npu::PyRustNpu>()?;
    m.add_class::<results::BurstResult>()?;
    m.add_class::<results::SpikeRecord>()?;
    m.add_function(wrap_pyfunction!(default_genome_json, m)?)?;
    let stop_all = wrap_pyfunction!(_stop_all_burst_loops, m)?;
    m.add_function(stop_all.clone())?;
    py.import("atexit")?.call_method1("register", (stop_all,))?;
    Ok(())
}
