//! Live security probes of TLS endpoints that the user names: protocol versions and
//! cipher suites offered, the certificate chain and its expiry, and HTTP security headers.
//!
//! This crate opens network connections, so only commands that take an explicit target
//! (`nexafi security --target`) link it; the scan libraries stay offline. Every probe
//! connects to the named host and port only.

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, StreamOwned};

pub mod certificate;
mod checks;
pub mod headers;
pub mod hello;
pub mod suites;

pub use certificate::{CertificateReport, KeyInfo};
pub use checks::{CHECKS, UNREACHABLE_ID, findings};
pub use headers::HttpHead;
pub use hello::{Answer, Version};

/// Errors that stop a probe before it runs. Problems found on a reachable server are
/// findings, not errors.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error(
        "invalid target {target:?}: {reason}; expected https://HOST[:PORT][/PATH] or HOST:PORT"
    )]
    InvalidTarget { target: String, reason: String },
    #[error("cannot read CA file {}: {message}", path.display())]
    CaFile { path: PathBuf, message: String },
    #[error("cannot set up TLS: {0}")]
    Setup(String),
}

/// An endpoint to probe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The target as the user wrote it, normalised to `https://host:port/path`.
    pub url: String,
    pub host: String,
    pub port: u16,
    pub path: String,
}

impl FromStr for Target {
    type Err = ProbeError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = |reason: &str| ProbeError::InvalidTarget {
            target: text.to_owned(),
            reason: reason.to_owned(),
        };
        let trimmed = text.trim();
        let rest = match trimmed.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("https") => rest,
            Some((scheme, _)) => {
                return Err(invalid(&format!(
                    "scheme {scheme:?} is not probed; only https endpoints have TLS to check"
                )));
            }
            None => trimmed,
        };
        let (authority, path) = match rest.find('/') {
            Some(at) => (&rest[..at], &rest[at..]),
            None => (rest, "/"),
        };
        if authority.contains('@') {
            return Err(invalid("user information in the URL is not supported"));
        }
        let (host, port) = split_host_port(authority).ok_or_else(|| invalid("bad port"))?;
        if host.is_empty() {
            return Err(invalid("missing host"));
        }
        let port = port.unwrap_or(443);
        let shown_host = if host.contains(':') {
            format!("[{host}]")
        } else {
            host.to_owned()
        };
        Ok(Target {
            url: format!("https://{shown_host}:{port}{path}"),
            host: host.to_owned(),
            port,
            path: path.to_owned(),
        })
    }
}

fn split_host_port(authority: &str) -> Option<(&str, Option<u16>)> {
    if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        return match after.strip_prefix(':') {
            Some(port) => Some((host, Some(port.parse().ok()?))),
            None if after.is_empty() => Some((host, None)),
            None => None,
        };
    }
    match authority.rsplit_once(':') {
        Some((host, port)) => Some((host, Some(port.parse().ok()?))),
        None => Some((authority, None)),
    }
}

impl fmt::Display for Target {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.url)
    }
}

/// Settings of a probe run.
#[derive(Clone, Debug)]
pub struct ProbeOptions {
    /// Limit for each connect, read and write.
    pub timeout: Duration,
    /// PEM files of extra trusted CAs, for private PKIs.
    pub ca_files: Vec<PathBuf>,
    /// A certificate that expires within this many days is reported.
    pub expiry_warning_days: u32,
}

impl Default for ProbeOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(5),
            ca_files: Vec::new(),
            expiry_warning_days: 30,
        }
    }
}

/// Everything learned about one endpoint.
#[derive(Clone, Debug)]
pub struct ProbeReport {
    pub target: Target,
    /// The address the probe connected to.
    pub address: Option<SocketAddr>,
    /// None when the endpoint could not be reached at all.
    pub unreachable: Option<String>,
    /// Suites accepted per protocol version; a version absent here was refused.
    pub suites: BTreeMap<Version, Vec<u16>>,
    /// Errors met while asking about one version, which leave that version undecided.
    pub version_errors: BTreeMap<Version, String>,
    pub certificate: Result<CertificateReport, String>,
    pub http: Result<HttpHead, String>,
    /// Seconds since the Unix epoch when the probe ran.
    pub probed_at: i64,
    pub expiry_warning_days: u32,
}

impl ProbeReport {
    pub fn supports(&self, version: Version) -> bool {
        self.suites.contains_key(&version)
    }
}

/// Probes one endpoint. Opens one connection per question (a few dozen in all), each to
/// the target's host and port only.
pub fn probe(target: &Target, options: &ProbeOptions) -> Result<ProbeReport, ProbeError> {
    // rustls marks ring's provider deprecated because it lacks post-quantum key exchange.
    // The probe sends no secret over its connections, so that does not matter here, and
    // ring builds without the C toolchain that aws-lc-rs needs.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots = certificate::root_store(&options.ca_files)?;
    let verifier = certificate::verifier(roots, &provider)?;

    let mut report = ProbeReport {
        target: target.clone(),
        address: None,
        unreachable: None,
        suites: BTreeMap::new(),
        version_errors: BTreeMap::new(),
        certificate: Err("the certificate was not fetched".to_owned()),
        http: Err("the HTTP headers were not fetched".to_owned()),
        probed_at: certificate::now(),
        expiry_warning_days: options.expiry_warning_days,
    };

    let address = match resolve(target) {
        Ok(address) => address,
        Err(error) => {
            report.unreachable = Some(format!("cannot resolve {}: {error}", target.host));
            return Ok(report);
        }
    };
    report.address = Some(address);
    if let Err(error) = TcpStream::connect_timeout(&address, options.timeout) {
        report.unreachable = Some(format!("cannot connect to {address}: {error}"));
        return Ok(report);
    }

    let connector = Connector {
        address,
        timeout: options.timeout,
        server_name: sni_name(&target.host),
    };
    for version in Version::ALL {
        match enumerate(&connector, version) {
            Ok(accepted) if accepted.is_empty() => {}
            Ok(accepted) => {
                report.suites.insert(version, accepted);
            }
            Err(error) => {
                tracing::debug!(target = %target, version = version.as_str(), %error, "version probe failed");
                report.version_errors.insert(version, error.to_string());
            }
        }
    }

    let recorder = Arc::new(certificate::Recorder::new(verifier.clone()));
    match handshake(&connector, target, &provider, recorder.clone()) {
        Ok(mut stream) => {
            report.certificate = certificate::inspect(&recorder.chain(), &target.host, &verifier);
            report.http = headers::fetch(&mut stream, &target.host, &target.path)
                .map_err(|error| format!("cannot read the HTTP response: {error}"));
        }
        Err(error) => {
            let reason = format!("TLS 1.2/1.3 handshake failed: {error}");
            report.certificate = legacy_certificate(&connector, &report, &target.host, &verifier)
                .unwrap_or(Err(reason.clone()));
            report.http = Err(reason);
        }
    }
    Ok(report)
}

fn resolve(target: &Target) -> io::Result<SocketAddr> {
    (target.host.as_str(), target.port)
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no address found"))
}

/// Host names go into SNI; IP addresses do not (RFC 6066 section 3).
fn sni_name(host: &str) -> Option<String> {
    if host.parse::<std::net::IpAddr>().is_ok() {
        None
    } else {
        Some(host.to_owned())
    }
}

struct Connector {
    address: SocketAddr,
    timeout: Duration,
    server_name: Option<String>,
}

impl Connector {
    fn connect(&self) -> io::Result<TcpStream> {
        let stream = TcpStream::connect_timeout(&self.address, self.timeout)?;
        stream.set_read_timeout(Some(self.timeout))?;
        stream.set_write_timeout(Some(self.timeout))?;
        stream.set_nodelay(true)?;
        Ok(stream)
    }

    fn ask(&self, version: Version, offered: &[u16]) -> io::Result<Answer> {
        let mut stream = self.connect()?;
        let hello = hello::client_hello(version, offered, self.server_name.as_deref(), nonce());
        hello::exchange(&mut stream, &hello)
    }
}

/// Lists every suite the server accepts with `version`: offer all, remove the one it
/// picks, and ask again until it refuses.
fn enumerate(connector: &Connector, version: Version) -> io::Result<Vec<u16>> {
    let table = if version == Version::Tls13 {
        suites::TLS13
    } else {
        suites::LEGACY
    };
    let mut remaining: Vec<u16> = table.iter().map(|suite| suite.id).collect();
    let mut accepted = Vec::new();
    while !remaining.is_empty() {
        match connector.ask(version, &remaining)? {
            Answer::Accepted {
                version: chosen,
                suite,
            } if chosen == version && remaining.contains(&suite) => {
                accepted.push(suite);
                remaining.retain(|offered| *offered != suite);
            }
            // A lower version or a suite we did not offer means this version is refused.
            _ => break,
        }
    }
    Ok(accepted)
}

fn handshake(
    connector: &Connector,
    target: &Target,
    provider: &Arc<CryptoProvider>,
    recorder: Arc<certificate::Recorder>,
) -> Result<StreamOwned<ClientConnection, TcpStream>, String> {
    let config = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|error| error.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(recorder)
        .with_no_client_auth();
    let name = ServerName::try_from(target.host.clone())
        .map_err(|error| format!("invalid host name {:?}: {error}", target.host))?;
    let connection =
        ClientConnection::new(Arc::new(config), name).map_err(|error| error.to_string())?;
    let socket = connector.connect().map_err(|error| error.to_string())?;
    let mut stream = StreamOwned::new(connection, socket);
    while stream.conn.is_handshaking() {
        stream
            .conn
            .complete_io(&mut stream.sock)
            .map_err(|error| error.to_string())?;
    }
    Ok(stream)
}

/// Reads the chain from the plaintext handshake of the newest outdated version the
/// server accepts, for servers that speak nothing rustls accepts.
fn legacy_certificate(
    connector: &Connector,
    report: &ProbeReport,
    host: &str,
    verifier: &rustls::client::WebPkiServerVerifier,
) -> Option<Result<CertificateReport, String>> {
    let (version, suites) = report
        .suites
        .iter()
        .rfind(|(version, _)| **version < Version::Tls13)?;
    let mut stream = connector.connect().ok()?;
    let hello = hello::client_hello(*version, suites, connector.server_name.as_deref(), nonce());
    let (_, chain) = hello::exchange_for_chain(&mut stream, &hello).ok()?;
    Some(certificate::inspect(&chain?, host, verifier))
}

/// Bytes for the client random. They need no secrecy (no handshake is completed), only
/// variety between connections, so the clock and a counter suffice.
fn nonce() -> [u8; 32] {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos() as u64);
    let mut out = [0u8; 32];
    for (index, chunk) in out.chunks_mut(8).enumerate() {
        let mixed = (nanos ^ count.rotate_left(17))
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .wrapping_add(index as u64);
        chunk.copy_from_slice(&mixed.to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(text: &str) -> Result<Target, String> {
        text.parse::<Target>().map_err(|error| error.to_string())
    }

    #[test]
    fn target_forms() {
        let full = target("https://api.example.test:8443/health").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(full.host, "api.example.test");
        assert_eq!(full.port, 8443);
        assert_eq!(full.path, "/health");
        let bare = target("127.0.0.1:9443").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(bare.url, "https://127.0.0.1:9443/");
        let default_port = target("https://example.test").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(default_port.port, 443);
        let ipv6 = target("https://[::1]:8443").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ipv6.host, "::1");
        assert_eq!(ipv6.url, "https://[::1]:8443/");
    }

    #[test]
    fn target_rejects_bad_input() {
        let plain = target("http://example.test").err().unwrap_or_default();
        assert!(plain.contains("only https"), "{plain}");
        assert!(target("https://:443").is_err());
        assert!(target("https://example.test:http").is_err());
        assert!(target("https://user@example.test").is_err());
    }

    #[test]
    fn ip_hosts_get_no_sni() {
        assert_eq!(sni_name("127.0.0.1"), None);
        assert_eq!(sni_name("::1"), None);
        assert_eq!(
            sni_name("api.example.test").as_deref(),
            Some("api.example.test")
        );
    }

    #[test]
    fn nonces_differ() {
        assert_ne!(nonce(), nonce());
    }
}
