//! Running child processes: streamed with a stage prefix, or captured for parsing.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;

use crate::command::{CommandLine, Program, Tool};

/// Resolved paths of the tools and the directory commands run in.
#[derive(Debug, Clone)]
pub struct Executor {
    pub base: PathBuf,
    pub terraform: Option<PathBuf>,
    pub kubectl: Option<PathBuf>,
    pub helm: Option<PathBuf>,
}

/// Output of a captured command.
pub struct Captured {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

impl Executor {
    fn program(&self, command: &CommandLine) -> Result<PathBuf, String> {
        let tool = match &command.program {
            // A relative path with a slash names a file in the plan's directory; an
            // absolute path keeps the child's working directory from changing its meaning.
            Program::Other(name) if name.contains('/') => {
                let path = self.base.join(name);
                return Ok(std::path::absolute(&path).unwrap_or(path));
            }
            Program::Other(name) => {
                return Ok(this_nexafi(name).unwrap_or_else(|| PathBuf::from(name)));
            }
            Program::Tool(tool) => *tool,
        };
        let path = match tool {
            Tool::Terraform => &self.terraform,
            Tool::Kubectl => &self.kubectl,
            Tool::Helm => &self.helm,
        };
        path.clone()
            .ok_or_else(|| format!("{} was not located before the deploy started", tool.name()))
    }

    fn command(&self, command: &CommandLine) -> Result<Command, String> {
        let mut process = Command::new(self.program(command)?);
        process
            .args(&command.args)
            .current_dir(&self.base)
            .stdin(Stdio::null());
        Ok(process)
    }

    /// Runs a command, copying each line of its output to standard error as
    /// `[STAGE] line`. Returns an error saying how it failed.
    pub fn run_streamed(&self, stage: &str, command: &CommandLine) -> Result<(), String> {
        let mut process = self.command(command)?;
        process.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = process
            .spawn()
            .map_err(|error| format!("cannot start `{}`: {error}", command.program_name()))?;

        let mut copiers = Vec::new();
        if let Some(stdout) = child.stdout.take() {
            copiers.push(copy_prefixed(stage.to_owned(), stdout));
        }
        if let Some(stderr) = child.stderr.take() {
            copiers.push(copy_prefixed(stage.to_owned(), stderr));
        }
        let status = child
            .wait()
            .map_err(|error| format!("cannot wait for `{}`: {error}", command.program_name()))?;
        for copier in copiers {
            let _ = copier.join();
        }

        if status.success() {
            Ok(())
        } else {
            Err(match status.code() {
                Some(code) => format!("`{command}` exited with status {code}"),
                None => format!("`{command}` was killed by a signal"),
            })
        }
    }

    /// Runs a command and returns its output instead of showing it.
    pub fn run_captured(&self, command: &CommandLine) -> Result<Captured, String> {
        let output = self
            .command(command)?
            .output()
            .map_err(|error| format!("cannot start `{}`: {error}", command.program_name()))?;
        Ok(Captured {
            success: output.status.success(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        })
    }
}

fn copy_prefixed(stage: String, stream: impl Read + Send + 'static) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let reader = BufReader::new(stream);
        for line in reader.split(b'\n') {
            let Ok(line) = line else { break };
            let text = String::from_utf8_lossy(&line);
            let mut stderr = std::io::stderr().lock();
            let _ = writeln!(stderr, "[{stage}] {}", text.trim_end_matches('\r'));
        }
    })
}

/// Finds an executable `name` in the directories of PATH.
/// The running binary when a plan command names `nexafi`, so that the post-deploy tests
/// run the same build as the deploy, whether or not a `nexafi` is on PATH.
pub fn this_nexafi(name: &str) -> Option<PathBuf> {
    if name != "nexafi" {
        return None;
    }
    let exe = std::env::current_exe().ok()?;
    let stem = exe.file_stem()?.to_str()?;
    (stem == "nexafi").then_some(exe)
}

pub fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|directory| directory.join(name))
        .find(|candidate| is_executable(candidate))
}

/// Returns whether `path` is a file the current user may execute.
pub fn is_executable(path: &Path) -> bool {
    let Ok(metadata) = std::fs::metadata(path) else {
        return false;
    };
    if !metadata.is_file() {
        return false;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        metadata.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        true
    }
}
