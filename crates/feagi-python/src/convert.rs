//! Python values to Rust values, with the range checks that turn bad input
//! into clear Python exceptions instead of wrapped or truncated numbers.
//!
//! Array arguments accept numpy arrays of any integer (or, for potentials,
//! numeric) dtype, lists and tuples. A 1-D contiguous array of exactly the
//! Rust element type is read in place; anything else is converted once by
//! numpy (`asarray` + `astype`, no per-element Python objects for arrays).

use feagi_burst_engine::{AreaIndex, NeuronId, RustNPU};
use numpy::{
    Element, PyArray1, PyArrayDescrMethods, PyArrayMethods, PyReadonlyArray1, PyUntypedArray,
    PyUntypedArrayMethods,
};
use pyo3::exceptions::{PyIndexError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyInt, PyString};

use crate::errors::npu_error;

/// A 1-D input array: borrowed from numpy when it already has the right
/// dtype and layout, otherwise an owned copy.
pub enum Slice<'py, T: Element> {
    Borrowed(PyReadonlyArray1<'py, T>),
    Owned(Vec<T>),
}

impl<T: Element> Slice<'_, T> {
    pub fn as_slice(&self) -> &[T] {
        match self {
            // Only contiguous arrays are kept borrowed, so this never falls back.
            Slice::Borrowed(a) => a.as_slice().unwrap_or(&[]),
            Slice::Owned(v) => v,
        }
    }

    #[allow(clippy::len_without_is_empty)] // Callers compare lengths only.
    pub fn len(&self) -> usize {
        self.as_slice().len()
    }
}

/// The exact array when `obj` is a contiguous 1-D numpy array of `T`.
fn borrow_exact<'py, T: Element>(obj: &Bound<'py, PyAny>) -> Option<PyReadonlyArray1<'py, T>> {
    let array = obj.cast::<PyArray1<T>>().ok()?;
    let readonly = array.try_readonly().ok()?;
    readonly.as_slice().ok()?;
    Some(readonly)
}

/// `numpy.asarray(obj)` as a 1-D array (0-D is reported as such to the caller).
fn as_numpy<'py>(obj: &Bound<'py, PyAny>, what: &str) -> PyResult<Bound<'py, PyUntypedArray>> {
    let py = obj.py();
    let array = py
        .import("numpy")?
        .getattr("asarray")?
        .call1((obj,))
        .map_err(|e| {
            PyTypeError::new_err(format!(
                "{what} must be a sequence or numpy array of numbers ({e})"
            ))
        })?;
    array
        .cast_into::<PyUntypedArray>()
        .map_err(|_| PyTypeError::new_err(format!("{what} must be a sequence or numpy array")))
}

fn dtype_name(array: &Bound<'_, PyUntypedArray>) -> String {
    array
        .dtype()
        .str()
        .map(|s| s.to_string())
        .unwrap_or_else(|_| "?".to_string())
}

fn require_1d(array: &Bound<'_, PyUntypedArray>, what: &str) -> PyResult<()> {
    if array.ndim() != 1 {
        return Err(PyValueError::new_err(format!(
            "{what} must be one-dimensional, got shape {:?}",
            array.shape()
        )));
    }
    Ok(())
}

/// Converts a numpy array to a `Vec<U>` with numpy's `astype`.
fn astype_vec<U: Element + Copy>(array: &Bound<'_, PyUntypedArray>) -> PyResult<Vec<U>> {
    let py = array.py();
    let converted = array
        .call_method1("astype", (numpy::dtype::<U>(py),))?
        .cast_into::<PyArray1<U>>()?;
    Ok(converted.to_vec()?)
}

/// The integers of a 1-D array-like, read by numpy (no Python object per element).
enum Ints {
    Unsigned(Vec<u64>),
    Signed(Vec<i64>),
}

fn int_values(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Ints> {
    let array = as_numpy(obj, what)?;
    // `[]` becomes a float64 array: accept it before looking at the dtype.
    if array.ndim() == 1 && array.is_empty() {
        return Ok(Ints::Unsigned(Vec::new()));
    }
    let kind = array.dtype().kind();
    if !matches!(kind, b'b' | b'u' | b'i') {
        return Err(PyTypeError::new_err(format!(
            "{what} must hold integers, got dtype {}",
            dtype_name(&array)
        )));
    }
    require_1d(&array, what)?;
    Ok(if kind == b'i' {
        Ints::Signed(astype_vec::<i64>(&array)?)
    } else {
        Ints::Unsigned(astype_vec::<u64>(&array)?)
    })
}

/// Unsigned integers no greater than `max`, as `T`.
pub fn uint_array<'py, T>(obj: &Bound<'py, PyAny>, what: &str, max: u64) -> PyResult<Slice<'py, T>>
where
    T: Element + Copy + Into<u64> + TryFrom<u64>,
{
    if let Some(array) = borrow_exact::<T>(obj) {
        let out = Slice::Borrowed(array);
        check_max(out.as_slice(), what, max)?;
        return Ok(out);
    }
    let wide: Vec<u64> = match int_values(obj, what)? {
        Ints::Unsigned(v) => v,
        Ints::Signed(v) => {
            if let Some((i, x)) = v.iter().enumerate().find(|(_, x)| **x < 0) {
                return Err(out_of_range(what, i, *x as i128, max));
            }
            v.into_iter().map(|x| x as u64).collect()
        }
    };
    check_max(&wide, what, max)?;
    let mut out = Vec::with_capacity(wide.len());
    for (i, v) in wide.into_iter().enumerate() {
        out.push(T::try_from(v).map_err(|_| out_of_range(what, i, v as i128, max))?);
    }
    Ok(Slice::Owned(out))
}

/// Voxel coordinates for staging. Values outside u32 (negative ones included)
/// become `u32::MAX`, which lies outside every area, so they are skipped like
/// any other voxel outside the area.
pub fn coordinate_array<'py>(obj: &Bound<'py, PyAny>, what: &str) -> PyResult<Slice<'py, u32>> {
    if let Some(array) = borrow_exact::<u32>(obj) {
        return Ok(Slice::Borrowed(array));
    }
    let outside = u32::MAX;
    Ok(Slice::Owned(match int_values(obj, what)? {
        Ints::Unsigned(v) => v
            .into_iter()
            .map(|x| u32::try_from(x).unwrap_or(outside))
            .collect(),
        Ints::Signed(v) => v
            .into_iter()
            .map(|x| u32::try_from(x).unwrap_or(outside))
            .collect(),
    }))
}

fn check_max<T: Copy + Into<u64>>(values: &[T], what: &str, max: u64) -> PyResult<()> {
    match values.iter().position(|v| (*v).into() > max) {
        Some(i) => Err(out_of_range(what, i, values[i].into() as i128, max)),
        None => Ok(()),
    }
}

fn out_of_range(what: &str, index: usize, value: i128, max: u64) -> PyErr {
    PyValueError::new_err(format!(
        "{what}[{index}] = {value} is out of range 0..={max}"
    ))
}

/// Finite or not, any real numbers as f32. A scalar is repeated `broadcast`
/// times when `broadcast` is given.
pub fn f32_array<'py>(
    obj: &Bound<'py, PyAny>,
    what: &str,
    broadcast: Option<usize>,
) -> PyResult<Slice<'py, f32>> {
    if let Some(array) = borrow_exact::<f32>(obj) {
        return Ok(Slice::Borrowed(array));
    }
    let array = as_numpy(obj, what)?;
    let kind = array.dtype().kind();
    if !matches!(kind, b'f' | b'i' | b'u' | b'b') {
        return Err(PyTypeError::new_err(format!(
            "{what} must hold real numbers, got dtype {}",
            dtype_name(&array)
        )));
    }
    if array.ndim() == 0 {
        if let Some(n) = broadcast {
            let value: f64 = array.call_method0("item")?.extract()?;
            return Ok(Slice::Owned(vec![value as f32; n]));
        }
    }
    require_1d(&array, what)?;
    if array.is_empty() {
        return Ok(Slice::Owned(Vec::new()));
    }
    Ok(Slice::Owned(astype_vec::<f32>(&array)?))
}

/// Checks that parallel input arrays have one length.
pub fn same_lengths(names: &[(&str, usize)]) -> PyResult<()> {
    let first = names.first().map(|(_, n)| *n).unwrap_or(0);
    if names.iter().any(|(_, n)| *n != first) {
        let parts: Vec<String> = names.iter().map(|(w, n)| format!("{w} {n}")).collect();
        return Err(PyValueError::new_err(format!(
            "input arrays differ in length: {}",
            parts.join(", ")
        )));
    }
    Ok(())
}

/// A neuron id argument. Ids that cannot exist raise `IndexError`, like unknown ones.
pub fn neuron_id(id: i64) -> PyResult<NeuronId> {
    NeuronId::try_from(id).map_err(|_| PyIndexError::new_err(format!("unknown neuron {id}")))
}

/// An integer in `0..=max` for a parameter called `what`.
pub fn bounded(value: i64, what: &str, max: u64) -> PyResult<u64> {
    if value < 0 || value as u64 > max {
        return Err(PyValueError::new_err(format!(
            "{what} must lie in 0..={max}, got {value}"
        )));
    }
    Ok(value as u64)
}

pub fn to_u8(value: i64, what: &str) -> PyResult<u8> {
    Ok(bounded(value, what, u8::MAX as u64)? as u8)
}

pub fn to_u16(value: i64, what: &str) -> PyResult<u16> {
    Ok(bounded(value, what, u16::MAX as u64)? as u16)
}

pub fn to_u32(value: i64, what: &str) -> PyResult<u32> {
    Ok(bounded(value, what, u32::MAX as u64)? as u32)
}

/// A finite f32 parameter.
pub fn finite_f32(value: f64, what: &str) -> PyResult<f32> {
    let v = value as f32;
    if !v.is_finite() {
        return Err(PyValueError::new_err(format!(
            "{what} must be a finite number (as f32), got {value}"
        )));
    }
    Ok(v)
}

/// An area named by its index or by any spelling of its cortical id or its name.
#[derive(Clone, Debug)]
pub enum AreaArg {
    Index(i64),
    Name(String),
}

impl AreaArg {
    pub fn extract(obj: &Bound<'_, PyAny>) -> PyResult<Self> {
        if let Ok(s) = obj.cast::<PyString>() {
            return Ok(AreaArg::Name(s.to_cow()?.into_owned()));
        }
        if obj.is_instance_of::<PyInt>() && !obj.is_instance_of::<PyBool>() {
            return Ok(AreaArg::Index(obj.extract()?));
        }
        Err(PyTypeError::new_err(format!(
            "a cortical area is named by its cortical id (str) or its index (int), got {}",
            obj.get_type()
                .name()
                .map(|n| n.to_string())
                .unwrap_or_default()
        )))
    }

    /// The area index in `npu`: `IndexError` for a bad index, `KeyError` for an unknown id.
    pub fn resolve(&self, npu: &RustNPU) -> PyResult<AreaIndex> {
        match self {
            AreaArg::Index(i) => {
                let index = AreaIndex::try_from(*i).map_err(|_| {
                    PyIndexError::new_err(format!("unknown cortical area index {i}"))
                })?;
                npu.area(index).map_err(npu_error)?;
                Ok(index)
            }
            AreaArg::Name(s) => npu.resolve_area(s).map_err(npu_error),
        }
    }
}
