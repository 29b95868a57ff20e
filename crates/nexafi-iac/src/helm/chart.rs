//! Loading a chart: `Chart.yaml`, values, schema, templates, files and subcharts, from a
//! directory or a `.tgz` archive.

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use nexafi_model::SourceMap;

use super::files::Files;
use super::value::Value;
use super::yaml;

/// Maximum bytes read from one chart, its archives and subcharts included, so a
/// compressed archive cannot expand without bound.
pub const MAX_CHART_BYTES: u64 = 256 << 20;

/// Maximum nesting of subcharts.
const MAX_SUBCHART_DEPTH: usize = 16;

/// A chart that failed to load.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChartError {
    /// The file or directory at fault, as shown to users.
    pub path: PathBuf,
    pub message: String,
}

/// A dependency declared in `Chart.yaml`.
#[derive(Clone, Debug, Default)]
pub struct Dependency {
    pub name: String,
    pub alias: Option<String>,
    pub condition: Option<String>,
    pub tags: Vec<String>,
}

/// A template file of a chart.
#[derive(Clone, Debug)]
pub struct TemplateFile {
    /// Path inside the chart, such as `templates/deployment.yaml`.
    pub name: String,
    pub text: String,
    /// Location of the file, as shown to users.
    pub path: PathBuf,
}

/// A loaded chart.
#[derive(Clone, Debug)]
pub struct Chart {
    pub name: String,
    pub is_library: bool,
    /// `.Chart`: the fields of `Chart.yaml` under the names templates use.
    pub metadata: Value,
    pub dependencies: Vec<Dependency>,
    /// The chart's default values, with the span of each key in `values.yaml`.
    pub values: Value,
    pub schema: Option<serde_json::Value>,
    pub templates: Vec<TemplateFile>,
    pub files: Rc<Files>,
    pub subcharts: Vec<Chart>,
    /// The chart directory or archive, as shown to users.
    pub path: PathBuf,
}

/// Loads the chart in `dir`. Values files are stored in `sources` so findings can point
/// at them.
pub fn load_dir(dir: &Path, sources: &SourceMap) -> Result<Chart, ChartError> {
    let mut budget = MAX_CHART_BYTES;
    let files = read_dir_files(dir, &mut budget)?;
    from_files(dir.to_path_buf(), files, sources, 0, &mut budget)
}

fn read_dir_files(dir: &Path, budget: &mut u64) -> Result<BTreeMap<String, Vec<u8>>, ChartError> {
    let ignore = IgnoreRules::read(dir)?;
    let mut files = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        let entries = std::fs::read_dir(&current).map_err(|error| ChartError {
            path: current.clone(),
            message: format!("cannot read the chart directory: {error}"),
        })?;
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let Ok(relative) = path.strip_prefix(dir) else {
                continue;
            };
            let name = relative
                .components()
                .map(|part| part.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            if ignore.ignores(&name, kind.is_dir()) {
                continue;
            }
            if kind.is_dir() {
                pending.push(path);
                continue;
            }
            if !kind.is_file() {
                continue;
            }
            let bytes = std::fs::read(&path).map_err(|error| ChartError {
                path: path.clone(),
                message: format!("cannot read the file: {error}"),
            })?;
            *budget = budget
                .checked_sub(bytes.len() as u64)
                .ok_or_else(|| ChartError {
                    path: dir.to_path_buf(),
                    message: format!("the chart is larger than {MAX_CHART_BYTES} bytes"),
                })?;
            files.insert(name, bytes);
        }
    }
    Ok(files)
}

/// The rules of a chart's `.helmignore`, as Helm reads them: one pattern a line, `#`
/// comments, `!` to negate, a trailing `/` for directories only. A pattern without `/`
/// matches the base name of any file or directory, one with `/` the path from the chart
/// root. Hidden files under `templates/` are always ignored, as in Helm.
struct IgnoreRules {
    rules: Vec<IgnoreRule>,
}

struct IgnoreRule {
    pattern: regex::Regex,
    negate: bool,
    directory_only: bool,
    whole_path: bool,
}

impl IgnoreRules {
    fn read(dir: &Path) -> Result<IgnoreRules, ChartError> {
        let path = dir.join(".helmignore");
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(error) => {
                return Err(ChartError {
                    path,
                    message: format!("cannot read .helmignore: {error}"),
                });
            }
        };
        let mut rules = Vec::new();
        for line in std::iter::once("templates/.?*").chain(text.lines()) {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (negate, line) = match line.strip_prefix('!') {
                Some(rest) => (true, rest),
                None => (false, line),
            };
            let (directory_only, line) = match line.strip_suffix('/') {
                Some(rest) => (true, rest),
                None => (false, line),
            };
            let line = line.strip_prefix('/').unwrap_or(line);
            let pattern = super::files::glob_regex(line).map_err(|message| ChartError {
                path: path.clone(),
                message,
            })?;
            rules.push(IgnoreRule {
                pattern,
                negate,
                directory_only,
                whole_path: line.contains('/'),
            });
        }
        Ok(IgnoreRules { rules })
    }

    /// Returns whether the file or directory at `name` (relative, `/`-separated) is
    /// ignored. A negated rule that matches keeps it whatever the other rules say.
    fn ignores(&self, name: &str, is_dir: bool) -> bool {
        let base = name.rsplit('/').next().unwrap_or(name);
        let mut ignored = false;
        for rule in &self.rules {
            if rule.directory_only && !is_dir {
                continue;
            }
            let subject = if rule.whole_path { name } else { base };
            if rule.pattern.is_match(subject) {
                if rule.negate {
                    return false;
                }
                ignored = true;
            }
        }
        ignored
    }
}

/// Reads a chart archive: a gzip-compressed tar whose entries sit under one top-level
/// directory named after the chart.
fn read_archive(
    path: &Path,
    bytes: &[u8],
    budget: &mut u64,
) -> Result<BTreeMap<String, Vec<u8>>, ChartError> {
    let error = |message: String| ChartError {
        path: path.to_path_buf(),
        message,
    };
    let decoder = flate2::read::GzDecoder::new(bytes);
    let mut archive = tar::Archive::new(decoder);
    let entries = archive
        .entries()
        .map_err(|cause| error(format!("cannot read the chart archive: {cause}")))?;
    let mut files = BTreeMap::new();
    for entry in entries {
        let mut entry =
            entry.map_err(|cause| error(format!("cannot read the chart archive: {cause}")))?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let name = entry
            .path()
            .map_err(|cause| error(format!("invalid path in the chart archive: {cause}")))?
            .to_string_lossy()
            .replace('\\', "/");
        // Drop the top-level directory, as Helm does.
        let Some((_, inner)) = name.split_once('/') else {
            continue;
        };
        if inner.is_empty() || inner.split('/').any(|part| part == "..") {
            continue;
        }
        let mut contents = Vec::new();
        let limit = *budget + 1;
        (&mut entry)
            .take(limit)
            .read_to_end(&mut contents)
            .map_err(|cause| error(format!("cannot read {name} in the chart archive: {cause}")))?;
        *budget = budget.checked_sub(contents.len() as u64).ok_or_else(|| {
            error(format!(
                "the chart archive expands to more than {MAX_CHART_BYTES} bytes"
            ))
        })?;
        files.insert(inner.to_owned(), contents);
    }
    if files.is_empty() {
        return Err(error("the chart archive holds no files".to_owned()));
    }
    Ok(files)
}

fn text_of(path: &Path, bytes: &[u8]) -> Result<String, ChartError> {
    String::from_utf8(bytes.to_vec()).map_err(|_| ChartError {
        path: path.to_path_buf(),
        message: "the file is not valid UTF-8".to_owned(),
    })
}

fn from_files(
    root: PathBuf,
    mut files: BTreeMap<String, Vec<u8>>,
    sources: &SourceMap,
    depth: usize,
    budget: &mut u64,
) -> Result<Chart, ChartError> {
    let chart_yaml_path = root.join("Chart.yaml");
    let Some(chart_yaml) = files.remove("Chart.yaml") else {
        return Err(ChartError {
            path: chart_yaml_path,
            message: "Chart.yaml is missing; a chart needs one with apiVersion, name and version"
                .to_owned(),
        });
    };
    let chart_text = text_of(&chart_yaml_path, &chart_yaml)?;
    let metadata = yaml::parse_document(&chart_text).map_err(|message| ChartError {
        path: chart_yaml_path.clone(),
        message: format!("invalid Chart.yaml: {message}"),
    })?;
    let name = metadata
        .get("name")
        .map(|value| super::funcs::strval(&value))
        .unwrap_or_default();
    let version = metadata.get("version").unwrap_or_default();
    if name.is_empty() || version.is_nil() {
        return Err(ChartError {
            path: chart_yaml_path,
            message: "Chart.yaml needs a name and a version".to_owned(),
        });
    }
    let api_version = metadata
        .get("apiVersion")
        .map(|value| super::funcs::strval(&value))
        .unwrap_or_default();
    if api_version != "v1" && api_version != "v2" && api_version != "v3" {
        return Err(ChartError {
            path: chart_yaml_path,
            message: format!("Chart.yaml has apiVersion {api_version:?}; use v2"),
        });
    }
    let chart_type = metadata
        .get("type")
        .map(|value| super::funcs::strval(&value))
        .unwrap_or_default();
    let dependencies = read_dependencies(&metadata);

    let values = match files.remove("values.yaml") {
        Some(bytes) => {
            let path = root.join("values.yaml");
            let text = text_of(&path, &bytes)?;
            read_values(&path, text, sources)?
        }
        None => Value::empty_map(),
    };
    let schema = match files.remove("values.schema.json") {
        Some(bytes) => {
            let path = root.join("values.schema.json");
            Some(serde_json::from_slice(&bytes).map_err(|error| ChartError {
                path,
                message: format!("invalid JSON schema: {error}"),
            })?)
        }
        None => None,
    };

    let mut templates = Vec::new();
    let mut subchart_files: BTreeMap<String, BTreeMap<String, Vec<u8>>> = BTreeMap::new();
    let mut archives = Vec::new();
    let mut other = BTreeMap::new();
    for (name, bytes) in files {
        if let Some(rest) = name.strip_prefix("templates/") {
            let path = root.join(&name);
            let text = text_of(&path, &bytes)?;
            let _ = rest;
            templates.push(TemplateFile { name, text, path });
        } else if let Some(rest) = name.strip_prefix("charts/") {
            match rest.split_once('/') {
                Some((dir, inner)) => {
                    subchart_files
                        .entry(dir.to_owned())
                        .or_default()
                        .insert(inner.to_owned(), bytes);
                }
                None if rest.ends_with(".tgz") || rest.ends_with(".tar.gz") => {
                    archives.push((rest.to_owned(), bytes))
                }
                None => {}
            }
        } else if name != "Chart.lock" && name != "requirements.yaml" && name != "requirements.lock"
        {
            other.insert(name, Rc::from(bytes.into_boxed_slice()));
        }
    }

    let mut subcharts = Vec::new();
    if !subchart_files.is_empty() || !archives.is_empty() {
        if depth >= MAX_SUBCHART_DEPTH {
            return Err(ChartError {
                path: root.join("charts"),
                message: format!("subcharts nest more than {MAX_SUBCHART_DEPTH} levels"),
            });
        }
        for (dir, files) in subchart_files {
            if !files.contains_key("Chart.yaml") {
                continue;
            }
            subcharts.push(from_files(
                root.join("charts").join(dir),
                files,
                sources,
                depth + 1,
                budget,
            )?);
        }
        for (file, bytes) in archives {
            let path = root.join("charts").join(&file);
            let files = read_archive(&path, &bytes, budget)?;
            subcharts.push(from_files(path, files, sources, depth + 1, budget)?);
        }
    }

    Ok(Chart {
        name,
        is_library: chart_type == "library",
        metadata: chart_object(&metadata, depth == 0),
        dependencies,
        values,
        schema,
        templates,
        files: Rc::new(Files::new(other)),
        subcharts,
        path: root,
    })
}

/// Reads a values file into a map whose keys remember their place in the file.
pub fn read_values(path: &Path, text: String, sources: &SourceMap) -> Result<Value, ChartError> {
    let file = sources.add(path, text);
    let text = sources
        .get(file)
        .map(|source| source.text.clone())
        .unwrap_or_default();
    let documents = yaml::parse_in(&text, file, true).map_err(|message| ChartError {
        path: path.to_path_buf(),
        message: format!("invalid YAML in the values file: {message}"),
    })?;
    match documents.into_iter().next() {
        None | Some(Value::Nil) => Ok(Value::empty_map()),
        Some(value @ Value::Map(_)) => Ok(value),
        Some(other) => Err(ChartError {
            path: path.to_path_buf(),
            message: format!(
                "the values file holds a {} at the top; it must be a map of keys to values",
                other.type_name()
            ),
        }),
    }
}

// NOTE: `import-values` is not read, so a parent chart that imports a subchart's values
// renders without them.
fn read_dependencies(metadata: &Value) -> Vec<Dependency> {
    let Some(Value::List(items)) = metadata.get("dependencies") else {
        return Vec::new();
    };
    let text = |item: &Value, key: &str| {
        item.get(key)
            .filter(|value| !value.is_nil())
            .map(|value| super::funcs::strval(&value))
            .filter(|text| !text.is_empty())
    };
    items
        .iter()
        .map(|item| Dependency {
            name: text(item, "name").unwrap_or_default(),
            alias: text(item, "alias"),
            condition: text(item, "condition"),
            tags: match item.get("tags") {
                Some(Value::List(tags)) => tags.iter().map(super::funcs::strval).collect(),
                _ => Vec::new(),
            },
        })
        .collect()
}

/// Builds `.Chart` from `Chart.yaml`, under the Go field names of Helm's metadata type.
fn chart_object(metadata: &Value, is_root: bool) -> Value {
    let text = |key: &str| {
        metadata
            .get(key)
            .filter(|value| !value.is_nil())
            .map_or_else(
                || Value::string(""),
                |value| Value::string(super::funcs::strval(&value)),
            )
    };
    let list = |key: &str| match metadata.get(key) {
        Some(value @ Value::List(_)) => value,
        _ => Value::list(Vec::new()),
    };
    let fields = [
        ("APIVersion", text("apiVersion")),
        ("Name", text("name")),
        ("Version", text("version")),
        ("KubeVersion", text("kubeVersion")),
        ("Description", text("description")),
        ("Type", text("type")),
        ("Keywords", list("keywords")),
        ("Home", text("home")),
        ("Sources", list("sources")),
        ("Dependencies", list("dependencies")),
        ("Maintainers", list("maintainers")),
        ("Icon", text("icon")),
        ("AppVersion", text("appVersion")),
        (
            "Deprecated",
            Value::Bool(
                metadata
                    .get("deprecated")
                    .is_some_and(|value| value.is_true()),
            ),
        ),
        (
            "Annotations",
            metadata.get("annotations").unwrap_or_default(),
        ),
        ("Condition", text("condition")),
        ("Tags", text("tags")),
        ("IsRoot", Value::Bool(is_root)),
    ];
    Value::map(
        fields
            .into_iter()
            .map(|(key, value)| (key.to_owned(), value))
            .collect(),
    )
}
