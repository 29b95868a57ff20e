//! Where a command writes its report: standard output or a file.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use nexafi_model::{FileId, SourceMap};

/// Opens the destination of a report. A file is created (or truncated) only here, once the
/// report is ready, so a failed scan never leaves a half-written file behind.
pub fn write_report(output: Option<&Path>, text: &str) -> io::Result<()> {
    match output {
        Some(path) => {
            let file = File::create(path).map_err(|error| {
                io::Error::new(
                    error.kind(),
                    format!("cannot create {}: {error}", path.display()),
                )
            })?;
            let mut writer = BufWriter::new(file);
            writer.write_all(text.as_bytes())?;
            writer.flush()
        }
        None => {
            let mut stdout = io::stdout().lock();
            stdout.write_all(text.as_bytes())?;
            stdout.flush()
        }
    }
}

/// Copies `sources` with every value the DLP detectors find (secrets, card numbers, IBANs
/// and the like) overwritten by `*`, byte for byte, so code frames keep their lines and
/// columns but never print a sensitive value.
pub fn mask_sources(sources: &SourceMap) -> SourceMap {
    let scanner = nexafi_dlp::Scanner::default();
    let masked = SourceMap::new();
    for index in 0..sources.len() {
        let Some(file) = sources.get(FileId(index as u32)) else {
            continue;
        };
        let mut bytes = file.text.clone().into_bytes();
        for finding in scanner.scan(&bytes) {
            let span = finding.span();
            if let Some(value) = bytes.get_mut(span) {
                value.fill(b'*');
            }
        }
        // Overwriting whole byte ranges can split a multi-byte character at a range's
        // edge; the lossy conversion turns such a remnant into U+FFFD.
        let text = String::from_utf8(bytes)
            .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned());
        masked.add(file.path.clone(), text);
    }
    masked
}
