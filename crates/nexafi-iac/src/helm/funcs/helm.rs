//! Helm's own template functions and the methods of `.Files`.

use std::rc::Rc;

use super::{CallError, CallResult, arity, strval};
use crate::helm::files::Files;
use crate::helm::template::ast::Pos;
use crate::helm::template::exec::Exec;
use crate::helm::value::Value;
use crate::helm::yaml;

pub(super) fn call(
    exec: &mut Exec<'_>,
    name: &str,
    args: &[Value],
    pos: Pos,
) -> Option<CallResult> {
    Some(match name {
        "include" => arity(name, args, 2).and_then(|()| {
            let template = strval(&args[0]);
            Ok(Value::string(exec.include(&template, &args[1], pos)?))
        }),
        "tpl" => arity(name, args, 2).and_then(|()| {
            let source = strval(&args[0]);
            Ok(Value::string(exec.tpl(&source, &args[1], pos)?))
        }),
        "required" => arity(name, args, 2).and_then(|()| match &args[1] {
            Value::Nil => Err(CallError::Plain(strval(&args[0]))),
            Value::String(text) if text.is_empty() => Err(CallError::Plain(strval(&args[0]))),
            other => Ok(other.clone()),
        }),
        // Helm's `toYaml` prints nothing when the value cannot be written; `mustToYaml`
        // fails instead.
        "toYaml" | "toYamlPretty" => arity(name, args, 1)
            .map(|()| Value::string(yaml::to_yaml(&args[0]).unwrap_or_default())),
        "mustToYaml" => arity(name, args, 1).and_then(|()| {
            yaml::to_yaml(&args[0])
                .map(Value::string)
                .map_err(CallError::Message)
        }),
        "fromYaml" => {
            arity(name, args, 1).map(|()| match yaml::parse_document(&strval(&args[0])) {
                Ok(value @ Value::Map(_)) => value,
                Ok(Value::Nil) => Value::empty_map(),
                Ok(other) => error_map(format!(
                    "error unmarshaling JSON: cannot unmarshal {} into a map",
                    other.type_name()
                )),
                Err(message) => error_map(message),
            })
        }
        "fromYamlArray" => {
            arity(name, args, 1).map(|()| match yaml::parse_document(&strval(&args[0])) {
                Ok(value @ Value::List(_)) => value,
                Ok(other) => Value::list(vec![Value::string(format!(
                    "error unmarshaling JSON: cannot unmarshal {} into a list",
                    other.type_name()
                ))]),
                Err(message) => Value::list(vec![Value::string(message)]),
            })
        }
        "toJson" => arity(name, args, 1)
            .map(|()| Value::string(yaml::to_json(&args[0]).unwrap_or_default())),
        "mustToJson" => arity(name, args, 1).and_then(|()| {
            yaml::to_json(&args[0])
                .map(Value::string)
                .map_err(CallError::Message)
        }),
        "toPrettyJson" | "toRawJson" => arity(name, args, 1).map(|()| {
            let value = yaml::to_json_value(&args[0]);
            let text = if name == "toPrettyJson" {
                serde_json::to_string_pretty(&value)
            } else {
                serde_json::to_string(&value)
            };
            Value::string(text.unwrap_or_default())
        }),
        "fromJson" => arity(name, args, 1).map(|()| match yaml::from_json(&strval(&args[0])) {
            Ok(value @ Value::Map(_)) => value,
            Ok(other) => error_map(format!(
                "json: cannot unmarshal {} into a map",
                other.type_name()
            )),
            Err(message) => error_map(message),
        }),
        "fromJsonArray" => {
            arity(name, args, 1).map(|()| match yaml::from_json(&strval(&args[0])) {
                Ok(value @ Value::List(_)) => value,
                Ok(other) => Value::list(vec![Value::string(format!(
                    "json: cannot unmarshal {} into a list",
                    other.type_name()
                ))]),
                Err(message) => Value::list(vec![Value::string(message)]),
            })
        }
        // Rendering is offline: `lookup` finds nothing, as with `helm template`.
        "lookup" => arity(name, args, 4).map(|()| Value::empty_map()),
        _ => return None,
    })
}

fn error_map(message: String) -> Value {
    Value::map(std::collections::BTreeMap::from([(
        "Error".to_owned(),
        Value::string(message),
    )]))
}

/// Calls a method of `.Files`: `Get`, `GetBytes`, `Glob`, `AsConfig`, `AsSecrets`,
/// `Lines`.
pub fn files_method(files: &Rc<Files>, method: &str, args: &[Value]) -> Result<Value, String> {
    let one_string = |args: &[Value]| match args {
        [Value::String(text)] => Ok(text.to_string()),
        _ => Err(format!(
            "wrong number of args for {method}: want 1 got {}",
            args.len()
        )),
    };
    let no_args = |args: &[Value]| {
        if args.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "wrong number of args for {method}: want 0 got {}",
                args.len()
            ))
        }
    };
    match method {
        "Get" | "GetBytes" => Ok(Value::string(files.get(&one_string(args)?))),
        "Glob" => Ok(Value::Files(Rc::new(files.glob(&one_string(args)?)?))),
        "AsConfig" => no_args(args).map(|()| Value::string(files.as_config())),
        "AsSecrets" => no_args(args).map(|()| Value::string(files.as_secrets())),
        "Lines" => Ok(Value::list(files.lines(&one_string(args)?))),
        other => Err(format!("can't evaluate field {other} in type chart.Files")),
    }
}
