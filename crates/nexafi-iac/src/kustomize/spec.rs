//! The fields of a kustomization file, read with their spans.
//!
//! kustomize rejects unknown fields, and so does this reader: a misspelt `pathces` would
//! otherwise drop every patch without a word. Fields that change objects in ways this
//! builder does not reproduce (`replacements`, `vars`, plugins, Helm charts) are recorded
//! in [`Kustomization::unsupported`] and reported as unknown.

use std::path::{Path, PathBuf};

use nexafi_model::{FileId, Node, Span, Value};

use super::object::{Behavior, Failure};

/// Every top-level field of a kustomization in kustomize v5.
const KNOWN_FIELDS: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "openapi",
    "namePrefix",
    "nameSuffix",
    "namespace",
    "commonLabels",
    "labels",
    "commonAnnotations",
    "patchesStrategicMerge",
    "patchesJson6902",
    "patches",
    "images",
    "imageTags",
    "replacements",
    "replicas",
    "vars",
    "sortOptions",
    "resources",
    "components",
    "crds",
    "bases",
    "configMapGenerator",
    "secretGenerator",
    "helmGlobals",
    "helmCharts",
    "helmChartInflationGenerator",
    "generatorOptions",
    "configurations",
    "generators",
    "transformers",
    "validators",
    "buildMetadata",
];

/// Fields whose effect on objects this builder does not reproduce.
const UNSUPPORTED_FIELDS: &[&str] = &[
    "openapi",
    "replacements",
    "vars",
    "crds",
    "helmCharts",
    "helmChartInflationGenerator",
    "configurations",
    "generators",
    "transformers",
];

/// A string with the span it was read from.
#[derive(Clone, Debug)]
pub(crate) struct Spanned {
    pub text: String,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Kustomization,
    Component,
}

/// A patch written in a file or inline in the kustomization.
#[derive(Clone, Debug)]
pub(crate) enum PatchSource {
    File(Spanned),
    /// The string node holding the patch text.
    Inline(Node),
}

/// Objects a patch applies to. Every set field must match; names, kinds and namespaces
/// are regular expressions anchored at both ends, as in kustomize.
#[derive(Clone, Debug, Default)]
pub(crate) struct Selector {
    pub group: Option<String>,
    pub version: Option<String>,
    pub kind: Option<String>,
    pub name: Option<String>,
    pub namespace: Option<String>,
    pub label_selector: Option<String>,
    pub annotation_selector: Option<String>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub(crate) struct PatchRule {
    pub source: PatchSource,
    pub target: Option<Selector>,
    /// The list entry, for messages.
    pub span: Span,
}

#[derive(Clone, Debug)]
pub(crate) struct ImageRule {
    pub name: String,
    pub new_name: Option<Node>,
    pub new_tag: Option<Node>,
    pub digest: Option<Node>,
}

#[derive(Clone, Debug)]
pub(crate) struct ReplicaRule {
    pub name: String,
    pub count: Node,
}

/// Labels to add, and where besides `metadata.labels`.
#[derive(Clone, Debug)]
pub(crate) struct LabelSet {
    pub pairs: Vec<(String, Node)>,
    /// Also add to selectors (and templates): what `commonLabels` always does.
    pub include_selectors: bool,
    /// Also add to pod and job templates.
    pub include_templates: bool,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct GeneratorOptions {
    pub labels: Vec<(String, Node)>,
    pub annotations: Vec<(String, Node)>,
    pub disable_name_suffix_hash: Option<bool>,
    pub immutable: Option<bool>,
}

impl GeneratorOptions {
    /// Combines global options with a generator's own, which win.
    pub(crate) fn overlaid_by(&self, own: &GeneratorOptions) -> GeneratorOptions {
        let mut labels = self.labels.clone();
        labels.extend(own.labels.iter().cloned());
        let mut annotations = self.annotations.clone();
        annotations.extend(own.annotations.iter().cloned());
        GeneratorOptions {
            labels,
            annotations,
            disable_name_suffix_hash: own
                .disable_name_suffix_hash
                .or(self.disable_name_suffix_hash),
            immutable: own.immutable.or(self.immutable),
        }
    }
}

/// One entry of `configMapGenerator` or `secretGenerator`.
#[derive(Clone, Debug)]
pub(crate) struct Generator {
    pub kind: &'static str,
    pub name: Spanned,
    pub namespace: Option<Node>,
    pub behavior: Behavior,
    pub literals: Vec<Spanned>,
    pub files: Vec<Spanned>,
    pub envs: Vec<Spanned>,
    /// Secret type; `Opaque` when unset.
    pub secret_type: Option<Node>,
    pub options: GeneratorOptions,
    pub span: Span,
}

/// A kustomization file, read.
#[derive(Clone, Debug)]
pub(crate) struct Kustomization {
    pub path: PathBuf,
    pub dir: PathBuf,
    pub file: FileId,
    pub kind: Kind,
    /// `resources` followed by the legacy `bases`, as kustomize v5 merges them.
    pub resources: Vec<Spanned>,
    pub components: Vec<Spanned>,
    pub namespace: Option<Node>,
    pub name_prefix: Option<Node>,
    pub name_suffix: Option<Node>,
    pub labels: Vec<LabelSet>,
    pub annotations: Vec<(String, Node)>,
    pub images: Vec<ImageRule>,
    pub replicas: Vec<ReplicaRule>,
    pub strategic_patches: Vec<PatchRule>,
    pub patches: Vec<PatchRule>,
    pub json_patches: Vec<PatchRule>,
    pub generators: Vec<Generator>,
    /// Fields present but not applied, with the span of their key's value.
    pub unsupported: Vec<Spanned>,
}

/// Reads fields of one kustomization file, producing failures that point into it.
struct Reader<'a> {
    path: &'a Path,
}

impl Reader<'_> {
    fn fail(&self, span: Span, message: impl Into<String>) -> Failure {
        Failure::new(self.path, Some(span), message)
    }

    fn string(&self, node: &Node, field: &str) -> Result<Spanned, Failure> {
        match &node.value {
            Value::String(text) => Ok(Spanned {
                text: text.clone(),
                span: node.span,
            }),
            _ => Err(self.fail(
                node.span,
                format!(
                    "`{field}` is {}, not a string; write it as a string",
                    describe(node)
                ),
            )),
        }
    }

    fn strings(&self, node: Option<&Node>, field: &str) -> Result<Vec<Spanned>, Failure> {
        let Some(node) = node.filter(|node| !node.is_null()) else {
            return Ok(Vec::new());
        };
        let Some(items) = node.as_list() else {
            return Err(self.fail(
                node.span,
                format!(
                    "`{field}` is {}, not a list; write it as a list of strings",
                    describe(node)
                ),
            ));
        };
        items.iter().map(|item| self.string(item, field)).collect()
    }

    fn map<'n>(&self, node: &'n Node, field: &str) -> Result<&'n nexafi_model::Map, Failure> {
        node.as_map().ok_or_else(|| {
            self.fail(
                node.span,
                format!(
                    "`{field}` is {}, not a map; write it as a map",
                    describe(node)
                ),
            )
        })
    }

    fn list<'n>(&self, node: Option<&'n Node>, field: &str) -> Result<&'n [Node], Failure> {
        match node.filter(|node| !node.is_null()) {
            None => Ok(&[]),
            Some(node) => node.as_list().ok_or_else(|| {
                self.fail(
                    node.span,
                    format!(
                        "`{field}` is {}, not a list; write it as a list",
                        describe(node)
                    ),
                )
            }),
        }
    }

    /// Reads a map of string values (labels, annotations). Numbers and booleans are turned
    /// into their text, the way they would be written quoted.
    fn pairs(&self, node: Option<&Node>, field: &str) -> Result<Vec<(String, Node)>, Failure> {
        let Some(node) = node.filter(|node| !node.is_null()) else {
            return Ok(Vec::new());
        };
        let map = self.map(node, field)?;
        let mut pairs = Vec::with_capacity(map.len());
        for (key, value) in map {
            let text = match &value.value {
                Value::String(text) => text.clone(),
                Value::Bool(_) | Value::Number(_) => value.display(),
                Value::Null => String::new(),
                _ => {
                    return Err(self.fail(
                        value.span,
                        format!(
                            "`{field}.{key}` is {}; write the value as a string",
                            describe(value)
                        ),
                    ));
                }
            };
            pairs.push((key.clone(), Node::new(value.span, Value::String(text))));
        }
        Ok(pairs)
    }

    fn optional_string(&self, node: Option<&Node>, field: &str) -> Result<Option<Node>, Failure> {
        match node.filter(|node| !node.is_null()) {
            None => Ok(None),
            Some(node) => {
                self.string(node, field)?;
                Ok(Some(node.clone()))
            }
        }
    }

    fn flag(&self, node: Option<&Node>, field: &str) -> Result<Option<bool>, Failure> {
        match node.filter(|node| !node.is_null()) {
            None => Ok(None),
            Some(node) => node.as_bool().map(Some).ok_or_else(|| {
                self.fail(
                    node.span,
                    format!("`{field}` is {}; write true or false", describe(node)),
                )
            }),
        }
    }

    fn selector(&self, node: &Node, field: &str) -> Result<Selector, Failure> {
        let map = self.map(node, field)?;
        let mut selector = Selector {
            span: node.span,
            ..Selector::default()
        };
        for (key, value) in map {
            let text = Some(self.string(value, &format!("{field}.{key}"))?.text);
            match key.as_str() {
                "group" => selector.group = text,
                "version" => selector.version = text,
                "kind" => selector.kind = text,
                "name" => selector.name = text,
                "namespace" => selector.namespace = text,
                "labelSelector" => selector.label_selector = text,
                "annotationSelector" => selector.annotation_selector = text,
                _ => {
                    return Err(self.fail(
                        value.span,
                        format!(
                            "unknown field `{field}.{key}`; a target has group, version, kind, \
                             name, namespace, labelSelector and annotationSelector"
                        ),
                    ));
                }
            }
        }
        Ok(selector)
    }

    fn patch_rule(
        &self,
        item: &Node,
        field: &str,
        needs_target: bool,
    ) -> Result<PatchRule, Failure> {
        let map = self.map(item, field)?;
        let path = map.get("path").filter(|node| !node.is_null());
        let patch = map.get("patch").filter(|node| !node.is_null());
        let source = match (path, patch) {
            (Some(path), None) => PatchSource::File(self.string(path, &format!("{field}.path"))?),
            (None, Some(patch)) => {
                self.string(patch, &format!("{field}.patch"))?;
                PatchSource::Inline(patch.clone())
            }
            (Some(_), Some(_)) => {
                return Err(self.fail(
                    item.span,
                    format!("a `{field}` entry sets both `path` and `patch`; keep one of them"),
                ));
            }
            (None, None) => {
                return Err(self.fail(
                    item.span,
                    format!("a `{field}` entry has neither `path` nor `patch`; add one of them"),
                ));
            }
        };
        let target = match map.get("target").filter(|node| !node.is_null()) {
            Some(node) => Some(self.selector(node, &format!("{field}.target"))?),
            None if needs_target => {
                return Err(self.fail(
                    item.span,
                    format!(
                        "a `{field}` entry has no `target`; name the object to patch under `target`"
                    ),
                ));
            }
            None => None,
        };
        for key in map.keys() {
            if !matches!(key.as_str(), "path" | "patch" | "target" | "options") {
                return Err(self.fail(
                    item.span,
                    format!("unknown field `{key}` in a `{field}` entry; use path, patch, target or options"),
                ));
            }
        }
        Ok(PatchRule {
            source,
            target,
            span: item.span,
        })
    }

    fn generator_options(
        &self,
        node: Option<&Node>,
        field: &str,
    ) -> Result<GeneratorOptions, Failure> {
        let Some(node) = node.filter(|node| !node.is_null()) else {
            return Ok(GeneratorOptions::default());
        };
        let map = self.map(node, field)?;
        Ok(GeneratorOptions {
            labels: self.pairs(map.get("labels"), &format!("{field}.labels"))?,
            annotations: self.pairs(map.get("annotations"), &format!("{field}.annotations"))?,
            disable_name_suffix_hash: self.flag(
                map.get("disableNameSuffixHash"),
                &format!("{field}.disableNameSuffixHash"),
            )?,
            immutable: self.flag(map.get("immutable"), &format!("{field}.immutable"))?,
        })
    }

    fn generator(
        &self,
        item: &Node,
        field: &str,
        kind: &'static str,
    ) -> Result<Generator, Failure> {
        let map = self.map(item, field)?;
        let name = match map.get("name") {
            Some(node) => self.string(node, &format!("{field}.name"))?,
            None => {
                return Err(self.fail(
                    item.span,
                    format!("a `{field}` entry has no `name`; add the name of the {kind}"),
                ));
            }
        };
        let behavior = match map.get("behavior").and_then(Node::as_str) {
            None | Some("" | "create") => Behavior::Create,
            Some("merge") => Behavior::Merge,
            Some("replace") => Behavior::Replace,
            Some(other) => {
                let span = map.get("behavior").map_or(item.span, |node| node.span);
                return Err(self.fail(
                    span,
                    format!("unknown behavior {other:?}; use create, merge or replace"),
                ));
            }
        };
        let mut envs = self.strings(map.get("envs"), &format!("{field}.envs"))?;
        if let Some(env) = map.get("env").filter(|node| !node.is_null()) {
            envs.push(self.string(env, &format!("{field}.env"))?);
        }
        Ok(Generator {
            kind,
            name,
            namespace: self.optional_string(map.get("namespace"), &format!("{field}.namespace"))?,
            behavior,
            literals: self.strings(map.get("literals"), &format!("{field}.literals"))?,
            files: self.strings(map.get("files"), &format!("{field}.files"))?,
            envs,
            secret_type: self.optional_string(map.get("type"), &format!("{field}.type"))?,
            options: self.generator_options(map.get("options"), &format!("{field}.options"))?,
            span: item.span,
        })
    }
}

/// Reads the kustomization in `root`, the root node of its file.
pub(crate) fn read(
    path: &Path,
    dir: &Path,
    file: FileId,
    root: &Node,
) -> Result<Kustomization, Failure> {
    let reader = Reader { path };
    let map = reader.map(root, "the kustomization")?;

    for (key, value) in map {
        if !KNOWN_FIELDS.contains(&key.as_str()) {
            return Err(reader.fail(
                value.span,
                format!(
                    "unknown field `{key}` in the kustomization; kustomize rejects it, so fix \
                     the spelling or remove it"
                ),
            ));
        }
    }

    let kind = match map.get("kind").and_then(Node::as_str) {
        None | Some("Kustomization") => Kind::Kustomization,
        Some("Component") => Kind::Component,
        Some(other) => {
            let span = map.get("kind").map_or(root.span, |node| node.span);
            return Err(reader.fail(
                span,
                format!(
                    "unknown kind {other:?} in a kustomization file; use Kustomization or Component"
                ),
            ));
        }
    };

    let mut resources = reader.strings(map.get("resources"), "resources")?;
    resources.extend(reader.strings(map.get("bases"), "bases")?);

    let mut labels = Vec::new();
    let common = reader.pairs(map.get("commonLabels"), "commonLabels")?;
    if !common.is_empty() {
        labels.push(LabelSet {
            pairs: common,
            include_selectors: true,
            include_templates: true,
        });
    }
    for item in reader.list(map.get("labels"), "labels")? {
        let entry = reader.map(item, "labels")?;
        let include_selectors = reader
            .flag(entry.get("includeSelectors"), "labels.includeSelectors")?
            .unwrap_or(false);
        let include_templates = reader
            .flag(entry.get("includeTemplates"), "labels.includeTemplates")?
            .unwrap_or(false);
        labels.push(LabelSet {
            pairs: reader.pairs(entry.get("pairs"), "labels.pairs")?,
            include_selectors,
            include_templates: include_templates || include_selectors,
        });
    }

    let mut images = Vec::new();
    for item in reader.list(map.get("images"), "images")? {
        let entry = reader.map(item, "images")?;
        let Some(name) = entry.get("name") else {
            return Err(reader.fail(
                item.span,
                "an `images` entry has no `name`; add the image name to replace",
            ));
        };
        let new_tag = match entry.get("newTag").filter(|node| !node.is_null()) {
            // An unquoted tag such as 1.25 is read as a number; kustomize reads it as text.
            Some(node) if matches!(node.value, Value::Number(_)) => {
                Some(Node::new(node.span, Value::String(node.display())))
            }
            other => reader.optional_string(other, "images.newTag")?,
        };
        images.push(ImageRule {
            name: reader.string(name, "images.name")?.text,
            new_name: reader.optional_string(entry.get("newName"), "images.newName")?,
            new_tag,
            digest: reader.optional_string(entry.get("digest"), "images.digest")?,
        });
    }

    let mut replicas = Vec::new();
    for item in reader.list(map.get("replicas"), "replicas")? {
        let entry = reader.map(item, "replicas")?;
        let name = entry.get("name").ok_or_else(|| {
            reader.fail(
                item.span,
                "a `replicas` entry has no `name`; add the workload's name",
            )
        })?;
        let count = entry
            .get("count")
            .filter(|node| node.as_i64().is_some_and(|count| count >= 0))
            .ok_or_else(|| {
                reader.fail(
                    item.span,
                    "a `replicas` entry has no whole `count`; add `count: N`",
                )
            })?;
        replicas.push(ReplicaRule {
            name: reader.string(name, "replicas.name")?.text,
            count: count.clone(),
        });
    }

    let mut strategic_patches = Vec::new();
    for item in reader.list(map.get("patchesStrategicMerge"), "patchesStrategicMerge")? {
        let text = reader.string(item, "patchesStrategicMerge")?;
        // kustomize reads an entry with a line break as the patch itself.
        let source = if text.text.contains('\n') {
            PatchSource::Inline(item.clone())
        } else {
            PatchSource::File(text)
        };
        strategic_patches.push(PatchRule {
            source,
            target: None,
            span: item.span,
        });
    }
    let patches = reader
        .list(map.get("patches"), "patches")?
        .iter()
        .map(|item| reader.patch_rule(item, "patches", false))
        .collect::<Result<Vec<_>, _>>()?;
    let json_patches = reader
        .list(map.get("patchesJson6902"), "patchesJson6902")?
        .iter()
        .map(|item| reader.patch_rule(item, "patchesJson6902", true))
        .collect::<Result<Vec<_>, _>>()?;

    let global_options =
        reader.generator_options(map.get("generatorOptions"), "generatorOptions")?;
    let mut generators = Vec::new();
    for (field, kind) in [
        ("configMapGenerator", "ConfigMap"),
        ("secretGenerator", "Secret"),
    ] {
        for item in reader.list(map.get(field), field)? {
            let mut generator = reader.generator(item, field, kind)?;
            generator.options = global_options.overlaid_by(&generator.options);
            generators.push(generator);
        }
    }

    let unsupported = UNSUPPORTED_FIELDS
        .iter()
        .filter_map(|field| {
            let node = map.get(*field)?;
            let empty = match &node.value {
                Value::Null => true,
                Value::List(items) => items.is_empty(),
                Value::Map(entries) => entries.is_empty(),
                _ => false,
            };
            (!empty).then(|| Spanned {
                text: (*field).to_owned(),
                span: node.span,
            })
        })
        .collect();

    Ok(Kustomization {
        path: path.to_path_buf(),
        dir: dir.to_path_buf(),
        file,
        kind,
        resources,
        components: reader.strings(map.get("components"), "components")?,
        namespace: reader.optional_string(map.get("namespace"), "namespace")?,
        name_prefix: reader.optional_string(map.get("namePrefix"), "namePrefix")?,
        name_suffix: reader.optional_string(map.get("nameSuffix"), "nameSuffix")?,
        labels,
        annotations: reader.pairs(map.get("commonAnnotations"), "commonAnnotations")?,
        images,
        replicas,
        strategic_patches,
        patches,
        json_patches,
        generators,
        unsupported,
    })
}

/// Describes a value's type for messages: "a list", "a number".
pub(crate) fn describe(node: &Node) -> &'static str {
    match node.value {
        Value::Null => "empty",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::List(_) => "a list",
        Value::Map(_) => "a map",
        Value::Unknown(_) => "unknown",
    }
}
