//! Request handlers. Each checks its scope first, then validates input completely before
//! anything is submitted, so a rejected request writes nothing. A token with a tenant
//! list reaches only events of those tenants: other tenants' events get 403, and queries
//! return only its tenants.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::auth::{Scope, allows_tenant};
use super::error::ApiError;
use super::{App, mask_payload, parse_json, record_tenants};
use crate::event::{FieldError, NewEvent};
use crate::ledger::hash::Hash;
use crate::ledger::proof::{consistency_proof, needed_nodes, root_hash};
use crate::ledger::tiles::{MemoNodes, TILE_WIDTH, TileId, parse_entries_path, tiles_for_nodes};
use crate::retention::{self, ERASE_ACTION, HOLD_ADD_ACTION, HOLD_RELEASE_ACTION, PURGE_ACTION};
use crate::sequencer::{Ack, Erasure, build_proofs};
use crate::store::{AuditStore, EventQuery, StoredCheckpoint, StoredEvent, StoredToken};

type AppState<S> = State<Arc<App<S>>>;

fn b64_list(hashes: &[Hash]) -> Vec<String> {
    hashes.iter().map(|hash| BASE64.encode(hash)).collect()
}

fn ack_json(ack: &Ack) -> Value {
    json!({
        "index": ack.index,
        "event_id": ack.event_id.to_string(),
        "duplicate": ack.duplicate,
        "leaf": String::from_utf8_lossy(&ack.leaf),
        "tree_size": ack.checkpoint.size,
        "inclusion_proof": b64_list(&ack.proof),
        "checkpoint": ack.checkpoint.note,
    })
}

/// Rejects a request for an event of a tenant the token does not list.
fn require_tenant(token: &StoredToken, tenant: &str) -> Result<(), ApiError> {
    if allows_tenant(token, tenant) {
        Ok(())
    } else {
        tracing::warn!(token_name = %token.name, tenant, "request rejected: tenant not allowed");
        Err(ApiError::TenantForbidden(tenant.to_owned()))
    }
}

/// Rejects a request that spans every tenant when the token has a tenant list.
fn require_all_tenants(token: &StoredToken, action: &'static str) -> Result<(), ApiError> {
    if token.tenants.is_none() {
        Ok(())
    } else {
        tracing::warn!(token_name = %token.name, action, "request rejected: token is tenant-bound");
        Err(ApiError::AllTenantsForbidden(action))
    }
}

fn validate_event<S>(app: &App<S>, mut value: Value) -> Result<NewEvent, FieldError> {
    if let Some(payload) = value.get_mut("payload") {
        *payload = mask_payload(payload.take());
    }
    NewEvent::from_json(&value, app.config.max_payload_bytes)
}

pub(super) async fn append<S: AuditStore>(
    State(app): AppState<S>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let token = app.authorize(&headers, Scope::Append).await?;
    let value = parse_json(body, app.config.max_body_bytes)?;
    let event = validate_event(&app, value).map_err(ApiError::field)?;
    require_tenant(&token, &event.tenant)?;
    record_tenants([event.tenant.as_str()]);
    let acks = app.sequencer.append(vec![event]).await?;
    let ack = acks
        .first()
        .ok_or_else(|| ApiError::Internal("empty acknowledgement".to_owned()))?;
    Ok(Json(ack_json(ack)))
}

pub(super) async fn append_batch<S: AuditStore>(
    State(app): AppState<S>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let token = app.authorize(&headers, Scope::Append).await?;
    let value = parse_json(body, app.config.max_body_bytes)?;
    let Some(Value::Array(items)) = value.get("events").cloned() else {
        return Err(ApiError::field(FieldError::new(
            "events",
            "must be an array of events",
        )));
    };
    if items.is_empty() || items.len() > app.config.max_batch_events {
        return Err(ApiError::field(FieldError::new(
            "events",
            format!(
                "must hold 1 to {} events, found {}",
                app.config.max_batch_events,
                items.len()
            ),
        )));
    }
    let mut events = Vec::with_capacity(items.len());
    for (position, item) in items.into_iter().enumerate() {
        let event = validate_event(&app, item).map_err(|error| {
            ApiError::field(FieldError::new(
                &format!("events[{position}].{}", error.field),
                error.reason,
            ))
        })?;
        require_tenant(&token, &event.tenant)?;
        events.push(event);
    }
    record_tenants(events.iter().map(|event| event.tenant.as_str()));
    let acks = app.sequencer.append(events).await?;
    Ok(Json(
        json!({"acks": acks.iter().map(ack_json).collect::<Vec<_>>()}),
    ))
}

/// The query-string parameters of one request by name. The handlers parse each value
/// themselves, so every error names the parameter in `field`.
struct QueryParams(HashMap<String, String>);

type RawParams = Result<Query<Vec<(String, String)>>, QueryRejection>;

impl QueryParams {
    /// Collects the parameters, rejecting a name outside `known` and a name given twice.
    fn collect(raw: RawParams, known: &[&str]) -> Result<QueryParams, ApiError> {
        let Query(pairs) = raw.map_err(|rejection| {
            ApiError::bad(format!("invalid query string: {}", rejection.body_text()))
        })?;
        let mut values = HashMap::new();
        for (name, value) in pairs {
            if !known.contains(&name.as_str()) {
                let message = format!(
                    "unknown query parameter `{name}`; this endpoint takes {}",
                    known.join(", ")
                );
                return Err(ApiError::parameter(&name, message));
            }
            if values.contains_key(&name) {
                let message =
                    format!("query parameter `{name}` is given more than once; give it once");
                return Err(ApiError::parameter(&name, message));
            }
            values.insert(name, value);
        }
        Ok(QueryParams(values))
    }

    fn text(&self, name: &str) -> Option<String> {
        self.0.get(name).cloned()
    }

    /// Parses an optional parameter. `expected` describes a valid value and `example` is
    /// one, both for the error message.
    fn parse<T: FromStr>(
        &self,
        name: &str,
        expected: &str,
        example: &str,
    ) -> Result<Option<T>, ApiError> {
        let Some(value) = self.0.get(name) else {
            return Ok(None);
        };
        value
            .parse()
            .map(Some)
            .map_err(|_| invalid_parameter(name, value, expected, example))
    }

    /// Parses a parameter the endpoint cannot do without.
    fn required<T: FromStr>(
        &self,
        name: &str,
        expected: &str,
        example: &str,
    ) -> Result<T, ApiError> {
        self.parse(name, expected, example)?.ok_or_else(|| {
            ApiError::parameter(
                name,
                format!(
                    "missing query parameter `{name}`: add {expected}, such as `{name}={example}`"
                ),
            )
        })
    }
}

/// Maximum characters of a rejected value that an error message repeats.
const MAX_SHOWN_VALUE_CHARS: usize = 40;

fn invalid_parameter(name: &str, value: &str, expected: &str, example: &str) -> ApiError {
    let mut excerpt: String = value.chars().take(MAX_SHOWN_VALUE_CHARS).collect();
    if excerpt.len() < value.len() {
        excerpt.push_str("...");
    }
    ApiError::parameter(
        name,
        format!(
            "invalid query parameter `{name}`: expected {expected}, such as `{name}={example}`, found `{excerpt}`"
        ),
    )
}

// Descriptions of valid values, for error messages.
const TREE_SIZE: &str = "a tree size (a non-negative integer)";
const LEAF_INDEX: &str = "a leaf index (a non-negative integer)";
const RFC3339_TIME: &str = "an RFC 3339 time";
const TIME_EXAMPLE: &str = "2026-12-01T00:00:00Z";

/// Parses an RFC 3339 time parameter into microseconds since the Unix epoch.
fn parse_time(params: &QueryParams, name: &str) -> Result<Option<i64>, ApiError> {
    let time: Option<Timestamp> = params.parse(name, RFC3339_TIME, TIME_EXAMPLE)?;
    Ok(time.map(|time| time.as_microsecond()))
}

async fn latest<S: AuditStore>(app: &App<S>) -> Result<StoredCheckpoint, ApiError> {
    app.store
        .latest_checkpoint()
        .await?
        .ok_or_else(|| ApiError::NotFound("the log is empty; no checkpoint exists yet".to_owned()))
}

/// Renders stored events with inclusion proofs against one checkpoint.
async fn events_with_proofs<S: AuditStore>(
    app: &App<S>,
    events: Vec<StoredEvent>,
    checkpoint: &StoredCheckpoint,
) -> Result<Vec<Value>, ApiError> {
    let visible: Vec<StoredEvent> = events
        .into_iter()
        .filter(|e| e.index < checkpoint.size)
        .collect();
    let indexes: Vec<u64> = visible.iter().map(|e| e.index).collect();
    let proofs = build_proofs(
        app.store.as_ref(),
        Default::default(),
        &indexes,
        checkpoint.size,
    )
    .await
    .map_err(ApiError::Internal)?;
    Ok(visible
        .iter()
        .map(|event| {
            let payload: Value = event
                .payload
                .as_ref()
                .and_then(|p| serde_json::from_str(&p.payload).ok())
                .unwrap_or(Value::Null);
            json!({
                "index": event.index,
                "leaf": String::from_utf8_lossy(&event.leaf),
                "payload": payload,
                "payload_salt": event.payload.as_ref().map(|p| crate::ledger::hash::to_hex(&p.salt)),
                "erased": event.payload.is_none(),
                "inclusion_proof": proofs.get(&event.index).map(|proof| b64_list(proof)).unwrap_or_default(),
            })
        })
        .collect())
}

pub(super) async fn query<S: AuditStore>(
    State(app): AppState<S>,
    headers: HeaderMap,
    raw: RawParams,
) -> Result<Json<Value>, ApiError> {
    let token = app.authorize(&headers, Scope::Read).await?;
    let params = QueryParams::collect(
        raw,
        &[
            "tenant", "actor", "resource", "action", "from", "to", "after", "limit",
        ],
    )?;
    let tenant = params.text("tenant");
    if let Some(tenant) = &tenant {
        require_tenant(&token, tenant)?;
    }
    let max_rows = app.config.max_query_rows;
    let limit_expected = format!("an integer from 1 to {max_rows}");
    let limit = params
        .parse("limit", &limit_expected, "100")?
        .unwrap_or(100);
    if limit == 0 || limit > max_rows {
        return Err(invalid_parameter(
            "limit",
            &limit.to_string(),
            &limit_expected,
            "100",
        ));
    }
    if let Some(tenant) = &tenant {
        record_tenants([tenant.as_str()]);
    }
    let query = EventQuery {
        tenant,
        tenants: token.tenants.clone(),
        actor: params.text("actor"),
        resource: params.text("resource"),
        action: params.text("action"),
        // `from` is inclusive and `to` exclusive.
        from_us: parse_time(&params, "from")?,
        to_us: parse_time(&params, "to")?,
        after_index: params.parse("after", LEAF_INDEX, "100")?,
        limit,
    };
    let checkpoint = latest(&app).await?;
    let events = app.store.query(&query).await?;
    let rendered = events_with_proofs(&app, events, &checkpoint).await?;
    Ok(Json(json!({
        "tree_size": checkpoint.size,
        "checkpoint": checkpoint.note,
        "events": rendered,
    })))
}

fn parse_event_id(text: &str) -> Result<Uuid, ApiError> {
    Uuid::try_parse(text)
        .map_err(|_| ApiError::field(FieldError::new("event_id", "must be a UUID")))
}

async fn find_event<S: AuditStore>(app: &App<S>, event_id: Uuid) -> Result<StoredEvent, ApiError> {
    app.store
        .events_by_ids(&[event_id])
        .await?
        .pop()
        .ok_or_else(|| ApiError::NotFound(format!("no event with id {event_id}")))
}

pub(super) async fn event_by_id<S: AuditStore>(
    State(app): AppState<S>,
    headers: HeaderMap,
    Path(event_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let token = app.authorize(&headers, Scope::Read).await?;
    let event = find_event(&app, parse_event_id(&event_id)?).await?;
    require_tenant(&token, &event.columns.tenant)?;
    let checkpoint = latest(&app).await?;
    let mut rendered = events_with_proofs(&app, vec![event], &checkpoint).await?;
    let mut body = rendered
        .pop()
        .ok_or_else(|| ApiError::NotFound("event is not yet in a checkpoint".to_owned()))?;
    body["tree_size"] = json!(checkpoint.size);
    body["checkpoint"] = json!(checkpoint.note);
    Ok(Json(body))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EraseRequest {
    reason: String,
}

pub(super) async fn erase<S: AuditStore>(
    State(app): AppState<S>,
    headers: HeaderMap,
    Path(event_id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let token = app.authorize(&headers, Scope::Admin).await?;
    let value = parse_json(body, app.config.max_body_bytes)?;
    let request: EraseRequest = body_from(value, r#"{"reason": string}"#)?;
    if request.reason.trim().is_empty() {
        return Err(ApiError::field(FieldError::new(
            "reason",
            "must not be empty",
        )));
    }
    let target = find_event(&app, parse_event_id(&event_id)?).await?;
    require_tenant(&token, &target.columns.tenant)?;
    if target.payload.is_none() {
        return Err(ApiError::Conflict(format!(
            "the payload of event {event_id} is already erased"
        )));
    }
    let holds = app.store.active_holds().await?;
    if retention::is_held(&holds, &target.columns) {
        return Err(ApiError::Conflict(format!(
            "event {event_id} is under a legal hold"
        )));
    }
    let event = retention::erasure_event(
        &target,
        &format!("token:{}", token.name),
        ERASE_ACTION,
        &request.reason,
    )
    .map_err(ApiError::field)?;
    let acks = app
        .sequencer
        .erase(vec![Erasure {
            index: target.index,
            event,
        }])
        .await?;
    tracing::info!(index = target.index, token_name = %token.name, "payload erased on request");
    Ok(Json(
        json!({"erased_index": target.index, "erasure": acks.first().map(ack_json)}),
    ))
}

pub(super) async fn checkpoint_json<S: AuditStore>(
    State(app): AppState<S>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    app.authorize(&headers, Scope::Read).await?;
    let checkpoint = latest(&app).await?;
    Ok(Json(json!({
        "tree_size": checkpoint.size,
        "root": BASE64.encode(checkpoint.root),
        "checkpoint": checkpoint.note,
        "log_key": app.signer.verifier().to_text(),
    })))
}

pub(super) async fn checkpoint_text<S: AuditStore>(
    State(app): AppState<S>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    app.authorize(&headers, Scope::Audit).await?;
    let checkpoint = latest(&app).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        checkpoint.note,
    )
        .into_response())
}

pub(super) async fn inclusion<S: AuditStore>(
    State(app): AppState<S>,
    headers: HeaderMap,
    raw: RawParams,
) -> Result<Json<Value>, ApiError> {
    let token = app.authorize(&headers, Scope::Read).await?;
    let params = QueryParams::collect(raw, &["index", "size"])?;
    let index: u64 = params.required("index", LEAF_INDEX, "0")?;
    let size: Option<u64> = params.parse("size", TREE_SIZE, "10")?;
    let checkpoint = latest(&app).await?;
    let latest_size = checkpoint.size;
    let size = size.unwrap_or(latest_size);
    if size > latest_size {
        return Err(invalid_parameter(
            "size",
            &size.to_string(),
            &format!("a tree size of at most {latest_size}, the latest checkpoint"),
            &latest_size.to_string(),
        ));
    }
    if index >= size {
        return Err(invalid_parameter(
            "index",
            &index.to_string(),
            &format!("a leaf index below the tree size {size}"),
            "0",
        ));
    }
    let proofs = build_proofs(app.store.as_ref(), Default::default(), &[index], size)
        .await
        .map_err(ApiError::Internal)?;
    let event = app.store.event_by_index(index).await?;
    if let Some(event) = &event {
        require_tenant(&token, &event.columns.tenant)?;
    } else {
        require_all_tenants(&token, "read an entry that has no stored event row")?;
    }
    let leaf = event.map(|e| e.leaf);
    Ok(Json(json!({
        "index": index,
        "tree_size": size,
        "leaf": leaf.map(|leaf| String::from_utf8_lossy(&leaf).into_owned()),
        "inclusion_proof": proofs.get(&index).map(|p| b64_list(p)).unwrap_or_default(),
    })))
}

pub(super) async fn consistency<S: AuditStore>(
    State(app): AppState<S>,
    headers: HeaderMap,
    raw: RawParams,
) -> Result<Json<Value>, ApiError> {
    app.authorize(&headers, Scope::Audit).await?;
    let params = QueryParams::collect(raw, &["from", "to"])?;
    let from: u64 = params.required("from", TREE_SIZE, "10")?;
    let to: Option<u64> = params.parse("to", TREE_SIZE, "20")?;
    let checkpoint = latest(&app).await?;
    let latest_size = checkpoint.size;
    let to = to.unwrap_or(latest_size);
    if to > latest_size {
        return Err(invalid_parameter(
            "to",
            &to.to_string(),
            &format!("a tree size of at most {latest_size}, the latest checkpoint"),
            &latest_size.to_string(),
        ));
    }
    if from > to {
        return Err(invalid_parameter(
            "from",
            &from.to_string(),
            &format!("a tree size of at most `to`, here {to}"),
            &to.to_string(),
        ));
    }
    let (proof, from_root, to_root) = consistency_between(app.store.as_ref(), from, to).await?;
    Ok(Json(json!({
        "from": from,
        "to": to,
        "from_root": BASE64.encode(from_root),
        "to_root": BASE64.encode(to_root),
        "consistency_proof": b64_list(&proof),
    })))
}

/// Builds the consistency proof between two sizes and both roots from stored tiles.
pub async fn consistency_between<S: AuditStore>(
    store: &S,
    from: u64,
    to: u64,
) -> Result<(Vec<Hash>, Hash, Hash), ApiError> {
    let nodes = needed_nodes(None, Some(from), to);
    let wanted: Vec<(u8, u64)> = tiles_for_nodes(&nodes)
        .into_iter()
        .map(|(l, i, _)| (l, i))
        .collect();
    let tiles = store.tiles(&wanted).await?;
    let mut source = MemoNodes::new(&tiles);
    let proof = consistency_proof(from, to, &mut source)
        .map_err(|error| ApiError::Internal(error.to_string()))?;
    let from_root =
        root_hash(from, &mut source).map_err(|error| ApiError::Internal(error.to_string()))?;
    let to_root =
        root_hash(to, &mut source).map_err(|error| ApiError::Internal(error.to_string()))?;
    Ok((proof, from_root, to_root))
}

pub(super) async fn holds<S: AuditStore>(
    State(app): AppState<S>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let token = app.authorize(&headers, Scope::Admin).await?;
    let mut holds = app.store.active_holds().await?;
    holds.retain(|hold| allows_tenant(&token, &hold.tenant));
    Ok(Json(json!({"holds": holds.iter().map(|h| json!({
        "id": h.id, "tenant": h.tenant, "resource_prefix": h.resource_prefix, "reason": h.reason,
    })).collect::<Vec<_>>()})))
}

/// Reads a small request body of the form `shape`. The 400 error names the member that
/// has the wrong type, is missing or is not expected.
fn body_from<T: serde::de::DeserializeOwned>(value: Value, shape: &str) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner().to_string();
        // Missing and unknown members are reported on the object itself, with the
        // member's name between backticks.
        let field = if path == "." {
            inner
                .strip_prefix("missing field `")
                .or_else(|| inner.strip_prefix("unknown field `"))
                .and_then(|rest| rest.split('`').next())
                .map(str::to_owned)
        } else {
            Some(path)
        };
        ApiError::BadRequest {
            message: format!("invalid request body, expected {shape}: {inner}"),
            field,
        }
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HoldRequest {
    tenant: String,
    #[serde(default)]
    resource_prefix: String,
    reason: String,
}

pub(super) async fn add_hold<S: AuditStore>(
    State(app): AppState<S>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let token = app.authorize(&headers, Scope::Admin).await?;
    let value = parse_json(body, app.config.max_body_bytes)?;
    let request: HoldRequest = body_from(
        value,
        r#"{"tenant": string, "resource_prefix": string, "reason": string}"#,
    )?;
    if request.tenant.is_empty() || request.reason.trim().is_empty() {
        return Err(ApiError::field(FieldError::new(
            "reason",
            "tenant and reason must not be empty",
        )));
    }
    require_tenant(&token, &request.tenant)?;
    let event = retention::system_event(
        &request.tenant,
        &format!("token:{}", token.name),
        HOLD_ADD_ACTION,
        &format!("hold/{}", request.resource_prefix),
        json!({"resource_prefix": request.resource_prefix, "reason": request.reason}),
    )
    .map_err(ApiError::field)?;
    let id = app
        .store
        .add_hold(&request.tenant, &request.resource_prefix, &request.reason)
        .await?;
    let acks = app.sequencer.append(vec![event]).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": id, "event": acks.first().map(ack_json)})),
    ))
}

pub(super) async fn release_hold<S: AuditStore>(
    State(app): AppState<S>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    let token = app.authorize(&headers, Scope::Admin).await?;
    let holds = app.store.active_holds().await?;
    let hold = holds
        .iter()
        .find(|hold| hold.id == id)
        .ok_or_else(|| ApiError::NotFound(format!("no active legal hold with id {id}")))?;
    require_tenant(&token, &hold.tenant)?;
    let event = retention::system_event(
        &hold.tenant,
        &format!("token:{}", token.name),
        HOLD_RELEASE_ACTION,
        &format!("hold/{}", hold.resource_prefix),
        json!({"hold_id": id, "reason": hold.reason}),
    )
    .map_err(ApiError::field)?;
    app.store.release_hold(id).await?;
    let acks = app.sequencer.append(vec![event]).await?;
    Ok(Json(
        json!({"released": id, "event": acks.first().map(ack_json)}),
    ))
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct PurgeRequest {
    /// Maximum payloads to erase in this call.
    limit: Option<u32>,
}

#[tracing::instrument(
    name = "audit.purge",
    skip_all,
    fields(otel.name = "audit retention purge", audit.purge.erased = tracing::field::Empty, audit.purge.held = tracing::field::Empty)
)]
pub(super) async fn purge<S: AuditStore>(
    State(app): AppState<S>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let token = app.authorize(&headers, Scope::Admin).await?;
    require_all_tenants(&token, "purge payloads, which spans every tenant")?;
    let request: PurgeRequest = match body {
        Ok(bytes) if bytes.is_empty() => PurgeRequest::default(),
        other => body_from(
            parse_json(other, app.config.max_body_bytes)?,
            r#"{"limit": number}"#,
        )?,
    };
    let limit = request.limit.unwrap_or(1000).min(10_000);
    let now = Timestamp::now();
    let policy = &app.config.retention;
    let horizon = now.as_microsecond() - i64::from(policy.min_days()) * 86_400_000_000;
    let holds = app.store.active_holds().await?;
    let mut erasures = Vec::new();
    let mut held = 0u64;
    // Held payloads and payloads of longer retention classes stay in place, so the scan
    // goes on past them until `limit` payloads are erased or no candidate is left.
    let mut from = 0;
    'scan: loop {
        let candidates = app
            .store
            .payloads_recorded_before(horizon, from, limit)
            .await?;
        let Some(last) = candidates.last() else {
            break;
        };
        from = last.index + 1;
        for event in &candidates {
            if !policy.expired(&event.columns, now) {
                continue;
            }
            if retention::is_held(&holds, &event.columns) {
                held += 1;
                continue;
            }
            let days = policy.days_for(&event.columns.action);
            let reason = format!("retention period of {days} days expired");
            let erasure = retention::erasure_event(
                event,
                &format!("token:{}", token.name),
                PURGE_ACTION,
                &reason,
            )
            .map_err(ApiError::field)?;
            erasures.push(Erasure {
                index: event.index,
                event: erasure,
            });
            if erasures.len() == limit as usize {
                break 'scan;
            }
        }
        if candidates.len() < limit as usize {
            break;
        }
    }
    let erased: Vec<u64> = erasures.iter().map(|e| e.index).collect();
    if !erasures.is_empty() {
        app.sequencer.erase(erasures).await?;
    }
    let span = tracing::Span::current();
    span.record("audit.purge.erased", erased.len() as i64);
    span.record("audit.purge.held", held as i64);
    tracing::info!(erased = erased.len(), held, "retention purge finished");
    Ok(Json(json!({"erased": erased, "skipped_held": held})))
}

pub(super) async fn tile<S: AuditStore>(
    State(app): AppState<S>,
    headers: HeaderMap,
    Path(path): Path<String>,
) -> Result<Response, ApiError> {
    let token = app.authorize(&headers, Scope::Audit).await?;
    let full_path = format!("tile/{path}");
    let checkpoint = latest(&app).await?;
    let body = if path.starts_with("entries/") {
        // Hash tiles reveal nothing about events, but entry bundles contain whole leaves.
        require_all_tenants(
            &token,
            "read entry bundles, which hold events of every tenant",
        )?;
        let (index, width) =
            parse_entries_path(&full_path).map_err(|error| ApiError::bad(error.to_string()))?;
        let start = index * TILE_WIDTH as u64;
        let end = start + u64::from(width);
        if end > checkpoint.size {
            return Err(ApiError::NotFound(format!(
                "{full_path} is beyond the tree size {}",
                checkpoint.size
            )));
        }
        let entries = app.store.entries(start, end).await?;
        let mut body = Vec::new();
        for entry in entries {
            let length = u16::try_from(entry.leaf.len()).map_err(|_| {
                ApiError::Internal(format!("entry {} is longer than 65535 bytes", entry.index))
            })?;
            body.extend_from_slice(&length.to_be_bytes());
            body.extend_from_slice(&entry.leaf);
        }
        body
    } else {
        let tile = TileId::parse(&full_path).map_err(|error| ApiError::bad(error.to_string()))?;
        let tiles = app.store.tiles(&[(tile.level, tile.index)]).await?;
        let width = usize::from(tile.width);
        let hashes = tiles
            .get(tile.level, tile.index)
            .filter(|hashes| hashes.len() >= width)
            .ok_or_else(|| ApiError::NotFound(format!("{full_path} does not exist")))?;
        crate::ledger::tiles::encode_tile(&hashes[..width])
    };
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        body,
    )
        .into_response())
}

pub(super) async fn ready<S: AuditStore>(State(app): AppState<S>) -> Response {
    if app.shutting_down.load(std::sync::atomic::Ordering::Relaxed) {
        return (StatusCode::SERVICE_UNAVAILABLE, "shutting down\n").into_response();
    }
    match app.store.latest_checkpoint().await {
        Ok(_) => (StatusCode::OK, "ready\n").into_response(),
        Err(error) => {
            tracing::warn!(%error, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "store unavailable\n").into_response()
        }
    }
}

pub(super) async fn metrics<S: AuditStore>(State(app): AppState<S>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        app.metrics.render(),
    )
        .into_response()
}
