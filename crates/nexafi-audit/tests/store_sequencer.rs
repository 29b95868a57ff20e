//! The sequencer over both stores: concurrent appends are acknowledged with proofs that
//! verify, retries are idempotent, and the append-only rules hold in the database.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use nexafi_audit::metrics::Metrics;
use nexafi_audit::sequencer::AppendError;
use nexafi_audit::store::AuditStore;
use nexafi_audit::verify::audit_store;

async fn concurrent_appends_verify<S: AuditStore>(store: Arc<S>) {
    let signer = common::signer();
    let (handle, task) = common::sequencer(Arc::clone(&store), Arc::clone(&signer)).await;
    let mut producers = Vec::new();
    for producer in 0..8 {
        let handle = handle.clone();
        producers.push(tokio::spawn(async move {
            let mut acks = Vec::new();
            for i in 0..40 {
                let event = common::event(&format!("user:{producer}"), &format!("{i}.50"));
                acks.extend(handle.append(vec![event]).await.unwrap());
            }
            acks
        }));
    }
    let mut indexes = Vec::new();
    for producer in producers {
        for ack in producer.await.unwrap() {
            common::assert_proves(&ack, &signer);
            assert!(!ack.duplicate);
            indexes.push(ack.index);
        }
    }
    indexes.sort_unstable();
    assert_eq!(indexes, (0..320).collect::<Vec<u64>>());

    drop(handle);
    task.await.unwrap();
    let (report, _) = audit_store(store.as_ref(), &signer.verifier(), None)
        .await
        .unwrap();
    assert_eq!(report.size, 320);
    assert_eq!(report.payloads_checked, 320);
}

async fn retries_are_idempotent<S: AuditStore>(store: Arc<S>) {
    let signer = common::signer();
    let (handle, _task) = common::sequencer(store, signer).await;
    let event = common::event("user:1", "10.00");
    let first = handle.append(vec![event.clone()]).await.unwrap();
    handle
        .append(vec![common::event("user:2", "11.00")])
        .await
        .unwrap();
    let retry = handle.append(vec![event.clone()]).await.unwrap();
    assert_eq!(retry[0].index, first[0].index);
    assert!(retry[0].duplicate);
    assert_eq!(retry[0].leaf, first[0].leaf);

    let mut changed = event.clone();
    changed.amount = Some("99.00".to_owned());
    let error = handle.append(vec![changed]).await.unwrap_err();
    assert!(matches!(error, AppendError::Conflict { .. }), "{error}");

    // A request with one conflicting event writes none of its events.
    let mut changed = event;
    changed.actor = "user:9".to_owned();
    let fresh = common::event("user:3", "12.00");
    let error = handle
        .append(vec![fresh.clone(), changed])
        .await
        .unwrap_err();
    assert!(matches!(error, AppendError::Conflict { .. }));
    let later = handle.append(vec![fresh]).await.unwrap();
    assert!(!later[0].duplicate);
    assert_eq!(later[0].index, 2);

    // The same event twice in one request is stored once.
    let twice = common::event("user:4", "13.00");
    let acks = handle.append(vec![twice.clone(), twice]).await.unwrap();
    assert_eq!(acks[0].index, 3);
    assert_eq!(acks[1].index, 3);
    assert!(!acks[0].duplicate);
    assert!(acks[1].duplicate);

    // Concurrent requests with the same event land in one batch or the next; either
    // way there is one entry.
    let same = common::event("user:5", "14.00");
    let (first, second) =
        tokio::join!(handle.append(vec![same.clone()]), handle.append(vec![same]));
    assert_eq!(first.unwrap()[0].index, 4);
    assert_eq!(second.unwrap()[0].index, 4);
    let next = handle
        .append(vec![common::event("user:6", "15.00")])
        .await
        .unwrap();
    assert_eq!(next[0].index, 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_concurrent_appends_verify() {
    let (_dir, store) = common::sqlite();
    concurrent_appends_verify(Arc::new(store)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_concurrent_appends_verify() {
    let store = Arc::new(common::postgres().await);
    concurrent_appends_verify(Arc::clone(&store)).await;
    common::drop_schema(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_retries_are_idempotent() {
    let (_dir, store) = common::sqlite();
    retries_are_idempotent(Arc::new(store)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_retries_are_idempotent() {
    let store = Arc::new(common::postgres().await);
    retries_are_idempotent(Arc::clone(&store)).await;
    common::drop_schema(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_rejects_update_and_delete() {
    let (dir, store) = common::sqlite();
    let store = Arc::new(store);
    let (handle, _task) = common::sequencer(Arc::clone(&store), common::signer()).await;
    // 300 events fill one tile, so the tiles table has a row to protect.
    let events = (0..300)
        .map(|i| common::event("user:1", &format!("{i}.00")))
        .collect();
    handle.append(events).await.unwrap();
    let connection = rusqlite::Connection::open(dir.path().join("audit.db")).unwrap();
    let rows: i64 = connection
        .query_row("SELECT COUNT(*) FROM events", [], |row| row.get(0))
        .unwrap();
    assert_eq!(rows, 300);
    for sql in [
        "UPDATE events SET actor = 'mallory'",
        "DELETE FROM events",
        "UPDATE tiles SET hashes = x'00'",
        "DELETE FROM checkpoints",
        "UPDATE checkpoints SET note = ''",
    ] {
        let error = connection.execute(sql, []).unwrap_err();
        assert!(error.to_string().contains("append-only"), "{sql}: {error}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_rejects_update_delete_truncate() {
    let store = Arc::new(common::postgres().await);
    let indexer = store.start_indexer(Arc::new(Metrics::new())).await.unwrap();
    let (handle, _task) = common::sequencer(Arc::clone(&store), common::signer()).await;
    let events = (0..300)
        .map(|i| common::event("user:1", &format!("{i}.00")))
        .collect();
    handle.append(events).await.unwrap();
    // Row triggers fire only on existing rows, so every table must have some.
    common::wait_for_index(&store, 300).await;
    indexer.stop().await;
    for sql in [
        "UPDATE leaf_chunks SET leaves = '{}'",
        "DELETE FROM leaf_chunks",
        "TRUNCATE leaf_chunks",
        "UPDATE event_ids SET idx = 0",
        "DELETE FROM event_ids",
        "TRUNCATE event_ids",
        "UPDATE event_index SET actor = 'mallory'",
        "DELETE FROM event_index",
        "TRUNCATE event_index",
        "UPDATE checkpoints SET note = ''",
        "TRUNCATE tiles",
        "UPDATE tiles SET hashes = ''",
        "DELETE FROM checkpoints",
    ] {
        let error = store.execute_raw(sql).await.unwrap_err();
        assert!(error.to_string().contains("append-only"), "{sql}: {error}");
    }
    common::drop_schema(&store).await;
}

/// The documented application role may add rows but not change or remove them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_app_role_is_append_only() {
    let (admin, connection) = tokio_postgres::connect(common::POSTGRES, tokio_postgres::NoTls)
        .await
        .expect("PostgreSQL at 127.0.0.1:5432 is required");
    tokio::spawn(connection);
    // Roles are shared by the whole server, so creating it must tolerate a parallel run.
    admin
        .batch_execute(
            "DO $$ BEGIN CREATE ROLE nexafi_audit_app NOLOGIN; \
             EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;",
        )
        .await
        .unwrap();
    let store = Arc::new(common::postgres().await);
    let (handle, _task) = common::sequencer(Arc::clone(&store), common::signer()).await;
    handle
        .append(vec![common::event("user:1", "1.00")])
        .await
        .unwrap();

    let schema = store.schema().to_owned();
    let as_app = |sql: &str| {
        format!(
            "BEGIN; SET LOCAL search_path TO {schema}; SET LOCAL ROLE nexafi_audit_app; {sql}; COMMIT;"
        )
    };
    for sql in [
        "UPDATE leaf_chunks SET leaves = '{}'",
        "DELETE FROM event_ids",
        "UPDATE event_index SET actor = 'mallory'",
        "TRUNCATE event_index",
        "DELETE FROM checkpoints",
        "TRUNCATE tiles",
    ] {
        let error = admin.batch_execute(&as_app(sql)).await.unwrap_err();
        let message = error
            .as_db_error()
            .map(|e| e.message().to_owned())
            .unwrap_or_default();
        assert!(message.contains("permission denied"), "{sql}: {message}");
        admin.batch_execute("ROLLBACK").await.unwrap();
    }
    admin
        .batch_execute(&as_app(
            "SELECT COUNT(*) FROM leaf_chunks; SELECT COUNT(*) FROM event_index; \
             UPDATE index_watermark SET next_idx = next_idx; \
             UPDATE payload_chunks SET live = live WHERE first_idx < 0",
        ))
        .await
        .unwrap();
    common::drop_schema(&store).await;
}

/// Counts rows the commit writes, to show a failed batch left none behind.
async fn written_rows(store: &nexafi_audit::store::postgres::PostgresStore) -> (i64, i64, i64) {
    let (client, connection) = tokio_postgres::connect(common::POSTGRES, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let schema = store.schema();
    let count = |table: &str| format!("SELECT COUNT(*) FROM {schema}.{table}");
    let mut counts = Vec::new();
    for table in ["event_ids", "payload_chunks", "checkpoints"] {
        let row = client.query_one(&count(table), &[]).await.unwrap();
        counts.push(row.get::<_, i64>(0));
    }
    (counts[0], counts[1], counts[2])
}

/// A batch that fails inside a COPY, or in the last statement sent together with
/// COMMIT, leaves no row behind, and the store keeps working on the same connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_failed_commit_writes_nothing() {
    let store = Arc::new(common::postgres().await);
    let signer = common::signer();
    let (handle, task) = common::sequencer(Arc::clone(&store), Arc::clone(&signer)).await;
    handle
        .append(vec![common::event("user:1", "1.00")])
        .await
        .unwrap();
    assert_eq!(written_rows(&store).await, (1, 1, 1));

    store
        .execute_raw(
            "CREATE FUNCTION fail_batch() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN RAISE EXCEPTION 'batch rejected by test trigger'; END; $$",
        )
        .await
        .unwrap();
    for table in ["payload_chunks", "checkpoints"] {
        store
            .execute_raw(&format!(
                "CREATE TRIGGER fail_batch BEFORE INSERT ON {table} \
                 FOR EACH ROW EXECUTE FUNCTION fail_batch()"
            ))
            .await
            .unwrap();
        let error = handle
            .append(vec![common::event("user:2", "2.00")])
            .await
            .unwrap_err();
        assert!(
            error.to_string().contains("batch rejected by test trigger"),
            "{table}: {error}"
        );
        assert_eq!(written_rows(&store).await, (1, 1, 1), "{table}");
        store
            .execute_raw(&format!("DROP TRIGGER fail_batch ON {table}"))
            .await
            .unwrap();
    }

    let ack = handle
        .append(vec![common::event("user:3", "3.00")])
        .await
        .unwrap();
    assert_eq!(ack[0].index, 1);
    assert_eq!(written_rows(&store).await, (2, 2, 2));
    drop(handle);
    task.await.unwrap();
    let (report, _) = audit_store(store.as_ref(), &signer.verifier(), None)
        .await
        .unwrap();
    assert_eq!(report.size, 2);
    common::drop_schema(&store).await;
}
