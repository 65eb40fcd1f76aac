//! Python values to Rust values, with the range checks that turn bad input
//! into clear Python exceptions instead of wrapped or truncated numbers.
//!
//! Integer arguments ([`Int`]) take Python ints of any size and numpy integer
//! scalars; values outside what a parameter allows raise the documented
//! exception (`IndexError` for neuron ids, `ValueError` otherwise), never
//! `OverflowError`. Bools are not integers here: `True` where an id, count,
//! index, weight or coordinate is expected raises `TypeError`.
//!
//! Array arguments accept numpy arrays of any integer (or, for potentials,
//! numeric) dtype, lists and tuples. A 1-D contiguous array of exactly the
//! Rust element type is read in place; other numpy arrays are converted once
//! by numpy (`asarray` + `astype`); lists and tuples are read element by
//! element, so a bool or an out-of-range element is reported with its
//! index. Bool arrays where integers are expected and numpy masked arrays
//! (whose mask numpy would silently drop) raise `TypeError`.

use std::fmt;

use feagi_burst_engine::{AreaIndex, NeuronId, RustNPU};
use numpy::{
    Element, PyArray1, PyArrayDescrMethods, PyArrayMethods, PyReadonlyArray1, PyUntypedArray,
    PyUntypedArrayMethods,
};
use pyo3::exceptions::{PyIndexError, PyMemoryError, PyOverflowError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyFloat, PyList, PyString, PyTuple, PyType};

use crate::errors::npu_error;

/// The name of an object's type, for messages.
pub fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "object".to_string())
}

// ----- scalars ----------------------------------------------------------------

/// An integer argument of any size: a Python int (not a bool) or anything
/// with `__index__` (numpy integer scalars). Values beyond 64 bits are kept
/// only as their sign and text: no parameter accepts them, and the
/// converters below name them in the documented exception.
#[derive(Clone, Debug)]
pub enum Int {
    /// Any value of i64 or u64.
    Fits(i128),
    /// Beyond 64 bits.
    Huge { negative: bool, text: String },
}

impl From<i64> for Int {
    fn from(v: i64) -> Self {
        Int::Fits(v.into())
    }
}

impl fmt::Display for Int {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Int::Fits(v) => write!(f, "{v}"),
            Int::Huge { text, .. } => f.write_str(text),
        }
    }
}

impl Int {
    pub fn from_object(obj: &Bound<'_, PyAny>) -> PyResult<Int> {
        if obj.is_instance_of::<PyBool>() {
            return Err(PyTypeError::new_err(
                "expected an integer, got bool (bools are not integers here)",
            ));
        }
        let py = obj.py();
        match obj.extract::<i64>() {
            Ok(v) => return Ok(Int::Fits(v.into())),
            Err(e) if !e.is_instance_of::<PyOverflowError>(py) => return Err(e),
            Err(_) => {}
        }
        if let Ok(v) = obj.extract::<u64>() {
            return Ok(Int::Fits(v.into()));
        }
        let negative = obj.lt(0)?;
        Ok(Int::Huge {
            negative,
            text: huge_int_text(obj),
        })
    }

    /// The value when it lies in `lo..=hi`.
    pub fn within(&self, lo: i128, hi: i128) -> Option<i128> {
        match self {
            Int::Fits(v) if (lo..=hi).contains(v) => Some(*v),
            _ => None,
        }
    }
}

/// The decimal text of a huge int, or its size when Python refuses to print
/// it (more than 4300 digits).
fn huge_int_text(obj: &Bound<'_, PyAny>) -> String {
    if let Ok(s) = obj.str() {
        let s = s.to_string();
        if s.len() <= 60 {
            return s;
        }
    }
    let bits = obj
        .call_method0("bit_length")
        .and_then(|b| b.extract::<u64>())
        .map(|b| format!("an integer of {b} bits"))
        .unwrap_or_else(|_| "a huge integer".to_string());
    match obj.lt(0) {
        Ok(true) => format!("-({bits})"),
        _ => bits,
    }
}

impl<'a, 'py> FromPyObject<'a, 'py> for Int {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        Int::from_object(&obj)
    }
}

/// A real-number argument: a float, an int of any size (ints beyond the
/// float range become +-inf, which the parameter's finiteness check then
/// refuses) or anything with `__float__`.
#[derive(Clone, Copy, Debug)]
pub struct Real(pub f64);

impl Real {
    pub fn from_object(obj: &Bound<'_, PyAny>) -> PyResult<Real> {
        if let Ok(f) = obj.cast::<PyFloat>() {
            return Ok(Real(f.value()));
        }
        match obj.extract::<f64>() {
            Ok(v) => Ok(Real(v)),
            Err(e) if e.is_instance_of::<PyOverflowError>(obj.py()) => Ok(Real(if obj.lt(0)? {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            })),
            Err(e) => Err(e),
        }
    }
}

impl<'a, 'py> FromPyObject<'a, 'py> for Real {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        Real::from_object(&obj)
    }
}

/// A neuron id argument. Ids that cannot exist raise `IndexError`, like unknown ones.
pub fn neuron_id(id: &Int) -> PyResult<NeuronId> {
    id.within(0, NeuronId::MAX.into())
        .map(|v| v as NeuronId)
        .ok_or_else(|| PyIndexError::new_err(format!("unknown neuron {id}")))
}

/// An integer in `0..=max` for a parameter called `what`.
pub fn bounded(value: &Int, what: &str, max: u64) -> PyResult<u64> {
    value
        .within(0, max.into())
        .map(|v| v as u64)
        .ok_or_else(|| PyValueError::new_err(format!("{what} must lie in 0..={max}, got {value}")))
}

/// Any i64, for a parameter called `what`.
pub fn to_i64(value: &Int, what: &str) -> PyResult<i64> {
    value
        .within(i64::MIN.into(), i64::MAX.into())
        .map(|v| v as i64)
        .ok_or_else(|| {
            PyValueError::new_err(format!(
                "{what} must lie in {}..={}, got {value}",
                i64::MIN,
                i64::MAX
            ))
        })
}

pub fn to_u8(value: &Int, what: &str) -> PyResult<u8> {
    Ok(bounded(value, what, u8::MAX as u64)? as u8)
}

pub fn to_u16(value: &Int, what: &str) -> PyResult<u16> {
    Ok(bounded(value, what, u16::MAX as u64)? as u16)
}

pub fn to_u32(value: &Int, what: &str) -> PyResult<u32> {
    Ok(bounded(value, what, u32::MAX as u64)? as u32)
}

/// A coordinate for lookups: negative or huge values name no voxel.
pub fn coordinate(value: &Int) -> Option<u32> {
    value.within(0, u32::MAX.into()).map(|v| v as u32)
}

/// A finite f32 parameter.
pub fn finite_f32(value: Real, what: &str) -> PyResult<f32> {
    let v = value.0 as f32;
    if !v.is_finite() {
        return Err(PyValueError::new_err(format!(
            "{what} must be a finite number (as f32), got {}",
            value.0
        )));
    }
    Ok(v)
}

// ----- memory -------------------------------------------------------------------

/// `MemoryError` for `bytes` bytes of `what` that could not be allocated.
pub fn out_of_memory(what: &str, bytes: u128) -> PyErr {
    PyMemoryError::new_err(format!(
        "cannot allocate {bytes} bytes for {what}: out of memory"
    ))
}

/// A copy of `values`, or `MemoryError` when memory runs out (instead of
/// aborting the process, as an infallible allocation would).
pub fn try_copy<T: Clone>(values: &[T], what: &str) -> PyResult<Vec<T>> {
    let mut out = try_vec(values.len(), what)?;
    out.extend_from_slice(values);
    Ok(out)
}

/// An empty vector with room for `len` values, or `MemoryError`.
pub fn try_vec<T>(len: usize, what: &str) -> PyResult<Vec<T>> {
    let mut out = Vec::new();
    out.try_reserve_exact(len)
        .map_err(|_| out_of_memory(what, len as u128 * std::mem::size_of::<T>() as u128))?;
    Ok(out)
}

/// A new numpy array holding a copy of `values` (`MemoryError` when memory
/// runs out). The copy is made in Rust and handed to numpy without a second
/// copy, so it can be built under the NPU lock without risking a panic.
pub fn array_copy<'py, T: Element + Clone>(
    py: Python<'py>,
    values: &[T],
    what: &str,
) -> PyResult<Bound<'py, PyArray1<T>>> {
    Ok(PyArray1::from_vec(py, try_copy(values, what)?))
}

/// A new numpy array holding a copy of a field of the neuron records, as
/// [`array_copy`] does for a slice.
pub fn column_copy<'py, T: Element + Copy>(
    py: Python<'py>,
    values: feagi_types::Column<'_, T>,
    what: &str,
) -> PyResult<Bound<'py, PyArray1<T>>> {
    let mut out = try_vec(values.len(), what)?;
    out.extend(values.iter());
    Ok(PyArray1::from_vec(py, out))
}

// ----- arrays -------------------------------------------------------------------

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

/// `TypeError` for a numpy masked array: numpy's conversions drop the mask,
/// so the masked values would be used as if they were data.
fn reject_masked(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<()> {
    if obj.is_exact_instance_of::<PyList>() || obj.is_exact_instance_of::<PyTuple>() {
        return Ok(());
    }
    static MASKED_ARRAY: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    let masked = MASKED_ARRAY.import(obj.py(), "numpy.ma", "MaskedArray")?;
    if obj.is_instance(masked)? {
        return Err(PyTypeError::new_err(format!(
            "{what} is a numpy masked array, whose mask would be ignored: pass \
             a.compressed() (the unmasked values) or a.filled(value) instead"
        )));
    }
    Ok(())
}

/// The exact array when `obj` is a contiguous 1-D numpy array of `T`.
fn borrow_exact<'py, T: Element>(obj: &Bound<'py, PyAny>) -> Option<PyReadonlyArray1<'py, T>> {
    let array = obj.cast::<PyArray1<T>>().ok()?;
    let readonly = array.try_readonly().ok()?;
    readonly.as_slice().ok()?;
    Some(readonly)
}

/// `numpy.asarray(obj)` (its dimensions are checked by the caller).
fn as_numpy<'py>(obj: &Bound<'py, PyAny>, what: &str) -> PyResult<Bound<'py, PyUntypedArray>> {
    let py = obj.py();
    let array = py
        .import("numpy")?
        .getattr("asarray")?
        .call1((obj,))
        .map_err(|e| {
            if e.is_instance_of::<PyMemoryError>(py) {
                return PyMemoryError::new_err(format!(
                    "{what}: numpy cannot allocate an array of {} ({e})",
                    obj.len()
                        .map(|n| format!("{n} values"))
                        .unwrap_or_else(|_| "that size".to_string())
                ));
            }
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

/// `ValueError` for an element that is itself a sequence.
fn nested(what: &str, index: usize) -> PyErr {
    PyValueError::new_err(format!(
        "{what} must be one-dimensional, but {what}[{index}] is a sequence"
    ))
}

fn is_nested(item: &Bound<'_, PyAny>) -> bool {
    item.is_instance_of::<PyList>()
        || item.is_instance_of::<PyTuple>()
        || item.cast::<PyUntypedArray>().is_ok()
}

/// The elements of a list or tuple (or a 1-D object array's `tolist()`).
fn sequence_items<'py>(obj: &Bound<'py, PyAny>) -> Option<Vec<Bound<'py, PyAny>>> {
    if let Ok(list) = obj.cast::<PyList>() {
        return Some(list.iter().collect());
    }
    if let Ok(tuple) = obj.cast::<PyTuple>() {
        return Some(tuple.iter().collect());
    }
    None
}

/// Integers read one by one from a list or tuple: `i64` values, with
/// `on_huge` deciding about values beyond i64 (index, value).
fn listed_ints(
    items: &[Bound<'_, PyAny>],
    what: &str,
    on_huge: impl Fn(usize, &Int) -> PyResult<i64>,
) -> PyResult<Vec<i64>> {
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        if item.is_instance_of::<PyBool>() {
            return Err(PyTypeError::new_err(format!(
                "{what}[{i}] is a bool; {what} must hold integers (bools are not integers here)"
            )));
        }
        let value = match Int::from_object(item) {
            Ok(v) => v,
            Err(_) if is_nested(item) => return Err(nested(what, i)),
            Err(e) if e.is_instance_of::<PyTypeError>(item.py()) => {
                return Err(PyTypeError::new_err(format!(
                    "{what}[{i}] must be an integer, got {}",
                    type_name(item)
                )))
            }
            Err(e) => return Err(e),
        };
        out.push(match value.within(i64::MIN.into(), i64::MAX.into()) {
            Some(v) => v as i64,
            None => on_huge(i, &value)?,
        });
    }
    Ok(out)
}

/// The integers of a 1-D array-like, read by numpy when it is an array (no
/// Python object per element).
enum Ints {
    Unsigned(Vec<u64>),
    Signed(Vec<i64>),
}

fn int_values(
    obj: &Bound<'_, PyAny>,
    what: &str,
    on_huge: impl Fn(usize, &Int) -> PyResult<i64>,
) -> PyResult<Ints> {
    reject_masked(obj, what)?;
    if let Some(items) = sequence_items(obj) {
        return Ok(Ints::Signed(listed_ints(&items, what, on_huge)?));
    }
    let array = as_numpy(obj, what)?;
    // `[]` becomes a float64 array: accept it before looking at the dtype.
    if array.ndim() == 1 && array.is_empty() {
        return Ok(Ints::Unsigned(Vec::new()));
    }
    let kind = array.dtype().kind();
    match kind {
        b'u' | b'i' => {}
        b'b' => {
            return Err(PyTypeError::new_err(format!(
                "{what} must hold integers, got a bool array (bools are not integers here)"
            )))
        }
        // Python ints beyond 64 bits, or mixed objects: read them one by one.
        b'O' if array.ndim() == 1 => {
            let list = array.call_method0("tolist")?;
            let items = sequence_items(&list).unwrap_or_default();
            return Ok(Ints::Signed(listed_ints(&items, what, on_huge)?));
        }
        _ => {
            return Err(PyTypeError::new_err(format!(
                "{what} must hold integers, got dtype {}",
                dtype_name(&array)
            )))
        }
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
    reject_masked(obj, what)?;
    if let Some(array) = borrow_exact::<T>(obj) {
        let out = Slice::Borrowed(array);
        check_max(out.as_slice(), what, max)?;
        return Ok(out);
    }
    let huge = |i: usize, v: &Int| Err(out_of_range(what, i, v, max));
    let wide: Vec<u64> = match int_values(obj, what, huge)? {
        Ints::Unsigned(v) => v,
        Ints::Signed(v) => {
            if let Some((i, x)) = v.iter().enumerate().find(|(_, x)| **x < 0) {
                return Err(out_of_range(what, i, &Int::from(*x), max));
            }
            v.into_iter().map(|x| x as u64).collect()
        }
    };
    check_max(&wide, what, max)?;
    let mut out = Vec::with_capacity(wide.len());
    for (i, v) in wide.into_iter().enumerate() {
        out.push(T::try_from(v).map_err(|_| out_of_range(what, i, &Int::Fits(v.into()), max))?);
    }
    Ok(Slice::Owned(out))
}

/// Voxel coordinates for staging. Values outside u32 (negative and huge ones
/// included) become `u32::MAX`, which lies outside every area, so they are
/// skipped like any other voxel outside the area.
pub fn coordinate_array<'py>(obj: &Bound<'py, PyAny>, what: &str) -> PyResult<Slice<'py, u32>> {
    reject_masked(obj, what)?;
    if let Some(array) = borrow_exact::<u32>(obj) {
        return Ok(Slice::Borrowed(array));
    }
    let outside = u32::MAX;
    Ok(Slice::Owned(match int_values(obj, what, |_, _| Ok(-1))? {
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
        Some(i) => Err(out_of_range(
            what,
            i,
            &Int::Fits(values[i].into().into()),
            max,
        )),
        None => Ok(()),
    }
}

fn out_of_range(what: &str, index: usize, value: &Int, max: u64) -> PyErr {
    PyValueError::new_err(format!(
        "{what}[{index}] = {value} is out of range 0..={max}"
    ))
}

/// Real numbers read one by one from a list or tuple (bools count as 0 and
/// 1, ints beyond the float range as +-inf).
fn listed_reals(items: &[Bound<'_, PyAny>], what: &str) -> PyResult<Vec<f32>> {
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        match Real::from_object(item) {
            Ok(v) => out.push(v.0 as f32),
            Err(_) if is_nested(item) => return Err(nested(what, i)),
            Err(e) if e.is_instance_of::<PyTypeError>(item.py()) => {
                return Err(PyTypeError::new_err(format!(
                    "{what}[{i}] must be a real number, got {}",
                    type_name(item)
                )))
            }
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// Finite or not, any real numbers as f32 (bools as 0 and 1; values beyond
/// the f32 range become +-inf). A scalar is repeated `broadcast` times when
/// `broadcast` is given.
pub fn f32_array<'py>(
    obj: &Bound<'py, PyAny>,
    what: &str,
    broadcast: Option<usize>,
) -> PyResult<Slice<'py, f32>> {
    reject_masked(obj, what)?;
    if let Some(array) = borrow_exact::<f32>(obj) {
        return Ok(Slice::Borrowed(array));
    }
    if let Some(items) = sequence_items(obj) {
        return Ok(Slice::Owned(listed_reals(&items, what)?));
    }
    let array = as_numpy(obj, what)?;
    let kind = array.dtype().kind();
    let numeric = matches!(kind, b'f' | b'i' | b'u' | b'b');
    if !numeric && kind != b'O' {
        return Err(PyTypeError::new_err(format!(
            "{what} must hold real numbers, got dtype {}",
            dtype_name(&array)
        )));
    }
    if array.ndim() == 0 {
        if let Some(n) = broadcast {
            let item = array.call_method0("item")?;
            let value = Real::from_object(&item).map_err(|_| {
                PyTypeError::new_err(format!(
                    "{what} must be a real number or a sequence of them, got {}",
                    type_name(obj)
                ))
            })?;
            return Ok(Slice::Owned(vec![value.0 as f32; n]));
        }
    }
    if kind == b'O' {
        if array.ndim() != 1 {
            return Err(PyTypeError::new_err(format!(
                "{what} must hold real numbers, got dtype {}",
                dtype_name(&array)
            )));
        }
        let list = array.call_method0("tolist")?;
        let items = sequence_items(&list).unwrap_or_default();
        return Ok(Slice::Owned(listed_reals(&items, what)?));
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

/// Exactly `N` integers from a sized sequence (`dimensions=(w, h, d)`); the
/// length is checked before any element is read.
pub fn int_tuple<const N: usize>(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<[Int; N]> {
    if obj.is_instance_of::<PyString>() || obj.is_instance_of::<pyo3::types::PyBytes>() {
        return Err(PyTypeError::new_err(format!(
            "{what} must be a sequence of {N} integers, got {}",
            type_name(obj)
        )));
    }
    reject_masked(obj, what)?;
    let len = obj.len().map_err(|_| {
        PyTypeError::new_err(format!(
            "{what} must be a sequence of {N} integers, got {}",
            type_name(obj)
        ))
    })?;
    if len != N {
        return Err(PyValueError::new_err(format!(
            "{what} must be {N} integers, got {len} values"
        )));
    }
    let mut out = Vec::with_capacity(N);
    for i in 0..N {
        let item = obj.get_item(i)?;
        out.push(Int::from_object(&item).map_err(|e| {
            if e.is_instance_of::<PyTypeError>(obj.py()) {
                PyTypeError::new_err(format!(
                    "{what}[{i}] must be an integer, got {}",
                    type_name(&item)
                ))
            } else {
                e
            }
        })?);
    }
    out.try_into()
        .map_err(|_| PyValueError::new_err(format!("{what} must be {N} integers")))
}

/// An area named by its index or by any spelling of its cortical id or its name.
#[derive(Clone, Debug)]
pub enum AreaArg {
    Index(Int),
    Name(String),
}

impl AreaArg {
    pub fn extract(obj: &Bound<'_, PyAny>) -> PyResult<Self> {
        if let Ok(s) = obj.cast::<PyString>() {
            return Ok(AreaArg::Name(s.to_cow()?.into_owned()));
        }
        let wrong = || {
            PyTypeError::new_err(format!(
                "a cortical area is named by its cortical id (str) or its index (int), got {}",
                type_name(obj)
            ))
        };
        if obj.is_instance_of::<PyBool>() || obj.is_instance_of::<PyFloat>() {
            return Err(wrong());
        }
        match Int::from_object(obj) {
            Ok(i) => Ok(AreaArg::Index(i)),
            Err(e) if e.is_instance_of::<PyTypeError>(obj.py()) => Err(wrong()),
            Err(e) => Err(e),
        }
    }

    /// The area index in `npu`: `IndexError` for a bad index, `KeyError` for an unknown id.
    pub fn resolve(&self, npu: &RustNPU) -> PyResult<AreaIndex> {
        match self {
            AreaArg::Index(i) => {
                let index = i
                    .within(0, AreaIndex::MAX.into())
                    .map(|v| v as AreaIndex)
                    .ok_or_else(|| {
                        PyIndexError::new_err(format!("unknown cortical area index {i}"))
                    })?;
                npu.area(index).map_err(npu_error)?;
                Ok(index)
            }
            AreaArg::Name(s) => npu.resolve_area(s).map_err(npu_error),
        }
    }
}
