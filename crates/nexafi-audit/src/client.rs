//! A small HTTP client for the audit API, used by the `nexafi audit` client commands.

use std::time::Duration;

use http_body_util::{BodyExt, Full};
pub use hyper::Method;
use hyper::body::Bytes;
use hyper::{Request, StatusCode, header};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

/// Time allowed for one request, connection included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Failure of a request to the audit service.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("invalid service URL `{0}`: expected http://HOST:PORT")]
    BadUrl(String),
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
    http: HyperClient<HttpConnector, Full<Bytes>>,
}

impl AuditClient {
    /// Creates a client for `base` (for example `http://127.0.0.1:8080`).
    ///
    /// NOTE: the client speaks plain HTTP only. For a remote service, put a
    /// TLS-terminating proxy in front of it, or run the client on the same host.
    pub fn new(base: &str, token: Option<String>) -> Result<AuditClient, ClientError> {
        let base = base.trim_end_matches('/').to_owned();
        if !base.starts_with("http://") || base.len() <= "http://".len() {
            return Err(ClientError::BadUrl(base));
        }
        let http = HyperClient::builder(TokioExecutor::new()).build_http();
        Ok(AuditClient { base, token, http })
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
                        message: error.to_string(),
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
