//! Locating terraform, kubectl, helm and the plan file's own commands before anything runs.

use std::path::{Path, PathBuf};

use crate::command::{Tool, tools_needed};
use crate::exec::{Executor, find_on_path, is_executable, this_nexafi};
use crate::plan::Environment;

/// Paths given with `--terraform`, `--kubectl` and `--helm`.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub terraform: Option<PathBuf>,
    pub kubectl: Option<PathBuf>,
    pub helm: Option<PathBuf>,
}

/// Finds every program the environment's stages run. Every missing one is listed in a
/// single error, so the user fixes them all at once.
pub fn locate(
    environment: &Environment,
    overrides: &Overrides,
    base: &Path,
) -> Result<Executor, String> {
    let mut executor = Executor {
        base: base.to_path_buf(),
        terraform: None,
        kubectl: None,
        helm: None,
    };
    let mut missing = Vec::new();

    for tool in tools_needed(environment) {
        let (given, slot) = match tool {
            Tool::Terraform => (&overrides.terraform, &mut executor.terraform),
            Tool::Kubectl => (&overrides.kubectl, &mut executor.kubectl),
            Tool::Helm => (&overrides.helm, &mut executor.helm),
        };
        let name = tool.name();
        match given {
            Some(path) if is_executable(path) => *slot = Some(path.clone()),
            Some(path) => missing.push(format!(
                "--{name} {} is not an executable file",
                path.display()
            )),
            None => match find_on_path(name) {
                Some(path) => *slot = Some(path),
                None => missing.push(format!(
                    "{name} is not on PATH (install it or pass --{name} PATH)"
                )),
            },
        }
    }

    for (key, argv) in [
        ("prepare", &environment.prepare),
        ("tests", &environment.tests),
    ] {
        let Some(program) = argv.as_ref().and_then(|argv| argv.first()) else {
            continue;
        };
        let found = if program.contains('/') {
            is_executable(&base.join(program))
        } else {
            this_nexafi(program).is_some() || find_on_path(program).is_some()
        };
        if !found {
            missing.push(format!(
                "the `{key}` command `{program}` of environment `{}` is not found{}",
                environment.name,
                if program.contains('/') {
                    format!(" in {}", base.display())
                } else {
                    " on PATH".to_owned()
                }
            ));
        }
    }

    if missing.is_empty() {
        Ok(executor)
    } else {
        Err(format!("nothing was changed: {}", missing.join("; ")))
    }
}
