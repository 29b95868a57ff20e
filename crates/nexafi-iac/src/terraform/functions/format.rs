//! `format` and `formatlist`: printf-style verbs with Terraform's conversions.
//!
//! The specification syntax is `%[flags][[n]][width][.precision]verb` with the flags
//! `space # 0 + -`. Widths and string precisions count grapheme clusters. Numbers
//! follow Go's `fmt` rules, which Terraform uses: `%e` writes at least two exponent
//! digits and `%g` without a precision switches to an exponent from 1e+06 on.

use nexafi_model::{Node, Value};
use unicode_segmentation::UnicodeSegmentation;

use super::args::{Call, Failure, Outcome};
use super::encoding::json_encode;
use super::value::{self, MAX_STRING_BYTES};

/// Largest precision accepted for a number, which bounds the digits `%f` writes.
const MAX_PRECISION: usize = 1024;

pub(super) fn format(call: &Call) -> Outcome {
    let spec = call.string(0)?;
    let args = call.args.get(1..).unwrap_or_default();
    let text = format_values(&spec, args).map_err(|message| call.fail(message))?;
    call.checked_string(text)
}

pub(super) fn formatlist(call: &Call) -> Outcome {
    let spec = call.string(0)?;
    let args = call.args.get(1..).unwrap_or_default();

    // Lists are iterated together; every other argument repeats in each iteration.
    let mut length: Option<(usize, usize)> = None;
    for (position, arg) in args.iter().enumerate() {
        match &arg.value {
            Value::Unknown(unknown) => return Err(Failure::Unknown(unknown.reason.clone())),
            Value::List(items) => match length {
                None => length = Some((items.len(), position)),
                Some((expected, first)) if expected != items.len() => {
                    return Err(call.fail(format!(
                        "argument {} has length {}, which is inconsistent with argument {} of length {expected}",
                        position + 1,
                        items.len(),
                        first + 1,
                    )));
                }
                Some(_) => {}
            },
            _ => {}
        }
    }
    let iterations = length.map_or(1, |(count, _)| count);

    let mut results = Vec::with_capacity(iterations);
    let mut total_bytes = 0_usize;
    for iteration in 0..iterations {
        let row: Vec<Node> = args
            .iter()
            .map(|arg| match &arg.value {
                Value::List(items) => items.get(iteration).cloned().unwrap_or_else(|| arg.clone()),
                _ => arg.clone(),
            })
            .collect();

        if let Some(unknown) = row.iter().find_map(value::first_unknown) {
            results.push(Node::unknown(call.span, unknown.reason.clone()));
            continue;
        }
        let text = format_values(&spec, &row).map_err(|message| {
            call.fail(format!("error on format iteration {iteration}: {message}"))
        })?;
        total_bytes = total_bytes.saturating_add(text.len());
        value::check_string_size(total_bytes).map_err(|message| call.fail(message))?;
        results.push(call.node(Value::String(text)));
    }
    call.list_node(results)
}

/// One parsed `%` sequence.
#[derive(Default)]
struct Verb<'s> {
    raw: &'s str,
    offset: usize,
    arg: usize,
    mode: char,
    sharp: bool,
    zero: bool,
    minus: bool,
    plus: bool,
    space: bool,
    width: Option<usize>,
    precision: Option<usize>,
}

/// Formats `args` by `spec`. Errors are Terraform's messages, with byte offsets.
fn format_values(spec: &str, args: &[Node]) -> Result<String, String> {
    let mut out = String::with_capacity(spec.len());
    let mut next_arg = 1_usize;
    let mut highest_used = 0_usize;
    let mut rest = spec.char_indices().peekable();

    while let Some((offset, c)) = rest.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        if rest.next_if(|(_, c)| *c == '%').is_some() {
            out.push('%');
            continue;
        }

        let mut verb = Verb {
            offset,
            arg: next_arg,
            ..Verb::default()
        };
        while let Some((_, flag)) = rest.next_if(|(_, c)| matches!(c, ' ' | '#' | '0' | '+' | '-'))
        {
            match flag {
                ' ' => verb.space = true,
                '#' => verb.sharp = true,
                '0' => verb.zero = true,
                '+' => verb.plus = true,
                _ => verb.minus = true,
            }
        }
        if rest.next_if(|(_, c)| *c == '[').is_some() {
            let index = read_number(&mut rest, spec, offset)?;
            match rest.next() {
                Some((_, ']')) if index > 0 => verb.arg = index,
                Some((at, other)) => {
                    return Err(format!(
                        "unrecognized format character {other:?} at offset {at}"
                    ));
                }
                None => return Err(format!("invalid format string starting at offset {offset}")),
            }
        }
        if rest
            .peek()
            .is_some_and(|(_, c)| c.is_ascii_digit() && *c != '0')
        {
            verb.width = Some(read_number(&mut rest, spec, offset)?);
        }
        if rest.next_if(|(_, c)| *c == '.').is_some() {
            let digits = rest.peek().is_some_and(|(_, c)| c.is_ascii_digit());
            verb.precision = Some(if digits {
                read_number(&mut rest, spec, offset)?
            } else {
                0
            });
        }
        let Some((mode_at, mode)) = rest.next() else {
            return Err(format!("invalid format string starting at offset {offset}"));
        };
        if !mode.is_ascii_alphabetic() {
            return Err(format!(
                "unrecognized format character {mode:?} at offset {mode_at}"
            ));
        }
        verb.mode = mode;
        verb.raw = spec.get(offset..mode_at + 1).unwrap_or_default();

        let Some(arg) = verb.arg.checked_sub(1).and_then(|index| args.get(index)) else {
            return Err(format!(
                "not enough arguments for {:?} at {offset}: need index {} but have {} total",
                verb.raw,
                verb.arg,
                args.len()
            ));
        };
        append_verb(&verb, arg, &mut out)?;
        value::check_string_size(out.len())?;
        highest_used = highest_used.max(verb.arg);
        next_arg = verb.arg + 1;
    }

    if highest_used < args.len() {
        return Err(if highest_used == 0 {
            "too many arguments; no verbs in format string".to_owned()
        } else {
            format!("too many arguments; only {highest_used} used by format string")
        });
    }
    Ok(out)
}

/// Reads a decimal number of a verb, rejecting values that could not be a real width.
fn read_number(
    rest: &mut std::iter::Peekable<std::str::CharIndices<'_>>,
    spec: &str,
    offset: usize,
) -> Result<usize, String> {
    let mut number = 0_usize;
    let mut any = false;
    while let Some((_, digit)) = rest.next_if(|(_, c)| c.is_ascii_digit()) {
        any = true;
        number = number
            .saturating_mul(10)
            .saturating_add(digit.to_digit(10).unwrap_or(0) as usize);
    }
    if !any {
        let found = rest.peek().map_or(spec.len(), |(at, _)| *at);
        return Err(format!(
            "invalid format string starting at offset {offset} (at {found})"
        ));
    }
    if number > MAX_STRING_BYTES {
        return Err(format!(
            "width, precision or index {number} at offset {offset} is larger than the limit of {MAX_STRING_BYTES}"
        ));
    }
    Ok(number)
}

fn append_verb(verb: &Verb, arg: &Node, out: &mut String) -> Result<(), String> {
    if verb.mode != 'v' && arg.is_null() {
        return Err(format!(
            "unsupported value for {:?} at {}: null value cannot be formatted",
            verb.raw, verb.offset
        ));
    }
    let unsupported = |reason: &str| {
        format!(
            "unsupported value for {:?} at {}: {reason}",
            verb.raw, verb.offset
        )
    };

    let text = match verb.mode {
        'v' => format_as_is(verb, arg).map_err(|reason| unsupported(&reason))?,
        't' => {
            let flag = value::to_bool(arg).ok_or_else(|| unsupported("bool required"))?;
            flag.to_string()
        }
        'b' | 'd' | 'o' | 'x' | 'X' | 'e' | 'E' | 'f' | 'g' | 'G' => {
            let number = match &arg.value {
                Value::Number(number) => Some(*number),
                Value::String(text) => value::parse_number(text),
                _ => None,
            }
            .ok_or_else(|| unsupported("number required"))?;
            if matches!(verb.mode, 'b' | 'd' | 'o' | 'x' | 'X') {
                format_integer(verb, number).map_err(|reason| unsupported(&reason))?
            } else {
                format_float(verb, number)?
            }
        }
        's' | 'q' => {
            let text = value::to_string(arg).ok_or_else(|| unsupported("string required"))?;
            let text = truncate_graphemes(&text, verb.precision);
            if verb.mode == 's' {
                pad_width(verb, text)
            } else {
                pad_width(verb, quote(text))
            }
        }
        other => {
            return Err(format!(
                "unsupported format verb {other:?} in {:?} at offset {}",
                verb.raw, verb.offset
            ));
        }
    };
    out.push_str(&text);
    Ok(())
}

/// `%v`: strings as they are, numbers like `%g`, everything else as JSON (also with `#`).
fn format_as_is(verb: &Verb, arg: &Node) -> Result<String, String> {
    if !verb.sharp {
        match &arg.value {
            Value::String(text) => return Ok(pad_width(verb, text)),
            Value::Number(number) => {
                let digits = Digits::shortest(*number);
                return Ok(pad_width(verb, digits.general(None, 'e')));
            }
            _ => {}
        }
    }
    let json = json_encode(arg)?;
    Ok(pad_width(verb, &json))
}

fn quote(text: &str) -> String {
    json_encode(&Node::new(
        Default::default(),
        Value::String(text.to_owned()),
    ))
    .unwrap_or_else(|_| format!("{text:?}"))
}

fn truncate_graphemes(text: &str, precision: Option<usize>) -> &str {
    match precision {
        Some(count) if count > 0 => {
            let end = text
                .grapheme_indices(true)
                .nth(count)
                .map_or(text.len(), |(at, _)| at);
            text.get(..end).unwrap_or(text)
        }
        _ => text,
    }
}

/// Pads to the verb's width, counting grapheme clusters, with spaces or zeros on the
/// left, or with spaces on the right for `-`.
fn pad_width(verb: &Verb, text: impl AsRef<str>) -> String {
    let text = text.as_ref();
    let Some(width) = verb.width else {
        return text.to_owned();
    };
    let length = text.graphemes(true).count();
    if length >= width {
        return text.to_owned();
    }
    let fill = if verb.zero { "0" } else { " " }.repeat(width - length);
    if verb.minus {
        format!("{text}{fill}")
    } else {
        format!("{fill}{text}")
    }
}

/// `%b %d %o %x %X`: the number must be whole. Precision sets the minimum number of
/// digits, `#` adds the base prefix, and `0` pads with zeros after the sign.
fn format_integer(verb: &Verb, number: f64) -> Result<String, String> {
    if number.fract() != 0.0 || !number.is_finite() {
        return Err("an integer is required".to_owned());
    }
    let magnitude = number.abs();
    let mut digits = if magnitude < 1.7e38 {
        // Below 2^127 the cast is exact for whole numbers.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let integer = magnitude as u128;
        match verb.mode {
            'b' => format!("{integer:b}"),
            'o' => format!("{integer:o}"),
            'x' => format!("{integer:x}"),
            'X' => format!("{integer:X}"),
            _ => integer.to_string(),
        }
    } else if verb.mode == 'd' {
        format!("{magnitude:.0}")
    } else {
        return Err("the integer is too large for this verb".to_owned());
    };

    if let Some(precision) = verb.precision {
        if precision == 0 && magnitude == 0.0 {
            digits.clear();
        } else if digits.len() < precision {
            digits = format!("{}{digits}", "0".repeat(precision - digits.len()));
        }
    }
    let prefix = match (verb.sharp, verb.mode) {
        (true, 'b') => "0b",
        (true, 'o') => "0",
        (true, 'x') => "0x",
        (true, 'X') => "0X",
        _ => "",
    };
    Ok(pad_number(
        verb,
        sign(verb, number < 0.0),
        prefix,
        &digits,
        verb.precision.is_none(),
    ))
}

fn sign(verb: &Verb, negative: bool) -> &'static str {
    if negative {
        "-"
    } else if verb.plus {
        "+"
    } else if verb.space {
        " "
    } else {
        ""
    }
}

/// Pads a formatted number to the width. Zero padding goes between sign and digits.
fn pad_number(verb: &Verb, sign: &str, prefix: &str, digits: &str, zero_allowed: bool) -> String {
    let length = sign.len() + prefix.len() + digits.len();
    let width = verb.width.unwrap_or(0);
    if length >= width {
        return format!("{sign}{prefix}{digits}");
    }
    let fill = width - length;
    if verb.minus {
        format!("{sign}{prefix}{digits}{}", " ".repeat(fill))
    } else if verb.zero && zero_allowed {
        format!("{sign}{prefix}{}{digits}", "0".repeat(fill))
    } else {
        format!("{}{sign}{prefix}{digits}", " ".repeat(fill))
    }
}

/// `%e %E %f %g %G`, with Go's default precision of 6 for `%e` and `%f`.
fn format_float(verb: &Verb, number: f64) -> Result<String, String> {
    if number.is_infinite() {
        let text = if number > 0.0 { "+Inf" } else { "-Inf" };
        return Ok(pad_number(verb, "", "", text, false));
    }
    let precision = verb.precision;
    if precision.is_some_and(|precision| precision > MAX_PRECISION) {
        return Err(format!(
            "precision in {:?} at {} is larger than the limit of {MAX_PRECISION}",
            verb.raw, verb.offset
        ));
    }

    let magnitude = number.abs();
    let body = match verb.mode {
        'e' | 'E' => {
            let places = precision.unwrap_or(6);
            let digits = Digits::rounded(magnitude, places + 1);
            digits.exponent_form(places, if verb.mode == 'e' { 'e' } else { 'E' })
        }
        'f' => format!("{magnitude:.*}", precision.unwrap_or(6)),
        _ => {
            let marker = if verb.mode == 'g' { 'e' } else { 'E' };
            match precision {
                None => Digits::shortest(magnitude).general(None, marker),
                Some(places) => {
                    let places = places.max(1);
                    Digits::rounded(magnitude, places).general(Some(places), marker)
                }
            }
        }
    };
    let negative = number < 0.0;
    Ok(pad_number(verb, sign(verb, negative), "", &body, true))
}

/// Decimal digits of a non-negative number: the value is `0.d1 d2 d3 ... x 10^point`.
/// Trailing zeros are removed, and zero has no digits.
struct Digits {
    digits: Vec<u8>,
    point: i32,
}

impl Digits {
    /// Returns the shortest digits that read back as the same `f64`.
    fn shortest(number: f64) -> Digits {
        Digits::parse(&format!("{:e}", number.abs()))
    }

    /// Rounds the number to `significant` digits (at least one).
    fn rounded(number: f64, significant: usize) -> Digits {
        let places = significant.max(1) - 1;
        Digits::parse(&format!("{:.*e}", places, number.abs()))
    }

    /// Reads Rust's `{:e}` output, such as `1.2345e3`.
    fn parse(text: &str) -> Digits {
        let (mantissa, exponent) = text.split_once('e').unwrap_or((text, "0"));
        let exponent: i32 = exponent.parse().unwrap_or(0);
        let mut digits: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
        while digits.last() == Some(&b'0') {
            digits.pop();
        }
        if digits.is_empty() {
            return Digits { digits, point: 0 };
        }
        Digits {
            digits,
            point: exponent + 1,
        }
    }

    fn digit(&self, index: i64) -> char {
        usize::try_from(index)
            .ok()
            .and_then(|index| self.digits.get(index))
            .map_or('0', |digit| char::from(*digit))
    }

    /// `d.ddde+XX` with `places` digits after the point.
    fn exponent_form(&self, places: usize, marker: char) -> String {
        let mut out = String::new();
        out.push(self.digit(0));
        if places > 0 {
            out.push('.');
            for index in 1..=places {
                out.push(self.digit(index as i64));
            }
        }
        let exponent = if self.digits.is_empty() {
            0
        } else {
            self.point - 1
        };
        let sign = if exponent < 0 { '-' } else { '+' };
        out.push(marker);
        out.push(sign);
        out.push_str(&format!("{:02}", exponent.unsigned_abs()));
        out
    }

    /// `ddd.ddd` with `places` digits after the point.
    fn fixed_form(&self, places: usize) -> String {
        let mut out = String::new();
        if self.point > 0 {
            for index in 0..self.point {
                out.push(self.digit(i64::from(index)));
            }
        } else {
            out.push('0');
        }
        if places > 0 {
            out.push('.');
            for index in 0..places {
                out.push(self.digit(i64::from(self.point) + index as i64));
            }
        }
        out
    }

    /// Go's `%g`: exponent form when the exponent is below -4 or reaches the
    /// precision (6 when the digits are the shortest form), otherwise fixed form.
    fn general(&self, precision: Option<usize>, marker: char) -> String {
        let count = self.digits.len();
        let point = i64::from(self.point);
        let mut limit = precision.unwrap_or(count);
        let mut switch_at = precision.unwrap_or(6) as i64;
        if precision.is_some() && switch_at > count as i64 && count as i64 >= point {
            switch_at = count as i64;
        }

        let exponent = point - 1;
        if exponent < -4 || exponent >= switch_at {
            limit = limit.min(count);
            return self.exponent_form(limit.saturating_sub(1), marker);
        }
        if limit as i64 > point {
            limit = count;
        }
        let places = (limit as i64 - point).max(0);
        self.fixed_form(usize::try_from(places).unwrap_or(0))
    }
}
