//! Tamper detection: any change to a stored event, payload, tile or checkpoint, and any
//! deleted or reordered row, makes the full audit fail (and the bundle exported from
//! the tampered store fail too), on SQLite and PostgreSQL. The database administrator
//! is the attacker here, so each case first removes the append-only triggers.
//!
//! On PostgreSQL, leaves and payloads live in chunk rows (`leaf_chunks`,
//! `payload_chunks`) and the query columns in `event_index`. So the row cases there
//! change a leaf or a payload inside a chunk and delete or swap chunk rows. One more
//! case swaps two leaves of one chunk together with their payloads and index rows.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::sync::Arc;

use nexafi_audit::bundle::{export, verify_bundle};
use nexafi_audit::ledger::note::{NoteSigner, NoteVerifier};
use nexafi_audit::metrics::Metrics;
use nexafi_audit::retention::{ERASE_ACTION, erasure_event};
use nexafi_audit::sequencer::Erasure;
use nexafi_audit::store::AuditStore;
use nexafi_audit::store::postgres::PostgresStore;
use nexafi_audit::store::sqlite::SqliteStore;
use nexafi_audit::verify::audit_store;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// Entries in the tampered logs: two full level-0 tiles and a partial one.
const SIZE: u64 = 600;

#[derive(Clone, Copy, Debug)]
enum Tamper {
    LeafByte,
    Column,
    Payload,
    Salt,
    TileByte,
    PartialTileByte,
    /// One more hash appended to a partial tile.
    PartialTileExtra,
    CheckpointChar,
    /// A character of a checkpoint that an earlier batch signed.
    OldCheckpointChar,
    DeleteRow,
    SwapRows,
    DeletePayload,
    /// A full or a partial tile row is deleted.
    DeleteTile,
    /// The latest checkpoint row is deleted, so the entries outrun the log's size.
    DeleteCheckpoint,
    /// The checkpoint that an earlier batch signed is deleted.
    DeleteOldCheckpoint,
    /// PostgreSQL only: two leaves of one chunk trade places, with their payloads and
    /// `event_index` rows, so only the tree can tell.
    SwapLeaves,
    /// PostgreSQL only: an `event_ids` row points at another entry.
    RedirectId,
    /// PostgreSQL only: an `event_ids` row is deleted, so a retry would be stored twice.
    DeleteId,
    /// PostgreSQL only: a payload chunk's count of payloads not erased is lowered, which
    /// would hide the chunk from purges.
    LiveCount,
}

const TAMPERS: [Tamper; 15] = [
    Tamper::LeafByte,
    Tamper::Column,
    Tamper::Payload,
    Tamper::Salt,
    Tamper::TileByte,
    Tamper::PartialTileByte,
    Tamper::PartialTileExtra,
    Tamper::CheckpointChar,
    Tamper::OldCheckpointChar,
    Tamper::DeleteRow,
    Tamper::SwapRows,
    Tamper::DeletePayload,
    Tamper::DeleteTile,
    Tamper::DeleteCheckpoint,
    Tamper::DeleteOldCheckpoint,
];

const POSTGRES_TAMPERS: [Tamper; 19] = [
    Tamper::LeafByte,
    Tamper::Column,
    Tamper::Payload,
    Tamper::Salt,
    Tamper::TileByte,
    Tamper::PartialTileByte,
    Tamper::PartialTileExtra,
    Tamper::CheckpointChar,
    Tamper::OldCheckpointChar,
    Tamper::DeleteRow,
    Tamper::SwapRows,
    Tamper::DeletePayload,
    Tamper::DeleteTile,
    Tamper::DeleteCheckpoint,
    Tamper::DeleteOldCheckpoint,
    Tamper::SwapLeaves,
    Tamper::RedirectId,
    Tamper::DeleteId,
    Tamper::LiveCount,
];

/// Fills a store with SIZE - 1 events and one erasure, which is itself an event.
async fn fill<S: AuditStore>(store: Arc<S>, signer: Arc<NoteSigner>) {
    let (handle, task) = common::sequencer(Arc::clone(&store), signer).await;
    for (start, end) in [(0, 200), (200, 400), (400, SIZE - 1)] {
        let events = (start..end)
            .map(|i| common::event(&format!("user:{}", i % 5), &format!("{}.00", i + 1)))
            .collect();
        handle.append(events).await.unwrap();
    }
    let target = store.event_by_index(7).await.unwrap().unwrap();
    let event = erasure_event(&target, "test", ERASE_ACTION, "GDPR request").unwrap();
    handle
        .erase(vec![Erasure { index: 7, event }])
        .await
        .unwrap();
    drop(handle);
    task.await.unwrap();
    assert_eq!(store.latest_checkpoint().await.unwrap().unwrap().size, SIZE);
}

/// SQL that applies one tamper at a position derived from `seed`. `chunks` lists the
/// PostgreSQL leaf chunks as (first index, leaf count), in index order.
fn tamper_sql(tamper: Tamper, seed: u64, sqlite: bool, chunks: &[(u64, u64)]) -> String {
    let index = seed % (SIZE - 1);
    let other = (index + 1 + (seed / 7) % 50) % (SIZE - 1);
    // Any byte of the tampered value: its 0-based offset, computed by the database.
    let offset = |column: &str| format!("CAST({} % length({column}) AS INTEGER)", seed / 13);
    // A query column of the event, changed so that it still has its type.
    let column = match (seed / 3) % 6 {
        0 => "tenant = tenant || 'x'",
        1 => "actor = actor || 'x'",
        2 => "action = action || 'x'",
        3 => "resource = resource || 'x'",
        4 => "outcome = outcome || 'x'",
        _ => "event_time_us = event_time_us + 1",
    };
    // Tiles of a 600-entry log: full tiles 0 and 1 at level 0, partial tiles at levels 0 and 1.
    let level = (seed / 5) % 2;
    let flip = |column: &str| {
        let at = offset(column);
        if sqlite {
            format!(
                "substr({column}, 1, {at}) || CAST(char((unicode(substr({column}, {at} + 1, 1)) + 1) % 128) AS BLOB) || substr({column}, {at} + 2)"
            )
        } else {
            format!("set_byte({column}, {at}, (get_byte({column}, {at}) + 1) % 256)")
        }
    };
    if !sqlite {
        let position = chunks
            .iter()
            .rposition(|(first, _)| *first <= index)
            .unwrap();
        let (first, count) = chunks[position];
        // 1-based array subscript of `index` in its chunk.
        let slot = index - first + 1;
        match tamper {
            Tamper::LeafByte => {
                let leaf = format!("leaves[{slot}]");
                return format!(
                    "UPDATE leaf_chunks SET {leaf} = {} WHERE first_idx = {first}",
                    flip(&leaf)
                );
            }
            Tamper::Column => {
                return format!("UPDATE event_index SET {column} WHERE idx = {index}");
            }
            Tamper::DeleteRow => {
                return format!("DELETE FROM leaf_chunks WHERE first_idx = {first}");
            }
            Tamper::SwapRows => {
                let (other, _) = chunks
                    [(position + 1 + (seed / 7) as usize % (chunks.len() - 1)) % chunks.len()];
                return format!(
                    "UPDATE leaf_chunks SET first_idx = CASE first_idx WHEN {first} THEN {other} ELSE {first} END \
                     WHERE first_idx IN ({first}, {other})"
                );
            }
            Tamper::RedirectId => {
                return format!("UPDATE event_ids SET idx = {other} WHERE idx = {index}");
            }
            Tamper::DeleteId => {
                return format!("DELETE FROM event_ids WHERE idx = {index}");
            }
            Tamper::LiveCount => {
                return format!(
                    "UPDATE payload_chunks SET live = live - 1 WHERE first_idx = {first}"
                );
            }
            // Entry 7's payload is erased, so payload cases change entry 8 instead.
            Tamper::Payload | Tamper::Salt | Tamper::DeletePayload => {
                let slot = if index == 7 { slot + 1 } else { slot };
                let change = match tamper {
                    Tamper::Payload => format!("payloads[{slot}] = payloads[{slot}] || ' '"),
                    Tamper::Salt => {
                        let salt = format!("salts[{slot}]");
                        format!("{salt} = {}", flip(&salt))
                    }
                    _ => format!("payloads[{slot}] = NULL, salts[{slot}] = NULL"),
                };
                return format!("UPDATE payload_chunks SET {change} WHERE first_idx = {first}");
            }
            Tamper::SwapLeaves => {
                assert!(count >= 2, "chunk {first} has one leaf, nothing to swap");
                let other = first + (slot + (seed / 7) % (count - 1)) % count;
                let other_slot = other - first + 1;
                return format!(
                    "UPDATE leaf_chunks SET leaves[{slot}] = leaves[{other_slot}], leaves[{other_slot}] = leaves[{slot}] \
                     WHERE first_idx = {first}; \
                     UPDATE payload_chunks SET payloads[{slot}] = payloads[{other_slot}], payloads[{other_slot}] = payloads[{slot}], \
                     salts[{slot}] = salts[{other_slot}], salts[{other_slot}] = salts[{slot}] WHERE first_idx = {first}; \
                     UPDATE event_index SET idx = -1 WHERE idx = {index}; UPDATE event_index SET idx = {index} WHERE idx = {other}; \
                     UPDATE event_index SET idx = {other} WHERE idx = -1"
                );
            }
            _ => {}
        }
    }
    match tamper {
        Tamper::LeafByte => format!(
            "UPDATE events SET leaf = {} WHERE idx = {index}",
            flip("leaf")
        ),
        Tamper::Column => format!("UPDATE events SET {column} WHERE idx = {index}"),
        Tamper::Payload => format!(
            "UPDATE payloads SET payload = payload || ' ' WHERE idx = (SELECT MIN(idx) FROM payloads WHERE idx >= {index})"
        ),
        Tamper::Salt => format!(
            "UPDATE payloads SET salt = {} WHERE idx = (SELECT MIN(idx) FROM payloads WHERE idx >= {index})",
            flip("salt")
        ),
        Tamper::TileByte => format!(
            "UPDATE tiles SET hashes = {} WHERE level = 0 AND idx = {}",
            flip("hashes"),
            index % 2
        ),
        Tamper::PartialTileExtra => {
            let longer = if sqlite {
                "CAST(hashes || zeroblob(32) AS BLOB)"
            } else {
                "hashes || decode(repeat('00', 32), 'hex')"
            };
            format!("UPDATE partial_tiles SET hashes = {longer} WHERE level = {level}")
        }
        Tamper::PartialTileByte => format!(
            "UPDATE partial_tiles SET hashes = {} WHERE level = {level}",
            flip("hashes")
        ),
        Tamper::DeleteTile if level == 0 => {
            format!("DELETE FROM tiles WHERE level = 0 AND idx = {}", index % 2)
        }
        Tamper::DeleteTile => format!("DELETE FROM partial_tiles WHERE level = {}", index % 2),
        Tamper::DeleteCheckpoint => format!("DELETE FROM checkpoints WHERE size = {SIZE}"),
        // The second batch of `fill` signed the checkpoint of size 400.
        Tamper::DeleteOldCheckpoint => "DELETE FROM checkpoints WHERE size = 400".to_owned(),
        Tamper::CheckpointChar => {
            // Replace any one character of the note (origin, size, root or signature line)
            // by another ASCII character, so the note stays UTF-8.
            let at = offset("note");
            format!(
                "UPDATE checkpoints SET note = substr(note, 1, {at}) \
                 || CASE substr(note, {at} + 1, 1) WHEN 'A' THEN 'B' ELSE 'A' END \
                 || substr(note, {at} + 2) WHERE size = {SIZE}"
            )
        }
        Tamper::OldCheckpointChar => {
            // The second batch of `fill` signed the checkpoint of size 400.
            format!(
                "UPDATE checkpoints SET note = replace(note, '\n400\n', '\n40{}\n') WHERE size = 400",
                1 + seed % 9
            )
        }
        Tamper::DeleteRow => format!("DELETE FROM events WHERE idx = {index}"),
        Tamper::SwapRows => format!(
            "UPDATE events SET idx = -1 WHERE idx = {index}; UPDATE events SET idx = {index} WHERE idx = {other}; \
             UPDATE events SET idx = {other} WHERE idx = -1; \
             UPDATE payloads SET idx = -1 WHERE idx = {index}; UPDATE payloads SET idx = {index} WHERE idx = {other}; \
             UPDATE payloads SET idx = {other} WHERE idx = -1"
        ),
        Tamper::DeletePayload => format!(
            "DELETE FROM payloads WHERE idx = (SELECT MIN(idx) FROM payloads WHERE idx >= {index})"
        ),
        Tamper::SwapLeaves | Tamper::RedirectId | Tamper::DeleteId | Tamper::LiveCount => {
            unreachable!("SQLite has no leaf chunks, id lookup table or payload chunks")
        }
    }
}

async fn assert_detected<S: AuditStore>(
    store: &S,
    key: &NoteVerifier,
    dir: &Path,
    tamper: Tamper,
    what: &str,
) {
    let audit = audit_store(store, key, None).await;
    assert!(audit.is_err(), "{what}: the audit passed");
    if matches!(
        tamper,
        Tamper::Column
            | Tamper::RedirectId
            | Tamper::DeleteId
            | Tamper::OldCheckpointChar
            | Tamper::DeleteOldCheckpoint
            | Tamper::PartialTileExtra
    ) {
        // Bundles carry the leaves and the checkpoints at their two ends, not the query
        // columns, the id lookup or the checkpoints in between, and tiles only as wide as
        // the tree. So these changes leave the exported bundle correct and the store
        // audit catches them.
        return;
    }
    let bundle = dir.join("bundle");
    let _ = std::fs::remove_dir_all(&bundle);
    match export(store, key, 0, SIZE, &bundle).await {
        Err(_) => {}
        Ok(_) => assert!(
            verify_bundle(&bundle, key).is_err(),
            "{what}: the bundle verified"
        ),
    }
}

/// Random cases without a regressions file: a failure prints the case to rerun.
fn cases(count: u32) -> Config {
    Config {
        cases: count,
        failure_persistence: None,
        ..Config::default()
    }
}

#[test]
fn sqlite_tampering_is_detected() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (dir, store) = common::sqlite();
    let signer = common::signer();
    let key = signer.verifier();
    runtime.block_on(fill(Arc::new(store), Arc::clone(&signer)));
    let original = dir.path().join("audit.db");
    runtime.block_on(async {
        let clean = SqliteStore::open(&original).unwrap();
        audit_store(&clean, &key, None).await.unwrap();
    });

    let run_case = |tamper: Tamper, seed: u64| {
        let case = tempfile::tempdir().unwrap();
        let copy = case.path().join("audit.db");
        // Checkpoint the WAL into the main file so the copy is complete.
        let connection = rusqlite::Connection::open(&original).unwrap();
        connection
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
            .unwrap();
        drop(connection);
        std::fs::copy(&original, &copy).unwrap();
        let connection = rusqlite::Connection::open(&copy).unwrap();
        let triggers: Vec<String> = connection
            .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for trigger in triggers {
            connection
                .execute_batch(&format!("DROP TRIGGER {trigger}"))
                .unwrap();
        }
        let sql = tamper_sql(tamper, seed, true, &[]);
        connection.execute_batch(&sql).unwrap();
        drop(connection);
        runtime.block_on(async {
            let store = SqliteStore::open(&copy).unwrap();
            assert_detected(
                &store,
                &key,
                case.path(),
                tamper,
                &format!("{tamper:?} ({sql})"),
            )
            .await;
        });
    };
    // Every kind once at a fixed position, then random kinds and positions.
    for (kind, tamper) in TAMPERS.iter().enumerate() {
        run_case(*tamper, kind as u64 * 7919);
    }
    let mut runner = TestRunner::new(cases(40));
    runner
        .run(&(0usize..TAMPERS.len(), any::<u64>()), |(kind, seed)| {
            run_case(TAMPERS[kind], seed);
            Ok(())
        })
        .unwrap();
}

/// Copies a schema's tables (without triggers) into a new schema.
async fn clone_schema(source: &PostgresStore, target: &str) {
    let mut sql = format!("CREATE SCHEMA {target};");
    for table in [
        "schema_migrations",
        "leaf_chunks",
        "event_ids",
        "event_index",
        "index_watermark",
        "payload_chunks",
        "tiles",
        "partial_tiles",
        "checkpoints",
        "tokens",
        "legal_holds",
    ] {
        sql.push_str(&format!(
            "CREATE TABLE {target}.{table} AS SELECT * FROM {}.{table};",
            source.schema()
        ));
    }
    source.execute_raw(&sql).await.unwrap();
}

/// Reads the chunk layout as (first index, leaf count), in index order.
async fn chunk_layout(store: &PostgresStore) -> Vec<(u64, u64)> {
    let (client, connection) = tokio_postgres::connect(common::POSTGRES, tokio_postgres::NoTls)
        .await
        .expect("PostgreSQL at 127.0.0.1:5432 is required");
    tokio::spawn(connection);
    let sql = format!(
        "SELECT first_idx, cardinality(leaves) FROM {}.leaf_chunks ORDER BY first_idx",
        store.schema()
    );
    let rows = client.query(&sql, &[]).await.unwrap();
    rows.iter()
        .map(|row| (row.get::<_, i64>(0) as u64, row.get::<_, i32>(1) as u64))
        .collect()
}

#[test]
fn postgres_tampering_is_detected() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let signer = common::signer();
    let key = signer.verifier();
    let (source, chunks) = runtime.block_on(async {
        let store = Arc::new(common::postgres().await);
        // Index everything, so query columns come from event_index in every case.
        let indexer = store.start_indexer(Arc::new(Metrics::new())).await.unwrap();
        fill(Arc::clone(&store), Arc::clone(&signer)).await;
        common::wait_for_index(&store, SIZE).await;
        indexer.stop().await;
        audit_store(store.as_ref(), &key, None).await.unwrap();
        let chunks = chunk_layout(&store).await;
        (store, chunks)
    });
    assert!(chunks.len() >= 3, "too few leaf chunks to swap: {chunks:?}");

    let run_case = |tamper: Tamper, seed: u64| {
        let case = tempfile::tempdir().unwrap();
        runtime.block_on(async {
            let target = format!("{}_t{}", source.schema(), uuid::Uuid::now_v7().simple());
            clone_schema(&source, &target).await;
            let store = PostgresStore::connect(common::POSTGRES, &target)
                .await
                .unwrap();
            let sql = tamper_sql(tamper, seed, false, &chunks);
            store.execute_raw(&sql).await.unwrap();
            assert_detected(
                &store,
                &key,
                case.path(),
                tamper,
                &format!("{tamper:?} ({sql})"),
            )
            .await;
            store
                .execute_raw(&format!("DROP SCHEMA {target} CASCADE"))
                .await
                .unwrap();
        });
    };
    // Every kind once at a fixed position, then random kinds and positions.
    for (kind, tamper) in POSTGRES_TAMPERS.iter().enumerate() {
        run_case(*tamper, kind as u64 * 7919);
    }
    let mut runner = TestRunner::new(cases(22));
    let result = runner.run(
        &(0usize..POSTGRES_TAMPERS.len(), any::<u64>()),
        |(kind, seed)| {
            run_case(POSTGRES_TAMPERS[kind], seed);
            Ok(())
        },
    );
    runtime.block_on(common::drop_schema(&source));
    result.unwrap();
}
