//! Inline suppressions: `nexafi:ignore` comments in the scanned files.
//!
//! A comment of the form
//!
//! ```text
//! # nexafi:ignore NXF-AWS-S3-001 reason="public website" expires=2027-03-31 owner=web ticket=SEC-12
//! ```
//!
//! applies to the resource whose lines contain it, or to the resource that starts
//! directly below the block of comment lines it belongs to (no blank line in between).
//! Terraform accepts `#` and `//` comments, whole-line or after code. YAML accepts `#`
//! comments, whole-line or after a value. Dockerfiles accept whole-line `#` comments
//! only, because Docker reads `#` as a comment only at the start of a line. JSON files
//! have no comments. The synthetic `root` resource of a Terraform module has no lines of
//! its own, so whole-module checks are waived in `nexafi.toml` instead.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use nexafi_model::{FileId, Model, SourceFile, SuppressionKind, TERRAFORM_ROOT_KIND};

use crate::config::ConfigError;
use crate::discover::{FileKind, classify};
use crate::waiver::{CheckPattern, Waiver, parse_date};

/// The marker that starts an inline suppression inside a comment.
const DIRECTIVE: &str = "nexafi:ignore";

/// Every inline suppression of a scan and the resources each one applies to.
#[derive(Debug, Default)]
pub struct InlineWaivers {
    /// In file and line order; a comment naming several checks gives one entry per check.
    pub waivers: Vec<Waiver>,
    /// For each resource of the model, by index, the indexes in `waivers` that apply.
    pub by_resource: Vec<Vec<usize>>,
}

/// Comment syntax of a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Syntax {
    /// `#` and `//`, whole-line or trailing.
    Terraform,
    /// `#`, whole-line or trailing.
    Yaml,
    /// `#` at the start of a line only.
    Dockerfile,
}

impl Syntax {
    fn of(path: &Path) -> Option<Self> {
        let name = path.file_name()?.to_str()?.to_ascii_lowercase();
        if name.ends_with(".json") {
            return None;
        }
        match classify(path)? {
            FileKind::Terraform => Some(Syntax::Terraform),
            FileKind::Manifest => Some(Syntax::Yaml),
            FileKind::Dockerfile => Some(Syntax::Dockerfile),
        }
    }

    /// Returns true when the line contains only a comment.
    fn is_comment_line(self, line: &str) -> bool {
        let trimmed = line.trim_start();
        match self {
            Syntax::Terraform => trimmed.starts_with('#') || trimmed.starts_with("//"),
            Syntax::Yaml | Syntax::Dockerfile => trimmed.starts_with('#'),
        }
    }

    /// Finds the byte offset of the text after `nexafi:ignore` when the line has the
    /// directive inside a comment.
    fn directive(self, line: &str) -> Option<usize> {
        let start = line.find(DIRECTIVE)?;
        let after = start + DIRECTIVE.len();
        if line[after..]
            .chars()
            .next()
            .is_some_and(|c| !c.is_whitespace())
        {
            return None;
        }
        let before = line[..start].trim_end();
        let in_comment = match self {
            Syntax::Terraform => before.ends_with('#') || before.ends_with("//"),
            Syntax::Yaml => before.ends_with('#'),
            Syntax::Dockerfile => {
                let marker = before.trim_start();
                !marker.is_empty() && marker.chars().all(|c| c == '#')
            }
        };
        in_comment.then_some(after)
    }
}

/// Finds every `nexafi:ignore` comment in the files of `model` and the resources each
/// applies to. `checks` are the valid check ids.
///
/// A file loaded twice (a module called twice) is read once. A malformed comment, or
/// one without `reason` or `expires`, is an error at its file and line.
pub fn collect(model: &Model, checks: &[&str]) -> Result<InlineWaivers, ConfigError> {
    let mut waivers = Vec::new();
    // Path to the indexes in `waivers` of the suppressions declared in that file.
    let mut by_path: HashMap<PathBuf, Vec<usize>> = HashMap::new();
    for index in 0..model.sources.len() {
        let id = FileId(u32::try_from(index).unwrap_or(u32::MAX));
        let Some(file) = model.sources.get(id) else {
            continue;
        };
        if model.sources.find(&file.path) != Some(id) {
            continue;
        }
        let Some(syntax) = Syntax::of(&file.path) else {
            continue;
        };
        for (line_index, line) in file.text.lines().enumerate() {
            let Some(offset) = syntax.directive(line) else {
                continue;
            };
            let line_number = u32::try_from(line_index + 1).unwrap_or(u32::MAX);
            let parsed = parse_directive(&file, line_number, line, offset, checks)?;
            let entry = by_path.entry(file.path.clone()).or_default();
            for waiver in parsed {
                entry.push(waivers.len());
                waivers.push(waiver);
            }
        }
    }

    let mut by_resource = vec![Vec::new(); model.resources.len()];
    if waivers.is_empty() {
        return Ok(InlineWaivers {
            waivers,
            by_resource,
        });
    }
    for (index, resource) in model.resources.iter().enumerate() {
        if resource.kind == TERRAFORM_ROOT_KIND {
            continue;
        }
        let Some(file) = model.sources.get(resource.span.file) else {
            continue;
        };
        let Some(declared) = by_path.get(&file.path) else {
            continue;
        };
        let Some(syntax) = Syntax::of(&file.path) else {
            continue;
        };
        let first = file.line_column(resource.span.start).line;
        let last = file.line_column(resource.span.end).line;
        let mut above = first;
        while above > 1 && syntax.is_comment_line(file.line_text(above - 1)) {
            above -= 1;
        }
        by_resource[index] = declared
            .iter()
            .copied()
            .filter(|waiver| (above..=last).contains(&waivers[*waiver].line))
            .collect();
    }
    Ok(InlineWaivers {
        waivers,
        by_resource,
    })
}

/// Parses the text after `nexafi:ignore` on one line into one waiver per named check.
fn parse_directive(
    file: &SourceFile,
    line_number: u32,
    line: &str,
    offset: usize,
    checks: &[&str],
) -> Result<Vec<Waiver>, ConfigError> {
    let error = |at: usize, message: String| ConfigError {
        path: file.path.clone(),
        line: line_number,
        column: u32::try_from(line[..at.min(line.len())].chars().count() + 1).unwrap_or(u32::MAX),
        message,
    };
    let directive_column = offset - DIRECTIVE.len();
    let mut cursor = Cursor {
        line,
        position: offset,
    };

    cursor.skip_whitespace();
    let checks_at = cursor.position;
    let check_list = cursor.word();
    if check_list.is_empty() || check_list.contains('=') {
        return Err(error(
            checks_at,
            format!(
                "{DIRECTIVE} needs a check id first, as in `{DIRECTIVE} NXF-AWS-S3-001 reason=\"...\" expires=2027-03-31`"
            ),
        ));
    }

    let mut fields: HashMap<&str, String> = HashMap::new();
    loop {
        cursor.skip_whitespace();
        if cursor.at_end() {
            break;
        }
        let key_at = cursor.position;
        let key = cursor.key();
        if !cursor.eat('=') {
            return Err(error(
                key_at,
                format!(
                    "expected key=value after the check id, found {:?}; quote values with spaces, as in reason=\"two words\"",
                    cursor.word_from(key_at)
                ),
            ));
        }
        if !matches!(key, "reason" | "expires" | "owner" | "ticket") {
            return Err(error(
                key_at,
                format!("unknown key {key:?}; the keys are reason, expires, owner and ticket"),
            ));
        }
        let value = cursor.value().map_err(|message| error(key_at, message))?;
        if fields.insert(key, value).is_some() {
            return Err(error(key_at, format!("`{key}` is given twice; keep one")));
        }
    }

    let Some(reason) = fields
        .remove("reason")
        .filter(|text| !text.trim().is_empty())
    else {
        return Err(error(
            directive_column,
            format!("{DIRECTIVE} is missing `reason`; add reason=\"why the risk is accepted\""),
        ));
    };
    let Some(expires) = fields.remove("expires") else {
        return Err(error(
            directive_column,
            format!("{DIRECTIVE} is missing `expires`; add expires=YYYY-MM-DD"),
        ));
    };
    let expires = parse_date(&expires).map_err(|message| error(directive_column, message))?;
    let owner = fields
        .remove("owner")
        .filter(|text| !text.trim().is_empty());
    let ticket = fields
        .remove("ticket")
        .filter(|text| !text.trim().is_empty());

    check_list
        .split(',')
        .map(|check| {
            let pattern =
                CheckPattern::parse(check, checks).map_err(|message| error(checks_at, message))?;
            Ok(Waiver {
                kind: SuppressionKind::Inline,
                file: file.path.display().to_string(),
                line: line_number,
                check: pattern,
                check_text: check.trim().to_owned(),
                resource: None,
                path: None,
                reason: reason.trim().to_owned(),
                owner: owner.clone(),
                expires,
                ticket: ticket.clone(),
            })
        })
        .collect()
}

/// A position in one line of a directive.
struct Cursor<'a> {
    line: &'a str,
    position: usize,
}

impl<'a> Cursor<'a> {
    fn rest(&self) -> &'a str {
        &self.line[self.position..]
    }

    fn at_end(&self) -> bool {
        self.rest().is_empty()
    }

    fn skip_whitespace(&mut self) {
        let rest = self.rest();
        self.position += rest.len() - rest.trim_start().len();
    }

    fn eat(&mut self, expected: char) -> bool {
        if self.rest().starts_with(expected) {
            self.position += expected.len_utf8();
            true
        } else {
            false
        }
    }

    /// Reads up to the next whitespace.
    fn word(&mut self) -> &'a str {
        let rest = self.rest();
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        self.position += end;
        &rest[..end]
    }

    /// Returns the word that starts at `start`, for error messages.
    fn word_from(&self, start: usize) -> &'a str {
        let rest = &self.line[start..];
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        &rest[..end]
    }

    /// Reads a key: up to `=` or whitespace.
    fn key(&mut self) -> &'a str {
        let rest = self.rest();
        let end = rest
            .find(|c: char| c == '=' || c.is_whitespace())
            .unwrap_or(rest.len());
        self.position += end;
        &rest[..end]
    }

    /// Reads a value: a double-quoted string with `\"` and `\\` escapes, or a bare word.
    fn value(&mut self) -> Result<String, String> {
        if !self.eat('"') {
            return Ok(self.word().to_owned());
        }
        let mut value = String::new();
        let mut chars = self.rest().char_indices();
        while let Some((index, c)) = chars.next() {
            match c {
                '"' => {
                    self.position += index + 1;
                    return Ok(value);
                }
                '\\' => match chars.next() {
                    Some((_, escaped)) => value.push(escaped),
                    None => break,
                },
                other => value.push(other),
            }
        }
        Err("the quoted value has no closing `\"`".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHECKS: &[&str] = &["NXF-AWS-S3-001", "NXF-AWS-S3-002", "NXF-K8S-POD-001"];

    fn parse_line(line: &str, syntax: Syntax) -> Result<Vec<Waiver>, ConfigError> {
        let file = SourceFile::new(PathBuf::from("main.tf"), line.to_owned());
        let Some(offset) = syntax.directive(line) else {
            panic!("no directive found in {line:?}");
        };
        parse_directive(&file, 7, line, offset, CHECKS)
    }

    #[test]
    fn directive_in_comments() {
        let tf = Syntax::Terraform;
        assert!(tf.directive("# nexafi:ignore X").is_some());
        assert!(tf.directive("  // nexafi:ignore X").is_some());
        assert!(tf.directive("acl = \"public\" # nexafi:ignore X").is_some());
        assert!(tf.directive("name = \"nexafi:ignore\"").is_none());
        assert!(tf.directive("# nexafi:ignored X").is_none());

        let yaml = Syntax::Yaml;
        assert!(
            yaml.directive("privileged: true  # nexafi:ignore X")
                .is_some()
        );
        assert!(yaml.directive("// nexafi:ignore X").is_none());

        let docker = Syntax::Dockerfile;
        assert!(docker.directive("# nexafi:ignore X").is_some());
        assert!(docker.directive("## nexafi:ignore X").is_some());
        assert!(docker.directive("RUN make # nexafi:ignore X").is_none());
    }

    #[test]
    fn directive_fields() {
        let parsed = parse_line(
            "# nexafi:ignore NXF-AWS-S3-001 reason=\"public \\\"site\\\" assets\" expires=2027-03-31 owner=web ticket=SEC-12",
            Syntax::Terraform,
        );
        let waivers = match parsed {
            Ok(waivers) => waivers,
            Err(error) => panic!("{error}"),
        };
        assert_eq!(waivers.len(), 1);
        let waiver = &waivers[0];
        assert_eq!(waiver.kind, SuppressionKind::Inline);
        assert_eq!(waiver.line, 7);
        assert_eq!(waiver.reason, "public \"site\" assets");
        assert_eq!(waiver.expires, jiff::civil::date(2027, 3, 31));
        assert_eq!(waiver.owner.as_deref(), Some("web"));
        assert_eq!(waiver.ticket.as_deref(), Some("SEC-12"));
    }

    #[test]
    fn directive_several_checks() {
        let parsed = parse_line(
            "# nexafi:ignore NXF-AWS-S3-001,NXF-AWS-S3-002 reason=r expires=2027-03-31",
            Syntax::Terraform,
        );
        let checks: Vec<String> = parsed
            .map(|waivers| waivers.into_iter().map(|w| w.check_text).collect())
            .unwrap_or_default();
        assert_eq!(checks, vec!["NXF-AWS-S3-001", "NXF-AWS-S3-002"]);
    }

    #[test]
    fn directive_missing_reason() {
        let error = parse_line(
            "  # nexafi:ignore NXF-AWS-S3-001 expires=2027-03-31",
            Syntax::Terraform,
        );
        let Err(error) = error else {
            panic!("accepted")
        };
        assert_eq!((error.line, error.column), (7, 5));
        assert!(error.message.contains("missing `reason`"), "{error}");
    }

    #[test]
    fn directive_missing_expiry() {
        let error = parse_line("# nexafi:ignore NXF-AWS-S3-001 reason=r", Syntax::Yaml);
        assert!(error.is_err_and(|error| error.message.contains("missing `expires`")));
    }

    #[test]
    fn directive_rejects_unknown_key() {
        let error = parse_line(
            "# nexafi:ignore NXF-AWS-S3-001 reason=r expires=2027-03-31 until=2028-01-01",
            Syntax::Terraform,
        );
        assert!(error.is_err_and(|error| error.message.contains("unknown key \"until\"")));
    }

    #[test]
    fn directive_rejects_unquoted_words() {
        let error = parse_line(
            "# nexafi:ignore NXF-AWS-S3-001 reason=two words expires=2027-03-31",
            Syntax::Terraform,
        );
        assert!(error.is_err_and(|error| error.message.contains("quote values")));
    }

    #[test]
    fn directive_needs_check() {
        let error = parse_line(
            "# nexafi:ignore reason=r expires=2027-03-31",
            Syntax::Terraform,
        );
        assert!(error.is_err_and(|error| error.message.contains("needs a check id")));
    }

    #[test]
    fn directive_unclosed_quote() {
        let error = parse_line(
            "# nexafi:ignore NXF-AWS-S3-001 reason=\"open expires=2027-03-31",
            Syntax::Terraform,
        );
        assert!(error.is_err_and(|error| error.message.contains("no closing")));
    }
}
