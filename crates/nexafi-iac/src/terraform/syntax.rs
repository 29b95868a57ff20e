//! The configuration tree that the HCL and JSON readers produce and the evaluator reads.
//!
//! Both syntaxes convert into these types once per file, so the evaluator has one shape
//! to walk and every node already carries a [`Span`] in the scan's source map.

use hcl_edit::expr::{BinaryOperator, UnaryOperator};
use nexafi_model::Span;

/// The body of a file or a block: attributes and nested blocks in source order.
#[derive(Clone, Debug)]
pub(crate) struct Body {
    pub items: Vec<Item>,
}

#[derive(Clone, Debug)]
pub(crate) enum Item {
    Attribute(Attribute),
    Block(Block),
}

/// `name = expression`.
#[derive(Clone, Debug)]
pub(crate) struct Attribute {
    pub name: String,
    pub name_span: Span,
    pub expr: Expr,
}

/// `kind "label" "label" { body }`.
#[derive(Clone, Debug)]
pub(crate) struct Block {
    pub kind: String,
    pub labels: Vec<String>,
    /// From the first label to the last one, or the block type when there are no labels.
    pub labels_span: Span,
    pub body: Body,
    /// The whole block.
    pub span: Span,
}

impl Body {
    pub fn attributes(&self) -> impl Iterator<Item = &Attribute> {
        self.items.iter().filter_map(|item| match item {
            Item::Attribute(attribute) => Some(attribute),
            Item::Block(_) => None,
        })
    }

    pub fn blocks(&self) -> impl Iterator<Item = &Block> {
        self.items.iter().filter_map(|item| match item {
            Item::Block(block) => Some(block),
            Item::Attribute(_) => None,
        })
    }

    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes().find(|attribute| attribute.name == name)
    }

    /// Applies an override file's block to this one, as Terraform merges `_override.tf`
    /// files: each attribute replaces the one of the same name, and the nested blocks of
    /// one type replace every nested block of that type.
    pub fn merge_override(&mut self, mut other: Body) {
        let overridden_kinds: Vec<String> =
            other.blocks().map(|block| block.kind.clone()).collect();
        self.items.retain(|item| match item {
            Item::Block(block) => !overridden_kinds.contains(&block.kind),
            Item::Attribute(_) => true,
        });
        for item in other.items.drain(..) {
            match item {
                Item::Attribute(attribute) => {
                    let existing = self.items.iter_mut().find(|item| {
                        matches!(item, Item::Attribute(current) if current.name == attribute.name)
                    });
                    match existing {
                        Some(slot) => *slot = Item::Attribute(attribute),
                        None => self.items.push(Item::Attribute(attribute)),
                    }
                }
                Item::Block(block) => self.items.push(Item::Block(block)),
            }
        }
    }
}

/// An expression with the span of its source text.
#[derive(Clone, Debug)]
pub(crate) struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub(crate) enum ExprKind {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    /// A string template with at least one interpolation or directive.
    Template(Vec<Part>),
    Tuple(Vec<Expr>),
    Object(Vec<(ObjectKey, Expr)>),
    /// A bare name: the root of `var.x`, a `for` variable, or a type keyword.
    Variable(String),
    Traversal(Box<Expr>, Vec<Operator>),
    Call(Box<Call>),
    Unary(UnaryOperator, Box<Expr>),
    Binary(BinaryOperator, Box<Expr>, Box<Expr>),
    Conditional(Box<Conditional>),
    For(Box<ForExpr>),
    /// Text that could not be read as an expression (a JSON string that is not a valid
    /// template); evaluating it gives this error message.
    Invalid(String),
}

#[derive(Clone, Debug)]
pub(crate) enum ObjectKey {
    Literal(String),
    Expr(Expr),
}

#[derive(Clone, Debug)]
pub(crate) enum Operator {
    GetAttr(String),
    Index(Expr),
    /// `.*`: the attribute accesses after it apply to every element.
    AttrSplat,
    /// `[*]`: every operator after it applies to every element.
    FullSplat,
}

#[derive(Clone, Debug)]
pub(crate) struct Call {
    pub name: String,
    pub args: Vec<Expr>,
    /// The last argument ends in `...` and is spread into several arguments.
    pub expand_final: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct Conditional {
    pub condition: Expr,
    pub if_true: Expr,
    pub if_false: Expr,
}

#[derive(Clone, Debug)]
pub(crate) struct ForExpr {
    pub key_var: Option<String>,
    pub value_var: String,
    pub collection: Expr,
    /// Present for an object `for` (`{for k, v in x : k => v}`).
    pub key: Option<Expr>,
    pub value: Expr,
    pub condition: Option<Expr>,
    /// `...` after the value: values with the same key are grouped into lists.
    pub grouping: bool,
}

/// One piece of a string template; whitespace stripping (`~`) is already applied.
#[derive(Clone, Debug)]
pub(crate) enum Part {
    Literal(String),
    Interpolation(Expr),
    If {
        condition: Expr,
        then: Vec<Part>,
        otherwise: Vec<Part>,
    },
    For {
        key_var: Option<String>,
        value_var: String,
        collection: Expr,
        body: Vec<Part>,
    },
}

impl Expr {
    pub fn new(kind: ExprKind, span: Span) -> Self {
        Self { kind, span }
    }

    /// Returns the text of a string literal, or of a template that is only text.
    pub fn as_literal_str(&self) -> Option<&str> {
        match &self.kind {
            ExprKind::String(text) => Some(text),
            ExprKind::Template(parts) => match parts.as_slice() {
                [Part::Literal(text)] => Some(text),
                _ => None,
            },
            _ => None,
        }
    }

    /// Returns the name of a bare identifier (`iterator = rule`).
    pub fn as_variable(&self) -> Option<&str> {
        match &self.kind {
            ExprKind::Variable(name) => Some(name),
            _ => None,
        }
    }
}
