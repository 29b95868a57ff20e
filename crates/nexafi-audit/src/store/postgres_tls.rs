//! libpq's `sslmode` and `sslrootcert` for the PostgreSQL store.
//!
//! tokio-postgres accepts only `disable`, `prefer` and `require` and rejects
//! `sslrootcert`, so both settings are taken out of the connection string here and
//! turned into a rustls configuration with libpq's meanings (PostgreSQL 16 docs,
//! "SSL Support" in the libpq chapter):
//!
//! | sslmode | encrypted | certificate checked |
//! |---|---|---|
//! | disable | no | - |
//! | prefer (default) | when the server offers TLS | chain only when `sslrootcert` names a file |
//! | require | yes | chain only when `sslrootcert` names a file |
//! | verify-ca | yes | chain |
//! | verify-full | yes | chain and host name |
//!
//! Trust anchors: the PEM file `sslrootcert` names, or Mozilla's roots when it is
//! `system` or unset under `verify-*`. libpq reads `~/.postgresql/root.crt` when the
//! setting is unset and the operating system's store for `system`. This store reads
//! neither, so production deployments name their CA bundle explicitly.

use std::path::PathBuf;

use tokio_postgres::config::SslMode as DriverSslMode;

use super::StoreError;
use crate::tls::{Verification, add_ca_file, client_config, mozilla_roots};

/// libpq's `sslmode` values that this store supports (`allow` is not).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    fn parse(text: &str) -> Result<SslMode, StoreError> {
        match text {
            "disable" => Ok(SslMode::Disable),
            "prefer" => Ok(SslMode::Prefer),
            "require" => Ok(SslMode::Require),
            "verify-ca" => Ok(SslMode::VerifyCa),
            "verify-full" => Ok(SslMode::VerifyFull),
            "allow" => Err(setting_error(
                "sslmode=allow is not supported: use prefer, require, verify-ca or verify-full",
            )),
            other => Err(setting_error(format!(
                "invalid sslmode `{other}`: use disable, prefer, require, verify-ca or verify-full"
            ))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

/// The `sslrootcert` setting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RootCert {
    Unset,
    /// `sslrootcert=system`: Mozilla's roots here.
    System,
    File(PathBuf),
}

/// The TLS settings of one connection string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsSettings {
    pub mode: SslMode,
    pub root_cert: RootCert,
}

impl TlsSettings {
    /// Returns the mode tokio-postgres uses to negotiate TLS.
    pub fn driver_mode(&self) -> DriverSslMode {
        match self.mode {
            SslMode::Disable => DriverSslMode::Disable,
            SslMode::Prefer => DriverSslMode::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => DriverSslMode::Require,
        }
    }

    /// Builds the rustls configuration these settings describe.
    pub fn client_config(&self) -> Result<rustls::ClientConfig, StoreError> {
        let verification = match (self.mode, &self.root_cert) {
            (SslMode::VerifyFull, _) => Verification::Full,
            (SslMode::VerifyCa, _) => Verification::ChainOnly,
            // libpq checks the chain whenever a root certificate file is given.
            (_, RootCert::File(_)) => Verification::ChainOnly,
            _ => Verification::None,
        };
        let roots = match &self.root_cert {
            RootCert::File(path) => {
                let mut roots = rustls::RootCertStore::empty();
                add_ca_file(&mut roots, path)
                    .map_err(|message| setting_error(format!("sslrootcert: {message}")))?;
                roots
            }
            RootCert::System | RootCert::Unset => mozilla_roots(),
        };
        client_config(roots, verification).map_err(setting_error)
    }
}

fn setting_error(message: impl Into<String>) -> StoreError {
    StoreError::Setting(message.into())
}

/// Splits `sslmode` and `sslrootcert` out of a libpq connection string (key=value
/// form or `postgres://` URL) and returns the rest for tokio-postgres.
pub fn split_tls_settings(config: &str) -> Result<(String, TlsSettings), StoreError> {
    let trimmed = config.trim();
    let (rest, pairs) =
        if trimmed.starts_with("postgres://") || trimmed.starts_with("postgresql://") {
            split_url(trimmed)?
        } else {
            split_key_values(trimmed)?
        };
    let mut mode = None;
    let mut root_cert = RootCert::Unset;
    for (key, value) in pairs {
        match key.as_str() {
            "sslmode" => mode = Some(SslMode::parse(&value)?),
            "sslrootcert" if value == "system" => root_cert = RootCert::System,
            "sslrootcert" if value.is_empty() => root_cert = RootCert::Unset,
            "sslrootcert" => root_cert = RootCert::File(PathBuf::from(value)),
            _ => {
                return Err(setting_error(format!(
                    "{key} (client certificates) is not supported; authenticate with a password or IAM token"
                )));
            }
        }
    }
    // As in libpq 16: `system` roots imply verify-full and forbid weaker modes, because
    // any public CA can issue a certificate for some name.
    let mode = match (mode, &root_cert) {
        (None, RootCert::System) => SslMode::VerifyFull,
        (Some(mode), RootCert::System) if mode != SslMode::VerifyFull => {
            return Err(setting_error(format!(
                "sslmode={} cannot be used with sslrootcert=system: use sslmode=verify-full",
                mode.as_str()
            )));
        }
        (Some(mode), _) => mode,
        (None, _) => SslMode::Prefer,
    };
    Ok((rest, TlsSettings { mode, root_cert }))
}

/// Settings this module takes out of the connection string.
fn is_tls_key(key: &str) -> bool {
    matches!(key, "sslmode" | "sslrootcert" | "sslcert" | "sslkey")
}

type Split = (String, Vec<(String, String)>);

fn split_url(url: &str) -> Result<Split, StoreError> {
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_owned(), Vec::new()));
    };
    let mut kept = Vec::new();
    let mut taken = Vec::new();
    for parameter in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = parameter.split_once('=').unwrap_or((parameter, ""));
        let key = percent_decode(key)?;
        if is_tls_key(&key) {
            taken.push((key, percent_decode(value)?));
        } else {
            kept.push(parameter);
        }
    }
    let rest = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok((rest, taken))
}

fn percent_decode(text: &str) -> Result<String, StoreError> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut position = 0;
    while position < bytes.len() {
        let byte = bytes[position];
        if byte == b'%' {
            let digits = text
                .get(position + 1..position + 3)
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
                .ok_or_else(|| {
                    setting_error(format!(
                        "invalid percent-encoding in connection URL parameter `{text}`"
                    ))
                })?;
            decoded.push(digits);
            position += 3;
        } else {
            decoded.push(byte);
            position += 1;
        }
    }
    String::from_utf8(decoded).map_err(|_| {
        setting_error(format!(
            "connection URL parameter `{text}` is not UTF-8 after percent-decoding"
        ))
    })
}

/// Parses `key = value` pairs as libpq does: values are bare words or single-quoted,
/// with `\'` and `\\` escapes in both.
fn split_key_values(text: &str) -> Result<Split, StoreError> {
    let mut kept = Vec::new();
    let mut taken = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            break;
        }
        let mut key = String::new();
        while let Some(c) = chars.next_if(|c| *c != '=' && !c.is_whitespace()) {
            key.push(c);
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.next() != Some('=') {
            return Err(setting_error(format!(
                "connection setting `{key}` has no `=value`"
            )));
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        let quoted = chars.next_if_eq(&'\'').is_some();
        loop {
            match chars.next() {
                None if quoted => {
                    return Err(setting_error(format!(
                        "connection setting `{key}` has an unterminated quoted value"
                    )));
                }
                None => break,
                Some('\'') if quoted => break,
                Some(c) if c.is_whitespace() && !quoted => break,
                Some('\\') => match chars.next() {
                    Some(escaped) => value.push(escaped),
                    None => {
                        return Err(setting_error(format!(
                            "connection setting `{key}` ends with a lone backslash"
                        )));
                    }
                },
                Some(c) => value.push(c),
            }
        }
        if is_tls_key(&key) {
            taken.push((key, value));
        } else {
            kept.push(format!("{key}='{}'", quote(&value)));
        }
    }
    Ok((kept.join(" "), taken))
}

fn quote(value: &str) -> String {
    value.replace('\\', "\\\\").replace('\'', "\\'")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn split(text: &str) -> (String, TlsSettings) {
        split_tls_settings(text).unwrap()
    }

    fn error(text: &str) -> String {
        split_tls_settings(text).unwrap_err().to_string()
    }

    #[test]
    fn url_settings_removed() {
        let (rest, settings) = split(
            "postgres://app@db.internal:5432/audit?sslmode=verify-full&sslrootcert=/etc/ca%20bundle.pem&application_name=x",
        );
        assert_eq!(
            rest,
            "postgres://app@db.internal:5432/audit?application_name=x"
        );
        assert_eq!(settings.mode, SslMode::VerifyFull);
        assert_eq!(
            settings.root_cert,
            RootCert::File(PathBuf::from("/etc/ca bundle.pem"))
        );
    }

    #[test]
    fn url_without_query() {
        let (rest, settings) = split("postgresql://app@127.0.0.1/audit?sslmode=require");
        assert_eq!(rest, "postgresql://app@127.0.0.1/audit");
        assert_eq!(settings.mode, SslMode::Require);
        assert_eq!(settings.root_cert, RootCert::Unset);
    }

    #[test]
    fn key_values_quoted() {
        let (rest, settings) = split(
            "host=127.0.0.1 password='it\\'s secret' sslmode = verify-ca sslrootcert='/a b.pem'",
        );
        assert_eq!(rest, "host='127.0.0.1' password='it\\'s secret'");
        assert_eq!(settings.mode, SslMode::VerifyCa);
        assert_eq!(
            settings.root_cert,
            RootCert::File(PathBuf::from("/a b.pem"))
        );
        let parsed: tokio_postgres::Config = rest.parse().unwrap();
        assert_eq!(parsed.get_password(), Some(&b"it's secret"[..]));
    }

    #[test]
    fn mode_omitted_is_prefer() {
        let (_, settings) = split("host=127.0.0.1 user=postgres");
        assert_eq!(settings.mode, SslMode::Prefer);
        assert_eq!(settings.driver_mode(), DriverSslMode::Prefer);
    }

    #[test]
    fn system_roots_imply_verify_full() {
        let (_, settings) = split("host=db sslrootcert=system");
        assert_eq!(settings.mode, SslMode::VerifyFull);
        assert_eq!(settings.root_cert, RootCert::System);
    }

    #[test]
    fn system_roots_reject_require() {
        let message = error("host=db sslrootcert=system sslmode=require");
        assert!(
            message.contains("sslmode=require cannot be used with sslrootcert=system"),
            "{message}"
        );
    }

    #[test]
    fn unknown_mode_rejected() {
        let message = error("postgres://db/x?sslmode=strict");
        assert!(message.contains("invalid sslmode `strict`"), "{message}");
        assert!(error("host=db sslmode=allow").contains("sslmode=allow is not supported"));
    }

    #[test]
    fn client_certificates_rejected() {
        let message = error("host=db sslcert=/c.pem");
        assert!(
            message.contains("sslcert (client certificates) is not supported"),
            "{message}"
        );
    }

    #[test]
    fn malformed_key_values() {
        assert!(error("host").contains("`host` has no `=value`"));
        assert!(error("password='open").contains("unterminated quoted value"));
        assert!(error("postgres://db/x?sslrootcert=%zz").contains("invalid percent-encoding"));
    }

    #[test]
    fn missing_root_file_named() {
        let (_, settings) = split("host=db sslmode=verify-full sslrootcert=/nonexistent/ca.pem");
        let message = settings.client_config().unwrap_err().to_string();
        assert!(message.contains("sslrootcert"), "{message}");
        assert!(message.contains("/nonexistent/ca.pem"), "{message}");
    }
}
