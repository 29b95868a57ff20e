//! `nexafi dlp scan` and `nexafi dlp redact`: sensitive values in files and streams.

use std::fs::File;
use std::io::{self, BufWriter, Read};
use std::path::{Path, PathBuf};
use std::time::Instant;

use nexafi_dlp::{
    Allowlist, DocumentKind, Finding, RedactMode, ScanOptions, Scanner, TokenKey, assign_paths,
    redact_stream, scan_reader,
};
use rayon::prelude::*;
use serde::Serialize;

use crate::Outcome;
use crate::cli::{DlpCommand, DlpDetectArgs, DlpFormat, DlpMode, DlpRedactArgs, DlpScanArgs};
use crate::output::write_report;

use super::Error;

/// Environment variable holding the tokenisation key when no --key-file is given.
const KEY_VARIABLE: &str = "NEXAFI_DLP_TOKEN_KEY";

/// Bytes read to decide whether a file is binary: a NUL byte among them means it is.
const SNIFF_LEN: usize = 8 * 1024;

/// JSON and YAML files up to this size are read whole so findings get document paths;
/// larger ones are streamed without paths.
const MAX_DOCUMENT_LEN: u64 = 64 << 20;

/// Version of the JSON report layout.
const REPORT_VERSION: u32 = 1;

pub fn run(command: DlpCommand, color: bool) -> Result<Outcome, Error> {
    match command {
        DlpCommand::Scan(args) => scan(&args, color),
        DlpCommand::Redact(args) => redact(&args),
    }
}

/// One input: a file found on disk or standard input.
#[derive(Debug, Clone)]
pub(crate) enum Input {
    Stdin,
    File {
        path: PathBuf,
        /// The path relative to the directory it was found in, for --output-dir.
        relative: PathBuf,
    },
}

impl Input {
    pub(crate) fn display(&self) -> String {
        match self {
            Self::Stdin => "-".to_owned(),
            Self::File { path, .. } => path.display().to_string(),
        }
    }
}

/// Outcome of scanning one input.
#[derive(Debug, Default)]
pub(crate) struct FileResult {
    pub(crate) findings: Vec<Finding>,
    pub(crate) bytes: u64,
    pub(crate) binary: bool,
    pub(crate) error: Option<String>,
}

fn build_scanner(args: &DlpDetectArgs) -> Result<(Scanner, Allowlist), Error> {
    let allowlist = match &args.allowlist {
        Some(path) => {
            Allowlist::from_file(path).map_err(|error| Error::Usage(error.to_string()))?
        }
        None => Allowlist::default(),
    };
    let scanner = Scanner::new(ScanOptions {
        min_confidence: args.min_confidence,
        detectors: args.detector.clone(),
        allowlist: allowlist.clone(),
    });
    Ok((scanner, allowlist))
}

fn thread_pool(threads: Option<usize>) -> Result<rayon::ThreadPool, Error> {
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(threads) = threads {
        if threads == 0 {
            return Err(Error::Usage("--threads must be at least 1".to_owned()));
        }
        builder = builder.num_threads(threads);
    }
    builder
        .build()
        .map_err(|error| Error::Usage(format!("cannot start worker threads: {error}")))
}

/// Expands the command-line paths into inputs: directories are walked honouring
/// .gitignore (hidden files such as `.env` included, `.git` skipped), and files on the
/// allow-list's path globs are left out.
pub(crate) fn collect_inputs(
    paths: &[PathBuf],
    allowlist: &Allowlist,
) -> Result<Vec<Input>, Error> {
    let mut inputs = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            inputs.push(Input::Stdin);
            continue;
        }
        if !path.exists() {
            return Err(Error::Usage(format!(
                "{} does not exist; pass files, directories or - for standard input",
                path.display()
            )));
        }
        if path.is_file() {
            if !allowlist.allows_path(path) {
                let relative = path.file_name().map_or_else(|| path.clone(), PathBuf::from);
                inputs.push(Input::File {
                    path: path.clone(),
                    relative,
                });
            }
            continue;
        }
        let walker = ignore::WalkBuilder::new(path)
            .hidden(false)
            .filter_entry(|entry| entry.file_name() != ".git")
            .build();
        for entry in walker {
            let entry = entry.map_err(|error| {
                Error::Io(io::Error::other(format!(
                    "cannot walk {}: {error}",
                    path.display()
                )))
            })?;
            if !entry.file_type().is_some_and(|kind| kind.is_file()) {
                continue;
            }
            let file = entry.into_path();
            let relative = file.strip_prefix(path).unwrap_or(&file).to_path_buf();
            if allowlist.allows_path(&file) || allowlist.allows_path(&relative) {
                tracing::debug!(path = %file.display(), "skipped by allow-list path");
                continue;
            }
            inputs.push(Input::File {
                path: file,
                relative,
            });
        }
    }
    Ok(inputs)
}

/// Opens an input and reads its first bytes. Returns the reader positioned after them,
/// the bytes, and whether the input looks binary.
fn open(input: &Input) -> io::Result<(Box<dyn Read + Send>, Vec<u8>, bool)> {
    let mut reader: Box<dyn Read + Send> = match input {
        Input::Stdin => Box::new(io::stdin()),
        Input::File { path, .. } => Box::new(File::open(path)?),
    };
    let mut head = Vec::with_capacity(SNIFF_LEN);
    (&mut reader)
        .take(SNIFF_LEN as u64)
        .read_to_end(&mut head)?;
    let binary = memchr_nul(&head);
    Ok((reader, head, binary))
}

fn memchr_nul(bytes: &[u8]) -> bool {
    bytes.contains(&0)
}

pub(crate) fn scan_input(scanner: &Scanner, input: &Input) -> FileResult {
    let started = Instant::now();
    let name = input.display();
    tracing::debug!(path = %name, "scanning");
    let mut result = FileResult::default();
    let outcome = (|| -> io::Result<()> {
        let (mut reader, head, binary) = open(input)?;
        if binary {
            tracing::debug!(path = %name, "skipped binary file");
            result.binary = true;
            return Ok(());
        }
        let kind = match input {
            Input::File { path, .. } => DocumentKind::of(path),
            Input::Stdin => None,
        };
        let small = match input {
            Input::File { path, .. } => std::fs::metadata(path)?.len() <= MAX_DOCUMENT_LEN,
            Input::Stdin => false,
        };
        if let (Some(kind), true) = (kind, small) {
            let mut text = head;
            reader.read_to_end(&mut text)?;
            result.bytes = text.len() as u64;
            result.findings = scanner.scan(&text);
            assign_paths(kind, &text, &mut result.findings);
        } else {
            let chained = io::Cursor::new(head).chain(reader);
            let summary = scan_reader(
                scanner,
                chained,
                nexafi_dlp::DEFAULT_CHUNK_SIZE,
                |finding| {
                    result.findings.push(finding);
                },
            )?;
            result.bytes = summary.bytes;
        }
        Ok(())
    })();
    if let Err(error) = outcome {
        tracing::debug!(path = %name, %error, "cannot read input");
        result.error = Some(format!("cannot read {name}: {error}"));
    }
    tracing::debug!(
        path = %name,
        findings = result.findings.len(),
        bytes = result.bytes,
        elapsed_us = started.elapsed().as_micros() as u64,
        "scanned"
    );
    result
}

fn scan(args: &DlpScanArgs, color: bool) -> Result<Outcome, Error> {
    let (scanner, allowlist) = build_scanner(&args.detect)?;
    let inputs = collect_inputs(&args.paths, &allowlist)?;
    let pool = thread_pool(args.detect.threads)?;
    let started = Instant::now();
    let results: Vec<FileResult> = pool.install(|| {
        inputs
            .par_iter()
            .map(|input| scan_input(&scanner, input))
            .collect()
    });

    let totals = Totals::of(&results);
    tracing::info!(
        files = totals.files,
        bytes = totals.bytes,
        findings = totals.findings,
        binary_skipped = totals.binary,
        errors = totals.errors,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "dlp scan finished"
    );

    let text = match args.format {
        DlpFormat::Json => render_json(&inputs, &results, &totals)?,
        DlpFormat::Human => {
            render_human(&inputs, &results, &totals, color && args.output.is_none())
        }
    };
    write_report(args.output.as_deref(), &text)?;

    if totals.errors > 0 {
        return Err(Error::Usage(format!(
            "{} input(s) could not be read; see the errors above",
            totals.errors
        )));
    }
    Ok(if totals.findings > 0 {
        Outcome::Findings
    } else {
        Outcome::Success
    })
}

#[derive(Debug, Default, Serialize)]
struct Totals {
    files: usize,
    bytes: u64,
    findings: usize,
    binary: usize,
    errors: usize,
}

impl Totals {
    fn of(results: &[FileResult]) -> Self {
        let mut totals = Self::default();
        for result in results {
            totals.files += 1;
            totals.bytes += result.bytes;
            totals.findings += result.findings.len();
            totals.binary += usize::from(result.binary);
            totals.errors += usize::from(result.error.is_some());
        }
        totals
    }
}

fn render_human(inputs: &[Input], results: &[FileResult], totals: &Totals, color: bool) -> String {
    use std::fmt::Write as _;

    let bold = anstyle::Style::new().bold();
    let red = anstyle::AnsiColor::Red.on_default().bold();
    let paint = |style: anstyle::Style, text: &str| {
        if color {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_owned()
        }
    };

    let mut out = String::new();
    for (input, result) in inputs.iter().zip(results) {
        let name = input.display();
        if let Some(error) = &result.error {
            let _ = writeln!(out, "{}: {error}", paint(red, "error"));
        }
        for finding in &result.findings {
            let location = format!("{name}:{}:{}", finding.line, finding.column);
            let kind = match finding.brand {
                Some(brand) => format!("{} ({brand})", finding.detector),
                None => finding.detector.to_string(),
            };
            let _ = write!(
                out,
                "{}: {} {}  confidence {} ({})",
                paint(bold, &location),
                paint(red, &kind),
                finding.preview,
                finding.confidence,
                finding.level()
            );
            if let Some(path) = &finding.path {
                let _ = write!(out, "  at {path}");
            }
            out.push('\n');
        }
    }
    let plural = |count: usize, word: &str| {
        if count == 1 {
            format!("{count} {word}")
        } else {
            format!("{count} {word}s")
        }
    };
    let with_findings = results.iter().filter(|r| !r.findings.is_empty()).count();
    let _ = write!(
        out,
        "{} in {}; {} scanned ({} bytes)",
        plural(totals.findings, "finding"),
        plural(with_findings, "file"),
        plural(totals.files, "input"),
        totals.bytes
    );
    if totals.binary > 0 {
        let _ = write!(out, ", {} skipped", plural(totals.binary, "binary file"));
    }
    if totals.errors > 0 {
        let _ = write!(out, ", {}", plural(totals.errors, "error"));
    }
    out.push('\n');
    out
}

#[derive(Serialize)]
struct JsonReport<'a> {
    version: u32,
    totals: &'a Totals,
    findings: Vec<JsonFinding<'a>>,
    errors: Vec<JsonError<'a>>,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    file: String,
    #[serde(flatten)]
    finding: &'a Finding,
}

#[derive(Serialize)]
struct JsonError<'a> {
    file: String,
    message: &'a str,
}

fn render_json(inputs: &[Input], results: &[FileResult], totals: &Totals) -> Result<String, Error> {
    let mut report = JsonReport {
        version: REPORT_VERSION,
        totals,
        findings: Vec::new(),
        errors: Vec::new(),
    };
    for (input, result) in inputs.iter().zip(results) {
        for finding in &result.findings {
            report.findings.push(JsonFinding {
                file: input.display(),
                finding,
            });
        }
        if let Some(message) = &result.error {
            report.errors.push(JsonError {
                file: input.display(),
                message,
            });
        }
    }
    let mut text = serde_json::to_string_pretty(&report)?;
    text.push('\n');
    Ok(text)
}

fn redact_mode(args: &DlpRedactArgs) -> Result<RedactMode, Error> {
    Ok(match args.mode {
        DlpMode::Pci => RedactMode::Pci,
        DlpMode::Full => RedactMode::Full,
        DlpMode::Token => {
            let key = match &args.key_file {
                Some(path) => TokenKey::from_file(path),
                None => match std::env::var_os(KEY_VARIABLE) {
                    Some(value) => TokenKey::new(value.into_encoded_bytes()),
                    None => {
                        return Err(Error::Usage(format!(
                            "--mode token needs a key: pass --key-file FILE or set {KEY_VARIABLE} \
                             to at least {} random bytes",
                            nexafi_dlp::MIN_KEY_LEN
                        )));
                    }
                },
            };
            RedactMode::Token(key.map_err(|error| Error::Usage(error.to_string()))?)
        }
    })
}

fn redact(args: &DlpRedactArgs) -> Result<Outcome, Error> {
    let (scanner, allowlist) = build_scanner(&args.detect)?;
    let mode = redact_mode(args)?;
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from("-")]
    } else {
        args.paths.clone()
    };
    let inputs = collect_inputs(&paths, &allowlist)?;
    let has_files = inputs
        .iter()
        .any(|input| matches!(input, Input::File { .. }));
    if has_files && args.output_dir.is_none() && !args.in_place {
        return Err(Error::Usage(
            "redacting files needs --output-dir DIR, or --in-place to rewrite them".to_owned(),
        ));
    }
    if inputs
        .iter()
        .filter(|input| matches!(input, Input::Stdin))
        .count()
        > 1
    {
        return Err(Error::Usage(
            "standard input (-) can be given only once".to_owned(),
        ));
    }

    let pool = thread_pool(args.detect.threads)?;
    let results: Vec<(String, io::Result<u64>)> = pool.install(|| {
        inputs
            .par_iter()
            .map(|input| {
                let outcome = redact_input(&scanner, &mode, input, args.output_dir.as_deref());
                (input.display(), outcome)
            })
            .collect()
    });

    let mut replaced = 0;
    let mut failed = 0;
    for (name, outcome) in results.iter() {
        match outcome {
            Ok(count) => {
                tracing::info!(path = %name, values = count, "redacted");
                replaced += count;
            }
            // A reader that closed standard output early, such as `head`, is not an error.
            Err(error) if name == "-" && error.kind() == io::ErrorKind::BrokenPipe => {
                tracing::debug!("standard output closed early");
            }
            Err(error) => {
                eprintln!("error: cannot redact {name}: {error}");
                failed += 1;
            }
        }
    }
    tracing::info!(
        inputs = results.len(),
        values = replaced,
        errors = failed,
        "dlp redact finished"
    );
    if failed > 0 {
        return Err(Error::Usage(format!(
            "{failed} input(s) could not be redacted"
        )));
    }
    Ok(Outcome::Success)
}

/// Redacts one input. Returns the number of values replaced.
fn redact_input(
    scanner: &Scanner,
    mode: &RedactMode,
    input: &Input,
    output_dir: Option<&Path>,
) -> io::Result<u64> {
    let (reader, head, binary) = open(input)?;
    let source = io::Cursor::new(head).chain(reader);
    let chunk = nexafi_dlp::DEFAULT_CHUNK_SIZE;
    let path = match input {
        Input::Stdin => {
            if binary {
                tracing::warn!("standard input looks binary; redacting it as text");
            }
            let stdout = io::stdout().lock();
            let summary =
                redact_stream(scanner, mode, source, BufWriter::new(stdout), chunk, |_| {})?;
            return Ok(summary.findings);
        }
        Input::File { path, relative } => {
            if binary {
                tracing::info!(path = %path.display(), "skipped binary file");
                return Ok(0);
            }
            match output_dir {
                Some(dir) => dir.join(relative),
                None => path.clone(),
            }
        }
    };

    // Write next to the destination and rename, so an interrupted run never leaves a
    // half-redacted file in place of the original.
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let temporary = temporary_path(&path);
    let written = (|| -> io::Result<u64> {
        let file = File::create(&temporary)?;
        let summary = redact_stream(scanner, mode, source, BufWriter::new(file), chunk, |_| {})?;
        Ok(summary.findings)
    })();
    match written {
        Ok(count) => {
            std::fs::rename(&temporary, &path)?;
            Ok(count)
        }
        Err(error) => {
            let _ = std::fs::remove_file(&temporary);
            Err(error)
        }
    }
}

fn temporary_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".nexafi-redact-{}", std::process::id()));
    path.with_file_name(name)
}
