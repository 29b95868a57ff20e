//! `redis`: PING (after AUTH when a password is given), optionally EXISTS on a key.

use std::path::PathBuf;

use redis::{ErrorKind, IntoConnectionInfo};

use super::{Attempt, Failure, Secret, install_default_provider};
use crate::load::{Fields, LoadError};

#[derive(Clone, Debug)]
pub struct RedisCheck {
    /// `redis://HOST:PORT[/DB]`, or `rediss://` for TLS; a user name may be in the URL.
    pub url: String,
    pub password: Option<Secret>,
    pub key_exists: Option<String>,
    /// PEM file of the CA that signed the server's certificate; it replaces the system
    /// roots for this test.
    pub ca_file: Option<PathBuf>,
}

impl RedisCheck {
    pub(crate) fn load(fields: &mut Fields<'_>) -> Result<Self, LoadError> {
        let (url, at) = fields.required(
            |raw| &mut raw.url,
            "url",
            "rediss://cache.example.test:6380",
        )?;
        super::http::check_url(fields, &url, &at, &["redis", "rediss"])?;
        if let Err(error) = url.as_str().into_connection_info() {
            return Err(fields.error(&at, format!("invalid Redis URL {url:?}: {error}")));
        }
        let password = fields.password()?;
        let key_exists = fields
            .string(|raw| &mut raw.key_exists)?
            .map(|(key, _)| key);
        let ca_file = fields.path(|raw| &mut raw.ca_file)?;
        Ok(Self {
            url,
            password,
            key_exists,
            ca_file,
        })
    }

    pub async fn run(&self) -> Attempt {
        install_default_provider();
        let mut info = self
            .url
            .as_str()
            .into_connection_info()
            .map_err(|error| Failure::error(format!("invalid Redis URL: {error}")))?;
        if let Some(secret) = &self.password {
            let settings = info.redis_settings().clone().set_password(secret.read()?);
            info = info.set_redis_settings(settings);
        }
        let client = match &self.ca_file {
            Some(path) => {
                let root = std::fs::read(path).map_err(|error| {
                    Failure::error(format!("cannot read CA file {}: {error}", path.display()))
                })?;
                redis::Client::build_with_tls(
                    info,
                    redis::TlsCertificates {
                        client_tls: None,
                        root_cert: Some(root),
                    },
                )
            }
            None => redis::Client::open(info),
        }
        .map_err(|error| Failure::error(format!("cannot set up the Redis client: {error}")))?;

        let mut connection = client
            .get_multiplexed_async_connection()
            .await
            .map_err(classify)?;
        let pong: String = redis::cmd("PING")
            .query_async(&mut connection)
            .await
            .map_err(classify)?;
        if pong != "PONG" {
            return Err(Failure::failed(format!(
                "expected PING to return PONG, found {pong:?}"
            )));
        }
        if let Some(key) = &self.key_exists {
            let count: i64 = redis::cmd("EXISTS")
                .arg(key)
                .query_async(&mut connection)
                .await
                .map_err(classify)?;
            if count == 0 {
                return Err(Failure::failed(format!(
                    "expected key {key:?} to exist, found it missing"
                )));
            }
            return Ok(format!("PONG, key {key:?} exists"));
        }
        Ok("PONG".to_owned())
    }
}

/// Rejected credentials and error replies are failures, and no response at all is an error.
fn classify(error: redis::RedisError) -> Failure {
    match error.kind() {
        ErrorKind::AuthenticationFailed => {
            Failure::failed(format!("expected AUTH to succeed, found: {error}"))
        }
        _ if error.is_io_error() || error.is_timeout() || error.is_connection_refusal() => {
            Failure::error(format!("cannot reach Redis: {error}"))
        }
        _ => Failure::failed(format!(
            "expected Redis to answer, found an error reply: {error}"
        )),
    }
}
