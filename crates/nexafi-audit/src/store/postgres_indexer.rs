//! The query indexer of the PostgreSQL store: a task on its own connection that decodes
//! committed leaves into `event_index` and moves `index_watermark` with them.
//!
//! Each pass locks the watermark row (`SELECT ... FOR UPDATE`), so indexers of several
//! processes on one schema take turns and never insert the same rows. The commit path
//! does not wait for the indexer, because reads decode the leaves past the watermark.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use futures_util::pin_mut;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;
use tokio_postgres::Client;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::Type;

use super::postgres::{
    Chunk, PostgresStore, Target, block_start, columns_from_leaf, db_error, open_client,
};
use super::{EventColumns, StoreError, StoreResult};
use crate::metrics::Metrics;

/// Maximum leaves indexed in one transaction.
const PASS_LEAVES: i64 = 16_384;

/// Wait between passes when no commit of this process wakes the indexer. Commits of
/// other processes are picked up after at most this long.
const POLL: Duration = Duration::from_millis(500);

/// Pause after a pass that caught up, so that the next pass covers the commits of this
/// interval in one transaction instead of running once per commit. Under sustained
/// appends this bounds the query index's lag to about this long plus one pass.
const GATHER: Duration = Duration::from_millis(100);

/// Maximum wait before retrying a failed pass.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Query columns of events this process committed, kept so the local indexer need not
/// read their chunks back and decode the leaves. It is only a shortcut: an indexer that
/// finds no columns here for its watermark reads the chunks as before.
#[derive(Default)]
pub(super) struct Handoff {
    enabled: AtomicBool,
    columns: std::sync::Mutex<VecDeque<(u64, EventColumns)>>,
}

/// Most columns kept for the indexer; older ones are dropped and read from chunks.
const HANDOFF_EVENTS: usize = 65_536;

impl Handoff {
    /// Keeps the columns of a committed batch when a local indexer runs.
    pub(super) fn push(&self, first_index: u64, events: &[crate::event::SealedEvent]) {
        if !self.enabled.load(Ordering::Relaxed) {
            return;
        }
        let Ok(mut columns) = self.columns.lock() else {
            return;
        };
        for (offset, event) in events.iter().enumerate() {
            match EventColumns::from_envelope(&event.envelope) {
                Some(row) => columns.push_back((first_index + offset as u64, row)),
                // A gap: the indexer reads this batch from its chunks instead.
                None => columns.clear(),
            }
        }
        let excess = columns.len().saturating_sub(HANDOFF_EVENTS);
        columns.drain(..excess);
    }

    /// Takes the consecutive columns from index `next` on, at most `limit`, and drops
    /// the older ones. Empty when the columns for `next` are not here.
    fn take(&self, next: u64, limit: usize) -> Vec<(u64, EventColumns)> {
        let Ok(mut columns) = self.columns.lock() else {
            return Vec::new();
        };
        while columns.front().is_some_and(|(index, _)| *index < next) {
            columns.pop_front();
        }
        let mut run = Vec::new();
        while run.len() < limit
            && columns
                .front()
                .is_some_and(|(index, _)| *index == next + run.len() as u64)
        {
            if let Some(entry) = columns.pop_front() {
                run.push(entry);
            }
        }
        run
    }
}

/// A running indexer. Dropping it stops the task after its current pass, and
/// [`Indexer::stop`] also waits for that pass to end.
pub struct Indexer {
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
    stats: Arc<Stats>,
}

#[derive(Default)]
struct Stats {
    indexed: AtomicU64,
    failed_passes: AtomicU64,
}

impl Indexer {
    /// Stops the task and waits until its current pass has committed or rolled back.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take()
            && let Err(error) = task.await
        {
            tracing::error!(%error, "the query indexer task panicked");
        }
    }

    /// Events this indexer inserted into `event_index`, counted after each commit.
    pub fn indexed(&self) -> u64 {
        self.stats.indexed.load(Ordering::Relaxed)
    }

    /// Passes that failed and were retried.
    pub fn failed_passes(&self) -> u64 {
        self.stats.failed_passes.load(Ordering::Relaxed)
    }
}

impl Drop for Indexer {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

impl PostgresStore {
    /// Starts the query indexer on a connection of its own. It sets the `index_lag`
    /// gauge of `metrics` after each pass.
    ///
    /// Fails when the connection cannot be opened; later failures are logged and
    /// retried with a growing delay, reconnecting when the connection was lost.
    pub async fn start_indexer(&self, metrics: Arc<Metrics>) -> StoreResult<Indexer> {
        let client = open_client(&self.target, self.schema(), false).await?;
        let (stop, stopped) = watch::channel(false);
        let stats = Arc::new(Stats::default());
        self.handoff.enabled.store(true, Ordering::Relaxed);
        let worker = Worker {
            handoff: Arc::clone(&self.handoff),
            target: Arc::clone(&self.target),
            schema: self.schema().to_owned(),
            committed: Arc::clone(&self.committed),
            stopped,
            metrics,
            stats: Arc::clone(&stats),
        };
        let task = tokio::spawn(worker.run(client));
        Ok(Indexer {
            stop,
            task: Some(task),
            stats,
        })
    }
}

struct Worker {
    handoff: Arc<Handoff>,
    target: Arc<Target>,
    schema: String,
    committed: Arc<Notify>,
    stopped: watch::Receiver<bool>,
    metrics: Arc<Metrics>,
    stats: Arc<Stats>,
}

/// The result of one pass.
struct Pass {
    indexed: u64,
    /// Events in the latest checkpoint that are not indexed yet.
    lag: u64,
}

impl Worker {
    async fn run(mut self, client: Client) {
        tracing::info!(schema = %self.schema, "query indexer started");
        let mut client = Some(client);
        let mut backoff = Duration::from_millis(100);
        while !*self.stopped.borrow() {
            let result = match client.as_mut() {
                Some(connected) if !connected.is_closed() => {
                    index_pass(connected, &self.handoff).await
                }
                _ => match open_client(&self.target, &self.schema, false).await {
                    Ok(connected) => {
                        tracing::info!(schema = %self.schema, "query indexer reconnected");
                        index_pass(client.insert(connected), &self.handoff).await
                    }
                    Err(error) => Err(error),
                },
            };
            match result {
                Ok(pass) => {
                    backoff = Duration::from_millis(100);
                    self.metrics.index_lag.set(pass.lag as i64);
                    self.stats
                        .indexed
                        .fetch_add(pass.indexed, Ordering::Relaxed);
                    if pass.indexed > 0 {
                        tracing::debug!(
                            schema = %self.schema,
                            indexed = pass.indexed,
                            lag = pass.lag,
                            "query indexer pass committed"
                        );
                        if pass.lag < PASS_LEAVES as u64 {
                            self.pause(GATHER).await;
                        }
                        continue;
                    }
                    self.wait(POLL).await;
                }
                Err(error) => {
                    self.stats.failed_passes.fetch_add(1, Ordering::Relaxed);
                    // A stuck indexer must still show its lag, or the lag alert stays quiet.
                    if let Some(connected) = client.as_ref().filter(|c| !c.is_closed())
                        && let Ok(lag) = read_lag(connected).await
                    {
                        self.metrics.index_lag.set(lag as i64);
                    }
                    tracing::error!(
                        schema = %self.schema,
                        %error,
                        retry_in_ms = backoff.as_millis() as u64,
                        "query indexer pass failed; retrying"
                    );
                    self.wait(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
        tracing::info!(schema = %self.schema, "query indexer stopped");
    }

    /// Waits for a stop request or the timeout, whichever comes first.
    async fn pause(&mut self, timeout: Duration) {
        tokio::select! {
            _ = self.stopped.changed() => {}
            _ = tokio::time::sleep(timeout) => {}
        }
    }

    /// Waits for a commit of this process, a stop request or the timeout.
    async fn wait(&mut self, timeout: Duration) {
        tokio::select! {
            _ = self.committed.notified() => {}
            _ = self.stopped.changed() => {}
            _ = tokio::time::sleep(timeout) => {}
        }
    }
}

/// Reads the number of events the latest checkpoint covers that are not indexed yet,
/// without taking the watermark lock.
async fn read_lag(client: &Client) -> StoreResult<u64> {
    let row = client
        .query_one(
            "SELECT (SELECT COALESCE(MAX(size), 0) FROM checkpoints), \
             (SELECT next_idx FROM index_watermark)",
            &[],
        )
        .await
        .map_err(|error| db_error("reading the index lag", error))?;
    let size = row.get::<_, i64>(0).max(0) as u64;
    let next = row.get::<_, Option<i64>>(1).unwrap_or(0).max(0) as u64;
    Ok(size.saturating_sub(next))
}

/// Indexes up to [`PASS_LEAVES`] leaves from the watermark on, in one transaction.
///
/// Stops early at a missing chunk that the latest checkpoint does not cover yet, because
/// its commit may still be in flight. A missing chunk that the checkpoint covers, and a
/// leaf that does not decode, are errors once every leaf before them is indexed, and the
/// indexer retries them until the store is repaired.
async fn index_pass(client: &mut Client, handoff: &Handoff) -> StoreResult<Pass> {
    let fail = |error| db_error("indexing events", error);
    let transaction = client.transaction().await.map_err(fail)?;

    // Another indexer that has locked the row is indexing now: report the lag and let it work.
    let Some(locked) = transaction
        .query_opt(
            "SELECT next_idx FROM index_watermark FOR UPDATE SKIP LOCKED",
            &[],
        )
        .await
        .map_err(fail)?
    else {
        drop(transaction);
        return Ok(Pass {
            indexed: 0,
            lag: read_lag(client).await?,
        });
    };
    let next = locked.get::<_, i64>(0);
    let next = u64::try_from(next)
        .map_err(|_| StoreError::Corrupt(format!("the index watermark {next} is negative")))?;

    // Read the size before the chunks: every chunk below it is committed by then.
    let size = transaction
        .query_one("SELECT COALESCE(MAX(size), 0) FROM checkpoints", &[])
        .await
        .map_err(fail)?
        .get::<_, i64>(0) as u64;

    // Columns of this process's own commits come from memory, the rest from the chunks.
    let mut decoded = handoff.take(next, PASS_LEAVES as usize);
    let mut expected = next + decoded.len() as u64;
    let rows = if decoded.is_empty() {
        transaction
            .query(
                "SELECT first_idx, leaves FROM leaf_chunks \
                 WHERE first_idx >= $1 AND first_idx < $2 ORDER BY first_idx",
                &[&block_start(next), &(next as i64 + PASS_LEAVES)],
            )
            .await
            .map_err(fail)?
    } else {
        Vec::new()
    };

    let mut problem = None;
    'chunks: for row in &rows {
        let chunk = match Chunk::from_row(row) {
            Ok(chunk) => chunk,
            Err(error) => {
                problem = Some(error);
                break;
            }
        };
        if chunk.first > expected {
            break;
        }
        for (index, leaf) in chunk.into_indexed() {
            if index < expected {
                continue;
            }
            match columns_from_leaf(index, &leaf) {
                Ok(columns) => decoded.push((index, columns)),
                Err(error) => {
                    problem = Some(error);
                    break 'chunks;
                }
            }
            expected = index + 1;
        }
    }
    if decoded.is_empty() {
        if let Some(error) = problem {
            return Err(error);
        }
        if expected < size {
            return Err(StoreError::Corrupt(format!(
                "no leaf chunk contains index {expected}, but the latest checkpoint covers {size} events"
            )));
        }
        return Ok(Pass {
            indexed: 0,
            lag: size.saturating_sub(next),
        });
    }

    let sink = transaction
        .copy_in(
            "COPY event_index (idx, event_id, tenant, event_time_us, recorded_time_us, actor, \
             action, resource, outcome, amount, currency) FROM STDIN BINARY",
        )
        .await
        .map_err(fail)?;
    let writer = BinaryCopyInWriter::new(
        sink,
        &[
            Type::INT8,
            Type::UUID,
            Type::TEXT,
            Type::INT8,
            Type::INT8,
            Type::TEXT,
            Type::TEXT,
            Type::TEXT,
            Type::TEXT,
            Type::TEXT,
            Type::TEXT,
        ],
    );
    pin_mut!(writer);
    for (index, columns) in &decoded {
        let index = *index as i64;
        writer
            .as_mut()
            .write(&[
                &index,
                &columns.event_id,
                &columns.tenant,
                &columns.event_time_us,
                &columns.recorded_time_us,
                &columns.actor,
                &columns.action,
                &columns.resource,
                &columns.outcome,
                &columns.amount,
                &columns.currency,
            ])
            .await
            .map_err(fail)?;
    }
    writer.finish().await.map_err(fail)?;
    transaction
        .execute(
            "UPDATE index_watermark SET next_idx = $1",
            &[&(expected as i64)],
        )
        .await
        .map_err(fail)?;
    transaction.commit().await.map_err(fail)?;
    Ok(Pass {
        indexed: decoded.len() as u64,
        lag: size.saturating_sub(expected),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns(actor: &str) -> EventColumns {
        EventColumns {
            event_id: uuid::Uuid::nil(),
            tenant: "acme".to_owned(),
            event_time_us: 0,
            recorded_time_us: 0,
            actor: actor.to_owned(),
            action: "payment.create".to_owned(),
            resource: "payment/1".to_owned(),
            outcome: "success".to_owned(),
            amount: None,
            currency: None,
        }
    }

    fn kept(indexes: &[u64]) -> Handoff {
        let handoff = Handoff::default();
        if let Ok(mut kept) = handoff.columns.lock() {
            kept.extend(indexes.iter().map(|i| (*i, columns(&format!("user:{i}")))));
        }
        handoff
    }

    #[test]
    fn take_starts_at_the_watermark() {
        let handoff = kept(&[3, 4, 5, 6]);
        let taken = handoff.take(4, 2);
        let indexes: Vec<u64> = taken.iter().map(|(index, _)| *index).collect();
        assert_eq!(indexes, [4, 5]);
        assert_eq!(taken[0].1.actor, "user:4");
        let rest: Vec<u64> = handoff.take(6, 10).iter().map(|(i, _)| *i).collect();
        assert_eq!(rest, [6]);
    }

    #[test]
    fn take_is_empty_without_the_watermark() {
        // Index 7 is missing, so the indexer must read it from the chunks.
        let handoff = kept(&[8, 9]);
        assert!(handoff.take(7, 10).is_empty());
        let handoff = kept(&[1, 2, 4]);
        let taken: Vec<u64> = handoff.take(1, 10).iter().map(|(i, _)| *i).collect();
        assert_eq!(taken, [1, 2], "stops before the gap");
    }

    #[test]
    fn push_is_off_until_an_indexer_starts() {
        let handoff = Handoff::default();
        handoff.push(0, &[]);
        assert!(handoff.take(0, 10).is_empty());
        handoff.enabled.store(true, Ordering::Relaxed);
        let event = crate::event::NewEvent::from_json(
            &serde_json::json!({
                "tenant": "acme",
                "event_id": "01938a5c-7f3e-7cc2-9a4e-3f9b8c2d1e0f",
                "event_time": "2026-12-04T10:00:00Z",
                "actor": "user:42",
                "action": "payment.create",
                "resource": "payment/981",
                "outcome": "success",
                "payload": {}
            }),
            crate::event::DEFAULT_MAX_PAYLOAD_BYTES,
        )
        .unwrap_or_else(|error| panic!("{error}"));
        let sealed = event.seal("log", jiff::Timestamp::UNIX_EPOCH, [1; 16]);
        handoff.push(10, &[sealed.clone(), sealed]);
        let taken = handoff.take(10, 10);
        assert_eq!(taken.len(), 2);
        assert_eq!(taken[1].0, 11);
        assert_eq!(taken[0].1.actor, "user:42");
    }
}
