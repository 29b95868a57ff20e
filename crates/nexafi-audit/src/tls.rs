//! TLS client settings shared by the PostgreSQL store and the HTTPS client: trust
//! anchors (Mozilla's roots from webpki-roots, or CA files), the ring provider, and the
//! certificate verifiers libpq's `sslmode` values need.

use std::path::Path;
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};

/// Returns the crypto provider of every TLS connection this crate makes.
pub fn provider() -> Arc<CryptoProvider> {
    // NOTE: rustls 0.23.48 deprecates the ring provider because it lacks post-quantum key
    // exchange; aws-lc-rs has it but needs a C toolchain and CMake to build.
    #[allow(deprecated)]
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Mozilla's root certificates, as shipped in the webpki-roots crate.
pub fn mozilla_roots() -> RootCertStore {
    RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    }
}

/// Reads every PEM certificate of a CA file into `roots`. Returns an error naming the
/// file when it cannot be read, contains a malformed certificate, or contains none.
pub fn add_ca_file(roots: &mut RootCertStore, path: &Path) -> Result<(), String> {
    let file = path.display();
    let certificates = CertificateDer::pem_file_iter(path)
        .map_err(|error| format!("cannot read CA file {file}: {error}"))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| format!("CA file {file} is not valid PEM: {error}"))?;
    if certificates.is_empty() {
        return Err(format!(
            "CA file {file} contains no PEM certificate (expected -----BEGIN CERTIFICATE-----)"
        ));
    }
    for certificate in certificates {
        roots
            .add(certificate)
            .map_err(|error| format!("CA file {file} contains an invalid certificate: {error}"))?;
    }
    Ok(())
}

/// Check applied to the server's certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verification {
    /// Chain to a trusted root and the host name (libpq `verify-full`, HTTPS).
    Full,
    /// Chain to a trusted root only (libpq `verify-ca`).
    ChainOnly,
    /// Encryption without authentication (libpq `require` and `prefer` without a root
    /// certificate). Handshake signatures are still checked.
    None,
}

/// Builds a client configuration with TLS 1.2 and 1.3 on the ring provider.
pub fn client_config(
    roots: RootCertStore,
    verification: Verification,
) -> Result<ClientConfig, String> {
    let provider = provider();
    let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|error| format!("cannot set up TLS: {error}"))?;
    let config = match verification {
        Verification::Full => builder.with_root_certificates(roots).with_no_client_auth(),
        Verification::ChainOnly => {
            let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|error| format!("cannot set up TLS certificate checks: {error}"))?;
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(ChainOnlyVerifier { inner }))
                .with_no_client_auth()
        }
        Verification::None => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(EncryptOnlyVerifier { provider }))
            .with_no_client_auth(),
    };
    Ok(config)
}

/// Checks the chain like WebPKI but accepts a certificate issued for another host name.
#[derive(Debug)]
struct ChainOnlyVerifier {
    inner: Arc<WebPkiServerVerifier>,
}

impl ServerCertVerifier for ChainOnlyVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let checked = self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        // WebPkiServerVerifier (rustls 0.23) checks the name only after the chain has
        // verified, so a name error means the chain is good.
        match checked {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
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

/// Accepts any certificate but checks that the server has its private key.
#[derive(Debug)]
struct EncryptOnlyVerifier {
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for EncryptOnlyVerifier {
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
        verify_tls12_signature(
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
        verify_tls13_signature(
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

/// Finds the rustls error behind a connection error, for a hint about the fix.
pub fn rustls_cause<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(error) = current {
        if let Some(found) = error.downcast_ref::<rustls::Error>() {
            return Some(found);
        }
        // io::Error::source skips the error it wraps, so nested io::Errors (as the
        // TLS connectors produce) are unwrapped with get_ref instead.
        current = match error.downcast_ref::<std::io::Error>() {
            Some(io) => match io.get_ref() {
                Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
                None => None,
            },
            None => error.source(),
        };
    }
    None
}

/// Tells whether a TLS error means the peer's certificate is not trusted or not valid
/// for the host name, as (untrusted, wrong name).
pub fn certificate_problem(error: &rustls::Error) -> (bool, bool) {
    match error {
        rustls::Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        ) => (false, true),
        rustls::Error::InvalidCertificate(_) => (true, false),
        _ => (false, false),
    }
}
