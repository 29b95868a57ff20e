//! The vocabulary every nexafi crate shares. No I/O happens here.
//!
//! Loaders turn files into [`Resource`]s whose bodies are [`Node`] trees with a [`Span`] on
//! every value; checks turn resources into [`Evaluation`]s; the engine joins those with
//! check metadata and locations into [`Finding`]s.

pub mod check;
pub mod finding;
pub mod resource;
pub mod scan;
pub mod source;
pub mod value;

pub use check::{CheckDocs, CheckMeta, CheckStatus, Evaluation, Severity, Verdict};
pub use finding::{Finding, Suppression, SuppressionKind, fingerprint};
pub use resource::{
    InputKind, Model, Reference, Resource, TERRAFORM_ROOT_KIND, strip_instance_key,
};
pub use scan::{
    Attestation, ControlResult, ControlStatus, FrameworkResult, REPORT_SCHEMA_VERSION, ScanInputs,
    ScanResult, Summary, ToolInfo, WaiverUse,
};
pub use source::{FileId, LineColumn, Location, SourceFile, SourceMap, Span};
pub use value::{Lookup, Map, Node, Unknown, Value, format_number};
