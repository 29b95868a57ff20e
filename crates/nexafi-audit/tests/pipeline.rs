//! The sequencer's pipeline: while one batch is being written, the next one is prepared
//! on top of it. A retry of an event whose batch is still being written must come back
//! as a duplicate with the same index, and a failed commit must void the batch prepared
//! on top of it without losing or duplicating anything.
//!
//! The store here is the real SQLite store behind a wrapper that holds each commit until
//! the test releases it and can make one commit fail, so the overlap is certain rather
//! than left to timing.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use nexafi_audit::ledger::hash::Hash;
use nexafi_audit::ledger::tiles::{TileSet, TreeState};
use nexafi_audit::sequencer::AppendError;
use nexafi_audit::store::sqlite::SqliteStore;
use nexafi_audit::store::{
    AuditStore, CommitBatch, EventQuery, LegalHold, StoreError, StoreResult, StoredCheckpoint,
    StoredEvent, StoredToken,
};
use nexafi_audit::verify::audit_store;
use tokio::sync::{Semaphore, mpsc};
use uuid::Uuid;

/// SQLite with commits that wait for a permit and report when they start.
struct Gated {
    inner: SqliteStore,
    permits: Semaphore,
    started: mpsc::UnboundedSender<u64>,
    fail_next: AtomicBool,
}

impl AuditStore for Gated {
    const KIND: &'static str = "sqlite";

    async fn load(&self) -> StoreResult<(TreeState, Option<StoredCheckpoint>)> {
        self.inner.load().await
    }

    async fn commit(&self, batch: &CommitBatch) -> StoreResult<()> {
        let _ = self.started.send(batch.first_index);
        self.permits.acquire().await.unwrap().forget();
        if self.fail_next.swap(false, Ordering::SeqCst) {
            return Err(StoreError::db("committing a batch", "injected failure"));
        }
        self.inner.commit(batch).await
    }

    async fn events_by_ids(&self, ids: &[Uuid]) -> StoreResult<Vec<StoredEvent>> {
        self.inner.events_by_ids(ids).await
    }

    async fn event_indexes(&self, ids: &[Uuid]) -> StoreResult<Vec<(Uuid, u64)>> {
        self.inner.event_indexes(ids).await
    }

    async fn event_by_index(&self, index: u64) -> StoreResult<Option<StoredEvent>> {
        self.inner.event_by_index(index).await
    }

    async fn query(&self, query: &EventQuery) -> StoreResult<Vec<StoredEvent>> {
        self.inner.query(query).await
    }

    async fn entries(&self, start: u64, end: u64) -> StoreResult<Vec<StoredEvent>> {
        self.inner.entries(start, end).await
    }

    async fn tiles(&self, wanted: &[(u8, u64)]) -> StoreResult<TileSet> {
        self.inner.tiles(wanted).await
    }

    async fn latest_checkpoint(&self) -> StoreResult<Option<StoredCheckpoint>> {
        self.inner.latest_checkpoint().await
    }

    async fn checkpoints_between(
        &self,
        after: u64,
        up_to: u64,
    ) -> StoreResult<Vec<StoredCheckpoint>> {
        self.inner.checkpoints_between(after, up_to).await
    }

    async fn checkpoint_at(&self, size: u64) -> StoreResult<Option<StoredCheckpoint>> {
        self.inner.checkpoint_at(size).await
    }

    async fn insert_token(&self, secret_hash: &Hash, token: &StoredToken) -> StoreResult<()> {
        self.inner.insert_token(secret_hash, token).await
    }

    async fn find_token(&self, secret_hash: &Hash) -> StoreResult<Option<StoredToken>> {
        self.inner.find_token(secret_hash).await
    }

    async fn add_hold(&self, tenant: &str, prefix: &str, reason: &str) -> StoreResult<i64> {
        self.inner.add_hold(tenant, prefix, reason).await
    }

    async fn release_hold(&self, id: i64) -> StoreResult<bool> {
        self.inner.release_hold(id).await
    }

    async fn active_holds(&self) -> StoreResult<Vec<LegalHold>> {
        self.inner.active_holds().await
    }

    async fn payloads_recorded_before(
        &self,
        before_us: i64,
        from: u64,
        limit: u32,
    ) -> StoreResult<Vec<StoredEvent>> {
        self.inner
            .payloads_recorded_before(before_us, from, limit)
            .await
    }
}

fn gated() -> (tempfile::TempDir, Arc<Gated>, mpsc::UnboundedReceiver<u64>) {
    let (dir, inner) = common::sqlite();
    let (started, commits) = mpsc::unbounded_channel();
    let store = Arc::new(Gated {
        inner,
        permits: Semaphore::new(0),
        started,
        fail_next: AtomicBool::new(false),
    });
    (dir, store, commits)
}

/// Awaits an append task, and fails the test instead of hanging when it never returns.
async fn answer<T>(task: tokio::task::JoinHandle<T>) -> T {
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("the append got no answer within 10 s")
        .unwrap()
}

/// Waits until the commit of the batch starting at `first_index` has begun.
async fn commit_started(commits: &mut mpsc::UnboundedReceiver<u64>, first_index: u64) {
    let started = tokio::time::timeout(Duration::from_secs(10), commits.recv())
        .await
        .expect("no commit started within 10 s")
        .unwrap();
    assert_eq!(started, first_index);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_during_commit_is_duplicate() {
    let (_dir, store, mut commits) = gated();
    let signer = common::signer();
    let (handle, task) = common::sequencer(Arc::clone(&store), Arc::clone(&signer)).await;

    let first = common::event("user:1", "10.00");
    let append_first = tokio::spawn({
        let handle = handle.clone();
        let first = first.clone();
        async move { handle.append(vec![first]).await }
    });
    commit_started(&mut commits, 0).await;

    // The first batch is held in its commit. This retry plus a new event is prepared
    // on top of it, and the retried event must keep its first index.
    let second = common::event("user:2", "20.00");
    let append_both = tokio::spawn({
        let handle = handle.clone();
        let (first, second) = (first.clone(), second.clone());
        async move { handle.append(vec![first, second]).await }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    store.permits.add_permits(1);
    commit_started(&mut commits, 1).await;
    store.permits.add_permits(1);

    let acks_first = answer(append_first).await.unwrap();
    let acks_both = answer(append_both).await.unwrap();
    assert_eq!(acks_first[0].index, 0);
    assert!(!acks_first[0].duplicate);
    assert_eq!(acks_both[0].index, 0, "the retry kept the first index");
    assert!(acks_both[0].duplicate);
    assert_eq!(acks_both[0].leaf, acks_first[0].leaf);
    assert_eq!(acks_both[1].index, 1);
    assert!(!acks_both[1].duplicate);
    for ack in acks_first.iter().chain(&acks_both) {
        common::assert_proves(ack, &signer);
    }

    drop(handle);
    store.permits.add_permits(16);
    task.await.unwrap();
    let (report, _) = audit_store(store.as_ref(), &signer.verifier(), None)
        .await
        .unwrap();
    assert_eq!(report.size, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_commit_voids_next_batch() {
    let (_dir, store, mut commits) = gated();
    let signer = common::signer();
    let (handle, task) = common::sequencer(Arc::clone(&store), Arc::clone(&signer)).await;

    // One committed event before the failure.
    let settled = tokio::spawn({
        let handle = handle.clone();
        async move { handle.append(vec![common::event("user:0", "1.00")]).await }
    });
    commit_started(&mut commits, 0).await;
    store.permits.add_permits(1);
    answer(settled).await.unwrap();

    // The next batch fails in its commit while another is prepared on top of it.
    store.fail_next.store(true, Ordering::SeqCst);
    let doomed = tokio::spawn({
        let handle = handle.clone();
        async move { handle.append(vec![common::event("user:1", "2.00")]).await }
    });
    commit_started(&mut commits, 1).await;
    let stacked_event = common::event("user:2", "3.00");
    let stacked = tokio::spawn({
        let handle = handle.clone();
        let event = stacked_event.clone();
        async move { handle.append(vec![event]).await }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    store.permits.add_permits(1);

    let doomed = answer(doomed).await;
    assert!(
        matches!(&doomed, Err(AppendError::Store(message)) if message.contains("injected failure")),
        "{doomed:?}"
    );
    let stacked = answer(stacked).await;
    assert!(
        matches!(&stacked, Err(AppendError::Store(message)) if message.contains("earlier batch failed")),
        "{stacked:?}"
    );

    // The sequencer reloaded its tree: the retried event takes index 1, not 2.
    store.permits.add_permits(16);
    let retried = handle.append(vec![stacked_event]).await.unwrap();
    assert_eq!(retried[0].index, 1);
    assert!(!retried[0].duplicate);
    common::assert_proves(&retried[0], &signer);

    drop(handle);
    task.await.unwrap();
    let (report, _) = audit_store(store.as_ref(), &signer.verifier(), None)
        .await
        .unwrap();
    assert_eq!(report.size, 2);
}
