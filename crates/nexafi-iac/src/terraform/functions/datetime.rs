//! Date and time functions on RFC 3339 timestamps such as `2024-05-01T12:00:00Z`.
//!
//! `timestamp()` and `plantimestamp()` return the time of a Terraform run, which an
//! offline scan cannot know, so they are unknown. Everything else is arithmetic on the
//! given strings, with the proleptic Gregorian calendar and no leap seconds.

use std::cmp::Ordering;

use super::args::{Call, Failure, Outcome};

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

const NANOS_PER_SECOND: i128 = 1_000_000_000;

pub(super) fn timestamp(_call: &Call) -> Outcome {
    Err(Failure::Unknown(
        "the current time is known only when Terraform runs".to_owned(),
    ))
}

pub(super) fn plantimestamp(_call: &Call) -> Outcome {
    Err(Failure::Unknown(
        "the time of the plan is known only when Terraform runs".to_owned(),
    ))
}

/// A moment with the UTC offset it was written with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Timestamp {
    /// Nanoseconds since 1970-01-01T00:00:00Z.
    instant: i128,
    /// Offset of the local time from UTC, in seconds.
    offset: i32,
}

/// Calendar fields of a moment in its own offset.
struct Civil {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    weekday: usize,
}

impl Timestamp {
    fn civil(self) -> Civil {
        let local = self.instant.div_euclid(NANOS_PER_SECOND) + i128::from(self.offset);
        let days = local.div_euclid(86_400);
        let seconds = local.rem_euclid(86_400);
        let days = i64::try_from(days).unwrap_or(0);
        let (year, month, day) = civil_from_days(days);
        let seconds = u32::try_from(seconds).unwrap_or(0);
        Civil {
            year,
            month,
            day,
            hour: seconds / 3600,
            minute: seconds / 60 % 60,
            second: seconds % 60,
            // 1970-01-01 was a Thursday.
            weekday: usize::try_from((days + 4).rem_euclid(7)).unwrap_or(0),
        }
    }

    /// Formats as RFC 3339 without fractional seconds, as Terraform writes timestamps.
    fn rfc3339(self) -> String {
        let civil = self.civil();
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}",
            civil.year,
            civil.month,
            civil.day,
            civil.hour,
            civil.minute,
            civil.second,
            self.offset_text(true, true)
        )
    }

    /// `Z` or `+07:00` style offsets: `utc_as_z` writes UTC as `Z`, `colon` puts a
    /// colon between hours and minutes.
    fn offset_text(self, utc_as_z: bool, colon: bool) -> String {
        if utc_as_z && self.offset == 0 {
            return "Z".to_owned();
        }
        let sign = if self.offset < 0 { '-' } else { '+' };
        let minutes = self.offset.unsigned_abs() / 60;
        let separator = if colon { ":" } else { "" };
        format!("{sign}{:02}{separator}{:02}", minutes / 60, minutes % 60)
    }
}

/// Days since 1970-01-01 of a Gregorian date.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Returns the Gregorian date of a day number since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (
        year,
        u32::try_from(month).unwrap_or(1),
        u32::try_from(day).unwrap_or(1),
    )
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A cursor over the text of a timestamp.
struct Reader<'t> {
    bytes: &'t [u8],
    at: usize,
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn eat(&mut self, expected: u8) -> bool {
        if self.peek() == Some(expected) {
            self.at += 1;
            return true;
        }
        false
    }

    /// Reads between `min` and `max` decimal digits.
    fn digits(&mut self, min: usize, max: usize) -> Option<u32> {
        let start = self.at;
        let mut number = 0_u32;
        while self.at - start < max {
            match self.peek() {
                Some(digit) if digit.is_ascii_digit() => {
                    number = number * 10 + u32::from(digit - b'0');
                    self.at += 1;
                }
                _ => break,
            }
        }
        (self.at - start >= min).then_some(number)
    }

    /// Reads `.123456789`, returning nanoseconds; no fraction is zero.
    fn fraction(&mut self) -> Option<u32> {
        if !(self.eat(b'.') || self.eat(b',')) {
            return Some(0);
        }
        let start = self.at;
        let mut nanos = 0_u32;
        while let Some(digit) = self.peek().filter(u8::is_ascii_digit) {
            if self.at - start < 9 {
                nanos = nanos * 10 + u32::from(digit - b'0');
            }
            self.at += 1;
        }
        let count = self.at - start;
        if count == 0 {
            return None;
        }
        for _ in count..9 {
            nanos *= 10;
        }
        Some(nanos)
    }

    /// Reads `Z` or `+hh:mm`, returning the offset in seconds.
    fn offset(&mut self) -> Option<i32> {
        if self.eat(b'Z') {
            return Some(0);
        }
        let negative = match self.peek() {
            Some(b'+') => false,
            Some(b'-') => true,
            _ => return None,
        };
        self.at += 1;
        let hours = self.digits(2, 2)?;
        if !self.eat(b':') {
            return None;
        }
        let minutes = self.digits(2, 2)?;
        if hours >= 24 || minutes >= 60 {
            return None;
        }
        let seconds = i32::try_from(hours * 3600 + minutes * 60).ok()?;
        Some(if negative { -seconds } else { seconds })
    }

    fn at_end(&self) -> bool {
        self.at == self.bytes.len()
    }
}

/// Calendar fields as read, before validation.
struct Fields {
    year: u32,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    nanos: u32,
    offset: i32,
}

impl Fields {
    fn timestamp(&self) -> Result<Timestamp, &'static str> {
        let year = i64::from(self.year);
        if !(1..=12).contains(&self.month) {
            return Err("month out of range");
        }
        if self.day < 1 || self.day > days_in_month(year, self.month) {
            return Err("day out of range");
        }
        if self.hour > 23 || self.minute > 59 || self.second > 59 {
            return Err("time of day out of range");
        }
        let days = days_from_civil(year, self.month, self.day);
        let seconds = i128::from(days) * 86_400
            + i128::from(self.hour * 3600 + self.minute * 60 + self.second)
            - i128::from(self.offset);
        Ok(Timestamp {
            instant: seconds * NANOS_PER_SECOND + i128::from(self.nanos),
            offset: self.offset,
        })
    }
}

/// Parses an RFC 3339 timestamp as Terraform does: `YYYY-MM-DDTHH:MM:SS`, optional
/// fractional seconds, and `Z` or a `+hh:mm` offset.
fn parse_rfc3339(text: &str) -> Result<Timestamp, String> {
    let invalid = |what: &str| format!("not a valid RFC3339 timestamp: {what}");
    let mut reader = Reader {
        bytes: text.as_bytes(),
        at: 0,
    };
    let year = reader
        .digits(4, 4)
        .ok_or_else(|| invalid("cannot read the year"))?;
    let month = (reader.eat(b'-').then(|| reader.digits(2, 2)).flatten())
        .ok_or_else(|| invalid("cannot read the month"))?;
    let day = (reader.eat(b'-').then(|| reader.digits(2, 2)).flatten())
        .ok_or_else(|| invalid("cannot read the day of month"))?;

    if !reader.eat(b'T') {
        return Err(invalid("missing required time introducer 'T'"));
    }
    let hour = reader
        .digits(2, 2)
        .ok_or_else(|| invalid("cannot read the hour"))?;
    let minute = (reader.eat(b':').then(|| reader.digits(2, 2)).flatten())
        .ok_or_else(|| invalid("cannot read the minute"))?;
    let second = (reader.eat(b':').then(|| reader.digits(2, 2)).flatten())
        .ok_or_else(|| invalid("cannot read the second"))?;
    let nanos = reader
        .fraction()
        .ok_or_else(|| invalid("cannot read the fractional seconds"))?;
    let offset = reader
        .offset()
        .ok_or_else(|| invalid("cannot read the UTC offset"))?;
    if !reader.at_end() {
        return Err(invalid("extra text after the UTC offset"));
    }

    Fields {
        year,
        month,
        day,
        hour,
        minute,
        second,
        nanos,
        offset,
    }
    .timestamp()
    .map_err(invalid)
}

/// Reads a YAML timestamp the way Terraform's `yamldecode` does and returns it as
/// RFC 3339: `2001-12-14`, `2001-12-14 21:59:43.10` (UTC) or
/// `2001-12-14t21:59:43.10-05:00`. Month, day and time fields may have one digit.
pub(super) fn yaml_timestamp(text: &str) -> Option<String> {
    let mut reader = Reader {
        bytes: text.as_bytes(),
        at: 0,
    };
    let year = reader.digits(4, 4)?;
    let month = reader.eat(b'-').then(|| reader.digits(1, 2)).flatten()?;
    let day = reader.eat(b'-').then(|| reader.digits(1, 2)).flatten()?;
    let mut fields = Fields {
        year,
        month,
        day,
        hour: 0,
        minute: 0,
        second: 0,
        nanos: 0,
        offset: 0,
    };
    if !reader.at_end() {
        let with_zone = match reader.peek() {
            Some(b'T' | b't') => true,
            Some(b' ') => false,
            _ => return None,
        };
        reader.at += 1;
        fields.hour = reader.digits(1, 2)?;
        fields.minute = reader.eat(b':').then(|| reader.digits(1, 2)).flatten()?;
        fields.second = reader.eat(b':').then(|| reader.digits(1, 2)).flatten()?;
        fields.nanos = reader.fraction()?;
        if with_zone {
            fields.offset = reader.offset()?;
        }
        if !reader.at_end() {
            return None;
        }
    }
    fields.timestamp().ok().map(Timestamp::rfc3339)
}

fn timestamp_arg(call: &Call, index: usize) -> Result<Timestamp, Failure> {
    let text = call.string(index)?;
    parse_rfc3339(&text).map_err(|message| call.invalid(index, message))
}

/// Formats a timestamp by a specification such as `"DD MMM YYYY hh:mm ZZZ"`. Letters
/// form verbs; text in single quotes is literal, and `''` is a single quote.
pub(super) fn formatdate(call: &Call) -> Outcome {
    let spec = call.string(0)?;
    let moment = timestamp_arg(call, 1)?;
    let civil = moment.civil();
    let mut out = String::new();

    let mut rest = spec.as_ref();
    while let Some(first) = rest.chars().next() {
        if first == '\'' {
            let (literal, after) =
                quoted_literal(rest).ok_or_else(|| call.invalid(0, "unterminated literal '"))?;
            out.push_str(&literal);
            rest = after;
            continue;
        }
        if !first.is_ascii_alphabetic() {
            let end = rest
                .find(|c: char| c == '\'' || c.is_ascii_alphabetic())
                .unwrap_or(rest.len());
            out.push_str(rest.get(..end).unwrap_or_default());
            rest = rest.get(end..).unwrap_or_default();
            continue;
        }

        let end = rest.find(|c| c != first).unwrap_or(rest.len());
        let verb = rest.get(..end).unwrap_or_default();
        rest = rest.get(end..).unwrap_or_default();
        let bad = |expected: &str| {
            call.invalid(0, format!("invalid date format verb {verb:?}: {expected}"))
        };
        let text = match (first, verb.len()) {
            ('Y', 2) => format!("{:02}", civil.year.rem_euclid(100)),
            ('Y', 4) => format!("{:04}", civil.year),
            ('Y', _) => return Err(bad("year must either be \"YY\" or \"YYYY\"")),
            ('M', 1) => civil.month.to_string(),
            ('M', 2) => format!("{:02}", civil.month),
            ('M', 3) => month_name(civil.month).chars().take(3).collect(),
            ('M', 4) => month_name(civil.month).to_owned(),
            ('M', _) => return Err(bad("month must be \"M\", \"MM\", \"MMM\", or \"MMMM\"")),
            ('D', 1) => civil.day.to_string(),
            ('D', 2) => format!("{:02}", civil.day),
            ('D', _) => return Err(bad("day of month must either be \"D\" or \"DD\"")),
            ('E', 3) => weekday_name(civil.weekday).chars().take(3).collect(),
            ('E', 4) => weekday_name(civil.weekday).to_owned(),
            ('E', _) => return Err(bad("day of week must either be \"EEE\" or \"EEEE\"")),
            ('h', 1) => civil.hour.to_string(),
            ('h', 2) => format!("{:02}", civil.hour),
            ('h', _) => return Err(bad("24-hour must either be \"h\" or \"hh\"")),
            ('H', count @ (1 | 2)) => {
                let hour = if civil.hour % 12 == 0 {
                    12
                } else {
                    civil.hour % 12
                };
                if count == 1 {
                    hour.to_string()
                } else {
                    format!("{hour:02}")
                }
            }
            ('H', _) => return Err(bad("12-hour must either be \"H\" or \"HH\"")),
            ('A', 2) => if civil.hour < 12 { "AM" } else { "PM" }.to_owned(),
            ('a', 2) => if civil.hour < 12 { "am" } else { "pm" }.to_owned(),
            ('A', _) => return Err(bad("must be \"AA\"")),
            ('a', _) => return Err(bad("must be \"aa\"")),
            ('m', 1) => civil.minute.to_string(),
            ('m', 2) => format!("{:02}", civil.minute),
            ('m', _) => return Err(bad("minute must either be \"m\" or \"mm\"")),
            ('s', 1) => civil.second.to_string(),
            ('s', 2) => format!("{:02}", civil.second),
            ('s', _) => return Err(bad("second must either be \"s\" or \"ss\"")),
            ('Z', 1) => moment.offset_text(true, true),
            ('Z', 3) => {
                if moment.offset == 0 {
                    "UTC".to_owned()
                } else {
                    moment.offset_text(false, false)
                }
            }
            ('Z', 4) => moment.offset_text(false, false),
            ('Z', 5) => moment.offset_text(false, true),
            ('Z', _) => return Err(bad("timezone must be Z, ZZZZ, or ZZZZZ")),
            _ => {
                return Err(call.invalid(0, format!("invalid date format verb {verb:?}")));
            }
        };
        out.push_str(&text);
    }
    call.string_node(out)
}

/// Reads `'text'` at the start of `rest`, with `''` standing for one quote. Returns
/// the literal text and what follows it.
fn quoted_literal(rest: &str) -> Option<(String, &str)> {
    if let Some(after) = rest.strip_prefix("''") {
        return Some(("'".to_owned(), after));
    }
    let mut literal = String::new();
    let mut chars = rest.char_indices().skip(1).peekable();
    while let Some((at, c)) = chars.next() {
        if c != '\'' {
            literal.push(c);
            continue;
        }
        if chars.next_if(|(_, next)| *next == '\'').is_some() {
            literal.push('\'');
            continue;
        }
        return Some((literal, rest.get(at + 1..).unwrap_or_default()));
    }
    None
}

fn month_name(month: u32) -> &'static str {
    usize::try_from(month)
        .ok()
        .and_then(|month| MONTHS.get(month.wrapping_sub(1)))
        .copied()
        .unwrap_or("")
}

fn weekday_name(weekday: usize) -> &'static str {
    WEEKDAYS.get(weekday).copied().unwrap_or("")
}

/// Adds a duration such as `"1h30m"` or `"-10s"` to a timestamp; the result keeps the
/// timestamp's offset.
pub(super) fn timeadd(call: &Call) -> Outcome {
    let moment = timestamp_arg(call, 0)?;
    let text = call.string(1)?;
    let nanos = parse_duration(&text).map_err(|message| call.invalid(1, message))?;
    let shifted = Timestamp {
        instant: moment.instant + nanos,
        offset: moment.offset,
    };
    let year = shifted.civil().year;
    if !(0..=9999).contains(&year) {
        return Err(call.fail(format!(
            "the result is in the year {year}, outside the years 0 to 9999 that RFC 3339 allows"
        )));
    }
    call.string_node(shifted.rfc3339())
}

/// Parses a Go duration: a sequence of decimal numbers with units `ns`, `us` (or
/// `µs`), `ms`, `s`, `m`, `h`, with an optional leading sign. Returns nanoseconds.
fn parse_duration(text: &str) -> Result<i128, String> {
    let invalid = || format!("time: invalid duration {text:?}");
    let (negative, mut rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(invalid());
    }

    let mut total = 0_i128;
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number = rest.get(..number_end).unwrap_or_default();
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return Err(invalid());
        }
        rest = rest.get(number_end..).unwrap_or_default();
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = rest.get(..unit_end).unwrap_or_default();
        rest = rest.get(unit_end..).unwrap_or_default();
        let scale: i128 = match unit {
            "ns" => 1,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
            "ms" => 1_000_000,
            "s" => NANOS_PER_SECOND,
            "m" => 60 * NANOS_PER_SECOND,
            "h" => 3600 * NANOS_PER_SECOND,
            "" => return Err(format!("time: missing unit in duration {text:?}")),
            _ => return Err(format!("time: unknown unit {unit:?} in duration {text:?}")),
        };

        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        let whole: i128 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| invalid())?
        };
        let mut part = whole.checked_mul(scale).ok_or_else(invalid)?;
        let mut divisor = 1_i128;
        let mut fraction_value = 0_i128;
        for digit in fraction.bytes().take(18) {
            fraction_value = fraction_value * 10 + i128::from(digit - b'0');
            divisor *= 10;
        }
        part += fraction_value * scale / divisor;
        total = total.checked_add(part).ok_or_else(invalid)?;
        if total > i128::from(i64::MAX) {
            return Err(invalid());
        }
    }
    Ok(if negative { -total } else { total })
}

/// Compares two timestamps as moments: -1 when the first is earlier, 0 when they are
/// the same moment, 1 when it is later.
pub(super) fn timecmp(call: &Call) -> Outcome {
    let first = timestamp_arg(call, 0)?;
    let second = timestamp_arg(call, 1)?;
    let result = match first.instant.cmp(&second.instant) {
        Ordering::Less => -1.0,
        Ordering::Equal => 0.0,
        Ordering::Greater => 1.0,
    };
    call.number_node(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for days in [-719_468, -1, 0, 59, 11_016, 19_000, 2_932_896] {
            let (year, month, day) = civil_from_days(days);
            assert_eq!(days_from_civil(year, month, day), days);
        }
    }

    #[test]
    fn leap_day_valid() {
        assert!(parse_rfc3339("2024-02-29T00:00:00Z").is_ok());
        assert!(parse_rfc3339("2023-02-29T00:00:00Z").is_err());
    }

    #[test]
    fn duration_units() {
        assert_eq!(parse_duration("1h30m"), Ok(5_400 * NANOS_PER_SECOND));
        assert_eq!(parse_duration("-1.5s"), Ok(-1_500_000_000));
        assert!(parse_duration("10").is_err());
        assert!(parse_duration("1d").is_err());
    }
}
