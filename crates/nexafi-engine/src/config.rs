//! `nexafi.toml`: the waivers and attestations of a scanned repository.
//!
//! The file format, with examples, is described in `docs/waivers.md`.

use std::path::{Path, PathBuf};

use jiff::civil::Date;
use nexafi_compliance::ControlAttestation;
use nexafi_model::{SourceFile, SuppressionKind};
use serde::Deserialize;
use toml::Spanned;

use crate::waiver::{CheckPattern, PathPattern, ResourcePattern, Waiver, parse_date};

/// Name of the configuration file looked up at the root of the scanned repository.
pub const CONFIG_FILE_NAME: &str = "nexafi.toml";

/// A configuration mistake, at the place that needs the fix.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}:{column}: {message}", path.display())]
pub struct ConfigError {
    pub path: PathBuf,
    /// 1-based line, or 1 when the problem is with the whole file.
    pub line: u32,
    /// 1-based column in characters.
    pub column: u32,
    /// Description of the problem and of its fix.
    pub message: String,
}

/// The parsed and validated `nexafi.toml`.
#[derive(Clone, Debug)]
pub struct Config {
    pub path: PathBuf,
    /// Directory that waiver path globs are relative to: the directory of `path`.
    pub root: PathBuf,
    pub waivers: Vec<Waiver>,
    pub attestations: Vec<ControlAttestation>,
}

/// Finds the configuration of a scan.
///
/// `explicit` (`--config FILE`) wins and must exist. Otherwise the file is
/// `nexafi.toml` at the root of the Git work tree that contains the first scanned path,
/// or, outside Git, in that path itself (in its directory when it is a file). Returns
/// `None` when there is no such file.
pub fn locate(explicit: Option<&Path>, paths: &[PathBuf]) -> Result<Option<PathBuf>, ConfigError> {
    if let Some(path) = explicit {
        if path.is_file() {
            return Ok(Some(path.to_path_buf()));
        }
        return Err(ConfigError {
            path: path.to_path_buf(),
            line: 1,
            column: 1,
            message: "the configuration file given with --config does not exist or is not a file"
                .to_owned(),
        });
    }
    let Some(first) = paths.first() else {
        return Ok(None);
    };
    let absolute = std::path::absolute(first).unwrap_or_else(|_| first.clone());
    let directory = if absolute.is_file() {
        absolute.parent().map(Path::to_path_buf).unwrap_or(absolute)
    } else {
        absolute
    };
    let root = crate::git_work_tree(&directory).unwrap_or(directory);
    let candidate = root.join(CONFIG_FILE_NAME);
    if !candidate.is_file() {
        return Ok(None);
    }
    // Show the path relative to the working directory when it lies below it, as findings do.
    let display_path = std::env::current_dir()
        .ok()
        .and_then(|current| candidate.strip_prefix(current).ok().map(Path::to_path_buf))
        .unwrap_or(candidate);
    Ok(Some(display_path))
}

/// Reads the `[policies]` paths of a configuration file, resolved against the file's
/// directory. Policies load before the rest of the file is validated, because waivers may
/// name the ids of custom policies.
pub fn policy_paths(path: &Path) -> Result<Vec<PathBuf>, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|error| ConfigError {
        path: path.to_path_buf(),
        line: 1,
        column: 1,
        message: format!("cannot read the file: {error}"),
    })?;
    let source = SourceFile::new(path.to_path_buf(), text.clone());
    let raw: RawConfig = toml::from_str(&text).map_err(|error| {
        let offset = error.span().map_or(0, |span| span.start);
        let position = source.line_column(u32::try_from(offset).unwrap_or(u32::MAX));
        ConfigError {
            path: path.to_path_buf(),
            line: position.line,
            column: position.column,
            message: toml_message(&error),
        }
    })?;
    let base = std::path::absolute(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    Ok(raw
        .policies
        .map(|policies| {
            policies
                .paths
                .iter()
                .map(|entry| base.join(entry))
                .collect()
        })
        .unwrap_or_default())
}

/// Reads, parses and validates a configuration file.
///
/// `checks` are the valid check ids, `today` decides which attestations are overdue.
pub fn load(path: &Path, checks: &[&str], today: Date) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|error| ConfigError {
        path: path.to_path_buf(),
        line: 1,
        column: 1,
        message: format!("cannot read the file: {error}"),
    })?;
    parse(path, &text, checks, today)
}

/// Parses and validates configuration text. `path` names the file in errors.
pub fn parse(path: &Path, text: &str, checks: &[&str], today: Date) -> Result<Config, ConfigError> {
    let source = SourceFile::new(path.to_path_buf(), text.to_owned());
    let error_at = |offset: usize, message: String| {
        let position = source.line_column(u32::try_from(offset).unwrap_or(u32::MAX));
        ConfigError {
            path: path.to_path_buf(),
            line: position.line,
            column: position.column,
            message,
        }
    };

    let raw: RawConfig = toml::from_str(text).map_err(|error| {
        let offset = error.span().map_or(0, |span| span.start);
        error_at(offset, toml_message(&error))
    })?;

    let root = std::path::absolute(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let file = path.display().to_string();

    let mut waivers = Vec::with_capacity(raw.waiver.len());
    for entry in &raw.waiver {
        let start = entry.span().start;
        let line = source
            .line_column(u32::try_from(start).unwrap_or(u32::MAX))
            .line;
        let waiver = waiver(entry.get_ref(), &file, line, checks)
            .map_err(|(offset, message)| error_at(offset.unwrap_or(start), message))?;
        waivers.push(waiver);
    }

    let mut attestations: Vec<ControlAttestation> = Vec::with_capacity(raw.attestation.len());
    for entry in &raw.attestation {
        let start = entry.span().start;
        let attestation = crate::attest::attestation(entry.get_ref(), today)
            .map_err(|(offset, message)| error_at(offset.unwrap_or(start), message))?;
        if let Some(earlier) = attestations.iter().find(|earlier| {
            earlier.framework == attestation.framework && earlier.control == attestation.control
        }) {
            return Err(error_at(
                start,
                format!(
                    "{} {} is attested twice; keep one [[attestation]] entry per control",
                    earlier.framework, earlier.control
                ),
            ));
        }
        attestations.push(attestation);
    }

    Ok(Config {
        path: path.to_path_buf(),
        root,
        waivers,
        attestations,
    })
}

/// A problem inside one entry: the byte offset of the offending value (or `None` for the
/// entry itself) and the message.
pub(crate) type EntryError = (Option<usize>, String);

/// The file as written, before validation.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    policies: Option<RawPolicies>,
    #[serde(default)]
    waiver: Vec<Spanned<RawWaiver>>,
    #[serde(default)]
    attestation: Vec<Spanned<RawAttestation>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWaiver {
    check: Option<Spanned<String>>,
    resource: Option<Spanned<String>>,
    path: Option<Spanned<String>>,
    reason: Option<Spanned<String>>,
    owner: Option<Spanned<String>>,
    expires: Option<Spanned<toml::Value>>,
    ticket: Option<Spanned<String>>,
}

/// The `[policies]` table: Rego policy files or directories, relative to the file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicies {
    paths: Vec<String>,
}

/// One `[[attestation]]` entry as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAttestation {
    pub framework: Option<Spanned<String>>,
    pub control: Option<Spanned<String>>,
    pub evidence: Option<Spanned<String>>,
    pub owner: Option<Spanned<String>>,
    pub date: Option<Spanned<toml::Value>>,
    pub review_interval_days: Option<Spanned<i64>>,
}

fn waiver(raw: &RawWaiver, file: &str, line: u32, checks: &[&str]) -> Result<Waiver, EntryError> {
    let check = required(
        &raw.check,
        "check",
        "check = \"NXF-AWS-S3-001\" (an id, or a prefix such as \"NXF-AWS-S3-*\")",
    )?;
    let pattern =
        CheckPattern::parse(check.get_ref(), checks).map_err(|message| at(check, message))?;
    let reason = required(
        &raw.reason,
        "reason",
        "reason = \"why the risk is accepted\"",
    )?;
    let owner = required(
        &raw.owner,
        "owner",
        "owner = \"team or person accountable\"",
    )?;
    let expires = required(&raw.expires, "expires", "expires = 2027-03-31")?;
    let expires = date_value(expires)?;

    let resource = match &raw.resource {
        Some(resource) if resource.get_ref().trim().is_empty() => {
            return Err(at(
                resource,
                "the resource is empty; name an address such as aws_s3_bucket.logs or remove the key"
                    .to_owned(),
            ));
        }
        Some(resource) => Some(ResourcePattern(resource.get_ref().trim().to_owned())),
        None => None,
    };
    let path = match &raw.path {
        Some(path) => {
            Some(PathPattern::parse(path.get_ref()).map_err(|message| at(path, message))?)
        }
        None => None,
    };
    if !pattern.is_exact() && resource.is_none() && path.is_none() {
        return Err((
            Some(check.span().start),
            format!(
                "the check pattern {:?} names several checks, so the waiver needs a resource or a path to limit it; add resource = \"...\" or path = \"...\"",
                check.get_ref()
            ),
        ));
    }

    Ok(Waiver {
        kind: SuppressionKind::Waiver,
        file: file.to_owned(),
        line,
        check: pattern,
        check_text: check.get_ref().trim().to_owned(),
        resource,
        path,
        reason: non_empty(reason, "reason")?,
        owner: Some(non_empty(owner, "owner")?),
        expires,
        ticket: raw.ticket.as_ref().map(|ticket| ticket.get_ref().clone()),
    })
}

/// Returns the value of a required key, or an error naming the key and an example.
pub(crate) fn required<'a, T>(
    value: &'a Option<Spanned<T>>,
    key: &str,
    example: &str,
) -> Result<&'a Spanned<T>, EntryError> {
    value
        .as_ref()
        .ok_or_else(|| (None, format!("missing `{key}`; add {example}")))
}

/// Returns a trimmed text value, or an error when it is blank.
pub(crate) fn non_empty(value: &Spanned<String>, key: &str) -> Result<String, EntryError> {
    let text = value.get_ref().trim();
    if text.is_empty() {
        return Err(at(value, format!("`{key}` is empty; write a value")));
    }
    Ok(text.to_owned())
}

pub(crate) fn at<T>(value: &Spanned<T>, message: String) -> EntryError {
    (Some(value.span().start), message)
}

/// Reads a date written as a TOML date (`2027-03-31`) or a string (`"2027-03-31"`).
pub(crate) fn date_value(value: &Spanned<toml::Value>) -> Result<Date, EntryError> {
    let invalid = || {
        at(
            value,
            "invalid date: write it as YYYY-MM-DD, for example 2027-03-31".to_owned(),
        )
    };
    match value.get_ref() {
        toml::Value::String(text) => parse_date(text).map_err(|message| at(value, message)),
        toml::Value::Datetime(datetime) => match (datetime.date, datetime.time, datetime.offset) {
            (Some(date), None, None) => jiff::civil::Date::new(
                i16::try_from(date.year).map_err(|_| invalid())?,
                i8::try_from(date.month).map_err(|_| invalid())?,
                i8::try_from(date.day).map_err(|_| invalid())?,
            )
            .map_err(|error| at(value, format!("invalid date: {error}"))),
            _ => Err(at(
                value,
                "expected a date without a time, such as 2027-03-31".to_owned(),
            )),
        },
        _ => Err(invalid()),
    }
}

/// Turns a TOML error into one line: its message, with the field list that serde gives
/// for unknown keys.
fn toml_message(error: &toml::de::Error) -> String {
    let message = error.message().trim().replace('\n', " ");
    if message.starts_with("unknown field") {
        format!("{message}; remove the key or fix its spelling")
    } else {
        message
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHECKS: &[&str] = &["NXF-AWS-S3-001", "NXF-AWS-S3-002"];

    fn today() -> Date {
        jiff::civil::date(2026, 6, 1)
    }

    fn parse_text(text: &str) -> Result<Config, ConfigError> {
        parse(Path::new("nexafi.toml"), text, CHECKS, today())
    }

    fn error_of(text: &str) -> ConfigError {
        match parse_text(text) {
            Ok(config) => panic!("expected an error, parsed {config:?}"),
            Err(error) => error,
        }
    }

    const VALID: &str = r#"
# Accepted risks.
[[waiver]]
check = "NXF-AWS-S3-001"
resource = "aws_s3_bucket.logs"
reason = "Public website assets"
owner = "web-team"
expires = 2027-03-31
ticket = "SEC-12"

[[waiver]]
check = "NXF-AWS-S3-*"
path = "legacy/**"
reason = "Decommissioned in Q3"
owner = "platform"
expires = "2026-09-30"
"#;

    #[test]
    fn waivers_parse() {
        let config = match parse_text(VALID) {
            Ok(config) => config,
            Err(error) => panic!("{error}"),
        };
        assert_eq!(config.waivers.len(), 2);
        let first = &config.waivers[0];
        assert_eq!(first.line, 3);
        assert_eq!(
            first.check,
            CheckPattern::Exact("NXF-AWS-S3-001".to_owned())
        );
        assert_eq!(first.target().as_deref(), Some("aws_s3_bucket.logs"));
        assert_eq!(first.expires, jiff::civil::date(2027, 3, 31));
        assert_eq!(first.ticket.as_deref(), Some("SEC-12"));
        let second = &config.waivers[1];
        assert_eq!(second.line, 11);
        assert_eq!(second.expires, jiff::civil::date(2026, 9, 30));
        assert_eq!(second.target().as_deref(), Some("legacy/**"));
    }

    #[test]
    fn missing_reason_names_line() {
        let error = error_of(
            "\n[[waiver]]\ncheck = \"NXF-AWS-S3-001\"\nowner = \"a\"\nexpires = 2027-01-01\n",
        );
        assert_eq!(error.line, 2);
        assert_eq!(
            error.message,
            "missing `reason`; add reason = \"why the risk is accepted\""
        );
    }

    #[test]
    fn missing_expiry_names_line() {
        let error =
            error_of("[[waiver]]\ncheck = \"NXF-AWS-S3-001\"\nreason = \"r\"\nowner = \"a\"\n");
        assert_eq!(error.line, 1);
        assert!(error.message.starts_with("missing `expires`"), "{error}");
    }

    #[test]
    fn bad_date_points_at_value() {
        let error = error_of(
            "[[waiver]]\ncheck = \"NXF-AWS-S3-001\"\nreason = \"r\"\nowner = \"a\"\nexpires = \"31/12/2027\"\n",
        );
        assert_eq!((error.line, error.column), (5, 11));
        assert!(error.message.contains("YYYY-MM-DD"), "{error}");
    }

    #[test]
    fn date_with_time_rejected() {
        let error = error_of(
            "[[waiver]]\ncheck = \"NXF-AWS-S3-001\"\nreason = \"r\"\nowner = \"a\"\nexpires = 2027-01-01T10:00:00\n",
        );
        assert_eq!(error.line, 5);
        assert!(error.message.contains("without a time"), "{error}");
    }

    #[test]
    fn unknown_key_rejected() {
        let error = error_of(
            "[[waiver]]\ncheck = \"NXF-AWS-S3-001\"\nreason = \"r\"\nowner = \"a\"\nexpires = 2027-01-01\nexpiry = 2027-01-01\n",
        );
        assert_eq!(error.line, 6);
        assert!(error.message.contains("unknown field `expiry`"), "{error}");
        assert!(error.message.contains("remove the key"), "{error}");
    }

    #[test]
    fn unknown_table_rejected() {
        let error = error_of("[[waivers]]\ncheck = \"NXF-AWS-S3-001\"\n");
        assert_eq!(error.line, 1);
        assert!(error.message.contains("unknown field `waivers`"), "{error}");
    }

    #[test]
    fn unknown_check_rejected() {
        let error = error_of(
            "[[waiver]]\ncheck = \"NXF-AWS-S3-404\"\nreason = \"r\"\nowner = \"a\"\nexpires = 2027-01-01\n",
        );
        assert_eq!((error.line, error.column), (2, 9));
        assert!(error.message.contains("unknown check id"), "{error}");
    }

    #[test]
    fn prefix_needs_target() {
        let error = error_of(
            "[[waiver]]\ncheck = \"NXF-AWS-S3-\"\nreason = \"r\"\nowner = \"a\"\nexpires = 2027-01-01\n",
        );
        assert!(
            error.message.contains("needs a resource or a path"),
            "{error}"
        );
    }

    #[test]
    fn blank_reason_rejected() {
        let error = error_of(
            "[[waiver]]\ncheck = \"NXF-AWS-S3-001\"\nreason = \"  \"\nowner = \"a\"\nexpires = 2027-01-01\n",
        );
        assert_eq!(error.line, 3);
        assert!(error.message.contains("`reason` is empty"), "{error}");
    }

    #[test]
    fn syntax_error_has_position() {
        let error = error_of("[[waiver]\n");
        assert_eq!(error.line, 1);
        assert!(!error.message.is_empty());
    }

    #[test]
    fn error_display_has_location() {
        let error = error_of(
            "[[waiver]]\ncheck = \"NXF-AWS-S3-001\"\nowner = \"a\"\nexpires = 2027-01-01\n",
        );
        assert_eq!(
            error.to_string(),
            "nexafi.toml:1:1: missing `reason`; add reason = \"why the risk is accepted\""
        );
    }

    #[test]
    fn empty_file_is_valid() {
        let config = parse_text("");
        assert!(config.is_ok_and(|config| config.waivers.is_empty()));
    }

    fn attestation_text(control: &str, date: &str, interval: i64) -> String {
        format!(
            "[[attestation]]\nframework = \"pci\"\ncontrol = \"{control}\"\nevidence = \"policy v3\"\nowner = \"ciso\"\ndate = {date}\nreview_interval_days = {interval}\n"
        )
    }

    #[test]
    fn attestation_due_and_overdue() {
        let text = attestation_text("12.10.1", "2025-06-01", 365);
        let config = match parse_text(&text) {
            Ok(config) => config,
            Err(error) => panic!("{error}"),
        };
        let entry = &config.attestations[0];
        assert_eq!(entry.framework, "pci_dss");
        assert_eq!(entry.control, "12.10.1");
        assert_eq!(entry.attestation.due, "2026-06-01");
        assert!(!entry.attestation.overdue, "due today is not overdue");

        let late = parse_text(&attestation_text("12.10.1", "2025-05-31", 365));
        assert!(late.is_ok_and(|config| config.attestations[0].attestation.overdue));
    }

    #[test]
    fn attestation_in_future_rejected() {
        let error = error_of(&attestation_text("12.10.1", "2026-06-02", 365));
        assert_eq!(error.line, 6);
        assert!(error.message.contains("is in the future"), "{error}");
    }

    #[test]
    fn attestation_interval_checked() {
        let error = error_of(&attestation_text("12.10.1", "2026-01-01", 0));
        assert_eq!(error.line, 7);
        assert!(error.message.contains("between 1 and 3660"), "{error}");
    }

    #[test]
    fn attestation_twice_rejected() {
        let text = attestation_text("12.10.1", "2026-01-01", 365)
            + "\n"
            + &attestation_text("12.10.1", "2026-02-01", 365);
        let error = error_of(&text);
        assert_eq!(error.line, 9);
        assert!(error.message.contains("attested twice"), "{error}");
    }

    #[test]
    fn attestation_missing_owner() {
        let text = attestation_text("12.10.1", "2026-01-01", 365).replace("owner = \"ciso\"\n", "");
        let error = error_of(&text);
        assert_eq!(error.line, 1);
        assert!(error.message.starts_with("missing `owner`"), "{error}");
    }

    #[test]
    fn locate_prefers_explicit() {
        let dir = tempfile::tempdir();
        let Ok(dir) = dir else { panic!("no temp dir") };
        let missing = dir.path().join("absent.toml");
        let error = locate(Some(&missing), &[dir.path().to_path_buf()]);
        assert!(error.is_err_and(|error| error.message.contains("--config")));

        assert_eq!(locate(None, &[dir.path().to_path_buf()]), Ok(None));
        let file = dir.path().join(CONFIG_FILE_NAME);
        assert!(std::fs::write(&file, "").is_ok());
        let found = locate(None, &[dir.path().to_path_buf()]);
        assert!(
            found.is_ok_and(|found| found.is_some_and(|found| found.ends_with(CONFIG_FILE_NAME)))
        );
    }
}
