//! Invariants every loader keeps on any input: spans are byte ranges inside the file
//! that start and end on character boundaries.

use nexafi_iac::Loaded;
use nexafi_model::{Node, Span, Value};

/// Panics, so that libFuzzer records the input, when a span of `loaded` is not a valid
/// byte range of `text`.
pub fn check(text: &str, loaded: &Loaded) {
    for diagnostic in &loaded.diagnostics {
        if let Some(span) = diagnostic.span {
            check_span(text, span, &diagnostic.message);
        }
    }
    for resource in &loaded.resources {
        check_span(text, resource.span, &resource.address);
        check_span(text, resource.name_span, &resource.address);
        check_node(text, &resource.body, &resource.address);
    }
}

fn check_node(text: &str, node: &Node, owner: &str) {
    check_span(text, node.span, owner);
    match &node.value {
        Value::List(items) => items.iter().for_each(|item| check_node(text, item, owner)),
        Value::Map(map) => map
            .values()
            .for_each(|value| check_node(text, value, owner)),
        _ => {}
    }
}

fn check_span(text: &str, span: Span, owner: &str) {
    let (start, end) = (span.start as usize, span.end as usize);
    assert!(start <= end, "{owner}: span {start}..{end} is reversed");
    assert!(
        end <= text.len(),
        "{owner}: span {start}..{end} ends past {}",
        text.len()
    );
    assert!(
        text.is_char_boundary(start) && text.is_char_boundary(end),
        "{owner}: span {start}..{end} splits a character"
    );
}
