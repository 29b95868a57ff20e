//! Reads HCL native syntax with hcl-edit and converts it into the configuration tree.
//!
//! hcl-edit caps nesting at 64 levels and binary operators at 128 per path, so the trees
//! it returns, and the ones converted from them, are shallow enough to walk recursively.

use std::ops::Range;

use hcl_edit::Span as _;
use hcl_edit::expr::{Expression, ObjectKey as HclObjectKey, TraversalOperator};
use hcl_edit::structure::{Body as HclBody, Structure};
use hcl_edit::template::{Directive, Element, Template};
use nexafi_model::{FileId, Span};

use super::syntax::{
    Attribute, Block, Body, Call, Conditional, Expr, ExprKind, ForExpr, Item, ObjectKey, Operator,
    Part,
};

/// A syntax error: hcl-edit's message and the byte offset it points at.
#[derive(Clone, Debug)]
pub(crate) struct SyntaxError {
    pub message: String,
    pub offset: usize,
}

impl From<hcl_edit::parser::Error> for SyntaxError {
    fn from(error: hcl_edit::parser::Error) -> Self {
        Self {
            message: error.message().to_owned(),
            offset: error.location().offset(),
        }
    }
}

/// The source positions that converted nodes get.
#[derive(Clone, Copy)]
pub(crate) enum Spans {
    /// Byte offsets of the parsed text are offsets in this file.
    File(FileId),
    /// Every node points at one place: a JSON string holding a template, or a value given
    /// on the command line.
    Fixed(Span),
}

impl Spans {
    fn span(self, range: Option<Range<usize>>, fallback: Span) -> Span {
        match (self, range) {
            (Spans::File(file), Some(range)) => Span::new(file, range.start, range.end),
            (Spans::File(_), None) => fallback,
            (Spans::Fixed(span), _) => span,
        }
    }

    fn whole(self, file_len: usize) -> Span {
        match self {
            Spans::File(file) => Span::new(file, 0, file_len),
            Spans::Fixed(span) => span,
        }
    }
}

/// Parses a whole `.tf` or `.tfvars` file.
pub(crate) fn parse_body(text: &str, file: FileId) -> Result<Body, SyntaxError> {
    let body = hcl_edit::parser::parse_body(text)?;
    let spans = Spans::File(file);
    Ok(Converter { spans }.body(&body, spans.whole(text.len())))
}

/// Parses one expression, such as a `--var` value or a JSON `type` string.
pub(crate) fn parse_expression(text: &str, spans: Spans) -> Result<Expr, SyntaxError> {
    let expr = hcl_edit::parser::parse_expr(text)?;
    let whole = spans.whole(text.len());
    Ok(Converter { spans }.expr(&expr, whole))
}

/// Parses a string template, such as a JSON string value or a `templatefile` file.
pub(crate) fn parse_template(text: &str, spans: Spans) -> Result<Expr, SyntaxError> {
    let template = hcl_edit::parser::parse_template(text)?;
    let whole = spans.whole(text.len());
    let parts = Converter { spans }.template(&template, whole);
    Ok(template_expr(parts, whole))
}

/// Builds the expression for template parts: plain text becomes a string literal.
fn template_expr(mut parts: Vec<Part>, span: Span) -> Expr {
    match parts.as_mut_slice() {
        [] => Expr::new(ExprKind::String(String::new()), span),
        [Part::Literal(text)] => Expr::new(ExprKind::String(std::mem::take(text)), span),
        _ => Expr::new(ExprKind::Template(parts), span),
    }
}

struct Converter {
    spans: Spans,
}

impl Converter {
    fn span(&self, range: Option<Range<usize>>, fallback: Span) -> Span {
        self.spans.span(range, fallback)
    }

    fn body(&self, body: &HclBody, span: Span) -> Body {
        let mut items = Vec::with_capacity(body.len());
        for structure in body.iter() {
            match structure {
                Structure::Attribute(attribute) => {
                    let whole = self.span(attribute.span(), span);
                    let name_span = self.span(attribute.key.span(), whole);
                    items.push(Item::Attribute(Attribute {
                        name: attribute.key.as_str().to_owned(),
                        name_span,
                        expr: self.expr(&attribute.value, whole),
                    }));
                }
                Structure::Block(block) => {
                    let whole = self.span(block.span(), span);
                    let ident_span = self.span(block.ident.span(), whole);
                    let labels_span = match (block.labels.first(), block.labels.last()) {
                        (Some(first), Some(last)) => {
                            let first = self.span(first.span(), ident_span);
                            let last = self.span(last.span(), ident_span);
                            Span::new(first.file, first.start as usize, last.end as usize)
                        }
                        _ => ident_span,
                    };
                    items.push(Item::Block(Block {
                        kind: block.ident.as_str().to_owned(),
                        labels: block
                            .labels
                            .iter()
                            .map(|label| label.as_str().to_owned())
                            .collect(),
                        labels_span,
                        body: self.body(&block.body, whole),
                        span: whole,
                    }));
                }
            }
        }
        Body { items }
    }

    fn expr(&self, expr: &Expression, fallback: Span) -> Expr {
        let span = self.span(expr.span(), fallback);
        let kind = match expr {
            Expression::Null(_) => ExprKind::Null,
            Expression::Bool(value) => ExprKind::Bool(*value.value()),
            Expression::Number(number) => {
                ExprKind::Number(number.value().as_f64().unwrap_or(f64::NAN))
            }
            Expression::String(text) => ExprKind::String(text.value().clone()),
            Expression::Array(array) => {
                ExprKind::Tuple(array.iter().map(|item| self.expr(item, span)).collect())
            }
            Expression::Object(object) => ExprKind::Object(
                object
                    .iter()
                    .map(|(key, value)| {
                        let key = match key {
                            HclObjectKey::Ident(ident) => {
                                ObjectKey::Literal(ident.as_str().to_owned())
                            }
                            HclObjectKey::Expression(expr) => {
                                ObjectKey::Expr(self.expr(expr, span))
                            }
                        };
                        (key, self.expr(value.expr(), span))
                    })
                    .collect(),
            ),
            Expression::StringTemplate(template) => {
                return template_expr(self.template(template, span), span);
            }
            Expression::HeredocTemplate(heredoc) => {
                return template_expr(self.template(&heredoc.template, span), span);
            }
            Expression::Parenthesis(inner) => return self.expr(inner.inner(), span),
            Expression::Variable(name) => ExprKind::Variable(name.as_str().to_owned()),
            Expression::Conditional(conditional) => ExprKind::Conditional(Box::new(Conditional {
                condition: self.expr(&conditional.cond_expr, span),
                if_true: self.expr(&conditional.true_expr, span),
                if_false: self.expr(&conditional.false_expr, span),
            })),
            Expression::FuncCall(call) => {
                let mut name = String::new();
                for namespace in &call.name.namespace {
                    name.push_str(namespace.as_str());
                    name.push_str("::");
                }
                name.push_str(call.name.name.as_str());
                ExprKind::Call(Box::new(Call {
                    name,
                    args: call.args.iter().map(|arg| self.expr(arg, span)).collect(),
                    expand_final: call.args.expand_final(),
                }))
            }
            Expression::Traversal(traversal) => {
                let root = self.expr(&traversal.expr, span);
                let mut operators = Vec::with_capacity(traversal.operators.len());
                for operator in &traversal.operators {
                    operators.push(match operator.value() {
                        TraversalOperator::AttrSplat(_) => Operator::AttrSplat,
                        TraversalOperator::FullSplat(_) => Operator::FullSplat,
                        TraversalOperator::GetAttr(name) => {
                            Operator::GetAttr(name.as_str().to_owned())
                        }
                        TraversalOperator::Index(index) => Operator::Index(self.expr(index, span)),
                        TraversalOperator::LegacyIndex(index) => {
                            let index_span = self.span(index.span(), span);
                            // Indexes of the legacy `x.0` form are small list positions.
                            #[allow(clippy::cast_precision_loss)]
                            let number = *index.value() as f64;
                            Operator::Index(Expr::new(ExprKind::Number(number), index_span))
                        }
                    });
                }
                // `a.b[0].c` may arrive as a traversal of a traversal: keep one flat list.
                match root.kind {
                    ExprKind::Traversal(inner_root, mut inner_operators) => {
                        inner_operators.extend(operators);
                        ExprKind::Traversal(inner_root, inner_operators)
                    }
                    kind => ExprKind::Traversal(Box::new(Expr::new(kind, root.span)), operators),
                }
            }
            Expression::UnaryOp(operation) => ExprKind::Unary(
                *operation.operator.value(),
                Box::new(self.expr(&operation.expr, span)),
            ),
            Expression::BinaryOp(operation) => ExprKind::Binary(
                *operation.operator.value(),
                Box::new(self.expr(&operation.lhs_expr, span)),
                Box::new(self.expr(&operation.rhs_expr, span)),
            ),
            Expression::ForExpr(for_expr) => ExprKind::For(Box::new(ForExpr {
                key_var: for_expr
                    .intro
                    .key_var
                    .as_ref()
                    .map(|name| name.as_str().to_owned()),
                value_var: for_expr.intro.value_var.as_str().to_owned(),
                collection: self.expr(&for_expr.intro.collection_expr, span),
                key: for_expr.key_expr.as_ref().map(|key| self.expr(key, span)),
                value: self.expr(&for_expr.value_expr, span),
                condition: for_expr
                    .cond
                    .as_ref()
                    .map(|condition| self.expr(&condition.expr, span)),
                grouping: for_expr.grouping,
            })),
        };
        Expr::new(kind, span)
    }

    /// Converts template elements, applying the `~` strip markers to the literal text
    /// beside each interpolation or directive.
    fn template(&self, template: &Template, span: Span) -> Vec<Part> {
        let mut parts = Vec::with_capacity(template.len());
        let mut strip_next = false;
        for element in template.iter() {
            match element {
                Element::Literal(text) => {
                    let text = if strip_next {
                        text.value().trim_start()
                    } else {
                        text.value().as_str()
                    };
                    strip_next = false;
                    parts.push(Part::Literal(text.to_owned()));
                }
                Element::Interpolation(interpolation) => {
                    if interpolation.strip.strip_start() {
                        trim_last(&mut parts);
                    }
                    parts.push(Part::Interpolation(self.expr(&interpolation.expr, span)));
                    strip_next = interpolation.strip.strip_end();
                }
                Element::Directive(directive) => match directive.as_ref() {
                    Directive::If(directive) => {
                        let if_expr = &directive.if_expr;
                        if if_expr.strip.strip_start() {
                            trim_last(&mut parts);
                        }
                        let mut then = self.template(&if_expr.template, span);
                        if if_expr.strip.strip_end() {
                            trim_first(&mut then);
                        }
                        let mut otherwise = Vec::new();
                        if let Some(else_expr) = &directive.else_expr {
                            if else_expr.strip.strip_start() {
                                trim_last(&mut then);
                            }
                            otherwise = self.template(&else_expr.template, span);
                            if else_expr.strip.strip_end() {
                                trim_first(&mut otherwise);
                            }
                        }
                        let endif = directive.endif_expr.strip;
                        if endif.strip_start() {
                            if directive.else_expr.is_some() {
                                trim_last(&mut otherwise);
                            } else {
                                trim_last(&mut then);
                            }
                        }
                        parts.push(Part::If {
                            condition: self.expr(&if_expr.cond_expr, span),
                            then,
                            otherwise,
                        });
                        strip_next = endif.strip_end();
                    }
                    Directive::For(directive) => {
                        let for_expr = &directive.for_expr;
                        if for_expr.strip.strip_start() {
                            trim_last(&mut parts);
                        }
                        let mut body = self.template(&for_expr.template, span);
                        if for_expr.strip.strip_end() {
                            trim_first(&mut body);
                        }
                        let endfor = directive.endfor_expr.strip;
                        if endfor.strip_start() {
                            trim_last(&mut body);
                        }
                        parts.push(Part::For {
                            key_var: for_expr
                                .key_var
                                .as_ref()
                                .map(|name| name.as_str().to_owned()),
                            value_var: for_expr.value_var.as_str().to_owned(),
                            collection: self.expr(&for_expr.collection_expr, span),
                            body,
                        });
                        strip_next = endfor.strip_end();
                    }
                },
            }
        }
        parts
    }
}

fn trim_last(parts: &mut [Part]) {
    if let Some(Part::Literal(text)) = parts.last_mut() {
        let trimmed_len = text.trim_end().len();
        text.truncate(trimmed_len);
    }
}

fn trim_first(parts: &mut [Part]) {
    if let Some(Part::Literal(text)) = parts.first_mut() {
        let trimmed = text.trim_start().to_owned();
        *text = trimmed;
    }
}
