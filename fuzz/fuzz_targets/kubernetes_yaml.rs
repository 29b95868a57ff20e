//! Feeds arbitrary bytes, read as lossy UTF-8, to the Kubernetes YAML loader.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use nexafi_model::SourceMap;

#[path = "spans.rs"]
mod spans;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    let sources = SourceMap::new();
    let loaded = nexafi_iac::kubernetes::load_file(Path::new("fuzz.yaml"), text.clone(), &sources);
    spans::check(&text, &loaded);
});
