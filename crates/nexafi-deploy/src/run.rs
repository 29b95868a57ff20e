//! The deploy itself: gate, prepare, Terraform, the rollout steps and the tests, in order,
//! with progress on standard error, rollback on a failed rollout step and audit events.

use std::path::Path;
use std::time::Instant;

use serde_json::{Value, json};

use crate::command::{self, CommandLine};
use crate::exec::Executor;
use crate::plan::{Environment, Gate, Plan, Step};
use crate::record::{
    DeployOutcome, DeployRecord, EventSink, Provenance, RollbackRecord, StageOutcome, StageRecord,
    event,
};
use crate::rollback::{self, Change};

/// Result of the in-process `nexafi validate` gate.
pub struct GateResult {
    pub passed: bool,
    /// One line for the progress output and the record, such as the finding counts.
    pub summary: String,
}

/// Runs the validate gate; the CLI implements it with the code behind `nexafi validate`.
pub trait GateRunner {
    /// Scans the gate inputs, resolved against `base`. An error means the scan could not
    /// run at all (unreadable configuration, invalid options).
    fn run(&mut self, gate: &Gate, base: &Path) -> Result<GateResult, String>;
}

/// Why a deploy stopped before its first stage.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    #[error("the audit trail did not record the start of the deploy, so nothing was changed: {0}")]
    AuditStart(String),
    #[error("the gate could not run, so nothing was changed: {0}")]
    Gate(String),
}

/// Settings of one run.
pub struct RunOptions<'a> {
    pub dry_run: bool,
    pub rollback: bool,
    pub provenance: Provenance,
    /// Tenant of the audit events.
    pub tenant: String,
    pub executor: Executor,
    pub sink: Option<&'a mut dyn EventSink>,
}

/// A stage of the plan and its commands, for the printed plan.
pub struct PlannedStage {
    pub name: String,
    pub commands: Vec<CommandLine>,
    /// Description of work besides the commands, such as the in-process gate.
    pub note: Option<String>,
}

/// Lists the stages and exact commands a run would execute.
pub fn planned_stages(environment: &Environment, dry_run: bool) -> Vec<PlannedStage> {
    let context = environment.kube_context.as_deref();
    let mut stages = vec![PlannedStage {
        name: "gate".to_owned(),
        commands: Vec::new(),
        note: Some(format!(
            "nexafi validate in process on {}",
            environment
                .gate
                .paths
                .iter()
                .map(|path| path.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }];
    if let Some(prepare) = &environment.prepare {
        stages.push(PlannedStage {
            name: "prepare".to_owned(),
            commands: vec![CommandLine::from_argv(prepare)],
            note: None,
        });
    }
    if let Some(terraform) = &environment.terraform {
        let commands = command::terraform(terraform);
        stages.push(stage("terraform init", vec![commands.init]));
        stages.push(stage("terraform plan", vec![commands.plan]));
        if !dry_run {
            stages.push(stage("terraform apply", vec![commands.apply]));
        }
    }
    for step in &environment.rollout {
        let (commands, note) = match step {
            Step::Kubectl(kubectl) => (
                vec![command::kubectl_apply(kubectl, context, dry_run)],
                (!dry_run).then(|| {
                    "reads the generation of each Deployment in the manifests before and after, for rollback".to_owned()
                }),
            ),
            Step::Helm(helm) if dry_run => (vec![command::helm_upgrade(helm, context, true)], None),
            Step::Helm(helm) => (
                vec![
                    command::helm_history(helm, context),
                    command::helm_upgrade(helm, context, false),
                ],
                None,
            ),
        };
        stages.push(PlannedStage {
            name: step.stage_name(),
            commands,
            note,
        });
    }
    if let (Some(tests), false) = (&environment.tests, dry_run) {
        stages.push(stage("tests", vec![CommandLine::from_argv(tests)]));
    }
    stages
}

fn stage(name: &str, commands: Vec<CommandLine>) -> PlannedStage {
    PlannedStage {
        name: name.to_owned(),
        commands,
        note: None,
    }
}

/// Runs the deploy of `environment` and returns its record.
pub fn deploy(
    plan: &Plan,
    environment: &Environment,
    gate: &mut dyn GateRunner,
    options: RunOptions<'_>,
) -> Result<DeployRecord, DeployError> {
    let mut run = Run {
        record: DeployRecord {
            record_version: crate::record::RECORD_VERSION,
            deploy_id: uuid::Uuid::now_v7().to_string(),
            environment: environment.name.clone(),
            dry_run: options.dry_run,
            provenance: options.provenance,
            plan_file: plan.path.display().to_string(),
            plan_digest: plan.digest.clone(),
            started_at: jiff::Timestamp::now().to_string(),
            finished_at: String::new(),
            outcome: DeployOutcome::Succeeded,
            stages: Vec::new(),
            rollback: None,
            terraform_plan_file: None,
            unsent_events: Vec::new(),
        },
        tenant: options.tenant,
        sink: options.sink,
        executor: options.executor,
        dry_run: options.dry_run,
        context: environment.kube_context.clone(),
    };

    // The start must be on record before anything changes.
    let start = run.event(
        "deploy.started",
        true,
        json!({"stages": planned_stages(environment, options.dry_run)
            .iter().map(|stage| stage.name.clone()).collect::<Vec<_>>()}),
    );
    if let Some(sink) = run.sink.as_deref_mut() {
        sink.send(&start).map_err(DeployError::AuditStart)?;
    }

    let outcome = run.stages(plan, environment, gate, options.rollback)?;
    run.record.outcome = outcome;
    run.record.finished_at = jiff::Timestamp::now().to_string();
    let closing = run.event(
        outcome.action(),
        outcome == DeployOutcome::Succeeded,
        json!({"result": outcome, "rollback": run.record.rollback}),
    );
    run.send(closing);
    Ok(run.record)
}

struct Run<'a> {
    record: DeployRecord,
    tenant: String,
    sink: Option<&'a mut dyn EventSink>,
    executor: Executor,
    dry_run: bool,
    context: Option<String>,
}

impl Run<'_> {
    fn event(&self, action: &str, success: bool, details: Value) -> Value {
        event(&self.tenant, &self.record, action, success, details)
    }

    /// Sends an event; an unacknowledged one is kept in the record and reported.
    fn send(&mut self, event: Value) {
        let Some(sink) = self.sink.as_deref_mut() else {
            return;
        };
        if let Err(error) = sink.send(&event) {
            eprintln!("error: the audit trail did not record an event: {error}");
            self.record.unsent_events.push(event);
        }
    }

    fn stages(
        &mut self,
        plan: &Plan,
        environment: &Environment,
        gate: &mut dyn GateRunner,
        rollback_enabled: bool,
    ) -> Result<DeployOutcome, DeployError> {
        // Gate: no tool runs unless the scan passes.
        let started = self.start_stage("gate");
        let result = gate.run(&environment.gate, &plan.base).map_err(|error| {
            self.end_stage("gate", started, Vec::new(), Err(error.clone()));
            DeployError::Gate(error)
        })?;
        let gate_outcome = if result.passed {
            Ok(Some(result.summary))
        } else {
            Err(result.summary)
        };
        if !self.end_stage("gate", started, Vec::new(), gate_outcome) {
            return Ok(DeployOutcome::GateFailed);
        }

        if let Some(prepare) = &environment.prepare {
            let command = CommandLine::from_argv(prepare);
            if !self.run_stage("prepare", &[command]) {
                return Ok(DeployOutcome::Failed);
            }
        }

        let mut changes: Vec<Change> = Vec::new();
        if let Some(terraform) = &environment.terraform {
            let commands = command::terraform(terraform);
            self.record.terraform_plan_file = Some(commands.plan_file.display().to_string());
            if !self.run_stage("terraform init", &[commands.init])
                || !self.run_stage("terraform plan", &[commands.plan])
            {
                return Ok(DeployOutcome::Failed);
            }
            if !self.dry_run {
                let applied = self.run_stage("terraform apply", &[commands.apply]);
                // A failed apply may still have changed resources.
                changes.push(Change::Terraform {
                    plan_file: commands.plan_file.clone(),
                });
                if !applied {
                    self.record.rollback = Some(rollback::terraform_only(&changes));
                    return Ok(DeployOutcome::Failed);
                }
            }
        }

        for step in &environment.rollout {
            let (change, succeeded) = self.rollout_step(step);
            changes.extend(change);
            if succeeded {
                continue;
            }
            if self.dry_run {
                return Ok(DeployOutcome::Failed);
            }
            let record = if rollback_enabled {
                eprintln!("rolling back the changes of this run, newest first");
                rollback::undo(&self.executor, self.context.as_deref(), &changes)
            } else {
                rollback::disabled(&changes)
            };
            let complete = record.failed.is_empty();
            self.report_rollback(&record);
            self.record.rollback = Some(record);
            return Ok(match (rollback_enabled, complete) {
                (false, _) => DeployOutcome::Failed,
                (true, true) => DeployOutcome::RolledBack,
                (true, false) => DeployOutcome::RollbackFailed,
            });
        }

        if let (Some(tests), false) = (&environment.tests, self.dry_run) {
            let command = CommandLine::from_argv(tests);
            if !self.run_stage("tests", &[command]) {
                eprintln!(
                    "the post-deploy tests failed; the deployed changes stay in place for investigation"
                );
                return Ok(DeployOutcome::Failed);
            }
        }
        Ok(DeployOutcome::Succeeded)
    }

    /// Runs one kubectl or Helm step. Returns what it may have changed and whether it
    /// succeeded.
    fn rollout_step(&mut self, step: &Step) -> (Option<Change>, bool) {
        let name = step.stage_name();
        let context = self.context.clone();
        let context = context.as_deref();
        let started = self.start_stage(&name);
        match step {
            Step::Kubectl(kubectl) => {
                let apply = command::kubectl_apply(kubectl, context, self.dry_run);
                if self.dry_run {
                    let result = self.executor.run_streamed(&name, &apply).map(|()| None);
                    let succeeded = self.end_stage(&name, started, vec![apply], result);
                    return (None, succeeded);
                }
                let manifests = self.executor.base.join(&kubectl.path);
                let before = match rollback::read_deployments(
                    &self.executor,
                    context,
                    &manifests,
                    kubectl.recursive,
                ) {
                    Ok(before) => before,
                    Err(error) => {
                        let succeeded = self.end_stage(&name, started, vec![apply], Err(error));
                        return (None, succeeded);
                    }
                };
                let result = self.executor.run_streamed(&name, &apply).map(|()| None);
                let change = rollback::kubectl_change(&self.executor, context, kubectl, before);
                let succeeded = self.end_stage(&name, started, vec![apply], result);
                (Some(change), succeeded)
            }
            Step::Helm(helm) => {
                let upgrade = command::helm_upgrade(helm, context, self.dry_run);
                if self.dry_run {
                    let result = self.executor.run_streamed(&name, &upgrade).map(|()| None);
                    let succeeded = self.end_stage(&name, started, vec![upgrade], result);
                    return (None, succeeded);
                }
                let history = command::helm_history(helm, context);
                let commands = vec![history.clone(), upgrade.clone()];
                let previous = match rollback::previous_revision(&self.executor, &history) {
                    Ok(previous) => previous,
                    Err(error) => {
                        let succeeded = self.end_stage(&name, started, commands, Err(error));
                        return (None, succeeded);
                    }
                };
                let result = self.executor.run_streamed(&name, &upgrade).map(|()| None);
                let succeeded = self.end_stage(&name, started, commands, result);
                let change = Change::Helm {
                    step: helm.clone(),
                    previous,
                    failed: !succeeded,
                };
                (Some(change), succeeded)
            }
        }
    }

    fn run_stage(&mut self, name: &str, commands: &[CommandLine]) -> bool {
        let started = self.start_stage(name);
        let mut result = Ok(None);
        for command in commands {
            if let Err(error) = self.executor.run_streamed(name, command) {
                result = Err(error);
                break;
            }
        }
        self.end_stage(name, started, commands.to_vec(), result)
    }

    fn start_stage(&self, name: &str) -> Instant {
        eprintln!("==> {name}: started");
        Instant::now()
    }

    /// Records the end of a stage, prints it and sends its event. Returns whether the
    /// stage succeeded.
    fn end_stage(
        &mut self,
        name: &str,
        started: Instant,
        commands: Vec<CommandLine>,
        result: Result<Option<String>, String>,
    ) -> bool {
        let elapsed = started.elapsed();
        let seconds = elapsed.as_secs_f64();
        let (outcome, message) = match result {
            Ok(message) => {
                match &message {
                    Some(text) => eprintln!("==> {name}: succeeded in {seconds:.1}s ({text})"),
                    None => eprintln!("==> {name}: succeeded in {seconds:.1}s"),
                }
                (StageOutcome::Succeeded, message)
            }
            Err(error) => {
                eprintln!("==> {name}: failed after {seconds:.1}s: {error}");
                (StageOutcome::Failed, Some(error))
            }
        };
        let stage = StageRecord {
            name: name.to_owned(),
            commands: commands.iter().map(ToString::to_string).collect(),
            outcome,
            duration_ms: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
            message,
        };
        let event = self.event(
            "deploy.stage",
            outcome == StageOutcome::Succeeded,
            json!({"stage": stage}),
        );
        self.record.stages.push(stage);
        self.send(event);
        outcome == StageOutcome::Succeeded
    }

    fn report_rollback(&self, record: &RollbackRecord) {
        for line in &record.rolled_back {
            eprintln!("rolled back: {line}");
        }
        for line in &record.failed {
            eprintln!("rollback failed: {line}");
        }
        for line in &record.not_rolled_back {
            eprintln!("not rolled back: {line}");
        }
    }
}
