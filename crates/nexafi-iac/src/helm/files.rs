//! `.Files`: the chart's files that are neither templates nor chart metadata.

use std::collections::BTreeMap;
use std::rc::Rc;

use base64::Engine as _;
use globset::GlobBuilder;

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
    /// directory and `**` crosses directories.
    pub fn glob(&self, pattern: &str) -> Result<Files, String> {
        let matcher = GlobBuilder::new(pattern)
            .literal_separator(true)
            .build()
            .map_err(|error| format!("invalid glob {pattern:?}: {error}"))?
            .compile_matcher();
        let entries = self
            .entries
            .iter()
            .filter(|(name, _)| matcher.is_match(name.as_str()))
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

fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}
