//! Declarative live checks of a deployed environment: a YAML suite of HTTP, TCP, TLS,
//! DNS, PostgreSQL, Redis, RabbitMQ, Kubernetes readiness and Prometheus tests, run with
//! timeouts and retries, reported as text, JSON or JUnit XML.
//!
//! Only the hosts a suite names are contacted: the HTTP client ignores proxy variables
//! and follows no redirects.

pub mod checks;
pub mod load;
pub mod report;
pub mod run;
pub mod suite;

pub use checks::{Failure, FailureKind, Secret};
pub use load::{LoadError, load, load_with, parse};
pub use report::{progress_line, render_human, render_json, render_junit, summary_line};
pub use run::{Outcome, RunReport, Selection, TestResult, run, run_blocking};
pub use suite::{Check, Kind, Suite, Test};
