//! Feeds arbitrary bytes to the `nexafi test` suite loader as a suite file.
//!
//! The loader must return a suite or an error naming the place, never panic, whatever
//! the YAML, the `${NAME}` references or the field values. The environment is empty, so
//! every reference without a default is an error and nothing is contacted.

#![no_main]

use std::collections::HashMap;
use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let environment = HashMap::new();
    let _ = nexafi_live::parse(Path::new("fuzz/suite.yaml"), text, &environment);
});
