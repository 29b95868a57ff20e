//! Values: `--set` parsing, merging values files, and Helm's coalescing of chart
//! defaults, subchart values and globals.

use std::cell::RefCell;
use std::rc::Rc;

use super::chart::Chart;
use super::value::{MAX_VALUE_DEPTH, Value, ValueMap};

/// Key whose values every chart and subchart receives.
pub const GLOBAL_KEY: &str = "global";

/// Merges `overrides` into `base`, deep for maps: `-f` files applied in order. A null
/// in `overrides` keeps the null, which later removes the default it replaces.
pub fn merge_overrides(base: &Value, overrides: &Value) -> Value {
    merge_at(base, overrides, 0)
}

fn merge_at(base: &Value, overrides: &Value, depth: usize) -> Value {
    match (base, overrides) {
        (Value::Map(base), Value::Map(overrides)) if depth < MAX_VALUE_DEPTH => {
            let mut out = base.borrow().clone();
            let overrides = overrides.borrow();
            for (key, value) in &overrides.entries {
                let merged = match out.entries.get(key) {
                    Some(existing) => merge_at(existing, value, depth + 1),
                    None => value.clone(),
                };
                out.entries.insert(key.clone(), merged);
                match overrides.origins.get(key) {
                    Some(span) => {
                        out.origins.insert(key.clone(), *span);
                    }
                    None => {
                        out.origins.remove(key);
                    }
                }
            }
            Value::Map(Rc::new(RefCell::new(out)))
        }
        (_, overrides) => overrides.clone(),
    }
}

/// Parses one `--set` argument: `a.b=1,c[0]=x,d={p,q}`. Values are typed as Helm
/// types them: integers, `true`/`false`, `null`, else strings. `\,` and `\.` escape.
pub fn parse_set(expression: &str) -> Result<Value, String> {
    let root = Value::empty_map();
    for assignment in split_unescaped(expression, ',', true) {
        if assignment.is_empty() {
            continue;
        }
        let Some((key, raw)) = split_key_value(&assignment) else {
            return Err(format!(
                "invalid --helm-set {assignment:?}: expected KEY=VALUE, as in image.tag=1.2.3"
            ));
        };
        let value = if let Some(list) = raw
            .strip_prefix('{')
            .and_then(|rest| rest.strip_suffix('}'))
        {
            Value::list(
                split_unescaped(list, ',', false)
                    .iter()
                    .map(|item| typed(item))
                    .collect(),
            )
        } else {
            typed(&unescape(&raw))
        };
        assign(&root, &key, value)
            .map_err(|message| format!("invalid --helm-set {assignment:?}: {message}"))?;
    }
    Ok(root)
}

/// Splits on `separator` outside braces and not after a backslash.
fn split_unescaped(text: &str, separator: char, keep_braces: bool) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut braces = 0usize;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                current.push(c);
                if let Some(next) = chars.next() {
                    current.push(next);
                }
            }
            '{' if keep_braces => {
                braces += 1;
                current.push(c);
            }
            '}' if keep_braces => {
                braces = braces.saturating_sub(1);
                current.push(c);
            }
            c if c == separator && braces == 0 => parts.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    parts.push(current);
    parts
}

fn split_key_value(assignment: &str) -> Option<(String, String)> {
    let mut escaped = false;
    for (index, c) in assignment.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            '=' if !escaped => {
                let key = &assignment[..index];
                return (!key.is_empty())
                    .then(|| (key.to_owned(), assignment[index + 1..].to_owned()));
            }
            _ => escaped = false,
        }
    }
    None
}

fn unescape(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn typed(text: &str) -> Value {
    match text {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        "null" => Value::Nil,
        _ => match text.parse::<i64>() {
            // Helm keeps numbers with a leading zero as strings.
            Ok(number) if !(text.len() > 1 && text.starts_with('0')) => Value::Int(number),
            _ => Value::string(text),
        },
    }
}

/// One part of a `--set` key: a map key or a list index.
enum Segment {
    Key(String),
    Index(usize),
}

fn segments(key: &str) -> Result<Vec<Segment>, String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = key.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next() {
                    current.push(next);
                }
            }
            '.' => {
                if !current.is_empty() {
                    out.push(Segment::Key(std::mem::take(&mut current)));
                }
            }
            '[' => {
                if !current.is_empty() {
                    out.push(Segment::Key(std::mem::take(&mut current)));
                }
                let mut digits = String::new();
                for digit in chars.by_ref() {
                    if digit == ']' {
                        break;
                    }
                    digits.push(digit);
                }
                let index: usize = digits
                    .parse()
                    .map_err(|_| format!("list index [{digits}] is not a number"))?;
                if index > 65_536 {
                    return Err(format!("list index {index} is too large"));
                }
                out.push(Segment::Index(index));
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        out.push(Segment::Key(current));
    }
    if out.is_empty() {
        return Err("the key is empty".to_owned());
    }
    Ok(out)
}

fn assign(root: &Value, key: &str, value: Value) -> Result<(), String> {
    let path = segments(key)?;
    let updated = set_path(root.clone(), &path, value)?;
    if let (Value::Map(root), Value::Map(updated)) = (root, &updated)
        && !Rc::ptr_eq(root, updated)
    {
        let entries = updated.borrow().entries.clone();
        root.borrow_mut().entries = entries;
    }
    Ok(())
}

fn set_path(container: Value, path: &[Segment], value: Value) -> Result<Value, String> {
    let Some((first, rest)) = path.split_first() else {
        return Ok(value);
    };
    match first {
        Segment::Key(key) => {
            let map = match container {
                Value::Map(map) => map,
                _ => Rc::new(RefCell::new(ValueMap::default())),
            };
            let child = map.borrow().entries.get(key).cloned().unwrap_or_default();
            let child = set_path(child, rest, value)?;
            map.borrow_mut().insert(key.clone(), child);
            Ok(Value::Map(map))
        }
        Segment::Index(index) => {
            let mut items = match container {
                Value::List(items) => items.as_ref().clone(),
                _ => Vec::new(),
            };
            if items.len() <= *index {
                items.resize(index + 1, Value::Nil);
            }
            let child = std::mem::take(&mut items[*index]);
            items[*index] = set_path(child, rest, value)?;
            Ok(Value::list(items))
        }
    }
}

/// Coalesces the user's values with a chart's defaults and its subcharts' defaults, the
/// way Helm builds `.Values`: user values win, maps merge deeply, a user null removes a
/// default, each subchart's values sit under its name, and `global` flows down.
pub fn coalesce(chart: &Chart, user: &Value) -> Value {
    let values = user.deep_copy();
    coalesce_chart(chart, &values, 0);
    values
}

fn coalesce_chart(chart: &Chart, values: &Value, depth: usize) {
    let Value::Map(target) = values else {
        return;
    };
    merge_defaults(target, &chart.values, depth);
    for subchart in &chart.subcharts {
        let existing = target.borrow().entries.get(&subchart.name).cloned();
        let child = match existing {
            Some(Value::Map(map)) => Value::Map(map),
            _ => {
                let child = Value::empty_map();
                target
                    .borrow_mut()
                    .insert(subchart.name.clone(), child.clone());
                child
            }
        };
        coalesce_globals(&child, values);
        coalesce_chart(subchart, &child, depth + 1);
    }
}

/// Fills keys missing in `target` from `defaults`; a null the user set removes the key.
fn merge_defaults(target: &Rc<RefCell<ValueMap>>, defaults: &Value, depth: usize) {
    let Value::Map(defaults) = defaults else {
        return;
    };
    if depth > MAX_VALUE_DEPTH {
        return;
    }
    let defaults = defaults.borrow().clone();
    for (key, default) in &defaults.entries {
        let existing = target.borrow().entries.get(key).cloned();
        match existing {
            None => {
                let mut target = target.borrow_mut();
                target.entries.insert(key.clone(), default.deep_copy());
                if let Some(span) = defaults.origins.get(key) {
                    target.origins.insert(key.clone(), *span);
                }
            }
            Some(Value::Nil) => {
                let mut target = target.borrow_mut();
                target.entries.remove(key);
                target.origins.remove(key);
            }
            Some(Value::Map(inner)) => {
                if let Value::Map(_) = default {
                    merge_defaults(&inner, default, depth + 1);
                }
            }
            Some(_) => {}
        }
    }
    // Nulls the user set for keys without a default stay nulls, as in Helm.
}

/// Copies the parent's `global` into a subchart's values; the parent's entries win.
fn coalesce_globals(child: &Value, parent: &Value) {
    let (Value::Map(child), Some(Value::Map(parent_globals))) = (child, parent.get(GLOBAL_KEY))
    else {
        return;
    };
    let child_globals = child.borrow().entries.get(GLOBAL_KEY).cloned();
    let merged = match child_globals {
        Some(existing @ Value::Map(_)) => merge_overrides(&existing, &Value::Map(parent_globals)),
        _ => Value::Map(parent_globals).deep_copy(),
    };
    child
        .borrow_mut()
        .entries
        .insert(GLOBAL_KEY.to_owned(), merged);
}

/// Reads the value at a dotted path such as `redis.enabled`.
pub fn path_value(values: &Value, path: &str) -> Option<Value> {
    let mut current = values.clone();
    for part in path.split('.') {
        current = match current.get(part) {
            Some(Value::Nil) | None => return None,
            Some(next) => next,
        };
    }
    Some(current)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_types_and_nests() {
        let value = parse_set("image.tag=1.2,replicas=3,debug=true,name=007,x=null").unwrap();
        assert_eq!(
            value.to_go_string(),
            "map[debug:true image:map[tag:1.2] name:007 replicas:3 x:<nil>]"
        );
    }

    #[test]
    fn set_lists_and_escapes() {
        let value = parse_set("ports={80,443},a\\.b=c,list[1]=x").unwrap();
        assert_eq!(
            value.to_go_string(),
            "map[a.b:c list:[<nil> x] ports:[80 443]]"
        );
    }

    #[test]
    fn set_without_equals_is_error() {
        let error = parse_set("novalue").unwrap_err();
        assert!(error.contains("expected KEY=VALUE"), "{error}");
    }
}
