//! Storage of events, tiles and checkpoints behind one trait, with SQLite (embedded
//! default) and PostgreSQL (production) implementations.
//!
//! Events, full tiles and checkpoints are append-only: database triggers reject UPDATE
//! and DELETE on them, and TRUNCATE on PostgreSQL. Payloads live in their own table so
//! they can be erased. The partial tile of each level is one row, rewritten as the tree
//! grows, because it is derived data that `verify` recomputes from the events.

use std::future::Future;

use uuid::Uuid;

use crate::event::{Envelope, SealedEvent};
use crate::ledger::hash::Hash;
use crate::ledger::tiles::{TileSet, TileUpdate, TreeState};

pub mod postgres;
pub mod postgres_indexer;
pub mod postgres_tls;
mod schema;
pub mod sqlite;

/// A storage failure; the message names the operation and the database error.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error while {operation}: {message}")]
    Database {
        operation: &'static str,
        message: String,
    },
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("invalid PostgreSQL connection setting: {0}")]
    Setting(String),
}

impl StoreError {
    pub fn db(operation: &'static str, error: impl std::fmt::Display) -> Self {
        StoreError::Database {
            operation,
            message: error.to_string(),
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A signed checkpoint as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredCheckpoint {
    pub size: u64,
    pub root: Hash,
    /// The complete signed note.
    pub note: String,
}

/// An event row: its leaf and, unless erased, the payload with its salt.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredEvent {
    pub index: u64,
    pub leaf: Vec<u8>,
    /// Columns kept beside the leaf for queries; `verify` checks them against the leaf.
    pub columns: EventColumns,
    pub payload: Option<StoredPayload>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredPayload {
    pub salt: Vec<u8>,
    pub payload: String,
}

/// The queryable copy of leaf fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventColumns {
    pub event_id: Uuid,
    pub tenant: String,
    pub event_time_us: i64,
    pub recorded_time_us: i64,
    pub actor: String,
    pub action: String,
    pub resource: String,
    pub outcome: String,
    pub amount: Option<String>,
    pub currency: Option<String>,
}

impl EventColumns {
    /// Copies the query columns out of an envelope.
    pub fn from_envelope(envelope: &Envelope) -> Option<EventColumns> {
        Some(EventColumns {
            event_id: Uuid::try_parse(&envelope.event_id).ok()?,
            tenant: envelope.tenant.clone(),
            event_time_us: envelope.event_time_micros()?,
            recorded_time_us: envelope.recorded_time_micros()?,
            actor: envelope.actor.clone(),
            action: envelope.action.clone(),
            resource: envelope.resource.clone(),
            outcome: envelope.outcome.as_str().to_owned(),
            amount: envelope.amount.clone(),
            currency: envelope.currency.clone(),
        })
    }
}

/// Everything one sequencer batch writes, in one transaction.
#[derive(Clone, Debug)]
pub struct CommitBatch {
    /// Index of `events[0]`; the events take consecutive indexes.
    pub first_index: u64,
    pub events: Vec<SealedEvent>,
    pub tiles: Vec<TileUpdate>,
    pub checkpoint: StoredCheckpoint,
    /// Indexes whose payloads are erased in the same transaction.
    pub erase_payloads: Vec<u64>,
}

/// Filters of an event query; all given filters must match.
#[derive(Clone, Debug, Default)]
pub struct EventQuery {
    pub tenant: Option<String>,
    /// Only events of these tenants (`None`: every tenant), for tenant-bound tokens.
    pub tenants: Option<Vec<String>>,
    pub actor: Option<String>,
    pub resource: Option<String>,
    pub action: Option<String>,
    /// Inclusive lower bound on the event time, in microseconds since the Unix epoch.
    pub from_us: Option<i64>,
    /// Exclusive upper bound on the event time, in microseconds since the Unix epoch.
    pub to_us: Option<i64>,
    /// Only events with a larger index, for paging.
    pub after_index: Option<u64>,
    pub limit: u32,
}

/// An API token as stored: only the SHA-256 of the secret is kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredToken {
    pub name: String,
    pub scopes: Vec<String>,
    /// Tenants whose events the token may append and read; `None` allows every tenant.
    pub tenants: Option<Vec<String>>,
}

impl StoredToken {
    /// Encodes the tenant list for the `tokens.tenants` column (JSON array, NULL for
    /// every tenant), because tenant names may contain any character.
    pub(crate) fn tenants_column(&self) -> Option<String> {
        self.tenants
            .as_ref()
            .map(|tenants| serde_json::Value::from(tenants.clone()).to_string())
    }

    /// Decodes the `tokens.tenants` column.
    pub(crate) fn parse_tenants(column: Option<&str>) -> Result<Option<Vec<String>>, String> {
        column
            .map(|text| {
                serde_json::from_str::<Vec<String>>(text).map_err(|error| {
                    format!("token tenant list `{text}` is not a JSON array of strings: {error}")
                })
            })
            .transpose()
    }
}

/// A legal hold: payloads of matching events are not purged while it is active.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LegalHold {
    pub id: i64,
    pub tenant: String,
    /// Resource prefix of the held events; an empty prefix covers the whole tenant.
    pub resource_prefix: String,
    pub reason: String,
}

/// The storage the sequencer, the service and the verifier need.
pub trait AuditStore: Send + Sync + 'static {
    /// Database system, as OpenTelemetry's `db.system.name` names it.
    const KIND: &'static str;

    /// Reads the tree size, partial tiles and latest checkpoint to resume appending.
    fn load(
        &self,
    ) -> impl Future<Output = StoreResult<(TreeState, Option<StoredCheckpoint>)>> + Send;

    /// Writes one batch in one transaction; nothing is written when it fails.
    fn commit(&self, batch: &CommitBatch) -> impl Future<Output = StoreResult<()>> + Send;

    fn events_by_ids(
        &self,
        ids: &[Uuid],
    ) -> impl Future<Output = StoreResult<Vec<StoredEvent>>> + Send;

    /// Reads the id lookup: the index stored for each of these event ids, for those it
    /// has. `verify` checks it against the leaves, because retries and reads by id
    /// trust it.
    fn event_indexes(
        &self,
        ids: &[Uuid],
    ) -> impl Future<Output = StoreResult<Vec<(Uuid, u64)>>> + Send;

    fn event_by_index(
        &self,
        index: u64,
    ) -> impl Future<Output = StoreResult<Option<StoredEvent>>> + Send;

    fn query(
        &self,
        query: &EventQuery,
    ) -> impl Future<Output = StoreResult<Vec<StoredEvent>>> + Send;

    /// Events with `start <= index < end`, in index order.
    fn entries(
        &self,
        start: u64,
        end: u64,
    ) -> impl Future<Output = StoreResult<Vec<StoredEvent>>> + Send;

    /// Reads tiles by (level, index): the full tile when stored, else the partial tile
    /// of that level when its index matches.
    fn tiles(&self, wanted: &[(u8, u64)]) -> impl Future<Output = StoreResult<TileSet>> + Send;

    fn latest_checkpoint(
        &self,
    ) -> impl Future<Output = StoreResult<Option<StoredCheckpoint>>> + Send;

    /// Reads the stored checkpoints with `after < size <= up_to`, in size order.
    fn checkpoints_between(
        &self,
        after: u64,
        up_to: u64,
    ) -> impl Future<Output = StoreResult<Vec<StoredCheckpoint>>> + Send;

    /// Reads the stored checkpoint of exactly this size, if one was signed.
    fn checkpoint_at(
        &self,
        size: u64,
    ) -> impl Future<Output = StoreResult<Option<StoredCheckpoint>>> + Send;

    fn insert_token(
        &self,
        secret_hash: &Hash,
        token: &StoredToken,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    fn find_token(
        &self,
        secret_hash: &Hash,
    ) -> impl Future<Output = StoreResult<Option<StoredToken>>> + Send;

    fn add_hold(
        &self,
        tenant: &str,
        resource_prefix: &str,
        reason: &str,
    ) -> impl Future<Output = StoreResult<i64>> + Send;

    fn release_hold(&self, id: i64) -> impl Future<Output = StoreResult<bool>> + Send;

    fn active_holds(&self) -> impl Future<Output = StoreResult<Vec<LegalHold>>> + Send;

    /// Events at index `from` or later whose payload is still stored and whose recorded
    /// time is before `before_us`, oldest first, at most `limit`.
    fn payloads_recorded_before(
        &self,
        before_us: i64,
        from: u64,
        limit: u32,
    ) -> impl Future<Output = StoreResult<Vec<StoredEvent>>> + Send;
}

/// Rows of the partial-tile table, turned back into a tree state.
pub(crate) fn state_from_partials(
    size: u64,
    rows: Vec<(u8, u64, Vec<u8>)>,
) -> StoreResult<TreeState> {
    let mut partial: Vec<Vec<Hash>> = Vec::new();
    for (level, _index, bytes) in rows {
        let hashes = crate::ledger::tiles::decode_tile(&bytes).ok_or_else(|| {
            StoreError::Corrupt(format!("partial tile at level {level} has a bad length"))
        })?;
        let level = usize::from(level);
        if partial.len() <= level {
            partial.resize(level + 1, Vec::new());
        }
        partial[level] = hashes;
    }
    TreeState::from_partial_tiles(size, partial).map_err(StoreError::Corrupt)
}
