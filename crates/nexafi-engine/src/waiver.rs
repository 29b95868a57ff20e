//! Waivers: declarations that accept the risk of matching findings until an expiry date.
//!
//! A waiver comes from a `[[waiver]]` entry of `nexafi.toml` or from a `nexafi:ignore`
//! comment in a scanned file. Both become a [`Waiver`], and only the way they select
//! findings differs.

use std::path::Path;

use globset::{GlobBuilder, GlobMatcher};
use jiff::civil::Date;
use nexafi_model::{Suppression, SuppressionKind, strip_instance_key};

/// Prefix of the ids of built-in checks and of the engine's own findings.
const BUILT_IN_PREFIX: &str = "NXF-";

/// The check ids a waiver names: one id, or every id that starts with a prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckPattern {
    Exact(String),
    /// Every id starting with the text; the empty prefix (`*`) matches every check.
    Prefix(String),
}

impl CheckPattern {
    /// Parses `NXF-AWS-S3-001`, `NXF-AWS-S3-` or `NXF-AWS-S3-*`.
    ///
    /// `known` is the list of check ids of this scan. A pattern in the built-in `NXF-`
    /// namespace must match one of them, so a typo is reported instead of silently
    /// matching nothing. Other patterns name custom policies, which a run may not load
    /// (`--policy` is per run), so they are accepted and reported as unused instead.
    pub fn parse(text: &str, known: &[&str]) -> Result<Self, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err(
                "the check is empty; name a check id such as NXF-AWS-S3-001 or a prefix such as NXF-AWS-S3-*"
                    .to_owned(),
            );
        }
        let pattern = match text.strip_suffix('*') {
            Some(prefix) => CheckPattern::Prefix(prefix.to_owned()),
            None if text.ends_with('-') => CheckPattern::Prefix(text.to_owned()),
            None => CheckPattern::Exact(text.to_owned()),
        };
        if let CheckPattern::Prefix(prefix) = &pattern
            && prefix.contains('*')
        {
            return Err(format!(
                "invalid check pattern {text:?}: `*` is allowed only at the end"
            ));
        }
        let built_in = text.starts_with(BUILT_IN_PREFIX);
        if built_in && !known.iter().any(|id| pattern.matches(id)) {
            return Err(match &pattern {
                CheckPattern::Exact(_) => {
                    format!("unknown check id {text:?}; run `nexafi checks list` for the valid ids")
                }
                CheckPattern::Prefix(_) => format!(
                    "the check prefix {text:?} matches no check; run `nexafi checks list` for the valid ids"
                ),
            });
        }
        Ok(pattern)
    }

    pub fn matches(&self, check_id: &str) -> bool {
        match self {
            CheckPattern::Exact(id) => id == check_id,
            CheckPattern::Prefix(prefix) => check_id.starts_with(prefix.as_str()),
        }
    }

    pub fn is_exact(&self) -> bool {
        matches!(self, CheckPattern::Exact(_))
    }
}

/// A resource address pattern of a `[[waiver]]` entry.
///
/// `*` matches any run of characters and every other character matches itself, so the
/// brackets and quotes of instance keys need no escaping. A pattern without `*` and
/// without an instance key also matches every instance: `aws_s3_bucket.logs` matches
/// `aws_s3_bucket.logs[0]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourcePattern(pub String);

impl ResourcePattern {
    pub fn matches(&self, address: &str) -> bool {
        let pattern = self.0.as_str();
        if !pattern.contains('*') {
            return address == pattern || strip_instance_key(address) == pattern;
        }
        wildcard_match(pattern, address)
    }
}

/// Matches `text` against `pattern`, where `*` stands for any run of characters.
fn wildcard_match(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let middle: Vec<&str> = parts.collect();
    let Some((last, inner)) = middle.split_last() else {
        // No `*` at all: the whole text must equal the pattern.
        return rest.is_empty();
    };
    for part in inner {
        match rest.find(part) {
            Some(index) => rest = &rest[index + part.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

/// A path glob of a `[[waiver]]` entry, matched against paths relative to the directory
/// of `nexafi.toml`, with `/` as separator. `*` stays within one directory and `**`
/// crosses directories.
#[derive(Clone, Debug)]
pub struct PathPattern {
    pub text: String,
    matcher: GlobMatcher,
}

impl PathPattern {
    pub fn parse(text: &str) -> Result<Self, String> {
        let glob = GlobBuilder::new(text)
            .literal_separator(true)
            .build()
            .map_err(|error| format!("invalid path glob {text:?}: {}", error.kind()))?;
        Ok(Self {
            text: text.to_owned(),
            matcher: glob.compile_matcher(),
        })
    }

    pub fn matches(&self, relative: &Path) -> bool {
        self.matcher.is_match(relative)
    }
}

/// A declared waiver, from `nexafi.toml` or from an inline comment.
#[derive(Clone, Debug)]
pub struct Waiver {
    pub kind: SuppressionKind,
    /// File that declares it, as shown to the user.
    pub file: String,
    /// Line of the declaration, 1-based.
    pub line: u32,
    pub check: CheckPattern,
    /// The check as written, for reports.
    pub check_text: String,
    /// Only for `[[waiver]]` entries: the resources it is limited to.
    pub resource: Option<ResourcePattern>,
    /// Only for `[[waiver]]` entries: the files it is limited to.
    pub path: Option<PathPattern>,
    pub reason: String,
    pub owner: Option<String>,
    /// Last day the waiver applies.
    pub expires: Date,
    pub ticket: Option<String>,
}

impl Waiver {
    /// Returns true when `today` is after the last day the waiver applies.
    pub fn is_expired(&self, today: Date) -> bool {
        today > self.expires
    }

    /// Describes the waiver's limits for reports: the resource pattern, the path glob,
    /// or both joined by ` in `.
    pub fn target(&self) -> Option<String> {
        match (&self.resource, &self.path) {
            (Some(resource), Some(path)) => Some(format!("{} in {}", resource.0, path.text)),
            (Some(resource), None) => Some(resource.0.clone()),
            (None, Some(path)) => Some(path.text.clone()),
            (None, None) => None,
        }
    }

    pub fn suppression(&self, today: Date) -> Suppression {
        Suppression {
            kind: self.kind,
            file: self.file.clone(),
            line: self.line,
            reason: self.reason.clone(),
            owner: self.owner.clone(),
            expires: Some(self.expires.to_string()),
            ticket: self.ticket.clone(),
            accepted: None,
            expired: self.is_expired(today),
        }
    }
}

/// Parses a calendar date written `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Result<Date, String> {
    let bytes = text.as_bytes();
    let shaped = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(index, byte)| index == 4 || index == 7 || byte.is_ascii_digit());
    if !shaped {
        return Err(format!(
            "invalid date {text:?}: write it as YYYY-MM-DD, for example 2027-03-31"
        ));
    }
    text.parse::<Date>()
        .map_err(|error| format!("invalid date {text:?}: {error}"))
}

/// Returns the current date in UTC, the calendar that expiry and review dates use.
pub fn today_utc() -> Date {
    jiff::tz::TimeZone::UTC
        .to_datetime(jiff::Timestamp::now())
        .date()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: &[&str] = &["NXF-AWS-S3-001", "NXF-AWS-S3-002", "NXF-K8S-POD-001"];

    #[test]
    fn check_pattern_forms() {
        assert_eq!(
            CheckPattern::parse("NXF-AWS-S3-001", KNOWN),
            Ok(CheckPattern::Exact("NXF-AWS-S3-001".to_owned()))
        );
        assert_eq!(
            CheckPattern::parse("NXF-AWS-S3-", KNOWN),
            Ok(CheckPattern::Prefix("NXF-AWS-S3-".to_owned()))
        );
        assert_eq!(
            CheckPattern::parse("NXF-AWS-S3-*", KNOWN),
            Ok(CheckPattern::Prefix("NXF-AWS-S3-".to_owned()))
        );
        assert_eq!(
            CheckPattern::parse("*", KNOWN),
            Ok(CheckPattern::Prefix(String::new()))
        );
    }

    #[test]
    fn check_pattern_rejects_unknown() {
        let exact = CheckPattern::parse("NXF-AWS-S3-999", KNOWN);
        assert!(exact.is_err_and(|error| error.contains("unknown check id")));
        let prefix = CheckPattern::parse("NXF-GCP-*", KNOWN);
        assert!(prefix.is_err_and(|error| error.contains("matches no check")));
        let inner = CheckPattern::parse("NXF-*-001*", KNOWN);
        assert!(inner.is_err_and(|error| error.contains("only at the end")));
    }

    #[test]
    fn check_pattern_accepts_policy_ids() {
        assert_eq!(
            CheckPattern::parse("ACME-IMG-001", KNOWN),
            Ok(CheckPattern::Exact("ACME-IMG-001".to_owned()))
        );
        assert_eq!(
            CheckPattern::parse("ACME-*", KNOWN),
            Ok(CheckPattern::Prefix("ACME-".to_owned()))
        );
    }

    #[test]
    fn resource_pattern_instances() {
        let base = ResourcePattern("aws_s3_bucket.logs".to_owned());
        assert!(base.matches("aws_s3_bucket.logs"));
        assert!(base.matches("aws_s3_bucket.logs[0]"));
        assert!(base.matches("aws_s3_bucket.logs[\"eu\"]"));
        assert!(!base.matches("aws_s3_bucket.logs_old"));

        let one = ResourcePattern("aws_s3_bucket.logs[1]".to_owned());
        assert!(one.matches("aws_s3_bucket.logs[1]"));
        assert!(!one.matches("aws_s3_bucket.logs[0]"));
    }

    #[test]
    fn resource_pattern_wildcards() {
        let module = ResourcePattern("module.audit[*].aws_s3_bucket.this".to_owned());
        assert!(module.matches("module.audit[0].aws_s3_bucket.this"));
        assert!(module.matches("module.audit[\"eu\"].aws_s3_bucket.this"));
        assert!(!module.matches("module.audit[0].aws_s3_bucket.other"));

        let namespace = ResourcePattern("apps/v1/Deployment/payments/*".to_owned());
        assert!(namespace.matches("apps/v1/Deployment/payments/ledger"));
        assert!(!namespace.matches("apps/v1/Deployment/default/ledger"));

        let middle = ResourcePattern("aws_*_bucket.*s".to_owned());
        assert!(middle.matches("aws_s3_bucket.logs"));
        assert!(!middle.matches("aws_s3_bucket.log"));
    }

    #[test]
    fn path_pattern_separators() {
        let Ok(shallow) = PathPattern::parse("legacy/*.tf") else {
            panic!("legacy/*.tf rejected")
        };
        let Ok(deep) = PathPattern::parse("legacy/**") else {
            panic!("legacy/** rejected")
        };
        assert!(shallow.matches(Path::new("legacy/main.tf")));
        assert!(!shallow.matches(Path::new("legacy/modules/main.tf")));
        assert!(deep.matches(Path::new("legacy/modules/main.tf")));
    }

    #[test]
    fn path_pattern_rejects_bad_glob() {
        let error = PathPattern::parse("legacy/[a");
        assert!(error.is_err_and(|message| message.starts_with("invalid path glob")));
    }

    #[test]
    fn date_parses_iso_form() {
        assert_eq!(parse_date("2027-03-31"), Ok(jiff::civil::date(2027, 3, 31)));
        assert!(parse_date("2027-02-30").is_err());
        assert!(parse_date("31/03/2027").is_err());
        assert!(parse_date("20270331").is_err());
    }

    #[test]
    fn expiry_includes_last_day() {
        let waiver = Waiver {
            kind: SuppressionKind::Waiver,
            file: "nexafi.toml".to_owned(),
            line: 1,
            check: CheckPattern::Exact("NXF-AWS-S3-001".to_owned()),
            check_text: "NXF-AWS-S3-001".to_owned(),
            resource: None,
            path: None,
            reason: "r".to_owned(),
            owner: None,
            expires: jiff::civil::date(2027, 3, 31),
            ticket: None,
        };
        assert!(!waiver.is_expired(jiff::civil::date(2027, 3, 31)));
        assert!(waiver.is_expired(jiff::civil::date(2027, 4, 1)));
    }
}
