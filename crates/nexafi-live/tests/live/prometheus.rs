//! `prometheus` against a real Prometheus server (Debian package `prometheus`) started on
//! a free loopback port with a configuration that scrapes itself every second.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nexafi_live::Outcome;

use crate::{closed_port, expect, run_one};

const BINARY: &str = "/usr/bin/prometheus";

/// A Prometheus process, stopped when dropped.
struct Server {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts Prometheus and waits until its own `up` series has a sample.
async fn start() -> Server {
    assert!(
        std::path::Path::new(BINARY).exists(),
        "{BINARY} is missing; install it with `apt-get install -y prometheus`"
    );
    let dir = tempfile::tempdir().unwrap();
    let port = closed_port();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: prometheus\n    static_configs:\n      - targets: ['127.0.0.1:{port}']\n"
        ),
    )
    .unwrap();
    let child = Command::new(BINARY)
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.path().join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = Server {
        child,
        port,
        _dir: dir,
    };

    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let result = run_one(&format!(
            "kind: prometheus\nurl: http://127.0.0.1:{port}\nquery: up\nexpect: non-empty"
        ))
        .await;
        if result.outcome == Outcome::Passed {
            return server;
        }
        assert!(
            Instant::now() < deadline,
            "Prometheus did not scrape itself within 60 s: {}",
            result.message
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test]
async fn queries_against_real_server() {
    let server = start().await;
    let url = format!("http://127.0.0.1:{}", server.port);
    let cases = [
        // Without `expect` the result must be non-empty.
        ("up", Outcome::Passed, "1 series"),
        ("up\nexpect: == 1", Outcome::Passed, "1 series, all == 1"),
        ("up\nexpect: \">= 1\"", Outcome::Passed, "all >= 1"),
        (
            "up\nexpect: \"> 5\"",
            Outcome::Failed,
            "expected every value > 5, found {\"__name__\":\"up\"",
        ),
        (
            "'ALERTS{alertstate=\"firing\",severity=\"critical\"}'\nexpect: empty",
            Outcome::Passed,
            "empty result",
        ),
        (
            "up\nexpect: empty",
            Outcome::Failed,
            "expected an empty result, found 1 series",
        ),
        (
            "nexafi_no_such_metric",
            Outcome::Failed,
            "expected a non-empty result, found an empty one",
        ),
        (
            "nexafi_no_such_metric\nexpect: < 1",
            Outcome::Failed,
            "found an empty result",
        ),
        ("scalar(up) * 2\nexpect: == 2", Outcome::Passed, "1 series"),
        (
            "vector(0) / 0\nexpect: \"> 0\"",
            Outcome::Error,
            "cannot compare NaN",
        ),
        ("up[5m]", Outcome::Error, "found result type \"matrix\""),
        ("'up{'", Outcome::Error, "the query failed"),
    ];
    for (query, outcome, needle) in cases {
        let result = run_one(&format!("kind: prometheus\nurl: {url}\nquery: {query}")).await;
        assert_eq!(result.outcome, outcome, "{query}: {}", result.message);
        assert!(
            result.message.contains(needle),
            "{query}: {:?} lacks {needle:?}",
            result.message
        );
    }
}

#[tokio::test]
async fn unreachable_is_error() {
    let result = run_one(&format!(
        "kind: prometheus\nurl: http://127.0.0.1:{}\nquery: up",
        closed_port()
    ))
    .await;
    expect(&result, Outcome::Error, "request to");
}
