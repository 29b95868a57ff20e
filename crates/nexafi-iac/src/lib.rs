//! Loaders that turn infrastructure code into the resource model.
//!
//! Each loader reads files, stores them in the scan's [`SourceMap`], and returns the
//! resources it found together with diagnostics. A loader is written not to panic (fuzz targets check it) and never stops
//! at the first bad file: what it cannot read becomes a [`Diagnostic`].

use std::path::PathBuf;

use nexafi_model::{Resource, Span};

pub mod dockerfile;
pub mod helm;
pub mod kubernetes;
pub mod kustomize;
pub mod terraform;

/// Resources and diagnostics returned by a loader.
#[derive(Debug, Default)]
pub struct Loaded {
    pub resources: Vec<Resource>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Loaded {
    pub fn extend(&mut self, other: Loaded) {
        self.resources.extend(other.resources);
        self.diagnostics.extend(other.diagnostics);
    }
}

/// Effect of a diagnostic on the scan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiagnosticLevel {
    /// The input, or part of it, could not be loaded: reported as an error finding, and
    /// the run cannot succeed.
    Error,
    /// Part of the input could not be resolved offline (a remote module that was never
    /// downloaded): reported as an unknown finding.
    Unknown,
}

/// A problem met while loading, at a place in a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub level: DiagnosticLevel,
    /// The file, as shown to users; also set when the file could not be read at all.
    pub path: PathBuf,
    /// Position in the file, when the file was read.
    pub span: Option<Span>,
    /// Plain sentence: what failed, on which value, and what to do.
    pub message: String,
    /// Terraform address or Kubernetes object the problem belongs to, when known.
    pub subject: Option<String>,
}
