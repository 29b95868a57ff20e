//! Terraform's built-in functions, evaluated offline.

use std::path::PathBuf;

use nexafi_model::{Node, Span};

/// What a function may read besides its arguments.
#[derive(Clone, Debug, Default)]
pub struct FunctionContext {
    /// The calling module's directory: `file()` and friends resolve relative paths here.
    pub module_dir: PathBuf,
}

/// Why a call produced no value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FunctionError {
    /// The function does not exist or needs something unavailable offline; the caller
    /// turns this into an unknown value with the message as reason.
    Unsupported(String),
    /// The arguments are invalid, as `terraform plan` would also report.
    Invalid(String),
}

/// Calls the built-in function `name` on evaluated arguments. `span` is the call
/// expression; results carry it.
///
/// Unknown arguments make the result unknown, except where Terraform itself keeps the
/// result known (the length of a list with unknown elements, say).
pub fn call(
    name: &str,
    args: &[Node],
    span: Span,
    context: &FunctionContext,
) -> Result<Node, FunctionError> {
    let _ = (args, span, context);
    Err(FunctionError::Unsupported(format!(
        "function {name}() is not supported offline"
    )))
}
