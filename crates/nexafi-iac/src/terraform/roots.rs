//! Finding root modules among the directories that hold Terraform files.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use hcl_edit::expr::Expression;
use hcl_edit::structure::Structure;

use super::config::{is_config_file, module_files};
use super::eval::{is_local_source, normalize};
use super::json::{self, JsonKind};

/// Returns the directories of `dirs` that no other directory of `dirs` calls as a local
/// module.
pub(crate) fn find_roots(dirs: &[PathBuf]) -> Vec<PathBuf> {
    let canonical: Vec<Option<PathBuf>> = dirs
        .iter()
        .map(|dir| std::fs::canonicalize(dir).ok())
        .collect();
    let known: HashSet<&PathBuf> = canonical.iter().flatten().collect();
    let mut called: HashSet<PathBuf> = HashSet::new();
    for (dir, own) in dirs.iter().zip(&canonical) {
        for source in local_sources(dir) {
            let Ok(target) = std::fs::canonicalize(normalize(dir, &source)) else {
                continue;
            };
            if known.contains(&target) && own.as_ref() != Some(&target) {
                called.insert(target);
            }
        }
    }
    dirs.iter()
        .zip(&canonical)
        .filter(|(_, own)| own.as_ref().is_none_or(|own| !called.contains(own)))
        .map(|(dir, _)| dir.clone())
        .collect()
}

/// Lists the local `source` paths of the module blocks in `dir`. Files that cannot be
/// read or parsed are skipped: loading the directory reports them.
fn local_sources(dir: &Path) -> Vec<String> {
    let mut sources = Vec::new();
    let Ok(files) = module_files(dir) else {
        return sources;
    };
    for path in files {
        let name = path
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or_default();
        if !is_config_file(name) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        // Most files call no module: skip parsing them.
        if !text.contains("module") {
            continue;
        }
        if name.ends_with(".json") {
            json_sources(&text, &mut sources);
        } else if let Ok(body) = hcl_edit::parser::parse_body(&text) {
            for structure in body.iter() {
                let Structure::Block(block) = structure else {
                    continue;
                };
                if block.ident.as_str() != "module" {
                    continue;
                }
                if let Some(Expression::String(source)) = block
                    .body
                    .get_attribute("source")
                    .map(|attribute| &attribute.value)
                    && is_local_source(source.value())
                {
                    sources.push(source.value().clone());
                }
            }
        }
    }
    sources
}

fn json_sources(text: &str, sources: &mut Vec<String>) {
    let Ok(root) = json::parse(text, nexafi_model::FileId::default()) else {
        return;
    };
    let JsonKind::Object(members) = &root.kind else {
        return;
    };
    for member in members.iter().filter(|member| member.key == "module") {
        let JsonKind::Object(calls) = &member.value.kind else {
            continue;
        };
        for call in calls {
            let JsonKind::Object(arguments) = &call.value.kind else {
                continue;
            };
            for argument in arguments.iter().filter(|argument| argument.key == "source") {
                if let JsonKind::String(source) = &argument.value.kind
                    && is_local_source(source)
                {
                    sources.push(source.clone());
                }
            }
        }
    }
}
