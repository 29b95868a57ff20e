//! The server's certificate chain: fetched through a real TLS handshake (or, for servers
//! that speak only outdated versions, read from the plaintext Certificate message), then
//! verified against the Mozilla roots plus any CA files the user names.

use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey;

use crate::ProbeError;

/// Facts about the leaf certificate and its chain, as the probe found them.
#[derive(Clone, Debug, PartialEq)]
pub struct CertificateReport {
    pub subject: String,
    pub issuer: String,
    /// Seconds since the Unix epoch.
    pub not_before: i64,
    pub not_after: i64,
    /// Public key algorithm and size in bits, for example `RSA 2048` or `EC 256`.
    pub key: KeyInfo,
    /// Certificates the server sent, leaf first.
    pub chain_length: usize,
    /// None when the chain verifies for the host name, else the reason it does not.
    pub verify_error: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyInfo {
    Rsa(usize),
    Ec(usize),
    Other,
}

impl KeyInfo {
    /// True for keys below NIST SP 800-57's 112-bit security strength: RSA under 2048
    /// bits, or elliptic curves under 224 bits.
    pub fn is_weak(self) -> bool {
        match self {
            KeyInfo::Rsa(bits) => bits < 2048,
            KeyInfo::Ec(bits) => bits < 224,
            KeyInfo::Other => false,
        }
    }
}

impl fmt::Display for KeyInfo {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyInfo::Rsa(bits) => write!(formatter, "RSA {bits}-bit"),
            KeyInfo::Ec(bits) => write!(formatter, "EC {bits}-bit"),
            KeyInfo::Other => formatter.write_str("another key type"),
        }
    }
}

/// The roots a chain must lead to: the Mozilla set, plus CA files for private PKIs.
pub fn root_store(ca_files: &[impl AsRef<Path>]) -> Result<RootCertStore, ProbeError> {
    let mut roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    for file in ca_files {
        let file = file.as_ref();
        let certificates = CertificateDer::pem_file_iter(file)
            .and_then(|iter| iter.collect::<Result<Vec<_>, _>>())
            .map_err(|error| ProbeError::CaFile {
                path: file.to_path_buf(),
                message: error.to_string(),
            })?;
        if certificates.is_empty() {
            return Err(ProbeError::CaFile {
                path: file.to_path_buf(),
                message: "no PEM certificate found; expected -----BEGIN CERTIFICATE----- blocks"
                    .to_owned(),
            });
        }
        for certificate in certificates {
            roots.add(certificate).map_err(|error| ProbeError::CaFile {
                path: file.to_path_buf(),
                message: error.to_string(),
            })?;
        }
    }
    Ok(roots)
}

/// Verifies `chain` (leaf first) for `host` and describes the leaf.
pub fn inspect(
    chain: &[CertificateDer<'static>],
    host: &str,
    verifier: &WebPkiServerVerifier,
) -> Result<CertificateReport, String> {
    let leaf = chain
        .first()
        .ok_or_else(|| "the server sent no certificate".to_owned())?;
    let (_, parsed) = X509Certificate::from_der(leaf.as_ref())
        .map_err(|error| format!("the leaf certificate cannot be parsed: {error}"))?;
    let key = match parsed.public_key().parsed() {
        Ok(PublicKey::RSA(rsa)) => KeyInfo::Rsa(rsa.key_size()),
        Ok(PublicKey::EC(point)) => KeyInfo::Ec(point.key_size()),
        _ => KeyInfo::Other,
    };
    let name = ServerName::try_from(host.to_owned())
        .map_err(|error| format!("invalid host name {host:?}: {error}"))?;
    let verify_error = verifier
        .verify_server_cert(leaf, &chain[1..], &name, &[], UnixTime::now())
        .err()
        .map(|error| error.to_string());

    Ok(CertificateReport {
        subject: parsed.subject().to_string(),
        issuer: parsed.issuer().to_string(),
        not_before: parsed.validity().not_before.timestamp(),
        not_after: parsed.validity().not_after.timestamp(),
        key,
        chain_length: chain.len(),
        verify_error,
    })
}

/// Seconds since the Unix epoch, now.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as i64)
}

/// A verifier that accepts every chain but keeps it, so the handshake completes and the
/// probe can read the HTTP headers of a server whose certificate is broken. Handshake
/// signatures are still checked by the real verifier.
#[derive(Debug)]
pub struct Recorder {
    inner: Arc<WebPkiServerVerifier>,
    chain: Mutex<Vec<CertificateDer<'static>>>,
}

impl Recorder {
    pub fn new(inner: Arc<WebPkiServerVerifier>) -> Self {
        Self {
            inner,
            chain: Mutex::new(Vec::new()),
        }
    }

    pub fn chain(&self) -> Vec<CertificateDer<'static>> {
        self.chain
            .lock()
            .map(|chain| chain.clone())
            .unwrap_or_default()
    }
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Ok(mut chain) = self.chain.lock() {
            chain.clear();
            chain.push(end_entity.clone().into_owned());
            chain.extend(intermediates.iter().map(|c| c.clone().into_owned()));
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// Builds the chain verifier over `roots` with the ring provider.
pub fn verifier(
    roots: RootCertStore,
    provider: &Arc<CryptoProvider>,
) -> Result<Arc<WebPkiServerVerifier>, ProbeError> {
    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|error| ProbeError::Setup(error.to_string()))
}

/// Reads the certificate list of a TLS 1.2-or-older handshake from `messages`, the
/// concatenated handshake messages after the ServerHello. Returns None while incomplete.
pub fn legacy_chain(messages: &[u8]) -> Option<Vec<CertificateDer<'static>>> {
    let mut at = 0;
    while at + 4 <= messages.len() {
        let kind = messages[at];
        let length = u24(&messages[at + 1..at + 4]);
        let body = messages.get(at + 4..at + 4 + length)?;
        if kind == 11 {
            return parse_certificate_list(body);
        }
        at += 4 + length;
    }
    None
}

fn parse_certificate_list(body: &[u8]) -> Option<Vec<CertificateDer<'static>>> {
    let total = u24(body.get(..3)?);
    let mut list = body.get(3..3 + total)?;
    let mut chain = Vec::new();
    while list.len() >= 3 {
        let length = u24(&list[..3]);
        let der = list.get(3..3 + length)?;
        chain.push(CertificateDer::from(der.to_vec()));
        list = &list[3 + length..];
    }
    Some(chain)
}

fn u24(bytes: &[u8]) -> usize {
    (usize::from(bytes[0]) << 16) | (usize::from(bytes[1]) << 8) | usize::from(bytes[2])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_keys() {
        assert!(KeyInfo::Rsa(1024).is_weak());
        assert!(!KeyInfo::Rsa(2048).is_weak());
        assert!(!KeyInfo::Ec(256).is_weak());
        assert!(KeyInfo::Ec(192).is_weak());
    }

    #[test]
    fn certificate_list_is_split() {
        // Handshake type 11 with two entries of 2 and 1 bytes.
        let message = [11, 0, 0, 12, 0, 0, 9, 0, 0, 2, 0xAA, 0xBB, 0, 0, 1, 0xCC];
        let chain = legacy_chain(&message).unwrap_or_default();
        assert_eq!(chain.len(), 2);
        assert_eq!(chain[0].as_ref(), &[0xAA, 0xBB]);
        assert_eq!(chain[1].as_ref(), &[0xCC]);
    }

    #[test]
    fn truncated_list_is_incomplete() {
        let message = [11, 0, 0, 12, 0, 0, 9, 0, 0, 2, 0xAA];
        assert!(legacy_chain(&message).is_none());
    }

    #[test]
    fn other_messages_are_skipped() {
        let message = [12, 0, 0, 1, 0xFF, 11, 0, 0, 3, 0, 0, 0];
        assert_eq!(legacy_chain(&message).map(|chain| chain.len()), Some(0));
    }
}
