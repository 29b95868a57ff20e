//! Go text/template's built-in functions and the `fmt` formatting they use.

use std::fmt::Write as _;

use super::{CallError, CallResult, arity, at_least};
use crate::helm::value::{Value, format_float_g};

pub(super) fn call(name: &str, args: &[Value]) -> Option<CallResult> {
    Some(match name {
        "not" => arity(name, args, 1).map(|()| Value::Bool(!args[0].is_true())),
        "len" => arity(name, args, 1).and_then(|()| length(&args[0])),
        "index" => at_least(name, args, 1).and_then(|()| index(&args[0], &args[1..])),
        "slice" => at_least(name, args, 1).and_then(|()| slice(&args[0], &args[1..])),
        "print" => Ok(Value::string(sprint(args))),
        "println" => Ok(Value::string(sprintln(args))),
        "printf" => at_least(name, args, 1).map(|()| {
            let format = super::strval(&args[0]);
            Value::string(sprintf(&format, &args[1..]))
        }),
        "html" => Ok(Value::string(html_escape(&eval_args(args)))),
        "js" => Ok(Value::string(js_escape(&eval_args(args)))),
        "urlquery" => Ok(Value::string(query_escape(&eval_args(args)))),
        "eq" => at_least(name, args, 2).and_then(|()| {
            for other in &args[1..] {
                if equal(&args[0], other)? {
                    return Ok(Value::Bool(true));
                }
            }
            Ok(Value::Bool(false))
        }),
        "ne" => arity(name, args, 2).and_then(|()| Ok(Value::Bool(!equal(&args[0], &args[1])?))),
        "lt" | "le" | "gt" | "ge" => arity(name, args, 2).and_then(|()| {
            let ordering = compare(&args[0], &args[1])?;
            Ok(Value::Bool(match name {
                "lt" => ordering.is_lt(),
                "le" => ordering.is_le(),
                "gt" => ordering.is_gt(),
                _ => ordering.is_ge(),
            }))
        }),
        _ => return None,
    })
}

/// The comparison class of a value for `eq` and `lt`: Go compares only within a class.
#[derive(PartialEq, Eq)]
enum Kind {
    Bool,
    Int,
    Float,
    String,
    Other,
}

fn kind(value: &Value) -> Kind {
    match value {
        Value::Bool(_) => Kind::Bool,
        Value::Int(_) => Kind::Int,
        Value::Float(_) => Kind::Float,
        Value::String(_) => Kind::String,
        _ => Kind::Other,
    }
}

fn equal(left: &Value, right: &Value) -> Result<bool, CallError> {
    if left.is_nil() || right.is_nil() {
        return Ok(left.is_nil() && right.is_nil());
    }
    if kind(left) != kind(right) {
        return Err(CallError::Message(
            "incompatible types for comparison".to_owned(),
        ));
    }
    Ok(match (left, right) {
        (Value::Bool(a), Value::Bool(b)) => a == b,
        (Value::Int(a), Value::Int(b)) => a == b,
        (Value::Float(a), Value::Float(b)) => a == b,
        (Value::String(a), Value::String(b)) => a == b,
        _ => {
            return Err(CallError::Message(format!(
                "non-comparable type {}: {}",
                left.to_go_string(),
                left.type_name()
            )));
        }
    })
}

fn compare(left: &Value, right: &Value) -> Result<std::cmp::Ordering, CallError> {
    let invalid = || CallError::Message("invalid type for comparison".to_owned());
    if kind(left) == Kind::Other || kind(right) == Kind::Other || kind(left) == Kind::Bool {
        return Err(invalid());
    }
    if kind(left) != kind(right) {
        return Err(CallError::Message(
            "incompatible types for comparison".to_owned(),
        ));
    }
    Ok(match (left, right) {
        (Value::Int(a), Value::Int(b)) => a.cmp(b),
        (Value::Float(a), Value::Float(b)) => a.partial_cmp(b).ok_or_else(invalid)?,
        (Value::String(a), Value::String(b)) => a.cmp(b),
        _ => return Err(invalid()),
    })
}

fn length(value: &Value) -> CallResult {
    let count = match value {
        Value::String(text) => text.len(),
        Value::List(items) => items.len(),
        Value::Versions(items) => items.len(),
        Value::Map(map) => map.borrow().entries.len(),
        Value::Files(files) => files.names().len(),
        Value::Nil => return Err(CallError::Message("len of nil pointer".to_owned())),
        other => {
            return Err(CallError::Message(format!(
                "len of type {}",
                other.type_name()
            )));
        }
    };
    Ok(Value::Int(count as i64))
}

fn index(item: &Value, indexes: &[Value]) -> CallResult {
    let mut current = item.clone();
    for key in indexes {
        current = match (&current, key) {
            (Value::Nil, _) => return Err(CallError::Message("index of untyped nil".to_owned())),
            (Value::List(items), Value::Int(position)) => usize::try_from(*position)
                .ok()
                .and_then(|position| items.get(position).cloned())
                .ok_or_else(|| CallError::Message(format!("index out of range: {position}")))?,
            (Value::String(text), Value::Int(position)) => usize::try_from(*position)
                .ok()
                .and_then(|position| text.as_bytes().get(position).copied())
                .map(|byte| Value::Int(i64::from(byte)))
                .ok_or_else(|| CallError::Message(format!("index out of range: {position}")))?,
            (Value::Map(map), Value::String(name)) => map
                .borrow()
                .entries
                .get(&**name)
                .cloned()
                .unwrap_or_default(),
            (Value::Map(_), Value::Nil) => Value::Nil,
            (Value::Files(files), Value::String(name)) => Value::string(files.get(name)),
            (container, key) => {
                return Err(CallError::Message(format!(
                    "cannot index {} with {}",
                    container.type_name(),
                    key.type_name()
                )));
            }
        };
    }
    Ok(current)
}

fn slice(item: &Value, bounds: &[Value]) -> CallResult {
    let bound = |value: &Value| match value {
        Value::Int(number) => usize::try_from(*number)
            .map_err(|_| CallError::Message(format!("index out of range: {number}"))),
        other => Err(CallError::Message(format!(
            "cannot index slice/array with type {}",
            other.type_name()
        ))),
    };
    // Sprig's `slice` replaces Go's in Helm, and it takes lists only.
    let length = match item {
        Value::String(_) => {
            return Err(CallError::Message(
                "list should be type of slice or array but string".to_owned(),
            ));
        }
        Value::List(items) => items.len(),
        Value::Nil => return Err(CallError::Message("slice of untyped nil".to_owned())),
        other => {
            return Err(CallError::Message(format!(
                "can't slice item of type {}",
                other.type_name()
            )));
        }
    };
    let start = bounds.first().map(bound).transpose()?.unwrap_or(0);
    let end = bounds.get(1).map(bound).transpose()?.unwrap_or(length);
    if start > end || end > length {
        return Err(CallError::Message(format!(
            "invalid slice index: {start} > {end}"
        )));
    }
    Ok(match item {
        Value::List(items) => Value::list(items[start..end].to_vec()),
        _ => Value::Nil,
    })
}

/// Go's `fmt.Sprint`: a space between two operands when neither is a string.
pub(crate) fn sprint(args: &[Value]) -> String {
    let mut out = String::new();
    for (position, arg) in args.iter().enumerate() {
        if position > 0
            && !matches!(arg, Value::String(_))
            && !matches!(args[position - 1], Value::String(_))
        {
            out.push(' ');
        }
        out.push_str(&super::strval(arg));
    }
    out
}

fn sprintln(args: &[Value]) -> String {
    let mut out = args.iter().map(super::strval).collect::<Vec<_>>().join(" ");
    out.push('\n');
    out
}

/// Returns the text `html`, `js` and `urlquery` escape: one string as is, else
/// `fmt.Sprint` of the arguments.
fn eval_args(args: &[Value]) -> String {
    match args {
        [Value::String(text)] => text.to_string(),
        _ => sprint(args),
    }
}

fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\0' => out.push('\u{fffd}'),
            other => out.push(other),
        }
    }
    out
}

fn js_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            other => out.push(other),
        }
    }
    out
}

fn query_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            b' ' => out.push('+'),
            other => {
                let _ = write!(out, "%{other:02X}");
            }
        }
    }
    out
}

/// Go's `strconv.Quote`.
pub(crate) fn go_quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            other => out.push(other),
        }
    }
    out.push('"');
    out
}

/// One `%` directive: flags, width and precision.
#[derive(Default)]
struct Spec {
    minus: bool,
    plus: bool,
    zero: bool,
    space: bool,
    sharp: bool,
    width: Option<usize>,
    precision: Option<usize>,
}

/// Go's `fmt.Sprintf` for the verbs templates use: `%v %s %d %q %t %f %e %g %x %X %o
/// %b %c %%`, with flags, width and precision. A verb that does not fit its argument
/// prints `%!verb(type=value)`, as Go does.
pub(crate) fn sprintf(format: &str, args: &[Value]) -> String {
    let mut out = String::new();
    let mut next = 0usize;
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = Spec::default();
        while let Some(&flag) = chars.peek() {
            match flag {
                '-' => spec.minus = true,
                '+' => spec.plus = true,
                '0' => spec.zero = true,
                ' ' => spec.space = true,
                '#' => spec.sharp = true,
                _ => break,
            }
            chars.next();
        }
        spec.width = read_number(&mut chars, args, &mut next);
        if chars.peek() == Some(&'.') {
            chars.next();
            spec.precision = Some(read_number(&mut chars, args, &mut next).unwrap_or(0));
        }
        let Some(verb) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(arg) = args.get(next) else {
            let _ = write!(out, "%!{verb}(MISSING)");
            continue;
        };
        next += 1;
        let body = format_one(verb, &spec, arg);
        pad(
            &mut out,
            &body,
            &spec,
            matches!(arg, Value::Int(_) | Value::Float(_)),
        );
    }
    if next < args.len() {
        out.push_str("%!(EXTRA ");
        let extra: Vec<String> = args[next..]
            .iter()
            .map(|arg| format!("{}={}", arg.type_name(), super::strval(arg)))
            .collect();
        out.push_str(&extra.join(", "));
        out.push(')');
    }
    out
}

fn read_number(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    args: &[Value],
    next: &mut usize,
) -> Option<usize> {
    if chars.peek() == Some(&'*') {
        chars.next();
        let value = args.get(*next).map(super::to_i64);
        *next += 1;
        return value.and_then(|value| usize::try_from(value).ok());
    }
    let mut digits = String::new();
    while let Some(&digit) = chars.peek() {
        if !digit.is_ascii_digit() {
            break;
        }
        digits.push(digit);
        chars.next();
    }
    digits.parse().ok().map(|value: usize| value.min(1 << 16))
}

fn pad(out: &mut String, body: &str, spec: &Spec, numeric: bool) {
    let length = body.chars().count();
    let width = spec.width.unwrap_or(0);
    if length >= width {
        out.push_str(body);
        return;
    }
    let fill = width - length;
    if spec.minus {
        out.push_str(body);
        out.extend(std::iter::repeat_n(' ', fill));
    } else if spec.zero && numeric {
        let (sign, digits) = match body.strip_prefix('-') {
            Some(rest) => ("-", rest),
            None => match body.strip_prefix('+') {
                Some(rest) => ("+", rest),
                None => ("", body),
            },
        };
        out.push_str(sign);
        out.extend(std::iter::repeat_n('0', fill));
        out.push_str(digits);
    } else {
        out.extend(std::iter::repeat_n(' ', fill));
        out.push_str(body);
    }
}

fn bad_verb(verb: char, arg: &Value) -> String {
    match arg {
        Value::Nil => format!("%!{verb}(<nil>)"),
        other => format!("%!{verb}({}={})", other.type_name(), super::strval(other)),
    }
}

fn format_one(verb: char, spec: &Spec, arg: &Value) -> String {
    let sign = |text: String, negative: bool| {
        if negative {
            text
        } else if spec.plus {
            format!("+{text}")
        } else if spec.space {
            format!(" {text}")
        } else {
            text
        }
    };
    match (verb, arg) {
        ('v', Value::Float(number)) => sign(format_float_g(*number), *number < 0.0),
        ('v', Value::Int(number)) => sign(number.to_string(), *number < 0),
        ('v', Value::String(text)) if spec.sharp => go_quote(text),
        ('v', other) => other.to_go_string(),
        ('s', Value::String(text)) => match spec.precision {
            Some(precision) => text.chars().take(precision).collect(),
            None => text.to_string(),
        },
        ('s', Value::List(_) | Value::Map(_)) => arg.to_go_string(),
        ('q', Value::String(text)) => go_quote(text),
        ('q', Value::Int(number)) => {
            let c = u32::try_from(*number)
                .ok()
                .and_then(char::from_u32)
                .unwrap_or('\u{fffd}');
            format!("'{c}'")
        }
        ('t', Value::Bool(flag)) => flag.to_string(),
        ('d', Value::Int(number)) => sign(number.to_string(), *number < 0),
        ('c', Value::Int(number)) => u32::try_from(*number)
            .ok()
            .and_then(char::from_u32)
            .unwrap_or('\u{fffd}')
            .to_string(),
        ('x', Value::Int(number)) => signed_radix(*number, 16, false, spec.sharp),
        ('X', Value::Int(number)) => signed_radix(*number, 16, true, spec.sharp),
        ('o', Value::Int(number)) => signed_radix(*number, 8, false, spec.sharp),
        ('b', Value::Int(number)) => signed_radix(*number, 2, false, false),
        ('x', Value::String(text)) => text.bytes().map(|byte| format!("{byte:02x}")).collect(),
        ('X', Value::String(text)) => text.bytes().map(|byte| format!("{byte:02X}")).collect(),
        ('f' | 'F', Value::Float(number)) => sign(
            format!("{number:.*}", spec.precision.unwrap_or(6)),
            *number < 0.0,
        ),
        ('e', Value::Float(number)) => sign(
            exponent(*number, spec.precision.unwrap_or(6)),
            *number < 0.0,
        ),
        ('g', Value::Float(number)) => sign(format_float_g(*number), *number < 0.0),
        _ => bad_verb(verb, arg),
    }
}

fn signed_radix(number: i64, radix: u32, upper: bool, sharp: bool) -> String {
    let magnitude = number.unsigned_abs();
    let digits = match radix {
        16 if upper => format!("{magnitude:X}"),
        16 => format!("{magnitude:x}"),
        8 => format!("{magnitude:o}"),
        _ => format!("{magnitude:b}"),
    };
    let prefix = match (sharp, radix) {
        (true, 16) if upper => "0X",
        (true, 16) => "0x",
        (true, 8) => "0",
        _ => "",
    };
    let sign = if number < 0 { "-" } else { "" };
    format!("{sign}{prefix}{digits}")
}

fn exponent(number: f64, precision: usize) -> String {
    let text = format!("{number:.precision$e}");
    match text.split_once('e') {
        Some((mantissa, power)) => {
            let power: i32 = power.parse().unwrap_or(0);
            let sign = if power < 0 { '-' } else { '+' };
            format!("{mantissa}e{sign}{:02}", power.abs())
        }
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sprintf_common_verbs() {
        let args = [Value::string("web"), Value::Int(8), Value::Float(1.5)];
        assert_eq!(sprintf("%s-%d-%v", &args), "web-8-1.5");
        assert_eq!(
            sprintf("%05d|%-4s|", &[Value::Int(42), Value::string("a")]),
            "00042|a   |"
        );
        assert_eq!(sprintf("%.2f", &[Value::Float(12.345)]), "12.35");
        assert_eq!(sprintf("%q", &[Value::string("a\"b")]), "\"a\\\"b\"");
    }

    #[test]
    fn sprintf_wrong_type() {
        assert_eq!(sprintf("%d", &[Value::string("x")]), "%!d(string=x)");
        assert_eq!(sprintf("%s", &[]), "%!s(MISSING)");
    }

    #[test]
    fn sprint_spaces_between_non_strings() {
        assert_eq!(
            sprint(&[Value::Int(1), Value::Int(2), Value::string("a")]),
            "1 2a"
        );
    }

    #[test]
    fn eq_rejects_int_and_float() {
        assert!(equal(&Value::Int(3), &Value::Float(3.0)).is_err());
        assert!(equal(&Value::Nil, &Value::string("x")).is_ok_and(|same| !same));
    }
}
