use clap::CommandFactory;
use clap_complete::Shell;

use crate::Outcome;
use crate::cli::Cli;

pub fn run(shell: Shell) -> Result<Outcome, super::Error> {
    let mut command = Cli::command();
    let mut buffer = Vec::new();
    clap_complete::generate(shell, &mut command, "nexafi", &mut buffer);
    let text = String::from_utf8_lossy(&buffer);
    crate::output::write_report(None, &text)?;
    Ok(Outcome::Success)
}
