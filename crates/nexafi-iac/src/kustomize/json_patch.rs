//! JSON patches (RFC 6902) applied to spanned nodes. Added and replaced values keep the
//! span of the `value` in the patch file.

use nexafi_model::{Node, Value};

/// Applies the operations in order. Returns a message naming the failing operation.
pub(crate) fn apply(target: &mut Node, operations: &[Node]) -> Result<(), String> {
    for (index, operation) in operations.iter().enumerate() {
        apply_one(target, operation).map_err(|error| format!("operation {index}: {error}"))?;
    }
    Ok(())
}

fn apply_one(target: &mut Node, operation: &Node) -> Result<(), String> {
    let field = |name: &str| operation.get(name);
    let text = |name: &str| -> Result<&str, String> {
        field(name)
            .and_then(Node::as_str)
            .ok_or_else(|| format!("`{name}` is missing or not a string"))
    };
    let op = text("op")?;
    let path = parse_pointer(text("path")?)?;
    let value = || {
        field("value")
            .cloned()
            .ok_or_else(|| format!("`{op}` needs a `value`"))
    };
    match op {
        "add" => add(target, &path, value()?),
        "remove" => remove(target, &path).map(drop),
        "replace" => {
            let slot = get_mut(target, &path).ok_or_else(|| missing(&path))?;
            *slot = value()?;
            Ok(())
        }
        "move" => {
            let from = parse_pointer(text("from")?)?;
            let moved = remove(target, &from)?;
            add(target, &path, moved)
        }
        "copy" => {
            let from = parse_pointer(text("from")?)?;
            let copied = get_mut(target, &from)
                .ok_or_else(|| missing(&from))?
                .clone();
            add(target, &path, copied)
        }
        "test" => {
            let found = get_mut(target, &path).ok_or_else(|| missing(&path))?;
            let expected = value()?;
            if found.to_json() == expected.to_json() {
                Ok(())
            } else {
                Err(format!(
                    "test failed at {}: expected {}, found {}",
                    render(&path),
                    expected.display(),
                    found.display()
                ))
            }
        }
        other => Err(format!(
            "unknown op {other:?}; use add, remove, replace, move, copy or test"
        )),
    }
}

/// Splits a JSON pointer into unescaped tokens; "" is the whole document.
fn parse_pointer(pointer: &str) -> Result<Vec<String>, String> {
    if pointer.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = pointer.strip_prefix('/') else {
        return Err(format!("path {pointer:?} does not start with `/`"));
    };
    Ok(rest
        .split('/')
        .map(|token| token.replace("~1", "/").replace("~0", "~"))
        .collect())
}

fn render(path: &[String]) -> String {
    let tokens: Vec<String> = path
        .iter()
        .map(|token| token.replace('~', "~0").replace('/', "~1"))
        .collect();
    format!("/{}", tokens.join("/"))
}

fn missing(path: &[String]) -> String {
    format!("path {} does not exist in the target", render(path))
}

fn get_mut<'n>(node: &'n mut Node, path: &[String]) -> Option<&'n mut Node> {
    let mut current = node;
    for token in path {
        current = match &mut current.value {
            Value::Map(map) => map.get_mut(token)?,
            Value::List(items) => items.get_mut(token.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(current)
}

fn add(target: &mut Node, path: &[String], value: Node) -> Result<(), String> {
    let Some((last, parent_path)) = path.split_last() else {
        *target = value;
        return Ok(());
    };
    let parent = get_mut(target, parent_path).ok_or_else(|| missing(parent_path))?;
    match &mut parent.value {
        Value::Map(map) => {
            map.insert(last.clone(), value);
            Ok(())
        }
        Value::List(items) if last == "-" => {
            items.push(value);
            Ok(())
        }
        Value::List(items) => {
            let index = last
                .parse::<usize>()
                .ok()
                .filter(|index| *index <= items.len())
                .ok_or_else(|| format!("index {last} is out of range at {}", render(path)))?;
            items.insert(index, value);
            Ok(())
        }
        _ => Err(format!("{} is not a map or a list", render(parent_path))),
    }
}

fn remove(target: &mut Node, path: &[String]) -> Result<Node, String> {
    let Some((last, parent_path)) = path.split_last() else {
        return Err("cannot remove the whole document".to_owned());
    };
    let parent = get_mut(target, parent_path).ok_or_else(|| missing(parent_path))?;
    match &mut parent.value {
        Value::Map(map) => map.shift_remove(last).ok_or_else(|| missing(path)),
        Value::List(items) => {
            let index = last
                .parse::<usize>()
                .ok()
                .filter(|index| *index < items.len())
                .ok_or_else(|| missing(path))?;
            Ok(items.remove(index))
        }
        _ => Err(missing(path)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kubernetes::yaml::read_stream;
    use nexafi_model::FileId;

    fn parse(text: &str) -> Node {
        read_stream(text, FileId(0)).documents.remove(0)
    }

    #[test]
    fn operations_in_order() {
        let mut target = parse("a: {b: [1, 2]}\nc: x\n");
        let patch = parse(
            "- {op: add, path: /a/b/-, value: 3}\n\
             - {op: replace, path: /c, value: z}\n\
             - {op: remove, path: /a/b/0}\n\
             - {op: copy, from: /c, path: /d}\n\
             - {op: move, from: /d, path: /e~1f}\n\
             - {op: test, path: /c, value: z}\n",
        );
        let operations = patch.as_list().unwrap_or_default().to_vec();
        assert_eq!(apply(&mut target, &operations), Ok(()));
        assert_eq!(
            target.to_json(),
            serde_json::json!({"a": {"b": [2, 3]}, "c": "z", "e/f": "z"})
        );
    }

    #[test]
    fn remove_missing_fails() {
        let mut target = parse("a: 1");
        let patch = parse("- {op: remove, path: /b}");
        let operations = patch.as_list().unwrap_or_default().to_vec();
        assert_eq!(
            apply(&mut target, &operations),
            Err("operation 0: path /b does not exist in the target".to_owned())
        );
    }
}
