//! Functions over lists, sets, tuples, maps and objects.
//!
//! Elements taken from an argument keep their own spans, so a finding about an element
//! of `concat(a, b)` still points at the element in `a` or `b`.

use std::collections::{BTreeMap, HashSet};

use nexafi_model::{Map, Node, Value};
use unicode_segmentation::UnicodeSegmentation;

use super::args::{Call, Failure, Outcome};
use super::value::{self, MAX_COLLECTION_LEN, MAX_COPIED_NODES, MAX_DEPTH};

/// Largest list `range` builds, as in Terraform.
const MAX_RANGE_LEN: usize = 1024;

/// Counts the characters of a string or the elements of a collection. The elements
/// themselves may be unknown.
pub(super) fn length(call: &Call) -> Outcome {
    let node = call.present(0)?;
    let count = match &node.value {
        Value::String(text) => text.graphemes(true).count(),
        Value::List(items) => items.len(),
        Value::Map(map) => map.len(),
        _ => {
            return Err(call.invalid(
                0,
                "argument must be a string, a collection type, or a structural type",
            ));
        }
    };
    call.number_node(count as f64)
}

/// Joins lists into one; unknown elements stay in place.
pub(super) fn concat(call: &Call) -> Outcome {
    if call.args.is_empty() {
        return Err(call.fail("at least one argument is required"));
    }
    let mut items = Vec::new();
    for index in 0..call.args.len() {
        let node = call.present(index)?;
        let Some(list) = node.as_list() else {
            return Err(call.invalid(
                index,
                format!(
                    "all arguments must be lists or tuples, got {}",
                    value::type_name(node)
                ),
            ));
        };
        items.extend_from_slice(list);
    }
    call.list_node(items)
}

/// Tells whether the list has an element equal to the value. An unknown element makes
/// the result unknown unless a known element already matches.
pub(super) fn contains(call: &Call) -> Outcome {
    let list = sequence(call, 0, "argument must be list, tuple, or set")?;
    if list.is_empty() {
        return call.bool_node(false);
    }
    let wanted = call.known(1)?;

    let mut undecided = None;
    for item in list {
        match value::equal(item, wanted) {
            Some(true) => return call.bool_node(true),
            Some(false) => {}
            None => undecided = undecided.or_else(|| value::first_unknown(item)),
        }
    }
    match undecided {
        Some(unknown) => Err(Failure::Unknown(unknown.reason.clone())),
        None => call.bool_node(false),
    }
}

pub(super) fn distinct(call: &Call) -> Outcome {
    let list = call.list(0)?;
    call.list_node(value::dedup(list.to_vec()))
}

/// Returns the element at `index`, wrapping around past the end.
pub(super) fn element(call: &Call) -> Outcome {
    let index = call.integer(1)?;
    if index < 0 {
        return Err(call.fail("cannot use element function with a negative index"));
    }
    let list = sequence(
        call,
        0,
        "cannot read elements from a map or primitive value",
    )?;
    if list.is_empty() {
        return Err(call.fail("cannot use element function with an empty list"));
    }
    let position = usize::try_from(index).unwrap_or(usize::MAX) % list.len();
    list.get(position)
        .cloned()
        .ok_or_else(|| call.fail("index out of range"))
}

/// Replaces nested lists by their elements, at any depth. Unknown elements stay in
/// place, although Terraform would not know whether they are lists to flatten.
pub(super) fn flatten(call: &Call) -> Outcome {
    let list = sequence(call, 0, "can only flatten lists, sets and tuples")?;
    let mut out = Vec::new();
    flatten_into(list, &mut out, 0);
    call.list_node(out)
}

fn flatten_into(items: &[Node], out: &mut Vec<Node>, depth: usize) {
    for item in items {
        match &item.value {
            Value::List(inner) if depth < MAX_DEPTH => flatten_into(inner, out, depth + 1),
            _ => out.push(item.clone()),
        }
    }
}

/// Returns the keys in lexical order, as Terraform orders map keys. Values may be
/// unknown.
pub(super) fn keys(call: &Call) -> Outcome {
    let map = mapping(call, 0, "must have map or object type")?;
    let items = sorted_entries(map)
        .into_iter()
        .map(|(key, _)| call.node(Value::String(key.clone())))
        .collect();
    call.list_node(items)
}

/// Returns the values in the lexical order of their keys.
pub(super) fn values(call: &Call) -> Outcome {
    let map = mapping(call, 0, "values() requires a map as the first argument")?;
    let items = sorted_entries(map)
        .into_iter()
        .map(|(_, item)| item.clone())
        .collect();
    call.list_node(items)
}

fn sorted_entries(map: &Map) -> Vec<(&String, &Node)> {
    let mut entries: Vec<(&String, &Node)> = map.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    entries
}

/// Returns the value at `key`, or the default when the key is missing.
pub(super) fn lookup(call: &Call) -> Outcome {
    let map = mapping(call, 0, "lookup() requires a map as the first argument")?;
    let key = call.string(1)?;
    if let Some(found) = map.get(key.as_ref()) {
        return Ok(found.clone());
    }
    match call.args.get(2) {
        Some(default) => Ok(default.clone()),
        None => Err(call.fail(format!("lookup failed to find key {key:?}"))),
    }
}

/// Merges maps; a later map's value wins for a key that several maps have. Null
/// arguments are skipped, and merging only nulls gives null. Keys come out in lexical
/// order, as Terraform orders object attributes.
pub(super) fn merge(call: &Call) -> Outcome {
    let mut merged: BTreeMap<String, Node> = BTreeMap::new();
    let mut all_null = !call.args.is_empty();
    for index in 0..call.args.len() {
        let node = call.known(index)?;
        match &node.value {
            Value::Null => continue,
            Value::Map(map) => {
                all_null = false;
                for (key, item) in map {
                    merged.insert(key.clone(), item.clone());
                }
            }
            _ => {
                return Err(call.invalid(
                    index,
                    format!(
                        "arguments must be maps or objects, got {:?}",
                        value::type_name(node)
                    ),
                ));
            }
        }
    }
    if all_null {
        return Ok(call.node(Value::Null));
    }
    Ok(call.node(Value::Map(merged.into_iter().collect())))
}

/// `range(limit)`, `range(start, limit)` or `range(start, limit, step)`. Without a
/// step, it counts down by one when the limit is below the start.
pub(super) fn range(call: &Call) -> Outcome {
    let numbers = (0..call.args.len())
        .map(|index| call.number(index))
        .collect::<Result<Vec<f64>, Failure>>()?;
    let (start, limit, step) = match numbers.as_slice() {
        [limit] => (0.0, *limit, if *limit < 0.0 { -1.0 } else { 1.0 }),
        [start, limit] => (*start, *limit, if limit < start { -1.0 } else { 1.0 }),
        [start, limit, step] => (*start, *limit, *step),
        _ => return Err(call.fail("must have one, two, or three arguments")),
    };

    if step == 0.0 {
        return Err(call.invalid(2, "step must not be zero"));
    }
    if step < 0.0 && limit > start {
        return Err(call.invalid(1, "end must be less than start when step is negative"));
    }
    if step > 0.0 && limit < start {
        return Err(call.invalid(1, "end must be greater than start when step is positive"));
    }

    let mut items = Vec::new();
    for count in 0..=MAX_RANGE_LEN {
        let number = start + count as f64 * step;
        let done = if step < 0.0 {
            number <= limit
        } else {
            number >= limit
        };
        if done {
            return call.list_node(items);
        }
        if count == MAX_RANGE_LEN {
            break;
        }
        items.push(call.node(Value::Number(number)));
    }
    Err(call.fail(format!(
        "more than {MAX_RANGE_LEN} values were generated; either decrease the difference between start and end or use a smaller step"
    )))
}

pub(super) fn reverse(call: &Call) -> Outcome {
    let list = sequence(call, 0, "can only reverse list or tuple values")?;
    call.list_node(list.iter().rev().cloned().collect())
}

/// Returns the elements from `start_index` up to but not including `end_index`.
pub(super) fn slice(call: &Call) -> Outcome {
    let list = sequence(call, 0, "must be a list or tuple value")?;
    let start = call.integer(1)?;
    let end = call.integer(2)?;
    let length = i64::try_from(list.len()).unwrap_or(i64::MAX);

    if start < 0 {
        return Err(call.invalid(1, "start index must not be less than zero"));
    }
    if start > length {
        return Err(call.invalid(
            1,
            "start index must not be greater than the length of the list",
        ));
    }
    if end < 0 {
        return Err(call.invalid(2, "end index must not be less than zero"));
    }
    if end > length {
        return Err(call.invalid(
            2,
            "end index must not be greater than the length of the list",
        ));
    }
    if start > end {
        return Err(call.invalid(1, "start index must not be greater than end index"));
    }

    let range = usize::try_from(start).unwrap_or(0)..usize::try_from(end).unwrap_or(0);
    call.list_node(list.get(range).unwrap_or_default().to_vec())
}

/// Sorts strings lexically by their bytes; numbers and booleans sort as strings.
pub(super) fn sort(call: &Call) -> Outcome {
    let list = call.list(0)?;
    let mut texts = Vec::with_capacity(list.len());
    for (index, item) in list.iter().enumerate() {
        if item.is_null() {
            return Err(call.fail(format!(
                "given list element {index} is null; a null string cannot be sorted"
            )));
        }
        let text = value::to_string(item).ok_or_else(|| {
            call.invalid(
                0,
                format!(
                    "element {index}: string required, but have {}",
                    value::type_name(item)
                ),
            )
        })?;
        texts.push(text.into_owned());
    }
    texts.sort();
    call.list_node(
        texts
            .into_iter()
            .map(|text| call.node(Value::String(text)))
            .collect(),
    )
}

/// Returns the first argument that is neither null nor an empty string. An unknown
/// argument before it makes the result unknown. Arguments of mixed primitive types
/// are compared as strings, as Terraform converts them to one type.
pub(super) fn coalesce(call: &Call) -> Outcome {
    let unified = value::unify(call.args.to_vec())
        .map_err(|_| call.fail("all arguments must have the same type"))?;
    for item in unified {
        match &item.value {
            Value::Unknown(unknown) => return Err(Failure::Unknown(unknown.reason.clone())),
            Value::Null => {}
            Value::String(text) if text.is_empty() => {}
            _ => return Ok(item),
        }
    }
    Err(call.fail("no non-null, non-empty-string arguments"))
}

/// Returns the first argument that is a non-empty list.
pub(super) fn coalescelist(call: &Call) -> Outcome {
    if call.args.is_empty() {
        return Err(call.fail("at least one argument is required"));
    }
    for index in 0..call.args.len() {
        let node = call.known(index)?;
        match &node.value {
            Value::Null => {}
            Value::List(items) if items.is_empty() => {}
            Value::List(_) => return Ok(node.clone()),
            _ => return Err(call.fail("coalescelist arguments must be lists or tuples")),
        }
    }
    Err(call.fail("no non-null arguments"))
}

/// Removes null and empty-string elements from a list of strings.
pub(super) fn compact(call: &Call) -> Outcome {
    let list = call.list(0)?;
    let mut out = Vec::with_capacity(list.len());
    for (index, item) in list.iter().enumerate() {
        if item.is_null() {
            continue;
        }
        let text = value::to_string(item).ok_or_else(|| {
            call.invalid(
                0,
                format!(
                    "element {index}: string required, but have {}",
                    value::type_name(item)
                ),
            )
        })?;
        if !text.is_empty() {
            out.push(Node::new(item.span, Value::String(text.into_owned())));
        }
    }
    call.list_node(out)
}

/// Returns the position of the first element equal to the value.
pub(super) fn index(call: &Call) -> Outcome {
    let list = sequence(call, 0, "argument must be a list or tuple")?;
    if list.is_empty() {
        return Err(call.fail("cannot search an empty list"));
    }
    let wanted = call.arg(1)?;
    for (position, item) in list.iter().enumerate() {
        match value::equal(item, wanted) {
            Some(true) => return call.number_node(position as f64),
            Some(false) => {}
            None => {
                let reason = value::first_unknown(item)
                    .or_else(|| value::first_unknown(wanted))
                    .map_or_else(String::new, |unknown| unknown.reason.clone());
                return Err(Failure::Unknown(reason));
            }
        }
    }
    Err(call.fail("item not found"))
}

/// Builds a map from a list of keys and a list of values; unknown values stay.
pub(super) fn zipmap(call: &Call) -> Outcome {
    let keys = call.list(0)?;
    if let Some(unknown) = keys.iter().find_map(value::first_unknown) {
        return Err(Failure::Unknown(unknown.reason.clone()));
    }
    let values = sequence(call, 1, "values must be a list or tuple")?;
    if keys.len() != values.len() {
        return Err(call.fail(format!(
            "number of keys ({}) does not match number of values ({})",
            keys.len(),
            values.len()
        )));
    }

    let mut map = Map::new();
    for (position, (key, item)) in keys.iter().zip(values).enumerate() {
        if key.is_null() {
            return Err(call.fail(format!("keys list has null value at index {position}")));
        }
        let key = value::to_string(key).ok_or_else(|| {
            call.invalid(
                0,
                format!(
                    "element {position}: string required, but have {}",
                    value::type_name(key)
                ),
            )
        })?;
        map.insert(key.into_owned(), item.clone());
    }
    Ok(call.node(Value::Map(map)))
}

pub(super) fn setunion(call: &Call) -> Outcome {
    let mut items = Vec::new();
    for index in 0..call.args.len() {
        items.extend_from_slice(call.list(index)?);
    }
    let set = value::make_set(items)
        .map_err(|_| call.fail("given sets must all have compatible element types"))?;
    call.list_node(set)
}

/// Keeps the elements of the first set that every other set also has.
pub(super) fn setintersection(call: &Call) -> Outcome {
    let first = call.list(0)?;
    let mut others = Vec::new();
    for index in 1..call.args.len() {
        others.push(key_set(call.list(index)?));
    }
    let kept = first
        .iter()
        .filter(|item| {
            let key = value::canonical_key(item);
            others
                .iter()
                .all(|other| key.as_ref().is_some_and(|key| other.contains(key)))
        })
        .cloned()
        .collect();
    let set = value::make_set(kept)
        .map_err(|_| call.fail("given sets must all have compatible element types"))?;
    call.list_node(set)
}

/// Keeps the elements of `a` that `b` lacks.
pub(super) fn setsubtract(call: &Call) -> Outcome {
    let first = call.list(0)?;
    let removed = key_set(call.list(1)?);
    let kept = first
        .iter()
        .filter(|item| value::canonical_key(item).is_none_or(|key| !removed.contains(&key)))
        .cloned()
        .collect();
    let set = value::make_set(kept)
        .map_err(|_| call.fail("given sets must all have compatible element types"))?;
    call.list_node(set)
}

fn key_set(items: &[Node]) -> HashSet<String> {
    items.iter().filter_map(value::canonical_key).collect()
}

/// Returns every combination of one element from each argument, in order.
pub(super) fn setproduct(call: &Call) -> Outcome {
    if call.args.len() < 2 {
        return Err(call.fail("at least two arguments are required"));
    }
    let mut lists = Vec::with_capacity(call.args.len());
    let mut total = 1_usize;
    let mut row_nodes = 1_usize;
    for index in 0..call.args.len() {
        let list = sequence(call, index, "a set or a list is required")?;
        total = total.saturating_mul(list.len());
        let largest = list.iter().map(value::node_count).max().unwrap_or(0);
        row_nodes = row_nodes.saturating_add(largest);
        lists.push(list);
    }
    // Every row copies one element of each argument, so the copies are bounded too.
    if total > MAX_COLLECTION_LEN || total.saturating_mul(row_nodes) > MAX_COPIED_NODES {
        return Err(call.fail(format!(
            "the product has {total} elements of up to {row_nodes} values each, more than the limit of {MAX_COLLECTION_LEN} elements or {MAX_COPIED_NODES} values"
        )));
    }

    let mut product: Vec<Vec<Node>> = vec![Vec::new()];
    for list in lists {
        let mut next = Vec::with_capacity(product.len().saturating_mul(list.len()));
        for prefix in &product {
            for item in list {
                let mut row = prefix.clone();
                row.push(item.clone());
                next.push(row);
            }
        }
        product = next;
    }
    call.list_node(
        product
            .into_iter()
            .map(|row| call.node(Value::List(row)))
            .collect(),
    )
}

/// Returns null for an empty list and the element of a one-element list.
pub(super) fn one(call: &Call) -> Outcome {
    let message = "must be a list, set, or tuple value with either zero or one elements";
    let list = sequence(call, 0, message)?;
    match list {
        [] => Ok(call.node(Value::Null)),
        [only] => Ok(only.clone()),
        _ => Err(call.invalid(0, message)),
    }
}

/// True when every element is true; null counts as false and an empty list is true.
/// Like Terraform, it returns unknown as soon as it meets an unknown element.
pub(super) fn alltrue(call: &Call) -> Outcome {
    let list = call.list(0)?;
    for (index, item) in list.iter().enumerate() {
        match &item.value {
            Value::Unknown(unknown) => return Err(Failure::Unknown(unknown.reason.clone())),
            Value::Null => return call.bool_node(false),
            _ => {
                if !element_bool(call, index, item)? {
                    return call.bool_node(false);
                }
            }
        }
    }
    call.bool_node(true)
}

/// True when any element is true; null counts as false. Unknown elements make the
/// result unknown unless a known element is true.
pub(super) fn anytrue(call: &Call) -> Outcome {
    let list = call.list(0)?;
    let mut undecided = None;
    for (index, item) in list.iter().enumerate() {
        match &item.value {
            Value::Unknown(unknown) => undecided = undecided.or(Some(unknown)),
            Value::Null => {}
            _ => {
                if element_bool(call, index, item)? {
                    return call.bool_node(true);
                }
            }
        }
    }
    match undecided {
        Some(unknown) => Err(Failure::Unknown(unknown.reason.clone())),
        None => call.bool_node(false),
    }
}

fn element_bool(call: &Call, index: usize, item: &Node) -> Result<bool, Failure> {
    value::to_bool(item).ok_or_else(|| {
        call.invalid(
            0,
            format!(
                "element {index}: bool required, but have {}",
                value::type_name(item)
            ),
        )
    })
}

pub(super) fn sum(call: &Call) -> Outcome {
    let list = sequence(call, 0, "cannot sum noniterable")?;
    if list.is_empty() {
        return Err(call.invalid(0, "cannot sum an empty list"));
    }
    let mut total = 0.0_f64;
    for item in list {
        let number = match &item.value {
            Value::Number(number) => Some(*number),
            Value::String(text) => value::parse_number(text),
            _ => None,
        }
        .ok_or_else(|| call.invalid(0, "argument must be list, set, or tuple of number values"))?;
        total += number;
    }
    if total.is_nan() {
        return Err(call.fail("can't compute sum of opposing infinities"));
    }
    call.number_node(total)
}

/// Swaps keys and values of a map of lists of strings. Each output list is sorted.
pub(super) fn transpose(call: &Call) -> Outcome {
    let map = call.map(0)?;
    let mut swapped: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (key, item) in map {
        let Some(list) = item.as_list() else {
            return Err(call.fail("input must be a map of lists of strings"));
        };
        for element in list {
            let text = value::to_string(element)
                .ok_or_else(|| call.fail("input must be a map of lists of strings"))?;
            swapped
                .entry(text.into_owned())
                .or_default()
                .push(key.clone());
        }
    }

    let mut out = Map::new();
    for (key, mut list) in swapped {
        list.sort();
        let items = list
            .into_iter()
            .map(|text| call.node(Value::String(text)))
            .collect();
        out.insert(key, call.node(Value::List(items)));
    }
    Ok(call.node(Value::Map(out)))
}

/// Splits a list into lists of `size` elements; size 0 gives the whole list as one
/// chunk.
pub(super) fn chunklist(call: &Call) -> Outcome {
    let list = sequence(call, 0, "list required")?;
    let size = call.integer(1)?;
    let size =
        usize::try_from(size).map_err(|_| call.fail("the size argument must be positive"))?;
    if list.is_empty() {
        return call.list_node(Vec::new());
    }
    if size == 0 {
        return call.list_node(vec![call.node(Value::List(list.to_vec()))]);
    }
    call.list_node(
        list.chunks(size)
            .map(|chunk| call.node(Value::List(chunk.to_vec())))
            .collect(),
    )
}

/// Keeps the elements of `values` whose element at the same position in `keys` is in
/// `searchset`.
pub(super) fn matchkeys(call: &Call) -> Outcome {
    let values = call.list(0)?;
    let keys = call.list(1)?;
    let search = key_set(call.list(2)?);
    if values.len() != keys.len() {
        return Err(call.fail("length of keys and values should be equal"));
    }
    let kept = values
        .iter()
        .zip(keys)
        .filter(|(_, key)| value::canonical_key(key).is_some_and(|key| search.contains(&key)))
        .map(|(item, _)| item.clone())
        .collect();
    call.list_node(kept)
}

/// Reads a list argument that must not be unknown or null; `message` explains what
/// else is wrong.
fn sequence<'a>(call: &Call<'a>, index: usize, message: &str) -> Result<&'a [Node], Failure> {
    let node = call.present(index)?;
    node.as_list().ok_or_else(|| call.invalid(index, message))
}

fn mapping<'a>(call: &Call<'a>, index: usize, message: &str) -> Result<&'a Map, Failure> {
    let node = call.present(index)?;
    node.as_map().ok_or_else(|| call.invalid(index, message))
}
