//! Numeric functions on `f64`.
//!
//! Terraform computes with arbitrary-precision decimals; here integers are exact up to
//! 2^53 and larger results are rounded. A result that is not a number (NaN) is an
//! error, since Terraform has no such value.

use nexafi_model::Value;

use super::args::{Call, Outcome};

pub(super) fn min(call: &Call) -> Outcome {
    extreme(call, f64::min)
}

pub(super) fn max(call: &Call) -> Outcome {
    extreme(call, f64::max)
}

fn extreme(call: &Call, pick: fn(f64, f64) -> f64) -> Outcome {
    if call.args.is_empty() {
        return Err(call.fail("must pass at least one number"));
    }
    let mut result = call.number(0)?;
    for index in 1..call.args.len() {
        result = pick(result, call.number(index)?);
    }
    call.number_node(result)
}

pub(super) fn abs(call: &Call) -> Outcome {
    call.number_node(call.number(0)?.abs())
}

pub(super) fn ceil(call: &Call) -> Outcome {
    call.number_node(call.number(0)?.ceil())
}

pub(super) fn floor(call: &Call) -> Outcome {
    call.number_node(call.number(0)?.floor())
}

pub(super) fn signum(call: &Call) -> Outcome {
    let number = call.number(0)?;
    let sign = if number > 0.0 {
        1.0
    } else if number < 0.0 {
        -1.0
    } else {
        0.0
    };
    call.number_node(sign)
}

/// Raises `num` to `power`. Overflow gives infinity, as Terraform's does.
pub(super) fn pow(call: &Call) -> Outcome {
    let base = call.number(0)?;
    let exponent = call.number(1)?;
    finite_or_infinite(call, base.powf(exponent))
}

pub(super) fn log(call: &Call) -> Outcome {
    let number = call.number(0)?;
    let base = call.number(1)?;
    finite_or_infinite(call, number.ln() / base.ln())
}

fn finite_or_infinite(call: &Call, result: f64) -> Outcome {
    if result.is_nan() {
        return Err(call.fail("the result is not a number"));
    }
    call.number_node(result)
}

/// Parses a string of digits in `base` (2 to 62) with an optional sign. Up to base 36,
/// letters are case-insensitive. Above it, lowercase letters are 10 to 35 and
/// uppercase letters 36 to 61, as in Go's `big.Int`.
pub(super) fn parseint(call: &Call) -> Outcome {
    let node = call.present(0)?;
    let Value::String(text) = &node.value else {
        return Err(call.invalid(
            0,
            format!(
                "first argument must be a string, not {}",
                super::value::type_name(node)
            ),
        ));
    };
    let base = call.integer(1)?;
    if !(2..=62).contains(&base) {
        return Err(call.invalid(1, "base must be a whole number between 2 and 62 inclusive"));
    }
    let base = base as u32;

    let not_integer = || call.fail(format!("cannot parse {text:?} as a base {base} integer"));
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if digits.is_empty() {
        return Err(not_integer());
    }

    let mut result = 0.0_f64;
    for c in digits.chars() {
        let digit = digit_value(c, base).ok_or_else(not_integer)?;
        result = result * f64::from(base) + f64::from(digit);
    }
    if result.is_infinite() {
        return Err(call.fail(format!("{text:?} is too large to represent as a number")));
    }
    call.number_node(if negative { -result } else { result })
}

fn digit_value(c: char, base: u32) -> Option<u32> {
    let value = match c {
        '0'..='9' => u32::from(c) - u32::from('0'),
        'a'..='z' => u32::from(c) - u32::from('a') + 10,
        'A'..='Z' if base <= 36 => u32::from(c) - u32::from('A') + 10,
        'A'..='Z' => u32::from(c) - u32::from('A') + 36,
        _ => return None,
    };
    (value < base).then_some(value)
}
