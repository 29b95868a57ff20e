//! Prometheus metrics of the monitor, in the OpenMetrics text format.
//!
//! The names without the `nexafi_monitor_` prefix (`nexafi_findings`,
//! `nexafi_compliance_controls`, `nexafi_compliance_score`) are the ones the alert rules
//! and dashboards under `infrastructure/kubernetes/monitoring/` query.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::sync::atomic::AtomicU64;

use nexafi_model::{ScanResult, Verdict};
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

type Labels = Vec<(&'static str, String)>;

/// The monitor's metrics; cheap to update from any task.
pub struct Metrics {
    registry: Registry,
    /// Held while the findings families are rewritten and while they are encoded, so a
    /// scrape never reads half of an evaluation.
    update: Mutex<()>,
    findings: Family<Labels, Gauge>,
    failing_resources: Family<Labels, Gauge>,
    controls: Family<Labels, Gauge>,
    score: Family<Labels, Gauge<f64, AtomicU64>>,
    objects: Family<Labels, Gauge>,
    evaluation_seconds: Histogram,
    last_sync: Gauge<f64, AtomicU64>,
    watch_errors: Family<Labels, Counter>,
    audit_events: Family<Labels, Counter>,
    audit_failures: Counter,
    audit_dropped: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::default();
        let findings = Family::<Labels, Gauge>::default();
        registry.register(
            "nexafi_findings",
            "Failing and waived findings per check, severity and namespace",
            findings.clone(),
        );
        let failing_resources = Family::<Labels, Gauge>::default();
        registry.register(
            "nexafi_monitor_failing_resources",
            "Resources with at least one unwaived failure, per check and namespace",
            failing_resources.clone(),
        );
        let controls = Family::<Labels, Gauge>::default();
        registry.register(
            "nexafi_compliance_controls",
            "Controls per framework and status",
            controls.clone(),
        );
        let score = Family::<Labels, Gauge<f64, AtomicU64>>::default();
        registry.register(
            "nexafi_compliance_score",
            "Share of decided controls that are satisfied, from 0 to 1",
            score.clone(),
        );

        let monitor = registry.sub_registry_with_prefix("nexafi_monitor");
        let objects = Family::<Labels, Gauge>::default();
        monitor.register(
            "objects",
            "Live objects evaluated, per kind",
            objects.clone(),
        );
        let evaluation_seconds = Histogram::new(exponential_buckets(0.001, 2.0, 16));
        monitor.register(
            "evaluation_duration_seconds",
            "Time to evaluate every live object",
            evaluation_seconds.clone(),
        );
        let last_sync = Gauge::<f64, AtomicU64>::default();
        monitor.register(
            "last_sync_timestamp_seconds",
            "Unix time of the latest evaluation of a fully listed cluster",
            last_sync.clone(),
        );
        let watch_errors = Family::<Labels, Counter>::default();
        monitor.register(
            "watch_errors",
            "Failed list and watch requests, per kind",
            watch_errors.clone(),
        );
        let audit_events = Family::<Labels, Counter>::default();
        monitor.register(
            "audit_events",
            "Events appended to the audit trail, per action",
            audit_events.clone(),
        );
        let audit_failures = Counter::default();
        monitor.register(
            "audit_append_failures",
            "Failed attempts to append an event to the audit trail; each is retried",
            audit_failures.clone(),
        );
        let audit_dropped = Counter::default();
        monitor.register(
            "audit_events_dropped",
            "Events not sent because the queue to the audit trail was full",
            audit_dropped.clone(),
        );

        Metrics {
            registry,
            update: Mutex::new(()),
            findings,
            failing_resources,
            controls,
            score,
            objects,
            evaluation_seconds,
            last_sync,
            watch_errors,
            audit_events,
            audit_failures,
            audit_dropped,
        }
    }

    /// Replaces the findings, control and score metrics with those of `result`.
    pub fn record_result(&self, result: &ScanResult, seconds: f64) {
        let mut findings: BTreeMap<Labels, i64> = BTreeMap::new();
        let mut failing: BTreeMap<Labels, BTreeSet<&str>> = BTreeMap::new();
        for finding in &result.findings {
            let waived = match finding.verdict {
                Verdict::Fail | Verdict::Error => "false",
                Verdict::Waived => "true",
                Verdict::Pass | Verdict::Unknown => continue,
            };
            let namespace = namespace_of(&finding.file).to_owned();
            if waived == "false" {
                failing
                    .entry(vec![
                        ("check", finding.check_id.clone()),
                        ("namespace", namespace.clone()),
                    ])
                    .or_default()
                    .insert(&finding.resource);
            }
            let labels = vec![
                ("check", finding.check_id.clone()),
                ("severity", finding.severity.as_str().to_owned()),
                ("waived", waived.to_owned()),
                ("namespace", namespace),
            ];
            *findings.entry(labels).or_default() += 1;
        }

        let _guard = self
            .update
            .lock()
            .unwrap_or_else(|error| error.into_inner());
        self.findings.clear();
        for (labels, count) in findings {
            self.findings.get_or_create(&labels).set(count);
        }
        self.failing_resources.clear();
        for (labels, resources) in failing {
            self.failing_resources
                .get_or_create(&labels)
                .set(i64::try_from(resources.len()).unwrap_or(i64::MAX));
        }
        self.controls.clear();
        self.score.clear();
        for framework in &result.frameworks {
            let statuses = [
                ("satisfied", framework.satisfied),
                ("not_satisfied", framework.not_satisfied),
                ("not_assessed", framework.not_assessed),
                ("manual", framework.manual),
            ];
            for (status, count) in statuses {
                let labels = vec![
                    ("framework", framework.id.clone()),
                    ("status", status.to_owned()),
                ];
                self.controls
                    .get_or_create(&labels)
                    .set(i64::try_from(count).unwrap_or(i64::MAX));
            }
            if let Some(score) = framework.score {
                self.score
                    .get_or_create(&vec![("framework", framework.id.clone())])
                    .set(score / 100.0);
            }
        }
        self.evaluation_seconds.observe(seconds);
        self.last_sync.set(unix_seconds());
    }

    pub fn record_objects(&self, counts: &BTreeMap<&'static str, usize>) {
        for (kind, count) in counts {
            self.objects
                .get_or_create(&vec![("kind", (*kind).to_owned())])
                .set(i64::try_from(*count).unwrap_or(i64::MAX));
        }
    }

    pub fn watch_error(&self, kind: &str) {
        self.watch_errors
            .get_or_create(&vec![("kind", kind.to_owned())])
            .inc();
    }

    pub fn audit_sent(&self, action: &str) {
        self.audit_events
            .get_or_create(&vec![("action", action.to_owned())])
            .inc();
    }

    pub fn audit_failed(&self) {
        self.audit_failures.inc();
    }

    pub fn audit_dropped(&self) {
        self.audit_dropped.inc();
    }

    /// Encodes every metric in the OpenMetrics text format.
    pub fn encode(&self) -> String {
        let _guard = self
            .update
            .lock()
            .unwrap_or_else(|error| error.into_inner());
        let mut text = String::new();
        // `fmt::Write` for String never returns an error.
        let _ = encode(&mut text, &self.registry);
        text
    }
}

/// Returns the namespace of a source name: NAMESPACE in `cluster://NAMESPACE/KIND/NAME`,
/// NAME in `cluster://Namespace/NAME`, and "" for other cluster-scoped objects.
pub fn namespace_of(source: &str) -> &str {
    let path = source.strip_prefix("cluster://").unwrap_or(source);
    let segments: Vec<&str> = path.splitn(3, '/').collect();
    match segments.as_slice() {
        [namespace, _, _] => namespace,
        ["Namespace", name] => name,
        _ => "",
    }
}

fn unix_seconds() -> f64 {
    let now = jiff::Timestamp::now();
    now.as_millisecond() as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_of_sources() {
        assert_eq!(
            namespace_of("cluster://payments/Deployment/ledger"),
            "payments"
        );
        assert_eq!(namespace_of("cluster://ClusterRole/admin"), "");
        assert_eq!(namespace_of("cluster://Namespace/payments"), "payments");
    }
}
