//! Source files and byte spans into them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use serde::Serialize;

/// Index of a file in a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize)]
pub struct FileId(pub u32);

/// A byte range `start..end` in one source file.
///
/// Offsets are bytes, not characters: loaders whose parser counts characters
/// (saphyr does) convert once per file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Self {
        Self {
            file,
            start: saturate(start),
            end: saturate(end.max(start)),
        }
    }

    /// An empty span at `offset`, used to point at a place where something is missing.
    pub fn point(file: FileId, offset: usize) -> Self {
        Self::new(file, offset, offset)
    }

    pub fn len(&self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

fn saturate(offset: usize) -> u32 {
    u32::try_from(offset).unwrap_or(u32::MAX)
}

/// A 1-based line and column; the column counts Unicode scalar values, as editors do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct LineColumn {
    pub line: u32,
    pub column: u32,
}

/// One loaded file: the path shown to users and its text.
#[derive(Debug)]
pub struct SourceFile {
    /// Path as shown in findings: relative to the working directory when the scanned
    /// path was relative, otherwise as given.
    pub path: PathBuf,
    pub text: String,
    line_starts: Vec<u32>,
}

impl SourceFile {
    pub fn new(path: PathBuf, text: String) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, byte)| *byte == b'\n')
                .map(|(index, _)| saturate(index + 1)),
        );
        Self {
            path,
            text,
            line_starts,
        }
    }

    /// Converts a byte offset to a line and column. Offsets past the end clamp to the end,
    /// and offsets inside a multi-byte character count that character as started.
    pub fn line_column(&self, offset: u32) -> LineColumn {
        let offset = offset.min(saturate(self.text.len()));
        let line_index = match self.line_starts.binary_search(&offset) {
            Ok(index) => index,
            Err(index) => index.saturating_sub(1),
        };
        let line_start = self.line_starts[line_index] as usize;
        let mut end = offset as usize;
        while end > line_start && !self.text.is_char_boundary(end) {
            end -= 1;
        }
        let column = self.text[line_start..end].chars().count() + 1;
        LineColumn {
            line: saturate(line_index + 1),
            column: saturate(column),
        }
    }

    /// Returns the text of the 1-based `line` without its line break.
    pub fn line_text(&self, line: u32) -> &str {
        let index = (line as usize).saturating_sub(1);
        let Some(&start) = self.line_starts.get(index) else {
            return "";
        };
        let end = self
            .line_starts
            .get(index + 1)
            .map_or(self.text.len(), |next| *next as usize);
        self.text[start as usize..end].trim_end_matches(['\n', '\r'])
    }

    /// Returns the text covered by `span`, or "" when the span does not fall on
    /// character boundaries of this file.
    pub fn slice(&self, span: Span) -> &str {
        self.text
            .get(span.start as usize..span.end as usize)
            .unwrap_or("")
    }
}

/// Every file a scan read, shared between loaders running in parallel.
#[derive(Debug, Default)]
pub struct SourceMap {
    files: RwLock<Files>,
}

#[derive(Debug, Default)]
struct Files {
    list: Vec<Arc<SourceFile>>,
    /// Path to the first file stored under it, because renderers look up the file of
    /// every finding by path.
    by_path: HashMap<PathBuf, FileId>,
}

impl SourceMap {
    pub fn new() -> Self {
        Self::default()
    }

    /// Stores a file and returns its id.
    pub fn add(&self, path: impl Into<PathBuf>, text: String) -> FileId {
        let file = Arc::new(SourceFile::new(path.into(), text));
        let mut files = self.write();
        let id = FileId(saturate(files.list.len()));
        files.by_path.entry(file.path.clone()).or_insert(id);
        files.list.push(file);
        id
    }

    pub fn get(&self, id: FileId) -> Option<Arc<SourceFile>> {
        self.read().list.get(id.0 as usize).cloned()
    }

    /// Returns the id of the first file stored under `path`.
    pub fn find(&self, path: &Path) -> Option<FileId> {
        self.read().by_path.get(path).copied()
    }

    pub fn len(&self) -> usize {
        self.read().list.len()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Files> {
        self.files
            .read()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Files> {
        self.files
            .write()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Resolves a span to the file, its path and the line and column of its start.
    pub fn locate(&self, span: Span) -> Option<Location> {
        let file = self.get(span.file)?;
        let start = file.line_column(span.start);
        let end = file.line_column(span.end);
        Some(Location {
            path: file.path.clone(),
            start,
            end,
            span,
        })
    }
}

/// A span resolved to a path, lines and columns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Location {
    pub path: PathBuf,
    pub start: LineColumn,
    pub end: LineColumn,
    #[serde(skip)]
    pub span: Span,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_column_first_line() {
        let file = SourceFile::new("a.tf".into(), "abc\ndef\n".into());
        assert_eq!(file.line_column(0), LineColumn { line: 1, column: 1 });
        assert_eq!(file.line_column(2), LineColumn { line: 1, column: 3 });
    }

    #[test]
    fn line_column_after_newline() {
        let file = SourceFile::new("a.tf".into(), "abc\ndef\n".into());
        assert_eq!(file.line_column(4), LineColumn { line: 2, column: 1 });
        assert_eq!(file.line_column(6), LineColumn { line: 2, column: 3 });
    }

    #[test]
    fn line_column_counts_characters() {
        let file = SourceFile::new("a.yaml".into(), "é: ü\n".into());
        // "é" is two bytes, so byte 3 is the space after the colon.
        assert_eq!(file.line_column(3), LineColumn { line: 1, column: 3 });
    }

    #[test]
    fn line_column_clamps_past_end() {
        let file = SourceFile::new("a.tf".into(), "ab".into());
        assert_eq!(file.line_column(99), LineColumn { line: 1, column: 3 });
    }

    #[test]
    fn line_text_strips_break() {
        let file = SourceFile::new("a.tf".into(), "one\r\ntwo".into());
        assert_eq!(file.line_text(1), "one");
        assert_eq!(file.line_text(2), "two");
        assert_eq!(file.line_text(3), "");
    }

    #[test]
    fn source_map_finds_first_by_path() {
        let map = SourceMap::new();
        let first = map.add("main.tf", "a".into());
        let _second = map.add("main.tf", "b".into());
        let other = map.add("other.tf", "c".into());
        assert_eq!(map.find(Path::new("main.tf")), Some(first));
        assert_eq!(map.find(Path::new("other.tf")), Some(other));
        assert_eq!(map.find(Path::new("absent.tf")), None);
    }

    #[test]
    fn source_map_locates_span() {
        let map = SourceMap::new();
        let id = map.add("main.tf", "x = 1\ny = 2\n".into());
        let location = map.locate(Span::new(id, 6, 11));
        let location = location.as_ref();
        assert_eq!(
            location.map(|l| l.start),
            Some(LineColumn { line: 2, column: 1 })
        );
        assert_eq!(
            location.map(|l| l.end),
            Some(LineColumn { line: 2, column: 6 })
        );
    }
}
