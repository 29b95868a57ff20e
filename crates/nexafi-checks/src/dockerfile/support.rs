//! Reads a Dockerfile build stage as the loader stores it: its instructions, the
//! variables in scope at each instruction, and the earlier stage it is built from.
//!
//! The loader keeps each instruction's arguments as raw text, so variable expansion
//! happens here. It follows the Dockerfile rules. `ARG` and `ENV` bind names for the
//! instructions after them, and `ENV` wins over an `ARG` of the same name. A stage built
//! `FROM` an earlier stage inherits that stage's `ENV` but none of its `ARG`s. A global
//! `ARG`, declared before the first `FROM`, reaches a stage only when the stage declares
//! it again.

use std::collections::HashMap;

use nexafi_model::{Lookup, Map, Model, Node, Resource, Span, Value};

/// Resource kind of a Dockerfile build stage.
pub const STAGE_KIND: &str = "DockerfileStage";

/// One instruction of a stage.
#[derive(Clone, Copy, Debug)]
pub struct Instruction<'a> {
    /// The instruction's map; its span covers the whole instruction.
    pub node: &'a Node,
    /// Upper-case keyword: `RUN`, `USER`.
    pub keyword: &'a str,
    /// Raw text after the keyword and its flags.
    pub arguments: &'a str,
}

impl<'a> Instruction<'a> {
    pub fn span(&self) -> Span {
        self.node.span
    }

    /// Returns the arguments with line continuations joined and the comment lines
    /// inside a continued instruction removed, as the builder reads them.
    pub fn joined_arguments(&self) -> String {
        join_continuations(self.arguments)
    }

    /// Returns the exec (JSON array) form of the arguments, when the instruction uses it.
    pub fn exec(&self) -> Option<Vec<&'a str>> {
        let items = self.node.get("exec")?.as_list()?;
        Some(items.iter().filter_map(Node::as_str).collect())
    }

    /// Returns the bodies of the here-documents attached to the instruction.
    pub fn heredoc_bodies(&self) -> Vec<&'a str> {
        let Some(heredocs) = self.node.get("heredocs").and_then(Node::as_list) else {
            return Vec::new();
        };
        heredocs
            .iter()
            .filter_map(|heredoc| heredoc.get("body").and_then(Node::as_str))
            .collect()
    }

    /// Returns the text of the comment lines directly above the instruction, without
    /// the `#` markers, or `None` when there is no comment or it is blank.
    pub fn comment(&self) -> Option<String> {
        let text = self.node.get("comment")?.as_str()?;
        let lines: Vec<&str> = text
            .lines()
            .map(|line| line.trim().trim_start_matches('#').trim())
            .filter(|line| !line.is_empty())
            .collect();
        (!lines.is_empty()).then(|| lines.join(" "))
    }

    /// Returns the values of flag `name` (`checksum` for `--checksum=...`), from the
    /// loader's flag map and from any `--name=value` word left in the arguments.
    pub fn flag_values(&self, name: &str) -> Vec<String> {
        let mut values = Vec::new();
        if let Some(flags) = self.node.get("flags").and_then(Node::as_map) {
            for (key, value) in flags {
                if key.trim_start_matches('-') != name {
                    continue;
                }
                match &value.value {
                    Value::List(items) => {
                        values.extend(items.iter().filter_map(Node::as_str).map(str::to_owned));
                    }
                    Value::String(text) => values.push(text.clone()),
                    Value::Bool(true) => values.push(String::new()),
                    _ => {}
                }
            }
        }
        let prefix = format!("--{name}=");
        for word in raw_words(&self.joined_arguments()) {
            if let Some(value) = word.strip_prefix(&prefix) {
                values.push(unquote(value));
            }
        }
        values
    }

    /// Returns the argument words that are not `--flag` options, unexpanded.
    pub fn operand_words(&self) -> Vec<String> {
        if let Some(exec) = self.exec() {
            return exec.into_iter().map(str::to_owned).collect();
        }
        raw_words(&self.joined_arguments())
            .into_iter()
            .skip_while(|word| word.starts_with("--"))
            .collect()
    }
}

/// Returns the instructions of a stage in source order; entries that are not maps
/// with a keyword are skipped.
pub fn instructions(stage: &Resource) -> Vec<Instruction<'_>> {
    let Some(items) = stage.body.get("instructions").and_then(Node::as_list) else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|node| {
            let keyword = node.get("keyword")?.as_str()?;
            let arguments = node.get("arguments").and_then(Node::as_str).unwrap_or("");
            Some(Instruction {
                node,
                keyword,
                arguments,
            })
        })
        .collect()
}

/// Returns true for the last stage of its Dockerfile, the one `docker build` outputs
/// when no `--target` is given.
pub fn is_final(stage: &Resource) -> bool {
    stage.body.get("final").and_then(Node::as_bool) == Some(true)
}

pub fn stage_index(stage: &Resource) -> Option<i64> {
    stage.body.get("index").and_then(Node::as_i64)
}

/// Returns a stage's name for messages: its `AS` name, or its index.
pub fn stage_label(stage: &Resource) -> String {
    match stage.body.get("name").and_then(Node::as_str) {
        Some(name) => name.to_owned(),
        None => stage_index(stage).map_or_else(|| "?".to_owned(), |index| index.to_string()),
    }
}

/// Returns true when the stage's `FROM` names a field that is set to `true`
/// (`from.stage`, `from.scratch`).
pub fn from_flag(stage: &Resource, field: &str) -> bool {
    stage
        .body
        .lookup(&format!("from.{field}"))
        .node()
        .and_then(Node::as_bool)
        == Some(true)
}

/// The image source that a stage's `FROM` instruction names.
#[derive(Clone, Debug)]
pub enum BaseImage<'a> {
    /// An earlier stage or `scratch`: nothing is pulled from a registry.
    NotPulled,
    /// The reference depends on a build argument without a default.
    Unknown { reason: String, span: Span },
    /// An image pulled from a registry.
    Pulled { reference: &'a str, span: Span },
}

/// Classifies the image a stage is built from.
pub fn base_image(stage: &Resource) -> BaseImage<'_> {
    if from_flag(stage, "stage") || from_flag(stage, "scratch") {
        return BaseImage::NotPulled;
    }
    match stage.body.lookup("from.reference") {
        Lookup::Present(node) => match node.as_str() {
            Some(reference) => BaseImage::Pulled {
                reference,
                span: node.span,
            },
            None => BaseImage::Unknown {
                reason: format!("the `FROM` reference is not text: {}", node.display()),
                span: node.span,
            },
        },
        Lookup::Unknown(unknown, span) => BaseImage::Unknown {
            reason: unknown.reason.clone(),
            span,
        },
        Lookup::Missing => BaseImage::Unknown {
            reason: "the loader recorded no `FROM` reference".to_owned(),
            span: stage.name_span,
        },
    }
}

/// Returns the earlier stage of the same Dockerfile that `stage` is built `FROM`.
pub fn parent_stage<'a>(stage: &'a Resource, model: &'a Model) -> Option<&'a Resource> {
    if !from_flag(stage, "stage") {
        return None;
    }
    let name = match stage.body.lookup("from.image") {
        Lookup::Present(node) => node.as_str(),
        _ => stage
            .body
            .lookup("from.reference")
            .node()
            .and_then(Node::as_str),
    }?;
    let index = stage_index(stage)?;
    model
        .in_group(stage, STAGE_KIND)
        .filter(|candidate| stage_index(candidate).is_some_and(|other| other < index))
        .find(|candidate| {
            let by_name = candidate
                .body
                .get("name")
                .and_then(Node::as_str)
                .is_some_and(|own| own.eq_ignore_ascii_case(name));
            let by_index = stage_index(candidate).is_some_and(|own| own.to_string() == name);
            by_name || by_index
        })
}

/// Returns the stage followed by the stages it is built from, nearest first. The chain
/// ends at a stage built from an image, and it cannot loop because a parent always has
/// a lower index.
pub fn lineage<'a>(stage: &'a Resource, model: &'a Model) -> Vec<&'a Resource> {
    let mut chain = vec![stage];
    let mut current = stage;
    while let Some(parent) = parent_stage(current, model) {
        chain.push(parent);
        current = parent;
    }
    chain
}

/// A value after variable expansion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolved {
    Known(String),
    /// The value depends on something set only at build time; the text is the reason.
    Unknown(String),
}

#[derive(Clone, Debug)]
enum Binding {
    Value(String),
    Unknown(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Origin {
    Arg,
    Env,
}

/// The variables in scope at one point of a stage.
#[derive(Clone, Debug)]
pub struct Scope<'a> {
    variables: HashMap<String, (Origin, Binding)>,
    globals: Option<&'a Map>,
}

impl<'a> Scope<'a> {
    /// Creates the scope at the start of `stage`: the `ENV` variables inherited from the
    /// stages it is built from, and access to the global `ARG` defaults.
    pub fn for_stage(stage: &'a Resource, model: &'a Model) -> Self {
        let mut inherited: HashMap<String, (Origin, Binding)> = HashMap::new();
        for ancestor in lineage(stage, model).into_iter().skip(1).rev() {
            let mut scope = Scope {
                variables: inherited,
                globals: globals(ancestor),
            };
            for instruction in instructions(ancestor) {
                scope.apply(&instruction);
            }
            inherited = scope
                .variables
                .into_iter()
                .filter(|(_, (origin, _))| *origin == Origin::Env)
                .collect();
        }
        Scope {
            variables: inherited,
            globals: globals(stage),
        }
    }

    /// Records the variables that an `ARG` or `ENV` instruction declares; other
    /// instructions leave the scope unchanged.
    pub fn apply(&mut self, instruction: &Instruction<'_>) {
        match instruction.keyword {
            "ARG" => {
                for declaration in arg_declarations(instruction) {
                    let binding = match &declaration.default {
                        Some(raw) => binding_of(self.expand(raw)),
                        None => self.global_binding(&declaration.name),
                    };
                    let overridden_by_env = self
                        .variables
                        .get(&declaration.name)
                        .is_some_and(|(origin, _)| *origin == Origin::Env);
                    if !overridden_by_env {
                        self.variables
                            .insert(declaration.name, (Origin::Arg, binding));
                    }
                }
            }
            "ENV" => {
                // Every value of one ENV instruction is expanded against the scope
                // before the instruction, so `ENV A=1 B=$A` gives B the older A.
                let bindings: Vec<(String, Binding)> = env_pairs(instruction)
                    .into_iter()
                    .map(|pair| (pair.name, binding_of(self.expand(&pair.value))))
                    .collect();
                for (name, binding) in bindings {
                    self.variables.insert(name, (Origin::Env, binding));
                }
            }
            _ => {}
        }
    }

    fn global_binding(&self, name: &str) -> Binding {
        let reason = format!(
            "build argument `{name}` has no default, so its value is set only at build time"
        );
        match self.globals.and_then(|globals| globals.get(name)) {
            Some(node) => match &node.value {
                Value::String(text) => Binding::Value(text.clone()),
                Value::Number(_) | Value::Bool(_) => Binding::Value(node.display()),
                Value::Unknown(unknown) => Binding::Unknown(unknown.reason.clone()),
                _ => Binding::Unknown(reason),
            },
            None => Binding::Unknown(reason),
        }
    }

    /// Expands one raw word: removes quotes and escapes and substitutes `$NAME`,
    /// `${NAME}` and the `${NAME:-word}`, `${NAME:+word}`, `${NAME-word}`,
    /// `${NAME+word}` forms. A name that was never declared expands to nothing, as in
    /// the builder.
    pub fn expand(&self, raw: &str) -> Resolved {
        let mut output = String::new();
        let chars: Vec<char> = raw.chars().collect();
        let mut index = 0;
        let mut in_single = false;
        let mut in_double = false;
        while index < chars.len() {
            let current = chars[index];
            if in_single {
                if current == '\'' {
                    in_single = false;
                } else {
                    output.push(current);
                }
                index += 1;
                continue;
            }
            match current {
                '\'' if !in_double => in_single = true,
                '"' => in_double = !in_double,
                '\\' => {
                    if let Some(&next) = chars.get(index + 1) {
                        let escapable = !in_double || matches!(next, '"' | '\\' | '$');
                        if escapable {
                            output.push(next);
                        } else {
                            output.push(current);
                            output.push(next);
                        }
                        index += 1;
                    } else {
                        output.push(current);
                    }
                }
                '$' => match self.substitute(&chars, index) {
                    Some((Resolved::Known(text), next)) => {
                        output.push_str(&text);
                        index = next;
                        continue;
                    }
                    Some((Resolved::Unknown(reason), _)) => return Resolved::Unknown(reason),
                    None => output.push(current),
                },
                _ => output.push(current),
            }
            index += 1;
        }
        Resolved::Known(output)
    }

    /// Substitutes the variable reference starting at `chars[start]` (a `$`); returns
    /// the value and the index after the reference, or `None` when no name follows.
    fn substitute(&self, chars: &[char], start: usize) -> Option<(Resolved, usize)> {
        let next = *chars.get(start + 1)?;
        if next == '{' {
            let close = find_closing_brace(chars, start + 2)?;
            let inner: String = chars[start + 2..close].iter().collect();
            return Some((self.substitute_braced(&inner), close + 1));
        }
        if !(next.is_ascii_alphabetic() || next == '_') {
            return None;
        }
        let mut end = start + 1;
        while end < chars.len() && (chars[end].is_ascii_alphanumeric() || chars[end] == '_') {
            end += 1;
        }
        let name: String = chars[start + 1..end].iter().collect();
        Some((self.value_of(&name), end))
    }

    fn substitute_braced(&self, inner: &str) -> Resolved {
        let name_end = inner
            .char_indices()
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_'))
            .map_or(inner.len(), |(position, _)| position);
        let name = &inner[..name_end];
        let modifier = &inner[name_end..];
        if modifier.is_empty() {
            return self.value_of(name);
        }

        // The modifier forms need to know whether the name is set and whether it is empty.
        let binding = self.variables.get(name).map(|(_, binding)| binding);
        if let Some(Binding::Unknown(reason)) = binding {
            return Resolved::Unknown(reason.clone());
        }
        let value = match binding {
            Some(Binding::Value(text)) => Some(text.as_str()),
            _ => None,
        };
        let non_empty = value.filter(|text| !text.is_empty());

        if let Some(word) = modifier.strip_prefix(":-") {
            return match non_empty {
                Some(text) => Resolved::Known(text.to_owned()),
                None => self.expand(word),
            };
        }
        if let Some(word) = modifier.strip_prefix(":+") {
            return match non_empty {
                Some(_) => self.expand(word),
                None => Resolved::Known(String::new()),
            };
        }
        if let Some(word) = modifier.strip_prefix('-') {
            return match value {
                Some(text) => Resolved::Known(text.to_owned()),
                None => self.expand(word),
            };
        }
        if let Some(word) = modifier.strip_prefix('+') {
            return match value {
                Some(_) => self.expand(word),
                None => Resolved::Known(String::new()),
            };
        }
        if modifier.starts_with(":?") || modifier.starts_with('?') {
            // An unset name stops the build with an error, so a completed build saw a value.
            return Resolved::Known(value.unwrap_or_default().to_owned());
        }

        Resolved::Unknown(format!(
            "`${{{inner}}}` uses a substitution form that is not evaluated offline"
        ))
    }

    fn value_of(&self, name: &str) -> Resolved {
        match self.variables.get(name) {
            Some((_, Binding::Value(text))) => Resolved::Known(text.clone()),
            Some((_, Binding::Unknown(reason))) => Resolved::Unknown(reason.clone()),
            None => Resolved::Known(String::new()),
        }
    }
}

fn globals(stage: &Resource) -> Option<&Map> {
    stage.body.get("args").and_then(Node::as_map)
}

fn binding_of(resolved: Resolved) -> Binding {
    match resolved {
        Resolved::Known(text) => Binding::Value(text),
        Resolved::Unknown(reason) => Binding::Unknown(reason),
    }
}

fn find_closing_brace(chars: &[char], from: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (offset, c) in chars[from..].iter().enumerate() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return Some(from + offset),
            '}' => depth -= 1,
            _ => {}
        }
    }
    None
}

/// One name declared by an `ARG` instruction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArgDeclaration {
    pub name: String,
    /// The raw default after `=`, still quoted and unexpanded.
    pub default: Option<String>,
}

/// Returns the names an `ARG` instruction declares (`ARG A B=2` declares two).
pub fn arg_declarations(instruction: &Instruction<'_>) -> Vec<ArgDeclaration> {
    raw_words(&instruction.joined_arguments())
        .into_iter()
        .map(|word| match word.split_once('=') {
            Some((name, default)) => ArgDeclaration {
                name: name.to_owned(),
                default: Some(default.to_owned()),
            },
            None => ArgDeclaration {
                name: word,
                default: None,
            },
        })
        .collect()
}

/// One variable set by an `ENV` instruction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvPair {
    pub name: String,
    /// The raw value, still quoted and unexpanded.
    pub value: String,
}

/// Returns the variables an `ENV` instruction sets, in both the `ENV A=1 B=2` form and
/// the older `ENV A value with spaces` form.
pub fn env_pairs(instruction: &Instruction<'_>) -> Vec<EnvPair> {
    let text = instruction.joined_arguments();
    let words = raw_words(&text);
    let Some(first) = words.first() else {
        return Vec::new();
    };
    if !first.contains('=') {
        let value = text.trim_start()[first.len()..].trim().to_owned();
        return vec![EnvPair {
            name: first.clone(),
            value,
        }];
    }
    words
        .into_iter()
        .filter_map(|word| {
            let (name, value) = word.split_once('=')?;
            Some(EnvPair {
                name: name.to_owned(),
                value: value.to_owned(),
            })
        })
        .collect()
}

/// Splits text into words at unquoted, unescaped whitespace, keeping quotes and
/// escapes in each word for [`Scope::expand`].
pub fn raw_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut in_single = false;
    let mut in_double = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' if !in_double => {
                in_single = !in_single;
                current.push(c);
            }
            '"' if !in_single => {
                in_double = !in_double;
                current.push(c);
            }
            '\\' if !in_single => {
                current.push(c);
                if let Some(next) = chars.next() {
                    current.push(next);
                }
            }
            c if c.is_whitespace() && !in_single && !in_double => {
                if !current.is_empty() {
                    words.push(std::mem::take(&mut current));
                }
            }
            _ => current.push(c),
        }
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// Removes one pair of surrounding quotes.
pub fn unquote(text: &str) -> String {
    let trimmed = text.trim();
    for quote in ['"', '\''] {
        if let Some(inner) = trimmed
            .strip_prefix(quote)
            .and_then(|rest| rest.strip_suffix(quote))
        {
            return inner.to_owned();
        }
    }
    trimmed.to_owned()
}

/// Joins lines ending in a backslash with the next line and drops comment lines
/// inside such a continued instruction.
pub fn join_continuations(text: &str) -> String {
    let mut joined = String::with_capacity(text.len());
    let mut continued = false;
    for line in text.lines() {
        if continued && line.trim_start().starts_with('#') {
            continue;
        }
        let trimmed = line.trim_end();
        match trimmed.strip_suffix('\\') {
            Some(body) if !body.ends_with('\\') => {
                joined.push_str(body);
                joined.push(' ');
                continued = true;
            }
            _ => {
                joined.push_str(line);
                joined.push('\n');
                continued = false;
            }
        }
    }
    if !text.ends_with('\n') && joined.ends_with('\n') {
        joined.pop();
    }
    joined
}

#[cfg(test)]
mod tests {
    use super::*;
    use nexafi_model::FileId;

    fn scope(entries: &[(&str, Option<&str>)]) -> Scope<'static> {
        let variables = entries
            .iter()
            .map(|(name, value)| {
                let binding = match value {
                    Some(text) => Binding::Value((*text).to_owned()),
                    None => Binding::Unknown(format!("{name} is unset")),
                };
                ((*name).to_owned(), (Origin::Arg, binding))
            })
            .collect();
        Scope {
            variables,
            globals: None,
        }
    }

    fn known(text: &str) -> Resolved {
        Resolved::Known(text.to_owned())
    }

    #[test]
    fn expand_plain_and_braced() {
        let scope = scope(&[("USER_ID", Some("10001"))]);
        assert_eq!(scope.expand("$USER_ID:${USER_ID}"), known("10001:10001"));
    }

    #[test]
    fn expand_undeclared_is_empty() {
        assert_eq!(scope(&[]).expand("a${MISSING}b"), known("ab"));
    }

    #[test]
    fn expand_unknown_propagates() {
        let resolved = scope(&[("UID", None)]).expand("${UID}");
        assert_eq!(resolved, Resolved::Unknown("UID is unset".to_owned()));
    }

    #[test]
    fn expand_default_forms() {
        let scope = scope(&[("EMPTY", Some("")), ("SET", Some("x"))]);
        assert_eq!(scope.expand("${EMPTY:-d}"), known("d"));
        assert_eq!(scope.expand("${EMPTY-d}"), known(""));
        assert_eq!(scope.expand("${NONE-d}"), known("d"));
        assert_eq!(scope.expand("${SET:+alt}"), known("alt"));
        assert_eq!(scope.expand("${NONE:+alt}"), known(""));
        assert_eq!(scope.expand("${NONE:-${SET}}"), known("x"));
    }

    #[test]
    fn expand_respects_quotes_and_escapes() {
        let scope = scope(&[("A", Some("1"))]);
        assert_eq!(scope.expand("'$A'"), known("$A"));
        assert_eq!(scope.expand("\"$A b\""), known("1 b"));
        assert_eq!(scope.expand("\\$A"), known("$A"));
        assert_eq!(scope.expand("cost$"), known("cost$"));
    }

    #[test]
    fn expand_pattern_forms_unknown() {
        let resolved = scope(&[("A", Some("abc"))]).expand("${A#a}");
        assert!(matches!(resolved, Resolved::Unknown(_)));
    }

    #[test]
    fn raw_words_keep_quoted_spaces() {
        let words = raw_words(r#"A="one two" B=three\ four  C"#);
        assert_eq!(words, vec![r#"A="one two""#, r"B=three\ four", "C"]);
    }

    #[test]
    fn continuations_join_and_drop_comments() {
        let text = "apt-get update \\\n  # refresh\n  && apt-get install -y curl";
        assert_eq!(
            join_continuations(text),
            "apt-get update    && apt-get install -y curl"
        );
    }

    #[test]
    fn comment_strips_markers() {
        let span = Span::new(FileId(0), 0, 0);
        let mut map = Map::new();
        map.insert(
            "keyword".to_owned(),
            Node::new(span, Value::String("HEALTHCHECK".into())),
        );
        map.insert(
            "comment".to_owned(),
            Node::new(
                span,
                Value::String("# probes live in\n#   the chart".into()),
            ),
        );
        let node = Node::new(span, Value::Map(map));
        let instruction = Instruction {
            node: &node,
            keyword: "HEALTHCHECK",
            arguments: "NONE",
        };
        assert_eq!(
            instruction.comment().as_deref(),
            Some("probes live in the chart")
        );
    }
}
