//! Execution of parsed templates with Go's semantics.
//!
//! Reading a missing map key gives nil, which an action prints as `<no value>`. Reading
//! a field of nil is an error ("nil pointer evaluating interface {}.x"), as in Go with
//! Helm's `missingkey=zero` option. `and` and `or` evaluate their arguments lazily and
//! return one of them, not a boolean.

use std::collections::HashMap;
use std::rc::Rc;

use nexafi_model::Span;

use super::ast::{Arg, Branch, Command, List, Node, Pipe, Pos};
use super::{Named, TemplateError, TemplateSet};
use crate::helm::funcs;
use crate::helm::value::{Value, write_go};

/// Maximum nesting of `template`, `include` and `tpl` calls. Charts nest a handful of
/// levels, and a template that calls itself without end stops here instead of
/// overflowing the stack.
pub const MAX_CALL_DEPTH: usize = 64;

/// Maximum nesting of control actions being run, across template calls, so a hostile
/// chart cannot exhaust the stack of the recursive executor.
pub const MAX_WALK_DEPTH: usize = 200;

/// Maximum iterations of all `range` loops in one render, so a hostile chart
/// (`range until 1000000000`) ends with an error.
pub const MAX_RANGE_ITERATIONS: usize = 1_000_000;

/// Maximum output of one render in bytes.
pub const MAX_OUTPUT_BYTES: usize = 64 << 20;

/// A part of the output that printed a value read from a values file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputOrigin {
    /// Byte range in the output.
    pub start: usize,
    pub end: usize,
    /// The key in the values file the value came from.
    pub span: Span,
}

/// The reason a walk stopped early.
pub enum Flow {
    Break,
    Continue,
    Error(TemplateError),
}

impl From<TemplateError> for Flow {
    fn from(error: TemplateError) -> Self {
        Flow::Error(error)
    }
}

type Walk = Result<(), Flow>;
pub type Eval<T> = Result<T, TemplateError>;

/// The state of one render: output, variables, the template being run and limits.
pub struct Exec<'a> {
    pub set: &'a TemplateSet,
    /// Templates defined by `tpl` strings, visible while that string runs.
    local: Vec<HashMap<String, Named>>,
    pub out: String,
    vars: Vec<(String, Value)>,
    depth: usize,
    walk_depth: usize,
    range_iterations: usize,
    /// The template file whose text is running, for error positions.
    pub file: Rc<str>,
    /// The top-level template of this render, the name `tpl` parses under.
    pub top: Rc<str>,
    pub origins: Vec<OutputOrigin>,
    /// Origins of values read while evaluating the current action.
    pending: Vec<Span>,
    /// Whether origins are recorded: only for the top-level output.
    recording: bool,
}

impl<'a> Exec<'a> {
    pub fn new(set: &'a TemplateSet, top: &str) -> Self {
        let top: Rc<str> = Rc::from(top);
        Self {
            set,
            local: Vec::new(),
            out: String::new(),
            vars: Vec::new(),
            depth: 0,
            walk_depth: 0,
            range_iterations: 0,
            file: Rc::clone(&top),
            top,
            origins: Vec::new(),
            pending: Vec::new(),
            recording: true,
        }
    }

    pub fn error(&self, pos: Pos, message: impl Into<String>) -> TemplateError {
        TemplateError {
            template: self.file.to_string(),
            pos,
            message: message.into(),
        }
    }

    fn lookup(&self, name: &str) -> Option<Named> {
        self.local
            .iter()
            .rev()
            .find_map(|defines| defines.get(name))
            .or_else(|| self.set.get(name))
            .cloned()
    }

    /// Runs the template `name` with `dot`, writing to the output.
    pub fn run(&mut self, name: &str, dot: &Value) -> Eval<()> {
        let Some(named) = self.lookup(name) else {
            return Err(self.error(Pos::default(), format!("no template {name:?} defined")));
        };
        self.run_named(&named, dot, Pos::default())
    }

    fn run_named(&mut self, named: &Named, dot: &Value, pos: Pos) -> Eval<()> {
        if self.depth >= MAX_CALL_DEPTH {
            return Err(self.error(
                pos,
                format!("templates call each other more than {MAX_CALL_DEPTH} levels deep; a template probably includes itself"),
            ));
        }
        self.depth += 1;
        let saved_vars = std::mem::replace(&mut self.vars, vec![("$".to_owned(), dot.clone())]);
        let saved_file = std::mem::replace(&mut self.file, Rc::clone(&named.file));
        let result = match self.walk(&named.body, dot) {
            Ok(()) | Err(Flow::Break | Flow::Continue) => Ok(()),
            Err(Flow::Error(error)) => Err(error),
        };
        self.file = saved_file;
        self.vars = saved_vars;
        self.depth -= 1;
        result
    }

    /// Runs a named template into a string of its own: `include`.
    pub fn include(&mut self, name: &str, dot: &Value, pos: Pos) -> Eval<String> {
        let Some(named) = self.lookup(name) else {
            return Err(self.error(pos, format!("error calling include: template: no template {name:?} associated with template {:?}", &*self.top)));
        };
        self.capture(|exec| exec.run_named(&named, dot, pos))
    }

    /// Parses `source` as a template and runs it with `dot` into a string: `tpl`.
    pub fn tpl(&mut self, source: &str, dot: &Value, pos: Pos) -> Eval<String> {
        let name = Rc::clone(&self.top);
        let parsed =
            super::parse::parse(source, &funcs::is_function).map_err(|error| TemplateError {
                template: name.to_string(),
                pos: error.pos,
                message: format!("error calling tpl: {}", error.message),
            })?;
        let defines = parsed
            .defines
            .into_iter()
            .map(|(define, body)| {
                (
                    define,
                    Named {
                        body: Rc::new(body),
                        file: Rc::clone(&name),
                    },
                )
            })
            .collect();
        let named = Named {
            body: Rc::new(parsed.root),
            file: name,
        };
        self.local.push(defines);
        let result = self.capture(|exec| exec.run_named(&named, dot, pos));
        self.local.pop();
        result.map_err(|mut error| {
            if !error.message.starts_with("error calling tpl") {
                error.message = format!("error calling tpl: {}", error.message);
            }
            error
        })
    }

    fn capture(&mut self, run: impl FnOnce(&mut Self) -> Eval<()>) -> Eval<String> {
        let saved_out = std::mem::take(&mut self.out);
        let saved_recording = std::mem::replace(&mut self.recording, false);
        let result = run(self);
        self.recording = saved_recording;
        let text = std::mem::replace(&mut self.out, saved_out);
        result.map(|()| text)
    }

    fn walk(&mut self, list: &List, dot: &Value) -> Walk {
        if self.walk_depth >= MAX_WALK_DEPTH {
            return Err(self
                .error(
                    Pos::default(),
                    format!("control actions nest more than {MAX_WALK_DEPTH} levels deep"),
                )
                .into());
        }
        self.walk_depth += 1;
        let result = self.walk_nodes(list, dot);
        self.walk_depth -= 1;
        result
    }

    fn walk_nodes(&mut self, list: &List, dot: &Value) -> Walk {
        for node in list {
            match node {
                Node::Text(text) => self.write(text, Pos::default())?,
                Node::Action(pipe) => {
                    self.pending.clear();
                    let value = self.pipeline(pipe, dot)?;
                    if pipe.decl.is_empty() {
                        let start = self.out.len();
                        let mut text = String::new();
                        print_value(&mut text, &value);
                        self.write(&text, pipe.pos)?;
                        // The last value read is the most specific: for
                        // `.Values.a.b` it is `b`, not the map `a`.
                        if self.recording
                            && let Some(span) = self.pending.last().copied()
                        {
                            self.origins.push(OutputOrigin {
                                start,
                                end: self.out.len(),
                                span,
                            });
                        }
                        self.pending.clear();
                    }
                }
                Node::If(branch) => self.if_or_with(branch, dot, false)?,
                Node::With(branch) => self.if_or_with(branch, dot, true)?,
                Node::Range(branch) => self.range(branch, dot)?,
                Node::Template { pos, name, pipe } => {
                    let value = match pipe {
                        Some(pipe) => self.pipeline(pipe, dot)?,
                        None => Value::Nil,
                    };
                    let Some(named) = self.lookup(name) else {
                        return Err(self
                            .error(
                                *pos,
                                format!(
                                    "template: no template {name:?} associated with template {:?}",
                                    &*self.top
                                ),
                            )
                            .into());
                    };
                    self.run_named(&named, &value, *pos)?;
                }
                Node::Break(_) => return Err(Flow::Break),
                Node::Continue(_) => return Err(Flow::Continue),
            }
        }
        Ok(())
    }

    fn write(&mut self, text: &str, pos: Pos) -> Eval<()> {
        if self.out.len() + text.len() > MAX_OUTPUT_BYTES {
            return Err(self.error(
                pos,
                format!("the rendered output exceeds {MAX_OUTPUT_BYTES} bytes"),
            ));
        }
        self.out.push_str(text);
        Ok(())
    }

    fn scoped(&mut self, list: &List, dot: &Value) -> Walk {
        let mark = self.vars.len();
        let result = self.walk(list, dot);
        self.vars.truncate(mark);
        result
    }

    fn if_or_with(&mut self, branch: &Branch, dot: &Value, is_with: bool) -> Walk {
        let mark = self.vars.len();
        let value = self.pipeline(&branch.pipe, dot)?;
        let result = if value.is_true() {
            let dot = if is_with { &value } else { dot };
            self.scoped(&branch.list, dot)
        } else if let Some(else_list) = &branch.else_list {
            self.scoped(else_list, dot)
        } else {
            Ok(())
        };
        self.vars.truncate(mark);
        result
    }

    fn range(&mut self, branch: &Branch, dot: &Value) -> Walk {
        let mark = self.vars.len();
        // The declared variables are set per iteration, not to the whole value.
        let mut pipe = branch.pipe.clone();
        let decl = std::mem::take(&mut pipe.decl);
        let value = self.pipeline(&pipe, dot)?;
        let items: Vec<(Value, Value)> = match &value {
            Value::List(items) => items
                .iter()
                .enumerate()
                .map(|(index, item)| (Value::Int(index as i64), item.clone()))
                .collect(),
            Value::Versions(items) => items
                .iter()
                .enumerate()
                .map(|(index, item)| (Value::Int(index as i64), Value::string(item.as_str())))
                .collect(),
            Value::Map(map) => map
                .borrow()
                .entries
                .iter()
                .map(|(key, item)| (Value::string(key.as_str()), item.clone()))
                .collect(),
            Value::Int(count) => {
                if decl.len() > 1 {
                    return Err(self
                        .error(
                            branch.pos,
                            format!("can't use {count} to iterate over more than one variable"),
                        )
                        .into());
                }
                (0..*count)
                    .map(|index| (Value::Int(index), Value::Int(index)))
                    .collect()
            }
            // NOTE: Helm ranges over the file contents as bytes, which print as numbers;
            // here they are text, which only matters to a template that prints them raw.
            Value::Files(files) => files
                .names()
                .into_iter()
                .map(|name| {
                    let text = files.get(&name);
                    (Value::string(name), Value::string(text))
                })
                .collect(),
            Value::Nil => Vec::new(),
            other => {
                return Err(self
                    .error(
                        branch.pos,
                        format!("range can't iterate over {}", other.to_go_string()),
                    )
                    .into());
            }
        };
        if items.is_empty() {
            let result = match &branch.else_list {
                Some(else_list) => self.scoped(else_list, dot),
                None => Ok(()),
            };
            self.vars.truncate(mark);
            return result;
        }
        for (key, item) in items {
            self.range_iterations += 1;
            if self.range_iterations > MAX_RANGE_ITERATIONS {
                return Err(self
                    .error(
                        branch.pos,
                        format!("range loops ran more than {MAX_RANGE_ITERATIONS} iterations"),
                    )
                    .into());
            }
            let inner = self.vars.len();
            match decl.as_slice() {
                [value_var] => self.bind(value_var, item.clone(), pipe.is_assign),
                [key_var, value_var] => {
                    self.bind(key_var, key, pipe.is_assign);
                    self.bind(value_var, item.clone(), pipe.is_assign);
                }
                _ => {}
            }
            let result = self.walk(&branch.list, &item);
            self.vars.truncate(inner);
            match result {
                Ok(()) | Err(Flow::Continue) => {}
                Err(Flow::Break) => break,
                Err(error) => return Err(error),
            }
        }
        self.vars.truncate(mark);
        Ok(())
    }

    fn bind(&mut self, name: &str, value: Value, is_assign: bool) {
        if is_assign && let Some(slot) = self.vars.iter_mut().rev().find(|(var, _)| var == name) {
            slot.1 = value;
            return;
        }
        self.vars.push((name.to_owned(), value));
    }

    fn variable(&self, name: &str, pos: Pos) -> Eval<Value> {
        self.vars
            .iter()
            .rev()
            .find(|(var, _)| var == name)
            .map(|(_, value)| value.clone())
            .ok_or_else(|| self.error(pos, format!("undefined variable: {name}")))
    }

    pub fn pipeline(&mut self, pipe: &Pipe, dot: &Value) -> Eval<Value> {
        let mut value: Option<Value> = None;
        for command in &pipe.commands {
            value = Some(self.command(command, dot, value)?);
        }
        let value = value.unwrap_or_default();
        for name in &pipe.decl {
            self.bind(name, value.clone(), pipe.is_assign);
        }
        Ok(value)
    }

    fn command(&mut self, command: &Command, dot: &Value, piped: Option<Value>) -> Eval<Value> {
        let Some(first) = command.args.first() else {
            return Err(self.error(command.pos, "empty command"));
        };
        let rest = &command.args[1..];
        match first {
            Arg::Function(name) => self.call(name, rest, dot, piped, command.pos),
            Arg::Field(fields) => {
                let args = self.args(rest, dot, piped, command.pos)?;
                self.fields(dot.clone(), fields, args, command.pos)
            }
            Arg::Variable(name, fields) if !fields.is_empty() => {
                let receiver = self.variable(name, command.pos)?;
                let args = self.args(rest, dot, piped, command.pos)?;
                self.fields(receiver, fields, args, command.pos)
            }
            Arg::Pipe(pipe, fields) if !fields.is_empty() => {
                let receiver = self.pipeline(pipe, dot)?;
                let args = self.args(rest, dot, piped, command.pos)?;
                self.fields(receiver, fields, args, command.pos)
            }
            other => {
                if !rest.is_empty() || piped.is_some() {
                    return Err(self.error(
                        command.pos,
                        format!("can't give argument to non-function {}", describe(other)),
                    ));
                }
                self.arg(other, dot, command.pos)
            }
        }
    }

    fn args(
        &mut self,
        args: &[Arg],
        dot: &Value,
        piped: Option<Value>,
        pos: Pos,
    ) -> Eval<Vec<Value>> {
        let mut values = Vec::with_capacity(args.len() + 1);
        for arg in args {
            values.push(self.arg(arg, dot, pos)?);
        }
        values.extend(piped);
        Ok(values)
    }

    fn arg(&mut self, arg: &Arg, dot: &Value, pos: Pos) -> Eval<Value> {
        Ok(match arg {
            Arg::Dot => dot.clone(),
            Arg::Nil => return Err(self.error(pos, "nil is not a command")),
            Arg::Bool(value) => Value::Bool(*value),
            Arg::Int(value) => Value::Int(*value),
            Arg::Float(value) => Value::Float(*value),
            Arg::String(text) => Value::String(Rc::clone(text)),
            Arg::Field(fields) => self.fields(dot.clone(), fields, Vec::new(), pos)?,
            Arg::Variable(name, fields) => {
                let value = self.variable(name, pos)?;
                self.fields(value, fields, Vec::new(), pos)?
            }
            Arg::Pipe(pipe, fields) => {
                let value = self.pipeline(pipe, dot)?;
                self.fields(value, fields, Vec::new(), pos)?
            }
            Arg::Function(name) => self.call(name, &[], dot, None, pos)?,
        })
    }

    /// Follows a chain of fields from `receiver`, passing `args` to a method at its end.
    fn fields(
        &mut self,
        mut receiver: Value,
        fields: &[String],
        args: Vec<Value>,
        pos: Pos,
    ) -> Eval<Value> {
        let mut args = Some(args);
        for (index, field) in fields.iter().enumerate() {
            let last = index + 1 == fields.len();
            let call_args = if last {
                args.take().unwrap_or_default()
            } else {
                Vec::new()
            };
            receiver = self.field(&receiver, field, call_args, pos)?;
        }
        if let Some(args) = args
            && !args.is_empty()
        {
            return Err(self.error(pos, "can't give argument to non-function"));
        }
        Ok(receiver)
    }

    fn field(&mut self, receiver: &Value, field: &str, args: Vec<Value>, pos: Pos) -> Eval<Value> {
        match receiver {
            Value::Map(map) => {
                if !args.is_empty() {
                    return Err(self.error(
                        pos,
                        format!("{field} has arguments but cannot be invoked as function"),
                    ));
                }
                let map = map.borrow();
                if let Some(span) = map.origins.get(field) {
                    self.pending.push(*span);
                }
                Ok(map.entries.get(field).cloned().unwrap_or_default())
            }
            Value::Files(files) => funcs::helm::files_method(files, field, &args)
                .map_err(|message| self.error(pos, message)),
            Value::Versions(versions) if field == "Has" => match args.as_slice() {
                [Value::String(wanted)] => Ok(Value::Bool(
                    versions.iter().any(|version| **version == **wanted),
                )),
                _ => Err(self.error(pos, "wrong number of args for Has: want 1 string")),
            },
            Value::Nil => Err(self.error(
                pos,
                format!("nil pointer evaluating interface {{}}.{field}"),
            )),
            other => Err(self.error(
                pos,
                format!("can't evaluate field {field} in type {}", other.type_name()),
            )),
        }
    }

    fn call(
        &mut self,
        name: &str,
        args: &[Arg],
        dot: &Value,
        piped: Option<Value>,
        pos: Pos,
    ) -> Eval<Value> {
        // `and` and `or` stop at the first argument that decides the result.
        if name == "and" || name == "or" {
            if args.is_empty() && piped.is_none() {
                return Err(self.error(
                    pos,
                    format!("wrong number of args for {name}: want at least 1 got 0"),
                ));
            }
            let mut last = Value::Nil;
            for arg in args {
                last = self.arg(arg, dot, pos)?;
                if (name == "and") != last.is_true() {
                    return Ok(last);
                }
            }
            if let Some(piped) = piped {
                last = piped;
            }
            return Ok(last);
        }
        let values = self.args(args, dot, piped, pos)?;
        funcs::call(self, name, values, pos).map_err(|error| match error {
            funcs::CallError::Message(message) => {
                self.error(pos, format!("error calling {name}: {message}"))
            }
            funcs::CallError::Plain(message) => self.error(pos, message),
            funcs::CallError::Template(error) => error,
        })
    }
}

fn describe(arg: &Arg) -> String {
    match arg {
        Arg::Dot => ".".to_owned(),
        Arg::Nil => "nil".to_owned(),
        Arg::Bool(value) => value.to_string(),
        Arg::Int(value) => value.to_string(),
        Arg::Float(value) => value.to_string(),
        Arg::String(text) => format!("{text:?}"),
        Arg::Field(fields) => format!(".{}", fields.join(".")),
        Arg::Variable(name, fields) if fields.is_empty() => name.clone(),
        Arg::Variable(name, fields) => format!("{name}.{}", fields.join(".")),
        Arg::Function(name) => name.clone(),
        Arg::Pipe(..) => "(pipeline)".to_owned(),
    }
}

/// Prints an action's value: nil prints `<no value>`, as Go does for a missing key.
fn print_value(out: &mut String, value: &Value) {
    match value {
        Value::Nil => out.push_str("<no value>"),
        other => write_go(out, other, 0),
    }
}
