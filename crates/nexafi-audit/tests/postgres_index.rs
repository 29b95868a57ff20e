//! The asynchronous query index of the PostgreSQL store. Queries return the same events
//! whatever the indexer's progress, and two indexers on one schema index each event
//! once. A store written under schema v2 (one `events` row per event) upgrades to
//! chunks. SQLite, which indexes synchronously, is the reference for query results.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use nexafi_audit::event::{DEFAULT_MAX_PAYLOAD_BYTES, NewEvent};
use nexafi_audit::metrics::Metrics;
use nexafi_audit::retention::{ERASE_ACTION, erasure_event};
use nexafi_audit::sequencer::{Erasure, SequencerHandle};
use nexafi_audit::store::postgres::PostgresStore;
use nexafi_audit::store::sqlite::SqliteStore;
use nexafi_audit::store::{AuditStore, EventQuery, StoredEvent};
use nexafi_audit::verify::audit_store;
use serde_json::json;
use tokio_postgres::NoTls;
use uuid::Uuid;

/// Builds event `i`: one of three tenants and four actors, event times an hour apart.
fn event(i: u64) -> NewEvent {
    let tenant = ["acme", "globex", "initech"][(i % 3) as usize];
    let value = json!({
        "tenant": tenant,
        "event_id": Uuid::now_v7().to_string(),
        "event_time": format!("2026-12-{:02}T{:02}:00:00Z", 1 + i / 24 % 28, i % 24),
        "actor": format!("user:{}", i % 4),
        "action": if i.is_multiple_of(5) { "payment.refund" } else { "payment.create" },
        "resource": format!("payment/{}", i % 10),
        "outcome": "success",
        "amount": format!("{i}.00"),
        "currency": "EUR",
        "payload": {"note": format!("transfer {i}")}
    });
    NewEvent::from_json(&value, DEFAULT_MAX_PAYLOAD_BYTES).unwrap()
}

/// Appends `events` to both logs in the same requests, so both give them the same indexes.
async fn append_both(
    postgres: &SequencerHandle,
    sqlite: &SequencerHandle,
    events: &[NewEvent],
    request_size: usize,
) {
    for request in events.chunks(request_size) {
        postgres.append(request.to_vec()).await.unwrap();
        sqlite.append(request.to_vec()).await.unwrap();
    }
}

/// Erases the payload of the event at `index` in both logs.
async fn erase_both<S: AuditStore, T: AuditStore>(
    postgres: (&SequencerHandle, &S),
    sqlite: (&SequencerHandle, &T),
    index: u64,
) {
    let target = postgres.1.event_by_index(index).await.unwrap().unwrap();
    let event = erasure_event(&target, "test", ERASE_ACTION, "GDPR request").unwrap();
    postgres
        .0
        .erase(vec![Erasure {
            index,
            event: event.clone(),
        }])
        .await
        .unwrap();
    sqlite
        .0
        .erase(vec![Erasure { index, event }])
        .await
        .unwrap();
}

fn micros(time: &str) -> i64 {
    time.parse::<jiff::Timestamp>().unwrap().as_microsecond()
}

fn queries() -> Vec<EventQuery> {
    let all = EventQuery {
        limit: 10_000,
        ..EventQuery::default()
    };
    vec![
        all.clone(),
        EventQuery {
            tenant: Some("globex".to_owned()),
            ..all.clone()
        },
        EventQuery {
            tenant: Some("acme".to_owned()),
            actor: Some("user:2".to_owned()),
            ..all.clone()
        },
        EventQuery {
            resource: Some("payment/7".to_owned()),
            ..all.clone()
        },
        EventQuery {
            action: Some("payment.refund".to_owned()),
            ..all.clone()
        },
        EventQuery {
            from_us: Some(micros("2026-12-03T00:00:00Z")),
            to_us: Some(micros("2026-12-08T00:00:00Z")),
            ..all.clone()
        },
        EventQuery {
            tenants: Some(vec!["acme".to_owned(), "initech".to_owned()]),
            actor: Some("user:1".to_owned()),
            ..all.clone()
        },
        EventQuery {
            tenants: Some(Vec::new()),
            ..all.clone()
        },
        EventQuery {
            limit: 7,
            ..all.clone()
        },
        EventQuery {
            after_index: Some(390),
            limit: 25,
            ..all.clone()
        },
        EventQuery {
            tenant: Some("initech".to_owned()),
            after_index: Some(200),
            limit: 150,
            ..all.clone()
        },
        EventQuery {
            limit: 0,
            ..all.clone()
        },
    ]
}

fn summary(events: &[StoredEvent]) -> Vec<(u64, Uuid, bool)> {
    events
        .iter()
        .map(|event| (event.index, event.columns.event_id, event.payload.is_some()))
        .collect()
}

/// Compares every query and the payload listing of retention with SQLite's results.
async fn assert_same_results(postgres: &PostgresStore, sqlite: &SqliteStore, stage: &str) {
    for query in queries() {
        let expected = sqlite.query(&query).await.unwrap();
        let found = postgres.query(&query).await.unwrap();
        assert_eq!(summary(&found), summary(&expected), "{stage}: {query:?}");
    }
    let tomorrow = jiff::Timestamp::now().as_microsecond() + 86_400_000_000;
    for (from, limit) in [
        (0, 1),
        (0, 40),
        (0, 700),
        (0, 10_000),
        (350, 40),
        (450, 700),
    ] {
        let expected = sqlite
            .payloads_recorded_before(tomorrow, from, limit)
            .await
            .unwrap();
        let found = postgres
            .payloads_recorded_before(tomorrow, from, limit)
            .await
            .unwrap();
        assert_eq!(
            summary(&found),
            summary(&expected),
            "{stage}: payloads before tomorrow from {from}, limit {limit}"
        );
        assert!(found.iter().all(|event| event.index >= from), "{stage}");
    }
    let found = postgres.payloads_recorded_before(0, 0, 100).await.unwrap();
    assert!(found.is_empty(), "{stage}: payloads recorded before 1970");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_exact_at_any_index_progress() {
    let postgres = Arc::new(common::postgres().await);
    let (_dir, sqlite) = common::sqlite();
    let sqlite = Arc::new(sqlite);
    let signer = common::signer();
    let (pg_handle, _pg_task) = common::sequencer(Arc::clone(&postgres), Arc::clone(&signer)).await;
    let (lite_handle, _lite_task) =
        common::sequencer(Arc::clone(&sqlite), Arc::clone(&signer)).await;
    let events: Vec<NewEvent> = (0..900).map(event).collect();

    // Nothing indexed: every result comes from decoded leaves.
    append_both(&pg_handle, &lite_handle, &events[..400], 90).await;
    erase_both(
        (&pg_handle, postgres.as_ref()),
        (&lite_handle, sqlite.as_ref()),
        5,
    )
    .await;
    assert_eq!(postgres.index_watermark().await.unwrap(), 0);
    assert_same_results(&postgres, &sqlite, "not indexed").await;

    // Indexed up to 401, with an unindexed tail after it.
    let metrics = Arc::new(Metrics::new());
    let indexer = postgres.start_indexer(Arc::clone(&metrics)).await.unwrap();
    common::wait_for_index(&postgres, 401).await;
    indexer.stop().await;
    append_both(&pg_handle, &lite_handle, &events[400..], 70).await;
    erase_both(
        (&pg_handle, postgres.as_ref()),
        (&lite_handle, sqlite.as_ref()),
        600,
    )
    .await;
    assert_eq!(postgres.index_watermark().await.unwrap(), 401);
    assert_same_results(&postgres, &sqlite, "partly indexed").await;

    // Caught up: every result comes from event_index.
    let indexer = postgres.start_indexer(Arc::clone(&metrics)).await.unwrap();
    common::wait_for_index(&postgres, 902).await;
    assert_eq!(indexer.failed_passes(), 0);
    indexer.stop().await;
    assert_same_results(&postgres, &sqlite, "fully indexed").await;
    assert!(
        metrics.render().contains("nexafi_audit_index_lag 0"),
        "{}",
        metrics.render()
    );

    // Columns read from event_index equal the ones decoded from the leaves.
    let stored = postgres.entries(0, 1000).await.unwrap();
    let reference = sqlite.entries(0, 1000).await.unwrap();
    assert_eq!(stored.len(), 902);
    for (found, expected) in stored.iter().zip(&reference) {
        assert_eq!(found.index, expected.index);
        assert_eq!(found.columns.event_id, expected.columns.event_id);
        assert_eq!(found.columns.actor, expected.columns.actor);
    }
    let (report, _) = audit_store(postgres.as_ref(), &signer.verifier(), None)
        .await
        .unwrap();
    assert_eq!(report.size, 902);
    common::drop_schema(&postgres).await;
}

async fn count_rows(schema: &str, sql: &str) -> i64 {
    let (client, connection) = tokio_postgres::connect(common::POSTGRES, NoTls)
        .await
        .expect("PostgreSQL at 127.0.0.1:5432 is required");
    tokio::spawn(connection);
    client
        .batch_execute(&format!("SET search_path TO {schema}"))
        .await
        .unwrap();
    client.query_one(sql, &[]).await.unwrap().get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_indexers_index_each_event_once() {
    let writer = Arc::new(common::postgres().await);
    // Stores on the same schema stand for other processes. Neither receives the writer's
    // commit notifications, so both poll and race for the same chunks.
    let first = PostgresStore::connect(common::POSTGRES, writer.schema())
        .await
        .unwrap();
    let second = PostgresStore::connect(common::POSTGRES, writer.schema())
        .await
        .unwrap();
    let metrics = Arc::new(Metrics::new());
    let indexers = [
        first.start_indexer(Arc::clone(&metrics)).await.unwrap(),
        second.start_indexer(Arc::clone(&metrics)).await.unwrap(),
    ];
    let (handle, _task) = common::sequencer(Arc::clone(&writer), common::signer()).await;
    for request in 0..40 {
        let events = (0..50).map(|i| event(request * 50 + i)).collect();
        handle.append(events).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    common::wait_for_index(&first, 2000).await;

    let counts: Vec<(u64, u64)> = indexers
        .iter()
        .map(|indexer| (indexer.indexed(), indexer.failed_passes()))
        .collect();
    for indexer in indexers {
        indexer.stop().await;
    }
    // A pass that inserted rows another indexer had inserted would fail on the primary
    // key and count as a failed pass.
    assert_eq!(counts[0].1, 0, "failed passes of the first indexer");
    assert_eq!(counts[1].1, 0, "failed passes of the second indexer");
    assert_eq!(
        counts[0].0 + counts[1].0,
        2000,
        "events indexed: {counts:?}"
    );
    let rows = count_rows(writer.schema(), "SELECT COUNT(*) FROM event_index").await;
    assert_eq!(rows, 2000);
    let distinct = count_rows(
        writer.schema(),
        "SELECT COUNT(DISTINCT idx) FROM event_index",
    )
    .await;
    assert_eq!(distinct, 2000);
    common::drop_schema(&writer).await;
}

/// Copies the log tables of a SQLite store, whose layout is the PostgreSQL v2 layout,
/// into a PostgreSQL schema created at v2.
async fn copy_sqlite_into_v2(path: &std::path::Path, schema: &str) {
    let (mut client, connection) = tokio_postgres::connect(common::POSTGRES, NoTls)
        .await
        .expect("PostgreSQL at 127.0.0.1:5432 is required");
    tokio::spawn(connection);
    client
        .batch_execute(&format!("SET search_path TO {schema}"))
        .await
        .unwrap();
    let sqlite = rusqlite::Connection::open(path).unwrap();
    let transaction = client.transaction().await.unwrap();

    let mut events = sqlite
        .prepare(
            "SELECT idx, event_id, tenant, event_time_us, recorded_time_us, actor, action, \
             resource, outcome, amount, currency, leaf FROM events ORDER BY idx",
        )
        .unwrap();
    let mut rows = events.query([]).unwrap();
    while let Some(row) = rows.next().unwrap() {
        let event_id = Uuid::from_slice(&row.get::<_, Vec<u8>>(1).unwrap()).unwrap();
        transaction
            .execute(
                "INSERT INTO events (idx, event_id, tenant, event_time_us, recorded_time_us, \
                 actor, action, resource, outcome, amount, currency, leaf) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                &[
                    &row.get::<_, i64>(0).unwrap(),
                    &event_id,
                    &row.get::<_, String>(2).unwrap(),
                    &row.get::<_, i64>(3).unwrap(),
                    &row.get::<_, i64>(4).unwrap(),
                    &row.get::<_, String>(5).unwrap(),
                    &row.get::<_, String>(6).unwrap(),
                    &row.get::<_, String>(7).unwrap(),
                    &row.get::<_, String>(8).unwrap(),
                    &row.get::<_, Option<String>>(9).unwrap(),
                    &row.get::<_, Option<String>>(10).unwrap(),
                    &row.get::<_, Vec<u8>>(11).unwrap(),
                ],
            )
            .await
            .unwrap();
    }

    let mut payloads = sqlite
        .prepare("SELECT idx, salt, payload FROM payloads")
        .unwrap();
    let mut rows = payloads.query([]).unwrap();
    while let Some(row) = rows.next().unwrap() {
        transaction
            .execute(
                "INSERT INTO payloads (idx, salt, payload) VALUES ($1, $2, $3)",
                &[
                    &row.get::<_, i64>(0).unwrap(),
                    &row.get::<_, Vec<u8>>(1).unwrap(),
                    &row.get::<_, String>(2).unwrap(),
                ],
            )
            .await
            .unwrap();
    }

    for table in ["tiles", "partial_tiles"] {
        let mut tiles = sqlite
            .prepare(&format!("SELECT level, idx, hashes FROM {table}"))
            .unwrap();
        let mut rows = tiles.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            transaction
                .execute(
                    &format!("INSERT INTO {table} (level, idx, hashes) VALUES ($1, $2, $3)"),
                    &[
                        &(row.get::<_, i64>(0).unwrap() as i16),
                        &row.get::<_, i64>(1).unwrap(),
                        &row.get::<_, Vec<u8>>(2).unwrap(),
                    ],
                )
                .await
                .unwrap();
        }
    }

    let mut checkpoints = sqlite
        .prepare("SELECT size, root, note FROM checkpoints")
        .unwrap();
    let mut rows = checkpoints.query([]).unwrap();
    while let Some(row) = rows.next().unwrap() {
        transaction
            .execute(
                "INSERT INTO checkpoints (size, root, note) VALUES ($1, $2, $3)",
                &[
                    &row.get::<_, i64>(0).unwrap(),
                    &row.get::<_, Vec<u8>>(1).unwrap(),
                    &row.get::<_, String>(2).unwrap(),
                ],
            )
            .await
            .unwrap();
    }
    transaction.commit().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v2_store_upgrades_to_chunks() {
    let (dir, sqlite) = common::sqlite();
    let sqlite = Arc::new(sqlite);
    let signer = common::signer();
    let (handle, task) = common::sequencer(Arc::clone(&sqlite), Arc::clone(&signer)).await;
    let events: Vec<NewEvent> = (0..599).map(event).collect();
    for request in [&events[..250], &events[250..520], &events[520..]] {
        handle.append(request.to_vec()).await.unwrap();
    }
    let target = sqlite.event_by_index(7).await.unwrap().unwrap();
    let erasure = erasure_event(&target, "test", ERASE_ACTION, "GDPR request").unwrap();
    handle
        .erase(vec![Erasure {
            index: 7,
            event: erasure,
        }])
        .await
        .unwrap();
    drop(handle);
    task.await.unwrap();

    let schema = format!("audit_test_{}", Uuid::now_v7().simple());
    PostgresStore::create_at_version(common::POSTGRES, &schema, 2)
        .await
        .unwrap();
    copy_sqlite_into_v2(&dir.path().join("audit.db"), &schema).await;
    let postgres = Arc::new(
        PostgresStore::connect(common::POSTGRES, &schema)
            .await
            .unwrap(),
    );

    // The same entries, payloads (one erased) and columns as the v2 rows.
    let expected = sqlite.entries(0, 1000).await.unwrap();
    let found = postgres.entries(0, 1000).await.unwrap();
    assert_eq!(found.len(), 600);
    assert_eq!(found, expected);
    assert!(found[7].payload.is_none());
    let (report, _) = audit_store(postgres.as_ref(), &signer.verifier(), None)
        .await
        .unwrap();
    assert_eq!(report.size, 600);

    // Indexed up to the size, with chunks grouped by blocks of 256 and `events` gone.
    assert_eq!(postgres.index_watermark().await.unwrap(), 600);
    let chunks = count_rows(
        &schema,
        "SELECT COUNT(*) FROM leaf_chunks WHERE (first_idx, cardinality(leaves)) \
         IN ((0, 256), (256, 256), (512, 88))",
    )
    .await;
    assert_eq!(chunks, 3);
    assert_eq!(
        count_rows(&schema, "SELECT COUNT(*) FROM leaf_chunks").await,
        3
    );
    assert_eq!(
        count_rows(&schema, "SELECT COUNT(*) FROM event_ids").await,
        600
    );
    assert_eq!(
        count_rows(&schema, "SELECT COUNT(*) FROM event_index").await,
        600
    );
    // Payload chunks match the leaf chunks, with the erased payload NULL and not live.
    let payload_chunks = count_rows(
        &schema,
        "SELECT COUNT(*) FROM payload_chunks p JOIN leaf_chunks l USING (first_idx) \
         WHERE cardinality(p.payloads) = cardinality(l.leaves) \
         AND cardinality(p.salts) = cardinality(l.leaves) \
         AND p.live = CASE p.first_idx WHEN 0 THEN 255 ELSE cardinality(l.leaves) END",
    )
    .await;
    assert_eq!(payload_chunks, 3);
    let erased = count_rows(
        &schema,
        "SELECT COUNT(*) FROM payload_chunks WHERE first_idx = 0 \
         AND payloads[8] IS NULL AND salts[8] IS NULL AND payloads[9] IS NOT NULL",
    )
    .await;
    assert_eq!(erased, 1);
    for table in ["events", "payloads"] {
        let old_table = count_rows(
            &schema,
            &format!(
                "SELECT COUNT(*) FROM pg_tables \
                 WHERE schemaname = current_schema() AND tablename = '{table}'"
            ),
        )
        .await;
        assert_eq!(old_table, 0, "{table} is still there");
    }
    // The query columns compare byte by byte.
    let byte_order = count_rows(
        &schema,
        "SELECT COUNT(*) FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name = 'event_index' \
         AND collation_name = 'C'",
    )
    .await;
    assert_eq!(byte_order, 4);
    for query in queries() {
        let expected = sqlite.query(&query).await.unwrap();
        let found = postgres.query(&query).await.unwrap();
        assert_eq!(summary(&found), summary(&expected), "{query:?}");
    }

    // Retries are recognized and appending continues after the migrated entries.
    let (handle, task) = common::sequencer(Arc::clone(&postgres), Arc::clone(&signer)).await;
    let retry = handle.append(vec![events[3].clone()]).await.unwrap();
    assert!(retry[0].duplicate);
    assert_eq!(retry[0].index, 3);
    let more: Vec<NewEvent> = (600..610).map(event).collect();
    let acks = handle.append(more).await.unwrap();
    assert_eq!(acks[0].index, 600);
    drop(handle);
    task.await.unwrap();
    let (report, _) = audit_store(postgres.as_ref(), &signer.verifier(), None)
        .await
        .unwrap();
    assert_eq!(report.size, 610);
    common::drop_schema(&postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn indexer_stops_at_corrupt_leaf() {
    let store = Arc::new(common::postgres().await);
    let (handle, _task) = common::sequencer(Arc::clone(&store), common::signer()).await;
    let events: Vec<NewEvent> = (0..300).map(event).collect();
    handle.append(events).await.unwrap();
    // Index 260 is the fifth leaf of the chunk starting at 256.
    store
        .execute_raw(
            "ALTER TABLE leaf_chunks DISABLE TRIGGER leaf_chunks_append_only; \
             UPDATE leaf_chunks SET leaves[5] = 'not an event' WHERE first_idx = 256",
        )
        .await
        .unwrap();

    let indexer = store.start_indexer(Arc::new(Metrics::new())).await.unwrap();
    common::wait_for_index(&store, 260).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while indexer.failed_passes() == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the indexer did not report the corrupt leaf"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(indexer.indexed(), 260);
    assert_eq!(store.index_watermark().await.unwrap(), 260);
    indexer.stop().await;

    // Reads that need the leaf's columns fail instead of skipping the event.
    let query = EventQuery {
        limit: 1000,
        ..EventQuery::default()
    };
    let error = store.query(&query).await.unwrap_err();
    assert!(error.to_string().contains("leaf 260"), "{error}");
    let error = store.entries(256, 300).await.unwrap_err();
    assert!(error.to_string().contains("leaf 260"), "{error}");
    // Indexed events before it are still readable.
    let limited = EventQuery {
        limit: 10,
        ..EventQuery::default()
    };
    assert_eq!(store.query(&limited).await.unwrap().len(), 10);
    common::drop_schema(&store).await;
}

/// While another session locks the watermark row, the indexer cannot index, and its lag
/// gauge must still show the events waiting, or the lag alert would never fire.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocked_indexer_reports_its_lag() {
    let store = Arc::new(common::postgres().await);
    let (handle, _task) = common::sequencer(Arc::clone(&store), common::signer()).await;
    let events = (0..25).map(event).collect();
    handle.append(events).await.unwrap();

    let (holder, connection) = tokio_postgres::connect(common::POSTGRES, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    holder
        .batch_execute(&format!(
            "BEGIN; SELECT next_idx FROM {}.index_watermark FOR UPDATE",
            store.schema()
        ))
        .await
        .unwrap();

    let metrics = Arc::new(Metrics::new());
    let indexer = store.start_indexer(Arc::clone(&metrics)).await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while metrics.index_lag.get() != 25 {
        assert!(
            std::time::Instant::now() < deadline,
            "the lag gauge shows {} while 25 events wait",
            metrics.index_lag.get()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(store.index_watermark().await.unwrap(), 0);

    holder.batch_execute("ROLLBACK").await.unwrap();
    common::wait_for_index(&store, 25).await;
    indexer.stop().await;
    common::drop_schema(&store).await;
}

/// Erasure clears the salt and the payload inside their chunk and lowers the chunk's
/// count of live payloads once per payload, also when one request erases payloads of
/// several chunks or erases a payload again. Purge candidates skip erased payloads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erasure_clears_payloads_in_their_chunks() {
    let postgres = Arc::new(common::postgres().await);
    let signer = common::signer();
    let (handle, task) = common::sequencer(Arc::clone(&postgres), Arc::clone(&signer)).await;
    let events: Vec<NewEvent> = (0..300).map(event).collect();
    // Chunks (0, 200), (200, 56) and (256, 44).
    handle.append(events[..200].to_vec()).await.unwrap();
    handle.append(events[200..].to_vec()).await.unwrap();
    let erase = |indexes: &'static [u64]| {
        let postgres = Arc::clone(&postgres);
        let handle = handle.clone();
        async move {
            let mut erasures = Vec::new();
            for &index in indexes {
                let target = postgres.event_by_index(index).await.unwrap().unwrap();
                let event = erasure_event(&target, "test", ERASE_ACTION, "GDPR request").unwrap();
                erasures.push(Erasure { index, event });
            }
            handle.erase(erasures).await.unwrap();
        }
    };
    erase(&[10, 199, 200, 260]).await;
    erase(&[10]).await;
    erase(&[10, 11]).await;

    let schema = postgres.schema().to_owned();
    let live = |first: u64| {
        let schema = schema.clone();
        async move {
            count_rows(
                &schema,
                &format!("SELECT live::int8 FROM payload_chunks WHERE first_idx = {first}"),
            )
            .await
        }
    };
    assert_eq!(live(0).await, 197);
    assert_eq!(live(200).await, 55);
    assert_eq!(live(256).await, 43);
    let cleared = count_rows(
        &schema,
        "SELECT COUNT(*) FROM payload_chunks \
         WHERE (first_idx = 0 AND payloads[11] IS NULL AND salts[11] IS NULL \
                AND payloads[12] IS NULL AND payloads[200] IS NULL AND payloads[13] IS NOT NULL) \
            OR (first_idx = 200 AND payloads[1] IS NULL AND salts[1] IS NULL) \
            OR (first_idx = 256 AND payloads[5] IS NULL AND payloads[4] IS NOT NULL)",
    )
    .await;
    assert_eq!(cleared, 3);

    let erased = [10, 11, 199, 200, 260];
    for index in erased {
        let event = postgres.event_by_index(index).await.unwrap().unwrap();
        assert!(event.payload.is_none(), "payload {index} is still there");
    }
    assert!(
        postgres
            .event_by_index(12)
            .await
            .unwrap()
            .unwrap()
            .payload
            .is_some()
    );
    let metrics = Arc::new(Metrics::new());
    let indexer = postgres.start_indexer(metrics).await.unwrap();
    common::wait_for_index(&postgres, 307).await;
    indexer.stop().await;
    let tomorrow = jiff::Timestamp::now().as_microsecond() + 86_400_000_000;
    let candidates = postgres
        .payloads_recorded_before(tomorrow, 0, 1000)
        .await
        .unwrap();
    let indexes: Vec<u64> = candidates.iter().map(|event| event.index).collect();
    assert_eq!(indexes.len(), 307 - erased.len());
    assert!(erased.iter().all(|index| !indexes.contains(index)));

    drop(handle);
    task.await.unwrap();
    let (report, _) = audit_store(postgres.as_ref(), &signer.verifier(), None)
        .await
        .unwrap();
    assert_eq!(report.size, 307);
    assert_eq!(report.payloads_erased, 5);
    common::drop_schema(&postgres).await;
}

/// The upgrade to payload chunks (migration 4) stops and rolls back when a payload row
/// belongs to no stored entry, because dropping the old table would lose it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrade_keeps_orphan_payloads() {
    let schema = format!("audit_test_{}", Uuid::now_v7().simple());
    PostgresStore::create_at_version(common::POSTGRES, &schema, 2)
        .await
        .unwrap();
    let (client, connection) = tokio_postgres::connect(common::POSTGRES, NoTls)
        .await
        .expect("PostgreSQL at 127.0.0.1:5432 is required");
    tokio::spawn(connection);
    client
        .batch_execute(&format!(
            "SET search_path TO {schema}; \
             INSERT INTO payloads (idx, salt, payload) VALUES (5, '\\x00', '{{}}')"
        ))
        .await
        .unwrap();

    let error = match PostgresStore::connect(common::POSTGRES, &schema).await {
        Ok(_) => panic!("the upgrade dropped a payload row of no entry"),
        Err(error) => error.to_string(),
    };
    assert!(error.contains("no stored entry"), "{error}");
    let orphans = count_rows(&schema, "SELECT COUNT(*) FROM payloads WHERE idx = 5").await;
    assert_eq!(orphans, 1);
    let version = count_rows(&schema, "SELECT COUNT(*)::int8 FROM schema_migrations").await;
    assert_eq!(
        version, 3,
        "migration 3 has its own transaction and stays applied"
    );
    client
        .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .await
        .unwrap();
}
