//! `nexafi audit`: the tamper-evident audit trail's service, client and offline verifier.
//!
//! Exit status: 0 on success, 1 when a verification fails (the log, a proof or a bundle
//! does not match its signatures), 2 on a usage or tool error.

use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Args, Subcommand};
use nexafi_audit::bundle::{export, verify_bundle};
use nexafi_audit::client::{AuditClient, Method};
use nexafi_audit::event::fill_client_defaults;
use nexafi_audit::ledger::hash::{Hash, from_hex, leaf_hash, to_hex};
use nexafi_audit::ledger::note::{Checkpoint, NoteSigner, NoteVerifier};
use nexafi_audit::ledger::proof::{verify_consistency, verify_inclusion};
use nexafi_audit::metrics::Metrics;
use nexafi_audit::retention::RetentionPolicy;
use nexafi_audit::sequencer::{SequencerConfig, start};
use nexafi_audit::service::auth::{Scope, generate_token, hash_token};
use nexafi_audit::service::{App, ServiceConfig, TlsFiles, run as run_service};
use nexafi_audit::store::postgres::PostgresStore;
use nexafi_audit::store::sqlite::SqliteStore;
use nexafi_audit::store::{AuditStore, StoredToken};
use nexafi_audit::verify::{audit_remote, audit_store};
use serde_json::{Value, json};

use super::Error;
use crate::Outcome;

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Generate the log's Ed25519 signing key and print its public verifier key.
    Keygen {
        /// Log origin, also the key name: a schema-less URL such as audit.example.com/payments.
        #[arg(long)]
        origin: String,
        /// File to write the private key to (created with mode 0600; never overwritten).
        #[arg(long, default_value = "nexafi-audit.key")]
        key: PathBuf,
    },

    /// Create an API token and print it once; only its SHA-256 is stored.
    #[command(subcommand)]
    Token(TokenCommand),

    /// Run the HTTP service.
    Serve(ServeArgs),

    /// Append events (a JSON object, an array, or {"events": [...]}) from a file or stdin.
    Append {
        #[command(flatten)]
        remote: RemoteArgs,
        /// File with the event(s); `-` reads standard input.
        #[arg(default_value = "-")]
        input: PathBuf,
    },

    /// Full audit: re-derive the tree from every entry, check index continuity,
    /// signatures, stored tiles and consistency with the last trusted checkpoint.
    Verify(VerifyArgs),

    /// Fetch and check an inclusion proof (by event id or index) or a consistency proof.
    Proof(ProofArgs),

    /// Write a period bundle (checkpoints, consistency proof, tiles, entries, erasures).
    Export(ExportArgs),

    /// Erase one event's payload; the erasure is logged as an event (admin scope).
    Erase {
        #[command(flatten)]
        remote: RemoteArgs,
        /// Id of the event whose payload is erased.
        #[arg(long)]
        event_id: String,
        /// Reason for the erasure, recorded in the erasure event.
        #[arg(long)]
        reason: String,
    },

    /// Add, release or list legal holds, which keep payloads from being purged.
    #[command(subcommand)]
    Hold(HoldCommand),

    /// Erase payloads past their retention period unless held (admin scope).
    Purge {
        #[command(flatten)]
        remote: RemoteArgs,
        /// Maximum payloads to erase in this call.
        #[arg(long, default_value_t = 1000)]
        limit: u32,
    },

    /// Verify a bundle offline with only the log's public key.
    VerifyBundle {
        /// Bundle directory written by `nexafi audit export`.
        bundle: PathBuf,
        /// The log's verifier key (`name+id+key`) or a file holding it.
        #[arg(long)]
        log_key: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token with the given scopes, optionally bound to tenants.
    Create {
        #[command(flatten)]
        db: DbArgs,
        /// Name recorded with the token and in audit events it causes.
        #[arg(long)]
        name: String,
        /// Scopes: append, read, audit, admin (admin includes the others).
        #[arg(long, value_delimiter = ',', required = true)]
        scope: Vec<String>,
        /// Tenants whose events the token may append and read (comma-separated or
        /// repeated); without it the token reaches every tenant.
        #[arg(long, value_delimiter = ',')]
        tenant: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum HoldCommand {
    /// Hold the payloads of a tenant's events whose resource starts with a prefix.
    Add {
        #[command(flatten)]
        remote: RemoteArgs,
        #[arg(long)]
        tenant: String,
        /// Resource prefix; an empty prefix covers every event of the tenant.
        #[arg(long, default_value = "")]
        resource_prefix: String,
        /// Reason for the hold (case number, litigation), recorded in the hold event.
        #[arg(long)]
        reason: String,
    },
    /// Release a hold by id.
    Release {
        #[command(flatten)]
        remote: RemoteArgs,
        id: i64,
    },
    /// List active holds.
    List {
        #[command(flatten)]
        remote: RemoteArgs,
    },
}

#[derive(Debug, Args)]
pub struct DbArgs {
    /// Store: `sqlite:PATH` or `postgres:CONNECTION` (libpq string or URL; `sslmode` and
    /// `sslrootcert` as in libpq).
    #[arg(
        long,
        env = "NEXAFI_AUDIT_DB",
        default_value = "sqlite:nexafi-audit.db"
    )]
    pub db: String,
    /// PostgreSQL schema that contains the log.
    #[arg(long, default_value = "nexafi_audit")]
    pub schema: String,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Private key file; generated on first start when missing.
    #[arg(long, default_value = "nexafi-audit.key")]
    key: PathBuf,
    /// Origin for a key generated on first start.
    #[arg(long, default_value = "nexafi.local/audit")]
    origin: String,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Largest request body, in bytes.
    #[arg(long, default_value_t = 1024 * 1024)]
    max_body_bytes: usize,
    /// Largest event payload as canonical JSON, in bytes.
    #[arg(long, default_value_t = 64 * 1024)]
    max_payload_bytes: usize,
    /// Maximum append requests waiting in the queue; beyond it the API returns 429.
    #[arg(long, default_value_t = 8192)]
    queue_capacity: usize,
    /// Maximum events per committed batch.
    #[arg(long, default_value_t = 4096)]
    max_batch_events: usize,
    /// Serve HTTPS with this certificate chain (PEM); needs --tls-key.
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// Private key (PEM) for --tls-cert.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Payload retention for actions starting with PREFIX, as PREFIX=DAYS; repeatable.
    #[arg(long, value_name = "PREFIX=DAYS")]
    retention: Vec<String>,
    /// Payload retention of actions no --retention class matches, in days.
    #[arg(long, default_value_t = 2557)]
    retention_default_days: u32,
    /// Send OpenTelemetry traces over OTLP/HTTP to this collector base URL, such as
    /// http://127.0.0.1:4318 (`/v1/traces` is appended). Overrides
    /// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT and OTEL_EXPORTER_OTLP_ENDPOINT; without any of
    /// them no traces are sent.
    #[arg(long, value_name = "URL")]
    otlp_endpoint: Option<String>,
}

impl ServeArgs {
    /// The collector base URL given with --otlp-endpoint.
    pub fn otlp_endpoint(&self) -> Option<&str> {
        self.otlp_endpoint.as_deref()
    }
}

#[derive(Debug, Args)]
pub struct RemoteArgs {
    /// Service URL.
    #[arg(
        long,
        env = "NEXAFI_AUDIT_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    url: String,
    /// Bearer token (prefer the environment variable, so it stays out of shell history).
    #[arg(long, env = "NEXAFI_AUDIT_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// The log's verifier key or a file holding it; when given, proofs in responses are
    /// checked.
    #[arg(long)]
    log_key: Option<String>,
    /// CA certificates (PEM) trusted for an https:// URL in addition to Mozilla's roots.
    #[arg(long, env = "NEXAFI_AUDIT_CA_FILE", value_name = "PEM")]
    ca_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Audit a store directly (administrators).
    #[arg(long, conflicts_with = "url")]
    db: Option<String>,
    #[arg(long, default_value = "nexafi_audit")]
    schema: String,
    /// Audit through the service's API: entry bundles, tiles and payloads (needs a token
    /// with the audit and read scopes and no tenant list).
    #[arg(long)]
    url: Option<String>,
    #[arg(long, env = "NEXAFI_AUDIT_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// CA certificates (PEM) trusted for an https:// --url in addition to Mozilla's roots.
    #[arg(long, env = "NEXAFI_AUDIT_CA_FILE", value_name = "PEM")]
    ca_file: Option<PathBuf>,
    /// The log's verifier key or a file holding it.
    #[arg(long)]
    log_key: String,
    /// File with the last trusted checkpoint (size and root); updated after a passing
    /// audit, checked on the next.
    #[arg(long, default_value = "nexafi-audit.trusted")]
    state: PathBuf,
}

#[derive(Debug, Args)]
pub struct ProofArgs {
    #[command(flatten)]
    remote: RemoteArgs,
    /// Prove the event with this id.
    #[arg(long, conflicts_with_all = ["index", "from"])]
    event_id: Option<String>,
    /// Prove the entry at this index.
    #[arg(long, conflicts_with = "from")]
    index: Option<u64>,
    /// Prove that the log of this size is a prefix of the latest one.
    #[arg(long)]
    from: Option<u64>,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    db: DbArgs,
    /// The log's verifier key or a file holding it.
    #[arg(long)]
    log_key: String,
    /// Period start: 0 or a tree size with a stored checkpoint.
    #[arg(long, default_value_t = 0)]
    from: u64,
    /// Period end: a tree size with a stored checkpoint (default: the latest).
    #[arg(long)]
    to: Option<u64>,
    /// Directory to create.
    #[arg(long)]
    out: PathBuf,
}

fn fail(message: impl std::fmt::Display) -> Error {
    Error::Audit(message.to_string())
}

macro_rules! delegate {
    ($self:expr, $store:ident => $call:expr) => {
        match $self {
            AnyStoreRef::Sqlite($store) => $call,
            AnyStoreRef::Postgres($store) => $call,
        }
    };
}

/// Runs one audit command on a multi-threaded runtime.
pub fn run(command: AuditCommand) -> Result<Outcome, Error> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|error| fail(format!("cannot start the async runtime: {error}")))?;
    runtime.block_on(dispatch(command))
}

async fn dispatch(command: AuditCommand) -> Result<Outcome, Error> {
    match command {
        AuditCommand::Keygen { origin, key } => keygen(&origin, &key),
        AuditCommand::Token(TokenCommand::Create {
            db,
            name,
            scope,
            tenant,
        }) => {
            with_store(&db, |store| async move {
                create_token(store, &name, &scope, &tenant).await
            })
            .await
        }
        AuditCommand::Serve(args) => serve(args).await,
        AuditCommand::Append { remote, input } => append(&remote, &input).await,
        AuditCommand::Verify(args) => verify(args).await,
        AuditCommand::Proof(args) => proof(args).await,
        AuditCommand::Export(args) => {
            let key = read_log_key(&args.log_key)?;
            let (from, to, out) = (args.from, args.to, args.out.clone());
            with_store(&args.db, |store| async move {
                let to = match to {
                    Some(to) => to,
                    None => store
                        .latest_checkpoint()
                        .await
                        .map_err(fail)?
                        .map(|c| c.size)
                        .ok_or_else(|| fail("the log is empty; there is nothing to export"))?,
                };
                let report = delegate!(store.as_ref(), s => export(s, &key, from, to, &out).await)
                    .map_err(fail)?;
                println!(
                    "exported entries {}..{} ({} payloads, {} erased) to {}",
                    report.from_size,
                    report.to_size,
                    report.payloads_checked,
                    report.payloads_erased,
                    out.display()
                );
                Ok(Outcome::Success)
            })
            .await
        }
        AuditCommand::Erase {
            remote,
            event_id,
            reason,
        } => {
            let path = format!("/v1/events/{event_id}/erase");
            admin_call(
                &remote,
                Method::POST,
                &path,
                Some(json!({"reason": reason})),
            )
            .await
        }
        AuditCommand::Hold(HoldCommand::Add {
            remote,
            tenant,
            resource_prefix,
            reason,
        }) => {
            let body =
                json!({"tenant": tenant, "resource_prefix": resource_prefix, "reason": reason});
            admin_call(&remote, Method::POST, "/v1/holds", Some(body)).await
        }
        AuditCommand::Hold(HoldCommand::Release { remote, id }) => {
            admin_call(&remote, Method::DELETE, &format!("/v1/holds/{id}"), None).await
        }
        AuditCommand::Hold(HoldCommand::List { remote }) => {
            admin_call(&remote, Method::GET, "/v1/holds", None).await
        }
        AuditCommand::Purge { remote, limit } => {
            admin_call(
                &remote,
                Method::POST,
                "/v1/purge",
                Some(json!({"limit": limit})),
            )
            .await
        }
        AuditCommand::VerifyBundle { bundle, log_key } => {
            let key = read_log_key(&log_key)?;
            match verify_bundle(&bundle, &key) {
                Ok(report) => {
                    println!(
                        "bundle verified: {} entries {}..{} of {}, {} payloads checked, {} erased with a logged erasure",
                        report.entries,
                        report.from_size,
                        report.to_size,
                        report.origin,
                        report.payloads_checked,
                        report.payloads_erased
                    );
                    Ok(Outcome::Success)
                }
                Err(error) => {
                    eprintln!("verification failed: {error}");
                    Ok(Outcome::Findings)
                }
            }
        }
    }
}

/// Opens the store named by `--db` and runs `work` with it.
async fn with_store<F, Fut>(db: &DbArgs, work: F) -> Result<Outcome, Error>
where
    F: FnOnce(Arc<AnyStoreRef>) -> Fut,
    Fut: std::future::Future<Output = Result<Outcome, Error>>,
{
    let store = open_store(&db.db, &db.schema).await?;
    work(Arc::new(store)).await
}

/// Either store, for commands that do not need the generic service.
pub enum AnyStoreRef {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

async fn open_store(spec: &str, schema: &str) -> Result<AnyStoreRef, Error> {
    if let Some(path) = spec.strip_prefix("sqlite:") {
        SqliteStore::open(Path::new(path))
            .map(AnyStoreRef::Sqlite)
            .map_err(|error| fail(format!("cannot open SQLite store {path}: {error}")))
    } else if let Some(config) = spec.strip_prefix("postgres:") {
        PostgresStore::connect(config, schema)
            .await
            .map(AnyStoreRef::Postgres)
            .map_err(|error| {
                fail(format!(
                    "cannot open PostgreSQL store (schema {schema}): {error}"
                ))
            })
    } else {
        Err(Error::Usage(format!(
            "invalid --db `{spec}`: expected sqlite:PATH or postgres:CONNECTION"
        )))
    }
}

impl AnyStoreRef {
    async fn latest_checkpoint(
        &self,
    ) -> nexafi_audit::store::StoreResult<Option<nexafi_audit::store::StoredCheckpoint>> {
        delegate!(self, store => store.latest_checkpoint().await)
    }
}

fn keygen(origin: &str, path: &Path) -> Result<Outcome, Error> {
    let signer = NoteSigner::generate(origin).map_err(fail)?;
    write_private(path, &signer.to_text())?;
    println!("{}", signer.verifier().to_text());
    eprintln!(
        "private key written to {}; give the line above to auditors",
        path.display()
    );
    Ok(Outcome::Success)
}

fn write_private(path: &Path, text: &str) -> Result<(), Error> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|error| {
        fail(format!(
            "cannot create key file {}: {error}",
            path.display()
        ))
    })?;
    file.write_all(format!("{text}\n").as_bytes())
        .map_err(|error| fail(format!("cannot write key file {}: {error}", path.display())))
}

fn load_or_create_key(path: &Path, origin: &str) -> Result<NoteSigner, Error> {
    match std::fs::read_to_string(path) {
        Ok(text) => NoteSigner::parse(&text)
            .map_err(|error| fail(format!("invalid key file {}: {error}", path.display()))),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let signer = NoteSigner::generate(origin).map_err(fail)?;
            write_private(path, &signer.to_text())?;
            eprintln!("generated a new log key in {}", path.display());
            Ok(signer)
        }
        Err(error) => Err(fail(format!(
            "cannot read key file {}: {error}",
            path.display()
        ))),
    }
}

/// Reads a verifier key given inline or as a file path.
fn read_log_key(argument: &str) -> Result<NoteVerifier, Error> {
    let text = if Path::new(argument).is_file() {
        std::fs::read_to_string(argument)
            .map_err(|error| fail(format!("cannot read log key file {argument}: {error}")))?
    } else {
        argument.to_owned()
    };
    NoteVerifier::parse(text.trim())
        .map_err(|error| Error::Usage(format!("invalid --log-key: {error}")))
}

async fn create_token(
    store: Arc<AnyStoreRef>,
    name: &str,
    scopes: &[String],
    tenants: &[String],
) -> Result<Outcome, Error> {
    if tenants.iter().any(|tenant| tenant.trim().is_empty()) {
        return Err(Error::Usage(
            "--tenant contains an empty tenant name; give names such as --tenant acme,globex"
                .to_owned(),
        ));
    }
    for scope in scopes {
        if Scope::parse(scope).is_none() {
            return Err(Error::Usage(format!(
                "unknown scope `{scope}`: use append, read, audit or admin"
            )));
        }
    }
    let token = generate_token().map_err(fail)?;
    let stored = StoredToken {
        name: name.to_owned(),
        scopes: scopes.to_vec(),
        tenants: (!tenants.is_empty()).then(|| tenants.to_vec()),
    };
    let hash = hash_token(&token);
    delegate!(store.as_ref(), s => s.insert_token(&hash, &stored).await).map_err(fail)?;
    println!("{token}");
    let reach = if tenants.is_empty() {
        "every tenant".to_owned()
    } else {
        format!("tenants {}", tenants.join(","))
    };
    eprintln!(
        "token `{name}` created with scopes {} for {reach}; it is shown only once",
        scopes.join(",")
    );
    Ok(Outcome::Success)
}

async fn serve(args: ServeArgs) -> Result<Outcome, Error> {
    let signer = Arc::new(load_or_create_key(&args.key, &args.origin)?);
    eprintln!("log key: {}", signer.verifier().to_text());
    let mut retention = RetentionPolicy {
        default_days: args.retention_default_days,
        classes: Vec::new(),
    };
    for class in &args.retention {
        retention
            .classes
            .push(RetentionPolicy::parse_class(class).map_err(Error::Usage)?);
    }
    let config = ServiceConfig {
        max_body_bytes: args.max_body_bytes,
        max_payload_bytes: args.max_payload_bytes,
        max_batch_events: 1000,
        max_query_rows: 1000,
        retention,
    };
    let sequencer = SequencerConfig {
        queue_capacity: args.queue_capacity,
        max_batch_events: args.max_batch_events,
    };
    let tls = match (args.tls_cert, args.tls_key) {
        (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
        _ => None,
    };
    let metrics = Arc::new(Metrics::new());
    match open_store(&args.db.db, &args.db.schema).await? {
        AnyStoreRef::Sqlite(store) => {
            let store = Arc::new(store);
            serve_with(store, signer, metrics, config, sequencer, args.listen, tls).await
        }
        AnyStoreRef::Postgres(store) => {
            // Queries stay exact without the indexer, but decode more leaves the further
            // it falls behind.
            let indexer = store
                .start_indexer(Arc::clone(&metrics))
                .await
                .map_err(|error| fail(format!("cannot start the query indexer: {error}")))?;
            let store = Arc::new(store);
            let outcome =
                serve_with(store, signer, metrics, config, sequencer, args.listen, tls).await;
            indexer.stop().await;
            outcome
        }
    }
}

async fn serve_with<S: AuditStore>(
    store: Arc<S>,
    signer: Arc<NoteSigner>,
    metrics: Arc<Metrics>,
    config: ServiceConfig,
    sequencer: SequencerConfig,
    listen: SocketAddr,
    tls: Option<TlsFiles>,
) -> Result<Outcome, Error> {
    let (handle, task) = start(
        Arc::clone(&store),
        Arc::clone(&signer),
        sequencer,
        Arc::clone(&metrics),
    )
    .await
    .map_err(|error| fail(format!("cannot start the sequencer: {error}")))?;
    let app = Arc::new(App::new(store, handle, signer, metrics, config));
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|error| fail(format!("cannot listen on {listen}: {error}")))?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    eprintln!(
        "listening on {scheme}://{}",
        listener.local_addr().map_err(Error::Io)?
    );
    run_service(listener, app, task, tls, shutdown_signal())
        .await
        .map_err(|error| fail(format!("the service failed: {error}")))?;
    Ok(Outcome::Success)
}

/// Completes on Ctrl-C or SIGTERM.
pub(crate) async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let terminate = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut signal) => {
                    signal.recv().await;
                }
                Err(error) => {
                    tracing::error!(%error, "cannot listen for SIGTERM");
                    std::future::pending::<()>().await;
                }
            }
        };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}

fn read_input(input: &Path) -> Result<Value, Error> {
    let mut text = String::new();
    if input == Path::new("-") {
        std::io::stdin().read_to_string(&mut text)?;
    } else {
        text = std::fs::read_to_string(input)
            .map_err(|error| fail(format!("cannot read {}: {error}", input.display())))?;
    }
    serde_json::from_str(&text).map_err(|error| {
        Error::Usage(format!(
            "{} is not valid JSON: {error}",
            if input == Path::new("-") {
                "standard input".to_owned()
            } else {
                input.display().to_string()
            }
        ))
    })
}

fn client(remote: &RemoteArgs) -> Result<AuditClient, Error> {
    AuditClient::builder(&remote.url)
        .token(remote.token.clone())
        .ca_file(remote.ca_file.clone())
        .build()
        .map_err(|error| Error::Usage(error.to_string()))
}

fn decode_hashes(value: &Value) -> Option<Vec<Hash>> {
    use base64::Engine;
    value
        .as_array()?
        .iter()
        .map(|item| {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(item.as_str()?)
                .ok()?;
            <Hash>::try_from(bytes).ok()
        })
        .collect()
}

/// Checks an acknowledgement's inclusion proof against its signed checkpoint.
fn check_ack(ack: &Value, key: &NoteVerifier) -> Result<(), String> {
    let note = ack["checkpoint"]
        .as_str()
        .ok_or("the answer has no checkpoint")?;
    let checkpoint = Checkpoint::open(note, key).map_err(|error| error.to_string())?;
    let leaf = ack["leaf"].as_str().ok_or("the answer has no leaf")?;
    let index = ack["index"].as_u64().ok_or("the answer has no index")?;
    let proof = decode_hashes(&ack["inclusion_proof"]).ok_or("the inclusion proof is malformed")?;
    verify_inclusion(
        index,
        checkpoint.size,
        &leaf_hash(leaf.as_bytes()),
        &proof,
        &checkpoint.root,
    )
    .map_err(|error| error.to_string())
}

async fn append(remote: &RemoteArgs, input: &Path) -> Result<Outcome, Error> {
    let mut value = read_input(input)?;
    let events: Vec<Value> = match value.take() {
        Value::Array(items) => items,
        Value::Object(mut object) if object.contains_key("events") => match object.remove("events")
        {
            Some(Value::Array(items)) => items,
            _ => return Err(Error::Usage("`events` must be an array".to_owned())),
        },
        other => vec![other],
    };
    let mut events = events;
    for event in &mut events {
        fill_client_defaults(event);
    }
    let key = remote.log_key.as_deref().map(read_log_key).transpose()?;
    let client = client(remote)?;
    let answer = client
        .json(
            Method::POST,
            "/v1/events/batch",
            Some(&json!({"events": events})),
        )
        .await
        .map_err(fail)?;
    if let Some(key) = &key {
        for ack in answer["acks"].as_array().into_iter().flatten() {
            check_ack(ack, key).map_err(|error| {
                fail(format!(
                    "the service's acknowledgement does not verify: {error}"
                ))
            })?;
        }
    }
    println!("{}", serde_json::to_string_pretty(&answer)?);
    Ok(Outcome::Success)
}

/// Sends one administration request and prints the JSON response.
async fn admin_call(
    remote: &RemoteArgs,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Result<Outcome, Error> {
    let answer = client(remote)?
        .json(method, path, body.as_ref())
        .await
        .map_err(fail)?;
    println!("{}", serde_json::to_string_pretty(&answer)?);
    Ok(Outcome::Success)
}

/// Reads the trusted state file, `<size> <hex root>`.
fn read_trusted(path: &Path) -> Result<Option<(u64, Hash)>, Error> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(fail(format!("cannot read {}: {error}", path.display()))),
    };
    let mut parts = text.split_whitespace();
    let size = parts.next().and_then(|s| s.parse().ok());
    let root = parts.next().and_then(from_hex);
    match (size, root) {
        (Some(size), Some(root)) => Ok(Some((size, root))),
        _ => Err(fail(format!(
            "{} is not a trusted checkpoint file (`<size> <hex root>`); delete it to start over",
            path.display()
        ))),
    }
}

async fn verify(args: VerifyArgs) -> Result<Outcome, Error> {
    let key = read_log_key(&args.log_key)?;
    let trusted = read_trusted(&args.state)?;
    let result = match (&args.db, &args.url) {
        (Some(db), _) => match open_store(db, &args.schema).await? {
            AnyStoreRef::Sqlite(store) => audit_store(&store, &key, trusted).await.map(|r| r.0),
            AnyStoreRef::Postgres(store) => audit_store(&store, &key, trusted).await.map(|r| r.0),
        },
        (None, Some(url)) => {
            let client = AuditClient::builder(url)
                .token(args.token.clone())
                .ca_file(args.ca_file.clone())
                .build()
                .map_err(|error| Error::Usage(error.to_string()))?;
            audit_remote(&client, &key, trusted).await.map_err(fail)?
        }
        (None, None) => return Err(Error::Usage("give --db or --url".to_owned())),
    };
    match result {
        Ok(report) => {
            std::fs::write(
                &args.state,
                format!("{} {}\n", report.size, to_hex(&report.root)),
            )
            .map_err(|error| fail(format!("cannot write {}: {error}", args.state.display())))?;
            println!(
                "verified {} entries of {}: root {}, {} payloads checked, {} erased",
                report.size,
                key.name,
                to_hex(&report.root),
                report.payloads_checked,
                report.payloads_erased
            );
            if let Some((size, _)) = trusted {
                println!("consistent with the trusted checkpoint of size {size}");
            }
            Ok(Outcome::Success)
        }
        Err(failure) => {
            eprintln!("verification failed: {failure}");
            Ok(Outcome::Findings)
        }
    }
}

async fn proof(args: ProofArgs) -> Result<Outcome, Error> {
    let client = client(&args.remote)?;
    let key = args
        .remote
        .log_key
        .as_deref()
        .map(read_log_key)
        .transpose()?
        .ok_or_else(|| Error::Usage("--log-key is required to check a proof".to_owned()))?;
    let latest = client
        .json(Method::GET, "/v1/checkpoint", None)
        .await
        .map_err(fail)?;
    let note = latest["checkpoint"]
        .as_str()
        .ok_or_else(|| fail("the service returned no checkpoint"))?;
    let checkpoint = match Checkpoint::open(note, &key) {
        Ok(checkpoint) => checkpoint,
        Err(error) => {
            eprintln!("verification failed: the latest checkpoint does not verify: {error}");
            return Ok(Outcome::Findings);
        }
    };
    if let Some(from) = args.from {
        let path = format!("/v1/proof/consistency?from={from}&to={}", checkpoint.size);
        let answer = client.json(Method::GET, &path, None).await.map_err(fail)?;
        let proof = decode_hashes(&answer["consistency_proof"])
            .ok_or_else(|| fail("malformed consistency proof"))?;
        let old_root = answer["from_root"]
            .as_str()
            .and_then(|text| {
                use base64::Engine;
                base64::engine::general_purpose::STANDARD.decode(text).ok()
            })
            .and_then(|bytes| <Hash>::try_from(bytes).ok())
            .ok_or_else(|| fail("malformed from_root"))?;
        return match verify_consistency(from, checkpoint.size, &old_root, &checkpoint.root, &proof)
        {
            Ok(()) => {
                println!(
                    "the log of size {from} (root {}) is a prefix of size {}",
                    to_hex(&old_root),
                    checkpoint.size
                );
                Ok(Outcome::Success)
            }
            Err(error) => {
                eprintln!("verification failed: consistency proof from {from}: {error}");
                Ok(Outcome::Findings)
            }
        };
    }
    let answer = match (&args.event_id, args.index) {
        (Some(id), _) => {
            let mut event = client
                .json(Method::GET, &format!("/v1/events/{id}"), None)
                .await
                .map_err(fail)?;
            event["checkpoint"] = json!(note);
            event
        }
        (None, Some(index)) => {
            let path = format!("/v1/proof/inclusion?index={index}&size={}", checkpoint.size);
            let mut answer = client.json(Method::GET, &path, None).await.map_err(fail)?;
            answer["checkpoint"] = json!(note);
            answer
        }
        (None, None) => {
            return Err(Error::Usage(
                "give --event-id, --index or --from".to_owned(),
            ));
        }
    };
    match check_ack(&answer, &key) {
        Ok(()) => {
            println!(
                "entry {} is in the log of size {} (root {})",
                answer["index"],
                checkpoint.size,
                to_hex(&checkpoint.root)
            );
            Ok(Outcome::Success)
        }
        Err(error) => {
            eprintln!("verification failed: {error}");
            Ok(Outcome::Findings)
        }
    }
}
