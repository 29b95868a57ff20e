//! The exact command lines of each stage, built from the plan before anything runs.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::plan::{Environment, HelmStep, KubectlStep, Terraform};

/// A program the deploy runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tool {
    Terraform,
    Kubectl,
    Helm,
}

impl Tool {
    /// Name looked up on PATH, and the option that overrides it.
    pub fn name(self) -> &'static str {
        match self {
            Tool::Terraform => "terraform",
            Tool::Kubectl => "kubectl",
            Tool::Helm => "helm",
        }
    }
}

/// Program to run: one of the deploy tools, or a command of the plan file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Program {
    Tool(Tool),
    /// The first word of a `prepare` or `tests` command line.
    Other(String),
}

/// One command line: program and arguments, without a shell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandLine {
    pub program: Program,
    pub args: Vec<String>,
}

impl CommandLine {
    fn tool(tool: Tool, args: Vec<String>) -> Self {
        CommandLine {
            program: Program::Tool(tool),
            args,
        }
    }

    /// Builds a command from a plan file's argument list (program first).
    pub fn from_argv(argv: &[String]) -> Self {
        let (program, args) = argv.split_first().map_or_else(
            || (String::new(), Vec::new()),
            |(program, args)| (program.clone(), args.to_vec()),
        );
        CommandLine {
            program: Program::Other(program),
            args,
        }
    }

    pub fn program_name(&self) -> &str {
        match &self.program {
            Program::Tool(tool) => tool.name(),
            Program::Other(name) => name,
        }
    }
}

impl fmt::Display for CommandLine {
    /// Writes the command as a POSIX shell would read it back.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&shell_quote(self.program_name()))?;
        for arg in &self.args {
            write!(formatter, " {}", shell_quote(arg))?;
        }
        Ok(())
    }
}

/// Quotes a word for a POSIX shell, leaving plain words as they are.
pub fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word.chars().all(|character| {
            character.is_ascii_alphanumeric() || "-_./=:,@+%{}".contains(character)
        });
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

fn path_arg(path: &Path) -> String {
    path.display().to_string()
}

fn with_kube_context(mut args: Vec<String>, option: &str, context: Option<&str>) -> Vec<String> {
    if let Some(context) = context {
        args.push(format!("{option}={context}"));
    }
    args
}

/// Terraform commands of one environment.
pub struct TerraformCommands {
    pub init: CommandLine,
    pub plan: CommandLine,
    pub apply: CommandLine,
    /// The saved plan, relative to the plan file's directory, kept for review.
    pub plan_file: PathBuf,
}

/// Builds `terraform init`, `plan -out` and `apply PLANFILE` for the root module.
pub fn terraform(terraform: &Terraform) -> TerraformCommands {
    let chdir = format!("-chdir={}", path_arg(&terraform.root));

    let mut init = vec![chdir.clone(), "init".to_owned(), "-input=false".to_owned()];
    if let Some(backend) = &terraform.backend_config {
        init.push(format!("-backend-config={backend}"));
    }

    let mut plan = vec![
        chdir.clone(),
        "plan".to_owned(),
        "-input=false".to_owned(),
        format!("-out={}", terraform.plan_file),
    ];
    plan.extend(
        terraform
            .var_files
            .iter()
            .map(|file| format!("-var-file={file}")),
    );

    let apply = vec![
        chdir,
        "apply".to_owned(),
        "-input=false".to_owned(),
        terraform.plan_file.clone(),
    ];

    TerraformCommands {
        init: CommandLine::tool(Tool::Terraform, init),
        plan: CommandLine::tool(Tool::Terraform, plan),
        apply: CommandLine::tool(Tool::Terraform, apply),
        plan_file: terraform.root.join(&terraform.plan_file),
    }
}

/// `kubectl apply --server-side`, with `--dry-run=server` in a dry run.
pub fn kubectl_apply(step: &KubectlStep, context: Option<&str>, dry_run: bool) -> CommandLine {
    let mut args = with_kube_context(Vec::new(), "--context", context);
    args.extend(["apply".to_owned(), "--server-side".to_owned()]);
    if dry_run {
        args.push("--dry-run=server".to_owned());
    }
    if step.recursive {
        args.push("--recursive".to_owned());
    }
    args.extend(["--filename".to_owned(), path_arg(&step.path)]);
    CommandLine::tool(Tool::Kubectl, args)
}

/// Reads a Deployment's `metadata.generation`; empty output means it does not exist.
pub fn kubectl_generation(context: Option<&str>, namespace: &str, name: &str) -> CommandLine {
    let mut args = with_kube_context(Vec::new(), "--context", context);
    args.extend([
        "get".to_owned(),
        format!("deployment/{name}"),
        format!("--namespace={namespace}"),
        "--ignore-not-found".to_owned(),
        "--output=jsonpath={.metadata.generation}".to_owned(),
    ]);
    CommandLine::tool(Tool::Kubectl, args)
}

/// `kubectl rollout undo` of one Deployment, back to its previous revision.
pub fn kubectl_rollout_undo(context: Option<&str>, namespace: &str, name: &str) -> CommandLine {
    let mut args = with_kube_context(Vec::new(), "--context", context);
    args.extend([
        "rollout".to_owned(),
        "undo".to_owned(),
        format!("deployment/{name}"),
        format!("--namespace={namespace}"),
    ]);
    CommandLine::tool(Tool::Kubectl, args)
}

/// Builds `helm upgrade --install`. A dry run has the API server validate without storing.
pub fn helm_upgrade(step: &HelmStep, context: Option<&str>, dry_run: bool) -> CommandLine {
    let mut args = with_kube_context(Vec::new(), "--kube-context", context);
    args.extend([
        "upgrade".to_owned(),
        "--install".to_owned(),
        step.release.clone(),
        step.chart.clone(),
        format!("--namespace={}", step.namespace),
    ]);
    if let Some(version) = &step.version {
        args.push(format!("--version={version}"));
    }
    for values in &step.values {
        args.push(format!("--values={}", path_arg(values)));
    }
    if dry_run {
        args.push("--dry-run=server".to_owned());
    } else {
        args.extend([
            "--atomic".to_owned(),
            "--wait".to_owned(),
            format!("--timeout={}s", step.timeout_secs),
        ]);
    }
    CommandLine::tool(Tool::Helm, args)
}

/// `helm history` as JSON, to learn the revision a rollback returns to.
pub fn helm_history(step: &HelmStep, context: Option<&str>) -> CommandLine {
    let mut args = with_kube_context(Vec::new(), "--kube-context", context);
    args.extend([
        "history".to_owned(),
        step.release.clone(),
        format!("--namespace={}", step.namespace),
        "--output=json".to_owned(),
    ]);
    CommandLine::tool(Tool::Helm, args)
}

/// `helm rollback RELEASE REVISION`.
pub fn helm_rollback(step: &HelmStep, context: Option<&str>, revision: u64) -> CommandLine {
    let mut args = with_kube_context(Vec::new(), "--kube-context", context);
    args.extend([
        "rollback".to_owned(),
        step.release.clone(),
        revision.to_string(),
        format!("--namespace={}", step.namespace),
        "--wait".to_owned(),
        format!("--timeout={}s", step.timeout_secs),
    ]);
    CommandLine::tool(Tool::Helm, args)
}

/// `helm uninstall RELEASE` of a release this run installed first.
pub fn helm_uninstall(step: &HelmStep, context: Option<&str>) -> CommandLine {
    let mut args = with_kube_context(Vec::new(), "--kube-context", context);
    args.extend([
        "uninstall".to_owned(),
        step.release.clone(),
        format!("--namespace={}", step.namespace),
        "--wait".to_owned(),
        format!("--timeout={}s", step.timeout_secs),
    ]);
    CommandLine::tool(Tool::Helm, args)
}

/// Tools the environment's stages run.
pub fn tools_needed(environment: &Environment) -> Vec<Tool> {
    let mut tools = Vec::new();
    if environment.terraform.is_some() {
        tools.push(Tool::Terraform);
    }
    for step in &environment.rollout {
        let tool = match step {
            crate::plan::Step::Kubectl(_) => Tool::Kubectl,
            crate::plan::Step::Helm(_) => Tool::Helm,
        };
        if !tools.contains(&tool) {
            tools.push(tool);
        }
    }
    tools
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_plain_and_special() {
        assert_eq!(shell_quote("-chdir=terraform"), "-chdir=terraform");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
    }

    #[test]
    fn terraform_lines() {
        let commands = terraform(&Terraform {
            root: PathBuf::from("terraform"),
            var_files: vec!["environments/prod.tfvars".to_owned()],
            backend_config: Some("environments/prod.s3.tfbackend".to_owned()),
            plan_file: "prod.tfplan".to_owned(),
        });
        assert_eq!(
            commands.init.to_string(),
            "terraform -chdir=terraform init -input=false -backend-config=environments/prod.s3.tfbackend"
        );
        assert_eq!(
            commands.plan.to_string(),
            "terraform -chdir=terraform plan -input=false -out=prod.tfplan -var-file=environments/prod.tfvars"
        );
        assert_eq!(
            commands.apply.to_string(),
            "terraform -chdir=terraform apply -input=false prod.tfplan"
        );
        assert_eq!(commands.plan_file, PathBuf::from("terraform/prod.tfplan"));
    }

    #[test]
    fn helm_dry_run_has_no_atomic() {
        let step = HelmStep {
            release: "app".to_owned(),
            chart: "helm/app".to_owned(),
            version: None,
            namespace: "apps".to_owned(),
            values: vec![],
            timeout_secs: 60,
        };
        let line = helm_upgrade(&step, Some("ctx"), true).to_string();
        assert_eq!(
            line,
            "helm --kube-context=ctx upgrade --install app helm/app --namespace=apps --dry-run=server"
        );
        let line = helm_upgrade(&step, None, false).to_string();
        assert!(line.ends_with("--atomic --wait --timeout=60s"), "{line}");
    }
}
