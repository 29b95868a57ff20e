//! The scan: discovery, loading in parallel, check evaluation and findings.
//!
//! [`scan`] is all `nexafi validate` needs: it returns the model (for code frames) and a
//! [`ScanResult`] ready for any renderer. Nothing here touches the network.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use nexafi_checks::Check;
use nexafi_iac::{Diagnostic, DiagnosticLevel, Loaded, dockerfile, helm, kubernetes, terraform};
use nexafi_model::{
    Evaluation, Finding, Model, Resource, ScanInputs, ScanResult, Severity, SourceMap, Span,
    Summary, ToolInfo, Verdict, fingerprint,
};
use rayon::prelude::*;

pub mod discover;

pub use discover::{Inputs, discover};

/// Check id of findings for inputs that could not be loaded.
pub const LOAD_ERROR_ID: &str = "NXF-LOAD-ERROR";
/// Check id of findings for inputs that could not be resolved offline.
pub const LOAD_UNRESOLVED_ID: &str = "NXF-LOAD-UNRESOLVED";

/// Errors that stop a scan before it starts; problems inside files are findings instead.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("cannot read {}: {source}", path.display())]
    Path {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not a Terraform, Kubernetes or Dockerfile input; name a directory or a .tf, .tf.json, .tfvars, .yaml, .yml, .json or Dockerfile", path.display())]
    UnsupportedFile { path: PathBuf },
    #[error("invalid --exclude glob {glob:?}: {message}")]
    Exclude { glob: String, message: String },
    #[error("unknown framework {name:?}; valid ids are {valid}")]
    Framework { name: String, valid: String },
}

/// Paths and settings of one scan.
#[derive(Clone, Debug, Default)]
pub struct ScanOptions {
    pub paths: Vec<PathBuf>,
    pub excludes: Vec<String>,
    pub terraform: terraform::Options,
    /// Values each Helm chart is rendered with.
    pub helm: helm::ChartOptions,
    /// Framework ids to report on; empty means the default six.
    pub frameworks: Vec<String>,
    pub severity_threshold: Option<Severity>,
}

/// A finished scan.
pub struct ScanOutput {
    pub model: Model,
    pub result: ScanResult,
}

/// Runs a whole scan.
pub fn scan(options: &ScanOptions) -> Result<ScanOutput, EngineError> {
    let frameworks = resolve_frameworks(&options.frameworks)?;
    let inputs = discover(&options.paths, &options.excludes)?;
    tracing::debug!(
        terraform_dirs = inputs.terraform_dirs.len(),
        manifests = inputs.manifests.len(),
        dockerfiles = inputs.dockerfiles.len(),
        "discovered inputs"
    );

    if inputs.file_count() == 0 && inputs.helm_charts.is_empty() {
        tracing::warn!(
            paths = ?options.paths,
            "found no Terraform, Kubernetes or Dockerfile input; check the paths and --exclude"
        );
    }

    let sources = SourceMap::new();
    let (loaded, helm_origins) = load(&inputs, &options.terraform, &options.helm, &sources);
    let diagnostics = loaded.diagnostics;
    let model = Model::new(sources, loaded.resources);

    let checks = nexafi_checks::all();
    let mut findings = evaluate(&model, &checks, &options.paths);
    note_helm_origins(&mut findings, &helm_origins);
    findings.extend(diagnostic_findings(
        &model.sources,
        &diagnostics,
        &options.paths,
    ));
    sort_findings(&mut findings);

    let framework_ids: Vec<&str> = frameworks.iter().map(String::as_str).collect();
    let check_metas: Vec<_> = checks.iter().map(|check| check.meta).collect();
    let framework_results = nexafi_compliance::evaluate(&framework_ids, &check_metas, &findings);

    let result = ScanResult {
        tool: ToolInfo {
            name: "nexafi".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        },
        inputs: ScanInputs {
            paths: options
                .paths
                .iter()
                .map(|path| path.display().to_string())
                .collect(),
            files: model.sources.len(),
            resources: model.resources.len(),
            checks: checks.len(),
            severity_threshold: options.severity_threshold,
            commit: None,
            started_at: None,
            check_catalog_digest: None,
        },
        summary: Summary::count(&findings),
        findings,
        frameworks: framework_results,
        waivers: Vec::new(),
    };
    Ok(ScanOutput { model, result })
}

/// Checks that every named framework exists and returns their ids.
fn resolve_frameworks(names: &[String]) -> Result<Vec<String>, EngineError> {
    let catalog = nexafi_compliance::catalog();
    if names.is_empty() {
        return Ok(nexafi_compliance::DEFAULT_FRAMEWORKS
            .iter()
            .map(|id| (*id).to_owned())
            .collect());
    }
    names
        .iter()
        .map(|name| {
            catalog
                .framework(name)
                .map(|framework| framework.id.clone())
                .map_err(|error| EngineError::Framework {
                    name: name.clone(),
                    valid: error.valid,
                })
        })
        .collect()
}

/// Loads every input in parallel: each Terraform root, manifest, Dockerfile and Helm
/// chart is a task. Also returns where rendered chart values came from.
fn load(
    inputs: &Inputs,
    options: &terraform::Options,
    helm_options: &helm::ChartOptions,
    sources: &SourceMap,
) -> (Loaded, Vec<helm::ValueOrigin>) {
    let dirs: Vec<PathBuf> = inputs.terraform_dirs.keys().cloned().collect();
    let roots = terraform::find_roots(&dirs);

    enum Task<'a> {
        Terraform(&'a Path, &'a [PathBuf]),
        Manifest(&'a Path),
        Dockerfile(&'a Path),
        Chart(&'a Path),
    }
    let mut tasks: Vec<Task<'_>> = Vec::new();
    for root in &roots {
        if let Some(files) = inputs.terraform_dirs.get(root) {
            tasks.push(Task::Terraform(root, files));
        }
    }
    tasks.extend(inputs.manifests.iter().map(|path| Task::Manifest(path)));
    tasks.extend(inputs.dockerfiles.iter().map(|path| Task::Dockerfile(path)));
    tasks.extend(inputs.helm_charts.iter().map(|path| Task::Chart(path)));

    let results: Vec<(Loaded, Vec<helm::ValueOrigin>)> = tasks
        .par_iter()
        .map(|task| match task {
            Task::Terraform(dir, files) => (
                terraform::load_root(dir, files, options, sources),
                Vec::new(),
            ),
            Task::Manifest(path) => (
                read_then(path, sources, |text| {
                    kubernetes::load_file(path, text, sources)
                }),
                Vec::new(),
            ),
            Task::Dockerfile(path) => (
                read_then(path, sources, |text| {
                    dockerfile::load_file(path, text, sources)
                }),
                Vec::new(),
            ),
            Task::Chart(dir) => {
                let chart = helm::load_chart(dir, helm_options, sources);
                (chart.loaded, chart.origins)
            }
        })
        .collect();

    let mut loaded = Loaded::default();
    let mut origins = Vec::new();
    for (result, result_origins) in results {
        loaded.extend(result);
        origins.extend(result_origins);
    }
    (loaded, origins)
}

/// Names the values file line behind a finding in a rendered Helm template, so the fix
/// goes where the value was set.
fn note_helm_origins(findings: &mut [Finding], origins: &[helm::ValueOrigin]) {
    if origins.is_empty() {
        return;
    }
    for finding in findings.iter_mut() {
        if finding.verdict != Verdict::Fail && finding.verdict != Verdict::Unknown {
            continue;
        }
        if let Some(location) = helm::origin_note(origins, &finding.file, finding.line) {
            finding.message = format!("{} (value set at {location})", finding.message);
        }
    }
}

/// Reads a file as UTF-8 and hands it to a loader. An unreadable file is an error
/// diagnostic; so is invalid UTF-8, pointing at the first invalid byte.
fn read_then(path: &Path, sources: &SourceMap, loader: impl FnOnce(String) -> Loaded) -> Loaded {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) => return load_failure(path, format!("cannot read the file: {error}")),
    };
    match String::from_utf8(bytes) {
        Ok(text) => loader(text),
        Err(error) => {
            let offset = error.utf8_error().valid_up_to();
            // Keep the readable part so the report can show the line with the bad byte.
            let text = String::from_utf8_lossy(error.as_bytes()).into_owned();
            let file = sources.add(path, text);
            let mut loaded = load_failure(
                path,
                format!(
                    "the file is not valid UTF-8 (invalid byte at offset {offset}); save it as UTF-8 or exclude it with --exclude"
                ),
            );
            if let Some(diagnostic) = loaded.diagnostics.first_mut() {
                diagnostic.span = Some(Span::point(file, offset));
            }
            loaded
        }
    }
}

fn load_failure(path: &Path, message: String) -> Loaded {
    Loaded {
        resources: Vec::new(),
        diagnostics: vec![Diagnostic {
            level: DiagnosticLevel::Error,
            path: path.to_path_buf(),
            span: None,
            message,
            subject: None,
        }],
    }
}

/// Runs every applicable check on every resource, in parallel over resources.
fn evaluate(model: &Model, checks: &[&'static Check], roots: &[PathBuf]) -> Vec<Finding> {
    let mut by_kind: HashMap<&str, Vec<&'static Check>> = HashMap::new();
    for check in checks {
        for kind in check.meta.kinds {
            by_kind.entry(kind).or_default().push(check);
        }
    }
    let controls: HashMap<&str, BTreeMap<String, Vec<String>>> = checks
        .iter()
        .map(|check| {
            (
                check.meta.id,
                nexafi_compliance::controls_for(check.meta.categories, check.meta.extra_controls),
            )
        })
        .collect();
    let fingerprint_roots = FingerprintRoots::new(roots);

    model
        .resources
        .par_iter()
        .flat_map_iter(|resource| {
            let applicable = by_kind
                .get(resource.kind.as_str())
                .map_or(&[][..], Vec::as_slice);
            let mut findings = Vec::new();
            for check in applicable {
                for evaluation in (check.evaluate)(resource, model) {
                    findings.push(to_finding(
                        model,
                        check,
                        resource,
                        evaluation,
                        controls.get(check.meta.id),
                        &fingerprint_roots,
                    ));
                }
            }
            findings
        })
        .collect()
}

fn to_finding(
    model: &Model,
    check: &Check,
    resource: &Resource,
    evaluation: Evaluation,
    controls: Option<&BTreeMap<String, Vec<String>>>,
    roots: &FingerprintRoots,
) -> Finding {
    let (file, start, end) = locate(&model.sources, evaluation.span);
    let mut message = evaluation.message;
    if let Some(unknown) = &resource.instances_unknown
        && evaluation.verdict != Verdict::Unknown
    {
        message = format!(
            "{message} (for every instance; the instances are unknown offline: {})",
            unknown.reason
        );
    }
    Finding {
        check_id: check.meta.id.to_owned(),
        title: check.meta.title.to_owned(),
        severity: check.meta.severity,
        verdict: evaluation.verdict,
        message,
        categories: check
            .meta
            .categories
            .iter()
            .map(|c| (*c).to_owned())
            .collect(),
        controls: controls.cloned().unwrap_or_default(),
        fingerprint: fingerprint(
            check.meta.id,
            &roots.relative(&file),
            &resource.address,
            evaluation.attribute.as_deref(),
        ),
        suppression: None,
        file,
        line: start.0,
        column: start.1,
        end_line: end.0,
        end_column: end.1,
        resource: resource.address.clone(),
        resource_kind: resource.kind.clone(),
        attribute: evaluation.attribute,
        expected: evaluation.expected,
        found: evaluation.found,
    }
}

type Position = (u32, u32);

fn locate(sources: &SourceMap, span: Span) -> (String, Position, Position) {
    match sources.locate(span) {
        Some(location) => (
            location.path.display().to_string(),
            (location.start.line, location.start.column),
            (location.end.line, location.end.column),
        ),
        None => (String::new(), (0, 0), (0, 0)),
    }
}

/// Turns loader diagnostics into findings, so that a broken file can never pass silently.
fn diagnostic_findings(
    sources: &SourceMap,
    diagnostics: &[Diagnostic],
    roots: &[PathBuf],
) -> Vec<Finding> {
    let roots = FingerprintRoots::new(roots);
    diagnostics
        .iter()
        .map(|diagnostic| {
            let (file, start, end) = match diagnostic.span.map(|span| locate(sources, span)) {
                Some((file, start, end)) if !file.is_empty() => (file, start, end),
                _ => (diagnostic.path.display().to_string(), (1, 1), (1, 1)),
            };
            let (check_id, title, severity, verdict) = match diagnostic.level {
                DiagnosticLevel::Error => (
                    LOAD_ERROR_ID,
                    "Input could not be loaded",
                    Severity::High,
                    Verdict::Error,
                ),
                DiagnosticLevel::Unknown => (
                    LOAD_UNRESOLVED_ID,
                    "Input could not be resolved offline",
                    Severity::Medium,
                    Verdict::Unknown,
                ),
            };
            let resource = diagnostic.subject.clone().unwrap_or_default();
            Finding {
                check_id: check_id.to_owned(),
                title: title.to_owned(),
                severity,
                verdict,
                message: diagnostic.message.clone(),
                categories: Vec::new(),
                controls: BTreeMap::new(),
                fingerprint: fingerprint(check_id, &roots.relative(&file), &resource, None),
                suppression: None,
                file,
                line: start.0,
                column: start.1,
                end_line: end.0,
                end_column: end.1,
                resource,
                resource_kind: String::new(),
                attribute: None,
                expected: None,
                found: None,
            }
        })
        .collect()
}

/// Orders findings by file, position, check and resource, so output is deterministic
/// whatever the thread scheduling.
fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        (
            &a.file,
            a.line,
            a.column,
            &a.check_id,
            &a.resource,
            &a.attribute,
        )
            .cmp(&(
                &b.file,
                b.line,
                b.column,
                &b.check_id,
                &b.resource,
                &b.attribute,
            ))
    });
}

/// Makes fingerprint paths independent of where a repository is checked out: paths are
/// taken relative to the enclosing Git work tree when there is one, else to the scanned
/// path that contains them.
struct FingerprintRoots {
    bases: Vec<PathBuf>,
}

impl FingerprintRoots {
    fn new(paths: &[PathBuf]) -> Self {
        let bases = paths
            .iter()
            .map(|path| {
                let absolute = std::path::absolute(path).unwrap_or_else(|_| path.clone());
                let directory = if absolute.is_file() {
                    absolute.parent().map(Path::to_path_buf).unwrap_or(absolute)
                } else {
                    absolute
                };
                git_work_tree(&directory).unwrap_or(directory)
            })
            .collect();
        Self { bases }
    }

    fn relative(&self, file: &str) -> String {
        let absolute = std::path::absolute(file).unwrap_or_else(|_| PathBuf::from(file));
        self.bases
            .iter()
            .find_map(|base| absolute.strip_prefix(base).ok())
            .map_or_else(
                || file.to_owned(),
                |relative| relative.to_string_lossy().replace('\\', "/"),
            )
    }
}

fn git_work_tree(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|dir| dir.join(".git").exists())
        .map(Path::to_path_buf)
}
