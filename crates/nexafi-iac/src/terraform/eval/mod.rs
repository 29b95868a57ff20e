//! Offline evaluation of a root module and every module it calls.
//!
//! Declarations are evaluated lazily and at most once per module instance: a local,
//! variable, output, resource expansion, resource body or module call is a [`Slot`] that
//! is computed the first time something reads it. Reading a slot that is still being
//! computed means the declarations form a cycle, which becomes an error diagnostic and
//! unknown values.
//!
//! Every slot remembers the resource addresses its value was computed from, so a resource
//! attribute that reads a local or a module input still gets a reference edge to the
//! resource behind it.

mod body;
mod expr;
mod modules;
mod refs;
mod types;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use indexmap::IndexSet;
use nexafi_model::{
    InputKind, Node, Reference, Resource, SourceMap, Span, TERRAFORM_ROOT_KIND, Unknown, Value,
};

use super::config::{Mode, ModuleConfig};
use super::functions::FunctionContext;
use super::syntax::Expr;
use super::values::{self, quote_key};
use crate::{Diagnostic, DiagnosticLevel};

pub(crate) use modules::{Manifest, is_local_source, normalize};

/// Most resource and module instances one root may expand to. Nested `count` and
/// `for_each` multiply, so a small configuration can ask for billions; past this limit
/// the remaining instances stay unexpanded.
pub const MAX_INSTANCES: usize = 100_000;

/// Most nested evaluations (expressions within expressions, and declarations read
/// through references) before evaluation gives up with an error value.
pub const MAX_EVAL_DEPTH: usize = 1_000;

/// Most levels of nested module calls.
pub const MAX_MODULE_DEPTH: usize = 64;

pub(crate) type EvalResult = Result<Node, EvalError>;

/// An expression that Terraform would reject; outside `try` and `can` it becomes an
/// unknown value whose reason is the message.
#[derive(Clone, Debug)]
pub(crate) struct EvalError {
    pub message: String,
}

impl EvalError {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

/// The context an expression is evaluated in.
#[derive(Clone, Debug)]
pub(crate) struct Ctx {
    pub instance: usize,
    /// `count.index` and `each.*` of the resource or module instance being evaluated.
    pub keys: Option<Rc<KeyContext>>,
    /// Set inside `templatefile` templates and `.tfvars` values, which may only read
    /// their own variables.
    pub isolated: bool,
}

/// The values of `count.index`, `each.key` and `each.value` for one instance.
#[derive(Debug)]
pub(crate) struct KeyContext {
    pub count_index: Option<Node>,
    pub each_key: Option<Node>,
    pub each_value: Option<Node>,
    /// Resources the `count` or `for_each` expression read.
    pub deps: Rc<[Rc<str>]>,
}

/// A variable of a `for` expression, `dynamic` iterator or template.
#[derive(Debug)]
pub(crate) struct ScopeVar {
    pub name: String,
    pub value: Node,
    pub deps: Rc<[Rc<str>]>,
}

#[derive(Debug)]
pub(crate) enum Slot<T> {
    Pending,
    Active,
    Done(T),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum SlotKind {
    Variable,
    Local,
    Output,
    Expansion,
    Body,
    Call,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct SlotKey {
    pub instance: usize,
    pub kind: SlotKind,
    pub index: usize,
}

/// A computed declaration and the resource addresses it was computed from.
#[derive(Debug)]
pub(crate) struct Evaluated {
    pub value: Node,
    pub deps: Rc<[Rc<str>]>,
}

/// The instances of a resource or module call.
#[derive(Debug)]
pub(crate) struct Expansion {
    pub kind: ExpansionKind,
    pub entries: Vec<Entry>,
    /// `for_each` key to entry index.
    pub by_key: HashMap<String, usize>,
}

#[derive(Debug, PartialEq)]
pub(crate) enum ExpansionKind {
    Single,
    Count,
    ForEach,
    /// `count` or `for_each` is unknown offline: one entry stands for every instance.
    Unknown(Unknown),
}

#[derive(Debug)]
pub(crate) struct Entry {
    /// Address suffix: "", `[0]`, `["key"]` or `[*]`.
    pub suffix: String,
    pub keys: Option<Rc<KeyContext>>,
}

impl Expansion {
    fn single() -> Self {
        Self {
            kind: ExpansionKind::Single,
            entries: vec![Entry {
                suffix: String::new(),
                keys: None,
            }],
            by_key: HashMap::new(),
        }
    }

    pub fn unknown(reason: String, deps: Rc<[Rc<str>]>, span: Span) -> Self {
        let unknown = Node::unknown(span, reason.clone());
        Self {
            kind: ExpansionKind::Unknown(Unknown::new(reason)),
            entries: vec![Entry {
                suffix: "[*]".to_owned(),
                keys: Some(Rc::new(KeyContext {
                    count_index: Some(unknown.clone()),
                    each_key: Some(unknown.clone()),
                    each_value: Some(unknown),
                    deps,
                })),
            }],
            by_key: HashMap::new(),
        }
    }

    /// Returns the entry an index value selects: a position for `count`, a key for
    /// `for_each`, and the only entry when the instances are unknown.
    pub fn select(&self, key: &Node) -> Option<usize> {
        match self.kind {
            ExpansionKind::Single => None,
            ExpansionKind::Unknown(_) => Some(0),
            ExpansionKind::Count => values::to_number(key)
                .filter(|number| number.fract() == 0.0 && *number >= 0.0)
                .and_then(|number| {
                    // Whole, non-negative and compared with the length below.
                    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                    let index = number as usize;
                    (index < self.entries.len()).then_some(index)
                }),
            ExpansionKind::ForEach => {
                values::to_key(key).and_then(|key| self.by_key.get(&key).copied())
            }
        }
    }
}

/// One evaluated resource instance.
#[derive(Debug)]
pub(crate) struct InstanceBody {
    pub address: String,
    pub body: Node,
    pub references: Vec<Reference>,
}

#[derive(Debug)]
pub(crate) enum CallInstances {
    /// The module could not be loaded; reading its outputs gives this reason.
    Missing(String),
    Expanded {
        expansion: Rc<Expansion>,
        children: Vec<usize>,
    },
}

#[derive(Clone, Debug)]
pub(crate) struct Parent {
    pub instance: usize,
    pub call: usize,
    pub keys: Option<Rc<KeyContext>>,
}

/// One instance of a module: the root, or one instance of a module call.
#[derive(Debug)]
pub(crate) struct Instance {
    pub config: Rc<ModuleConfig>,
    /// Address prefix of everything inside: "" or `module.a["x"].module.b.`.
    pub prefix: String,
    /// Key of the call in `.terraform/modules/modules.json`: "" for the root, `a.b`
    /// for module `b` called in module `a`.
    pub manifest_key: String,
    /// `path.module`: the directory relative to the root module.
    pub module_path: String,
    /// The directory with symbolic links resolved, to detect a module that calls itself.
    pub canonical_dir: PathBuf,
    /// Base and readable directories of the built-in functions called in this module.
    pub function_context: FunctionContext,
    pub parent: Option<Parent>,
    /// Set when this instance stands for every instance of an unknown `count` or
    /// `for_each`, here or in a calling module.
    pub instances_unknown: Option<Unknown>,
    pub depth: usize,
    pub variables: Vec<Slot<Rc<Evaluated>>>,
    pub locals: Vec<Slot<Rc<Evaluated>>>,
    pub outputs: Vec<Slot<Rc<Evaluated>>>,
    pub expansions: Vec<Slot<Rc<Expansion>>>,
    pub bodies: Vec<Slot<Rc<Vec<InstanceBody>>>>,
    pub calls: Vec<Slot<Rc<CallInstances>>>,
}

fn pending<T>(count: usize) -> Vec<Slot<T>> {
    (0..count).map(|_| Slot::Pending).collect()
}

impl Instance {
    fn new(
        config: Rc<ModuleConfig>,
        prefix: String,
        manifest_key: String,
        module_path: String,
        canonical_dir: PathBuf,
        function_context: FunctionContext,
    ) -> Self {
        Self {
            variables: pending(config.variables.len()),
            locals: pending(config.locals.len()),
            outputs: pending(config.outputs.len()),
            expansions: pending(config.resources.len()),
            bodies: pending(config.resources.len()),
            calls: pending(config.calls.len()),
            config,
            prefix,
            manifest_key,
            module_path,
            canonical_dir,
            function_context,
            parent: None,
            instances_unknown: None,
            depth: 0,
        }
    }
}

/// The state of one root module's evaluation.
pub(crate) struct Evaluator<'s> {
    pub sources: &'s SourceMap,
    /// The root directory as given, which is also the group of every resource.
    pub root_dir: PathBuf,
    pub group: String,
    pub diagnostics: Vec<Diagnostic>,
    pub instances: Vec<Instance>,
    /// Values given for root variables by `.tfvars` files and `--var`.
    pub root_values: HashMap<String, Node>,
    manifest: Option<Manifest>,
    /// Module configurations by canonical directory, so each is read once.
    configs: HashMap<PathBuf, Rc<ModuleConfig>>,
    scope: Vec<ScopeVar>,
    deps: Vec<IndexSet<Rc<str>>>,
    active: Vec<SlotKey>,
    cyclic: HashMap<SlotKey, String>,
    depth: usize,
    resource_objects_made: bool,
    total_instances: usize,
    limit_reported: bool,
    reported_calls: HashSet<(u32, u32, u32)>,
    templates: HashMap<PathBuf, Rc<Result<Expr, String>>>,
}

impl<'s> Evaluator<'s> {
    pub fn new(sources: &'s SourceMap, root_dir: &Path, manifest: Option<Manifest>) -> Self {
        Self {
            sources,
            root_dir: root_dir.to_path_buf(),
            group: root_dir.display().to_string(),
            diagnostics: Vec::new(),
            instances: Vec::new(),
            root_values: HashMap::new(),
            manifest,
            configs: HashMap::new(),
            scope: Vec::new(),
            deps: Vec::new(),
            active: Vec::new(),
            cyclic: HashMap::new(),
            depth: 0,
            resource_objects_made: false,
            total_instances: 0,
            limit_reported: false,
            reported_calls: HashSet::new(),
            templates: HashMap::new(),
        }
    }

    /// Adds the root module instance and returns its id.
    pub fn add_root(&mut self, config: Rc<ModuleConfig>) -> usize {
        let canonical =
            std::fs::canonicalize(&self.root_dir).unwrap_or_else(|_| self.root_dir.clone());
        self.configs.insert(canonical.clone(), config.clone());
        let function_context = self.function_context(&canonical);
        self.instances.push(Instance::new(
            config,
            String::new(),
            String::new(),
            ".".to_owned(),
            canonical,
            function_context,
        ));
        self.instances.len() - 1
    }

    /// Returns what functions called in the module at `canonical_dir` may read.
    ///
    /// Relative paths resolve against the root module's directory, as Terraform resolves
    /// them against its working directory, which is also what `path.module` is relative
    /// to. Reads stay inside the smallest directory that contains both the root module and
    /// the calling module, so a scanned configuration cannot read other files of the
    /// machine.
    fn function_context(&self, canonical_dir: &Path) -> FunctionContext {
        let root = self.instances.first().map_or_else(
            || canonical_dir.to_path_buf(),
            |root| root.canonical_dir.clone(),
        );
        let common: PathBuf = root
            .components()
            .zip(canonical_dir.components())
            .take_while(|(a, b)| a == b)
            .map(|(a, _)| a)
            .collect();
        FunctionContext {
            module_dir: self.root_dir.clone(),
            read_root: Some(common),
        }
    }

    pub fn error(&mut self, span: Option<Span>, message: String, subject: Option<String>) {
        self.diagnose(DiagnosticLevel::Error, span, message, subject);
    }

    fn diagnose(
        &mut self,
        level: DiagnosticLevel,
        span: Option<Span>,
        message: String,
        subject: Option<String>,
    ) {
        let path = span
            .and_then(|span| self.sources.get(span.file))
            .map_or_else(|| self.root_dir.clone(), |file| file.path.clone());
        self.diagnostics.push(Diagnostic {
            level,
            path,
            span,
            message,
            subject,
        });
    }

    /// Evaluates an expression; an error becomes an unknown value with the message as
    /// reason.
    pub fn eval_value(&mut self, expr: &Expr, cx: &Ctx) -> Node {
        match self.eval(expr, cx) {
            Ok(node) => node,
            Err(error) => Node::unknown(expr.span, error.message),
        }
    }

    /// Records that the value being computed depends on the resource at `address`.
    fn add_dep(&mut self, address: &str) {
        if let Some(set) = self.deps.last_mut()
            && !set.contains(address)
        {
            set.insert(Rc::from(address));
        }
    }

    fn merge_deps(&mut self, deps: &[Rc<str>]) {
        if let Some(set) = self.deps.last_mut() {
            for dep in deps {
                if !set.contains(dep) {
                    set.insert(dep.clone());
                }
            }
        }
    }

    /// Runs `compute` with its own dependency set, returning the dependencies found.
    fn collect_deps<T>(&mut self, compute: impl FnOnce(&mut Self) -> T) -> (T, Rc<[Rc<str>]>) {
        self.deps.push(IndexSet::new());
        let value = compute(self);
        let deps = self.deps.pop().unwrap_or_default();
        (value, deps.into_iter().collect())
    }

    /// Computes a slot's value in a fresh scope, with cycle tracking.
    fn in_slot<T>(
        &mut self,
        key: SlotKey,
        compute: impl FnOnce(&mut Self) -> T,
    ) -> (T, Rc<[Rc<str>]>) {
        let saved_scope = std::mem::take(&mut self.scope);
        self.active.push(key);
        let result = self.collect_deps(compute);
        self.active.pop();
        self.scope = saved_scope;
        result
    }

    /// Handles a read of a slot that is being computed: reports the cycle once and
    /// returns the unknown value its members get.
    fn cycle(&mut self, key: SlotKey, span: Span) -> Node {
        if let Some(reason) = self.cyclic.get(&key) {
            return Node::unknown(span, reason.clone());
        }
        let start = self
            .active
            .iter()
            .rposition(|active| *active == key)
            .unwrap_or(0);
        let members: Vec<SlotKey> = self.active[start..].to_vec();
        let mut names: Vec<String> = members
            .iter()
            .map(|member| self.slot_name(*member))
            .collect();
        if let Some(first) = names.first().cloned() {
            names.push(first);
        }
        let chain = names.join(" -> ");
        let reason = format!("{chain} refer to each other in a cycle");
        for member in &members {
            self.cyclic.insert(*member, reason.clone());
        }
        let declaration = self.slot_span(key);
        self.error(
            Some(declaration),
            format!(
                "{chain} refer to each other in a cycle, which Terraform cannot evaluate; \
                 change one of them so that it no longer depends on the others"
            ),
            names.first().cloned(),
        );
        Node::unknown(span, reason)
    }

    fn slot_name(&self, key: SlotKey) -> String {
        let instance = &self.instances[key.instance];
        let config = &instance.config;
        let prefix = &instance.prefix;
        match key.kind {
            SlotKind::Variable => format!("{prefix}var.{}", config.variables[key.index].name),
            SlotKind::Local => format!("{prefix}local.{}", config.locals[key.index].name),
            SlotKind::Output => format!("{prefix}output.{}", config.outputs[key.index].name),
            SlotKind::Expansion | SlotKind::Body => {
                format!("{prefix}{}", config.resources[key.index].address)
            }
            SlotKind::Call => format!("{prefix}module.{}", config.calls[key.index].name),
        }
    }

    fn slot_span(&self, key: SlotKey) -> Span {
        let config = &self.instances[key.instance].config;
        match key.kind {
            SlotKind::Variable => config.variables[key.index].labels_span,
            SlotKind::Local => config.locals[key.index].name_span,
            SlotKind::Output => config.outputs[key.index].labels_span,
            SlotKind::Call => config.calls[key.index].labels_span,
            SlotKind::Expansion | SlotKind::Body => config.resources[key.index].labels_span,
        }
    }

    /// Replaces a value computed inside a cycle by the cycle's unknown value.
    fn finish(&self, key: SlotKey, value: Node, deps: Rc<[Rc<str>]>) -> Rc<Evaluated> {
        match self.cyclic.get(&key) {
            Some(reason) => Rc::new(Evaluated {
                value: Node::unknown(value.span, reason.clone()),
                deps: Rc::from(Vec::new()),
            }),
            None => Rc::new(Evaluated { value, deps }),
        }
    }

    /// Returns the value of local `index` of `instance`, or the unknown value of a cycle.
    pub fn local_value(
        &mut self,
        instance: usize,
        index: usize,
        span: Span,
    ) -> Result<Rc<Evaluated>, Node> {
        let key = SlotKey {
            instance,
            kind: SlotKind::Local,
            index,
        };
        match &self.instances[instance].locals[index] {
            Slot::Done(value) => return Ok(value.clone()),
            Slot::Active => return Err(self.cycle(key, span)),
            Slot::Pending => {}
        }
        self.instances[instance].locals[index] = Slot::Active;
        let config = self.instances[instance].config.clone();
        let local = &config.locals[index];
        let cx = Ctx {
            instance,
            keys: None,
            isolated: false,
        };
        let (value, deps) = self.in_slot(key, |this| this.eval_value(&local.expr, &cx));
        let evaluated = self.finish(key, value, deps);
        self.instances[instance].locals[index] = Slot::Done(evaluated.clone());
        Ok(evaluated)
    }

    /// Returns the value of variable `index` of `instance`: the module input or the
    /// value given for a root variable, else the default, converted to the declared type.
    pub fn variable_value(
        &mut self,
        instance: usize,
        index: usize,
        span: Span,
    ) -> Result<Rc<Evaluated>, Node> {
        let key = SlotKey {
            instance,
            kind: SlotKind::Variable,
            index,
        };
        match &self.instances[instance].variables[index] {
            Slot::Done(value) => return Ok(value.clone()),
            Slot::Active => return Err(self.cycle(key, span)),
            Slot::Pending => {}
        }
        self.instances[instance].variables[index] = Slot::Active;
        let (value, deps) = self.in_slot(key, |this| this.compute_variable(instance, index));
        let evaluated = self.finish(key, value, deps);
        self.instances[instance].variables[index] = Slot::Done(evaluated.clone());
        Ok(evaluated)
    }

    fn compute_variable(&mut self, instance: usize, index: usize) -> Node {
        let config = self.instances[instance].config.clone();
        let variable = &config.variables[index];
        let parent = self.instances[instance].parent.clone();
        let input = match parent {
            None => self.root_values.get(&variable.name).cloned(),
            Some(parent) => {
                let parent_config = self.instances[parent.instance].config.clone();
                let call = &parent_config.calls[parent.call];
                match call.body.attribute(&variable.name) {
                    Some(attribute)
                        if !super::config::MODULE_META_ATTRIBUTES
                            .contains(&attribute.name.as_str()) =>
                    {
                        let cx = Ctx {
                            instance: parent.instance,
                            keys: parent.keys.clone(),
                            isolated: false,
                        };
                        let mut value = self.eval_value(&attribute.expr, &cx);
                        value.span = attribute.expr.span;
                        Some(value)
                    }
                    _ => None,
                }
            }
        };
        let input = input.filter(|value| variable.nullable || !value.is_null());
        let value = match (input, &variable.default) {
            (Some(value), _) => value,
            (None, Some(default)) => {
                let cx = Ctx {
                    instance,
                    keys: None,
                    isolated: true,
                };
                self.eval_value(default, &cx)
            }
            (None, None) => {
                let owner = self.instances[instance]
                    .prefix
                    .trim_end_matches('.')
                    .to_owned();
                let of_module = if owner.is_empty() {
                    String::new()
                } else {
                    format!(" of {owner}")
                };
                Node::unknown(
                    variable.labels_span,
                    format!(
                        "variable \"{}\"{of_module} has no default and no value was given",
                        variable.name
                    ),
                )
            }
        };
        match &variable.type_expr {
            Some(type_expr) => {
                let constraint = self.type_constraint(type_expr, instance);
                let span = value.span;
                types::convert(value, &constraint).unwrap_or_else(|message| {
                    Node::unknown(
                        span,
                        format!(
                            "the value of variable \"{}\" is invalid: {message}",
                            variable.name
                        ),
                    )
                })
            }
            None => value,
        }
    }

    /// Returns the value of output `index` of module instance `instance`.
    pub fn output_value(
        &mut self,
        instance: usize,
        index: usize,
        span: Span,
    ) -> Result<Rc<Evaluated>, Node> {
        let key = SlotKey {
            instance,
            kind: SlotKind::Output,
            index,
        };
        match &self.instances[instance].outputs[index] {
            Slot::Done(value) => return Ok(value.clone()),
            Slot::Active => return Err(self.cycle(key, span)),
            Slot::Pending => {}
        }
        self.instances[instance].outputs[index] = Slot::Active;
        let config = self.instances[instance].config.clone();
        let output = &config.outputs[index];
        let cx = Ctx {
            instance,
            keys: None,
            isolated: false,
        };
        let (value, deps) = self.in_slot(key, |this| match &output.expr {
            Some(expr) => this.eval_value(expr, &cx),
            None => Node::null(span),
        });
        let evaluated = self.finish(key, value, deps);
        self.instances[instance].outputs[index] = Slot::Done(evaluated.clone());
        Ok(evaluated)
    }

    /// Returns the instances of resource `index` of `instance`.
    pub fn resource_expansion(&mut self, instance: usize, index: usize) -> Rc<Expansion> {
        let key = SlotKey {
            instance,
            kind: SlotKind::Expansion,
            index,
        };
        let config = self.instances[instance].config.clone();
        let resource = &config.resources[index];
        match &self.instances[instance].expansions[index] {
            Slot::Done(expansion) => return expansion.clone(),
            Slot::Active => {
                let unknown = self.cycle(key, resource.labels_span);
                let reason = unknown
                    .as_unknown()
                    .map(|u| u.reason.clone())
                    .unwrap_or_default();
                return Rc::new(Expansion::unknown(
                    reason,
                    Rc::from(Vec::new()),
                    resource.labels_span,
                ));
            }
            Slot::Pending => {}
        }
        self.instances[instance].expansions[index] = Slot::Active;
        let owner = format!("{}{}", self.instances[instance].prefix, resource.address);
        let (expansion, _) = self.in_slot(key, |this| {
            this.expand(
                resource.count.as_ref(),
                resource.for_each.as_ref(),
                &owner,
                instance,
            )
        });
        let expansion = match self.cyclic.get(&key) {
            Some(reason) => {
                Expansion::unknown(reason.clone(), Rc::from(Vec::new()), resource.labels_span)
            }
            None => expansion,
        };
        let expansion = Rc::new(expansion);
        self.instances[instance].expansions[index] = Slot::Done(expansion.clone());
        expansion
    }

    /// Returns the evaluated bodies of every instance of resource `index`.
    pub fn resource_bodies(
        &mut self,
        instance: usize,
        index: usize,
    ) -> Result<Rc<Vec<InstanceBody>>, Node> {
        let key = SlotKey {
            instance,
            kind: SlotKind::Body,
            index,
        };
        let config = self.instances[instance].config.clone();
        let resource = &config.resources[index];
        match &self.instances[instance].bodies[index] {
            Slot::Done(bodies) => return Ok(bodies.clone()),
            Slot::Active => return Err(self.cycle(key, resource.labels_span)),
            Slot::Pending => {}
        }
        let expansion = self.resource_expansion(instance, index);
        self.instances[instance].bodies[index] = Slot::Active;
        let prefix = self.instances[instance].prefix.clone();
        let (bodies, _) = self.in_slot(key, |this| {
            let mut bodies = Vec::with_capacity(expansion.entries.len());
            for entry in &expansion.entries {
                let cx = Ctx {
                    instance,
                    keys: entry.keys.clone(),
                    isolated: false,
                };
                let mut references = Vec::new();
                let body = this.resource_body(&resource.body, resource.span, &cx, &mut references);
                bodies.push(InstanceBody {
                    address: format!("{prefix}{}{}", resource.address, entry.suffix),
                    body,
                    references,
                });
            }
            bodies
        });
        let bodies = Rc::new(bodies);
        self.instances[instance].bodies[index] = Slot::Done(bodies.clone());
        Ok(bodies)
    }

    /// Expands `count` or `for_each`; `owner` names the resource or module call in
    /// messages.
    fn expand(
        &mut self,
        count: Option<&Expr>,
        for_each: Option<&Expr>,
        owner: &str,
        instance: usize,
    ) -> Expansion {
        let cx = Ctx {
            instance,
            keys: None,
            isolated: false,
        };
        let (expr, is_count) = match (count, for_each) {
            (Some(count), _) => (count, true),
            (None, Some(for_each)) => (for_each, false),
            (None, None) => {
                self.total_instances += 1;
                return Expansion::single();
            }
        };
        let (value, deps) = self.collect_deps(|this| this.eval_value(expr, &cx));
        let meta = if is_count { "count" } else { "for_each" };
        if let Some(unknown) =
            values::first_unknown(&value).filter(|_| is_count || !is_known_for_each(&value))
        {
            let reason = format!(
                "the {meta} of {owner} is not known offline: {}",
                unknown.reason
            );
            return Expansion::unknown(reason, deps, expr.span);
        }

        let mut expansion = Expansion {
            kind: if is_count {
                ExpansionKind::Count
            } else {
                ExpansionKind::ForEach
            },
            entries: Vec::new(),
            by_key: HashMap::new(),
        };
        if is_count {
            let count =
                values::to_number(&value).filter(|number| number.fract() == 0.0 && *number >= 0.0);
            let Some(count) = count else {
                let reason = format!(
                    "the count of {owner} is invalid: expected a whole number of at least 0, found {}",
                    values::describe(&value)
                );
                // `terraform plan` rejects such a count, so the scan must not pass either.
                self.error(
                    Some(expr.span),
                    format!("{reason}; fix the count expression"),
                    None,
                );
                return Expansion::unknown(reason, deps, expr.span);
            };
            // Whole and non-negative; a huge value is caught by the instance limit.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let count = count.min(1e12) as usize;
            if !self.reserve_instances(count, expr.span) {
                return Expansion::unknown(limit_reason(), deps, expr.span);
            }
            for position in 0..count {
                // Positions stay far below 2^53.
                #[allow(clippy::cast_precision_loss)]
                let index = Node::new(expr.span, Value::Number(position as f64));
                let suffix = format!("[{position}]");
                expansion.entries.push(Entry {
                    keys: Some(Rc::new(KeyContext {
                        count_index: Some(index),
                        each_key: None,
                        each_value: None,
                        deps: instance_deps(&deps, &suffix),
                    })),
                    suffix,
                });
            }
            return expansion;
        }

        let pairs: Vec<(String, Node)> = match value.value {
            Value::Map(map) => {
                let mut pairs: Vec<(String, Node)> = map.into_iter().collect();
                pairs.sort_by(|a, b| a.0.cmp(&b.0));
                pairs
            }
            Value::List(items) => {
                let mut keys = Vec::with_capacity(items.len());
                for item in &items {
                    match &item.value {
                        Value::String(text) => keys.push(text.clone()),
                        _ => {
                            let reason = format!(
                                "the for_each of {owner} is invalid: a set of strings may only hold strings, found {}",
                                values::describe(item)
                            );
                            return Expansion::unknown(reason, deps, expr.span);
                        }
                    }
                }
                keys.sort();
                keys.dedup();
                keys.into_iter()
                    .map(|key| {
                        let node = Node::new(expr.span, Value::String(key.clone()));
                        (key, node)
                    })
                    .collect()
            }
            _ => {
                let reason = format!(
                    "the for_each of {owner} is invalid: expected a map or a set of strings, found {}",
                    values::describe(&Node::new(value.span, value.value))
                );
                return Expansion::unknown(reason, deps, expr.span);
            }
        };
        if !self.reserve_instances(pairs.len(), expr.span) {
            return Expansion::unknown(limit_reason(), deps, expr.span);
        }
        for (key, each_value) in pairs {
            expansion
                .by_key
                .insert(key.clone(), expansion.entries.len());
            let suffix = quote_key(&key);
            expansion.entries.push(Entry {
                keys: Some(Rc::new(KeyContext {
                    count_index: None,
                    each_key: Some(Node::new(expr.span, Value::String(key))),
                    each_value: Some(each_value),
                    deps: instance_deps(&deps, &suffix),
                })),
                suffix,
            });
        }
        expansion
    }

    /// Counts `count` more instances; past [`MAX_INSTANCES`] reports once and refuses.
    fn reserve_instances(&mut self, count: usize, span: Span) -> bool {
        if self.total_instances.saturating_add(count) <= MAX_INSTANCES {
            self.total_instances += count;
            return true;
        }
        if !self.limit_reported {
            self.limit_reported = true;
            self.error(
                Some(span),
                format!(
                    "count and for_each expand this configuration to more than {MAX_INSTANCES} \
                     resource and module instances; the remaining instances are not checked. \
                     Scan a smaller configuration or lower the counts"
                ),
                None,
            );
        }
        false
    }

    /// Evaluates everything in `instance` and the modules it calls.
    pub fn walk(&mut self, instance: usize) {
        let config = self.instances[instance].config.clone();
        for index in 0..config.locals.len() {
            let _ = self.local_value(instance, index, config.locals[index].name_span);
        }
        for index in 0..config.resources.len() {
            let _ = self.resource_bodies(instance, index);
        }
        for index in 0..config.calls.len() {
            if let Ok(calls) = self.call_instances(instance, index)
                && let CallInstances::Expanded { children, .. } = calls.as_ref()
            {
                for child in children.clone() {
                    self.walk(child);
                }
            }
        }
    }

    /// Moves the evaluated resources out, in declaration order, modules after the
    /// resources of their caller.
    pub fn collect(&mut self, instance: usize, out: &mut Vec<Resource>) {
        let config = self.instances[instance].config.clone();
        let instances_unknown = self.instances[instance].instances_unknown.clone();
        for (index, resource) in config.resources.iter().enumerate() {
            let Slot::Done(bodies) =
                std::mem::replace(&mut self.instances[instance].bodies[index], Slot::Pending)
            else {
                continue;
            };
            let expansion_unknown = match &self.instances[instance].expansions[index] {
                Slot::Done(expansion) => match &expansion.kind {
                    ExpansionKind::Unknown(unknown) => Some(unknown.clone()),
                    _ => None,
                },
                _ => None,
            };
            let bodies = Rc::try_unwrap(bodies).unwrap_or_else(|shared| {
                shared
                    .iter()
                    .map(|body| InstanceBody {
                        address: body.address.clone(),
                        body: body.body.clone(),
                        references: body.references.clone(),
                    })
                    .collect()
            });
            let kind = match resource.mode {
                Mode::Managed => resource.kind.clone(),
                Mode::Data => format!("data.{}", resource.kind),
            };
            for body in bodies {
                out.push(Resource {
                    address: body.address,
                    input: InputKind::Terraform,
                    kind: kind.clone(),
                    group: self.group.clone(),
                    span: resource.span,
                    name_span: resource.labels_span,
                    body: body.body,
                    references: body.references,
                    instances_unknown: expansion_unknown
                        .clone()
                        .or_else(|| instances_unknown.clone()),
                });
            }
        }
        for index in 0..config.calls.len() {
            let children = match &self.instances[instance].calls[index] {
                Slot::Done(calls) => match calls.as_ref() {
                    CallInstances::Expanded { children, .. } => children.clone(),
                    CallInstances::Missing(_) => Vec::new(),
                },
                _ => Vec::new(),
            };
            for child in children {
                self.collect(child, out);
            }
        }
    }

    /// Builds the synthetic resource that represents the whole root module.
    pub fn root_resource(&self, first_file: nexafi_model::FileId) -> Resource {
        let span = Span::point(first_file, 0);
        Resource {
            address: "root".to_owned(),
            input: InputKind::Terraform,
            kind: TERRAFORM_ROOT_KIND.to_owned(),
            group: self.group.clone(),
            span,
            name_span: span,
            body: Node::new(span, Value::Map(Default::default())),
            references: Vec::new(),
            instances_unknown: None,
        }
    }
}

/// Tells whether a `for_each` value with unknown parts can still expand: a map can,
/// because its keys are known.
fn is_known_for_each(value: &Node) -> bool {
    matches!(value.value, Value::Map(_))
}

fn limit_reason() -> String {
    format!(
        "the configuration expands to more than {MAX_INSTANCES} instances, so this one was not expanded"
    )
}

/// Narrows the resources a `count` or `for_each` expression read to the one instance
/// with the same key: `for_each = aws_s3_bucket.logs` gives the instance `"a"` an edge to
/// `aws_s3_bucket.logs["a"]`, not to every bucket. Otherwise a split resource of one
/// bucket would count as configuring all of them, and a bucket left open could pass.
///
/// NOTE: when the keys differ from the referenced resource's own keys (a `for_each` over
/// a map rebuilt with other keys), the narrowed edge matches no instance, so checks see no
/// split resource and fail rather than pass.
fn instance_deps(deps: &Rc<[Rc<str>]>, suffix: &str) -> Rc<[Rc<str>]> {
    deps.iter()
        .map(|dep| {
            if dep.ends_with(']') {
                dep.clone()
            } else {
                Rc::from(format!("{dep}{suffix}"))
            }
        })
        .collect()
}
