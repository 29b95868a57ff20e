//! One module per test kind: its fields (`load`) and its assertion (`run`).

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

pub mod dns;
pub mod http;
pub mod kubernetes;
pub mod postgres;
pub mod prometheus;
pub mod rabbitmq;
pub mod redis;
pub mod tcp;
pub mod tls;

/// The reason an attempt did not pass.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub kind: FailureKind,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureKind {
    /// The target responded, and the response is not the expected one.
    Failed,
    /// No response to judge: unreachable, timed out, unreadable response or credential.
    Error,
}

impl Failure {
    pub fn failed(message: impl Into<String>) -> Self {
        Self {
            kind: FailureKind::Failed,
            message: message.into(),
        }
    }

    pub fn error(message: impl Into<String>) -> Self {
        Self {
            kind: FailureKind::Error,
            message: message.into(),
        }
    }
}

/// The result of one attempt: on success, a short description of what was seen.
pub type Attempt = Result<String, Failure>;

/// The source of a credential. The suite never contains the value itself.
#[derive(Clone, PartialEq, Eq)]
pub enum Secret {
    /// An environment variable, read when the suite is loaded. `value` is None when it
    /// was unset, so the test that needs it fails, not the whole suite.
    Env { name: String, value: Option<String> },
    /// A file, read when the test runs.
    File(PathBuf),
}

/// Shows where the secret comes from, never its value.
impl std::fmt::Debug for Secret {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Secret::Env { name, .. } => write!(formatter, "Secret::Env({name})"),
            Secret::File(path) => write!(formatter, "Secret::File({})", path.display()),
        }
    }
}

impl Secret {
    /// Returns the credential without trailing line breaks.
    pub fn read(&self) -> Result<String, Failure> {
        match self {
            Secret::Env { name, value } => value.clone().ok_or_else(|| {
                Failure::error(format!(
                    "environment variable {name} is not set; export the credential in it"
                ))
            }),
            Secret::File(path) => std::fs::read_to_string(path)
                .map(|text| text.trim_end_matches(['\r', '\n']).to_owned())
                .map_err(|error| {
                    Failure::error(format!(
                        "cannot read credential file {}: {error}",
                        path.display()
                    ))
                }),
        }
    }
}

/// Returns the ring crypto provider, the one `nexafi security` uses, because it builds
/// without a C toolchain.
pub(crate) fn provider() -> Arc<CryptoProvider> {
    // rustls marks ring's provider deprecated because it lacks post-quantum key exchange;
    // that is no reason to fail a live check.
    #[allow(deprecated)]
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Installs ring as the process default, for clients that build their own rustls
/// configuration (redis, lapin).
pub(crate) fn install_default_provider() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        // An error means a provider is already installed, which serves as well.
        #[allow(deprecated)]
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// Trusted roots: the Mozilla set, the operating system's store, and `ca_file`.
pub(crate) fn roots(ca_file: Option<&Path>) -> Result<RootCertStore, Failure> {
    let files: Vec<&Path> = ca_file.into_iter().collect();
    let mut roots = nexafi_probe::certificate::root_store(&files)
        .map_err(|error| Failure::error(error.to_string()))?;
    for certificate in system_roots() {
        // A system certificate that rustls cannot use is skipped, as TLS clients do.
        let _ = roots.add(certificate.clone());
    }
    Ok(roots)
}

fn system_roots() -> &'static [CertificateDer<'static>] {
    static ROOTS: OnceLock<Vec<CertificateDer<'static>>> = OnceLock::new();
    ROOTS.get_or_init(|| {
        let loaded = rustls_native_certs::load_native_certs();
        for error in &loaded.errors {
            tracing::debug!(%error, "skipped part of the system certificate store");
        }
        loaded.certs
    })
}

/// Builds a TLS client configuration. With `verify` false the chain and name are not
/// checked but the connection is still encrypted, as with PostgreSQL's `sslmode=require`.
pub(crate) fn client_config(ca_file: Option<&Path>, verify: bool) -> Result<ClientConfig, Failure> {
    let provider = provider();
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|error| Failure::error(format!("cannot set up TLS: {error}")))?;
    let config = if verify {
        builder
            .with_root_certificates(roots(ca_file)?)
            .with_no_client_auth()
    } else {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate { provider }))
            .with_no_client_auth()
    };
    Ok(config)
}

/// Accepts every certificate but still checks handshake signatures, for `tls_verify:
/// false` and PostgreSQL's `require_tls` without `ca_file`.
#[derive(Debug)]
struct AcceptAnyCertificate {
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// Splits `host:port` (`[v6]:port` for IPv6) as written in a suite.
pub(crate) fn split_address(address: &str) -> Option<(String, u16)> {
    let (host, port) = if let Some(rest) = address.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        (host, after.strip_prefix(':')?)
    } else {
        address.rsplit_once(':')?
    };
    if host.is_empty() {
        return None;
    }
    Some((host.to_owned(), port.parse().ok()?))
}

/// Returns the first `limit` characters of `text`, marked when cut, for messages that
/// quote a response.
pub(crate) fn excerpt(text: &str, limit: usize) -> String {
    let mut chars = text.chars();
    let head: String = chars.by_ref().take(limit).collect();
    if chars.next().is_some() {
        format!("{head}…")
    } else {
        head
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_split() {
        assert_eq!(split_address("db:5432"), Some(("db".to_owned(), 5432)));
        assert_eq!(split_address("[::1]:443"), Some(("::1".to_owned(), 443)));
        assert_eq!(split_address("db"), None);
        assert_eq!(split_address(":80"), None);
        assert_eq!(split_address("db:http"), None);
    }

    #[test]
    fn excerpt_marks_cuts() {
        assert_eq!(excerpt("abc", 5), "abc");
        assert_eq!(excerpt("abcdef", 3), "abc…");
    }
}
