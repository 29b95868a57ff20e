//! `nexafi audit serve`: the HTTP API over a store and a sequencer.
//!
//! [`router`] builds the whole API, so tests call it without a socket. Routes and their
//! scopes are listed in [`ROUTES`], which a test checks against the OpenAPI document
//! served at `/openapi.json`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde_json::Value;
use tracing::Instrument;
use tracing::field::Empty;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::ledger::note::NoteSigner;
use crate::metrics::Metrics;
use crate::retention::RetentionPolicy;
use crate::sequencer::SequencerHandle;
use crate::store::{AuditStore, StoredToken};

pub mod auth;
pub mod error;
mod handlers;

use auth::{Scope, TokenCache, grants};
use error::ApiError;

/// The OpenAPI 3.1 document of this API.
pub const OPENAPI: &str = include_str!("openapi.json");

/// Every route: method, path (axum syntax) and the scope it needs (`None`: no token).
pub const ROUTES: &[(&str, &str, Option<Scope>)] = &[
    ("POST", "/v1/events", Some(Scope::Append)),
    ("POST", "/v1/events/batch", Some(Scope::Append)),
    ("GET", "/v1/events", Some(Scope::Read)),
    ("GET", "/v1/events/{event_id}", Some(Scope::Read)),
    ("POST", "/v1/events/{event_id}/erase", Some(Scope::Admin)),
    ("GET", "/v1/checkpoint", Some(Scope::Read)),
    ("GET", "/v1/proof/inclusion", Some(Scope::Read)),
    ("GET", "/v1/proof/consistency", Some(Scope::Audit)),
    ("GET", "/v1/holds", Some(Scope::Admin)),
    ("POST", "/v1/holds", Some(Scope::Admin)),
    ("DELETE", "/v1/holds/{id}", Some(Scope::Admin)),
    ("POST", "/v1/purge", Some(Scope::Admin)),
    ("GET", "/checkpoint", Some(Scope::Audit)),
    ("GET", "/tile/{*path}", Some(Scope::Audit)),
    ("GET", "/healthz", None),
    ("GET", "/readyz", None),
    ("GET", "/metrics", None),
    ("GET", "/openapi.json", None),
];

/// Limits of the HTTP API.
#[derive(Clone, Debug)]
pub struct ServiceConfig {
    /// Largest request body, in bytes.
    pub max_body_bytes: usize,
    /// Largest payload of one event as canonical JSON, in bytes.
    pub max_payload_bytes: usize,
    /// Maximum events in one batch request.
    pub max_batch_events: usize,
    /// Maximum rows one query returns.
    pub max_query_rows: u32,
    pub retention: RetentionPolicy,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            max_body_bytes: 1024 * 1024,
            max_payload_bytes: crate::event::DEFAULT_MAX_PAYLOAD_BYTES,
            max_batch_events: 1000,
            max_query_rows: 1000,
            retention: RetentionPolicy::default(),
        }
    }
}

/// Shared state of the service.
pub struct App<S> {
    pub store: Arc<S>,
    pub sequencer: SequencerHandle,
    pub signer: Arc<NoteSigner>,
    pub metrics: Arc<Metrics>,
    pub config: ServiceConfig,
    tokens: TokenCache,
    shutting_down: AtomicBool,
}

impl<S: AuditStore> App<S> {
    pub fn new(
        store: Arc<S>,
        sequencer: SequencerHandle,
        signer: Arc<NoteSigner>,
        metrics: Arc<Metrics>,
        config: ServiceConfig,
    ) -> App<S> {
        App {
            store,
            sequencer,
            signer,
            metrics,
            config,
            tokens: TokenCache::default(),
            shutting_down: AtomicBool::new(false),
        }
    }

    /// Makes /readyz fail so load balancers stop sending traffic during shutdown.
    pub fn mark_shutting_down(&self) {
        self.shutting_down.store(true, Ordering::Relaxed);
    }

    /// Checks the bearer token and its scope; the token itself is never logged.
    pub(crate) async fn authorize(
        &self,
        headers: &HeaderMap,
        scope: Scope,
    ) -> Result<StoredToken, ApiError> {
        let token = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|token| !token.is_empty())
            .ok_or(ApiError::Unauthorized)?;
        let found = self
            .tokens
            .lookup(self.store.as_ref(), token)
            .await?
            .ok_or(ApiError::Unauthorized)?;
        if grants(&found, scope) {
            Ok(found)
        } else {
            tracing::warn!(token_name = %found.name, scope = scope.as_str(), "request rejected: missing scope");
            Err(ApiError::Forbidden(scope.as_str()))
        }
    }
}

/// Builds the router with every route of [`ROUTES`].
pub fn router<S: AuditStore>(app: Arc<App<S>>) -> Router {
    let body_limit = app.config.max_body_bytes;
    Router::new()
        .route(
            "/v1/events",
            post(handlers::append::<S>).get(handlers::query::<S>),
        )
        .route("/v1/events/batch", post(handlers::append_batch::<S>))
        .route("/v1/events/{event_id}", get(handlers::event_by_id::<S>))
        .route("/v1/events/{event_id}/erase", post(handlers::erase::<S>))
        .route("/v1/checkpoint", get(handlers::checkpoint_json::<S>))
        .route("/v1/proof/inclusion", get(handlers::inclusion::<S>))
        .route("/v1/proof/consistency", get(handlers::consistency::<S>))
        .route(
            "/v1/holds",
            get(handlers::holds::<S>).post(handlers::add_hold::<S>),
        )
        .route("/v1/holds/{id}", delete(handlers::release_hold::<S>))
        .route("/v1/purge", post(handlers::purge::<S>))
        .route("/checkpoint", get(handlers::checkpoint_text::<S>))
        .route("/tile/{*path}", get(handlers::tile::<S>))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(handlers::ready::<S>))
        .route("/metrics", get(handlers::metrics::<S>))
        .route("/openapi.json", get(openapi))
        .fallback(|| async { ApiError::NotFound("no such route".to_owned()) })
        .layer(middleware::from_fn(trace_request))
        .layer(DefaultBodyLimit::max(body_limit))
        .with_state(app)
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

/// Runs each request in a server span that continues the caller's W3C `traceparent`, and
/// logs it. The span records the method, the route template (not the raw path, which
/// contains event ids), the status code and the tenant. Headers (and so tokens), query
/// strings and bodies are never recorded.
async fn trace_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|matched| matched.as_str().to_owned());
    let name = match &route {
        Some(route) => format!("{method} {route}"),
        None => method.to_string(),
    };
    let span = tracing::info_span!(
        "http.request",
        otel.name = %name,
        otel.kind = "server",
        otel.status_code = Empty,
        http.request.method = %method,
        http.route = route.as_deref(),
        http.response.status_code = Empty,
        audit.tenant = Empty,
    );
    let caller = opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.extract(&HeaderExtractor(request.headers()))
    });
    // Fails only when no OpenTelemetry layer is installed, and then there is nothing to
    // continue.
    let _ = span.set_parent(caller);

    let started = std::time::Instant::now();
    let response = next.run(request).instrument(span.clone()).await;
    let status = response.status();
    let elapsed_ms = started.elapsed().as_millis() as u64;
    // As i64: tracing-opentelemetry 0.34 exports unsigned fields as strings.
    span.record("http.response.status_code", i64::from(status.as_u16()));
    let route = route.as_deref().unwrap_or("(no route)");
    if status.is_server_error() {
        span.record("otel.status_code", "ERROR");
        tracing::warn!(parent: &span, %method, route, status = status.as_u16(), elapsed_ms, "request failed");
    } else {
        tracing::debug!(parent: &span, %method, route, status = status.as_u16(), elapsed_ms, "request");
    }
    response
}

/// Reads trace context headers (`traceparent`, `tracestate`) for the propagator.
struct HeaderExtractor<'a>(&'a HeaderMap);

impl opentelemetry::propagation::Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|name| name.as_str()).collect()
    }
}

/// Maximum number of tenants named on one request span, because a batch can contain events
/// of many.
const MAX_SPAN_TENANTS: usize = 10;

/// Records the distinct tenants a request touches on the current request span, sorted and
/// comma-separated, with `,...` after the first ten.
pub(crate) fn record_tenants<'a>(tenants: impl IntoIterator<Item = &'a str>) {
    let mut distinct: Vec<&str> = tenants.into_iter().collect();
    distinct.sort_unstable();
    distinct.dedup();
    let mut text = distinct
        .iter()
        .take(MAX_SPAN_TENANTS)
        .copied()
        .collect::<Vec<_>>()
        .join(",");
    if distinct.len() > MAX_SPAN_TENANTS {
        text.push_str(",...");
    }
    tracing::Span::current().record("audit.tenant", text);
}

/// Parses a JSON body, reporting malformed JSON and oversized bodies as 400 and 413.
pub(crate) fn parse_json(
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
    limit: usize,
) -> Result<Value, ApiError> {
    let bytes = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge(limit)
        } else {
            ApiError::bad(format!("cannot read the request body: {rejection}"))
        }
    })?;
    // serde_json's message ends with "at line L column C" already.
    serde_json::from_slice(&bytes)
        .map_err(|error| ApiError::bad(format!("request body is not valid JSON: {error}")))
}

/// Masks card numbers in a payload before it is stored: each becomes its first six and
/// last four digits at most (PCI DSS 3.4.1), also when it is a JSON number or sits inside
/// a longer string. Every append path passes through this function.
pub fn mask_payload(mut payload: Value) -> Value {
    static POLICY: std::sync::OnceLock<nexafi_dlp::RedactPolicy> = std::sync::OnceLock::new();
    let policy = POLICY.get_or_init(|| nexafi_dlp::RedactPolicy {
        mode: nexafi_dlp::RedactMode::Pci,
        scanner: nexafi_dlp::Scanner::new(nexafi_dlp::ScanOptions {
            detectors: vec![nexafi_dlp::Detector::CardNumber],
            ..nexafi_dlp::ScanOptions::default()
        }),
    });
    let masked = nexafi_dlp::redact_json(&mut payload, policy);
    if masked > 0 {
        tracing::debug!(masked, "masked card numbers in a payload");
    }
    payload
}

#[cfg(test)]
mod mask_tests {
    use super::mask_payload;
    use serde_json::json;

    #[test]
    fn card_numbers_are_masked() {
        let payload = json!({
            "card": "4111 1111 1111 1111",
            "note": "paid with 5555555555554444 today",
            "number": 4111111111111111_u64,
            "nested": [{"pan": "378282246310005"}],
            "order": "ORD-1234567890123456",
            "amount": "125.00",
        });
        let masked = mask_payload(payload).to_string();
        assert!(!masked.contains("4111 1111 1111 1111"), "{masked}");
        assert!(!masked.contains("5555555555554444"), "{masked}");
        assert!(!masked.contains("4111111111111111"), "{masked}");
        assert!(!masked.contains("378282246310005"), "{masked}");
        assert!(masked.contains("411111"), "{masked}");
        assert!(masked.contains("ORD-1234567890123456"), "{masked}");
        assert!(masked.contains("125.00"), "{masked}");
    }
}

/// Certificate chain and private key files (PEM) for HTTPS.
#[derive(Clone, Debug)]
pub struct TlsFiles {
    pub cert: std::path::PathBuf,
    pub key: std::path::PathBuf,
}

/// Time running requests get to finish after a shutdown request, with TLS.
const TLS_DRAIN: std::time::Duration = std::time::Duration::from_secs(30);

/// Serves the API on `listener` (over HTTPS when `tls` is given) until `shutdown`
/// completes, then stops accepting requests, lets running ones finish and waits for the
/// sequencer to drain its queue.
pub async fn run<S: AuditStore>(
    listener: tokio::net::TcpListener,
    app: Arc<App<S>>,
    sequencer_task: tokio::task::JoinHandle<()>,
    tls: Option<TlsFiles>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let address = listener.local_addr()?;
    let flag = Arc::clone(&app);
    let on_shutdown = async move {
        shutdown.await;
        flag.mark_shutting_down();
        tracing::info!("shutdown requested; finishing running requests");
    };
    let served = match tls {
        None => {
            tracing::info!(%address, "audit service listening over HTTP");
            axum::serve(listener, router(Arc::clone(&app)))
                .with_graceful_shutdown(on_shutdown)
                .await
        }
        Some(files) => {
            let config =
                axum_server::tls_rustls::RustlsConfig::from_pem_file(&files.cert, &files.key)
                    .await
                    .map_err(|error| {
                        std::io::Error::new(
                            error.kind(),
                            format!(
                                "cannot load TLS certificate {} and key {}: {error}",
                                files.cert.display(),
                                files.key.display()
                            ),
                        )
                    })?;
            let handle = axum_server::Handle::new();
            let stopper = handle.clone();
            tokio::spawn(async move {
                on_shutdown.await;
                stopper.graceful_shutdown(Some(TLS_DRAIN));
            });
            tracing::info!(%address, "audit service listening over HTTPS");
            axum_server::from_tcp_rustls(listener.into_std()?, config)?
                .handle(handle)
                .serve(router(Arc::clone(&app)).into_make_service())
                .await
        }
    };
    // The sequencer stops once the last handle (held by the app) is gone.
    drop(app);
    if let Err(error) = sequencer_task.await {
        tracing::error!(%error, "the sequencer task failed");
    }
    tracing::info!("audit service stopped");
    served
}
