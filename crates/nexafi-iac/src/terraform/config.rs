//! Reads the files of one module directory into its declarations: variables, locals,
//! resources, data sources, module calls and outputs.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use nexafi_model::{FileId, SourceFile, SourceMap, Span};

use super::hcl::{self, SyntaxError};
use super::json;
use super::syntax::{Block, Body, Expr, Item};
use crate::{Diagnostic, DiagnosticLevel};

/// Top-level attributes of a resource block that are Terraform's, not the provider's; the
/// body of the resource model leaves them out.
pub(crate) const META_ATTRIBUTES: &[&str] = &["count", "for_each", "provider", "depends_on"];

/// Nested blocks of a resource that are Terraform's, not the provider's.
pub(crate) const META_BLOCKS: &[&str] = &["lifecycle", "provisioner", "connection"];

/// Managed resource or data source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    Managed,
    Data,
}

/// Every declaration of one module directory.
#[derive(Debug)]
pub(crate) struct ModuleConfig {
    /// The directory as shown to users.
    pub dir: PathBuf,
    /// The first file read, where the synthetic root resource points.
    pub first_file: Option<FileId>,
    pub variables: Vec<Variable>,
    pub locals: Vec<Local>,
    pub resources: Vec<ResourceConfig>,
    pub calls: Vec<ModuleCall>,
    pub outputs: Vec<Output>,
    pub variable_index: HashMap<String, usize>,
    pub local_index: HashMap<String, usize>,
    /// `TYPE.NAME` for managed resources, `data.TYPE.NAME` for data sources.
    pub resource_index: HashMap<String, usize>,
    pub call_index: HashMap<String, usize>,
    pub output_index: HashMap<String, usize>,
}

#[derive(Debug)]
pub(crate) struct Variable {
    pub name: String,
    pub labels_span: Span,
    pub default: Option<Expr>,
    pub type_expr: Option<Expr>,
    /// `nullable = false`: a null input falls back to the default.
    pub nullable: bool,
}

#[derive(Debug)]
pub(crate) struct Local {
    pub name: String,
    pub name_span: Span,
    pub expr: Expr,
}

#[derive(Debug)]
pub(crate) struct ResourceConfig {
    pub mode: Mode,
    /// The resource type, `aws_s3_bucket`.
    pub kind: String,
    /// `TYPE.NAME` or `data.TYPE.NAME`, without a module prefix.
    pub address: String,
    pub body: Body,
    pub count: Option<Expr>,
    pub for_each: Option<Expr>,
    pub span: Span,
    pub labels_span: Span,
}

impl ResourceConfig {
    /// Tells whether the configuration sets a top-level attribute or nested block `name`;
    /// other attributes are computed by the provider.
    pub fn configures(&self, name: &str) -> bool {
        self.body.items.iter().any(|item| match item {
            Item::Attribute(attribute) => attribute.name == name,
            Item::Block(block) => {
                block.kind == name
                    || block.kind == "dynamic"
                        && block.labels.first().is_some_and(|label| label == name)
            }
        })
    }
}

#[derive(Debug)]
pub(crate) struct ModuleCall {
    pub name: String,
    pub source: Option<String>,
    pub body: Body,
    pub count: Option<Expr>,
    pub for_each: Option<Expr>,
    pub span: Span,
    pub labels_span: Span,
}

/// Arguments of a `module` block that are Terraform's; the others are the module's inputs.
pub(crate) const MODULE_META_ATTRIBUTES: &[&str] = &[
    "source",
    "version",
    "count",
    "for_each",
    "providers",
    "depends_on",
];

#[derive(Debug)]
pub(crate) struct Output {
    pub name: String,
    pub expr: Option<Expr>,
    pub labels_span: Span,
}

/// A file that was read and parsed, ready to be merged into a module.
pub(crate) struct ParsedFile {
    pub body: Body,
    pub is_override: bool,
}

/// Reads and parses one configuration file (`.tf` or `.tf.json`), adding it to `sources`.
/// Problems become diagnostics; the returned body is `None` when nothing could be read.
pub(crate) fn read_config_file(
    path: &Path,
    sources: &SourceMap,
    diagnostics: &mut Vec<Diagnostic>,
) -> (Option<FileId>, Option<ParsedFile>) {
    let Some((file, source)) = read_source(path, sources, diagnostics) else {
        return (None, None);
    };
    let text = source.text.as_str();
    let name = file_name(path);
    let is_override = is_override_file(name);
    let parsed = if name.ends_with(".json") {
        json::parse(text, file).and_then(|value| json::config_body(&value))
    } else {
        hcl::parse_body(text, file).map(|body| (body, Vec::new()))
    };
    match parsed {
        Ok((body, errors)) => {
            for error in errors {
                diagnostics.push(syntax_diagnostic(path, file, text, &error, name));
            }
            (Some(file), Some(ParsedFile { body, is_override }))
        }
        Err(error) => {
            diagnostics.push(syntax_diagnostic(path, file, text, &error, name));
            (Some(file), None)
        }
    }
}

/// Reads a file as UTF-8 text and stores it in `sources`.
pub(crate) fn read_source(
    path: &Path,
    sources: &SourceMap,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<(FileId, Arc<SourceFile>)> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) => {
            diagnostics.push(Diagnostic {
                level: DiagnosticLevel::Error,
                path: path.to_path_buf(),
                span: None,
                message: format!(
                    "cannot read the file: {error}; check that it exists and is readable"
                ),
                subject: None,
            });
            return None;
        }
    };
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(_) => {
            diagnostics.push(Diagnostic {
                level: DiagnosticLevel::Error,
                path: path.to_path_buf(),
                span: None,
                message: "the file is not valid UTF-8; save it as UTF-8, as Terraform requires"
                    .to_owned(),
                subject: None,
            });
            return None;
        }
    };
    let file = sources.add(path, text);
    sources.get(file).map(|source| (file, source))
}

/// Builds the diagnostic for a syntax error, pointing at the character where it starts.
pub(crate) fn syntax_diagnostic(
    path: &Path,
    file: FileId,
    text: &str,
    error: &SyntaxError,
    name: &str,
) -> Diagnostic {
    // hcl-edit may report an offset inside a multi-byte character: step back to its start.
    let mut start = error.offset.min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let end = text[start..]
        .chars()
        .next()
        .map_or(start, |character| start + character.len_utf8());
    let syntax = if name.ends_with(".json") {
        "JSON"
    } else {
        "HCL"
    };
    Diagnostic {
        level: DiagnosticLevel::Error,
        path: path.to_path_buf(),
        span: Some(Span::new(file, start, end)),
        message: format!(
            "invalid {syntax} syntax: {}; correct the file at this position \
             (`terraform validate` reports the same problem)",
            error.message
        ),
        subject: None,
    }
}

fn file_name(path: &Path) -> &str {
    path.file_name()
        .and_then(|name| name.to_str())
        .unwrap_or("")
}

/// Tells whether `name` is a configuration file Terraform reads: `.tf` or `.tf.json`.
pub(crate) fn is_config_file(name: &str) -> bool {
    name.ends_with(".tf") || name.ends_with(".tf.json")
}

fn is_override_file(name: &str) -> bool {
    let stem = name
        .strip_suffix(".tf.json")
        .or_else(|| name.strip_suffix(".tf"))
        .unwrap_or(name);
    stem == "override" || stem.ends_with("_override")
}

/// Lists the configuration files of a module directory, sorted by name.
pub(crate) fn module_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let is_file = entry
            .file_type()
            .map(|kind| kind.is_file() || kind.is_symlink())?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            continue;
        };
        if is_file && is_config_file(name) && !name.starts_with('.') {
            files.push(entry.path());
        }
    }
    files.sort();
    Ok(files)
}

/// Reads every file of a module and collects its declarations. `files` are read in the
/// order given, override files last.
pub(crate) fn load_module(
    dir: &Path,
    files: &[PathBuf],
    sources: &SourceMap,
    diagnostics: &mut Vec<Diagnostic>,
) -> ModuleConfig {
    let mut first_file = None;
    let mut primary: Vec<Block> = Vec::new();
    let mut overrides: Vec<Block> = Vec::new();
    for path in files {
        let (file, parsed) = read_config_file(path, sources, diagnostics);
        if first_file.is_none() {
            first_file = file;
        }
        let Some(parsed) = parsed else {
            continue;
        };
        let blocks = parsed.body.items.into_iter().filter_map(|item| match item {
            Item::Block(block) => Some(block),
            Item::Attribute(_) => None,
        });
        if parsed.is_override {
            overrides.extend(blocks);
        } else {
            primary.extend(blocks);
        }
    }
    for block in overrides {
        apply_override(&mut primary, block);
    }

    let mut builder = Builder {
        config: ModuleConfig {
            dir: dir.to_path_buf(),
            first_file,
            variables: Vec::new(),
            locals: Vec::new(),
            resources: Vec::new(),
            calls: Vec::new(),
            outputs: Vec::new(),
            variable_index: HashMap::new(),
            local_index: HashMap::new(),
            resource_index: HashMap::new(),
            call_index: HashMap::new(),
            output_index: HashMap::new(),
        },
        sources,
        diagnostics,
    };
    for block in primary {
        builder.add(block);
    }
    builder.config
}

/// Merges an override block into the block it overrides, as Terraform does for
/// `override.tf` and `*_override.tf`. An override without a base block is dropped.
fn apply_override(blocks: &mut [Block], block: Block) {
    if block.kind == "locals" {
        for item in block.body.items {
            let Item::Attribute(attribute) = item else {
                continue;
            };
            let target = blocks
                .iter_mut()
                .filter(|base| base.kind == "locals")
                .flat_map(|base| base.body.items.iter_mut())
                .find(
                    |item| matches!(item, Item::Attribute(local) if local.name == attribute.name),
                );
            if let Some(target) = target {
                *target = Item::Attribute(attribute);
            }
        }
        return;
    }
    if let Some(base) = blocks
        .iter_mut()
        .find(|base| base.kind == block.kind && base.labels == block.labels)
    {
        base.body.merge_override(block.body);
    }
}

struct Builder<'a> {
    config: ModuleConfig,
    sources: &'a SourceMap,
    diagnostics: &'a mut Vec<Diagnostic>,
}

impl Builder<'_> {
    fn add(&mut self, block: Block) {
        match (block.kind.as_str(), block.labels.len()) {
            ("resource", 2) => self.add_resource(Mode::Managed, block),
            ("data", 2) => self.add_resource(Mode::Data, block),
            ("variable", 1) => self.add_variable(block),
            ("locals", 0) => self.add_locals(block),
            ("module", 1) => self.add_call(block),
            ("output", 1) => self.add_output(block),
            ("resource" | "data" | "variable" | "module" | "output" | "locals", _) => {
                let message = format!(
                    "a {} block has {} labels, which Terraform rejects; write it as `{}`",
                    block.kind,
                    block.labels.len(),
                    match block.kind.as_str() {
                        "resource" => "resource \"TYPE\" \"NAME\" { ... }",
                        "data" => "data \"TYPE\" \"NAME\" { ... }",
                        "locals" => "locals { ... }",
                        _ => "KIND \"NAME\" { ... }",
                    }
                );
                self.error(block.labels_span, message, None);
            }
            // Providers, settings, moved/import/check blocks: nothing to evaluate.
            _ => {}
        }
    }

    fn error(&mut self, span: Span, message: String, subject: Option<String>) {
        let path = self
            .sources
            .get(span.file)
            .map(|file| file.path.clone())
            .unwrap_or_else(|| self.config.dir.clone());
        self.diagnostics.push(Diagnostic {
            level: DiagnosticLevel::Error,
            path,
            span: Some(span),
            message,
            subject,
        });
    }

    fn duplicate(&mut self, what: &str, span: Span) {
        self.error(
            span,
            format!("{what} is declared more than once; rename or remove one of the declarations"),
            None,
        );
    }

    fn add_resource(&mut self, mode: Mode, block: Block) {
        let [kind, name] = <[String; 2]>::try_from(block.labels).unwrap_or_default();
        let address = match mode {
            Mode::Managed => format!("{kind}.{name}"),
            Mode::Data => format!("data.{kind}.{name}"),
        };
        if self.config.resource_index.contains_key(&address) {
            self.duplicate(&address, block.labels_span);
            return;
        }
        let count = block
            .body
            .attribute("count")
            .map(|attribute| attribute.expr.clone());
        let for_each = block
            .body
            .attribute("for_each")
            .map(|attribute| attribute.expr.clone());
        if count.is_some() && for_each.is_some() {
            self.error(
                block.labels_span,
                format!("{address} sets both count and for_each; keep only one of them"),
                Some(address.clone()),
            );
        }
        self.config
            .resource_index
            .insert(address.clone(), self.config.resources.len());
        self.config.resources.push(ResourceConfig {
            mode,
            kind,
            address,
            body: block.body,
            count,
            for_each,
            span: block.span,
            labels_span: block.labels_span,
        });
    }

    fn add_variable(&mut self, block: Block) {
        let name = block.labels.into_iter().next().unwrap_or_default();
        if self.config.variable_index.contains_key(&name) {
            self.duplicate(&format!("variable \"{name}\""), block.labels_span);
            return;
        }
        let attribute = |key: &str| {
            block
                .body
                .attribute(key)
                .map(|attribute| attribute.expr.clone())
        };
        let nullable = !matches!(
            attribute("nullable").map(|expr| expr.kind),
            Some(super::syntax::ExprKind::Bool(false))
        );
        let variable = Variable {
            name: name.clone(),
            labels_span: block.labels_span,
            default: attribute("default"),
            type_expr: attribute("type"),
            nullable,
        };
        self.config
            .variable_index
            .insert(name, self.config.variables.len());
        self.config.variables.push(variable);
    }

    fn add_locals(&mut self, block: Block) {
        for item in block.body.items {
            let Item::Attribute(attribute) = item else {
                continue;
            };
            if self.config.local_index.contains_key(&attribute.name) {
                self.duplicate(&format!("local.{}", attribute.name), attribute.name_span);
                continue;
            }
            self.config
                .local_index
                .insert(attribute.name.clone(), self.config.locals.len());
            self.config.locals.push(Local {
                name: attribute.name,
                name_span: attribute.name_span,
                expr: attribute.expr,
            });
        }
    }

    fn add_call(&mut self, block: Block) {
        let name = block.labels.into_iter().next().unwrap_or_default();
        if self.config.call_index.contains_key(&name) {
            self.duplicate(&format!("module.{name}"), block.labels_span);
            return;
        }
        let source_attribute = block.body.attribute("source");
        let source = source_attribute
            .and_then(|attribute| attribute.expr.as_literal_str().map(str::to_owned));
        match (source_attribute, &source) {
            (None, _) => self.error(
                block.labels_span,
                format!("module \"{name}\" has no source; add `source = \"./path\"` or a registry address"),
                Some(format!("module.{name}")),
            ),
            (Some(attribute), None) => self.error(
                attribute.expr.span,
                format!("the source of module \"{name}\" is not a literal string; Terraform requires a fixed string there"),
                Some(format!("module.{name}")),
            ),
            _ => {}
        }
        let count = block
            .body
            .attribute("count")
            .map(|attribute| attribute.expr.clone());
        let for_each = block
            .body
            .attribute("for_each")
            .map(|attribute| attribute.expr.clone());
        self.config
            .call_index
            .insert(name.clone(), self.config.calls.len());
        self.config.calls.push(ModuleCall {
            name,
            source,
            body: block.body,
            count,
            for_each,
            span: block.span,
            labels_span: block.labels_span,
        });
    }

    fn add_output(&mut self, block: Block) {
        let name = block.labels.into_iter().next().unwrap_or_default();
        if self.config.output_index.contains_key(&name) {
            self.duplicate(&format!("output \"{name}\""), block.labels_span);
            return;
        }
        let expr = block
            .body
            .attribute("value")
            .map(|attribute| attribute.expr.clone());
        self.config
            .output_index
            .insert(name.clone(), self.config.outputs.len());
        self.config.outputs.push(Output {
            name,
            expr,
            labels_span: block.labels_span,
        });
    }
}
