//! Where a command writes its report: standard output or a file.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

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
