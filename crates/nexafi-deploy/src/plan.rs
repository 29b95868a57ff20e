//! The deploy plan file (`infrastructure/deploy.toml`): per environment, the gate inputs,
//! the Terraform root, the ordered rollout steps and the optional post-deploy tests.
//!
//! Every relative path in the file is relative to the file's directory, and every
//! command runs in that directory.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use nexafi_model::{Severity, SourceFile};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use toml::Spanned;

/// Seconds `helm upgrade --wait` waits for a release when the step sets no `timeout_secs`.
pub const DEFAULT_HELM_TIMEOUT_SECS: u64 = 600;

/// An invalid plan file, located at `path:line:column`.
#[derive(Debug, thiserror::Error)]
#[error("{}:{line}:{column}: {message}", path.display())]
pub struct PlanError {
    pub path: PathBuf,
    pub line: u32,
    pub column: u32,
    /// Description of the problem and its fix.
    pub message: String,
}

/// A parsed and checked plan file.
#[derive(Debug, Clone)]
pub struct Plan {
    pub path: PathBuf,
    /// Directory every relative path is resolved against and every command runs in.
    pub base: PathBuf,
    /// Lowercase hex SHA-256 of the file's bytes, recorded with each deploy.
    pub digest: String,
    pub environments: BTreeMap<String, Environment>,
}

/// One environment: everything `nexafi deploy ENV` runs, in order.
#[derive(Debug, Clone)]
pub struct Environment {
    pub name: String,
    /// Deploying needs `--confirm ENV` or an interactive yes.
    pub confirm: bool,
    /// `kubectl --context` and `helm --kube-context`; the current context when unset.
    pub kube_context: Option<String>,
    pub gate: Gate,
    /// Command run after the gate and before Terraform, for example to render manifests.
    pub prepare: Option<Vec<String>>,
    pub terraform: Option<Terraform>,
    pub rollout: Vec<Step>,
    /// Post-deploy live tests, run after the last rollout step.
    pub tests: Option<Vec<String>>,
}

/// Inputs of the `nexafi validate` gate, as the options of that command.
#[derive(Debug, Clone, Default)]
pub struct Gate {
    pub paths: Vec<PathBuf>,
    pub var_files: Vec<PathBuf>,
    pub helm_values: Vec<PathBuf>,
    pub helm_values_siblings: bool,
    pub helm_namespace: Option<String>,
    pub helm_release: Option<String>,
    pub policies: Vec<PathBuf>,
    /// Lowest severity of a failure that stops the deploy; `None` means every failure.
    pub severity_threshold: Option<Severity>,
    pub fail_on_unknown: bool,
}

/// The Terraform root module and the files its commands read. `var_files`,
/// `backend_config` and `plan_file` are relative to `root`, as Terraform reads them
/// with `-chdir`.
#[derive(Debug, Clone)]
pub struct Terraform {
    pub root: PathBuf,
    pub var_files: Vec<String>,
    pub backend_config: Option<String>,
    pub plan_file: String,
}

/// One rollout step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Kubectl(KubectlStep),
    Helm(HelmStep),
}

/// `kubectl apply --server-side -f PATH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubectlStep {
    /// A manifest file or a directory of manifests.
    pub path: PathBuf,
    /// Also apply the manifests in subdirectories (`-R`).
    pub recursive: bool,
}

/// `helm upgrade --install RELEASE CHART`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelmStep {
    pub release: String,
    /// A chart directory, or a reference helm resolves itself (`oci://...`, `repo/name`).
    pub chart: String,
    pub version: Option<String>,
    pub namespace: String,
    pub values: Vec<PathBuf>,
    pub timeout_secs: u64,
}

impl Step {
    /// Stage name shown in progress lines and the deploy record.
    pub fn stage_name(&self) -> String {
        match self {
            Step::Kubectl(step) => format!("kubectl {}", step.path.display()),
            Step::Helm(step) => format!("helm {}", step.release),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlan {
    environments: Spanned<BTreeMap<String, Spanned<RawEnvironment>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEnvironment {
    confirm: Option<bool>,
    kube_context: Option<Spanned<String>>,
    gate: Spanned<RawGate>,
    prepare: Option<Spanned<Vec<String>>>,
    terraform: Option<RawTerraform>,
    #[serde(default)]
    rollout: Vec<Spanned<RawStep>>,
    tests: Option<Spanned<Vec<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGate {
    paths: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    var_files: Vec<Spanned<String>>,
    #[serde(default)]
    helm_values: Vec<Spanned<String>>,
    #[serde(default)]
    helm_values_siblings: bool,
    helm_namespace: Option<String>,
    helm_release: Option<String>,
    #[serde(default)]
    policies: Vec<Spanned<String>>,
    severity_threshold: Option<Spanned<String>>,
    #[serde(default)]
    fail_on_unknown: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTerraform {
    root: Spanned<String>,
    #[serde(default)]
    var_files: Vec<Spanned<String>>,
    backend_config: Option<Spanned<String>>,
    plan_file: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    kubectl: Option<Spanned<String>>,
    recursive: Option<bool>,
    helm: Option<String>,
    chart: Option<Spanned<String>>,
    version: Option<String>,
    namespace: Option<String>,
    #[serde(default)]
    values: Vec<Spanned<String>>,
    timeout_secs: Option<u64>,
}

/// Reads and checks a plan file.
pub fn load(path: &Path) -> Result<Plan, PlanError> {
    let text = std::fs::read_to_string(path).map_err(|error| PlanError {
        path: path.to_path_buf(),
        line: 1,
        column: 1,
        message: format!(
            "cannot read the plan file: {error}; give its path with --plan or run from the repository root"
        ),
    })?;
    let base = path
        .parent()
        .map(Path::to_path_buf)
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or_else(|| PathBuf::from("."));
    parse(path, &base, &text)
}

/// Parses plan text; `base` is the directory relative paths are resolved against.
pub fn parse(path: &Path, base: &Path, text: &str) -> Result<Plan, PlanError> {
    let source = SourceFile::new(path.to_path_buf(), text.to_owned());
    let error_at = |span: Range<usize>, message: String| {
        let position = source.line_column(u32::try_from(span.start).unwrap_or(u32::MAX));
        PlanError {
            path: path.to_path_buf(),
            line: position.line,
            column: position.column,
            message,
        }
    };

    let raw: RawPlan = toml::from_str(text).map_err(|error| {
        let span = error.span().unwrap_or(0..0);
        error_at(span, error.message().trim().to_owned())
    })?;

    let environments_span = raw.environments.span();
    let mut environments = BTreeMap::new();
    for (name, raw_environment) in raw.environments.into_inner() {
        let span = raw_environment.span();
        let environment = convert_environment(&name, raw_environment.into_inner(), &error_at)?;
        if environment.rollout.is_empty() && environment.terraform.is_none() {
            return Err(error_at(
                span,
                format!(
                    "environment `{name}` has neither [environments.{name}.terraform] nor [[environments.{name}.rollout]] steps; add the stages it deploys"
                ),
            ));
        }
        environments.insert(name, environment);
    }
    if environments.is_empty() {
        return Err(error_at(
            environments_span,
            "no environment is defined; add a table such as [environments.dev]".to_owned(),
        ));
    }

    Ok(Plan {
        path: path.to_path_buf(),
        base: base.to_path_buf(),
        digest: hex_digest(text.as_bytes()),
        environments,
    })
}

fn convert_environment(
    name: &str,
    raw: RawEnvironment,
    error_at: &impl Fn(Range<usize>, String) -> PlanError,
) -> Result<Environment, PlanError> {
    let kube_context = match raw.kube_context {
        Some(context) if context.get_ref().trim().is_empty() => {
            return Err(error_at(
                context.span(),
                "`kube_context` is empty; name a kubeconfig context or remove the key".to_owned(),
            ));
        }
        other => other.map(Spanned::into_inner),
    };

    let gate_span = raw.gate.span();
    let raw_gate = raw.gate.into_inner();
    if raw_gate.paths.get_ref().is_empty() {
        return Err(error_at(
            gate_span,
            "`gate.paths` is empty; list the directories `nexafi validate` scans, for example [\".\"]".to_owned(),
        ));
    }
    let severity_threshold = match raw_gate.severity_threshold {
        Some(text) => Some(text.get_ref().parse::<Severity>().map_err(|error| {
            error_at(text.span(), format!("`gate.severity_threshold`: {error}"))
        })?),
        None => None,
    };
    let gate = Gate {
        paths: paths(raw_gate.paths.into_inner()),
        var_files: paths(raw_gate.var_files),
        helm_values: paths(raw_gate.helm_values),
        helm_values_siblings: raw_gate.helm_values_siblings,
        helm_namespace: raw_gate.helm_namespace,
        helm_release: raw_gate.helm_release,
        policies: paths(raw_gate.policies),
        severity_threshold,
        fail_on_unknown: raw_gate.fail_on_unknown,
    };

    let prepare = raw
        .prepare
        .map(|command| command_line(command, "prepare", error_at))
        .transpose()?;
    let tests = raw
        .tests
        .map(|command| command_line(command, "tests", error_at))
        .transpose()?;

    let terraform = raw.terraform.map(|raw| Terraform {
        root: PathBuf::from(raw.root.into_inner()),
        var_files: raw.var_files.into_iter().map(Spanned::into_inner).collect(),
        backend_config: raw.backend_config.map(Spanned::into_inner),
        plan_file: raw.plan_file.unwrap_or_else(|| format!("{name}.tfplan")),
    });

    let mut rollout = Vec::with_capacity(raw.rollout.len());
    let mut releases: Vec<(String, String)> = Vec::new();
    for raw_step in raw.rollout {
        let span = raw_step.span();
        let step = convert_step(raw_step, error_at)?;
        if let Step::Helm(helm) = &step {
            let key = (helm.namespace.clone(), helm.release.clone());
            if releases.contains(&key) {
                return Err(error_at(
                    span,
                    format!(
                        "environment `{name}` installs the Helm release `{}` in namespace `{}` twice; keep one step per release",
                        helm.release, helm.namespace
                    ),
                ));
            }
            releases.push(key);
        }
        rollout.push(step);
    }

    Ok(Environment {
        name: name.to_owned(),
        confirm: raw.confirm.unwrap_or(name == "prod"),
        kube_context,
        gate,
        prepare,
        terraform,
        rollout,
        tests,
    })
}

fn convert_step(
    raw: Spanned<RawStep>,
    error_at: &impl Fn(Range<usize>, String) -> PlanError,
) -> Result<Step, PlanError> {
    let span = raw.span();
    let raw = raw.into_inner();
    match (raw.kubectl, raw.helm) {
        (Some(path), None) => {
            let helm_keys = [
                ("chart", raw.chart.is_some()),
                ("version", raw.version.is_some()),
                ("namespace", raw.namespace.is_some()),
                ("values", !raw.values.is_empty()),
                ("timeout_secs", raw.timeout_secs.is_some()),
            ];
            if let Some((key, _)) = helm_keys.iter().find(|(_, present)| *present) {
                return Err(error_at(
                    span,
                    format!(
                        "`{key}` belongs to a `helm` step, but this step is `kubectl`; remove it or make the step a Helm release"
                    ),
                ));
            }
            if path.get_ref().trim().is_empty() {
                return Err(error_at(
                    path.span(),
                    "`kubectl` is empty; name a manifest file or directory".to_owned(),
                ));
            }
            Ok(Step::Kubectl(KubectlStep {
                path: PathBuf::from(path.into_inner()),
                recursive: raw.recursive.unwrap_or(false),
            }))
        }
        (None, Some(release)) => {
            if raw.recursive.is_some() {
                return Err(error_at(
                    span,
                    "`recursive` belongs to a `kubectl` step; remove it from this Helm step"
                        .to_owned(),
                ));
            }
            let Some(chart) = raw.chart else {
                return Err(error_at(
                    span,
                    format!(
                        "Helm step `{release}` has no `chart`; add the chart directory, for example chart = \"helm/{release}\""
                    ),
                ));
            };
            let Some(namespace) = raw.namespace else {
                return Err(error_at(
                    span,
                    format!("Helm step `{release}` has no `namespace`; add the namespace it installs into"),
                ));
            };
            if raw.timeout_secs == Some(0) {
                return Err(error_at(
                    span,
                    "`timeout_secs` is 0; give the seconds helm waits for the release, for example 600".to_owned(),
                ));
            }
            Ok(Step::Helm(HelmStep {
                release,
                chart: chart.into_inner(),
                version: raw.version,
                namespace,
                values: paths(raw.values),
                timeout_secs: raw.timeout_secs.unwrap_or(DEFAULT_HELM_TIMEOUT_SECS),
            }))
        }
        (Some(_), Some(_)) => Err(error_at(
            span,
            "a rollout step has both `kubectl` and `helm`; split it into two [[rollout]] steps"
                .to_owned(),
        )),
        (None, None) => Err(error_at(
            span,
            "a rollout step has neither `kubectl` nor `helm`; add kubectl = \"DIR\" or helm = \"RELEASE\"".to_owned(),
        )),
    }
}

fn command_line(
    command: Spanned<Vec<String>>,
    key: &str,
    error_at: &impl Fn(Range<usize>, String) -> PlanError,
) -> Result<Vec<String>, PlanError> {
    let span = command.span();
    let command = command.into_inner();
    match command.first() {
        Some(program) if !program.trim().is_empty() => Ok(command),
        _ => Err(error_at(
            span,
            format!(
                "`{key}` is empty; give the program and its arguments, for example [\"nexafi\", \"test\", \"tests/dev.yaml\"]"
            ),
        )),
    }
}

fn paths(values: Vec<Spanned<String>>) -> Vec<PathBuf> {
    values
        .into_iter()
        .map(|value| PathBuf::from(value.into_inner()))
        .collect()
}

fn hex_digest(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

impl Plan {
    /// Returns the environment `name`, or an error listing the defined ones.
    pub fn environment(&self, name: &str) -> Result<&Environment, String> {
        self.environments.get(name).ok_or_else(|| {
            let known: Vec<&str> = self.environments.keys().map(String::as_str).collect();
            format!(
                "environment `{name}` is not defined in {}; use one of: {}",
                self.path.display(),
                known.join(", ")
            )
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn parse_text(text: &str) -> Result<Plan, PlanError> {
        parse(Path::new("deploy.toml"), Path::new("."), text)
    }

    const MINIMAL: &str = r#"
[environments.dev.gate]
paths = ["."]

[[environments.dev.rollout]]
kubectl = "kubernetes/security"

[[environments.dev.rollout]]
helm = "app"
chart = "helm/app"
namespace = "apps"
values = ["helm/app/values-dev.yaml"]
"#;

    #[test]
    fn minimal_plan() {
        let plan = parse_text(MINIMAL).unwrap();
        let dev = plan.environment("dev").unwrap();
        assert!(!dev.confirm);
        assert_eq!(dev.rollout.len(), 2);
        assert_eq!(
            dev.rollout[1],
            Step::Helm(HelmStep {
                release: "app".to_owned(),
                chart: "helm/app".to_owned(),
                version: None,
                namespace: "apps".to_owned(),
                values: vec![PathBuf::from("helm/app/values-dev.yaml")],
                timeout_secs: DEFAULT_HELM_TIMEOUT_SECS,
            })
        );
        assert_eq!(plan.digest.len(), 64);
    }

    #[test]
    fn prod_confirms_by_default() {
        let text = MINIMAL.replace("environments.dev", "environments.prod");
        let plan = parse_text(&text).unwrap();
        assert!(plan.environment("prod").unwrap().confirm);
    }

    #[test]
    fn unknown_environment_lists_known() {
        let plan = parse_text(MINIMAL).unwrap();
        let error = plan.environment("qa").unwrap_err();
        assert!(error.contains("use one of: dev"), "{error}");
    }

    #[test]
    fn unknown_key_located() {
        let text = MINIMAL.replace("chart = ", "chrat = ");
        let error = parse_text(&text).unwrap_err();
        assert_eq!(error.line, 10, "{error}");
        assert!(error.message.contains("chrat"), "{error}");
    }

    #[test]
    fn step_with_both_kinds() {
        let text = MINIMAL.replace(
            "kubectl = \"kubernetes/security\"",
            "kubectl = \"kubernetes/security\"\nhelm = \"x\"",
        );
        let error = parse_text(&text).unwrap_err();
        assert_eq!(error.line, 5, "{error}");
        assert!(error.message.contains("both"), "{error}");
    }

    #[test]
    fn helm_step_without_namespace() {
        let text = MINIMAL.replace("namespace = \"apps\"\n", "");
        let error = parse_text(&text).unwrap_err();
        assert!(error.message.contains("no `namespace`"), "{error}");
    }

    #[test]
    fn kubectl_step_with_helm_key() {
        let text = MINIMAL.replace(
            "kubectl = \"kubernetes/security\"",
            "kubectl = \"kubernetes/security\"\nnamespace = \"x\"",
        );
        let error = parse_text(&text).unwrap_err();
        assert!(error.message.contains("`namespace` belongs"), "{error}");
    }

    #[test]
    fn empty_tests_command() {
        let text = format!("{MINIMAL}\n[environments.dev.tests]\n");
        assert!(parse_text(&text).is_err());
        let text = MINIMAL.replace(
            "[environments.dev.gate]",
            "[environments.dev]\ntests = []\n\n[environments.dev.gate]",
        );
        let error = parse_text(&text).unwrap_err();
        assert_eq!(error.line, 3, "{error}");
        assert!(error.message.contains("`tests` is empty"), "{error}");
    }

    #[test]
    fn severity_threshold_checked() {
        let text = MINIMAL.replace(
            "paths = [\".\"]",
            "paths = [\".\"]\nseverity_threshold = \"hgih\"",
        );
        let error = parse_text(&text).unwrap_err();
        assert_eq!(error.line, 4, "{error}");
        assert!(error.message.contains("severity_threshold"), "{error}");

        let text = MINIMAL.replace(
            "paths = [\".\"]",
            "paths = [\".\"]\nseverity_threshold = \"high\"",
        );
        let plan = parse_text(&text).unwrap();
        let gate = &plan.environment("dev").unwrap().gate;
        assert_eq!(gate.severity_threshold, Some(Severity::High));
    }

    #[test]
    fn duplicate_release_located() {
        let text = format!(
            "{MINIMAL}\n[[environments.dev.rollout]]\nhelm = \"app\"\nchart = \"helm/app\"\nnamespace = \"apps\"\n"
        );
        let error = parse_text(&text).unwrap_err();
        assert_eq!(error.line, 14, "{error}");
        assert!(error.message.contains("twice"), "{error}");
    }

    #[test]
    fn no_environments() {
        let error = parse_text("environments = {}\n").unwrap_err();
        assert!(error.message.contains("no environment"), "{error}");
    }

    #[test]
    fn syntax_error_located() {
        let error = parse_text("[environments.dev.gate]\npaths = [\".\"\n").unwrap_err();
        assert_eq!(error.line, 2, "{error}");
    }

    #[test]
    fn terraform_plan_file_default() {
        let text = format!("{MINIMAL}\n[environments.dev.terraform]\nroot = \"terraform\"\n");
        let plan = parse_text(&text).unwrap();
        let terraform = plan.environment("dev").unwrap().terraform.clone().unwrap();
        assert_eq!(terraform.plan_file, "dev.tfplan");
    }
}
