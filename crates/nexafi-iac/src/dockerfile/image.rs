//! The image of a `FROM` line: substitution of global build arguments, then the split
//! into repository, tag and digest.

use std::collections::HashMap;

use nexafi_model::{Unknown, Value};

/// Stands for the expansion of a variable whose value is unknown offline, so that the
/// reference can still be split and only the parts it touches become unknown.
const PLACEHOLDER: char = '\u{E000}';

/// Maximum nesting of `${...}` inside a default value.
const MAX_NESTING: usize = 16;

/// Build arguments that BuildKit sets from the platforms of the build, usable in `FROM`
/// without a declaration.
const PLATFORM_ARGS: &[&str] = &[
    "BUILDPLATFORM",
    "BUILDOS",
    "BUILDARCH",
    "BUILDVARIANT",
    "TARGETPLATFORM",
    "TARGETOS",
    "TARGETARCH",
    "TARGETVARIANT",
];

/// The value of a global build argument as far as it is known offline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ArgValue {
    Known(String),
    Unknown(String),
}

/// Global build arguments by name.
pub(crate) type Args = HashMap<String, ArgValue>;

/// A word after substitution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Expanded {
    /// The text, with [`PLACEHOLDER`] where an unknown value was substituted.
    text: String,
    /// Reason of the first unknown part.
    reason: Option<String>,
    /// Problems that make the build fail, as plain sentences.
    pub problems: Vec<String>,
}

impl Expanded {
    /// Returns the text as a value: a string, or unknown when any part is unknown.
    pub(crate) fn value(&self) -> Value {
        component(&self.text, self.reason.as_deref())
    }

    /// Returns the text when no part is unknown.
    pub(crate) fn known(&self) -> Option<&str> {
        (!self.text.contains(PLACEHOLDER)).then_some(self.text.as_str())
    }
}

/// Substitutes `$NAME`, `${NAME}` and `${NAME:-default}` (and the `-`, `+`, `:+`, `?`
/// and `:?` forms) from `args`, and removes quotes and escapes, as BuildKit does for
/// `FROM`. A variable that no global `ARG` declares is empty, as in BuildKit.
pub(crate) fn expand(word: &str, args: &Args, escape: char) -> Expanded {
    let mut expander = Expander {
        text: word,
        position: 0,
        args,
        escape,
        reason: None,
        problems: Vec::new(),
    };
    let text = expander.word(false, 0);
    Expanded {
        text,
        reason: expander.reason,
        problems: expander.problems,
    }
}

/// The parts of an image reference.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ImageReference {
    pub reference: Value,
    pub image: Value,
    pub tag: Value,
    pub digest: Value,
}

/// Splits `name[:tag][@digest]`. The tag is the part after the last `:` that follows the
/// last `/`, so a registry port (`registry:5000/app`) is not taken for a tag.
pub(crate) fn split_reference(expanded: &Expanded) -> ImageReference {
    let text = expanded.text.as_str();
    let reason = expanded.reason.as_deref();
    let (name_and_tag, digest) = match text.split_once('@') {
        Some((before, after)) => (before, Some(after)),
        None => (text, None),
    };
    let slash = name_and_tag.rfind('/').map_or(0, |index| index + 1);
    let (image, tag) = match name_and_tag[slash..].rfind(':') {
        Some(colon) => (
            &name_and_tag[..slash + colon],
            Some(&name_and_tag[slash + colon + 1..]),
        ),
        None => (name_and_tag, None),
    };

    // An unknown variable in the name may carry a tag or digest of its own.
    let tag = match tag {
        Some(tag) => component(tag, reason),
        None if image.contains(PLACEHOLDER) => unknown(reason),
        None => Value::Null,
    };
    let digest = match digest {
        Some(digest) => component(digest, reason),
        None if name_and_tag.contains(PLACEHOLDER) => unknown(reason),
        None => Value::Null,
    };
    ImageReference {
        reference: component(text, reason),
        image: component(image, reason),
        tag,
        digest,
    }
}

fn component(text: &str, reason: Option<&str>) -> Value {
    if text.contains(PLACEHOLDER) {
        unknown(reason)
    } else {
        Value::String(text.to_owned())
    }
}

fn unknown(reason: Option<&str>) -> Value {
    Value::Unknown(Unknown::new(
        reason.unwrap_or("a build argument is unknown offline"),
    ))
}

struct Expander<'a> {
    text: &'a str,
    position: usize,
    args: &'a Args,
    escape: char,
    reason: Option<String>,
    problems: Vec<String>,
}

impl Expander<'_> {
    fn peek(&self) -> Option<char> {
        self.text[self.position..].chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let character = self.peek()?;
        self.position += character.len_utf8();
        Some(character)
    }

    fn mark_unknown(&mut self, output: &mut String, reason: String) {
        output.push(PLACEHOLDER);
        self.reason.get_or_insert(reason);
    }

    /// Reads a word up to the end of the text, or up to an unmatched `}` inside `${...}`.
    fn word(&mut self, inside_braces: bool, depth: usize) -> String {
        let mut output = String::new();
        let mut in_double_quotes = false;
        while let Some(character) = self.peek() {
            if inside_braces && character == '}' && !in_double_quotes {
                break;
            }
            self.bump();
            match character {
                _ if character == self.escape => {
                    if let Some(escaped) = self.bump() {
                        push_literal(&mut output, escaped);
                    }
                }
                '\'' if !in_double_quotes => {
                    while let Some(quoted) = self.bump() {
                        if quoted == '\'' {
                            break;
                        }
                        push_literal(&mut output, quoted);
                    }
                }
                '"' => in_double_quotes = !in_double_quotes,
                '$' => self.dollar(&mut output, depth),
                _ => push_literal(&mut output, character),
            }
        }
        output
    }

    fn dollar(&mut self, output: &mut String, depth: usize) {
        match self.peek() {
            Some('{') => {
                self.bump();
                self.braced(output, depth);
            }
            Some(first) if first.is_ascii_alphabetic() || first == '_' => {
                let name = self.name();
                self.substitute(output, &name);
            }
            _ => output.push('$'),
        }
    }

    fn name(&mut self) -> String {
        let mut name = String::new();
        while let Some(character) = self.peek() {
            if !(character.is_ascii_alphanumeric() || character == '_') {
                break;
            }
            name.push(character);
            self.bump();
        }
        name
    }

    /// Reads `${...}` after its opening brace.
    fn braced(&mut self, output: &mut String, depth: usize) {
        let start = self.position;
        let name = self.name();
        let colon = self.peek() == Some(':');
        if colon {
            self.bump();
        }
        let operator = self.peek();
        match operator {
            Some('}') if !colon && !name.is_empty() => {
                self.bump();
                self.substitute(output, &name);
            }
            Some(operator @ ('-' | '+' | '?')) if !name.is_empty() && depth < MAX_NESTING => {
                self.bump();

                // The default is expanded aside: its unknown parts and problems count
                // only when the default is used.
                let outer_reason = self.reason.take();
                let outer_problems = std::mem::take(&mut self.problems);
                let word = self.word(true, depth + 1);
                let word_reason = std::mem::replace(&mut self.reason, outer_reason);
                let word_problems = std::mem::replace(&mut self.problems, outer_problems);

                if self.bump() != Some('}') {
                    let reason = format!("`${{{name}` is not closed with `}}`");
                    self.problems.push(format!(
                        "{reason}; close the substitution or escape the `$`"
                    ));
                    self.mark_unknown(output, reason);
                    return;
                }
                let used = self.apply(output, &name, colon, operator, &word);
                if used {
                    if let Some(reason) = word_reason {
                        self.reason.get_or_insert(reason);
                    }
                    self.problems.extend(word_problems);
                }
            }
            _ => {
                // Skip to the matching brace and leave the value unknown.
                let mut open = 1;
                while let Some(character) = self.bump() {
                    match character {
                        '{' => open += 1,
                        '}' => open -= 1,
                        _ => {}
                    }
                    if open == 0 {
                        break;
                    }
                }
                let written = &self.text[start..self.position];
                let reason = format!("the substitution `${{{written}` is not evaluated offline");
                self.mark_unknown(output, reason);
            }
        }
    }

    /// Appends the value of `name`.
    fn substitute(&mut self, output: &mut String, name: &str) {
        match self.lookup(name) {
            Lookup::Known(value) => output.push_str(&value),
            Lookup::Unknown(reason) => self.mark_unknown(output, reason),
            Lookup::Undeclared => self.problems.push(format!(
                "`${name}` is not declared by an ARG before the first FROM, so BuildKit \
                 replaces it with an empty string; declare it with `ARG {name}=<default>` \
                 above the first FROM"
            )),
        }
    }

    /// Applies `${name<operator>word}`, where with `colon` an empty value counts as
    /// unset. Returns whether `word` was used.
    fn apply(
        &mut self,
        output: &mut String,
        name: &str,
        colon: bool,
        operator: char,
        word: &str,
    ) -> bool {
        let value = match self.lookup(name) {
            Lookup::Known(value) => Some(value),
            Lookup::Undeclared => None,
            Lookup::Unknown(reason) => {
                self.mark_unknown(output, reason);
                return false;
            }
        };
        let set = value
            .as_deref()
            .is_some_and(|value| !(colon && value.is_empty()));
        match operator {
            '-' if set => output.push_str(value.as_deref().unwrap_or_default()),
            '-' => {
                output.push_str(word);
                return true;
            }
            '+' if set => {
                output.push_str(word);
                return true;
            }
            '+' => {}
            _ if set => output.push_str(value.as_deref().unwrap_or_default()),
            _ => {
                let message = if word.is_empty() {
                    format!("`{name}` is not set")
                } else {
                    word.replace(PLACEHOLDER, "")
                };
                self.problems.push(format!(
                    "the build stops at `${{{name}:?}}`: {message}; give the ARG a default"
                ));
            }
        }
        false
    }

    fn lookup(&self, name: &str) -> Lookup {
        match self.args.get(name) {
            Some(ArgValue::Known(value)) => Lookup::Known(value.clone()),
            Some(ArgValue::Unknown(reason)) => Lookup::Unknown(reason.clone()),
            None if PLATFORM_ARGS.contains(&name) => Lookup::Unknown(format!(
                "{name} is set by BuildKit from the platform of the build"
            )),
            None => Lookup::Undeclared,
        }
    }
}

enum Lookup {
    Known(String),
    Unknown(String),
    Undeclared,
}

/// Appends a character taken from the file; a placeholder in the file itself is
/// replaced so it cannot be mistaken for an unknown value.
fn push_literal(output: &mut String, character: char) {
    if character == PLACEHOLDER {
        output.push(char::REPLACEMENT_CHARACTER);
    } else {
        output.push(character);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(entries: &[(&str, Option<&str>)]) -> Args {
        entries
            .iter()
            .map(|(name, value)| {
                let value = match value {
                    Some(text) => ArgValue::Known((*text).to_owned()),
                    None => ArgValue::Unknown(format!("{name} has no default")),
                };
                ((*name).to_owned(), value)
            })
            .collect()
    }

    fn text(word: &str, args: &Args) -> Value {
        expand(word, args, '\\').value()
    }

    #[test]
    fn known_forms() {
        let args = args(&[("V", Some("1.22")), ("EMPTY", Some(""))]);
        let string = |s: &str| Value::String(s.to_owned());
        assert_eq!(text("golang:$V", &args), string("golang:1.22"));
        assert_eq!(
            text("golang:${V}-alpine", &args),
            string("golang:1.22-alpine")
        );
        assert_eq!(text("x:${EMPTY:-d}", &args), string("x:d"));
        assert_eq!(text("x:${EMPTY-d}", &args), string("x:"));
        assert_eq!(text("x:${V:+set}", &args), string("x:set"));
        assert_eq!(text("x:${EMPTY:+set}", &args), string("x:"));
        assert_eq!(text("x:${NONE:-${V}}", &args), string("x:1.22"));
        assert_eq!(text("\"quoted\":'$V'", &args), string("quoted:$V"));
        assert_eq!(text("a\\$V", &args), string("a$V"));
    }

    #[test]
    fn unknown_forms() {
        let args = args(&[("V", None)]);
        assert!(matches!(text("golang:$V", &args), Value::Unknown(_)));
        assert!(matches!(text("x:${V:-d}", &args), Value::Unknown(_)));
        assert!(matches!(text("x:${V#prefix}", &args), Value::Unknown(_)));
        assert!(matches!(text("$TARGETARCH/x", &args), Value::Unknown(_)));
    }

    #[test]
    fn undeclared_is_empty_with_problem() {
        let expanded = expand("golang:$MISSING", &Args::new(), '\\');
        assert_eq!(expanded.value(), Value::String("golang:".into()));
        assert_eq!(expanded.problems.len(), 1);
        let with_default = expand("golang:${MISSING:-1.22}", &Args::new(), '\\');
        assert_eq!(with_default.value(), Value::String("golang:1.22".into()));
        assert!(with_default.problems.is_empty());
    }

    #[test]
    fn split_forms() {
        let split = |word: &str| split_reference(&expand(word, &Args::new(), '\\'));
        let full = split("registry:5000/team/app:1.2@sha256:abc");
        assert_eq!(full.image, Value::String("registry:5000/team/app".into()));
        assert_eq!(full.tag, Value::String("1.2".into()));
        assert_eq!(full.digest, Value::String("sha256:abc".into()));
        let bare = split("registry:5000/app");
        assert_eq!(bare.image, Value::String("registry:5000/app".into()));
        assert_eq!(bare.tag, Value::Null);
    }

    #[test]
    fn unknown_tag_keeps_known_image() {
        let args = args(&[("V", None)]);
        let split = split_reference(&expand("golang:${V}", &args, '\\'));
        assert_eq!(split.image, Value::String("golang".into()));
        assert!(matches!(split.tag, Value::Unknown(_)));
        // The variable may carry `@sha256:...` as well.
        assert!(matches!(split.digest, Value::Unknown(_)));
    }

    #[test]
    fn unknown_image_makes_tag_unknown() {
        let args = args(&[("BASE", None)]);
        let split = split_reference(&expand("$BASE", &args, '\\'));
        assert!(matches!(split.image, Value::Unknown(_)));
        assert!(matches!(split.tag, Value::Unknown(_)));
        assert!(matches!(split.digest, Value::Unknown(_)));
    }
}
