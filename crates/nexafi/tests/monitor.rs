//! `nexafi monitor` as a user runs it: the real binary against a stand-in Kubernetes API
//! server, and against a real `nexafi audit serve` on SQLite.
//!
//! No Kubernetes API server can run in the test environment, so [`StandIn`] is a
//! stand-in: an axum server on 127.0.0.1 that serves the `list` and `watch` requests of
//! kube-rs for every watched resource with real object JSON from
//! `tests/data/monitor/cluster.yaml`, and streams a watch event for each change a test
//! makes. It implements only what the monitor uses: no authentication, resource versions
//! that are never checked, and the `metadata.name` field selector alone.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::convert::Infallible;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use nexafi_audit::client::{AuditClient, Method};
use serde_json::{Value, json};
use tokio::runtime::Runtime;
use tokio::sync::{Notify, mpsc};

const CLUSTER: &str = include_str!("data/monitor/cluster.yaml");
const LEDGER: &str = "apps/v1/Deployment/payments/ledger";
const PRIVILEGED: &str = "NXF-K8S-POD-001";
/// Upper bound for anything the tests wait for; the monitor debounces for 100 ms.
const WAIT: Duration = Duration::from_secs(30);

fn nexafi() -> Command {
    Command::new(env!("CARGO_BIN_EXE_nexafi"))
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Parses the objects of `cluster.yaml`.
fn cluster_objects() -> Vec<Value> {
    serde_saphyr::from_multiple::<Value>(CLUSTER)
        .unwrap()
        .into_iter()
        .filter(Value::is_object)
        .collect()
}

// ---------------------------------------------------------------------------------------
// The stand-in API server.

/// Resource name in URLs of a kind, as the API server spells it.
fn plural(kind: &str) -> String {
    match kind {
        "NetworkPolicy" => "networkpolicies".to_owned(),
        "Ingress" => "ingresses".to_owned(),
        other => format!("{}s", other.to_lowercase()),
    }
}

/// One open watch request.
struct Watch {
    plural: String,
    namespace: Option<String>,
    name: Option<String>,
    events: mpsc::UnboundedSender<String>,
}

impl Watch {
    fn matches(&self, object: &Value) -> bool {
        matches_request(
            object,
            &self.plural,
            self.namespace.as_deref(),
            self.name.as_deref(),
        )
    }
}

fn matches_request(
    object: &Value,
    plural_name: &str,
    namespace: Option<&str>,
    name: Option<&str>,
) -> bool {
    plural(object["kind"].as_str().unwrap_or("")) == plural_name
        && namespace.is_none_or(|namespace| object["metadata"]["namespace"] == namespace)
        && name.is_none_or(|name| object["metadata"]["name"] == name)
}

#[derive(Default)]
struct ApiState {
    resource_version: u64,
    objects: Vec<Value>,
    watches: Vec<Watch>,
    down: bool,
}

/// A running stand-in API server.
struct StandIn {
    state: Arc<Mutex<ApiState>>,
    address: SocketAddr,
    stop: Arc<Notify>,
}

impl StandIn {
    fn start(runtime: &Runtime, objects: Vec<Value>) -> StandIn {
        let state = Arc::new(Mutex::new(ApiState::default()));
        let stop = Arc::new(Notify::new());
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let address = listener.local_addr().unwrap();
        let app = Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&state));
        let stopped = Arc::clone(&stop);
        runtime.spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move { stopped.notified().await })
                .await
                .unwrap();
        });
        let stand_in = StandIn {
            state,
            address,
            stop,
        };
        for object in objects {
            stand_in.apply(object);
        }
        stand_in
    }

    /// Adds or replaces an object and sends the watch event.
    fn apply(&self, mut object: Value) {
        let mut state = self.state.lock().unwrap();
        state.resource_version += 1;
        let version = state.resource_version.to_string();
        object["metadata"]["resourceVersion"] = json!(version);
        object["metadata"]["uid"] = json!(format!("00000000-0000-4000-8000-{version:0>12}"));
        // What a live object carries and the monitor must ignore.
        object["metadata"]["managedFields"] = json!([{"manager": "kubectl", "operation": "Apply"}]);
        object["status"] = json!({"observedGeneration": 1});

        let same = |other: &Value| {
            other["kind"] == object["kind"]
                && other["metadata"]["namespace"] == object["metadata"]["namespace"]
                && other["metadata"]["name"] == object["metadata"]["name"]
        };
        let kind = match state.objects.iter().position(same) {
            Some(position) => {
                state.objects[position] = object.clone();
                "MODIFIED"
            }
            None => {
                state.objects.push(object.clone());
                "ADDED"
            }
        };
        let line = format!("{}\n", json!({"type": kind, "object": object}));
        state
            .watches
            .retain(|watch| !watch.matches(&object) || watch.events.send(line.clone()).is_ok());
    }

    /// Deletes the object of `kind` named `namespace`/`name` and sends the watch event.
    fn delete(&self, kind: &str, namespace: &str, name: &str) {
        let mut state = self.state.lock().unwrap();
        let position = state
            .objects
            .iter()
            .position(|object| {
                object["kind"] == kind
                    && object["metadata"]["namespace"] == namespace
                    && object["metadata"]["name"] == name
            })
            .unwrap();
        let object = state.objects.remove(position);
        let line = format!("{}\n", json!({"type": "DELETED", "object": object}));
        state
            .watches
            .retain(|watch| !watch.matches(&object) || watch.events.send(line.clone()).is_ok());
    }

    /// Stops the server: open watches end, and new connections are refused.
    fn stop(&self) {
        let mut state = self.state.lock().unwrap();
        state.down = true;
        state.watches.clear();
        self.stop.notify_one();
    }

    /// Writes a kubeconfig for this server into `dir`.
    fn kubeconfig(&self, dir: &Path) -> PathBuf {
        let path = dir.join("kubeconfig");
        let text = format!(
            "apiVersion: v1
kind: Config
clusters:
  - name: stand-in
    cluster:
      server: http://{}
contexts:
  - name: stand-in
    context:
      cluster: stand-in
      user: tester
current-context: stand-in
users:
  - name: tester
    user:
      token: example-not-a-secret
",
            self.address
        );
        std::fs::write(&path, text).unwrap();
        path
    }
}

/// Serves `GET /api/v1/...` and `GET /apis/GROUP/VERSION/...` with a list or a watch.
async fn handle(State(state): State<Arc<Mutex<ApiState>>>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let query = request.uri().query().unwrap_or("").to_owned();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let rest = match segments.as_slice() {
        ["api", _version, rest @ ..] => rest,
        ["apis", _group, _version, rest @ ..] => rest,
        _ => return (StatusCode::NOT_FOUND, "not an API path").into_response(),
    };
    let (namespace, plural_name) = match rest {
        [plural_name] => (None, (*plural_name).to_owned()),
        ["namespaces", namespace, plural_name] => {
            (Some((*namespace).to_owned()), (*plural_name).to_owned())
        }
        _ => return (StatusCode::NOT_FOUND, "unsupported path").into_response(),
    };
    let parameters: Vec<(String, String)> = query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(key, value)| (key.to_owned(), value.replace("%3D", "=")))
        .collect();
    let parameter = |name: &str| {
        parameters
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    };
    let name = parameter("fieldSelector")
        .and_then(|selector| selector.strip_prefix("metadata.name=").map(str::to_owned));
    let watch = matches!(parameter("watch").as_deref(), Some("true" | "1"));

    let mut state = state.lock().unwrap();
    if state.down {
        return (StatusCode::SERVICE_UNAVAILABLE, "stopped").into_response();
    }
    if watch {
        let (events, receiver) = mpsc::unbounded_channel();
        state.watches.push(Watch {
            plural: plural_name,
            namespace,
            name,
            events,
        });
        let stream = futures_util::stream::unfold(receiver, |mut receiver| async move {
            receiver
                .recv()
                .await
                .map(|line| (Ok::<_, Infallible>(line), receiver))
        });
        return (
            [(header::CONTENT_TYPE, "application/json")],
            Body::from_stream(stream),
        )
            .into_response();
    }

    // List responses leave the type out of each item, as the API server does.
    let items: Vec<Value> = state
        .objects
        .iter()
        .filter(|object| {
            matches_request(object, &plural_name, namespace.as_deref(), name.as_deref())
        })
        .map(|object| {
            let mut item = object.clone();
            if let Some(map) = item.as_object_mut() {
                map.remove("apiVersion");
                map.remove("kind");
            }
            item
        })
        .collect();
    let list = json!({
        "apiVersion": "v1",
        "kind": "List",
        "metadata": {"resourceVersion": state.resource_version.to_string()},
        "items": items,
    });
    (
        [(header::CONTENT_TYPE, "application/json")],
        list.to_string(),
    )
        .into_response()
}

// ---------------------------------------------------------------------------------------
// Processes under test.

/// A running child process whose standard error is collected.
struct Running {
    child: Child,
    stderr: Arc<Mutex<String>>,
}

impl Running {
    /// Starts `command` and waits for its "listening on URL" line.
    fn start(command: &mut Command) -> (Running, String) {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let (sender, receiver) = std::sync::mpsc::channel();
        let sink = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(url) = line.strip_prefix("listening on ") {
                    let _ = sender.send(url.to_owned());
                }
                sink.lock().unwrap().push_str(&format!("{line}\n"));
            }
        });
        // Standard output carries the token printed by `audit serve` helpers only.
        std::thread::spawn(move || for _ in BufReader::new(stdout).lines() {});
        let url = receiver.recv_timeout(WAIT).unwrap_or_else(|_| {
            let _ = child.kill();
            panic!("{command:?} did not start: {}", log.lock().unwrap())
        });
        (Running { child, stderr: log }, url)
    }

    fn log(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    fn terminate(&mut self) -> std::process::ExitStatus {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                started.elapsed() < WAIT,
                "no exit after SIGTERM: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn create_token(dir: &Path, db: &str, name: &str, scope: &str) -> String {
    let output = nexafi()
        .current_dir(dir)
        .args([
            "audit", "token", "create", "--db", db, "--name", name, "--scope", scope,
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// Fetches `path` from an HTTP server and returns status and body.
fn get(runtime: &Runtime, base: &str, path: &str, token: Option<&str>) -> (u16, String) {
    let client = AuditClient::new(base, token.map(str::to_owned)).unwrap();
    match runtime.block_on(client.send(Method::GET, path, None)) {
        Ok((status, body)) => (status.as_u16(), String::from_utf8_lossy(&body).into_owned()),
        Err(error) => (0, error.to_string()),
    }
}

/// Sums the samples of metric `name` whose labels include every pair of `labels`.
fn metric(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    let mut sum = 0.0;
    for line in text.lines() {
        let Some(rest) = line.strip_prefix(name) else {
            continue;
        };
        let (label_text, value) = match rest.strip_prefix('{') {
            Some(inner) => match inner.split_once("} ") {
                Some((label_text, value)) => (label_text, value),
                None => continue,
            },
            None => match rest.strip_prefix(' ') {
                Some(value) => ("", value),
                None => continue,
            },
        };
        let all = labels
            .iter()
            .all(|(key, value)| label_text.contains(&format!("{key}=\"{value}\"")));
        if all {
            sum += value.trim().parse::<f64>().unwrap_or(f64::NAN);
        }
    }
    sum
}

/// Polls `condition` until it returns true, or fails with `what` and the monitor's log.
fn wait_for(what: &str, monitor: &Running, mut condition: impl FnMut() -> bool) {
    let started = Instant::now();
    while !condition() {
        assert!(
            started.elapsed() < WAIT,
            "timed out waiting for {what}; monitor log:\n{}",
            monitor.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Returns the audit events with `action` on `resource`.
fn audit_events(
    runtime: &Runtime,
    audit_url: &str,
    token: &str,
    action: &str,
    resource: &str,
) -> Vec<Value> {
    let path = format!("/v1/events?action={action}&resource={resource}");
    let (status, body) = get(runtime, audit_url, &path, Some(token));
    // The service answers 404 until its first checkpoint.
    if status == 404 && body.contains("the log is empty") {
        return Vec::new();
    }
    assert_eq!(status, 200, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    answer["events"].as_array().cloned().unwrap_or_default()
}

fn has_check(events: &[Value], check: &str) -> bool {
    events
        .iter()
        .any(|event| event["payload"]["check"] == check)
}

/// Returns the ledger Deployment of `cluster.yaml`, made privileged or not.
fn ledger(privileged: bool) -> Value {
    let mut ledger = cluster_objects()
        .into_iter()
        .find(|object| object["kind"] == "Deployment" && object["metadata"]["name"] == "ledger")
        .unwrap();
    ledger["spec"]["template"]["spec"]["containers"][0]["securityContext"]["privileged"] =
        json!(privileged);
    ledger
}

// ---------------------------------------------------------------------------------------
// Tests.

/// Returns the findings of a report as comparable rows, without file and position, which differ
/// between a manifest and a live object.
fn finding_rows(report: &Value) -> BTreeSet<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| {
            format!(
                "{} {} {} {} {}",
                finding["check_id"],
                finding["resource"],
                finding["verdict"],
                finding["attribute"],
                finding["message"]
            )
        })
        .collect()
}

fn framework_rows(report: &Value) -> BTreeSet<String> {
    report["frameworks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|framework| {
            format!(
                "{} {} {} {}",
                framework["id"],
                framework["satisfied"],
                framework["not_satisfied"],
                framework["not_assessed"]
            )
        })
        .collect()
}

fn stdout_json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "not JSON ({error}): {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

#[test]
fn once_matches_validate() {
    let runtime = runtime();
    let dir = tempfile::tempdir().unwrap();
    let mut objects = cluster_objects();
    // A pod that a ReplicaSet controls: its controller is evaluated, not the pod.
    objects.push(json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "reporting-5f7-x2x",
            "namespace": "legacy",
            "ownerReferences": [{
                "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "reporting-5f7",
                "uid": "00000000-0000-4000-8000-000000000099", "controller": true,
            }],
        },
        "spec": {"containers": [{
            "name": "reporting",
            "image": "registry.example.com/nexafi/reporting:latest",
            "securityContext": {"privileged": true},
        }]},
    }));
    let stand_in = StandIn::start(&runtime, objects);
    let kubeconfig = stand_in.kubeconfig(dir.path());
    let manifests = dir.path().join("manifests");
    std::fs::create_dir(&manifests).unwrap();
    std::fs::write(manifests.join("cluster.yaml"), CLUSTER).unwrap();

    let live = nexafi()
        .args(["monitor", "--once", "--format", "json", "--kubeconfig"])
        .arg(&kubeconfig)
        .output()
        .unwrap();
    let scanned = nexafi()
        .args(["validate", "--format", "json"])
        .arg(&manifests)
        .output()
        .unwrap();

    let live_report = stdout_json(&live);
    let scanned_report = stdout_json(&scanned);
    let live_rows = finding_rows(&live_report);
    assert!(
        live_rows
            .iter()
            .any(|row| row.contains(PRIVILEGED) && row.contains("legacy/reporting")),
        "{live_rows:#?}"
    );
    assert_eq!(live_rows, finding_rows(&scanned_report));
    assert_eq!(
        framework_rows(&live_report),
        framework_rows(&scanned_report)
    );
    assert_eq!(live.status.code(), Some(1));
    assert_eq!(scanned.status.code(), Some(1));
    assert!(
        live_report["findings"][0]["file"]
            .as_str()
            .unwrap()
            .starts_with("cluster://"),
        "{}",
        live_report["findings"][0]
    );
}

#[test]
fn once_human_names_source() {
    let runtime = runtime();
    let dir = tempfile::tempdir().unwrap();
    let stand_in = StandIn::start(&runtime, cluster_objects());
    let kubeconfig = stand_in.kubeconfig(dir.path());

    let output = nexafi()
        .args(["monitor", "--once", "--namespace", "legacy", "--kubeconfig"])
        .arg(&kubeconfig)
        .output()
        .unwrap();

    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        text.contains("cluster://legacy/Deployment/reporting"),
        "{text}"
    );
    assert!(!text.contains("cluster://payments/"), "{text}");
}

#[test]
fn monitor_tracks_changes() {
    let runtime = runtime();
    let dir = tempfile::tempdir().unwrap();

    // The audit trail: a real service on SQLite, with a token per role.
    let db = "sqlite:audit.db";
    let append_token = create_token(dir.path(), db, "monitor", "append");
    let read_token = create_token(dir.path(), db, "tests", "read");
    let token_file = dir.path().join("audit.token");
    std::fs::write(&token_file, format!("{append_token}\n")).unwrap();
    let (_audit, audit_url) = Running::start(nexafi().current_dir(dir.path()).args([
        "audit",
        "serve",
        "--db",
        db,
        "--listen",
        "127.0.0.1:0",
    ]));

    let stand_in = StandIn::start(&runtime, cluster_objects());
    let kubeconfig = stand_in.kubeconfig(dir.path());
    let (mut monitor, url) = Running::start(
        nexafi()
            .args([
                "-v",
                "monitor",
                "--listen",
                "127.0.0.1:0",
                "--debounce-ms",
                "100",
            ])
            .arg("--kubeconfig")
            .arg(&kubeconfig)
            .args(["--audit-url", &audit_url, "--audit-token-file"])
            .arg(&token_file),
    );
    let metrics = || get(&runtime, &url, "/metrics", None).1;

    // Ready after the first full list; the privileged Deployment in legacy fails.
    wait_for("/readyz", &monitor, || {
        get(&runtime, &url, "/readyz", None).0 == 200
    });
    let text = metrics();
    let failing = |text: &str, namespace: &str| {
        metric(
            text,
            "nexafi_findings",
            &[
                ("check", PRIVILEGED),
                ("namespace", namespace),
                ("waived", "false"),
            ],
        )
    };
    assert_eq!(failing(&text, "legacy"), 1.0, "{text}");
    assert_eq!(failing(&text, "payments"), 0.0, "{text}");
    // The Role grants `*` three times (groups, resources, verbs): three findings, one
    // resource.
    let wildcard = [("check", "NXF-K8S-RBAC-001"), ("namespace", "legacy")];
    assert_eq!(metric(&text, "nexafi_findings", &wildcard), 3.0, "{text}");
    assert_eq!(
        metric(&text, "nexafi_monitor_failing_resources", &wildcard),
        1.0,
        "{text}"
    );
    assert_eq!(
        metric(&text, "nexafi_monitor_objects", &[("kind", "Deployment")]),
        2.0
    );
    assert_eq!(
        metric(&text, "nexafi_monitor_objects", &[("kind", "Namespace")]),
        2.0
    );
    assert!(metric(&text, "nexafi_monitor_last_sync_timestamp_seconds", &[]) > 1.7e9);
    assert!(
        metric(
            &text,
            "nexafi_monitor_evaluation_duration_seconds_count",
            &[]
        ) >= 1.0
    );
    assert!(
        metric(
            &text,
            "nexafi_compliance_controls",
            &[("framework", "pci_dss"), ("status", "not_satisfied")]
        ) >= 1.0
    );
    let score = metric(
        &text,
        "nexafi_compliance_score",
        &[("framework", "pci_dss")],
    );
    assert!((0.0..1.0).contains(&score), "{score}");
    assert_eq!(metric(&text, "nexafi_monitor_watch_errors_total", &[]), 0.0);
    wait_for("the violation of legacy/reporting", &monitor, || {
        has_check(
            &audit_events(
                &runtime,
                &audit_url,
                &read_token,
                "compliance.violation",
                "apps/v1/Deployment/legacy/reporting",
            ),
            PRIVILEGED,
        )
    });

    // A watch event makes the ledger privileged.
    stand_in.apply(ledger(true));
    wait_for("the failing ledger metric", &monitor, || {
        failing(&metrics(), "payments") == 1.0
    });
    wait_for("the violation of the ledger", &monitor, || {
        has_check(
            &audit_events(
                &runtime,
                &audit_url,
                &read_token,
                "compliance.violation",
                LEDGER,
            ),
            PRIVILEGED,
        )
    });

    // And back.
    stand_in.apply(ledger(false));
    wait_for("the passing ledger metric", &monitor, || {
        failing(&metrics(), "payments") == 0.0
    });
    wait_for("the resolution of the ledger", &monitor, || {
        has_check(
            &audit_events(
                &runtime,
                &audit_url,
                &read_token,
                "compliance.resolved",
                LEDGER,
            ),
            PRIVILEGED,
        )
    });
    // One violation per change, however many evaluations saw the ledger failing.
    let violations = audit_events(
        &runtime,
        &audit_url,
        &read_token,
        "compliance.violation",
        LEDGER,
    );
    let privileged = violations
        .iter()
        .filter(|event| event["payload"]["check"] == PRIVILEGED)
        .count();
    assert_eq!(privileged, 1, "{violations:#?}");

    // Deleting the privileged Deployment drops its results.
    stand_in.delete("Deployment", "legacy", "reporting");
    wait_for("the deleted Deployment to drop out", &monitor, || {
        failing(&metrics(), "legacy") == 0.0
    });
    assert_eq!(
        metric(
            &metrics(),
            "nexafi_monitor_objects",
            &[("kind", "Deployment")]
        ),
        1.0
    );

    // The API server goes away: watch errors are counted, the monitor keeps serving.
    stand_in.stop();
    wait_for("watch errors", &monitor, || {
        metric(&metrics(), "nexafi_monitor_watch_errors_total", &[]) > 0.0
    });
    assert_eq!(get(&runtime, &url, "/healthz", None).0, 200);
    assert_eq!(
        metric(
            &metrics(),
            "nexafi_findings",
            &[("check", "NXF-K8S-NS-001"), ("namespace", "legacy")]
        ),
        1.0
    );
    assert!(
        monitor.child.try_wait().unwrap().is_none(),
        "{}",
        monitor.log()
    );

    let status = monitor.terminate();
    assert!(status.success(), "{status:?}: {}", monitor.log());
}

#[test]
fn bad_kubeconfig_is_clear() {
    let dir = tempfile::tempdir().unwrap();
    let invalid = dir.path().join("invalid-kubeconfig");
    std::fs::write(&invalid, "clusters: [unclosed\n").unwrap();
    let missing = dir.path().join("missing-kubeconfig");

    for path in [&invalid, &missing] {
        let output = nexafi()
            .args(["monitor", "--once", "--kubeconfig"])
            .arg(path)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);

        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("invalid kubeconfig"), "{stderr}");
        assert!(stderr.contains(&path.display().to_string()), "{stderr}");
    }
}

#[test]
fn once_without_server_fails() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = runtime();
    let stand_in = StandIn::start(&runtime, Vec::new());
    stand_in.stop();
    let kubeconfig = stand_in.kubeconfig(dir.path());

    let output = nexafi()
        .args(["monitor", "--once", "--kubeconfig"])
        .arg(&kubeconfig)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);

    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("cannot list"), "{stderr}");
}

#[test]
fn ca_file_with_http_url_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, "example-not-a-secret\n").unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, "not read before the URL is checked\n").unwrap();

    let output = nexafi()
        .args(["monitor", "--kubeconfig", "unused", "--audit-url"])
        .arg("http://127.0.0.1:8443")
        .arg("--audit-token-file")
        .arg(&token_file)
        .arg("--audit-ca-file")
        .arg(&ca_file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);

    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--audit-url"), "{stderr}");
    assert!(stderr.contains("http://127.0.0.1:8443"), "{stderr}");
    assert!(stderr.contains("https"), "{stderr}");
}

#[test]
fn empty_token_file_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, "\n").unwrap();

    let output = nexafi()
        .args(["monitor", "--kubeconfig", "unused", "--audit-url"])
        .arg("http://127.0.0.1:8080")
        .arg("--audit-token-file")
        .arg(&token_file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);

    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("is empty"), "{stderr}");
}

#[test]
fn audit_down_is_retried() {
    let runtime = runtime();
    let dir = tempfile::tempdir().unwrap();
    let stand_in = StandIn::start(&runtime, cluster_objects());
    let kubeconfig = stand_in.kubeconfig(dir.path());
    let token_file = dir.path().join("audit.token");
    std::fs::write(&token_file, "example-not-a-secret\n").unwrap();
    // A loopback port with nothing listening.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();

    let (monitor, url) = Running::start(
        nexafi()
            .args(["monitor", "--listen", "127.0.0.1:0", "--debounce-ms", "100"])
            .arg("--kubeconfig")
            .arg(&kubeconfig)
            .args([
                "--audit-url",
                &format!("http://{closed}"),
                "--audit-token-file",
            ])
            .arg(&token_file),
    );
    let metrics = || get(&runtime, &url, "/metrics", None).1;

    // The first attempt and at least one retry fail; the monitor stays up and ready.
    wait_for("failed appends", &monitor, || {
        metric(
            &metrics(),
            "nexafi_monitor_audit_append_failures_total",
            &[],
        ) >= 2.0
    });
    assert_eq!(
        metric(&metrics(), "nexafi_monitor_audit_events_total", &[]),
        0.0
    );
    assert_eq!(get(&runtime, &url, "/readyz", None).0, 200);
    let mut monitor = monitor;
    assert!(
        monitor.child.try_wait().unwrap().is_none(),
        "{}",
        monitor.log()
    );
}
