//! OpenTelemetry traces of `nexafi audit serve`: the real binary on SQLite in a temporary
//! directory, sending OTLP/HTTP to a receiver that the test runs on 127.0.0.1 and that
//! decodes each `ExportTraceServiceRequest` with the OTLP protobuf types. The receiver
//! replaces the platform's OpenTelemetry Collector, which cannot be installed on this
//! machine.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;
use serde_json::{Value, json};

const CALLER_TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN_ID: &str = "00f067aa0ba902b7";
/// Text of an event payload, which must never reach a span.
const PAYLOAD_TEXT: &str = "INV-payload-text-5521";

fn nexafi() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_nexafi"));
    // Only what each test sets may configure the exporter.
    for name in [
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "OTEL_EXPORTER_OTLP_PROTOCOL",
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
        "OTEL_SERVICE_NAME",
        "OTEL_RESOURCE_ATTRIBUTES",
        "OTEL_TRACES_SAMPLER",
        "OTEL_TRACES_SAMPLER_ARG",
        "OTEL_TRACES_EXPORTER",
        "OTEL_SDK_DISABLED",
        "RUST_LOG",
    ] {
        command.env_remove(name);
    }
    command
}

/// Path and body of each request the receiver got.
type Received = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

/// The OTLP/HTTP receiver: every request body it got, by path.
struct Receiver {
    address: SocketAddr,
    requests: Received,
    _runtime: tokio::runtime::Runtime,
}

impl Receiver {
    fn start() -> Receiver {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let requests: Received = Arc::default();
        let sink = Arc::clone(&requests);
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let address = listener.local_addr().unwrap();
        let app =
            axum::Router::new().fallback(move |uri: axum::http::Uri, body: axum::body::Bytes| {
                let sink = Arc::clone(&sink);
                async move {
                    sink.lock()
                        .unwrap()
                        .push((uri.path().to_owned(), body.to_vec()));
                    // An empty ExportTraceServiceResponse: full success.
                    (
                        [(axum::http::header::CONTENT_TYPE, "application/x-protobuf")],
                        Vec::<u8>::new(),
                    )
                }
            });
        runtime.spawn(async move { axum::serve(listener, app).await });
        Receiver {
            address,
            requests,
            _runtime: runtime,
        }
    }

    fn endpoint(&self) -> String {
        format!("http://{}", self.address)
    }

    fn exports(&self) -> Vec<ExportTraceServiceRequest> {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .map(|(path, body)| {
                assert_eq!(path, "/v1/traces");
                ExportTraceServiceRequest::decode(body.as_slice()).unwrap()
            })
            .collect()
    }

    fn raw_bodies(&self) -> Vec<Vec<u8>> {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .map(|(_, body)| body.clone())
            .collect()
    }
}

/// A running `nexafi audit serve` and its standard error.
struct Served {
    child: Child,
    address: SocketAddr,
    stderr: Arc<Mutex<String>>,
}

impl Served {
    fn start(dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> Served {
        let mut child = nexafi()
            .current_dir(dir)
            .args([
                "audit",
                "serve",
                "--db",
                "sqlite:audit.db",
                "--listen",
                "127.0.0.1:0",
            ])
            .args(extra)
            .envs(env.iter().copied())
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&log);
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(url) = line.strip_prefix("listening on http://") {
                    let _ = sender.send(url.to_owned());
                }
                sink.lock().unwrap().push_str(&format!("{line}\n"));
            }
        });
        let address = receiver
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("the server did not start: {}", log.lock().unwrap()))
            .parse()
            .unwrap();
        Served {
            child,
            address,
            stderr: log,
        }
    }

    /// Sends SIGTERM and waits for a clean exit.
    fn stop(mut self) -> String {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "exit {status}: {}", self.stderr());
                break;
            }
            assert!(Instant::now() < deadline, "no exit: {}", self.stderr());
            std::thread::sleep(Duration::from_millis(50));
        }
        // Let the reader thread take the last lines.
        std::thread::sleep(Duration::from_millis(100));
        self.stderr()
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }
}

fn token(dir: &Path) -> String {
    token_with(dir, "append")
}

fn token_with(dir: &Path, scope: &str) -> String {
    let output = nexafi()
        .current_dir(dir)
        .args([
            "audit",
            "token",
            "create",
            "--db",
            "sqlite:audit.db",
            "--name",
            scope,
            "--scope",
            scope,
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// Sends one HTTP/1.1 request and returns the status code and body.
fn request(
    address: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut text = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    text.push_str(body);
    stream.write_all(text.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {response}"));
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn event(i: u64) -> Value {
    json!({
        "event_id": format!("01939f00-0000-7000-8000-{i:012x}"),
        "event_time": "2026-12-04T10:00:00Z",
        "tenant": "acme",
        "actor": "user:7",
        "action": "payment.create",
        "resource": format!("payment/{i}"),
        "outcome": "success",
        "amount": "10.50",
        "currency": "GBP",
        "payload": {"reference": format!("{PAYLOAD_TEXT}-{i}")}
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn attribute<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a any_value::Value> {
    attributes
        .iter()
        .find(|attribute| attribute.key == key)
        .and_then(|attribute| attribute.value.as_ref())
        .and_then(|value| value.value.as_ref())
}

fn string_attribute(attributes: &[KeyValue], key: &str) -> Option<String> {
    match attribute(attributes, key) {
        Some(any_value::Value::StringValue(text)) => Some(text.clone()),
        _ => None,
    }
}

fn int_attribute(attributes: &[KeyValue], key: &str) -> Option<i64> {
    match attribute(attributes, key) {
        Some(any_value::Value::IntValue(number)) => Some(*number),
        _ => None,
    }
}

/// Collects every string in an attribute value, nested ones included.
fn strings(value: &AnyValue, found: &mut Vec<String>) {
    match &value.value {
        Some(any_value::Value::StringValue(text)) => found.push(text.clone()),
        Some(any_value::Value::ArrayValue(array)) => {
            array.values.iter().for_each(|value| strings(value, found));
        }
        Some(any_value::Value::KvlistValue(list)) => {
            for pair in &list.values {
                found.push(pair.key.clone());
                if let Some(value) = &pair.value {
                    strings(value, found);
                }
            }
        }
        _ => {}
    }
}

/// Collects every attribute key and string value of every span, event, link and resource.
fn all_attribute_text(exports: &[ExportTraceServiceRequest]) -> Vec<String> {
    let mut found = Vec::new();
    let mut add = |attributes: &[KeyValue]| {
        for attribute in attributes {
            found.push(attribute.key.clone());
            if let Some(value) = &attribute.value {
                strings(value, &mut found);
            }
        }
    };
    for export in exports {
        for resource_spans in &export.resource_spans {
            if let Some(resource) = &resource_spans.resource {
                add(&resource.attributes);
            }
            for scope_spans in &resource_spans.scope_spans {
                for span in &scope_spans.spans {
                    add(&span.attributes);
                    span.events.iter().for_each(|event| add(&event.attributes));
                    span.links.iter().for_each(|link| add(&link.attributes));
                }
            }
        }
    }
    found
}

fn spans(exports: &[ExportTraceServiceRequest]) -> Vec<Span> {
    exports
        .iter()
        .flat_map(|export| &export.resource_spans)
        .flat_map(|resource_spans| &resource_spans.scope_spans)
        .flat_map(|scope_spans| scope_spans.spans.clone())
        .collect()
}

#[test]
fn spans_reach_the_collector() {
    let dir = tempfile::tempdir().unwrap();
    let secret = token(dir.path());
    let admin = token_with(dir.path(), "admin");
    let receiver = Receiver::start();
    let served = Served::start(dir.path(), &["--otlp-endpoint", &receiver.endpoint()], &[]);

    let bearer = format!("Bearer {secret}");
    let traceparent = format!("00-{CALLER_TRACE_ID}-{CALLER_SPAN_ID}-01");
    let batch = json!({"events": [event(1), event(2), event(3)]}).to_string();
    let (status, body) = request(
        served.address,
        "POST",
        "/v1/events/batch",
        &[("Authorization", &bearer), ("traceparent", &traceparent)],
        &batch,
    );
    assert_eq!(status, 200, "{body}");
    let wrong_token = "Bearer example-not-a-secret-4471";
    let (status, _) = request(
        served.address,
        "GET",
        "/v1/events/0193a4c2-0000-7000-8000-000000000001",
        &[("Authorization", wrong_token)],
        "",
    );
    assert_eq!(status, 401);
    let (status, body) = request(
        served.address,
        "POST",
        "/v1/purge",
        &[("Authorization", &format!("Bearer {admin}"))],
        "",
    );
    assert_eq!(status, 200, "{body}");
    let stderr = served.stop();

    let exports = receiver.exports();
    assert!(
        !exports.is_empty(),
        "no export reached the receiver: {stderr}"
    );
    let spans = spans(&exports);
    let names: Vec<&str> = spans.iter().map(|span| span.name.as_str()).collect();

    let request_span = spans
        .iter()
        .find(|span| span.name == "POST /v1/events/batch")
        .unwrap_or_else(|| panic!("no request span in {names:?}"));
    assert_eq!(hex(&request_span.trace_id), CALLER_TRACE_ID);
    assert_eq!(hex(&request_span.parent_span_id), CALLER_SPAN_ID);
    assert_eq!(request_span.kind, 2, "kind SERVER");
    let attributes = &request_span.attributes;
    assert_eq!(
        string_attribute(attributes, "http.route").as_deref(),
        Some("/v1/events/batch")
    );
    assert_eq!(
        string_attribute(attributes, "http.request.method").as_deref(),
        Some("POST")
    );
    assert_eq!(
        int_attribute(attributes, "http.response.status_code"),
        Some(200),
        "{attributes:?}"
    );
    assert_eq!(
        string_attribute(attributes, "audit.tenant").as_deref(),
        Some("acme")
    );

    let commit = spans
        .iter()
        .find(|span| span.name == "audit batch commit")
        .unwrap_or_else(|| panic!("no commit span in {names:?}"));
    assert_eq!(
        int_attribute(&commit.attributes, "audit.batch.size"),
        Some(3)
    );
    assert_eq!(
        int_attribute(&commit.attributes, "audit.batch.first_index"),
        Some(0)
    );
    assert_eq!(
        int_attribute(&commit.attributes, "audit.batch.last_index"),
        Some(2)
    );
    assert_eq!(
        string_attribute(&commit.attributes, "db.system.name").as_deref(),
        Some("sqlite")
    );
    assert!(attribute(&commit.attributes, "audit.commit.duration_ms").is_some());
    assert!(
        commit
            .links
            .iter()
            .any(|link| link.trace_id == request_span.trace_id
                && link.span_id == request_span.span_id),
        "commit links {:?} miss the request span",
        commit.links
    );
    assert_ne!(
        commit.trace_id, request_span.trace_id,
        "the commit starts its own trace"
    );

    let proofs = spans
        .iter()
        .find(|span| span.name == "audit proof build")
        .unwrap_or_else(|| panic!("no proof span in {names:?}"));
    assert_eq!(proofs.trace_id, commit.trace_id);
    assert_eq!(proofs.parent_span_id, commit.span_id);

    // The request with an unknown id: the route template, not the raw path.
    let rejected = spans
        .iter()
        .find(|span| span.name == "GET /v1/events/{event_id}")
        .unwrap_or_else(|| panic!("no span of the rejected request in {names:?}"));
    assert_eq!(
        int_attribute(&rejected.attributes, "http.response.status_code"),
        Some(401)
    );
    assert!(
        rejected.parent_span_id.is_empty(),
        "a request without traceparent is a root"
    );
    assert_ne!(rejected.trace_id, request_span.trace_id);

    let purge_request = spans
        .iter()
        .find(|span| span.name == "POST /v1/purge")
        .unwrap_or_else(|| panic!("no purge request span in {names:?}"));
    let purge = spans
        .iter()
        .find(|span| span.name == "audit retention purge")
        .unwrap_or_else(|| panic!("no purge span in {names:?}"));
    assert_eq!(purge.parent_span_id, purge_request.span_id);
    assert_eq!(
        int_attribute(&purge.attributes, "audit.purge.erased"),
        Some(0)
    );
    assert_eq!(
        int_attribute(&purge.attributes, "audit.purge.held"),
        Some(0)
    );

    let resource = exports[0].resource_spans[0].resource.as_ref().unwrap();
    assert_eq!(
        string_attribute(&resource.attributes, "service.name").as_deref(),
        Some("nexafi-audit")
    );
    assert_eq!(
        string_attribute(&resource.attributes, "service.version").as_deref(),
        Some(env!("CARGO_PKG_VERSION"))
    );

    let text = all_attribute_text(&exports);
    for forbidden in [
        secret.as_str(),
        admin.as_str(),
        "example-not-a-secret-4471",
        PAYLOAD_TEXT,
        "0193a4c2",
    ] {
        assert!(
            !text.iter().any(|value| value.contains(forbidden)),
            "`{forbidden}` is in an attribute"
        );
        assert!(
            !receiver.raw_bodies().iter().any(|body| body
                .windows(forbidden.len())
                .any(|window| window == forbidden.as_bytes())),
            "`{forbidden}` is in an export"
        );
    }
}

#[test]
fn collector_down_keeps_appends_fast() {
    let dir = tempfile::tempdir().unwrap();
    let secret = token(dir.path());
    // A loopback port with nothing listening: every export is refused.
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let endpoint = format!("http://{closed}");
    let served = Served::start(
        dir.path(),
        &["--otlp-endpoint", &endpoint],
        // Export every 50 ms, so many exports fail while the appends run.
        &[("OTEL_BSP_SCHEDULE_DELAY", "50")],
    );

    let bearer = format!("Bearer {secret}");
    let started = Instant::now();
    let mut slowest = Duration::ZERO;
    let mut appended = 0;
    while started.elapsed() < Duration::from_millis(1500) || appended < 20 {
        let sent = Instant::now();
        let (status, body) = request(
            served.address,
            "POST",
            "/v1/events",
            &[("Authorization", &bearer)],
            &event(appended).to_string(),
        );
        assert_eq!(status, 200, "append {appended}: {body}");
        slowest = slowest.max(sent.elapsed());
        appended += 1;
        std::thread::sleep(Duration::from_millis(20));
    }
    let stopping = Instant::now();
    let stderr = served.stop();

    // The exporter's timeout is 10 s; an append that waited on it would show here.
    assert!(
        slowest < Duration::from_secs(2),
        "slowest append took {slowest:?}"
    );
    assert!(
        stopping.elapsed() < Duration::from_secs(20),
        "shutdown took {:?}",
        stopping.elapsed()
    );
    let warnings = stderr.matches("exporting traces failed").count();
    assert_eq!(warnings, 1, "expected one rate-limited warning:\n{stderr}");
}

#[test]
fn no_endpoint_means_no_connection() {
    let dir = tempfile::tempdir().unwrap();
    let secret = token(dir.path());
    // The default OTLP/HTTP port: a binary with a built-in default would connect here.
    let listener = TcpListener::bind("127.0.0.1:4318")
        .expect("port 4318 on 127.0.0.1 must be free for this test");
    listener.set_nonblocking(true).unwrap();
    let served = Served::start(dir.path(), &["-vv"], &[]);

    let bearer = format!("Bearer {secret}");
    let (status, body) = request(
        served.address,
        "POST",
        "/v1/events",
        &[
            ("Authorization", &bearer),
            (
                "traceparent",
                &format!("00-{CALLER_TRACE_ID}-{CALLER_SPAN_ID}-01"),
            ),
        ],
        &event(1).to_string(),
    );
    assert_eq!(status, 200, "{body}");
    let stderr = served.stop();

    let connections = std::iter::from_fn(|| listener.accept().ok()).count();
    assert_eq!(
        connections, 0,
        "the service connected to 127.0.0.1:4318:\n{stderr}"
    );
    assert!(!stderr.contains("exporting traces"), "{stderr}");
}

#[test]
fn invalid_endpoint_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let output = nexafi()
        .current_dir(dir.path())
        .args([
            "audit",
            "serve",
            "--db",
            "sqlite:audit.db",
            "--listen",
            "127.0.0.1:0",
        ])
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", "https://127.0.0.1:4318")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("OTEL_EXPORTER_OTLP_ENDPOINT"), "{stderr}");
    assert!(stderr.contains("plain HTTP"), "{stderr}");
}
