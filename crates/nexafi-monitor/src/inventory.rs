//! The live objects the watchers have seen, and their evaluation.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use nexafi_iac::Loaded;
use nexafi_model::{Model, ScanInputs, ScanResult, Summary, ToolInfo};

use crate::object::ObjectKey;

/// An object's document, or `None` for an object left out of the evaluation.
type Listed = (ObjectKey, Option<Arc<str>>);

/// Documents of the live objects, by key, and which watch streams have listed their
/// objects at least once.
#[derive(Default)]
pub struct Inventory {
    objects: BTreeMap<ObjectKey, Arc<str>>,
    /// Index of every stream whose first list finished.
    synced: BTreeSet<usize>,
    /// Objects received after the latest `Init` of a stream, before its `InitDone`.
    pending: BTreeMap<usize, Vec<Listed>>,
    /// Kinds and namespaces each stream covers, to find objects a relist dropped.
    scopes: BTreeMap<usize, StreamScope>,
}

/// The objects one watch stream covers.
#[derive(Clone, Debug)]
pub struct StreamScope {
    pub kind: &'static str,
    /// `None` for every namespace (or a cluster-scoped kind).
    pub namespace: Option<String>,
    /// For Namespace streams limited by `--namespace`: the one name listed.
    pub name: Option<String>,
}

impl StreamScope {
    fn covers(&self, key: &ObjectKey) -> bool {
        key.kind == self.kind
            && self
                .namespace
                .as_ref()
                .is_none_or(|namespace| *namespace == key.namespace)
            && self.name.as_ref().is_none_or(|name| *name == key.name)
    }
}

impl Inventory {
    /// Registers stream `stream` before its first event.
    pub fn add_stream(&mut self, stream: usize, scope: StreamScope) {
        self.scopes.insert(stream, scope);
    }

    /// Stores the document of an added or changed object; `None` keeps the object out of
    /// the evaluation (its controller is evaluated instead).
    pub fn apply(&mut self, key: ObjectKey, document: Option<Arc<str>>) {
        match document {
            Some(text) => self.objects.insert(key, text),
            None => self.objects.remove(&key),
        };
    }

    pub fn delete(&mut self, key: &ObjectKey) {
        self.objects.remove(key);
    }

    /// Starts a relist of `stream`: objects arrive through [`Inventory::init_apply`].
    pub fn init(&mut self, stream: usize) {
        self.pending.insert(stream, Vec::new());
    }

    pub fn init_apply(&mut self, stream: usize, key: ObjectKey, document: Option<Arc<str>>) {
        self.pending
            .entry(stream)
            .or_default()
            .push((key, document));
    }

    /// Ends a relist of `stream`: its objects replace those the stream covered before, so
    /// objects deleted while the watch was down are dropped.
    pub fn init_done(&mut self, stream: usize) {
        let listed = self.pending.remove(&stream).unwrap_or_default();
        if let Some(scope) = self.scopes.get(&stream) {
            self.objects.retain(|key, _| !scope.covers(key));
        }
        for (key, document) in listed {
            self.apply(key, document);
        }
        self.synced.insert(stream);
    }

    /// Returns true once every registered stream has finished its first list.
    pub fn is_synced(&self) -> bool {
        self.scopes
            .keys()
            .all(|stream| self.synced.contains(stream))
    }

    /// Returns the number of objects evaluated, per kind.
    pub fn counts(&self) -> BTreeMap<&'static str, usize> {
        let mut counts: BTreeMap<&'static str, usize> =
            self.scopes.values().map(|scope| (scope.kind, 0)).collect();
        for key in self.objects.keys() {
            *counts.entry(key.kind).or_default() += 1;
        }
        counts
    }

    /// Returns the documents of every object, cheap to take under the lock.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            objects: self
                .objects
                .iter()
                .map(|(key, text)| (key.clone(), Arc::clone(text)))
                .collect(),
        }
    }
}

/// The documents of the inventory at one moment, evaluated without holding its lock.
pub struct Snapshot {
    objects: Vec<(ObjectKey, Arc<str>)>,
}

impl Snapshot {
    /// Evaluates every object with the built-in checks and maps the findings to the
    /// controls of `frameworks`.
    ///
    /// Every object is evaluated again on each call, since checks read other objects too:
    /// a NetworkPolicy decides whether its namespace passes, a ServiceAccount whether its
    /// pods mount a token.
    pub fn evaluate(&self, frameworks: &[String]) -> Evaluated {
        let sources = nexafi_model::SourceMap::new();
        let mut loaded = Loaded::default();
        for (key, text) in &self.objects {
            let name = key.source_name();
            loaded.extend(nexafi_iac::kubernetes::load_file(
                Path::new(&name),
                text.to_string(),
                &sources,
            ));
        }
        let (model, findings, metas) = nexafi_engine::evaluate_loaded(sources, loaded);
        let framework_ids: Vec<&str> = frameworks.iter().map(String::as_str).collect();
        let framework_results = nexafi_compliance::evaluate(&framework_ids, &metas, &findings);
        let inputs = ScanInputs {
            paths: vec!["cluster://".to_owned()],
            files: model.sources.len(),
            resources: model.resources.len(),
            checks: metas.len(),
            started_at: jiff::Timestamp::now()
                .round(jiff::Unit::Second)
                .ok()
                .map(|timestamp| timestamp.to_string()),
            ..ScanInputs::default()
        };
        let result = ScanResult {
            tool: ToolInfo {
                name: "nexafi".to_owned(),
                version: env!("CARGO_PKG_VERSION").to_owned(),
            },
            inputs,
            summary: Summary::count(&findings),
            findings,
            frameworks: framework_results,
            waivers: Vec::new(),
        };
        Evaluated { model, result }
    }
}

/// One evaluation of the inventory.
pub struct Evaluated {
    /// The loaded objects, whose sources the human report shows in code frames.
    pub model: Model,
    pub result: ScanResult,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str) -> ObjectKey {
        ObjectKey {
            kind: "Deployment",
            namespace: "payments".to_owned(),
            name: name.to_owned(),
        }
    }

    fn scope() -> StreamScope {
        StreamScope {
            kind: "Deployment",
            namespace: None,
            name: None,
        }
    }

    #[test]
    fn relist_drops_missing_objects() {
        let mut inventory = Inventory::default();
        inventory.add_stream(0, scope());
        inventory.apply(key("ledger"), Some(Arc::from("{}")));
        inventory.apply(key("gone"), Some(Arc::from("{}")));

        inventory.init(0);
        inventory.init_apply(0, key("ledger"), Some(Arc::from("{}")));
        inventory.init_done(0);

        assert_eq!(inventory.counts().get("Deployment"), Some(&1));
    }

    #[test]
    fn synced_after_every_stream() {
        let mut inventory = Inventory::default();
        inventory.add_stream(0, scope());
        inventory.add_stream(1, scope());

        inventory.init(0);
        inventory.init_done(0);
        assert!(!inventory.is_synced());

        inventory.init(1);
        inventory.init_done(1);
        assert!(inventory.is_synced());
    }
}
