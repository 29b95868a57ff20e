//! The `nexafi` binary: parses arguments, runs one command, and turns its result into
//! exit status 0 (success), 1 (findings or failed inputs) or 2 (usage or tool error).

use std::io::{ErrorKind, IsTerminal};
use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

mod cli;
mod commands;
mod output;

use cli::{Cli, ColorChoice, Command};

/// How a command ended, before it becomes an exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Findings,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    let color = use_color(cli.color);

    let result = match cli.command {
        Command::Validate(args) => commands::validate::run(&args, color),
        Command::Security(args) => commands::security::run(&args, color),
        Command::Test(args) => commands::test::run(&args),
        Command::Checks(command) => commands::checks::run(command, color),
        Command::Frameworks(command) => commands::frameworks::run(command, color),
        Command::Dlp(command) => commands::dlp::run(command, color),
        Command::Completions { shell } => commands::completions::run(shell),
        #[cfg(feature = "audit")]
        Command::Audit(command) => commands::audit::run(command),
    };

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

fn is_broken_pipe(error: &commands::Error) -> bool {
    matches!(error, commands::Error::Io(io) if io.kind() == ErrorKind::BrokenPipe)
}

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
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
