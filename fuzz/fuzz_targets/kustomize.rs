//! Feeds arbitrary bytes to the Kustomize builder as the files of an overlay.
//!
//! The input is split at lines of `---8<---` into up to four files, written to a directory
//! of this process: `overlay/kustomization.yaml`, `overlay/patch.yaml`,
//! `base/kustomization.yaml` and `base/resource.yaml`. Any split gives the builder a
//! layout to read, so the fuzzer reaches patches and bases, not only the first file.

#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use nexafi_iac::kustomize::Builder;
use nexafi_model::{Node, SourceMap, Span, Value};

const FILES: [&str; 4] = [
    "overlay/kustomization.yaml",
    "overlay/patch.yaml",
    "base/kustomization.yaml",
    "base/resource.yaml",
];

fn workspace() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("nexafi-fuzz-kustomize-{}", std::process::id()));
        for file in FILES {
            let path = dir.join(file);
            std::fs::create_dir_all(path.parent().unwrap_or(&dir)).unwrap_or_default();
        }
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let root = workspace();
    let mut parts = text.split("\n---8<---\n");
    for file in FILES {
        let part = parts.next().unwrap_or("");
        if std::fs::write(root.join(file), part).is_err() {
            return;
        }
    }

    let sources = SourceMap::new();
    let loaded = Builder::new(&sources).build(&root.join("overlay"));
    for diagnostic in &loaded.diagnostics {
        if let Some(span) = diagnostic.span {
            check_span(&sources, span, &diagnostic.message);
        }
    }
    for resource in &loaded.resources {
        check_span(&sources, resource.span, &resource.address);
        check_span(&sources, resource.name_span, &resource.address);
        check_node(&sources, &resource.body, &resource.address, 0);
    }
});

fn check_node(sources: &SourceMap, node: &Node, owner: &str, depth: usize) {
    check_span(sources, node.span, owner);
    if depth > 300 {
        return;
    }
    match &node.value {
        Value::List(items) => items.iter().for_each(|item| check_node(sources, item, owner, depth + 1)),
        Value::Map(map) => map.values().for_each(|value| check_node(sources, value, owner, depth + 1)),
        _ => {}
    }
}

/// Panics, so that libFuzzer records the input, when a span is not a byte range on
/// character boundaries of the file it names.
fn check_span(sources: &SourceMap, span: Span, owner: &str) {
    let Some(file) = sources.get(span.file) else {
        panic!("{owner}: span names file {:?}, which the source map lacks", span.file);
    };
    let (start, end) = (span.start as usize, span.end as usize);
    assert!(start <= end, "{owner}: span {start}..{end} is reversed");
    assert!(end <= file.text.len(), "{owner}: span {start}..{end} ends past {}", file.text.len());
    assert!(
        file.text.is_char_boundary(start) && file.text.is_char_boundary(end),
        "{owner}: span {start}..{end} splits a character in {}",
        Path::new(&file.path).display()
    );
}
