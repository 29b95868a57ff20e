//! `--diff-base`: the findings that already existed at a Git ref, so a report can show
//! only new ones.
//!
//! The tree at the ref is exported with `git archive` into a temporary directory and
//! scanned there with the same paths and options, without waivers or baselines. The
//! repository itself is only read.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use nexafi_model::Verdict;

use crate::{EngineError, ScanOptions};

/// Returns the fingerprints of every finding that did not pass at `reference`.
///
/// Every path of `options` must lie in the Git work tree of the first one. A path that
/// did not exist at the ref contributes nothing, so all its findings count as new.
pub fn base_fingerprints(
    options: &ScanOptions,
    reference: &str,
) -> Result<HashSet<String>, EngineError> {
    let first = options.paths.first().cloned().unwrap_or_else(|| ".".into());
    let start = if first.is_file() {
        first
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
    } else {
        first.clone()
    };
    let top = git(&start, &["rev-parse", "--show-toplevel"]).map_err(|message| {
        EngineError::Git(format!(
            "--diff-base needs a Git repository, but {} is not inside a Git work tree ({message})",
            first.display()
        ))
    })?;
    let top = PathBuf::from(top.trim());

    if reference.starts_with('-') || reference.trim().is_empty() {
        return Err(EngineError::Git(format!(
            "invalid Git ref {reference:?} for --diff-base; name a branch, tag or commit"
        )));
    }
    let commit = git(
        &top,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{reference}^{{commit}}"),
        ],
    )
    .map_err(|_| {
        EngineError::Git(format!(
            "unknown Git ref {reference:?} for --diff-base in {}; run `git fetch` or name an existing branch, tag or commit",
            top.display()
        ))
    })?;
    let commit = commit.trim().to_owned();

    let canonical_top = top.canonicalize().map_err(|source| EngineError::Path {
        path: top.clone(),
        source,
    })?;
    let mut relative_paths = Vec::with_capacity(options.paths.len());
    for path in &options.paths {
        let canonical = path.canonicalize().map_err(|source| EngineError::Path {
            path: path.clone(),
            source,
        })?;
        let relative = canonical.strip_prefix(&canonical_top).map_err(|_| {
            EngineError::Git(format!(
                "--diff-base compares one Git repository, but {} lies outside {}",
                path.display(),
                top.display()
            ))
        })?;
        relative_paths.push(relative.to_path_buf());
    }

    let temporary = tempfile::Builder::new()
        .prefix("nexafi-diff-base-")
        .tempdir()
        .map_err(|error| {
            EngineError::Git(format!(
                "cannot create a temporary directory for --diff-base: {error}"
            ))
        })?;
    export(&top, &commit, &relative_paths, temporary.path())?;

    let base_paths: Vec<PathBuf> = relative_paths
        .iter()
        .map(|relative| temporary.path().join(relative))
        .filter(|path| path.exists())
        .collect();
    tracing::info!(
        reference,
        commit = %commit,
        paths = base_paths.len(),
        "scanning the base tree"
    );
    if base_paths.is_empty() {
        return Ok(HashSet::new());
    }
    let base_options = ScanOptions {
        paths: base_paths,
        excludes: options.excludes.clone(),
        terraform: options.terraform.clone(),
        fingerprint_base: Some(temporary.path().to_path_buf()),
        ..ScanOptions::default()
    };
    let mut policies = crate::load_policies(&options.policies)?;
    let evaluated = crate::evaluate_inputs(&base_options, policies.as_mut())?;
    Ok(evaluated
        .findings
        .iter()
        .filter(|finding| finding.verdict != Verdict::Pass)
        .map(|finding| finding.fingerprint.clone())
        .collect())
}

/// Runs git in `directory` and returns its standard output, or its standard error as the
/// message when it fails.
fn git(directory: &Path, arguments: &[&str]) -> Result<String, String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(directory)
        .args(arguments)
        .stdin(Stdio::null())
        .output()
        .map_err(|error| format!("cannot run git: {error}"))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let message = stderr.trim();
        Err(if message.is_empty() {
            format!("git exited with {}", output.status)
        } else {
            message.to_owned()
        })
    }
}

/// Writes the files of `commit` that a scan of `paths` can read into `destination`, with
/// `git archive`.
///
/// Only files under one of `paths` (relative to the work tree root) are written, and of
/// those only the inputs that discovery reads, the ignore files it honours and anything
/// under `.terraform`. Writing thousands of unrelated source files would only slow the
/// scan down.
///
/// NOTE: `git archive` leaves out files marked `export-ignore` in `.gitattributes` and
/// the contents of submodules, so findings in those count as new.
fn export(
    top: &Path,
    commit: &str,
    paths: &[PathBuf],
    destination: &Path,
) -> Result<(), EngineError> {
    let mut child = Command::new("git")
        .arg("-C")
        .arg(top)
        .args(["archive", "--format=tar", commit])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| EngineError::Git(format!("cannot run git archive: {error}")))?;
    let unpacked = match child.stdout.take() {
        Some(stdout) => unpack_inputs(stdout, paths, destination),
        None => Err(std::io::Error::other("git archive has no output")),
    };
    let output = child
        .wait_with_output()
        .map_err(|error| EngineError::Git(format!("git archive failed: {error}")))?;
    if !output.status.success() {
        return Err(EngineError::Git(format!(
            "git archive {commit} failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    unpacked.map_err(|error| {
        EngineError::Git(format!(
            "cannot unpack the tree of {commit} into {}: {error}",
            destination.display()
        ))
    })
}

/// Unpacks the entries of a tar stream that [`export`] selects.
fn unpack_inputs(
    stream: impl std::io::Read,
    paths: &[PathBuf],
    destination: &Path,
) -> std::io::Result<()> {
    let mut archive = tar::Archive::new(stream);
    for entry in archive.entries()? {
        let mut entry = entry?;
        let path = entry.path()?.into_owned();
        let selected = paths.iter().any(|root| path.starts_with(root)) && is_scan_input(&path);
        if selected && !entry.header().entry_type().is_dir() {
            // `unpack_in` creates the parent directories and refuses paths that would
            // leave `destination`.
            entry.unpack_in(destination)?;
        }
    }
    Ok(())
}

/// Returns true for files a scan reads: inputs by name, `.gitignore` and `.ignore` files,
/// and modules that `terraform init` placed under `.terraform`.
fn is_scan_input(path: &Path) -> bool {
    let name = path
        .file_name()
        .and_then(|name| name.to_str())
        .unwrap_or("");
    crate::discover::classify(path).is_some()
        || name == ".gitignore"
        || name == ".ignore"
        || path
            .components()
            .any(|part| part.as_os_str() == ".terraform")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_inputs_by_name() {
        for input in [
            "infra/main.tf",
            "k8s/deploy.yaml",
            "docker/Dockerfile",
            ".gitignore",
            "infra/.ignore",
            "infra/.terraform/modules/modules.json",
        ] {
            assert!(is_scan_input(Path::new(input)), "{input}");
        }
        for other in ["README.md", "src/main.rs", "infra/notes.txt"] {
            assert!(!is_scan_input(Path::new(other)), "{other}");
        }
    }
}
