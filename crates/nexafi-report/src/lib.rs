//! Renderers of a [`ScanResult`](nexafi_model::ScanResult), one per file.
//!
//! [`render_human`] writes compiler-style code frames and per-framework tables for a
//! terminal, and [`render_json`] writes the versioned JSON report described in
//! `docs/json-report.md`. [`render_sarif`], [`render_junit`], [`render_oscal`],
//! [`render_markdown`] and [`render_html`] write the formats of `docs/reports.md`.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use nexafi_model::Finding;

mod frame;
mod html;
mod human;
mod json;
mod junit;
mod markdown;
mod oscal;
mod sarif;

pub use html::render_html;
pub use human::{HumanOptions, render_human};
pub use json::render_json;
pub use junit::render_junit;
pub use markdown::render_markdown;
pub use oscal::render_oscal;
pub use sarif::render_sarif;

/// Serializes a report document as pretty-printed JSON ending with a newline.
///
/// The report types have only string map keys, and serde_json writes non-finite floats as
/// null, so no error is expected. The fallback still writes a valid JSON object naming the
/// error.
fn to_pretty_json(document: &impl serde::Serialize) -> String {
    let mut text = serde_json::to_string_pretty(document).unwrap_or_else(|error| {
        serde_json::json!({ "error": format!("failed to serialize the report: {error}") })
            .to_string()
    });
    text.push('\n');
    text
}

/// Orders findings by file, line and column, then by check id and resource so that the
/// order is total.
fn by_location(left: &&Finding, right: &&Finding) -> Ordering {
    fn key(finding: &Finding) -> (&str, u32, u32, &str, &str) {
        (
            &finding.file,
            finding.line,
            finding.column,
            &finding.check_id,
            &finding.resource,
        )
    }
    key(left).cmp(&key(right))
}

/// An output format of `--format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    Human,
    Json,
}

impl Format {
    pub const ALL: [Format; 2] = [Format::Human, Format::Json];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Human => "human",
            Format::Json => "json",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl FromStr for Format {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Format::ALL
            .into_iter()
            .find(|format| format.as_str().eq_ignore_ascii_case(text.trim()))
            .ok_or_else(|| format!("invalid format {text:?}: expected human or json"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_parses_any_case() {
        assert_eq!("json".parse::<Format>(), Ok(Format::Json));
        assert_eq!("Human".parse::<Format>(), Ok(Format::Human));
    }

    #[test]
    fn format_rejects_unknown() {
        let error = "sarif".parse::<Format>().err().unwrap_or_default();
        assert_eq!(error, "invalid format \"sarif\": expected human or json");
    }

    #[test]
    fn format_round_trips() {
        for format in Format::ALL {
            assert_eq!(format.to_string().parse::<Format>(), Ok(format));
        }
    }
}
