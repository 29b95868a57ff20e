//! SQLite store: the embedded default. WAL journal with `synchronous=FULL`, so a commit
//! is on disk before it returns (NORMAL could lose the last commits on power loss).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

use super::{
    AuditStore, CommitBatch, EventColumns, EventQuery, LegalHold, StoreError, StoreResult,
    StoredCheckpoint, StoredEvent, StoredPayload, StoredToken, schema, state_from_partials,
};
use crate::ledger::hash::Hash;
use crate::ledger::tiles::{TileSet, TreeState, decode_tile, encode_tile};

/// A SQLite database file with one writer and one reader connection.
#[derive(Clone)]
pub struct SqliteStore {
    writer: Arc<Mutex<Connection>>,
    reader: Arc<Mutex<Connection>>,
    path: PathBuf,
}

impl SqliteStore {
    /// Opens or creates the database and applies pending migrations.
    pub fn open(path: &Path) -> StoreResult<SqliteStore> {
        let writer = connect(path)?;
        migrate(&writer)?;
        let reader = connect(path)?;
        Ok(SqliteStore {
            writer: Arc::new(Mutex::new(writer)),
            reader: Arc::new(Mutex::new(reader)),
            path: path.to_owned(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    async fn with_reader<T: Send + 'static>(
        &self,
        operation: &'static str,
        work: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> StoreResult<T> {
        let reader = Arc::clone(&self.reader);
        run_blocking(operation, move || {
            let connection = reader
                .lock()
                .map_err(|_| StoreError::db(operation, "connection lock poisoned"))?;
            work(&connection).map_err(|error| StoreError::db(operation, error))
        })
        .await
    }

    async fn with_writer<T: Send + 'static>(
        &self,
        operation: &'static str,
        work: impl FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> StoreResult<T> {
        let writer = Arc::clone(&self.writer);
        run_blocking(operation, move || {
            let mut connection = writer
                .lock()
                .map_err(|_| StoreError::db(operation, "connection lock poisoned"))?;
            work(&mut connection).map_err(|error| StoreError::db(operation, error))
        })
        .await
    }
}

async fn run_blocking<T: Send + 'static>(
    operation: &'static str,
    work: impl FnOnce() -> StoreResult<T> + Send + 'static,
) -> StoreResult<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| StoreError::db(operation, error))?
}

fn connect(path: &Path) -> StoreResult<Connection> {
    let connection =
        Connection::open(path).map_err(|error| StoreError::db("opening the database", error))?;
    connection
        .execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000; \
             PRAGMA foreign_keys = ON;",
        )
        .map_err(|error| StoreError::db("configuring the database", error))?;
    Ok(connection)
}

fn migrate(connection: &Connection) -> StoreResult<()> {
    let fail = |error| StoreError::db("applying migrations", error);
    connection
        .execute_batch("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)")
        .map_err(fail)?;
    let applied: i64 = connection
        .query_row("SELECT COUNT(*) FROM schema_migrations", [], |row| {
            row.get(0)
        })
        .map_err(fail)?;
    for (version, sql) in schema::SQLITE.iter().enumerate().skip(applied as usize) {
        let script = format!(
            "BEGIN; {sql}; INSERT INTO schema_migrations (version) VALUES ({}); COMMIT;",
            version + 1
        );
        connection.execute_batch(&script).map_err(fail)?;
    }
    Ok(())
}

const EVENT_COLUMNS: &str = "e.idx, e.event_id, e.tenant, e.event_time_us, e.recorded_time_us, \
     e.actor, e.action, e.resource, e.outcome, e.amount, e.currency, e.leaf, p.salt, p.payload";

fn read_event(row: &rusqlite::Row<'_>) -> rusqlite::Result<StoredEvent> {
    let id_bytes: Vec<u8> = row.get(1)?;
    let event_id = Uuid::from_slice(&id_bytes).unwrap_or(Uuid::nil());
    let salt: Option<Vec<u8>> = row.get(12)?;
    let payload: Option<String> = row.get(13)?;
    Ok(StoredEvent {
        index: row.get::<_, i64>(0)? as u64,
        leaf: row.get(11)?,
        columns: EventColumns {
            event_id,
            tenant: row.get(2)?,
            event_time_us: row.get(3)?,
            recorded_time_us: row.get(4)?,
            actor: row.get(5)?,
            action: row.get(6)?,
            resource: row.get(7)?,
            outcome: row.get(8)?,
            amount: row.get(9)?,
            currency: row.get(10)?,
        },
        payload: match (salt, payload) {
            (Some(salt), Some(payload)) => Some(StoredPayload { salt, payload }),
            _ => None,
        },
    })
}

fn select_events(
    connection: &Connection,
    condition: &str,
    values: &[&dyn rusqlite::ToSql],
) -> rusqlite::Result<Vec<StoredEvent>> {
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM events e LEFT JOIN payloads p ON p.idx = e.idx WHERE {condition}"
    );
    let mut statement = connection.prepare_cached(&sql)?;
    let rows = statement.query_map(values, read_event)?;
    rows.collect()
}

fn write_batch(connection: &mut Connection, batch: &CommitBatch) -> rusqlite::Result<()> {
    let transaction = connection.transaction()?;
    {
        let mut insert_event = transaction.prepare_cached(
            "INSERT INTO events (idx, event_id, tenant, event_time_us, recorded_time_us, actor, \
             action, resource, outcome, amount, currency, leaf) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        )?;
        let mut insert_payload = transaction
            .prepare_cached("INSERT INTO payloads (idx, salt, payload) VALUES (?1, ?2, ?3)")?;
        for (offset, event) in batch.events.iter().enumerate() {
            let index = (batch.first_index + offset as u64) as i64;
            let columns = EventColumns::from_envelope(&event.envelope).ok_or_else(|| {
                rusqlite::Error::ToSqlConversionFailure("event has invalid times".into())
            })?;
            insert_event.execute(params![
                index,
                columns.event_id.as_bytes().as_slice(),
                columns.tenant,
                columns.event_time_us,
                columns.recorded_time_us,
                columns.actor,
                columns.action,
                columns.resource,
                columns.outcome,
                columns.amount,
                columns.currency,
                event.leaf,
            ])?;
            insert_payload.execute(params![index, event.salt.as_slice(), event.payload])?;
        }
        let mut insert_tile = transaction
            .prepare_cached("INSERT INTO tiles (level, idx, hashes) VALUES (?1, ?2, ?3)")?;
        let mut upsert_partial = transaction.prepare_cached(
            "INSERT INTO partial_tiles (level, idx, hashes) VALUES (?1, ?2, ?3) \
             ON CONFLICT (level) DO UPDATE SET idx = excluded.idx, hashes = excluded.hashes",
        )?;
        for tile in &batch.tiles {
            let bytes = encode_tile(&tile.hashes);
            if tile.is_full() {
                insert_tile.execute(params![tile.level, tile.index as i64, bytes])?;
            } else {
                upsert_partial.execute(params![tile.level, tile.index as i64, bytes])?;
            }
        }
        let mut erase = transaction.prepare_cached("DELETE FROM payloads WHERE idx = ?1")?;
        for index in &batch.erase_payloads {
            erase.execute(params![*index as i64])?;
        }
        transaction.execute(
            "INSERT INTO checkpoints (size, root, note) VALUES (?1, ?2, ?3)",
            params![
                batch.checkpoint.size as i64,
                batch.checkpoint.root.as_slice(),
                batch.checkpoint.note
            ],
        )?;
    }
    transaction.commit()
}

fn read_checkpoint(row: &rusqlite::Row<'_>) -> rusqlite::Result<(i64, Vec<u8>, String)> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?))
}

fn to_checkpoint(raw: Option<(i64, Vec<u8>, String)>) -> StoreResult<Option<StoredCheckpoint>> {
    raw.map(|(size, root, note)| {
        let root: Hash = root
            .try_into()
            .map_err(|_| StoreError::Corrupt(format!("checkpoint {size} has a bad root")))?;
        Ok(StoredCheckpoint {
            size: size as u64,
            root,
            note,
        })
    })
    .transpose()
}

impl AuditStore for SqliteStore {
    const KIND: &'static str = "sqlite";

    async fn load(&self) -> StoreResult<(TreeState, Option<StoredCheckpoint>)> {
        let (checkpoint, partials) = self
            .with_reader("loading the tree state", |connection| {
                let checkpoint = connection
                    .query_row(
                        "SELECT size, root, note FROM checkpoints ORDER BY size DESC LIMIT 1",
                        [],
                        read_checkpoint,
                    )
                    .optional()?;
                let mut statement = connection
                    .prepare("SELECT level, idx, hashes FROM partial_tiles ORDER BY level")?;
                let partials = statement
                    .query_map([], |row| {
                        Ok((
                            row.get::<_, u8>(0)?,
                            row.get::<_, i64>(1)? as u64,
                            row.get(2)?,
                        ))
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok((checkpoint, partials))
            })
            .await?;
        let checkpoint = to_checkpoint(checkpoint)?;
        let size = checkpoint.as_ref().map_or(0, |c| c.size);
        Ok((state_from_partials(size, partials)?, checkpoint))
    }

    async fn commit(&self, batch: &CommitBatch) -> StoreResult<()> {
        let batch = batch.clone();
        self.with_writer("committing a batch", move |connection| {
            write_batch(connection, &batch)
        })
        .await
    }

    async fn events_by_ids(&self, ids: &[Uuid]) -> StoreResult<Vec<StoredEvent>> {
        let ids = ids.to_vec();
        self.with_reader("looking up event ids", move |connection| {
            let mut found = Vec::new();
            for id in ids {
                found.extend(select_events(
                    connection,
                    "e.event_id = ?1",
                    &[&id.as_bytes().as_slice()],
                )?);
            }
            Ok(found)
        })
        .await
    }

    async fn event_indexes(&self, ids: &[Uuid]) -> StoreResult<Vec<(Uuid, u64)>> {
        let ids = ids.to_vec();
        self.with_reader("reading the event id lookup", move |connection| {
            let mut statement =
                connection.prepare_cached("SELECT idx FROM events WHERE event_id = ?1")?;
            let mut found = Vec::new();
            for id in ids {
                let index: Option<i64> = statement
                    .query_row([id.as_bytes().as_slice()], |row| row.get(0))
                    .optional()?;
                if let Some(index) = index {
                    found.push((id, index as u64));
                }
            }
            Ok(found)
        })
        .await
    }

    async fn event_by_index(&self, index: u64) -> StoreResult<Option<StoredEvent>> {
        self.with_reader("reading an event", move |connection| {
            Ok(select_events(connection, "e.idx = ?1", &[&(index as i64)])?.pop())
        })
        .await
    }

    async fn query(&self, query: &EventQuery) -> StoreResult<Vec<StoredEvent>> {
        let query = query.clone();
        self.with_reader("querying events", move |connection| {
            let mut conditions = vec!["1 = 1".to_owned()];
            let mut values: Vec<Box<dyn rusqlite::ToSql>> = Vec::new();
            let mut add = |condition: &str, value: Box<dyn rusqlite::ToSql>| {
                values.push(value);
                conditions.push(condition.replace('?', &format!("?{}", values.len())));
            };
            if let Some(tenant) = query.tenant {
                add("e.tenant = ?", Box::new(tenant));
            }
            if let Some(tenants) = query.tenants {
                // json_each expands the list, so any number of tenants is one parameter.
                let list = serde_json::Value::from(tenants).to_string();
                add(
                    "e.tenant IN (SELECT value FROM json_each(?))",
                    Box::new(list),
                );
            }
            if let Some(actor) = query.actor {
                add("e.actor = ?", Box::new(actor));
            }
            if let Some(resource) = query.resource {
                add("e.resource = ?", Box::new(resource));
            }
            if let Some(action) = query.action {
                add("e.action = ?", Box::new(action));
            }
            if let Some(from) = query.from_us {
                add("e.event_time_us >= ?", Box::new(from));
            }
            if let Some(to) = query.to_us {
                add("e.event_time_us < ?", Box::new(to));
            }
            if let Some(after) = query.after_index {
                add("e.idx > ?", Box::new(after as i64));
            }
            let condition = format!(
                "{} ORDER BY e.idx LIMIT {}",
                conditions.join(" AND "),
                query.limit
            );
            let refs: Vec<&dyn rusqlite::ToSql> =
                values.iter().map(|value| value.as_ref()).collect();
            select_events(connection, &condition, &refs)
        })
        .await
    }

    async fn entries(&self, start: u64, end: u64) -> StoreResult<Vec<StoredEvent>> {
        self.with_reader("reading entries", move |connection| {
            select_events(
                connection,
                "e.idx >= ?1 AND e.idx < ?2 ORDER BY e.idx",
                &[&(start as i64), &(end as i64)],
            )
        })
        .await
    }

    async fn tiles(&self, wanted: &[(u8, u64)]) -> StoreResult<TileSet> {
        let wanted = wanted.to_vec();
        let rows = self
            .with_reader("reading tiles", move |connection| {
                let mut full = connection
                    .prepare_cached("SELECT hashes FROM tiles WHERE level = ?1 AND idx = ?2")?;
                let mut partial = connection.prepare_cached(
                    "SELECT hashes FROM partial_tiles WHERE level = ?1 AND idx = ?2",
                )?;
                let mut rows = Vec::new();
                for (level, index) in wanted {
                    let bytes: Option<Vec<u8>> = full
                        .query_row(params![level, index as i64], |row| row.get(0))
                        .optional()?;
                    let bytes = match bytes {
                        Some(bytes) => Some(bytes),
                        None => partial
                            .query_row(params![level, index as i64], |row| row.get(0))
                            .optional()?,
                    };
                    if let Some(bytes) = bytes {
                        rows.push((level, index, bytes));
                    }
                }
                Ok(rows)
            })
            .await?;
        let mut tiles = TileSet::default();
        for (level, index, bytes) in rows {
            let hashes = decode_tile(&bytes).ok_or_else(|| {
                StoreError::Corrupt(format!("tile {level}/{index} has a bad length"))
            })?;
            tiles.insert(level, index, hashes);
        }
        Ok(tiles)
    }

    async fn latest_checkpoint(&self) -> StoreResult<Option<StoredCheckpoint>> {
        let raw = self
            .with_reader("reading the latest checkpoint", |connection| {
                connection
                    .query_row(
                        "SELECT size, root, note FROM checkpoints ORDER BY size DESC LIMIT 1",
                        [],
                        read_checkpoint,
                    )
                    .optional()
            })
            .await?;
        to_checkpoint(raw)
    }

    async fn checkpoints_between(
        &self,
        after: u64,
        up_to: u64,
    ) -> StoreResult<Vec<StoredCheckpoint>> {
        let raw = self
            .with_reader("reading checkpoints", move |connection| {
                let mut statement = connection.prepare(
                    "SELECT size, root, note FROM checkpoints WHERE size > ?1 AND size <= ?2 ORDER BY size",
                )?;
                let rows = statement
                    .query_map(
                        [after as i64, up_to.min(i64::MAX as u64) as i64],
                        read_checkpoint,
                    )?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(rows)
            })
            .await?;
        raw.into_iter()
            .filter_map(|row| to_checkpoint(Some(row)).transpose())
            .collect()
    }

    async fn checkpoint_at(&self, size: u64) -> StoreResult<Option<StoredCheckpoint>> {
        let raw = self
            .with_reader("reading a checkpoint", move |connection| {
                connection
                    .query_row(
                        "SELECT size, root, note FROM checkpoints WHERE size = ?1",
                        [size as i64],
                        read_checkpoint,
                    )
                    .optional()
            })
            .await?;
        to_checkpoint(raw)
    }

    async fn insert_token(&self, secret_hash: &Hash, token: &StoredToken) -> StoreResult<()> {
        let hash = *secret_hash;
        let token = token.clone();
        self.with_writer("storing a token", move |connection| {
            connection.execute(
                "INSERT INTO tokens (secret_sha256, name, scopes, tenants) VALUES (?1, ?2, ?3, ?4)",
                params![
                    hash.as_slice(),
                    token.name,
                    token.scopes.join(","),
                    token.tenants_column()
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn find_token(&self, secret_hash: &Hash) -> StoreResult<Option<StoredToken>> {
        let hash = *secret_hash;
        self.with_reader("looking up a token", move |connection| {
            connection
                .query_row(
                    "SELECT name, scopes, tenants FROM tokens WHERE secret_sha256 = ?1",
                    [hash.as_slice()],
                    |row| {
                        let scopes: String = row.get(1)?;
                        let tenants: Option<String> = row.get(2)?;
                        let tenants =
                            StoredToken::parse_tenants(tenants.as_deref()).map_err(|message| {
                                rusqlite::Error::FromSqlConversionFailure(
                                    2,
                                    rusqlite::types::Type::Text,
                                    message.into(),
                                )
                            })?;
                        Ok(StoredToken {
                            name: row.get(0)?,
                            scopes: scopes.split(',').map(str::to_owned).collect(),
                            tenants,
                        })
                    },
                )
                .optional()
        })
        .await
    }

    async fn add_hold(
        &self,
        tenant: &str,
        resource_prefix: &str,
        reason: &str,
    ) -> StoreResult<i64> {
        let values = (
            tenant.to_owned(),
            resource_prefix.to_owned(),
            reason.to_owned(),
        );
        self.with_writer("adding a legal hold", move |connection| {
            connection.execute(
                "INSERT INTO legal_holds (tenant, resource_prefix, reason) VALUES (?1, ?2, ?3)",
                params![values.0, values.1, values.2],
            )?;
            Ok(connection.last_insert_rowid())
        })
        .await
    }

    async fn release_hold(&self, id: i64) -> StoreResult<bool> {
        self.with_writer("releasing a legal hold", move |connection| {
            let changed = connection.execute(
                "UPDATE legal_holds SET released = 1 WHERE id = ?1 AND released = 0",
                [id],
            )?;
            Ok(changed == 1)
        })
        .await
    }

    async fn active_holds(&self) -> StoreResult<Vec<LegalHold>> {
        self.with_reader("reading legal holds", |connection| {
            let mut statement = connection.prepare(
                "SELECT id, tenant, resource_prefix, reason FROM legal_holds WHERE released = 0 ORDER BY id",
            )?;
            let holds = statement.query_map([], |row| {
                Ok(LegalHold {
                    id: row.get(0)?,
                    tenant: row.get(1)?,
                    resource_prefix: row.get(2)?,
                    reason: row.get(3)?,
                })
            })?;
            holds.collect()
        })
        .await
    }

    async fn payloads_recorded_before(
        &self,
        before_us: i64,
        from: u64,
        limit: u32,
    ) -> StoreResult<Vec<StoredEvent>> {
        let from = from as i64;
        self.with_reader("finding expired payloads", move |connection| {
            select_events(
                connection,
                &format!(
                    "p.idx IS NOT NULL AND e.recorded_time_us < ?1 AND e.idx >= ?2 \
                     ORDER BY e.idx LIMIT {limit}"
                ),
                &[&before_us, &from],
            )
        })
        .await
    }
}
