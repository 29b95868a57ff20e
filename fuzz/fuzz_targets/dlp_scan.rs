//! Feeds arbitrary bytes to the DLP scanner and checks what must hold for any input.
//! Spans lie inside the input and do not overlap. A streamed scan in small chunks finds
//! exactly what the whole-buffer scan finds. Redaction leaves nothing detectable, and
//! document paths never panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use nexafi_dlp::{DocumentKind, RedactMode, Scanner, assign_paths, redact_stream, scan_reader};

fuzz_target!(|data: &[u8]| {
    let scanner = Scanner::default();
    let findings = scanner.scan(data);

    let mut previous_end = 0;
    for finding in &findings {
        assert!(finding.start < finding.end, "empty span");
        assert!(finding.end as usize <= data.len(), "span past the end");
        assert!(finding.start >= previous_end, "overlapping findings");
        previous_end = finding.end;
    }

    let mut streamed = Vec::new();
    scan_reader(&scanner, data, 257, |finding| streamed.push(finding)).unwrap();
    assert_eq!(streamed, findings, "streamed scan differs");

    let mut redacted = Vec::new();
    redact_stream(&scanner, &RedactMode::Full, data, &mut redacted, 257, |_| {}).unwrap();
    assert_eq!(redacted.len(), data.len(), "full masking changed the length");
    assert!(scanner.scan(&redacted).is_empty(), "redaction left a value");

    for kind in [DocumentKind::Json, DocumentKind::Yaml] {
        let mut copy = findings.clone();
        assign_paths(kind, data, &mut copy);
    }
});
