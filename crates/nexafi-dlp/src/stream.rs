//! Scanning and redacting any reader with bounded memory.
//!
//! The input is read in chunks. Each window contains the new chunk and the tail of the
//! previous window, [`KEEP`] bytes, so a value that straddles a chunk boundary lies
//! whole in one window. A finding is reported by the first window in which it starts
//! before the emission limit: far enough from the window's end that the whole value and
//! the context after it are present. The next window starts [`REACH`] bytes before that
//! limit, so every value it reports also has its context before it. The result is the
//! same as scanning the whole input as one buffer.

use std::io::{self, Read, Write};

use crate::context::REACH;
use crate::finding::{Candidate, Finding};
use crate::redact::{RedactMode, replacement};
use crate::scan::{MAX_VALUE_LEN, Scanner, to_finding};
use crate::text::Position;

/// Bytes of each window carried into the next one.
pub const KEEP: usize = MAX_VALUE_LEN + 2 * REACH;

/// New bytes read per window unless the caller chooses otherwise.
pub const DEFAULT_CHUNK_SIZE: usize = 1 << 20;

/// Totals of one streamed input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StreamSummary {
    /// Bytes read from the input.
    pub bytes: u64,
    /// Findings reported.
    pub findings: u64,
}

/// Scans `reader` to its end and passes each finding to `sink` in order of position.
/// Memory stays below `chunk_size` plus [`KEEP`] bytes and the findings of one window.
pub fn scan_reader<R: Read>(
    scanner: &Scanner,
    reader: R,
    chunk_size: usize,
    mut sink: impl FnMut(Finding),
) -> io::Result<StreamSummary> {
    drive(scanner, reader, chunk_size, |_, _, found, _| {
        for (_, finding) in found {
            sink(finding.clone());
        }
        Ok(())
    })
}

/// Copies `reader` to `writer` with every finding replaced according to `mode`, and
/// passes each finding to `sink`. Memory is bounded as in [`scan_reader`].
pub fn redact_stream<R: Read, W: Write>(
    scanner: &Scanner,
    mode: &RedactMode,
    reader: R,
    mut writer: W,
    chunk_size: usize,
    mut sink: impl FnMut(Finding),
) -> io::Result<StreamSummary> {
    // Offset of the first byte not yet written.
    let mut written: u64 = 0;
    let summary = drive(scanner, reader, chunk_size, |window, base, found, limit| {
        for (candidate, finding) in found {
            let from = (written - base) as usize;
            writer.write_all(&window[from..candidate.start])?;
            let raw = &window[candidate.start..candidate.end];
            writer.write_all(&replacement(candidate.detector, raw, mode))?;
            written = base + candidate.end as u64;
            sink(finding.clone());
        }
        // Bytes before the emission limit can hold no later finding.
        let limit_offset = base + limit as u64;
        if written < limit_offset {
            writer.write_all(&window[(written - base) as usize..limit])?;
            written = limit_offset;
        }
        Ok(())
    })?;
    writer.flush()?;
    Ok(summary)
}

/// A reported candidate with its finding.
type Reported = (Candidate, Finding);

/// Reads `reader` window by window and calls `visit` with each window, its offset in
/// the input, the findings it reports and its emission limit (the window's length at
/// the end of the input).
fn drive<R: Read>(
    scanner: &Scanner,
    mut reader: R,
    chunk_size: usize,
    mut visit: impl FnMut(&[u8], u64, &[Reported], usize) -> io::Result<()>,
) -> io::Result<StreamSummary> {
    let mut position = Position::default();
    let chunk_size = chunk_size.max(1);
    let mut window: Vec<u8> = Vec::with_capacity(chunk_size + KEEP);
    let mut base: u64 = 0;
    // Candidates starting before this offset were reported by an earlier window.
    let mut reported_until: u64 = 0;
    // End of the last reported candidate: a later one may not overlap it.
    let mut last_end: u64 = 0;
    let mut summary = StreamSummary::default();

    loop {
        let eof = fill(
            &mut reader,
            &mut window,
            chunk_size + KEEP,
            &mut summary.bytes,
        )?;
        let limit = if eof {
            window.len()
        } else {
            window.len() - MAX_VALUE_LEN - REACH
        };

        let candidates: Vec<Candidate> = scanner
            .candidates(&window)
            .into_iter()
            .filter(|candidate| {
                let start = base + candidate.start as u64;
                candidate.start < limit && start >= reported_until && start >= last_end
            })
            .collect();
        if let Some(last) = candidates.last() {
            last_end = base + last.end as u64;
        }
        summary.findings += candidates.len() as u64;
        let reported: Vec<Reported> = candidates
            .into_iter()
            .map(|candidate| {
                position.advance(&window, base, candidate.start);
                let finding = to_finding(&candidate, &window, base, &position);
                (candidate, finding)
            })
            .collect();
        visit(&window, base, &reported, limit)?;
        if eof {
            return Ok(summary);
        }

        reported_until = base + limit as u64;
        let drop = limit - REACH;
        // Line numbering must not fall behind the bytes that are about to go.
        if position.offset < base + drop as u64 {
            position.advance(&window, base, drop);
        }
        window.drain(..drop);
        base += drop as u64;
    }
}

/// Reads until `window` contains `target` bytes or the input ends. Returns true at the end
/// of the input.
fn fill<R: Read>(
    reader: &mut R,
    window: &mut Vec<u8>,
    target: usize,
    total: &mut u64,
) -> io::Result<bool> {
    let mut buffer = [0u8; 64 * 1024];
    while window.len() < target {
        let want = (target - window.len()).min(buffer.len());
        match reader.read(&mut buffer[..want]) {
            Ok(0) => return Ok(true),
            Ok(read) => {
                window.extend_from_slice(&buffer[..read]);
                *total += read as u64;
            }
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn planted(size: usize) -> Vec<u8> {
        let mut text = Vec::new();
        let mut line = 0;
        while text.len() < size {
            line += 1;
            text.extend_from_slice(format!("line {line} card 4111 1111 1111 1111 and ").as_bytes());
            text.extend_from_slice(b"iban DE89 3704 0044 0532 0130 00 ok\n");
        }
        text
    }

    #[test]
    fn small_chunks_match_whole_scan() {
        let text = planted(100_000);
        let scanner = Scanner::default();
        let whole = scanner.scan(&text);
        for chunk in [1000, 4096, 70_000] {
            let mut streamed = Vec::new();
            scan_reader(&scanner, text.as_slice(), chunk, |f| streamed.push(f)).unwrap();
            assert_eq!(streamed, whole, "chunk size {chunk}");
        }
    }

    #[test]
    fn redacted_stream_has_same_length() {
        let text = planted(50_000);
        let scanner = Scanner::default();
        let mut output = Vec::new();
        let summary = redact_stream(
            &scanner,
            &RedactMode::Full,
            text.as_slice(),
            &mut output,
            5000,
            |_| {},
        )
        .unwrap();
        assert_eq!(output.len(), text.len());
        assert!(summary.findings > 0);
        assert!(scanner.scan(&output).is_empty());
    }
}
