//! `prometheus`: an instant query through `/api/v1/query`; the result must be empty,
//! non-empty, or every sample must compare with a threshold.

use std::fmt;
use std::path::PathBuf;

use serde_json::Value;

use super::{Attempt, Failure, Secret, excerpt};
use crate::load::{Fields, LoadError};

#[derive(Clone, Debug)]
pub struct PrometheusCheck {
    /// Base URL of the Prometheus server, without `/api/v1/query`.
    pub url: String,
    pub query: String,
    pub expect: Expectation,
    pub ca_file: Option<PathBuf>,
    /// Sent as `Authorization: Bearer`.
    pub token: Option<Secret>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Expectation {
    Empty,
    NonEmpty,
    /// Every sample compares with the threshold; an empty result fails.
    Compare(Comparison, f64),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Comparison {
    Less,
    LessOrEqual,
    Equal,
    GreaterOrEqual,
    Greater,
}

impl Comparison {
    fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Comparison::Less => value < threshold,
            Comparison::LessOrEqual => value <= threshold,
            Comparison::Equal => value == threshold,
            Comparison::GreaterOrEqual => value >= threshold,
            Comparison::Greater => value > threshold,
        }
    }
}

impl fmt::Display for Comparison {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(match self {
            Comparison::Less => "<",
            Comparison::LessOrEqual => "<=",
            Comparison::Equal => "==",
            Comparison::GreaterOrEqual => ">=",
            Comparison::Greater => ">",
        })
    }
}

impl fmt::Display for Expectation {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expectation::Empty => formatter.write_str("an empty result"),
            Expectation::NonEmpty => formatter.write_str("a non-empty result"),
            Expectation::Compare(comparison, threshold) => {
                write!(formatter, "every value {comparison} {threshold}")
            }
        }
    }
}

/// Parses `empty`, `non-empty` or `OP NUMBER` with OP one of `<`, `<=`, `==`, `>=`, `>`.
pub fn parse_expectation(text: &str) -> Option<Expectation> {
    let text = text.trim();
    match text {
        "empty" => return Some(Expectation::Empty),
        "non-empty" | "non_empty" | "nonempty" => return Some(Expectation::NonEmpty),
        _ => {}
    }
    // Two-character operators first, so `<=` is not read as `<` and `=5`.
    let operators = [
        ("<=", Comparison::LessOrEqual),
        (">=", Comparison::GreaterOrEqual),
        ("==", Comparison::Equal),
        ("<", Comparison::Less),
        (">", Comparison::Greater),
    ];
    let (comparison, rest) = operators.iter().find_map(|(symbol, comparison)| {
        text.strip_prefix(symbol).map(|rest| (*comparison, rest))
    })?;
    let threshold: f64 = rest.trim().parse().ok()?;
    threshold
        .is_finite()
        .then_some(Expectation::Compare(comparison, threshold))
}

impl PrometheusCheck {
    pub(crate) fn load(fields: &mut Fields<'_>) -> Result<Self, LoadError> {
        let (url, at) = fields.required(
            |raw| &mut raw.url,
            "url",
            "https://prometheus.example.test:9090",
        )?;
        super::http::check_url(fields, &url, &at, &["http", "https"])?;
        let (query, _) = fields.required(
            |raw| &mut raw.query,
            "query",
            "'ALERTS{alertstate=\"firing\",severity=\"critical\"}'",
        )?;
        let expect = match fields.raw.expect.take() {
            None => Expectation::NonEmpty,
            Some(value) => {
                let text = match &value.value {
                    Value::String(text) => text.clone(),
                    other => other.to_string(),
                };
                parse_expectation(&text).ok_or_else(|| {
                    fields.error(
                        &value.referenced,
                        format!("invalid `expect` {text:?}; expected empty, non-empty, or a comparison such as \"> 0\" or \"<= 0.5\""),
                    )
                })?
            }
        };
        let ca_file = fields.path(|raw| &mut raw.ca_file)?;
        let token = fields.token()?;
        Ok(Self {
            url: url.trim_end_matches('/').to_owned(),
            query,
            expect,
            ca_file,
            token,
        })
    }

    pub async fn run(&self) -> Attempt {
        let client = super::http::build_client(self.ca_file.as_deref(), true)?;
        let endpoint = format!("{}/api/v1/query", self.url);
        let mut request = client
            .get(&endpoint)
            .query(&[("query", self.query.as_str())]);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token.read()?);
        }
        let response = request.send().await.map_err(|error| {
            Failure::error(format!(
                "request to {endpoint} failed: {}",
                super::http::request_error(&error)
            ))
        })?;
        let status = response.status();
        let body = response
            .text()
            .await
            .map_err(|error| Failure::error(format!("cannot read the response: {error}")))?;
        let document: Value = serde_json::from_str(&body).map_err(|_| {
            Failure::error(format!(
                "expected a Prometheus API response, found status {} with {:?}",
                status.as_u16(),
                excerpt(&body, 200)
            ))
        })?;
        if document.get("status").and_then(Value::as_str) != Some("success") {
            let reason = document
                .get("error")
                .and_then(Value::as_str)
                .unwrap_or("no reason given");
            return Err(Failure::error(format!("the query failed: {reason}")));
        }
        let samples = samples(&document)?;
        judge(self.expect, &samples)
    }
}

/// One series of the result: its labels and value.
#[derive(Debug, PartialEq)]
struct Sample {
    labels: String,
    value: f64,
}

fn samples(document: &Value) -> Result<Vec<Sample>, Failure> {
    let data = document.get("data").unwrap_or(&Value::Null);
    let kind = data
        .get("resultType")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let result = data.get("result").unwrap_or(&Value::Null);
    let parse_value = |pair: &Value| -> Result<f64, Failure> {
        let text = pair.get(1).and_then(Value::as_str).unwrap_or_default();
        // Prometheus writes special values as NaN, +Inf and -Inf.
        match text {
            "+Inf" => Ok(f64::INFINITY),
            "-Inf" => Ok(f64::NEG_INFINITY),
            _ => text
                .parse::<f64>()
                .map_err(|_| Failure::error(format!("unreadable sample value {text:?}"))),
        }
    };
    match kind {
        "vector" => result
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|series| {
                Ok(Sample {
                    labels: series
                        .get("metric")
                        .map(Value::to_string)
                        .unwrap_or_default(),
                    value: parse_value(series.get("value").unwrap_or(&Value::Null))?,
                })
            })
            .collect(),
        "scalar" => Ok(vec![Sample {
            labels: String::new(),
            value: parse_value(result)?,
        }]),
        other => Err(Failure::error(format!(
            "expected an instant vector or scalar result, found result type {other:?}; query a vector, not a range"
        ))),
    }
}

fn judge(expect: Expectation, samples: &[Sample]) -> Attempt {
    let shown = |sample: &Sample| {
        if sample.labels.is_empty() {
            sample.value.to_string()
        } else {
            format!("{} {}", sample.labels, sample.value)
        }
    };
    match expect {
        Expectation::Empty => match samples.first() {
            None => Ok("empty result".to_owned()),
            Some(first) => Err(Failure::failed(format!(
                "expected an empty result, found {} series, first {}",
                samples.len(),
                shown(first)
            ))),
        },
        Expectation::NonEmpty if samples.is_empty() => Err(Failure::failed(
            "expected a non-empty result, found an empty one",
        )),
        Expectation::NonEmpty => Ok(format!("{} series", samples.len())),
        Expectation::Compare(comparison, threshold) => {
            if samples.is_empty() {
                return Err(Failure::failed(format!(
                    "expected every value {comparison} {threshold}, found an empty result"
                )));
            }
            if let Some(sample) = samples.iter().find(|sample| sample.value.is_nan()) {
                return Err(Failure::error(format!(
                    "cannot compare NaN with {threshold}: {}",
                    shown(sample)
                )));
            }
            match samples
                .iter()
                .find(|sample| !comparison.holds(sample.value, threshold))
            {
                Some(sample) => Err(Failure::failed(format!(
                    "expected every value {comparison} {threshold}, found {}",
                    shown(sample)
                ))),
                None => Ok(format!(
                    "{} series, all {comparison} {threshold}",
                    samples.len()
                )),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expectations_parse() {
        assert_eq!(parse_expectation("empty"), Some(Expectation::Empty));
        assert_eq!(parse_expectation("non-empty"), Some(Expectation::NonEmpty));
        assert_eq!(
            parse_expectation("<= 0.5"),
            Some(Expectation::Compare(Comparison::LessOrEqual, 0.5))
        );
        assert_eq!(
            parse_expectation(">1"),
            Some(Expectation::Compare(Comparison::Greater, 1.0))
        );
        assert_eq!(parse_expectation("= 1"), None);
        assert_eq!(parse_expectation("> many"), None);
    }

    #[test]
    fn nan_is_an_error() {
        let samples = [Sample {
            labels: String::new(),
            value: f64::NAN,
        }];
        let verdict = judge(Expectation::Compare(Comparison::Greater, 0.0), &samples);
        assert_eq!(
            verdict.map_err(|failure| failure.kind),
            Err(super::super::FailureKind::Error)
        );
    }

    #[test]
    fn comparison_names_the_sample() {
        let samples = [Sample {
            labels: "{\"job\":\"a\"}".to_owned(),
            value: 0.0,
        }];
        let message = judge(Expectation::Compare(Comparison::Equal, 1.0), &samples)
            .err()
            .map(|failure| failure.message)
            .unwrap_or_default();
        assert_eq!(
            message,
            "expected every value == 1, found {\"job\":\"a\"} 0"
        );
    }
}
