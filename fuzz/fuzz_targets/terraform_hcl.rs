//! Feeds arbitrary bytes, read as lossy UTF-8, to the Terraform loader as the only file of
//! a root module, so parsing and the whole evaluator (variables, locals, functions,
//! count, for_each, dynamic blocks) run on hostile input.

#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use nexafi_iac::terraform;
use nexafi_model::SourceMap;

#[path = "spans.rs"]
mod spans;

/// One directory per fuzzing process, on a memory-backed file system when there is one,
/// because the loader reads its root module from disk.
fn root() -> &'static PathBuf {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let base = if std::path::Path::new("/dev/shm").is_dir() {
            PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        };
        let dir = base.join(format!("nexafi-fuzz-hcl-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create the fuzzing directory");
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    let dir = root();
    let file = dir.join("main.tf");
    std::fs::write(&file, &text).expect("write main.tf");
    let sources = SourceMap::new();
    let loaded = terraform::load_root(dir, &[file], &terraform::Options::default(), &sources);
    spans::check(&text, &loaded);
});
