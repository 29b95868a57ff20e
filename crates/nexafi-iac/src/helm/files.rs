//! `.Files`: the chart's files that are neither templates nor chart metadata.

use std::collections::BTreeMap;
use std::rc::Rc;

use base64::Engine as _;

use super::value::Value;
use super::yaml::to_yaml;

/// Files of one chart, by path relative to the chart root with `/` separators.
#[derive(Clone, Debug, Default)]
pub struct Files {
    entries: BTreeMap<String, Rc<[u8]>>,
}

impl Files {
    pub fn new(entries: BTreeMap<String, Rc<[u8]>>) -> Self {
        Self { entries }
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn names(&self) -> Vec<String> {
        self.entries.keys().cloned().collect()
    }

    /// `.Files.Get`: the file as text, or an empty string when it does not exist.
    pub fn get(&self, name: &str) -> String {
        self.entries
            .get(name)
            .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
            .unwrap_or_default()
    }

    /// `.Files.Glob`: the files whose path matches a glob, where `*` stays within one
    /// directory and `**` crosses directories anywhere in the pattern (`**.pem`), as in
    /// the glob library Helm uses.
    pub fn glob(&self, pattern: &str) -> Result<Files, String> {
        let matcher = glob_regex(pattern)?;
        let entries = self
            .entries
            .iter()
            .filter(|(name, _)| matcher.is_match(name))
            .map(|(name, bytes)| (name.clone(), Rc::clone(bytes)))
            .collect();
        Ok(Files { entries })
    }

    /// `.AsConfig`: YAML of file base name to content, for the `data` of a ConfigMap.
    pub fn as_config(&self) -> String {
        let entries = self
            .entries
            .iter()
            .map(|(name, bytes)| {
                (
                    base_name(name).to_owned(),
                    Value::string(String::from_utf8_lossy(bytes).as_ref()),
                )
            })
            .collect();
        to_yaml(&Value::map(entries)).unwrap_or_default()
    }

    /// `.AsSecrets`: YAML of file base name to base64 content, for the `data` of a Secret.
    pub fn as_secrets(&self) -> String {
        let entries = self
            .entries
            .iter()
            .map(|(name, bytes)| {
                (
                    base_name(name).to_owned(),
                    Value::string(base64::engine::general_purpose::STANDARD.encode(bytes)),
                )
            })
            .collect();
        to_yaml(&Value::map(entries)).unwrap_or_default()
    }

    /// `.Files.Lines`: the lines of a file without their line breaks; a final line break
    /// does not start another line.
    pub fn lines(&self, name: &str) -> Vec<Value> {
        let text = self.get(name);
        if text.is_empty() {
            return Vec::new();
        }
        let text = text.strip_suffix('\n').unwrap_or(&text);
        text.split('\n').map(Value::string).collect()
    }
}

/// Translates a glob to an anchored regular expression: `**` is any text, `*` and `?`
/// stop at `/`, and `[...]` (with `!` to negate) and `{a,b}` keep their meaning.
pub(crate) fn glob_regex(pattern: &str) -> Result<regex::Regex, String> {
    let mut out = String::from("^");
    let mut chars = pattern.chars().peekable();
    let mut alternatives = 0usize;
    while let Some(c) = chars.next() {
        match c {
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
                out.push_str(".*");
            }
            '*' => out.push_str("[^/]*"),
            '?' => out.push_str("[^/]"),
            '[' => {
                out.push('[');
                if chars.peek() == Some(&'!') {
                    chars.next();
                    out.push('^');
                }
                for inner in chars.by_ref() {
                    if inner == ']' {
                        break;
                    }
                    if inner == '\\' || inner == '[' {
                        out.push('\\');
                    }
                    out.push(inner);
                }
                out.push(']');
            }
            '{' => {
                alternatives += 1;
                out.push_str("(?:");
            }
            '}' if alternatives > 0 => {
                alternatives -= 1;
                out.push(')');
            }
            ',' if alternatives > 0 => out.push('|'),
            '\\' => {
                if let Some(escaped) = chars.next() {
                    out.push_str(&regex::escape(&escaped.to_string()));
                }
            }
            other => out.push_str(&regex::escape(&other.to_string())),
        }
    }
    out.push('$');
    regex::Regex::new(&out).map_err(|error| format!("invalid glob {pattern:?}: {error}"))
}

fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}
