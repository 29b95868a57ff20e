//! `nexafi audit` as a user runs it: the real binary serving on 127.0.0.1, the client
//! commands against it, offline bundle checks, and a kill -9 during sustained appends.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nexafi_audit::client::{AuditClient, Method};
use nexafi_audit::store::AuditStore;
use nexafi_audit::store::postgres::PostgresStore;
use nexafi_audit::store::sqlite::SqliteStore;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const POSTGRES: &str = "host=127.0.0.1 port=5432 user=postgres dbname=test";

fn nexafi() -> Command {
    Command::new(env!("CARGO_BIN_EXE_nexafi"))
}

fn run_ok(command: &mut Command) -> String {
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{command:?} failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// A running `nexafi audit serve`; its standard error is kept for inspection.
struct Served {
    child: Child,
    url: String,
    log_key: String,
    stderr: Arc<Mutex<String>>,
}

fn serve(dir: &Path, db: &str, schema: &str) -> Served {
    serve_with(dir, db, schema, &[])
}

fn serve_with(dir: &Path, db: &str, schema: &str, extra: &[&str]) -> Served {
    let mut child = nexafi()
        .current_dir(dir)
        .args([
            "-vv",
            "audit",
            "serve",
            "--db",
            db,
            "--schema",
            schema,
            "--listen",
            "127.0.0.1:0",
        ])
        .args(extra)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let log = Arc::new(Mutex::new(String::new()));
    let (sender, receiver) = std::sync::mpsc::channel();
    let sink = Arc::clone(&log);
    std::thread::spawn(move || {
        let mut sent = false;
        let mut key = String::new();
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if let Some(rest) = line.strip_prefix("log key: ") {
                key = rest.to_owned();
            }
            if let Some(url) = line.strip_prefix("listening on ")
                && !sent
            {
                let _ = sender.send((url.to_owned(), key.clone()));
                sent = true;
            }
            sink.lock().unwrap().push_str(&format!("{line}\n"));
        }
    });
    let (url, log_key) = receiver
        .recv_timeout(Duration::from_secs(30))
        .unwrap_or_else(|_| panic!("the server did not start: {}", log.lock().unwrap()));
    Served {
        child,
        url,
        log_key,
        stderr: log,
    }
}

fn token(dir: &Path, db: &str, schema: &str, scopes: &str) -> String {
    run_ok(nexafi().current_dir(dir).args([
        "audit", "token", "create", "--db", db, "--schema", schema, "--name", "ci", "--scope",
        scopes,
    ]))
    .trim()
    .to_owned()
}

fn event(i: u64) -> Value {
    json!({
        "tenant": "acme",
        "actor": format!("user:{}", i % 7),
        "action": "payment.create",
        "resource": format!("payment/{i}"),
        "outcome": "success",
        "amount": format!("{}.25", i + 1),
        "currency": "GBP",
        "payload": {"reference": format!("INV-{i}")}
    })
}

#[test]
fn serve_append_verify_export() {
    let dir = tempfile::tempdir().unwrap();
    let db = "sqlite:audit.db";
    let secret = token(dir.path(), db, "unused", "admin");
    let mut server = serve(dir.path(), db, "unused");
    std::fs::write(dir.path().join("log.pub"), &server.log_key).unwrap();

    let events: Vec<Value> = (0..300).map(event).collect();
    std::fs::write(
        dir.path().join("events.json"),
        serde_json::to_vec(&events).unwrap(),
    )
    .unwrap();
    let out = run_ok(
        nexafi()
            .current_dir(dir.path())
            .env("NEXAFI_AUDIT_TOKEN", &secret)
            .args([
                "audit",
                "append",
                "--url",
                &server.url,
                "--log-key",
                "log.pub",
                "events.json",
            ]),
    );
    let answer: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(answer["acks"].as_array().unwrap().len(), 300);

    let verified = run_ok(
        nexafi()
            .current_dir(dir.path())
            .env("NEXAFI_AUDIT_TOKEN", &secret)
            .args([
                "audit",
                "verify",
                "--url",
                &server.url,
                "--log-key",
                "log.pub",
                "--state",
                "remote.trusted",
            ]),
    );
    assert!(verified.contains("verified 300 entries"), "{verified}");
    let proved = run_ok(
        nexafi()
            .current_dir(dir.path())
            .env("NEXAFI_AUDIT_TOKEN", &secret)
            .args([
                "audit",
                "proof",
                "--url",
                &server.url,
                "--log-key",
                "log.pub",
                "--index",
                "42",
            ]),
    );
    assert!(
        proved.contains("entry 42 is in the log of size 300"),
        "{proved}"
    );

    // Without a token the client gets the service's 401 message and exit status 2.
    let output = nexafi()
        .current_dir(dir.path())
        .env_remove("NEXAFI_AUDIT_TOKEN")
        .args(["audit", "append", "--url", &server.url, "events.json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("401"));

    // Administration: a held payload cannot be erased until the hold is released.
    let admin = |args: &[&str]| {
        nexafi()
            .current_dir(dir.path())
            .env("NEXAFI_AUDIT_TOKEN", &secret)
            .args(["audit"])
            .args(args)
            .args(["--url", &server.url])
            .output()
            .unwrap()
    };
    let target = answer["acks"][0]["event_id"].as_str().unwrap().to_owned();
    let added = admin(&[
        "hold",
        "add",
        "--tenant",
        "acme",
        "--resource-prefix",
        "payment/0",
        "--reason",
        "case 12",
    ]);
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let hold: Value = serde_json::from_slice(&added.stdout).unwrap();
    let refused = admin(&["erase", "--event-id", &target, "--reason", "GDPR request"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("legal hold"));
    let id = hold["id"].to_string();
    assert!(admin(&["hold", "release", &id]).status.success());
    let erased = admin(&["erase", "--event-id", &target, "--reason", "GDPR request"]);
    assert!(
        erased.status.success(),
        "{}",
        String::from_utf8_lossy(&erased.stderr)
    );
    let purged = admin(&["purge", "--limit", "10"]);
    assert!(
        purged.status.success(),
        "{}",
        String::from_utf8_lossy(&purged.stderr)
    );

    server.child.kill().unwrap();
    server.child.wait().unwrap();
    let log = server.stderr.lock().unwrap().clone();
    assert!(
        !log.contains(&secret),
        "the token appeared in the server log"
    );
    assert!(
        !log.contains(&secret[4..20]),
        "part of the token appeared in the server log"
    );

    // Offline: the store audit, a trusted checkpoint, and a bundle.
    let verified = run_ok(nexafi().current_dir(dir.path()).args([
        "audit",
        "verify",
        "--db",
        db,
        "--log-key",
        "log.pub",
    ]));
    assert!(
        verified.contains("302 payloads checked, 1 erased"),
        "{verified}"
    );
    run_ok(nexafi().current_dir(dir.path()).args([
        "audit",
        "export",
        "--db",
        db,
        "--log-key",
        "log.pub",
        "--out",
        "bundle",
    ]));
    let checked = run_ok(nexafi().current_dir(dir.path()).args([
        "audit",
        "verify-bundle",
        "bundle",
        "--log-key",
        "log.pub",
    ]));
    assert!(
        checked.contains("bundle verified: 303 entries"),
        "{checked}"
    );

    // A bundle with one entry changed (and its manifest digest updated) fails with 1.
    let entries = dir.path().join("bundle/entries.jsonl");
    let text = std::fs::read_to_string(&entries).unwrap();
    std::fs::write(&entries, text.replacen("payment/5\\\"", "payment/6\\\"", 1)).unwrap();
    let manifest_path = dir.path().join("bundle/manifest.json");
    let mut manifest: Value =
        serde_json::from_slice(&std::fs::read(&manifest_path).unwrap()).unwrap();
    let digest =
        nexafi_audit::ledger::hash::to_hex(&Sha256::digest(std::fs::read(&entries).unwrap()));
    manifest["files"]["entries.jsonl"] = json!(digest);
    std::fs::write(&manifest_path, serde_json::to_vec(&manifest).unwrap()).unwrap();
    let output = nexafi()
        .current_dir(dir.path())
        .args(["audit", "verify-bundle", "bundle", "--log-key", "log.pub"])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    // A rewritten history is caught against the trusted checkpoint kept by verify.
    rewrite_leaf(dir.path());
    let output = nexafi()
        .current_dir(dir.path())
        .args(["audit", "verify", "--db", db, "--log-key", "log.pub"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("verification failed"));
}

/// Changes a stored leaf behind the service's back, as a database administrator could.
fn rewrite_leaf(dir: &Path) {
    let connection = rusqlite::Connection::open(dir.join("audit.db")).unwrap();
    connection
        .execute_batch(
            "DROP TRIGGER events_no_update; \
             UPDATE events SET leaf = CAST(replace(CAST(leaf AS TEXT), 'payment/3\"', 'payment/4\"') AS BLOB) WHERE idx = 3;",
        )
        .unwrap();
    assert_eq!(connection.changes(), 1);
}

/// Appends from several threads until the server is killed with SIGKILL, then restarts
/// it and checks that every acknowledged event is stored at its index.
fn crash_loses_no_acknowledged_event(db: &str, schema: &str) {
    let dir = tempfile::tempdir().unwrap();
    let secret = token(dir.path(), db, schema, "append");
    let mut server = serve(dir.path(), db, schema);
    let acked: Arc<Mutex<Vec<(u64, String)>>> = Arc::new(Mutex::new(Vec::new()));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let stop_at = Instant::now() + Duration::from_millis(1500);
    let producers: Vec<_> = (0..16u64)
        .map(|producer| {
            let client = AuditClient::new(&server.url, Some(secret.clone())).unwrap();
            let acked = Arc::clone(&acked);
            runtime.spawn(async move {
                // Bounded: stops at the first error (the kill) or after 20,000 requests.
                for i in 0..20_000u64 {
                    let mut body = event(producer * 100_000 + i);
                    nexafi_audit::event::fill_client_defaults(&mut body);
                    match client.json(Method::POST, "/v1/events", Some(&body)).await {
                        Ok(ack) => acked.lock().unwrap().push((
                            ack["index"].as_u64().unwrap(),
                            ack["event_id"].as_str().unwrap().to_owned(),
                        )),
                        Err(_) => break,
                    }
                }
            })
        })
        .collect();
    while Instant::now() < stop_at {
        std::thread::sleep(Duration::from_millis(50));
    }
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    runtime.block_on(async {
        for producer in producers {
            let _ = producer.await;
        }
    });
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() > 50,
        "too few appends before the kill: {}",
        acked.len()
    );

    // Restart on the same store: it must come up and pass the full audit.
    let mut restarted = serve(dir.path(), db, schema);
    restarted.child.kill().unwrap();
    restarted.child.wait().unwrap();
    std::fs::write(dir.path().join("log.pub"), &restarted.log_key).unwrap();
    run_ok(nexafi().current_dir(dir.path()).args([
        "audit",
        "verify",
        "--db",
        db,
        "--schema",
        schema,
        "--log-key",
        "log.pub",
    ]));

    runtime.block_on(async {
        let stored = match db.strip_prefix("sqlite:") {
            Some(path) => {
                let store = SqliteStore::open(&dir.path().join(path)).unwrap();
                lookup(&store, &acked).await
            }
            None => {
                let store = PostgresStore::connect(POSTGRES, schema).await.unwrap();
                let found = lookup(&store, &acked).await;
                store
                    .execute_raw(&format!("DROP SCHEMA {schema} CASCADE"))
                    .await
                    .unwrap();
                found
            }
        };
        assert_eq!(stored, acked.len());
    });
}

async fn lookup<S: AuditStore>(store: &S, acked: &[(u64, String)]) -> usize {
    let mut found = 0;
    for (index, event_id) in acked {
        let event = store
            .event_by_index(*index)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("acknowledged entry {index} is missing"));
        assert_eq!(
            &event.columns.event_id.to_string(),
            event_id,
            "entry {index}"
        );
        found += 1;
    }
    found
}

#[test]
fn sqlite_crash_loses_no_acknowledged_event() {
    crash_loses_no_acknowledged_event("sqlite:audit.db", "unused");
}

#[test]
fn postgres_crash_loses_no_acknowledged_event() {
    let schema = format!("audit_crash_{}", std::process::id());
    crash_loses_no_acknowledged_event(&format!("postgres:{POSTGRES}"), &schema);
}

#[test]
fn serve_over_tls() {
    let dir = tempfile::tempdir().unwrap();
    let generated = Command::new("openssl")
        .current_dir(dir.path())
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            "key.pem",
            "-out",
            "cert.pem",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ])
        .output()
        .expect(
            "the openssl command is needed to make a test certificate (apt-get install openssl)",
        );
    assert!(
        generated.status.success(),
        "{}",
        String::from_utf8_lossy(&generated.stderr)
    );

    let mut server = serve_with(
        dir.path(),
        "sqlite:audit.db",
        "unused",
        &["--tls-cert", "cert.pem", "--tls-key", "key.pem"],
    );
    assert!(
        server.url.starts_with("https://127.0.0.1:"),
        "{}",
        server.url
    );
    let fetched = Command::new("curl")
        .current_dir(dir.path())
        .args([
            "--silent",
            "--show-error",
            "--max-time",
            "10",
            "--cacert",
            "cert.pem",
        ])
        .arg(format!("{}/healthz", server.url))
        .output()
        .expect("the curl command is needed for this test (apt-get install curl)");
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    assert!(
        fetched.status.success(),
        "{}",
        String::from_utf8_lossy(&fetched.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&fetched.stdout), "ok\n");
}
