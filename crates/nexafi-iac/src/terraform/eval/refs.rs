//! Named references (`var.x`, `local.x`, `module.m.out`, `aws_s3_bucket.b.arn`,
//! `count.index`, `each.value`, `path.module`) and the attribute and index accesses after
//! them.

use std::rc::Rc;

use nexafi_model::{Node, Span, Value};

use super::{CallInstances, Ctx, EvalError, EvalResult, Evaluator, Expansion, ExpansionKind};
use crate::terraform::config::ResourceConfig;
use crate::terraform::syntax::Operator;
use crate::terraform::values::{self, RESOURCE_MARKER, respan, to_key, to_number, type_name};

/// An access operator with its index already evaluated.
#[derive(Debug)]
pub(crate) enum Step<'e> {
    Attr(&'e str),
    Index(Node),
    AttrSplat,
    FullSplat,
}

/// The resource a traversal walks, so a missing attribute is reported as computed by
/// the provider instead of as an error.
#[derive(Clone, Debug)]
struct Origin {
    path: String,
}

impl Origin {
    fn computed(&self, span: Span) -> EvalResult {
        Ok(Node::unknown(
            span,
            format!("computed by the provider: {}", self.path),
        ))
    }
}

/// Applies `steps` to `root` and returns a copy of the result whose spans point at
/// `span`. `resource` is the address of the resource instance whose configuration
/// `root` is, if it is one.
pub(crate) fn traverse(
    root: &Node,
    steps: &[Step<'_>],
    span: Span,
    resource: Option<&str>,
) -> EvalResult {
    walk(
        root,
        steps,
        span,
        resource.map(|address| Origin {
            path: address.to_owned(),
        }),
    )
}

fn walk(root: &Node, steps: &[Step<'_>], span: Span, mut origin: Option<Origin>) -> EvalResult {
    let mut current = root;
    for (position, step) in steps.iter().enumerate() {
        if let Value::Unknown(unknown) = &current.value {
            return Ok(Node::new(span, Value::Unknown(unknown.clone())));
        }
        if let Value::Map(map) = &current.value
            && let Some(address) = map.get(RESOURCE_MARKER).and_then(Node::as_str)
        {
            origin = Some(Origin {
                path: address.to_owned(),
            });
        }
        match step {
            Step::Attr(name) => {
                if let Some(origin) = &mut origin {
                    origin.path.push('.');
                    origin.path.push_str(name);
                }
                let next = match &current.value {
                    Value::Map(map) => map.get(*name),
                    Value::Null if origin.is_some() => None,
                    Value::Null => {
                        return Err(EvalError::new(format!(
                            "cannot read attribute \"{name}\" of a null value"
                        )));
                    }
                    Value::List(_) => {
                        return Err(EvalError::new(format!(
                            "cannot read attribute \"{name}\" of a list; index it first or write [*].{name}"
                        )));
                    }
                    _ => {
                        return Err(EvalError::new(format!(
                            "cannot read attribute \"{name}\" of a {}",
                            type_name(current)
                        )));
                    }
                };
                match next {
                    Some(next) => current = next,
                    None => {
                        return match &origin {
                            Some(origin) => origin.computed(span),
                            None => Err(EvalError::new(format!(
                                "this object has no attribute \"{name}\""
                            ))),
                        };
                    }
                }
            }
            Step::Index(key) => {
                if let Value::Unknown(unknown) = &key.value {
                    return Ok(Node::new(span, Value::Unknown(unknown.clone())));
                }
                if let Some(origin) = &mut origin {
                    origin.path.push('[');
                    origin.path.push_str(&key.display());
                    origin.path.push(']');
                }
                let next = match &current.value {
                    Value::List(items) => {
                        let index = to_number(key)
                            .filter(|number| number.fract() == 0.0 && *number >= 0.0)
                            .ok_or_else(|| {
                                EvalError::new(format!(
                                    "a list index must be a whole number, found {}",
                                    values::describe(key)
                                ))
                            })?;
                        // Whole and non-negative; out-of-range values fail the lookup.
                        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                        let found = items.get(index as usize);
                        if found.is_none() && origin.is_none() {
                            return Err(EvalError::new(format!(
                                "index {} is out of range for a list of {} elements",
                                values::describe(key),
                                items.len()
                            )));
                        }
                        found
                    }
                    Value::Map(map) => {
                        let name = to_key(key).ok_or_else(|| {
                            EvalError::new(format!(
                                "a map key must be a string, found {}",
                                values::describe(key)
                            ))
                        })?;
                        let found = map.get(&name);
                        if found.is_none() && origin.is_none() {
                            return Err(EvalError::new(format!(
                                "the map has no element with key \"{name}\""
                            )));
                        }
                        found
                    }
                    Value::Null if origin.is_some() => None,
                    _ => {
                        return Err(EvalError::new(format!(
                            "cannot index a {}",
                            type_name(current)
                        )));
                    }
                };
                match next {
                    Some(next) => current = next,
                    None => {
                        return match &origin {
                            Some(origin) => origin.computed(span),
                            None => Err(EvalError::new("the index is out of range")),
                        };
                    }
                }
            }
            Step::AttrSplat | Step::FullSplat => {
                let rest = &steps[position + 1..];
                let (each, after) = split_splat(step, rest);
                let elements: Vec<&Node> = match &current.value {
                    Value::List(items) => items.iter().collect(),
                    Value::Null => Vec::new(),
                    _ => vec![current],
                };
                let mut results = Vec::with_capacity(elements.len());
                for element in elements {
                    results.push(walk(element, each, span, origin.clone())?);
                }
                let list = Node::new(span, Value::List(results));
                return walk(&list, after, span, None);
            }
        }
    }
    if current.is_null()
        && let Some(origin) = &origin
    {
        return origin.computed(span);
    }
    Ok(respan(current, span))
}

/// Splits the steps after a splat into those applied to each element and those applied
/// to the resulting list: `[*]` takes every later step, `.*` only attribute accesses.
fn split_splat<'a, 'e>(splat: &Step<'e>, rest: &'a [Step<'e>]) -> (&'a [Step<'e>], &'a [Step<'e>]) {
    let count = match splat {
        Step::FullSplat => rest.len(),
        _ => rest
            .iter()
            .take_while(|step| matches!(step, Step::Attr(_)))
            .count(),
    };
    rest.split_at(count)
}

impl Evaluator<'_> {
    /// Evaluates the index expressions of `ops`.
    pub(super) fn eval_steps<'e>(
        &mut self,
        ops: &'e [Operator],
        cx: &Ctx,
    ) -> Result<Vec<Step<'e>>, EvalError> {
        let mut steps = Vec::with_capacity(ops.len());
        for op in ops {
            steps.push(match op {
                Operator::GetAttr(name) => Step::Attr(name),
                Operator::Index(expr) => Step::Index(self.eval(expr, cx)?),
                Operator::AttrSplat => Step::AttrSplat,
                Operator::FullSplat => Step::FullSplat,
            });
        }
        Ok(steps)
    }

    /// Evaluates a traversal that starts at the bare name `name`.
    pub(super) fn eval_reference(
        &mut self,
        name: &str,
        ops: &[Operator],
        span: Span,
        cx: &Ctx,
    ) -> EvalResult {
        if self.scope.iter().any(|var| var.name == name) {
            let steps = self.eval_steps(ops, cx)?;
            let Some(position) = self.scope.iter().rposition(|var| var.name == name) else {
                return Err(EvalError::new(format!("unknown variable {name}")));
            };
            let deps = self.scope[position].deps.clone();
            self.merge_deps(&deps);
            return traverse(&self.scope[position].value, &steps, span, None);
        }
        if cx.isolated {
            return Err(EvalError::new(format!(
                "{name} cannot be used here: only the template's own variables are available"
            )));
        }
        match name {
            "var" => {
                let (variable, rest) = first_attribute(ops, "var", "var.NAME")?;
                let config = self.instances[cx.instance].config.clone();
                let Some(&index) = config.variable_index.get(variable) else {
                    return Err(EvalError::new(format!(
                        "variable \"{variable}\" is not declared; add a variable block for it"
                    )));
                };
                let evaluated = match self.variable_value(cx.instance, index, span) {
                    Ok(evaluated) => evaluated,
                    Err(unknown) => return Ok(respan(&unknown, span)),
                };
                self.merge_deps(&evaluated.deps);
                let steps = self.eval_steps(rest, cx)?;
                traverse(&evaluated.value, &steps, span, None)
            }
            "local" => {
                let (local, rest) = first_attribute(ops, "local", "local.NAME")?;
                let config = self.instances[cx.instance].config.clone();
                let Some(&index) = config.local_index.get(local) else {
                    return Err(EvalError::new(format!(
                        "local value \"{local}\" is not declared; add it to a locals block"
                    )));
                };
                let evaluated = match self.local_value(cx.instance, index, span) {
                    Ok(evaluated) => evaluated,
                    Err(unknown) => return Ok(respan(&unknown, span)),
                };
                self.merge_deps(&evaluated.deps);
                let steps = self.eval_steps(rest, cx)?;
                traverse(&evaluated.value, &steps, span, None)
            }
            "module" => self.module_reference(ops, span, cx),
            "data" => {
                let (kind, rest) = first_attribute(ops, "data", "data.TYPE.NAME")?;
                let (name, rest) = first_attribute(rest, "data", "data.TYPE.NAME")?;
                self.resource_reference(&format!("data.{kind}.{name}"), rest, span, cx)
            }
            "count" => {
                let (attribute, rest) = first_attribute(ops, "count", "count.index")?;
                let index = cx.keys.as_ref().and_then(|keys| {
                    keys.count_index
                        .as_ref()
                        .map(|index| (index.clone(), keys.deps.clone()))
                });
                match (attribute, index) {
                    ("index", Some((index, deps))) => {
                        self.merge_deps(&deps);
                        let steps = self.eval_steps(rest, cx)?;
                        traverse(&index, &steps, span, None)
                    }
                    ("index", None) => Err(EvalError::new(
                        "count.index can only be used in a block that sets count",
                    )),
                    (other, _) => Err(EvalError::new(format!(
                        "count has no attribute \"{other}\"; use count.index"
                    ))),
                }
            }
            "each" => {
                let (attribute, rest) = first_attribute(ops, "each", "each.key or each.value")?;
                let keys = cx.keys.clone();
                let found = keys.as_ref().and_then(|keys| match attribute {
                    "key" => keys.each_key.as_ref(),
                    "value" => keys.each_value.as_ref(),
                    _ => None,
                });
                match found {
                    Some(value) => {
                        if let Some(keys) = &keys {
                            self.merge_deps(&keys.deps.clone());
                        }
                        let steps = self.eval_steps(rest, cx)?;
                        traverse(value, &steps, span, None)
                    }
                    None if matches!(attribute, "key" | "value") => Err(EvalError::new(format!(
                        "each.{attribute} can only be used in a block that sets for_each"
                    ))),
                    None => Err(EvalError::new(format!(
                        "each has no attribute \"{attribute}\"; use each.key or each.value"
                    ))),
                }
            }
            "path" => {
                let (attribute, rest) = first_attribute(ops, "path", "path.module")?;
                let text = match attribute {
                    "module" => self.instances[cx.instance].module_path.clone(),
                    "root" => ".".to_owned(),
                    "cwd" => self
                        .instances
                        .first()
                        .map(|root| root.canonical_dir.display().to_string())
                        .unwrap_or_default(),
                    other => {
                        return Err(EvalError::new(format!(
                            "path has no attribute \"{other}\"; use path.module, path.root or path.cwd"
                        )));
                    }
                };
                let steps = self.eval_steps(rest, cx)?;
                traverse(&Node::new(span, Value::String(text)), &steps, span, None)
            }
            "terraform" => {
                let (attribute, _) = first_attribute(ops, "terraform", "terraform.workspace")?;
                match attribute {
                    "workspace" => Ok(Node::new(span, Value::String("default".to_owned()))),
                    other => Err(EvalError::new(format!(
                        "terraform has no attribute \"{other}\""
                    ))),
                }
            }
            "self" => Ok(Node::unknown(
                span,
                "self is only known while a provisioner or connection runs",
            )),
            kind => match ops.split_first() {
                Some((Operator::GetAttr(resource), rest)) => {
                    self.resource_reference(&format!("{kind}.{resource}"), rest, span, cx)
                }
                _ => Err(EvalError::new(format!("unknown variable \"{kind}\""))),
            },
        }
    }

    /// Evaluates `TYPE.NAME...` or `data.TYPE.NAME...`; `key` is the address without a
    /// module prefix and `ops` follow the name.
    fn resource_reference(
        &mut self,
        key: &str,
        ops: &[Operator],
        span: Span,
        cx: &Ctx,
    ) -> EvalResult {
        let instance = cx.instance;
        let config = self.instances[instance].config.clone();
        let Some(&index) = config.resource_index.get(key) else {
            return Err(EvalError::new(format!(
                "{key} is not declared in this module"
            )));
        };
        let resource = &config.resources[index];
        let steps = self.eval_steps(ops, cx)?;
        let expansion = self.resource_expansion(instance, index);
        let base = format!("{}{key}", self.instances[instance].prefix);
        match (&expansion.kind, steps.first()) {
            (ExpansionKind::Single, _) => {
                self.add_dep(&base);
                self.instance_value(instance, resource, index, 0, &base, &steps, span)
            }
            (ExpansionKind::Unknown(_), Some(Step::Index(_))) => {
                self.add_dep(&base);
                let address = format!("{base}[*]");
                self.instance_value(instance, resource, index, 0, &address, &steps[1..], span)
            }
            (ExpansionKind::Unknown(unknown), _) => {
                self.add_dep(&base);
                Ok(Node::unknown(span, unknown.reason.clone()))
            }
            (_, Some(Step::Index(key_value))) => {
                if let Value::Unknown(unknown) = &key_value.value {
                    self.add_dep(&base);
                    return Ok(Node::new(span, Value::Unknown(unknown.clone())));
                }
                let Some(entry) = expansion.select(key_value) else {
                    self.add_dep(&base);
                    return Err(EvalError::new(format!(
                        "{base} has no instance with key {}",
                        values::describe(key_value)
                    )));
                };
                let address = format!("{base}{}", expansion.entries[entry].suffix);
                self.add_dep(&address);
                self.instance_value(
                    instance,
                    resource,
                    index,
                    entry,
                    &address,
                    &steps[1..],
                    span,
                )
            }
            (_, Some(splat @ (Step::AttrSplat | Step::FullSplat))) => {
                self.add_dep(&base);
                let (each, after) = split_splat(splat, &steps[1..]);
                let mut results = Vec::with_capacity(expansion.entries.len());
                for (entry, instance_entry) in expansion.entries.iter().enumerate() {
                    let address = format!("{base}{}", instance_entry.suffix);
                    results.push(
                        self.instance_value(
                            instance, resource, index, entry, &address, each, span,
                        )?,
                    );
                }
                traverse(&Node::new(span, Value::List(results)), after, span, None)
            }
            _ => {
                self.add_dep(&base);
                let collection =
                    self.resource_collection(instance, resource, index, &expansion, &base, span)?;
                traverse(&collection, &steps, span, None)
            }
        }
    }

    /// Reads `steps` from one resource instance. An attribute that the configuration does
    /// not set is computed by the provider, so the body is not evaluated for it.
    #[allow(clippy::too_many_arguments)]
    fn instance_value(
        &mut self,
        instance: usize,
        resource: &ResourceConfig,
        index: usize,
        entry: usize,
        address: &str,
        steps: &[Step<'_>],
        span: Span,
    ) -> EvalResult {
        if let Some(Step::Attr(name)) = steps.first()
            && !resource.configures(name)
        {
            return Ok(Node::unknown(
                span,
                format!("computed by the provider: {address}.{name}"),
            ));
        }
        let bodies = match self.resource_bodies(instance, index) {
            Ok(bodies) => bodies,
            Err(unknown) => return Ok(respan(&unknown, span)),
        };
        let Some(body) = bodies.get(entry) else {
            return Ok(Node::unknown(
                span,
                format!("{address} could not be evaluated"),
            ));
        };
        if steps.is_empty() {
            return Ok(self.resource_object(&body.body, address, span));
        }
        traverse(&body.body, steps, span, Some(address))
    }

    /// Returns a whole resource instance as an object value.
    fn resource_object(&mut self, body: &Node, address: &str, span: Span) -> Node {
        self.resource_objects_made = true;
        let mut object = respan(body, span);
        if let Value::Map(map) = &mut object.value {
            map.insert(
                RESOURCE_MARKER.to_owned(),
                Node::new(span, Value::String(address.to_owned())),
            );
        }
        object
    }

    /// Returns every instance of a resource with `count` (a list) or `for_each` (a map).
    fn resource_collection(
        &mut self,
        instance: usize,
        resource: &ResourceConfig,
        index: usize,
        expansion: &Expansion,
        base: &str,
        span: Span,
    ) -> EvalResult {
        let bodies = match self.resource_bodies(instance, index) {
            Ok(bodies) => bodies,
            Err(unknown) => return Ok(respan(&unknown, span)),
        };
        let _ = resource;
        match expansion.kind {
            ExpansionKind::ForEach => {
                let mut map = nexafi_model::Map::new();
                for (key, &entry) in sorted_keys(expansion) {
                    if let Some(body) = bodies.get(entry) {
                        let address = format!("{base}{}", expansion.entries[entry].suffix);
                        let object = self.resource_object(&body.body, &address, span);
                        map.insert(key, object);
                    }
                }
                Ok(Node::new(span, Value::Map(map)))
            }
            _ => {
                let mut items = Vec::with_capacity(bodies.len());
                for (body, entry) in bodies.iter().zip(&expansion.entries) {
                    let address = format!("{base}{}", entry.suffix);
                    items.push(self.resource_object(&body.body, &address, span));
                }
                Ok(Node::new(span, Value::List(items)))
            }
        }
    }

    /// Evaluates `module.NAME...`.
    fn module_reference(&mut self, ops: &[Operator], span: Span, cx: &Ctx) -> EvalResult {
        let (name, rest) = first_attribute(ops, "module", "module.NAME.OUTPUT")?;
        let config = self.instances[cx.instance].config.clone();
        let Some(&call) = config.call_index.get(name) else {
            return Err(EvalError::new(format!(
                "module \"{name}\" is not declared in this module"
            )));
        };
        let steps = self.eval_steps(rest, cx)?;
        let calls = match self.call_instances(cx.instance, call) {
            Ok(calls) => calls,
            Err(unknown) => return Ok(respan(&unknown, span)),
        };
        let (expansion, children) = match calls.as_ref() {
            CallInstances::Missing(reason) => return Ok(Node::unknown(span, reason.clone())),
            CallInstances::Expanded {
                expansion,
                children,
            } => (expansion.clone(), children.clone()),
        };
        let address = format!("{}module.{name}", self.instances[cx.instance].prefix);
        match (&expansion.kind, steps.first()) {
            (ExpansionKind::Unknown(unknown), first) => match (first, children.first()) {
                (Some(Step::Index(_)), Some(&child)) => self.module_value(child, &steps[1..], span),
                _ => Ok(Node::unknown(span, unknown.reason.clone())),
            },
            (ExpansionKind::Single, _) => match children.first() {
                Some(&child) => self.module_value(child, &steps, span),
                None => Ok(Node::unknown(span, format!("{address} has no instance"))),
            },
            (_, Some(Step::Index(key))) => {
                if let Value::Unknown(unknown) = &key.value {
                    return Ok(Node::new(span, Value::Unknown(unknown.clone())));
                }
                match expansion.select(key).and_then(|entry| children.get(entry)) {
                    Some(&child) => self.module_value(child, &steps[1..], span),
                    None => Err(EvalError::new(format!(
                        "{address} has no instance with key {}",
                        values::describe(key)
                    ))),
                }
            }
            (_, Some(splat @ (Step::AttrSplat | Step::FullSplat))) => {
                let (each, after) = split_splat(splat, &steps[1..]);
                let mut results = Vec::with_capacity(children.len());
                for &child in &children {
                    results.push(self.module_value(child, each, span)?);
                }
                traverse(&Node::new(span, Value::List(results)), after, span, None)
            }
            _ => {
                let collection = if expansion.kind == ExpansionKind::ForEach {
                    let mut map = nexafi_model::Map::new();
                    for (key, &entry) in sorted_keys(&expansion) {
                        if let Some(&child) = children.get(entry) {
                            map.insert(key, self.module_value(child, &[], span)?);
                        }
                    }
                    Node::new(span, Value::Map(map))
                } else {
                    let mut items = Vec::with_capacity(children.len());
                    for &child in &children {
                        items.push(self.module_value(child, &[], span)?);
                    }
                    Node::new(span, Value::List(items))
                };
                traverse(&collection, &steps, span, None)
            }
        }
    }

    /// Reads `steps` from one module instance: an output, or the object of all outputs.
    fn module_value(&mut self, child: usize, steps: &[Step<'_>], span: Span) -> EvalResult {
        let config = self.instances[child].config.clone();
        if let Some(Step::Attr(output)) = steps.first() {
            let Some(&index) = config.output_index.get(*output) else {
                let address = self.instances[child]
                    .prefix
                    .trim_end_matches('.')
                    .to_owned();
                return Err(EvalError::new(format!(
                    "{address} has no output \"{output}\""
                )));
            };
            let evaluated = match self.output_value(child, index, span) {
                Ok(evaluated) => evaluated,
                Err(unknown) => return Ok(respan(&unknown, span)),
            };
            self.merge_deps(&evaluated.deps);
            return traverse(&evaluated.value, &steps[1..], span, None);
        }
        let mut map = nexafi_model::Map::new();
        for (index, output) in config.outputs.iter().enumerate() {
            let value = match self.output_value(child, index, span) {
                Ok(evaluated) => {
                    let evaluated: Rc<_> = evaluated;
                    self.merge_deps(&evaluated.deps);
                    respan(&evaluated.value, span)
                }
                Err(unknown) => respan(&unknown, span),
            };
            map.insert(output.name.clone(), value);
        }
        traverse(&Node::new(span, Value::Map(map)), steps, span, None)
    }
}

/// Splits `root.NAME` off the operators, or fails with the expected form.
fn first_attribute<'a>(
    ops: &'a [Operator],
    root: &str,
    form: &str,
) -> Result<(&'a str, &'a [Operator]), EvalError> {
    match ops.split_first() {
        Some((Operator::GetAttr(name), rest)) => Ok((name, rest)),
        _ => Err(EvalError::new(format!(
            "{root} must be followed by an attribute name, as in {form}"
        ))),
    }
}

/// Returns the `for_each` keys of an expansion in sorted order.
fn sorted_keys(expansion: &Expansion) -> Vec<(String, &usize)> {
    let mut keys: Vec<(String, &usize)> = expansion
        .by_key
        .iter()
        .map(|(key, entry)| (key.clone(), entry))
        .collect();
    keys.sort();
    keys
}
