//! Files and paths. Relative paths resolve against the calling module's directory.
//!
//! A file that cannot be read offline (missing, outside [`FunctionContext::read_root`],
//! or too large) makes the call [`FunctionError::Unsupported`], so the evaluator turns
//! the value into an unknown one instead of failing the scan.
//!
//! [`FunctionContext::read_root`]: super::FunctionContext::read_root
//! [`FunctionError::Unsupported`]: super::FunctionError::Unsupported

use std::fs;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

use globset::GlobBuilder;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

use super::args::{Call, Failure, Outcome};
use super::hash::hex;

/// Largest number of directory entries `fileset` visits, so a pattern over a huge tree
/// fails instead of walking it all.
const MAX_FILESET_ENTRIES: usize = 10_000;

/// Largest file the file functions read, in bytes; the same as the largest string
/// a function builds.
const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

pub(super) fn file(call: &Call) -> Outcome {
    let (shown, bytes) = read(call)?;
    match String::from_utf8(bytes) {
        Ok(text) => call.string_node(text),
        Err(_) => Err(call.invalid(
            0,
            format!(
                "contents of {shown:?} are not valid UTF-8; use filebase64 to read binary files, or a file hash function such as filesha256"
            ),
        )),
    }
}

pub(super) fn filebase64(call: &Call) -> Outcome {
    let (_, bytes) = read(call)?;
    call.checked_string(STANDARD.encode(bytes))
}

pub(super) fn filemd5(call: &Call) -> Outcome {
    call.string_node(hex(&Md5::digest(read(call)?.1)))
}

pub(super) fn filesha1(call: &Call) -> Outcome {
    call.string_node(hex(&Sha1::digest(read(call)?.1)))
}

pub(super) fn filesha256(call: &Call) -> Outcome {
    call.string_node(hex(&Sha256::digest(read(call)?.1)))
}

pub(super) fn filesha512(call: &Call) -> Outcome {
    call.string_node(hex(&Sha512::digest(read(call)?.1)))
}

pub(super) fn filebase64sha256(call: &Call) -> Outcome {
    call.string_node(STANDARD.encode(Sha256::digest(read(call)?.1)))
}

pub(super) fn filebase64sha512(call: &Call) -> Outcome {
    call.string_node(STANDARD.encode(Sha512::digest(read(call)?.1)))
}

/// Tells whether a regular file exists at the path. A directory is an error, as in
/// Terraform; a path outside the readable directory is unknown.
pub(super) fn fileexists(call: &Call) -> Outcome {
    let (shown, path) = requested_path(call)?;
    let resolved = match fs::canonicalize(&path) {
        Ok(resolved) => resolved,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return call.bool_node(false),
        Err(error) => return Err(unreadable(call, &shown, &error.to_string())),
    };
    check_inside_root(call, &shown, &resolved)?;
    let metadata =
        fs::metadata(&resolved).map_err(|error| unreadable(call, &shown, &error.to_string()))?;
    if metadata.is_dir() {
        return Err(call.invalid(
            0,
            format!("{shown:?} is not a regular file, but a directory"),
        ));
    }
    call.bool_node(metadata.is_file())
}

/// Reads the file named by the first argument, returning the path as the user wrote
/// it and the contents.
fn read(call: &Call) -> Result<(String, Vec<u8>), Failure> {
    let (shown, path) = requested_path(call)?;
    let resolved =
        fs::canonicalize(&path).map_err(|error| unreadable(call, &shown, &error.to_string()))?;
    check_inside_root(call, &shown, &resolved)?;

    let metadata =
        fs::metadata(&resolved).map_err(|error| unreadable(call, &shown, &error.to_string()))?;
    if metadata.is_dir() {
        return Err(call.invalid(0, format!("{shown:?} is a directory, not a file")));
    }
    if !metadata.is_file() {
        return Err(unreadable(call, &shown, "not a regular file"));
    }
    if metadata.len() > MAX_FILE_BYTES {
        return Err(unreadable(
            call,
            &shown,
            &format!("the file is larger than the limit of {MAX_FILE_BYTES} bytes"),
        ));
    }

    let mut bytes = Vec::new();
    let opened =
        fs::File::open(&resolved).map_err(|error| unreadable(call, &shown, &error.to_string()))?;
    // The file may grow after the size check, so the read is bounded as well.
    opened
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|error| unreadable(call, &shown, &error.to_string()))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(unreadable(
            call,
            &shown,
            &format!("the file is larger than the limit of {MAX_FILE_BYTES} bytes"),
        ));
    }
    Ok((shown, bytes))
}

fn requested_path(call: &Call) -> Result<(String, PathBuf), Failure> {
    let shown = call.string(0)?.into_owned();
    if shown.starts_with('~') {
        return Err(Failure::Unsupported(format!(
            "{}(): {shown:?} starts with \"~\", the home directory of the machine that runs Terraform, which is not known offline",
            call.name
        )));
    }
    let path = module_dir(call).join(&shown);
    Ok((shown, path))
}

fn module_dir(call: &Call) -> PathBuf {
    let dir = &call.context.module_dir;
    if dir.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        dir.clone()
    }
}

/// Rejects files outside the readable directory, after symbolic links are resolved.
fn check_inside_root(call: &Call, shown: &str, resolved: &Path) -> Result<(), Failure> {
    let root = call
        .context
        .read_root
        .clone()
        .unwrap_or_else(|| module_dir(call));
    let root = fs::canonicalize(&root).map_err(|error| {
        unreadable(
            call,
            shown,
            &format!(
                "the readable directory {} is not available: {error}",
                root.display()
            ),
        )
    })?;
    if resolved.starts_with(&root) {
        return Ok(());
    }
    Err(Failure::Unsupported(format!(
        "{}(): {shown:?} is outside {}, so it is not read",
        call.name,
        root.display()
    )))
}

fn unreadable(call: &Call, shown: &str, reason: &str) -> Failure {
    Failure::Unsupported(format!(
        "{}(): cannot read {shown:?} offline: {reason}",
        call.name
    ))
}

/// Lists the files below `path` whose path relative to it matches `pattern`, sorted.
/// Patterns use `*` and `?` within one path element, `**` across elements, `[...]`
/// classes and `{a,b}` alternatives. Directories themselves never match.
pub(super) fn fileset(call: &Call) -> Outcome {
    let base_text = call.string(0)?.into_owned();
    let pattern = call.string(1)?;
    let glob = GlobBuilder::new(&pattern)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .map_err(|error| call.invalid(1, format!("invalid glob pattern: {error}")))?
        .compile_matcher();

    let base = module_dir(call).join(&base_text);
    let base = match fs::canonicalize(&base) {
        Ok(base) => base,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return call.list_node(Vec::new());
        }
        Err(error) => return Err(unreadable(call, &base_text, &error.to_string())),
    };
    check_inside_root(call, &base_text, &base)?;

    let mut found = Vec::new();
    let mut visited = 0_usize;
    let mut pending = vec![(base.clone(), String::new())];
    while let Some((directory, relative)) = pending.pop() {
        let entries = fs::read_dir(&directory)
            .map_err(|error| unreadable(call, &base_text, &error.to_string()))?;
        for entry in entries {
            let entry = entry.map_err(|error| unreadable(call, &base_text, &error.to_string()))?;
            visited += 1;
            if visited > MAX_FILESET_ENTRIES {
                return Err(unreadable(
                    call,
                    &base_text,
                    &format!("the directory has more than {MAX_FILESET_ENTRIES} entries"),
                ));
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = if relative.is_empty() {
                name
            } else {
                format!("{relative}/{name}")
            };
            // Symbolic links are not followed, so the walk stays below the base.
            let kind = entry
                .file_type()
                .map_err(|error| unreadable(call, &base_text, &error.to_string()))?;
            if kind.is_dir() {
                pending.push((entry.path(), path));
            } else if kind.is_file() && glob.is_match(&path) {
                found.push(path);
            }
        }
    }

    found.sort();
    let items = found
        .into_iter()
        .map(|path| call.node(nexafi_model::Value::String(path)))
        .collect();
    call.list_node(items)
}

/// Makes a path absolute against the module directory, which is made absolute
/// against the working directory of the scan, and cleans it lexically.
pub(super) fn abspath(call: &Call) -> Outcome {
    let text = call.string(0)?;
    let path = Path::new(text.as_ref());
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        let base = module_dir(call);
        let base = if base.is_absolute() {
            base
        } else {
            std::env::current_dir()
                .map_err(|error| {
                    Failure::Unsupported(format!(
                        "abspath(): the working directory is not available: {error}"
                    ))
                })?
                .join(base)
        };
        base.join(path)
    };
    call.string_node(clean(&joined.to_string_lossy()))
}

/// Returns everything before the last path element, as Go's `filepath.Dir` does.
pub(super) fn dirname(call: &Call) -> Outcome {
    let text = call.string(0)?;
    let directory = match text.rfind('/') {
        Some(at) => text.get(..=at).unwrap_or_default(),
        None => "",
    };
    call.string_node(clean(directory))
}

/// Returns the last path element, as Go's `filepath.Base` does.
pub(super) fn basename(call: &Call) -> Outcome {
    let text = call.string(0)?;
    if text.is_empty() {
        return call.string_node(".");
    }
    let trimmed = text.trim_end_matches('/');
    if trimmed.is_empty() {
        return call.string_node("/");
    }
    let base = trimmed.rsplit('/').next().unwrap_or(trimmed);
    call.string_node(base)
}

/// Expands a leading `~` to the home directory, which is unknown offline; other
/// paths come back unchanged.
pub(super) fn pathexpand(call: &Call) -> Outcome {
    let text = call.string(0)?;
    if text.starts_with('~') {
        return Err(Failure::Unknown(
            "the home directory of the machine that runs Terraform is not known offline".to_owned(),
        ));
    }
    call.string_node(text.into_owned())
}

/// Cleans a slash-separated path lexically, as Go's `path.Clean`: repeated slashes and
/// `.` elements go, `..` removes the element before it, and an empty result is `.`.
fn clean(text: &str) -> String {
    let rooted = text.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for component in Path::new(text).components() {
        match component {
            Component::Normal(part) => parts.push(part.to_str().unwrap_or_default()),
            Component::ParentDir => match parts.last() {
                Some(&last) if last != ".." => {
                    parts.pop();
                }
                _ if rooted => {}
                _ => parts.push(".."),
            },
            Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_owned(),
        (false, false) => joined,
    }
}

#[cfg(test)]
mod tests {
    use super::clean;

    #[test]
    fn clean_paths() {
        assert_eq!(clean(""), ".");
        assert_eq!(clean("a//b/./c/.."), "a/b");
        assert_eq!(clean("/../a"), "/a");
        assert_eq!(clean("../a/../.."), "../..");
        assert_eq!(clean("/"), "/");
    }
}
