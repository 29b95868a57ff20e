//! The query indexer of the PostgreSQL store: a task on its own connection that decodes
//! committed leaves into `event_index` and moves `index_watermark` with them.
//!
//! Each pass locks the watermark row (`SELECT ... FOR UPDATE`), so indexers of several
//! processes on one schema take turns and never insert the same rows. The commit path
//! does not wait for the indexer, because reads decode the leaves past the watermark.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
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

/// Maximum wait before retrying a failed pass.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

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
        let worker = Worker {
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
                Some(connected) if !connected.is_closed() => index_pass(connected).await,
                _ => match open_client(&self.target, &self.schema, false).await {
                    Ok(connected) => {
                        tracing::info!(schema = %self.schema, "query indexer reconnected");
                        index_pass(client.insert(connected)).await
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
                        continue;
                    }
                    self.wait(POLL).await;
                }
                Err(error) => {
                    self.stats.failed_passes.fetch_add(1, Ordering::Relaxed);
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

    /// Waits for a commit of this process, a stop request or the timeout.
    async fn wait(&mut self, timeout: Duration) {
        tokio::select! {
            _ = self.committed.notified() => {}
            _ = self.stopped.changed() => {}
            _ = tokio::time::sleep(timeout) => {}
        }
    }
}

/// Indexes up to [`PASS_LEAVES`] leaves from the watermark on, in one transaction.
///
/// Stops early at a missing chunk that the latest checkpoint does not cover yet, because
/// its commit may still be in flight. A missing chunk that the checkpoint covers, and a
/// leaf that does not decode, are errors once every leaf before them is indexed, and the
/// indexer retries them until the store is repaired.
async fn index_pass(client: &mut Client) -> StoreResult<Pass> {
    let fail = |error| db_error("indexing events", error);
    let transaction = client.transaction().await.map_err(fail)?;
    let next = transaction
        .query_one("SELECT next_idx FROM index_watermark FOR UPDATE", &[])
        .await
        .map_err(fail)?
        .get::<_, i64>(0);
    let next = u64::try_from(next)
        .map_err(|_| StoreError::Corrupt(format!("the index watermark {next} is negative")))?;
    // Read the size before the chunks: every chunk below it is committed by then.
    let size = transaction
        .query_one("SELECT COALESCE(MAX(size), 0) FROM checkpoints", &[])
        .await
        .map_err(fail)?
        .get::<_, i64>(0) as u64;
    let rows = transaction
        .query(
            "SELECT first_idx, leaves FROM leaf_chunks \
             WHERE first_idx >= $1 AND first_idx < $2 ORDER BY first_idx",
            &[&block_start(next), &(next as i64 + PASS_LEAVES)],
        )
        .await
        .map_err(fail)?;

    let mut decoded: Vec<(u64, EventColumns)> = Vec::new();
    let mut expected = next;
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
