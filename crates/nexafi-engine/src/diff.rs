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
    export(&top, &commit, temporary.path())?;

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
    let evaluated = crate::evaluate_inputs(&base_options)?;
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

/// Writes the tree of `commit` into `destination` with `git archive`.
///
/// NOTE: `git archive` leaves out files marked `export-ignore` in `.gitattributes` and
/// the contents of submodules, so findings in those count as new.
fn export(top: &Path, commit: &str, destination: &Path) -> Result<(), EngineError> {
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
        Some(stdout) => tar::Archive::new(stdout).unpack(destination),
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
