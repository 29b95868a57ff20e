//! Type constraints of variables and the conversions Terraform applies to given values.

use nexafi_model::{Map, Node, Value, format_number};

use super::{Ctx, Evaluator};
use crate::terraform::syntax::{Expr, ExprKind, ObjectKey};
use crate::terraform::values::{describe, to_bool, to_number};

#[derive(Clone, Debug)]
pub(crate) enum Type {
    Any,
    String,
    Number,
    Bool,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Tuple(Vec<Type>),
    Object(Vec<ObjectAttribute>),
}

#[derive(Clone, Debug)]
pub(crate) struct ObjectAttribute {
    pub name: String,
    pub kind: Type,
    /// Declared with `optional(...)`: may be omitted.
    pub optional: bool,
    /// The second argument of `optional(type, default)`.
    pub default: Option<Node>,
}

impl Evaluator<'_> {
    /// Reads a `type` expression. Forms it does not know accept any value.
    pub(super) fn type_constraint(&mut self, expr: &Expr, instance: usize) -> Type {
        match &expr.kind {
            ExprKind::Variable(name) => primitive(name),
            // Terraform 0.11 wrote types as strings.
            ExprKind::String(name) => match name.as_str() {
                "list" => Type::List(Box::new(Type::Any)),
                "map" => Type::Map(Box::new(Type::Any)),
                other => primitive(other),
            },
            ExprKind::Call(call) => match (call.name.as_str(), call.args.as_slice()) {
                ("list", [element]) => {
                    Type::List(Box::new(self.type_constraint(element, instance)))
                }
                ("set", [element]) => Type::Set(Box::new(self.type_constraint(element, instance))),
                ("map", [element]) => Type::Map(Box::new(self.type_constraint(element, instance))),
                ("tuple", [elements]) => match &elements.kind {
                    ExprKind::Tuple(items) => Type::Tuple(
                        items
                            .iter()
                            .map(|item| self.type_constraint(item, instance))
                            .collect(),
                    ),
                    _ => Type::Any,
                },
                ("object", [attributes]) => match &attributes.kind {
                    ExprKind::Object(entries) => {
                        Type::Object(self.object_attributes(entries, instance))
                    }
                    _ => Type::Any,
                },
                _ => Type::Any,
            },
            _ => Type::Any,
        }
    }

    fn object_attributes(
        &mut self,
        entries: &[(ObjectKey, Expr)],
        instance: usize,
    ) -> Vec<ObjectAttribute> {
        let mut attributes = Vec::with_capacity(entries.len());
        for (key, value) in entries {
            let name = match key {
                ObjectKey::Literal(name) => name.clone(),
                ObjectKey::Expr(expr) => match expr.as_literal_str().or_else(|| expr.as_variable())
                {
                    Some(name) => name.to_owned(),
                    None => continue,
                },
            };
            let attribute = match &value.kind {
                ExprKind::Call(call) if call.name == "optional" => {
                    let kind = call
                        .args
                        .first()
                        .map_or(Type::Any, |inner| self.type_constraint(inner, instance));
                    let default = call.args.get(1).map(|default| {
                        let cx = Ctx {
                            instance,
                            keys: None,
                            isolated: true,
                        };
                        self.eval_value(default, &cx)
                    });
                    ObjectAttribute {
                        name,
                        kind,
                        optional: true,
                        default,
                    }
                }
                _ => ObjectAttribute {
                    name,
                    kind: self.type_constraint(value, instance),
                    optional: false,
                    default: None,
                },
            };
            attributes.push(attribute);
        }
        attributes
    }
}

fn primitive(name: &str) -> Type {
    match name {
        "string" => Type::String,
        "number" => Type::Number,
        "bool" => Type::Bool,
        _ => Type::Any,
    }
}

/// Converts `node` to `kind` as Terraform converts variable values: strings to numbers
/// and bools, primitives to strings, object attributes filled from `optional` defaults.
pub(crate) fn convert(node: Node, kind: &Type) -> Result<Node, String> {
    let span = node.span;
    if matches!(node.value, Value::Unknown(_) | Value::Null) || matches!(kind, Type::Any) {
        return Ok(node);
    }
    let value = match kind {
        Type::Any => node.value,
        Type::String => match node.value {
            Value::String(text) => Value::String(text),
            Value::Number(number) => Value::String(format_number(number)),
            Value::Bool(flag) => Value::String(flag.to_string()),
            _ => return Err(format!("a string is required, found {}", describe(&node))),
        },
        Type::Number => match to_number(&node) {
            Some(number) => Value::Number(number),
            None => return Err(format!("a number is required, found {}", describe(&node))),
        },
        Type::Bool => match to_bool(&node) {
            Some(flag) => Value::Bool(flag),
            None => return Err(format!("a bool is required, found {}", describe(&node))),
        },
        Type::List(element) | Type::Set(element) => match node.value {
            Value::List(items) => Value::List(
                items
                    .into_iter()
                    .map(|item| convert(item, element))
                    .collect::<Result<_, _>>()?,
            ),
            other => {
                return Err(format!(
                    "a list is required, found {}",
                    describe(&Node::new(span, other))
                ));
            }
        },
        Type::Tuple(elements) => match node.value {
            Value::List(items) if items.len() == elements.len() => Value::List(
                items
                    .into_iter()
                    .zip(elements)
                    .map(|(item, element)| convert(item, element))
                    .collect::<Result<_, _>>()?,
            ),
            other => {
                return Err(format!(
                    "a tuple of {} elements is required, found {}",
                    elements.len(),
                    describe(&Node::new(span, other))
                ));
            }
        },
        Type::Map(element) => match node.value {
            Value::Map(map) => Value::Map(
                map.into_iter()
                    .map(|(key, item)| convert(item, element).map(|item| (key, item)))
                    .collect::<Result<_, _>>()?,
            ),
            other => {
                return Err(format!(
                    "a map is required, found {}",
                    describe(&Node::new(span, other))
                ));
            }
        },
        Type::Object(attributes) => match node.value {
            Value::Map(mut map) => {
                let mut object = Map::with_capacity(attributes.len());
                for attribute in attributes {
                    let given = map
                        .shift_remove(&attribute.name)
                        .filter(|value| !(value.is_null() && attribute.default.is_some()));
                    let value = match (given, &attribute.default) {
                        (Some(value), _) => convert(value, &attribute.kind).map_err(|message| {
                            format!("attribute \"{}\": {message}", attribute.name)
                        })?,
                        (None, Some(default)) => convert(default.clone(), &attribute.kind)
                            .map_err(|message| {
                                format!("attribute \"{}\": {message}", attribute.name)
                            })?,
                        (None, None) if attribute.optional => Node::null(span),
                        (None, None) => {
                            return Err(format!("attribute \"{}\" is required", attribute.name));
                        }
                    };
                    object.insert(attribute.name.clone(), value);
                }
                Value::Map(object)
            }
            other => {
                return Err(format!(
                    "an object is required, found {}",
                    describe(&Node::new(span, other))
                ));
            }
        },
    };
    Ok(Node::new(span, value))
}
