use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Lookup, Model, Node, Resource,
    Severity, Value,
};

use crate::Check;
use crate::kubernetes::object;
use crate::kubernetes::pod::{self, ALL_CONTAINERS, Container};

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-K8S-SECRET-001",
        slug: "k8s-secret-in-env-literal",
        title: "Secret-looking environment variables come from a Secret, not a literal",
        severity: Severity::High,
        input: InputKind::Kubernetes,
        kinds: pod::WORKLOAD_KINDS,
        categories: &["secrets-management"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &[],
        references: &[
            "https://kubernetes.io/docs/concepts/configuration/secret/#using-secrets-as-environment-variables",
            "https://kubernetes.io/docs/tasks/inject-data-application/define-environment-variable-container/",
        ],
        docs: CheckDocs {
            what: "Reads `env` of every container, init container and ephemeral container. \
                   An entry whose name looks like a credential fails when it sets a non-empty \
                   literal `value` instead of `valueFrom`. A name looks like a credential when \
                   one of its words, split at `_`, `-`, `.` and camelCase, ends with PASSWORD, \
                   PASSWD, SECRET, TOKEN, CREDENTIAL, CREDENTIALS or APIKEY, or when two \
                   adjacent words are API KEY or PRIVATE KEY (`DB_PASSWORD`, `PGPASSWORD`, \
                   `stripeApiKey`, `JWT_PRIVATE_KEY`). \
                   Names whose last word is FILE, PATH, DIR, NAME, URL, URI, ENDPOINT, TYPE, \
                   TTL, TIMEOUT, EXPIRY or LENGTH are skipped, because they point at or \
                   describe a secret rather than hold it. A value that is only a `$(VAR)` \
                   reference passes. Each offending entry gets its own finding; the value \
                   itself is never printed.",
            why: "A literal in a manifest is stored in Git history, in CI logs, in the \
                  `last-applied-configuration` annotation and in etcd without Secret \
                  encryption, and anyone with read access to the workload sees it. PCI DSS \
                  forbids storing authentication credentials in the clear, and rotating a \
                  leaked database password of a payment system is an incident.",
            fix: "Keep the value in a Secret, ideally synchronised from a vault, and reference \
                  it:\n\n```yaml\nenv:\n  - name: DB_PASSWORD\n    valueFrom:\n      \
                  secretKeyRef:\n        name: ledger-db\n        key: password\n```",
            limitations: "Only variable names are inspected: a secret stored under a neutral \
                          name (`DATABASE_URL` with an embedded password) is not found, and a \
                          non-secret value under a matching name is reported. `envFrom` \
                          ConfigMaps are not read.",
        },
    },
    cases: include_str!("env_literal.cases.yaml"),
    evaluate,
};

/// Endings of words that make a variable name look like a credential. Matching the end
/// of a word finds `PGPASSWORD` and `GITHUBTOKEN` but not `TOKENIZER`.
const SECRET_WORDS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "SECRET",
    "TOKEN",
    "CREDENTIAL",
    "CREDENTIALS",
    "APIKEY",
];

/// Pairs of adjacent words that make a variable name look like a credential.
const SECRET_PAIRS: &[(&str, &str)] = &[("API", "KEY"), ("PRIVATE", "KEY")];

/// Last words of names that point at or describe a secret instead of holding it.
const DESCRIPTIVE_SUFFIXES: &[&str] = &[
    "FILE", "PATH", "DIR", "NAME", "URL", "URI", "ENDPOINT", "TYPE", "TTL", "TIMEOUT", "EXPIRY",
    "LENGTH",
];

fn evaluate(resource: &Resource, _model: &Model) -> Vec<Evaluation> {
    pod::evaluate_containers(resource, ALL_CONTAINERS, |_, container| {
        evaluate_container(container)
    })
}

fn evaluate_container(container: &Container<'_>) -> Vec<Evaluation> {
    let label = container.label();
    let env_attribute = container.attribute("env");
    let entries = match container.lookup("env") {
        Lookup::Unknown(unknown, span) => {
            return vec![object::unknown(&env_attribute, unknown, span)];
        }
        Lookup::Missing => &[][..],
        Lookup::Present(node) => node.as_list().unwrap_or_default(),
    };

    let mut evaluations = Vec::new();
    let mut sensitive = 0;
    for (index, entry) in entries.iter().enumerate() {
        let Some(name) = entry.get("name").and_then(Node::as_str) else {
            continue;
        };
        if !looks_like_secret(name) {
            continue;
        }
        sensitive += 1;
        let attribute = format!("{env_attribute}.{index}.value");
        match entry.lookup("value") {
            Lookup::Unknown(unknown, span) => {
                evaluations.push(object::unknown(&attribute, unknown, span));
            }
            Lookup::Missing => {}
            Lookup::Present(value) if is_literal_secret(value) => evaluations.push(
                Evaluation::fail(
                    value.span,
                    format!(
                        "{label} sets `{name}` to a literal value in the manifest; move the \
                         value into a Secret and use `valueFrom.secretKeyRef`"
                    ),
                )
                .attribute(attribute)
                .expected("valueFrom.secretKeyRef")
                .found("a literal value (not shown)"),
            ),
            Lookup::Present(_) => {}
        }
    }
    if evaluations.is_empty() {
        let message = if sensitive == 0 {
            format!("{label} has no environment variable with a credential-like name")
        } else {
            format!("{label} sets none of its {sensitive} credential-like variables to a literal")
        };
        evaluations.push(Evaluation::pass(container.span(), message).attribute(env_attribute));
    }
    evaluations
}

/// Returns true for a non-empty literal that is not just a `$(VAR)` reference to
/// another variable, which Kubernetes expands at start.
fn is_literal_secret(value: &Node) -> bool {
    let text = match &value.value {
        Value::String(text) => text.trim().to_owned(),
        Value::Number(_) | Value::Bool(_) => value.display(),
        _ => return false,
    };
    if text.is_empty() {
        return false;
    }
    let is_reference = text.starts_with("$(")
        && text.ends_with(')')
        && text[2..text.len() - 1]
            .chars()
            .all(|character| character.is_ascii_alphanumeric() || "_-.".contains(character));
    !is_reference
}

/// Returns true when the variable name `name` looks like the name of a credential.
pub fn looks_like_secret(name: &str) -> bool {
    let words = split_words(name);
    let Some(last) = words.last() else {
        return false;
    };
    if words.len() > 1 && DESCRIPTIVE_SUFFIXES.contains(&last.as_str()) {
        return false;
    }
    words.iter().any(|word| {
        SECRET_WORDS
            .iter()
            .any(|secret_word| word.ends_with(secret_word))
    }) || words.windows(2).any(|pair| {
        SECRET_PAIRS
            .iter()
            .any(|(first, second)| pair[0] == *first && pair[1] == *second)
    })
}

/// Splits a variable name into upper-case words at `_`, `-`, `.` and lower-to-upper
/// case changes: `stripeApiKey` becomes STRIPE, API, KEY.
fn split_words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for character in name.chars() {
        if !character.is_ascii_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            previous_lower = false;
            continue;
        }
        if character.is_ascii_uppercase() && previous_lower && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        previous_lower = character.is_ascii_lowercase() || character.is_ascii_digit();
        current.push(character.to_ascii_uppercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names_match() {
        for name in [
            "DB_PASSWORD",
            "PGPASSWORD",
            "POSTGRES_PASSWD",
            "CLIENT_SECRET",
            "AWS_SECRET_ACCESS_KEY",
            "GITHUB_TOKEN",
            "stripeApiKey",
            "API_KEY",
            "APIKEY",
            "JWT_PRIVATE_KEY",
            "GOOGLE_APPLICATION_CREDENTIALS",
            "smtp.password",
        ] {
            assert!(looks_like_secret(name), "{name} should look like a secret");
        }
    }

    #[test]
    fn descriptive_names_skip() {
        for name in [
            "POSTGRES_PASSWORD_FILE",
            "TOKEN_URL",
            "SECRET_NAME",
            "TOKEN_TTL",
            "KEY_ID",
            "LOG_LEVEL",
            "PASSTHROUGH",
            "TOKENIZER_MODEL",
            "PRIVATE_NETWORK",
        ] {
            assert!(
                !looks_like_secret(name),
                "{name} should not look like a secret"
            );
        }
    }

    #[test]
    fn split_words_camel_case() {
        assert_eq!(split_words("stripeApiKey"), ["STRIPE", "API", "KEY"]);
        assert_eq!(split_words("DB_PASSWORD"), ["DB", "PASSWORD"]);
        assert_eq!(split_words("smtp.user-name"), ["SMTP", "USER", "NAME"]);
    }
}
