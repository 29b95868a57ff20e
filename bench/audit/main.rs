//! Audit trail benchmark: durable appends through the sequencer on PostgreSQL beside a
//! raw batched COPY of the same rows, the query indexer's catch-up time after each
//! append run, inclusion proof generation from stored tiles at 10 million entries, and
//! full-audit speed. On request it also times the upgrade of a store from schema v2.
//!
//! Run with `bench/audit/run.sh` (it builds in release mode and passes the options).
//! Needs PostgreSQL on 127.0.0.1:5432 (trust auth, database `test`) or the server named
//! by `NEXAFI_BENCH_POSTGRES`. Every part uses a schema of its own and drops it at the
//! end. Prints one line per figure.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::pin_mut;
use nexafi_audit::event::{DEFAULT_MAX_PAYLOAD_BYTES, NewEvent, SealedEvent};
use nexafi_audit::ledger::hash::{Hash, leaf_hash};
use nexafi_audit::ledger::note::{Checkpoint, NoteSigner};
use nexafi_audit::ledger::proof::verify_inclusion;
use nexafi_audit::ledger::tiles::{TileSet, TreeState, encode_tile};
use nexafi_audit::metrics::Metrics;
use nexafi_audit::sequencer::{SequencerConfig, build_proofs, start};
use nexafi_audit::store::postgres::PostgresStore;
use nexafi_audit::store::{AuditStore, EventColumns};
use nexafi_audit::verify::{Auditor, PageEntry, PayloadCheck, audit_store};
use tokio_postgres::NoTls;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::Type;
use uuid::Uuid;

/// The allocator of the `nexafi` binary, so the figures match the service.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Returns the connection string of the server to benchmark: `NEXAFI_BENCH_POSTGRES`
/// when set (run.sh sets it for `--own-server`), else the local server's `test` database.
fn postgres() -> String {
    std::env::var("NEXAFI_BENCH_POSTGRES")
        .unwrap_or_else(|_| "host=127.0.0.1 port=5432 user=postgres dbname=test".to_owned())
}
const ORIGIN: &str = "bench.nexafi.local/audit";

struct Options {
    producers: Vec<usize>,
    seconds: u64,
    proof_size: u64,
    proofs: usize,
    audit_leaves: u64,
    /// Events in the schema-v2 store whose upgrade is timed; 0 skips that part.
    migration_events: u64,
}

fn options() -> Options {
    let mut options = Options {
        producers: vec![256, 1024, 2048, 4096],
        seconds: 10,
        proof_size: 10_000_000,
        proofs: 2000,
        audit_leaves: 1_000_000,
        migration_events: 0,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let value = args.get(i + 1).cloned().unwrap_or_default();
        match args[i].as_str() {
            "--producers" => {
                options.producers = value.split(',').filter_map(|v| v.parse().ok()).collect()
            }
            "--seconds" => options.seconds = value.parse().unwrap_or(options.seconds),
            "--proof-size" => options.proof_size = value.parse().unwrap_or(options.proof_size),
            "--proofs" => options.proofs = value.parse().unwrap_or(options.proofs),
            "--audit-leaves" => {
                options.audit_leaves = value.parse().unwrap_or(options.audit_leaves)
            }
            "--migration-events" => {
                options.migration_events = value.parse().unwrap_or(options.migration_events)
            }
            "--bench" => {
                i += 1;
                continue;
            }
            other => {
                eprintln!("unknown option {other}");
                std::process::exit(2);
            }
        }
        i += 2;
    }
    options
}

/// Builds a payment event; its leaf is about 410 bytes of canonical JSON.
///
/// The producer does what a remote client and the service's request parsing would do
/// between them: it formats the JSON body, then the event is parsed and validated from
/// that text as the HTTP handler parses a request body.
fn event(producer: usize, i: u64) -> NewEvent {
    let body = format!(
        r#"{{"tenant":"acme","event_id":"{id}","event_time":"2026-12-04T10:00:00Z","actor":"svc:payments-{actor}","action":"payment.create","resource":"payment/{producer}-{i}","outcome":"success","amount":"{units}.{cents:02}","currency":"EUR","payload":{{"reference":"INV-{producer}-{i}","channel":"sepa"}}}}"#,
        id = event_id(producer, i),
        actor = producer % 16,
        units = i % 10_000,
        cents = i % 100,
    );
    let value: serde_json::Value = match serde_json::from_str(&body) {
        Ok(value) => value,
        Err(error) => panic!("benchmark event is not JSON: {error}"),
    };
    match NewEvent::from_json(&value, DEFAULT_MAX_PAYLOAD_BYTES) {
        Ok(event) => event,
        Err(error) => panic!("benchmark event is invalid: {error}"),
    }
}

/// Makes a UUIDv7 from the current millisecond with the producer and its counter in the
/// remaining bits, so ids are unique within a run without a random draw per event.
fn event_id(producer: usize, i: u64) -> Uuid {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as u64);
    let mut tail = [0u8; 10];
    tail[..2].copy_from_slice(&(producer as u16).to_be_bytes());
    tail[2..].copy_from_slice(&i.to_be_bytes());
    uuid::Builder::from_unix_timestamp_millis(millis, &tail).into_uuid()
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank].as_secs_f64() * 1000.0
}

fn schema_name(part: &str) -> String {
    format!("audit_bench_{part}_{}", std::process::id())
}

async fn drop_schema(store: &PostgresStore) {
    if let Err(error) = store
        .execute_raw(&format!("DROP SCHEMA {} CASCADE", store.schema()))
        .await
    {
        eprintln!("dropping schema {} failed: {error}", store.schema());
    }
}

/// Figures of one append run.
struct AppendRun {
    rate: f64,
    p50_ms: f64,
    p99_ms: f64,
    average_batch: f64,
    /// Seconds from the end of the run until the query index covered every event.
    index_catch_up: f64,
}

/// Closed loop: each producer appends one event, waits for its ack, repeats. The query
/// indexer runs alongside, as in the service.
async fn sequencer_run(
    producers: usize,
    seconds: u64,
) -> (AppendRun, PostgresStore, Arc<NoteSigner>) {
    let schema = schema_name(&format!("seq{producers}"));
    let store = Arc::new(
        PostgresStore::connect(&postgres(), &schema)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL: {e}")),
    );
    let signer = Arc::new(NoteSigner::generate(ORIGIN).unwrap_or_else(|e| panic!("{e}")));
    let metrics = Arc::new(Metrics::new());
    let indexer = store
        .start_indexer(Arc::clone(&metrics))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let config = SequencerConfig {
        queue_capacity: producers * 2,
        max_batch_events: 4096,
    };
    let (handle, task) = start(
        Arc::clone(&store),
        Arc::clone(&signer),
        config,
        Arc::clone(&metrics),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for producer in 0..producers {
        let handle = handle.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut i = 0;
            while Instant::now() < deadline {
                let started = Instant::now();
                if handle.append(vec![event(producer, i)]).await.is_ok() {
                    latencies.push(started.elapsed());
                }
                i += 1;
            }
            latencies
        }));
    }
    let started = Instant::now();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.unwrap_or_default());
    }
    let elapsed = started.elapsed().as_secs_f64();
    drop(handle);
    let _ = task.await;
    let index_catch_up = wait_for_index(&store).await;
    indexer.stop().await;
    latencies.sort_unstable();
    let run = AppendRun {
        rate: latencies.len() as f64 / elapsed,
        p50_ms: percentile(&latencies, 0.5),
        p99_ms: percentile(&latencies, 0.99),
        average_batch: average_batch_size(&metrics.render()),
        index_catch_up,
    };
    let store = Arc::try_unwrap(store).unwrap_or_else(|_| panic!("store still shared"));
    (run, store, signer)
}

/// Waits until the query index covers the latest checkpoint and returns the seconds
/// that took.
async fn wait_for_index(store: &PostgresStore) -> f64 {
    let started = Instant::now();
    let size = match store.latest_checkpoint().await {
        Ok(checkpoint) => checkpoint.map_or(0, |c| c.size),
        Err(error) => panic!("{error}"),
    };
    loop {
        match store.index_watermark().await {
            Ok(watermark) if watermark >= size => return started.elapsed().as_secs_f64(),
            Ok(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            Err(error) => panic!("{error}"),
        }
    }
}

fn average_batch_size(metrics: &str) -> f64 {
    let value = |name: &str| -> f64 {
        metrics
            .lines()
            .find(|line| line.starts_with(name))
            .and_then(|line| line.split_whitespace().last())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0)
    };
    let count = value("nexafi_audit_batch_size_count");
    if count == 0.0 {
        0.0
    } else {
        value("nexafi_audit_batch_size_sum") / count
    }
}

/// Loads the same rows that a commit writes synchronously (leaf chunks, payload chunks
/// and event ids) with binary COPY, `batch` events per transaction, into a fresh schema with
/// the same tables and indexes but no sequencer, tiles, checkpoints or indexer.
async fn raw_copy(batch: usize, seconds: u64) -> f64 {
    let schema = schema_name("copy");
    let store = PostgresStore::connect(&postgres(), &schema)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut client = session(&schema).await;
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut rows: u64 = 0;
    let salt = [7u8; 16];
    let recorded = jiff::Timestamp::now();
    while Instant::now() < deadline {
        let sealed: Vec<SealedEvent> = (0..batch)
            .map(|i| event(i, rows + i as u64).seal(ORIGIN, recorded, salt))
            .collect();
        let transaction = client.transaction().await.unwrap_or_else(|e| panic!("{e}"));
        let sink = transaction
            .copy_in("COPY leaf_chunks (first_idx, leaves) FROM STDIN BINARY")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let writer = BinaryCopyInWriter::new(sink, &[Type::INT8, Type::BYTEA_ARRAY]);
        pin_mut!(writer);
        // Chunks never cross a multiple of 256, as in the store.
        let mut chunks = Vec::new();
        let mut offset = 0;
        while offset < sealed.len() {
            let first = rows + offset as u64;
            let end = (offset + (256 - first % 256) as usize).min(sealed.len());
            chunks.push((first as i64, &sealed[offset..end]));
            offset = end;
        }
        for (first, events) in &chunks {
            let leaves: Vec<&[u8]> = events.iter().map(|event| event.leaf.as_slice()).collect();
            writer
                .as_mut()
                .write(&[first, &leaves])
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
        writer.finish().await.unwrap_or_else(|e| panic!("{e}"));
        let sink = transaction
            .copy_in("COPY payload_chunks (first_idx, live, salts, payloads) FROM STDIN BINARY")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let writer = BinaryCopyInWriter::new(
            sink,
            &[Type::INT8, Type::INT4, Type::BYTEA_ARRAY, Type::TEXT_ARRAY],
        );
        pin_mut!(writer);
        for (first, events) in &chunks {
            let live = events.len() as i32;
            let salts: Vec<&[u8]> = events.iter().map(|event| &event.salt[..]).collect();
            let payloads: Vec<&str> = events.iter().map(|event| event.payload.as_str()).collect();
            writer
                .as_mut()
                .write(&[first, &live, &salts, &payloads])
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
        writer.finish().await.unwrap_or_else(|e| panic!("{e}"));
        let sink = transaction
            .copy_in("COPY event_ids (event_id, idx) FROM STDIN BINARY")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let writer = BinaryCopyInWriter::new(sink, &[Type::UUID, Type::INT8]);
        pin_mut!(writer);
        for (offset, event) in sealed.iter().enumerate() {
            let index = (rows + offset as u64) as i64;
            let Some(c) = EventColumns::from_envelope(&event.envelope) else {
                continue;
            };
            writer
                .as_mut()
                .write(&[&c.event_id, &index])
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
        writer.finish().await.unwrap_or_else(|e| panic!("{e}"));
        transaction.commit().await.unwrap_or_else(|e| panic!("{e}"));
        rows += batch as u64;
    }
    let rate = rows as f64 / started.elapsed().as_secs_f64();
    drop_schema(&store).await;
    rate
}

/// Stores the tiles of a tree of `size` synthetic leaves and times inclusion proofs built
/// from them, each with its own tile query, as the API does.
async fn proofs_at(size: u64, count: usize) -> (f64, f64, f64, f64) {
    let schema = schema_name("proof");
    let store = PostgresStore::connect(&postgres(), &schema)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let client = session(&schema).await;

    let load_started = Instant::now();
    let mut state = TreeState::default();
    let chunk: u64 = 1 << 20;
    let mut done = 0;
    while done < size {
        let end = (done + chunk).min(size);
        let leaves: Vec<Hash> = (done..end).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let updates = state.append(&leaves);
        let mut levels: Vec<i16> = Vec::new();
        let mut indexes: Vec<i64> = Vec::new();
        let mut bodies: Vec<Vec<u8>> = Vec::new();
        for update in updates.iter().filter(|u| u.is_full()) {
            levels.push(i16::from(update.level));
            indexes.push(update.index as i64);
            bodies.push(encode_tile(&update.hashes));
        }
        for start in (0..levels.len()).step_by(1000) {
            let stop = (start + 1000).min(levels.len());
            client
                .execute(
                    "INSERT INTO tiles (level, idx, hashes) SELECT * FROM unnest($1::int2[], $2::int8[], $3::bytea[])",
                    &[&levels[start..stop].to_vec(), &indexes[start..stop].to_vec(), &bodies[start..stop].to_vec()],
                )
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
        done = end;
    }
    for (level, hashes) in state.partial_tiles().iter().enumerate() {
        let index = (nexafi_audit::ledger::tiles::entries_at_level(size, level as u8) / 256) as i64;
        client
            .execute(
                "INSERT INTO partial_tiles (level, idx, hashes) VALUES ($1, $2, $3)",
                &[&(level as i16), &index, &encode_tile(hashes)],
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let load_seconds = load_started.elapsed().as_secs_f64();
    let root = state.root();

    let mut latencies = Vec::with_capacity(count);
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..count {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let index = seed % size;
        let started = Instant::now();
        let proofs = build_proofs(&store, TileSet::default(), &[index], size)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        latencies.push(started.elapsed());
        let proof = &proofs[&index];
        if verify_inclusion(index, size, &leaf_hash(&index.to_be_bytes()), proof, &root).is_err() {
            panic!("proof for {index} does not verify");
        }
    }
    latencies.sort_unstable();
    drop_schema(&store).await;
    (
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        load_seconds,
        size as f64 / load_seconds,
    )
}

/// Full audit in memory: every leaf decoded and checked (canonical form, origin, payload
/// commitment) on all cores, then the tree re-derived. Also times the re-derivation
/// alone (leaf hashing and tree building from the raw leaf bytes).
fn audit_cpu(leaves: u64) -> (f64, f64) {
    let recorded = jiff::Timestamp::now();
    let sealed: Vec<SealedEvent> = (0..leaves)
        .map(|i| event((i % 64) as usize, i).seal(ORIGIN, recorded, [1u8; 16]))
        .collect();

    let started = Instant::now();
    let mut auditor = Auditor::new(ORIGIN, None, false);
    for (page_number, page) in sealed.chunks(10_000).enumerate() {
        let entries: Vec<PageEntry<'_>> = page
            .iter()
            .enumerate()
            .map(|(offset, event)| PageEntry {
                index: (page_number * 10_000 + offset) as u64,
                leaf: &event.leaf,
                columns: None,
                payload: PayloadCheck::Present {
                    salt: &event.salt,
                    payload: &event.payload,
                },
            })
            .collect();
        if let Err(failure) = auditor.push_page(&entries) {
            panic!("{failure}");
        }
    }
    let _ = auditor.partial_tiles();
    let checked_rate = leaves as f64 / started.elapsed().as_secs_f64();

    let started = Instant::now();
    let mut state = TreeState::default();
    for page in sealed.chunks(10_000) {
        let hashes: Vec<Hash> = page.iter().map(|event| leaf_hash(&event.leaf)).collect();
        state.append(&hashes);
    }
    let _ = state.root();
    let rederive_rate = leaves as f64 / started.elapsed().as_secs_f64();
    (checked_rate, rederive_rate)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let options = options();
    println!(
        "audit benchmark: {} s per append run, producers {:?}",
        options.seconds, options.producers
    );
    let mut last: Option<(PostgresStore, Arc<NoteSigner>, f64)> = None;
    for producers in &options.producers {
        // Drop the previous run's log first, so the server's background work on it
        // (autovacuum, writing its dirty pages) does not slow this run down.
        if let Some((old, _, _)) = last.take() {
            drop_schema(&old).await;
        }
        let (run, store, signer) = sequencer_run(*producers, options.seconds).await;
        println!(
            "sequencer  producers={producers:5}  events/s={:9.0}  p50_ms={:6.1}  p99_ms={:6.1}  avg_batch={:6.0}  index_catch_up_s={:5.2}",
            run.rate, run.p50_ms, run.p99_ms, run.average_batch, run.index_catch_up
        );
        last = Some((store, signer, run.average_batch));
    }
    if let Some((store, signer, batch)) = last {
        let batch_rows = batch.round().max(1.0) as usize;
        let copy_rate = raw_copy(batch_rows, options.seconds).await;
        println!("raw COPY   rows/batch={batch_rows:5}  rows/s={copy_rate:9.0}");
        let started = Instant::now();
        match audit_store(&store, &signer.verifier(), None).await {
            Ok((report, _)) => {
                let seconds = started.elapsed().as_secs_f64();
                println!(
                    "full audit from PostgreSQL  leaves={}  leaves/s={:9.0}",
                    report.size,
                    report.size as f64 / seconds
                );
            }
            Err(failure) => println!("full audit from PostgreSQL FAILED: {failure}"),
        }
        if let Some(stored) = store.latest_checkpoint().await.ok().flatten() {
            let _ = Checkpoint::open(&stored.note, &signer.verifier())
                .map(|c| println!("log size after the runs: {}", c.size));
        }
        drop_schema(&store).await;
    }
    let (checked, rederived) = audit_cpu(options.audit_leaves);
    println!(
        "full audit in memory  leaves={}  checked leaves/s={checked:9.0}  re-derivation only leaves/s={rederived:9.0}",
        options.audit_leaves
    );
    let (p50, p99, load, load_rate) = proofs_at(options.proof_size, options.proofs).await;
    println!(
        "inclusion proof from PostgreSQL tiles  size={}  proofs={}  p50_ms={p50:.3}  p99_ms={p99:.3}  (tiles loaded in {load:.1} s, {load_rate:.0} leaves/s)",
        options.proof_size, options.proofs
    );
    if options.migration_events > 0 {
        let events = options.migration_events;
        let seconds = migration(events).await;
        println!(
            "upgrade of a schema-v2 store  events={events}  seconds={seconds:.1}  events/s={:9.0}",
            events as f64 / seconds
        );
    }
}

/// Opens a connection of its own with `schema` as its search path.
async fn session(schema: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(&postgres(), NoTls)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    tokio::spawn(connection);
    client
        .batch_execute(&format!("SET search_path TO {schema}"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    client
}

/// Times the migrations from schema v2 (one `events` row and one `payloads` row per
/// event) to the current schema, on a store of `events` synthetic events that the
/// server generates. Leaves of about 410 bytes and payloads of about 45, as in the
/// append runs; every 100th payload is erased. The migrations copy the rows without
/// decoding them, so the synthetic leaves need not be valid.
async fn migration(events: u64) -> f64 {
    let schema = schema_name("migrate");
    PostgresStore::create_at_version(&postgres(), &schema, 2)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let client = session(&schema).await;
    let last = events as i64 - 1;
    client
        .batch_execute(&format!(
            "INSERT INTO events (idx, event_id, tenant, event_time_us, recorded_time_us, actor, \
                                 action, resource, outcome, amount, currency, leaf) \
             SELECT i, gen_random_uuid(), 'acme', 1796378400000000 + i, 1796378400000000 + i, \
                    'svc:payments-' || (i % 16), 'payment.create', 'payment/' || i, 'success', \
                    (i % 1000) || '.00', 'EUR', convert_to(rpad('leaf ' || i, 410, '.'), 'UTF8') \
             FROM generate_series(0, {last}) AS i; \
             INSERT INTO payloads (idx, salt, payload) \
             SELECT i, decode(md5(i::text), 'hex'), \
                    '{{\"channel\":\"sepa\",\"reference\":\"INV-' || i || '\"}}' \
             FROM generate_series(0, {last}) AS i WHERE i % 100 <> 7; \
             ANALYZE events; ANALYZE payloads; CHECKPOINT;"
        ))
        .await
        .unwrap_or_else(|e| panic!("filling the schema-v2 store: {e}"));
    let started = Instant::now();
    let store = PostgresStore::connect(&postgres(), &schema)
        .await
        .unwrap_or_else(|e| panic!("upgrading the schema-v2 store: {e}"));
    let seconds = started.elapsed().as_secs_f64();
    drop_schema(&store).await;
    seconds
}
