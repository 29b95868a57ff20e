//! Argument access shared by every function: arity, unknowns and Terraform's automatic
//! conversions between strings, numbers and booleans.

use std::borrow::Cow;
use std::fmt::Display;

use nexafi_model::{Map, Node, Span, Value};

use super::FunctionContext;
use super::value::{self, MAX_DEPTH};

/// Outcome of a call that produced no value. `Unknown` is not an error: [`super::call`] turns
/// it into an unknown result whose reason names the function.
#[derive(Debug)]
pub(super) enum Failure {
    Invalid(String),
    Unsupported(String),
    Unknown(String),
}

pub(super) type Outcome = Result<Node, Failure>;

/// One call of a function: its evaluated arguments and where the call is.
pub(super) struct Call<'a> {
    pub name: &'static str,
    pub params: &'static [&'static str],
    pub variadic: Option<&'static str>,
    pub args: &'a [Node],
    pub span: Span,
    pub context: &'a FunctionContext,
}

impl<'a> Call<'a> {
    /// Checks the number of arguments against the parameter list, in Terraform's
    /// words, and rejects arguments nested so deeply that walking them could exhaust
    /// the stack.
    pub fn check_arity(&self, max_args: Option<usize>) -> Result<(), Failure> {
        let required = self.params.len();
        if let Some(missing) = self.params.get(self.args.len()) {
            return Err(Failure::Invalid(format!(
                "not enough function arguments: {} expected, missing value for \"{missing}\"",
                plural_arguments(required, self.variadic.is_some()),
            )));
        }

        let max = match self.variadic {
            None => Some(required),
            Some(_) => max_args,
        };
        if let Some(max) = max
            && self.args.len() > max
        {
            return Err(Failure::Invalid(format!(
                "too many function arguments: only {} expected",
                plural_arguments(max, false),
            )));
        }

        for (index, arg) in self.args.iter().enumerate() {
            if value::depth_exceeds(arg, MAX_DEPTH) {
                return Err(self.invalid(
                    index,
                    format!("value is nested more than {MAX_DEPTH} levels deep"),
                ));
            }
        }
        Ok(())
    }

    /// Fails with the reason of the first unknown value anywhere in the arguments.
    pub fn reject_unknown_args(&self) -> Result<(), Failure> {
        match self.args.iter().find_map(value::first_unknown) {
            Some(unknown) => Err(Failure::Unknown(unknown.reason.clone())),
            None => Ok(()),
        }
    }

    /// Returns the name of parameter `index`, the variadic one included.
    pub fn param(&self, index: usize) -> &'static str {
        self.params
            .get(index)
            .copied()
            .or(self.variadic)
            .unwrap_or("argument")
    }

    /// Builds the error for a bad argument: `invalid value for "str" parameter: ...`.
    pub fn invalid(&self, index: usize, message: impl Display) -> Failure {
        Failure::Invalid(format!(
            "invalid value for \"{}\" parameter: {message}",
            self.param(index)
        ))
    }

    /// Builds the error for a call that failed as a whole. Like every message here it
    /// leaves out the function's name, which the caller puts in front.
    pub fn fail(&self, message: impl Display) -> Failure {
        Failure::Invalid(message.to_string())
    }

    pub fn arg(&self, index: usize) -> Result<&'a Node, Failure> {
        self.args
            .get(index)
            .ok_or_else(|| self.invalid(index, "missing value"))
    }

    /// Returns argument `index` unless it is itself unknown; null passes.
    pub fn known(&self, index: usize) -> Result<&'a Node, Failure> {
        let node = self.arg(index)?;
        match &node.value {
            Value::Unknown(unknown) => Err(Failure::Unknown(unknown.reason.clone())),
            _ => Ok(node),
        }
    }

    /// Returns argument `index` unless it is unknown or null.
    pub fn present(&self, index: usize) -> Result<&'a Node, Failure> {
        let node = self.known(index)?;
        if node.is_null() {
            return Err(self.invalid(index, "argument must not be null"));
        }
        Ok(node)
    }

    /// Reads a string argument; numbers and booleans convert as Terraform converts them.
    pub fn string(&self, index: usize) -> Result<Cow<'a, str>, Failure> {
        let node = self.present(index)?;
        value::to_string(node).ok_or_else(|| {
            self.invalid(
                index,
                format!("string required, but have {}", value::type_name(node)),
            )
        })
    }

    /// Reads a number argument; strings that spell a decimal number convert.
    pub fn number(&self, index: usize) -> Result<f64, Failure> {
        let node = self.present(index)?;
        match &node.value {
            Value::Number(number) => Ok(*number),
            Value::String(text) => value::parse_number(text).ok_or_else(|| {
                self.invalid(
                    index,
                    format!(
                        "cannot convert {text:?} to number: a number is required, as a decimal representation like 1 or 2.5"
                    ),
                )
            }),
            _ => Err(self.invalid(
                index,
                format!("number required, but have {}", value::type_name(node)),
            )),
        }
    }

    /// Reads a whole-number argument that fits an `i64`.
    pub fn integer(&self, index: usize) -> Result<i64, Failure> {
        let number = self.number(index)?;
        value::to_integer(number).ok_or_else(|| self.invalid(index, "must be a whole number"))
    }

    /// Reads a list, set or tuple argument. Its elements may still be unknown.
    pub fn list(&self, index: usize) -> Result<&'a [Node], Failure> {
        let node = self.present(index)?;
        node.as_list().ok_or_else(|| {
            self.invalid(
                index,
                format!("list required, but have {}", value::type_name(node)),
            )
        })
    }

    /// Reads a map or object argument. Its values may still be unknown.
    pub fn map(&self, index: usize) -> Result<&'a Map, Failure> {
        let node = self.present(index)?;
        node.as_map().ok_or_else(|| {
            self.invalid(
                index,
                format!("map required, but have {}", value::type_name(node)),
            )
        })
    }

    /// Wraps a result value in a node at the call's span.
    pub fn node(&self, value: Value) -> Node {
        Node::new(self.span, value)
    }

    pub fn string_node(&self, text: impl Into<String>) -> Outcome {
        Ok(self.node(Value::String(text.into())))
    }

    pub fn number_node(&self, number: f64) -> Outcome {
        Ok(self.node(Value::Number(number)))
    }

    pub fn bool_node(&self, flag: bool) -> Outcome {
        Ok(self.node(Value::Bool(flag)))
    }

    pub fn list_node(&self, items: Vec<Node>) -> Outcome {
        Ok(self.node(Value::List(items)))
    }

    /// Returns a string result unless it is longer than [`value::MAX_STRING_BYTES`].
    pub fn checked_string(&self, text: String) -> Outcome {
        value::check_string_size(text.len()).map_err(|message| self.fail(message))?;
        self.string_node(text)
    }
}

fn plural_arguments(count: usize, or_more: bool) -> String {
    let noun = if count == 1 { "argument" } else { "arguments" };
    if or_more {
        format!("at least {count} {noun}")
    } else {
        format!("{count} {noun}")
    }
}
