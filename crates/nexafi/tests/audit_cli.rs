//! `nexafi audit` as a user runs it: the real binary serving on 127.0.0.1, the client
//! commands against it, offline bundle checks, and rounds of kill -9 during sustained
//! appends.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use nexafi_audit::client::{AuditClient, ClientError, Method};
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

/// Producers appending during each crash round.
const CRASH_PRODUCERS: u64 = 16;

/// Windows, in milliseconds after the producers start, in which the kills of the crash
/// rounds fall: a short, a middle and a long run on the same store.
// NOTE: the windows are short because `audit verify` checks the signature of every stored
// checkpoint, one per commit. A debug build on 2 shared cores took about 10 ms per
// signature and committed about 250 times a second under this load. So each second of
// load adds about 2.5 s of verification.
const KILL_WINDOWS_MS: [(u64, u64); 3] = [(300, 900), (900, 1_500), (1_500, 2_100)];

/// Fewest acknowledged appends a crash round must reach before its kill.
const MIN_APPENDS_PER_ROUND: usize = 50;

/// One producer's state across the crash rounds.
struct Producer {
    id: u64,
    /// Sequence number of the producer's next new event.
    next: u64,
    /// The event whose request the last kill cut off. The producer sends it again, with
    /// the same event id and body, first thing after the restart.
    cut_off: Option<Value>,
}

/// Acknowledgement of an event sent again after a kill cut off its first request.
#[derive(Debug)]
struct Retried {
    event_id: String,
    index: u64,
    duplicate: bool,
}

/// What one producer got acknowledged in one crash round.
#[derive(Default)]
struct ProducerRound {
    acked: Vec<(u64, String)>,
    retried: Option<Retried>,
}

/// Picks the moment of each round's kill from its window. The seed comes from
/// NEXAFI_CRASH_SEED when it is set, else from the clock. The test prints it, so a failing
/// schedule can be run again, although the requests in flight at each kill still vary.
fn kill_schedule(label: &str) -> Vec<Duration> {
    let seed = match std::env::var("NEXAFI_CRASH_SEED") {
        Ok(text) => text
            .parse()
            .expect("NEXAFI_CRASH_SEED must be an unsigned 64-bit integer"),
        Err(_) => SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64,
    };
    let mut state = seed;
    let schedule: Vec<Duration> = KILL_WINDOWS_MS
        .iter()
        .map(|(start, end)| Duration::from_millis(start + splitmix64(&mut state) % (end - start)))
        .collect();
    eprintln!(
        "{label} crash rounds: seed {seed} (NEXAFI_CRASH_SEED={seed} repeats the schedule), kills at {schedule:?}"
    );
    schedule
}

/// Advances a SplitMix64 generator and returns its next output.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Sends one event. Returns None when the request failed in transport, as every request
/// in flight does when the server is killed. A response with an error status fails the
/// test, because neither a new event nor a retried one may be rejected.
async fn append_event(client: &AuditClient, body: &Value) -> Option<Value> {
    match client.json(Method::POST, "/v1/events", Some(body)).await {
        Ok(ack) => Some(ack),
        Err(error @ (ClientError::Status { .. } | ClientError::BadBody { .. })) => {
            panic!("append of event {} failed: {error}", body["event_id"])
        }
        Err(_) => None,
    }
}

/// Sends the producer's cut-off event again, if it has one, and returns its
/// acknowledgement. The event stays cut off when this request fails too.
async fn resend_cut_off(client: &AuditClient, producer: &mut Producer) -> Option<Retried> {
    let body = producer.cut_off.take()?;
    match append_event(client, &body).await {
        Some(ack) => Some(Retried {
            event_id: ack["event_id"].as_str().unwrap().to_owned(),
            index: ack["index"].as_u64().unwrap(),
            duplicate: ack["duplicate"].as_bool().unwrap(),
        }),
        None => {
            producer.cut_off = Some(body);
            None
        }
    }
}

/// Sends the cut-off event again, then new events until a request fails (the kill). The
/// event of the failed request becomes the producer's cut-off event.
async fn produce(client: AuditClient, mut producer: Producer) -> (Producer, ProducerRound) {
    let mut round = ProducerRound {
        retried: resend_cut_off(&client, &mut producer).await,
        ..ProducerRound::default()
    };
    if producer.cut_off.is_some() {
        return (producer, round);
    }
    // Bounded: stops at the first failed request or after 20,000 requests.
    for _ in 0..20_000 {
        let mut body = event(producer.id * 1_000_000 + producer.next);
        producer.next += 1;
        nexafi_audit::event::fill_client_defaults(&mut body);
        match append_event(&client, &body).await {
            Some(ack) => round.acked.push((
                ack["index"].as_u64().unwrap(),
                ack["event_id"].as_str().unwrap().to_owned(),
            )),
            None => {
                producer.cut_off = Some(body);
                break;
            }
        }
    }
    (producer, round)
}

/// Checks the acknowledgement of a retried event against the store as it was before the
/// restart. An event stored then must come back as a duplicate with its stored index, and
/// an event not stored then must get a new index past the entries stored then.
fn check_retried(phase: &str, retried: &Retried, stored_at: Option<u64>, size_at_restart: u64) {
    let id = &retried.event_id;
    match stored_at {
        Some(index) => {
            assert!(
                retried.duplicate,
                "{phase}: event {id} was stored at {index} before the restart, but its retry was appended again: {retried:?}"
            );
            assert_eq!(
                retried.index, index,
                "{phase}: retry of event {id} returned another index than the stored one"
            );
        }
        None => {
            assert!(
                !retried.duplicate,
                "{phase}: event {id} was not stored before the restart, but its retry was called a duplicate: {retried:?}"
            );
            assert!(
                retried.index >= size_at_restart,
                "{phase}: event {id} was not stored before the restart, but its retry got index {} of the {size_at_restart} entries stored then",
                retried.index
            );
        }
    }
}

/// Reads, while the server is stopped, the tree size and the index stored for each of
/// these event ids.
async fn stored_indexes<S: AuditStore>(
    store: &S,
    event_ids: &[String],
) -> (u64, HashMap<String, u64>) {
    let (state, _) = store.load().await.unwrap();
    let ids: Vec<_> = event_ids.iter().map(|id| id.parse().unwrap()).collect();
    let found = store.event_indexes(&ids).await.unwrap();
    let found = found
        .into_iter()
        .map(|(id, index)| (id.to_string(), index))
        .collect();
    (state.size(), found)
}

/// Reads the whole log through the store and checks that it contains every acknowledged
/// (index, event id) and no event id twice. Returns the number of entries.
async fn check_log<S: AuditStore>(store: &S, acked: &[(u64, String)]) -> u64 {
    let (state, _) = store.load().await.unwrap();
    let size = state.size();
    let mut ids_by_index: Vec<String> = Vec::with_capacity(size as usize);
    let mut start = 0;
    while start < size {
        let end = (start + 1_000).min(size);
        let page = store.entries(start, end).await.unwrap();
        assert_eq!(page.len() as u64, end - start, "entries {start}..{end}");
        for event in page {
            assert_eq!(
                event.index,
                ids_by_index.len() as u64,
                "entries out of index order"
            );
            ids_by_index.push(event.columns.event_id.to_string());
        }
        start = end;
    }

    let mut indexes_by_id: HashMap<&str, Vec<usize>> = HashMap::new();
    for (index, id) in ids_by_index.iter().enumerate() {
        indexes_by_id.entry(id).or_default().push(index);
    }
    let repeated: Vec<_> = indexes_by_id
        .iter()
        .filter(|(_, indexes)| indexes.len() > 1)
        .collect();
    assert!(
        repeated.is_empty(),
        "event ids stored more than once (id, indexes): {repeated:?}"
    );

    for (index, event_id) in acked {
        let stored = ids_by_index.get(*index as usize).unwrap_or_else(|| {
            panic!(
                "acknowledged entry {index} ({event_id}) is missing from the log of {size} entries"
            )
        });
        assert_eq!(stored, event_id, "entry {index}");
    }
    size
}

/// Runs crash rounds on one store: each round starts the server, appends from several
/// producers and kills the server with SIGKILL at a varied moment. A final restart sends
/// the last cut-off events again. Then the store must pass `nexafi audit verify` and hold
/// every acknowledged event at its index, each event id once.
fn crash_loses_no_acknowledged_event(db: &str, schema: &str) {
    let label = db.split(':').next().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let secret = token(dir.path(), db, schema, "append");
    let schedule = kill_schedule(label);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let read_store = |event_ids: &[String]| {
        runtime.block_on(async {
            match db.strip_prefix("sqlite:") {
                Some(path) => {
                    let store = SqliteStore::open(&dir.path().join(path)).unwrap();
                    stored_indexes(&store, event_ids).await
                }
                None => {
                    let store = PostgresStore::connect(POSTGRES, schema).await.unwrap();
                    stored_indexes(&store, event_ids).await
                }
            }
        })
    };

    let mut producers: Vec<Producer> = (0..CRASH_PRODUCERS)
        .map(|id| Producer {
            id,
            next: 0,
            cut_off: None,
        })
        .collect();
    let mut acked: Vec<(u64, String)> = Vec::new();
    let mut retries = 0;
    let mut retried_duplicates = 0;
    let mut log_key: Option<String> = None;
    // Tree size after the last kill, and the index of each cut-off event stored by then.
    let mut size_at_restart = 0;
    let mut cut_off_stored: HashMap<String, u64> = HashMap::new();

    for (round, kill_after) in schedule.iter().enumerate() {
        let mut server = serve(dir.path(), db, schema);
        let key = log_key.get_or_insert_with(|| server.log_key.clone());
        assert_eq!(
            &server.log_key, key,
            "round {round}: the log key changed on restart"
        );
        let started = Instant::now();
        let tasks: Vec<_> = producers
            .drain(..)
            .map(|producer| {
                let client = AuditClient::new(&server.url, Some(secret.clone())).unwrap();
                runtime.spawn(produce(client, producer))
            })
            .collect();
        std::thread::sleep(kill_after.saturating_sub(started.elapsed()));
        server.child.kill().unwrap();
        server.child.wait().unwrap();
        let finished: Vec<(Producer, ProducerRound)> = runtime.block_on(async {
            let mut finished = Vec::new();
            for task in tasks {
                finished.push(task.await.unwrap());
            }
            finished
        });

        let phase = format!("round {round} (kill at {kill_after:?})");
        let mut round_acks = 0;
        for (producer, outcome) in finished {
            if let Some(retried) = &outcome.retried {
                check_retried(
                    &phase,
                    retried,
                    cut_off_stored.get(&retried.event_id).copied(),
                    size_at_restart,
                );
                retries += 1;
                retried_duplicates += usize::from(retried.duplicate);
                acked.push((retried.index, retried.event_id.clone()));
            }
            round_acks += outcome.acked.len();
            acked.extend(outcome.acked);
            producers.push(producer);
        }
        assert!(
            round_acks >= MIN_APPENDS_PER_ROUND,
            "{phase}: too few appends before the kill: {round_acks}"
        );

        let cut_off_ids: Vec<String> = producers
            .iter()
            .filter_map(|producer| producer.cut_off.as_ref())
            .map(|body| body["event_id"].as_str().unwrap().to_owned())
            .collect();
        let (size, stored) = read_store(&cut_off_ids);
        assert!(
            size > size_at_restart,
            "{phase}: the log did not grow: {size_at_restart} entries before, {size} after"
        );
        eprintln!(
            "{label} {phase}: {round_acks} new events acknowledged, log of {size} entries, {} of {} cut-off events stored",
            stored.len(),
            cut_off_ids.len()
        );
        size_at_restart = size;
        cut_off_stored = stored;
    }

    // The final restart: the producers send their last cut-off events again, without load.
    let mut restarted = serve(dir.path(), db, schema);
    assert_eq!(
        Some(&restarted.log_key),
        log_key.as_ref(),
        "the log key changed on the final restart"
    );
    let client = AuditClient::new(&restarted.url, Some(secret.clone())).unwrap();
    for producer in &mut producers {
        if producer.cut_off.is_none() {
            continue;
        }
        let retried = runtime
            .block_on(resend_cut_off(&client, producer))
            .expect("a retry after the final restart failed in transport");
        check_retried(
            "final restart",
            &retried,
            cut_off_stored.get(&retried.event_id).copied(),
            size_at_restart,
        );
        retries += 1;
        retried_duplicates += usize::from(retried.duplicate);
        acked.push((retried.index, retried.event_id));
    }
    restarted.child.kill().unwrap();
    restarted.child.wait().unwrap();
    eprintln!(
        "{label}: {} acknowledgements, {retries} of them retries of cut-off events ({retried_duplicates} duplicates)",
        acked.len()
    );
    assert!(
        retries >= CRASH_PRODUCERS as usize,
        "too few cut-off events were sent again: {retries}"
    );
    let distinct: HashSet<&str> = acked.iter().map(|(_, id)| id.as_str()).collect();
    assert_eq!(
        distinct.len(),
        acked.len(),
        "an event id was acknowledged twice, so the producers did not send new events"
    );

    // The store must pass the full audit and hold every acknowledged event once.
    std::fs::write(dir.path().join("log.pub"), log_key.unwrap()).unwrap();
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
    let size = runtime.block_on(async {
        match db.strip_prefix("sqlite:") {
            Some(path) => {
                let store = SqliteStore::open(&dir.path().join(path)).unwrap();
                check_log(&store, &acked).await
            }
            None => {
                let store = PostgresStore::connect(POSTGRES, schema).await.unwrap();
                let size = check_log(&store, &acked).await;
                store
                    .execute_raw(&format!("DROP SCHEMA {schema} CASCADE"))
                    .await
                    .unwrap();
                size
            }
        }
    });
    assert!(
        size >= size_at_restart,
        "the log shrank after the final restart: {size_at_restart} entries before, {size} after"
    );
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
