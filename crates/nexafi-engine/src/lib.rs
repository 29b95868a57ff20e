//! The scan: discovery, loading in parallel, check evaluation and findings.
//!
//! [`scan`] is all `nexafi validate` needs: it returns the model (for code frames) and a
//! [`ScanResult`] ready for any renderer. It also applies waivers from `nexafi.toml`,
//! inline `nexafi:ignore` comments and baselines, and attaches attestations. Nothing here
//! touches the network. Only `--diff-base` runs a program, the local `git`.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use jiff::civil::Date;
use nexafi_checks::Check;
use nexafi_iac::{Diagnostic, DiagnosticLevel, Loaded, dockerfile, helm, kubernetes, terraform};
use nexafi_model::{
    CheckMeta, Evaluation, Finding, Model, Resource, ScanInputs, ScanResult, Severity, SourceMap,
    Span, Summary, ToolInfo, Verdict, fingerprint,
};
use rayon::prelude::*;

mod attest;
pub mod baseline;
pub mod config;
mod diff;
pub mod discover;
pub mod inline;
pub mod policy;
mod provenance;
mod suppress;
pub mod waiver;

pub use config::{CONFIG_FILE_NAME, ConfigError};
pub use discover::{Inputs, discover};
pub use policy::{PolicyError, PolicyLimits, PolicySet};

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
    /// An invalid `nexafi.toml`, inline suppression or baseline file.
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{0}")]
    Git(String),
    #[error("cannot write the baseline {}: {source}", path.display())]
    WriteBaseline {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Policy(#[from] policy::PolicyError),
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
    /// Files or directories of Rego policies to evaluate beside the built-in checks.
    pub policies: Vec<PathBuf>,
    /// Configuration file to use instead of the `nexafi.toml` found by
    /// [`config::locate`].
    pub config: Option<PathBuf>,
    /// Baseline file whose entries waive matching findings.
    pub baseline: Option<PathBuf>,
    /// Baseline file to write with the findings of this scan.
    pub write_baseline: Option<PathBuf>,
    /// Git ref whose findings are left out of the report.
    pub diff_base: Option<String>,
    /// Directory that fingerprint paths are relative to, instead of each path's Git work
    /// tree or the path itself.
    pub fingerprint_base: Option<PathBuf>,
    /// Day that decides which waivers have expired and which attestations are overdue;
    /// `None` means today in UTC.
    pub today: Option<Date>,
}

/// A finished scan.
pub struct ScanOutput {
    pub model: Model,
    pub result: ScanResult,
    /// Number of entries written to the `--write-baseline` file, when one was written.
    pub baseline_entries: Option<usize>,
}

/// Runs a whole scan.
///
/// Configuration comes first: an invalid `nexafi.toml` or baseline, or an unknown
/// `--diff-base` ref, stops the scan before any input is read. Inline suppressions are
/// read from the loaded files.
pub fn scan(options: &ScanOptions) -> Result<ScanOutput, EngineError> {
    let started_at = jiff::Timestamp::now().round(jiff::Unit::Second).ok();
    let frameworks = resolve_frameworks(&options.frameworks)?;
    let today = options.today.unwrap_or_else(waiver::today_utc);
    let config_path = config::locate(options.config.as_deref(), &options.paths)?;
    let mut policy_paths = options.policies.clone();
    if let Some(path) = &config_path {
        policy_paths.extend(config::policy_paths(path)?);
    }
    let mut policies = load_policies(&policy_paths)?;
    let check_ids = waivable_check_ids(policies.as_ref());
    let config = match config_path {
        Some(path) => Some(config::load(&path, &check_ids, today)?),
        None => None,
    };
    let baseline = match &options.baseline {
        Some(path) => Some(baseline::load(path)?),
        None => None,
    };
    let existing = match &options.diff_base {
        Some(reference) => Some(diff::base_fingerprints(options, reference)?),
        None => None,
    };

    let Evaluated {
        model,
        mut findings,
        resources,
        metas,
        roots,
    } = evaluate_inputs(options, policies.as_mut())?;

    let inline = inline::collect(&model, &check_ids)?;
    let suppressions = suppress::Suppressions {
        config: config.as_ref(),
        inline: &inline,
        baseline: baseline.as_ref(),
        today,
    };
    let waivers = suppress::apply(&suppressions, &mut findings, &resources);

    let baseline_entries = match &options.write_baseline {
        Some(path) => Some(write_baseline(path, &findings, &roots, today)?),
        None => None,
    };

    sort_findings(&mut findings);
    let framework_ids: Vec<&str> = frameworks.iter().map(String::as_str).collect();
    let attestations = config
        .as_ref()
        .map_or(&[][..], |config| config.attestations.as_slice());
    // Control status always describes the whole tree, also with --diff-base.
    let framework_results =
        nexafi_compliance::evaluate_attested(&framework_ids, &metas, &findings, attestations);

    if let Some(existing) = existing {
        let before = findings.len();
        findings.retain(|finding| !existing.contains(&finding.fingerprint));
        tracing::info!(
            left_out = before - findings.len(),
            "left out findings that exist at the base ref"
        );
    }

    let inputs = ScanInputs {
        config: config
            .as_ref()
            .map(|config| config.path.display().to_string()),
        baseline: baseline
            .as_ref()
            .map(|baseline| baseline.path.display().to_string()),
        diff_base: options.diff_base.clone(),
        commit: provenance::git_commit(&options.paths),
        started_at: started_at.map(|timestamp| timestamp.to_string()),
        check_catalog_digest: Some(provenance::check_catalog_digest(&nexafi_checks::all())),
        ..scan_inputs(options, &model, metas.len())
    };
    let result = ScanResult {
        tool: ToolInfo {
            name: "nexafi".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        },
        inputs,
        summary: Summary::count(&findings),
        findings,
        frameworks: framework_results,
        waivers,
    };
    Ok(ScanOutput {
        model,
        result,
        baseline_entries,
    })
}

/// Describes what a scan read, without its suppression settings.
fn scan_inputs(options: &ScanOptions, model: &Model, checks: usize) -> ScanInputs {
    ScanInputs {
        paths: options
            .paths
            .iter()
            .map(|path| path.display().to_string())
            .collect(),
        files: model.sources.len(),
        resources: model.resources.len(),
        checks,
        severity_threshold: options.severity_threshold,
        ..ScanInputs::default()
    }
}

/// Loads the custom policies of a scan, or returns `None` when it names none.
pub(crate) fn load_policies(paths: &[PathBuf]) -> Result<Option<PolicySet>, EngineError> {
    if paths.is_empty() {
        return Ok(None);
    }
    let policies = PolicySet::load(paths, PolicyLimits::default())?;
    tracing::info!(policies = policies.policies.len(), "loaded custom policies");
    Ok(Some(policies))
}

/// Ids that waivers may name: every built-in check and custom policy, and the id of
/// inputs that could not be resolved offline. Load and policy errors cannot be waived.
fn waivable_check_ids(policies: Option<&PolicySet>) -> Vec<&'static str> {
    let policy_ids = policies
        .map(PolicySet::metas)
        .unwrap_or_default()
        .into_iter()
        .map(|meta| meta.id);
    nexafi_checks::all()
        .iter()
        .map(|check| check.meta.id)
        .chain(policy_ids)
        .chain([LOAD_UNRESOLVED_ID])
        .collect()
}

/// Writes the `--write-baseline` file, keeping the accepted dates of entries it already
/// has, and returns the number of entries.
fn write_baseline(
    path: &Path,
    findings: &[Finding],
    roots: &FingerprintRoots,
    today: Date,
) -> Result<usize, EngineError> {
    let earlier = if path.exists() {
        Some(baseline::load(path)?)
    } else {
        None
    };
    let entries = baseline::entries(
        findings,
        |file| roots.relative(file),
        earlier.as_ref(),
        today,
    );
    let count = entries.len();
    baseline::write(path, entries).map_err(|source| EngineError::WriteBaseline {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(count)
}

/// The findings of a scan before any suppression, with what produced them.
pub(crate) struct Evaluated {
    model: Model,
    findings: Vec<Finding>,
    /// For each finding, the index in `model.resources` of its resource; `None` for
    /// findings about a whole input.
    resources: Vec<Option<usize>>,
    /// The built-in checks and custom policies that ran.
    metas: Vec<CheckMeta>,
    roots: FingerprintRoots,
}

/// Discovers, loads and evaluates the inputs of a scan with the built-in checks and, when
/// given, the custom policies.
pub(crate) fn evaluate_inputs(
    options: &ScanOptions,
    policies: Option<&mut PolicySet>,
) -> Result<Evaluated, EngineError> {
    let inputs = discover(&options.paths, &options.excludes)?;
    let (inputs, overlays) = plan_overlays(inputs);
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
    let loaded = with_overlays(&overlays, &sources, diagnostics, loaded.resources);
    let diagnostics = loaded.diagnostics;
    let model = Model::new(sources, loaded.resources);

    let checks = nexafi_checks::all();
    let roots = match &options.fingerprint_base {
        Some(base) => FingerprintRoots::fixed(base),
        None => FingerprintRoots::new(&options.paths),
    };
    let (mut resources, mut findings): (Vec<Option<usize>>, Vec<Finding>) =
        evaluate(&model, &checks, &roots)
            .into_iter()
            .map(|(resource, finding)| (Some(resource), finding))
            .unzip();
    let mut metas: Vec<CheckMeta> = checks.iter().map(|check| check.meta).collect();
    if let Some(policies) = policies {
        // Policy findings point at their resource's name, which identifies the resource
        // together with its address, so inline suppressions apply to them too.
        let by_name: HashMap<(String, u32, u32, &str), usize> = model
            .resources
            .iter()
            .enumerate()
            .map(|(index, resource)| {
                let (file, start, _) = locate(&model.sources, resource.name_span);
                ((file, start.0, start.1, resource.address.as_str()), index)
            })
            .collect();
        for finding in policies.evaluate(&model, &roots) {
            let key = (
                finding.file.clone(),
                finding.line,
                finding.column,
                finding.resource.as_str(),
            );
            resources.push(by_name.get(&key).copied());
            findings.push(finding);
        }
        metas.extend(policies.metas());
    }
    note_helm_origins(&mut findings, &helm_origins);
    for finding in diagnostic_findings(&model.sources, &diagnostics, &roots) {
        findings.push(finding);
        resources.push(None);
    }

    Ok(Evaluated {
        model,
        findings,
        resources,
        metas,
        roots,
    })
}

/// Evaluates resources that were loaded outside a scan, such as the live objects of a
/// cluster, with every built-in check. Returns the model, the findings (loader
/// diagnostics included) in the order a scan reports them, and the declarations of the
/// checks that ran. Fingerprints use the source names unchanged.
pub fn evaluate_loaded(
    sources: SourceMap,
    loaded: Loaded,
) -> (Model, Vec<Finding>, Vec<CheckMeta>) {
    let model = Model::new(sources, loaded.resources);
    let checks = nexafi_checks::all();
    let roots = FingerprintRoots { bases: Vec::new() };
    let mut findings: Vec<Finding> = evaluate(&model, &checks, &roots)
        .into_iter()
        .map(|(_, finding)| finding)
        .collect();
    findings.extend(diagnostic_findings(
        &model.sources,
        &loaded.diagnostics,
        &roots,
    ));
    sort_findings(&mut findings);
    let metas = checks.iter().map(|check| check.meta).collect();
    (model, findings, metas)
}

/// Checks that every named framework exists and returns their ids; no names means the
/// default six.
pub fn resolve_frameworks(names: &[String]) -> Result<Vec<String>, EngineError> {
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

/// Plans the Kustomize overlays and drops the files they consume from the raw manifests,
/// so a base is checked as its overlays build it and a patch is never read as a whole
/// object.
fn plan_overlays(mut inputs: Inputs) -> (Inputs, nexafi_iac::kustomize::Plan) {
    let plan = nexafi_iac::kustomize::plan(&inputs.kustomizations);
    inputs.manifests.retain(|path| !plan.consumes(path));
    tracing::debug!(overlays = plan.leaves.len(), "planned Kustomize overlays");
    (inputs, plan)
}

/// Builds every leaf overlay in parallel and adds its objects and diagnostics to those
/// of the other inputs.
fn with_overlays(
    plan: &nexafi_iac::kustomize::Plan,
    sources: &SourceMap,
    diagnostics: Vec<Diagnostic>,
    resources: Vec<Resource>,
) -> Loaded {
    let builder = nexafi_iac::kustomize::Builder::new(sources);
    let built: Vec<Loaded> = plan
        .leaves
        .par_iter()
        .map(|dir| builder.build(dir))
        .collect();
    let mut loaded = Loaded {
        resources,
        diagnostics,
    };
    // Overlays that share a broken base each report it: keep one copy of each problem.
    let mut seen: Vec<Diagnostic> = Vec::new();
    for overlay in built {
        loaded.resources.extend(overlay.resources);
        for diagnostic in overlay.diagnostics {
            if !seen.contains(&diagnostic) {
                seen.push(diagnostic.clone());
                loaded.diagnostics.push(diagnostic);
            }
        }
    }
    loaded
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

/// Runs every applicable check on every resource, in parallel over resources, and
/// returns each finding with the index of its resource.
fn evaluate(
    model: &Model,
    checks: &[&'static Check],
    fingerprint_roots: &FingerprintRoots,
) -> Vec<(usize, Finding)> {
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

    model
        .resources
        .par_iter()
        .enumerate()
        .flat_map_iter(|(index, resource)| {
            let applicable = by_kind
                .get(resource.kind.as_str())
                .map_or(&[][..], Vec::as_slice);
            let mut findings = Vec::new();
            for check in applicable {
                for evaluation in (check.evaluate)(resource, model) {
                    let finding = to_finding(
                        model,
                        check,
                        resource,
                        evaluation,
                        controls.get(check.meta.id),
                        fingerprint_roots,
                    );
                    findings.push((index, finding));
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

/// Builds a finding located at `span`, with every other field empty for the caller to
/// fill.
pub(crate) fn located_finding(model: &Model, span: Span, roots: &FingerprintRoots) -> Finding {
    let (file, start, end) = locate(&model.sources, span);
    Finding {
        check_id: String::new(),
        title: String::new(),
        severity: Severity::Info,
        verdict: Verdict::Pass,
        message: String::new(),
        categories: Vec::new(),
        controls: BTreeMap::new(),
        fingerprint: fingerprint("", &roots.relative(&file), "", None),
        suppression: None,
        file,
        line: start.0,
        column: start.1,
        end_line: end.0,
        end_column: end.1,
        resource: String::new(),
        resource_kind: String::new(),
        attribute: None,
        expected: None,
        found: None,
    }
}

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
    roots: &FingerprintRoots,
) -> Vec<Finding> {
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
pub(crate) struct FingerprintRoots {
    bases: Vec<PathBuf>,
}

impl FingerprintRoots {
    pub(crate) fn new(paths: &[PathBuf]) -> Self {
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

    /// Takes every path relative to one directory.
    fn fixed(base: &Path) -> Self {
        let base = std::path::absolute(base).unwrap_or_else(|_| base.to_path_buf());
        Self { bases: vec![base] }
    }

    pub(crate) fn relative(&self, file: &str) -> String {
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

/// Returns the nearest directory at or above `start` that contains `.git`.
pub(crate) fn git_work_tree(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|dir| dir.join(".git").exists())
        .map(Path::to_path_buf)
}
