//! Violations to the audit trail: which (check, object) pairs changed state, and the task
//! that appends an event for each change.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use nexafi_audit::client::{AuditClient, ClientError, Method};
use nexafi_model::{Finding, Verdict};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::MonitorError;
use crate::metrics::Metrics;

/// `action` of the event for a (check, object) pair that starts failing.
pub const VIOLATION: &str = "compliance.violation";
/// `action` of the event for a failing pair that passes again.
pub const RESOLVED: &str = "compliance.resolved";
/// `actor` of every event the monitor appends.
pub const ACTOR: &str = "nexafi-monitor";

/// Events waiting for the audit service; more are dropped and counted.
const QUEUE_CAPACITY: usize = 4096;
/// First delay between attempts to append one event; it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Audit service, credentials and tenant of the events the monitor appends.
#[derive(Clone, Debug)]
pub struct AuditConfig {
    /// Base URL of the audit service.
    pub url: String,
    /// File holding a bearer token with the `append` scope.
    pub token_file: PathBuf,
    /// CA certificate that signs the service's TLS certificate, for an https URL.
    pub ca_file: Option<PathBuf>,
    /// `tenant` of every event.
    pub tenant: String,
}

impl AuditConfig {
    /// Reads the token and creates the client.
    pub fn client(&self) -> Result<AuditClient, MonitorError> {
        let token = read_token(&self.token_file)?;
        if let Some(path) = &self.ca_file
            && let Err(source) = std::fs::metadata(path)
        {
            return Err(MonitorError::File {
                what: "--audit-ca-file",
                path: path.clone(),
                source,
            });
        }
        AuditClient::builder(&self.url)
            .token(Some(token))
            .ca_file(self.ca_file.clone())
            .build()
            .map_err(|error| MonitorError::Audit {
                message: format!("--audit-url: {error}"),
            })
    }
}

fn read_token(path: &Path) -> Result<String, MonitorError> {
    let text = std::fs::read_to_string(path).map_err(|source| MonitorError::File {
        what: "--audit-token-file",
        path: path.to_path_buf(),
        source,
    })?;
    let token = text.trim();
    if token.is_empty() {
        return Err(MonitorError::Audit {
            message: format!(
                "--audit-token-file {} is empty; write a token with the append scope into it (nexafi audit token create --scope append)",
                path.display()
            ),
        });
    }
    Ok(token.to_owned())
}

/// State of one (check, object) pair across its evaluations (one per container, for
/// example).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PairState {
    /// At least one evaluation failed.
    Failing,
    /// Every evaluation passed or was waived.
    Passing,
    /// Neither: some evaluation could not be decided.
    Undecided,
}

/// The last state of every (check, resource) pair, to find those that changed.
#[derive(Default)]
pub struct Tracker {
    states: HashMap<(String, String), PairState>,
}

/// One (check, object) pair that changed state, with what the event needs.
#[derive(Debug)]
pub struct Transition {
    pub action: &'static str,
    pub event: Value,
}

impl Tracker {
    /// Records the findings of a new evaluation and returns the pairs that started failing
    /// (from passing, undecided or new) and those that pass again. Pairs of deleted objects
    /// are forgotten without an event.
    pub fn update(&mut self, findings: &[Finding], tenant: &str) -> Vec<Transition> {
        let mut pairs: BTreeMap<(String, String), Vec<&Finding>> = BTreeMap::new();
        for finding in findings {
            if finding.resource.is_empty() {
                continue;
            }
            pairs
                .entry((finding.check_id.clone(), finding.resource.clone()))
                .or_default()
                .push(finding);
        }

        let mut transitions = Vec::new();
        let mut states = HashMap::with_capacity(pairs.len());
        for (pair, group) in pairs {
            let state = pair_state(&group);
            let before = self.states.get(&pair).copied();
            let action = match (before, state) {
                (Some(PairState::Failing), PairState::Failing) => None,
                (_, PairState::Failing) => Some(VIOLATION),
                (Some(PairState::Failing), PairState::Passing) => Some(RESOLVED),
                _ => None,
            };
            if let Some(action) = action {
                transitions.push(Transition {
                    action,
                    event: event(action, tenant, &group),
                });
            }
            states.insert(pair, state);
        }
        self.states = states;
        transitions
    }
}

fn pair_state(group: &[&Finding]) -> PairState {
    if group
        .iter()
        .any(|finding| matches!(finding.verdict, Verdict::Fail | Verdict::Error))
    {
        PairState::Failing
    } else if group
        .iter()
        .all(|finding| matches!(finding.verdict, Verdict::Pass | Verdict::Waived))
    {
        PairState::Passing
    } else {
        PairState::Undecided
    }
}

/// Builds the audit event of one transition (see `docs/audit.md` for the fields).
fn event(action: &str, tenant: &str, group: &[&Finding]) -> Value {
    let Some(first) = group.first() else {
        return Value::Null;
    };
    let outcome = if action == VIOLATION {
        "failure"
    } else {
        "success"
    };
    let failing: Vec<Value> = group
        .iter()
        .filter(|finding| matches!(finding.verdict, Verdict::Fail | Verdict::Error))
        .map(|finding| {
            json!({
                "attribute": finding.attribute,
                "message": finding.message,
                "expected": finding.expected,
                "found": finding.found,
            })
        })
        .collect();
    json!({
        "event_id": uuid::Uuid::now_v7().to_string(),
        "event_time": jiff::Timestamp::now().to_string(),
        "tenant": tenant,
        "actor": ACTOR,
        "action": action,
        "resource": first.resource,
        "outcome": outcome,
        "payload": {
            "check": first.check_id,
            "title": first.title,
            "severity": first.severity.as_str(),
            "kind": first.resource_kind,
            "source": first.file,
            "controls": first.controls,
            "failing": failing,
        },
    })
}

/// The sending end of the queue to the audit service.
#[derive(Clone)]
pub struct AuditQueue {
    sender: mpsc::Sender<Transition>,
    metrics: Arc<Metrics>,
}

impl AuditQueue {
    /// Queues an event; when the queue is full the event is dropped, counted and logged.
    pub fn push(&self, transition: Transition) {
        if let Err(error) = self.sender.try_send(transition) {
            self.metrics.audit_dropped();
            let transition = match error {
                mpsc::error::TrySendError::Full(transition)
                | mpsc::error::TrySendError::Closed(transition) => transition,
            };
            tracing::error!(
                action = transition.action,
                resource = %transition.event["resource"],
                "dropped an audit event because {QUEUE_CAPACITY} events are waiting for the audit service"
            );
        }
    }
}

/// Starts the task that appends queued events, one at a time and in order. A failed
/// append is retried with the same `event_id`, so the service stores it once.
pub fn spawn_sender(
    client: AuditClient,
    metrics: Arc<Metrics>,
) -> (AuditQueue, tokio::task::JoinHandle<()>) {
    let (sender, mut receiver) = mpsc::channel::<Transition>(QUEUE_CAPACITY);
    let task_metrics = Arc::clone(&metrics);
    let task = tokio::spawn(async move {
        while let Some(transition) = receiver.recv().await {
            append(&client, &task_metrics, &transition).await;
        }
    });
    (AuditQueue { sender, metrics }, task)
}

/// Appends one event, retrying with exponential backoff until the service accepts it or
/// rejects it as invalid.
async fn append(client: &AuditClient, metrics: &Metrics, transition: &Transition) {
    let mut delay = FIRST_BACKOFF;
    let event_id = transition.event["event_id"].as_str().unwrap_or_default();
    for attempt in 1u32.. {
        match client
            .json(Method::POST, "/v1/events", Some(&transition.event))
            .await
        {
            Ok(_) => {
                metrics.audit_sent(transition.action);
                tracing::info!(
                    event_id,
                    action = transition.action,
                    resource = %transition.event["resource"],
                    "appended an audit event"
                );
                return;
            }
            Err(error) if is_permanent(&error) => {
                metrics.audit_failed();
                tracing::error!(
                    event_id,
                    action = transition.action,
                    %error,
                    "the audit service rejected an event; it is not retried"
                );
                return;
            }
            Err(error) => {
                metrics.audit_failed();
                tracing::warn!(
                    event_id,
                    attempt,
                    retry_in_ms = delay.as_millis() as u64,
                    %error,
                    "failed to append an audit event; retrying"
                );
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(MAX_BACKOFF);
            }
        }
    }
}

/// Returns true for errors a retry cannot fix: the service rejected the request itself
/// (4xx), except for throttling and timeouts.
fn is_permanent(error: &ClientError) -> bool {
    match error {
        ClientError::Status { status, .. } => {
            status.is_client_error() && status.as_u16() != 408 && status.as_u16() != 429
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nexafi_model::Severity;

    fn finding(check: &str, resource: &str, verdict: Verdict) -> Finding {
        Finding {
            check_id: check.to_owned(),
            title: String::new(),
            severity: Severity::High,
            verdict,
            message: String::new(),
            categories: Vec::new(),
            controls: BTreeMap::new(),
            fingerprint: String::new(),
            suppression: None,
            file: String::new(),
            line: 1,
            column: 1,
            end_line: 1,
            end_column: 1,
            resource: resource.to_owned(),
            resource_kind: "Deployment".to_owned(),
            attribute: None,
            expected: None,
            found: None,
        }
    }

    fn actions(transitions: &[Transition]) -> Vec<&str> {
        transitions
            .iter()
            .map(|transition| transition.action)
            .collect()
    }

    #[test]
    fn new_failure_is_violation() {
        let mut tracker = Tracker::default();
        let findings = [finding(
            "NXF-K8S-POD-001",
            "apps/v1/Deployment/a/b",
            Verdict::Fail,
        )];

        assert_eq!(actions(&tracker.update(&findings, "t")), [VIOLATION]);
        assert!(tracker.update(&findings, "t").is_empty());
    }

    #[test]
    fn pass_after_failure_is_resolved() {
        let mut tracker = Tracker::default();
        let failing = [finding("NXF-K8S-POD-001", "x", Verdict::Fail)];
        let passing = [finding("NXF-K8S-POD-001", "x", Verdict::Pass)];

        tracker.update(&failing, "t");
        assert_eq!(actions(&tracker.update(&passing, "t")), [RESOLVED]);
        assert!(tracker.update(&passing, "t").is_empty());
    }

    #[test]
    fn new_pass_is_silent() {
        let mut tracker = Tracker::default();
        let passing = [finding("NXF-K8S-POD-001", "x", Verdict::Pass)];

        assert!(tracker.update(&passing, "t").is_empty());
    }

    #[test]
    fn one_failing_container_fails_pair() {
        let mut tracker = Tracker::default();
        let findings = [
            finding("NXF-K8S-POD-001", "x", Verdict::Pass),
            finding("NXF-K8S-POD-001", "x", Verdict::Fail),
        ];

        let transitions = tracker.update(&findings, "t");
        assert_eq!(actions(&transitions), [VIOLATION]);
        assert_eq!(
            transitions[0].event["payload"]["failing"]
                .as_array()
                .map(Vec::len),
            Some(1)
        );
    }

    #[test]
    fn unknown_after_failure_is_silent() {
        let mut tracker = Tracker::default();
        tracker.update(&[finding("C", "x", Verdict::Fail)], "t");

        assert!(
            tracker
                .update(&[finding("C", "x", Verdict::Unknown)], "t")
                .is_empty()
        );
    }

    #[test]
    fn deleted_object_is_forgotten() {
        let mut tracker = Tracker::default();
        tracker.update(&[finding("C", "x", Verdict::Fail)], "t");
        tracker.update(&[], "t");

        assert_eq!(
            actions(&tracker.update(&[finding("C", "x", Verdict::Fail)], "t")),
            [VIOLATION]
        );
    }

    #[test]
    fn event_has_audit_fields() {
        let mut tracker = Tracker::default();
        let transitions = tracker.update(&[finding("C", "x", Verdict::Fail)], "platform");
        let event = &transitions[0].event;

        assert_eq!(event["tenant"], "platform");
        assert_eq!(event["actor"], ACTOR);
        assert_eq!(event["outcome"], "failure");
        assert_eq!(event["resource"], "x");
        assert!(uuid::Uuid::parse_str(event["event_id"].as_str().unwrap_or("")).is_ok());
    }
}
