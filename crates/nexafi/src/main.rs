//! The `nexafi` binary: parses arguments, runs one command, and turns its result into
//! exit status 0 (success), 1 (findings or failed inputs) or 2 (usage or tool error).

use std::io::{ErrorKind, IsTerminal};
use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

/// mimalloc rather than the system allocator: the audit service allocates and frees
/// many small buffers per event, and glibc's allocator took about a quarter of its CPU
/// time in the append benchmark.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod cli;
mod commands;
mod output;
#[cfg(feature = "audit")]
mod telemetry;

use cli::{Cli, ColorChoice, Command};

/// How a command ended, before it becomes an exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Findings,
}

fn main() -> ExitCode {
    let cli = Cli::parse();

    #[cfg(feature = "audit")]
    let telemetry = match start_telemetry(&cli.command) {
        Ok(telemetry) => telemetry,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    #[cfg(feature = "audit")]
    init_logging(
        cli.verbose,
        telemetry.as_ref().map(telemetry::Telemetry::layer),
    );
    #[cfg(not(feature = "audit"))]
    init_logging(cli.verbose, None::<tracing_subscriber::layer::Identity>);

    let color = use_color(cli.color);

    let result = match cli.command {
        Command::Validate(args) => commands::validate::run(&args, color),
        Command::Security(args) => commands::security::run(&args, color),
        Command::Deploy(args) => commands::deploy::run(&args, color),
        Command::Test(args) => commands::test::run(&args),
        Command::Checks(command) => commands::checks::run(command, color),
        Command::Frameworks(command) => commands::frameworks::run(command, color),
        Command::Dlp(command) => commands::dlp::run(command, color),
        Command::Completions { shell } => commands::completions::run(shell),
        #[cfg(feature = "audit")]
        Command::Audit(command) => commands::audit::run(command),
        #[cfg(feature = "monitor")]
        Command::Monitor(args) => commands::monitor::run(&args, color),
    };

    // After the service has drained, so the spans of its last requests are exported too.
    #[cfg(feature = "audit")]
    if let Some(telemetry) = telemetry {
        telemetry.shutdown();
    }

    match result {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::Findings) => ExitCode::from(1),
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

/// Starts trace export when the command is `audit serve` and a collector is configured.
#[cfg(feature = "audit")]
fn start_telemetry(command: &Command) -> Result<Option<telemetry::Telemetry>, String> {
    match telemetry::config_for(command)? {
        Some(config) => telemetry::Telemetry::start(&config).map(Some),
        None => Ok(None),
    }
}

fn is_broken_pipe(error: &commands::Error) -> bool {
    matches!(error, commands::Error::Io(io) if io.kind() == ErrorKind::BrokenPipe)
}

/// Installs the global subscriber: logs on standard error, filtered by `RUST_LOG` or
/// `-v`, and the trace exporter's layer, which has a filter of its own, so traces do not
/// depend on the log level.
fn init_logging<L>(verbose: u8, traces: Option<L>)
where
    L: Layer<Registry> + Send + Sync + 'static,
{
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let logs = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_filter(filter);
    Registry::default().with(traces).with(logs).init();
}

fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty())
                && std::io::stdout().is_terminal()
        }
    }
}
