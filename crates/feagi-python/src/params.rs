//! Area gene names for runtime updates (SPEC §4.6) and their parsing from
//! Python values, and the area properties as a dict under the same names.

use feagi_burst_engine::AreaUpdate;
use feagi_types::AreaProperties;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyFloat};

use crate::convert::{finite_f32, to_u16};

/// An integer-valued parameter: ints, or floats with an integral value (as genomes allow).
fn int_param(value: &Bound<'_, PyAny>, name: &str) -> PyResult<i64> {
    if let Ok(f) = value.cast::<PyFloat>() {
        let v = f.value();
        if v.fract() != 0.0 || !v.is_finite() || v.abs() > 9.0e15 {
            return Err(PyValueError::new_err(format!(
                "{name} must be an integer, got {v}"
            )));
        }
        return Ok(v as i64);
    }
    value
        .extract::<i64>()
        .map_err(|_| PyTypeError::new_err(format!("{name} must be an integer")))
}

fn float_param(value: &Bound<'_, PyAny>, name: &str) -> PyResult<f64> {
    let v: f64 = value
        .extract()
        .map_err(|_| PyTypeError::new_err(format!("{name} must be a number")))?;
    if !v.is_finite() {
        return Err(PyValueError::new_err(format!(
            "{name} must be finite, got {v}"
        )));
    }
    Ok(v)
}

fn bool_param(value: &Bound<'_, PyAny>, name: &str) -> PyResult<bool> {
    value
        .extract()
        .map_err(|_| PyTypeError::new_err(format!("{name} must be a bool")))
}

/// The gene names accepted by `update_cortical_area` / `update_area_parameter`.
pub const PARAMETER_NAMES: &[&str] = &[
    "firing_threshold",
    "firing_threshold_increment",
    "firing_threshold_increment_x",
    "firing_threshold_increment_y",
    "firing_threshold_increment_z",
    "firing_threshold_limit",
    "leak_coefficient",
    "neuron_excitability",
    "refractory_period",
    "consecutive_fire_cnt_max",
    "snooze_length",
    "mp_charge_accumulation",
    "postsynaptic_current",
    "psp_uniform_distribution",
    "mp_driven_psp",
];

/// A parsed parameter update; one axis of the increment needs the current value.
pub enum ParamUpdate {
    Engine(AreaUpdate),
    IncrementAxis(usize, f32),
}

pub fn parse_param(name: &str, value: &Bound<'_, PyAny>) -> PyResult<ParamUpdate> {
    use AreaUpdate as U;
    let engine = |u| Ok(ParamUpdate::Engine(u));
    match name {
        "firing_threshold" => engine(U::FiringThreshold(finite_f32(
            float_param(value, name)?,
            name,
        )?)),
        "firing_threshold_increment" => {
            let v: Vec<f64> = value.extract().map_err(|_| {
                PyTypeError::new_err(format!("{name} must be a sequence of three numbers"))
            })?;
            if v.len() != 3 {
                return Err(PyValueError::new_err(format!(
                    "{name} must have three values (x, y, z), got {}",
                    v.len()
                )));
            }
            let mut inc = [0f32; 3];
            for (slot, x) in inc.iter_mut().zip(&v) {
                *slot = finite_f32(*x, name)?;
            }
            engine(U::ThresholdIncrement(inc))
        }
        "firing_threshold_increment_x"
        | "firing_threshold_increment_y"
        | "firing_threshold_increment_z" => {
            let axis = match name.as_bytes().last() {
                Some(b'x') => 0,
                Some(b'y') => 1,
                _ => 2,
            };
            Ok(ParamUpdate::IncrementAxis(
                axis,
                finite_f32(float_param(value, name)?, name)?,
            ))
        }
        "firing_threshold_limit" => engine(U::ThresholdLimit(finite_f32(
            float_param(value, name)?,
            name,
        )?)),
        "leak_coefficient" => engine(U::Leak(float_param(value, name)?)),
        "neuron_excitability" => engine(U::Excitability(float_param(value, name)?)),
        "refractory_period" => engine(U::RefractoryPeriod(to_u16(int_param(value, name)?, name)?)),
        "consecutive_fire_cnt_max" => engine(U::ConsecutiveFireLimit(to_u16(
            int_param(value, name)?,
            name,
        )?)),
        "snooze_length" => engine(U::SnoozePeriod(to_u16(int_param(value, name)?, name)?)),
        "mp_charge_accumulation" => engine(U::MpChargeAccumulation(bool_param(value, name)?)),
        "postsynaptic_current" => engine(U::PostsynapticCurrent(float_param(value, name)?)),
        "psp_uniform_distribution" => engine(U::PspUniformDistribution(bool_param(value, name)?)),
        "mp_driven_psp" => engine(U::MpDrivenPsp(bool_param(value, name)?)),
        _ => Err(PyValueError::new_err(format!(
            "unknown area parameter {name:?}; expected one of: {}",
            PARAMETER_NAMES.join(", ")
        ))),
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
