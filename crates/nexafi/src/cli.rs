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
    Validate(ValidateArgs),

    /// List the built-in checks or explain one.
    #[command(subcommand)]
    Checks(ChecksCommand),

    /// List the compliance frameworks or show the controls of one.
    #[command(subcommand)]
    Frameworks(FrameworksCommand),

    /// Run or use the tamper-evident audit trail: service, client and offline verifier.
    #[cfg(feature = "audit")]
    #[command(subcommand)]
    Audit(crate::commands::audit::AuditCommand),

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

    /// Output format.
    #[arg(short, long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,

    /// Write the report to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

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

    /// Terraform variable definitions file, applied after terraform.tfvars and
    /// *.auto.tfvars; repeatable, in order.
    #[arg(long, value_name = "FILE")]
    pub var_file: Vec<PathBuf>,

    /// Terraform variable as NAME=VALUE, applied last; repeatable.
    #[arg(long, value_name = "NAME=VALUE", value_parser = parse_var)]
    pub var: Vec<(String, String)>,

    /// Show passing checks in human output too.
    #[arg(long)]
    pub show_passed: bool,
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

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Text for a terminal, with code frames and a summary table.
    Human,
    /// The versioned JSON report (see docs/json-report.md).
    Json,
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
