//! String functions. Lengths and offsets count grapheme clusters, as Terraform does,
//! so a letter with a combining accent is one character.

use nexafi_model::{Map, Node, Value};
use regex::{Captures, Regex, RegexBuilder};
use unicode_segmentation::UnicodeSegmentation;

use super::args::{Call, Failure, Outcome};
use super::value::{self, MAX_STRING_BYTES};

/// Compiled size limit for patterns from configuration, so a pattern such as
/// `(a{100}){100}` fails with an error instead of using unbounded memory.
const REGEX_SIZE_LIMIT: usize = 4 * 1024 * 1024;

pub(super) fn join(call: &Call) -> Outcome {
    let separator = call.string(0)?;
    let lists = call.args.get(1..).unwrap_or_default();
    if lists.is_empty() {
        return Err(call.fail("at least one list is required"));
    }

    let mut parts: Vec<String> = Vec::new();
    for index in 1..=lists.len() {
        let items = call.list(index)?;
        for (element, item) in items.iter().enumerate() {
            if item.is_null() {
                let which = if lists.len() > 1 {
                    format!("element {element} of list {index}")
                } else {
                    format!("element {element}")
                };
                return Err(call.invalid(
                    index,
                    format!("{which} is null; cannot concatenate null values"),
                ));
            }
            let text = value::to_string(item).ok_or_else(|| {
                call.invalid(
                    index,
                    format!(
                        "element {element}: string required, but have {}",
                        value::type_name(item)
                    ),
                )
            })?;
            parts.push(text.into_owned());
        }
    }

    let total = parts.iter().map(String::len).sum::<usize>().saturating_add(
        separator
            .len()
            .saturating_mul(parts.len().saturating_sub(1)),
    );
    value::check_string_size(total).map_err(|message| call.fail(message))?;
    call.string_node(parts.join(&separator))
}

pub(super) fn split(call: &Call) -> Outcome {
    let separator = call.string(0)?;
    let text = call.string(1)?;

    // Go's strings.Split: an empty separator splits after each character, and an
    // empty string with a separator gives one empty element.
    let parts: Vec<&str> = if separator.is_empty() {
        text.char_indices()
            .map(|(at, c)| text.get(at..at + c.len_utf8()).unwrap_or_default())
            .collect()
    } else {
        text.split(separator.as_ref()).collect()
    };
    let items = parts
        .into_iter()
        .map(|part| call.node(Value::String(part.to_owned())))
        .collect();
    call.list_node(items)
}

pub(super) fn lower(call: &Call) -> Outcome {
    let text = call.string(0)?;
    call.string_node(
        text.chars()
            .flat_map(char::to_lowercase)
            .collect::<String>(),
    )
}

pub(super) fn upper(call: &Call) -> Outcome {
    let text = call.string(0)?;
    call.string_node(
        text.chars()
            .flat_map(char::to_uppercase)
            .collect::<String>(),
    )
}

/// Capitalizes the first letter of each word. A word starts after a character that is
/// neither a letter, a digit nor an underscore, as in Go's `strings.Title`.
pub(super) fn title(call: &Call) -> Outcome {
    let text = call.string(0)?;
    let mut out = String::with_capacity(text.len());
    let mut previous = ' ';
    for c in text.chars() {
        if starts_word(previous) {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        previous = c;
    }
    call.string_node(out)
}

fn starts_word(previous: char) -> bool {
    if previous.is_ascii() {
        return !(previous.is_ascii_alphanumeric() || previous == '_');
    }
    if previous.is_alphanumeric() {
        return false;
    }
    previous.is_whitespace()
}

pub(super) fn trimspace(call: &Call) -> Outcome {
    let text = call.string(0)?;
    call.string_node(text.trim())
}

pub(super) fn trim(call: &Call) -> Outcome {
    let text = call.string(0)?;
    let cutset = call.string(1)?;
    call.string_node(text.trim_matches(|c| cutset.contains(c)))
}

pub(super) fn trimprefix(call: &Call) -> Outcome {
    let text = call.string(0)?;
    let prefix = call.string(1)?;
    call.string_node(text.strip_prefix(prefix.as_ref()).unwrap_or(&text))
}

pub(super) fn trimsuffix(call: &Call) -> Outcome {
    let text = call.string(0)?;
    let suffix = call.string(1)?;
    call.string_node(text.strip_suffix(suffix.as_ref()).unwrap_or(&text))
}

/// Replaces every occurrence of `substr`. A `substr` wrapped in slashes (`/[0-9]+/`) is
/// a regular expression, and the replacement may then use `$1` or `${name}`.
pub(super) fn replace(call: &Call) -> Outcome {
    let text = call.string(0)?;
    let search = call.string(1)?;
    let replacement = call.string(2)?;

    let pattern = search
        .strip_prefix('/')
        .and_then(|rest| rest.strip_suffix('/'))
        .filter(|_| search.len() > 1);
    if let Some(pattern) = pattern {
        let regex = compile(call, 1, pattern)?;
        let mut out = String::new();
        let mut last = 0;
        for captures in regex.captures_iter(&text) {
            let Some(whole) = captures.get(0) else {
                continue;
            };
            out.push_str(text.get(last..whole.start()).unwrap_or_default());
            captures.expand(&replacement, &mut out);
            last = whole.end();
            value::check_string_size(out.len()).map_err(|message| call.fail(message))?;
        }
        out.push_str(text.get(last..).unwrap_or_default());
        return call.checked_string(out);
    }

    let matches = if search.is_empty() {
        text.chars().count() + 1
    } else {
        text.matches(search.as_ref()).count()
    };
    let size = text
        .len()
        .saturating_add(matches.saturating_mul(replacement.len()));
    value::check_string_size(size).map_err(|message| call.fail(message))?;
    call.string_node(text.replace(search.as_ref(), &replacement))
}

/// Extracts `length` characters from `offset`. A negative offset counts from the end,
/// and a negative length takes the rest of the string.
pub(super) fn substr(call: &Call) -> Outcome {
    let text = call.string(0)?;
    let offset = call.integer(1)?;
    let length = call.integer(2)?;

    let starts: Vec<usize> = text.grapheme_indices(true).map(|(at, _)| at).collect();
    let count = i64::try_from(starts.len()).unwrap_or(i64::MAX);
    let offset = if offset < 0 {
        offset.saturating_add(count).max(0)
    } else {
        offset
    };
    if offset >= count || length == 0 {
        return call.string_node("");
    }
    let byte_at = |index: i64| {
        usize::try_from(index)
            .ok()
            .and_then(|index| starts.get(index).copied())
            .unwrap_or(text.len())
    };
    let start = byte_at(offset);
    let end = if length < 0 {
        text.len()
    } else {
        byte_at(offset.saturating_add(length))
    };
    call.string_node(text.get(start..end).unwrap_or_default())
}

pub(super) fn strrev(call: &Call) -> Outcome {
    let text = call.string(0)?;
    call.string_node(text.graphemes(true).rev().collect::<String>())
}

pub(super) fn startswith(call: &Call) -> Outcome {
    let text = call.string(0)?;
    let prefix = call.string(1)?;
    call.bool_node(text.starts_with(prefix.as_ref()))
}

pub(super) fn endswith(call: &Call) -> Outcome {
    let text = call.string(0)?;
    let suffix = call.string(1)?;
    call.bool_node(text.ends_with(suffix.as_ref()))
}

pub(super) fn strcontains(call: &Call) -> Outcome {
    let text = call.string(0)?;
    let search = call.string(1)?;
    call.bool_node(text.contains(search.as_ref()))
}

/// Returns the first match: the matched text when the pattern has no capture groups,
/// a list of the groups when they are unnamed, a map when they are all named.
pub(super) fn regex(call: &Call) -> Outcome {
    let pattern = call.string(0)?;
    let text = call.string(1)?;
    let regex = compile(call, 0, &pattern)?;
    let shape = Shape::of(call, &regex)?;
    match regex.captures(&text) {
        Some(captures) => Ok(shape.result(call, &captures)),
        None => Err(call.fail("pattern did not match any part of the given string")),
    }
}

/// Returns every match, each shaped as [`regex`] shapes one. No match gives `[]`.
pub(super) fn regexall(call: &Call) -> Outcome {
    let pattern = call.string(0)?;
    let text = call.string(1)?;
    let regex = compile(call, 0, &pattern)?;
    let shape = Shape::of(call, &regex)?;
    let matches = regex
        .captures_iter(&text)
        .map(|captures| shape.result(call, &captures))
        .collect();
    call.list_node(matches)
}

/// The form of a `regex` result, fixed by the pattern's capture groups.
enum Shape {
    Whole,
    Unnamed(usize),
    Named(Vec<String>),
}

impl Shape {
    fn of(call: &Call, regex: &Regex) -> Result<Shape, Failure> {
        let groups: Vec<Option<&str>> = regex.capture_names().skip(1).collect();
        if groups.is_empty() {
            return Ok(Shape::Whole);
        }
        let named = groups.iter().filter(|name| name.is_some()).count();
        if named == 0 {
            return Ok(Shape::Unnamed(groups.len()));
        }
        if named < groups.len() {
            return Err(call.invalid(
                0,
                "invalid regular expression pattern: cannot mix both named and unnamed capture groups",
            ));
        }
        Ok(Shape::Named(
            groups.into_iter().flatten().map(str::to_owned).collect(),
        ))
    }

    /// Builds the result of one match. A group that took no part in the match is null.
    fn result(&self, call: &Call, captures: &Captures) -> Node {
        let group = |index: usize| match captures.get(index) {
            Some(found) => call.node(Value::String(found.as_str().to_owned())),
            None => call.node(Value::Null),
        };
        match self {
            Shape::Whole => group(0),
            Shape::Unnamed(count) => call.node(Value::List((1..=*count).map(group).collect())),
            Shape::Named(names) => {
                let mut map = Map::new();
                for name in names {
                    let item = match captures.name(name) {
                        Some(found) => call.node(Value::String(found.as_str().to_owned())),
                        None => call.node(Value::Null),
                    };
                    map.insert(name.clone(), item);
                }
                call.node(Value::Map(map))
            }
        }
    }
}

/// Compiles a pattern from configuration.
///
/// NOTE: Terraform uses Go's RE2 syntax, where `\d`, `\w`, `\s` and `\b` match ASCII
/// only; here they also match other Unicode digits, letters and spaces.
fn compile(call: &Call, index: usize, pattern: &str) -> Result<Regex, Failure> {
    RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|error| {
            call.invalid(
                index,
                format!("invalid regular expression pattern: {error}"),
            )
        })
}

/// Removes every line break (`\n`, `\r\n` or `\r`) at the end of the string.
pub(super) fn chomp(call: &Call) -> Outcome {
    let text = call.string(0)?;
    call.string_node(text.trim_end_matches(['\r', '\n']))
}

/// Adds `spaces` spaces after every line break, so every line but the first moves.
pub(super) fn indent(call: &Call) -> Outcome {
    let spaces = call.integer(0)?;
    let text = call.string(1)?;
    let spaces = usize::try_from(spaces).map_err(|_| call.invalid(0, "must not be negative"))?;
    if spaces > MAX_STRING_BYTES {
        return Err(call.invalid(0, format!("must be at most {MAX_STRING_BYTES}")));
    }

    let breaks = text.matches('\n').count();
    let size = text.len().saturating_add(breaks.saturating_mul(spaces));
    value::check_string_size(size).map_err(|message| call.fail(message))?;
    let padding = format!("\n{}", " ".repeat(spaces));
    call.string_node(text.replace('\n', &padding))
}

#[cfg(test)]
mod tests {
    use super::starts_word;

    #[test]
    fn word_boundaries() {
        assert!(starts_word(' '));
        assert!(starts_word('-'));
        assert!(!starts_word('a'));
        assert!(!starts_word('_'));
        assert!(!starts_word('é'));
    }
}
