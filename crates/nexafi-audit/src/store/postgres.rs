//! PostgreSQL store: the production store. Batches go in with binary COPY inside one
//! transaction, committed with the server's `synchronous_commit` (on by default), so an
//! acknowledged event is on disk.
//!
//! Built on tokio-postgres rather than sqlx because its typed binary COPY writer is the
//! fastest way to load a batch, and the hot path is one COPY per table per batch.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures_util::pin_mut;
use tokio::sync::Mutex;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::Type;
use tokio_postgres::{Client, Row};
use tokio_postgres_rustls::MakeRustlsConnect;
use uuid::Uuid;

use super::postgres_tls::{SslMode, TlsSettings, split_tls_settings};
use super::{
    AuditStore, CommitBatch, EventColumns, EventQuery, LegalHold, StoreError, StoreResult,
    StoredCheckpoint, StoredEvent, StoredPayload, StoredToken, schema, state_from_partials,
};
use crate::ledger::hash::Hash;
use crate::ledger::tiles::{TileSet, TreeState, decode_tile, encode_tile};

/// Number of read connections, so reads do not wait behind the writer's transaction.
const READERS: usize = 2;

/// A PostgreSQL schema holding one log.
#[derive(Clone)]
pub struct PostgresStore {
    writer: Arc<Mutex<Client>>,
    readers: Arc<Vec<Client>>,
    next_reader: Arc<AtomicUsize>,
    schema: String,
}

impl PostgresStore {
    /// Connects, creates `schema` when missing and applies pending migrations.
    ///
    /// `config` is a libpq-style connection string or URL, for example
    /// `host=127.0.0.1 user=postgres dbname=test` or
    /// `postgres://app@db:5432/audit?sslmode=verify-full&sslrootcert=/etc/rds-ca.pem`;
    /// `sslmode` and `sslrootcert` have libpq's meanings (see [`super::postgres_tls`]).
    pub async fn connect(config: &str, schema_name: &str) -> StoreResult<PostgresStore> {
        if schema_name.is_empty()
            || !schema_name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(StoreError::db(
                "checking the schema name",
                format!("`{schema_name}` must be lowercase letters, digits and _"),
            ));
        }
        let target = Target::parse(config)?;
        let writer = open_client(&target, schema_name, true).await?;
        migrate(&writer).await?;
        let mut readers = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            readers.push(open_client(&target, schema_name, false).await?);
        }
        Ok(PostgresStore {
            writer: Arc::new(Mutex::new(writer)),
            readers: Arc::new(readers),
            next_reader: Arc::new(AtomicUsize::new(0)),
            schema: schema_name.to_owned(),
        })
    }

    pub fn schema(&self) -> &str {
        &self.schema
    }

    fn reader(&self) -> &Client {
        let slot = self.next_reader.fetch_add(1, Ordering::Relaxed) % self.readers.len();
        &self.readers[slot]
    }

    /// Runs a statement on the writer connection, for tests and administration.
    pub async fn execute_raw(&self, sql: &str) -> StoreResult<()> {
        let client = self.writer.lock().await;
        client
            .batch_execute(sql)
            .await
            .map_err(|error| db_error("running a statement", error))
    }
}

/// A parsed connection string and the TLS connector its settings call for.
struct Target {
    config: tokio_postgres::Config,
    tls: TlsSettings,
    connector: MakeRustlsConnect,
}

impl Target {
    fn parse(text: &str) -> StoreResult<Target> {
        let (rest, tls) = split_tls_settings(text)?;
        let mut config: tokio_postgres::Config = rest
            .parse()
            .map_err(|error| StoreError::Setting(format!("{error}")))?;
        config.ssl_mode(tls.driver_mode());
        let connector = MakeRustlsConnect::new(tls.client_config()?);
        Ok(Target {
            config,
            tls,
            connector,
        })
    }
}

async fn open_client(target: &Target, schema_name: &str, create: bool) -> StoreResult<Client> {
    let (client, connection) = target
        .config
        .connect(target.connector.clone())
        .await
        .map_err(|error| connect_error(&target.tls, &error))?;
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::error!(%error, "PostgreSQL connection closed with an error");
        }
    });
    let mut setup = String::new();
    if create {
        setup.push_str(&format!("CREATE SCHEMA IF NOT EXISTS {schema_name};"));
    }
    setup.push_str(&format!("SET search_path TO {schema_name};"));
    client
        .batch_execute(&setup)
        .await
        .map_err(|error| db_error("selecting the schema", error))?;
    Ok(client)
}

async fn migrate(client: &Client) -> StoreResult<()> {
    let fail = |error| db_error("applying migrations", error);
    client
        .batch_execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)")
        .await
        .map_err(fail)?;
    let applied: i64 = client
        .query_one("SELECT COUNT(*) FROM schema_migrations", &[])
        .await
        .map_err(fail)?
        .get(0);
    for (version, sql) in schema::POSTGRES.iter().enumerate().skip(applied as usize) {
        let script = format!(
            "BEGIN; {sql}; INSERT INTO schema_migrations (version) VALUES ({}); COMMIT;",
            version + 1
        );
        client.batch_execute(&script).await.map_err(fail)?;
    }
    Ok(())
}

/// Describes a driver error with the server's message, which the driver's own Display
/// leaves out.
fn describe(error: &tokio_postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => format!("{}: {}", db.severity(), db.message()),
        None => match std::error::Error::source(error) {
            Some(cause) => format!("{error}: {cause}"),
            None => error.to_string(),
        },
    }
}

/// Describes a failed connection, with the setting to change when TLS is the cause.
fn connect_error(tls: &TlsSettings, error: &tokio_postgres::Error) -> StoreError {
    let mut message = describe(error);
    let mode = tls.mode.as_str();
    if let Some(cause) = crate::tls::rustls_cause(error) {
        match crate::tls::certificate_problem(cause) {
            (true, _) => message.push_str(&format!(
                " (sslmode={mode}: the server certificate does not chain to a trusted root; \
                 set sslrootcert to the CA bundle that issued it)"
            )),
            (_, true) => message.push_str(&format!(
                " (sslmode={mode}: the server certificate is not valid for the host name; \
                 connect with a name the certificate lists, or use sslmode=verify-ca)"
            )),
            _ => {}
        }
    } else if tls.mode == SslMode::Disable && message.contains("no encryption") {
        message.push_str(
            " (sslmode=disable, but the server accepts only TLS connections; \
             set sslmode=verify-full and sslrootcert in the connection string)",
        );
    } else if message.contains("server does not support TLS") {
        message.push_str(&format!(
            " (sslmode={mode} needs TLS; turn on ssl in the server or use sslmode=prefer)"
        ));
    }
    StoreError::db("connecting to PostgreSQL", message)
}

fn db_error(operation: &'static str, error: tokio_postgres::Error) -> StoreError {
    StoreError::db(operation, describe(&error))
}

const EVENT_COLUMNS: &str = "e.idx, e.event_id, e.tenant, e.event_time_us, e.recorded_time_us, \
     e.actor, e.action, e.resource, e.outcome, e.amount, e.currency, e.leaf, p.salt, p.payload";

fn read_event(row: &Row) -> StoredEvent {
    let salt: Option<Vec<u8>> = row.get(12);
    let payload: Option<String> = row.get(13);
    StoredEvent {
        index: row.get::<_, i64>(0) as u64,
        leaf: row.get(11),
        columns: EventColumns {
            event_id: row.get(1),
            tenant: row.get(2),
            event_time_us: row.get(3),
            recorded_time_us: row.get(4),
            actor: row.get(5),
            action: row.get(6),
            resource: row.get(7),
            outcome: row.get(8),
            amount: row.get(9),
            currency: row.get(10),
        },
        payload: match (salt, payload) {
            (Some(salt), Some(payload)) => Some(StoredPayload { salt, payload }),
            _ => None,
        },
    }
}

fn to_checkpoint(row: Option<Row>) -> StoreResult<Option<StoredCheckpoint>> {
    row.map(|row| {
        let size: i64 = row.get(0);
        let root: Vec<u8> = row.get(1);
        let root: Hash = root
            .try_into()
            .map_err(|_| StoreError::Corrupt(format!("checkpoint {size} has a bad root")))?;
        Ok(StoredCheckpoint {
            size: size as u64,
            root,
            note: row.get(2),
        })
    })
    .transpose()
}

impl PostgresStore {
    async fn write_batch(&self, batch: &CommitBatch) -> Result<(), tokio_postgres::Error> {
        let mut client = self.writer.lock().await;
        let transaction = client.transaction().await?;

        let sink = transaction
            .copy_in(
                "COPY events (idx, event_id, tenant, event_time_us, recorded_time_us, actor, \
                 action, resource, outcome, amount, currency, leaf) FROM STDIN BINARY",
            )
            .await?;
        let writer = BinaryCopyInWriter::new(
            sink,
            &[
                Type::INT8,
                Type::UUID,
                Type::TEXT,
                Type::INT8,
                Type::INT8,
                Type::TEXT,
                Type::TEXT,
                Type::TEXT,
                Type::TEXT,
                Type::TEXT,
                Type::TEXT,
                Type::BYTEA,
            ],
        );
        pin_mut!(writer);
        for (offset, event) in batch.events.iter().enumerate() {
            let index = (batch.first_index + offset as u64) as i64;
            // Sealed events carry times produced by this process, so they always parse.
            let Some(columns) = EventColumns::from_envelope(&event.envelope) else {
                continue;
            };
            writer
                .as_mut()
                .write(&[
                    &index,
                    &columns.event_id,
                    &columns.tenant,
                    &columns.event_time_us,
                    &columns.recorded_time_us,
                    &columns.actor,
                    &columns.action,
                    &columns.resource,
                    &columns.outcome,
                    &columns.amount,
                    &columns.currency,
                    &event.leaf,
                ])
                .await?;
        }
        writer.finish().await?;

        let sink = transaction
            .copy_in("COPY payloads (idx, salt, payload) FROM STDIN BINARY")
            .await?;
        let writer = BinaryCopyInWriter::new(sink, &[Type::INT8, Type::BYTEA, Type::TEXT]);
        pin_mut!(writer);
        for (offset, event) in batch.events.iter().enumerate() {
            let index = (batch.first_index + offset as u64) as i64;
            let salt: &[u8] = &event.salt;
            writer
                .as_mut()
                .write(&[&index, &salt, &event.payload])
                .await?;
        }
        writer.finish().await?;

        for tile in &batch.tiles {
            let bytes = encode_tile(&tile.hashes);
            let level = i16::from(tile.level);
            let index = tile.index as i64;
            if tile.is_full() {
                transaction
                    .execute(
                        "INSERT INTO tiles (level, idx, hashes) VALUES ($1, $2, $3)",
                        &[&level, &index, &bytes],
                    )
                    .await?;
            } else {
                transaction
                    .execute(
                        "INSERT INTO partial_tiles (level, idx, hashes) VALUES ($1, $2, $3) \
                         ON CONFLICT (level) DO UPDATE SET idx = excluded.idx, hashes = excluded.hashes",
                        &[&level, &index, &bytes],
                    )
                    .await?;
            }
        }
        if !batch.erase_payloads.is_empty() {
            let indexes: Vec<i64> = batch.erase_payloads.iter().map(|i| *i as i64).collect();
            transaction
                .execute("DELETE FROM payloads WHERE idx = ANY($1)", &[&indexes])
                .await?;
        }
        let size = batch.checkpoint.size as i64;
        let root: &[u8] = &batch.checkpoint.root;
        transaction
            .execute(
                "INSERT INTO checkpoints (size, root, note) VALUES ($1, $2, $3)",
                &[&size, &root, &batch.checkpoint.note],
            )
            .await?;
        transaction.commit().await
    }

    async fn select_events(
        &self,
        operation: &'static str,
        condition: &str,
        values: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> StoreResult<Vec<StoredEvent>> {
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events e LEFT JOIN payloads p ON p.idx = e.idx WHERE {condition}"
        );
        let rows = self
            .reader()
            .query(&sql, values)
            .await
            .map_err(|error| db_error(operation, error))?;
        Ok(rows.iter().map(read_event).collect())
    }
}

impl AuditStore for PostgresStore {
    const KIND: &'static str = "postgresql";

    async fn load(&self) -> StoreResult<(TreeState, Option<StoredCheckpoint>)> {
        let client = self.writer.lock().await;
        let fail = |error| db_error("loading the tree state", error);
        let checkpoint = client
            .query_opt(
                "SELECT size, root, note FROM checkpoints ORDER BY size DESC LIMIT 1",
                &[],
            )
            .await
            .map_err(fail)?;
        let checkpoint = to_checkpoint(checkpoint)?;
        let rows = client
            .query(
                "SELECT level, idx, hashes FROM partial_tiles ORDER BY level",
                &[],
            )
            .await
            .map_err(fail)?;
        let partials = rows
            .iter()
            .map(|row| {
                (
                    row.get::<_, i16>(0) as u8,
                    row.get::<_, i64>(1) as u64,
                    row.get::<_, Vec<u8>>(2),
                )
            })
            .collect();
        let size = checkpoint.as_ref().map_or(0, |c| c.size);
        Ok((state_from_partials(size, partials)?, checkpoint))
    }

    async fn commit(&self, batch: &CommitBatch) -> StoreResult<()> {
        self.write_batch(batch)
            .await
            .map_err(|error| db_error("committing a batch", error))
    }

    async fn events_by_ids(&self, ids: &[Uuid]) -> StoreResult<Vec<StoredEvent>> {
        let ids = ids.to_vec();
        self.select_events("looking up event ids", "e.event_id = ANY($1)", &[&ids])
            .await
    }

    async fn event_by_index(&self, index: u64) -> StoreResult<Option<StoredEvent>> {
        let index = index as i64;
        Ok(self
            .select_events("reading an event", "e.idx = $1", &[&index])
            .await?
            .pop())
    }

    async fn query(&self, query: &EventQuery) -> StoreResult<Vec<StoredEvent>> {
        let after = query.after_index.map(|i| i as i64);
        let limit = i64::from(query.limit);
        self.select_events(
            "querying events",
            "($1::text IS NULL OR e.tenant = $1) AND ($2::text IS NULL OR e.actor = $2) \
             AND ($3::text IS NULL OR e.resource = $3) AND ($4::text IS NULL OR e.action = $4) \
             AND ($5::int8 IS NULL OR e.event_time_us >= $5) AND ($6::int8 IS NULL OR e.event_time_us < $6) \
             AND ($7::int8 IS NULL OR e.idx > $7) AND ($9::text[] IS NULL OR e.tenant = ANY($9)) \
             ORDER BY e.idx LIMIT $8",
            &[
                &query.tenant,
                &query.actor,
                &query.resource,
                &query.action,
                &query.from_us,
                &query.to_us,
                &after,
                &limit,
                &query.tenants,
            ],
        )
        .await
    }

    async fn entries(&self, start: u64, end: u64) -> StoreResult<Vec<StoredEvent>> {
        let (start, end) = (start as i64, end as i64);
        self.select_events(
            "reading entries",
            "e.idx >= $1 AND e.idx < $2 ORDER BY e.idx",
            &[&start, &end],
        )
        .await
    }

    async fn tiles(&self, wanted: &[(u8, u64)]) -> StoreResult<TileSet> {
        let levels: Vec<i16> = wanted.iter().map(|(level, _)| i16::from(*level)).collect();
        let indexes: Vec<i64> = wanted.iter().map(|(_, index)| *index as i64).collect();
        let rows = self
            .reader()
            .query(
                "SELECT w.level, w.idx, COALESCE(t.hashes, p.hashes) \
                 FROM unnest($1::int2[], $2::int8[]) AS w(level, idx) \
                 LEFT JOIN tiles t ON t.level = w.level AND t.idx = w.idx \
                 LEFT JOIN partial_tiles p ON p.level = w.level AND p.idx = w.idx",
                &[&levels, &indexes],
            )
            .await
            .map_err(|error| db_error("reading tiles", error))?;
        let mut tiles = TileSet::default();
        for row in rows {
            let level = row.get::<_, i16>(0) as u8;
            let index = row.get::<_, i64>(1) as u64;
            let Some(bytes) = row.get::<_, Option<Vec<u8>>>(2) else {
                continue;
            };
            let hashes = decode_tile(&bytes).ok_or_else(|| {
                StoreError::Corrupt(format!("tile {level}/{index} has a bad length"))
            })?;
            tiles.insert(level, index, hashes);
        }
        Ok(tiles)
    }

    async fn latest_checkpoint(&self) -> StoreResult<Option<StoredCheckpoint>> {
        let row = self
            .reader()
            .query_opt(
                "SELECT size, root, note FROM checkpoints ORDER BY size DESC LIMIT 1",
                &[],
            )
            .await
            .map_err(|error| db_error("reading the latest checkpoint", error))?;
        to_checkpoint(row)
    }

    async fn checkpoint_at(&self, size: u64) -> StoreResult<Option<StoredCheckpoint>> {
        let size = size as i64;
        let row = self
            .reader()
            .query_opt(
                "SELECT size, root, note FROM checkpoints WHERE size = $1",
                &[&size],
            )
            .await
            .map_err(|error| db_error("reading a checkpoint", error))?;
        to_checkpoint(row)
    }

    async fn insert_token(&self, secret_hash: &Hash, token: &StoredToken) -> StoreResult<()> {
        let hash: &[u8] = secret_hash;
        self.writer
            .lock()
            .await
            .execute(
                "INSERT INTO tokens (secret_sha256, name, scopes, tenants) VALUES ($1, $2, $3, $4)",
                &[
                    &hash,
                    &token.name,
                    &token.scopes.join(","),
                    &token.tenants_column(),
                ],
            )
            .await
            .map_err(|error| db_error("storing a token", error))?;
        Ok(())
    }

    async fn find_token(&self, secret_hash: &Hash) -> StoreResult<Option<StoredToken>> {
        let hash: &[u8] = secret_hash;
        let row = self
            .reader()
            .query_opt(
                "SELECT name, scopes, tenants FROM tokens WHERE secret_sha256 = $1",
                &[&hash],
            )
            .await
            .map_err(|error| db_error("looking up a token", error))?;
        row.map(|row| {
            let tenants = StoredToken::parse_tenants(row.get::<_, Option<&str>>(2))
                .map_err(StoreError::Corrupt)?;
            Ok(StoredToken {
                name: row.get(0),
                scopes: row
                    .get::<_, String>(1)
                    .split(',')
                    .map(str::to_owned)
                    .collect(),
                tenants,
            })
        })
        .transpose()
    }

    async fn add_hold(
        &self,
        tenant: &str,
        resource_prefix: &str,
        reason: &str,
    ) -> StoreResult<i64> {
        let row = self
            .writer
            .lock()
            .await
            .query_one(
                "INSERT INTO legal_holds (tenant, resource_prefix, reason) VALUES ($1, $2, $3) RETURNING id",
                &[&tenant, &resource_prefix, &reason],
            )
            .await
            .map_err(|error| db_error("adding a legal hold", error))?;
        Ok(row.get(0))
    }

    async fn release_hold(&self, id: i64) -> StoreResult<bool> {
        let changed = self
            .writer
            .lock()
            .await
            .execute(
                "UPDATE legal_holds SET released = TRUE WHERE id = $1 AND NOT released",
                &[&id],
            )
            .await
            .map_err(|error| db_error("releasing a legal hold", error))?;
        Ok(changed == 1)
    }

    async fn active_holds(&self) -> StoreResult<Vec<LegalHold>> {
        let rows = self
            .reader()
            .query(
                "SELECT id, tenant, resource_prefix, reason FROM legal_holds WHERE NOT released ORDER BY id",
                &[],
            )
            .await
            .map_err(|error| db_error("reading legal holds", error))?;
        Ok(rows
            .iter()
            .map(|row| LegalHold {
                id: row.get(0),
                tenant: row.get(1),
                resource_prefix: row.get(2),
                reason: row.get(3),
            })
            .collect())
    }

    async fn payloads_recorded_before(
        &self,
        before_us: i64,
        limit: u32,
    ) -> StoreResult<Vec<StoredEvent>> {
        let limit = i64::from(limit);
        self.select_events(
            "finding expired payloads",
            "p.idx IS NOT NULL AND e.recorded_time_us < $1 ORDER BY e.idx LIMIT $2",
            &[&before_us, &limit],
        )
        .await
    }
}
