//! Rendering a loaded chart: dependency conditions and tags, values, schema validation,
//! then every template, as `helm template` does offline.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::rc::Rc;

use nexafi_model::Span;

use super::chart::{Chart, ChartError};
use super::funcs;
use super::template::exec::{Exec, OutputOrigin};
use super::template::{TemplateError, TemplateSet};
use super::value::Value;
use super::values::{coalesce, path_value};
use super::yaml::to_json_value;

/// Kubernetes version `.Capabilities` reports; the default of Helm 4.2.3.
pub const KUBE_VERSION: &str = "v1.36.0";

/// API group versions `.Capabilities.APIVersions` contains: the built-in groups Helm 4.2.3
/// reports when no cluster is reachable.
pub const API_VERSIONS: &[&str] = &[
    "v1",
    "admissionregistration.k8s.io/v1",
    "admissionregistration.k8s.io/v1alpha1",
    "admissionregistration.k8s.io/v1beta1",
    "internal.apiserver.k8s.io/v1alpha1",
    "apps/v1",
    "apps/v1beta1",
    "apps/v1beta2",
    "authentication.k8s.io/v1",
    "authentication.k8s.io/v1alpha1",
    "authentication.k8s.io/v1beta1",
    "authorization.k8s.io/v1",
    "authorization.k8s.io/v1beta1",
    "autoscaling/v1",
    "autoscaling/v2",
    "batch/v1",
    "batch/v1beta1",
    "certificates.k8s.io/v1",
    "certificates.k8s.io/v1beta1",
    "certificates.k8s.io/v1alpha1",
    "coordination.k8s.io/v1alpha2",
    "coordination.k8s.io/v1beta1",
    "coordination.k8s.io/v1",
    "discovery.k8s.io/v1",
    "discovery.k8s.io/v1beta1",
    "events.k8s.io/v1",
    "events.k8s.io/v1beta1",
    "extensions/v1beta1",
    "flowcontrol.apiserver.k8s.io/v1",
    "flowcontrol.apiserver.k8s.io/v1beta1",
    "flowcontrol.apiserver.k8s.io/v1beta2",
    "flowcontrol.apiserver.k8s.io/v1beta3",
    "networking.k8s.io/v1",
    "networking.k8s.io/v1beta1",
    "node.k8s.io/v1",
    "node.k8s.io/v1alpha1",
    "node.k8s.io/v1beta1",
    "policy/v1",
    "policy/v1beta1",
    "rbac.authorization.k8s.io/v1",
    "rbac.authorization.k8s.io/v1beta1",
    "rbac.authorization.k8s.io/v1alpha1",
    "resource.k8s.io/v1",
    "resource.k8s.io/v1beta2",
    "resource.k8s.io/v1beta1",
    "resource.k8s.io/v1alpha3",
    "scheduling.k8s.io/v1alpha2",
    "scheduling.k8s.io/v1beta1",
    "scheduling.k8s.io/v1",
    "storage.k8s.io/v1beta1",
    "storage.k8s.io/v1",
    "storage.k8s.io/v1alpha1",
    "storagemigration.k8s.io/v1beta1",
    "apiextensions.k8s.io/v1beta1",
    "apiextensions.k8s.io/v1",
];

/// Release name and namespace used when none is given, those of `helm template`.
pub const DEFAULT_RELEASE_NAME: &str = "release-name";
pub const DEFAULT_NAMESPACE: &str = "default";

/// Settings of one render.
#[derive(Clone, Debug)]
pub struct Release {
    pub name: String,
    pub namespace: String,
}

impl Default for Release {
    fn default() -> Self {
        Self {
            name: DEFAULT_RELEASE_NAME.to_owned(),
            namespace: DEFAULT_NAMESPACE.to_owned(),
        }
    }
}

/// The output of one template.
#[derive(Clone, Debug)]
pub struct Manifest {
    /// Helm's name for the template: `app/templates/deployment.yaml`, or
    /// `app/charts/db/templates/db.yaml` for a subchart.
    pub name: String,
    /// The template file, as shown to users.
    pub path: PathBuf,
    pub text: String,
    /// Parts of `text` that print values read from a values file.
    pub origins: Vec<OutputOrigin>,
}

/// The reason a chart did not render.
#[derive(Clone, Debug)]
pub enum RenderError {
    Chart(ChartError),
    /// A template failed to parse or run; `path` is the template file.
    Template {
        path: PathBuf,
        error: TemplateError,
    },
    /// The values do not satisfy a chart's `values.schema.json`. `span` is the first
    /// invalid value in the values file that set it, when one did.
    Schema {
        path: PathBuf,
        message: String,
        span: Option<Span>,
    },
}

impl std::fmt::Display for RenderError {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RenderError::Chart(error) => {
                write!(formatter, "{}: {}", error.path.display(), error.message)
            }
            RenderError::Template { error, .. } => write!(formatter, "{error}"),
            RenderError::Schema { path, message, .. } => {
                write!(formatter, "{}: {message}", path.display())
            }
        }
    }
}

/// The manifests rendered and the errors met. A template that fails does not stop the
/// others, so one mistake does not hide every other finding.
#[derive(Debug, Default)]
pub struct Rendered {
    pub manifests: Vec<Manifest>,
    pub errors: Vec<RenderError>,
}

/// Renders `chart` with `user` values (values files and `--set` already merged).
pub fn render(chart: &Chart, user: &Value, release: &Release) -> Rendered {
    let mut rendered = Rendered::default();
    let chart = match enabled_dependencies(chart, user) {
        Ok(chart) => chart,
        Err(error) => {
            rendered.errors.push(RenderError::Chart(error));
            return rendered;
        }
    };
    if let Some(error) = kube_version_error(&chart) {
        rendered.errors.push(RenderError::Chart(error));
        return rendered;
    }
    let values = coalesce(&chart, user);
    validate_schemas(&chart, &values, &mut rendered.errors);
    if !rendered.errors.is_empty() {
        return rendered;
    }

    // Every template of every chart joins one set, so `include` reaches the helpers of
    // subcharts and library charts.
    let mut entries = Vec::new();
    let shared = Shared {
        release: release_object(release),
        capabilities: capabilities(),
    };
    collect_templates(&chart, &chart.name, &values, &shared, &mut entries);
    // Helm parses deeper paths first, so a parent chart's `define` wins over a
    // subchart's of the same name.
    entries.sort_by(|a, b| {
        let depth = |entry: &Entry| entry.name.matches('/').count();
        depth(b).cmp(&depth(a)).then_with(|| b.name.cmp(&a.name))
    });
    let mut set = TemplateSet::new();
    let mut parsed = Vec::new();
    for entry in entries {
        match set.add_file(&entry.name, &entry.text, &funcs::is_function) {
            Ok(()) => parsed.push(entry),
            Err(error) => rendered.errors.push(RenderError::Template {
                path: entry.path.clone(),
                error,
            }),
        }
    }
    parsed.sort_by(|a, b| a.name.cmp(&b.name));

    for entry in parsed.iter().filter(|entry| entry.render) {
        let dot = template_data(entry);
        let mut exec = Exec::new(&set, &entry.name);
        match exec.run(&entry.name, &dot) {
            Ok(()) => {
                let (text, origins) = strip_no_value(exec.out, exec.origins);
                rendered.manifests.push(Manifest {
                    name: entry.name.clone(),
                    path: entry.path.clone(),
                    text,
                    origins,
                });
            }
            Err(error) => {
                let path = parsed
                    .iter()
                    .find(|other| other.name == error.template)
                    .map_or_else(|| entry.path.clone(), |other| other.path.clone());
                rendered.errors.push(RenderError::Template { path, error });
            }
        }
    }
    rendered
}

/// A template with everything its render needs.
struct Entry {
    name: String,
    path: PathBuf,
    text: String,
    /// False for partials (`_helpers.tpl`), `NOTES.txt` and library chart templates.
    render: bool,
    /// The chart's part of the data every template of it receives: `.Values`, `.Chart`,
    /// `.Files`, `.Release`, `.Capabilities` and `.Subcharts`.
    context: Value,
    base_path: String,
}

/// Adds the templates of `chart` and its subcharts to `out`, and returns the chart's
/// context, which its parent lists under `.Subcharts`.
fn collect_templates(
    chart: &Chart,
    prefix: &str,
    values: &Value,
    shared: &Shared,
    out: &mut Vec<Entry>,
) -> Value {
    let mut subcharts = BTreeMap::new();
    for subchart in &chart.subcharts {
        let scoped = match values.get(&subchart.name) {
            Some(scoped @ Value::Map(_)) => scoped,
            _ => Value::empty_map(),
        };
        let prefix = format!("{prefix}/charts/{}", subchart.name);
        let context = collect_templates(subchart, &prefix, &scoped, shared, out);
        subcharts.insert(subchart.name.clone(), context);
    }
    let context = Value::map(BTreeMap::from([
        ("Values".to_owned(), values.clone()),
        ("Release".to_owned(), shared.release.clone()),
        ("Chart".to_owned(), chart.metadata.clone()),
        ("Capabilities".to_owned(), shared.capabilities.clone()),
        ("Files".to_owned(), Value::Files(Rc::clone(&chart.files))),
        ("Subcharts".to_owned(), Value::map(subcharts)),
    ]));
    for template in &chart.templates {
        let name = format!("{prefix}/{}", template.name);
        let base = template.name.rsplit('/').next().unwrap_or(&template.name);
        let render = !base.starts_with('_') && base != "NOTES.txt" && !chart.is_library;
        out.push(Entry {
            name,
            path: template.path.clone(),
            text: template.text.clone(),
            render,
            context: context.clone(),
            base_path: format!("{prefix}/templates"),
        });
    }
    context
}

/// The objects every template of a render shares.
struct Shared {
    release: Value,
    capabilities: Value,
}

/// Builds the data a template runs with: its chart's context plus `.Template`.
fn template_data(entry: &Entry) -> Value {
    let template = Value::map(BTreeMap::from([
        ("Name".to_owned(), Value::string(entry.name.as_str())),
        (
            "BasePath".to_owned(),
            Value::string(entry.base_path.as_str()),
        ),
    ]));
    let mut entries = match &entry.context {
        Value::Map(map) => map.borrow().entries.clone(),
        _ => BTreeMap::new(),
    };
    entries.insert("Template".to_owned(), template);
    Value::map(entries)
}

fn release_object(release: &Release) -> Value {
    Value::map(BTreeMap::from([
        ("Name".to_owned(), Value::string(release.name.as_str())),
        (
            "Namespace".to_owned(),
            Value::string(release.namespace.as_str()),
        ),
        ("IsInstall".to_owned(), Value::Bool(true)),
        ("IsUpgrade".to_owned(), Value::Bool(false)),
        ("Revision".to_owned(), Value::Int(1)),
        ("Service".to_owned(), Value::string("Helm")),
    ]))
}

fn capabilities() -> Value {
    let version = KUBE_VERSION.trim_start_matches('v');
    let mut parts = version.split('.');
    let major = parts.next().unwrap_or_default();
    let minor = parts.next().unwrap_or_default();
    let kube = Value::map(BTreeMap::from([
        ("Version".to_owned(), Value::string(KUBE_VERSION)),
        ("GitVersion".to_owned(), Value::string(KUBE_VERSION)),
        ("Major".to_owned(), Value::string(major)),
        ("Minor".to_owned(), Value::string(minor)),
    ]));
    let helm = Value::map(BTreeMap::from([(
        "Version".to_owned(),
        Value::string("v4.2"),
    )]));
    Value::map(BTreeMap::from([
        ("KubeVersion".to_owned(), kube),
        (
            "APIVersions".to_owned(),
            Value::Versions(Rc::new(
                API_VERSIONS
                    .iter()
                    .map(|version| (*version).to_owned())
                    .collect(),
            )),
        ),
        ("HelmVersion".to_owned(), helm),
    ]))
}

/// Checks the `kubeVersion` constraint of `Chart.yaml` against [`KUBE_VERSION`], as Helm
/// does before it renders.
fn kube_version_error(chart: &Chart) -> Option<ChartError> {
    let constraint = chart
        .metadata
        .get("KubeVersion")
        .map(|value| funcs::strval(&value))?;
    if constraint.is_empty() {
        return None;
    }
    let message = match funcs::semver::matches(&constraint, KUBE_VERSION) {
        Ok(true) => return None,
        Ok(false) => format!(
            "the chart requires kubeVersion {constraint}, which Kubernetes {KUBE_VERSION} does not satisfy"
        ),
        Err(error) => format!("invalid kubeVersion in Chart.yaml: {error}"),
    };
    Some(ChartError {
        path: chart.path.join("Chart.yaml"),
        message,
    })
}

/// Drops the subcharts whose dependency is disabled by a condition or tags, renames
/// aliased ones, and rejects declared dependencies missing from `charts/`.
fn enabled_dependencies(chart: &Chart, user: &Value) -> Result<Chart, ChartError> {
    let values = coalesce(chart, user);
    process(chart, &values, "", 0)
}

fn process(chart: &Chart, values: &Value, path: &str, depth: usize) -> Result<Chart, ChartError> {
    let tags = values.get("tags").unwrap_or_default();
    let mut kept = Vec::new();
    let mut used = vec![false; chart.subcharts.len()];
    for dependency in &chart.dependencies {
        let Some(index) = chart
            .subcharts
            .iter()
            .position(|sub| sub.name == dependency.name)
        else {
            return Err(ChartError {
                path: chart.path.join("Chart.yaml"),
                message: format!(
                    "dependency {:?} is declared in Chart.yaml but missing from the charts/ directory; run `helm dependency build` or add the chart under charts/",
                    dependency.name
                ),
            });
        };
        used[index] = true;
        if !dependency_enabled(dependency, values, &tags, path) {
            continue;
        }
        let mut subchart = chart.subcharts[index].clone();
        if let Some(alias) = &dependency.alias {
            subchart.name = alias.clone();
            if let Value::Map(metadata) = &subchart.metadata {
                let mut metadata = metadata.borrow().clone();
                metadata.insert("Name".to_owned(), Value::string(alias.as_str()));
                subchart.metadata = Value::Map(Rc::new(std::cell::RefCell::new(metadata)));
            }
        }
        kept.push(subchart);
    }
    // Subcharts present in charts/ but not declared are always rendered.
    for (index, subchart) in chart.subcharts.iter().enumerate() {
        if !used[index] {
            kept.push(subchart.clone());
        }
    }
    let mut processed = Vec::new();
    for subchart in kept {
        let sub_path = format!("{path}{}.", subchart.name);
        processed.push(if depth < 16 {
            process(&subchart, values, &sub_path, depth + 1)?
        } else {
            subchart
        });
    }
    let mut chart = chart.clone();
    chart.subcharts = processed;
    Ok(chart)
}

/// Decides whether a dependency renders. Tags enable it when one of them is true and
/// disable it when all that are set are false. The first condition path whose value is
/// a boolean overrides the tags.
fn dependency_enabled(
    dependency: &super::chart::Dependency,
    values: &Value,
    tags: &Value,
    path: &str,
) -> bool {
    let mut enabled = true;
    let mut has_true = false;
    let mut has_false = false;
    for tag in &dependency.tags {
        match tags.get(tag) {
            Some(Value::Bool(true)) => has_true = true,
            Some(Value::Bool(false)) => has_false = true,
            _ => {}
        }
    }
    if !has_true && has_false {
        enabled = false;
    }
    if let Some(condition) = &dependency.condition {
        for part in condition.split(',') {
            let full = format!("{path}{}", part.trim());
            if let Some(Value::Bool(flag)) = path_value(values, &full) {
                enabled = flag;
                break;
            }
        }
    }
    enabled
}

fn validate_schemas(chart: &Chart, values: &Value, errors: &mut Vec<RenderError>) {
    if let Some(schema) = &chart.schema {
        let path = chart.path.join("values.schema.json");
        match jsonschema::validator_for(schema) {
            Ok(validator) => {
                let instance = to_json_value(values);
                let mut span = None;
                let problems: Vec<String> = validator
                    .iter_errors(&instance)
                    .map(|error| {
                        let at = error.instance_path().to_string();
                        if span.is_none() {
                            span = origin_of(values, &at);
                        }
                        let at = if at.is_empty() { "/".to_owned() } else { at };
                        format!("at '{at}': {error}")
                    })
                    .take(20)
                    .collect();
                if !problems.is_empty() {
                    errors.push(RenderError::Schema {
                        path,
                        message: format!(
                            "values don't meet the chart's schema: {}",
                            problems.join("; ")
                        ),
                        span,
                    });
                }
            }
            Err(error) => errors.push(RenderError::Schema {
                path,
                message: format!("invalid JSON schema: {error}"),
                span: None,
            }),
        }
    }
    for subchart in &chart.subcharts {
        let scoped = values.get(&subchart.name).unwrap_or_default();
        validate_schemas(subchart, &scoped, errors);
    }
}

/// Finds where a values file set the value at a JSON pointer (`/image/tag`), following
/// map keys only.
fn origin_of(values: &Value, pointer: &str) -> Option<Span> {
    let mut current = values.clone();
    let mut span = None;
    for part in pointer.split('/').skip(1) {
        let key = part.replace("~1", "/").replace("~0", "~");
        let next = match &current {
            Value::Map(map) => {
                let map = map.borrow();
                span = map.origins.get(&key).copied().or(span);
                map.entries.get(&key).cloned()
            }
            _ => None,
        };
        match next {
            Some(next) => current = next,
            None => break,
        }
    }
    span
}

/// Removes `<no value>` from the output, as Helm does, and moves origins to match.
fn strip_no_value(text: String, origins: Vec<OutputOrigin>) -> (String, Vec<OutputOrigin>) {
    const MARK: &str = "<no value>";
    if !text.contains(MARK) {
        return (text, origins);
    }
    let removed: Vec<usize> = text.match_indices(MARK).map(|(index, _)| index).collect();
    let shift = |offset: usize| {
        let before = removed.iter().filter(|&&index| index < offset).count();
        offset - before * MARK.len()
    };
    let origins = origins
        .into_iter()
        .map(|origin| OutputOrigin {
            start: shift(origin.start),
            end: shift(origin.end),
            span: origin.span,
        })
        .collect();
    (text.replace(MARK, ""), origins)
}
