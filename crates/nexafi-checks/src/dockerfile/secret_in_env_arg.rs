use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Model, Node, Resource, Severity,
    Span, Value,
};

use crate::Check;
use crate::dockerfile::support::{
    ArgDeclaration, EnvPair, Resolved, STAGE_KIND, Scope, arg_declarations, env_pairs,
    instructions, stage_index,
};

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-DOCKER-005",
        slug: "dockerfile-secret-in-env-or-arg",
        title: "Secrets are not passed through ENV or ARG",
        severity: Severity::High,
        input: InputKind::Dockerfile,
        kinds: &[STAGE_KIND],
        categories: &["secrets-management"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &["SecretsUsedInArgOrEnv"],
        references: &[
            "https://docs.docker.com/build/building/secrets/",
            "https://docs.docker.com/reference/build-checks/secrets-used-in-arg-or-env/",
            "https://docs.docker.com/reference/dockerfile/#arg",
        ],
        docs: CheckDocs {
            what: "Looks at every variable that an `ENV` or `ARG` instruction declares, in every \
                   stage, and at the global `ARG`s before the first `FROM` (reported on the \
                   first stage). A name counts as a secret when one of its words, split at `_`, \
                   `-`, `.` and camel case, is PASSWORD, PASSWD, PASSPHRASE, SECRET, TOKEN, \
                   APIKEY, PRIVATEKEY or CREDENTIALS, when two adjacent words are API KEY, \
                   PRIVATE KEY, ACCESS KEY, SIGNING KEY, ENCRYPTION KEY, MASTER KEY, ACCOUNT KEY, \
                   SSH KEY, AUTH KEY, LICENSE KEY or CONNECTION STRING, or when the last word is \
                   PASS or PWD; names ending in a word that points at a secret rather than \
                   holding it (FILE, PATH, DIR, URL, ARN, NAME, ID, ENDPOINT, HOST, TTL and \
                   similar) are left alone. Such an `ENV` fails unless its value is empty or a \
                   boolean word (`true`, `false`, `yes`, `no`, `on`, `off`, `0`, `1`). Such an \
                   `ARG` fails with or without a default, because a build argument's value is \
                   still supplied on the command line and recorded with the build; a boolean \
                   default is the only exception. Messages never repeat the value.",
            why: "`ENV` values are stored in the image configuration and `ARG` values in the \
                  image history and build provenance, so anyone who can pull the image (every \
                  node, every developer, every registry replica) can read them with \
                  `docker history` or `docker inspect`, long after the credential was meant to \
                  be rotated. PCI DSS 8.6.2 says that passwords of application and system \
                  accounts are not hard-coded in scripts, configuration files or source code, \
                  and SOC 2 CC6.1 expects credentials to be protected. A token in an image layer \
                  meets neither.",
            fix: "Pass build-time secrets as secret mounts, which exist only while the `RUN` \
                  step runs and leave nothing in the image; pass runtime secrets from the \
                  orchestrator (a Kubernetes Secret or the Secrets Store CSI driver):\n\n\
                  ```dockerfile\n# syntax=docker/dockerfile:1\n\
                  RUN --mount=type=secret,id=npm_token,env=NPM_TOKEN \\\n    npm ci --omit=dev\n```\n\n\
                  and build with `docker build --secret id=npm_token,env=NPM_TOKEN .`",
            limitations: "Detection is by name only: a secret stored under a neutral name \
                          (`ENV LEDGER_CONFIG=postgres://admin:hunter2@db/ledger`) passes, and a \
                          harmless value under a secret-like name fails. Secrets written into \
                          files by `RUN` or `COPY` are not examined here. Names are split into \
                          words before matching, so `TOKENIZER_MODEL` does not match TOKEN.",
        },
    },
    cases: include_str!("secret_in_env_arg.cases.yaml"),
    evaluate,
};

/// Words that make a variable name a secret wherever they appear.
const SECRET_WORDS: &[&str] = &[
    "PASSWORD",
    "PASSWORDS",
    "PASSWD",
    "PASSPHRASE",
    "SECRET",
    "SECRETS",
    "TOKEN",
    "TOKENS",
    "APIKEY",
    "PRIVATEKEY",
    "CREDENTIAL",
    "CREDENTIALS",
];

/// Adjacent word pairs that name a secret.
const SECRET_PAIRS: &[(&str, &str)] = &[
    ("API", "KEY"),
    ("PRIVATE", "KEY"),
    ("ACCESS", "KEY"),
    ("SIGNING", "KEY"),
    ("ENCRYPTION", "KEY"),
    ("MASTER", "KEY"),
    ("ACCOUNT", "KEY"),
    ("SSH", "KEY"),
    ("AUTH", "KEY"),
    ("LICENSE", "KEY"),
    ("CONNECTION", "STRING"),
];

/// Short forms that name a password only as the last word (`DB_PASS`, `SMTP_PWD`).
const SECRET_LAST_WORDS: &[&str] = &["PASS", "PWD"];

/// Last words that make the variable point at a secret instead of holding it.
const REFERENCE_LAST_WORDS: &[&str] = &[
    "FILE",
    "FILES",
    "PATH",
    "DIR",
    "URL",
    "URI",
    "ARN",
    "NAME",
    "ID",
    "REF",
    "ENDPOINT",
    "HOST",
    "PORT",
    "TTL",
    "LENGTH",
    "LEN",
    "TYPE",
    "MOUNT",
    "ENABLED",
    "DISABLED",
    "HEADER",
    "EXPIRY",
    "EXPIRATION",
    "TIMEOUT",
    "LOCATION",
    "VERSION",
    "KIND",
    "MODE",
    "FORMAT",
    "SIZE",
    "COUNT",
    "LIMIT",
    "PREFIX",
];

/// Values that switch a feature rather than carry a credential.
const BOOLEAN_WORDS: &[&str] = &["true", "false", "yes", "no", "on", "off", "0", "1"];

fn evaluate(stage: &Resource, model: &Model) -> Vec<Evaluation> {
    let mut evaluations = Vec::new();

    // Global ARGs belong to no stage; report them once, on the first one.
    let globals = stage.body.get("args").and_then(Node::as_map);
    if let (Some(0), Some(globals)) = (stage_index(stage), globals) {
        for (name, default) in globals {
            if is_secret_name(name) {
                evaluations.push(judge_global_arg(name, default, stage.name_span));
            }
        }
    }

    let mut scope = Scope::for_stage(stage, model);
    for instruction in instructions(stage) {
        let span = instruction.span();
        match instruction.keyword {
            "ARG" => {
                for declaration in arg_declarations(&instruction) {
                    if is_secret_name(&declaration.name) {
                        evaluations.push(judge_arg(&declaration, &scope, span));
                    }
                }
            }
            "ENV" => {
                for pair in env_pairs(&instruction) {
                    if is_secret_name(&pair.name) {
                        evaluations.push(judge_env(&pair, &scope, span));
                    }
                }
            }
            _ => {}
        }
        scope.apply(&instruction);
    }

    if evaluations.is_empty() {
        evaluations.push(Evaluation::pass(
            stage.name_span,
            "no `ENV` or `ARG` in the stage is named like a secret",
        ));
    }
    evaluations
}

fn judge_global_arg(name: &str, default: &Node, stage_span: Span) -> Evaluation {
    let span = if default.span.end > default.span.start {
        default.span
    } else {
        stage_span
    };
    let attribute = format!("args.{name}");
    if let Value::String(text) = &default.value {
        if is_boolean_word(text) {
            return Evaluation::pass(
                span,
                format!("global `ARG {name}` defaults to the switch value `{text}`"),
            )
            .attribute(attribute);
        }
        return arg_failure(name, true, span).attribute(attribute);
    }
    arg_failure(name, false, span).attribute(attribute)
}

fn judge_arg(declaration: &ArgDeclaration, scope: &Scope<'_>, span: Span) -> Evaluation {
    let name = &declaration.name;
    let attribute = format!("ARG.{name}");
    let Some(raw) = &declaration.default else {
        return arg_failure(name, false, span).attribute(attribute);
    };
    if let Resolved::Known(value) = scope.expand(raw)
        && is_boolean_word(&value)
    {
        return Evaluation::pass(
            span,
            format!("`ARG {name}` defaults to the switch value `{value}`"),
        )
        .attribute(attribute);
    }
    arg_failure(name, true, span).attribute(attribute)
}

fn arg_failure(name: &str, has_default: bool, span: Span) -> Evaluation {
    let problem = if has_default {
        "has a default value written in the Dockerfile"
    } else {
        "expects the secret as a build argument, whose value is recorded in the image \
         history and build provenance"
    };
    Evaluation::fail(
        span,
        format!(
            "`ARG {name}` {problem}; use `RUN --mount=type=secret,id=...` for build-time \
             secrets instead"
        ),
    )
    .expected("a secret mount, not a build argument")
    .found(if has_default {
        "ARG with a default (value not shown)"
    } else {
        "ARG without a default"
    })
}

fn judge_env(pair: &EnvPair, scope: &Scope<'_>, span: Span) -> Evaluation {
    let name = &pair.name;
    let attribute = format!("ENV.{name}");
    let found = match scope.expand(&pair.value) {
        Resolved::Known(value) if value.is_empty() => {
            return Evaluation::pass(span, format!("`ENV {name}` is empty")).attribute(attribute);
        }
        Resolved::Known(value) if is_boolean_word(&value) => {
            return Evaluation::pass(
                span,
                format!("`ENV {name}` holds the switch value `{value}`"),
            )
            .attribute(attribute);
        }
        Resolved::Known(_) => "a literal value (not shown)",
        Resolved::Unknown(_) => "a value copied from a build argument",
    };
    Evaluation::fail(
        span,
        format!(
            "`ENV {name}` stores {found} in the image configuration, where anyone who can pull \
             the image reads it; deliver it at run time from a secret store, or with \
             `RUN --mount=type=secret` when only the build needs it"
        ),
    )
    .attribute(attribute)
    .expected("no secret in the image configuration")
    .found(found)
}

fn is_boolean_word(value: &str) -> bool {
    BOOLEAN_WORDS
        .iter()
        .any(|word| word.eq_ignore_ascii_case(value.trim()))
}

/// Returns true when a variable's name marks its value as a secret.
pub fn is_secret_name(name: &str) -> bool {
    let words = name_words(name);
    let Some(last) = words.last() else {
        return false;
    };
    if REFERENCE_LAST_WORDS.contains(&last.as_str()) {
        return false;
    }
    if words.len() > 1 && SECRET_LAST_WORDS.contains(&last.as_str()) {
        return true;
    }
    if words
        .iter()
        .any(|word| SECRET_WORDS.contains(&word.as_str()))
    {
        return true;
    }
    words.windows(2).any(|pair| {
        SECRET_PAIRS
            .iter()
            .any(|(first, second)| pair[0] == *first && pair[1] == *second)
    })
}

/// Splits a variable name into upper-case words at `_`, `-`, `.` and camel-case
/// boundaries: `npmAuthToken` and `NPM_AUTH_TOKEN` both give NPM, AUTH, TOKEN.
fn name_words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    for part in name.split(|c: char| !c.is_ascii_alphanumeric()) {
        let chars: Vec<char> = part.chars().collect();
        let mut current = String::new();
        for (index, &c) in chars.iter().enumerate() {
            let previous = index.checked_sub(1).map(|i| chars[i]);
            let next = chars.get(index + 1).copied();
            let boundary = c.is_ascii_uppercase()
                && previous.is_some_and(|p| {
                    p.is_ascii_lowercase()
                        || p.is_ascii_digit()
                        || (p.is_ascii_uppercase() && next.is_some_and(|n| n.is_ascii_lowercase()))
                });
            if boundary && !current.is_empty() {
                words.push(std::mem::take(&mut current).to_ascii_uppercase());
            }
            current.push(c);
        }
        if !current.is_empty() {
            words.push(current.to_ascii_uppercase());
        }
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_words_split_camel_case() {
        assert_eq!(name_words("npmAuthToken"), vec!["NPM", "AUTH", "TOKEN"]);
        assert_eq!(name_words("NPMToken"), vec!["NPM", "TOKEN"]);
        assert_eq!(name_words("db.password-v2"), vec!["DB", "PASSWORD", "V2"]);
    }

    #[test]
    fn secret_names_match() {
        for name in [
            "AWS_SECRET_ACCESS_KEY",
            "DB_PASSWORD",
            "NPM_TOKEN",
            "STRIPE_API_KEY",
            "apiKey",
            "JWT_PRIVATE_KEY",
            "SMTP_PASS",
            "GITHUB_TOKENS",
            "DATABASE_CONNECTION_STRING",
        ] {
            assert!(is_secret_name(name), "{name} should match");
        }
    }

    #[test]
    fn neutral_names_do_not_match() {
        for name in [
            "AWS_ACCESS_KEY_ID",
            "DB_PASSWORD_FILE",
            "VAULT_TOKEN_PATH",
            "TOKENIZER_MODEL",
            "GPG_KEY",
            "PWD",
            "SECRET_NAME",
            "PASSENGER_COUNT",
            "KEYCLOAK_URL",
        ] {
            assert!(!is_secret_name(name), "{name} should not match");
        }
    }
}
