//! YAML streams read into [`Node`] trees with byte spans.
//!
//! The tree is built from the event stream of `saphyr_parser`, the parser under saphyr's
//! `MarkedYaml`. Reading events directly lets one broken document keep the documents
//! before it, lets duplicate keys be reported instead of failing the whole stream, and
//! bounds nesting and alias expansion before a hostile file can exhaust the stack or
//! memory.

use std::collections::{HashMap, HashSet};

use nexafi_model::{FileId, Map, Node, Span, Value};
use saphyr_parser::{Event, Parser, ScalarStyle, ScanError};

use super::scalar;

/// Maximum nesting of lists and maps. Kubernetes objects and CRD schemas nest far less
/// deeply, and the limit keeps every recursive walk over a body far from the end of the
/// stack.
pub const MAX_DEPTH: usize = 256;

/// Budget for copies made by anchors and aliases in one file, in approximate bytes: each
/// node counts [`NODE_WEIGHT`] and each string its length. It stops "billion laughs"
/// files, where a few nested aliases expand into billions of nodes.
pub const ALIAS_BUDGET: usize = 64 << 20;

/// Approximate size of one node in memory, in bytes.
const NODE_WEIGHT: usize = 64;

/// Maximum number of errors kept per file, so that a file of a million duplicate keys
/// does not produce a million diagnostics.
const MAX_ERRORS: usize = 100;

/// Characters between two entries of the character-to-byte table.
const OFFSET_STRIDE: usize = 64;

/// The documents of one stream, in order, and the errors met while reading it.
#[derive(Debug, Default)]
pub(crate) struct Stream {
    /// Root node of each non-empty document.
    pub documents: Vec<Node>,
    pub errors: Vec<YamlError>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct YamlError {
    pub span: Span,
    pub message: String,
}

/// Reads every document of `text`. A syntax error stops the reading: the documents
/// before it are kept, the one it is in is dropped.
pub(crate) fn read_stream(text: &str, file: FileId) -> Stream {
    // saphyr skips a byte order mark without counting it, so parse after it and shift
    // every offset by its length.
    let (body, shift) = match text.strip_prefix('\u{feff}') {
        Some(rest) => (rest, '\u{feff}'.len_utf8()),
        None => (text, 0),
    };
    let offsets = CharOffsets::new(body, shift);
    let mut builder = Builder::new(file, &offsets);

    for item in Parser::new_from_str(body) {
        match item {
            Ok((event, span)) => builder.on_event(event, span),
            Err(error) => {
                builder.on_scan_error(&error);
                break;
            }
        }
        if builder.errors.len() > MAX_ERRORS {
            break;
        }
    }
    if builder.errors.len() > MAX_ERRORS {
        builder.errors.truncate(MAX_ERRORS);
        let last = builder
            .errors
            .last()
            .map_or(0, |error| error.span.end as usize);
        builder.errors.push(YamlError {
            span: Span::point(file, last),
            message: format!(
                "reading stopped after {MAX_ERRORS} errors; fix the errors above first"
            ),
        });
    }
    Stream {
        documents: builder.documents,
        errors: builder.errors,
    }
}

/// Converts saphyr's character indexes to byte offsets. Every [`OFFSET_STRIDE`]th
/// character's byte offset is stored, so a lookup walks at most that many characters.
struct CharOffsets<'a> {
    text: &'a str,
    shift: usize,
    ascii: bool,
    checkpoints: Vec<usize>,
}

impl<'a> CharOffsets<'a> {
    fn new(text: &'a str, shift: usize) -> Self {
        let ascii = text.is_ascii();
        let checkpoints = if ascii {
            Vec::new()
        } else {
            text.char_indices()
                .step_by(OFFSET_STRIDE)
                .map(|(offset, _)| offset)
                .collect()
        };
        Self {
            text,
            shift,
            ascii,
            checkpoints,
        }
    }

    /// Returns the byte offset of character `index`. Indexes past the end give the length.
    fn byte(&self, index: usize) -> usize {
        if self.ascii {
            return self.shift + index.min(self.text.len());
        }
        let Some(&base) = self.checkpoints.get(index / OFFSET_STRIDE) else {
            return self.shift + self.text.len();
        };
        let offset = self.text[base..]
            .char_indices()
            .nth(index % OFFSET_STRIDE)
            .map_or(self.text.len(), |(offset, _)| base + offset);
        self.shift + offset
    }
}

/// A map or list being read, waiting for its end event.
struct Frame {
    kind: FrameKind,
    start: usize,
    /// End of the last child read, for block collections whose end event has no width.
    last_end: usize,
    /// Height of the tallest child collection so far, or 0 while there is none.
    child_height: usize,
    anchor: usize,
}

enum FrameKind {
    Sequence(Vec<Node>),
    Mapping(MappingState),
}

#[derive(Default)]
struct MappingState {
    entries: Map,
    /// Keys that came from a `<<` merge, which an explicit key may override.
    merged: HashSet<String>,
    key: Option<PendingKey>,
}

enum PendingKey {
    Name(String),
    /// The YAML 1.1 merge key `<<`.
    Merge(Span),
    /// A key that is not a scalar: its value is read and dropped.
    Invalid,
}

/// A node kept for later aliases, with its measured cost and height.
struct Anchored {
    node: Node,
    weight: usize,
    height: usize,
}

struct Builder<'a> {
    file: FileId,
    offsets: &'a CharOffsets<'a>,
    frames: Vec<Frame>,
    anchors: HashMap<usize, Anchored>,
    budget: usize,
    root: Option<Node>,
    /// Set after an error that abandons the current document.
    skipping: bool,
    documents: Vec<Node>,
    errors: Vec<YamlError>,
}

impl<'a> Builder<'a> {
    fn new(file: FileId, offsets: &'a CharOffsets<'a>) -> Self {
        Self {
            file,
            offsets,
            frames: Vec::new(),
            anchors: HashMap::new(),
            budget: ALIAS_BUDGET,
            root: None,
            skipping: false,
            documents: Vec::new(),
            errors: Vec::new(),
        }
    }

    fn span(&self, span: saphyr_parser::Span) -> Span {
        let start = self.offsets.byte(span.start.index());
        let end = self.offsets.byte(span.end.index());
        Span::new(self.file, start, end)
    }

    fn error(&mut self, span: Span, message: String) {
        self.errors.push(YamlError { span, message });
    }

    /// Drops the document being read after an error that makes it untrustworthy.
    fn abandon_document(&mut self, span: Span, message: String) {
        self.error(span, message);
        self.skipping = true;
        self.frames.clear();
        self.anchors.clear();
        self.root = None;
    }

    fn on_scan_error(&mut self, error: &ScanError) {
        let offset = self.offsets.byte(error.marker().index());
        let span = Span::point(self.file, offset);
        self.error(span, describe_scan_error(error.info()));
    }

    fn on_event(&mut self, event: Event<'_>, span: saphyr_parser::Span) {
        match event {
            Event::DocumentStart(_) => {
                self.frames.clear();
                self.anchors.clear();
                self.root = None;
                self.skipping = false;
            }
            Event::DocumentEnd => {
                if let Some(root) = self.root.take()
                    && !self.skipping
                    && !root.is_null()
                {
                    self.documents.push(root);
                }
                self.frames.clear();
                self.anchors.clear();
                self.skipping = false;
            }
            _ if self.skipping => {}
            Event::Scalar(text, style, anchor, tag) => {
                let mut node_span = self.span(span);
                if text.is_empty() && style == ScalarStyle::Plain {
                    // An omitted value has no text, but the parser may give its event the
                    // width of the next token, so only the start is kept.
                    node_span = Span::point(self.file, node_span.start as usize);
                }
                if style == ScalarStyle::Plain
                    && tag.is_none()
                    && text == "<<"
                    && let Some(state) = self.awaiting_key()
                {
                    state.key = Some(PendingKey::Merge(node_span));
                    self.note_child_end(node_span.end as usize);
                    return;
                }
                let value = match scalar::resolve(&text, style, tag.as_deref()) {
                    Ok(value) => value,
                    Err(message) => {
                        self.error(node_span, message);
                        Value::String(text.into_owned())
                    }
                };
                self.deliver(Node::new(node_span, value), anchor, 0);
            }
            Event::Alias(id) => self.on_alias(id, self.span(span)),
            Event::SequenceStart(anchor, _) => {
                self.open(FrameKind::Sequence(Vec::new()), anchor, self.span(span));
            }
            Event::MappingStart(anchor, _) => {
                let kind = FrameKind::Mapping(MappingState::default());
                self.open(kind, anchor, self.span(span));
            }
            Event::SequenceEnd | Event::MappingEnd => self.close(self.span(span)),
            Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
        }
    }

    /// Returns the mapping on top of the stack when its next child is a key.
    fn awaiting_key(&mut self) -> Option<&mut MappingState> {
        match self.frames.last_mut().map(|frame| &mut frame.kind) {
            Some(FrameKind::Mapping(state)) if state.key.is_none() => Some(state),
            _ => None,
        }
    }

    fn note_child_end(&mut self, end: usize) {
        if let Some(frame) = self.frames.last_mut() {
            frame.last_end = frame.last_end.max(end);
        }
    }

    fn open(&mut self, kind: FrameKind, anchor: usize, span: Span) {
        if self.frames.len() >= MAX_DEPTH {
            self.abandon_document(
                span,
                format!(
                    "invalid YAML: lists and maps nest deeper than {MAX_DEPTH} levels; \
                     no Kubernetes object needs this, so check how the file was generated"
                ),
            );
            return;
        }
        let start = span.start as usize;
        self.frames.push(Frame {
            kind,
            start,
            last_end: span.end as usize,
            child_height: 0,
            anchor,
        });
    }

    fn close(&mut self, end_span: Span) {
        let Some(frame) = self.frames.pop() else {
            return;
        };
        // A flow collection ends with its closing bracket. A block collection's end
        // event has no width and sits at the next token, so it ends with its last child.
        let end = if end_span.is_empty() {
            frame.last_end
        } else {
            end_span.end as usize
        };
        let span = Span::new(self.file, frame.start, end.max(frame.start));
        let value = match frame.kind {
            FrameKind::Sequence(items) => Value::List(items),
            FrameKind::Mapping(state) => Value::Map(state.entries),
        };
        let height = 1 + frame.child_height;
        self.deliver(Node::new(span, value), frame.anchor, height);
    }

    fn on_alias(&mut self, id: usize, span: Span) {
        let Some(anchored) = self.anchors.get(&id) else {
            self.error(
                span,
                "invalid YAML: the alias refers to an anchor that is not defined before it; \
                 define the anchor with `&name` before using `*name`"
                    .to_owned(),
            );
            return;
        };
        if anchored.weight > self.budget {
            self.abandon_document(
                span,
                format!(
                    "invalid YAML: aliases expand to more than {} MiB of copies; \
                     the file looks like an alias bomb, so write the values out instead",
                    ALIAS_BUDGET >> 20
                ),
            );
            return;
        }
        if self.frames.len() + anchored.height > MAX_DEPTH {
            self.abandon_document(
                span,
                format!(
                    "invalid YAML: the alias nests lists and maps deeper than {MAX_DEPTH} \
                     levels; write the values out instead"
                ),
            );
            return;
        }
        self.budget -= anchored.weight;
        let height = anchored.height;
        let mut node = anchored.node.clone();
        node.span = span;
        self.deliver(node, 0, height);
    }

    /// Places a finished node: as the document root, a list item, a key or a value.
    fn deliver(&mut self, node: Node, anchor: usize, height: usize) {
        if anchor > 0 {
            let weight = weigh(&node);
            if weight > self.budget {
                self.abandon_document(
                    node.span,
                    format!(
                        "invalid YAML: anchors hold more than {} MiB of copies; \
                         write the values out instead",
                        ALIAS_BUDGET >> 20
                    ),
                );
                return;
            }
            self.budget -= weight;
            let anchored = Anchored {
                node: node.clone(),
                weight,
                height,
            };
            self.anchors.insert(anchor, anchored);
        }

        let end = node.span.end as usize;
        let Some(frame) = self.frames.last_mut() else {
            self.root = Some(node);
            return;
        };
        frame.last_end = frame.last_end.max(end);
        frame.child_height = frame.child_height.max(height);
        let problem = match &mut frame.kind {
            FrameKind::Sequence(items) => {
                items.push(node);
                None
            }
            FrameKind::Mapping(state) => match state.key.take() {
                None => read_key(state, node),
                Some(PendingKey::Name(key)) => insert_entry(state, key, node),
                Some(PendingKey::Merge(key_span)) => merge(state, node, key_span),
                Some(PendingKey::Invalid) => None,
            },
        };
        if let Some(error) = problem {
            self.errors.push(error);
        }
    }
}

fn read_key(state: &mut MappingState, node: Node) -> Option<YamlError> {
    match scalar::key_text(&node.value) {
        Some(key) => {
            state.key = Some(PendingKey::Name(key));
            None
        }
        None => {
            state.key = Some(PendingKey::Invalid);
            Some(YamlError {
                span: node.span,
                message: "a mapping key is a list or a map; Kubernetes accepts only \
                          string keys, so write the key as a string"
                    .to_owned(),
            })
        }
    }
}

fn insert_entry(state: &mut MappingState, key: String, value: Node) -> Option<YamlError> {
    let from_merge = state.merged.remove(&key);
    let duplicate = state.entries.contains_key(&key) && !from_merge;
    let span = value.span;
    state.entries.insert(key.clone(), value);
    duplicate.then(|| YamlError {
        span,
        message: format!(
            "duplicate key {key:?} in a mapping; Kubernetes rejects the object, \
             so remove one of the two entries"
        ),
    })
}

/// Applies a `<<` merge: keys of the merged maps that the mapping does not set
/// explicitly are added, and earlier maps in a merge list win over later ones.
fn merge(state: &mut MappingState, value: Node, key_span: Span) -> Option<YamlError> {
    let sources = match value.value {
        Value::Map(map) => vec![map],
        Value::List(items) => {
            let mut maps = Vec::with_capacity(items.len());
            for item in items {
                match item.value {
                    Value::Map(map) => maps.push(map),
                    _ => return Some(merge_error(key_span)),
                }
            }
            maps
        }
        _ => return Some(merge_error(key_span)),
    };
    for map in sources {
        for (key, node) in map {
            if !state.entries.contains_key(&key) {
                state.merged.insert(key.clone());
                state.entries.insert(key, node);
            }
        }
    }
    None
}

fn merge_error(span: Span) -> YamlError {
    YamlError {
        span,
        message: "the value of the merge key `<<` is not a map or a list of maps; \
                  point it at an anchored map, such as `<<: *defaults`"
            .to_owned(),
    }
}

/// Returns the approximate memory cost of a node and everything under it.
fn weigh(node: &Node) -> usize {
    let own = match &node.value {
        Value::String(text) => text.len(),
        Value::List(items) => items.iter().map(weigh).sum(),
        Value::Map(map) => map
            .iter()
            .map(|(key, value)| key.len() + weigh(value))
            .sum(),
        _ => 0,
    };
    NODE_WEIGHT.saturating_add(own)
}

/// Turns a parser message into a plain sentence with a fix.
fn describe_scan_error(info: &str) -> String {
    let rules: &[(&str, &str, &str)] = &[
        (
            "mapping values are not allowed",
            "mapping values are not allowed here",
            "check the indentation of this line and the line above",
        ),
        (
            "did not find expected key",
            "a line does not line up with the keys of its mapping",
            "indent it like its sibling keys, or under the key it belongs to",
        ),
        (
            "did not find expected '-' indicator",
            "a line does not line up with the items of its list",
            "start each item with `- ` at the same indentation",
        ),
        (
            "tab",
            "a tab is used for indentation",
            "indent with spaces only",
        ),
        (
            "unknown anchor",
            "the alias refers to an anchor that is not defined before it",
            "define the anchor with `&name` before using `*name`",
        ),
        (
            "quoted scalar, found unexpected end of stream",
            "a quoted string is not closed",
            "add the closing quote",
        ),
        (
            "quoted scalar, found unexpected document indicator",
            "a quoted string is not closed before the next document",
            "add the closing quote",
        ),
        (
            "expected ',' or ']'",
            "a flow list is not closed",
            "add the missing `,` or `]`",
        ),
        (
            "expected ',' or '}'",
            "a flow mapping is not closed",
            "add the missing `,` or `}`",
        ),
        (
            "unknown escape character",
            "a double-quoted string has an unknown escape",
            "write a backslash as `\\\\` or use single quotes",
        ),
        (
            "unexpected character",
            "this character cannot start a value",
            "quote the value",
        ),
        (
            "recursion limit exceeded",
            "flow lists and maps nest too deeply",
            "no Kubernetes object needs this, so check how the file was generated",
        ),
        (
            "block sequence entries are not allowed",
            "a list item starts where a value was expected",
            "put the list on its own lines, indented under its key",
        ),
    ];
    let (what, fix) = rules
        .iter()
        .find(|(needle, _, _)| info.contains(needle))
        .map_or((info, "fix the YAML syntax here"), |(_, what, fix)| {
            (*what, *fix)
        });
    format!("invalid YAML: {what}; {fix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Stream {
        read_stream(text, FileId(0))
    }

    fn slice(text: &str, span: Span) -> &str {
        &text[span.start as usize..span.end as usize]
    }

    #[test]
    fn offsets_are_bytes() {
        let text = "a: \"é\"\nb: ü\n";
        let stream = read(text);
        let root = &stream.documents[0];
        let b = root.get("b").map(|node| node.span);
        assert_eq!(b.map(|span| slice(text, span)), Some("ü"));
    }

    #[test]
    fn offsets_after_many_characters() {
        let mut text = "é".repeat(300);
        text.insert_str(0, "first: ");
        text.push_str("\nsecond: value\n");
        let stream = read(&text);
        let second = stream.documents[0].get("second").map(|node| node.span);
        assert_eq!(second.map(|span| slice(&text, span)), Some("value"));
    }

    #[test]
    fn byte_order_mark_shifts_offsets() {
        let text = "\u{feff}a: b\n";
        let stream = read(text);
        let a = stream.documents[0].get("a").map(|node| node.span);
        assert_eq!(a.map(|span| slice(text, span)), Some("b"));
    }

    #[test]
    fn block_mapping_span_ends_at_last_value() {
        let text = "a:\n  b: 1\n  c: 2\n# comment\nd: 3\n";
        let stream = read(text);
        let a = stream.documents[0].get("a").map(|node| node.span);
        assert_eq!(a.map(|span| slice(text, span)), Some("b: 1\n  c: 2"));
    }

    #[test]
    fn flow_span_includes_brackets() {
        let text = "a: {b: [1, 2]}\n";
        let stream = read(text);
        let a = stream.documents[0].get("a").map(|node| node.span);
        assert_eq!(a.map(|span| slice(text, span)), Some("{b: [1, 2]}"));
    }

    #[test]
    fn merge_keeps_explicit_keys() {
        let text = "base: &b {a: 1, b: 2}\nthing:\n  b: 3\n  <<: *b\n";
        let stream = read(text);
        assert!(stream.errors.is_empty(), "{:?}", stream.errors);
        let thing = &stream.documents[0].get("thing");
        let a = thing.and_then(|t| t.get("a")).and_then(Node::as_f64);
        let b = thing.and_then(|t| t.get("b")).and_then(Node::as_f64);
        assert_eq!(a, Some(1.0));
        assert_eq!(b, Some(3.0));
    }

    #[test]
    fn merged_key_overridden_is_not_duplicate() {
        let text = "base: &b {a: 1}\nthing:\n  <<: *b\n  a: 2\n";
        let stream = read(text);
        assert!(stream.errors.is_empty(), "{:?}", stream.errors);
    }

    #[test]
    fn duplicate_key_keeps_last() {
        let text = "a: 1\na: 2\n";
        let stream = read(text);
        assert_eq!(stream.errors.len(), 1);
        let a = stream.documents[0].get("a").and_then(Node::as_f64);
        assert_eq!(a, Some(2.0));
    }

    #[test]
    fn scan_error_keeps_earlier_documents() {
        let text = "a: 1\n---\nb: 2\n c: 3\n";
        let stream = read(text);
        assert_eq!(stream.documents.len(), 1);
        assert_eq!(stream.errors.len(), 1);
    }

    #[test]
    fn describe_known_and_unknown_errors() {
        assert_eq!(
            describe_scan_error("mapping values are not allowed in this context"),
            "invalid YAML: mapping values are not allowed here; \
             check the indentation of this line and the line above"
        );
        assert_eq!(
            describe_scan_error("something new"),
            "invalid YAML: something new; fix the YAML syntax here"
        );
    }
}
