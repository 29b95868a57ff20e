//! The full audit: re-derive the tree from every entry and compare it with signed
//! checkpoints, stored tiles and the query columns.
//!
//! [`Auditor`] consumes entries in index order from any source (a store, a bundle) and
//! reports the first problem with its index, so a tampered row is named.

use std::collections::{HashMap, HashSet};

use crate::event::{Envelope, payload_commitment};
use crate::ledger::hash::{Hash, leaf_hash, to_hex};
use crate::ledger::note::{Checkpoint, NoteVerifier};
use crate::ledger::tiles::{TileUpdate, TreeState};
use crate::retention::{ERASE_ACTION, PURGE_ACTION};
use crate::store::{AuditStore, EventColumns, StoredEvent};

/// Entries read from a store per query during an audit.
const PAGE: u64 = 10_000;

/// A failed audit: what is wrong and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuditFailure {
    #[error("checkpoint does not verify: {0}")]
    Checkpoint(String),
    #[error(
        "expected entry {expected}, found entry {found}: entries are missing, duplicated or reordered"
    )]
    Gap { expected: u64, found: u64 },
    #[error("entry {index}: {reason}")]
    Entry { index: u64, reason: String },
    #[error("stored tile {level}/{index} differs from the tile re-derived from the entries")]
    Tile { level: u8, index: u64 },
    #[error("the log has {found} entries but the checkpoint covers {expected}")]
    Size { expected: u64, found: u64 },
    #[error("root re-derived from {size} entries differs from the checkpoint root")]
    Root { size: u64 },
    #[error("the log is not consistent with the trusted checkpoint of size {size}: {reason}")]
    Trusted { size: u64, reason: String },
    #[error("reading the log failed: {0}")]
    Read(String),
}

/// Summary of a passing audit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditReport {
    pub size: u64,
    pub root: Hash,
    pub payloads_checked: u64,
    pub payloads_erased: u64,
}

/// Payload check the auditor can make for one entry.
#[derive(Clone, Copy, Debug)]
pub enum PayloadCheck<'a> {
    /// The payload and salt, to check against the leaf's commitment.
    Present { salt: &'a [u8], payload: &'a str },
    /// The payload was erased.
    Erased,
    /// The source does not carry payloads (tlog-tiles entry bundles).
    NotAvailable,
}

impl<'a> PayloadCheck<'a> {
    /// Present when both parts are there, else erased.
    pub fn from_parts(parts: Option<(&'a [u8], &'a str)>) -> Self {
        match parts {
            Some((salt, payload)) => PayloadCheck::Present { salt, payload },
            None => PayloadCheck::Erased,
        }
    }
}

/// One entry of a page given to [`Auditor::push_page`].
#[derive(Clone, Copy, Debug)]
pub struct PageEntry<'a> {
    pub index: u64,
    pub leaf: &'a [u8],
    pub columns: Option<&'a EventColumns>,
    pub payload: PayloadCheck<'a>,
}

enum PayloadOutcome {
    Checked,
    Erased,
    Unchecked,
}

/// The result of checking one entry on its own, before its place in the log is checked.
struct CheckedEntry {
    leaf_hash: Hash,
    payload: PayloadOutcome,
    erasure_target: Option<u64>,
}

/// Checks one entry: canonical leaf of this log, query columns equal to the leaf, and
/// the payload against its commitment.
fn check_entry(
    origin: &str,
    index: u64,
    leaf: &[u8],
    columns: Option<&EventColumns>,
    payload: PayloadCheck<'_>,
) -> Result<CheckedEntry, AuditFailure> {
    let entry = |reason: String| AuditFailure::Entry { index, reason };
    let envelope = Envelope::from_leaf(leaf).map_err(entry)?;
    if envelope.origin != origin {
        return Err(entry(format!(
            "leaf belongs to log `{}`, not `{origin}`",
            envelope.origin
        )));
    }
    if let Some(columns) = columns
        && EventColumns::from_envelope(&envelope).as_ref() != Some(columns)
    {
        return Err(entry(
            "the leaf and its query columns differ (a stored leaf or a query column was changed)"
                .to_owned(),
        ));
    }
    let payload = match payload {
        PayloadCheck::Present { salt, payload } => {
            if to_hex(&payload_commitment(salt, payload)) != envelope.payload_sha256 {
                return Err(entry(
                    "payload or salt does not match the leaf's commitment".to_owned(),
                ));
            }
            PayloadOutcome::Checked
        }
        PayloadCheck::Erased => PayloadOutcome::Erased,
        PayloadCheck::NotAvailable => PayloadOutcome::Unchecked,
    };
    let is_erasure = envelope.action == ERASE_ACTION || envelope.action == PURGE_ACTION;
    let erasure_target = if is_erasure {
        envelope
            .resource
            .strip_prefix("event/")
            .and_then(|text| text.parse::<u64>().ok())
    } else {
        None
    };
    Ok(CheckedEntry {
        leaf_hash: leaf_hash(leaf),
        payload,
        erasure_target,
    })
}

/// Re-derives the tree entry by entry.
pub struct Auditor {
    origin: String,
    state: TreeState,
    /// The root when the tree had `trusted.0` leaves must equal `trusted.1`.
    trusted: Option<(u64, Hash)>,
    trusted_seen: bool,
    trusted_root_ok: Option<bool>,
    pub payloads_checked: u64,
    pub payloads_erased: u64,
    /// Tiles re-derived so far, for comparison with stored tiles.
    pub derived_tiles: Vec<TileUpdate>,
    keep_tiles: bool,
    /// Leaf hashes checked but not yet added to the tree; they are appended in bulk
    /// because each append copies the partial tiles it touched.
    pending: Vec<Hash>,
    /// Entries whose payload is gone, and entries named by erasure events; with
    /// `require_erasure_events` every gone payload needs such an event.
    erased: Vec<u64>,
    erasure_targets: std::collections::HashSet<u64>,
    pub require_erasure_events: bool,
}

impl Auditor {
    pub fn new(origin: &str, trusted: Option<(u64, Hash)>, keep_tiles: bool) -> Auditor {
        let mut auditor = Auditor {
            origin: origin.to_owned(),
            state: TreeState::default(),
            trusted,
            trusted_seen: false,
            trusted_root_ok: None,
            payloads_checked: 0,
            payloads_erased: 0,
            derived_tiles: Vec::new(),
            keep_tiles,
            pending: Vec::new(),
            erased: Vec::new(),
            erasure_targets: std::collections::HashSet::new(),
            require_erasure_events: false,
        };
        auditor.check_trusted_point();
        auditor
    }

    /// Continues an audit from a tree of `state.size()` leaves whose right edge is known
    /// (for a bundle that starts mid-log).
    pub fn resume(origin: &str, state: TreeState) -> Auditor {
        let mut auditor = Auditor::new(origin, None, false);
        auditor.state = state;
        auditor
    }

    /// Number of entries checked so far.
    pub fn size(&self) -> u64 {
        self.state.size() + self.pending.len() as u64
    }

    /// Checks one entry and adds it to the tree.
    pub fn push(
        &mut self,
        index: u64,
        leaf: &[u8],
        columns: Option<&EventColumns>,
        payload: PayloadCheck<'_>,
    ) -> Result<(), AuditFailure> {
        let checked = check_entry(&self.origin, index, leaf, columns, payload)?;
        self.accept(index, checked)
    }

    /// Checks a page of entries, decoding them on all cores, then adds them in order.
    /// The result is the same as calling [`Auditor::push`] for each entry.
    pub fn push_page(&mut self, entries: &[PageEntry<'_>]) -> Result<(), AuditFailure> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let chunk = entries.len().div_ceil(threads).max(1);
        let origin = self.origin.as_str();
        let results: Vec<Result<Vec<CheckedEntry>, AuditFailure>> = std::thread::scope(|scope| {
            let workers: Vec<_> = entries
                .chunks(chunk)
                .map(|part| {
                    scope.spawn(move || {
                        part.iter()
                            .map(|e| check_entry(origin, e.index, e.leaf, e.columns, e.payload))
                            .collect::<Result<Vec<_>, _>>()
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|worker| {
                    worker.join().unwrap_or_else(|_| {
                        Err(AuditFailure::Read(
                            "an audit worker thread panicked".to_owned(),
                        ))
                    })
                })
                .collect()
        });
        let mut position = 0;
        for result in results {
            for checked in result? {
                self.accept(entries[position].index, checked)?;
                position += 1;
            }
        }
        Ok(())
    }

    /// Records one checked entry after the continuity check.
    fn accept(&mut self, index: u64, checked: CheckedEntry) -> Result<(), AuditFailure> {
        let expected = self.size();
        if index != expected {
            return Err(AuditFailure::Gap {
                expected,
                found: index,
            });
        }
        match checked.payload {
            PayloadOutcome::Checked => self.payloads_checked += 1,
            PayloadOutcome::Erased => {
                self.payloads_erased += 1;
                self.erased.push(index);
            }
            PayloadOutcome::Unchecked => {}
        }
        if let Some(target) = checked.erasure_target {
            self.erasure_targets.insert(target);
        }
        self.pending.push(checked.leaf_hash);
        if self.pending.len() >= 4096 {
            self.flush();
        }
        Ok(())
    }

    /// Adds the pending leaf hashes to the tree, stopping at the trusted size to record
    /// the root there.
    pub fn flush(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        let mut rest: &[Hash] = &pending;
        while !rest.is_empty() {
            let mut take = rest.len();
            if let Some((size, _)) = self.trusted
                && size > self.state.size()
            {
                take = take.min((size - self.state.size()) as usize);
            }
            let updates = self.state.append(&rest[..take]);
            if self.keep_tiles {
                self.derived_tiles
                    .extend(updates.into_iter().filter(TileUpdate::is_full));
            }
            self.check_trusted_point();
            rest = &rest[take..];
        }
    }

    fn check_trusted_point(&mut self) {
        if let Some((size, root)) = self.trusted
            && size == self.state.size()
        {
            self.trusted_seen = true;
            self.trusted_root_ok = Some(self.state.root() == root);
        }
    }

    /// Returns the partial tile of each level of the re-derived tree, as (level, index,
    /// hashes).
    pub fn partial_tiles(&mut self) -> Vec<(u8, u64, Vec<Hash>)> {
        self.flush();
        let size = self.state.size();
        self.state
            .partial_tiles()
            .iter()
            .enumerate()
            .filter(|(_, hashes)| !hashes.is_empty())
            .map(|(level, hashes)| {
                let level = level as u8;
                let index = crate::ledger::tiles::entries_at_level(size, level) / 256;
                (level, index, hashes.clone())
            })
            .collect()
    }

    /// Compares the re-derived tree with the checkpoint; call after the last entry.
    pub fn finish(mut self, checkpoint: &Checkpoint) -> Result<AuditReport, AuditFailure> {
        self.flush();
        if self.state.size() != checkpoint.size {
            return Err(AuditFailure::Size {
                expected: checkpoint.size,
                found: self.state.size(),
            });
        }
        if self.state.root() != checkpoint.root {
            return Err(AuditFailure::Root {
                size: checkpoint.size,
            });
        }
        if self.require_erasure_events
            && let Some(index) = self
                .erased
                .iter()
                .find(|index| !self.erasure_targets.contains(index))
        {
            return Err(AuditFailure::Entry {
                index: *index,
                reason: "payload is missing and no erasure event records its removal".to_owned(),
            });
        }
        if let Some((size, _)) = self.trusted {
            if !self.trusted_seen {
                return Err(AuditFailure::Trusted {
                    size,
                    reason: format!("the log has only {} entries", self.state.size()),
                });
            }
            if self.trusted_root_ok != Some(true) {
                return Err(AuditFailure::Trusted {
                    size,
                    reason: "the root at that size differs (history was rewritten)".to_owned(),
                });
            }
        }
        Ok(AuditReport {
            size: checkpoint.size,
            root: checkpoint.root,
            payloads_checked: self.payloads_checked,
            payloads_erased: self.payloads_erased,
        })
    }
}

/// Audits a whole store: every entry, every full tile and the latest checkpoint.
pub async fn audit_store<S: AuditStore>(
    store: &S,
    log_key: &NoteVerifier,
    trusted: Option<(u64, Hash)>,
) -> Result<(AuditReport, String), AuditFailure> {
    let read = |error: crate::store::StoreError| AuditFailure::Read(error.to_string());
    let latest = store.latest_checkpoint().await.map_err(read)?;
    let (checkpoint, note) = match latest {
        Some(stored) => (
            Checkpoint::open(&stored.note, log_key)
                .map_err(|error| AuditFailure::Checkpoint(error.to_string()))?,
            stored.note,
        ),
        None => {
            return Err(AuditFailure::Checkpoint(
                "the log has no checkpoint yet".to_owned(),
            ));
        }
    };
    let mut auditor = Auditor::new(&log_key.name, trusted, true);
    auditor.require_erasure_events = true;
    let mut start = 0;
    // The events of one batch share their recorded time and every batch signs a
    // checkpoint at its end, so where the recorded time changes a checkpoint must exist.
    let mut previous_recorded: Option<i64> = None;
    let mut previous_sizes: HashSet<u64> = HashSet::new();
    loop {
        // Read until no rows are left, so rows past the checkpoint size are noticed.
        let end = start + PAGE;
        let page: Vec<StoredEvent> = store.entries(start, end).await.map_err(read)?;
        if page.is_empty() {
            break;
        }
        let entries: Vec<PageEntry<'_>> = page
            .iter()
            .map(|event| PageEntry {
                index: event.index,
                leaf: &event.leaf,
                columns: Some(&event.columns),
                payload: PayloadCheck::from_parts(
                    event
                        .payload
                        .as_ref()
                        .map(|p| (p.salt.as_slice(), p.payload.as_str())),
                ),
            })
            .collect();
        // Every checkpoint signed inside this page must match the tree at its size.
        let signed = store
            .checkpoints_between(start, start + page.len() as u64)
            .await
            .map_err(read)?;
        let sizes: HashSet<u64> = signed.iter().map(|stored| stored.size).collect();
        for event in &page {
            let recorded = event.columns.recorded_time_us;
            let batch_starts = previous_recorded.is_some_and(|previous| previous != recorded);
            if batch_starts
                && !sizes.contains(&event.index)
                && !previous_sizes.contains(&event.index)
            {
                return Err(AuditFailure::Checkpoint(format!(
                    "no stored checkpoint of size {index}, although entry {index} starts a new \
                     batch (its recorded time differs from entry {before}'s) and every batch \
                     stores one: a checkpoint row is missing",
                    index = event.index,
                    before = event.index.saturating_sub(1),
                )));
            }
            previous_recorded = Some(recorded);
        }
        previous_sizes = sizes;
        let mut done = 0;
        for stored in &signed {
            let upto = (stored.size - start) as usize;
            auditor.push_page(&entries[done..upto])?;
            done = upto;
            check_stored_checkpoint(&mut auditor, stored, log_key)?;
        }
        auditor.push_page(&entries[done..])?;
        check_id_lookup(store, &page).await?;
        auditor.flush();
        compare_tiles(store, &mut auditor).await?;
        start = end;
    }
    // Partial tiles serve proofs too, so they must match the entries as well, hash for
    // hash and with no extra hashes after them.
    let partials = auditor.partial_tiles();
    let wanted: Vec<(u8, u64)> = partials
        .iter()
        .map(|(level, index, _)| (*level, *index))
        .collect();
    let stored = store.tiles(&wanted).await.map_err(read)?;
    for (level, index, hashes) in &partials {
        if stored.get(*level, *index).map(Vec::as_slice) != Some(hashes.as_slice()) {
            return Err(AuditFailure::Tile {
                level: *level,
                index: *index,
            });
        }
    }
    let report = auditor.finish(&checkpoint)?;
    Ok((report, note))
}

/// Checks a stored checkpoint against the tree re-derived up to its size: its signature
/// with the log key, its size line and its root.
fn check_stored_checkpoint(
    auditor: &mut Auditor,
    stored: &crate::store::StoredCheckpoint,
    log_key: &NoteVerifier,
) -> Result<(), AuditFailure> {
    let fail = |reason: String| {
        AuditFailure::Checkpoint(format!(
            "stored checkpoint of size {}: {reason}",
            stored.size
        ))
    };
    let opened =
        Checkpoint::open(&stored.note, log_key).map_err(|error| fail(error.to_string()))?;
    auditor.flush();
    let root = auditor.state.root();
    if opened.size != stored.size || auditor.state.size() != stored.size {
        return Err(fail(format!(
            "its note says size {} where the tree has {} entries",
            opened.size,
            auditor.state.size()
        )));
    }
    if opened.root != root || stored.root != root {
        return Err(fail(
            "its root differs from the root re-derived from the entries".to_owned(),
        ));
    }
    Ok(())
}

/// Checks that the id lookup maps each entry's event id to that entry. Retries and
/// reads by id go through it, so a changed or deleted row would hand out the wrong event
/// or let a retried event in twice. Runs after the page's leaves passed their checks,
/// so the ids in `columns` are the leaves' own.
async fn check_id_lookup<S: AuditStore>(
    store: &S,
    page: &[StoredEvent],
) -> Result<(), AuditFailure> {
    let ids: Vec<uuid::Uuid> = page.iter().map(|event| event.columns.event_id).collect();
    let found: HashMap<uuid::Uuid, u64> = store
        .event_indexes(&ids)
        .await
        .map_err(|error| AuditFailure::Read(error.to_string()))?
        .into_iter()
        .collect();
    for event in page {
        let id = event.columns.event_id;
        match found.get(&id) {
            Some(index) if *index == event.index => {}
            Some(index) => {
                return Err(AuditFailure::Entry {
                    index: event.index,
                    reason: format!(
                        "the event id lookup maps its event id {id} to entry {index} \
                         (a lookup row was changed, or the id is in the log twice)"
                    ),
                });
            }
            None => {
                return Err(AuditFailure::Entry {
                    index: event.index,
                    reason: format!(
                        "its event id {id} is missing from the event id lookup (a lookup row was deleted)"
                    ),
                });
            }
        }
    }
    Ok(())
}

async fn compare_tiles<S: AuditStore>(
    store: &S,
    auditor: &mut Auditor,
) -> Result<(), AuditFailure> {
    if auditor.derived_tiles.is_empty() {
        return Ok(());
    }
    let wanted: Vec<(u8, u64)> = auditor
        .derived_tiles
        .iter()
        .map(|tile| (tile.level, tile.index))
        .collect();
    let stored = store
        .tiles(&wanted)
        .await
        .map_err(|error| AuditFailure::Read(error.to_string()))?;
    for tile in auditor.derived_tiles.drain(..) {
        if stored.get(tile.level, tile.index) != Some(&tile.hashes) {
            return Err(AuditFailure::Tile {
                level: tile.level,
                index: tile.index,
            });
        }
    }
    Ok(())
}

/// An event's payload as the query API returns it, for the remote audit.
struct RemotePayload {
    leaf: String,
    /// Salt and canonical payload, or `None` when erased.
    parts: Option<(Vec<u8>, String)>,
}

/// Audits a log through the service's API: the signed checkpoint, every entry bundle,
/// and every payload against its leaf's salted commitment. Needs a token with the
/// `audit` and `read` scopes and no tenant list.
///
/// The outer error is a failed request; the inner one a failed audit.
///
/// NOTE: the service returns payloads as parsed JSON, so they are canonicalized again
/// here before hashing. A stored payload changed only in whitespace or key order still
/// matches; any change of content does not. The local audit (`audit_store`) hashes the
/// stored text itself.
pub async fn audit_remote(
    client: &crate::client::AuditClient,
    log_key: &NoteVerifier,
    trusted: Option<(u64, Hash)>,
) -> Result<Result<AuditReport, AuditFailure>, crate::client::ClientError> {
    use crate::client::Method;
    use crate::ledger::tiles::{TILE_WIDTH, entries_path};

    let note = client.bytes("/checkpoint").await?;
    let note = String::from_utf8_lossy(&note).into_owned();
    let checkpoint = match Checkpoint::open(&note, log_key) {
        Ok(checkpoint) => checkpoint,
        Err(error) => return Ok(Err(AuditFailure::Checkpoint(error.to_string()))),
    };
    let mut auditor = Auditor::new(&log_key.name, trusted, false);
    auditor.require_erasure_events = true;
    let width = TILE_WIDTH as u64;
    for bundle in 0..checkpoint.size.div_ceil(width) {
        let start = bundle * width;
        let count = (checkpoint.size - start).min(width);
        let bytes = client
            .bytes(&format!("/{}", entries_path(bundle, count as u16)))
            .await?;
        let leaves = match split_bundle(&bytes) {
            Some(leaves) => leaves,
            None => {
                return Ok(Err(AuditFailure::Read(format!(
                    "entry bundle {bundle} is truncated"
                ))));
            }
        };

        let mut path = format!("/v1/events?limit={count}");
        if start > 0 {
            path.push_str(&format!("&after={}", start - 1));
        }
        let page = client.json(Method::GET, &path, None).await?;
        let payloads = match remote_payloads(&page) {
            Ok(payloads) => payloads,
            Err(failure) => return Ok(Err(failure)),
        };

        for (offset, leaf) in leaves.into_iter().enumerate() {
            let index = start + offset as u64;
            let Some(remote) = payloads.get(&index) else {
                return Ok(Err(AuditFailure::Entry {
                    index,
                    reason: "the service returned no event for this entry".to_owned(),
                }));
            };
            if remote.leaf.as_bytes() != leaf {
                return Ok(Err(AuditFailure::Entry {
                    index,
                    reason: "the event's leaf differs from the entry bundle".to_owned(),
                }));
            }
            let payload = PayloadCheck::from_parts(
                remote
                    .parts
                    .as_ref()
                    .map(|(salt, payload)| (salt.as_slice(), payload.as_str())),
            );
            if let Err(failure) = auditor.push(index, leaf, None, payload) {
                return Ok(Err(failure));
            }
        }
    }
    Ok(auditor.finish(&checkpoint))
}

/// Splits a tlog-tiles entry bundle into its leaves (each a big-endian u16 length and
/// the bytes); `None` when truncated.
fn split_bundle(bytes: &[u8]) -> Option<Vec<&[u8]>> {
    let mut leaves = Vec::new();
    let mut offset = 0;
    while offset < bytes.len() {
        let length = usize::from(u16::from_be_bytes([
            *bytes.get(offset)?,
            *bytes.get(offset + 1)?,
        ]));
        leaves.push(bytes.get(offset + 2..offset + 2 + length)?);
        offset += 2 + length;
    }
    Some(leaves)
}

/// Reads the events of a query response, keyed by index.
fn remote_payloads(
    page: &serde_json::Value,
) -> Result<std::collections::HashMap<u64, RemotePayload>, AuditFailure> {
    let malformed = |reason: &str| AuditFailure::Read(format!("the event query response {reason}"));
    let events = page["events"]
        .as_array()
        .ok_or_else(|| malformed("has no `events` array"))?;
    let mut payloads = std::collections::HashMap::new();
    for event in events {
        let index = event["index"]
            .as_u64()
            .ok_or_else(|| malformed("has an event without an index"))?;
        let entry = |reason: &str| AuditFailure::Entry {
            index,
            reason: reason.to_owned(),
        };
        let leaf = event["leaf"]
            .as_str()
            .ok_or_else(|| entry("the service returned the event without a leaf"))?
            .to_owned();
        let parts = if event["erased"].as_bool() == Some(true) {
            None
        } else {
            let salt = event["payload_salt"]
                .as_str()
                .and_then(decode_hex)
                .ok_or_else(|| entry("the service returned the payload without a valid salt"))?;
            let payload = serde_json_canonicalizer::to_string(&event["payload"]).map_err(|_| {
                entry("the service returned a payload that cannot be canonicalized")
            })?;
            Some((salt, payload))
        };
        payloads.insert(index, RemotePayload { leaf, parts });
    }
    Ok(payloads)
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len() / 2)
        .map(|i| u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}
