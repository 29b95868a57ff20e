//! Helm charts rendered in process, the way `helm template` renders them, with no helm
//! binary.
//!
//! A chart renders with its default values, plus the user's values files and `--set`
//! values, and optionally once more per `values*.yaml` file beside `Chart.yaml`. Each
//! rendered template goes through the Kubernetes loader under a path that names the
//! template and the values files (`app/templates/deployment.yaml [values.yaml,
//! prod.yaml]`), so every Kubernetes check applies and findings point at the rendered
//! object. A chart that does not render is an error diagnostic, never zero resources.
//!
//! Differences from Helm 4.2.3 that can change output:
//! - `toYaml` may quote or fold strings differently, with the same data.
//! - `uuidv4` and the `rand*` functions differ on every render, as with Helm.
//! - `lookup` returns an empty map, as with `helm template`.
//! - `import-values` of a dependency is not applied.
//! - Functions outside [`funcs::NAMES`] are unknown, among them the clock (`now`,
//!   `date`), certificate generators (`genCA`), `toToml` and `getHostByName`: a chart
//!   that calls one fails to render with an error naming it.

pub mod chart;
pub mod files;
pub mod funcs;
pub mod render;
pub mod template;
pub mod value;
pub mod values;
pub mod yaml;

use std::path::{Path, PathBuf};

use nexafi_model::{SourceMap, Span};

use crate::{Diagnostic, DiagnosticLevel, Loaded, kubernetes};
use render::{Release, RenderError, Rendered};
use value::Value;

/// Values files and `--set` expressions a chart renders with.
#[derive(Clone, Debug, Default)]
pub struct ChartOptions {
    /// Values files applied over the chart's defaults, in order (`helm -f`).
    pub values_files: Vec<PathBuf>,
    /// `--set` expressions applied last, in order.
    pub set: Vec<String>,
    /// Also render once per `values*.yaml` beside `Chart.yaml` (other than
    /// `values.yaml`), each applied after `values_files`.
    pub values_siblings: bool,
    /// Release name and namespace, as `helm template NAME --namespace NS` sets them;
    /// `release-name` and `default` when absent.
    pub release_name: Option<String>,
    pub namespace: Option<String>,
}

impl ChartOptions {
    /// Returns the release every render of a scan uses.
    pub fn release(&self) -> Release {
        let defaults = Release::default();
        Release {
            name: self.release_name.clone().unwrap_or(defaults.name),
            namespace: self.namespace.clone().unwrap_or(defaults.namespace),
        }
    }
}

/// A part of a rendered file that printed a value from a values file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValueOrigin {
    /// Path of the rendered file, as registered in the source map.
    pub rendered_path: String,
    /// First and last line of the printed value in the rendered file.
    pub start_line: u32,
    pub end_line: u32,
    /// Location of the value in its values file: `values.yaml:12:3`.
    pub location: String,
}

/// Resources, diagnostics and value origins of one chart.
#[derive(Debug, Default)]
pub struct ChartLoad {
    pub loaded: Loaded,
    pub origins: Vec<ValueOrigin>,
}

/// Merges values files and `--set` expressions into the user's values.
pub fn user_values(
    files: &[PathBuf],
    set: &[String],
    sources: &SourceMap,
) -> Result<Value, RenderError> {
    let mut values = Value::empty_map();
    for path in files {
        let text = std::fs::read_to_string(path).map_err(|error| {
            RenderError::Chart(chart::ChartError {
                path: path.clone(),
                message: format!("cannot read the values file: {error}"),
            })
        })?;
        let file_values = chart::read_values(path, text, sources).map_err(RenderError::Chart)?;
        values = values::merge_overrides(&values, &file_values);
    }
    for expression in set {
        let parsed = values::parse_set(expression).map_err(|message| {
            RenderError::Chart(chart::ChartError {
                path: PathBuf::from("--helm-set"),
                message,
            })
        })?;
        values = values::merge_overrides(&values, &parsed);
    }
    Ok(values)
}

/// Loads and renders the chart in `dir` with the given values files and `--set`
/// expressions, with the release name and namespace of `helm template`.
pub fn render_dir(
    dir: &Path,
    values_files: &[PathBuf],
    set: &[String],
    sources: &SourceMap,
) -> Rendered {
    let chart = match chart::load_dir(dir, sources) {
        Ok(chart) => chart,
        Err(error) => {
            return Rendered {
                manifests: Vec::new(),
                errors: vec![RenderError::Chart(error)],
            };
        }
    };
    match user_values(values_files, set, sources) {
        Ok(user) => render::render(&chart, &user, &Release::default()),
        Err(error) => Rendered {
            manifests: Vec::new(),
            errors: vec![error],
        },
    }
}

/// Lists the `values*.yaml` files beside `Chart.yaml`, other than `values.yaml`, sorted.
pub fn sibling_values_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| {
            let name = path
                .file_name()
                .and_then(|name| name.to_str())
                .unwrap_or_default();
            name.starts_with("values")
                && (name.ends_with(".yaml") || name.ends_with(".yml"))
                && name != "values.yaml"
                && path.is_file()
        })
        .collect();
    files.sort();
    files
}

/// Renders the chart in `dir` with every values set the options ask for and loads the
/// rendered Kubernetes objects.
pub fn load_chart(dir: &Path, options: &ChartOptions, sources: &SourceMap) -> ChartLoad {
    let mut load = ChartLoad::default();
    let chart = match chart::load_dir(dir, sources) {
        Ok(chart) => chart,
        Err(error) => {
            push_error(&mut load.loaded, sources, &RenderError::Chart(error), "");
            return load;
        }
    };

    let mut sets: Vec<Vec<PathBuf>> = vec![options.values_files.clone()];
    if options.values_siblings {
        for sibling in sibling_values_files(dir) {
            let mut files = options.values_files.clone();
            files.push(sibling);
            sets.push(files);
        }
    }

    for files in sets {
        let label = values_label(&files, &options.set);
        let user = match user_values(&files, &options.set, sources) {
            Ok(user) => user,
            Err(error) => {
                push_error(&mut load.loaded, sources, &error, &label);
                continue;
            }
        };
        let rendered = render::render(&chart, &user, &options.release());
        tracing::debug!(
            chart = %dir.display(),
            values = %label,
            manifests = rendered.manifests.len(),
            errors = rendered.errors.len(),
            "rendered a Helm chart"
        );
        for error in &rendered.errors {
            push_error(&mut load.loaded, sources, error, &label);
        }
        for manifest in rendered.manifests {
            let path = PathBuf::from(format!("{} [{label}]", manifest.path.display()));
            let objects = kubernetes::load_file(&path, manifest.text.clone(), sources);
            load.loaded.extend(objects);
            let Some(file) = sources.find(&path) else {
                continue;
            };
            for origin in &manifest.origins {
                let Some(location) = sources.locate(origin.span) else {
                    continue;
                };
                let rendered =
                    sources.locate(Span::new(file, origin.start, origin.end.max(origin.start)));
                let Some(rendered) = rendered else {
                    continue;
                };
                load.origins.push(ValueOrigin {
                    rendered_path: path.display().to_string(),
                    start_line: rendered.start.line,
                    end_line: rendered.end.line,
                    location: format!(
                        "{}:{}:{}",
                        location.path.display(),
                        location.start.line,
                        location.start.column
                    ),
                });
            }
        }
    }
    load
}

/// Names a values set: the chart's `values.yaml`, then each file applied, then
/// `--helm-set` when expressions were given.
fn values_label(files: &[PathBuf], set: &[String]) -> String {
    let mut parts = vec!["values.yaml".to_owned()];
    parts.extend(files.iter().map(|path| path.display().to_string()));
    if !set.is_empty() {
        parts.push("--helm-set".to_owned());
    }
    parts.join(", ")
}

/// Records a render failure as an error diagnostic at the template line when known.
/// The same failure met under several values sets is recorded once.
fn push_error(loaded: &mut Loaded, sources: &SourceMap, error: &RenderError, label: &str) {
    let with = if label.is_empty() {
        String::new()
    } else {
        format!(" (values: {label})")
    };
    let (path, span, message) = match error {
        RenderError::Chart(error) => (
            error.path.clone(),
            None,
            format!("the Helm chart cannot be loaded: {}{with}", error.message),
        ),
        RenderError::Schema {
            path,
            message,
            span,
        } => {
            // Point at the invalid value when a values file set it, else at the schema.
            let path = span
                .and_then(|span| sources.get(span.file))
                .map_or_else(|| path.clone(), |file| file.path.clone());
            (
                path,
                *span,
                format!(
                    "the Helm chart does not render: {message}; fix the values or the schema{with}"
                ),
            )
        }
        RenderError::Template { path, error } => {
            let file = match sources.find(path) {
                Some(file) => Some(file),
                None => std::fs::read_to_string(path)
                    .ok()
                    .map(|text| sources.add(path, text)),
            };
            let span = file.and_then(|file| {
                let source = sources.get(file)?;
                let offset = offset_of(&source.text, error.pos.line, error.pos.column);
                Some(Span::point(file, offset))
            });
            (
                path.clone(),
                span,
                format!(
                    "the Helm chart does not render: {} at {}:{}:{}{with}",
                    error.message, error.template, error.pos.line, error.pos.column
                ),
            )
        }
    };
    let duplicate = loaded.diagnostics.iter().any(|existing| {
        existing.path == path
            && existing.span == span
            && existing.message.split(" (values: ").next() == message.split(" (values: ").next()
    });
    if duplicate {
        return;
    }
    loaded.diagnostics.push(Diagnostic {
        level: DiagnosticLevel::Error,
        path,
        span,
        message,
        subject: None,
    });
}

/// Byte offset of a 1-based line and character column.
fn offset_of(text: &str, line: u32, column: u32) -> usize {
    let mut offset = 0;
    for (index, current) in text.split_inclusive('\n').enumerate() {
        if index + 1 == line as usize {
            let within = current
                .char_indices()
                .nth(column.saturating_sub(1) as usize)
                .map_or(current.len(), |(position, _)| position);
            return offset + within;
        }
        offset += current.len();
    }
    offset.min(text.len())
}

/// Returns the values file location of the narrowest printed value that covers `line`
/// of the rendered `file`.
pub fn origin_note<'a>(origins: &'a [ValueOrigin], file: &str, line: u32) -> Option<&'a str> {
    origins
        .iter()
        .filter(|origin| {
            origin.rendered_path == file && origin.start_line <= line && line <= origin.end_line
        })
        .min_by_key(|origin| origin.end_line - origin.start_line)
        .map(|origin| origin.location.as_str())
}
