//! The sequencer: one task that owns the tree and group-commits appends.
//!
//! Producers put a request (one or more events) on a bounded queue. The sequencer takes
//! whatever is queued, up to a batch limit, and writes all rows, new tiles and a signed
//! checkpoint in one transaction. Only after the commit does it acknowledge each event
//! with its index and an inclusion proof against that checkpoint, so one fsync covers
//! the whole batch. A full queue is reported at once, so the API can return 429.
//!
//! While one batch is being written, the next is already looked up, sealed, hashed into
//! the tree and signed, so the database and the sequencer work at the same time. The
//! commits still happen one after the other in index order. When a commit fails, the
//! batch prepared on top of it fails too and the tree state is reloaded from the store.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use jiff::Timestamp;
use opentelemetry::trace::TraceContextExt;
use tokio::sync::{mpsc, oneshot};
use tracing::Instrument;
use tracing::field::Empty;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use uuid::Uuid;

use crate::event::{Envelope, NewEvent, SealedEvent, new_salts};
use crate::ledger::hash::{Hash, leaf_hash};
use crate::ledger::note::{Checkpoint, NoteSigner};
use crate::ledger::proof::{NodeId, inclusion_proof, needed_nodes};
use crate::ledger::tiles::{MemoNodes, TILE_WIDTH, TileSet, TreeState, tiles_for_nodes};
use crate::metrics::Metrics;
use crate::store::{
    AuditStore, CommitBatch, EventColumns, StoreError, StoreResult, StoredCheckpoint, StoredEvent,
    StoredPayload,
};

/// Sequencer limits.
#[derive(Clone, Debug)]
pub struct SequencerConfig {
    /// Maximum requests waiting in the queue; one more gets [`AppendError::QueueFull`].
    pub queue_capacity: usize,
    /// Maximum events committed in one transaction.
    pub max_batch_events: usize,
}

impl Default for SequencerConfig {
    fn default() -> Self {
        SequencerConfig {
            queue_capacity: 8192,
            max_batch_events: 4096,
        }
    }
}

/// The acknowledgement of one durable event.
#[derive(Clone, Debug)]
pub struct Ack {
    pub index: u64,
    pub event_id: Uuid,
    /// The canonical leaf bytes.
    pub leaf: Vec<u8>,
    pub checkpoint: StoredCheckpoint,
    /// Inclusion proof of the leaf in the checkpoint's tree.
    pub proof: Vec<Hash>,
    /// True when the event was already stored and this is a retry.
    pub duplicate: bool,
}

/// Reason an append was not acknowledged.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AppendError {
    #[error("event {event_id} was already appended with different content")]
    Conflict { event_id: Uuid, index: Option<u64> },
    #[error("the append queue is full")]
    QueueFull,
    #[error("the sequencer has stopped")]
    Stopped,
    #[error("storing the batch failed: {0}")]
    Store(String),
}

/// Erases the payload of `index`, recording `event` (an erasure event) in the same
/// transaction.
#[derive(Clone, Debug)]
pub struct Erasure {
    pub index: u64,
    pub event: NewEvent,
}

struct Request {
    events: Vec<NewEvent>,
    erase: Vec<u64>,
    reply: oneshot::Sender<Result<Vec<Ack>, AppendError>>,
    /// The span of the submitter (the HTTP request), which the commit span links to.
    span: tracing::Span,
}

/// A cheap, cloneable handle to submit events to the sequencer.
#[derive(Clone)]
pub struct SequencerHandle {
    queue: mpsc::Sender<Request>,
    metrics: Arc<Metrics>,
}

impl SequencerHandle {
    /// Appends events atomically: all are acknowledged, or none is written.
    pub async fn append(&self, events: Vec<NewEvent>) -> Result<Vec<Ack>, AppendError> {
        self.submit(events, Vec::new()).await
    }

    /// Erases payloads, each with its erasure event, in one transaction.
    pub async fn erase(&self, erasures: Vec<Erasure>) -> Result<Vec<Ack>, AppendError> {
        let (events, indexes) = erasures.into_iter().map(|e| (e.event, e.index)).unzip();
        self.submit(events, indexes).await
    }

    async fn submit(
        &self,
        events: Vec<NewEvent>,
        erase: Vec<u64>,
    ) -> Result<Vec<Ack>, AppendError> {
        let (reply, response) = oneshot::channel();
        let request = Request {
            events,
            erase,
            reply,
            span: tracing::Span::current(),
        };
        match self.queue.try_send(request) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.metrics.rejected_full.inc();
                return Err(AppendError::QueueFull);
            }
            Err(mpsc::error::TrySendError::Closed(_)) => return Err(AppendError::Stopped),
        }
        self.metrics
            .queue_depth
            .set((self.queue.max_capacity() - self.queue.capacity()) as i64);
        response.await.map_err(|_| AppendError::Stopped)?
    }
}

/// Starts the sequencer task. It stops after every handle is dropped and the queue is
/// drained, which is how the service shuts down without losing queued events.
pub async fn start<S: AuditStore>(
    store: Arc<S>,
    signer: Arc<NoteSigner>,
    config: SequencerConfig,
    metrics: Arc<Metrics>,
) -> Result<(SequencerHandle, tokio::task::JoinHandle<()>), StoreError> {
    let (state, checkpoint) = store.load().await?;
    if let Some(checkpoint) = &checkpoint {
        let parsed = Checkpoint::open(&checkpoint.note, &signer.verifier()).map_err(|error| {
            StoreError::Corrupt(format!(
                "latest checkpoint does not verify with the configured key: {error}"
            ))
        })?;
        if parsed.root != state.root() || parsed.size != state.size() {
            return Err(StoreError::Corrupt(
                "stored partial tiles do not match the latest checkpoint".to_owned(),
            ));
        }
    }
    let (queue, receiver) = mpsc::channel(config.queue_capacity.max(1));
    let mut sequencer = Sequencer {
        store,
        signer,
        config,
        metrics: Arc::clone(&metrics),
        recent: TileSet::default(),
        state,
        checkpoint,
    };
    sequencer.remember_partials();
    let task = tokio::spawn(sequencer.run(receiver));
    Ok((SequencerHandle { queue, metrics }, task))
}

struct Sequencer<S> {
    store: Arc<S>,
    signer: Arc<NoteSigner>,
    config: SequencerConfig,
    metrics: Arc<Metrics>,
    state: TreeState,
    /// Partial tiles and recently completed full tiles, enough for proofs of new events.
    recent: TileSet,
    /// The latest committed checkpoint; `None` only for an empty log.
    checkpoint: Option<StoredCheckpoint>,
}

/// Position of an acknowledged event once the batch is committed.
enum Slot {
    New(u64),
    /// A retry of an event that an earlier request in the same batch appends.
    Retry(u64),
    Existing(Box<StoredEvent>),
}

/// A batch whose tree state, checkpoint and signature are computed, ready to write.
struct Prepared {
    accepted: Vec<(Request, Vec<Slot>)>,
    first_index: u64,
    batch: Arc<CommitBatch>,
    span: tracing::Span,
}

/// A batch being written by its own task while the sequencer prepares the next one.
struct InFlight {
    accepted: Vec<(Request, Vec<Slot>)>,
    first_index: u64,
    batch: Arc<CommitBatch>,
    span: tracing::Span,
    started: Instant,
    /// Position in `batch.events` of each new event id, so a retry that arrives while
    /// the batch is being written is recognised before the rows are visible.
    positions: HashMap<Uuid, usize>,
    task: tokio::task::JoinHandle<StoreResult<()>>,
}

/// The outcome of preparing a set of requests.
enum Step {
    /// Nothing to acknowledge, because every request was rejected.
    Nothing,
    /// Only retries of events already stored or being written.
    RetriesOnly(Vec<(Request, Vec<Slot>)>),
    Write(Prepared),
}

impl<S: AuditStore> Sequencer<S> {
    /// Drains the queue into batches. Writing is pipelined: while one batch commits in a
    /// task of its own, the next is looked up, sealed, hashed into the tree and signed, so
    /// the database and the sequencer work at the same time. Commits still happen one at
    /// a time and in index order, and nothing is acknowledged before its own commit.
    async fn run(mut self, mut receiver: mpsc::Receiver<Request>) {
        tracing::info!(size = self.state.size(), "audit sequencer started");
        let mut in_flight: Option<InFlight> = None;
        loop {
            let first = match in_flight.as_mut() {
                None => match receiver.recv().await {
                    Some(request) => request,
                    None => break,
                },
                Some(flight) => {
                    tokio::select! {
                        biased;
                        done = &mut flight.task => {
                            if let Some(flight) = in_flight.take() {
                                self.finish(flight, done).await;
                            }
                            continue;
                        }
                        request = receiver.recv() => match request {
                            Some(request) => request,
                            None => break,
                        },
                    }
                }
            };
            let mut requests = vec![first];
            let mut events = requests[0].events.len();
            while events < self.config.max_batch_events {
                match receiver.try_recv() {
                    Ok(request) => {
                        events += request.events.len();
                        requests.push(request);
                    }
                    Err(_) => break,
                }
            }
            self.metrics.queue_depth.set(receiver.len() as i64);
            let step = self.prepare(requests, in_flight.as_ref()).await;
            let committed = match in_flight.take() {
                Some(mut flight) => {
                    let done = (&mut flight.task).await;
                    self.finish(flight, done).await
                }
                None => true,
            };
            match step {
                Step::Nothing => {}
                Step::RetriesOnly(accepted) => {
                    if !committed {
                        fail_all(accepted, "an earlier batch failed to commit; retry");
                    } else if let Some(checkpoint) = self.checkpoint.clone() {
                        self.acknowledge(accepted, None, 0, checkpoint);
                    }
                }
                Step::Write(prepared) => {
                    if committed {
                        in_flight = Some(self.launch(prepared));
                    } else {
                        // The batch was built on top of the failed one; the tree state
                        // has been reloaded, so its indexes and checkpoint are void.
                        fail_all(
                            prepared.accepted,
                            "an earlier batch failed to commit; retry",
                        );
                    }
                }
            }
        }
        if let Some(mut flight) = in_flight.take() {
            let done = (&mut flight.task).await;
            self.finish(flight, done).await;
        }
        tracing::info!(
            size = self.state.size(),
            "audit sequencer stopped after draining its queue"
        );
    }

    /// Looks up and classifies the requests' events, then seals the new ones, appends
    /// them to the tree and signs the checkpoint. The tree state moves on at once and is
    /// reloaded from the store when a commit fails.
    async fn prepare(&mut self, requests: Vec<Request>, in_flight: Option<&InFlight>) -> Step {
        let ids: Vec<Uuid> = requests
            .iter()
            .flat_map(|request| request.events.iter().map(|event| event.event_id))
            .collect();
        let mut existing: HashMap<Uuid, StoredEvent> = match self.store.events_by_ids(&ids).await {
            Ok(found) => found.into_iter().map(|e| (e.columns.event_id, e)).collect(),
            Err(error) => {
                tracing::error!(%error, "looking up event ids failed; rejecting the batch");
                fail_all_requests(requests, &error.to_string());
                return Step::Nothing;
            }
        };
        if let Some(flight) = in_flight {
            for id in &ids {
                if let Some(position) = flight.positions.get(id) {
                    let sealed = &flight.batch.events[*position];
                    existing.insert(*id, unwritten_event(flight.first_index, *position, sealed));
                }
            }
        }

        // Decide each request: all its events are new or identical retries, or it fails.
        let mut accepted: Vec<(Request, Vec<Slot>)> = Vec::new();
        // New events of earlier requests in this batch: id to (index, position).
        let mut pending: HashMap<Uuid, (u64, usize)> = HashMap::new();
        let mut new_events: Vec<NewEvent> = Vec::new();
        let mut erase: Vec<u64> = Vec::new();
        let first_index = self.state.size();
        for request in requests {
            match self.classify(
                &request,
                &existing,
                &pending,
                &new_events,
                first_index + new_events.len() as u64,
            ) {
                Ok(slots) => {
                    for (event, slot) in request.events.iter().zip(&slots) {
                        if let Slot::New(index) = slot {
                            pending.insert(event.event_id, (*index, new_events.len()));
                            new_events.push(event.clone());
                        }
                    }
                    erase.extend(&request.erase);
                    accepted.push((request, slots));
                }
                Err(error) => {
                    let _ = request.reply.send(Err(error));
                }
            }
        }
        if accepted.is_empty() {
            return Step::Nothing;
        }
        if new_events.is_empty() && erase.is_empty() {
            return Step::RetriesOnly(accepted);
        }
        let span = commit_span::<S>(&accepted, first_index, new_events.len());
        match self.seal(first_index, new_events, erase) {
            Ok(batch) => Step::Write(Prepared {
                accepted,
                first_index,
                batch: Arc::new(batch),
                span,
            }),
            Err(error) => {
                span.record("otel.status_code", "ERROR");
                tracing::error!(parent: &span, %error, "sealing a batch failed");
                fail_all(accepted, &error);
                Step::Nothing
            }
        }
    }

    /// Seals the events, appends their leaves to the tree and signs the new checkpoint.
    fn seal(
        &mut self,
        first_index: u64,
        events: Vec<NewEvent>,
        erase: Vec<u64>,
    ) -> Result<CommitBatch, String> {
        let recorded_time = Timestamp::now();
        let salts = new_salts(events.len())
            .map_err(|error| format!("the system random source failed: {error}"))?;
        let sealed: Vec<SealedEvent> = events
            .iter()
            .zip(salts)
            .map(|(event, salt)| event.seal(&self.signer.name, recorded_time, salt))
            .collect();
        let leaves: Vec<Hash> = sealed.iter().map(|event| leaf_hash(&event.leaf)).collect();
        let tiles = self.state.append(&leaves);
        let root = self.state.root();
        let text = Checkpoint {
            origin: self.signer.name.clone(),
            size: self.state.size(),
            root,
        }
        .to_text();
        let checkpoint = StoredCheckpoint {
            size: self.state.size(),
            root,
            note: self.signer.sign(&text).to_text(),
        };
        Ok(CommitBatch {
            first_index,
            events: sealed,
            tiles,
            checkpoint,
            erase_payloads: erase,
        })
    }

    /// Starts writing a prepared batch in a task of its own.
    fn launch(&self, prepared: Prepared) -> InFlight {
        let positions = prepared
            .batch
            .events
            .iter()
            .enumerate()
            .filter_map(|(position, event)| {
                Uuid::try_parse(&event.envelope.event_id)
                    .ok()
                    .map(|id| (id, position))
            })
            .collect();
        let store = Arc::clone(&self.store);
        let batch = Arc::clone(&prepared.batch);
        let task = tokio::spawn(
            async move { store.commit(&batch).await }.instrument(prepared.span.clone()),
        );
        InFlight {
            accepted: prepared.accepted,
            first_index: prepared.first_index,
            batch: prepared.batch,
            span: prepared.span,
            started: Instant::now(),
            positions,
            task,
        }
    }

    /// Settles a written batch and returns whether it committed. On success its tiles
    /// and checkpoint become current and its events are acknowledged. On failure every
    /// request of it fails and the tree state is reloaded from the store.
    async fn finish(
        &mut self,
        flight: InFlight,
        done: Result<StoreResult<()>, tokio::task::JoinError>,
    ) -> bool {
        let span = flight.span;
        span.record(
            "audit.commit.duration_ms",
            flight.started.elapsed().as_secs_f64() * 1000.0,
        );
        let error = match done {
            Ok(Ok(())) => None,
            Ok(Err(error)) => Some(error.to_string()),
            Err(error) => Some(format!("the commit task ended abnormally: {error}")),
        };
        if let Some(error) = error {
            span.record("otel.status_code", "ERROR");
            tracing::error!(parent: &span, %error, first_index = flight.first_index, "committing a batch failed; no event of it was acknowledged");
            fail_all(flight.accepted, &error);
            self.reload_after_failure().await;
            return false;
        }
        span.record("otel.status_code", "OK");
        let batch = flight.batch;
        for tile in &batch.tiles {
            self.recent
                .insert(tile.level, tile.index, tile.hashes.clone());
        }
        self.forget_old_tiles(batch.checkpoint.size);
        self.metrics.appends.inc_by(batch.events.len() as u64);
        self.metrics.batch_size.observe(batch.events.len() as f64);
        self.metrics
            .commit_seconds
            .observe(flight.started.elapsed().as_secs_f64());
        self.metrics.mark_checkpoint(batch.checkpoint.size);
        self.checkpoint = Some(batch.checkpoint.clone());
        let checkpoint = batch.checkpoint.clone();
        span.in_scope(|| {
            self.acknowledge(flight.accepted, Some(batch), flight.first_index, checkpoint)
        });
        true
    }

    /// Reloads the tree state after a failed commit. The commit may have reached the
    /// database before the connection failed, so the state is read, not assumed.
    async fn reload_after_failure(&mut self) {
        match self.store.load().await {
            Ok((state, checkpoint)) => {
                self.state = state;
                self.checkpoint = checkpoint;
            }
            Err(load_error) => {
                tracing::error!(error = %load_error, "reloading the tree state after a failed commit failed");
            }
        }
        self.recent = TileSet::default();
        self.remember_partials();
    }

    fn classify(
        &self,
        request: &Request,
        existing: &HashMap<Uuid, StoredEvent>,
        pending: &HashMap<Uuid, (u64, usize)>,
        new_events: &[NewEvent],
        mut next_index: u64,
    ) -> Result<Vec<Slot>, AppendError> {
        let mut slots = Vec::with_capacity(request.events.len());
        let mut seen_here: HashMap<Uuid, &NewEvent> = HashMap::new();
        for event in &request.events {
            if let Some(stored) = existing.get(&event.event_id) {
                let envelope = Envelope::from_leaf(&stored.leaf).map_err(AppendError::Store)?;
                let payload = stored
                    .payload
                    .as_ref()
                    .map(|p| (p.salt.as_slice(), p.payload.as_str()));
                if !event.same_content(&envelope, payload) {
                    return Err(AppendError::Conflict {
                        event_id: event.event_id,
                        index: Some(stored.index),
                    });
                }
                slots.push(Slot::Existing(Box::new(stored.clone())));
            } else if let Some((index, position)) = pending.get(&event.event_id) {
                if new_events.get(*position) != Some(event) {
                    return Err(AppendError::Conflict {
                        event_id: event.event_id,
                        index: None,
                    });
                }
                slots.push(Slot::Retry(*index));
            } else if let Some(earlier) = seen_here.get(&event.event_id) {
                if *earlier != event {
                    return Err(AppendError::Conflict {
                        event_id: event.event_id,
                        index: None,
                    });
                }
                // Same id twice in one request: both get the first one's index.
                let index = slots
                    .iter()
                    .zip(&request.events)
                    .find_map(|(slot, e)| match slot {
                        Slot::New(index) if e.event_id == event.event_id => Some(*index),
                        _ => None,
                    })
                    .unwrap_or(next_index);
                slots.push(Slot::Retry(index));
            } else {
                seen_here.insert(event.event_id, event);
                slots.push(Slot::New(next_index));
                next_index += 1;
            }
        }
        Ok(slots)
    }

    fn acknowledge(
        &self,
        accepted: Vec<(Request, Vec<Slot>)>,
        batch: Option<Arc<CommitBatch>>,
        first_index: u64,
        checkpoint: StoredCheckpoint,
    ) {
        let tiles = self.recent.clone();
        let store = Arc::clone(&self.store);
        // Proofs are built off the sequencer's path so the next batch can start at once,
        // in the commit's span when there is one.
        let span = tracing::Span::current();
        let proofs = async move {
            let size = checkpoint.size;
            let mut indexes: Vec<u64> = Vec::new();
            for (_, slots) in &accepted {
                for slot in slots {
                    indexes.push(match slot {
                        Slot::New(index) | Slot::Retry(index) => *index,
                        Slot::Existing(stored) => stored.index,
                    });
                }
            }
            let proofs = match build_proofs(store.as_ref(), tiles, &indexes, size).await {
                Ok(proofs) => proofs,
                Err(error) => {
                    tracing::error!(%error, "building inclusion proofs failed after a commit");
                    for (request, _) in accepted {
                        let _ = request.reply.send(Err(AppendError::Store(format!(
                            "the events are stored but their proofs failed: {error}"
                        ))));
                    }
                    return;
                }
            };
            for (request, slots) in accepted {
                let acks = slots
                    .iter()
                    .zip(&request.events)
                    .map(|(slot, event)| {
                        let written = |index: u64| {
                            batch
                                .as_ref()
                                .and_then(|batch| batch.events.get((index - first_index) as usize))
                                .map(|event| event.leaf.clone())
                                .unwrap_or_default()
                        };
                        let (index, leaf, duplicate) = match slot {
                            Slot::New(index) => (*index, written(*index), false),
                            Slot::Retry(index) => (*index, written(*index), true),
                            Slot::Existing(stored) => (stored.index, stored.leaf.clone(), true),
                        };
                        Ack {
                            index,
                            event_id: event.event_id,
                            leaf,
                            checkpoint: checkpoint.clone(),
                            proof: proofs.get(&index).cloned().unwrap_or_default(),
                            duplicate,
                        }
                    })
                    .collect();
                let _ = request.reply.send(Ok(acks));
            }
        };
        tokio::spawn(proofs.instrument(span));
    }

    fn remember_partials(&mut self) {
        for (level, hashes) in self.state.partial_tiles().iter().enumerate() {
            let entries = crate::ledger::tiles::entries_at_level(self.state.size(), level as u8);
            self.recent
                .insert(level as u8, entries / TILE_WIDTH as u64, hashes.clone());
        }
    }

    /// Keeps, per level, only the partial tile of the committed tree of `size` leaves
    /// and the two full tiles before it.
    fn forget_old_tiles(&mut self, size: u64) {
        self.recent.retain(|level, index| {
            let current = crate::ledger::tiles::entries_at_level(size, level) / TILE_WIDTH as u64;
            index + 2 >= current
        });
    }
}

/// Fails every request of a batch that will not be written, with the same error.
fn fail_all(accepted: Vec<(Request, Vec<Slot>)>, error: &str) {
    fail_all_requests(accepted.into_iter().map(|(request, _)| request), error);
}

fn fail_all_requests(requests: impl IntoIterator<Item = Request>, error: &str) {
    for request in requests {
        let _ = request
            .reply
            .send(Err(AppendError::Store(error.to_owned())));
    }
}

/// An event of a batch still being written, as a lookup would return it once stored.
fn unwritten_event(first_index: u64, position: usize, sealed: &SealedEvent) -> StoredEvent {
    StoredEvent {
        index: first_index + position as u64,
        leaf: sealed.leaf.clone(),
        columns: EventColumns::from_envelope(&sealed.envelope).unwrap_or_else(|| EventColumns {
            event_id: Uuid::nil(),
            tenant: String::new(),
            event_time_us: 0,
            recorded_time_us: 0,
            actor: String::new(),
            action: String::new(),
            resource: String::new(),
            outcome: String::new(),
            amount: None,
            currency: None,
        }),
        payload: Some(StoredPayload {
            salt: sealed.salt.to_vec(),
            payload: sealed.payload.clone(),
        }),
    }
}

/// Creates the span of one batch commit, linked to the span of every request in it.
///
/// A link, not a parent: one commit serves many requests of unrelated traces. The SDK
/// keeps at most 128 links per span by default (`OTEL_SPAN_LINK_COUNT_LIMIT`), so the
/// links of a larger batch are cut there, while `audit.batch.requests` keeps the count.
fn commit_span<S: AuditStore>(
    accepted: &[(Request, Vec<Slot>)],
    first_index: u64,
    new_events: usize,
) -> tracing::Span {
    // tracing-opentelemetry 0.34 exports unsigned fields as strings, so counts and indexes
    // are recorded as i64.
    let span = tracing::info_span!(
        parent: None,
        "audit.batch.commit",
        otel.name = "audit batch commit",
        otel.status_code = Empty,
        audit.batch.size = new_events as i64,
        audit.batch.first_index = first_index as i64,
        audit.batch.last_index = Empty,
        audit.batch.requests = accepted.len() as i64,
        audit.commit.duration_ms = Empty,
        db.system.name = S::KIND,
    );
    if new_events > 0 {
        span.record(
            "audit.batch.last_index",
            (first_index + new_events as u64 - 1) as i64,
        );
    }
    for (request, _) in accepted {
        let context = request.span.context();
        let linked = context.span().span_context().clone();
        // An invalid context (tracing off, or a disabled span) is ignored by add_link.
        span.add_link(linked);
    }
    span
}

/// Builds inclusion proofs for `indexes` in the tree of `size` leaves, reading from the
/// store only the tiles that `tiles` lacks.
#[tracing::instrument(
    name = "audit.proofs.build",
    skip_all,
    fields(otel.name = "audit proof build", audit.proof.count = indexes.len() as i64, audit.tree.size = size as i64)
)]
pub async fn build_proofs<S: AuditStore>(
    store: &S,
    mut tiles: TileSet,
    indexes: &[u64],
    size: u64,
) -> Result<HashMap<u64, Vec<Hash>>, String> {
    // Proofs of new events usually need only the recent tiles the sequencer passes in,
    // so try those first and collect the nodes to fetch only when a tile is missing.
    if let Some(proofs) = proofs_from(&tiles, indexes, size) {
        return Ok(proofs);
    }
    let mut nodes: Vec<NodeId> = Vec::new();
    for index in indexes {
        nodes.extend(needed_nodes(Some(*index), None, size));
    }
    nodes.sort_unstable();
    nodes.dedup();
    let missing: Vec<(u8, u64)> = tiles_for_nodes(&nodes)
        .into_iter()
        .filter(|(level, index, width)| !tiles.contains(*level, *index, *width))
        .map(|(level, index, _)| (level, index))
        .collect();
    if !missing.is_empty() {
        tiles.merge(
            store
                .tiles(&missing)
                .await
                .map_err(|error| error.to_string())?,
        );
    }
    let mut source = MemoNodes::new(&tiles);
    let mut proofs = HashMap::with_capacity(indexes.len());
    for index in indexes {
        let proof =
            inclusion_proof(*index, size, &mut source).map_err(|error| error.to_string())?;
        proofs.insert(*index, proof);
    }
    Ok(proofs)
}

/// Builds the proofs from `tiles` alone, or returns `None` when a tile is missing.
fn proofs_from(tiles: &TileSet, indexes: &[u64], size: u64) -> Option<HashMap<u64, Vec<Hash>>> {
    let mut source = MemoNodes::new(tiles);
    let mut proofs = HashMap::with_capacity(indexes.len());
    for index in indexes {
        proofs.insert(*index, inclusion_proof(*index, size, &mut source).ok()?);
    }
    Some(proofs)
}
