//! Patch targets: which objects a `target` selector picks.

use nexafi_model::Node;
use regex::Regex;

use super::object::Object;
use super::spec::Selector;

/// A selector with its regular expressions compiled.
pub(crate) struct Matcher {
    group: Option<Regex>,
    version: Option<Regex>,
    kind: Option<Regex>,
    name: Option<Regex>,
    namespace: Option<Regex>,
    labels: Vec<Requirement>,
    annotations: Vec<Requirement>,
}

impl Matcher {
    /// Compiles a selector, or returns a message naming the invalid part.
    pub(crate) fn new(selector: &Selector) -> Result<Self, String> {
        let compile = |field: &str, pattern: &Option<String>| -> Result<Option<Regex>, String> {
            pattern
                .as_deref()
                .map(|pattern| {
                    Regex::new(&format!("^(?:{pattern})$")).map_err(|error| {
                        format!(
                            "target.{field} {pattern:?} is not a valid regular expression: {error}"
                        )
                    })
                })
                .transpose()
        };
        Ok(Self {
            group: compile("group", &selector.group)?,
            version: compile("version", &selector.version)?,
            kind: compile("kind", &selector.kind)?,
            name: compile("name", &selector.name)?,
            namespace: compile("namespace", &selector.namespace)?,
            labels: parse_requirements(selector.label_selector.as_deref().unwrap_or_default())
                .map_err(|error| format!("target.labelSelector is invalid: {error}"))?,
            annotations: parse_requirements(
                selector.annotation_selector.as_deref().unwrap_or_default(),
            )
            .map_err(|error| format!("target.annotationSelector is invalid: {error}"))?,
        })
    }

    pub(crate) fn matches(&self, object: &Object) -> bool {
        let matches = |regex: &Option<Regex>, text: &str| {
            regex.as_ref().is_none_or(|regex| regex.is_match(text))
        };
        let name_matches = match &self.name {
            None => true,
            Some(regex) => {
                regex.is_match(object.name())
                    || object
                        .previous_names
                        .iter()
                        .any(|name| regex.is_match(name))
            }
        };
        matches(&self.group, object.group())
            && matches(&self.version, object.version())
            && matches(&self.kind, object.kind())
            && name_matches
            && matches(&self.namespace, object.namespace())
            && self.labels.iter().all(|requirement| {
                requirement.matches(object.node.lookup("metadata.labels").node())
            })
            && self.annotations.iter().all(|requirement| {
                requirement.matches(object.node.lookup("metadata.annotations").node())
            })
    }
}

/// One requirement of a Kubernetes label selector string.
#[derive(Debug, PartialEq)]
enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

impl Requirement {
    fn matches(&self, labels: Option<&Node>) -> bool {
        let value = |key: &str| {
            labels
                .and_then(|labels| labels.get(key))
                .and_then(Node::as_str)
        };
        match self {
            Requirement::Equals(key, expected) => value(key) == Some(expected),
            Requirement::NotEquals(key, expected) => value(key) != Some(expected),
            Requirement::In(key, set) => {
                value(key).is_some_and(|value| set.iter().any(|item| item == value))
            }
            Requirement::NotIn(key, set) => {
                value(key).is_none_or(|value| set.iter().all(|item| item != value))
            }
            Requirement::Exists(key) => value(key).is_some(),
            Requirement::NotExists(key) => value(key).is_none(),
        }
    }
}

/// Parses `app=web,tier!=db,env in (prod, staging),!legacy`.
fn parse_requirements(text: &str) -> Result<Vec<Requirement>, String> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (index, character) in text.char_indices() {
        match character {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(&text[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);

    let mut requirements = Vec::new();
    for part in parts
        .into_iter()
        .map(str::trim)
        .filter(|part| !part.is_empty())
    {
        let requirement = if let Some(key) = part.strip_prefix('!') {
            Requirement::NotExists(key.trim().to_owned())
        } else if let Some((key, value)) = part.split_once("!=") {
            Requirement::NotEquals(key.trim().to_owned(), value.trim().to_owned())
        } else if let Some((key, value)) = part.split_once("==").or_else(|| part.split_once('=')) {
            Requirement::Equals(key.trim().to_owned(), value.trim().to_owned())
        } else if let Some((key, set)) = split_set(part, " notin ") {
            Requirement::NotIn(key, set?)
        } else if let Some((key, set)) = split_set(part, " in ") {
            Requirement::In(key, set?)
        } else if part.contains(char::is_whitespace) {
            return Err(format!(
                "cannot read {part:?}; write key=value, key!=value, key in (a,b) or key"
            ));
        } else {
            Requirement::Exists(part.to_owned())
        };
        requirements.push(requirement);
    }
    Ok(requirements)
}

type SetParse = Result<Vec<String>, String>;

fn split_set(part: &str, operator: &str) -> Option<(String, SetParse)> {
    let (key, rest) = part.split_once(operator)?;
    let rest = rest.trim();
    let set = rest
        .strip_prefix('(')
        .and_then(|rest| rest.strip_suffix(')'))
        .map(|inner| {
            inner
                .split(',')
                .map(|item| item.trim().to_owned())
                .filter(|item| !item.is_empty())
                .collect()
        })
        .ok_or_else(|| format!("the set in {part:?} is not in parentheses; write key in (a,b)"));
    Some((key.trim().to_owned(), set))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirements_parse() {
        let parsed = parse_requirements("app=web, tier!=db,env in (prod, staging),!legacy,team");
        assert_eq!(
            parsed,
            Ok(vec![
                Requirement::Equals("app".into(), "web".into()),
                Requirement::NotEquals("tier".into(), "db".into()),
                Requirement::In("env".into(), vec!["prod".into(), "staging".into()]),
                Requirement::NotExists("legacy".into()),
                Requirement::Exists("team".into()),
            ])
        );
    }

    #[test]
    fn requirements_reject_bad_set() {
        assert!(parse_requirements("env in prod").is_err());
    }
}
