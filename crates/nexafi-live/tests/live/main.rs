//! Live checks against real services on this machine: PostgreSQL (127.0.0.1:5432, trust
//! auth, database `test`), Redis (127.0.0.1:6379), RabbitMQ (127.0.0.1:5672, guest/guest)
//! and a Prometheus server started from /usr/bin/prometheus. HTTP, TLS and Kubernetes API
//! servers are stand-ins that the tests start on 127.0.0.1. A missing service fails its
//! tests.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod dns_tcp;
mod http;
mod kubernetes;
mod loader;
mod postgres;
mod prometheus;
mod rabbitmq;
mod redis;
mod server;
mod tls;

use std::collections::HashMap;

use nexafi_live::{Outcome, Suite, TestResult};

/// Loads `yaml` as a suite file in a new temporary directory, with `environment` as the
/// only environment.
pub fn load(yaml: &str, environment: &[(&str, &str)]) -> Result<Suite, nexafi_live::LoadError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("suite.yaml");
    std::fs::write(&path, yaml).unwrap();
    let environment: HashMap<String, String> = environment
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect();
    // The directory must outlive the suite only while loading: relative paths are kept
    // as absolute ones.
    nexafi_live::load_with(&path, &environment)
}

/// Loads a suite of one test, written as the YAML mapping lines of that test, and runs
/// it with a 5-second timeout and no retries.
pub async fn run_one(test: &str) -> TestResult {
    run_one_with(test, &[]).await
}

pub async fn run_one_with(test: &str, environment: &[(&str, &str)]) -> TestResult {
    let indented: String = test
        .trim()
        .lines()
        .map(|line| format!("    {line}\n"))
        .collect();
    let yaml =
        format!("name: one\ndefaults:\n  timeout_secs: 5\ntests:\n  - name: the test\n{indented}");
    let suite = load(&yaml, environment).unwrap_or_else(|error| panic!("{error}\n{yaml}"));
    let tests: Vec<_> = suite.tests.iter().collect();
    let report = nexafi_live::run(&suite, &tests, 1, &|_| {}).await;
    report.results.into_iter().next().unwrap()
}

/// Asserts the outcome and that the message contains `needle`.
#[track_caller]
pub fn expect(result: &TestResult, outcome: Outcome, needle: &str) {
    assert_eq!(result.outcome, outcome, "{}", result.message);
    assert!(
        result.message.contains(needle),
        "message {:?} lacks {needle:?}",
        result.message
    );
}

/// Returns a loopback port nothing listens on: bound, then released.
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}
