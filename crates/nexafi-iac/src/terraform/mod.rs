//! Terraform: HCL and JSON syntax, variables, locals, expressions, built-in functions,
//! modules, `count`, `for_each` and `dynamic` blocks, evaluated offline.
//!
//! Loading a root module reads its files once into a configuration tree (`syntax`) and
//! collects the declarations of each module directory (`config`). Evaluation
//! (`eval`) is lazy. Each resource instance becomes one [`Resource`], whose body
//! contains the evaluated attributes and nested blocks and whose references name the
//! resources its attributes read. What cannot be known offline (a variable without a
//! value, an attribute the provider computes, a module that was never downloaded) is an
//! unknown value with the reason.
//!
//! [`Resource`]: nexafi_model::Resource

use std::path::{Path, PathBuf};
use std::rc::Rc;

use nexafi_model::SourceMap;

use crate::{Diagnostic, DiagnosticLevel, Loaded};

mod config;
mod eval;
pub mod functions;
mod hcl;
mod json;
mod roots;
mod syntax;
mod values;
mod vars;

pub use eval::{MAX_EVAL_DEPTH, MAX_INSTANCES, MAX_MODULE_DEPTH};

/// Stack size of the thread that loads one root module. Evaluation recurses through
/// expressions and the declarations they read; [`MAX_EVAL_DEPTH`] bounds the depth, and
/// this leaves room for it whatever the caller's thread stack is. The memory is reserved,
/// not used, until evaluation goes that deep.
const LOADER_STACK_BYTES: usize = 256 << 20;

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
    roots::find_roots(dirs)
}

/// Loads the root module in `dir` with every module it calls.
///
/// `files` are the `.tf`, `.tf.json` and `.tfvars` files that discovery found in `dir`
/// (after `.gitignore` and `--exclude`); module directories are read whole.
pub fn load_root(dir: &Path, files: &[PathBuf], options: &Options, sources: &SourceMap) -> Loaded {
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .name("terraform-loader".to_owned())
            .stack_size(LOADER_STACK_BYTES)
            .spawn_scoped(scope, || load_root_here(dir, files, options, sources));
        match worker {
            Ok(worker) => worker.join().unwrap_or_else(|_| {
                let mut loaded = Loaded::default();
                loaded.diagnostics.push(Diagnostic {
                    level: DiagnosticLevel::Error,
                    path: dir.to_path_buf(),
                    span: None,
                    message: "the Terraform loader stopped on an internal error while reading \
                              this root module; report the problem with the files that cause it"
                        .to_owned(),
                    subject: None,
                });
                loaded
            }),
            // No thread could be started: load on the caller's stack instead.
            Err(_) => load_root_here(dir, files, options, sources),
        }
    })
}

fn load_root_here(dir: &Path, files: &[PathBuf], options: &Options, sources: &SourceMap) -> Loaded {
    let mut diagnostics = Vec::new();
    let mut config_files: Vec<PathBuf> = files
        .iter()
        .filter(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(config::is_config_file)
        })
        .cloned()
        .collect();
    config_files.sort();
    let automatic_var_files = vars::automatic_var_files(files);

    let manifest = eval::Manifest::read(dir, &mut diagnostics);
    let config = config::load_module(dir, &config_files, sources, &mut diagnostics);
    let first_file = config.first_file;

    let mut evaluator = eval::Evaluator::new(sources, dir, manifest);
    evaluator.diagnostics = diagnostics;
    let root = evaluator.add_root(Rc::new(config));
    vars::assign(&mut evaluator, root, &automatic_var_files, options);
    evaluator.walk(root);

    let mut resources = Vec::new();
    evaluator.collect(root, &mut resources);
    if let Some(first_file) = first_file {
        resources.push(evaluator.root_resource(first_file));
    }
    Loaded {
        resources,
        diagnostics: evaluator.diagnostics,
    }
}
