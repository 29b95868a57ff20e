//! Facts that tie a report to what produced it: the Git commit of the scanned tree and a
//! digest of the rule set.

use std::path::{Path, PathBuf};
use std::process::Command;

use nexafi_checks::Check;
use nexafi_model::CheckStatus;
use sha2::{Digest, Sha256};

/// Returns the commit checked out in the Git work tree that contains the first scanned
/// path, by running `git rev-parse HEAD` there. Returns `None` outside a work tree, when
/// the repository has no commit yet, or when git is not installed.
pub fn git_commit(paths: &[PathBuf]) -> Option<String> {
    let first = paths.first()?;
    let absolute = std::path::absolute(first).ok()?;
    let directory = if absolute.is_dir() {
        absolute
    } else {
        absolute.parent().map(Path::to_path_buf)?
    };
    let output = match Command::new("git")
        .arg("-C")
        .arg(&directory)
        .args(["rev-parse", "--verify", "--quiet", "HEAD"])
        .output()
    {
        Ok(output) => output,
        Err(error) => {
            tracing::debug!(%error, "failed to run git, so the report has no commit");
            return None;
        }
    };
    if !output.status.success() {
        return None;
    }
    let commit = String::from_utf8(output.stdout).ok()?.trim().to_owned();
    let is_object_id =
        matches!(commit.len(), 40 | 64) && commit.bytes().all(|byte| byte.is_ascii_hexdigit());
    is_object_id.then_some(commit)
}

/// Computes the SHA-256 digest, as lowercase hex, over every check's id, severity, status
/// and cases file text, in registry order. Any change to a rule's identity, weight,
/// maturity or test cases changes the digest.
pub fn check_catalog_digest(checks: &[&Check]) -> String {
    let mut hasher = Sha256::new();
    for check in checks {
        let status = match check.meta.status {
            CheckStatus::Preview => "preview",
            CheckStatus::Stable => "stable",
            CheckStatus::Deprecated => "deprecated",
        };
        for part in [
            check.meta.id,
            check.meta.severity.as_str(),
            status,
            check.cases,
        ] {
            hasher.update(part.as_bytes());
            // A separator that cannot occur in any part keeps ("ab", "c") apart from ("a", "bc").
            hasher.update([0u8]);
        }
    }
    hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_is_stable_hex() {
        let checks = nexafi_checks::all();
        let first = check_catalog_digest(&checks);
        assert_eq!(first, check_catalog_digest(&checks));
        assert_eq!(first.len(), 64);
        assert!(first.bytes().all(|byte| byte.is_ascii_hexdigit()));
    }

    #[test]
    fn digest_depends_on_checks() {
        let checks = nexafi_checks::all();
        let fewer = &checks[..checks.len() - 1];
        assert_ne!(check_catalog_digest(&checks), check_catalog_digest(fewer));
    }

    #[test]
    fn commit_of_this_repository() {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let Some(commit) = git_commit(&[root]) else {
            panic!("the crate directory is inside a Git work tree, so a commit is expected");
        };
        assert_eq!(commit.len(), 40, "{commit}");
    }

    #[test]
    fn commit_outside_git_is_none() {
        let Ok(directory) = tempfile::tempdir() else {
            panic!("cannot create a temporary directory");
        };
        assert_eq!(git_commit(&[directory.path().to_path_buf()]), None);
    }
}
