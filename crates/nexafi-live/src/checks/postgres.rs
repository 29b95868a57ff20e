//! `postgres`: connect, run a query (default `SELECT 1`), optionally compare the single
//! value it returns, optionally require TLS.

use std::path::PathBuf;
use std::str::FromStr;

use tokio_postgres::config::SslMode;
use tokio_postgres::{Config, SimpleQueryMessage};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::{Attempt, Failure, Secret, client_config};
use crate::load::{Fields, LoadError};

#[derive(Clone, Debug)]
pub struct PostgresCheck {
    /// Connection string as libpq takes it: a `postgres://` URL or `key=value` pairs,
    /// without a password.
    pub url: String,
    pub password: Option<Secret>,
    pub query: String,
    /// The text PostgreSQL returns for the single value, when one is expected.
    pub expect: Option<String>,
    pub require_tls: bool,
    /// With a CA file the server's chain and name are verified against it, as
    /// `sslmode=verify-full` does; without one TLS is used unverified, as
    /// `sslmode=require` does.
    pub ca_file: Option<PathBuf>,
}

impl PostgresCheck {
    pub(crate) fn load(fields: &mut Fields<'_>) -> Result<Self, LoadError> {
        let (url, at) = fields.required(
            |raw| &mut raw.url,
            "url",
            "postgres://app@db.example.test:5432/app",
        )?;
        if let Err(error) = Config::from_str(&url) {
            return Err(fields.error(
                &at,
                format!("invalid PostgreSQL connection string {url:?}: {error}"),
            ));
        }
        let password = fields.password()?;
        let query = fields
            .string(|raw| &mut raw.query)?
            .map_or_else(|| "SELECT 1".to_owned(), |(query, _)| query);
        let expect = match fields.raw.expect.take() {
            None => None,
            Some(value) => Some(match &value.value {
                serde_json::Value::String(text) => fields.context.expand(
                    &serde_saphyr::Spanned::new(text.clone(), value.referenced, value.defined),
                )?,
                // PostgreSQL's text form of a boolean.
                serde_json::Value::Bool(flag) => if *flag { "t" } else { "f" }.to_owned(),
                serde_json::Value::Number(number) => number.to_string(),
                other => {
                    return Err(fields.error(
                        &value.referenced,
                        format!("invalid `expect` {other}; expected a string, number or boolean"),
                    ));
                }
            }),
        };
        let require_tls = fields
            .raw
            .require_tls
            .take()
            .is_some_and(|value| value.value);
        let ca_file = fields.path(|raw| &mut raw.ca_file)?;
        Ok(Self {
            url,
            password,
            query,
            expect,
            require_tls,
            ca_file,
        })
    }

    /// Returns host, port and database for reports, without the rest of the connection string.
    pub fn target(&self) -> String {
        match Config::from_str(&self.url) {
            Ok(config) => {
                let hosts: Vec<String> = config
                    .get_hosts()
                    .iter()
                    .map(|host| match host {
                        tokio_postgres::config::Host::Tcp(name) => name.clone(),
                        tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
                    })
                    .collect();
                let port = config.get_ports().first().copied().unwrap_or(5432);
                let database = config.get_dbname().unwrap_or_default();
                format!("postgres {}:{port}/{database}", hosts.join(","))
            }
            Err(_) => self.url.clone(),
        }
    }

    pub async fn run(&self) -> Attempt {
        let mut config = Config::from_str(&self.url)
            .map_err(|error| Failure::error(format!("invalid connection string: {error}")))?;
        if let Some(secret) = &self.password {
            config.password(secret.read()?);
        }
        if self.require_tls {
            config.ssl_mode(SslMode::Require);
        }
        let tls = MakeRustlsConnect::new(client_config(
            self.ca_file.as_deref(),
            self.ca_file.is_some(),
        )?);

        let (client, connection) = match config.connect(tls).await {
            Ok(pair) => pair,
            Err(error) => {
                let text = super::http::error_chain(&error);
                if self.require_tls && text.contains("TLS") {
                    return Err(Failure::failed(format!(
                        "expected a TLS connection, found: {text}"
                    )));
                }
                return Err(Failure::error(format!("cannot connect: {text}")));
            }
        };
        let driver = tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "PostgreSQL connection ended with an error");
            }
        });

        let result = client.simple_query(&self.query).await;
        drop(client);
        driver.abort();
        let messages = result.map_err(|error| {
            Failure::failed(format!(
                "expected the query to succeed, found: {}",
                super::http::error_chain(&error)
            ))
        })?;

        let rows: Vec<_> = messages
            .iter()
            .filter_map(|message| match message {
                SimpleQueryMessage::Row(row) => Some(row),
                _ => None,
            })
            .collect();
        let Some(expected) = &self.expect else {
            return Ok(format!("query returned {} rows", rows.len()));
        };
        let value = match rows.as_slice() {
            [row] if row.len() == 1 => row.get(0),
            [row] => {
                return Err(Failure::failed(format!(
                    "expected a single value {expected:?}, found a row of {} columns",
                    row.len()
                )));
            }
            _ => {
                return Err(Failure::failed(format!(
                    "expected a single value {expected:?}, found {} rows",
                    rows.len()
                )));
            }
        };
        match value {
            Some(found) if found == expected => Ok(format!("query returned {found:?}")),
            Some(found) => Err(Failure::failed(format!(
                "expected {expected:?}, found {found:?}"
            ))),
            None => Err(Failure::failed(format!(
                "expected {expected:?}, found NULL"
            ))),
        }
    }
}
