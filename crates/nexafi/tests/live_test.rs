//! `nexafi test` as users run it, against PostgreSQL (127.0.0.1:5432) and Redis
//! (127.0.0.1:6379) running on this machine: exit codes, progress lines, JUnit and JSON
//! reports read back, selection, `--list`, and suite errors with file:line:column.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use quick_junit::{NonSuccessKind, Report, TestCaseStatus};
use serde_json::Value;

fn nexafi() -> Command {
    let mut command = Command::cargo_bin("nexafi").unwrap();
    command.env_remove("RUST_LOG").env("NO_COLOR", "1");
    command
}

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/live")
        .join(name)
}

/// Returns a loopback port nothing listens on.
fn closed_port() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port().to_string()
}

#[test]
fn passing_suite_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("report.xml");
    let output = nexafi()
        .arg("test")
        .arg(data("pass.yaml"))
        .args(["--format", "junit", "--output"])
        .arg(&junit)
        .args(["--format", "human", "--output"])
        .arg(dir.path().join("report.txt"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let text = std::fs::read_to_string(dir.path().join("report.txt")).unwrap();
    assert!(text.contains("PASS  redis ping"), "{text}");
    assert!(text.contains("4 tests: 4 passed"), "{text}");
    assert!(stderr.contains("PASS  postgres answers"), "{stderr}");
    assert!(
        stderr.contains("4 tests: 4 passed, 0 failed, 0 errors"),
        "{stderr}"
    );

    let report = Report::deserialize_from_str(&std::fs::read_to_string(&junit).unwrap()).unwrap();
    assert_eq!(report.test_suites.len(), 1);
    let suite = &report.test_suites[0];
    assert_eq!(suite.name.as_str(), "local-pass");
    let properties: Vec<&str> = suite
        .properties
        .iter()
        .map(|property| property.name.as_str())
        .collect();
    assert_eq!(properties, ["suite_file", "started_at"]);
    assert_eq!(suite.test_cases.len(), 4);
    assert_eq!(suite.failures, 0);
    assert_eq!(suite.errors, 0);
    let classes: Vec<&str> = suite
        .test_cases
        .iter()
        .map(|case| case.classname.as_ref().map_or("", |name| name.as_str()))
        .collect();
    assert_eq!(classes, ["postgres", "tcp", "redis", "dns"]);
}

#[test]
fn failing_suite_exits_one() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("report.xml");
    let json = dir.path().join("report.json");
    let output = nexafi()
        .arg("test")
        .arg(data("fail.yaml"))
        .env("CLOSED_PORT", closed_port())
        .args(["--format", "junit", "--output"])
        .arg(&junit)
        .args(["--format", "json", "--output"])
        .arg(&json)
        .args(["--format", "human"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("3 tests: 1 passed, 1 failed, 1 error in"),
        "{stderr}"
    );
    assert!(stdout.contains("FAIL  replica value"), "{stdout}");
    // Passed tests were shown as progress lines; the report on stdout lists the rest.
    assert!(!stdout.contains("PASS  redis ping"), "{stdout}");
    assert!(
        stdout.contains("expected \"primary\", found \"replica\""),
        "{stdout}"
    );

    let report = Report::deserialize_from_str(&std::fs::read_to_string(&junit).unwrap()).unwrap();
    let suite = &report.test_suites[0];
    assert_eq!(suite.failures, 1);
    assert_eq!(suite.errors, 1);
    let replica = suite
        .test_cases
        .iter()
        .find(|case| case.name.as_str() == "replica value")
        .unwrap();
    match &replica.status {
        TestCaseStatus::NonSuccess { kind, message, .. } => {
            assert_eq!(*kind, NonSuccessKind::Failure);
            assert_eq!(
                message.as_ref().map(|text| text.as_str()),
                Some("expected \"primary\", found \"replica\"")
            );
        }
        other => panic!("expected a failure, found {other:?}"),
    }
    let closed = suite
        .test_cases
        .iter()
        .find(|case| case.name.as_str() == "closed port")
        .unwrap();
    assert!(matches!(
        closed.status,
        TestCaseStatus::NonSuccess {
            kind: NonSuccessKind::Error,
            ..
        }
    ));

    let document: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(document["version"], 1);
    assert_eq!(document["summary"]["total"], 3);
    assert_eq!(document["summary"]["failed"], 1);
    assert_eq!(document["summary"]["errors"], 1);
    assert_eq!(document["tests"][1]["outcome"], "failed");
    assert_eq!(document["tests"][1]["line"], 9);
}

#[test]
fn list_contacts_nothing() {
    // Every target is a closed port: listing must still succeed at once.
    let output = nexafi()
        .arg("test")
        .arg(data("fail.yaml"))
        .arg("--list")
        .env("CLOSED_PORT", closed_port())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0));
    assert!(stdout.contains("3 of 3 tests selected"), "{stdout}");
    assert!(
        stdout.contains("http       closed port    GET http://127.0.0.1:"),
        "{stdout}"
    );
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn selection_by_glob_and_kind() {
    let output = nexafi()
        .arg("test")
        .arg(data("pass.yaml"))
        .args(["--list", "--only", "postgres*", "--kind", "tcp"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0));
    assert!(stdout.contains("1 of 4 tests selected"), "{stdout}");
    assert!(stdout.contains("postgres port open"), "{stdout}");

    let output = nexafi()
        .arg("test")
        .arg(data("pass.yaml"))
        .args(["--only", "redis*"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&output.stdout).contains("1 test: 1 passed"));
}

#[test]
fn no_selected_test_is_usage_error() {
    let output = nexafi()
        .arg("test")
        .arg(data("pass.yaml"))
        .args(["--kind", "kubernetes"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no test of suite"));
}

#[test]
fn suite_errors_exit_two() {
    let cases = [
        ("unknown-key.yaml", "unknown-key.yaml:5:5:", "pasword_env"),
        (
            "inline-password.yaml",
            "inline-password.yaml:5:15:",
            "password_env",
        ),
        (
            "unset-variable.yaml",
            "unset-variable.yaml:4:10:",
            "environment variable NEXAFI_TEST_UNSET_HOST is not set",
        ),
    ];
    for (file, place, needle) in cases {
        let output = nexafi()
            .arg("test")
            .arg(data(file))
            .env_remove("NEXAFI_TEST_UNSET_HOST")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{file}: {stderr}");
        assert!(stderr.contains(place), "{file}: {stderr}");
        assert!(stderr.contains(needle), "{file}: {stderr}");
    }
}

#[test]
fn default_suite_in_current_directory() {
    let dir = tempfile::tempdir().unwrap();
    let output = nexafi()
        .arg("test")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("suite nexafi-tests.yaml not found"));

    std::fs::copy(data("pass.yaml"), dir.path().join("nexafi-tests.yaml")).unwrap();
    let output = nexafi()
        .args(["test", "--only", "localhost*"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn two_formats_on_stdout_rejected() {
    let output = nexafi()
        .arg("test")
        .arg(data("pass.yaml"))
        .args(["--format", "json", "--format", "junit"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("standard output"));
}

/// The shipped suites load, with example hosts, and list their tests; nothing is
/// contacted.
#[test]
fn shipped_suites_load() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../infrastructure/tests");
    for (suite, count) in [("staging.yaml", "15 of 15"), ("prod.yaml", "17 of 17")] {
        let mut command = nexafi();
        command.arg("test").arg(root.join(suite)).arg("--list");
        for name in [
            "NEXAFI_AUDIT_HOST",
            "NEXAFI_PAYMENTS_API_HOST",
            "NEXAFI_DB_HOST",
            "NEXAFI_CACHE_HOST",
            "NEXAFI_MQ_HOST",
        ] {
            command.env(name, "service.example.test");
        }
        command
            .env("NEXAFI_PROMETHEUS_URL", "https://prometheus.example.test")
            .env("NEXAFI_K8S_API", "https://kubernetes.example.test")
            .env("NEXAFI_K8S_TOKEN_FILE", "token")
            .env("NEXAFI_K8S_CA_FILE", "cluster-ca.pem")
            .env("NEXAFI_CA_FILE", "ca.pem");
        let output = command.output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{suite}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            stdout.contains(&format!("{count} tests selected")),
            "{suite}: {stdout}"
        );
    }
}
