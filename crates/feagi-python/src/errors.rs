//! Rust errors as Python exceptions.
//!
//! | Rust error | Python exception |
//! |---|---|
//! | `feagi_genome::GenomeError` | `feagi_rust.GenomeError` (a `ValueError`) with locator attributes |
//! | unknown neuron id, unknown area index | `IndexError` |
//! | unknown cortical id or area name | `KeyError` |
//! | `NpuError::CapacityExceeded` (staged input, neuron limit) | `MemoryError` |
//! | genome kind `CapacityExceeded` (too many neurons or synapses, no memory for them) | `feagi_rust.GenomeCapacityError`, both a `GenomeError` and a `MemoryError` |
//! | everything else (bad values, lengths, ledger requests, duplicates) | `ValueError` |
//! | an internal panic (a bug) | `RuntimeError`; the NPU refuses further use |
//! | runtime gene update: unknown gene name / wrong value type / bad value | `ValueError` / `TypeError` / `ValueError` |
//! | snapshot: the operating system refuses (missing file or folder, no permission) | `OSError` by errno (`FileNotFoundError`, ...) with `filename` |
//! | snapshot: not a snapshot, truncated, corrupted, unsupported version, invalid content | `ValueError` naming the file |

use std::io;
use std::path::Path;

use feagi_burst_engine::{LoadError, NpuError, SnapshotError};
use feagi_genome::GenomeErrorKind;
use feagi_runtime::{GeneError, RuntimeError};
use pyo3::exceptions::{
    PyIndexError, PyKeyError, PyMemoryError, PyOSError, PyRuntimeError, PyTypeError, PyValueError,
};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple, PyType};

pyo3::create_exception!(
    feagi_rust,
    GenomeError,
    PyValueError,
    "A genome failed to load or develop.\n\n\
     ``str(error)`` is the one-line message with its locators. Attributes: ``kind`` (for \
     example ``\"InvalidJson\"``, ``\"UnknownMorphology\"``), ``message`` (without locators) \
     and the locators ``file``, ``gene_key``, ``cortical_id``, ``destination_id``, \
     ``rule_index``, ``morphology_id``, ``pattern_index``, ``line``, ``column`` \
     (``None`` when they do not apply)."
);

const GENOME_CAPACITY_DOC: &str = "A genome needs more than the NPU may hold or memory allows \
     (too many neurons or synapses, or the memory for them cannot be allocated).\n\n\
     Both a ``GenomeError`` (so a ``ValueError``, with ``kind == \"CapacityExceeded\"`` and the \
     locators) and a ``MemoryError``: ``except MemoryError`` catches it like any other capacity \
     error of ``feagi_rust``.";

/// `feagi_rust.GenomeCapacityError`: a subclass of both `GenomeError` and
/// `MemoryError`, created once (a class with two bases cannot be declared
/// with `create_exception!`).
pub fn genome_capacity_error_type(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    static TYPE: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    TYPE.get_or_try_init(py, || -> PyResult<Py<PyType>> {
        let bases = PyTuple::new(
            py,
            [
                py.get_type::<GenomeError>().into_any(),
                py.get_type::<PyMemoryError>().into_any(),
            ],
        )?;
        let namespace = PyDict::new(py);
        namespace.set_item("__doc__", GENOME_CAPACITY_DOC)?;
        namespace.set_item("__module__", "feagi_rust")?;
        let class = py.import("builtins")?.getattr("type")?.call1((
            "GenomeCapacityError",
            bases,
            namespace,
        ))?;
        Ok(class.cast_into::<PyType>()?.unbind())
    })
    .map(|t| t.bind(py))
}

/// A `feagi_rust.GenomeError` carrying the kind, the message and every
/// locator; a `GenomeCapacityError` (also a `MemoryError`) for the kind
/// `CapacityExceeded`.
pub fn genome_error(py: Python<'_>, e: &feagi_genome::GenomeError) -> PyErr {
    let err = if e.kind == GenomeErrorKind::CapacityExceeded {
        match genome_capacity_error_type(py) {
            Ok(class) => PyErr::from_type(class.clone(), e.to_string()),
            Err(type_err) => return type_err,
        }
    } else {
        GenomeError::new_err(e.to_string())
    };
    if let Err(attr_err) = set_genome_attributes(py, &err, e) {
        return attr_err;
    }
    err
}

fn set_genome_attributes(
    py: Python<'_>,
    err: &PyErr,
    e: &feagi_genome::GenomeError,
) -> PyResult<()> {
    let value = err.value(py);
    value.setattr("kind", e.kind.as_str())?;
    value.setattr("message", e.message.as_str())?;
    value.setattr("file", e.file())?;
    value.setattr("gene_key", e.gene_key())?;
    value.setattr("cortical_id", e.cortical_id())?;
    value.setattr("destination_id", e.destination_id())?;
    value.setattr("rule_index", e.rule_index())?;
    value.setattr("morphology_id", e.morphology_id())?;
    value.setattr("pattern_index", e.pattern_index())?;
    value.setattr("line", e.line())?;
    value.setattr("column", e.column())?;
    Ok(())
}

/// The Python exception for an NPU error (see the module table).
pub fn npu_error(e: NpuError) -> PyErr {
    let message = e.to_string();
    match e {
        NpuError::UnknownNeuron(_) | NpuError::UnknownArea(_) => PyIndexError::new_err(message),
        NpuError::UnknownCorticalId(_) | NpuError::UnknownAreaName(_) => {
            PyKeyError::new_err(message)
        }
        NpuError::CapacityExceeded(_) => PyMemoryError::new_err(message),
        _ => PyValueError::new_err(message),
    }
}

/// The Python exception for a failed genome load.
pub fn load_error(py: Python<'_>, e: &LoadError) -> PyErr {
    match e {
        LoadError::Genome(g) => genome_error(py, g),
        LoadError::Npu(n) => npu_error(n.clone()),
    }
}

/// The Python exception for a failed call through the NPU handle: NPU
/// errors as in the module table, a panic or a poisoned NPU as `RuntimeError`.
pub fn runtime_error(e: RuntimeError) -> PyErr {
    match e {
        RuntimeError::Npu(n) => npu_error(n),
        other => PyRuntimeError::new_err(other.to_string()),
    }
}

/// The Python exception for a rejected runtime gene update.
pub fn gene_error(e: GeneError) -> PyErr {
    match e {
        GeneError::WrongType { .. } => PyTypeError::new_err(e.to_string()),
        GeneError::Runtime(r) => runtime_error(r),
        _ => PyValueError::new_err(e.to_string()),
    }
}

/// The Python exception for a failed snapshot save or load: what the
/// operating system refused as `OSError` (the subclass its errno selects,
/// with `errno`, `strerror` and `filename`), everything else (not a
/// snapshot, truncated, corrupted, a format version this engine does not
/// read, invalid content) as `ValueError`. Messages name the file.
pub fn snapshot_error(e: SnapshotError) -> PyErr {
    match &e {
        SnapshotError::File { path, source } => match source.as_ref() {
            SnapshotError::Io(io) => os_error(io, path, e.to_string()),
            _ => PyValueError::new_err(e.to_string()),
        },
        SnapshotError::Io(io) => io::Error::new(io.kind(), e.to_string()).into(),
        _ => PyValueError::new_err(e.to_string()),
    }
}

/// `OSError(errno, strerror, filename)`, which Python turns into the
/// subclass of the errno (`FileNotFoundError`, `PermissionError`, ...); an
/// error without an errno becomes the subclass of its kind, with `message`.
fn os_error(e: &io::Error, path: &Path, message: String) -> PyErr {
    match e.raw_os_error() {
        Some(code) => {
            let text = e.to_string();
            let strerror = text
                .strip_suffix(&format!(" (os error {code})"))
                .unwrap_or(&text)
                .to_string();
            PyOSError::new_err((code, strerror, path.display().to_string()))
        }
        None => io::Error::new(e.kind(), message).into(),
    }
}

/// The exception for a caught panic (a bug in feagi-rust, never bad input).
pub fn internal_panic(payload: &(dyn std::any::Any + Send)) -> PyErr {
    runtime_error(RuntimeError::Panic(feagi_runtime::panic_message(payload)))
}
