//! Runtime gene updates (SPEC §4.6): a gene name and a value become an
//! [`AreaUpdate`], with the genome's names, aliases and exons.

use feagi_burst_engine::{AreaIndex, AreaUpdate, RustNPU};
use feagi_genome::{runtime_gene, runtime_gene_names, RuntimeGene, RuntimeGeneKind};
use serde_json::Value;

use crate::error::RuntimeError;

/// The name of the whole threshold increment as one (x, y, z) vector. Not a
/// genome gene (genomes set the three axes), accepted for convenience.
pub const THRESHOLD_INCREMENT_VECTOR: &str = "firing_threshold_increment";

/// A gene value as a caller supplies it, before it is checked against the
/// gene (from JSON with `TryFrom<&serde_json::Value>`, or from a binding).
#[derive(Clone, Debug, PartialEq)]
pub enum GeneValue {
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// A list of numbers (the threshold increment vector).
    Vector(Vec<f64>),
}

impl GeneValue {
    /// A short description of the value for messages.
    fn describe(&self) -> String {
        match self {
            GeneValue::Bool(b) => format!("the bool {b}"),
            GeneValue::Int(i) => format!("the integer {i}"),
            GeneValue::Float(f) => format!("the number {f}"),
            GeneValue::Vector(v) => format!("a list of {} numbers", v.len()),
        }
    }
}

impl From<bool> for GeneValue {
    fn from(v: bool) -> Self {
        GeneValue::Bool(v)
    }
}

impl From<i64> for GeneValue {
    fn from(v: i64) -> Self {
        GeneValue::Int(v)
    }
}

impl From<f64> for GeneValue {
    fn from(v: f64) -> Self {
        GeneValue::Float(v)
    }
}

impl From<[f64; 3]> for GeneValue {
    fn from(v: [f64; 3]) -> Self {
        GeneValue::Vector(v.to_vec())
    }
}

/// A JSON value that is no gene value (null, a string, an object, or an
/// array holding something other than numbers). Holds the value's type.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0} is not a gene value (expected a bool, a number or a list of numbers)")]
pub struct NotAGeneValue(pub &'static str);

impl TryFrom<&Value> for GeneValue {
    type Error = NotAGeneValue;

    fn try_from(v: &Value) -> Result<Self, Self::Error> {
        let number = |n: &serde_json::Number| match n.as_i64() {
            Some(i) => GeneValue::Int(i),
            // u64 beyond i64 and floats: f64 keeps them out of any gene's range.
            None => GeneValue::Float(n.as_f64().unwrap_or(f64::NAN)),
        };
        match v {
            Value::Bool(b) => Ok(GeneValue::Bool(*b)),
            Value::Number(n) => Ok(number(n)),
            Value::Array(items) => items
                .iter()
                .map(|item| match item {
                    Value::Number(n) => Ok(n.as_f64().unwrap_or(f64::NAN)),
                    _ => Err(NotAGeneValue("an array of non-numbers")),
                })
                .collect::<Result<Vec<f64>, _>>()
                .map(GeneValue::Vector),
            Value::Null => Err(NotAGeneValue("null")),
            Value::String(_) => Err(NotAGeneValue("a string")),
            Value::Object(_) => Err(NotAGeneValue("an object")),
        }
    }
}

/// Why a gene update was rejected. Every message names the gene (as given,
/// with the canonical name when that differs), the value and the reason.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GeneError {
    /// No runtime gene has this name, alias or exon.
    #[error("unknown area gene {name:?}; expected one of: {expected} (or an alias or 6-character exon of one)")]
    UnknownGene {
        /// The name given.
        name: String,
        /// The accepted canonical names, comma-separated.
        expected: String,
    },
    /// The value has the wrong type for the gene.
    #[error("{gene} must be {expected}, got {found}")]
    WrongType {
        /// The gene as given.
        gene: String,
        /// What the gene takes (`"an integer"`).
        expected: &'static str,
        /// What was given.
        found: String,
    },
    /// The value has the right type but is not acceptable.
    #[error("{gene} = {value} is invalid: {reason}")]
    InvalidValue {
        /// The gene as given.
        gene: String,
        /// The value given.
        value: String,
        /// Why it is rejected.
        reason: String,
    },
    /// The NPU refused the update (an unknown area, a poisoned NPU).
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
}

impl From<feagi_burst_engine::NpuError> for GeneError {
    fn from(e: feagi_burst_engine::NpuError) -> Self {
        GeneError::Runtime(RuntimeError::Npu(e))
    }
}

/// What a gene name refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GeneTarget {
    /// One genome gene.
    Gene(RuntimeGene),
    /// The threshold increment as an (x, y, z) vector ([`THRESHOLD_INCREMENT_VECTOR`]).
    ThresholdIncrement,
}

impl GeneTarget {
    /// The canonical name.
    pub fn name(self) -> &'static str {
        match self {
            GeneTarget::Gene(g) => g.name(),
            GeneTarget::ThresholdIncrement => THRESHOLD_INCREMENT_VECTOR,
        }
    }

    /// What the gene takes, for messages (`"an integer"`).
    pub fn expects(self) -> &'static str {
        match self {
            GeneTarget::ThresholdIncrement => "a list of three numbers (x, y, z)",
            GeneTarget::Gene(g) => match g.kind() {
                RuntimeGeneKind::Number => "a number",
                RuntimeGeneKind::Integer { .. } => "an integer",
                RuntimeGeneKind::Bool => "true or false",
            },
        }
    }
}

/// The canonical names accepted by [`parse_gene_update`]: the runtime genes
/// of the genome's gene table, then [`THRESHOLD_INCREMENT_VECTOR`].
pub fn gene_names() -> Vec<&'static str> {
    runtime_gene_names()
        .chain(std::iter::once(THRESHOLD_INCREMENT_VECTOR))
        .collect()
}

/// What `name` refers to: a hierarchical gene name, one of its aliases, its
/// 6-character exon, or [`THRESHOLD_INCREMENT_VECTOR`].
pub fn resolve_gene(name: &str) -> Result<GeneTarget, GeneError> {
    if name == THRESHOLD_INCREMENT_VECTOR {
        return Ok(GeneTarget::ThresholdIncrement);
    }
    runtime_gene(name)
        .map(GeneTarget::Gene)
        .ok_or_else(|| GeneError::UnknownGene {
            name: name.to_string(),
            expected: gene_names().join(", "),
        })
}

/// A checked update of one area gene.
#[derive(Clone, Copy, Debug)]
pub enum GeneUpdate {
    /// An engine update, ready to apply.
    Area(AreaUpdate),
    /// One axis (0 = x, 1 = y, 2 = z) of the threshold increment; the other
    /// two axes are read from the area when the update is applied.
    ThresholdIncrementAxis {
        /// 0, 1 or 2.
        axis: usize,
        /// The new increment along that axis.
        value: f32,
    },
}

impl GeneUpdate {
    /// The engine update, given the area's current threshold increment.
    pub fn to_area_update(self, current_increment: [f32; 3]) -> AreaUpdate {
        match self {
            GeneUpdate::Area(u) => u,
            GeneUpdate::ThresholdIncrementAxis { axis, value } => {
                let mut inc = current_increment;
                if let Some(slot) = inc.get_mut(axis) {
                    *slot = value;
                }
                AreaUpdate::ThresholdIncrement(inc)
            }
        }
    }
}

/// The gene as named in messages: as given, plus the canonical name when it differs.
fn label(name: &str, target: GeneTarget) -> String {
    if name == target.name() {
        name.to_string()
    } else {
        format!("{name} ({})", target.name())
    }
}

/// Checks `value` for the gene `name` (any spelling the genome accepts) and
/// turns it into an update. Numbers must be finite (and within f32 for the
/// f32 genes); integer genes take integers or floats with an integral value
/// (as genomes do) in 0..=65535; bool genes take only bools.
pub fn parse_gene_update(name: &str, value: &GeneValue) -> Result<GeneUpdate, GeneError> {
    let target = resolve_gene(name)?;
    let gene = label(name, target);
    let wrong_type = || GeneError::WrongType {
        gene: gene.clone(),
        expected: target.expects(),
        found: value.describe(),
    };
    let invalid = |shown: String, reason: String| GeneError::InvalidValue {
        gene: gene.clone(),
        value: shown,
        reason,
    };
    let finite = |v: f64| {
        if v.is_finite() {
            Ok(v)
        } else {
            Err(invalid(v.to_string(), "must be finite".into()))
        }
    };
    let finite_f32 = |v: f64| {
        let v = finite(v)?;
        if v.abs() > f64::from(f32::MAX) {
            return Err(invalid(v.to_string(), "exceeds the f32 range".into()));
        }
        Ok(v as f32)
    };
    let number = || match value {
        GeneValue::Int(i) => Ok(*i as f64),
        GeneValue::Float(f) => Ok(*f),
        _ => Err(wrong_type()),
    };
    let g = match target {
        GeneTarget::ThresholdIncrement => {
            let GeneValue::Vector(v) = value else {
                return Err(wrong_type());
            };
            let &[x, y, z] = v.as_slice() else {
                return Err(invalid(
                    format!("{v:?}"),
                    format!("needs three values (x, y, z), got {}", v.len()),
                ));
            };
            return Ok(GeneUpdate::Area(AreaUpdate::ThresholdIncrement([
                finite_f32(x)?,
                finite_f32(y)?,
                finite_f32(z)?,
            ])));
        }
        GeneTarget::Gene(g) => g,
    };
    let update = match g.kind() {
        RuntimeGeneKind::Bool => {
            let GeneValue::Bool(b) = *value else {
                return Err(wrong_type());
            };
            match g {
                RuntimeGene::MpChargeAccumulation => AreaUpdate::MpChargeAccumulation(b),
                RuntimeGene::PspUniformDistribution => AreaUpdate::PspUniformDistribution(b),
                _ => AreaUpdate::MpDrivenPsp(b),
            }
        }
        RuntimeGeneKind::Integer { max } => {
            let n = match *value {
                GeneValue::Int(i) => i,
                GeneValue::Float(f) if f.is_finite() && f.fract() == 0.0 => {
                    // Saturating; anything this large is out of range below.
                    f as i64
                }
                GeneValue::Float(f) => {
                    return Err(invalid(f.to_string(), "must be an integer".into()))
                }
                _ => return Err(wrong_type()),
            };
            let n = u16::try_from(n)
                .ok()
                .filter(|n| u32::from(*n) <= max)
                .ok_or_else(|| invalid(n.to_string(), format!("out of range 0..={max}")))?;
            match g {
                RuntimeGene::RefractoryPeriod => AreaUpdate::RefractoryPeriod(n),
                RuntimeGene::ConsecutiveFireLimit => AreaUpdate::ConsecutiveFireLimit(n),
                _ => AreaUpdate::SnoozePeriod(n),
            }
        }
        RuntimeGeneKind::Number => {
            let v = number()?;
            match g {
                RuntimeGene::FiringThreshold => AreaUpdate::FiringThreshold(finite_f32(v)?),
                RuntimeGene::ThresholdIncrementX
                | RuntimeGene::ThresholdIncrementY
                | RuntimeGene::ThresholdIncrementZ => {
                    let axis = match g {
                        RuntimeGene::ThresholdIncrementX => 0,
                        RuntimeGene::ThresholdIncrementY => 1,
                        _ => 2,
                    };
                    return Ok(GeneUpdate::ThresholdIncrementAxis {
                        axis,
                        value: finite_f32(v)?,
                    });
                }
                RuntimeGene::ThresholdLimit => AreaUpdate::ThresholdLimit(finite_f32(v)?),
                RuntimeGene::Leak => AreaUpdate::Leak(finite(v)?),
                RuntimeGene::Excitability => AreaUpdate::Excitability(finite(v)?),
                _ => AreaUpdate::PostsynapticCurrent(finite(v)?),
            }
        }
    };
    Ok(GeneUpdate::Area(update))
}

/// [`parse_gene_update`] for a JSON value (what a server receives).
pub fn parse_json_gene_update(name: &str, value: &Value) -> Result<GeneUpdate, GeneError> {
    match GeneValue::try_from(value) {
        Ok(v) => parse_gene_update(name, &v),
        Err(NotAGeneValue(found)) => {
            let target = resolve_gene(name)?;
            Err(GeneError::WrongType {
                gene: label(name, target),
                expected: target.expects(),
                found: found.to_string(),
            })
        }
    }
}

/// Applies checked updates to an area in order. The area is checked first,
/// so an unknown area changes nothing.
pub fn apply_parsed_updates(
    npu: &mut RustNPU,
    area: AreaIndex,
    updates: &[GeneUpdate],
) -> Result<(), GeneError> {
    npu.area(area)?;
    for update in updates {
        let current = npu.area(area)?.properties.threshold_increment;
        npu.update_area(area, update.to_area_update(current))?;
    }
    Ok(())
}

/// Checks every `(gene name, value)` pair, then applies them in order to an
/// area (SPEC §4.6): when any is invalid, none is applied. Neurons keep their
/// potential, refractory countdown and consecutive count except as §4.6 says.
pub fn apply_gene_updates<N: AsRef<str>>(
    npu: &mut RustNPU,
    area: AreaIndex,
    updates: &[(N, GeneValue)],
) -> Result<(), GeneError> {
    let parsed = updates
        .iter()
        .map(|(name, value)| parse_gene_update(name.as_ref(), value))
        .collect::<Result<Vec<_>, _>>()?;
    apply_parsed_updates(npu, area, &parsed)
}
