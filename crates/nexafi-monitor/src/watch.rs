//! One kube-runtime watcher per watched kind (and per namespace, with `--namespace`),
//! feeding the inventory.

use std::sync::{Arc, Mutex};

use futures_util::StreamExt;
use kube::api::{Api, DynamicObject};
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event, watcher};
use tokio::sync::{Notify, mpsc};

use crate::inventory::{Inventory, StreamScope};
use crate::kinds::{WATCHED_KINDS, WatchedKind};
use crate::metrics::Metrics;
use crate::object::{self, Document};

/// State shared by the watchers and the evaluation.
pub struct Shared {
    pub inventory: Mutex<Inventory>,
    /// Signalled after every change to the inventory.
    pub changed: Notify,
    pub metrics: Arc<Metrics>,
}

impl Shared {
    pub fn new(metrics: Arc<Metrics>) -> Shared {
        Shared {
            inventory: Mutex::new(Inventory::default()),
            changed: Notify::new(),
            metrics,
        }
    }

    pub fn inventory(&self) -> std::sync::MutexGuard<'_, Inventory> {
        self.inventory
            .lock()
            .unwrap_or_else(|error| error.into_inner())
    }
}

/// A failed list or watch request.
#[derive(Debug)]
pub struct WatchFailure {
    pub kind: &'static str,
    pub plural: &'static str,
    pub message: String,
}

/// One watch: a kind, and a namespace or name when `--namespace` limits it.
struct Stream {
    index: usize,
    kind: &'static WatchedKind,
    scope: StreamScope,
}

/// Plans the watch streams: every kind in every namespace, or for each of `namespaces`
/// its namespaced kinds and its Namespace object. Cluster-scoped kinds other than
/// Namespace (ClusterRoles and their bindings) are always watched as a whole, since the
/// bindings of any namespace refer to them.
fn plan(namespaces: &[String]) -> Vec<Stream> {
    let mut scopes: Vec<(&'static WatchedKind, StreamScope)> = Vec::new();
    for kind in WATCHED_KINDS {
        let whole = StreamScope {
            kind: kind.kind,
            namespace: None,
            name: None,
        };
        if namespaces.is_empty() || !kind.namespaced && kind.kind != "Namespace" {
            scopes.push((kind, whole));
            continue;
        }
        for namespace in namespaces {
            let scope = if kind.namespaced {
                StreamScope {
                    namespace: Some(namespace.clone()),
                    ..whole.clone()
                }
            } else {
                StreamScope {
                    name: Some(namespace.clone()),
                    ..whole.clone()
                }
            };
            scopes.push((kind, scope));
        }
    }
    scopes
        .into_iter()
        .enumerate()
        .map(|(index, (kind, scope))| Stream { index, kind, scope })
        .collect()
}

/// Starts every watch. Each failed request is counted and retried with kube-runtime's
/// default backoff (0.8 s with jitter, doubling up to 30 s, in kube-runtime 5.0). It is
/// logged, or sent to `failures` when that is given.
pub fn spawn_all(
    client: &kube::Client,
    namespaces: &[String],
    shared: &Arc<Shared>,
    failures: Option<mpsc::UnboundedSender<WatchFailure>>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let streams = plan(namespaces);
    {
        let mut inventory = shared.inventory();
        for stream in &streams {
            inventory.add_stream(stream.index, stream.scope.clone());
        }
    }
    streams
        .into_iter()
        .map(|stream| {
            let client = client.clone();
            let shared = Arc::clone(shared);
            let failures = failures.clone();
            tokio::spawn(async move { watch(client, stream, &shared, failures).await })
        })
        .collect()
}

async fn watch(
    client: kube::Client,
    stream: Stream,
    shared: &Shared,
    failures: Option<mpsc::UnboundedSender<WatchFailure>>,
) {
    let resource = stream.kind.api_resource();
    let api: Api<DynamicObject> = match &stream.scope.namespace {
        Some(namespace) => Api::namespaced_with(client, namespace, &resource),
        None => Api::all_with(client, &resource),
    };
    let mut config = watcher::Config::default();
    if let Some(name) = &stream.scope.name {
        config = config.fields(&format!("metadata.name={name}"));
    }

    let mut events = watcher(api, config).default_backoff().boxed();
    while let Some(item) = events.next().await {
        match item {
            Ok(event) => {
                apply(&stream, shared, event);
                shared.changed.notify_one();
            }
            Err(error) => {
                shared.metrics.watch_error(stream.kind.kind);
                // A one-off sync stops at the first failure, which its caller reports.
                if let Some(failures) = &failures {
                    let _ = failures.send(WatchFailure {
                        kind: stream.kind.kind,
                        plural: stream.kind.plural,
                        message: error.to_string(),
                    });
                    continue;
                }
                tracing::warn!(
                    kind = stream.kind.kind,
                    namespace = stream.scope.namespace.as_deref().unwrap_or(""),
                    %error,
                    "list or watch failed; retrying with backoff"
                );
            }
        }
    }
}

fn apply(stream: &Stream, shared: &Shared, event: Event<DynamicObject>) {
    let kind = stream.kind;
    let mut inventory = shared.inventory();
    match event {
        Event::Apply(live) => {
            let key = object::key(kind, &live);
            inventory.apply(key, document(kind, &live));
        }
        Event::Delete(live) => inventory.delete(&object::key(kind, &live)),
        Event::Init => inventory.init(stream.index),
        Event::InitApply(live) => {
            let key = object::key(kind, &live);
            inventory.init_apply(stream.index, key, document(kind, &live));
        }
        Event::InitDone => inventory.init_done(stream.index),
    }
}

/// Returns the document to evaluate, or `None` for an object its controller covers or
/// one that cannot be encoded (logged).
fn document(kind: &WatchedKind, live: &DynamicObject) -> Option<Arc<str>> {
    match object::to_document(kind, live) {
        Ok(Document::Evaluate(text)) => Some(Arc::from(text)),
        Ok(Document::Owned) => None,
        Err(error) => {
            tracing::error!(
                kind = kind.kind,
                name = live.metadata.name.as_deref().unwrap_or(""),
                %error,
                "cannot encode a live object; it is left out of the evaluation"
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_without_namespaces() {
        assert_eq!(plan(&[]).len(), WATCHED_KINDS.len());
    }

    #[test]
    fn plan_per_namespace() {
        let namespaces = ["payments".to_owned(), "ledger".to_owned()];
        let streams = plan(&namespaces);
        let namespaced = WATCHED_KINDS.iter().filter(|kind| kind.namespaced).count();

        // Namespaced kinds and the Namespace object per namespace, plus ClusterRoles and
        // ClusterRoleBindings once.
        assert_eq!(streams.len(), 2 * (namespaced + 1) + 2);
        assert!(streams.iter().any(|stream| stream.kind.kind == "Namespace"
            && stream.scope.name.as_deref() == Some("ledger")));
    }
}
