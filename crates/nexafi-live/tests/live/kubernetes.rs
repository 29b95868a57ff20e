//! `kubernetes` against a stand-in for the API server. No Kubernetes API server can run
//! on this machine, so an HTTPS server on 127.0.0.1 serves recorded `apps/v1` list and
//! object JSON in the shape a real API server returns. It also checks the bearer token.

use std::sync::Arc;

use nexafi_live::Outcome;

use crate::server::{Handler, Pki, Reply, serve};
use crate::{expect, run_one};

const TOKEN: &str = "example-not-a-secret";

const READY_DEPLOYMENT: &str = r#"{"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":"payments-api","namespace":"nexafi-financial","generation":4},"spec":{"replicas":3},"status":{"observedGeneration":4,"replicas":3,"updatedReplicas":3,"readyReplicas":3,"availableReplicas":3}}"#;
const ROLLING_DEPLOYMENT: &str = r#"{"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":"ledger","namespace":"nexafi-financial","generation":7},"spec":{"replicas":2},"status":{"observedGeneration":7,"replicas":3,"updatedReplicas":1,"readyReplicas":2,"availableReplicas":2}}"#;
const READY_STATEFULSET: &str = r#"{"kind":"StatefulSet","apiVersion":"apps/v1","metadata":{"name":"audit-db","namespace":"nexafi-financial","generation":2},"spec":{"replicas":1},"status":{"observedGeneration":2,"replicas":1,"updatedReplicas":1,"readyReplicas":1,"currentRevision":"audit-db-5d9f","updateRevision":"audit-db-5d9f"}}"#;
const READY_DAEMONSET: &str = r#"{"kind":"DaemonSet","apiVersion":"apps/v1","metadata":{"name":"log-shipper","namespace":"nexafi-financial","generation":1},"status":{"observedGeneration":1,"desiredNumberScheduled":3,"updatedNumberScheduled":3,"numberReady":3,"numberAvailable":3}}"#;

fn list(kind: &str, items: &[&str]) -> String {
    format!(
        r#"{{"kind":"{kind}List","apiVersion":"apps/v1","metadata":{{"resourceVersion":"81234"}},"items":[{}]}}"#,
        items.join(",")
    )
}

/// Namespace `nexafi-financial` contains a ready Deployment, a Deployment mid-rollout, a
/// ready StatefulSet and a ready DaemonSet. `nexafi-ready` contains only ready ones, and
/// `empty` none.
fn api_server() -> Handler {
    Arc::new(|request| {
        if request.authorization.as_deref() != Some(&format!("Bearer {TOKEN}")) {
            return Reply::json(
                401,
                r#"{"kind":"Status","status":"Failure","reason":"Unauthorized","code":401}"#,
            );
        }
        let base = "/apis/apps/v1/namespaces/";
        let Some(rest) = request.path.strip_prefix(base) else {
            return Reply::json(404, "{}");
        };
        let body = match rest {
            "nexafi-financial/deployments" => {
                list("Deployment", &[READY_DEPLOYMENT, ROLLING_DEPLOYMENT])
            }
            "nexafi-financial/statefulsets" | "nexafi-ready/statefulsets" => {
                list("StatefulSet", &[READY_STATEFULSET])
            }
            "nexafi-financial/daemonsets" | "nexafi-ready/daemonsets" => {
                list("DaemonSet", &[READY_DAEMONSET])
            }
            "nexafi-ready/deployments" => list("Deployment", &[READY_DEPLOYMENT]),
            "empty/deployments" => list("Deployment", &[]),
            "empty/statefulsets" => list("StatefulSet", &[]),
            "empty/daemonsets" => list("DaemonSet", &[]),
            "nexafi-financial/deployments/payments-api" => READY_DEPLOYMENT.to_owned(),
            "nexafi-financial/deployments/ledger" => ROLLING_DEPLOYMENT.to_owned(),
            "nexafi-financial/statefulsets/audit-db" => READY_STATEFULSET.to_owned(),
            _ => {
                return Reply::json(
                    404,
                    r#"{"kind":"Status","status":"Failure","reason":"NotFound","code":404}"#,
                );
            }
        };
        Reply::json(200, &body)
    })
}

struct StandIn {
    pki: Pki,
    port: u16,
    token_file: String,
}

async fn stand_in() -> StandIn {
    let pki = Pki::new();
    let port = serve(api_server(), Some(pki.acceptor(365, rustls::ALL_VERSIONS))).await;
    let token_file = pki.dir.path().join("token");
    std::fs::write(&token_file, format!("{TOKEN}\n")).unwrap();
    StandIn {
        token_file: token_file.display().to_string(),
        pki,
        port,
    }
}

impl StandIn {
    fn test(&self, rest: &str) -> String {
        format!(
            "kind: kubernetes\napi_server: https://localhost:{}\ntoken_file: {}\nca_file: {}\n{rest}",
            self.port,
            self.token_file,
            self.pki.ca_file()
        )
    }
}

#[tokio::test]
async fn ready_namespace_passes() {
    let api = stand_in().await;
    let result = run_one(&api.test("namespace: nexafi-ready")).await;
    expect(&result, Outcome::Passed, "3 workloads ready");
}

#[tokio::test]
async fn rollout_in_progress_fails() {
    let api = stand_in().await;
    let result = run_one(&api.test("namespace: nexafi-financial")).await;
    expect(
        &result,
        Outcome::Failed,
        "Deployment ledger: expected 2 updated replicas, found 1",
    );
}

#[tokio::test]
async fn named_workloads_pass() {
    let api = stand_in().await;
    let result = run_one(&api.test(
        "namespace: nexafi-financial\nworkloads: [Deployment/payments-api, StatefulSet/audit-db]",
    ))
    .await;
    expect(&result, Outcome::Passed, "2 workloads ready");
}

#[tokio::test]
async fn missing_workload_fails() {
    let api = stand_in().await;
    let result =
        run_one(&api.test("namespace: nexafi-financial\nworkloads: [Deployment/fraud-detection]"))
            .await;
    expect(
        &result,
        Outcome::Failed,
        "expected Deployment fraud-detection in namespace nexafi-financial, found none",
    );
}

#[tokio::test]
async fn empty_namespace_fails() {
    let api = stand_in().await;
    let result = run_one(&api.test("namespace: empty")).await;
    expect(&result, Outcome::Failed, "found none");
}

#[tokio::test]
async fn rejected_token_is_error() {
    let api = stand_in().await;
    std::fs::write(&api.token_file, "example-wrong-token").unwrap();
    let result = run_one(&api.test("namespace: nexafi-ready")).await;
    expect(&result, Outcome::Error, "returned status 401");
}

#[tokio::test]
async fn missing_token_file_is_error() {
    let api = stand_in().await;
    std::fs::remove_file(&api.token_file).unwrap();
    let result = run_one(&api.test("namespace: nexafi-ready")).await;
    expect(&result, Outcome::Error, "cannot read credential file");
}

#[tokio::test]
async fn outside_cluster_needs_api_server() {
    let error = crate::load(
        "tests:\n  - name: k8s\n    kind: kubernetes\n    namespace: payments\n",
        &[],
    )
    .err()
    .map(|error| error.to_string())
    .unwrap_or_default();
    assert!(error.contains("suite.yaml:2:"), "{error}");
    assert!(
        error.contains("needs `api_server` outside a pod"),
        "{error}"
    );
}

#[tokio::test]
async fn in_cluster_defaults() {
    let suite = crate::load(
        "tests:\n  - name: k8s\n    kind: kubernetes\n    namespace: payments\n",
        &[
            ("KUBERNETES_SERVICE_HOST", "127.0.0.1"),
            ("KUBERNETES_SERVICE_PORT", "6443"),
        ],
    )
    .unwrap();
    let nexafi_live::Check::Kubernetes(check) = &suite.tests[0].check else {
        panic!("expected a kubernetes check");
    };
    // Only loaded, never contacted.
    assert_eq!(check.api_server, "https://127.0.0.1:6443");
    assert_eq!(
        check.ca_file.as_deref(),
        Some(std::path::Path::new(
            "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"
        ))
    );
}
