//! The build of one overlay: resources, components, generators, then transformers, in
//! the order kustomize v5 runs them at each level.
//!
//! Each kustomization first adds its resources (and legacy bases) in the listed order,
//! each directory built on its own first. Then each component is applied to everything
//! accumulated so far, and the generators run. Last come the transformers, in the order
//! of kustomize v5's `configureBuiltinTransformers`: `patchesStrategicMerge`, `patches`,
//! `namespace`, `namePrefix`/`nameSuffix`, `labels`/`commonLabels`, `commonAnnotations`,
//! `patchesJson6902`, `replicas` and `images`. After the top level, generated names get
//! their hash suffix and references to renamed objects are updated.

use std::path::{Path, PathBuf};

use nexafi_model::{InputKind, Node, Resource, Span, Value};

use super::object::{Behavior, Failure, Object};
use super::paths::{is_within, looks_remote, normalize};
use super::select::Matcher;
use super::spec::{self, Kind, Kustomization, PatchRule, PatchSource, Spanned};
use super::{Builder, FILE_NAMES, generate, json_patch, merge, names, transform};
use crate::kubernetes::{CLUSTER_SCOPED_KINDS, GROUP, MAX_DEPTH, UNNAMED, yaml};
use crate::{Diagnostic, DiagnosticLevel, Loaded};

/// Maximum nesting of overlays including overlays. Real layouts nest a few levels; the
/// bound keeps a long chain of directories from exhausting the stack.
const MAX_NESTING: usize = 64;

pub(crate) fn build(builder: &Builder<'_>, dir: &Path) -> Loaded {
    let mut run = Run {
        builder,
        diagnostics: Vec::new(),
        stack: Vec::new(),
    };
    let dir = normalize(dir);
    let mut loaded = Loaded::default();
    match run.build_root(&dir) {
        Ok(objects) => {
            loaded.resources = objects.into_iter().map(to_resource).collect();
        }
        Err(failure) => run.diagnostics.push(Diagnostic {
            level: DiagnosticLevel::Error,
            path: failure.path,
            span: failure.span,
            message: failure.message,
            subject: None,
        }),
    }
    loaded.diagnostics = run.diagnostics;
    loaded
}

struct Run<'b, 'a> {
    builder: &'b Builder<'a>,
    diagnostics: Vec<Diagnostic>,
    /// Overlay directories being built, outermost first, to report include cycles.
    stack: Vec<PathBuf>,
}

impl Run<'_, '_> {
    fn build_root(&mut self, dir: &Path) -> Result<Vec<Object>, Failure> {
        let kustomization = self.load_kustomization(dir, None)?;
        if kustomization.kind == Kind::Component {
            return Err(Failure::new(
                &kustomization.path,
                None,
                "a Component cannot be built on its own; list its directory under `components` \
                 of a kustomization",
            ));
        }
        self.stack.push(dir.to_path_buf());
        let mut objects = Vec::new();
        self.accumulate(&kustomization, &mut objects)?;
        self.stack.pop();

        for object in objects.iter_mut().filter(|object| object.needs_hash) {
            let suffix = generate::hash_suffix(object);
            let name = format!("{}-{suffix}", object.name());
            object.rename(name);
        }
        names::fix_references(&mut objects);
        Ok(objects)
    }

    fn unknown(&mut self, path: &Path, span: Span, message: String) {
        self.diagnostics.push(Diagnostic {
            level: DiagnosticLevel::Unknown,
            path: path.to_path_buf(),
            span: Some(span),
            message,
            subject: None,
        });
    }

    /// Reads the kustomization of `dir`. `entry` is the list entry that named the
    /// directory, which failures point at.
    fn load_kustomization(
        &mut self,
        dir: &Path,
        entry: Option<(&Kustomization, &Spanned)>,
    ) -> Result<Kustomization, Failure> {
        let at_entry = |message: String| match entry {
            Some((parent, item)) => Failure::new(&parent.path, Some(item.span), message),
            None => Failure::new(dir, None, message),
        };
        let present: Vec<PathBuf> = FILE_NAMES
            .iter()
            .map(|name| dir.join(name))
            .filter(|path| path.is_file())
            .collect();
        let path = match present.as_slice() {
            [] => {
                return Err(at_entry(format!(
                    "{} has no kustomization.yaml, kustomization.yml or Kustomization; add one \
                     that lists the directory's manifests under `resources`, or list the files \
                     themselves",
                    dir.display()
                )));
            }
            [one] => one.clone(),
            [first, second, ..] => {
                return Err(at_entry(format!(
                    "{} holds both {} and {}; kustomize accepts only one, so delete the other",
                    dir.display(),
                    file_name(first),
                    file_name(second)
                )));
            }
        };
        let (file, source) = self
            .builder
            .read(&path)
            .map_err(|error| at_entry(format!("cannot read {}: {error}", path.display())))?;
        let stream = yaml::read_stream(&source.text, file);
        if let Some(error) = stream.errors.into_iter().next() {
            return Err(Failure::new(&path, Some(error.span), error.message));
        }
        let root = match stream.documents.into_iter().next() {
            Some(root) => root,
            None => Node::new(Span::point(file, 0), Value::Map(Default::default())),
        };
        spec::read(&path, dir, file, &root)
    }

    fn accumulate(
        &mut self,
        kustomization: &Kustomization,
        objects: &mut Vec<Object>,
    ) -> Result<(), Failure> {
        if self.stack.len() > MAX_NESTING {
            return Err(Failure::new(
                &kustomization.path,
                None,
                format!("overlays nest more than {MAX_NESTING} levels deep; flatten the layout"),
            ));
        }
        for field in &kustomization.unsupported {
            self.unknown(
                &kustomization.path,
                field.span,
                format!(
                    "`{}` is not applied by nexafi's kustomize builder, so the objects it \
                     changes were checked without it; render the overlay with `kustomize build` \
                     and scan the output to check them",
                    field.text
                ),
            );
        }

        for entry in &kustomization.resources {
            self.add_resource(kustomization, entry, objects)?;
        }
        for entry in &kustomization.components {
            let dir = normalize(&kustomization.dir.join(&entry.text));
            if !dir.is_dir() && looks_remote(&entry.text) {
                self.unknown(
                    &kustomization.path,
                    entry.span,
                    format!(
                        "remote component {:?} is not fetched (nexafi works offline), so its \
                         objects and patches were not applied; vendor it into the repository \
                         and list the local path",
                        entry.text
                    ),
                );
                continue;
            }
            if !dir.is_dir() {
                return Err(Failure::new(
                    &kustomization.path,
                    Some(entry.span),
                    format!(
                        "component {:?} not found: {} is not a directory; fix the path or remove the entry",
                        entry.text,
                        dir.display()
                    ),
                ));
            }
            self.enter(kustomization, entry, &dir)?;
            let component = self.load_kustomization(&dir, Some((kustomization, entry)))?;
            if component.kind != Kind::Component {
                return Err(Failure::new(
                    &kustomization.path,
                    Some(entry.span),
                    format!(
                        "{:?} is listed under `components` but its kind is Kustomization; list it \
                         under `resources`, or set `kind: Component` in it",
                        entry.text
                    ),
                ));
            }
            self.accumulate(&component, objects)?;
            self.stack.pop();
        }
        for generator in &kustomization.generators {
            self.apply_generator(kustomization, generator, objects)?;
        }
        self.transform(kustomization, objects)
    }

    /// Pushes `dir` on the include stack, failing on a cycle.
    fn enter(
        &mut self,
        kustomization: &Kustomization,
        entry: &Spanned,
        dir: &Path,
    ) -> Result<(), Failure> {
        if let Some(start) = self.stack.iter().position(|open| open == dir) {
            let mut chain: Vec<String> = self.stack[start..]
                .iter()
                .map(|dir| dir.display().to_string())
                .collect();
            chain.push(dir.display().to_string());
            return Err(Failure::new(
                &kustomization.path,
                Some(entry.span),
                format!(
                    "overlays include each other in a cycle ({}); remove the entry that points back",
                    chain.join(" -> ")
                ),
            ));
        }
        self.stack.push(dir.to_path_buf());
        Ok(())
    }

    fn add_resource(
        &mut self,
        kustomization: &Kustomization,
        entry: &Spanned,
        objects: &mut Vec<Object>,
    ) -> Result<(), Failure> {
        let path = normalize(&kustomization.dir.join(&entry.text));
        if path.is_dir() {
            self.enter(kustomization, entry, &path)?;
            let base = self.load_kustomization(&path, Some((kustomization, entry)))?;
            if base.kind == Kind::Component {
                return Err(Failure::new(
                    &kustomization.path,
                    Some(entry.span),
                    format!(
                        "{:?} is a Component; list it under `components`, not `resources`",
                        entry.text
                    ),
                ));
            }
            let mut included = Vec::new();
            self.accumulate(&base, &mut included)?;
            self.stack.pop();
            for object in included {
                add_object(kustomization, entry, objects, object)?;
            }
            return Ok(());
        }
        if path.is_file() {
            if !is_within(&kustomization.dir, &path) {
                return Err(Failure::new(
                    &kustomization.path,
                    Some(entry.span),
                    format!(
                        "{} is outside {}, and kustomize loads resource files only from in or \
                         below the kustomization directory; list the directory that holds it, \
                         with its own kustomization, instead",
                        path.display(),
                        kustomization.dir.display()
                    ),
                ));
            }
            for node in self.read_documents(kustomization, entry, &path)? {
                let mut items = Vec::new();
                expand_lists(node, &mut items, 0);
                for item in items {
                    let object = checked_object(&path, item)?;
                    add_object(kustomization, entry, objects, object)?;
                }
            }
            return Ok(());
        }
        if looks_remote(&entry.text) {
            self.unknown(
                &kustomization.path,
                entry.span,
                format!(
                    "remote resource {:?} is not fetched (nexafi works offline), so its objects \
                     were not checked; vendor it into the repository and list the local path",
                    entry.text
                ),
            );
            return Ok(());
        }
        Err(Failure::new(
            &kustomization.path,
            Some(entry.span),
            format!(
                "resource {:?} not found: {} does not exist; fix the path or remove the entry",
                entry.text,
                path.display()
            ),
        ))
    }

    /// Reads the YAML documents of a file that a kustomization entry names.
    fn read_documents(
        &mut self,
        kustomization: &Kustomization,
        entry: &Spanned,
        path: &Path,
    ) -> Result<Vec<Node>, Failure> {
        let (file, source) = self.builder.read(path).map_err(|error| {
            Failure::new(
                &kustomization.path,
                Some(entry.span),
                format!("cannot read {}: {error}", path.display()),
            )
        })?;
        let stream = yaml::read_stream(&source.text, file);
        if let Some(error) = stream.errors.into_iter().next() {
            return Err(Failure::new(path, Some(error.span), error.message));
        }
        Ok(stream.documents)
    }

    fn apply_generator(
        &mut self,
        kustomization: &Kustomization,
        generator: &spec::Generator,
        objects: &mut Vec<Object>,
    ) -> Result<(), Failure> {
        let generated = generate::generate(self.builder, kustomization, generator)?;
        let name = &generator.name.text;
        let existing = objects
            .iter()
            .position(|object| object.kind() == generator.kind && object.answers_to(name));
        let fail =
            |message: String| Failure::new(&kustomization.path, Some(generator.span), message);
        match (generator.behavior, existing) {
            (Behavior::Create, None) => {
                objects.push(generated);
                Ok(())
            }
            (Behavior::Create, Some(_)) => Err(fail(format!(
                "{} {name:?} already exists in a base; set `behavior: merge` or `behavior: replace` to change it",
                generator.kind
            ))),
            (_, None) => Err(fail(format!(
                "{} {name:?} has behavior merge or replace, but no base defines it; remove the behavior \
                 or fix the name",
                generator.kind
            ))),
            (behavior, Some(index)) => {
                let target = &mut objects[index];
                merge_generated(target, generated, behavior);
                if let Some(disable) = generator.options.disable_name_suffix_hash {
                    target.needs_hash = !disable;
                }
                Ok(())
            }
        }
    }

    fn transform(
        &mut self,
        kustomization: &Kustomization,
        objects: &mut Vec<Object>,
    ) -> Result<(), Failure> {
        for rule in &kustomization.strategic_patches {
            self.apply_patch(kustomization, rule, objects)?;
        }
        for rule in &kustomization.patches {
            self.apply_patch(kustomization, rule, objects)?;
        }
        if let Some(namespace) = &kustomization.namespace {
            transform::namespace(objects, namespace);
        }
        transform::rename(
            objects,
            kustomization.name_prefix.as_ref(),
            kustomization.name_suffix.as_ref(),
        );
        for set in &kustomization.labels {
            transform::labels(objects, set);
        }
        transform::annotations(objects, &kustomization.annotations);
        for rule in &kustomization.json_patches {
            self.apply_patch(kustomization, rule, objects)?;
        }
        transform::replicas(objects, &kustomization.replicas);
        transform::images(objects, &kustomization.images);
        Ok(())
    }

    fn apply_patch(
        &mut self,
        kustomization: &Kustomization,
        rule: &PatchRule,
        objects: &mut Vec<Object>,
    ) -> Result<(), Failure> {
        let fail = |message: String| Failure::new(&kustomization.path, Some(rule.span), message);
        let (documents, origin) = match &rule.source {
            PatchSource::File(entry) => {
                let path = normalize(&kustomization.dir.join(&entry.text));
                if !path.is_file() {
                    return Err(Failure::new(
                        &kustomization.path,
                        Some(entry.span),
                        format!(
                            "patch file {:?} not found: {} does not exist; fix the path or remove the entry",
                            entry.text,
                            path.display()
                        ),
                    ));
                }
                if !is_within(&kustomization.dir, &path) {
                    return Err(Failure::new(
                        &kustomization.path,
                        Some(entry.span),
                        format!(
                            "{} is outside {}, and kustomize loads patches only from in or below \
                             the kustomization directory; move the patch there",
                            path.display(),
                            kustomization.dir.display()
                        ),
                    ));
                }
                (
                    self.read_documents(kustomization, entry, &path)?,
                    path.display().to_string(),
                )
            }
            PatchSource::Inline(node) => (
                self.inline_documents(kustomization, node)?,
                "the inline patch".to_owned(),
            ),
        };
        let matcher = match &rule.target {
            Some(selector) => Some(Matcher::new(selector).map_err(|message| {
                Failure::new(
                    &kustomization.path,
                    Some(selector.span),
                    format!("{message}; fix the target"),
                )
            })?),
            None => None,
        };

        for document in documents {
            if let Value::List(operations) = &document.value {
                let Some(matcher) = &matcher else {
                    return Err(fail(format!(
                        "{origin} is a JSON patch (a list of operations) but the entry has no \
                         `target`; name the object to patch under `target`"
                    )));
                };
                for object in objects.iter_mut().filter(|object| matcher.matches(object)) {
                    let description = object.describe();
                    json_patch::apply(&mut object.node, operations).map_err(|error| {
                        fail(format!(
                            "JSON patch {origin} failed on {description}: {error}; fix the patch"
                        ))
                    })?;
                }
                continue;
            }
            if document.as_map().is_none() {
                return Err(fail(format!(
                    "{origin} is {}, not a map or a list of operations; write a strategic merge \
                     patch or a JSON patch",
                    spec::describe(&document)
                )));
            }
            let targets: Vec<usize> = match &matcher {
                Some(matcher) => (0..objects.len())
                    .filter(|index| matcher.matches(&objects[*index]))
                    .collect(),
                None => vec![
                    implied_target(&document, objects)
                        .map_err(|message| fail(format!("{message} ({origin})")))?,
                ],
            };
            let mut deleted = Vec::new();
            for index in targets {
                let object = &mut objects[index];
                let builtin = merge::is_builtin_group(object.group());
                if merge::apply(&mut object.node, document.clone(), builtin)
                    == merge::Outcome::Deleted
                {
                    deleted.push(index);
                }
            }
            for index in deleted.into_iter().rev() {
                objects.remove(index);
            }
        }
        Ok(())
    }

    /// Parses a patch written inline in the kustomization. When the patch is a literal
    /// block (`patch: |-`), its lines appear verbatim after the indentation, so spans point
    /// at them. Otherwise every span points at the whole string.
    fn inline_documents(
        &mut self,
        kustomization: &Kustomization,
        node: &Node,
    ) -> Result<Vec<Node>, Failure> {
        let text = node.as_str().unwrap_or_default();
        let stream = yaml::read_stream(text, kustomization.file);
        let source = self.builder.sources.get(kustomization.file);
        let lines = source
            .as_ref()
            .and_then(|source| block_lines(&source.text, node.span, text));
        let remap = |span: Span| -> Span {
            match &lines {
                Some(lines) => Span::new(
                    kustomization.file,
                    lines.map(span.start as usize),
                    lines.map(span.end as usize),
                ),
                None => node.span,
            }
        };
        if let Some(error) = stream.errors.into_iter().next() {
            return Err(Failure::new(
                &kustomization.path,
                Some(remap(error.span)),
                error.message,
            ));
        }
        Ok(stream
            .documents
            .into_iter()
            .map(|mut document| {
                respan(&mut document, &remap, 0);
                document
            })
            .collect())
    }
}

/// Offsets of the lines of a literal block scalar: where each line of the string starts,
/// and where that line's text starts in the file.
struct BlockLines {
    starts: Vec<(usize, usize)>,
}

impl BlockLines {
    fn map(&self, offset: usize) -> usize {
        let index = self
            .starts
            .partition_point(|(start, _)| *start <= offset)
            .saturating_sub(1);
        self.starts
            .get(index)
            .map_or(offset, |(start, file)| file + (offset - start))
    }
}

/// Finds the lines of the literal block scalar at `span` in `file_text`, or `None` when
/// the scalar is not written as a literal block whose lines give back `value`.
fn block_lines(file_text: &str, span: Span, value: &str) -> Option<BlockLines> {
    let start = span.start as usize;
    let written = file_text.get(start..)?;
    // The scalar's span starts either at its `|` indicator or at its first content line.
    let body_start = if written.starts_with('|') {
        start + written.find('\n')? + 1
    } else {
        let line_start = file_text
            .get(..start)?
            .rfind('\n')
            .map_or(0, |index| index + 1);
        let header = file_text.get(..line_start.checked_sub(1)?)?;
        let header = &header[header.rfind('\n').map_or(0, |index| index + 1)..];
        let indicator = header.trim_end().rsplit(' ').next().unwrap_or_default();
        let literal = indicator.starts_with('|')
            && indicator[1..]
                .chars()
                .all(|c| matches!(c, '-' | '+') || c.is_ascii_digit());
        let indented = file_text.get(line_start..start)?.chars().all(|c| c == ' ');
        if !literal || !indented {
            return None;
        }
        line_start
    };
    let body = file_text.get(body_start..)?;
    let indent = body
        .lines()
        .find(|line| !line.trim().is_empty())
        .map(|line| line.len() - line.trim_start_matches(' ').len())?;
    if indent == 0 {
        return None;
    }

    let mut starts = Vec::new();
    let mut rebuilt = String::new();
    let mut offset = body_start;
    for line in body.split_inclusive('\n') {
        let content = line.trim_end_matches(['\n', '\r']);
        let blank = content.trim().is_empty();
        if !blank && content.len() - content.trim_start_matches(' ').len() < indent {
            break;
        }
        // Only the indentation's spaces are skipped: a blank line may be shorter, or hold
        // other whitespace that must not be cut through.
        let skip = content
            .bytes()
            .take(indent)
            .take_while(|byte| *byte == b' ')
            .count();
        starts.push((rebuilt.len(), offset + skip));
        rebuilt.push_str(&line[skip..]);
        offset += line.len();
    }
    (rebuilt.trim_end() == value.trim_end()).then_some(BlockLines { starts })
}

fn respan(node: &mut Node, remap: &dyn Fn(Span) -> Span, depth: usize) {
    node.span = remap(node.span);
    if depth > MAX_DEPTH {
        return;
    }
    match &mut node.value {
        Value::List(items) => items
            .iter_mut()
            .for_each(|item| respan(item, remap, depth + 1)),
        Value::Map(map) => map
            .values_mut()
            .for_each(|value| respan(value, remap, depth + 1)),
        _ => {}
    }
}

/// Finds the one object a strategic merge patch without `target` names through its own
/// kind, name and (when set) namespace and API group.
fn implied_target(patch: &Node, objects: &[Object]) -> Result<usize, String> {
    let probe = Object::new(patch.clone());
    if probe.kind().is_empty() || probe.name().is_empty() {
        return Err(
            "the patch has no `kind` or `metadata.name`, so it names no object; add them, or a \
             `target` to the entry"
                .to_owned(),
        );
    }
    let matches: Vec<usize> = objects
        .iter()
        .enumerate()
        .filter(|(_, object)| {
            object.kind() == probe.kind()
                && object.answers_to(probe.name())
                && (probe.group().is_empty() || probe.group() == object.group())
                && (probe.namespace().is_empty() || probe.namespace() == object.namespace())
        })
        .map(|(index, _)| index)
        .collect();
    match matches.as_slice() {
        [one] => Ok(*one),
        [] => Err(format!(
            "the patch target {} is not among the overlay's objects; fix the kind and name \
             in the patch, or add the object to `resources`",
            probe.describe()
        )),
        _ => Err(format!(
            "the patch target {} matches {} objects; add `metadata.namespace` to the patch or \
             a `target` to the entry",
            probe.describe(),
            matches.len()
        )),
    }
}

/// Combines a generated ConfigMap or Secret into the base object of the same name.
fn merge_generated(target: &mut Object, generated: Object, behavior: Behavior) {
    let Value::Map(generated_body) = generated.node.value else {
        return;
    };
    let Value::Map(body) = &mut target.node.value else {
        return;
    };
    for field in ["data", "binaryData"] {
        let Some(new) = generated_body.get(field).cloned() else {
            if behavior == Behavior::Replace {
                body.shift_remove(field);
            }
            continue;
        };
        match (behavior, body.get_mut(field)) {
            (
                Behavior::Merge,
                Some(Node {
                    value: Value::Map(existing),
                    ..
                }),
            ) => {
                if let Value::Map(entries) = new.value {
                    existing.extend(entries);
                }
            }
            _ => {
                body.insert(field.to_owned(), new);
            }
        }
    }
    if let Some(Node {
        value: Value::Map(new_metadata),
        ..
    }) = generated_body.get("metadata")
    {
        for field in ["labels", "annotations"] {
            let Some(Node {
                value: Value::Map(pairs),
                span,
            }) = new_metadata.get(field)
            else {
                continue;
            };
            if let Some(map) =
                super::object::ensure_map(&mut target.node, &["metadata", field], *span)
            {
                map.extend(pairs.clone());
            }
        }
    }
}

/// Adds an object, rejecting a second object with the same kind, namespace and name.
fn add_object(
    kustomization: &Kustomization,
    entry: &Spanned,
    objects: &mut Vec<Object>,
    object: Object,
) -> Result<(), Failure> {
    let id = object.id();
    if objects.iter().any(|existing| existing.id() == id) {
        return Err(Failure::new(
            &kustomization.path,
            Some(entry.span),
            format!(
                "{} is added twice (the entry {:?} adds it again); kustomize rejects the overlay, \
                 so remove one of them or rename one with namePrefix in its own kustomization",
                object.describe(),
                entry.text
            ),
        ));
    }
    objects.push(object);
    Ok(())
}

/// Flattens `kind: List` documents into their items.
fn expand_lists(node: Node, out: &mut Vec<Node>, depth: usize) {
    let is_list = node.get("kind").and_then(Node::as_str) == Some("List")
        && node.get("items").and_then(Node::as_list).is_some();
    if !is_list || depth > MAX_DEPTH {
        out.push(node);
        return;
    }
    if let Value::Map(mut map) = node.value
        && let Some(Node {
            value: Value::List(items),
            ..
        }) = map.shift_remove("items")
    {
        for item in items {
            expand_lists(item, out, depth + 1);
        }
    }
}

/// Checks that a resource document is a Kubernetes object kustomize can identify.
fn checked_object(path: &Path, node: Node) -> Result<Object, Failure> {
    let object = Object::new(node);
    let problem = if object.node.as_map().is_none() {
        Some(
            "a document is not a map; every document of a resource file must be a Kubernetes object",
        )
    } else if object.api_version().is_empty() || object.kind().is_empty() {
        Some("a document has no `apiVersion` or `kind`; add both, or remove the document")
    } else if object.name().is_empty() {
        Some(
            "an object has no `metadata.name`; kustomize needs a name to identify each object, so add one",
        )
    } else {
        None
    };
    match problem {
        Some(message) => Err(Failure::new(path, Some(object.node.span), message)),
        None => Ok(object),
    }
}

fn to_resource(object: Object) -> Resource {
    let api_version = object.api_version().to_owned();
    let kind = object.kind().to_owned();
    let name = match object.name() {
        "" => UNNAMED.to_owned(),
        name => name.to_owned(),
    };
    let address = if CLUSTER_SCOPED_KINDS.contains(&kind.as_str()) {
        format!("{api_version}/{kind}/{name}")
    } else {
        let namespace = match object.namespace() {
            "" => "default",
            namespace => namespace,
        };
        format!("{api_version}/{kind}/{namespace}/{name}")
    };
    let name_span = object
        .node
        .lookup("metadata.name")
        .node()
        .map_or(object.node.span, |node| node.span);
    Resource {
        address,
        input: InputKind::Kubernetes,
        kind,
        group: GROUP.to_owned(),
        span: object.node.span,
        name_span,
        body: object.node,
        references: Vec::new(),
        instances_unknown: None,
    }
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    )
}
