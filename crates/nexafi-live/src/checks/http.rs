//! `http`: one request; status, headers, body, JSON values and latency are asserted.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use indexmap::IndexMap;
use serde_saphyr::Spanned;

use super::{Attempt, Failure, Secret, client_config, excerpt};
use crate::load::{Fields, LoadError, RawStatus, RawStatusItem};

#[derive(Clone, Debug)]
pub struct HttpCheck {
    pub method: String,
    pub url: String,
    /// Accepted status codes as inclusive ranges. Default: 200-299.
    pub status: Vec<(u16, u16)>,
    /// Header names (lowercase) with the exact value expected.
    pub headers: IndexMap<String, String>,
    /// Header names (lowercase) that must be present with any value.
    pub headers_present: Vec<String>,
    pub body_contains: Option<String>,
    /// JSON pointers (RFC 6901) into the response body with the value expected there.
    pub json: IndexMap<String, serde_json::Value>,
    pub tls_verify: bool,
    pub ca_file: Option<PathBuf>,
    pub max_latency: Option<Duration>,
    /// Sent as `Authorization: Bearer`.
    pub token: Option<Secret>,
}

impl HttpCheck {
    pub(crate) fn load(fields: &mut Fields<'_>) -> Result<Self, LoadError> {
        let (url, at) = fields.required(
            |raw| &mut raw.url,
            "url",
            "https://api.example.test/healthz",
        )?;
        check_url(fields, &url, &at, &["http", "https"])?;
        let method = match fields.string(|raw| &mut raw.method)? {
            Some((method, at)) => {
                let upper = method.to_ascii_uppercase();
                if reqwest::Method::from_bytes(upper.as_bytes()).is_err() || upper.is_empty() {
                    return Err(fields.error(&at, format!("invalid HTTP method {method:?}")));
                }
                upper
            }
            None => "GET".to_owned(),
        };
        let status = match fields.raw.status.take() {
            Some(status) => parse_status(fields, &status)?,
            None => vec![(200, 299)],
        };

        let mut headers = IndexMap::new();
        if let Some(raw) = fields.raw.headers.take() {
            for (name, value) in &raw.value {
                let value = fields.context.expand(&Spanned::new(
                    value.clone(),
                    raw.referenced,
                    raw.defined,
                ))?;
                headers.insert(name.to_ascii_lowercase(), value);
            }
        }
        let headers_present = fields
            .raw
            .headers_present
            .take()
            .map(|list| {
                list.value
                    .iter()
                    .map(|name| name.to_ascii_lowercase())
                    .collect()
            })
            .unwrap_or_default();
        let body_contains = fields
            .string(|raw| &mut raw.body_contains)?
            .map(|(text, _)| text);

        let mut json = IndexMap::new();
        if let Some(raw) = fields.raw.json.take() {
            for (pointer, expected) in &raw.value {
                if !pointer.is_empty() && !pointer.starts_with('/') {
                    return Err(fields.error(
                        &raw.referenced,
                        format!("invalid JSON pointer {pointer:?}; it starts with `/`, for example /status"),
                    ));
                }
                let expected = match expected {
                    serde_json::Value::String(text) => {
                        serde_json::Value::String(fields.context.expand(&Spanned::new(
                            text.clone(),
                            raw.referenced,
                            raw.defined,
                        ))?)
                    }
                    other => other.clone(),
                };
                json.insert(pointer.clone(), expected);
            }
        }

        let tls_verify = fields.raw.tls_verify.take().is_none_or(|value| value.value);
        let ca_file = fields.path(|raw| &mut raw.ca_file)?;
        let max_latency = fields
            .raw
            .max_latency_ms
            .take()
            .map(|value| Duration::from_millis(value.value));
        let token = fields.token()?;
        Ok(Self {
            method,
            url,
            status,
            headers,
            headers_present,
            body_contains,
            json,
            tls_verify,
            ca_file,
            max_latency,
            token,
        })
    }

    pub async fn run(&self) -> Attempt {
        let client = build_client(self.ca_file.as_deref(), self.tls_verify)?;
        let method = reqwest::Method::from_bytes(self.method.as_bytes())
            .map_err(|error| Failure::error(error.to_string()))?;
        let mut request = client.request(method, &self.url);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token.read()?);
        }

        let started = Instant::now();
        let response = request.send().await.map_err(|error| {
            Failure::error(format!(
                "request to {} failed: {}",
                self.url,
                request_error(&error)
            ))
        })?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(|error| {
            Failure::error(format!(
                "cannot read the response body: {}",
                request_error(&error)
            ))
        })?;
        let elapsed = started.elapsed();

        if !self
            .status
            .iter()
            .any(|(low, high)| (*low..=*high).contains(&status))
        {
            return Err(Failure::failed(format!(
                "expected status {}, found {status}",
                show_status(&self.status)
            )));
        }
        for name in &self.headers_present {
            if !headers.contains_key(name.as_str()) {
                return Err(Failure::failed(format!(
                    "expected header {name} to be present, found it missing"
                )));
            }
        }
        for (name, expected) in &self.headers {
            let found = headers
                .get(name.as_str())
                .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
            match found {
                Some(found) if &found == expected => {}
                Some(found) => {
                    return Err(Failure::failed(format!(
                        "expected header {name}: {expected:?}, found {found:?}"
                    )));
                }
                None => {
                    return Err(Failure::failed(format!(
                        "expected header {name}: {expected:?}, found it missing"
                    )));
                }
            }
        }

        let text = String::from_utf8_lossy(&body);
        if let Some(needle) = &self.body_contains
            && !text.contains(needle.as_str())
        {
            return Err(Failure::failed(format!(
                "expected the body to contain {needle:?}, found {:?}",
                excerpt(&text, 200)
            )));
        }
        if !self.json.is_empty() {
            let document: serde_json::Value = serde_json::from_slice(&body).map_err(|error| {
                Failure::failed(format!(
                    "expected a JSON body, found one that does not parse ({error}): {:?}",
                    excerpt(&text, 200)
                ))
            })?;
            for (pointer, expected) in &self.json {
                match document.pointer(pointer) {
                    Some(found) if json_equal(found, expected) => {}
                    Some(found) => {
                        return Err(Failure::failed(format!(
                            "expected {pointer} to be {expected}, found {found}"
                        )));
                    }
                    None => {
                        return Err(Failure::failed(format!(
                            "expected {pointer} to be {expected}, found no value there"
                        )));
                    }
                }
            }
        }
        if let Some(limit) = self.max_latency
            && elapsed > limit
        {
            return Err(Failure::failed(format!(
                "expected a response within {} ms, found {} ms",
                limit.as_millis(),
                elapsed.as_millis()
            )));
        }
        Ok(format!("status {status} in {} ms", elapsed.as_millis()))
    }
}

/// Builds an HTTP client that contacts only the URL it is given. It takes no proxy from
/// the environment and follows no redirects, since both could reach hosts the suite does
/// not name.
pub(crate) fn build_client(
    ca_file: Option<&std::path::Path>,
    verify: bool,
) -> Result<reqwest::Client, Failure> {
    let config = client_config(ca_file, verify)?;
    reqwest::Client::builder()
        .use_preconfigured_tls(config)
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|error| {
            Failure::error(format!(
                "cannot set up the HTTP client: {}",
                request_error(&error)
            ))
        })
}

/// Joins an error and its sources, which is where reqwest keeps the useful part.
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Joins the sources of a reqwest error. Its own text only repeats the URL, which the
/// message already names.
pub(crate) fn request_error(error: &reqwest::Error) -> String {
    match std::error::Error::source(error) {
        Some(source) => error_chain(source),
        None => error.to_string(),
    }
}

/// Numbers compare by value (`1` equals `1.0`); everything else exactly.
fn json_equal(found: &serde_json::Value, expected: &serde_json::Value) -> bool {
    match (found.as_f64(), expected.as_f64()) {
        (Some(found), Some(expected)) if found.is_finite() => found == expected,
        _ => found == expected,
    }
}

pub(crate) fn check_url(
    fields: &Fields<'_>,
    url: &str,
    at: &serde_saphyr::Location,
    schemes: &[&str],
) -> Result<(), LoadError> {
    let scheme = url
        .split_once("://")
        .map(|(scheme, _)| scheme.to_ascii_lowercase());
    let host = url
        .split_once("://")
        .map(|(_, rest)| rest.split(['/', '?', '#']).next().unwrap_or_default())
        .unwrap_or_default();
    match scheme {
        Some(scheme) if schemes.contains(&scheme.as_str()) && !host.is_empty() => Ok(()),
        _ => Err(fields.error(
            at,
            format!(
                "invalid URL {url:?}; expected {}://HOST[:PORT][/PATH]",
                schemes.join(" or ")
            ),
        )),
    }
}

fn parse_status(
    fields: &Fields<'_>,
    status: &Spanned<RawStatus>,
) -> Result<Vec<(u16, u16)>, LoadError> {
    let items: Vec<RawStatusItem> = match &status.value {
        RawStatus::Code(code) => vec![RawStatusItem::Code(*code)],
        RawStatus::Text(text) => vec![RawStatusItem::Text(text.clone())],
        RawStatus::List(list) => list.clone(),
    };
    let invalid = |text: &str| {
        fields.error(
            &status.referenced,
            format!("invalid status {text:?}; expected a code (200), a class (2xx), a range (200-299) or a list of them"),
        )
    };
    let mut ranges = Vec::new();
    for item in items {
        let range = match item {
            RawStatusItem::Code(code) => (code, code),
            RawStatusItem::Text(text) => {
                parse_status_text(text.trim()).ok_or_else(|| invalid(&text))?
            }
        };
        if range.0 < 100 || range.1 > 599 || range.0 > range.1 {
            return Err(invalid(&format!("{}-{}", range.0, range.1)));
        }
        ranges.push(range);
    }
    if ranges.is_empty() {
        return Err(invalid("[]"));
    }
    Ok(ranges)
}

fn parse_status_text(text: &str) -> Option<(u16, u16)> {
    if let Some(class) = text.strip_suffix("xx").or_else(|| text.strip_suffix("XX")) {
        let digit: u16 = class.parse().ok()?;
        return (1..=5)
            .contains(&digit)
            .then_some((digit * 100, digit * 100 + 99));
    }
    if let Some((low, high)) = text.split_once('-') {
        return Some((low.trim().parse().ok()?, high.trim().parse().ok()?));
    }
    let code = text.parse().ok()?;
    Some((code, code))
}

fn show_status(ranges: &[(u16, u16)]) -> String {
    ranges
        .iter()
        .map(|(low, high)| {
            if low == high {
                low.to_string()
            } else {
                format!("{low}-{high}")
            }
        })
        .collect::<Vec<_>>()
        .join(" or ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_text_forms() {
        assert_eq!(parse_status_text("2xx"), Some((200, 299)));
        assert_eq!(parse_status_text("200-204"), Some((200, 204)));
        assert_eq!(parse_status_text("404"), Some((404, 404)));
        assert_eq!(parse_status_text("9xx"), None);
        assert_eq!(parse_status_text("ok"), None);
    }

    #[test]
    fn json_numbers_compare_by_value() {
        assert!(json_equal(&serde_json::json!(1), &serde_json::json!(1.0)));
        assert!(!json_equal(&serde_json::json!("1"), &serde_json::json!(1)));
        assert!(json_equal(
            &serde_json::json!("ok"),
            &serde_json::json!("ok")
        ));
    }
}
