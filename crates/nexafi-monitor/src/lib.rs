//! `nexafi monitor`: watches a live Kubernetes cluster, evaluates the same Kubernetes
//! checks as `nexafi validate`, exports the results as Prometheus metrics and appends every
//! new violation, and every return to pass, to the audit trail.
//!
//! Watchers ([`watch`]) keep an [`inventory::Inventory`] of the live objects as JSON
//! documents named `cluster://NAMESPACE/KIND/NAME`. After the first full list, and after
//! every change once the cluster has been quiet for the debounce time, the whole inventory
//! is loaded and evaluated through `nexafi-engine` ([`inventory::Inventory::evaluate`]).

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use kube::config::{KubeConfigOptions, Kubeconfig};
use tokio::sync::mpsc;

pub mod audit;
pub mod inventory;
pub mod kinds;
pub mod metrics;
pub mod object;
pub mod server;
pub mod watch;

pub use audit::AuditConfig;
pub use inventory::Evaluated;
pub use metrics::Metrics;

use crate::audit::{AuditQueue, Tracker};
use crate::watch::Shared;

/// Error that stops the monitor, or a `--once` run, before it completes.
#[derive(Debug, thiserror::Error)]
pub enum MonitorError {
    #[error("invalid kubeconfig {} (pass a valid file with --kubeconfig or set KUBECONFIG): {message}", path.display())]
    Kubeconfig { path: PathBuf, message: String },
    #[error(
        "no Kubernetes configuration found: {message}; pass --kubeconfig FILE, set KUBECONFIG, or run the monitor in a pod"
    )]
    NoConfig { message: String },
    #[error("cannot create the Kubernetes client: {0}")]
    Client(String),
    #[error("cannot read {what} {}: {source}", path.display())]
    File {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{message}")]
    Audit { message: String },
    #[error(
        "cannot list {plural} ({kind}) from the Kubernetes API: {message}; check the server address of the kubeconfig and that its user may list and watch {plural}"
    )]
    List {
        kind: &'static str,
        plural: &'static str,
        message: String,
    },
    #[error("cannot listen on {address}: {source}")]
    Listen {
        address: SocketAddr,
        source: std::io::Error,
    },
    #[error("the evaluation task failed: {0}")]
    Task(String),
}

/// Settings of a monitor that runs until shut down.
#[derive(Clone, Debug)]
pub struct MonitorConfig {
    /// Namespaces to watch; empty means every namespace.
    pub namespaces: Vec<String>,
    /// Framework ids whose controls the metrics report.
    pub frameworks: Vec<String>,
    /// Quiet time after a change before the evaluation runs.
    pub debounce: Duration,
    /// Audit service for violations; `None` keeps them in metrics and logs only.
    pub audit: Option<AuditConfig>,
}

/// Creates a Kubernetes client from `kubeconfig`, or else from `KUBECONFIG`,
/// `~/.kube/config` or the service account of the pod the monitor runs in.
pub async fn connect(kubeconfig: Option<&Path>) -> Result<kube::Client, MonitorError> {
    let config = match kubeconfig {
        Some(path) => {
            let invalid = |message: String| MonitorError::Kubeconfig {
                path: path.to_path_buf(),
                message,
            };
            let file = Kubeconfig::read_from(path).map_err(|error| invalid(error.to_string()))?;
            kube::Config::from_custom_kubeconfig(file, &KubeConfigOptions::default())
                .await
                .map_err(|error| invalid(error.to_string()))?
        }
        None => kube::Config::infer()
            .await
            .map_err(|error| MonitorError::NoConfig {
                message: error.to_string(),
            })?,
    };
    tracing::info!(cluster_url = %config.cluster_url, "connecting to the Kubernetes API");
    kube::Client::try_from(config).map_err(|error| MonitorError::Client(error.to_string()))
}

/// Lists every watched kind once, evaluates the objects and returns the result, for
/// `nexafi monitor --once`. Any failed list request is an error.
pub async fn sync_once(
    client: &kube::Client,
    namespaces: &[String],
    frameworks: &[String],
) -> Result<Evaluated, MonitorError> {
    let metrics = Arc::new(Metrics::new());
    let shared = Arc::new(Shared::new(metrics));
    let (failures, mut failed) = mpsc::unbounded_channel();
    let tasks = watch::spawn_all(client, namespaces, &shared, Some(failures));

    let outcome = loop {
        tokio::select! {
            failure = failed.recv() => {
                break Err(match failure {
                    Some(failure) => MonitorError::List {
                        kind: failure.kind,
                        plural: failure.plural,
                        message: failure.message,
                    },
                    None => MonitorError::Task(
                        "every watch ended before the first full list".to_owned(),
                    ),
                });
            }
            () = shared.changed.notified() => {
                if shared.inventory().is_synced() {
                    break Ok(());
                }
            }
        }
    };
    for task in &tasks {
        task.abort();
    }
    outcome?;

    let frameworks = frameworks.to_vec();
    let snapshot = shared.inventory().snapshot();
    tokio::task::spawn_blocking(move || snapshot.evaluate(&frameworks))
        .await
        .map_err(|error| MonitorError::Task(error.to_string()))
}

/// Binds the address of the metrics and health endpoints.
pub async fn bind(address: SocketAddr) -> Result<tokio::net::TcpListener, MonitorError> {
    tokio::net::TcpListener::bind(address)
        .await
        .map_err(|source| MonitorError::Listen { address, source })
}

/// Runs the monitor until `shutdown` completes: watches, evaluates after each change,
/// serves metrics on `listener` and sends violations to the audit trail.
pub async fn run(
    client: kube::Client,
    config: MonitorConfig,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), MonitorError> {
    let metrics = Arc::new(Metrics::new());
    let audit = match &config.audit {
        Some(audit) => Some(audit::spawn_sender(audit.client()?, Arc::clone(&metrics))),
        None => {
            tracing::info!("no --audit-url: violations go to metrics and logs only");
            None
        }
    };

    let status = Arc::new(server::Status {
        metrics: Arc::clone(&metrics),
        ready: Default::default(),
    });
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut server_stopped = stopped.clone();
    let app = server::app(Arc::clone(&status));
    let server = tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = server_stopped.wait_for(|stop| *stop).await;
            })
            .await;
        if let Err(error) = served {
            tracing::error!(%error, "the metrics server failed");
        }
    });

    let shared = Arc::new(Shared::new(Arc::clone(&metrics)));
    let watchers = watch::spawn_all(&client, &config.namespaces, &shared, None);
    let queue = audit.as_ref().map(|(queue, _)| queue.clone());
    let evaluator = tokio::spawn(evaluate_loop(
        Arc::clone(&shared),
        config.clone(),
        queue,
        Arc::clone(&status),
        stopped,
    ));

    shutdown.await;
    tracing::info!("shutting down");
    let _ = stop.send(true);
    for watcher in &watchers {
        watcher.abort();
    }
    let _ = evaluator.await;
    let _ = server.await;
    if let Some((queue, sender)) = audit {
        drop(queue);
        // Events already queued get a short time to reach the audit service.
        if tokio::time::timeout(SHUTDOWN_GRACE, sender).await.is_err() {
            tracing::warn!("stopped with audit events still queued");
        }
    }
    tracing::info!("nexafi monitor stopped");
    Ok(())
}

/// Time queued audit events get to reach the service on shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Evaluates the inventory once it is fully listed and again after every change, until
/// `stopped` turns true. A burst of changes leads to one evaluation once the cluster has
/// been quiet for the debounce time, or after 10 debounce times of constant change.
async fn evaluate_loop(
    shared: Arc<Shared>,
    config: MonitorConfig,
    queue: Option<AuditQueue>,
    status: Arc<server::Status>,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) {
    let mut tracker = Tracker::default();
    let tenant = config
        .audit
        .as_ref()
        .map_or_else(String::new, |audit| audit.tenant.clone());
    loop {
        tokio::select! {
            () = shared.changed.notified() => {}
            _ = stopped.wait_for(|stop| *stop) => return,
        }
        let deadline = tokio::time::Instant::now() + config.debounce * 10;
        loop {
            let quiet = tokio::time::sleep(config.debounce);
            tokio::select! {
                () = quiet => break,
                () = shared.changed.notified() => {
                    if tokio::time::Instant::now() >= deadline {
                        break;
                    }
                }
                _ = stopped.wait_for(|stop| *stop) => return,
            }
        }

        let synced = {
            let inventory = shared.inventory();
            shared.metrics.record_objects(&inventory.counts());
            inventory.is_synced()
        };
        if !synced {
            continue;
        }

        let started = Instant::now();
        let evaluation = {
            let snapshot = shared.inventory().snapshot();
            let frameworks = config.frameworks.clone();
            tokio::task::spawn_blocking(move || snapshot.evaluate(&frameworks)).await
        };
        let evaluated = match evaluation {
            Ok(evaluated) => evaluated,
            Err(error) => {
                tracing::error!(%error, "the evaluation task failed; waiting for the next change");
                continue;
            }
        };
        let seconds = started.elapsed().as_secs_f64();
        let result = &evaluated.result;
        shared.metrics.record_result(result, seconds);
        tracing::info!(
            resources = result.inputs.resources,
            fail = result.summary.fail,
            unknown = result.summary.unknown,
            elapsed_ms = (seconds * 1000.0) as u64,
            "evaluated the cluster"
        );
        if !status.ready.swap(true, Ordering::AcqRel) {
            tracing::info!(
                resources = result.inputs.resources,
                "evaluated the first full list of the cluster; ready"
            );
        }

        let transitions = tracker.update(&result.findings, &tenant);
        for transition in transitions {
            tracing::info!(
                action = transition.action,
                resource = %transition.event["resource"],
                check = %transition.event["payload"]["check"],
                "compliance state changed"
            );
            if let Some(queue) = &queue {
                queue.push(transition);
            }
        }
    }
}
