//! Feeds arbitrary bytes, read as lossy UTF-8, to the Go template parser, and runs every
//! template that parses against a small values tree. Neither may panic, and a run must
//! stay within the engine's output limit.

#![no_main]

use libfuzzer_sys::fuzz_target;
use nexafi_iac::helm::funcs::is_function;
use nexafi_iac::helm::template::TemplateSet;
use nexafi_iac::helm::template::exec::{Exec, MAX_OUTPUT_BYTES};
use nexafi_iac::helm::yaml::parse_document;

const VALUES: &str = "name: ledger\nreplicas: 3\nlist: [a, 1, true]\nnested: {key: value}\n";

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut set = TemplateSet::new();
    if set.add_file("fuzz.yaml", &text, &is_function).is_err() {
        return;
    }
    let Ok(values) = parse_document(VALUES) else {
        return;
    };
    let mut exec = Exec::new(&set, "fuzz.yaml");
    let _ = exec.run("fuzz.yaml", &values);
    assert!(exec.out.len() <= MAX_OUTPUT_BYTES);
});
