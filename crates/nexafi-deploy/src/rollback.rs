//! Changes of a run, and how to undo them after a failed rollout step.
//!
//! Only Helm releases and Deployments have an undo: `helm rollback` or `helm uninstall`,
//! and `kubectl rollout undo`. Every other object applied with kubectl keeps its new
//! state, and Terraform is never rolled back automatically. The record lists each of them.

use std::path::{Path, PathBuf};

use nexafi_model::SourceMap;

use crate::command::{self, CommandLine};
use crate::exec::Executor;
use crate::plan::{HelmStep, KubectlStep};
use crate::record::RollbackRecord;

/// One change of this run, in the order it was made.
#[derive(Debug, Clone)]
pub enum Change {
    Terraform {
        plan_file: PathBuf,
    },
    Kubectl {
        path: PathBuf,
        /// Deployments whose generation the apply raised: `kubectl rollout undo` restores them.
        changed: Vec<Deployment>,
        /// Deployments that did not exist before the apply.
        created: Vec<Deployment>,
        /// Deployments whose state after the apply could not be read.
        unread: Vec<Deployment>,
        /// Objects other than Deployments in the manifests.
        other_objects: usize,
    },
    Helm {
        step: HelmStep,
        /// Latest deployed revision before the upgrade; `None` for a first install.
        previous: Option<u64>,
        /// The upgrade itself failed, and `--atomic` made helm undo it.
        failed: bool,
    },
}

/// A Deployment named in the applied manifests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployment {
    pub namespace: String,
    pub name: String,
    /// `metadata.generation` before the apply; `None` when it did not exist.
    pub generation: Option<String>,
}

impl std::fmt::Display for Deployment {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "deployment {}/{}", self.namespace, self.name)
    }
}

/// Lists the Deployments in the manifests at `path` and counts the other objects, as the
/// Kubernetes loader of the scan reads them.
fn manifest_objects(
    path: &Path,
    recursive: bool,
) -> Result<(Vec<(String, String)>, usize), String> {
    let mut files = Vec::new();
    manifest_files(path, recursive, &mut files)?;
    let sources = SourceMap::default();
    let mut deployments = Vec::new();
    let mut others = 0;
    for file in files {
        let text = std::fs::read_to_string(&file)
            .map_err(|error| format!("cannot read {}: {error}", file.display()))?;
        let loaded = nexafi_iac::kubernetes::load_file(&file, text, &sources);
        for resource in loaded.resources {
            if resource.kind != "Deployment" {
                others += 1;
                continue;
            }
            // Addresses of namespaced objects end in NAMESPACE/NAME.
            let mut segments = resource.address.rsplit('/');
            if let (Some(name), Some(namespace)) = (segments.next(), segments.next()) {
                deployments.push((namespace.to_owned(), name.to_owned()));
            }
        }
    }
    Ok((deployments, others))
}

/// Collects the files `kubectl apply --filename PATH` reads: the file itself, or the
/// `.yaml`, `.yml` and `.json` files in the directory, and with `recursive` in its
/// subdirectories too.
fn manifest_files(path: &Path, recursive: bool, files: &mut Vec<PathBuf>) -> Result<(), String> {
    if path.is_file() {
        files.push(path.to_path_buf());
        return Ok(());
    }
    let entries = std::fs::read_dir(path)
        .map_err(|error| format!("cannot read the manifests in {}: {error}", path.display()))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .collect();
    paths.sort();
    for entry in paths {
        if entry.is_dir() {
            if recursive {
                manifest_files(&entry, true, files)?;
            }
            continue;
        }
        let manifest = entry
            .extension()
            .and_then(|extension| extension.to_str())
            .is_some_and(|extension| matches!(extension, "yaml" | "yml" | "json"));
        if manifest {
            files.push(entry);
        }
    }
    Ok(())
}

fn generation(
    executor: &Executor,
    context: Option<&str>,
    namespace: &str,
    name: &str,
) -> Result<Option<String>, String> {
    let query = command::kubectl_generation(context, namespace, name);
    let output = executor.run_captured(&query)?;
    if !output.success {
        return Err(format!(
            "`{query}` failed: {}",
            output.stderr.trim().lines().last().unwrap_or("no message")
        ));
    }
    let value = output.stdout.trim();
    Ok((!value.is_empty()).then(|| value.to_owned()))
}

/// Reads the generation of every Deployment in the manifests at `path` before an apply.
pub fn read_deployments(
    executor: &Executor,
    context: Option<&str>,
    path: &Path,
    recursive: bool,
) -> Result<(Vec<Deployment>, usize), String> {
    let (names, others) = manifest_objects(path, recursive)?;
    let mut deployments = Vec::with_capacity(names.len());
    for (namespace, name) in names {
        let generation = generation(executor, context, &namespace, &name)?;
        deployments.push(Deployment {
            namespace,
            name,
            generation,
        });
    }
    Ok((deployments, others))
}

/// Compares each Deployment's generation after the apply with the one before.
pub fn kubectl_change(
    executor: &Executor,
    context: Option<&str>,
    step: &KubectlStep,
    before: (Vec<Deployment>, usize),
) -> Change {
    let (deployments, other_objects) = before;
    let (mut changed, mut created, mut unread) = (Vec::new(), Vec::new(), Vec::new());
    for deployment in deployments {
        match generation(executor, context, &deployment.namespace, &deployment.name) {
            Err(error) => {
                tracing::warn!(%deployment, %error, "cannot read the generation after the apply");
                unread.push(deployment);
            }
            Ok(None) => {}
            Ok(Some(_)) if deployment.generation.is_none() => created.push(deployment),
            Ok(after) if after != deployment.generation => changed.push(deployment),
            Ok(_) => {}
        }
    }
    Change::Kubectl {
        path: step.path.clone(),
        changed,
        created,
        unread,
        other_objects,
    }
}

/// Reads the latest deployed revision of a release; `None` when helm does not know it.
pub fn previous_revision(
    executor: &Executor,
    history: &CommandLine,
) -> Result<Option<u64>, String> {
    let output = executor.run_captured(history)?;
    if !output.success {
        if output.stderr.contains("not found") {
            return Ok(None);
        }
        return Err(format!(
            "`{history}` failed: {}",
            output.stderr.trim().lines().last().unwrap_or("no message")
        ));
    }
    let entries: Vec<serde_json::Value> = serde_json::from_str(output.stdout.trim())
        .map_err(|error| format!("`{history}` did not print a JSON list: {error}"))?;
    Ok(entries
        .iter()
        .filter(|entry| entry["status"].as_str() == Some("deployed"))
        .filter_map(|entry| entry["revision"].as_u64())
        .max())
}

/// Undoes the changes newest first, running each undo command.
pub fn undo(executor: &Executor, context: Option<&str>, changes: &[Change]) -> RollbackRecord {
    let mut record = RollbackRecord::default();
    for change in changes.iter().rev() {
        match change {
            Change::Terraform { plan_file } => {
                record.not_rolled_back.push(terraform_note(plan_file))
            }
            Change::Kubectl {
                path,
                changed,
                created,
                unread,
                other_objects,
            } => {
                for deployment in changed {
                    let undo = command::kubectl_rollout_undo(
                        context,
                        &deployment.namespace,
                        &deployment.name,
                    );
                    run_undo(executor, &undo, &deployment.to_string(), &mut record);
                }
                kubectl_notes(path, created, unread, *other_objects, context, &mut record);
            }
            Change::Helm {
                step, failed: true, ..
            } => record.rolled_back.push(format!(
                "helm release {}/{}: the failed upgrade was undone by helm itself (--atomic)",
                step.namespace, step.release
            )),
            Change::Helm {
                step,
                previous: Some(revision),
                ..
            } => {
                let undo = command::helm_rollback(step, context, *revision);
                let subject = format!(
                    "helm release {}/{} to revision {revision}",
                    step.namespace, step.release
                );
                run_undo(executor, &undo, &subject, &mut record);
            }
            Change::Helm {
                step,
                previous: None,
                ..
            } => {
                let undo = command::helm_uninstall(step, context);
                let subject = format!(
                    "helm release {}/{}, installed first by this run",
                    step.namespace, step.release
                );
                run_undo(executor, &undo, &subject, &mut record);
            }
        }
    }
    record
}

fn run_undo(executor: &Executor, undo: &CommandLine, subject: &str, record: &mut RollbackRecord) {
    eprintln!("==> rollback: {undo}");
    match executor.run_streamed("rollback", undo) {
        Ok(()) => record.rolled_back.push(format!("{subject} (`{undo}`)")),
        Err(error) => record.failed.push(format!("{subject}: {error}")),
    }
}

fn kubectl_notes(
    path: &Path,
    created: &[Deployment],
    unread: &[Deployment],
    other_objects: usize,
    context: Option<&str>,
    record: &mut RollbackRecord,
) {
    let context_option =
        context.map_or_else(String::new, |context| format!(" --context={context}"));
    for deployment in created {
        record.not_rolled_back.push(format!(
            "{deployment} was created by this run and has no earlier revision; remove it with `kubectl{context_option} delete deployment/{} --namespace={}` if it must go",
            deployment.name, deployment.namespace
        ));
    }
    for deployment in unread {
        record.not_rolled_back.push(format!(
            "{deployment}: its state after the apply could not be read, so it is left as it is"
        ));
    }
    if other_objects > 0 {
        record.not_rolled_back.push(format!(
            "{other_objects} object(s) other than Deployments applied from {}: kubectl keeps no earlier version of them; re-apply the previous commit's manifests to restore them",
            path.display()
        ));
    }
}

fn terraform_note(plan_file: &Path) -> String {
    format!(
        "Terraform changes: never rolled back automatically; the applied plan is kept in {} for review (`terraform show` it)",
        plan_file.display()
    )
}

/// Builds the rollback record of a failed `terraform apply`, after which nothing else ran.
pub fn terraform_only(changes: &[Change]) -> RollbackRecord {
    let mut record = RollbackRecord::default();
    for change in changes {
        if let Change::Terraform { plan_file } = change {
            record.not_rolled_back.push(terraform_note(plan_file));
        }
    }
    record
}

/// Builds the rollback record of `--no-rollback`, which lists every change as left in place.
pub fn disabled(changes: &[Change]) -> RollbackRecord {
    let mut record = RollbackRecord::default();
    for change in changes.iter().rev() {
        let line = match change {
            Change::Terraform { plan_file } => terraform_note(plan_file),
            Change::Kubectl { path, .. } => format!(
                "manifests applied from {} (rollback disabled with --no-rollback)",
                path.display()
            ),
            Change::Helm {
                step, failed: true, ..
            } => format!(
                "helm release {}/{}: the failed upgrade was undone by helm itself (--atomic)",
                step.namespace, step.release
            ),
            Change::Helm { step, .. } => format!(
                "helm release {}/{} (rollback disabled with --no-rollback)",
                step.namespace, step.release
            ),
        };
        record.not_rolled_back.push(line);
    }
    record
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: apps\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: apps\n";

    fn manifests() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("nested")).unwrap();
        std::fs::write(dir.path().join("web.yaml"), DEPLOYMENT).unwrap();
        std::fs::write(dir.path().join("notes.txt"), "not a manifest").unwrap();
        std::fs::write(
            dir.path().join("nested/api.yml"),
            DEPLOYMENT.replace("web", "api"),
        )
        .unwrap();
        dir
    }

    #[test]
    fn files_of_directory() {
        let dir = manifests();
        let mut files = Vec::new();
        manifest_files(dir.path(), false, &mut files).unwrap();
        assert_eq!(files, [dir.path().join("web.yaml")]);
    }

    #[test]
    fn files_of_directory_recursive() {
        let dir = manifests();
        let mut files = Vec::new();
        manifest_files(dir.path(), true, &mut files).unwrap();
        assert_eq!(
            files,
            [
                dir.path().join("nested/api.yml"),
                dir.path().join("web.yaml")
            ]
        );
    }

    #[test]
    fn objects_split_by_kind() {
        let dir = manifests();
        let (deployments, others) = manifest_objects(dir.path(), true).unwrap();
        assert_eq!(
            deployments,
            [
                ("apps".to_owned(), "api".to_owned()),
                ("apps".to_owned(), "web".to_owned())
            ]
        );
        assert_eq!(others, 2);
    }

    #[test]
    fn missing_directory_is_error() {
        let dir = manifests();
        let error = manifest_objects(&dir.path().join("absent"), false).unwrap_err();
        assert!(error.contains("cannot read the manifests"), "{error}");
    }

    #[test]
    fn disabled_lists_every_change() {
        let changes = [
            Change::Terraform {
                plan_file: PathBuf::from("terraform/dev.tfplan"),
            },
            Change::Kubectl {
                path: PathBuf::from("manifests"),
                changed: Vec::new(),
                created: Vec::new(),
                unread: Vec::new(),
                other_objects: 1,
            },
        ];
        let record = disabled(&changes);
        assert!(record.rolled_back.is_empty());
        assert_eq!(record.not_rolled_back.len(), 2);
        assert!(record.not_rolled_back[0].contains("manifests applied from manifests"));
        assert!(record.not_rolled_back[1].contains("terraform/dev.tfplan"));
    }
}
