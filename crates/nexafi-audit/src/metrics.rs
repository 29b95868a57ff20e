//! Prometheus metrics of the audit service, in the OpenMetrics text format.

use std::sync::atomic::{AtomicI64, Ordering};

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// The service's metrics; cheap to update from any task.
pub struct Metrics {
    registry: Registry,
    pub appends: Counter,
    pub rejected_full: Counter,
    pub batch_size: Histogram,
    pub commit_seconds: Histogram,
    pub queue_depth: Gauge,
    /// Events in the latest checkpoint that the PostgreSQL query index does not cover yet.
    pub index_lag: Gauge,
    tree_size: Gauge,
    checkpoint_age_seconds: Gauge<f64, std::sync::atomic::AtomicU64>,
    last_checkpoint_ms: AtomicI64,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("nexafi_audit");
        let appends = Counter::default();
        registry.register("appends", "Events durably appended", appends.clone());
        let rejected_full = Counter::default();
        registry.register(
            "rejected_queue_full",
            "Append requests rejected because the queue was full",
            rejected_full.clone(),
        );
        let batch_size = Histogram::new(exponential_buckets(1.0, 2.0, 14));
        registry.register(
            "batch_size",
            "Events per committed batch",
            batch_size.clone(),
        );
        let commit_seconds = Histogram::new(exponential_buckets(0.0005, 2.0, 14));
        registry.register(
            "commit_latency_seconds",
            "Time to seal, write and commit one batch",
            commit_seconds.clone(),
        );
        let queue_depth = Gauge::default();
        registry.register(
            "queue_depth",
            "Append requests waiting for the sequencer",
            queue_depth.clone(),
        );
        let index_lag = Gauge::default();
        registry.register(
            "index_lag",
            "Committed events not yet copied into the PostgreSQL query index (event_index)",
            index_lag.clone(),
        );
        let tree_size = Gauge::default();
        registry.register(
            "tree_size",
            "Leaves in the latest checkpoint",
            tree_size.clone(),
        );
        let checkpoint_age_seconds = Gauge::<f64, std::sync::atomic::AtomicU64>::default();
        registry.register(
            "checkpoint_age_seconds",
            "Seconds since the latest checkpoint was signed by this process",
            checkpoint_age_seconds.clone(),
        );
        Metrics {
            registry,
            appends,
            rejected_full,
            batch_size,
            commit_seconds,
            queue_depth,
            index_lag,
            tree_size,
            checkpoint_age_seconds,
            last_checkpoint_ms: AtomicI64::new(0),
        }
    }

    /// Records that a checkpoint of `size` leaves was committed now.
    pub fn mark_checkpoint(&self, size: u64) {
        self.tree_size.set(size as i64);
        self.last_checkpoint_ms
            .store(jiff::Timestamp::now().as_millisecond(), Ordering::Relaxed);
    }

    /// Encodes every metric as OpenMetrics text.
    pub fn render(&self) -> String {
        let last = self.last_checkpoint_ms.load(Ordering::Relaxed);
        if last > 0 {
            let age = (jiff::Timestamp::now().as_millisecond() - last) as f64 / 1000.0;
            self.checkpoint_age_seconds.set(age);
        }
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}
