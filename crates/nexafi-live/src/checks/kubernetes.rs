//! `kubernetes`: Deployments, StatefulSets and DaemonSets of a namespace are ready and
//! their rollouts complete, read with plain GETs of the API server's REST API.

use std::path::PathBuf;

use serde_json::Value;

use super::{Attempt, Failure, Secret};
use crate::load::{Fields, LoadError};

/// Directory of the service account credentials mounted in every pod.
const SERVICE_ACCOUNT_DIR: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

#[derive(Clone, Debug)]
pub struct KubernetesCheck {
    /// Base URL of the API server, `https://HOST[:PORT]`.
    pub api_server: String,
    pub namespace: String,
    /// `Kind/name` entries; empty means every Deployment, StatefulSet and DaemonSet.
    pub workloads: Vec<Workload>,
    pub token: Secret,
    pub ca_file: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkloadKind {
    Deployment,
    StatefulSet,
    DaemonSet,
}

impl WorkloadKind {
    const ALL: [WorkloadKind; 3] = [
        WorkloadKind::Deployment,
        WorkloadKind::StatefulSet,
        WorkloadKind::DaemonSet,
    ];

    fn as_str(self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "Deployment",
            WorkloadKind::StatefulSet => "StatefulSet",
            WorkloadKind::DaemonSet => "DaemonSet",
        }
    }

    /// Returns the plural resource name used in REST paths.
    fn plural(self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "deployments",
            WorkloadKind::StatefulSet => "statefulsets",
            WorkloadKind::DaemonSet => "daemonsets",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        let lower = text.to_ascii_lowercase();
        Self::ALL.into_iter().find(|kind| {
            kind.as_str().eq_ignore_ascii_case(&lower)
                || kind.plural() == lower
                || kind.plural().trim_end_matches('s') == lower
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Workload {
    pub kind: WorkloadKind,
    pub name: String,
}

impl KubernetesCheck {
    pub(crate) fn load(fields: &mut Fields<'_>) -> Result<Self, LoadError> {
        let in_cluster = fields.raw.api_server.is_none();
        let api_server = match fields.string(|raw| &mut raw.api_server)? {
            Some((url, at)) => {
                super::http::check_url(fields, &url, &at, &["https", "http"])?;
                url.trim_end_matches('/').to_owned()
            }
            None => {
                // In a pod, the API server is named by these variables.
                let host = serde_saphyr::Spanned::new(
                    "${KUBERNETES_SERVICE_HOST}".to_owned(),
                    serde_saphyr::Location::UNKNOWN,
                    serde_saphyr::Location::UNKNOWN,
                );
                let port = serde_saphyr::Spanned::new(
                    "${KUBERNETES_SERVICE_PORT:-443}".to_owned(),
                    serde_saphyr::Location::UNKNOWN,
                    serde_saphyr::Location::UNKNOWN,
                );
                let host = fields.context.expand(&host).map_err(|_| {
                    fields.test_error(
                        "a `kubernetes` test needs `api_server` outside a pod (KUBERNETES_SERVICE_HOST is not set), for example `api_server: https://${K8S_API_HOST}`".to_owned(),
                    )
                })?;
                let port = fields.context.expand(&port)?;
                if host.contains(':') {
                    format!("https://[{host}]:{port}")
                } else {
                    format!("https://{host}:{port}")
                }
            }
        };
        let (namespace, at) = fields.required(|raw| &mut raw.namespace, "namespace", "payments")?;
        if namespace.is_empty()
            || !namespace
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(fields.error(
                &at,
                format!("invalid namespace {namespace:?}; expected a DNS label such as payments"),
            ));
        }
        let mut workloads = Vec::new();
        if let Some(list) = fields.raw.workloads.take() {
            for entry in &list.value {
                let parsed = entry.split_once('/').and_then(|(kind, name)| {
                    let kind = WorkloadKind::parse(kind)?;
                    (!name.is_empty() && !name.contains('/')).then(|| Workload {
                        kind,
                        name: name.to_owned(),
                    })
                });
                let Some(workload) = parsed else {
                    return Err(fields.error(
                        &list.referenced,
                        format!("invalid workload {entry:?}; expected Deployment/NAME, StatefulSet/NAME or DaemonSet/NAME"),
                    ));
                };
                workloads.push(workload);
            }
        }
        let token = match fields.token()? {
            Some(token) => token,
            None => Secret::File(PathBuf::from(SERVICE_ACCOUNT_DIR).join("token")),
        };
        let ca_file = match fields.path(|raw| &mut raw.ca_file)? {
            Some(path) => Some(path),
            None if in_cluster => Some(PathBuf::from(SERVICE_ACCOUNT_DIR).join("ca.crt")),
            None => None,
        };
        Ok(Self {
            api_server,
            namespace,
            workloads,
            token,
            ca_file,
        })
    }

    pub async fn run(&self) -> Attempt {
        let client = super::http::build_client(self.ca_file.as_deref(), true)?;
        let token = self.token.read()?;
        let base = format!(
            "{}/apis/apps/v1/namespaces/{}",
            self.api_server, self.namespace
        );

        let mut objects: Vec<(WorkloadKind, Value)> = Vec::new();
        if self.workloads.is_empty() {
            for kind in WorkloadKind::ALL {
                let list = get(&client, &token, &format!("{base}/{}", kind.plural())).await?;
                let Some(list) = list else {
                    return Err(Failure::error(format!(
                        "the API server has no {} in apps/v1",
                        kind.plural()
                    )));
                };
                let items = list
                    .get("items")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                objects.extend(items.into_iter().map(|item| (kind, item)));
            }
            if objects.is_empty() {
                return Err(Failure::failed(format!(
                    "expected Deployments, StatefulSets or DaemonSets in namespace {}, found none",
                    self.namespace
                )));
            }
        } else {
            for workload in &self.workloads {
                let url = format!("{base}/{}/{}", workload.kind.plural(), workload.name);
                match get(&client, &token, &url).await? {
                    Some(object) => objects.push((workload.kind, object)),
                    None => {
                        return Err(Failure::failed(format!(
                            "expected {} {} in namespace {}, found none",
                            workload.kind.as_str(),
                            workload.name,
                            self.namespace
                        )));
                    }
                }
            }
        }

        let problems: Vec<String> = objects
            .iter()
            .filter_map(|(kind, object)| not_ready(*kind, object))
            .collect();
        if problems.is_empty() {
            Ok(format!("{} workloads ready", objects.len()))
        } else {
            Err(Failure::failed(problems.join("; ")))
        }
    }
}

/// GETs a JSON object; None on 404.
async fn get(client: &reqwest::Client, token: &str, url: &str) -> Result<Option<Value>, Failure> {
    let response = client
        .get(url)
        .bearer_auth(token)
        .header("accept", "application/json")
        .send()
        .await
        .map_err(|error| {
            Failure::error(format!(
                "request to {url} failed: {}",
                super::http::request_error(&error)
            ))
        })?;
    let status = response.status();
    if status == reqwest::StatusCode::NOT_FOUND {
        return Ok(None);
    }
    let body = response
        .text()
        .await
        .map_err(|error| Failure::error(format!("cannot read the response of {url}: {error}")))?;
    if !status.is_success() {
        return Err(Failure::error(format!(
            "GET {url} returned status {}: {}",
            status.as_u16(),
            super::excerpt(&body, 200)
        )));
    }
    serde_json::from_str(&body)
        .map(Some)
        .map_err(|error| Failure::error(format!("the response of {url} is not JSON: {error}")))
}

/// Returns why a workload is not ready or not rolled out, by the rules of `kubectl
/// rollout status`, or `None` when it is ready.
fn not_ready(kind: WorkloadKind, object: &Value) -> Option<String> {
    let name = object
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("(unnamed)");
    let number = |pointer: &str| object.pointer(pointer).and_then(Value::as_i64);
    let label = format!("{} {name}", kind.as_str());

    let generation = number("/metadata/generation").unwrap_or(0);
    let observed = number("/status/observedGeneration").unwrap_or(0);
    if observed < generation {
        return Some(format!(
            "{label}: expected the controller to have observed generation {generation}, found {observed}"
        ));
    }

    let (desired, checks): (i64, Vec<(&str, i64)>) = match kind {
        WorkloadKind::Deployment => (
            // An omitted spec.replicas means 1.
            number("/spec/replicas").unwrap_or(1),
            vec![
                ("updated", number("/status/updatedReplicas").unwrap_or(0)),
                ("ready", number("/status/readyReplicas").unwrap_or(0)),
                (
                    "available",
                    number("/status/availableReplicas").unwrap_or(0),
                ),
            ],
        ),
        WorkloadKind::StatefulSet => (
            number("/spec/replicas").unwrap_or(1),
            vec![
                ("updated", number("/status/updatedReplicas").unwrap_or(0)),
                ("ready", number("/status/readyReplicas").unwrap_or(0)),
            ],
        ),
        WorkloadKind::DaemonSet => (
            number("/status/desiredNumberScheduled").unwrap_or(0),
            vec![
                (
                    "updated",
                    number("/status/updatedNumberScheduled").unwrap_or(0),
                ),
                ("ready", number("/status/numberReady").unwrap_or(0)),
                ("available", number("/status/numberAvailable").unwrap_or(0)),
            ],
        ),
    };
    for (what, found) in checks {
        if found < desired {
            return Some(format!(
                "{label}: expected {desired} {what} replicas, found {found}"
            ));
        }
    }
    if kind == WorkloadKind::Deployment {
        // Old replicas still running mean the rollout has not finished.
        let total = number("/status/replicas").unwrap_or(0);
        if total > desired {
            return Some(format!(
                "{label}: expected {desired} replicas in total after the rollout, found {total}"
            ));
        }
    }
    if kind == WorkloadKind::StatefulSet {
        let current = object
            .pointer("/status/currentRevision")
            .and_then(Value::as_str);
        let update = object
            .pointer("/status/updateRevision")
            .and_then(Value::as_str);
        if let (Some(current), Some(update)) = (current, update)
            && current != update
        {
            return Some(format!(
                "{label}: expected revision {update} everywhere, found pods still on {current}"
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn deployment_ready() {
        let ready = json!({"metadata": {"name": "a", "generation": 2},
            "spec": {"replicas": 2},
            "status": {"observedGeneration": 2, "replicas": 2, "updatedReplicas": 2, "readyReplicas": 2, "availableReplicas": 2}});
        assert_eq!(not_ready(WorkloadKind::Deployment, &ready), None);
    }

    #[test]
    fn deployment_short_of_ready() {
        let short = json!({"metadata": {"name": "a", "generation": 1},
            "spec": {"replicas": 3},
            "status": {"observedGeneration": 1, "replicas": 3, "updatedReplicas": 3, "readyReplicas": 1, "availableReplicas": 1}});
        let problem = not_ready(WorkloadKind::Deployment, &short).unwrap_or_default();
        assert!(
            problem.contains("expected 3 ready replicas, found 1"),
            "{problem}"
        );
    }

    #[test]
    fn omitted_replicas_means_one() {
        let object = json!({"metadata": {"name": "a"}, "spec": {}, "status": {}});
        let problem = not_ready(WorkloadKind::Deployment, &object).unwrap_or_default();
        assert!(
            problem.contains("expected 1 updated replicas, found 0"),
            "{problem}"
        );
    }

    #[test]
    fn statefulset_revision_pending() {
        let object = json!({"metadata": {"name": "db"}, "spec": {"replicas": 1},
            "status": {"updatedReplicas": 1, "readyReplicas": 1, "currentRevision": "db-1", "updateRevision": "db-2"}});
        let problem = not_ready(WorkloadKind::StatefulSet, &object).unwrap_or_default();
        assert!(problem.contains("db-2"), "{problem}");
    }

    #[test]
    fn daemonset_short_of_scheduled() {
        let object = json!({"metadata": {"name": "agent", "generation": 3},
            "status": {"observedGeneration": 3, "desiredNumberScheduled": 4, "updatedNumberScheduled": 4, "numberReady": 4, "numberAvailable": 3}});
        let problem = not_ready(WorkloadKind::DaemonSet, &object).unwrap_or_default();
        assert!(
            problem.contains("expected 4 available replicas, found 3"),
            "{problem}"
        );
    }

    #[test]
    fn generation_not_observed() {
        let object = json!({"metadata": {"name": "a", "generation": 5}, "spec": {"replicas": 1},
            "status": {"observedGeneration": 4, "replicas": 1, "updatedReplicas": 1, "readyReplicas": 1, "availableReplicas": 1}});
        let problem = not_ready(WorkloadKind::Deployment, &object).unwrap_or_default();
        assert!(
            problem.contains("observed generation 5, found 4"),
            "{problem}"
        );
    }

    #[test]
    fn workload_kinds_parse() {
        assert_eq!(
            WorkloadKind::parse("deployment"),
            Some(WorkloadKind::Deployment)
        );
        assert_eq!(
            WorkloadKind::parse("statefulsets"),
            Some(WorkloadKind::StatefulSet)
        );
        assert_eq!(WorkloadKind::parse("Pod"), None);
    }
}
