//! Module calls: finding the called module's directory (a local path or a module that
//! `terraform init` downloaded) and creating one instance per `count` or `for_each` key.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;

use nexafi_model::{Node, Span};
use serde::Deserialize;

use super::{
    CallInstances, Evaluator, Instance, MAX_MODULE_DEPTH, Parent, Slot, SlotKey, SlotKind,
};
use crate::terraform::config::{self, ModuleCall};
use crate::{Diagnostic, DiagnosticLevel};

/// The record `terraform init` keeps of downloaded modules,
/// `.terraform/modules/modules.json`: call key (`eks`, `eks.kms`) to directory.
#[derive(Debug, Default)]
pub(crate) struct Manifest {
    dirs: HashMap<String, String>,
}

#[derive(Deserialize)]
struct ManifestFile {
    #[serde(rename = "Modules", default)]
    modules: Vec<ManifestModule>,
}

#[derive(Deserialize)]
struct ManifestModule {
    #[serde(rename = "Key", default)]
    key: String,
    #[serde(rename = "Dir", default)]
    dir: String,
}

impl Manifest {
    /// Reads the manifest of the root module in `root`, if `terraform init` wrote one.
    pub fn read(root: &Path, diagnostics: &mut Vec<Diagnostic>) -> Option<Manifest> {
        let path = root.join(".terraform").join("modules").join("modules.json");
        let text = std::fs::read_to_string(&path).ok()?;
        match serde_json::from_str::<ManifestFile>(&text) {
            Ok(file) => Some(Manifest {
                dirs: file
                    .modules
                    .into_iter()
                    .map(|module| (module.key, module.dir))
                    .collect(),
            }),
            Err(error) => {
                diagnostics.push(Diagnostic {
                    level: DiagnosticLevel::Error,
                    path,
                    span: None,
                    message: format!(
                        "the module manifest is invalid: {error}; run `terraform init` again to rewrite it"
                    ),
                    subject: None,
                });
                None
            }
        }
    }
}

/// Tells whether a module source is a local path, which Terraform reads in place.
pub(crate) fn is_local_source(source: &str) -> bool {
    source.starts_with("./")
        || source.starts_with("../")
        || source.starts_with(".\\")
        || source.starts_with("..\\")
}

/// Joins `relative` to `base` and removes `.` and `..` components where possible, without
/// touching the file system.
pub(crate) fn normalize(base: &Path, relative: &str) -> PathBuf {
    let mut parts: Vec<Component<'_>> = Vec::new();
    let joined = base.join(relative.replace('\\', "/"));
    for component in joined.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => match parts.last() {
                Some(Component::Normal(_)) => {
                    parts.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => parts.push(component),
            },
            other => parts.push(other),
        }
    }
    let path: PathBuf = parts.iter().collect();
    if path.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        path
    }
}

/// Location of a module call's configuration.
struct Resolved {
    /// The directory as shown to users.
    dir: PathBuf,
    /// `path.module`, relative to the root module.
    module_path: String,
    canonical: PathBuf,
}

impl Evaluator<'_> {
    /// Returns the instances of module call `call` in `instance`, creating them the first
    /// time.
    pub(super) fn call_instances(
        &mut self,
        instance: usize,
        call: usize,
    ) -> Result<Rc<CallInstances>, Node> {
        let key = SlotKey {
            instance,
            kind: SlotKind::Call,
            index: call,
        };
        let config = self.instances[instance].config.clone();
        let call_config = &config.calls[call];
        match &self.instances[instance].calls[call] {
            Slot::Done(calls) => return Ok(calls.clone()),
            Slot::Active => return Err(self.cycle(key, call_config.labels_span)),
            Slot::Pending => {}
        }
        self.instances[instance].calls[call] = Slot::Active;
        let (calls, _) = self.in_slot(key, |this| this.expand_call(instance, call, call_config));
        let calls = match self.cyclic.get(&key) {
            Some(reason) => CallInstances::Missing(reason.clone()),
            None => calls,
        };
        let calls = Rc::new(calls);
        self.instances[instance].calls[call] = Slot::Done(calls.clone());
        Ok(calls)
    }

    fn expand_call(
        &mut self,
        instance: usize,
        call_index: usize,
        call: &ModuleCall,
    ) -> CallInstances {
        let address = format!("{}module.{}", self.instances[instance].prefix, call.name);
        let Some(source) = call.source.as_deref() else {
            return CallInstances::Missing(format!(
                "{address} has no literal source, so its outputs are unknown"
            ));
        };
        let resolved = match self.resolve(instance, call, source, &address) {
            Ok(resolved) => resolved,
            Err(reason) => return CallInstances::Missing(reason),
        };

        let mut ancestor = Some(instance);
        while let Some(current) = ancestor {
            if self.instances[current].canonical_dir == resolved.canonical {
                let reason = format!(
                    "{address} calls module {} again from inside itself, which would never end",
                    resolved.dir.display()
                );
                self.error(
                    Some(call.labels_span),
                    format!("{reason}; remove the recursive module call"),
                    Some(address.clone()),
                );
                return CallInstances::Missing(reason);
            }
            ancestor = self.instances[current]
                .parent
                .as_ref()
                .map(|parent| parent.instance);
        }
        let depth = self.instances[instance].depth + 1;
        if depth > MAX_MODULE_DEPTH {
            let reason =
                format!("{address} is nested more than {MAX_MODULE_DEPTH} module calls deep");
            self.error(
                Some(call.labels_span),
                format!("{reason}; it is not loaded"),
                Some(address.clone()),
            );
            return CallInstances::Missing(reason);
        }

        let module = match self.configs.get(&resolved.canonical) {
            Some(module) => module.clone(),
            None => {
                let files = match config::module_files(&resolved.dir) {
                    Ok(files) => files,
                    Err(error) => {
                        let reason = format!(
                            "the directory {} of {address} cannot be read: {error}",
                            resolved.dir.display()
                        );
                        self.error(
                            Some(call.labels_span),
                            reason.clone(),
                            Some(address.clone()),
                        );
                        return CallInstances::Missing(reason);
                    }
                };
                let module =
                    config::load_module(&resolved.dir, &files, self.sources, &mut self.diagnostics);
                let module = Rc::new(module);
                self.configs
                    .insert(resolved.canonical.clone(), module.clone());
                module
            }
        };

        let expansion = Rc::new(self.expand(
            call.count.as_ref(),
            call.for_each.as_ref(),
            &address,
            instance,
        ));
        let parent_unknown = self.instances[instance].instances_unknown.clone();
        let expansion_unknown = match &expansion.kind {
            super::ExpansionKind::Unknown(unknown) => Some(unknown.clone()),
            _ => None,
        };
        let parent_key = self.instances[instance].manifest_key.clone();
        let manifest_key = if parent_key.is_empty() {
            call.name.clone()
        } else {
            format!("{parent_key}.{}", call.name)
        };
        let function_context = self.function_context(&resolved.canonical);
        let mut children = Vec::with_capacity(expansion.entries.len());
        for entry in &expansion.entries {
            let mut child = Instance::new(
                module.clone(),
                format!("{address}{}.", entry.suffix),
                manifest_key.clone(),
                resolved.module_path.clone(),
                resolved.canonical.clone(),
                function_context.clone(),
            );
            child.parent = Some(Parent {
                instance,
                call: call_index,
                keys: entry.keys.clone(),
            });
            child.instances_unknown = expansion_unknown.clone().or_else(|| parent_unknown.clone());
            child.depth = depth;
            self.instances.push(child);
            children.push(self.instances.len() - 1);
        }
        CallInstances::Expanded {
            expansion,
            children,
        }
    }

    /// Finds the directory of a module call: a local path next to the calling module, or
    /// the directory the manifest records for a downloaded module.
    fn resolve(
        &mut self,
        instance: usize,
        call: &ModuleCall,
        source: &str,
        address: &str,
    ) -> Result<Resolved, String> {
        let caller = &self.instances[instance];
        let (dir, module_path) = if is_local_source(source) {
            let module_path = normalize(Path::new(&caller.module_path), source);
            (normalize(&caller.config.dir, source), module_path)
        } else {
            let key = if caller.manifest_key.is_empty() {
                call.name.clone()
            } else {
                format!("{}.{}", caller.manifest_key, call.name)
            };
            let recorded = self
                .manifest
                .as_ref()
                .and_then(|manifest| manifest.dirs.get(&key))
                .filter(|dir| !dir.is_empty());
            match recorded {
                Some(recorded) => (
                    normalize(&self.root_dir, recorded),
                    normalize(Path::new("."), recorded),
                ),
                None => return Err(self.missing_remote(call, source, address)),
            }
        };
        match std::fs::canonicalize(&dir) {
            Ok(canonical) if canonical.is_dir() => Ok(Resolved {
                dir,
                module_path: module_path.display().to_string(),
                canonical,
            }),
            _ if !is_local_source(source) => Err(self.missing_remote(call, source, address)),
            _ => {
                let reason = format!(
                    "the module directory {} of {address} does not exist",
                    dir.display()
                );
                self.error(
                    Some(call.labels_span),
                    format!("{reason}; fix the source path"),
                    Some(address.to_owned()),
                );
                Err(reason)
            }
        }
    }

    /// Reports a remote module that `terraform init` has not downloaded, once per call.
    fn missing_remote(&mut self, call: &ModuleCall, source: &str, address: &str) -> String {
        let reason = format!(
            "{address} comes from \"{source}\", which is not downloaded; run `terraform init` \
             in the root module to make it available"
        );
        let span: Span = call.labels_span;
        if self
            .reported_calls
            .insert((span.file.0, span.start, span.end))
        {
            self.diagnose(
                DiagnosticLevel::Unknown,
                Some(call.span),
                format!(
                    "{reason}. Until then its resources are not checked and its outputs are unknown"
                ),
                Some(address.to_owned()),
            );
        }
        reason
    }
}
