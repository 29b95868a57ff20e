//! OpenTelemetry traces of `nexafi audit serve`, exported over OTLP/HTTP with protobuf.
//!
//! Tracing is off unless `--otlp-endpoint`, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or
//! `OTEL_EXPORTER_OTLP_ENDPOINT` names a collector: there is no default collector, so the
//! binary never connects anywhere the user did not name.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use opentelemetry::KeyValue;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::runtime;
use opentelemetry_sdk::trace::span_processor_with_async_runtime::BatchSpanProcessor;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider, SpanData, SpanExporter};
use tracing::{Level, Metadata};
use tracing_subscriber::filter::FilterFn;
use tracing_subscriber::{Layer, Registry};

use crate::cli::Command;

/// `service.name` when neither `OTEL_SERVICE_NAME` nor `OTEL_RESOURCE_ATTRIBUTES` sets one.
pub const DEFAULT_SERVICE_NAME: &str = "nexafi-audit";

/// Path of the traces signal under an OTLP/HTTP base URL (OTLP specification 1.x).
const TRACES_PATH: &str = "/v1/traces";

/// Minimum time between two warnings about failed exports.
const FAILURE_WARNING_INTERVAL: Duration = Duration::from_secs(60);

/// Values `OTEL_TRACES_SAMPLER` may take in opentelemetry_sdk 0.33; the SDK reads the
/// variable itself and would silently fall back to `parentbased_always_on` on others.
const SAMPLERS: &[&str] = &[
    "always_on",
    "always_off",
    "traceidratio",
    "parentbased_always_on",
    "parentbased_always_off",
    "parentbased_traceidratio",
];

/// Destination of the traces: the full URL that receives `ExportTraceServiceRequest`s.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceConfig {
    pub traces_url: String,
}

/// Resolves the trace configuration of a command: only `audit serve` exports traces.
pub fn config_for(command: &Command) -> Result<Option<TraceConfig>, String> {
    match command {
        Command::Audit(crate::commands::audit::AuditCommand::Serve(args)) => {
            resolve(args.otlp_endpoint(), |name| std::env::var(name).ok())
        }
        _ => Ok(None),
    }
}

/// Resolves the trace configuration from the `--otlp-endpoint` value and the standard
/// OpenTelemetry variables that `env` reads. The flag wins over
/// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (a full URL, used as is), which wins over
/// `OTEL_EXPORTER_OTLP_ENDPOINT` (a base URL, like the flag, that gets `/v1/traces`).
/// Returns `None` when none is set, when `OTEL_SDK_DISABLED` is `true` or when
/// `OTEL_TRACES_EXPORTER` is `none`.
pub fn resolve(
    flag: Option<&str>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Option<TraceConfig>, String> {
    let env = |name: &str| {
        env(name)
            .map(|value| value.trim().to_owned())
            .filter(|value| !value.is_empty())
    };

    if env("OTEL_SDK_DISABLED").is_some_and(|value| value.eq_ignore_ascii_case("true")) {
        return Ok(None);
    }
    match env("OTEL_TRACES_EXPORTER").as_deref() {
        None | Some("otlp") => {}
        Some("none") => return Ok(None),
        Some(other) => {
            return Err(format!(
                "invalid OTEL_TRACES_EXPORTER `{other}`: this binary exports traces only over \
                 OTLP; set it to `otlp` or `none`"
            ));
        }
    }

    let flag = flag.map(str::trim).filter(|value| !value.is_empty());
    let traces_url = if let Some(base) = flag {
        check_url("--otlp-endpoint", base)?;
        join_traces_path(base)
    } else if let Some(url) = env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") {
        check_url("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", &url)?;
        url
    } else if let Some(base) = env("OTEL_EXPORTER_OTLP_ENDPOINT") {
        check_url("OTEL_EXPORTER_OTLP_ENDPOINT", &base)?;
        join_traces_path(&base)
    } else {
        return Ok(None);
    };

    for name in [
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
        "OTEL_EXPORTER_OTLP_PROTOCOL",
    ] {
        if let Some(protocol) = env(name)
            && protocol != "http/protobuf"
        {
            return Err(format!(
                "unsupported {name} `{protocol}`: `nexafi audit serve` sends OTLP over HTTP \
                 with protobuf only; set it to `http/protobuf` or unset it"
            ));
        }
    }
    if let Some(sampler) = env("OTEL_TRACES_SAMPLER")
        && !SAMPLERS.contains(&sampler.as_str())
    {
        return Err(format!(
            "invalid OTEL_TRACES_SAMPLER `{sampler}`: expected one of {}",
            SAMPLERS.join(", ")
        ));
    }
    if let Some(argument) = env("OTEL_TRACES_SAMPLER_ARG")
        && env("OTEL_TRACES_SAMPLER").is_some_and(|sampler| sampler.ends_with("traceidratio"))
        && !argument
            .parse::<f64>()
            .is_ok_and(|ratio| (0.0..=1.0).contains(&ratio))
    {
        return Err(format!(
            "invalid OTEL_TRACES_SAMPLER_ARG `{argument}`: expected a sampling ratio from 0 to 1, \
             such as 0.25"
        ));
    }
    Ok(Some(TraceConfig { traces_url }))
}

fn join_traces_path(base: &str) -> String {
    format!("{}{TRACES_PATH}", base.trim_end_matches('/'))
}

/// Rejects URLs the exporter cannot use, naming where the value came from. The exporter
/// parses the rest when it starts.
fn check_url(source: &str, url: &str) -> Result<(), String> {
    let Some(rest) = url.strip_prefix("http://") else {
        return Err(if url.starts_with("https://") {
            format!(
                "unsupported {source} `{url}`: the OTLP exporter speaks plain HTTP only; send \
                 to a collector on the pod network or a local TLS proxy with an http:// URL"
            )
        } else {
            format!(
                "invalid {source} `{url}`: expected an http:// URL such as http://127.0.0.1:4318"
            )
        });
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    // The text after the last colon is a port, unless it closes an IPv6 address.
    let port = authority
        .rsplit_once(':')
        .filter(|(_, port)| !port.ends_with(']'))
        .map(|(_, port)| port);
    if authority.is_empty() || port.is_some_and(|port| port.parse::<u16>().is_err()) {
        return Err(format!(
            "invalid {source} `{url}`: expected an http:// URL such as http://127.0.0.1:4318"
        ));
    }
    Ok(())
}

/// A running trace pipeline: the SDK provider and the runtime its exporter runs on.
pub struct Telemetry {
    provider: SdkTracerProvider,
    tracer: SdkTracer,
    traces_url: String,
    /// A runtime of its own, because the subscriber is installed before the command's
    /// runtime exists, and so exports never take a worker thread from request handling.
    runtime: tokio::runtime::Runtime,
}

impl Telemetry {
    /// Starts the batch exporter. Nothing connects yet: the first export does, after the
    /// first span ends.
    pub fn start(config: &TraceConfig) -> Result<Telemetry, String> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("otlp-export")
            .enable_all()
            .build()
            .map_err(|error| format!("cannot start the trace export runtime: {error}"))?;
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_protocol(Protocol::HttpBinary)
            .with_endpoint(config.traces_url.as_str())
            .build()
            .map_err(|error| {
                format!(
                    "cannot configure the OTLP exporter for {}: {error}",
                    config.traces_url
                )
            })?;
        let exporter = ReportingExporter {
            inner: exporter,
            traces_url: config.traces_url.clone(),
            failures: Mutex::new(FailureLog::default()),
        };

        // The batch processor spawns its worker on the runtime it is built in. It drops
        // spans when its queue (OTEL_BSP_MAX_QUEUE_SIZE, 2,048 by default) is full, so a
        // slow collector never makes a request wait.
        let processor = {
            let _entered = runtime.enter();
            BatchSpanProcessor::builder(exporter, runtime::Tokio).build()
        };
        let provider = SdkTracerProvider::builder()
            .with_span_processor(processor)
            .with_resource(resource())
            .build();
        let tracer = provider.tracer("nexafi-audit");
        opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
        Ok(Telemetry {
            provider,
            tracer,
            traces_url: config.traces_url.clone(),
            runtime,
        })
    }

    /// Builds the subscriber layer that turns `nexafi_audit` spans, and the warnings and
    /// errors logged inside them, into OpenTelemetry spans.
    pub fn layer(&self) -> impl Layer<Registry> + Send + Sync + 'static {
        tracing_opentelemetry::layer()
            .with_tracer(self.tracer.clone())
            .with_location(false)
            .with_threads(false)
            .with_filter(FilterFn::new(exported))
    }

    /// Exports the spans still queued and stops the exporter. With the collector down this
    /// takes up to the export timeout (`OTEL_EXPORTER_OTLP_TIMEOUT`, 10 s by default).
    pub fn shutdown(self) {
        if let Err(error) = self.provider.shutdown() {
            tracing::warn!(traces_url = %self.traces_url, %error, "flushing traces at shutdown failed; the last spans are lost");
        }
        self.runtime.shutdown_timeout(Duration::from_secs(1));
    }
}

/// Selects what reaches the collector: the service's own spans, and its warnings and
/// errors as span events. Debug logs and other crates' spans stay local.
fn exported(metadata: &Metadata<'_>) -> bool {
    let level = *metadata.level();
    metadata.target().starts_with("nexafi_audit")
        && if metadata.is_span() {
            level <= Level::INFO
        } else {
            level <= Level::WARN
        }
}

/// The service's resource: `OTEL_RESOURCE_ATTRIBUTES` and `OTEL_SERVICE_NAME` as the SDK
/// reads them, `service.name` defaulting to `nexafi-audit`, and this build's version.
fn resource() -> Resource {
    let detected = Resource::builder().build();
    let named = detected
        .get(&opentelemetry::Key::new("service.name"))
        .is_some_and(|name| !name.as_str().starts_with("unknown_service"));
    let mut builder = Resource::builder();
    if !named {
        builder = builder.with_service_name(DEFAULT_SERVICE_NAME);
    }
    builder
        .with_attribute(KeyValue::new("service.version", env!("CARGO_PKG_VERSION")))
        .build()
}

#[derive(Debug, Default)]
struct FailureLog {
    last_warning: Option<Instant>,
    /// Failures since the last warning.
    unreported: u64,
    /// Spans lost in those failures.
    unreported_spans: u64,
}

impl FailureLog {
    /// Counts a failure; returns the failures and spans to report when a warning is due.
    fn record(&mut self, spans: u64, now: Instant) -> Option<(u64, u64)> {
        self.unreported += 1;
        self.unreported_spans += spans;
        let due = self
            .last_warning
            .is_none_or(|last| now.duration_since(last) >= FAILURE_WARNING_INTERVAL);
        if !due {
            return None;
        }
        self.last_warning = Some(now);
        let counts = (self.unreported, self.unreported_spans);
        self.unreported = 0;
        self.unreported_spans = 0;
        Some(counts)
    }
}

/// Wraps the OTLP exporter to log failed exports at most once a minute, with a count of
/// what failed since the last warning. The SDK's own logs are compiled out (its
/// `internal-logs` feature is off), so this is the only report of a failed export.
#[derive(Debug)]
struct ReportingExporter<E> {
    inner: E,
    traces_url: String,
    failures: Mutex<FailureLog>,
}

impl<E: SpanExporter> SpanExporter for ReportingExporter<E> {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let spans = batch.len() as u64;
        let result = self.inner.export(batch).await;
        if let Err(error) = &result {
            let due = match self.failures.lock() {
                Ok(mut failures) => failures.record(spans, Instant::now()),
                Err(poisoned) => poisoned.into_inner().record(spans, Instant::now()),
            };
            if let Some((failed_exports, dropped_spans)) = due {
                tracing::warn!(
                    traces_url = %self.traces_url,
                    %error,
                    failed_exports,
                    dropped_spans,
                    "exporting traces failed; the spans are dropped and appends continue (next warning in a minute at the earliest)"
                );
            }
        }
        result
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve_with(
        flag: Option<&str>,
        vars: &[(&str, &str)],
    ) -> Result<Option<TraceConfig>, String> {
        resolve(flag, |name| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        })
    }

    fn url(result: Result<Option<TraceConfig>, String>) -> Option<String> {
        result.ok().flatten().map(|config| config.traces_url)
    }

    #[test]
    fn nothing_configured_is_off() {
        assert_eq!(resolve_with(None, &[]), Ok(None));
        assert_eq!(
            resolve_with(Some(" "), &[("OTEL_EXPORTER_OTLP_ENDPOINT", "")]),
            Ok(None)
        );
    }

    #[test]
    fn endpoint_precedence() {
        let all = [
            (
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                "http://traces.test:4318/custom",
            ),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://base.test:4318"),
        ];
        assert_eq!(
            url(resolve_with(Some("http://flag.test:4318/"), &all)).as_deref(),
            Some("http://flag.test:4318/v1/traces")
        );
        assert_eq!(
            url(resolve_with(None, &all)).as_deref(),
            Some("http://traces.test:4318/custom")
        );
        assert_eq!(
            url(resolve_with(None, &all[1..])).as_deref(),
            Some("http://base.test:4318/v1/traces")
        );
    }

    #[test]
    fn disabled_by_standard_variables() {
        let endpoint = ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://base.test:4318");
        assert_eq!(
            resolve_with(
                Some("http://flag.test:4318"),
                &[("OTEL_SDK_DISABLED", "true")]
            ),
            Ok(None)
        );
        assert_eq!(
            resolve_with(None, &[endpoint, ("OTEL_TRACES_EXPORTER", "none")]),
            Ok(None)
        );
        assert!(
            url(resolve_with(
                None,
                &[endpoint, ("OTEL_SDK_DISABLED", "false")]
            ))
            .is_some()
        );
    }

    #[test]
    fn invalid_settings_are_rejected() {
        let endpoint = ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://base.test:4318");
        // (flag, variables, text the error must contain)
        type Case<'a> = (Option<&'a str>, &'a [(&'a str, &'a str)], &'a str);
        let cases: &[Case] = &[
            (Some("https://flag.test:4318"), &[], "--otlp-endpoint"),
            (Some("flag.test:4318"), &[], "expected an http:// URL"),
            (Some("http://"), &[], "expected an http:// URL"),
            (
                Some("http://127.0.0.1:99999"),
                &[],
                "expected an http:// URL",
            ),
            (Some("http://127.0.0.1:"), &[], "expected an http:// URL"),
            (
                None,
                &[("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "ftp://x")],
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            ),
            (
                None,
                &[endpoint, ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")],
                "http/protobuf",
            ),
            (
                None,
                &[endpoint, ("OTEL_TRACES_EXPORTER", "zipkin")],
                "OTEL_TRACES_EXPORTER",
            ),
            (
                None,
                &[endpoint, ("OTEL_TRACES_SAMPLER", "sometimes")],
                "always_on",
            ),
            (
                None,
                &[
                    endpoint,
                    ("OTEL_TRACES_SAMPLER", "traceidratio"),
                    ("OTEL_TRACES_SAMPLER_ARG", "2"),
                ],
                "ratio from 0 to 1",
            ),
        ];
        for (flag, vars, expected) in cases {
            let error = resolve_with(*flag, vars).expect_err("must be rejected");
            assert!(error.contains(expected), "{flag:?} {vars:?}: {error}");
        }
    }

    #[test]
    fn sampler_settings_are_accepted() {
        let vars = [
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://base.test:4318"),
            ("OTEL_TRACES_SAMPLER", "parentbased_traceidratio"),
            ("OTEL_TRACES_SAMPLER_ARG", "0.25"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
        ];
        assert!(url(resolve_with(None, &vars)).is_some());
    }

    #[test]
    fn ipv6_endpoint_is_accepted() {
        assert_eq!(
            url(resolve_with(Some("http://[::1]:4318"), &[])).as_deref(),
            Some("http://[::1]:4318/v1/traces")
        );
        assert!(url(resolve_with(Some("http://[::1]"), &[])).is_some());
    }

    #[test]
    fn failure_warning_once_a_minute() {
        let mut log = FailureLog::default();
        let start = Instant::now();
        assert_eq!(log.record(3, start), Some((1, 3)));
        assert_eq!(log.record(4, start + Duration::from_secs(10)), None);
        assert_eq!(log.record(5, start + Duration::from_secs(59)), None);
        assert_eq!(
            log.record(6, start + Duration::from_secs(60)),
            Some((3, 15))
        );
        assert_eq!(log.record(1, start + Duration::from_secs(61)), None);
    }
}
