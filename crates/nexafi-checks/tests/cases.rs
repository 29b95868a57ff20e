//! Runs every case of every check's cases file as its own test.
//!
//! A case writes its files into a temporary directory, loads them as `nexafi validate`
//! would, runs the one check, and compares the verdict per resource address with the
//! case's `expect` map. The comparison is exact: an address that the check evaluated
//! but the case does not list fails the test too.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use libtest_mimic::{Arguments, Failed, Trial};
use nexafi_checks::Check;
use nexafi_iac::{Loaded, dockerfile, kubernetes, terraform};
use nexafi_model::{Model, SourceMap, Verdict};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CasesFile {
    cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    class: CaseClass,
    /// File name (may contain `/` for module folders) to content.
    files: BTreeMap<String, String>,
    /// Terraform `--var` values.
    #[serde(default)]
    vars: BTreeMap<String, String>,
    /// Address to expected verdict: `pass`, `fail` or `unknown`.
    expect: BTreeMap<String, String>,
    /// For a known miss: what the right verdict would be and why the check misses it.
    #[serde(default)]
    note: Option<String>,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
enum CaseClass {
    Pass,
    Fail,
    Omitted,
    Unknown,
    KnownMiss,
}

fn main() {
    let arguments = Arguments::from_args();
    let mut trials = Vec::new();
    for check in nexafi_checks::all() {
        let parsed: Result<CasesFile, _> = serde_saphyr::from_str(check.cases);
        match parsed {
            Err(error) => {
                let id = check.meta.id;
                let message = format!("cases file of {id} is invalid: {error}");
                trials.push(Trial::test(format!("{id}::cases_file"), move || {
                    Err(Failed::from(message))
                }));
            }
            Ok(file) => {
                for (index, case) in file.cases.into_iter().enumerate() {
                    let name = format!("{}::{:02}_{}", check.meta.id, index, slug(&case.name));
                    trials.push(Trial::test(name, move || run_case(check, &case)));
                }
            }
        }
    }
    libtest_mimic::run(&arguments, trials).exit();
}

fn slug(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

fn run_case(check: &'static Check, case: &Case) -> Result<(), Failed> {
    if case.class == CaseClass::KnownMiss && case.note.is_none() {
        return Err(
            "a known-miss case needs a `note` with the right verdict and the reason".into(),
        );
    }
    let directory = tempfile::tempdir().map_err(|error| format!("temporary directory: {error}"))?;
    for (name, content) in &case.files {
        let path = directory.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|error| format!("{name}: {error}"))?;
        }
        std::fs::write(&path, content).map_err(|error| format!("{name}: {error}"))?;
    }

    let sources = SourceMap::new();
    let loaded = load(directory.path(), case, &sources);
    if let Some(diagnostic) = loaded
        .diagnostics
        .iter()
        .find(|d| d.level == nexafi_iac::DiagnosticLevel::Error)
    {
        return Err(format!(
            "case input failed to load: {}: {}",
            diagnostic.path.display(),
            diagnostic.message
        )
        .into());
    }
    let model = Model::new(sources, loaded.resources);

    let mut found: BTreeMap<String, String> = BTreeMap::new();
    let mut messages = Vec::new();
    for resource in &model.resources {
        if !check.meta.kinds.contains(&resource.kind.as_str()) {
            continue;
        }
        let evaluations = (check.evaluate)(resource, &model);
        let Some(worst) = evaluations
            .iter()
            .map(|e| e.verdict)
            .max_by_key(|v| rank(*v))
        else {
            continue;
        };
        for evaluation in &evaluations {
            messages.push(format!(
                "  {} {}: {}",
                resource.address, evaluation.verdict, evaluation.message
            ));
            if evaluation.message.trim().is_empty() {
                return Err(
                    format!("{}: an evaluation has an empty message", resource.address).into(),
                );
            }
        }
        found.insert(resource.address.clone(), worst.as_str().to_owned());
    }

    if found == case.expect {
        Ok(())
    } else {
        Err(format!(
            "verdicts differ\n expected: {:?}\n    found: {:?}\n messages:\n{}",
            case.expect,
            found,
            messages.join("\n")
        )
        .into())
    }
}

/// Orders verdicts so that one resource's several evaluations fold into the worst.
fn rank(verdict: Verdict) -> u8 {
    match verdict {
        Verdict::Pass => 0,
        Verdict::Waived => 1,
        Verdict::Unknown => 2,
        Verdict::Fail => 3,
        Verdict::Error => 4,
    }
}

fn load(root: &Path, case: &Case, sources: &SourceMap) -> Loaded {
    let mut loaded = Loaded::default();
    let mut terraform_files = Vec::new();
    for name in case.files.keys() {
        let path = root.join(name);
        let top_level = !name.contains('/');
        let file_name = name.rsplit('/').next().unwrap_or(name);
        if is_terraform(file_name) {
            if top_level {
                terraform_files.push(path);
            }
        } else if is_dockerfile(file_name) {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            loaded.extend(dockerfile::load_file(&path, text, sources));
        } else if file_name.ends_with(".yaml")
            || file_name.ends_with(".yml")
            || file_name.ends_with(".json")
        {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            loaded.extend(kubernetes::load_file(&path, text, sources));
        }
    }
    if !terraform_files.is_empty() {
        let options = terraform::Options {
            var_files: Vec::new(),
            vars: case
                .vars
                .iter()
                .map(|(name, value)| (name.clone(), value.clone()))
                .collect(),
        };
        let root: PathBuf = root.to_path_buf();
        loaded.extend(terraform::load_root(
            &root,
            &terraform_files,
            &options,
            sources,
        ));
    }
    loaded
}

fn is_terraform(name: &str) -> bool {
    name.ends_with(".tf") || name.ends_with(".tf.json") || name.ends_with(".tfvars")
}

fn is_dockerfile(name: &str) -> bool {
    name == "Dockerfile"
        || name == "Containerfile"
        || name.ends_with(".Dockerfile")
        || name.starts_with("Dockerfile.")
}
