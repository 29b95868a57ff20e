//! The HTTP API on a real socket: scopes, input errors, acknowledgements with proofs,
//! tlog-tiles reads, erasure and the OpenAPI document.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hyper::{Method, StatusCode};
use nexafi_audit::client::AuditClient;
use nexafi_audit::ledger::hash::{Hash, leaf_hash, root_of};
use nexafi_audit::ledger::note::{Checkpoint, NoteSigner};
use nexafi_audit::ledger::proof::verify_inclusion;
use nexafi_audit::ledger::tiles::decode_tile;
use nexafi_audit::metrics::Metrics;
use nexafi_audit::sequencer::{SequencerConfig, start};
use nexafi_audit::service::auth::{generate_token, hash_token};
use nexafi_audit::service::{App, OPENAPI, ROUTES, ServiceConfig, run};
use nexafi_audit::store::sqlite::SqliteStore;
use nexafi_audit::store::{AuditStore, StoredToken};
use nexafi_audit::verify::audit_store;
use serde_json::{Value, json};
use uuid::Uuid;

struct Server {
    url: String,
    store: Arc<SqliteStore>,
    signer: Arc<NoteSigner>,
    _dir: tempfile::TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Server {
    async fn start(config: ServiceConfig, sequencer: SequencerConfig) -> Server {
        let (dir, store) = common::sqlite();
        let store = Arc::new(store);
        let signer = common::signer();
        let metrics = Arc::new(Metrics::new());
        let (handle, sequencer_task) = start(
            Arc::clone(&store),
            Arc::clone(&signer),
            sequencer,
            Arc::clone(&metrics),
        )
        .await
        .unwrap();
        let app = Arc::new(App::new(
            Arc::clone(&store),
            handle,
            Arc::clone(&signer),
            metrics,
            config,
        ));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(run(listener, app, sequencer_task, None, async move {
            let _ = stopped.await;
        }));
        Server {
            url,
            store,
            signer,
            _dir: dir,
            stop: Some(stop),
            task,
        }
    }

    async fn token(&self, scopes: &[&str]) -> String {
        let token = generate_token().unwrap();
        let stored = StoredToken {
            name: format!("test-{}", scopes.join("-")),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            tenants: None,
        };
        self.store
            .insert_token(&hash_token(&token), &stored)
            .await
            .unwrap();
        token
    }

    fn client(&self, token: Option<&str>) -> AuditClient {
        AuditClient::new(&self.url, token.map(str::to_owned)).unwrap()
    }

    async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        self.task.await.unwrap().unwrap();
    }
}

fn event_json(actor: &str) -> Value {
    json!({
        "tenant": "acme",
        "event_id": Uuid::now_v7().to_string(),
        "event_time": "2026-12-04T10:00:00Z",
        "actor": actor,
        "action": "payment.create",
        "resource": "payment/1",
        "outcome": "success",
        "amount": "12.50",
        "currency": "USD",
        "payload": {"iban": "DE00 0000 0000 0000 0000 00"}
    })
}

fn hashes(value: &Value) -> Vec<Hash> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            BASE64
                .decode(h.as_str().unwrap())
                .unwrap()
                .try_into()
                .unwrap()
        })
        .collect()
}

fn check_ack(ack: &Value, signer: &NoteSigner) -> u64 {
    let checkpoint =
        Checkpoint::open(ack["checkpoint"].as_str().unwrap(), &signer.verifier()).unwrap();
    let leaf = leaf_hash(ack["leaf"].as_str().unwrap().as_bytes());
    let index = ack["index"].as_u64().unwrap();
    verify_inclusion(
        index,
        checkpoint.size,
        &leaf,
        &hashes(&ack["inclusion_proof"]),
        &checkpoint.root,
    )
    .unwrap();
    index
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scopes_are_enforced() {
    let server = Server::start(ServiceConfig::default(), SequencerConfig::default()).await;
    let reader = server.token(&["read"]).await;
    let appender = server.token(&["append"]).await;
    let event = event_json("user:1");

    let (status, _) = server
        .client(None)
        .send(Method::POST, "/v1/events", Some(&event))
        .await
        .unwrap();
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = server
        .client(Some("nxa_wrong"))
        .send(Method::POST, "/v1/events", Some(&event))
        .await
        .unwrap();
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = server
        .client(Some(&reader))
        .send(Method::POST, "/v1/events", Some(&event))
        .await
        .unwrap();
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(String::from_utf8_lossy(&body).contains("append"));

    server
        .client(Some(&appender))
        .json(Method::POST, "/v1/events", Some(&event))
        .await
        .unwrap();
    let (status, _) = server
        .client(Some(&appender))
        .send(Method::GET, "/v1/events?tenant=acme", None)
        .await
        .unwrap();
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = server
        .client(Some(&reader))
        .send(Method::GET, "/v1/proof/consistency?from=0", None)
        .await
        .unwrap();
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = server
        .client(Some(&reader))
        .send(Method::GET, "/tile/0/000.p/1", None)
        .await
        .unwrap();
    assert_eq!(status, StatusCode::FORBIDDEN);
    server
        .client(Some(&reader))
        .json(Method::GET, "/v1/events?tenant=acme", None)
        .await
        .unwrap();

    let (_, metrics) = server
        .client(None)
        .send(Method::GET, "/metrics", None)
        .await
        .unwrap();
    let metrics = String::from_utf8_lossy(&metrics);
    for name in [
        "nexafi_audit_appends_total 1",
        "nexafi_audit_batch_size_count 1",
        "nexafi_audit_commit_latency_seconds_count 1",
        "nexafi_audit_queue_depth",
        "nexafi_audit_checkpoint_age_seconds",
        "nexafi_audit_tree_size 1",
    ] {
        assert!(metrics.contains(name), "{name} missing from:\n{metrics}");
    }
    for open in ["/healthz", "/readyz", "/metrics", "/openapi.json"] {
        let (status, _) = server
            .client(None)
            .send(Method::GET, open, None)
            .await
            .unwrap();
        assert_eq!(status, StatusCode::OK, "{open}");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_writes_nothing() {
    let config = ServiceConfig {
        max_body_bytes: 4096,
        max_payload_bytes: 512,
        ..ServiceConfig::default()
    };
    let server = Server::start(config, SequencerConfig::default()).await;
    let client = server.client(Some(&server.token(&["append", "read"]).await));

    let (status, body) = client.send(Method::POST, "/v1/events", None).await.unwrap();
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["error"]["code"], "invalid_request");

    let cases = [
        ("amount", json!(12.5)),
        ("currency", json!("EURO")),
        ("event_time", json!(1234)),
        ("event_id", json!("6f1c2d3e-4b5a-4c6d-8e7f-901234567890")),
        ("payload", json!({"blob": "x".repeat(600)})),
    ];
    for (field, value) in cases {
        let mut event = event_json("user:1");
        event[field] = value;
        let (status, body) = client
            .send(Method::POST, "/v1/events", Some(&event))
            .await
            .unwrap();
        assert_eq!(status, StatusCode::BAD_REQUEST, "{field}");
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["error"]["field"], field);
    }

    let mut bad = event_json("user:2");
    bad["outcome"] = json!("maybe");
    let batch = json!({"events": [event_json("user:1"), bad]});
    let (status, body) = client
        .send(Method::POST, "/v1/events/batch", Some(&batch))
        .await
        .unwrap();
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["error"]["field"], "events[1].outcome");

    let huge = json!({"events": [{"payload": "y".repeat(5000)}]});
    let (status, _) = client
        .send(Method::POST, "/v1/events/batch", Some(&huge))
        .await
        .unwrap();
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);

    // Nothing above was written: the log has no checkpoint yet.
    let (status, _) = client
        .send(Method::GET, "/v1/checkpoint", None)
        .await
        .unwrap();
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(server.store.latest_checkpoint().await.unwrap(), None);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn append_query_and_tiles() {
    let server = Server::start(ServiceConfig::default(), SequencerConfig::default()).await;
    let client = server.client(Some(&server.token(&["admin"]).await));

    let single = event_json("user:1");
    let ack = client
        .json(Method::POST, "/v1/events", Some(&single))
        .await
        .unwrap();
    assert_eq!(check_ack(&ack, &server.signer), 0);
    let retry = client
        .json(Method::POST, "/v1/events", Some(&single))
        .await
        .unwrap();
    assert_eq!(retry["index"], 0);
    assert_eq!(retry["duplicate"], true);
    let mut changed = single.clone();
    changed["amount"] = json!("13.00");
    let (status, _) = client
        .send(Method::POST, "/v1/events", Some(&changed))
        .await
        .unwrap();
    assert_eq!(status, StatusCode::CONFLICT);

    let events: Vec<Value> = (0..299)
        .map(|i| event_json(&format!("user:{}", i % 3)))
        .collect();
    let acks = client
        .json(
            Method::POST,
            "/v1/events/batch",
            Some(&json!({"events": events})),
        )
        .await
        .unwrap();
    let acks = acks["acks"].as_array().unwrap();
    assert_eq!(acks.len(), 299);
    for (offset, ack) in acks.iter().enumerate() {
        assert_eq!(check_ack(ack, &server.signer), offset as u64 + 1);
    }

    let result = client
        .json(
            Method::GET,
            "/v1/events?tenant=acme&actor=user:2&limit=1000",
            None,
        )
        .await
        .unwrap();
    let checkpoint = Checkpoint::open(
        result["checkpoint"].as_str().unwrap(),
        &server.signer.verifier(),
    )
    .unwrap();
    let rows = result["events"].as_array().unwrap();
    assert_eq!(rows.len(), 99);
    for row in rows {
        let leaf = leaf_hash(row["leaf"].as_str().unwrap().as_bytes());
        let index = row["index"].as_u64().unwrap();
        verify_inclusion(
            index,
            checkpoint.size,
            &leaf,
            &hashes(&row["inclusion_proof"]),
            &checkpoint.root,
        )
        .unwrap();
        assert!(
            row["leaf"]
                .as_str()
                .unwrap()
                .contains("\"actor\":\"user:2\"")
        );
    }
    let (status, _) = client
        .send(Method::GET, "/v1/events?limit=0", None)
        .await
        .unwrap();
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // The tree of 300 leaves as tlog-tiles: one full level-0 tile and a partial one.
    let note = client.bytes("/checkpoint").await.unwrap();
    let tiled = Checkpoint::open(
        std::str::from_utf8(&note).unwrap(),
        &server.signer.verifier(),
    )
    .unwrap();
    assert_eq!(tiled.size, 300);
    let full = decode_tile(&client.bytes("/tile/0/000").await.unwrap()).unwrap();
    let partial = decode_tile(&client.bytes("/tile/0/001.p/44").await.unwrap()).unwrap();
    let mut leaves = full.clone();
    leaves.extend(partial);
    assert_eq!(root_of(&leaves), tiled.root);
    let (status, _) = client.send(Method::GET, "/tile/0/001", None).await.unwrap();
    assert_eq!(status, StatusCode::NOT_FOUND);
    let bundle = client.bytes("/tile/entries/000").await.unwrap();
    let mut offset = 0;
    let mut count = 0;
    while offset < bundle.len() {
        let length = u16::from_be_bytes([bundle[offset], bundle[offset + 1]]) as usize;
        assert_eq!(
            leaf_hash(&bundle[offset + 2..offset + 2 + length]),
            full[count]
        );
        offset += 2 + length;
        count += 1;
    }
    assert_eq!(count, 256);

    let consistency = client
        .json(Method::GET, "/v1/proof/consistency?from=1&to=300", None)
        .await
        .unwrap();
    let old = root_of(&leaves[..1]);
    nexafi_audit::ledger::proof::verify_consistency(
        1,
        300,
        &old,
        &tiled.root,
        &hashes(&consistency["consistency_proof"]),
    )
    .unwrap();
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erasure_keeps_proofs_valid() {
    let server = Server::start(ServiceConfig::default(), SequencerConfig::default()).await;
    let client = server.client(Some(&server.token(&["admin"]).await));
    let event = event_json("user:1");
    let event_id = event["event_id"].as_str().unwrap().to_owned();
    client
        .json(Method::POST, "/v1/events", Some(&event))
        .await
        .unwrap();

    let hold = client
        .json(
            Method::POST,
            "/v1/holds",
            Some(&json!({"tenant": "acme", "resource_prefix": "payment/", "reason": "dispute 7"})),
        )
        .await
        .unwrap();
    let path = format!("/v1/events/{event_id}/erase");
    let (status, _) = client
        .send(
            Method::POST,
            &path,
            Some(&json!({"reason": "GDPR request"})),
        )
        .await
        .unwrap();
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a held payload must not be erased"
    );
    client
        .json(Method::DELETE, &format!("/v1/holds/{}", hold["id"]), None)
        .await
        .unwrap();

    let erased = client
        .json(
            Method::POST,
            &path,
            Some(&json!({"reason": "GDPR request"})),
        )
        .await
        .unwrap();
    assert_eq!(erased["erased_index"], 0);
    let stored = client
        .json(Method::GET, &format!("/v1/events/{event_id}"), None)
        .await
        .unwrap();
    assert_eq!(stored["erased"], true);
    assert_eq!(stored["payload"], Value::Null);
    let (status, _) = client
        .send(Method::POST, &path, Some(&json!({"reason": "again"})))
        .await
        .unwrap();
    assert_eq!(status, StatusCode::CONFLICT);

    let log = client
        .json(Method::GET, "/v1/events?tenant=acme&limit=10", None)
        .await
        .unwrap();
    let actions: Vec<String> = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            serde_json::from_str::<Value>(row["leaf"].as_str().unwrap()).unwrap()["action"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        actions,
        [
            "payment.create",
            "audit.hold.add",
            "audit.hold.release",
            "audit.payload.erase"
        ]
    );

    let (report, _) = audit_store(server.store.as_ref(), &server.signer.verifier(), None)
        .await
        .unwrap();
    assert_eq!(report.payloads_erased, 1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_queue_answers_429() {
    let sequencer = SequencerConfig {
        queue_capacity: 1,
        max_batch_events: 1,
    };
    let server = Server::start(ServiceConfig::default(), sequencer).await;
    let client = server.client(Some(&server.token(&["append"]).await));
    let mut requests = Vec::new();
    for i in 0..64 {
        let client = client.clone();
        requests.push(tokio::spawn(async move {
            let event = event_json(&format!("user:{i}"));
            client
                .send(Method::POST, "/v1/events", Some(&event))
                .await
                .unwrap()
                .0
        }));
    }
    let mut statuses = Vec::new();
    for request in requests {
        statuses.push(request.await.unwrap());
    }
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::OK || *s == StatusCode::TOO_MANY_REQUESTS)
    );
    assert!(
        statuses.contains(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    assert!(statuses.contains(&StatusCode::OK));
    let (status, _) = client.send(Method::GET, "/healthz", None).await.unwrap();
    assert_eq!(status, StatusCode::OK);
    server.stop().await;
}

#[test]
fn openapi_lists_every_route() {
    let document: Value = serde_json::from_str(OPENAPI).unwrap();
    let paths = document["paths"].as_object().unwrap();
    let mut documented: Vec<(String, String)> = Vec::new();
    for (path, operations) in paths {
        for method in operations.as_object().unwrap().keys() {
            documented.push((method.to_uppercase(), path.clone()));
        }
    }
    documented.sort();
    let mut routed: Vec<(String, String)> = ROUTES
        .iter()
        .map(|(method, path, _)| (method.to_string(), path.replace("{*", "{")))
        .collect();
    routed.sort();
    assert_eq!(documented, routed);
    for (method, path, scope) in ROUTES {
        let operation = &paths[&path.replace("{*", "{")][method.to_lowercase()];
        let declared = operation["security"].as_array().unwrap();
        match scope {
            Some(scope) => assert_eq!(declared[0]["bearer"][0], scope.as_str(), "{method} {path}"),
            None => assert!(declared.is_empty(), "{method} {path}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purge_skips_held_payloads() {
    // A retention of 0 days makes every payload expired at once.
    let config = ServiceConfig {
        retention: nexafi_audit::retention::RetentionPolicy {
            default_days: 0,
            classes: vec![("audit.".to_owned(), 3650)],
        },
        ..ServiceConfig::default()
    };
    let server = Server::start(config, SequencerConfig::default()).await;
    let client = server.client(Some(&server.token(&["admin"]).await));
    let mut held = event_json("user:1");
    held["resource"] = json!("loan/7");
    client
        .json(Method::POST, "/v1/events", Some(&held))
        .await
        .unwrap();
    client
        .json(Method::POST, "/v1/events", Some(&event_json("user:2")))
        .await
        .unwrap();
    let hold = json!({"tenant": "acme", "resource_prefix": "loan/", "reason": "audit of loan 7"});
    client
        .json(Method::POST, "/v1/holds", Some(&hold))
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;

    // With a limit of one, the purge reads past the held payload at index 0.
    let purged = client
        .json(Method::POST, "/v1/purge", Some(&json!({"limit": 1})))
        .await
        .unwrap();
    assert_eq!(purged["erased"], json!([1]));
    assert_eq!(purged["skipped_held"], 1);

    let held_id = held["event_id"].as_str().unwrap();
    let kept = client
        .json(Method::GET, &format!("/v1/events/{held_id}"), None)
        .await
        .unwrap();
    assert_eq!(kept["erased"], false);
    let (report, _) = audit_store(server.store.as_ref(), &server.signer.verifier(), None)
        .await
        .unwrap();
    assert_eq!(report.payloads_erased, 1);
    // Entries: two events, the hold, and the purge's erasure event.
    assert_eq!(report.size, 4);
    server.stop().await;
}

/// Sends a GET request and returns the status and the JSON body.
async fn get_error(client: &AuditClient, path: &str) -> (StatusCode, Value) {
    let (status, body) = client.send(Method::GET, path, None).await.unwrap();
    let body = serde_json::from_slice(&body)
        .unwrap_or_else(|error| panic!("{path}: the body is not JSON ({error})"));
    (status, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_parameter_errors_name_field() {
    let server = Server::start(ServiceConfig::default(), SequencerConfig::default()).await;
    let client = server.client(Some(&server.token(&["admin"]).await));

    // Path, the parameter that `field` must name, and the part of the message that states
    // the fix.
    let cases = [
        (
            "/v1/events?from=yesterday",
            "from",
            "expected an RFC 3339 time, such as `from=2026-12-01T00:00:00Z`, found `yesterday`",
        ),
        (
            "/v1/events?to=2026-13-01T00:00:00Z",
            "to",
            "such as `to=2026-12-01T00:00:00Z`",
        ),
        ("/v1/events?after=last", "after", "such as `after=100`"),
        (
            "/v1/events?limit=ten",
            "limit",
            "expected an integer from 1 to 1000, such as `limit=100`, found `ten`",
        ),
        ("/v1/events?limit=0", "limit", "from 1 to 1000"),
        ("/v1/events?limit=1001", "limit", "from 1 to 1000"),
        (
            "/v1/events?tenat=acme",
            "tenat",
            "unknown query parameter `tenat`; this endpoint takes tenant, actor",
        ),
        (
            "/v1/events?actor=a&actor=b",
            "actor",
            "is given more than once; give it once",
        ),
        (
            "/v1/proof/inclusion?index=first",
            "index",
            "expected a leaf index (a non-negative integer), such as `index=0`, found `first`",
        ),
        ("/v1/proof/inclusion?index=-1", "index", "found `-1`"),
        (
            "/v1/proof/inclusion?index=0&size=abc",
            "size",
            "expected a tree size (a non-negative integer), such as `size=10`, found `abc`",
        ),
        (
            "/v1/proof/inclusion?size=10",
            "index",
            "missing query parameter `index`: add a leaf index (a non-negative integer), such as `index=0`",
        ),
        (
            "/v1/proof/inclusion",
            "index",
            "missing query parameter `index`",
        ),
        (
            "/v1/proof/consistency?from=one",
            "from",
            "expected a tree size (a non-negative integer), such as `from=10`, found `one`",
        ),
        (
            "/v1/proof/consistency?from=1&to=2.5",
            "to",
            "such as `to=20`, found `2.5`",
        ),
        (
            "/v1/proof/consistency?to=3",
            "from",
            "missing query parameter `from`: add a tree size (a non-negative integer), such as `from=10`",
        ),
        (
            "/v1/proof/consistency?from=1&size=2",
            "size",
            "this endpoint takes from, to",
        ),
    ];
    for (path, field, fix) in cases {
        let (status, body) = get_error(&client, path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert_eq!(body["error"]["code"], "invalid_request", "{path}: {body}");
        assert_eq!(body["error"]["field"], field, "{path}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(fix), "{path}: {message}");
    }

    // A long rejected value is cut in the message.
    let long = "9".repeat(100);
    let (status, body) = get_error(&client, &format!("/v1/proof/inclusion?index={long}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("found `{}...`", &long[..40])),
        "{message}"
    );

    // Valid parameters pass the checks and reach the empty log.
    for path in [
        "/v1/events?tenant=acme&from=2026-12-01T00:00:00Z&after=0&limit=5",
        "/v1/proof/inclusion?index=0&size=1",
        "/v1/proof/consistency?from=0&to=1",
    ] {
        let (status, body) = get_error(&client, path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
    }

    // With one entry in the log, a size or index beyond the tree names the parameter that
    // is too large.
    client
        .json(Method::POST, "/v1/events", Some(&event_json("user:1")))
        .await
        .unwrap();
    let cases = [
        (
            "/v1/proof/inclusion?index=1",
            "index",
            "expected a leaf index below the tree size 1, such as `index=0`, found `1`",
        ),
        (
            "/v1/proof/inclusion?index=0&size=2",
            "size",
            "expected a tree size of at most 1, the latest checkpoint, such as `size=1`, found `2`",
        ),
        (
            "/v1/proof/consistency?from=0&to=2",
            "to",
            "such as `to=1`, found `2`",
        ),
        (
            "/v1/proof/consistency?from=1&to=0",
            "from",
            "expected a tree size of at most `to`, here 0, such as `from=0`, found `1`",
        ),
    ];
    for (path, field, fix) in cases {
        let (status, body) = get_error(&client, path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert_eq!(body["error"]["field"], field, "{path}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(fix), "{path}: {message}");
    }
    for path in [
        "/v1/proof/inclusion?index=0&size=1",
        "/v1/proof/consistency?from=0&to=1",
    ] {
        let (status, body) = get_error(&client, path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
    }
    server.stop().await;
}

/// Posts `body` as is, because the client only sends well-formed JSON.
async fn post_raw(url: &str, token: &str, body: &'static str) -> (StatusCode, Value) {
    let request = hyper::Request::builder()
        .method(Method::POST)
        .uri(url)
        .header(hyper::header::AUTHORIZATION, format!("Bearer {token}"))
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .body(http_body_util::Full::new(hyper::body::Bytes::from_static(
            body.as_bytes(),
        )))
        .unwrap();
    let http = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http();
    let response = http.request(request).await.unwrap();
    let status = response.status();
    let bytes = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_states_position_once() {
    let server = Server::start(ServiceConfig::default(), SequencerConfig::default()).await;
    let token = server.token(&["admin"]).await;

    let cases = [
        (
            "/v1/events",
            "{\n  \"tenant\": \"acme\"\n  \"actor\": \"user:1\"\n}",
            "expected `,` or `}` at line 3 column 3",
        ),
        (
            "/v1/events/batch",
            "{\"events\": [",
            "EOF while parsing a list at line 1 column 12",
        ),
        (
            "/v1/holds",
            "{\"tenant\": acme}",
            "expected value at line 1 column 12",
        ),
    ];
    for (path, body, position) in cases {
        let (status, reply) = post_raw(&format!("{}{path}", server.url), &token, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {reply}");
        assert_eq!(reply["error"]["code"], "invalid_request", "{path}: {reply}");
        let message = reply["error"]["message"].as_str().unwrap();
        assert_eq!(
            message,
            format!("request body is not valid JSON: {position}"),
            "{path}"
        );
        assert_eq!(message.matches("line").count(), 1, "{message}");
        assert_eq!(message.matches("column").count(), 1, "{message}");
    }
    server.stop().await;
}

/// The small admin bodies (purge, hold, erase) name the member that has the wrong type,
/// is missing or is not expected, and nothing is written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_body_errors_name_field() {
    let server = Server::start(ServiceConfig::default(), SequencerConfig::default()).await;
    let client = server.client(Some(&server.token(&["admin"]).await));
    let event = event_json("user:1");
    client
        .json(Method::POST, "/v1/events", Some(&event))
        .await
        .unwrap();
    let erase_path = format!("/v1/events/{}/erase", event["event_id"].as_str().unwrap());
    let cases = [
        ("/v1/purge", json!({"limit": "x"}), "limit"),
        ("/v1/purge", json!({"limit": -1}), "limit"),
        ("/v1/purge", json!({"limits": 5}), "limits"),
        (
            "/v1/holds",
            json!({"tenant": 5, "reason": "audit"}),
            "tenant",
        ),
        ("/v1/holds", json!({"tenant": "acme"}), "reason"),
        (
            "/v1/holds",
            json!({"tenant": "acme", "reason": "audit", "until": 1}),
            "until",
        ),
        (erase_path.as_str(), json!({"reason": 7}), "reason"),
        (erase_path.as_str(), json!({}), "reason"),
    ];
    for (path, body, field) in cases {
        let (status, response) = client.send(Method::POST, path, Some(&body)).await.unwrap();
        let response: Value = serde_json::from_slice(&response).unwrap();
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path} {body}: {response}");
        assert_eq!(
            response["error"]["field"],
            json!(field),
            "{path} {body}: {response}"
        );
        let message = response["error"]["message"].as_str().unwrap();
        assert!(message.contains("expected {"), "{path} {body}: {message}");
    }
    let checkpoint = client
        .json(Method::GET, "/v1/checkpoint", None)
        .await
        .unwrap();
    assert_eq!(checkpoint["tree_size"], 1, "a rejected body wrote an entry");
    server.stop().await;
}
