//! Compiler-style code frames: the source line of a finding with its span underlined.
//!
//! This is a small renderer of its own rather than miette's graphical handler. It keeps
//! the layout (a `-->` location line, a numbered gutter, `=` notes) and the colours
//! (anstyle, switched off by a flag) under this crate's control. Its output also does
//! not depend on the terminal's width, which keeps snapshots stable.

use std::borrow::Cow;
use std::io::{self, Write};

use anstyle::{AnsiColor, Style};
use nexafi_model::SourceFile;

/// Columns a tab expands to in a frame.
const TAB_WIDTH: usize = 4;

/// Styles of the human report, or none at all when colour is off.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Palette {
    enabled: bool,
}

impl Palette {
    pub(crate) fn new(enabled: bool) -> Self {
        Self { enabled }
    }

    /// Wraps `text` in the escape codes of `style` when colour is on.
    pub(crate) fn paint(self, style: Style, text: &str) -> String {
        if self.enabled {
            format!("{style}{text}{style:#}")
        } else {
            text.to_owned()
        }
    }

    /// Returns the style of gutters, arrows and note markers.
    pub(crate) fn accent() -> Style {
        Style::new().bold().fg_color(Some(AnsiColor::Blue.into()))
    }
}

/// Replaces control characters (other than tab) with U+FFFD, so that text from scanned
/// files cannot move the cursor or change colours in the user's terminal.
pub(crate) fn clean(text: &str) -> Cow<'_, str> {
    if text
        .chars()
        .any(|character| character.is_control() && character != '\t')
    {
        Cow::Owned(
            text.chars()
                .map(|character| {
                    if character.is_control() && character != '\t' {
                        '\u{FFFD}'
                    } else {
                        character
                    }
                })
                .collect(),
        )
    } else {
        Cow::Borrowed(text)
    }
}

/// A 1-based span of lines and columns (columns count characters, as in findings).
#[derive(Clone, Copy, Debug)]
pub(crate) struct LineSpan {
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    pub end_column: u32,
}

/// Returns the number of columns the gutter needs for `line`.
pub(crate) fn gutter_width(line: u32) -> usize {
    line.max(1).to_string().len()
}

/// Writes the gutter, the source line of `span.line` and a row of carets under the
/// span. Returns false, writing nothing, when the line does not exist in `file`.
pub(crate) fn write_frame(
    out: &mut dyn Write,
    file: &SourceFile,
    span: LineSpan,
    marker: Style,
    palette: Palette,
) -> io::Result<bool> {
    let last_line = file
        .line_column(u32::try_from(file.text.len()).unwrap_or(u32::MAX))
        .line;
    if span.line == 0 || span.line > last_line {
        return Ok(false);
    }

    let text = clean(file.line_text(span.line));
    let (display_text, offsets) = expand_tabs(&text);
    let char_count = offsets.len() - 1;

    // Character indexes, 0-based and end-exclusive, of the underlined part of the line.
    let start = (span.column.max(1) - 1) as usize;
    let end = if span.end_line == span.line {
        (span.end_column.max(1) - 1) as usize
    } else {
        char_count
    };
    let end = end.max(start + 1);

    let display_offset = |index: usize| match offsets.get(index) {
        Some(offset) => *offset,
        // Past the end of the line, for example a missing attribute at the line's end.
        None => offsets[char_count] + (index - char_count),
    };
    let caret_start = display_offset(start);
    let caret_width = display_offset(end).saturating_sub(caret_start).max(1);

    let width = gutter_width(span.line);
    let bar = palette.paint(Palette::accent(), "|");
    let number = palette.paint(Palette::accent(), &format!("{:>width$}", span.line));
    let carets = palette.paint(marker, &"^".repeat(caret_width));
    let continuation = if span.end_line > span.line {
        format!(" (continues to line {})", span.end_line)
    } else {
        String::new()
    };

    writeln!(out, "{:width$} {bar}", "")?;
    if display_text.is_empty() {
        writeln!(out, "{number} {bar}")?;
    } else {
        writeln!(out, "{number} {bar} {display_text}")?;
    }
    writeln!(
        out,
        "{:width$} {bar} {:caret_start$}{carets}{continuation}",
        "", ""
    )?;
    Ok(true)
}

/// Expands tabs to spaces and returns the text to display with the display column of each
/// character, plus one entry for the end of the line.
///
/// NOTE: every other character counts as one column, so carets drift right of wide
/// (East Asian) characters.
fn expand_tabs(text: &str) -> (String, Vec<usize>) {
    let mut display_text = String::with_capacity(text.len());
    let mut offsets = Vec::with_capacity(text.len() + 1);
    let mut column = 0;
    for character in text.chars() {
        offsets.push(column);
        if character == '\t' {
            let spaces = TAB_WIDTH - column % TAB_WIDTH;
            display_text.push_str(&" ".repeat(spaces));
            column += spaces;
        } else {
            display_text.push(character);
            column += 1;
        }
    }
    offsets.push(column);
    (display_text, offsets)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(text: &str, span: LineSpan) -> String {
        let file = SourceFile::new("main.tf".into(), text.to_owned());
        let mut out = Vec::new();
        let written = write_frame(&mut out, &file, span, Style::new(), Palette::new(false));
        assert!(matches!(written, Ok(true)), "{written:?}");
        String::from_utf8_lossy(&out).into_owned()
    }

    fn span(line: u32, column: u32, end_line: u32, end_column: u32) -> LineSpan {
        LineSpan {
            line,
            column,
            end_line,
            end_column,
        }
    }

    #[test]
    fn frame_underlines_span() {
        let text = "a = 1\nenable = false\n";
        assert_eq!(
            frame(text, span(2, 10, 2, 15)),
            "  |\n2 | enable = false\n  |          ^^^^^\n"
        );
    }

    #[test]
    fn frame_empty_span_one_caret() {
        let text = "resource \"x\" \"y\" {}\n";
        assert_eq!(
            frame(text, span(1, 18, 1, 18)),
            "  |\n1 | resource \"x\" \"y\" {}\n  |                  ^\n"
        );
    }

    #[test]
    fn frame_expands_tabs() {
        let text = "\tkey: value\n";
        assert_eq!(
            frame(text, span(1, 2, 1, 5)),
            "  |\n1 |     key: value\n  |     ^^^\n"
        );
    }

    #[test]
    fn frame_multiline_to_line_end() {
        let text = "tags = {\n  a = 1\n}\n";
        assert_eq!(
            frame(text, span(1, 8, 3, 2)),
            "  |\n1 | tags = {\n  |        ^ (continues to line 3)\n"
        );
    }

    #[test]
    fn frame_counts_characters() {
        // "é" is two bytes but one column.
        let text = "name: \"é\" # x\n";
        assert_eq!(
            frame(text, span(1, 7, 1, 10)),
            "  |\n1 | name: \"é\" # x\n  |       ^^^\n"
        );
    }

    #[test]
    fn frame_wide_gutter() {
        let text = "x\n".repeat(12);
        assert_eq!(frame(&text, span(12, 1, 12, 2)), "   |\n12 | x\n   | ^\n");
    }

    #[test]
    fn frame_empty_line_no_trailing_space() {
        let text = "a: [\n\n";
        assert_eq!(frame(text, span(2, 1, 2, 1)), "  |\n2 |\n  | ^\n");
    }

    #[test]
    fn frame_skips_missing_line() {
        let file = SourceFile::new("a.tf".into(), "x = 1\n".to_owned());
        let mut out = Vec::new();
        let written = write_frame(
            &mut out,
            &file,
            span(9, 1, 9, 2),
            Style::new(),
            Palette::new(false),
        );
        assert!(matches!(written, Ok(false)));
        assert!(out.is_empty());
    }

    #[test]
    fn clean_replaces_escapes() {
        assert_eq!(clean("a\u{1b}[31mb\tc"), "a\u{FFFD}[31mb\tc");
        assert!(matches!(clean("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn paint_only_when_enabled() {
        let style = Style::new().bold();
        assert_eq!(Palette::new(false).paint(style, "x"), "x");
        assert_eq!(Palette::new(true).paint(style, "x"), "\u{1b}[1mx\u{1b}[0m");
    }
}
