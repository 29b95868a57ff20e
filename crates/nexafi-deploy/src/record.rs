//! The deploy record: what ran, how each stage ended, and what was rolled back. Printed
//! with `--format json` and sent to the audit trail as events.

use serde::Serialize;
use serde_json::{Value, json};

/// Version of the JSON deploy record; raised on any incompatible change.
pub const RECORD_VERSION: u32 = 1;

/// Result of the whole deploy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeployOutcome {
    /// Every stage succeeded (in a dry run: every read-only stage).
    Succeeded,
    /// The gate found unwaived failures; no tool ran.
    GateFailed,
    /// A stage failed and nothing was rolled back (Terraform, tests, or --no-rollback).
    Failed,
    /// A Kubernetes or Helm stage failed and every rollback command succeeded.
    RolledBack,
    /// A Kubernetes or Helm stage failed and at least one rollback command failed too.
    RollbackFailed,
}

impl DeployOutcome {
    /// Action name of the closing audit event.
    pub fn action(self) -> &'static str {
        match self {
            DeployOutcome::Succeeded => "deploy.finished",
            DeployOutcome::GateFailed | DeployOutcome::Failed => "deploy.failed",
            DeployOutcome::RolledBack | DeployOutcome::RollbackFailed => "deploy.rolled_back",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StageOutcome {
    Succeeded,
    Failed,
}

/// One stage as it ran.
#[derive(Debug, Clone, Serialize)]
pub struct StageRecord {
    pub name: String,
    /// The command lines the stage ran, in order; empty for the in-process gate.
    pub commands: Vec<String>,
    pub outcome: StageOutcome,
    pub duration_ms: u64,
    /// Failure reason, or the gate's summary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Actions of the rollback, in the order they happened.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RollbackRecord {
    /// Changes undone, each with the command that undid it.
    pub rolled_back: Vec<String>,
    /// Changes left in place, each with the reason.
    pub not_rolled_back: Vec<String>,
    /// Rollback commands that failed, with the error.
    pub failed: Vec<String>,
}

/// Source commit and actor of the deploy.
#[derive(Debug, Clone, Serialize)]
pub struct Provenance {
    pub actor: String,
    /// `git rev-parse HEAD` of the plan file's work tree; `None` outside Git.
    pub git_commit: Option<String>,
    /// Whether the work tree had uncommitted changes.
    pub git_dirty: Option<bool>,
}

/// The whole record.
#[derive(Debug, Clone, Serialize)]
pub struct DeployRecord {
    pub record_version: u32,
    pub deploy_id: String,
    pub environment: String,
    pub dry_run: bool,
    #[serde(flatten)]
    pub provenance: Provenance,
    pub plan_file: String,
    /// SHA-256 of the plan file's bytes.
    pub plan_digest: String,
    pub started_at: String,
    pub finished_at: String,
    pub outcome: DeployOutcome,
    pub stages: Vec<StageRecord>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollback: Option<RollbackRecord>,
    /// The saved Terraform plan, kept for review.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub terraform_plan_file: Option<String>,
    /// Audit events the service did not acknowledge; append them later with
    /// `nexafi audit append`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unsent_events: Vec<Value>,
}

/// Receives audit events as the deploy goes; the CLI sends them to the audit service.
pub trait EventSink {
    /// Sends one event and returns once the service acknowledged it.
    fn send(&mut self, event: &Value) -> Result<(), String>;
}

/// Builds an audit event in the shape `POST /v1/events` takes. The service requires
/// `tenant`, `actor`, `action`, `resource` and `outcome`.
pub fn event(
    tenant: &str,
    record: &DeployRecord,
    action: &str,
    success: bool,
    details: Value,
) -> Value {
    let mut payload = json!({
        "deploy_id": record.deploy_id,
        "environment": record.environment,
        "dry_run": record.dry_run,
        "git_commit": record.provenance.git_commit,
        "git_dirty": record.provenance.git_dirty,
        "plan_file": record.plan_file,
        "plan_digest": record.plan_digest,
    });
    if let (Some(payload), Value::Object(details)) = (payload.as_object_mut(), details) {
        payload.extend(details);
    }
    json!({
        "tenant": tenant,
        "actor": record.provenance.actor,
        "action": action,
        "resource": format!("environment/{}", record.environment),
        "outcome": if success { "success" } else { "failure" },
        "payload": payload,
    })
}
