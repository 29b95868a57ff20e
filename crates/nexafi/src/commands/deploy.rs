//! `nexafi deploy ENV`: the gate, the stages of the plan file, progress, rollback and the
//! deploy record.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use nexafi_deploy::plan::{self, Environment, Gate};
use nexafi_deploy::record::{DeployOutcome, DeployRecord, EventSink, Provenance, StageOutcome};
use nexafi_deploy::tools::{self, Overrides};
use nexafi_deploy::{GateResult, GateRunner, RunOptions, planned_stages};
use nexafi_engine::{ScanOptions, scan};
use nexafi_iac::{helm, terraform};
use nexafi_model::Severity;

use super::Error;
use crate::Outcome;
use crate::cli::ReportFormat;
use crate::commands::validate::{ReportView, outcome, render_report};

/// Plan file read when --plan is not given, relative to the working directory.
const DEFAULT_PLAN: &str = "infrastructure/deploy.toml";

#[derive(Debug, Args)]
pub struct DeployArgs {
    /// Environment to deploy, as named in the plan file (dev, staging, prod).
    pub environment: String,

    /// Plan file with the stages of each environment.
    #[arg(long, value_name = "FILE", default_value = DEFAULT_PLAN)]
    pub plan: PathBuf,

    /// Print the stages and their commands, then run only the read-only ones: the gate,
    /// terraform init and plan, kubectl and helm server-side dry runs.
    #[arg(long)]
    pub dry_run: bool,

    /// Confirm a deploy to an environment that requires it (prod does). The value must
    /// be the environment's name.
    #[arg(long, value_name = "ENV")]
    pub confirm: Option<String>,

    /// Leave the changes of a failed run in place instead of rolling back the Kubernetes
    /// and Helm stages.
    #[arg(long)]
    pub no_rollback: bool,

    /// Path of the terraform binary. Default: terraform on PATH.
    #[arg(long, value_name = "PATH")]
    pub terraform: Option<PathBuf>,

    /// Path of the kubectl binary. Default: kubectl on PATH.
    #[arg(long, value_name = "PATH")]
    pub kubectl: Option<PathBuf>,

    /// Path of the helm binary. Default: helm on PATH.
    #[arg(long, value_name = "PATH")]
    pub helm: Option<PathBuf>,

    /// Output on standard output: the plan and a summary, or the deploy record as JSON.
    #[arg(short, long, value_enum, default_value_t = DeployFormat::Human)]
    pub format: DeployFormat,

    /// Name of the person or pipeline that deploys, kept in the deploy record. Default:
    /// $USER.
    #[arg(long, value_name = "NAME")]
    pub actor: Option<String>,

    /// Audit service to record the deploy in, as http://HOST:PORT. The deploy stops
    /// before any change when the service does not record its start.
    #[arg(long, value_name = "URL", requires = "audit_token_file")]
    pub audit_url: Option<String>,

    /// File holding the audit service's bearer token (append scope).
    #[arg(long, value_name = "FILE", requires = "audit_url")]
    pub audit_token_file: Option<PathBuf>,

    /// PEM file of the CA that signed the audit service's certificate, trusted beside
    /// Mozilla's roots for an https --audit-url.
    #[arg(long, value_name = "FILE", requires = "audit_url")]
    pub audit_ca_file: Option<PathBuf>,

    /// Tenant of the audit events.
    #[arg(long, value_name = "NAME", default_value = "platform")]
    pub audit_tenant: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DeployFormat {
    /// The plan before the run and a summary after it.
    Human,
    /// The deploy record (see docs/deploy.md).
    Json,
}

pub fn run(args: &DeployArgs, color: bool) -> Result<Outcome, Error> {
    let plan = plan::load(&args.plan).map_err(|error| Error::Usage(error.to_string()))?;
    let environment = plan
        .environment(&args.environment)
        .map_err(Error::Usage)?
        .clone();
    check_confirmation(args, &environment)?;

    let overrides = Overrides {
        terraform: args.terraform.clone(),
        kubectl: args.kubectl.clone(),
        helm: args.helm.clone(),
    };
    let executor = tools::locate(&environment, &overrides, &plan.base).map_err(Error::Usage)?;
    let provenance = provenance(args, &plan.base)?;
    let mut sink = audit_sink(args)?;

    if args.format == DeployFormat::Human {
        print_plan(&plan, &environment, args.dry_run)?;
    }

    let mut gate = ValidateGate { color };
    let options = RunOptions {
        dry_run: args.dry_run,
        rollback: !args.no_rollback,
        provenance,
        tenant: args.audit_tenant.clone(),
        executor,
        sink: sink.as_mut().map(|sink| sink as &mut dyn EventSink),
    };
    let record = nexafi_deploy::deploy(&plan, &environment, &mut gate, options)
        .map_err(|error| Error::Usage(error.to_string()))?;

    match args.format {
        DeployFormat::Human => print_summary(&record)?,
        DeployFormat::Json => {
            // Encode first, so a closed pipe is an I/O error and not an encoding one.
            let text = serde_json::to_string_pretty(&record)?;
            let mut stdout = std::io::stdout().lock();
            writeln!(stdout, "{text}")?;
        }
    }

    if !record.unsent_events.is_empty() {
        let events = serde_json::to_string(&record.unsent_events)?;
        return Err(Error::Usage(format!(
            "{} audit event(s) were not recorded; append them with `nexafi audit append`: {events}",
            record.unsent_events.len()
        )));
    }
    Ok(match record.outcome {
        DeployOutcome::Succeeded => Outcome::Success,
        _ => Outcome::Findings,
    })
}

/// Requires `--confirm ENV`, or a typed yes on a terminal, for environments that ask
/// for it. A dry run changes nothing and needs none.
fn check_confirmation(args: &DeployArgs, environment: &Environment) -> Result<(), Error> {
    let name = &environment.name;
    match &args.confirm {
        Some(confirm) if confirm == name => return Ok(()),
        Some(confirm) => {
            return Err(Error::Usage(format!(
                "--confirm {confirm} does not match the environment `{name}`; pass --confirm {name}"
            )));
        }
        None if args.dry_run || !environment.confirm => return Ok(()),
        None => {}
    }

    if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        return Err(Error::Usage(format!(
            "deploying to `{name}` needs confirmation; pass --confirm {name}, or run with --dry-run first"
        )));
    }
    eprint!("Deploy to `{name}`? Type the environment name to continue: ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if answer.trim() == name {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "deploy to `{name}` not confirmed; nothing was changed"
        )))
    }
}

fn provenance(args: &DeployArgs, base: &Path) -> Result<Provenance, Error> {
    let actor = args
        .actor
        .clone()
        .or_else(|| std::env::var("USER").ok())
        .filter(|actor| !actor.trim().is_empty())
        .ok_or_else(|| {
            Error::Usage("no actor for the deploy record: pass --actor NAME or set USER".to_owned())
        })?;

    let git = |args: &[&str]| -> Option<String> {
        let output = std::process::Command::new("git")
            .arg("-C")
            .arg(base)
            .args(args)
            .output()
            .ok()?;
        output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
    };
    let git_commit = git(&["rev-parse", "HEAD"]).map(|commit| commit.trim().to_owned());
    let git_dirty = git_commit
        .as_ref()
        .and_then(|_| git(&["status", "--porcelain"]))
        .map(|status| !status.trim().is_empty());
    if git_commit.is_none() {
        tracing::warn!(base = %base.display(), "the plan file is not in a Git work tree; the record has no commit");
    }
    Ok(Provenance {
        actor,
        git_commit,
        git_dirty,
    })
}

fn print_plan(
    plan: &nexafi_deploy::Plan,
    environment: &Environment,
    dry_run: bool,
) -> Result<(), Error> {
    let mut stdout = std::io::stdout().lock();
    let mode = if dry_run {
        "dry run: read-only stages only"
    } else {
        "deploy"
    };
    writeln!(
        stdout,
        "plan for `{}` ({mode}), commands run in {}:",
        environment.name,
        plan.base.display()
    )?;
    for (number, stage) in planned_stages(environment, dry_run).iter().enumerate() {
        writeln!(stdout, "  {}. {}", number + 1, stage.name)?;
        if let Some(note) = &stage.note {
            writeln!(stdout, "       {note}")?;
        }
        for command in &stage.commands {
            writeln!(stdout, "       $ {command}")?;
        }
    }
    stdout.flush()?;
    Ok(())
}

fn print_summary(record: &DeployRecord) -> Result<(), Error> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout)?;
    for stage in &record.stages {
        let outcome = match stage.outcome {
            StageOutcome::Succeeded => "ok    ",
            StageOutcome::Failed => "FAILED",
        };
        writeln!(
            stdout,
            "{outcome} {:>8.1}s  {}",
            stage.duration_ms as f64 / 1000.0,
            stage.name
        )?;
    }
    if let Some(rollback) = &record.rollback {
        for line in &rollback.rolled_back {
            writeln!(stdout, "rolled back: {line}")?;
        }
        for line in &rollback.failed {
            writeln!(stdout, "rollback failed: {line}")?;
        }
        for line in &rollback.not_rolled_back {
            writeln!(stdout, "not rolled back: {line}")?;
        }
    }
    let result = match record.outcome {
        DeployOutcome::Succeeded if record.dry_run => "dry run succeeded; nothing was changed",
        DeployOutcome::Succeeded => "deploy succeeded",
        DeployOutcome::GateFailed => {
            "deploy stopped: the compliance gate failed; nothing was changed"
        }
        DeployOutcome::Failed => "deploy failed",
        DeployOutcome::RolledBack => "deploy failed and was rolled back",
        DeployOutcome::RollbackFailed => "deploy failed and the rollback is incomplete",
    };
    writeln!(
        stdout,
        "{result} (environment {}, deploy id {})",
        record.environment, record.deploy_id
    )?;
    if let Some(plan_file) = &record.terraform_plan_file {
        writeln!(stdout, "terraform plan file: {plan_file}")?;
    }
    stdout.flush()?;
    Ok(())
}

/// The gate: the scan of `nexafi validate` with the plan's gate inputs.
struct ValidateGate {
    color: bool,
}

impl GateRunner for ValidateGate {
    fn run(&mut self, gate: &Gate, base: &Path) -> Result<GateResult, String> {
        nexafi_compliance::load().map_err(|error| error.to_string())?;
        let threshold = gate.severity_threshold.unwrap_or(Severity::Info);
        let options = ScanOptions {
            paths: gate.paths.iter().map(|path| base.join(path)).collect(),
            terraform: terraform::Options {
                var_files: gate.var_files.iter().map(|path| base.join(path)).collect(),
                vars: Vec::new(),
            },
            helm: helm::ChartOptions {
                values_files: gate
                    .helm_values
                    .iter()
                    .map(|path| base.join(path))
                    .collect(),
                set: Vec::new(),
                values_siblings: gate.helm_values_siblings,
                release_name: gate.helm_release.clone(),
                namespace: gate.helm_namespace.clone(),
            },
            policies: gate.policies.iter().map(|path| base.join(path)).collect(),
            severity_threshold: Some(threshold),
            ..ScanOptions::default()
        };
        let output = scan(&options).map_err(|error| error.to_string())?;
        let result = &output.result;
        let passed = outcome(result, threshold, gate.fail_on_unknown) == Outcome::Success;
        let summary = result.summary.clone();
        let text = format!(
            "{} fail, {} unknown, {} error, {} pass, {} waived",
            summary.fail, summary.unknown, summary.error, summary.pass, summary.waived
        );

        if !passed {
            // The failures go to standard error, so `--format json` keeps standard
            // output for the record.
            let checks: Vec<_> = nexafi_checks::all()
                .into_iter()
                .map(|check| check.meta)
                .collect();
            let sources = crate::output::mask_sources(&output.model.sources);
            let view = ReportView {
                result,
                sources: &sources,
                checks: &checks,
                show_passed: false,
                color: self.color && std::io::stderr().is_terminal(),
            };
            let report =
                render_report(ReportFormat::Human, &view).map_err(|error| error.to_string())?;
            let mut stderr = std::io::stderr().lock();
            let _ = stderr.write_all(report.as_bytes());
        }
        Ok(GateResult {
            passed,
            summary: text,
        })
    }
}

#[cfg(feature = "audit")]
fn audit_sink(args: &DeployArgs) -> Result<Option<AuditSink>, Error> {
    let (Some(url), Some(token_file)) = (&args.audit_url, &args.audit_token_file) else {
        return Ok(None);
    };
    let token = std::fs::read_to_string(token_file).map_err(|error| {
        Error::Usage(format!(
            "cannot read --audit-token-file {}: {error}",
            token_file.display()
        ))
    })?;
    let token = token.trim().to_owned();
    if token.is_empty() {
        return Err(Error::Usage(format!(
            "--audit-token-file {} is empty; write an append-scope token into it",
            token_file.display()
        )));
    }
    let client = nexafi_audit::client::AuditClient::builder(url)
        .token(Some(token))
        .ca_file(args.audit_ca_file.clone())
        .build()
        .map_err(|error| Error::Usage(format!("--audit-url {url}: {error}")))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| Error::Audit(format!("cannot start the async runtime: {error}")))?;
    Ok(Some(AuditSink { client, runtime }))
}

#[cfg(not(feature = "audit"))]
fn audit_sink(args: &DeployArgs) -> Result<Option<NoAudit>, Error> {
    if args.audit_url.is_some() {
        return Err(Error::Usage(
            "--audit-url needs a nexafi built with the `audit` feature".to_owned(),
        ));
    }
    Ok(None)
}

#[cfg(not(feature = "audit"))]
struct NoAudit;

#[cfg(not(feature = "audit"))]
impl EventSink for NoAudit {
    fn send(&mut self, _event: &serde_json::Value) -> Result<(), String> {
        Ok(())
    }
}

/// Sends deploy events to the audit service, one acknowledged append each.
#[cfg(feature = "audit")]
struct AuditSink {
    client: nexafi_audit::client::AuditClient,
    runtime: tokio::runtime::Runtime,
}

#[cfg(feature = "audit")]
impl EventSink for AuditSink {
    /// Appends one event. A lost connection, a timeout or a busy service (429, 503) is
    /// retried with the same event id, which the service acknowledges only once.
    fn send(&mut self, event: &serde_json::Value) -> Result<(), String> {
        use nexafi_audit::client::{ClientError, Method};

        const ATTEMPTS: u32 = 3;
        let mut event = event.clone();
        nexafi_audit::event::fill_client_defaults(&mut event);
        let mut attempt = 1;
        loop {
            let result =
                self.runtime
                    .block_on(self.client.json(Method::POST, "/v1/events", Some(&event)));
            let retry = match &result {
                Ok(_) => return Ok(()),
                Err(ClientError::Transport { .. } | ClientError::Timeout { .. }) => true,
                Err(ClientError::Status { status, .. }) => {
                    status.as_u16() == 429 || status.as_u16() == 503
                }
                Err(_) => false,
            };
            match result {
                Err(error) if retry && attempt < ATTEMPTS => {
                    tracing::warn!(%error, attempt, "audit append failed; retrying in 1 s");
                    std::thread::sleep(std::time::Duration::from_secs(1));
                    attempt += 1;
                }
                Err(error) => return Err(error.to_string()),
                Ok(_) => return Ok(()),
            }
        }
    }
}
