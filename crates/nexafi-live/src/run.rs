//! Runs the selected tests of a suite: bounded concurrency, a timeout per attempt,
//! retries with a pause, and a callback per finished test for progress lines.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::checks::{Attempt, Failure, FailureKind};
use crate::suite::{Check, Kind, Suite, Test};

/// The result of a test after its last attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    /// The target responded, and not as expected.
    Failed,
    /// No response to judge: the target was unreachable, timed out or unreadable.
    Error,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Failed => "failed",
            Outcome::Error => "error",
        }
    }
}

/// The result of one test.
#[derive(Clone, Debug)]
pub struct TestResult {
    pub name: String,
    pub kind: Kind,
    pub target: String,
    /// Line of the test in the suite file.
    pub line: u64,
    pub outcome: Outcome,
    /// The observation on success, or expected versus found on failure.
    pub message: String,
    pub attempts: u32,
    /// All attempts and the pauses between them.
    pub duration: Duration,
}

/// The results of a run, in suite order.
#[derive(Clone, Debug)]
pub struct RunReport {
    pub suite: String,
    pub path: std::path::PathBuf,
    pub started_at: jiff::Timestamp,
    pub duration: Duration,
    pub results: Vec<TestResult>,
}

impl RunReport {
    pub fn count(&self, outcome: Outcome) -> usize {
        self.results
            .iter()
            .filter(|result| result.outcome == outcome)
            .count()
    }

    pub fn all_passed(&self) -> bool {
        self.results
            .iter()
            .all(|result| result.outcome == Outcome::Passed)
    }
}

/// The filters that pick the tests of a suite to run.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// Test names must match one of these globs; empty selects every name.
    pub only: Vec<String>,
    /// Tests must have one of these kinds; empty selects every kind.
    pub kinds: Vec<Kind>,
}

impl Selection {
    /// Returns the tests this selection keeps, in suite order.
    pub fn apply<'a>(&self, suite: &'a Suite) -> Result<Vec<&'a Test>, globset::Error> {
        let globs = self.globs()?;
        Ok(suite
            .tests
            .iter()
            .filter(|test| {
                globs
                    .as_ref()
                    .is_none_or(|globs| globs.is_match(&test.name))
            })
            .filter(|test| self.kinds.is_empty() || self.kinds.contains(&test.check.kind()))
            .collect())
    }

    fn globs(&self) -> Result<Option<GlobSet>, globset::Error> {
        if self.only.is_empty() {
            return Ok(None);
        }
        let mut builder = GlobSetBuilder::new();
        for pattern in &self.only {
            builder.add(Glob::new(pattern)?);
        }
        builder.build().map(Some)
    }
}

/// Runs `tests` at most `concurrency` at a time and calls `progress` as each finishes.
pub async fn run(
    suite: &Suite,
    tests: &[&Test],
    concurrency: usize,
    progress: &(dyn Fn(&TestResult) + Sync),
) -> RunReport {
    let started_at = jiff::Timestamp::now();
    let started = Instant::now();
    let mut indexed: Vec<(usize, TestResult)> =
        futures_util::stream::iter(tests.iter().enumerate())
            .map(|(index, test)| async move { (index, run_test(test).await) })
            .buffer_unordered(concurrency.max(1))
            .inspect(|(_, result)| progress(result))
            .collect()
            .await;
    indexed.sort_by_key(|(index, _)| *index);
    RunReport {
        suite: suite.name.clone(),
        path: suite.path.clone(),
        started_at,
        duration: started.elapsed(),
        results: indexed.into_iter().map(|(_, result)| result).collect(),
    }
}

/// Runs `tests` on a runtime of its own, for callers without one.
pub fn run_blocking(
    suite: &Suite,
    tests: &[&Test],
    concurrency: usize,
    progress: &(dyn Fn(&TestResult) + Sync),
) -> std::io::Result<RunReport> {
    // Tests wait on the network, not the CPU, so two threads serve any concurrency.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    Ok(runtime.block_on(run(suite, tests, concurrency, progress)))
}

async fn run_test(test: &Test) -> TestResult {
    let started = Instant::now();
    let mut attempts = 0;
    let verdict = loop {
        attempts += 1;
        let verdict = attempt(test).await;
        match &verdict {
            Ok(_) => break verdict,
            Err(failure) if attempts > test.retries => break Err(failure.clone()),
            Err(failure) => {
                tracing::info!(test = %test.name, attempt = attempts, reason = %failure.message, "retrying");
                tokio::time::sleep(test.retry_delay).await;
            }
        }
    };
    let (outcome, message) = match verdict {
        Ok(seen) => (Outcome::Passed, seen),
        Err(Failure {
            kind: FailureKind::Failed,
            message,
        }) => (Outcome::Failed, message),
        Err(Failure {
            kind: FailureKind::Error,
            message,
        }) => (Outcome::Error, message),
    };
    TestResult {
        name: test.name.clone(),
        kind: test.check.kind(),
        target: test.check.target(),
        line: test.line,
        outcome,
        message,
        attempts,
        duration: started.elapsed(),
    }
}

async fn attempt(test: &Test) -> Attempt {
    let work = async {
        match &test.check {
            Check::Http(check) => check.run().await,
            Check::Tcp(check) => check.run().await,
            Check::Tls(check) => check.run(test.timeout).await,
            Check::Dns(check) => check.run().await,
            Check::Postgres(check) => check.run().await,
            Check::Redis(check) => check.run().await,
            Check::Rabbitmq(check) => check.run().await,
            Check::Kubernetes(check) => check.run().await,
            Check::Prometheus(check) => check.run().await,
        }
    };
    match tokio::time::timeout(test.timeout, work).await {
        Ok(verdict) => verdict,
        Err(_) => Err(Failure::error(format!(
            "timed out after {} s",
            test.timeout.as_secs()
        ))),
    }
}
