//! Paths as kustomize resolves them: relative to the kustomization directory, compared
//! after lexical normalisation, and never fetched when remote.

use std::path::{Component, Path, PathBuf};

/// Removes `.` components and folds `dir/..` pairs without touching the file system, so
/// `overlays/prod/../../base` becomes `base`. Leading `..` components stay, and so does a
/// leading `./`, so paths read the way discovery shows the other files of a scan.
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut parts: Vec<Component<'_>> = Vec::new();
    let leading_dot = path.components().next() == Some(Component::CurDir);
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => match parts.last() {
                Some(Component::Normal(_)) => {
                    parts.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => parts.push(component),
            },
            other => parts.push(other),
        }
    }
    if parts.is_empty() {
        return PathBuf::from(".");
    }
    if leading_dot && matches!(parts.first(), Some(Component::Normal(_))) {
        parts.insert(0, Component::CurDir);
    }
    parts.iter().collect()
}

/// Returns the form of a path used to compare files: normalised, without a leading `./`.
pub(crate) fn file_key(path: &Path) -> PathBuf {
    let normal = normalize(path);
    match normal.strip_prefix(".") {
        Ok(rest) if !rest.as_os_str().is_empty() => rest.to_path_buf(),
        _ => normal,
    }
}

/// Returns true when `path` lies in or below `root`, after normalising both. kustomize
/// loads files only from there unless run with `--load-restrictor LoadRestrictionsNone`.
pub(crate) fn is_within(root: &Path, path: &Path) -> bool {
    let root = file_key(root);
    let path = file_key(path);
    root == Path::new(".") && !path.starts_with("..") && !path.is_absolute()
        || path.starts_with(&root)
}

/// Returns true when a resource entry names a remote target, which kustomize would
/// download: a URL, an scp-like Git address, or a path on a well-known Git host.
pub(crate) fn looks_remote(entry: &str) -> bool {
    const HOSTS: [&str; 4] = [
        "github.com/",
        "gitlab.com/",
        "bitbucket.org/",
        "dev.azure.com/",
    ];
    entry.contains("://")
        || entry.starts_with("git@")
        || entry.starts_with("git::")
        || entry.contains("?ref=")
        || entry.contains("?version=")
        || entry.ends_with(".git")
        || entry.contains(".git//")
        || HOSTS.iter().any(|host| entry.starts_with(host))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_folds_parents() {
        assert_eq!(
            normalize(Path::new("a/overlays/prod/../../base/./x.yaml")),
            PathBuf::from("a/base/x.yaml")
        );
        assert_eq!(normalize(Path::new("../base")), PathBuf::from("../base"));
        assert_eq!(normalize(Path::new("./")), PathBuf::from("."));
        assert_eq!(
            normalize(Path::new("./overlays/prod/../../base")),
            PathBuf::from("./base")
        );
        assert_eq!(
            file_key(Path::new("./base/a.yaml")),
            PathBuf::from("base/a.yaml")
        );
    }

    #[test]
    fn within_root() {
        assert!(is_within(
            Path::new("k/prod"),
            Path::new("k/prod/patch.yaml")
        ));
        assert!(!is_within(
            Path::new("k/prod"),
            Path::new("k/prod/../base/a.yaml")
        ));
        assert!(is_within(Path::new("."), Path::new("patch.yaml")));
        assert!(!is_within(Path::new("."), Path::new("../patch.yaml")));
    }

    #[test]
    fn remote_entries() {
        assert!(looks_remote("https://example.invalid/app.yaml"));
        assert!(looks_remote("github.com/example/app//deploy?ref=v1.0.0"));
        assert!(looks_remote("git@example.invalid:team/app.git"));
        assert!(!looks_remote("../base"));
        assert!(!looks_remote("deployment.yaml"));
    }
}
