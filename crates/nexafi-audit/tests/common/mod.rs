//! Helpers shared by the store tests: fresh SQLite files and PostgreSQL schemas, signed
//! keys and events.

#![allow(dead_code, clippy::expect_used, clippy::unwrap_used)]

use std::sync::Arc;

use nexafi_audit::event::{DEFAULT_MAX_PAYLOAD_BYTES, NewEvent};
use nexafi_audit::ledger::note::NoteSigner;
use nexafi_audit::metrics::Metrics;
use nexafi_audit::sequencer::{SequencerConfig, SequencerHandle, start};
use nexafi_audit::store::AuditStore;
use nexafi_audit::store::postgres::PostgresStore;
use nexafi_audit::store::sqlite::SqliteStore;
use serde_json::json;
use uuid::Uuid;

pub const ORIGIN: &str = "audit.nexafi.test/log";

/// The local test server; tests fail, never skip, when it is down.
pub const POSTGRES: &str = "host=127.0.0.1 port=5432 user=postgres dbname=test";

pub fn signer() -> Arc<NoteSigner> {
    Arc::new(NoteSigner::generate(ORIGIN).unwrap())
}

pub fn event(actor: &str, amount: &str) -> NewEvent {
    let value = json!({
        "tenant": "acme",
        "event_id": Uuid::now_v7().to_string(),
        "event_time": "2026-12-04T10:00:00Z",
        "actor": actor,
        "action": "payment.create",
        "resource": format!("payment/{amount}"),
        "outcome": "success",
        "amount": amount,
        "currency": "EUR",
        "payload": {"card": "tok_4242", "note": format!("transfer {amount}")}
    });
    NewEvent::from_json(&value, DEFAULT_MAX_PAYLOAD_BYTES).unwrap()
}

pub fn sqlite() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("audit.db")).unwrap();
    (dir, store)
}

/// Opens a store in a schema of its own, so tests run in parallel.
pub async fn postgres() -> PostgresStore {
    let schema = format!("audit_test_{}", Uuid::now_v7().simple());
    PostgresStore::connect(POSTGRES, &schema)
        .await
        .unwrap_or_else(|error| panic!("PostgreSQL at 127.0.0.1:5432 is required: {error}"))
}

pub async fn drop_schema(store: &PostgresStore) {
    store
        .execute_raw(&format!("DROP SCHEMA {} CASCADE", store.schema()))
        .await
        .unwrap();
}

pub async fn sequencer<S: AuditStore>(
    store: Arc<S>,
    signer: Arc<NoteSigner>,
) -> (SequencerHandle, tokio::task::JoinHandle<()>) {
    start(
        store,
        signer,
        SequencerConfig::default(),
        Arc::new(Metrics::new()),
    )
    .await
    .unwrap()
}

/// Waits until the query index covers the first `size` events, and panics after 30 s.
pub async fn wait_for_index(store: &PostgresStore, size: u64) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let watermark = store.index_watermark().await.unwrap();
        if watermark >= size {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the indexer reached only {watermark} of {size} events in 30 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Checks that an acknowledgement's inclusion proof verifies against its signed checkpoint.
pub fn assert_proves(ack: &nexafi_audit::sequencer::Ack, signer: &NoteSigner) {
    let checkpoint =
        nexafi_audit::ledger::note::Checkpoint::open(&ack.checkpoint.note, &signer.verifier())
            .unwrap();
    nexafi_audit::ledger::proof::verify_inclusion(
        ack.index,
        checkpoint.size,
        &nexafi_audit::ledger::hash::leaf_hash(&ack.leaf),
        &ack.proof,
        &checkpoint.root,
    )
    .unwrap();
}
