//! Conversions, comparisons and limits on values that several families share.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::HashSet;

use nexafi_model::{Node, Unknown, Value};

/// Deepest nesting of lists and maps that a function accepts or produces. Helpers
/// below recurse over values, and this bound keeps their stack use small. JSON input
/// is bounded tighter still by `serde_json`'s own limit of 128.
pub(super) const MAX_DEPTH: usize = 256;

/// Largest string a function builds, in bytes. Functions whose output grows with an
/// argument (`indent`, `replace`, `format` widths, `join`) check this before they
/// allocate, so hostile input cannot exhaust memory.
pub(super) const MAX_STRING_BYTES: usize = 16 * 1024 * 1024;

/// Largest list a function builds from a product of its arguments (`setproduct`).
pub(super) const MAX_COLLECTION_LEN: usize = 100_000;

/// Largest number of values a function copies into a result that is larger than its
/// arguments (`setproduct`).
pub(super) const MAX_COPIED_NODES: usize = 1_000_000;

/// Counts the values in `node`, itself included, without recursing.
pub(super) fn node_count(node: &Node) -> usize {
    let mut count = 0_usize;
    let mut stack = vec![node];
    while let Some(current) = stack.pop() {
        count += 1;
        match &current.value {
            Value::List(items) => stack.extend(items.iter()),
            Value::Map(map) => stack.extend(map.values()),
            _ => {}
        }
    }
    count
}

/// Returns an error message when a string of `len` bytes would be too large.
pub(super) fn check_string_size(len: usize) -> Result<(), String> {
    if len > MAX_STRING_BYTES {
        return Err(format!(
            "the result would be {len} bytes long, more than the limit of {MAX_STRING_BYTES} bytes"
        ));
    }
    Ok(())
}

/// Finds the first unknown value in `node`, depth first.
pub(super) fn first_unknown(node: &Node) -> Option<&Unknown> {
    let mut stack = vec![node];
    while let Some(current) = stack.pop() {
        match &current.value {
            Value::Unknown(unknown) => return Some(unknown),
            Value::List(items) => stack.extend(items.iter().rev()),
            Value::Map(map) => stack.extend(map.values().rev()),
            _ => {}
        }
    }
    None
}

/// Tells whether `node` nests lists and maps more than `limit` levels deep, without
/// recursing.
pub(super) fn depth_exceeds(node: &Node, limit: usize) -> bool {
    let mut stack = vec![(node, 0_usize)];
    while let Some((current, depth)) = stack.pop() {
        if depth > limit {
            return true;
        }
        match &current.value {
            Value::List(items) => stack.extend(items.iter().map(|item| (item, depth + 1))),
            Value::Map(map) => stack.extend(map.values().map(|item| (item, depth + 1))),
            _ => {}
        }
    }
    false
}

/// Names the type of a value in messages, as Terraform's friendly type names do.
pub(super) fn type_name(node: &Node) -> &'static str {
    match &node.value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::List(_) => "list",
        Value::Map(_) => "map",
        Value::Unknown(_) => "unknown value",
    }
}

/// Formats a number as Terraform converts it to a string: decimal notation without
/// an exponent and without a trailing `.0`.
pub(super) fn number_to_string(number: f64) -> String {
    if number.is_infinite() {
        return if number > 0.0 { "+Inf" } else { "-Inf" }.to_owned();
    }
    if number == 0.0 {
        // Terraform has no negative zero.
        return "0".to_owned();
    }
    number.to_string()
}

/// Parses a decimal number the way Terraform's `tonumber` does: an optional sign,
/// digits with an optional fraction and exponent. Rejects NaN and infinity words.
pub(super) fn parse_number(text: &str) -> Option<f64> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    let plain = digits
        .bytes()
        .all(|byte| byte.is_ascii_digit() || matches!(byte, b'.' | b'e' | b'E' | b'+' | b'-'));
    if !plain || !digits.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
        return None;
    }
    text.parse::<f64>().ok().filter(|number| number.is_finite())
}

/// Returns the integer value of `number` when it is whole and fits an `i64`.
pub(super) fn to_integer(number: f64) -> Option<i64> {
    // 2^63 is exactly representable, so the comparison is exact.
    let limit = 9_223_372_036_854_775_808.0_f64;
    let whole = number.fract() == 0.0 && number >= -limit && number < limit;
    // The range check above makes the cast exact.
    #[allow(clippy::cast_possible_truncation)]
    whole.then_some(number as i64)
}

/// Converts a primitive to a string as Terraform does; `None` for other values.
pub(super) fn to_string(node: &Node) -> Option<Cow<'_, str>> {
    match &node.value {
        Value::String(text) => Some(Cow::Borrowed(text)),
        Value::Number(number) => Some(Cow::Owned(number_to_string(*number))),
        Value::Bool(flag) => Some(Cow::Borrowed(if *flag { "true" } else { "false" })),
        _ => None,
    }
}

/// Converts a primitive to a bool as Terraform does: only `"true"` and `"false"`
/// convert from strings.
pub(super) fn to_bool(node: &Node) -> Option<bool> {
    match &node.value {
        Value::Bool(flag) => Some(*flag),
        Value::String(text) if text == "true" => Some(true),
        Value::String(text) if text == "false" => Some(false),
        _ => None,
    }
}

/// Compares two values as Terraform's `==` does, ignoring spans. Values of different
/// types are unequal. Returns `None` when an unknown value decides the result.
pub(super) fn equal(left: &Node, right: &Node) -> Option<bool> {
    match (&left.value, &right.value) {
        (Value::Unknown(_), _) | (_, Value::Unknown(_)) => None,
        (Value::Null, Value::Null) => Some(true),
        (Value::Bool(a), Value::Bool(b)) => Some(a == b),
        (Value::Number(a), Value::Number(b)) => Some(a == b),
        (Value::String(a), Value::String(b)) => Some(a == b),
        (Value::List(a), Value::List(b)) => {
            if a.len() != b.len() {
                return Some(false);
            }
            all_equal(a.iter().zip(b))
        }
        (Value::Map(a), Value::Map(b)) => {
            if a.len() != b.len() {
                return Some(false);
            }
            let mut pairs = Vec::with_capacity(a.len());
            for (key, item) in a {
                match b.get(key) {
                    Some(other) => pairs.push((item, other)),
                    None => return Some(false),
                }
            }
            all_equal(pairs.into_iter())
        }
        _ => Some(false),
    }
}

/// Combines element comparisons: any known difference decides `false` even when
/// other elements are unknown.
fn all_equal<'n>(pairs: impl Iterator<Item = (&'n Node, &'n Node)>) -> Option<bool> {
    let mut undecided = false;
    for (a, b) in pairs {
        match equal(a, b) {
            Some(false) => return Some(false),
            None => undecided = true,
            Some(true) => {}
        }
    }
    if undecided { None } else { Some(true) }
}

/// Orders the elements of a set as Terraform does: strings lexically by bytes,
/// numbers numerically, `false` before `true`. Other values keep their order.
pub(super) fn set_order(left: &Node, right: &Node) -> Ordering {
    match (&left.value, &right.value) {
        (Value::String(a), Value::String(b)) => a.cmp(b),
        (Value::Number(a), Value::Number(b)) => a.total_cmp(b),
        (Value::Bool(a), Value::Bool(b)) => a.cmp(b),
        _ => Ordering::Equal,
    }
}

/// The kinds of value that Terraform's type unification distinguishes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Bool,
    Number,
    String,
    List,
    Map,
}

fn kind(node: &Node) -> Option<Kind> {
    match &node.value {
        Value::Bool(_) => Some(Kind::Bool),
        Value::Number(_) => Some(Kind::Number),
        Value::String(_) => Some(Kind::String),
        Value::List(_) => Some(Kind::List),
        Value::Map(_) => Some(Kind::Map),
        Value::Null | Value::Unknown(_) => None,
    }
}

/// Converts values to one element type, as Terraform does when it builds a list, set
/// or map from mixed values: primitives of different types all become strings. Nulls
/// and unknowns pass unchanged. Fails when primitives mix with collections, or lists
/// with maps.
pub(super) fn unify(items: Vec<Node>) -> Result<Vec<Node>, String> {
    let mut kinds: Vec<Kind> = items.iter().filter_map(kind).collect();
    kinds.dedup();
    kinds.sort_by_key(|kind| *kind as u8);
    kinds.dedup();
    if kinds.len() <= 1 {
        return Ok(items);
    }

    let all_primitive = kinds
        .iter()
        .all(|kind| matches!(kind, Kind::Bool | Kind::Number | Kind::String));
    if !all_primitive {
        return Err("all elements must have the same type".to_owned());
    }
    Ok(items
        .into_iter()
        .map(|node| {
            let converted = to_string(&node).map(Cow::into_owned);
            match converted {
                Some(text) => Node::new(node.span, Value::String(text)),
                None => node,
            }
        })
        .collect())
}

/// Removes later duplicates, keeping the first of each value. Unknown elements are
/// kept, since they may or may not equal another element.
pub(super) fn dedup(items: Vec<Node>) -> Vec<Node> {
    let mut seen = HashSet::with_capacity(items.len());
    items
        .into_iter()
        .filter(|item| match canonical_key(item) {
            Some(key) => seen.insert(key),
            None => true,
        })
        .collect()
}

/// Returns a string that is equal for two values exactly when [`equal`] returns
/// `Some(true)`, so sets can be built with hashing instead of pairwise comparison. `None`
/// when the value contains an unknown.
pub(super) fn canonical_key(node: &Node) -> Option<String> {
    let mut key = String::new();
    write_canonical(node, &mut key).then_some(key)
}

fn write_canonical(node: &Node, out: &mut String) -> bool {
    match &node.value {
        Value::Unknown(_) => return false,
        Value::Null => out.push('n'),
        Value::Bool(flag) => out.push(if *flag { 't' } else { 'f' }),
        Value::Number(number) => {
            // Adding zero turns -0 into 0, which compares equal to it.
            let bits = (number + 0.0).to_bits();
            out.push_str(&format!("#{bits};"));
        }
        Value::String(text) => {
            out.push_str(&format!("s{}:", text.len()));
            out.push_str(text);
        }
        Value::List(items) => {
            out.push('[');
            for item in items {
                if !write_canonical(item, out) {
                    return false;
                }
            }
            out.push(']');
        }
        Value::Map(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (key, item) in entries {
                out.push_str(&format!("k{}:", key.len()));
                out.push_str(key);
                if !write_canonical(item, out) {
                    return false;
                }
            }
            out.push('}');
        }
    }
    true
}

/// Builds a Terraform set: one element type, no duplicates, ordered like Terraform
/// orders sets of primitives.
pub(super) fn make_set(items: Vec<Node>) -> Result<Vec<Node>, String> {
    let mut items = dedup(unify(items)?);
    items.sort_by(set_order);
    Ok(items)
}
