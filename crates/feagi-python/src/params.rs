//! Area gene values for runtime updates (SPEC §4.6) from Python objects,
//! and the area properties as a dict under the gene names.
//!
//! Names, checks and the updates themselves live in `feagi_runtime`; this
//! module only turns Python objects into `GeneValue`s.

use feagi_runtime::{parse_gene_update, resolve_gene, GeneUpdate, GeneValue};
use feagi_types::AreaProperties;
use numpy::{PyUntypedArray, PyUntypedArrayMethods};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyFloat, PyList, PyString, PyTuple};

use crate::convert::Real;
use crate::errors::gene_error;

/// A Python value as a gene value: bool, int (or anything with `__index__`),
/// float (or anything with `__float__`), or a sequence of numbers. `None`
/// when it is none of these.
fn gene_value(value: &Bound<'_, PyAny>) -> Option<GeneValue> {
    // bool first: Python bools are ints too (numpy bools extract as well).
    if let Ok(b) = value.extract::<bool>() {
        return Some(GeneValue::Bool(b));
    }
    if let Ok(f) = value.cast::<PyFloat>() {
        return Some(GeneValue::Float(f.value()));
    }
    if value.is_instance_of::<PyString>() {
        return None;
    }
    if let Ok(i) = value.extract::<i64>() {
        return Some(GeneValue::Int(i));
    }
    // An int beyond i64 (or any number) as a float: ints beyond the float
    // range become +-inf, so the gene's range check refuses them (ValueError).
    if let Ok(f) = Real::from_object(value) {
        return Some(GeneValue::Float(f.0));
    }
    // Vectors: lists, tuples and 1-D numpy arrays only. Any other sequence may
    // claim a length it does not have (`range(10**18)`), and sizing a vector by
    // it would abort the process.
    let items = if value.is_instance_of::<PyList>() || value.is_instance_of::<PyTuple>() {
        value.clone()
    } else if value.cast::<PyUntypedArray>().is_ok_and(|a| a.ndim() == 1) {
        value.call_method0("tolist").ok()?
    } else {
        return None;
    };
    let items: Option<Vec<f64>> = items
        .try_iter()
        .ok()?
        .map(|item| {
            let item = item.ok()?;
            if item.is_instance_of::<PyString>() {
                return None;
            }
            Real::from_object(&item).ok().map(|r| r.0)
        })
        .collect();
    items.map(GeneValue::Vector)
}

/// Checks one keyword of `update_cortical_area`: unknown names raise
/// `ValueError`, values of the wrong type `TypeError`, bad values `ValueError`.
pub fn parse_param(name: &str, value: &Bound<'_, PyAny>) -> PyResult<GeneUpdate> {
    match gene_value(value) {
        Some(v) => parse_gene_update(name, &v).map_err(gene_error),
        None => {
            let target = resolve_gene(name).map_err(gene_error)?;
            let found = value
                .get_type()
                .name()
                .map(|n| n.to_string())
                .unwrap_or_else(|_| "an object".to_string());
            Err(PyTypeError::new_err(format!(
                "{name} must be {}, got {found}",
                target.expects()
            )))
        }
    }
}

pub fn properties_dict<'py>(py: Python<'py>, p: &AreaProperties) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("firing_threshold", p.firing_threshold)?;
    d.set_item(
        "firing_threshold_increment",
        (
            p.threshold_increment[0],
            p.threshold_increment[1],
            p.threshold_increment[2],
        ),
    )?;
    d.set_item("firing_threshold_limit", p.threshold_limit)?;
    d.set_item("leak_coefficient", p.leak)?;
    d.set_item("neuron_excitability", p.excitability)?;
    d.set_item("refractory_period", p.refractory_period)?;
    d.set_item("consecutive_fire_cnt_max", p.consecutive_fire_limit)?;
    d.set_item("snooze_length", p.snooze_period)?;
    d.set_item("mp_charge_accumulation", p.mp_charge_accumulation)?;
    d.set_item("postsynaptic_current", p.postsynaptic_current)?;
    d.set_item("psp", p.psp())?;
    d.set_item("psp_uniform_distribution", p.psp_uniform_distribution)?;
    d.set_item("mp_driven_psp", p.mp_driven_psp)?;
    d.set_item("synapse_attractivity", p.synapse_attractivity)?;
    d.set_item("is_memory", p.is_memory)?;
    Ok(d)
}
