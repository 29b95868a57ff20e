//! Dockerfiles and Containerfiles: one resource per build stage.
//!
//! The parser follows BuildKit's reading of the file: parser directives (`# syntax=`,
//! `# escape=`), comments, line continuations with the escape character, heredocs on
//! `RUN`, `COPY` and `ADD`, builder flags, the exec (JSON) form, and `ONBUILD` triggers.
//! Global `ARG`s (those before the first `FROM`) are substituted into each `FROM` image.
//!
//! The body of a stage is a map with these keys:
//! - `index`, `name` and `final` (the last stage of the file),
//! - `from`: `reference`, `image`, `tag`, `digest`, `platform`, `stage` and `scratch`,
//! - `instructions`: one map per instruction, the `FROM` first, with `keyword`,
//!   `arguments`, `flags`, `exec`, `heredocs`, `comment`, and `trigger` for `ONBUILD`,
//! - `args`: the global `ARG`s with their defaults.
//!
//! Continuation lines are joined with one space. A flag written without a value
//! (`--link`) has the value "true". Every node of an instruction has the span of the
//! whole instruction.

mod image;
mod lexer;
mod words;

use std::path::Path;

use indexmap::IndexMap;
use nexafi_model::{FileId, InputKind, Map, Node, Reference, Resource, SourceMap, Span, Value};

use crate::{Diagnostic, DiagnosticLevel, Loaded};
use image::{ArgValue, Args};
use lexer::{Heredoc, RawInstruction};
use words::Flag;

/// Resource kind of a build stage.
pub const KIND: &str = "DockerfileStage";

/// Every instruction keyword BuildKit accepts.
pub const KEYWORDS: &[&str] = &[
    "ADD",
    "ARG",
    "CMD",
    "COPY",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "FROM",
    "HEALTHCHECK",
    "LABEL",
    "MAINTAINER",
    "ONBUILD",
    "RUN",
    "SHELL",
    "STOPSIGNAL",
    "USER",
    "VOLUME",
    "WORKDIR",
];

/// Maximum number of diagnostics kept per file, so that a large file of garbage does not
/// produce a diagnostic per line.
const MAX_DIAGNOSTICS: usize = 100;

/// Instructions that accept the exec form, a JSON array of strings.
const EXEC_FORM_KEYWORDS: &[&str] = &["RUN", "CMD", "ENTRYPOINT", "SHELL", "COPY", "ADD", "VOLUME"];

/// Loads one Dockerfile.
pub fn load_file(path: &Path, text: String, sources: &SourceMap) -> Loaded {
    let file = sources.add(path, text);
    let Some(source) = sources.get(file) else {
        return Loaded::default();
    };

    let lexed = lexer::lex(&source.text);
    let mut builder = FileBuilder {
        path,
        file,
        escape: lexed.escape,
        global_args: IndexMap::new(),
        arg_values: Args::new(),
        stages: Vec::new(),
        diagnostics: Vec::new(),
        before_first_from: Vec::new(),
        diagnostic_count: 0,
    };
    for error in lexed.errors {
        let span = Span::new(file, error.start, error.end);
        builder.error(span, error.message, None);
    }
    for raw in lexed.instructions {
        builder.add(raw);
    }
    builder.finish()
}

/// A build stage being read.
struct Stage {
    index: usize,
    name: Option<String>,
    address: String,
    from: Map,
    from_span: Span,
    end: usize,
    instructions: Vec<Node>,
    references: Vec<Reference>,
}

/// An instruction with its flags and arguments read.
struct Instruction {
    keyword: String,
    flags: Vec<Flag>,
    arguments: String,
    exec: Option<Vec<String>>,
    heredocs: Vec<Heredoc>,
    comment: Option<String>,
    trigger: Option<Box<Instruction>>,
}

struct FileBuilder<'a> {
    path: &'a Path,
    file: FileId,
    escape: char,
    /// Global `ARG`s in order: default as written, and the span of the instruction.
    global_args: IndexMap<String, (Option<String>, Span)>,
    /// Values of the global `ARG`s for substitution in `FROM`.
    arg_values: Args,
    stages: Vec<Stage>,
    diagnostics: Vec<Diagnostic>,
    /// Errors of instructions before the first `FROM`, reported only when a `FROM`
    /// follows, since a file without any is reported once as a whole.
    before_first_from: Vec<Diagnostic>,
    /// Diagnostics found, including those not kept beyond [`MAX_DIAGNOSTICS`].
    diagnostic_count: usize,
}

impl FileBuilder<'_> {
    fn error(&mut self, span: Span, message: String, subject: Option<String>) {
        let diagnostic = self.diagnostic(span, message, subject);
        self.keep(diagnostic, false);
    }

    fn diagnostic(&self, span: Span, message: String, subject: Option<String>) -> Diagnostic {
        Diagnostic {
            level: DiagnosticLevel::Error,
            path: self.path.to_path_buf(),
            span: Some(span),
            message,
            subject,
        }
    }

    /// Stores a diagnostic unless [`MAX_DIAGNOSTICS`] are already stored.
    fn keep(&mut self, diagnostic: Diagnostic, before_first_from: bool) {
        self.diagnostic_count += 1;
        if self.diagnostic_count > MAX_DIAGNOSTICS {
            return;
        }
        if before_first_from {
            self.before_first_from.push(diagnostic);
        } else {
            self.diagnostics.push(diagnostic);
        }
    }

    fn current_subject(&self) -> Option<String> {
        self.stages.last().map(|stage| stage.address.clone())
    }

    fn add(&mut self, raw: RawInstruction) {
        let span = Span::new(self.file, raw.start, raw.end);
        let keyword = raw.keyword.to_ascii_uppercase();
        if !KEYWORDS.contains(&keyword.as_str()) {
            // Past the limit the message is not even built, so garbage stays cheap.
            if self.diagnostic_count >= MAX_DIAGNOSTICS {
                self.diagnostic_count += 1;
                return;
            }
            let keyword_span = Span::new(self.file, raw.keyword_start, raw.keyword_end);
            let message = unknown_keyword_message(&raw.keyword);
            let diagnostic = self.diagnostic(keyword_span, message, self.current_subject());
            self.keep(diagnostic, self.stages.is_empty());
            return;
        }

        let mut problems = Vec::new();
        let instruction = read_instruction(
            keyword,
            &raw.text,
            raw.heredocs,
            raw.comment,
            self.escape,
            &mut problems,
        );
        let subject = self.current_subject();
        for problem in problems {
            self.error(span, problem, subject.clone());
        }

        if instruction.keyword == "FROM" {
            self.start_stage(instruction, span);
            return;
        }
        if self.stages.is_empty() {
            if instruction.keyword == "ARG" {
                self.add_global_args(&instruction, span);
            } else {
                let message = format!(
                    "{} comes before the first FROM, where only ARG is allowed; \
                     move it into a build stage, after a FROM line",
                    instruction.keyword
                );
                let diagnostic = self.diagnostic(span, message, None);
                self.keep(diagnostic, true);
            }
            return;
        }
        self.add_to_stage(instruction, span);
    }

    fn add_global_args(&mut self, instruction: &Instruction, span: Span) {
        for word in words::shell_words(&instruction.arguments, self.escape) {
            let (name, default) = match word.split_once('=') {
                Some((name, default)) => (name.to_owned(), Some(default.to_owned())),
                None => (word, None),
            };
            let value = match &default {
                // A default may use the global ARGs declared before it.
                Some(default) => {
                    let expanded = image::expand(default, &self.arg_values, self.escape);
                    match expanded.known() {
                        Some(text) => ArgValue::Known(text.to_owned()),
                        None => match expanded.value() {
                            Value::Unknown(unknown) => ArgValue::Unknown(unknown.reason),
                            _ => ArgValue::Unknown(format!("ARG {name} is unknown offline")),
                        },
                    }
                }
                None => ArgValue::Unknown(format!(
                    "ARG {name} has no default, so its value comes from --build-arg at \
                     build time"
                )),
            };
            self.arg_values.insert(name.clone(), value);
            self.global_args.insert(name, (default, span));
        }
    }

    fn start_stage(&mut self, instruction: Instruction, span: Span) {
        let index = self.stages.len();
        let words = words::raw_words(&instruction.arguments, self.escape);
        let mut name = None;
        match words.as_slice() {
            [] => self.error(
                span,
                "FROM has no image; write `FROM <image>[:<tag>] [AS <name>]`".to_owned(),
                None,
            ),
            [_] => {}
            [_, as_keyword, stage_name] if as_keyword.eq_ignore_ascii_case("as") => {
                name = Some((*stage_name).to_owned());
            }
            _ => self.error(
                span,
                format!(
                    "FROM takes an image and an optional `AS <name>`, but found {:?}; \
                     remove the extra words",
                    instruction.arguments
                ),
                None,
            ),
        }

        let (from, references) = self.read_from(words.first().copied(), &instruction, span);
        let address = self.stage_address(index, name.as_deref(), span);
        let node = instruction_node(&instruction, span);
        self.stages.push(Stage {
            index,
            name,
            address,
            from,
            from_span: span,
            end: span.end as usize,
            instructions: vec![node],
            references,
        });
    }

    /// Returns the address of a new stage, reporting an invalid or repeated name.
    fn stage_address(&mut self, index: usize, name: Option<&str>, span: Span) -> String {
        let Some(name) = name else {
            return format!("Dockerfile/stage:{index}");
        };
        let by_index = format!("Dockerfile/stage:{index}");
        if !is_valid_stage_name(name) {
            self.error(
                span,
                format!(
                    "invalid stage name {name:?}; a stage name starts with a letter and \
                     contains only letters, digits, `-`, `_` and `.`"
                ),
                Some(by_index.clone()),
            );
            return by_index;
        }
        if self.find_stage(name).is_some() {
            self.error(
                span,
                format!("the stage name {name:?} is used twice; rename one of the stages"),
                Some(by_index.clone()),
            );
            return by_index;
        }
        format!("Dockerfile/stage:{name}")
    }

    /// Returns the earlier stage called `name`. Stage names ignore case, as in BuildKit.
    fn find_stage(&self, name: &str) -> Option<&Stage> {
        self.stages.iter().find(|stage| {
            stage
                .name
                .as_deref()
                .is_some_and(|stage_name| stage_name.eq_ignore_ascii_case(name))
        })
    }

    /// Returns the earlier stage that a `--from` value names, by name or by index.
    fn find_stage_reference(&self, value: &str) -> Option<&Stage> {
        if let Ok(index) = value.parse::<usize>() {
            return self.stages.get(index);
        }
        self.find_stage(value)
    }

    /// Builds the `from` map of a stage and the reference to an earlier stage it uses.
    fn read_from(
        &mut self,
        word: Option<&str>,
        instruction: &Instruction,
        span: Span,
    ) -> (Map, Vec<Reference>) {
        let node = |value: Value| Node::new(span, value);
        let mut references = Vec::new();
        let mut from = Map::new();

        let platform = match last_flag(&instruction.flags, "platform") {
            Some(value) => {
                let expanded = image::expand(value, &self.arg_values, self.escape);
                for problem in &expanded.problems {
                    self.error(span, problem.clone(), None);
                }
                expanded.value()
            }
            None => Value::Null,
        };

        let Some(word) = word else {
            let missing = Value::Unknown(nexafi_model::Unknown::new("FROM has no image"));
            for key in ["reference", "image", "tag", "digest"] {
                from.insert(key.to_owned(), node(missing.clone()));
            }
            from.insert("platform".to_owned(), node(platform));
            from.insert("stage".to_owned(), node(Value::Bool(false)));
            from.insert("scratch".to_owned(), node(Value::Bool(false)));
            return (from, references);
        };

        let expanded = image::expand(word, &self.arg_values, self.escape);
        for problem in &expanded.problems {
            self.error(span, problem.clone(), None);
        }
        if expanded.known() == Some("") {
            self.error(
                span,
                format!(
                    "the image of FROM ({word}) is empty after substituting build \
                     arguments; give the ARG a default or write the image"
                ),
                None,
            );
        }
        let parts = image::split_reference(&expanded);

        let (stage, scratch) = match (&parts.image, &parts.tag, &parts.digest) {
            (Value::String(image), tag, digest) => {
                let plain = matches!((tag, digest), (Value::Null, Value::Null));
                let earlier = if plain { self.find_stage(image) } else { None };
                if let Some(earlier) = earlier {
                    references.push(Reference {
                        attribute: "from.image".to_owned(),
                        target: earlier.address.clone(),
                        span,
                    });
                }
                (
                    Value::Bool(earlier.is_some()),
                    Value::Bool(plain && image.eq_ignore_ascii_case("scratch")),
                )
            }
            (unknown, _, _) => (unknown.clone(), unknown.clone()),
        };

        from.insert("reference".to_owned(), node(parts.reference));
        from.insert("image".to_owned(), node(parts.image));
        from.insert("tag".to_owned(), node(parts.tag));
        from.insert("digest".to_owned(), node(parts.digest));
        from.insert("platform".to_owned(), node(platform));
        from.insert("stage".to_owned(), node(stage));
        from.insert("scratch".to_owned(), node(scratch));
        (from, references)
    }

    fn add_to_stage(&mut self, instruction: Instruction, span: Span) {
        let Some(position) = self.stages.len().checked_sub(1) else {
            return;
        };
        let instruction_index = self.stages[position].instructions.len();

        // `COPY --from` and `RUN --mount=from=` may name an earlier stage.
        let mut targets = Vec::new();
        if matches!(instruction.keyword.as_str(), "COPY" | "ADD")
            && let Some(value) = last_flag(&instruction.flags, "from")
            && let Some(stage) = self.find_stage_reference(value)
            && stage.index < position
        {
            let attribute = format!("instructions.{instruction_index}.flags.from");
            targets.push((attribute, stage.address.clone()));
        }
        for flag in instruction.flags.iter().filter(|flag| flag.name == "mount") {
            let from = flag
                .value
                .split(',')
                .find_map(|option| option.strip_prefix("from="));
            if let Some(stage) = from.and_then(|value| self.find_stage_reference(value))
                && stage.index < position
            {
                let attribute = format!("instructions.{instruction_index}.flags.mount");
                targets.push((attribute, stage.address.clone()));
            }
        }

        let node = instruction_node(&instruction, span);
        let stage = &mut self.stages[position];
        for (attribute, target) in targets {
            stage.references.push(Reference {
                attribute,
                target,
                span,
            });
        }
        stage.instructions.push(node);
        stage.end = stage.end.max(span.end as usize);
    }

    fn finish(mut self) -> Loaded {
        if self.stages.is_empty() {
            let diagnostic = Diagnostic {
                level: DiagnosticLevel::Error,
                path: self.path.to_path_buf(),
                span: Some(Span::point(self.file, 0)),
                message: "the Dockerfile has no FROM instruction; start the first build \
                          stage with `FROM <image>`"
                    .to_owned(),
                subject: None,
            };
            return Loaded {
                resources: Vec::new(),
                diagnostics: vec![diagnostic],
            };
        }

        let mut diagnostics = std::mem::take(&mut self.before_first_from);
        diagnostics.append(&mut self.diagnostics);
        diagnostics.sort_by_key(|diagnostic| diagnostic.span.map(|span| span.start));
        if self.diagnostic_count > MAX_DIAGNOSTICS {
            let hidden = self.diagnostic_count - MAX_DIAGNOSTICS;
            let message = format!(
                "{hidden} more errors in this file are not shown; fix the errors above first"
            );
            let end = self.stages.last().map_or(0, |stage| stage.end);
            diagnostics.push(self.diagnostic(Span::point(self.file, end), message, None));
        }

        let args = self.args_node();
        let group = self.path.display().to_string();
        let last = self.stages.len() - 1;
        let resources = self
            .stages
            .into_iter()
            .map(|stage| stage_resource(stage, last, &args, &group, self.file))
            .collect();
        Loaded {
            resources,
            diagnostics,
        }
    }

    fn args_node(&self) -> Node {
        let spans = self.global_args.values().map(|(_, span)| *span);
        let start = spans.clone().map(|span| span.start).min().unwrap_or(0);
        let end = spans.map(|span| span.end).max().unwrap_or(0);
        let map: Map = self
            .global_args
            .iter()
            .map(|(name, (default, span))| {
                let value = default.clone().map_or(Value::Null, Value::String);
                (name.clone(), Node::new(*span, value))
            })
            .collect();
        Node::new(
            Span::new(self.file, start as usize, end as usize),
            Value::Map(map),
        )
    }
}

fn stage_resource(stage: Stage, last: usize, args: &Node, group: &str, file: FileId) -> Resource {
    let span = Span::new(file, stage.from_span.start as usize, stage.end);
    let at_from = |value: Value| Node::new(stage.from_span, value);

    let mut body = Map::new();
    #[allow(clippy::cast_precision_loss)]
    let index = stage.index as f64;
    body.insert("index".to_owned(), at_from(Value::Number(index)));
    let name = stage.name.clone().map_or(Value::Null, Value::String);
    body.insert("name".to_owned(), at_from(name));
    body.insert(
        "final".to_owned(),
        at_from(Value::Bool(stage.index == last)),
    );
    body.insert("from".to_owned(), at_from(Value::Map(stage.from)));
    body.insert(
        "instructions".to_owned(),
        Node::new(span, Value::List(stage.instructions)),
    );
    body.insert("args".to_owned(), args.clone());

    Resource {
        address: stage.address,
        input: InputKind::Dockerfile,
        kind: KIND.to_owned(),
        group: group.to_owned(),
        span,
        name_span: stage.from_span,
        body: Node::new(span, Value::Map(body)),
        references: stage.references,
        instances_unknown: None,
    }
}

/// Reads flags, arguments, the exec form and an `ONBUILD` trigger. Problems that
/// BuildKit would reject are added to `problems`.
fn read_instruction(
    keyword: String,
    text: &str,
    heredocs: Vec<Heredoc>,
    comment: Option<String>,
    escape: char,
    problems: &mut Vec<String>,
) -> Instruction {
    let (flags, rest) = words::split_flags(text, escape);
    let arguments = rest.trim_end().to_owned();

    let mut exec = None;
    if EXEC_FORM_KEYWORDS.contains(&keyword.as_str()) && arguments.starts_with('[') {
        match parse_exec_form(&arguments) {
            Ok(list) => exec = Some(list),
            Err(error) if keyword == "SHELL" || looks_like_exec_form(&arguments) => {
                problems.push(format!(
                    "invalid JSON in the exec form of {keyword}: {error}; write it as a JSON \
                     array of double-quoted strings, like [\"executable\", \"argument\"], or \
                     use the shell form"
                ));
            }
            Err(_) => {}
        }
    }
    if keyword == "SHELL" && exec.is_none() && !arguments.starts_with('[') {
        problems.push(
            "SHELL takes the exec form only; write it like SHELL [\"/bin/sh\", \"-c\"]".to_owned(),
        );
    }

    // The heredocs of `ONBUILD RUN <<EOF` belong to its trigger.
    let (trigger, heredocs) = if keyword == "ONBUILD" {
        (
            read_trigger(&arguments, heredocs, escape, problems),
            Vec::new(),
        )
    } else {
        (None, heredocs)
    };

    Instruction {
        keyword,
        flags,
        arguments,
        exec,
        heredocs,
        comment,
        trigger,
    }
}

fn read_trigger(
    arguments: &str,
    heredocs: Vec<Heredoc>,
    escape: char,
    problems: &mut Vec<String>,
) -> Option<Box<Instruction>> {
    let (inner, rest) = match arguments.split_once(char::is_whitespace) {
        Some((inner, rest)) => (inner, rest.trim_start()),
        None => (arguments, ""),
    };
    let inner = inner.to_ascii_uppercase();
    if inner.is_empty() {
        problems.push("ONBUILD has no instruction; write it like ONBUILD RUN make".to_owned());
        return None;
    }
    if !KEYWORDS.contains(&inner.as_str()) {
        problems.push(format!("ONBUILD {}", unknown_keyword_message(&inner)));
        return None;
    }
    if matches!(inner.as_str(), "ONBUILD" | "FROM" | "MAINTAINER") {
        problems.push(format!(
            "{inner} is not allowed as an ONBUILD trigger; move it out of ONBUILD"
        ));
        return None;
    }
    Some(Box::new(read_instruction(
        inner, rest, heredocs, None, escape, problems,
    )))
}

/// Parses a JSON array of strings, BuildKit's exec form.
fn parse_exec_form(text: &str) -> Result<Vec<String>, String> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|error| error.to_string())?;
    let serde_json::Value::Array(items) = value else {
        return Err("the value is not an array".to_owned());
    };
    items
        .into_iter()
        .map(|item| match item {
            serde_json::Value::String(text) => Ok(text),
            other => Err(format!("the element {other} is not a string")),
        })
        .collect()
}

/// Tells an attempt at the exec form from a shell command that starts with `[`, such as
/// `[ -f /etc/app.conf ] && start`: the first element after `[` is quoted (or the array
/// is empty) and the text ends with `]`.
fn looks_like_exec_form(text: &str) -> bool {
    let inner = text[1..].trim_start();
    let quoted = inner.starts_with(['"', '\'', '\u{201c}', '\u{2018}']) || inner.starts_with(']');
    quoted && (text.trim_end().ends_with(']') || text.starts_with("[\""))
}

fn last_flag<'a>(flags: &'a [Flag], name: &str) -> Option<&'a str> {
    flags
        .iter()
        .rev()
        .find(|flag| flag.name == name)
        .map(|flag| flag.value.as_str())
}

/// Builds the body node of one instruction. Every node has the instruction's span.
fn instruction_node(instruction: &Instruction, span: Span) -> Node {
    let node = |value: Value| Node::new(span, value);
    let string = |text: &str| node(Value::String(text.to_owned()));

    let mut flags: IndexMap<String, Node> = IndexMap::new();
    for flag in &instruction.flags {
        match flags.get_mut(&flag.name) {
            None => {
                flags.insert(flag.name.clone(), string(&flag.value));
            }
            Some(existing) => {
                // A repeated flag (`--mount` twice) becomes a list of its values.
                if let Value::String(first) = &existing.value {
                    existing.value = Value::List(vec![string(first)]);
                }
                if let Value::List(values) = &mut existing.value {
                    values.push(string(&flag.value));
                }
            }
        }
    }

    let exec = match &instruction.exec {
        Some(items) => Value::List(items.iter().map(|item| string(item)).collect()),
        None => Value::Null,
    };
    let heredocs = instruction
        .heredocs
        .iter()
        .map(|heredoc| {
            let mut map = Map::new();
            map.insert("delimiter".to_owned(), string(&heredoc.delimiter));
            map.insert("body".to_owned(), string(&heredoc.body));
            node(Value::Map(map))
        })
        .collect();
    let comment = instruction
        .comment
        .as_deref()
        .map_or(Value::Null, |text| Value::String(text.to_owned()));

    let mut map = Map::new();
    map.insert("keyword".to_owned(), string(&instruction.keyword));
    map.insert("arguments".to_owned(), string(&instruction.arguments));
    map.insert("flags".to_owned(), node(Value::Map(flags)));
    map.insert("exec".to_owned(), node(exec));
    map.insert("heredocs".to_owned(), node(Value::List(heredocs)));
    map.insert("comment".to_owned(), node(comment));
    if let Some(trigger) = &instruction.trigger {
        map.insert("trigger".to_owned(), instruction_node(trigger, span));
    }
    node(Value::Map(map))
}

/// BuildKit's rule for stage names: a letter, then letters, digits, `-`, `_` or `.`.
fn is_valid_stage_name(name: &str) -> bool {
    let mut characters = name.chars();
    characters.next().is_some_and(|c| c.is_ascii_alphabetic())
        && characters.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn unknown_keyword_message(keyword: &str) -> String {
    let upper: Vec<char> = keyword
        .chars()
        .take(17)
        .map(|c| c.to_ascii_uppercase())
        .collect();

    // A distance of at most 2 needs lengths within 2 of each other, which skips most
    // keywords before any table is filled.
    let suggestion = KEYWORDS
        .iter()
        .filter(|known| upper.len() <= 16 && upper.len().abs_diff(known.len()) <= 2)
        .map(|known| (edit_distance(&upper, known), *known))
        .filter(|(distance, _)| *distance <= 2)
        .min();
    let shown: String = keyword.chars().take(40).collect();
    match suggestion {
        Some((_, known)) => format!("unknown instruction `{shown}`; did you mean {known}?"),
        None => format!(
            "unknown instruction `{shown}`; use one of {}, or start the line with `#` to make \
             it a comment",
            KEYWORDS.join(", ")
        ),
    }
}

/// Levenshtein distance between a short word and an ASCII keyword.
fn edit_distance(left: &[char], right: &str) -> usize {
    let right = right.as_bytes();
    let mut previous: Vec<usize> = (0..=right.len()).collect();
    let mut current = vec![0; right.len() + 1];
    for (row, left_char) in left.iter().enumerate() {
        current[0] = row + 1;
        for (column, right_byte) in right.iter().enumerate() {
            let substitution =
                previous[column] + usize::from(*left_char != char::from(*right_byte));
            let insertion = current[column] + 1;
            let deletion = previous[column + 1] + 1;
            current[column + 1] = substitution.min(insertion).min(deletion);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[right.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addresses(loaded: &Loaded) -> Vec<&str> {
        loaded
            .resources
            .iter()
            .map(|resource| resource.address.as_str())
            .collect()
    }

    fn load(text: &str) -> Loaded {
        load_file(Path::new("Dockerfile"), text.to_owned(), &SourceMap::new())
    }

    #[test]
    fn edit_distance_basics() {
        let chars = |word: &str| word.chars().collect::<Vec<char>>();
        assert_eq!(edit_distance(&chars("FORM"), "FROM"), 2);
        assert_eq!(edit_distance(&chars("RUN"), "RUN"), 0);
        assert_eq!(edit_distance(&chars(""), "ADD"), 3);
        assert_eq!(edit_distance(&chars("ÉNV"), "ENV"), 1);
    }

    #[test]
    fn suggestion_for_typo() {
        assert_eq!(
            unknown_keyword_message("COPPY"),
            "unknown instruction `COPPY`; did you mean COPY?"
        );
    }

    #[test]
    fn stage_addresses() {
        let loaded = load("FROM a AS build\nFROM b\nFROM c AS build\n");
        assert_eq!(
            addresses(&loaded),
            vec![
                "Dockerfile/stage:build",
                "Dockerfile/stage:1",
                "Dockerfile/stage:2"
            ]
        );
        assert_eq!(loaded.diagnostics.len(), 1);
    }

    #[test]
    fn exec_form_detection() {
        assert!(looks_like_exec_form("['sh', '-c']"));
        assert!(looks_like_exec_form("[\"sh\" \"-c\"]"));
        assert!(!looks_like_exec_form("[ -f x ] && echo"));
        assert!(!looks_like_exec_form("[[ -f x ]]"));
    }
}
