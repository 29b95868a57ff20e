//! Document paths of findings in JSON and YAML files, as in `$.payments[3].card`.
//!
//! The file is scanned as text first. Only a file with findings is parsed, and each
//! finding gets the path of the innermost scalar (value or key) that contains its first
//! byte. A file that does not parse keeps the paths found before the syntax error.

use std::path::Path;

use saphyr_parser::{Event, Parser};

use crate::finding::Finding;

/// Deepest nesting followed; deeper values get no path.
const MAX_DEPTH: usize = 256;

/// Structured formats whose findings get document paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    Json,
    Yaml,
}

impl DocumentKind {
    /// Returns the kind of a file from its extension.
    pub fn of(path: &Path) -> Option<Self> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        match extension.as_str() {
            "json" => Some(Self::Json),
            "yaml" | "yml" => Some(Self::Yaml),
            _ => None,
        }
    }
}

/// A scalar's byte range and its path.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Located {
    start: usize,
    end: usize,
    path: String,
}

/// Sets the `path` of each finding in `text`, a document of `kind`.
pub fn assign_paths(kind: DocumentKind, text: &[u8], findings: &mut [Finding]) {
    if findings.is_empty() {
        return;
    }
    let mut scalars = match kind {
        DocumentKind::Json => json_scalars(text),
        DocumentKind::Yaml => match std::str::from_utf8(text) {
            Ok(text) => yaml_scalars(text),
            Err(_) => return,
        },
    };
    scalars.sort_by_key(|scalar| scalar.start);
    for finding in findings {
        let offset = finding.start as usize;
        // The innermost scalar containing the offset is the last one starting at or
        // before it, since scalars do not nest.
        let index = scalars.partition_point(|scalar| scalar.start <= offset);
        if index > 0 && scalars[index - 1].end > offset {
            finding.path = Some(scalars[index - 1].path.clone());
        }
    }
}

fn push_key(path: &mut String, key: &str) {
    let plain = !key.is_empty()
        && key
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-')
        && !key.as_bytes()[0].is_ascii_digit();
    if plain {
        path.push('.');
        path.push_str(key);
    } else {
        path.push_str("['");
        for character in key.chars() {
            if character == '\'' || character == '\\' {
                path.push('\\');
            }
            path.push(character);
        }
        path.push_str("']");
    }
}

fn push_index(path: &mut String, index: usize) {
    path.push('[');
    path.push_str(&index.to_string());
    path.push(']');
}

fn json_scalars(text: &[u8]) -> Vec<Located> {
    let mut walker = JsonWalker {
        text,
        position: 0,
        found: Vec::new(),
    };
    let mut path = String::from("$");
    // A syntax error ends the walk; the scalars before it keep their paths.
    let _ = walker.value(&mut path, 0);
    walker.found
}

/// A minimal JSON reader that records where each scalar is; it checks only as much
/// syntax as it needs to follow the structure.
struct JsonWalker<'a> {
    text: &'a [u8],
    position: usize,
    found: Vec<Located>,
}

impl JsonWalker<'_> {
    fn skip_blank(&mut self) {
        while self
            .text
            .get(self.position)
            .is_some_and(|byte| matches!(byte, b' ' | b'\t' | b'\n' | b'\r'))
        {
            self.position += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.position).copied()
    }

    fn value(&mut self, path: &mut String, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.skip_blank();
        match self.peek()? {
            b'{' => self.object(path, depth),
            b'[' => self.array(path, depth),
            b'"' => {
                let (start, end) = self.string()?;
                self.record(start, end, path);
                Some(())
            }
            _ => {
                let start = self.position;
                while self.peek().is_some_and(|byte| {
                    !matches!(byte, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')
                }) {
                    self.position += 1;
                }
                if self.position == start {
                    return None;
                }
                self.record(start, self.position, path);
                Some(())
            }
        }
    }

    fn object(&mut self, path: &mut String, depth: usize) -> Option<()> {
        self.position += 1;
        loop {
            self.skip_blank();
            match self.peek()? {
                b'}' => {
                    self.position += 1;
                    return Some(());
                }
                b',' => self.position += 1,
                b'"' => {
                    let (start, end) = self.string()?;
                    let key: String = serde_json::from_slice(&self.text[start..end]).ok()?;
                    let parent_len = path.len();
                    push_key(path, &key);
                    self.record(start, end, path);
                    self.skip_blank();
                    if self.peek()? != b':' {
                        return None;
                    }
                    self.position += 1;
                    self.value(path, depth + 1)?;
                    path.truncate(parent_len);
                }
                _ => return None,
            }
        }
    }

    fn array(&mut self, path: &mut String, depth: usize) -> Option<()> {
        self.position += 1;
        let mut index = 0;
        loop {
            self.skip_blank();
            match self.peek()? {
                b']' => {
                    self.position += 1;
                    return Some(());
                }
                b',' => self.position += 1,
                _ => {
                    let parent_len = path.len();
                    push_index(path, index);
                    self.value(path, depth + 1)?;
                    path.truncate(parent_len);
                    index += 1;
                }
            }
        }
    }

    /// Reads a string from its opening quote; returns its range, quotes included.
    fn string(&mut self) -> Option<(usize, usize)> {
        let start = self.position;
        self.position += 1;
        loop {
            match self.peek()? {
                b'\\' => self.position += 2,
                b'"' => {
                    self.position += 1;
                    return Some((start, self.position));
                }
                _ => self.position += 1,
            }
        }
    }

    fn record(&mut self, start: usize, end: usize, path: &str) {
        self.found.push(Located {
            start,
            end,
            path: path.to_owned(),
        });
    }
}

/// Open YAML collection, with the state that places its next node.
enum Frame {
    Mapping { key: Option<String>, path: String },
    Sequence { index: usize, path: String },
}

fn yaml_scalars(text: &str) -> Vec<Located> {
    let byte_of = CharToByte::new(text);
    let mut frames: Vec<Frame> = Vec::new();
    let mut found = Vec::new();

    for item in Parser::new_from_str(text) {
        let Ok((event, span)) = item else {
            break;
        };
        let start = byte_of.get(span.start.index());
        let end = byte_of.get(span.end.index());
        match event {
            Event::DocumentStart(_) => frames.clear(),
            Event::Scalar(value, ..) => {
                let (path, is_key) = child_path(&frames);
                found.push(Located { start, end, path });
                settle(&mut frames, is_key.then(|| value.into_owned()));
            }
            Event::Alias(_) => {
                let (_, is_key) = child_path(&frames);
                settle(&mut frames, is_key.then(|| "*".to_owned()));
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                if frames.len() >= MAX_DEPTH {
                    break;
                }
                let (path, _) = child_path(&frames);
                frames.push(match event {
                    Event::MappingStart(..) => Frame::Mapping { key: None, path },
                    _ => Frame::Sequence { index: 0, path },
                });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                frames.pop();
                let (_, is_key) = child_path(&frames);
                settle(&mut frames, is_key.then(|| "?".to_owned()));
            }
            _ => {}
        }
    }
    found
}

/// Returns the path of the next node under the innermost collection and whether that
/// node is a mapping key.
fn child_path(frames: &[Frame]) -> (String, bool) {
    match frames.last() {
        None => ("$".to_owned(), false),
        Some(Frame::Mapping { key: None, path }) => (path.clone(), true),
        Some(Frame::Mapping {
            key: Some(key),
            path,
        }) => {
            let mut path = path.clone();
            push_key(&mut path, key);
            (path, false)
        }
        Some(Frame::Sequence { index, path }) => {
            let mut path = path.clone();
            push_index(&mut path, *index);
            (path, false)
        }
    }
}

/// Moves the innermost collection past the node just read: a key waits for its value,
/// a value completes its entry.
fn settle(frames: &mut [Frame], key: Option<String>) {
    match frames.last_mut() {
        Some(Frame::Mapping { key: slot, .. }) => {
            *slot = match key {
                Some(key) if slot.is_none() => Some(key),
                _ => None,
            };
        }
        Some(Frame::Sequence { index, .. }) => *index += 1,
        None => {}
    }
}

/// Converts saphyr's character offsets into byte offsets.
struct CharToByte {
    /// Byte offset of each character, or empty when the text is ASCII.
    offsets: Vec<usize>,
    len: usize,
}

impl CharToByte {
    fn new(text: &str) -> Self {
        let offsets = if text.is_ascii() {
            Vec::new()
        } else {
            text.char_indices().map(|(offset, _)| offset).collect()
        };
        Self {
            offsets,
            len: text.len(),
        }
    }

    fn get(&self, index: usize) -> usize {
        if self.offsets.is_empty() {
            index.min(self.len)
        } else {
            self.offsets.get(index).copied().unwrap_or(self.len)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Scanner;

    fn paths(kind: DocumentKind, text: &str) -> Vec<Option<String>> {
        let mut findings = Scanner::default().scan(text.as_bytes());
        assign_paths(kind, text.as_bytes(), &mut findings);
        findings.into_iter().map(|finding| finding.path).collect()
    }

    #[test]
    fn json_paths_follow_arrays_and_keys() {
        let text = r#"{"payments": [{"card": "x"}, {"card": "4111111111111111", "n": 1}], "a b": {"iban": "DE89370400440532013000"}}"#;
        assert_eq!(
            paths(DocumentKind::Json, text),
            [
                Some("$.payments[1].card".to_owned()),
                Some("$['a b'].iban".to_owned())
            ]
        );
    }

    #[test]
    fn yaml_paths_follow_sequences() {
        let text = "payments:\n  - card: x\n  - card: 4111 1111 1111 1111\n    note: é\nbank:\n  iban: DE89370400440532013000\n";
        assert_eq!(
            paths(DocumentKind::Yaml, text),
            [
                Some("$.payments[1].card".to_owned()),
                Some("$.bank.iban".to_owned())
            ]
        );
    }

    #[test]
    fn broken_json_keeps_earlier_paths() {
        let text = r#"{"card": "4111111111111111", "x": [1, 2"#;
        assert_eq!(paths(DocumentKind::Json, text), [Some("$.card".to_owned())]);
    }
}
