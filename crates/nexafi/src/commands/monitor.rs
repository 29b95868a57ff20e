//! `nexafi monitor`: continuous compliance of a live Kubernetes cluster.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use nexafi_model::{CheckMeta, Severity};
use nexafi_monitor::{AuditConfig, MonitorConfig, MonitorError};

use super::Error;
use super::validate::{ReportView, outcome, pair_outputs, render_report};
use crate::Outcome;
use crate::cli::ReportFormat;
use crate::output::write_report;

/// Arguments of `nexafi monitor`.
#[derive(Debug, Args)]
pub struct MonitorArgs {
    /// Kubeconfig file of the cluster. Default: KUBECONFIG, then ~/.kube/config, then the
    /// service account of the pod the monitor runs in.
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,

    /// Namespace to watch; repeatable. Default: every namespace. ClusterRoles and
    /// ClusterRoleBindings are watched in any case.
    #[arg(short, long, value_name = "NAME")]
    pub namespace: Vec<String>,

    /// Frameworks whose controls are reported, comma-separated ids or aliases (see
    /// `nexafi frameworks list`). Default: pci_dss, soc2, gdpr, sox_itgc, glba, ffiec.
    #[arg(long, value_name = "ID,...", value_delimiter = ',')]
    pub framework: Vec<String>,

    /// Address of the /metrics, /healthz and /readyz endpoints.
    #[arg(long, value_name = "ADDRESS", default_value = "127.0.0.1:9464")]
    pub listen: SocketAddr,

    /// Milliseconds without a change in the cluster before it is evaluated again.
    #[arg(long, value_name = "MS", default_value_t = 2000)]
    pub debounce_ms: u64,

    /// Base URL of the audit service that receives each new violation and each return to
    /// pass. Without it, changes go to metrics and logs only.
    #[arg(long, value_name = "URL", requires = "audit_token_file")]
    pub audit_url: Option<String>,

    /// File holding a bearer token with the `append` scope of the audit service.
    #[arg(long, value_name = "FILE", requires = "audit_url")]
    pub audit_token_file: Option<PathBuf>,

    /// PEM file of the CA that signs the audit service's certificate, for an https
    /// --audit-url.
    #[arg(long, value_name = "FILE", requires = "audit_url")]
    pub audit_ca_file: Option<PathBuf>,

    /// `tenant` of the audit events.
    #[arg(long, value_name = "NAME", default_value = "platform")]
    pub audit_tenant: String,

    /// List the cluster once, print the findings like `nexafi validate` and exit: 0 when
    /// nothing fails at or above the threshold, 1 when something does, 2 on an error.
    #[arg(long)]
    pub once: bool,

    /// With --once: report format; repeatable. Default: human.
    #[arg(short, long, value_enum, value_name = "FORMAT", requires = "once")]
    pub format: Vec<ReportFormat>,

    /// With --once: write the report to FILE instead of standard output; repeatable, the
    /// n-th --output goes with the n-th --format.
    #[arg(short, long, value_name = "FILE", requires = "once")]
    pub output: Vec<PathBuf>,

    /// With --once: lowest severity of a failure that makes the exit status 1.
    #[arg(long, value_name = "SEVERITY", default_value = "info", value_parser = parse_severity)]
    pub severity_threshold: Severity,

    /// With --once: also exit with status 1 when a check cannot be decided.
    #[arg(long)]
    pub fail_on_unknown: bool,

    /// With --once: show passing checks in human output too.
    #[arg(long)]
    pub show_passed: bool,
}

fn parse_severity(text: &str) -> Result<Severity, String> {
    text.parse()
}

pub fn run(args: &MonitorArgs, color: bool) -> Result<Outcome, Error> {
    nexafi_compliance::load()?;
    let frameworks = nexafi_engine::resolve_frameworks(&args.framework)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|error| Error::Audit(format!("cannot start the async runtime: {error}")))?;
    if args.once {
        runtime.block_on(once(args, &frameworks, color))
    } else {
        runtime.block_on(serve(args, frameworks))
    }
}

async fn once(args: &MonitorArgs, frameworks: &[String], color: bool) -> Result<Outcome, Error> {
    let destinations = pair_outputs(&args.format, &args.output)?;
    let client = nexafi_monitor::connect(args.kubeconfig.as_deref())
        .await
        .map_err(monitor_error)?;
    let evaluated = nexafi_monitor::sync_once(&client, &args.namespace, frameworks)
        .await
        .map_err(monitor_error)?;

    let checks: Vec<CheckMeta> = nexafi_checks::all()
        .into_iter()
        .map(|check| check.meta)
        .collect();
    let sources = crate::output::mask_sources(&evaluated.model.sources);
    let mut reports = Vec::with_capacity(destinations.len());
    for (format, output) in destinations {
        let view = ReportView {
            result: &evaluated.result,
            sources: &sources,
            checks: &checks,
            show_passed: args.show_passed,
            color: color && output.is_none(),
        };
        reports.push((output, render_report(format, &view)?));
    }
    for (output, text) in &reports {
        write_report(output.as_deref(), text)?;
    }
    Ok(outcome(
        &evaluated.result,
        args.severity_threshold,
        args.fail_on_unknown,
    ))
}

async fn serve(args: &MonitorArgs, frameworks: Vec<String>) -> Result<Outcome, Error> {
    let audit = match (&args.audit_url, &args.audit_token_file) {
        (Some(url), Some(token_file)) => Some(AuditConfig {
            url: url.clone(),
            token_file: token_file.clone(),
            ca_file: args.audit_ca_file.clone(),
            tenant: args.audit_tenant.clone(),
        }),
        _ => None,
    };
    // Check the audit settings before connecting, so a typo fails at once.
    if let Some(audit) = &audit {
        audit.client().map_err(monitor_error)?;
    }
    let config = MonitorConfig {
        namespaces: args.namespace.clone(),
        frameworks,
        debounce: Duration::from_millis(args.debounce_ms),
        audit,
    };

    let client = nexafi_monitor::connect(args.kubeconfig.as_deref())
        .await
        .map_err(monitor_error)?;
    let listener = nexafi_monitor::bind(args.listen)
        .await
        .map_err(monitor_error)?;
    eprintln!("listening on http://{}", listener.local_addr()?);
    nexafi_monitor::run(client, config, listener, super::audit::shutdown_signal())
        .await
        .map_err(monitor_error)?;
    Ok(Outcome::Success)
}

fn monitor_error(error: MonitorError) -> Error {
    Error::Monitor(error)
}
