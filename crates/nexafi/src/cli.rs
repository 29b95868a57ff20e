//! Command-line arguments. Help text, completions and the man page come from here.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use nexafi_model::Severity;

/// Proves that infrastructure code complies with PCI DSS, SOC 2, GDPR, SOX, GLBA and FFIEC
/// controls, offline, with evidence down to file, line and column.
#[derive(Debug, Parser)]
#[command(
    name = "nexafi",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// Log more detail to standard error; repeat for more (-vv). RUST_LOG overrides it.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// When to colour output.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan Terraform, Kubernetes manifests and Dockerfiles and report each failing control.
    ///
    /// Exit status: 0 when nothing fails at or above the severity threshold, 1 when a check
    /// fails or an input cannot be loaded, 2 on a usage or tool error.
    Validate(Box<ValidateArgs>),

    /// Assess security: misconfigurations and secrets in infrastructure code, and with
    /// --target the TLS versions, cipher suites, certificate and security headers of live
    /// endpoints.
    ///
    /// Only the endpoints named with --target are contacted. Exit status as for validate.
    Security(SecurityArgs),

    /// Deploy one environment: the validate gate, then the Terraform, kubectl and Helm
    /// stages of the plan file in order, with rollback and a deploy record.
    ///
    /// Exit status: 0 when every stage succeeds, 1 when the gate or a stage fails, 2 on a
    /// usage or tool error. An invalid plan file, a missing tool or a refused confirmation
    /// stop the deploy before anything changes.
    Deploy(Box<crate::commands::deploy::DeployArgs>),

    /// Run a suite of live checks against a deployed environment: HTTP, TCP, TLS, DNS,
    /// PostgreSQL, Redis, RabbitMQ, Kubernetes readiness and Prometheus queries.
    ///
    /// Only the hosts named in the suite are contacted. Exit status: 0 when every test
    /// passes, 1 when a test fails or errs, 2 when the suite is invalid or on a usage error.
    Test(TestArgs),

    /// List the built-in checks or explain one.
    #[command(subcommand)]
    Checks(ChecksCommand),

    /// List the compliance frameworks or show the controls of one.
    #[command(subcommand)]
    Frameworks(FrameworksCommand),

    /// Find card numbers, IBANs, routing numbers, national ids and secrets in files, or
    /// mask them.
    #[command(subcommand)]
    Dlp(DlpCommand),

    /// Run or use the tamper-evident audit trail: service, client and offline verifier.
    #[cfg(feature = "audit")]
    #[command(subcommand)]
    Audit(crate::commands::audit::AuditCommand),

    /// Watch a live Kubernetes cluster, evaluate the Kubernetes checks on every change,
    /// export Prometheus metrics and send violations to the audit trail.
    ///
    /// With --once: list the cluster once and report like validate, with its exit status.
    #[cfg(feature = "monitor")]
    Monitor(Box<crate::commands::monitor::MonitorArgs>),

    /// Print a shell completion script to standard output.
    Completions {
        /// Shell to generate the script for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Files or directories to scan; directories are walked, honouring .gitignore.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,

    /// Report format; repeat it to write several reports from one scan. Default: human.
    #[arg(short, long, value_enum, value_name = "FORMAT")]
    pub format: Vec<ReportFormat>,

    /// Write the report to FILE instead of standard output ("-" is standard output);
    /// repeatable. The n-th --output goes with the n-th --format. A format without one goes
    /// to standard output, and only one format may.
    #[arg(short, long, value_name = "FILE")]
    pub output: Vec<PathBuf>,

    /// Frameworks to report on, comma-separated ids or aliases (see `nexafi frameworks
    /// list`). Default: pci_dss, soc2, gdpr, sox_itgc, glba, ffiec.
    #[arg(long, value_name = "ID,...", value_delimiter = ',')]
    pub framework: Vec<String>,

    /// Lowest severity of a failure that makes the exit status 1.
    #[arg(long, value_name = "SEVERITY", default_value = "info", value_parser = parse_severity)]
    pub severity_threshold: Severity,

    /// Also exit with status 1 when a check cannot be decided offline.
    #[arg(long)]
    pub fail_on_unknown: bool,

    /// Skip paths matching GLOB, relative to each scanned directory; repeatable.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    #[command(flatten)]
    pub inputs: ScanInputArgs,

    /// Rego policy file or directory evaluated beside the built-in checks (conftest-style
    /// `deny` and `warn` rules; see docs/policies.md); repeatable.
    #[arg(long, value_name = "PATH")]
    pub policy: Vec<PathBuf>,

    /// Show passing checks in human output too.
    #[arg(long)]
    pub show_passed: bool,

    /// Read waivers and attestations from FILE instead of the nexafi.toml at the root of
    /// the Git work tree of the first path (or in that path outside Git).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Waive the findings listed in FILE, a baseline written by --write-baseline.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Write the fingerprints of the current failing and unknown findings to FILE, keeping
    /// the accepted date of entries FILE already has.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,

    /// Report only findings that did not exist at GIT_REF (a branch, tag or commit). The
    /// exit status then follows the new findings alone.
    #[arg(long, value_name = "GIT_REF")]
    pub diff_base: Option<String>,
}

/// Terraform variables and Helm rendering options of a scan, shared by `validate` and
/// `security`.
#[derive(Debug, Args)]
pub struct ScanInputArgs {
    /// Terraform variable definitions file, applied after terraform.tfvars and
    /// *.auto.tfvars; repeatable, in order.
    #[arg(long, value_name = "FILE")]
    pub var_file: Vec<PathBuf>,

    /// Terraform variable as NAME=VALUE, applied last; repeatable.
    #[arg(long, value_name = "NAME=VALUE", value_parser = parse_var)]
    pub var: Vec<(String, String)>,

    /// Values file for every Helm chart found, applied over the chart's values.yaml as
    /// `helm -f` does; repeatable, in order.
    #[arg(long, value_name = "FILE")]
    pub helm_values: Vec<PathBuf>,

    /// Helm value in `--set` syntax (`image.tag=1.2`, `ports={80,443}`), applied after
    /// the values files; repeatable.
    #[arg(long, value_name = "KEY=VALUE")]
    pub helm_set: Vec<String>,

    /// Also render each chart once per values*.yaml file beside its Chart.yaml, each
    /// applied after the --helm-values files.
    #[arg(long)]
    pub helm_values_siblings: bool,

    /// Namespace every Helm chart renders into, as `helm template --namespace` sets
    /// `.Release.Namespace`. Default: `default`.
    #[arg(long, value_name = "NAMESPACE")]
    pub helm_namespace: Option<String>,

    /// Release name every Helm chart renders with (`.Release.Name`). Default:
    /// `release-name`, as `helm template` uses.
    #[arg(long, value_name = "NAME")]
    pub helm_release: Option<String>,
}

#[derive(Debug, Args)]
pub struct SecurityArgs {
    /// Files or directories to scan; directories are walked, honouring .gitignore. Default:
    /// the current directory, unless only --target is given.
    pub paths: Vec<PathBuf>,

    /// Live endpoint to probe, as https://HOST[:PORT][/PATH] or HOST:PORT; repeatable.
    #[arg(long, value_name = "URL")]
    pub target: Vec<String>,

    /// PEM file of extra CA certificates trusted when verifying a target's chain, for
    /// private PKIs; repeatable.
    #[arg(long, value_name = "FILE")]
    pub ca_file: Vec<PathBuf>,

    /// Seconds to wait for each connect, read and write of a probe.
    #[arg(long, value_name = "SECONDS", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=300))]
    pub timeout: u64,

    /// Report a target's certificate when it expires within this many days.
    #[arg(long, value_name = "DAYS", default_value_t = 30)]
    pub expiry_warning_days: u32,

    /// Report format; repeat it to write several reports from one assessment. Default:
    /// human.
    #[arg(short, long, value_enum, value_name = "FORMAT")]
    pub format: Vec<ReportFormat>,

    /// Write the report to FILE instead of standard output ("-" is standard output);
    /// repeatable. The n-th --output goes with the n-th --format.
    #[arg(short, long, value_name = "FILE")]
    pub output: Vec<PathBuf>,

    /// Frameworks to report on, comma-separated ids or aliases.
    #[arg(long, value_name = "ID,...", value_delimiter = ',')]
    pub framework: Vec<String>,

    /// Lowest severity of a failure that makes the exit status 1.
    #[arg(long, value_name = "SEVERITY", default_value = "info", value_parser = parse_severity)]
    pub severity_threshold: Severity,

    /// Also exit with status 1 when a check cannot be decided.
    #[arg(long)]
    pub fail_on_unknown: bool,

    /// Skip paths matching GLOB, relative to each scanned directory; repeatable.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    #[command(flatten)]
    pub inputs: ScanInputArgs,

    /// Rego policy file or directory evaluated beside the built-in checks (conftest-style
    /// `deny` and `warn` rules; see docs/policies.md); repeatable.
    #[arg(long, value_name = "PATH")]
    pub policy: Vec<PathBuf>,

    /// Do not search the scanned files for secrets and sensitive data.
    #[arg(long)]
    pub no_sensitive_data: bool,

    /// Show passing checks in human output too.
    #[arg(long)]
    pub show_passed: bool,
}

#[derive(Debug, Args)]
pub struct TestArgs {
    /// Suite file (YAML, see docs/live-tests.md).
    #[arg(default_value = "nexafi-tests.yaml", value_name = "SUITE")]
    pub suite: PathBuf,

    /// Report format; repeat it to write several reports from one run. Default: human.
    #[arg(short, long, value_enum, value_name = "FORMAT")]
    pub format: Vec<TestFormat>,

    /// Write the report to FILE instead of standard output ("-" is standard output);
    /// repeatable. The n-th --output goes with the n-th --format. A format without one goes
    /// to standard output, and only one format may.
    #[arg(short, long, value_name = "FILE")]
    pub output: Vec<PathBuf>,

    /// Run only tests whose name matches GLOB (`*` and `?` wildcards); repeatable.
    #[arg(long, value_name = "GLOB")]
    pub only: Vec<String>,

    /// Run only tests of this kind; repeatable.
    #[arg(long, value_enum, value_name = "KIND")]
    pub kind: Vec<TestKind>,

    /// Print the tests that would run, with their targets, without contacting anything.
    #[arg(long)]
    pub list: bool,

    /// Maximum number of tests run at the same time. Default: the suite's
    /// `defaults.concurrency`, else 8.
    #[arg(short = 'j', long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub jobs: Option<u16>,
}

/// A report format of `nexafi test`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TestFormat {
    /// One line per test and a summary, for a terminal.
    Human,
    /// A JSON document with every test's outcome (see docs/live-tests.md).
    Json,
    /// JUnit XML, for CI test views and audit evidence.
    Junit,
}

/// The `kind` of a live test.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TestKind {
    Http,
    Tcp,
    Tls,
    Dns,
    Postgres,
    Redis,
    Rabbitmq,
    Kubernetes,
    Prometheus,
}

#[derive(Debug, Subcommand)]
pub enum ChecksCommand {
    /// List every built-in check.
    List {
        /// Output format.
        #[arg(short, long, value_enum, default_value_t = OutputFormat::Human)]
        format: OutputFormat,
        /// Only checks of this input kind.
        #[arg(long, value_enum)]
        input: Option<InputFilter>,
    },
    /// Print a check's documentation: what it checks, why, how to fix, limitations and
    /// the controls it gives evidence for.
    Explain {
        /// Check id, slug or alias (NXF-AWS-S3-001, s3-bucket-unencrypted, CKV_AWS_19).
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum FrameworksCommand {
    /// List the frameworks and their control counts.
    List {
        /// Output format.
        #[arg(short, long, value_enum, default_value_t = OutputFormat::Human)]
        format: OutputFormat,
    },
    /// Show every control of a framework with the checks that give evidence for it.
    Show {
        /// Framework id or alias (pci_dss, pci, soc2, gdpr, sox, glba, ffiec, nist-csf).
        id: String,
        /// Output format.
        #[arg(short, long, value_enum, default_value_t = OutputFormat::Human)]
        format: OutputFormat,
    },
}

#[derive(Debug, Subcommand)]
pub enum DlpCommand {
    /// Report sensitive values in files, directories (honouring .gitignore) or standard
    /// input (`-`).
    ///
    /// Exit status: 0 when nothing is found, 1 when a value is found, 2 when an input
    /// cannot be read or on a usage error.
    Scan(DlpScanArgs),
    /// Copy inputs with every sensitive value masked or tokenised: standard input to
    /// standard output, files into --output-dir, or files rewritten with --in-place.
    Redact(DlpRedactArgs),
}

/// Options shared by `dlp scan` and `dlp redact`.
#[derive(Debug, Args)]
pub struct DlpDetectArgs {
    /// Allow-list file (YAML): SHA-256 hashes of accepted values and path globs to skip.
    #[arg(long, value_name = "FILE")]
    pub allowlist: Option<PathBuf>,

    /// Drop findings whose confidence, from 0 to 100, is below this.
    #[arg(long, value_name = "0-100", default_value_t = nexafi_dlp::DEFAULT_MIN_CONFIDENCE,
          value_parser = clap::value_parser!(u8).range(0..=100))]
    pub min_confidence: u8,

    /// Run only these detectors, comma-separated (card-number, iban, aba-routing-number,
    /// swift-bic, us-ssn, email-address, aws-access-key-id, aws-secret-access-key,
    /// private-key, jwt, github-token, gitlab-token, slack-token, slack-webhook,
    /// stripe-key, generic-secret). Default: all.
    #[arg(long, value_name = "ID,...", value_delimiter = ',')]
    pub detector: Vec<nexafi_dlp::Detector>,

    /// Number of files scanned in parallel. Default: one per CPU core.
    #[arg(short = 'j', long, value_name = "N")]
    pub threads: Option<usize>,
}

#[derive(Debug, Args)]
pub struct DlpScanArgs {
    /// Files or directories to scan, or `-` for standard input.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,

    #[command(flatten)]
    pub detect: DlpDetectArgs,

    /// Output format.
    #[arg(short, long, value_enum, default_value_t = DlpFormat::Human)]
    pub format: DlpFormat,

    /// Write the report to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DlpRedactArgs {
    /// Files or directories to redact, or `-` (the default) for standard input.
    pub paths: Vec<PathBuf>,

    #[command(flatten)]
    pub detect: DlpDetectArgs,

    /// Replacement of found values.
    #[arg(long, value_enum, default_value_t = DlpMode::Pci)]
    pub mode: DlpMode,

    /// File holding the tokenisation key (at least 16 bytes) for --mode token. Without it
    /// the key is read from the environment variable NEXAFI_DLP_TOKEN_KEY.
    #[arg(long, value_name = "FILE")]
    pub key_file: Option<PathBuf>,

    /// Directory to write redacted copies of the input files to, keeping their relative
    /// paths.
    #[arg(long, value_name = "DIR", conflicts_with = "in_place")]
    pub output_dir: Option<PathBuf>,

    /// Rewrite the input files themselves.
    #[arg(long)]
    pub in_place: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DlpFormat {
    /// One line per finding: file:line:column, detector, masked preview, confidence.
    Human,
    /// A JSON document with every finding and the scan totals (see docs/dlp.md).
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DlpMode {
    /// Card numbers keep at most the first six and last four digits; other values are
    /// masked in full.
    Pci,
    /// Every character of a value becomes `*`, except spaces, dashes and line breaks.
    Full,
    /// Keyed HMAC-SHA256 tokens that keep the format: digits stay digits, lengths and
    /// IBAN country codes stay.
    Token,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Text for a terminal, with code frames and a summary table.
    Human,
    /// The versioned JSON report (see docs/json-report.md).
    Json,
}

/// A report format of `nexafi validate` (see docs/reports.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Text for a terminal, with code frames and a summary table.
    Human,
    /// The versioned JSON report (see docs/json-report.md).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// JUnit XML: a test case per check and resource, for CI test views.
    Junit,
    /// OSCAL 1.1.2 assessment results JSON, for GRC tools and auditors.
    Oscal,
    /// Markdown, for pull request comments and job summaries.
    Markdown,
    /// A self-contained HTML page for auditors.
    Html,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when writing to a terminal and NO_COLOR is unset.
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum InputFilter {
    Terraform,
    Kubernetes,
    Dockerfile,
}

fn parse_severity(text: &str) -> Result<Severity, String> {
    text.parse()
}

fn parse_var(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_owned(), value.to_owned()))
        }
        _ => Err(format!(
            "invalid variable {text:?}: expected NAME=VALUE, for example --var region=eu-west-1"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_valid() {
        Cli::command().debug_assert();
    }

    #[test]
    fn parse_var_splits_first_equals() {
        assert_eq!(
            parse_var("tags={a=1}"),
            Ok(("tags".to_owned(), "{a=1}".to_owned()))
        );
        assert!(parse_var("novalue").is_err());
        assert!(parse_var("=x").is_err());
    }
}
