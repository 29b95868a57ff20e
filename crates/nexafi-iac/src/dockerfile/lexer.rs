//! Splits a Dockerfile into instructions: parser directives, comments, line
//! continuations and heredocs, as BuildKit reads them.

use super::words;

/// Instructions whose arguments may open heredocs (`RUN <<EOF`).
const HEREDOC_KEYWORDS: &[&str] = &["RUN", "COPY", "ADD"];

/// One instruction as written, before its arguments are interpreted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawInstruction {
    /// The keyword as written (`run`, `RUN`).
    pub keyword: String,
    /// Byte range of the keyword.
    pub keyword_start: usize,
    pub keyword_end: usize,
    /// Everything after the keyword, with continuation lines joined by one space and
    /// heredoc bodies left out.
    pub text: String,
    /// Byte range from the keyword to the end of the last line, heredocs included.
    pub start: usize,
    pub end: usize,
    pub heredocs: Vec<Heredoc>,
    /// Comment lines directly above the instruction, without `#`, joined with newlines.
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Heredoc {
    pub delimiter: String,
    pub body: String,
}

/// A problem found while splitting, at a byte range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LexError {
    pub start: usize,
    pub end: usize,
    pub message: String,
}

#[derive(Debug, Default)]
pub(crate) struct Lexed {
    pub escape: char,
    /// Parser directives in the order written, names in lower case.
    pub directives: Vec<(String, String)>,
    pub instructions: Vec<RawInstruction>,
    pub errors: Vec<LexError>,
}

/// One physical line: byte offsets of its start and of its end without the line break.
#[derive(Debug, Clone, Copy)]
struct Line {
    start: usize,
    end: usize,
}

/// Splits `text` into instructions.
pub(crate) fn lex(text: &str) -> Lexed {
    let lines = split_lines(text);
    let mut lexed = Lexed {
        escape: '\\',
        ..Lexed::default()
    };

    let mut index = read_directives(text, &lines, &mut lexed);
    let mut comment: Vec<&str> = Vec::new();
    while index < lines.len() {
        let line = &text[lines[index].start..lines[index].end];
        let trimmed = line.trim_start();
        if trimmed.is_empty() {
            comment.clear();
            index += 1;
            continue;
        }
        if let Some(body) = trimmed.strip_prefix('#') {
            comment.push(body.trim());
            index += 1;
            continue;
        }

        let start = lines[index].start + (line.len() - trimmed.len());
        let comment_text = (!comment.is_empty()).then(|| comment.join("\n"));
        comment.clear();
        index = read_instruction(text, &lines, index, start, comment_text, &mut lexed);
    }
    lexed
}

fn split_lines(text: &str) -> Vec<Line> {
    let mut lines = Vec::new();
    // BuildKit ignores a byte order mark at the start of the file.
    let mut start = if text.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    };
    let first = start;
    for (offset, _) in text[first..].match_indices('\n') {
        let offset = first + offset;
        lines.push(trim_carriage_return(text, start, offset));
        start = offset + 1;
    }
    if start < text.len() {
        lines.push(trim_carriage_return(text, start, text.len()));
    }
    lines
}

fn trim_carriage_return(text: &str, start: usize, end: usize) -> Line {
    let end = if text[start..end].ends_with('\r') {
        end - 1
    } else {
        end
    };
    Line { start, end }
}

/// Reads the parser directives at the top of the file and returns the index of the first
/// line after them. Directives end at the first line that is not one, including a blank
/// line or a plain comment, as in BuildKit.
fn read_directives(text: &str, lines: &[Line], lexed: &mut Lexed) -> usize {
    let mut index = 0;
    while let Some(line) = lines.get(index) {
        let content = &text[line.start..line.end];
        let Some((name, value)) = parse_directive(content) else {
            break;
        };
        let name = name.to_ascii_lowercase();
        if !matches!(name.as_str(), "syntax" | "escape" | "check") {
            // BuildKit treats an unknown directive as a comment, which ends the directives.
            break;
        }
        if lexed.directives.iter().any(|(seen, _)| *seen == name) {
            lexed.errors.push(LexError {
                start: line.start,
                end: line.end,
                message: format!(
                    "the parser directive `{name}` is set twice; keep only the first one"
                ),
            });
        } else if name == "escape" {
            match value {
                "\\" => lexed.escape = '\\',
                "`" => lexed.escape = '`',
                _ => lexed.errors.push(LexError {
                    start: line.start,
                    end: line.end,
                    message: format!(
                        "invalid escape directive {value:?}; use `# escape=\\` or `# escape=``"
                    ),
                }),
            }
        }
        lexed.directives.push((name, value.to_owned()));
        index += 1;
    }
    index
}

/// Splits `# name=value` into its name and value.
fn parse_directive(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix('#')?.trim_start();
    let (name, value) = rest.split_once('=')?;
    let name = name.trim_end();
    let mut characters = name.chars();
    let starts_with_letter = characters.next()?.is_ascii_alphabetic();
    if !starts_with_letter || !characters.all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    let value = value.trim();
    (!value.is_empty()).then_some((name, value))
}

/// Reads the instruction starting on line `index` at byte `start`, with its continuation
/// lines and heredocs, and returns the index of the line after it.
fn read_instruction(
    text: &str,
    lines: &[Line],
    mut index: usize,
    start: usize,
    comment: Option<String>,
    lexed: &mut Lexed,
) -> usize {
    let escape = lexed.escape;
    let mut logical = String::new();
    let mut end = lines[index].end;
    let mut segment = &text[start..end];
    loop {
        let (content, continues) = strip_continuation(segment, escape);
        if !logical.is_empty() && !content.trim().is_empty() {
            logical.push(' ');
        }
        logical.push_str(content.trim_matches(|c: char| c == ' ' || c == '\t'));
        index += 1;
        if !continues {
            break;
        }

        // BuildKit skips comment lines and empty lines inside a continued instruction.
        let next = lines[index..].iter().position(|line| {
            let trimmed = text[line.start..line.end].trim_start();
            !trimmed.is_empty() && !trimmed.starts_with('#')
        });
        let Some(offset) = next else {
            index = lines.len();
            break;
        };
        index += offset;
        end = lines[index].end;
        segment = &text[lines[index].start..end];
    }

    let keyword_length = logical
        .find(|c: char| c.is_whitespace())
        .unwrap_or(logical.len());
    let keyword = logical[..keyword_length].to_owned();
    let arguments = logical[keyword_length..].trim_start().to_owned();
    // The keyword lies on the first line unless that line is a lone escape character.
    let keyword_end = if text[start..].starts_with(&keyword) {
        start + keyword.len()
    } else {
        start
    };

    let mut heredocs = Vec::new();
    if opens_heredocs(&keyword, &arguments) {
        for marker in words::heredoc_markers(&arguments, escape) {
            let (heredoc, next_index, terminated) = read_heredoc(text, lines, index, &marker);
            if terminated {
                end = lines[next_index - 1].end;
            } else {
                end = lines.last().map_or(end, |line| line.end);
                lexed.errors.push(LexError {
                    start,
                    end: keyword_end,
                    message: format!(
                        "the heredoc `{}` is never terminated; add a line containing only `{}` \
                         after its body",
                        marker.delimiter, marker.delimiter
                    ),
                });
            }
            index = next_index;
            heredocs.push(heredoc);
        }
    }

    lexed.instructions.push(RawInstruction {
        keyword,
        keyword_start: start,
        keyword_end,
        text: arguments,
        start,
        end: end.max(start),
        heredocs,
        comment,
    });
    index
}

/// Tells whether an instruction reads heredocs: `RUN`, `COPY` and `ADD`, also as the
/// trigger of `ONBUILD` (`ONBUILD RUN <<EOF`).
fn opens_heredocs(keyword: &str, arguments: &str) -> bool {
    let keyword = keyword.to_ascii_uppercase();
    if keyword == "ONBUILD" {
        let trigger = arguments.split_whitespace().next().unwrap_or_default();
        return HEREDOC_KEYWORDS.contains(&trigger.to_ascii_uppercase().as_str());
    }
    HEREDOC_KEYWORDS.contains(&keyword.as_str())
}

/// Removes a trailing escape character (and the blanks after it) from a line, and
/// reports whether the instruction continues on the next line.
fn strip_continuation(line: &str, escape: char) -> (&str, bool) {
    let trimmed = line.trim_end_matches([' ', '\t']);
    match trimmed.strip_suffix(escape) {
        Some(content) => (content, true),
        None => (line, false),
    }
}

/// Reads a heredoc body from line `index` up to its delimiter line. Returns the heredoc,
/// the index of the line after the delimiter, and whether the delimiter was found.
fn read_heredoc(
    text: &str,
    lines: &[Line],
    index: usize,
    marker: &words::HeredocMarker,
) -> (Heredoc, usize, bool) {
    let mut body = String::new();
    let mut current = index;
    while let Some(line) = lines.get(current) {
        let content = &text[line.start..line.end];
        let content = if marker.strip_tabs {
            content.trim_start_matches('\t')
        } else {
            content
        };
        current += 1;
        if content == marker.delimiter {
            let heredoc = Heredoc {
                delimiter: marker.delimiter.clone(),
                body,
            };
            return (heredoc, current, true);
        }
        body.push_str(content);
        body.push('\n');
    }
    let heredoc = Heredoc {
        delimiter: marker.delimiter.clone(),
        body,
    };
    (heredoc, current, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(lexed: &Lexed) -> Vec<(&str, &str)> {
        lexed
            .instructions
            .iter()
            .map(|instruction| (instruction.keyword.as_str(), instruction.text.as_str()))
            .collect()
    }

    #[test]
    fn continuation_joins_with_space() {
        let lexed = lex("RUN apt-get update && \\\n    apt-get install -y curl\n");
        assert_eq!(
            texts(&lexed),
            vec![("RUN", "apt-get update && apt-get install -y curl")]
        );
    }

    #[test]
    fn continuation_skips_comments_and_blank_lines() {
        let lexed = lex("RUN a \\\n# note\n\n   b\nUSER app\n");
        assert_eq!(texts(&lexed), vec![("RUN", "a b"), ("USER", "app")]);
    }

    #[test]
    fn backtick_escape() {
        let lexed = lex("# escape=`\nFROM mcr.microsoft.com/windows\nRUN dir c:\\ `\n  /s\n");
        assert_eq!(lexed.escape, '`');
        assert_eq!(
            texts(&lexed)[1],
            ("RUN", "dir c:\\ /s"),
            "a backslash is plain text with the backtick escape"
        );
    }

    #[test]
    fn directive_after_comment_is_comment() {
        let lexed = lex("# hello\n# escape=`\nFROM x\n");
        assert_eq!(lexed.escape, '\\');
        assert_eq!(
            lexed.instructions[0].comment.as_deref(),
            Some("hello\nescape=`")
        );
    }

    #[test]
    fn heredoc_body_is_read() {
        let lexed = lex("RUN <<EOF\necho hi\nEOF\nUSER app\n");
        assert_eq!(texts(&lexed), vec![("RUN", "<<EOF"), ("USER", "app")]);
        assert_eq!(
            lexed.instructions[0].heredocs,
            vec![Heredoc {
                delimiter: "EOF".into(),
                body: "echo hi\n".into()
            }]
        );
    }

    #[test]
    fn unterminated_heredoc_is_error() {
        let lexed = lex("RUN <<EOF\necho hi\n");
        assert_eq!(lexed.errors.len(), 1);
        assert_eq!(lexed.instructions[0].heredocs[0].body, "echo hi\n");
    }

    #[test]
    fn span_covers_continuation() {
        let text = "  RUN a \\\n  b\nUSER x";
        let lexed = lex(text);
        let first = &lexed.instructions[0];
        assert_eq!(&text[first.start..first.end], "RUN a \\\n  b");
        let second = &lexed.instructions[1];
        assert_eq!(&text[second.start..second.end], "USER x");
    }
}
