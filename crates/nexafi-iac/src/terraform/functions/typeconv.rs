//! Explicit type conversions. Null converts to null, as in Terraform.

use nexafi_model::{Map, Value};

use super::args::{Call, Outcome};
use super::value;

pub(super) fn tostring(call: &Call) -> Outcome {
    let node = call.known(0)?;
    if node.is_null() {
        return Ok(call.node(Value::Null));
    }
    match value::to_string(node) {
        Some(text) => call.string_node(text.into_owned()),
        None => Err(call.invalid(
            0,
            format!("cannot convert {} to string", value::type_name(node)),
        )),
    }
}

pub(super) fn tonumber(call: &Call) -> Outcome {
    let node = call.known(0)?;
    match &node.value {
        Value::Null => Ok(call.node(Value::Null)),
        Value::Number(number) => call.number_node(*number),
        Value::String(text) => match value::parse_number(text) {
            Some(number) => call.number_node(number),
            None => Err(call.invalid(
                0,
                format!(
                    "cannot convert {text:?} to number; given string must be a decimal representation of a number"
                ),
            )),
        },
        _ => Err(call.invalid(
            0,
            format!("cannot convert {} to number", value::type_name(node)),
        )),
    }
}

pub(super) fn tobool(call: &Call) -> Outcome {
    let node = call.known(0)?;
    match &node.value {
        Value::Null => Ok(call.node(Value::Null)),
        Value::Bool(flag) => call.bool_node(*flag),
        Value::String(text) => match value::to_bool(node) {
            Some(flag) => call.bool_node(flag),
            None => Err(call.invalid(
                0,
                format!(
                    "cannot convert {text:?} to bool; only the strings \"true\" or \"false\" are allowed"
                ),
            )),
        },
        _ => Err(call.invalid(
            0,
            format!("cannot convert {} to bool", value::type_name(node)),
        )),
    }
}

/// Converts a tuple or set to a list, converting mixed primitive elements to strings.
/// Unknown elements stay in place.
pub(super) fn tolist(call: &Call) -> Outcome {
    let node = call.known(0)?;
    match &node.value {
        Value::Null => Ok(call.node(Value::Null)),
        Value::List(items) => {
            let items = value::unify(items.clone())
                .map_err(|_| call.invalid(0, "cannot convert tuple to list of any single type"))?;
            call.list_node(items)
        }
        _ => Err(call.invalid(
            0,
            format!("cannot convert {} to list", value::type_name(node)),
        )),
    }
}

/// Converts a list or tuple to a set: duplicates go, and primitives come out in
/// Terraform's set order.
pub(super) fn toset(call: &Call) -> Outcome {
    let node = call.known(0)?;
    match &node.value {
        Value::Null => Ok(call.node(Value::Null)),
        Value::List(items) => {
            let items = value::make_set(items.clone())
                .map_err(|_| call.invalid(0, "cannot convert tuple to set of any single type"))?;
            call.list_node(items)
        }
        _ => Err(call.invalid(
            0,
            format!("cannot convert {} to set", value::type_name(node)),
        )),
    }
}

/// Converts an object to a map, converting mixed primitive values to strings.
pub(super) fn tomap(call: &Call) -> Outcome {
    let node = call.known(0)?;
    match &node.value {
        Value::Null => Ok(call.node(Value::Null)),
        Value::Map(map) => {
            let keys: Vec<String> = map.keys().cloned().collect();
            let values = value::unify(map.values().cloned().collect())
                .map_err(|_| call.invalid(0, "cannot convert object to map of any single type"))?;
            let converted: Map = keys.into_iter().zip(values).collect();
            Ok(call.node(Value::Map(converted)))
        }
        _ => Err(call.invalid(
            0,
            format!("cannot convert {} to map", value::type_name(node)),
        )),
    }
}

/// `sensitive` and `nonsensitive`: sensitivity only hides values in Terraform's
/// output, and checks must see the value, so both return their argument.
pub(super) fn identity(call: &Call) -> Outcome {
    Ok(call.arg(0)?.clone())
}
