//! Words of an instruction's arguments: flags, heredoc markers and shell-style words.

/// A heredoc opened in an instruction's arguments (`<<EOF`, `<<-"END"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HeredocMarker {
    pub delimiter: String,
    /// `<<-`: leading tabs are removed from body lines and the delimiter line.
    pub strip_tabs: bool,
}

/// A flag before an instruction's arguments. A flag without `=` has the value "true",
/// since only boolean flags (`--link`) are written that way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Flag {
    pub name: String,
    pub value: String,
}

/// Splits `text` at blanks outside quotes, keeping quotes and escapes as written.
pub(crate) fn raw_words(text: &str, escape: char) -> Vec<&str> {
    let mut words = Vec::new();
    let mut position = skip_blanks(text, 0);
    while position < text.len() {
        let (_, end) = read_word(text, position, escape);
        words.push(&text[position..end]);
        position = skip_blanks(text, end);
    }
    words
}

/// Splits `text` into shell words with quotes and escapes removed, without expanding
/// variables.
pub(crate) fn shell_words(text: &str, escape: char) -> Vec<String> {
    let mut words = Vec::new();
    let mut position = skip_blanks(text, 0);
    while position < text.len() {
        let (word, end) = read_word(text, position, escape);
        words.push(word);
        position = skip_blanks(text, end);
    }
    words
}

/// Splits the leading `--name=value` words off `text`, the way BuildKit reads builder
/// flags: flags end at the first word that does not start with `--`, or after a bare
/// `--`. Returns the flags and the rest of the text.
pub(crate) fn split_flags(text: &str, escape: char) -> (Vec<Flag>, &str) {
    let mut flags = Vec::new();
    let mut position = skip_blanks(text, 0);
    while text[position..].starts_with("--") {
        let (word, end) = read_word(text, position, escape);
        position = skip_blanks(text, end);
        if word == "--" {
            break;
        }
        let flag = match word[2..].split_once('=') {
            Some((name, value)) => Flag {
                name: name.to_owned(),
                value: value.to_owned(),
            },
            None => Flag {
                name: word[2..].to_owned(),
                value: "true".to_owned(),
            },
        };
        flags.push(flag);
    }
    (flags, &text[position..])
}

/// Finds the heredocs that `text` opens, in order. A marker is a whole word of the form
/// `[n]<<[-]DELIMITER`, and its delimiter may be quoted. A quoted word such as `"<<EOF"`
/// is not a marker.
pub(crate) fn heredoc_markers(text: &str, escape: char) -> Vec<HeredocMarker> {
    let mut markers = Vec::new();
    for word in raw_words(text, escape) {
        let without_descriptor = word.trim_start_matches(|c: char| c.is_ascii_digit());
        let Some(rest) = without_descriptor.strip_prefix("<<") else {
            continue;
        };
        let (strip_tabs, rest) = match rest.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, rest),
        };
        if rest.contains('<') {
            continue;
        }
        let delimiter = unquote_delimiter(rest);
        if delimiter.is_empty() {
            continue;
        }
        markers.push(HeredocMarker {
            delimiter: delimiter.to_owned(),
            strip_tabs,
        });
    }
    markers
}

fn unquote_delimiter(word: &str) -> &str {
    for quote in ['"', '\''] {
        if word.len() >= 2 && word.starts_with(quote) && word.ends_with(quote) {
            return &word[1..word.len() - 1];
        }
    }
    word
}

fn skip_blanks(text: &str, position: usize) -> usize {
    let rest = &text[position..];
    position + (rest.len() - rest.trim_start().len())
}

/// Reads the word starting at byte `start`. Returns it with quotes removed and escapes
/// applied, and the byte offset where it ends.
fn read_word(text: &str, start: usize, escape: char) -> (String, usize) {
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut characters = text[start..].char_indices();
    while let Some((offset, character)) = characters.next() {
        match quote {
            None if character.is_whitespace() => return (word, start + offset),
            None if character == '"' || character == '\'' => quote = Some(character),
            Some(open) if character == open => quote = None,
            // Inside single quotes the escape character is plain text, as in a shell.
            Some('\'') => word.push(character),
            _ if character == escape => {
                if let Some((_, escaped)) = characters.next() {
                    word.push(escaped);
                }
            }
            _ => word.push(character),
        }
    }
    (word, text.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_then_arguments() {
        let (flags, rest) = split_flags("--from=build --chown=\"app:app\" --link /src /dst", '\\');
        assert_eq!(
            flags,
            vec![
                Flag {
                    name: "from".into(),
                    value: "build".into()
                },
                Flag {
                    name: "chown".into(),
                    value: "app:app".into()
                },
                Flag {
                    name: "link".into(),
                    value: "true".into()
                },
            ]
        );
        assert_eq!(rest, "/src /dst");
    }

    #[test]
    fn bare_double_dash_ends_flags() {
        let (flags, rest) = split_flags("--network=none -- --not-a-flag", '\\');
        assert_eq!(flags.len(), 1);
        assert_eq!(rest, "--not-a-flag");
    }

    #[test]
    fn no_flags() {
        let (flags, rest) = split_flags("echo --version", '\\');
        assert!(flags.is_empty());
        assert_eq!(rest, "echo --version");
    }

    #[test]
    fn heredoc_marker_forms() {
        let markers = heredoc_markers("<<EOF 3<<-\"END\" '<<NO' <<<here <<'X' cat<<Y", '\\');
        let delimiters: Vec<(&str, bool)> = markers
            .iter()
            .map(|marker| (marker.delimiter.as_str(), marker.strip_tabs))
            .collect();
        assert_eq!(
            delimiters,
            vec![("EOF", false), ("END", true), ("X", false)]
        );
    }

    #[test]
    fn shell_words_unquote() {
        assert_eq!(
            shell_words("A=\"a b\" B='c\\d' C=e\\ f", '\\'),
            vec!["A=a b", "B=c\\d", "C=e f"]
        );
    }
}
