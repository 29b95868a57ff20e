//! Values of root module variables: `terraform.tfvars`, `*.auto.tfvars`, `--var-file`
//! and `--var`, applied in Terraform's order so later sources win.

use std::path::{Path, PathBuf};

use nexafi_model::Node;

use super::Options;
use super::config::{read_source, syntax_diagnostic};
use super::eval::{Ctx, Evaluator};
use super::hcl::{self, Spans};
use super::json;
use super::syntax::{Body, ExprKind};

/// Picks the variable files Terraform reads by itself, in its order: `terraform.tfvars`,
/// `terraform.tfvars.json`, then `*.auto.tfvars` and `*.auto.tfvars.json` by name.
pub(crate) fn automatic_var_files(files: &[PathBuf]) -> Vec<PathBuf> {
    let name = |path: &PathBuf| {
        path.file_name()
            .and_then(|name| name.to_str())
            .unwrap_or_default()
            .to_owned()
    };
    let mut found = Vec::new();
    for fixed in ["terraform.tfvars", "terraform.tfvars.json"] {
        found.extend(files.iter().filter(|path| name(path) == fixed).cloned());
    }
    let mut automatic: Vec<PathBuf> = files
        .iter()
        .filter(|path| {
            let name = name(path);
            name.ends_with(".auto.tfvars") || name.ends_with(".auto.tfvars.json")
        })
        .cloned()
        .collect();
    automatic.sort_by_key(name);
    found.extend(automatic);
    found
}

/// Stores the values given for the root module's variables in `evaluator`.
pub(crate) fn assign(
    evaluator: &mut Evaluator<'_>,
    root: usize,
    automatic: &[PathBuf],
    options: &Options,
) {
    for path in automatic.iter().chain(&options.var_files) {
        read_var_file(evaluator, root, path);
    }

    let config = evaluator.instances[root].config.clone();
    for (name, text) in &options.vars {
        let Some(&index) = config.variable_index.get(name) else {
            evaluator.error(
                None,
                format!(
                    "--var sets variable \"{name}\", which the root module does not declare; \
                     declare it with a variable block or remove the option"
                ),
                Some(format!("var.{name}")),
            );
            continue;
        };
        let variable = &config.variables[index];
        let span = variable.labels_span;
        let literal = variable.type_expr.as_ref().is_some_and(|kind| {
            matches!(&kind.kind, ExprKind::Variable(name) | ExprKind::String(name)
                if matches!(name.as_str(), "string" | "number" | "bool"))
        });
        let as_string = Node::new(span, nexafi_model::Value::String(text.clone()));
        // Like Terraform, a variable of a primitive type takes the text as it is. Other
        // values are parsed as HCL, and text that is not a valid constant stays a string.
        let value = if literal {
            as_string
        } else {
            match hcl::parse_expression(text, Spans::Fixed(span)) {
                Ok(expr) => {
                    let cx = Ctx {
                        instance: root,
                        keys: None,
                        isolated: true,
                    };
                    match evaluator.eval(&expr, &cx) {
                        Ok(value) if !value.is_unknown() => value,
                        _ => as_string,
                    }
                }
                Err(_) => as_string,
            }
        };
        evaluator.root_values.insert(name.clone(), value);
    }
}

fn read_var_file(evaluator: &mut Evaluator<'_>, root: usize, path: &Path) {
    let Some((file, source)) = read_source(path, evaluator.sources, &mut evaluator.diagnostics)
    else {
        return;
    };
    let text = source.text.as_str();
    let name = path
        .file_name()
        .and_then(|name| name.to_str())
        .unwrap_or_default();
    let body: Result<Body, _> = if name.ends_with(".json") {
        json::parse(text, file).and_then(|value| json::tfvars_body(&value))
    } else {
        hcl::parse_body(text, file)
    };
    let body = match body {
        Ok(body) => body,
        Err(error) => {
            let diagnostic = syntax_diagnostic(path, file, text, &error, name);
            evaluator.diagnostics.push(diagnostic);
            return;
        }
    };
    let cx = Ctx {
        instance: root,
        keys: None,
        isolated: true,
    };
    for attribute in body.attributes() {
        let value = evaluator.eval_value(&attribute.expr, &cx);
        evaluator.root_values.insert(attribute.name.clone(), value);
    }
}
