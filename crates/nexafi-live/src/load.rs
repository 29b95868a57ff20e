//! Reads a suite file: YAML into the raw model, `${NAME}` substitution, defaults, and a
//! per-kind check of every test's fields. Every error names the file, line and column.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use indexmap::IndexMap;
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_saphyr::{Location, Spanned};

use crate::checks;
use crate::suite::{Check, DEFAULT_CONCURRENCY, DEFAULT_TIMEOUT_SECS, Kind, Suite, Test};

/// Largest suite file read, so a wrong path (a log, a dump) fails fast instead of filling
/// memory. Real suites are a few kilobytes.
const MAX_SUITE_BYTES: u64 = 4 * 1024 * 1024;

/// Errors that make a suite unusable. Every variant ends in exit status 2.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read suite {}: {message}", path.display())]
    Read { path: PathBuf, message: String },
    #[error("{}:{line}:{column}: {message}", path.display())]
    Invalid {
        path: PathBuf,
        line: u64,
        column: u64,
        message: String,
    },
}

/// Loads the suite at `path`, reading `${NAME}` values from the process environment.
pub fn load(path: &Path) -> Result<Suite, LoadError> {
    let environment: HashMap<String, String> = std::env::vars().collect();
    load_with(path, &environment)
}

/// Loads the suite at `path` with `environment` as the source of `${NAME}` values.
pub fn load_with(path: &Path, environment: &HashMap<String, String>) -> Result<Suite, LoadError> {
    let read_error = |message: String| LoadError::Read {
        path: path.to_path_buf(),
        message,
    };
    let size = std::fs::metadata(path)
        .map_err(|error| read_error(error.to_string()))?
        .len();
    if size > MAX_SUITE_BYTES {
        return Err(read_error(format!(
            "the file has {size} bytes, more than the {MAX_SUITE_BYTES} a suite may have"
        )));
    }
    let text = std::fs::read_to_string(path).map_err(|error| read_error(error.to_string()))?;
    parse(path, &text, environment)
}

/// Parses suite text; `path` names the file in errors and anchors relative `ca_file`,
/// `token_file` and `password_file` paths.
pub fn parse(
    path: &Path,
    text: &str,
    environment: &HashMap<String, String>,
) -> Result<Suite, LoadError> {
    let context = Context {
        path: path.to_path_buf(),
        base: path.parent().map(Path::to_path_buf).unwrap_or_default(),
        variables: HashMap::new(),
        environment,
    };
    let raw: RawSuite = serde_saphyr::from_str(text).map_err(|error| {
        let location = error.location();
        let message = error.without_snippet().to_string();
        context.error_at_optional(location, strip_location(&message))
    })?;
    let Some(raw) = raw.0 else {
        return Err(context.error_at_optional(
            None,
            "the suite is empty; expected `name:`, optional `defaults:` and `variables:`, and a `tests:` list".to_owned(),
        ));
    };
    build(raw, context)
}

fn build(raw: RawSuiteBody, mut context: Context<'_>) -> Result<Suite, LoadError> {
    // Variables are resolved in order, so a later one may use an earlier one.
    for (name, value) in &raw.variables {
        let resolved = context.expand(value)?;
        context.variables.insert(name.clone(), resolved);
    }

    let defaults = raw.defaults.unwrap_or_default();
    let default_timeout = positive_secs(&context, defaults.timeout_secs.as_ref(), "timeout_secs")?
        .unwrap_or(DEFAULT_TIMEOUT_SECS);
    let default_retries = defaults.retries.map_or(0, |retries| retries.value);
    let default_delay = defaults.retry_delay_secs.map_or(0, |delay| delay.value);
    let concurrency = match &defaults.concurrency {
        Some(value) if value.value == 0 => {
            return Err(context.error(
                &value.referenced,
                "`concurrency` must be at least 1".to_owned(),
            ));
        }
        Some(value) => value.value,
        None => DEFAULT_CONCURRENCY,
    };

    let name = match &raw.name {
        Some(name) => context.expand(name)?,
        None => context
            .path
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_else(|| "suite".to_owned()),
    };

    let Some(raw_tests) = raw.tests else {
        return Err(context.error_at_optional(
            None,
            "the suite has no `tests:` list; add at least one test".to_owned(),
        ));
    };
    let mut tests = Vec::with_capacity(raw_tests.len());
    let mut seen: HashMap<String, u64> = HashMap::new();
    for raw_test in raw_tests {
        let line = raw_test.referenced.line();
        let test = build_test(
            raw_test,
            &context,
            default_timeout,
            default_retries,
            default_delay,
        )?;
        if let Some(first) = seen.insert(test.name.clone(), line) {
            return Err(context.error(
                &raw_test_location(line),
                format!(
                    "duplicate test name {:?}, first used on line {first}; give each test its own name",
                    test.name
                ),
            ));
        }
        tests.push(test);
    }

    Ok(Suite {
        name,
        path: context.path.clone(),
        concurrency,
        tests,
    })
}

fn raw_test_location(line: u64) -> LineColumn {
    LineColumn { line, column: 1 }
}

fn build_test(
    raw: Spanned<RawTest>,
    context: &Context<'_>,
    default_timeout: u64,
    default_retries: u32,
    default_delay: u64,
) -> Result<Test, LoadError> {
    let at = raw.referenced;
    let mut fields = raw.value;
    fields.line = at.line();

    let Some(name) = fields.name.take() else {
        return Err(context.error(&at, "the test has no `name`; add one".to_owned()));
    };
    let name = context.expand(&name)?;
    let Some(kind_field) = fields.kind.take() else {
        return Err(context.error(
            &at,
            format!(
                "test {name:?} has no `kind`; expected one of {}",
                kind_list()
            ),
        ));
    };
    let Some(kind) = Kind::parse(&kind_field.value) else {
        return Err(context.error(
            &kind_field.referenced,
            format!(
                "unknown kind {:?} in test {name:?}; expected one of {}",
                kind_field.value,
                kind_list()
            ),
        ));
    };

    let timeout = positive_secs(context, fields.timeout_secs.as_ref(), "timeout_secs")?
        .unwrap_or(default_timeout);
    let retries = fields
        .retries
        .take()
        .map_or(default_retries, |value| value.value);
    let retry_delay = fields
        .retry_delay_secs
        .take()
        .map_or(default_delay, |value| value.value);
    fields.timeout_secs = None;

    reject_inline_secrets(&fields, context)?;

    let mut reader = Fields {
        raw: fields,
        context,
        kind,
    };
    let check = match kind {
        Kind::Http => Check::Http(Box::new(checks::http::HttpCheck::load(&mut reader)?)),
        Kind::Tcp => Check::Tcp(checks::tcp::TcpCheck::load(&mut reader)?),
        Kind::Tls => Check::Tls(checks::tls::TlsCheck::load(&mut reader)?),
        Kind::Dns => Check::Dns(checks::dns::DnsCheck::load(&mut reader)?),
        Kind::Postgres => Check::Postgres(checks::postgres::PostgresCheck::load(&mut reader)?),
        Kind::Redis => Check::Redis(checks::redis::RedisCheck::load(&mut reader)?),
        Kind::Rabbitmq => Check::Rabbitmq(checks::rabbitmq::RabbitmqCheck::load(&mut reader)?),
        Kind::Kubernetes => {
            Check::Kubernetes(checks::kubernetes::KubernetesCheck::load(&mut reader)?)
        }
        Kind::Prometheus => {
            Check::Prometheus(checks::prometheus::PrometheusCheck::load(&mut reader)?)
        }
    };
    reader.reject_leftovers()?;

    Ok(Test {
        name,
        line: at.line(),
        timeout: Duration::from_secs(timeout),
        retries,
        retry_delay: Duration::from_secs(retry_delay),
        check,
    })
}

fn kind_list() -> String {
    Kind::ALL
        .iter()
        .map(|kind| kind.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn positive_secs(
    context: &Context<'_>,
    value: Option<&Spanned<u64>>,
    field: &str,
) -> Result<Option<u64>, LoadError> {
    match value {
        Some(value) if value.value == 0 => Err(context.error(
            &value.referenced,
            format!("`{field}` must be at least 1 second"),
        )),
        Some(value) => Ok(Some(value.value)),
        None => Ok(None),
    }
}

/// Rejects credentials written into the suite: a `password` or `token` field, or a
/// password in a URL's user information.
fn reject_inline_secrets(fields: &RawTest, context: &Context<'_>) -> Result<(), LoadError> {
    if let Some(password) = &fields.password {
        return Err(context.error(
            &password.referenced,
            "inline `password` is not allowed: a suite is committed and shared, so secrets stay out of it; \
             name an environment variable with `password_env:` or a file with `password_file:`"
                .to_owned(),
        ));
    }
    if let Some(token) = &fields.token {
        return Err(context.error(
            &token.referenced,
            "inline `token` is not allowed: a suite is committed and shared, so secrets stay out of it; \
             name an environment variable with `token_env:` or a file with `token_file:`"
                .to_owned(),
        ));
    }
    // Checked after expansion, because `${USER:-name}` has a colon of its own.
    if let Some(url) = &fields.url
        && url_has_password(&context.expand(url)?)
    {
        return Err(context.error(
            &url.referenced,
            "the URL contains a password: remove it from the URL and name an environment \
             variable with `password_env:` or a file with `password_file:`"
                .to_owned(),
        ));
    }
    Ok(())
}

/// True when `url` has `user:password@` in its authority, or a `password=` connection
/// parameter.
fn url_has_password(url: &str) -> bool {
    if let Some((_, rest)) = url.split_once("://") {
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if let Some((userinfo, _)) = authority.rsplit_once('@')
            && userinfo.contains(':')
        {
            return true;
        }
    }
    url.split(['?', '&', ' ']).any(|part| {
        part.trim_start()
            .to_ascii_lowercase()
            .starts_with("password=")
    })
}

/// A line and column for errors that have no `Location` of their own.
struct LineColumn {
    line: u64,
    column: u64,
}

trait Place {
    fn line_column(&self) -> (u64, u64);
}

impl Place for Location {
    fn line_column(&self) -> (u64, u64) {
        (self.line(), self.column())
    }
}

impl Place for LineColumn {
    fn line_column(&self) -> (u64, u64) {
        (self.line, self.column)
    }
}

/// State for building a suite beside the raw fields: file, variables and environment.
pub(crate) struct Context<'a> {
    path: PathBuf,
    /// Directory relative file paths in the suite start from.
    base: PathBuf,
    /// `variables:` of the suite, already expanded.
    variables: HashMap<String, String>,
    environment: &'a HashMap<String, String>,
}

impl Context<'_> {
    fn error(&self, at: &impl Place, message: String) -> LoadError {
        let (line, column) = at.line_column();
        LoadError::Invalid {
            path: self.path.clone(),
            line,
            column,
            message,
        }
    }

    fn error_at_optional(&self, at: Option<Location>, message: String) -> LoadError {
        match at {
            Some(location) => self.error(&location, message),
            None => self.error(&LineColumn { line: 1, column: 1 }, message),
        }
    }

    /// Replaces `${NAME}` and `${NAME:-default}` in a string value; `$$` is a literal `$`.
    /// Suite variables are looked up first, then the environment.
    pub(crate) fn expand(&self, value: &Spanned<String>) -> Result<String, LoadError> {
        let text = &value.value;
        let mut out = String::with_capacity(text.len());
        let mut rest = text.as_str();
        while let Some(at) = rest.find('$') {
            out.push_str(&rest[..at]);
            let after = &rest[at + 1..];
            if let Some(tail) = after.strip_prefix('$') {
                out.push('$');
                rest = tail;
                continue;
            }
            let Some(body) = after.strip_prefix('{') else {
                out.push('$');
                rest = after;
                continue;
            };
            let Some(end) = body.find('}') else {
                return Err(self.error(
                    &value.referenced,
                    format!(
                        "unclosed `${{` in {text:?}; write `${{NAME}}`, or `$$` for a literal `$`"
                    ),
                ));
            };
            let reference = &body[..end];
            let (name, default) = match reference.split_once(":-") {
                Some((name, default)) => (name, Some(default)),
                None => (reference, None),
            };
            if !is_variable_name(name) {
                return Err(self.error(
                    &value.referenced,
                    format!(
                        "invalid variable name {name:?} in {text:?}; names are letters, digits and `_`, not starting with a digit"
                    ),
                ));
            }
            let found = self
                .variables
                .get(name)
                .or_else(|| self.environment.get(name))
                .filter(|found| default.is_none() || !found.is_empty());
            match (found, default) {
                (Some(found), _) => out.push_str(found),
                (None, Some(default)) => out.push_str(default),
                (None, None) => {
                    return Err(self.error(
                        &value.referenced,
                        format!(
                            "environment variable {name} is not set; export it, define it under `variables:`, or give a default as ${{{name}:-VALUE}}"
                        ),
                    ));
                }
            }
            rest = &body[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// Resolves a file path from the suite relative to the suite's directory.
    pub(crate) fn path(&self, value: &Spanned<String>) -> Result<PathBuf, LoadError> {
        let expanded = self.expand(value)?;
        if expanded.is_empty() {
            return Err(self.error(&value.referenced, "the path is empty".to_owned()));
        }
        Ok(self.base.join(expanded))
    }
}

fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|first| first == '_' || first.is_ascii_alphabetic())
        && chars.all(|next| next == '_' || next.is_ascii_alphanumeric())
}

/// serde-saphyr appends ` at line L, column C` to some messages; the location is printed
/// in front instead.
fn strip_location(message: &str) -> String {
    let message = match message.rfind(" at line ") {
        Some(at) => &message[..at],
        None => message,
    };
    // A test's field list spans every kind, too long to help; the docs list them by kind.
    match message.split_once(", expected one of ") {
        Some((head, list)) if list.matches(',').count() > 8 => {
            format!("{head}; see docs/live-tests.md for the fields of each kind")
        }
        _ => message.to_owned(),
    }
}

/// Picks one field of a test.
pub(crate) type Select<T> = fn(&mut RawTest) -> &mut Option<Spanned<T>>;

/// The fields of one test while its kind takes the ones it uses. Whatever is left is a
/// field that does not apply to the kind.
pub(crate) struct Fields<'a> {
    pub(crate) raw: RawTest,
    pub(crate) context: &'a Context<'a>,
    kind: Kind,
}

impl Fields<'_> {
    pub(crate) fn error(&self, at: &Location, message: String) -> LoadError {
        self.context.error(at, message)
    }

    /// Builds an error placed at the start of the test's entry.
    pub(crate) fn test_error(&self, message: String) -> LoadError {
        self.context.error(
            &LineColumn {
                line: self.raw.line,
                column: 1,
            },
            message,
        )
    }

    /// Takes a string field, expanded.
    pub(crate) fn string(
        &mut self,
        select: Select<String>,
    ) -> Result<Option<(String, Location)>, LoadError> {
        match select(&mut self.raw).take() {
            Some(value) => Ok(Some((self.context.expand(&value)?, value.referenced))),
            None => Ok(None),
        }
    }

    /// Takes a required string field, expanded.
    pub(crate) fn required(
        &mut self,
        select: Select<String>,
        name: &str,
        example: &str,
    ) -> Result<(String, Location), LoadError> {
        match self.string(select)? {
            Some(value) => Ok(value),
            None => Err(self.test_error(format!(
                "a `{}` test needs `{name}`, for example `{name}: {example}`",
                self.kind
            ))),
        }
    }

    /// Takes an optional file path, resolved against the suite's directory.
    pub(crate) fn path(&mut self, select: Select<String>) -> Result<Option<PathBuf>, LoadError> {
        select(&mut self.raw)
            .take()
            .map(|value| self.context.path(&value))
            .transpose()
    }

    /// Takes `password_env` / `password_file` as one secret source.
    pub(crate) fn password(&mut self) -> Result<Option<checks::Secret>, LoadError> {
        let env = self.raw.password_env.take();
        let file = self.raw.password_file.take();
        self.secret(env, file, "password")
    }

    /// Takes `token_env` / `token_file` as one secret source.
    pub(crate) fn token(&mut self) -> Result<Option<checks::Secret>, LoadError> {
        let env = self.raw.token_env.take();
        let file = self.raw.token_file.take();
        self.secret(env, file, "token")
    }

    fn secret(
        &self,
        env: Option<Spanned<String>>,
        file: Option<Spanned<String>>,
        what: &str,
    ) -> Result<Option<checks::Secret>, LoadError> {
        match (env, file) {
            (Some(env), Some(_)) => Err(self.context.error(
                &env.referenced,
                format!("give either `{what}_env` or `{what}_file`, not both"),
            )),
            (Some(env), None) => {
                let name = self.context.expand(&env)?;
                if !is_variable_name(&name) {
                    return Err(self.context.error(
                        &env.referenced,
                        format!("`{what}_env` must name an environment variable, found {name:?}"),
                    ));
                }
                let value = self.context.environment.get(&name).cloned();
                Ok(Some(checks::Secret::Env { name, value }))
            }
            (None, Some(file)) => Ok(Some(checks::Secret::File(self.context.path(&file)?))),
            (None, None) => Ok(None),
        }
    }

    /// Fails on any field still set: it does not apply to this kind.
    fn reject_leftovers(&self) -> Result<(), LoadError> {
        if let Some((name, at)) = self.raw.first_set() {
            return Err(self.context.error(
                &at,
                format!(
                    "field `{name}` does not apply to kind `{}`; see docs/live-tests.md for the fields of each kind",
                    self.kind
                ),
            ));
        }
        Ok(())
    }
}

/// A document that may be empty.
#[derive(Deserialize)]
#[serde(transparent)]
struct RawSuite(Option<RawSuiteBody>);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSuiteBody {
    name: Option<Spanned<String>>,
    defaults: Option<RawDefaults>,
    #[serde(default)]
    variables: IndexMap<String, Spanned<String>>,
    tests: Option<Vec<Spanned<RawTest>>>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDefaults {
    timeout_secs: Option<Spanned<u64>>,
    retries: Option<Spanned<u32>>,
    retry_delay_secs: Option<Spanned<u64>>,
    concurrency: Option<Spanned<usize>>,
}

/// `status:` of an HTTP test: a code, a range text (`200-299`, `2xx`), or a list of them.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum RawStatus {
    Code(u16),
    Text(String),
    List(Vec<RawStatusItem>),
}

#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum RawStatusItem {
    Code(u16),
    Text(String),
}

/// Every field any kind uses. Each kind takes its own; the rest must be unset.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTest {
    /// Line of the entry, filled in after parsing.
    #[serde(skip)]
    pub(crate) line: u64,
    pub(crate) name: Option<Spanned<String>>,
    pub(crate) kind: Option<Spanned<String>>,
    pub(crate) timeout_secs: Option<Spanned<u64>>,
    pub(crate) retries: Option<Spanned<u32>>,
    pub(crate) retry_delay_secs: Option<Spanned<u64>>,

    pub(crate) url: Option<Spanned<String>>,
    pub(crate) address: Option<Spanned<String>>,
    pub(crate) host: Option<Spanned<String>>,
    pub(crate) method: Option<Spanned<String>>,
    pub(crate) status: Option<Spanned<RawStatus>>,
    pub(crate) headers: Option<Spanned<IndexMap<String, String>>>,
    pub(crate) headers_present: Option<Spanned<Vec<String>>>,
    pub(crate) body_contains: Option<Spanned<String>>,
    pub(crate) json: Option<Spanned<IndexMap<String, serde_json::Value>>>,
    pub(crate) tls_verify: Option<Spanned<bool>>,
    pub(crate) ca_file: Option<Spanned<String>>,
    pub(crate) max_latency_ms: Option<Spanned<u64>>,
    pub(crate) expect: Option<Spanned<serde_json::Value>>,
    pub(crate) server_name: Option<Spanned<String>>,
    pub(crate) min_version: Option<Spanned<String>>,
    pub(crate) min_days_valid: Option<Spanned<i64>>,
    pub(crate) addresses: Option<Spanned<Vec<String>>>,
    pub(crate) query: Option<Spanned<String>>,
    pub(crate) require_tls: Option<Spanned<bool>>,
    pub(crate) key_exists: Option<Spanned<String>>,
    pub(crate) queue: Option<Spanned<String>>,
    pub(crate) api_server: Option<Spanned<String>>,
    pub(crate) namespace: Option<Spanned<String>>,
    pub(crate) workloads: Option<Spanned<Vec<String>>>,

    pub(crate) password_env: Option<Spanned<String>>,
    pub(crate) password_file: Option<Spanned<String>>,
    pub(crate) token_env: Option<Spanned<String>>,
    pub(crate) token_file: Option<Spanned<String>>,
    /// Rejected with advice; declared so the error is not a bare "unknown field".
    pub(crate) password: Option<Spanned<IgnoredAny>>,
    /// Rejected with advice, as `password`.
    pub(crate) token: Option<Spanned<IgnoredAny>>,
}

impl RawTest {
    /// Returns the first field still set, in declaration order, with its location.
    fn first_set(&self) -> Option<(&'static str, Location)> {
        macro_rules! probe {
            ($($field:ident),* $(,)?) => {
                $(
                    if let Some(value) = &self.$field {
                        return Some((stringify!($field), value.referenced));
                    }
                )*
            };
        }
        probe!(
            url,
            address,
            host,
            method,
            status,
            headers,
            headers_present,
            body_contains,
            json,
            tls_verify,
            ca_file,
            max_latency_ms,
            expect,
            server_name,
            min_version,
            min_days_valid,
            addresses,
            query,
            require_tls,
            key_exists,
            queue,
            api_server,
            namespace,
            workloads,
            password_env,
            password_file,
            token_env,
            token_file,
        );
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_in_url_is_found() {
        assert!(url_has_password(
            "postgres://app:example-not-a-secret@db:5432/x"
        ));
        assert!(url_has_password("host=db password=example-not-a-secret"));
        assert!(url_has_password("amqp://db?password=x"));
        assert!(!url_has_password("postgres://app@db:5432/x"));
        assert!(!url_has_password("https://db.example.test/a@b:c"));
    }

    #[test]
    fn variable_names() {
        assert!(is_variable_name("AUDIT_HOST"));
        assert!(is_variable_name("_x1"));
        assert!(!is_variable_name("1X"));
        assert!(!is_variable_name(""));
        assert!(!is_variable_name("A-B"));
    }
}
