//! PostgreSQL store: the production store. A batch goes in as one transaction,
//! committed with the server's `synchronous_commit` (on by default), so an acknowledged
//! event is on disk.
//!
//! The commit writes leaves and payloads in chunks (`leaf_chunks`, `payload_chunks`)
//! and the event id lookup (`event_ids`). The query columns go into `event_index` later, from the indexer
//! task in [`super::postgres_indexer`]. Reads stay exact while the indexer lags: rows at
//! or past `index_watermark.next_idx` are decoded from their leaves.
//!
//! Built on tokio-postgres rather than sqlx because it pipelines requests on one
//! connection, so all statements of a batch go out together (see `write_batch`).

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::{Mutex, Notify};
use tokio_postgres::{Client, Row, Statement};
use tokio_postgres_rustls::MakeRustlsConnect;
use uuid::Uuid;

use super::postgres_tls::{SslMode, TlsSettings, split_tls_settings};
use super::{
    AuditStore, CommitBatch, EventColumns, EventQuery, LegalHold, StoreError, StoreResult,
    StoredCheckpoint, StoredEvent, StoredPayload, StoredToken, schema, state_from_partials,
};
use crate::event::Envelope;
use crate::ledger::hash::Hash;
use crate::ledger::tiles::{TileSet, TreeState, decode_tile, encode_tile};

/// Number of read connections, so reads do not wait behind the writer's transaction.
const READERS: usize = 2;

/// Leaves per chunk block: a `leaf_chunks` row never contains indexes of two blocks.
pub(crate) const CHUNK_BLOCK: u64 = 256;

/// Chunks read per query while decoding the unindexed tail.
const TAIL_CHUNKS: i64 = 64;

/// The writer's statements, prepared once on its connection.
struct WriteStatements {
    /// A leaf chunk and its payload chunk.
    chunk: Statement,
    event_ids: Statement,
    /// Full tiles, partial tiles, erased payloads and the checkpoint in one statement.
    finish: Statement,
}

impl WriteStatements {
    async fn prepare(client: &Client) -> StoreResult<WriteStatements> {
        // The statements take whole batches as array parameters, so a plan made for one
        // batch fits the next. Without this setting the server may plan each execution
        // again, which took about a sixth of the writer's time in the benchmark.
        client
            .batch_execute("SET plan_cache_mode = force_generic_plan")
            .await
            .map_err(|error| db_error("preparing the write statements", error))?;
        let prepare = |sql: String| async move {
            client
                .prepare(&sql)
                .await
                .map_err(|error| db_error("preparing the write statements", error))
        };
        Ok(WriteStatements {
            chunk: prepare(
                "WITH leaves AS (INSERT INTO leaf_chunks (first_idx, leaves) VALUES ($1, $2)) \
                 INSERT INTO payload_chunks (first_idx, live, salts, payloads) \
                 VALUES ($1, cardinality($4::text[]), $3, $4)"
                    .to_owned(),
            )
            .await?,
            event_ids: prepare(
                "INSERT INTO event_ids (event_id, idx) SELECT * FROM unnest($1::uuid[], $2::int8[])"
                    .to_owned(),
            )
            .await?,
            // An erased payload becomes NULL in its chunk, salt included. Each erased index
            // is looked up in its chunk as reads do, and the chunk's `live` count drops by
            // the payloads that were still there.
            finish: prepare(format!(
                "WITH full_tiles AS ( \
                     INSERT INTO tiles (level, idx, hashes) \
                     SELECT * FROM unnest($1::int2[], $2::int8[], $3::bytea[])), \
                 partial AS ( \
                     INSERT INTO partial_tiles (level, idx, hashes) \
                     SELECT * FROM unnest($4::int2[], $5::int8[], $6::bytea[]) \
                     ON CONFLICT (level) DO UPDATE SET idx = excluded.idx, hashes = excluded.hashes), \
                 targets AS ( \
                     SELECT t.first_idx, array_agg((t.idx - t.first_idx + 1)::int4) AS positions \
                     FROM (SELECT e.idx, (SELECT MAX(c.first_idx) FROM payload_chunks c \
                                          WHERE c.first_idx BETWEEN e.idx / {CHUNK_BLOCK} * {CHUNK_BLOCK} \
                                          AND e.idx) AS first_idx \
                           FROM unnest($7::int8[]) AS e(idx)) AS t \
                     WHERE t.first_idx IS NOT NULL GROUP BY t.first_idx), \
                 erased AS ( \
                     UPDATE payload_chunks c \
                     SET salts = (SELECT array_agg(CASE WHEN u.o = ANY(g.positions) THEN NULL ELSE u.v END \
                                                   ORDER BY u.o) \
                                  FROM unnest(c.salts) WITH ORDINALITY AS u(v, o)), \
                         payloads = (SELECT array_agg(CASE WHEN u.o = ANY(g.positions) THEN NULL ELSE u.v END \
                                                      ORDER BY u.o) \
                                     FROM unnest(c.payloads) WITH ORDINALITY AS u(v, o)), \
                         live = c.live - (SELECT COUNT(*) FROM unnest(g.positions) AS p(at) \
                                          WHERE c.payloads[p.at] IS NOT NULL) \
                     FROM targets g WHERE c.first_idx = g.first_idx) \
                 INSERT INTO checkpoints (size, root, note) VALUES ($8, $9, $10)"
            ))
            .await?,
        })
    }
}

/// The full or the partial tiles of a batch, as the array columns of one statement.
struct TileColumns {
    levels: Vec<i16>,
    indexes: Vec<i64>,
    hashes: Vec<Vec<u8>>,
}

impl TileColumns {
    fn new(batch: &CommitBatch, full: bool) -> TileColumns {
        let tiles: Vec<_> = batch
            .tiles
            .iter()
            .filter(|tile| tile.is_full() == full)
            .collect();
        TileColumns {
            levels: tiles.iter().map(|tile| i16::from(tile.level)).collect(),
            indexes: tiles.iter().map(|tile| tile.index as i64).collect(),
            hashes: tiles.iter().map(|tile| encode_tile(&tile.hashes)).collect(),
        }
    }
}

/// A PostgreSQL schema holding one log.
#[derive(Clone)]
pub struct PostgresStore {
    writer: Arc<Mutex<Client>>,
    statements: Arc<WriteStatements>,
    readers: Arc<Vec<Client>>,
    /// The event id lookup, prepared on each reader (same order as `readers`).
    id_lookups: Arc<Vec<Statement>>,
    next_reader: Arc<AtomicUsize>,
    schema: String,
    pub(super) target: Arc<Target>,
    /// Wakes this process's indexers after each commit.
    pub(super) committed: Arc<Notify>,
    /// Columns of this process's commits for its indexer.
    pub(super) handoff: Arc<super::postgres_indexer::Handoff>,
}

impl PostgresStore {
    /// Connects, creates `schema` when missing and applies pending migrations.
    ///
    /// `config` is a libpq-style connection string or URL, for example
    /// `host=127.0.0.1 user=postgres dbname=test` or
    /// `postgres://app@db:5432/audit?sslmode=verify-full&sslrootcert=/etc/rds-ca.pem`;
    /// `sslmode` and `sslrootcert` have libpq's meanings (see [`super::postgres_tls`]).
    pub async fn connect(config: &str, schema_name: &str) -> StoreResult<PostgresStore> {
        check_schema_name(schema_name)?;
        let target = Target::parse(config)?;
        let writer = open_client(&target, schema_name, true).await?;
        migrate(&writer, schema::POSTGRES.len()).await?;
        let statements = WriteStatements::prepare(&writer).await?;
        let mut readers = Vec::with_capacity(READERS);
        let mut id_lookups = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            let reader = open_client(&target, schema_name, false).await?;
            id_lookups.push(
                reader
                    .prepare("SELECT event_id, idx FROM event_ids WHERE event_id = ANY($1)")
                    .await
                    .map_err(|error| db_error("preparing the event id lookup", error))?,
            );
            readers.push(reader);
        }
        Ok(PostgresStore {
            writer: Arc::new(Mutex::new(writer)),
            statements: Arc::new(statements),
            readers: Arc::new(readers),
            id_lookups: Arc::new(id_lookups),
            next_reader: Arc::new(AtomicUsize::new(0)),
            schema: schema_name.to_owned(),
            target: Arc::new(target),
            committed: Arc::new(Notify::new()),
            handoff: Arc::default(),
        })
    }

    /// Creates `schema` with only the first `version` migrations applied, so tests can
    /// build a store of an older schema version and check the upgrade. It closes its
    /// connection afterwards, so open the store with [`PostgresStore::connect`].
    #[doc(hidden)]
    pub async fn create_at_version(
        config: &str,
        schema_name: &str,
        version: usize,
    ) -> StoreResult<()> {
        check_schema_name(schema_name)?;
        let target = Target::parse(config)?;
        let writer = open_client(&target, schema_name, true).await?;
        migrate(&writer, version.min(schema::POSTGRES.len())).await
    }

    /// Reads the first index that the query index (`event_index`) does not cover yet.
    pub async fn index_watermark(&self) -> StoreResult<u64> {
        read_watermark(self.reader()).await
    }

    pub fn schema(&self) -> &str {
        &self.schema
    }

    fn reader(&self) -> &Client {
        &self.readers[self.next_slot()]
    }

    fn next_slot(&self) -> usize {
        self.next_reader.fetch_add(1, Ordering::Relaxed) % self.readers.len()
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

fn check_schema_name(schema_name: &str) -> StoreResult<()> {
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
    Ok(())
}

/// A parsed connection string and the TLS connector its settings call for.
pub(super) struct Target {
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

pub(super) async fn open_client(
    target: &Target,
    schema_name: &str,
    create: bool,
) -> StoreResult<Client> {
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

/// Applies the pending migrations among the first `version`.
async fn migrate(client: &Client, version: usize) -> StoreResult<()> {
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
    let pending = schema::POSTGRES[..version].iter().enumerate();
    for (version, sql) in pending.skip(applied as usize) {
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

pub(super) fn db_error(operation: &'static str, error: tokio_postgres::Error) -> StoreError {
    StoreError::db(operation, describe(&error))
}

/// Columns of `event_index`, in the order [`read_index_row`] expects.
pub(super) const INDEX_COLUMNS: &str = "idx, event_id, tenant, event_time_us, recorded_time_us, \
     actor, action, resource, outcome, amount, currency";

/// Decodes an `event_index` row selected with [`INDEX_COLUMNS`].
fn read_index_row(row: &Row) -> (u64, EventColumns) {
    let columns = EventColumns {
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
    };
    (row.get::<_, i64>(0) as u64, columns)
}

/// Derives the query columns of the leaf at `index`, as the indexer does.
pub(super) fn columns_from_leaf(index: u64, leaf: &[u8]) -> StoreResult<EventColumns> {
    let envelope = Envelope::from_leaf(leaf)
        .map_err(|error| StoreError::Corrupt(format!("leaf {index}: {error}")))?;
    EventColumns::from_envelope(&envelope)
        .ok_or_else(|| StoreError::Corrupt(format!("leaf {index} has an invalid event id or time")))
}

/// One `leaf_chunks` row: the leaves of indexes `first..first + leaves.len()`.
pub(super) struct Chunk {
    pub(super) first: u64,
    pub(super) leaves: Vec<Vec<u8>>,
}

impl Chunk {
    /// Decodes a row selected as `first_idx, leaves`. Rejects an empty chunk and one that
    /// crosses a block boundary, because the store writes neither and reads rely on
    /// finding the chunk containing index `i` between `block_start(i)` and `i`.
    pub(super) fn from_row(row: &Row) -> StoreResult<Chunk> {
        let first: i64 = row.get(0);
        let leaves: Vec<Vec<u8>> = row.try_get(1).map_err(|error| {
            StoreError::Corrupt(format!(
                "leaf chunk {first} is not a one-dimensional array of leaves: {error}"
            ))
        })?;
        let first = u64::try_from(first)
            .map_err(|_| StoreError::Corrupt(format!("leaf chunk has a negative index {first}")))?;
        if leaves.is_empty()
            || first / CHUNK_BLOCK != (first + leaves.len() as u64 - 1) / CHUNK_BLOCK
        {
            return Err(StoreError::Corrupt(format!(
                "leaf chunk {first} with {} leaves is empty or crosses a multiple of {CHUNK_BLOCK}",
                leaves.len()
            )));
        }
        Ok(Chunk { first, leaves })
    }

    /// Yields each leaf with its index.
    pub(super) fn into_indexed(self) -> impl Iterator<Item = (u64, Vec<u8>)> {
        let first = self.first;
        self.leaves
            .into_iter()
            .enumerate()
            .map(move |(offset, leaf)| (first + offset as u64, leaf))
    }
}

/// First index of the block containing `index`. The chunk containing `index` starts there or later.
pub(super) fn block_start(index: u64) -> i64 {
    (index / CHUNK_BLOCK * CHUNK_BLOCK) as i64
}

/// Splits `count` consecutive leaves starting at index `first` into chunks that do not
/// cross a multiple of [`CHUNK_BLOCK`]: the first index of each chunk and its range of
/// positions in the batch.
fn chunk_ranges(first: u64, count: usize) -> Vec<(u64, Range<usize>)> {
    let mut ranges = Vec::new();
    let mut offset = 0;
    while offset < count {
        let index = first + offset as u64;
        let room = (CHUNK_BLOCK - index % CHUNK_BLOCK) as usize;
        let end = (offset + room).min(count);
        ranges.push((index, offset..end));
        offset = end;
    }
    ranges
}

pub(super) async fn read_watermark(client: &Client) -> StoreResult<u64> {
    let row = client
        .query_one("SELECT next_idx FROM index_watermark", &[])
        .await
        .map_err(|error| db_error("reading the index watermark", error))?;
    u64::try_from(row.get::<_, i64>(0))
        .map_err(|_| StoreError::Corrupt("the index watermark is negative".to_owned()))
}

/// The events a read covers.
#[derive(Clone, Copy)]
enum Selection<'a> {
    /// Indexes `start <= idx < end`.
    Range(i64, i64),
    /// Exactly these indexes.
    Indexes(&'a [i64]),
}

impl Selection<'_> {
    /// Runs `select` (a query on a table with an `idx` column, without WHERE) limited to
    /// the selected indexes.
    async fn query(
        self,
        client: &Client,
        select: &str,
        operation: &'static str,
    ) -> StoreResult<Vec<Row>> {
        let result = match self {
            Selection::Range(start, end) => {
                let sql = format!("{select} WHERE idx >= $1 AND idx < $2");
                client.query(&sql, &[&start, &end]).await
            }
            Selection::Indexes(indexes) => {
                let sql = format!("{select} WHERE idx = ANY($1)");
                client.query(&sql, &[&indexes]).await
            }
        };
        result.map_err(|error| db_error(operation, error))
    }

    /// Reads the chunks of `table` (`leaf_chunks` or `payload_chunks`) that contain the
    /// selected indexes, as `first_idx` followed by `columns`, in index order.
    async fn chunk_rows(
        self,
        client: &Client,
        table: &str,
        columns: &str,
        operation: &'static str,
    ) -> StoreResult<Vec<Row>> {
        let result = match self {
            Selection::Range(start, end) => {
                let sql = format!(
                    "SELECT first_idx, {columns} FROM {table} \
                     WHERE first_idx >= $1 AND first_idx < $2 ORDER BY first_idx"
                );
                client
                    .query(&sql, &[&block_start(start.max(0) as u64), &end])
                    .await
            }
            // For each requested index, the chunk containing it is the last one that starts
            // in its block at or before it.
            Selection::Indexes(indexes) => {
                let sql = format!(
                    "SELECT first_idx, {columns} FROM {table} WHERE first_idx IN ( \
                         SELECT (SELECT MAX(c.first_idx) FROM {table} c \
                                 WHERE c.first_idx BETWEEN w.idx / {CHUNK_BLOCK} * {CHUNK_BLOCK} \
                                 AND w.idx) \
                         FROM unnest($1::int8[]) AS w(idx)) \
                     ORDER BY first_idx"
                );
                client.query(&sql, &[&indexes]).await
            }
        };
        result.map_err(|error| db_error(operation, error))
    }

    /// Returns a test of whether an index is selected.
    fn contains(self) -> impl Fn(u64) -> bool {
        let wanted: HashSet<i64> = match self {
            Selection::Range(..) => HashSet::new(),
            Selection::Indexes(indexes) => indexes.iter().copied().collect(),
        };
        move |index| match self {
            Selection::Range(start, end) => (start..end).contains(&(index as i64)),
            Selection::Indexes(_) => wanted.contains(&(index as i64)),
        }
    }

    /// Reads the selected leaves from their chunks, in index order.
    async fn leaves(
        self,
        client: &Client,
        operation: &'static str,
    ) -> StoreResult<Vec<(u64, Vec<u8>)>> {
        let rows = self
            .chunk_rows(client, "leaf_chunks", "leaves", operation)
            .await?;
        let selected = self.contains();
        let mut leaves = Vec::new();
        for row in &rows {
            for (index, leaf) in Chunk::from_row(row)?.into_indexed() {
                if selected(index) {
                    leaves.push((index, leaf));
                }
            }
        }
        Ok(leaves)
    }

    /// Reads the selected payloads that are not erased from their chunks.
    async fn payloads(
        self,
        client: &Client,
        operation: &'static str,
    ) -> StoreResult<HashMap<u64, StoredPayload>> {
        let rows = self
            .chunk_rows(client, "payload_chunks", "salts, payloads, live", operation)
            .await?;
        let selected = self.contains();
        let mut payloads = HashMap::new();
        for row in &rows {
            for (index, payload) in payload_chunk(row)? {
                if selected(index) {
                    payloads.insert(index, payload);
                }
            }
        }
        Ok(payloads)
    }
}

/// Decodes a row selected as `first_idx, salts, payloads, live` into the payloads it
/// still holds, with their indexes. Rejects arrays of different lengths, a salt without
/// its payload or the reverse (erasure clears both), and a `live` count that differs
/// from the payloads held, because a purge relies on it.
fn payload_chunk(row: &Row) -> StoreResult<Vec<(u64, StoredPayload)>> {
    let first: i64 = row.get(0);
    let corrupt = |what: String| StoreError::Corrupt(format!("payload chunk {first} {what}"));
    let salts: Vec<Option<Vec<u8>>> = row
        .try_get(1)
        .map_err(|error| corrupt(format!("has no one-dimensional array of salts: {error}")))?;
    let texts: Vec<Option<String>> = row
        .try_get(2)
        .map_err(|error| corrupt(format!("has no one-dimensional array of payloads: {error}")))?;
    let first =
        u64::try_from(first).map_err(|_| corrupt("starts at a negative index".to_owned()))?;
    if salts.len() != texts.len() {
        return Err(corrupt(format!(
            "has {} salts but {} payloads",
            salts.len(),
            texts.len()
        )));
    }
    let live: i32 = row.get(3);
    let stored = texts.iter().filter(|text| text.is_some()).count();
    if usize::try_from(live).ok() != Some(stored) {
        return Err(corrupt(format!(
            "counts {live} payloads not erased but stores {stored}"
        )));
    }
    let mut payloads = Vec::with_capacity(texts.len());
    for (offset, (salt, text)) in salts.into_iter().zip(texts).enumerate() {
        let index = first + offset as u64;
        match (salt, text) {
            (Some(salt), Some(payload)) => payloads.push((index, StoredPayload { salt, payload })),
            (None, None) => {}
            _ => {
                return Err(corrupt(format!(
                    "keeps only one of the salt and the payload of event {index}"
                )));
            }
        }
    }
    Ok(payloads)
}

/// Returns whether an event's columns pass every filter of `query` except the index bounds.
fn matches_query(query: &EventQuery, columns: &EventColumns) -> bool {
    let equal = |filter: &Option<String>, value: &str| filter.as_deref().is_none_or(|f| f == value);
    equal(&query.tenant, &columns.tenant)
        && equal(&query.actor, &columns.actor)
        && equal(&query.resource, &columns.resource)
        && equal(&query.action, &columns.action)
        && query
            .from_us
            .is_none_or(|from| columns.event_time_us >= from)
        && query.to_us.is_none_or(|to| columns.event_time_us < to)
        && query
            .tenants
            .as_ref()
            .is_none_or(|tenants| tenants.contains(&columns.tenant))
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
    /// Writes one batch in one transaction in two round trips: every statement of the
    /// batch goes out at once, pipelined on the connection, and COMMIT follows only when
    /// all of them succeeded (ROLLBACK otherwise). The statements are prepared once per
    /// connection, and rows go in as array parameters expanded by `unnest`.
    async fn write_batch(
        &self,
        batch: &CommitBatch,
        event_ids: &[Uuid],
    ) -> Result<(), tokio_postgres::Error> {
        type Param<'a> = &'a (dyn tokio_postgres::types::ToSql + Sync);
        let client = self.writer.lock().await;
        let statements = &self.statements;

        /// The columns of one leaf chunk and its payload chunk.
        struct ChunkColumns<'a> {
            first: i64,
            leaves: Vec<&'a [u8]>,
            salts: Vec<&'a [u8]>,
            payloads: Vec<&'a str>,
        }
        let chunks: Vec<ChunkColumns> = chunk_ranges(batch.first_index, batch.events.len())
            .into_iter()
            .map(|(first, positions)| {
                let events = &batch.events[positions];
                ChunkColumns {
                    first: first as i64,
                    leaves: events.iter().map(|event| event.leaf.as_slice()).collect(),
                    salts: events.iter().map(|event| &event.salt[..]).collect(),
                    payloads: events.iter().map(|event| event.payload.as_str()).collect(),
                }
            })
            .collect();
        let indexes: Vec<i64> = (0..batch.events.len() as u64)
            .map(|offset| (batch.first_index + offset) as i64)
            .collect();
        let size = batch.checkpoint.size as i64;
        let root: &[u8] = &batch.checkpoint.root;
        let tiles = TileColumns::new(batch, true);
        let partial = TileColumns::new(batch, false);
        let erased: Vec<i64> = batch.erase_payloads.iter().map(|i| *i as i64).collect();
        let finish: [Param; 10] = [
            &tiles.levels,
            &tiles.indexes,
            &tiles.hashes,
            &partial.levels,
            &partial.indexes,
            &partial.hashes,
            &erased,
            &size,
            &root,
            &batch.checkpoint.note,
        ];
        let ids: [Param; 2] = [&event_ids, &indexes];

        let begin = client.batch_execute("BEGIN");
        let chunk_params: Vec<[Param; 4]> = chunks
            .iter()
            .map(|chunk| {
                [
                    &chunk.first as Param,
                    &chunk.leaves,
                    &chunk.salts,
                    &chunk.payloads,
                ]
            })
            .collect();
        let chunk_inserts = futures_util::future::try_join_all(
            chunk_params
                .iter()
                .map(|params| client.execute(&statements.chunk, params)),
        );
        let id_insert = client.execute(&statements.event_ids, &ids);
        let last = client.execute(&statements.finish, &finish);
        // try_join4 polls its futures in argument order, and each request goes out on its
        // first poll, so the server receives them in this order.
        let written = futures_util::future::try_join4(begin, chunk_inserts, id_insert, last).await;
        match written {
            Ok(_) => client.batch_execute("COMMIT").await,
            Err(error) => {
                if let Err(rollback) = client.batch_execute("ROLLBACK").await {
                    tracing::warn!(error = %rollback, "rolling back a failed batch failed");
                }
                Err(error)
            }
        }
    }

    /// Reads the selected events from their chunks, with the query columns from
    /// `event_index` where the event is indexed and from the leaf otherwise.
    async fn read_events(
        &self,
        selection: Selection<'_>,
        operation: &'static str,
    ) -> StoreResult<Vec<StoredEvent>> {
        let client = self.reader();
        // Read the watermark first: every index below it has its event_index row
        // committed by then, so a missing row below it is a deleted row.
        let watermark = read_watermark(client).await?;
        let indexed: HashMap<u64, EventColumns> = selection
            .query(
                client,
                &format!("SELECT {INDEX_COLUMNS} FROM event_index"),
                operation,
            )
            .await?
            .iter()
            .map(read_index_row)
            .collect();
        let leaves = selection.leaves(client, operation).await?;
        let payloads = selection.payloads(client, operation).await?;
        let mut events = Vec::with_capacity(leaves.len());
        for (index, leaf) in leaves {
            let columns = match indexed.get(&index) {
                Some(columns) => columns.clone(),
                None if index < watermark => {
                    return Err(StoreError::Corrupt(format!(
                        "event {index} is below the index watermark {watermark} \
                         but has no event_index row"
                    )));
                }
                None => columns_from_leaf(index, &leaf)?,
            };
            events.push(StoredEvent {
                index,
                leaf,
                columns,
                payload: payloads.get(&index).cloned(),
            });
        }
        events.sort_by_key(|event| event.index);
        Ok(events)
    }

    /// Adds the leaves and payloads to events found in `event_index`, keeping their order.
    async fn complete_indexed(
        client: &Client,
        rows: Vec<(u64, EventColumns)>,
        operation: &'static str,
    ) -> StoreResult<Vec<StoredEvent>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let indexes: Vec<i64> = rows.iter().map(|(index, _)| *index as i64).collect();
        let selection = Selection::Indexes(&indexes);
        let leaves: HashMap<u64, Vec<u8>> = selection
            .leaves(client, operation)
            .await?
            .into_iter()
            .collect();
        let payloads = selection.payloads(client, operation).await?;
        let mut events = Vec::with_capacity(rows.len());
        for (index, columns) in rows {
            let leaf = leaves.get(&index).cloned().ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "event {index} is in event_index but no leaf chunk contains it"
                ))
            })?;
            events.push(StoredEvent {
                index,
                leaf,
                columns,
                payload: payloads.get(&index).cloned(),
            });
        }
        Ok(events)
    }

    /// Decodes the leaves from index `from` on, in index order, and returns up to `limit`
    /// events whose columns pass `filter` (and that still have a payload, when
    /// `require_payload`). This covers the events the indexer has not reached yet.
    async fn scan_tail(
        client: &Client,
        from: u64,
        limit: usize,
        filter: impl Fn(&EventColumns) -> bool,
        require_payload: bool,
        operation: &'static str,
    ) -> StoreResult<Vec<StoredEvent>> {
        let mut events = Vec::new();
        let mut min_first = block_start(from);
        while events.len() < limit {
            let rows = client
                .query(
                    "SELECT first_idx, leaves FROM leaf_chunks WHERE first_idx >= $1 \
                     ORDER BY first_idx LIMIT $2",
                    &[&min_first, &TAIL_CHUNKS],
                )
                .await
                .map_err(|error| db_error(operation, error))?;
            let Some(last) = rows.last() else {
                break;
            };
            min_first = last.get::<_, i64>(0) + 1;
            let mut page = Vec::new();
            for row in &rows {
                for (index, leaf) in Chunk::from_row(row)?.into_indexed() {
                    if index < from {
                        continue;
                    }
                    let columns = columns_from_leaf(index, &leaf)?;
                    if filter(&columns) {
                        page.push((index, leaf, columns));
                    }
                }
            }
            let indexes: Vec<i64> = page.iter().map(|(index, _, _)| *index as i64).collect();
            let mut payloads = if indexes.is_empty() {
                HashMap::new()
            } else {
                Selection::Indexes(&indexes)
                    .payloads(client, operation)
                    .await?
            };
            for (index, leaf, columns) in page {
                let payload = payloads.remove(&index);
                if require_payload && payload.is_none() {
                    continue;
                }
                events.push(StoredEvent {
                    index,
                    leaf,
                    columns,
                    payload,
                });
                if events.len() == limit {
                    break;
                }
            }
            if rows.len() < TAIL_CHUNKS as usize {
                break;
            }
        }
        Ok(events)
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
        let mut event_ids = Vec::with_capacity(batch.events.len());
        for (offset, event) in batch.events.iter().enumerate() {
            let event_id = Uuid::try_parse(&event.envelope.event_id).map_err(|error| {
                StoreError::db(
                    "committing a batch",
                    format!(
                        "event {} has an invalid event id `{}`: {error}",
                        batch.first_index + offset as u64,
                        event.envelope.event_id
                    ),
                )
            })?;
            event_ids.push(event_id);
        }
        self.write_batch(batch, &event_ids)
            .await
            .map_err(|error| db_error("committing a batch", error))?;
        self.handoff.push(batch.first_index, &batch.events);
        self.committed.notify_one();
        Ok(())
    }

    async fn events_by_ids(&self, ids: &[Uuid]) -> StoreResult<Vec<StoredEvent>> {
        let operation = "looking up event ids";
        let ids = ids.to_vec();
        let slot = self.next_slot();
        let rows = self.readers[slot]
            .query(&self.id_lookups[slot], &[&ids])
            .await
            .map_err(|error| db_error(operation, error))?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let indexes: Vec<i64> = rows.iter().map(|row| row.get(1)).collect();
        let ids_by_index: HashMap<u64, Uuid> = rows
            .iter()
            .map(|row| (row.get::<_, i64>(1) as u64, row.get::<_, Uuid>(0)))
            .collect();
        let events = self
            .read_events(Selection::Indexes(&indexes), operation)
            .await?;
        // The lookup row is only a pointer: the event must carry the id it was found by.
        for event in &events {
            let envelope = Envelope::from_leaf(&event.leaf)
                .map_err(|error| StoreError::Corrupt(format!("leaf {}: {error}", event.index)))?;
            if let Some(id) = ids_by_index.get(&event.index)
                && envelope.event_id != id.to_string()
            {
                return Err(StoreError::Corrupt(format!(
                    "the event id lookup maps {id} to entry {}, whose leaf has event id {}",
                    event.index, envelope.event_id
                )));
            }
        }
        Ok(events)
    }

    async fn event_indexes(&self, ids: &[Uuid]) -> StoreResult<Vec<(Uuid, u64)>> {
        let ids = ids.to_vec();
        let rows = self
            .reader()
            .query(
                "SELECT event_id, idx FROM event_ids WHERE event_id = ANY($1)",
                &[&ids],
            )
            .await
            .map_err(|error| db_error("reading the event id lookup", error))?;
        Ok(rows
            .iter()
            .map(|row| (row.get::<_, Uuid>(0), row.get::<_, i64>(1) as u64))
            .collect())
    }

    async fn event_by_index(&self, index: u64) -> StoreResult<Option<StoredEvent>> {
        let indexes = [index as i64];
        Ok(self
            .read_events(Selection::Indexes(&indexes), "reading an event")
            .await?
            .pop())
    }

    /// Reads matching rows of `event_index` below the watermark, then decodes the
    /// unindexed tail, so the result does not depend on the indexer's progress.
    async fn query(&self, query: &EventQuery) -> StoreResult<Vec<StoredEvent>> {
        let operation = "querying events";
        let limit = query.limit as usize;
        if limit == 0 {
            return Ok(Vec::new());
        }
        let client = self.reader();
        let watermark = read_watermark(client).await?;
        let from = query
            .after_index
            .map_or(0, |index| index.saturating_add(1))
            .min(i64::MAX as u64);
        let rows = client
            .query(
                &format!(
                    "SELECT {INDEX_COLUMNS} FROM event_index \
                     WHERE ($1::text IS NULL OR tenant = $1) AND ($2::text IS NULL OR actor = $2) \
                     AND ($3::text IS NULL OR resource = $3) AND ($4::text IS NULL OR action = $4) \
                     AND ($5::int8 IS NULL OR event_time_us >= $5) \
                     AND ($6::int8 IS NULL OR event_time_us < $6) \
                     AND idx >= $7 AND idx < $8 AND ($10::text[] IS NULL OR tenant = ANY($10)) \
                     ORDER BY idx LIMIT $9"
                ),
                &[
                    &query.tenant,
                    &query.actor,
                    &query.resource,
                    &query.action,
                    &query.from_us,
                    &query.to_us,
                    &(from as i64),
                    &(watermark as i64),
                    &i64::from(query.limit),
                    &query.tenants,
                ],
            )
            .await
            .map_err(|error| db_error(operation, error))?;
        let indexed = rows.iter().map(read_index_row).collect();
        let mut events = Self::complete_indexed(client, indexed, operation).await?;
        if events.len() < limit {
            let filter = |columns: &EventColumns| matches_query(query, columns);
            let tail_start = from.max(watermark);
            let remaining = limit - events.len();
            events.extend(
                Self::scan_tail(client, tail_start, remaining, filter, false, operation).await?,
            );
        }
        Ok(events)
    }

    async fn entries(&self, start: u64, end: u64) -> StoreResult<Vec<StoredEvent>> {
        let selection = Selection::Range(start as i64, end as i64);
        self.read_events(selection, "reading entries").await
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

    async fn checkpoints_between(
        &self,
        after: u64,
        up_to: u64,
    ) -> StoreResult<Vec<StoredCheckpoint>> {
        let rows = self
            .reader()
            .query(
                "SELECT size, root, note FROM checkpoints WHERE size > $1 AND size <= $2 ORDER BY size",
                &[&(after as i64), &(up_to.min(i64::MAX as u64) as i64)],
            )
            .await
            .map_err(|error| db_error("reading checkpoints", error))?;
        rows.into_iter()
            .filter_map(|row| to_checkpoint(Some(row)).transpose())
            .collect()
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
        from: u64,
        limit: u32,
    ) -> StoreResult<Vec<StoredEvent>> {
        let operation = "finding expired payloads";
        let limit = limit as usize;
        if limit == 0 {
            return Ok(Vec::new());
        }
        let client = self.reader();
        let watermark = read_watermark(client).await?;
        let rows = client
            .query(
                &format!(
                    "SELECT {INDEX_COLUMNS} FROM event_index \
                     WHERE recorded_time_us < $1 AND idx >= $4 AND idx < $2 \
                     AND EXISTS (SELECT 1 FROM payload_chunks c \
                                 WHERE c.live > 0 \
                                 AND c.first_idx BETWEEN idx / {CHUNK_BLOCK} * {CHUNK_BLOCK} AND idx \
                                 AND c.payloads[idx - c.first_idx + 1] IS NOT NULL) \
                     ORDER BY idx LIMIT $3"
                ),
                &[&before_us, &(watermark as i64), &(limit as i64), &(from as i64)],
            )
            .await
            .map_err(|error| db_error(operation, error))?;
        let indexed = rows.iter().map(read_index_row).collect();
        let mut events = Self::complete_indexed(client, indexed, operation).await?;
        // A payload erased since the first query no longer counts.
        events.retain(|event| event.payload.is_some());
        if events.len() < limit {
            let filter = |columns: &EventColumns| columns.recorded_time_us < before_us;
            let remaining = limit - events.len();
            let start = watermark.max(from);
            events
                .extend(Self::scan_tail(client, start, remaining, filter, true, operation).await?);
        }
        Ok(events)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_ranges_split_at_block_boundaries() {
        assert_eq!(chunk_ranges(0, 0), vec![]);
        assert_eq!(chunk_ranges(10, 5), vec![(10, 0..5)]);
        assert_eq!(chunk_ranges(250, 10), vec![(250, 0..6), (256, 6..10)]);
        assert_eq!(
            chunk_ranges(256, 600),
            vec![(256, 0..256), (512, 256..512), (768, 512..600)]
        );
        assert_eq!(chunk_ranges(255, 1), vec![(255, 0..1)]);
    }

    #[test]
    fn block_start_rounds_down() {
        assert_eq!(block_start(0), 0);
        assert_eq!(block_start(255), 0);
        assert_eq!(block_start(256), 256);
        assert_eq!(block_start(700), 512);
    }
}
