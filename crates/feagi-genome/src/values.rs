//! Typed reading of JSON values, shared by genes, physiology, rules and
//! morphologies. The helpers only classify; callers attach locators.

use serde_json::Value;

/// Why a value did not have the expected type.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum TypeProblem {
    /// A number with a fractional part where an integer is required.
    Fractional(f64),
    /// Not a number / bool / string as required; holds a short description of what it was.
    NotA(&'static str, &'static str),
}

impl TypeProblem {
    pub fn describe(&self) -> String {
        match self {
            TypeProblem::Fractional(v) => format!("expected an integer, found {v}"),
            TypeProblem::NotA(expected, found) => format!("expected {expected}, found {found}"),
        }
    }
}

/// A short name of a JSON value's type, for messages.
pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a bool",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// An integer: JSON integers and floats with a zero fraction (`2.0`). Values
/// beyond i128 cannot occur (f64 saturates in the conversion), and every
/// caller range-checks the result.
pub(crate) fn as_integer(v: &Value) -> Result<i128, TypeProblem> {
    match v {
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Ok(i128::from(i))
            } else if let Some(u) = n.as_u64() {
                Ok(i128::from(u))
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                if f.is_finite() && f.fract() == 0.0 {
                    // `as` saturates, which keeps out-of-range values out of range.
                    Ok(f as i128)
                } else {
                    Err(TypeProblem::Fractional(f))
                }
            }
        }
        other => Err(TypeProblem::NotA("an integer", type_name(other))),
    }
}

/// Any JSON number as f64.
pub(crate) fn as_number(v: &Value) -> Result<f64, TypeProblem> {
    match v {
        Value::Number(n) => n
            .as_f64()
            .ok_or(TypeProblem::NotA("a number", "an unrepresentable number")),
        other => Err(TypeProblem::NotA("a number", type_name(other))),
    }
}

pub(crate) fn as_bool(v: &Value) -> Result<bool, TypeProblem> {
    match v {
        Value::Bool(b) => Ok(*b),
        other => Err(TypeProblem::NotA("true or false", type_name(other))),
    }
}

pub(crate) fn as_str(v: &Value) -> Result<&str, TypeProblem> {
    match v {
        Value::String(s) => Ok(s),
        other => Err(TypeProblem::NotA("a string", type_name(other))),
    }
}

/// JSON equality where numbers compare by value, so `2` equals `2.0`
/// (flat keys `snooze-i` 2 and `snooze-f` 2.0 name the same gene value).
pub(crate) fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            if let (Some(i), Some(j)) = (x.as_i64(), y.as_i64()) {
                i == j
            } else if let (Some(i), Some(j)) = (x.as_u64(), y.as_u64()) {
                i == j
            } else {
                x.as_f64() == y.as_f64()
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_equal(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, p)| y.get(k).is_some_and(|q| json_equal(p, q)))
        }
        _ => a == b,
    }
}

/// A compact rendering of a value for messages, cut to a readable length.
pub(crate) fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 60 {
        let cut: String = s.chars().take(57).collect();
        format!("{cut}...")
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn integers_accept_zero_fraction_floats_only() {
        assert_eq!(as_integer(&json!(2)), Ok(2));
        assert_eq!(as_integer(&json!(2.0)), Ok(2));
        assert_eq!(as_integer(&json!(-7)), Ok(-7));
        assert_eq!(as_integer(&json!(u64::MAX)), Ok(i128::from(u64::MAX)));
        assert_eq!(as_integer(&json!(1e300)), Ok(i128::MAX));
        assert_eq!(as_integer(&json!(2.5)), Err(TypeProblem::Fractional(2.5)));
        assert!(as_integer(&json!("2")).is_err());
        assert!(as_integer(&json!(true)).is_err());
    }

    #[test]
    fn equality_compares_numbers_by_value() {
        assert!(json_equal(&json!(2), &json!(2.0)));
        assert!(json_equal(&json!({"a": [1, 2.0]}), &json!({"a": [1.0, 2]})));
        assert!(!json_equal(&json!(2), &json!(3)));
        assert!(!json_equal(&json!("2"), &json!(2)));
    }
}
