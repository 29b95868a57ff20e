//! Expressions: literals, templates, operators, conditionals, `for` expressions and
//! function calls.

use std::path::Path;
use std::rc::Rc;

use hcl_edit::expr::{BinaryOperator, UnaryOperator};
use nexafi_model::{Map, Node, Span, Unknown, Value};

use super::{Ctx, EvalError, EvalResult, Evaluator, MAX_EVAL_DEPTH, ScopeVar};
use crate::terraform::functions::{self, FunctionError};
use crate::terraform::hcl::{self, Spans};
use crate::terraform::syntax::{Call, Expr, ExprKind, ForExpr, ObjectKey, Part};
use crate::terraform::values::{
    self, first_unknown, same_value, strip_markers, to_bool, to_key, to_number, to_text, type_name,
};

impl Evaluator<'_> {
    /// Evaluates `expr`. Unknown inputs give unknown results; invalid expressions give
    /// an error.
    pub(crate) fn eval(&mut self, expr: &Expr, cx: &Ctx) -> EvalResult {
        if self.depth >= MAX_EVAL_DEPTH {
            return Err(EvalError::new(format!(
                "the expression is nested more than {MAX_EVAL_DEPTH} levels deep, counting the \
                 locals, variables and outputs it reads"
            )));
        }
        self.depth += 1;
        let result = self.eval_kind(expr, cx);
        self.depth -= 1;
        result
    }

    fn eval_kind(&mut self, expr: &Expr, cx: &Ctx) -> EvalResult {
        let span = expr.span;
        let value = match &expr.kind {
            ExprKind::Null => Value::Null,
            ExprKind::Bool(flag) => Value::Bool(*flag),
            ExprKind::Number(number) => Value::Number(*number),
            ExprKind::String(text) => Value::String(text.clone()),
            ExprKind::Template(parts) => return self.eval_template(parts, span, cx),
            ExprKind::Tuple(items) => {
                let mut list = Vec::with_capacity(items.len());
                for item in items {
                    list.push(self.eval(item, cx)?);
                }
                Value::List(list)
            }
            ExprKind::Object(entries) => return self.eval_object(entries, span, cx),
            ExprKind::Variable(name) => return self.eval_reference(name, &[], span, cx),
            ExprKind::Traversal(root, ops) => {
                return match &root.kind {
                    ExprKind::Variable(name) => self.eval_reference(name, ops, span, cx),
                    _ => {
                        let value = self.eval(root, cx)?;
                        let steps = self.eval_steps(ops, cx)?;
                        super::refs::traverse(&value, &steps, span, None)
                    }
                };
            }
            ExprKind::Call(call) => return self.eval_call(call, span, cx),
            ExprKind::Unary(operator, operand) => {
                let operand = self.eval(operand, cx)?;
                return unary(*operator, &operand, span);
            }
            ExprKind::Binary(operator, left, right) => {
                let left = self.eval(left, cx)?;
                let right = self.eval(right, cx)?;
                return binary(*operator, &left, &right, span);
            }
            ExprKind::Conditional(conditional) => {
                let condition = self.eval(&conditional.condition, cx)?;
                return match &condition.value {
                    Value::Unknown(unknown) => {
                        // Both branches equal: the result does not depend on the condition.
                        let if_true = self.eval(&conditional.if_true, cx);
                        let if_false = self.eval(&conditional.if_false, cx);
                        match (if_true, if_false) {
                            (Ok(a), Ok(b)) if same_value(&a, &b) && first_unknown(&a).is_none() => {
                                Ok(a)
                            }
                            _ => Ok(Node::new(span, Value::Unknown(unknown.clone()))),
                        }
                    }
                    _ => match to_bool(&condition) {
                        Some(true) => self.eval(&conditional.if_true, cx),
                        Some(false) => self.eval(&conditional.if_false, cx),
                        None => Err(EvalError::new(format!(
                            "the condition must be a bool, found {}",
                            values::describe(&condition)
                        ))),
                    },
                };
            }
            ExprKind::For(for_expr) => return self.eval_for(for_expr, span, cx),
            ExprKind::Invalid(message) => return Err(EvalError::new(message.clone())),
        };
        Ok(Node::new(span, value))
    }

    fn eval_object(&mut self, entries: &[(ObjectKey, Expr)], span: Span, cx: &Ctx) -> EvalResult {
        let mut map = Map::with_capacity(entries.len());
        let mut unknown_key: Option<Unknown> = None;
        for (key, value) in entries {
            let key = match key {
                ObjectKey::Literal(text) => text.clone(),
                ObjectKey::Expr(expr) => {
                    let key = self.eval(expr, cx)?;
                    if let Value::Unknown(unknown) = &key.value {
                        unknown_key.get_or_insert_with(|| unknown.clone());
                        continue;
                    }
                    to_key(&key).ok_or_else(|| {
                        EvalError::new(format!(
                            "an object key must be a string, found {}",
                            values::describe(&key)
                        ))
                    })?
                }
            };
            let value = self.eval(value, cx)?;
            map.insert(key, value);
        }
        match unknown_key {
            Some(unknown) => Ok(Node::new(span, Value::Unknown(unknown))),
            None => Ok(Node::new(span, Value::Map(map))),
        }
    }

    /// Runs `compute` with extra scope variables, removing them afterwards.
    pub(super) fn with_scope<T>(
        &mut self,
        vars: Vec<ScopeVar>,
        compute: impl FnOnce(&mut Self) -> T,
    ) -> T {
        let depth = self.scope.len();
        self.scope.extend(vars);
        let result = compute(self);
        self.scope.truncate(depth);
        result
    }

    fn eval_template(&mut self, parts: &[Part], span: Span, cx: &Ctx) -> EvalResult {
        // A template that is one interpolation keeps the value's type: "${var.list}".
        if let [Part::Interpolation(expr)] = parts {
            let mut value = self.eval(expr, cx)?;
            value.span = span;
            return Ok(value);
        }
        let mut text = String::new();
        match self.render_parts(parts, &mut text, cx)? {
            Some(unknown) => Ok(Node::new(span, Value::Unknown(unknown))),
            None => Ok(Node::new(span, Value::String(text))),
        }
    }

    /// Appends the rendered parts to `out`; returns the unknown value that makes the
    /// whole template unknown, if one is met.
    fn render_parts(
        &mut self,
        parts: &[Part],
        out: &mut String,
        cx: &Ctx,
    ) -> Result<Option<Unknown>, EvalError> {
        for part in parts {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Interpolation(expr) => {
                    let value = self.eval(expr, cx)?;
                    if let Value::Unknown(unknown) = value.value {
                        return Ok(Some(unknown));
                    }
                    out.push_str(&to_text(&value).map_err(EvalError::new)?);
                }
                Part::If {
                    condition,
                    then,
                    otherwise,
                } => {
                    let value = self.eval(condition, cx)?;
                    if let Value::Unknown(unknown) = value.value {
                        return Ok(Some(unknown));
                    }
                    let branch = match to_bool(&value) {
                        Some(true) => then,
                        Some(false) => otherwise,
                        None => {
                            return Err(EvalError::new(format!(
                                "the %{{if}} condition must be a bool, found {}",
                                values::describe(&value)
                            )));
                        }
                    };
                    if let Some(unknown) = self.render_parts(branch, out, cx)? {
                        return Ok(Some(unknown));
                    }
                }
                Part::For {
                    key_var,
                    value_var,
                    collection,
                    body,
                } => {
                    let collection = self.eval(collection, cx)?;
                    let elements = match iterate(collection)? {
                        Iteration::Unknown(unknown) => return Ok(Some(unknown)),
                        Iteration::Elements(elements) => elements,
                    };
                    for (key, value) in elements {
                        let vars = loop_vars(key_var.as_deref(), value_var, key, value);
                        let rendered =
                            self.with_scope(vars, |this| this.render_parts(body, out, cx))?;
                        if let Some(unknown) = rendered {
                            return Ok(Some(unknown));
                        }
                    }
                }
            }
        }
        Ok(None)
    }

    fn eval_for(&mut self, for_expr: &ForExpr, span: Span, cx: &Ctx) -> EvalResult {
        let collection = self.eval(&for_expr.collection, cx)?;
        let elements = match iterate(collection)? {
            Iteration::Unknown(unknown) => return Ok(Node::new(span, Value::Unknown(unknown))),
            Iteration::Elements(elements) => elements,
        };
        let mut list = Vec::new();
        let mut map = Map::new();
        for (key, value) in elements {
            let vars = loop_vars(for_expr.key_var.as_deref(), &for_expr.value_var, key, value);
            let (key, value) = match self.with_scope(vars, |this| this.for_element(for_expr, cx))? {
                ForStep::Skip => continue,
                ForStep::Unknown(unknown) => return Ok(Node::new(span, Value::Unknown(unknown))),
                ForStep::Keep(key, value) => (key, value),
            };
            match key {
                None => list.push(value),
                Some(key) => {
                    let key = match &key.value {
                        Value::Unknown(unknown) => {
                            return Ok(Node::new(span, Value::Unknown(unknown.clone())));
                        }
                        _ => to_key(&key).ok_or_else(|| {
                            EvalError::new(format!(
                                "a for expression key must be a string, found {}",
                                values::describe(&key)
                            ))
                        })?,
                    };
                    if for_expr.grouping {
                        let group = map
                            .entry(key)
                            .or_insert_with(|| Node::new(span, Value::List(Vec::new())));
                        if let Value::List(items) = &mut group.value {
                            items.push(value);
                        }
                    } else if map.contains_key(&key) {
                        return Err(EvalError::new(format!(
                            "the for expression produces the key \"{key}\" twice; add `...` after the value to group values by key"
                        )));
                    } else {
                        map.insert(key, value);
                    }
                }
            }
        }
        if for_expr.key.is_some() {
            Ok(Node::new(span, Value::Map(map)))
        } else {
            Ok(Node::new(span, Value::List(list)))
        }
    }

    /// Evaluates the condition, key and value of one `for` element.
    fn for_element(&mut self, for_expr: &ForExpr, cx: &Ctx) -> Result<ForStep, EvalError> {
        if let Some(condition) = &for_expr.condition {
            let keep = self.eval(condition, cx)?;
            match (&keep.value, to_bool(&keep)) {
                (Value::Unknown(unknown), _) => return Ok(ForStep::Unknown(unknown.clone())),
                (_, Some(false)) => return Ok(ForStep::Skip),
                (_, Some(true)) => {}
                (_, None) => {
                    return Err(EvalError::new(format!(
                        "the for expression condition must be a bool, found {}",
                        values::describe(&keep)
                    )));
                }
            }
        }
        let key = match &for_expr.key {
            Some(key) => Some(self.eval(key, cx)?),
            None => None,
        };
        let value = self.eval(&for_expr.value, cx)?;
        Ok(ForStep::Keep(key, value))
    }

    fn eval_call(&mut self, call: &Call, span: Span, cx: &Ctx) -> EvalResult {
        match call.name.as_str() {
            "try" => {
                for arg in &call.args {
                    match self.eval(arg, cx) {
                        Ok(value) => {
                            if let Some(unknown) = first_unknown(&value) {
                                return Ok(Node::new(span, Value::Unknown(unknown.clone())));
                            }
                            return Ok(value);
                        }
                        Err(_) => continue,
                    }
                }
                Err(EvalError::new(
                    "no argument of try() could be evaluated without an error",
                ))
            }
            "can" => {
                let [arg] = call.args.as_slice() else {
                    return Err(EvalError::new("can() takes exactly one argument"));
                };
                match self.eval(arg, cx) {
                    Ok(value) => match first_unknown(&value) {
                        Some(unknown) => Ok(Node::new(span, Value::Unknown(unknown.clone()))),
                        None => Ok(Node::new(span, Value::Bool(true))),
                    },
                    Err(_) => Ok(Node::new(span, Value::Bool(false))),
                }
            }
            "templatefile" => self.templatefile(call, span, cx),
            name => {
                let mut args = Vec::with_capacity(call.args.len());
                for arg in &call.args {
                    args.push(self.eval(arg, cx)?);
                }
                if call.expand_final {
                    let Some(last) = args.pop() else {
                        return Err(EvalError::new(format!(
                            "{name}() has no argument to expand with ..."
                        )));
                    };
                    match last.value {
                        Value::List(items) => args.extend(items),
                        Value::Unknown(unknown) => {
                            return Ok(Node::new(span, Value::Unknown(unknown)));
                        }
                        _ => {
                            return Err(EvalError::new(format!(
                                "the argument before ... must be a list, found {}",
                                type_name(&last)
                            )));
                        }
                    }
                }
                if self.resource_objects_made {
                    args.iter_mut().for_each(strip_markers);
                }
                let context = &self.instances[cx.instance].function_context;
                match functions::call(name, &args, span, context) {
                    Ok(node) => Ok(node),
                    Err(FunctionError::Unsupported(reason)) => Ok(Node::unknown(span, reason)),
                    Err(FunctionError::Invalid(message)) => {
                        Err(EvalError::new(format!("{name}(): {message}")))
                    }
                }
            }
        }
    }

    /// `templatefile(path, vars)`: renders the file with only `vars` in scope.
    fn templatefile(&mut self, call: &Call, span: Span, cx: &Ctx) -> EvalResult {
        let [path_arg, vars_arg] = call.args.as_slice() else {
            return Err(EvalError::new(
                "templatefile() takes two arguments: a path and an object of variables",
            ));
        };
        let path = self.eval(path_arg, cx)?;
        let vars = self.eval(vars_arg, cx)?;
        let path = match &path.value {
            Value::Unknown(unknown) => return Ok(Node::new(span, Value::Unknown(unknown.clone()))),
            Value::String(path) => path.clone(),
            _ => {
                return Err(EvalError::new(
                    "the path given to templatefile() must be a string",
                ));
            }
        };
        let vars = match vars.value {
            Value::Unknown(unknown) => return Ok(Node::new(span, Value::Unknown(unknown))),
            Value::Map(map) => map,
            Value::Null => Map::new(),
            _ => {
                return Err(EvalError::new(
                    "the variables given to templatefile() must be an object",
                ));
            }
        };

        let context = &self.instances[cx.instance].function_context;
        let full_path = context.module_dir.join(Path::new(&path));
        let inside = match (std::fs::canonicalize(&full_path), &context.read_root) {
            (Ok(resolved), Some(root)) => {
                std::fs::canonicalize(root).is_ok_and(|root| resolved.starts_with(root))
            }
            (Ok(_), None) => true,
            (Err(_), _) => true,
        };
        if !inside {
            return Ok(Node::unknown(
                span,
                format!(
                    "templatefile(): {path} is outside the directories of the configuration, so it is not read"
                ),
            ));
        }
        let template = match self.templates.get(&full_path) {
            Some(template) => template.clone(),
            None => {
                let template = Rc::new(match std::fs::read_to_string(&full_path) {
                    Ok(text) => hcl::parse_template(&text, Spans::Fixed(span)).map_err(|error| {
                        format!(
                            "templatefile(): {path} is not a valid template: {}",
                            error.message
                        )
                    }),
                    Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                        Err(format!("templatefile(): the file {path} does not exist"))
                    }
                    Err(error) => Err(format!("templatefile(): cannot read {path}: {error}")),
                });
                self.templates.insert(full_path, template.clone());
                template
            }
        };
        let expr = match template.as_ref() {
            Ok(expr) => expr,
            // A missing file is likely generated before `terraform plan`: unknown, not an error.
            Err(message) if message.ends_with("does not exist") => {
                return Ok(Node::unknown(span, message.clone()));
            }
            Err(message) => return Err(EvalError::new(message.clone())),
        };

        let scope_vars = vars
            .into_iter()
            .map(|(name, value)| ScopeVar {
                name,
                value,
                deps: Rc::from(Vec::new()),
            })
            .collect();
        let template_cx = Ctx {
            instance: cx.instance,
            keys: None,
            isolated: true,
        };
        let saved_scope = std::mem::take(&mut self.scope);
        let result = self.with_scope(scope_vars, |this| this.eval(expr, &template_cx));
        self.scope = saved_scope;
        let mut result = result?;
        result.span = span;
        Ok(result)
    }
}

/// The outcome of one element of a `for` expression.
enum ForStep {
    /// The condition filtered the element out.
    Skip,
    /// The condition is unknown, so the whole result is.
    Unknown(Unknown),
    Keep(Option<Node>, Node),
}

enum Iteration {
    Unknown(Unknown),
    Elements(Vec<(Node, Node)>),
}

/// Lists the key and value of each element of a collection; maps in key order, as
/// Terraform iterates them.
fn iterate(collection: Node) -> Result<Iteration, EvalError> {
    let span = collection.span;
    match collection.value {
        Value::Unknown(unknown) => Ok(Iteration::Unknown(unknown)),
        Value::List(items) => Ok(Iteration::Elements(
            items
                .into_iter()
                .enumerate()
                .map(|(index, value)| {
                    // List positions stay far below 2^53.
                    #[allow(clippy::cast_precision_loss)]
                    let key = Node::new(span, Value::Number(index as f64));
                    (key, value)
                })
                .collect(),
        )),
        Value::Map(map) => {
            let mut pairs: Vec<(String, Node)> = map.into_iter().collect();
            pairs.sort_by(|a, b| a.0.cmp(&b.0));
            Ok(Iteration::Elements(
                pairs
                    .into_iter()
                    .map(|(key, value)| (Node::new(span, Value::String(key)), value))
                    .collect(),
            ))
        }
        Value::Null => Err(EvalError::new("cannot iterate over a null value")),
        other => Err(EvalError::new(format!(
            "cannot iterate over a {}",
            type_name(&Node::new(span, other))
        ))),
    }
}

fn loop_vars(key_var: Option<&str>, value_var: &str, key: Node, value: Node) -> Vec<ScopeVar> {
    let mut vars = Vec::with_capacity(2);
    if let Some(key_var) = key_var {
        vars.push(ScopeVar {
            name: key_var.to_owned(),
            value: key,
            deps: Rc::from(Vec::new()),
        });
    }
    vars.push(ScopeVar {
        name: value_var.to_owned(),
        value,
        deps: Rc::from(Vec::new()),
    });
    vars
}

fn unary(operator: UnaryOperator, operand: &Node, span: Span) -> EvalResult {
    if let Value::Unknown(unknown) = &operand.value {
        return Ok(Node::new(span, Value::Unknown(unknown.clone())));
    }
    let value = match operator {
        UnaryOperator::Neg => Value::Number(-to_number(operand).ok_or_else(|| {
            EvalError::new(format!(
                "- needs a number, found {}",
                values::describe(operand)
            ))
        })?),
        UnaryOperator::Not => Value::Bool(!to_bool(operand).ok_or_else(|| {
            EvalError::new(format!(
                "! needs a bool, found {}",
                values::describe(operand)
            ))
        })?),
    };
    Ok(Node::new(span, value))
}

fn binary(operator: BinaryOperator, left: &Node, right: &Node, span: Span) -> EvalResult {
    use BinaryOperator as Op;

    match operator {
        Op::And | Op::Or => {
            let left_bool = bool_operand(operator, left)?;
            let right_bool = bool_operand(operator, right)?;
            // One known side can decide: false && x is false, true || x is true.
            let decided = match (operator, left_bool, right_bool) {
                (Op::And, Some(false), _) | (Op::And, _, Some(false)) => Some(false),
                (Op::Or, Some(true), _) | (Op::Or, _, Some(true)) => Some(true),
                (Op::And, Some(true), Some(true)) => Some(true),
                (Op::Or, Some(false), Some(false)) => Some(false),
                _ => None,
            };
            return Ok(match decided {
                Some(flag) => Node::new(span, Value::Bool(flag)),
                None => unknown_of(left, right, span),
            });
        }
        Op::Eq | Op::NotEq => {
            if first_unknown(left).is_some() || first_unknown(right).is_some() {
                return Ok(unknown_of(left, right, span));
            }
            let equal = same_value(left, right);
            return Ok(Node::new(span, Value::Bool(equal == (operator == Op::Eq))));
        }
        _ => {}
    }

    if left.is_unknown() || right.is_unknown() {
        return Ok(unknown_of(left, right, span));
    }
    let number = |node: &Node| {
        to_number(node).ok_or_else(|| {
            EvalError::new(format!(
                "{} needs numbers, found {}",
                operator.as_str(),
                values::describe(node)
            ))
        })
    };
    let (a, b) = (number(left)?, number(right)?);
    let value = match operator {
        Op::Plus => Value::Number(a + b),
        Op::Minus => Value::Number(a - b),
        Op::Mul => Value::Number(a * b),
        Op::Div if b == 0.0 => return Err(EvalError::new("division by zero")),
        Op::Div => Value::Number(a / b),
        Op::Mod if b == 0.0 => return Err(EvalError::new("modulo by zero")),
        Op::Mod => Value::Number(a % b),
        Op::Less => Value::Bool(a < b),
        Op::LessEq => Value::Bool(a <= b),
        Op::Greater => Value::Bool(a > b),
        Op::GreaterEq => Value::Bool(a >= b),
        Op::And | Op::Or | Op::Eq | Op::NotEq => return Err(EvalError::new("unexpected operator")),
    };
    Ok(Node::new(span, value))
}

/// Reads a `&&` or `||` operand: `None` when it is unknown.
fn bool_operand(operator: BinaryOperator, node: &Node) -> Result<Option<bool>, EvalError> {
    if node.is_unknown() {
        return Ok(None);
    }
    to_bool(node).map(Some).ok_or_else(|| {
        EvalError::new(format!(
            "{} needs bools, found {}",
            operator.as_str(),
            values::describe(node)
        ))
    })
}

/// Builds the unknown result of an operation, carrying the first operand's reason.
fn unknown_of(left: &Node, right: &Node, span: Span) -> Node {
    let unknown = first_unknown(left)
        .or_else(|| first_unknown(right))
        .cloned()
        .unwrap_or_else(|| Unknown::new("an operand is not known offline"));
    Node::new(span, Value::Unknown(unknown))
}
