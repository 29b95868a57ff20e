//! `nexafi deploy` as a user runs it, with stand-ins for kubectl and helm.
//!
//! No Kubernetes API server or Helm release store can run on the test machine, so most
//! tests write small shell scripts named terraform, kubectl and helm into a temp
//! directory and put it first on PATH. Each stand-in appends its command line to a log,
//! fails when the line contains the text in `FAIL_MATCH`, and keeps just enough state in
//! a directory to serve the deploy's reads: `kubectl get` prints a Deployment's
//! generation, which a non-dry-run `kubectl apply` raises, and `helm history` prints a
//! release's history or fails with "release: not found". The gate is the real scan, one
//! test runs the real terraform binary on a module that needs no provider download or
//! cloud account, and the deploy record test sends its events to a real
//! `nexafi audit serve` on 127.0.0.1 with a SQLite store.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/deploy");

/// The stand-in for all three tools. `$0` names the tool that runs.
const STAND_IN: &str = r#"#!/bin/sh
name=$(basename "$0")
line="$name $*"
printf '%s\n' "$line" >> "$DEPLOY_LOG"
if [ -n "$KILL_MATCH" ]; then
  case "$line" in
    *"$KILL_MATCH"*) kill -9 "$KILL_PID" ;;
  esac
fi
case "$line" in
  "kubectl get deployment/"*)
    cat "$DEPLOY_STATE/generation" 2>/dev/null
    exit 0 ;;
  "helm history "*)
    if [ -f "$DEPLOY_STATE/history-$2" ]; then
      cat "$DEPLOY_STATE/history-$2"
      exit 0
    fi
    echo "Error: release: not found" >&2
    exit 1 ;;
esac
if [ -n "$FAIL_MATCH" ]; then
  case "$line" in
    *"$FAIL_MATCH"*) echo "stand-in failure of $name" >&2; exit 1 ;;
  esac
fi
case "$line" in
  "kubectl apply --server-side --filename"*)
    generation=$(cat "$DEPLOY_STATE/generation" 2>/dev/null || echo 0)
    echo $((generation + 1)) > "$DEPLOY_STATE/generation" ;;
esac
echo "$name finished"
"#;

/// A temp directory with a plan file, the fixtures, the stand-ins and their log.
struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    fn new(plan: &str) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for fixture in ["gate-pass", "gate-fail", "manifests"] {
            std::fs::create_dir_all(root.join(fixture)).unwrap();
            for entry in std::fs::read_dir(Path::new(DATA).join(fixture)).unwrap() {
                let entry = entry.unwrap();
                std::fs::copy(entry.path(), root.join(fixture).join(entry.file_name())).unwrap();
            }
        }
        std::fs::create_dir_all(root.join("terraform")).unwrap();
        std::fs::create_dir_all(root.join("state")).unwrap();
        std::fs::create_dir_all(root.join("bin")).unwrap();
        for tool in ["terraform", "kubectl", "helm"] {
            write_executable(&root.join("bin").join(tool), STAND_IN);
        }
        std::fs::write(root.join("deploy.toml"), plan).unwrap();
        Setup { dir }
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn state(&self, name: &str, text: &str) {
        std::fs::write(self.root().join("state").join(name), text).unwrap();
    }

    fn remove_tool(&self, tool: &str) {
        std::fs::remove_file(self.root().join("bin").join(tool)).unwrap();
    }

    /// `nexafi deploy ARGS --plan deploy.toml` with the stand-ins first on PATH.
    fn deploy(&self, args: &[&str], fail_match: &str) -> Output {
        self.deploy_with(args, fail_match, &[])
    }

    /// Like [`Setup::deploy`], with more environment variables for the stand-ins.
    fn deploy_with(&self, args: &[&str], fail_match: &str, env: &[(&str, &str)]) -> Output {
        let path = format!(
            "{}:{}",
            self.root().join("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        Command::new(env!("CARGO_BIN_EXE_nexafi"))
            .current_dir(self.root())
            .arg("deploy")
            .args(args)
            .args(["--plan", "deploy.toml", "--actor", "ci-deployer"])
            .env("PATH", path)
            .env("DEPLOY_LOG", self.root().join("tools.log"))
            .env("DEPLOY_STATE", self.root().join("state"))
            .env("FAIL_MATCH", fail_match)
            .env("NO_COLOR", "1")
            .envs(env.iter().copied())
            .output()
            .unwrap()
    }

    /// Command lines the stand-ins received, in order.
    fn log(&self) -> Vec<String> {
        std::fs::read_to_string(self.root().join("tools.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

fn write_executable(path: &PathBuf, text: &str) {
    std::fs::write(path, text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// dev: terraform, one kubectl directory and two Helm releases; `GATE` is replaced.
const PLAN: &str = r#"
[environments.dev.gate]
paths = ["GATE"]

[environments.dev.terraform]
root = "terraform"
backend_config = "environments/dev.s3.tfbackend"
var_files = ["environments/dev.tfvars"]

[[environments.dev.rollout]]
kubectl = "manifests"

[[environments.dev.rollout]]
helm = "base"
chart = "charts/base"
namespace = "apps"
timeout_secs = 120

[[environments.dev.rollout]]
helm = "app"
chart = "charts/app"
namespace = "apps"
values = ["charts/app/values-dev.yaml"]
"#;

fn plan(gate: &str) -> String {
    PLAN.replace("GATE", gate)
}

const TERRAFORM_LINES: [&str; 3] = [
    "terraform -chdir=terraform init -input=false -backend-config=environments/dev.s3.tfbackend",
    "terraform -chdir=terraform plan -input=false -out=dev.tfplan -var-file=environments/dev.tfvars",
    "terraform -chdir=terraform apply -input=false dev.tfplan",
];

const GET_WEB: &str = "kubectl get deployment/web --namespace=apps --ignore-not-found --output=jsonpath={.metadata.generation}";

const BASE_HISTORY: &str =
    r#"[{"revision":1,"status":"superseded"},{"revision":2,"status":"deployed"}]"#;

#[test]
fn deploy_runs_stages_in_order() {
    let setup = Setup::new(&plan("gate-pass"));
    setup.state("generation", "3");
    setup.state("history-base", BASE_HISTORY);
    let output = setup.deploy(&["dev", "--format", "json"], "");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));

    let mut expected: Vec<&str> = TERRAFORM_LINES.to_vec();
    expected.extend([
        GET_WEB,
        "kubectl apply --server-side --filename manifests",
        GET_WEB,
        "helm history base --namespace=apps --output=json",
        "helm upgrade --install base charts/base --namespace=apps --atomic --wait --timeout=120s",
        "helm history app --namespace=apps --output=json",
        "helm upgrade --install app charts/app --namespace=apps --values=charts/app/values-dev.yaml --atomic --wait --timeout=600s",
    ]);
    assert_eq!(setup.log(), expected);

    let record: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(record["outcome"], "succeeded");
    assert_eq!(record["environment"], "dev");
    assert_eq!(record["actor"], "ci-deployer");
    assert_eq!(record["dry_run"], false);
    assert_eq!(record["terraform_plan_file"], "terraform/dev.tfplan");
    let stages: Vec<&str> = record["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|stage| stage["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        stages,
        [
            "gate",
            "terraform init",
            "terraform plan",
            "terraform apply",
            "kubectl manifests",
            "helm base",
            "helm app"
        ]
    );
    assert!(record.get("rollback").is_none(), "{record}");

    let progress = stderr(&output);
    assert!(
        progress.contains("==> helm app: succeeded in"),
        "{progress}"
    );
    assert!(progress.contains("[helm app] helm finished"), "{progress}");
}

#[test]
fn dry_run_changes_nothing() {
    let setup = Setup::new(&plan("gate-pass"));
    let output = setup.deploy(&["dev", "--dry-run"], "");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));

    assert_eq!(
        setup.log(),
        [
            TERRAFORM_LINES[0],
            TERRAFORM_LINES[1],
            "kubectl apply --server-side --dry-run=server --filename manifests",
            "helm upgrade --install base charts/base --namespace=apps --dry-run=server",
            "helm upgrade --install app charts/app --namespace=apps --values=charts/app/values-dev.yaml --dry-run=server",
        ]
    );
    let printed = stdout(&output);
    assert!(printed.contains("plan for `dev` (dry run"), "{printed}");
    assert!(
        printed.contains("$ kubectl apply --server-side --dry-run=server --filename manifests"),
        "{printed}"
    );
    assert!(!printed.contains("terraform apply"), "{printed}");
    assert!(
        printed.contains("dry run succeeded; nothing was changed"),
        "{printed}"
    );
}

#[test]
fn gate_failure_runs_no_tool() {
    let setup = Setup::new(&plan("gate-fail"));
    let output = setup.deploy(&["dev"], "");
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(setup.log().is_empty(), "{:?}", setup.log());

    let report = stderr(&output);
    assert!(report.contains("NXF-AWS-KMS-001"), "{report}");
    assert!(report.contains("==> gate: failed"), "{report}");
    assert!(
        stdout(&output).contains("the compliance gate failed; nothing was changed"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn helm_failure_rolls_back() {
    let setup = Setup::new(&plan("gate-pass"));
    setup.state("generation", "3");
    setup.state("history-base", BASE_HISTORY);
    let output = setup.deploy(&["dev", "--format", "json"], "upgrade --install app");
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));

    let log = setup.log();
    let failed_at = log
        .iter()
        .position(|line| line.starts_with("helm upgrade --install app"))
        .unwrap();
    assert_eq!(
        log[failed_at + 1..],
        [
            "helm rollback base 2 --namespace=apps --wait --timeout=120s",
            "kubectl rollout undo deployment/web --namespace=apps",
        ]
    );

    let record: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(record["outcome"], "rolled_back");
    let rollback = &record["rollback"];
    let rolled_back: Vec<&str> = rollback["rolled_back"]
        .as_array()
        .unwrap()
        .iter()
        .map(|line| line.as_str().unwrap())
        .collect();
    assert_eq!(rolled_back.len(), 3, "{rollback}");
    assert!(rolled_back[0].contains("apps/app"), "{rollback}");
    assert!(
        rolled_back[1].contains("apps/base to revision 2"),
        "{rollback}"
    );
    assert!(rolled_back[2].contains("deployment apps/web"), "{rollback}");
    let left_in_place = rollback["not_rolled_back"].to_string();
    assert!(
        left_in_place.contains("1 object(s) other than Deployments"),
        "{left_in_place}"
    );
    assert!(
        left_in_place.contains("Terraform changes: never rolled back"),
        "{left_in_place}"
    );
    assert!(
        left_in_place.contains("terraform/dev.tfplan"),
        "{left_in_place}"
    );
    assert_eq!(rollback["failed"].as_array().unwrap().len(), 0);
}

#[test]
fn first_install_is_uninstalled() {
    let setup = Setup::new(&plan("gate-pass"));
    // No history for base and no Deployment yet: both are created by this run.
    let output = setup.deploy(&["dev"], "upgrade --install app");
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));

    let log = setup.log();
    assert_eq!(
        log.last().map(String::as_str),
        Some("helm uninstall base --namespace=apps --wait --timeout=120s")
    );
    assert!(
        !log.iter().any(|line| line.contains("rollout undo")),
        "{log:?}"
    );
    let summary = stdout(&output);
    assert!(
        summary.contains("not rolled back: deployment apps/web was created by this run"),
        "{summary}"
    );
    assert!(
        summary.contains("deploy failed and was rolled back"),
        "{summary}"
    );
}

#[test]
fn no_rollback_leaves_changes() {
    let setup = Setup::new(&plan("gate-pass"));
    setup.state("generation", "3");
    setup.state("history-base", BASE_HISTORY);
    let output = setup.deploy(&["dev", "--no-rollback"], "upgrade --install app");
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));

    let log = setup.log();
    assert!(
        log.last()
            .unwrap()
            .starts_with("helm upgrade --install app"),
        "{log:?}"
    );
    let summary = stdout(&output);
    assert!(
        summary.contains(
            "not rolled back: helm release apps/base (rollback disabled with --no-rollback)"
        ),
        "{summary}"
    );
    assert!(summary.contains("deploy failed ("), "{summary}");
}

#[test]
fn terraform_failure_stops_rollout() {
    let setup = Setup::new(&plan("gate-pass"));
    let output = setup.deploy(&["dev"], "apply -input=false");
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));

    assert_eq!(setup.log(), TERRAFORM_LINES);
    let summary = stdout(&output);
    assert!(
        summary.contains("not rolled back: Terraform changes: never rolled back automatically; the applied plan is kept in terraform/dev.tfplan"),
        "{summary}"
    );
}

#[test]
fn prod_needs_confirmation() {
    let setup = Setup::new(&plan("gate-pass").replace("environments.dev", "environments.prod"));

    let unconfirmed = setup.deploy(&["prod"], "");
    assert_eq!(unconfirmed.status.code(), Some(2));
    assert!(
        stderr(&unconfirmed).contains("pass --confirm prod"),
        "{}",
        stderr(&unconfirmed)
    );
    assert!(setup.log().is_empty());

    let mismatch = setup.deploy(&["prod", "--confirm", "staging"], "");
    assert_eq!(mismatch.status.code(), Some(2));
    assert!(
        stderr(&mismatch).contains("does not match"),
        "{}",
        stderr(&mismatch)
    );
    assert!(setup.log().is_empty());

    let dry_run = setup.deploy(&["prod", "--dry-run"], "");
    assert_eq!(dry_run.status.code(), Some(0), "{}", stderr(&dry_run));

    let confirmed = setup.deploy(&["prod", "--confirm", "prod"], "");
    assert_eq!(confirmed.status.code(), Some(0), "{}", stderr(&confirmed));
    assert!(
        setup
            .log()
            .contains(&"terraform -chdir=terraform apply -input=false prod.tfplan".to_owned())
    );
}

#[test]
fn plan_errors_name_line() {
    let cases = [
        (
            PLAN.replace("chart = \"charts/app\"", "chrat = \"charts/app\""),
            "deploy.toml:21:1",
            "chrat",
        ),
        (
            PLAN.replace("namespace = \"apps\"\ntimeout_secs", "timeout_secs"),
            "deploy.toml:13:1",
            "no `namespace`",
        ),
        (
            PLAN.replace(
                "kubectl = \"manifests\"",
                "kubectl = \"manifests\"\nhelm = \"x\"",
            ),
            "deploy.toml:10:1",
            "split it into two",
        ),
        (
            PLAN.replace("paths = [\"GATE\"]", "paths = [\"gate-pass\""),
            // The parser stops at the next table header, where the `]` is missing.
            "deploy.toml:5:1",
            "expected `,`",
        ),
    ];
    for (text, location, message) in cases {
        let setup = Setup::new(&text);
        let output = setup.deploy(&["dev"], "");
        let error = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{error}");
        assert!(error.contains(location), "expected {location}: {error}");
        assert!(error.contains(message), "expected {message}: {error}");
        assert!(setup.log().is_empty());
    }
}

#[test]
fn missing_tool_changes_nothing() {
    let setup = Setup::new(&plan("gate-pass"));
    setup.remove_tool("helm");
    let output = setup.deploy(&["dev"], "");
    let error = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{error}");
    assert!(error.contains("helm is not on PATH"), "{error}");
    assert!(setup.log().is_empty());

    let output = setup.deploy(&["dev", "--helm", "bin/no-such-helm"], "");
    let error = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{error}");
    assert!(
        error.contains("--helm bin/no-such-helm is not an executable file"),
        "{error}"
    );
    assert!(setup.log().is_empty());
}

#[test]
fn unknown_environment_is_usage_error() {
    let setup = Setup::new(&plan("gate-pass"));
    let output = setup.deploy(&["qa"], "");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("use one of: dev"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn tests_hook_runs_last() {
    let text = plan("gate-pass").replace(
        "[environments.dev.gate]",
        "[environments.dev]\ntests = [\"bin/kubectl\", \"version\", \"--client\"]\n\n[environments.dev.gate]",
    );
    let setup = Setup::new(&text);
    let output = setup.deploy(&["dev"], "");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(setup.log().last().unwrap(), "kubectl version --client");

    // A failing test run fails the deploy but rolls nothing back.
    let output = setup.deploy(&["dev"], "version --client");
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_eq!(setup.log().last().unwrap(), "kubectl version --client");
    assert!(
        stdout(&output).contains("deploy failed ("),
        "{}",
        stdout(&output)
    );
}

#[cfg(feature = "audit")]
mod audit {
    use super::*;
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    use std::time::Duration;

    fn nexafi(dir: &Path) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_nexafi"));
        command.current_dir(dir);
        command
    }

    fn token(dir: &Path, scope: &str) -> String {
        let output = nexafi(dir)
            .args([
                "audit",
                "token",
                "create",
                "--db",
                "sqlite:audit.db",
                "--name",
                scope,
                "--scope",
                scope,
            ])
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
        stdout(&output).trim().to_owned()
    }

    /// Starts `nexafi audit serve` on 127.0.0.1 and returns it with its URL.
    fn serve(dir: &Path) -> (std::process::Child, String) {
        let mut child = nexafi(dir)
            .args([
                "audit",
                "serve",
                "--db",
                "sqlite:audit.db",
                "--listen",
                "127.0.0.1:0",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(url) = line.strip_prefix("listening on ") {
                    let _ = sender.send(url.to_owned());
                }
            }
        });
        let url = receiver.recv_timeout(Duration::from_secs(30)).unwrap();
        (child, url)
    }

    fn events(url: &str, token: &str) -> Vec<Value> {
        let client = nexafi_audit::client::AuditClient::new(url, Some(token.to_owned())).unwrap();
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let answer = runtime
            .block_on(client.json(
                nexafi_audit::client::Method::GET,
                "/v1/events?resource=environment/dev&limit=100",
                None,
            ))
            .unwrap();
        // Each row carries the event's fields in its canonical leaf and the payload
        // beside it.
        answer["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| {
                let mut event: Value = serde_json::from_str(row["leaf"].as_str().unwrap()).unwrap();
                event["payload"] = row["payload"].clone();
                event
            })
            .collect()
    }

    #[test]
    fn deploy_record_reaches_audit_trail() {
        let setup = Setup::new(&plan("gate-pass"));
        setup.state("generation", "3");
        setup.state("history-base", BASE_HISTORY);
        let append = token(setup.root(), "append");
        let read = token(setup.root(), "read");
        std::fs::write(setup.root().join("append.token"), &append).unwrap();
        let (mut server, url) = serve(setup.root());

        let output = setup.deploy(
            &[
                "dev",
                "--format",
                "json",
                "--audit-url",
                &url,
                "--audit-token-file",
                "append.token",
            ],
            "upgrade --install app",
        );
        let found = events(&url, &read);
        server.kill().unwrap();
        server.wait().unwrap();
        assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
        let record: Value = serde_json::from_slice(&output.stdout).unwrap();

        let actions: Vec<&str> = found
            .iter()
            .map(|event| event["action"].as_str().unwrap())
            .collect();
        assert_eq!(actions.first(), Some(&"deploy.started"), "{found:?}");
        assert_eq!(actions.last(), Some(&"deploy.rolled_back"), "{found:?}");
        let stages = actions
            .iter()
            .filter(|action| **action == "deploy.stage")
            .count();
        assert_eq!(stages, 7, "{actions:?}");
        for event in &found {
            assert_eq!(event["actor"], "ci-deployer");
            assert_eq!(event["tenant"], "platform");
            let payload = &event["payload"];
            assert_eq!(payload["deploy_id"], record["deploy_id"], "{event}");
            assert_eq!(payload["plan_digest"], record["plan_digest"], "{event}");
            assert_eq!(payload["environment"], "dev");
        }
        let failed_stage = found
            .iter()
            .find(|event| event["payload"]["stage"]["name"] == "helm app")
            .unwrap();
        assert_eq!(failed_stage["outcome"], "failure");
        assert_eq!(found.last().unwrap()["outcome"], "failure");
    }

    /// The service dies during the rollout: the deploy goes on, and every event it could
    /// not record is in the record and the error, ready for `nexafi audit append`.
    #[test]
    fn lost_audit_keeps_events() {
        let setup = Setup::new(&plan("gate-pass"));
        let append = token(setup.root(), "append");
        std::fs::write(setup.root().join("append.token"), &append).unwrap();
        let (mut server, url) = serve(setup.root());
        let pid = server.id().to_string();

        let output = setup.deploy_with(
            &[
                "dev",
                "--format",
                "json",
                "--audit-url",
                &url,
                "--audit-token-file",
                "append.token",
            ],
            "",
            &[("KILL_MATCH", "upgrade --install base"), ("KILL_PID", &pid)],
        );
        server.wait().unwrap();
        let error = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{error}");
        assert!(
            error.contains("were not recorded; append them with `nexafi audit append`"),
            "{error}"
        );

        let record: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(record["outcome"], "succeeded");
        let unsent: Vec<&str> = record["unsent_events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|event| event["action"].as_str().unwrap())
            .collect();
        assert_eq!(unsent, ["deploy.stage", "deploy.stage", "deploy.finished"]);
    }

    #[test]
    fn unreachable_audit_changes_nothing() {
        let setup = Setup::new(&plan("gate-pass"));
        std::fs::write(setup.root().join("append.token"), "example-not-a-secret").unwrap();
        // A port that was just free: nothing listens there.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let url = format!("http://127.0.0.1:{port}");
        let output = setup.deploy(
            &[
                "dev",
                "--audit-url",
                &url,
                "--audit-token-file",
                "append.token",
            ],
            "",
        );
        let error = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{error}");
        assert!(error.contains("did not record the start"), "{error}");
        assert!(setup.log().is_empty());
    }
}

/// The shipped plan deploys in the apply order of infrastructure/kubernetes/README.md and
/// gates prod on the inputs of the README's main command.
#[test]
fn shipped_plan_follows_apply_order() {
    let infrastructure = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../infrastructure");
    let plan = nexafi_deploy::plan::load(&infrastructure.join("deploy.toml")).unwrap();
    let expected = [
        "security",
        "infrastructure-components/storage-class.yaml",
        "helm kube-prometheus-stack",
        "monitoring/generated",
        "monitoring/tracing.yaml",
        "monitoring/cloudwatch-exporter.yaml",
        "monitoring/network-policies.yaml",
        "infrastructure-components",
        "compliance",
        "backup-recovery",
        "helm nexafi-financial-services",
    ];
    for name in ["dev", "staging", "prod"] {
        let environment = plan.environment(name).unwrap();
        let stages: Vec<String> = environment
            .rollout
            .iter()
            .map(|step| step.stage_name())
            .collect();
        assert_eq!(stages.len(), expected.len(), "{name}: {stages:?}");
        for (stage, suffix) in stages.iter().zip(expected) {
            assert!(
                stage.ends_with(suffix),
                "{name}: {stage} should end with {suffix}"
            );
        }
        let gate = &environment.gate;
        assert_eq!(
            gate.var_files,
            [PathBuf::from(format!(
                "terraform/environments/{name}.tfvars"
            ))]
        );
        let terraform = environment.terraform.as_ref().unwrap();
        assert_eq!(terraform.var_files, [format!("environments/{name}.tfvars")]);
        for file in terraform.var_files.iter().chain(&terraform.backend_config) {
            assert!(
                infrastructure.join("terraform").join(file).is_file(),
                "{name}: {file}"
            );
        }
        assert_eq!(environment.confirm, name == "prod");
    }

    let prod = plan.environment("prod").unwrap();
    for step in &prod.rollout {
        if let nexafi_deploy::plan::Step::Kubectl(kubectl) = step {
            assert!(
                infrastructure.join(&kubectl.path).exists(),
                "{}",
                kubectl.path.display()
            );
        }
    }
    assert_eq!(prod.gate.paths, [PathBuf::from(".")]);
    assert_eq!(
        prod.gate.helm_values,
        [PathBuf::from(
            "helm/nexafi-financial-services/ci/test-values.yaml"
        )]
    );
    assert!(prod.gate.helm_values_siblings);
    assert_eq!(
        prod.gate.helm_namespace.as_deref(),
        Some("nexafi-financial")
    );
    assert_eq!(
        prod.gate.helm_release.as_deref(),
        Some("nexafi-financial-services")
    );
}

/// A dry run of the shipped prod plan: the real gate on infrastructure/ passes.
#[test]
fn shipped_prod_dry_run_passes_gate() {
    let setup = Setup::new(&plan("gate-pass"));
    let repository = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let path = format!(
        "{}:{}",
        setup.root().join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = Command::new(env!("CARGO_BIN_EXE_nexafi"))
        .current_dir(&repository)
        .args(["deploy", "prod", "--dry-run", "--actor", "ci-deployer"])
        .env("PATH", path)
        .env("DEPLOY_LOG", setup.root().join("tools.log"))
        .env("DEPLOY_STATE", setup.root().join("state"))
        .env("FAIL_MATCH", "")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("==> gate: succeeded"),
        "{}",
        stderr(&output)
    );
    let log = setup.log();
    assert_eq!(log.len(), 13, "{log:?}");
    assert!(
        log.iter()
            .all(|line| !line.contains(" apply -input") && !line.contains("--atomic")),
        "{log:?}"
    );
    assert!(
        log[2].ends_with("--dry-run=server --filename kubernetes/security"),
        "{log:?}"
    );
}

/// The Terraform stages with the real terraform binary, which must be on PATH. The root
/// module has a local backend and only the built-in `terraform_data` resource, and
/// CHECKPOINT_DISABLE turns off Terraform's version check, so nothing leaves the machine.
#[test]
fn real_terraform_plans_and_applies() {
    let terraform = std::env::var_os("PATH")
        .and_then(|path| {
            std::env::split_paths(&path)
                .map(|directory| directory.join("terraform"))
                .find(|candidate| candidate.is_file())
        })
        .expect("terraform is not on PATH; this test runs the real binary");
    let text = r#"
[environments.dev.gate]
paths = ["gate-pass"]

[environments.dev.terraform]
root = "terraform"
backend_config = "environments/dev.local.tfbackend"
var_files = ["environments/dev.tfvars"]
"#;
    let setup = Setup::new(text);
    let module = Path::new(DATA).join("terraform-local");
    let root = setup.root().join("terraform");
    std::fs::create_dir_all(root.join("environments")).unwrap();
    for file in [
        "main.tf",
        "environments/dev.local.tfbackend",
        "environments/dev.tfvars",
    ] {
        std::fs::copy(module.join(file), root.join(file)).unwrap();
    }
    std::fs::write(
        setup.root().join("terraformrc"),
        "disable_checkpoint = true\n",
    )
    .unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_nexafi"))
            .current_dir(setup.root())
            .arg("deploy")
            .args(args)
            .args([
                "--plan",
                "deploy.toml",
                "--actor",
                "ci-deployer",
                "--terraform",
            ])
            .arg(&terraform)
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_CLI_CONFIG_FILE", setup.root().join("terraformrc"))
            .output()
            .unwrap()
    };

    // A dry run plans but leaves the state empty.
    let output = run(&["dev", "--dry-run"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(root.join("dev.tfplan").is_file());
    assert!(!root.join("dev.tfstate").exists());

    let output = run(&["dev", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let state = std::fs::read_to_string(root.join("dev.tfstate")).unwrap();
    assert!(state.contains("\"terraform_data\""), "{state}");
    assert!(state.contains("1.4.2"), "{state}");
    let progress = stderr(&output);
    assert!(progress.contains("[terraform apply] "), "{progress}");
    let record: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(record["terraform_plan_file"], "terraform/dev.tfplan");

    // An invalid variable file fails the plan stage, and nothing is applied.
    std::fs::write(root.join("environments/dev.tfvars"), "release = \n").unwrap();
    let output = run(&["dev"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("==> terraform plan: failed"),
        "{}",
        stderr(&output)
    );
    let unchanged = std::fs::read_to_string(root.join("dev.tfstate")).unwrap();
    assert_eq!(unchanged, state);
}

/// Confirmation typed at a terminal. util-linux `script` runs the command on a
/// pseudo-terminal and feeds it this test's standard input.
#[test]
fn prod_confirmed_on_terminal() {
    let setup = Setup::new(&plan("gate-pass").replace("environments.dev", "environments.prod"));
    let path = format!(
        "{}:{}",
        setup.root().join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let command = format!(
        "'{}' deploy prod --plan deploy.toml --actor ci-deployer",
        env!("CARGO_BIN_EXE_nexafi")
    );
    let typed = |answer: &str| {
        let mut child = Command::new("script")
            .args(["--quiet", "--return", "--command", &command, "/dev/null"])
            .current_dir(setup.root())
            .env("PATH", &path)
            .env("DEPLOY_LOG", setup.root().join("tools.log"))
            .env("DEPLOY_STATE", setup.root().join("state"))
            .env("FAIL_MATCH", "")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("util-linux `script` is needed to give the command a terminal");
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(format!("{answer}\n").as_bytes()).unwrap();
        drop(stdin);
        child.wait_with_output().unwrap()
    };

    let declined = typed("yes");
    let screen = stdout(&declined);
    assert_eq!(declined.status.code(), Some(2), "{screen}");
    assert!(
        screen.contains("Type the environment name to continue"),
        "{screen}"
    );
    assert!(
        screen.contains("not confirmed; nothing was changed"),
        "{screen}"
    );
    assert!(setup.log().is_empty(), "{:?}", setup.log());

    let confirmed = typed("prod");
    assert_eq!(confirmed.status.code(), Some(0), "{}", stdout(&confirmed));
    assert!(
        setup
            .log()
            .contains(&"terraform -chdir=terraform apply -input=false prod.tfplan".to_owned())
    );
}
