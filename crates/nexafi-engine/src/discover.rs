//! Finding the inputs under the paths a user names.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ignore::WalkBuilder;
use ignore::overrides::OverrideBuilder;
use nexafi_iac::kustomize;

use crate::EngineError;

/// The inputs found under the scanned paths, grouped by loader.
#[derive(Debug, Default)]
pub struct Inputs {
    /// Directory to the Terraform files discovery found in it (`.tf`, `.tf.json`,
    /// `.tfvars`, `.tfvars.json`), sorted.
    pub terraform_dirs: BTreeMap<PathBuf, Vec<PathBuf>>,
    /// YAML and JSON files that may hold Kubernetes objects.
    pub manifests: Vec<PathBuf>,
    pub dockerfiles: Vec<PathBuf>,
    /// Directories holding a `Chart.yaml`. They are rendered as Helm charts, and no file
    /// under them is scanned as a plain input: templates are not plain YAML, and
    /// subcharts render with their parent.
    pub helm_charts: Vec<PathBuf>,
    /// Directories holding a kustomization file: Kustomize overlays and bases.
    pub kustomizations: Vec<PathBuf>,
}

impl Inputs {
    /// Counts the inputs: every file, plus one per overlay directory.
    pub fn file_count(&self) -> usize {
        self.terraform_dirs.values().map(Vec::len).sum::<usize>()
            + self.manifests.len()
            + self.dockerfiles.len()
            + self.kustomizations.len()
    }
}

/// Input kind of a file, judged by its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    Terraform,
    Manifest,
    Dockerfile,
}

/// Classifies a file by its name alone; `None` for files nexafi does not read.
pub fn classify(path: &Path) -> Option<FileKind> {
    let name = path.file_name()?.to_str()?;
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".tf")
        || lower.ends_with(".tf.json")
        || lower.ends_with(".tfvars")
        || lower.ends_with(".tfvars.json")
    {
        return Some(FileKind::Terraform);
    }
    // BuildKit reads `<Dockerfile>.dockerignore` beside a Dockerfile: an ignore list,
    // not a build file, although its name starts with `Dockerfile.`.
    if lower.ends_with(".dockerignore") || lower.ends_with(".containerignore") {
        return None;
    }
    if name == "Dockerfile"
        || name == "Containerfile"
        || lower.ends_with(".dockerfile")
        || lower.ends_with(".containerfile")
        || name.starts_with("Dockerfile.")
        || name.starts_with("Containerfile.")
    {
        return Some(FileKind::Dockerfile);
    }
    if lower.ends_with(".yaml")
        || lower.ends_with(".yml")
        || lower.ends_with(".json")
        || name == "Kustomization"
    {
        return Some(FileKind::Manifest);
    }
    None
}

/// Walks `paths`, honouring `.gitignore` files (also outside a Git repository) and the
/// `excludes` globs, which match paths relative to each scanned path (`modules/**`,
/// `**/testdata/**`). A file named explicitly is scanned even when ignored.
pub fn discover(paths: &[PathBuf], excludes: &[String]) -> Result<Inputs, EngineError> {
    let mut inputs = Inputs::default();
    for root in paths {
        let metadata = std::fs::metadata(root).map_err(|source| EngineError::Path {
            path: root.clone(),
            source,
        })?;
        if metadata.is_file() {
            let kind = classify(root)
                .ok_or_else(|| EngineError::UnsupportedFile { path: root.clone() })?;
            add(&mut inputs, root.clone(), kind);
            continue;
        }

        let mut overrides = OverrideBuilder::new(root);
        for glob in excludes {
            overrides
                .add(&format!("!{glob}"))
                .map_err(|error| EngineError::Exclude {
                    glob: glob.clone(),
                    message: error.to_string(),
                })?;
        }
        let overrides = overrides.build().map_err(|error| EngineError::Exclude {
            glob: excludes.join(", "),
            message: error.to_string(),
        })?;

        let walker = WalkBuilder::new(root)
            .standard_filters(true)
            .require_git(false)
            .overrides(overrides)
            .sort_by_file_path(|a, b| a.cmp(b))
            .build();
        for entry in walker {
            let entry = match entry {
                Ok(entry) => entry,
                Err(error) => {
                    tracing::warn!(%error, "skipping an unreadable path");
                    continue;
                }
            };
            let path = entry.path();
            if entry.file_type().is_some_and(|kind| kind.is_dir()) {
                // A chart under another chart's directory is a subchart: it renders with
                // its parent.
                let in_chart = inputs
                    .helm_charts
                    .iter()
                    .any(|chart| path.starts_with(chart));
                if !in_chart && path.join("Chart.yaml").is_file() {
                    inputs.helm_charts.push(path.to_path_buf());
                }
                continue;
            }
            if inputs
                .helm_charts
                .iter()
                .any(|chart| path.starts_with(chart))
            {
                continue;
            }
            if let Some(kind) = classify(path) {
                add(&mut inputs, path.to_path_buf(), kind);
            }
        }
    }
    for files in inputs.terraform_dirs.values_mut() {
        files.sort();
        files.dedup();
    }
    inputs.manifests.sort();
    inputs.manifests.dedup();
    inputs.dockerfiles.sort();
    inputs.dockerfiles.dedup();
    inputs.helm_charts.sort();
    inputs.helm_charts.dedup();
    inputs.kustomizations = kustomization_dirs(&inputs.manifests);
    Ok(inputs)
}

/// Returns the directories of the kustomization files among `manifests`, sorted.
fn kustomization_dirs(manifests: &[PathBuf]) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = manifests
        .iter()
        .filter(|path| kustomize::is_kustomization_file(path))
        .map(|path| match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        })
        .collect();
    dirs.sort();
    dirs.dedup();
    dirs
}

fn add(inputs: &mut Inputs, path: PathBuf, kind: FileKind) {
    match kind {
        FileKind::Terraform => {
            let dir = path
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| PathBuf::from("."));
            let dir = if dir.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                dir
            };
            inputs.terraform_dirs.entry(dir).or_default().push(path);
        }
        FileKind::Manifest => inputs.manifests.push(path),
        FileKind::Dockerfile => inputs.dockerfiles.push(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, name: &str, text: &str) {
        let path = root.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn classify_by_name() {
        assert_eq!(classify(Path::new("a/main.tf")), Some(FileKind::Terraform));
        assert_eq!(
            classify(Path::new("main.tf.json")),
            Some(FileKind::Terraform)
        );
        assert_eq!(
            classify(Path::new("prod.tfvars")),
            Some(FileKind::Terraform)
        );
        assert_eq!(
            classify(Path::new("Dockerfile")),
            Some(FileKind::Dockerfile)
        );
        assert_eq!(
            classify(Path::new("api.Dockerfile")),
            Some(FileKind::Dockerfile)
        );
        assert_eq!(
            classify(Path::new("Containerfile")),
            Some(FileKind::Dockerfile)
        );
        assert_eq!(classify(Path::new("deploy.yml")), Some(FileKind::Manifest));
        assert_eq!(classify(Path::new("README.md")), None);
        assert_eq!(classify(Path::new("Dockerfile.dockerignore")), None);
        assert_eq!(classify(Path::new("Containerfile.containerignore")), None);
        assert_eq!(
            classify(Path::new("Dockerfile.prod")),
            Some(FileKind::Dockerfile)
        );
    }

    #[test]
    fn discover_honours_gitignore_without_git() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), ".gitignore", "ignored/\n");
        write(dir.path(), "main.tf", "");
        write(dir.path(), "ignored/main.tf", "");
        let inputs = discover(&[dir.path().to_path_buf()], &[]).unwrap();
        let dirs: Vec<&PathBuf> = inputs.terraform_dirs.keys().collect();
        assert_eq!(dirs, vec![&dir.path().to_path_buf()]);
    }

    #[test]
    fn discover_applies_excludes() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "k8s/app.yaml", "");
        write(dir.path(), "k8s/test/fixture.yaml", "");
        let inputs = discover(&[dir.path().to_path_buf()], &["**/test/**".to_owned()]).unwrap();
        assert_eq!(inputs.manifests, vec![dir.path().join("k8s/app.yaml")]);
    }

    #[test]
    fn discover_sets_helm_charts_apart() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "chart/Chart.yaml", "name: x\n");
        write(
            dir.path(),
            "chart/templates/deploy.yaml",
            "{{ .Values.x }}\n",
        );
        write(dir.path(), "plain.yaml", "kind: Pod\n");
        let inputs = discover(&[dir.path().to_path_buf()], &[]).unwrap();
        assert_eq!(inputs.helm_charts, vec![dir.path().join("chart")]);
        assert_eq!(inputs.manifests, vec![dir.path().join("plain.yaml")]);
    }

    #[test]
    fn discover_renders_subcharts_with_parent() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "app/Chart.yaml", "name: app\n");
        write(dir.path(), "app/charts/db/Chart.yaml", "name: db\n");
        write(
            dir.path(),
            "app/charts/db/templates/db.yaml",
            "{{ .Values.x }}\n",
        );
        let inputs = discover(&[dir.path().to_path_buf()], &[]).unwrap();
        assert_eq!(inputs.helm_charts, vec![dir.path().join("app")]);
        assert!(inputs.manifests.is_empty(), "{:?}", inputs.manifests);
    }

    #[test]
    fn discover_missing_path_is_error() {
        let error = discover(&[PathBuf::from("/nonexistent/nexafi")], &[]).unwrap_err();
        assert!(error.to_string().contains("/nonexistent/nexafi"));
    }

    #[test]
    fn discover_explicit_file() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "Dockerfile", "FROM scratch\n");
        let path = dir.path().join("Dockerfile");
        let inputs = discover(std::slice::from_ref(&path), &[]).unwrap();
        assert_eq!(inputs.dockerfiles, vec![path]);
    }

    #[test]
    fn discover_finds_kustomizations() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "base/kustomization.yaml",
            "resources: [app.yaml]\n",
        );
        write(dir.path(), "base/app.yaml", "kind: Pod\n");
        write(dir.path(), "prod/Kustomization", "resources: [../base]\n");
        let inputs = discover(&[dir.path().to_path_buf()], &[]).unwrap();
        assert_eq!(
            inputs.kustomizations,
            vec![dir.path().join("base"), dir.path().join("prod")]
        );
        assert!(
            inputs
                .manifests
                .contains(&dir.path().join("prod/Kustomization"))
        );
    }
}
