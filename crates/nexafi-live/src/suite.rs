//! The suite model: what a suite file declares once it is loaded and checked.

use std::path::PathBuf;
use std::time::Duration;

use crate::checks::{
    dns::DnsCheck, http::HttpCheck, kubernetes::KubernetesCheck, postgres::PostgresCheck,
    prometheus::PrometheusCheck, rabbitmq::RabbitmqCheck, redis::RedisCheck, tcp::TcpCheck,
    tls::TlsCheck,
};

/// Tests run at the same time when the suite sets no `defaults.concurrency`.
pub const DEFAULT_CONCURRENCY: usize = 8;
/// Seconds one attempt of a test may take when neither the test nor the defaults set it.
pub const DEFAULT_TIMEOUT_SECS: u64 = 10;

/// A loaded suite: its tests with every variable substituted and every default applied.
#[derive(Clone, Debug)]
pub struct Suite {
    pub name: String,
    /// The file the suite was loaded from.
    pub path: PathBuf,
    /// Maximum number of tests that run at the same time.
    pub concurrency: usize,
    pub tests: Vec<Test>,
}

/// One declared test.
#[derive(Clone, Debug)]
pub struct Test {
    pub name: String,
    /// Line of the test's entry in the suite file, for messages.
    pub line: u64,
    /// Limit of one attempt.
    pub timeout: Duration,
    /// Extra attempts after a failed one.
    pub retries: u32,
    /// Pause between attempts.
    pub retry_delay: Duration,
    pub check: Check,
}

/// The assertion of a test, one variant per `kind`.
#[derive(Clone, Debug)]
pub enum Check {
    Http(Box<HttpCheck>),
    Tcp(TcpCheck),
    Tls(TlsCheck),
    Dns(DnsCheck),
    Postgres(PostgresCheck),
    Redis(RedisCheck),
    Rabbitmq(RabbitmqCheck),
    Kubernetes(KubernetesCheck),
    Prometheus(PrometheusCheck),
}

/// The `kind` of a test.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Http,
    Tcp,
    Tls,
    Dns,
    Postgres,
    Redis,
    Rabbitmq,
    Kubernetes,
    Prometheus,
}

impl Kind {
    pub const ALL: [Kind; 9] = [
        Kind::Http,
        Kind::Tcp,
        Kind::Tls,
        Kind::Dns,
        Kind::Postgres,
        Kind::Redis,
        Kind::Rabbitmq,
        Kind::Kubernetes,
        Kind::Prometheus,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Http => "http",
            Kind::Tcp => "tcp",
            Kind::Tls => "tls",
            Kind::Dns => "dns",
            Kind::Postgres => "postgres",
            Kind::Redis => "redis",
            Kind::Rabbitmq => "rabbitmq",
            Kind::Kubernetes => "kubernetes",
            Kind::Prometheus => "prometheus",
        }
    }

    pub fn parse(text: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|kind| kind.as_str() == text)
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl Check {
    pub fn kind(&self) -> Kind {
        match self {
            Check::Http(_) => Kind::Http,
            Check::Tcp(_) => Kind::Tcp,
            Check::Tls(_) => Kind::Tls,
            Check::Dns(_) => Kind::Dns,
            Check::Postgres(_) => Kind::Postgres,
            Check::Redis(_) => Kind::Redis,
            Check::Rabbitmq(_) => Kind::Rabbitmq,
            Check::Kubernetes(_) => Kind::Kubernetes,
            Check::Prometheus(_) => Kind::Prometheus,
        }
    }

    /// Returns the host, address or URL the check contacts, as shown by `--list` and in reports.
    /// Passwords never appear here because the loader rejects them in URLs.
    pub fn target(&self) -> String {
        match self {
            Check::Http(check) => format!("{} {}", check.method, check.url),
            Check::Tcp(check) => check.address.clone(),
            Check::Tls(check) => check.address.clone(),
            Check::Dns(check) => check.name.clone(),
            Check::Postgres(check) => check.target(),
            Check::Redis(check) => check.url.clone(),
            Check::Rabbitmq(check) => check.url.clone(),
            Check::Kubernetes(check) => {
                format!("{} namespace {}", check.api_server, check.namespace)
            }
            Check::Prometheus(check) => format!("{} {}", check.url, check.query),
        }
    }
}
