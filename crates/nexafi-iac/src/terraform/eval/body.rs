//! Resource bodies: attributes, nested blocks and `dynamic` blocks, with the reference
//! edge of every attribute that reads another resource.

use nexafi_model::{Map, Node, Reference, Span, Value};

use super::{Ctx, Evaluator, ScopeVar};
use crate::terraform::config::{META_ATTRIBUTES, META_BLOCKS};
use crate::terraform::syntax::{Block, Body, Item};
use crate::terraform::values::strip_markers;

impl Evaluator<'_> {
    /// Evaluates a resource's body into a map of attributes and nested block lists.
    pub(super) fn resource_body(
        &mut self,
        body: &Body,
        span: Span,
        cx: &Ctx,
        references: &mut Vec<Reference>,
    ) -> Node {
        let map = self.block_body(body, cx, "", references, true);
        Node::new(span, Value::Map(map))
    }

    /// Evaluates one body; `prefix` is the dotted path of the block (`rule.0.`) that
    /// reference edges get.
    fn block_body(
        &mut self,
        body: &Body,
        cx: &Ctx,
        prefix: &str,
        references: &mut Vec<Reference>,
        top: bool,
    ) -> Map {
        let mut map = Map::with_capacity(body.items.len());
        for item in &body.items {
            match item {
                Item::Attribute(attribute) => {
                    if top && META_ATTRIBUTES.contains(&attribute.name.as_str()) {
                        continue;
                    }
                    let (mut value, deps) =
                        self.collect_deps(|this| this.eval_value(&attribute.expr, cx));
                    value.span = attribute.expr.span;
                    if self.resource_objects_made {
                        strip_markers(&mut value);
                    }
                    if !deps.is_empty() {
                        let path = format!("{prefix}{}", attribute.name);
                        for dep in deps.iter() {
                            references.push(Reference {
                                attribute: path.clone(),
                                target: dep.to_string(),
                                span: attribute.expr.span,
                            });
                        }
                    }
                    map.insert(attribute.name.clone(), value);
                }
                Item::Block(block) if block.kind == "dynamic" => {
                    self.dynamic_blocks(block, cx, prefix, references, &mut map);
                }
                Item::Block(block) => {
                    if top && META_BLOCKS.contains(&block.kind.as_str()) {
                        continue;
                    }
                    let Some(position) = next_position(&map, &block.kind) else {
                        continue;
                    };
                    let child_prefix = format!("{prefix}{}.{position}.", block.kind);
                    let child = self.block_body(&block.body, cx, &child_prefix, references, false);
                    push_block(
                        &mut map,
                        &block.kind,
                        Node::new(block.span, Value::Map(child)),
                    );
                }
            }
        }
        map
    }

    /// Expands `dynamic "label" { for_each = ...; content { ... } }` into nested blocks.
    /// An unknown `for_each` makes the whole block list one unknown value.
    fn dynamic_blocks(
        &mut self,
        block: &Block,
        cx: &Ctx,
        prefix: &str,
        references: &mut Vec<Reference>,
        map: &mut Map,
    ) {
        let Some(label) = block.labels.first() else {
            return;
        };
        let iterator = block
            .body
            .attribute("iterator")
            .and_then(|attribute| attribute.expr.as_variable())
            .unwrap_or(label);
        let Some(content) = block.body.blocks().find(|nested| nested.kind == "content") else {
            return;
        };
        let Some(for_each) = block.body.attribute("for_each") else {
            return;
        };
        let (collection, deps) = self.collect_deps(|this| this.eval_value(&for_each.expr, cx));
        let elements: Vec<(Node, Node)> = match collection.value {
            Value::Unknown(unknown) => {
                // The content still shows which resources the blocks would refer to.
                let var = ScopeVar {
                    name: iterator.to_owned(),
                    value: Node::new(block.span, Value::Unknown(unknown.clone())),
                    deps: deps.clone(),
                };
                let content_prefix = format!("{prefix}{label}.*.");
                self.with_scope(vec![var], |this| {
                    this.block_body(&content.body, cx, &content_prefix, references, false)
                });
                map.insert(
                    label.clone(),
                    Node::new(block.span, Value::Unknown(unknown)),
                );
                return;
            }
            Value::List(items) => items
                .into_iter()
                .enumerate()
                .map(|(index, value)| {
                    // List positions stay far below 2^53.
                    #[allow(clippy::cast_precision_loss)]
                    let key = Node::new(value.span, Value::Number(index as f64));
                    (key, value)
                })
                .collect(),
            Value::Map(entries) => {
                let mut pairs: Vec<(String, Node)> = entries.into_iter().collect();
                pairs.sort_by(|a, b| a.0.cmp(&b.0));
                pairs
                    .into_iter()
                    .map(|(key, value)| (Node::new(value.span, Value::String(key)), value))
                    .collect()
            }
            other => {
                let found = Node::new(collection.span, other);
                let reason = format!(
                    "the for_each of the dynamic \"{label}\" block must be a collection, found {}",
                    crate::terraform::values::describe(&found)
                );
                map.insert(label.clone(), Node::unknown(block.span, reason));
                return;
            }
        };
        for (key, value) in elements {
            let Some(position) = next_position(map, label) else {
                return;
            };
            let mut iterator_value = Map::with_capacity(2);
            iterator_value.insert("key".to_owned(), key);
            iterator_value.insert("value".to_owned(), value);
            let var = ScopeVar {
                name: iterator.to_owned(),
                value: Node::new(block.span, Value::Map(iterator_value)),
                deps: deps.clone(),
            };
            let child_prefix = format!("{prefix}{label}.{position}.");
            let child = self.with_scope(vec![var], |this| {
                this.block_body(&content.body, cx, &child_prefix, references, false)
            });
            push_block(map, label, Node::new(block.span, Value::Map(child)));
        }
    }
}

/// Returns the position the next block of `kind` takes in its list, or `None` when the
/// list is already unknown.
fn next_position(map: &Map, kind: &str) -> Option<usize> {
    match map.get(kind).map(|node| &node.value) {
        None => Some(0),
        Some(Value::List(items)) => Some(items.len()),
        Some(Value::Unknown(_)) => None,
        Some(_) => Some(0),
    }
}

/// Appends a nested block to the list of its type.
fn push_block(map: &mut Map, kind: &str, block: Node) {
    match map.get_mut(kind) {
        Some(Node {
            value: Value::List(items),
            ..
        }) => items.push(block),
        Some(Node {
            value: Value::Unknown(_),
            ..
        }) => {}
        _ => {
            let span = block.span;
            map.insert(kind.to_owned(), Node::new(span, Value::List(vec![block])));
        }
    }
}
