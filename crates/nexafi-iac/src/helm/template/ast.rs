//! Syntax tree of a Go text/template.

use std::rc::Rc;

/// Line and column (1-based, in characters) of a node in its template.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

pub type List = Vec<Node>;

#[derive(Clone, Debug)]
pub enum Node {
    Text(Rc<str>),
    /// `{{pipeline}}`: the value is printed.
    Action(Pipe),
    If(Branch),
    With(Branch),
    Range(Branch),
    /// `{{template "name" pipeline}}`, also the call half of `{{block}}`.
    Template {
        pos: Pos,
        name: String,
        pipe: Option<Pipe>,
    },
    Break(Pos),
    Continue(Pos),
}

/// The shared shape of `if`, `with` and `range`.
#[derive(Clone, Debug)]
pub struct Branch {
    pub pos: Pos,
    pub pipe: Pipe,
    pub list: List,
    /// The `else` part; `else if` and `else with` are a nested branch inside it.
    pub else_list: Option<List>,
}

/// A pipeline: optional variable declarations, then commands joined by `|`.
#[derive(Clone, Debug)]
pub struct Pipe {
    pub pos: Pos,
    pub decl: Vec<String>,
    /// `$x = ...` assigns an existing variable; `$x := ...` declares one.
    pub is_assign: bool,
    pub commands: Vec<Command>,
}

#[derive(Clone, Debug)]
pub struct Command {
    pub pos: Pos,
    pub args: Vec<Arg>,
}

#[derive(Clone, Debug)]
pub enum Arg {
    /// `.`
    Dot,
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(Rc<str>),
    /// `.a.b`: fields of dot.
    Field(Vec<String>),
    /// `$x.a.b`: a variable and its fields.
    Variable(String, Vec<String>),
    /// A function name.
    Function(String),
    /// `(pipeline).a.b`: a parenthesised pipeline and fields of its value.
    Pipe(Box<Pipe>, Vec<String>),
}
