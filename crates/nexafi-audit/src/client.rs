//! A small HTTP and HTTPS client for the audit API, used by the `nexafi audit` client
//! commands and by other commands that write to the audit trail.
//!
//! HTTPS verifies the service's certificate and host name against Mozilla's roots plus
//! an optional CA file (PEM), for services whose certificate a private CA issued.

use std::path::{Path, PathBuf};
use std::time::Duration;

use http_body_util::{BodyExt, Full};
pub use hyper::Method;
use hyper::body::Bytes;
use hyper::{Request, StatusCode, header};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

use crate::tls::{Verification, add_ca_file, certificate_problem, client_config, mozilla_roots};

/// Time allowed for one request, connection included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Failure of a request to the audit service.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("invalid service URL `{0}`: expected http://HOST:PORT or https://HOST:PORT")]
    BadUrl(String),
    #[error("{0}")]
    CaFile(String),
    #[error(
        "a CA file ({ca_file}) is set, but `{url}` is not an https:// URL; use https:// or drop the CA file"
    )]
    CaFileWithoutTls { url: String, ca_file: String },
    #[error("request to {url} failed: {message}")]
    Transport { url: String, message: String },
    #[error("request to {url} timed out after {REQUEST_TIMEOUT:?}")]
    Timeout { url: String },
    #[error("{url} answered {status}: {message}")]
    Status {
        url: String,
        status: StatusCode,
        message: String,
    },
    #[error("{url} returned a body that is not JSON: {message}")]
    BadBody { url: String, message: String },
}

/// A client for one service base URL, with an optional bearer token.
#[derive(Clone)]
pub struct AuditClient {
    base: String,
    token: Option<String>,
    http: HyperClient<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

/// Settings of an [`AuditClient`]; see [`AuditClient::builder`].
#[derive(Clone, Debug)]
pub struct AuditClientBuilder {
    base: String,
    token: Option<String>,
    ca_file: Option<PathBuf>,
}

impl AuditClientBuilder {
    /// Sets the bearer token sent with every request (`None`: no token).
    pub fn token(mut self, token: Option<String>) -> Self {
        self.token = token;
        self
    }

    /// Adds the CA certificates of a PEM file to Mozilla's roots for HTTPS (`None`:
    /// Mozilla's roots only). Only valid with an https:// base URL.
    pub fn ca_file(mut self, path: Option<PathBuf>) -> Self {
        self.ca_file = path;
        self
    }

    /// Checks the URL, reads the CA file and builds the client.
    pub fn build(self) -> Result<AuditClient, ClientError> {
        let base = self.base.trim_end_matches('/').to_owned();
        let host = base
            .strip_prefix("https://")
            .or_else(|| base.strip_prefix("http://"))
            .filter(|host| !host.is_empty() && !host.contains('/'));
        if host.is_none() {
            return Err(ClientError::BadUrl(base));
        }
        let mut roots = mozilla_roots();
        if let Some(path) = &self.ca_file {
            if !base.starts_with("https://") {
                return Err(ClientError::CaFileWithoutTls {
                    url: base,
                    ca_file: path.display().to_string(),
                });
            }
            add_ca_file(&mut roots, path).map_err(ClientError::CaFile)?;
        }
        let tls = client_config(roots, Verification::Full).map_err(ClientError::CaFile)?;
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .build();
        let http = HyperClient::builder(TokioExecutor::new()).build(connector);
        Ok(AuditClient {
            base,
            token: self.token,
            http,
        })
    }
}

impl AuditClient {
    /// Starts a client for `base`, for example `https://audit.internal:8443`.
    pub fn builder(base: &str) -> AuditClientBuilder {
        AuditClientBuilder {
            base: base.to_owned(),
            token: None,
            ca_file: None,
        }
    }

    /// Creates a client for `base` that trusts Mozilla's roots for HTTPS.
    pub fn new(base: &str, token: Option<String>) -> Result<AuditClient, ClientError> {
        AuditClient::builder(base).token(token).build()
    }

    /// Creates a client for `base` that also trusts the CAs in `ca_file` for HTTPS.
    pub fn with_ca_file(
        base: &str,
        token: Option<String>,
        ca_file: Option<&Path>,
    ) -> Result<AuditClient, ClientError> {
        AuditClient::builder(base)
            .token(token)
            .ca_file(ca_file.map(Path::to_path_buf))
            .build()
    }

    /// Sends a request and returns status and body.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(StatusCode, Bytes), ClientError> {
        let url = format!("{}{path}", self.base);
        let mut builder = Request::builder().method(method).uri(&url);
        if let Some(token) = &self.token {
            builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let payload = match body {
            Some(value) => {
                builder = builder.header(header::CONTENT_TYPE, "application/json");
                Bytes::from(serde_json::to_vec(value).unwrap_or_default())
            }
            None => Bytes::new(),
        };
        let request = builder
            .body(Full::new(payload))
            .map_err(|error| ClientError::Transport {
                url: url.clone(),
                message: error.to_string(),
            })?;
        let exchange = async {
            let response =
                self.http
                    .request(request)
                    .await
                    .map_err(|error| ClientError::Transport {
                        url: url.clone(),
                        message: describe_failure(&url, &error),
                    })?;
            let status = response.status();
            let bytes = response
                .into_body()
                .collect()
                .await
                .map_err(|error| ClientError::Transport {
                    url: url.clone(),
                    message: error.to_string(),
                })?
                .to_bytes();
            Ok((status, bytes))
        };
        tokio::time::timeout(REQUEST_TIMEOUT, exchange)
            .await
            .map_err(|_| ClientError::Timeout { url: url.clone() })?
    }

    /// Sends a request and decodes the JSON response. A non-2xx status is an error that
    /// carries the service's message.
    pub async fn json(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, ClientError> {
        let url = format!("{}{path}", self.base);
        let (status, bytes) = self.send(method, path, body).await?;
        if !status.is_success() {
            return Err(status_error(url, status, &bytes));
        }
        serde_json::from_slice(&bytes).map_err(|error| ClientError::BadBody {
            url,
            message: error.to_string(),
        })
    }

    /// Fetches raw bytes (checkpoints, tiles, entry bundles).
    pub async fn bytes(&self, path: &str) -> Result<Bytes, ClientError> {
        let url = format!("{}{path}", self.base);
        let (status, bytes) = self.send(Method::GET, path, None).await?;
        if !status.is_success() {
            return Err(status_error(url, status, &bytes));
        }
        Ok(bytes)
    }
}

fn status_error(url: String, status: StatusCode, body: &[u8]) -> ClientError {
    let message = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|value| value["error"]["message"].as_str().map(str::to_owned))
        .unwrap_or_else(|| String::from_utf8_lossy(body).trim().to_owned());
    ClientError::Status {
        url,
        status,
        message,
    }
}

/// Describes a failed request with its causes, and the likely fix when the failure is a
/// certificate problem or a scheme that does not match the port.
fn describe_failure(url: &str, error: &(dyn std::error::Error + 'static)) -> String {
    let mut message = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        message.push_str(&format!(": {inner}"));
        cause = inner.source();
    }
    let https = url.starts_with("https://");
    if let Some(tls) = crate::tls::rustls_cause(error) {
        let hint = match (certificate_problem(tls), tls) {
            ((true, _), _) => {
                "the service's certificate is not trusted; pass the CA that issued it with --ca-file"
            }
            ((_, true), _) => {
                "the service's certificate is not valid for this host name; use a name the certificate lists"
            }
            (_, rustls::Error::InvalidMessage(_)) => {
                "the service did not answer with TLS; if it serves plain HTTP, use an http:// URL"
            }
            _ => "",
        };
        if !hint.is_empty() {
            message.push_str(&format!(" ({hint})"));
        }
    } else if !https && has_http_parse_error(error) {
        message.push_str(
            " (the service did not answer with HTTP; if it serves HTTPS, use an https:// URL)",
        );
    }
    message
}

/// Tells whether hyper could not parse the response, as when a TLS server responds to
/// a plain HTTP request with an alert.
fn has_http_parse_error(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(error) = current {
        if let Some(hyper_error) = error.downcast_ref::<hyper::Error>()
            && (hyper_error.is_parse() || hyper_error.is_incomplete_message())
        {
            return true;
        }
        current = error.source();
    }
    false
}
