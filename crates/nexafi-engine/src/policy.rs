//! Custom policies in Rego, evaluated with regorus over the same resource model as the
//! built-in checks.
//!
//! Each resource becomes one input document (see [`resource_input`] and
//! `docs/policies.md`). A package that defines `deny` or `warn` rules produces one failing
//! finding per message, in the style of conftest: a rule body yields a string, or an object
//! with a `msg` field. An optional `__nexafi__` object in the package gives the policy an
//! id, title, severity, categories and resource kinds, so its findings map to framework
//! controls like a built-in check's.

use std::path::{Path, PathBuf};
use std::time::Duration;

use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Finding, InputKind, Model, Node, Resource, Severity,
    SourceMap, Value, Verdict, fingerprint,
};
use regorus::utils::limits::{ExecutionTimerConfig, PolicyLengthConfig};
use serde_json::{Map, Value as Json, json};

/// Check id of findings for a policy that failed while evaluating a resource.
pub const POLICY_ERROR_ID: &str = "NXF-POLICY-ERROR";

/// Largest policy file read, so a stray large file in a policy directory fails fast.
const MAX_POLICY_BYTES: usize = 1 << 20;

/// Limits of one evaluation (one package on one resource).
///
/// NOTE: memory is bounded only through the input size. regorus can cap allocations, but
/// only with mimalloc as the whole process's allocator, which the scan does not adopt.
#[derive(Clone, Copy, Debug)]
pub struct PolicyLimits {
    /// Wall-clock limit of one evaluation.
    pub timeout: Duration,
    /// Largest input document, in bytes of JSON; bigger resources are reported as errors
    /// instead of being evaluated.
    pub max_input_bytes: usize,
}

impl Default for PolicyLimits {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(2),
            max_input_bytes: 4 << 20,
        }
    }
}

/// Errors that stop policies from loading. Each message names the file and line.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("cannot read policy {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid Rego policy: {message}")]
    Parse { message: String },
    #[error("no .rego file found in {}; --policy takes a directory or file of Rego policies", path.display())]
    Empty { path: PathBuf },
    #[error("invalid __nexafi__ metadata in package {package}: {message}")]
    Metadata { package: String, message: String },
}

/// One policy package and what it declares about itself.
#[derive(Clone, Debug)]
pub struct Policy {
    /// `data.` plus the package path.
    pub package: String,
    pub file: PathBuf,
    pub meta: CheckMeta,
    /// Resource kinds the policy applies to; resources of these kinds without a `deny`
    /// message get a passing finding. Empty means only failures are reported.
    pub kinds: Vec<String>,
    pub has_deny: bool,
    pub has_warn: bool,
}

/// Loaded policies, ready to evaluate.
pub struct PolicySet {
    engine: regorus::Engine,
    pub policies: Vec<Policy>,
    limits: PolicyLimits,
}

impl PolicySet {
    /// Loads every `.rego` file under `paths` (files or directories, recursively), except
    /// `*_test.rego` files, which hold policy unit tests.
    pub fn load(paths: &[PathBuf], limits: PolicyLimits) -> Result<Self, PolicyError> {
        let mut engine = regorus::Engine::new();
        engine.set_rego_v0(false);
        engine.set_policy_length_config(PolicyLengthConfig {
            max_file_bytes: std::num::NonZeroUsize::new(MAX_POLICY_BYTES)
                .unwrap_or(std::num::NonZeroUsize::MIN),
            ..PolicyLengthConfig::default()
        });
        engine.set_execution_timer_config(ExecutionTimerConfig {
            limit: limits.timeout,
            check_interval: std::num::NonZeroU32::new(64).unwrap_or(std::num::NonZeroU32::MIN),
        });

        let mut files = Vec::new();
        for path in paths {
            let before = files.len();
            collect_rego(path, &mut files)?;
            if files.len() == before {
                return Err(PolicyError::Empty { path: path.clone() });
            }
        }

        let mut packages: Vec<(String, Vec<String>)> = Vec::new();
        for file in &files {
            let text = std::fs::read_to_string(file).map_err(|source| PolicyError::Read {
                path: file.clone(),
                source,
            })?;
            let package = engine
                .add_policy(file.display().to_string(), text)
                .map_err(|error| PolicyError::Parse {
                    message: error.to_string(),
                })?;
            let source = file.display().to_string();
            match packages.iter_mut().find(|(known, _)| *known == package) {
                Some((_, sources)) => sources.push(source),
                None => packages.push((package, vec![source])),
            }
        }

        let mut policies = Vec::new();
        for (package, sources) in packages {
            let declares = |rule: &str| {
                sources.iter().any(|source| {
                    engine
                        .has_declared_rule_rooted_at(source, rule)
                        .unwrap_or(false)
                })
            };
            let has_deny = declares("deny");
            let has_warn = declares("warn");
            let file = PathBuf::from(&sources[0]);
            if !has_deny && !has_warn {
                tracing::debug!(package, "package has no deny or warn rule; skipped");
                continue;
            }
            let metadata = engine
                .eval_rule(format!("{package}.__nexafi__"))
                .ok()
                .and_then(|value| value.to_json_str().ok())
                .and_then(|text| serde_json::from_str::<Json>(&text).ok());
            let (meta, kinds) = policy_meta(&package, &file, metadata.as_ref())?;
            policies.push(Policy {
                package,
                file,
                meta,
                kinds,
                has_deny,
                has_warn,
            });
        }
        Ok(Self {
            engine,
            policies,
            limits,
        })
    }

    /// Declarations of the loaded policies, for compliance mapping.
    pub fn metas(&self) -> Vec<CheckMeta> {
        self.policies.iter().map(|policy| policy.meta).collect()
    }

    /// Evaluates every policy on every resource of `model`; fingerprint paths are taken
    /// relative to `roots`, as in a scan of those paths.
    pub fn evaluate_model(&mut self, model: &Model, roots: &[PathBuf]) -> Vec<Finding> {
        self.evaluate(model, &crate::FingerprintRoots::new(roots))
    }

    pub(crate) fn evaluate(
        &mut self,
        model: &Model,
        roots: &crate::FingerprintRoots,
    ) -> Vec<Finding> {
        let mut findings = Vec::new();
        for resource in &model.resources {
            let input = resource_input(resource, &model.sources);
            let text = input.to_string();
            if text.len() > self.limits.max_input_bytes {
                for policy in &self.policies {
                    findings.push(error_finding(
                        model,
                        policy,
                        resource,
                        roots,
                        format!(
                            "input of {} bytes exceeds the {}-byte limit for policies",
                            text.len(),
                            self.limits.max_input_bytes
                        ),
                    ));
                }
                continue;
            }
            let value = match regorus::Value::from_json_str(&text) {
                Ok(value) => value,
                Err(error) => {
                    tracing::warn!(resource = resource.address, %error, "cannot build policy input");
                    continue;
                }
            };
            self.engine.set_input(value);
            for index in 0..self.policies.len() {
                let policy = self.policies[index].clone();
                findings.extend(self.evaluate_one(model, &policy, resource, roots));
            }
        }
        findings
    }

    fn evaluate_one(
        &mut self,
        model: &Model,
        policy: &Policy,
        resource: &Resource,
        roots: &crate::FingerprintRoots,
    ) -> Vec<Finding> {
        let mut findings = Vec::new();
        for (rule, severity) in [("deny", None), ("warn", Some(Severity::Info))] {
            let defined = if rule == "deny" {
                policy.has_deny
            } else {
                policy.has_warn
            };
            if !defined {
                continue;
            }
            let messages = match self.engine.eval_rule(format!("{}.{rule}", policy.package)) {
                Ok(value) => messages(&value),
                Err(error) => {
                    findings.push(error_finding(
                        model,
                        policy,
                        resource,
                        roots,
                        format!("{}.{rule} failed: {error}", policy.package),
                    ));
                    continue;
                }
            };
            for message in messages {
                let mut finding =
                    policy_finding(model, policy, resource, roots, Verdict::Fail, message);
                if let Some(severity) = severity {
                    finding.severity = severity;
                }
                findings.push(finding);
            }
        }
        let applies = policy.kinds.contains(&resource.kind);
        if findings.is_empty() && applies {
            findings.push(policy_finding(
                model,
                policy,
                resource,
                roots,
                Verdict::Pass,
                format!("{} denies nothing", policy.meta.id),
            ));
        }
        findings
    }
}

fn collect_rego(path: &Path, files: &mut Vec<PathBuf>) -> Result<(), PolicyError> {
    let metadata = std::fs::metadata(path).map_err(|source| PolicyError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    if metadata.is_file() {
        if is_policy_file(path) {
            files.push(path.to_path_buf());
        }
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|source| PolicyError::Read {
            path: path.to_path_buf(),
            source,
        })?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .collect();
    entries.sort();
    for entry in entries {
        collect_rego(&entry, files)?;
    }
    Ok(())
}

fn is_policy_file(path: &Path) -> bool {
    let name = path
        .file_name()
        .and_then(|name| name.to_str())
        .unwrap_or("");
    name.ends_with(".rego") && !name.ends_with("_test.rego")
}

/// Builds the check declaration of a package from its `__nexafi__` object.
fn policy_meta(
    package: &str,
    file: &Path,
    metadata: Option<&Json>,
) -> Result<(CheckMeta, Vec<String>), PolicyError> {
    let invalid = |message: String| PolicyError::Metadata {
        package: package.to_owned(),
        message,
    };
    let empty = Map::new();
    let object = match metadata {
        None => &empty,
        Some(Json::Object(object)) => object,
        Some(other) => return Err(invalid(format!("expected an object, found {other}"))),
    };
    let text = |key: &str| -> Result<Option<String>, PolicyError> {
        match object.get(key) {
            None => Ok(None),
            Some(Json::String(text)) => Ok(Some(text.clone())),
            Some(other) => Err(invalid(format!("{key} must be a string, found {other}"))),
        }
    };
    let list = |key: &str| -> Result<Vec<String>, PolicyError> {
        match object.get(key) {
            None => Ok(Vec::new()),
            Some(Json::Array(items)) => items
                .iter()
                .map(|item| match item {
                    Json::String(text) => Ok(text.clone()),
                    other => Err(invalid(format!("{key} must list strings, found {other}"))),
                })
                .collect(),
            Some(other) => Err(invalid(format!("{key} must be a list, found {other}"))),
        }
    };

    let short = package.trim_start_matches("data.");
    let id = text("id")?.unwrap_or_else(|| format!("REGO-{short}"));
    let title = text("title")?.unwrap_or_else(|| format!("Custom policy {short}"));
    let severity = match text("severity")? {
        None => Severity::Medium,
        Some(name) => name
            .parse::<Severity>()
            .map_err(|error| invalid(format!("severity: {error}")))?,
    };
    let categories = list("categories")?;
    let catalog = nexafi_compliance::catalog();
    if let Some(unknown) = categories
        .iter()
        .find(|category| catalog.category(category).is_none())
    {
        return Err(invalid(format!(
            "unknown category {unknown:?}; see `nexafi frameworks show` for the categories of each control"
        )));
    }
    let kinds = list("kinds")?;
    let description = text("description")?.unwrap_or_default();

    // Check declarations are static. A scan loads a handful of policies once, so leaking
    // their strings costs a few bytes for the life of the process.
    let leak = |text: String| -> &'static str { Box::leak(text.into_boxed_str()) };
    let leaked_list = |items: Vec<String>| -> &'static [&'static str] {
        Box::leak(
            items
                .into_iter()
                .map(leak)
                .collect::<Vec<_>>()
                .into_boxed_slice(),
        )
    };
    let meta = CheckMeta {
        id: leak(id),
        slug: leak(short.replace('.', "-")),
        title: leak(title),
        severity,
        input: InputKind::File,
        kinds: leaked_list(kinds.clone()),
        categories: leaked_list(categories),
        extra_controls: &[],
        status: CheckStatus::Preview,
        aliases: &[],
        references: leaked_list(vec![file.display().to_string()]),
        docs: CheckDocs {
            what: leak(description),
            why: "",
            fix: "",
            limitations: "",
        },
    };
    Ok((meta, kinds))
}

/// Extracts messages from a `deny` or `warn` set: strings, or objects with `msg`.
fn messages(value: &regorus::Value) -> Vec<String> {
    let Ok(text) = value.to_json_str() else {
        return Vec::new();
    };
    let Ok(json) = serde_json::from_str::<Json>(&text) else {
        return Vec::new();
    };
    let items = match json {
        Json::Array(items) => items,
        Json::Null => Vec::new(),
        // A boolean `deny` rule (deny if ...) reports one message without text.
        Json::Bool(true) => vec![Json::String("denied".to_owned())],
        Json::Bool(false) => Vec::new(),
        other => vec![other],
    };
    let mut out: Vec<String> = items
        .into_iter()
        .map(|item| match item {
            Json::String(text) => text,
            Json::Object(object) => match object.get("msg") {
                Some(Json::String(text)) => text.clone(),
                _ => Json::Object(object).to_string(),
            },
            other => other.to_string(),
        })
        .collect();
    out.sort();
    out
}

/// Builds the input document of one resource: its address, kind, input type, file and line,
/// and its body as plain JSON where each value the loader could not resolve offline is
/// `{"$unknown": "reason"}`.
pub fn resource_input(resource: &Resource, sources: &SourceMap) -> Json {
    let location = sources.locate(resource.span);
    json!({
        "address": resource.address,
        "kind": resource.kind,
        "input": resource.input.as_str(),
        "group": resource.group,
        "file": location.as_ref().map(|location| location.path.display().to_string()),
        "line": location.as_ref().map(|location| location.start.line),
        "body": plain(&resource.body),
        "references": resource.references.iter().map(|reference| json!({
            "attribute": reference.attribute,
            "target": reference.target,
        })).collect::<Vec<_>>(),
    })
}

fn plain(node: &Node) -> Json {
    match &node.value {
        Value::Null => Json::Null,
        Value::Bool(flag) => Json::Bool(*flag),
        Value::Number(number) => {
            serde_json::Number::from_f64(*number).map_or(Json::Null, Json::Number)
        }
        Value::String(text) => Json::String(text.clone()),
        Value::List(items) => Json::Array(items.iter().map(plain).collect()),
        Value::Map(map) => Json::Object(
            map.iter()
                .map(|(key, value)| (key.clone(), plain(value)))
                .collect(),
        ),
        Value::Unknown(unknown) => json!({ "$unknown": unknown.reason }),
    }
}

fn policy_finding(
    model: &Model,
    policy: &Policy,
    resource: &Resource,
    roots: &crate::FingerprintRoots,
    verdict: Verdict,
    message: String,
) -> Finding {
    let meta = &policy.meta;
    let mut finding = crate::located_finding(model, resource.name_span, roots);
    finding.check_id = meta.id.to_owned();
    finding.title = meta.title.to_owned();
    finding.severity = meta.severity;
    finding.verdict = verdict;
    finding.fingerprint = fingerprint(
        meta.id,
        &roots.relative(&finding.file),
        &resource.address,
        Some(&message),
    );
    finding.message = message;
    finding.categories = meta.categories.iter().map(|c| (*c).to_owned()).collect();
    finding.controls = nexafi_compliance::controls_for(meta.categories, meta.extra_controls);
    finding.resource = resource.address.clone();
    finding.resource_kind = resource.kind.clone();
    finding
}

fn error_finding(
    model: &Model,
    policy: &Policy,
    resource: &Resource,
    roots: &crate::FingerprintRoots,
    message: String,
) -> Finding {
    tracing::warn!(
        policy = policy.package,
        resource = resource.address,
        "{message}"
    );
    let mut finding = policy_finding(model, policy, resource, roots, Verdict::Error, message);
    finding.check_id = POLICY_ERROR_ID.to_owned();
    finding.title = "Custom policy failed".to_owned();
    finding.severity = Severity::High;
    finding.fingerprint = fingerprint(
        POLICY_ERROR_ID,
        &roots.relative(&finding.file),
        &resource.address,
        Some(&policy.package),
    );
    finding
}
