//! `tls`: a TLS endpoint's protocol floor, certificate chain, name and expiry. The
//! handshake and certificate inspection are those of `nexafi security` (nexafi-probe).

use std::io;
use std::net::{SocketAddr, TcpStream as StdTcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use nexafi_probe::Version;
use nexafi_probe::certificate::{self, Recorder};
use nexafi_probe::hello::{self, Answer};
use rustls::ClientConfig;
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use super::{Attempt, Failure, provider, roots, split_address};
use crate::load::{Fields, LoadError};

const SECONDS_PER_DAY: i64 = 86_400;

#[derive(Clone, Debug)]
pub struct TlsCheck {
    /// `host:port`.
    pub address: String,
    /// Name the certificate must be valid for; default the host of `address`.
    pub server_name: String,
    /// Oldest protocol version the endpoint may accept; older ones must be refused.
    pub min_version: Option<Version>,
    /// The certificate must stay valid at least this many more days.
    pub min_days_valid: Option<i64>,
    pub ca_file: Option<PathBuf>,
}

impl TlsCheck {
    pub(crate) fn load(fields: &mut Fields<'_>) -> Result<Self, LoadError> {
        let (address, at) =
            fields.required(|raw| &mut raw.address, "address", "api.example.test:443")?;
        let Some((host, _)) = split_address(&address) else {
            return Err(fields.error(
                &at,
                format!("invalid address {address:?}; expected HOST:PORT, for example api.example.test:443"),
            ));
        };
        let server_name = fields
            .string(|raw| &mut raw.server_name)?
            .map_or(host, |(name, _)| name);
        let min_version = match fields.string(|raw| &mut raw.min_version)? {
            Some((text, at)) => Some(parse_version(&text).ok_or_else(|| {
                fields.error(
                    &at,
                    format!("invalid `min_version` {text:?}; expected 1.0, 1.1, 1.2 or 1.3"),
                )
            })?),
            None => None,
        };
        let min_days_valid = fields.raw.min_days_valid.take().map(|days| days.value);
        let ca_file = fields.path(|raw| &mut raw.ca_file)?;
        Ok(Self {
            address,
            server_name,
            min_version,
            min_days_valid,
            ca_file,
        })
    }

    pub async fn run(&self, timeout: Duration) -> Attempt {
        let provider = provider();
        let roots = roots(self.ca_file.as_deref())?;
        let verifier = certificate::verifier(roots, &provider)
            .map_err(|error| Failure::error(error.to_string()))?;
        let recorder = Arc::new(Recorder::new(verifier.clone()));
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|error| Failure::error(format!("cannot set up TLS: {error}")))?
            .dangerous()
            .with_custom_certificate_verifier(recorder.clone())
            .with_no_client_auth();
        let name = ServerName::try_from(self.server_name.clone()).map_err(|error| {
            Failure::error(format!(
                "invalid server name {:?}: {error}",
                self.server_name
            ))
        })?;

        let socket = TcpStream::connect(&self.address).await.map_err(|error| {
            Failure::error(format!("cannot connect to {}: {error}", self.address))
        })?;
        let peer = socket.peer_addr().map_err(|error| {
            Failure::error(format!("cannot connect to {}: {error}", self.address))
        })?;
        let stream = TlsConnector::from(Arc::new(config))
            .connect(name, socket)
            .await
            .map_err(|error| {
                Failure::failed(format!(
                    "expected a TLS 1.2 or 1.3 handshake, found it failing: {error}"
                ))
            })?;
        let negotiated = stream
            .get_ref()
            .1
            .protocol_version()
            .and_then(|version| Version::from_wire(u16::from(version)));
        drop(stream);

        let report = certificate::inspect(&recorder.chain(), &self.server_name, &verifier)
            .map_err(Failure::failed)?;
        if let Some(reason) = &report.verify_error {
            return Err(Failure::failed(format!(
                "expected a certificate chain valid for {}, found: {reason}",
                self.server_name
            )));
        }
        let days_left = (report.not_after - certificate::now()).div_euclid(SECONDS_PER_DAY);
        if let Some(minimum) = self.min_days_valid
            && days_left < minimum
        {
            return Err(Failure::failed(format!(
                "expected the certificate to be valid for at least {minimum} more days, found {days_left}"
            )));
        }

        if let Some(minimum) = self.min_version {
            let server_name = self.server_name.clone();
            let refused = tokio::task::spawn_blocking(move || {
                older_versions_accepted(peer, minimum, &server_name, timeout)
            })
            .await
            .map_err(|error| {
                Failure::error(format!("the protocol version check stopped: {error}"))
            })?
            .map_err(|error| {
                Failure::error(format!(
                    "cannot ask {peer} about old protocol versions: {error}"
                ))
            })?;
            if let Some(accepted) = refused.first() {
                return Err(Failure::failed(format!(
                    "expected {} or newer only, found {} accepted",
                    minimum.as_str(),
                    accepted.as_str()
                )));
            }
        }

        let shown = negotiated.map_or("TLS", Version::as_str);
        Ok(format!(
            "{shown}, certificate valid for {days_left} more days"
        ))
    }
}

/// Versions older than `minimum` that the server accepts, each asked with a ClientHello
/// offering every suite of that version.
fn older_versions_accepted(
    address: SocketAddr,
    minimum: Version,
    server_name: &str,
    timeout: Duration,
) -> io::Result<Vec<Version>> {
    let sni = server_name
        .parse::<std::net::IpAddr>()
        .is_err()
        .then_some(server_name);
    let suites: Vec<u16> = nexafi_probe::suites::LEGACY
        .iter()
        .map(|suite| suite.id)
        .collect();
    let mut accepted = Vec::new();
    for version in Version::ALL
        .into_iter()
        .filter(|version| *version < minimum)
    {
        let mut stream = StdTcpStream::connect_timeout(&address, timeout)?;
        stream.set_read_timeout(Some(timeout))?;
        stream.set_write_timeout(Some(timeout))?;
        let request = hello::client_hello(version, &suites, sni, random());
        if let Answer::Accepted {
            version: chosen, ..
        } = hello::exchange(&mut stream, &request)?
            && chosen == version
        {
            accepted.push(version);
        }
    }
    Ok(accepted)
}

/// Client random bytes. The handshake is never completed, so they need variety, not
/// secrecy.
fn random() -> [u8; 32] {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos());
    let mut out = [0u8; 32];
    for (index, chunk) in out.chunks_mut(16).enumerate() {
        chunk.copy_from_slice(
            &(nanos
                .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                .wrapping_add(index as u128))
            .to_be_bytes(),
        );
    }
    out
}

fn parse_version(text: &str) -> Option<Version> {
    let number = text
        .trim()
        .trim_start_matches("TLSv")
        .trim_start_matches("TLS")
        .trim();
    match number {
        "1.0" | "1" => Some(Version::Tls10),
        "1.1" => Some(Version::Tls11),
        "1.2" => Some(Version::Tls12),
        "1.3" => Some(Version::Tls13),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_forms() {
        assert_eq!(parse_version("1.2"), Some(Version::Tls12));
        assert_eq!(parse_version("TLSv1.3"), Some(Version::Tls13));
        assert_eq!(parse_version("TLS 1.0"), Some(Version::Tls10));
        assert_eq!(parse_version("SSLv3"), None);
    }
}
