//! Tokens bound to tenants, through the HTTP API on a real socket, on SQLite and
//! PostgreSQL: appends, reads, queries, proofs and administration of other tenants are
//! rejected with 403, and tokens without a tenant list keep full access.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use hyper::{Method, StatusCode};
use nexafi_audit::client::AuditClient;
use nexafi_audit::metrics::Metrics;
use nexafi_audit::sequencer::{SequencerConfig, start};
use nexafi_audit::service::auth::{generate_token, hash_token};
use nexafi_audit::service::{App, ServiceConfig, run};
use nexafi_audit::store::{AuditStore, StoredToken};
use serde_json::{Value, json};
use uuid::Uuid;

struct Server<S> {
    url: String,
    store: Arc<S>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl<S: AuditStore> Server<S> {
    async fn start(store: S) -> Server<S> {
        let store = Arc::new(store);
        let signer = common::signer();
        let metrics = Arc::new(Metrics::new());
        let (handle, sequencer_task) = start(
            Arc::clone(&store),
            Arc::clone(&signer),
            SequencerConfig::default(),
            Arc::clone(&metrics),
        )
        .await
        .unwrap();
        let app = Arc::new(App::new(
            Arc::clone(&store),
            handle,
            signer,
            metrics,
            ServiceConfig::default(),
        ));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(run(listener, app, sequencer_task, None, async move {
            let _ = stopped.await;
        }));
        Server {
            url,
            store,
            stop: Some(stop),
            task,
        }
    }

    async fn token(&self, scopes: &[&str], tenants: Option<&[&str]>) -> AuditClient {
        let secret = generate_token().unwrap();
        let stored = StoredToken {
            name: format!("test-{}", scopes.join("-")),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            tenants: tenants.map(|list| list.iter().map(|t| t.to_string()).collect()),
        };
        self.store
            .insert_token(&hash_token(&secret), &stored)
            .await
            .unwrap();
        let found = self.store.find_token(&hash_token(&secret)).await.unwrap();
        assert_eq!(found.as_ref(), Some(&stored), "token round trip");
        AuditClient::new(&self.url, Some(secret)).unwrap()
    }

    async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        self.task.await.unwrap().unwrap();
    }
}

fn event(tenant: &str) -> Value {
    json!({
        "tenant": tenant,
        "event_id": Uuid::now_v7().to_string(),
        "event_time": "2026-12-04T10:00:00Z",
        "actor": "user:1",
        "action": "payment.create",
        "resource": format!("payment/{tenant}"),
        "outcome": "success",
        "payload": {"note": format!("for {tenant}")}
    })
}

async fn call(
    client: &AuditClient,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> (StatusCode, Value) {
    let (status, bytes) = client.send(method, path, body).await.unwrap();
    let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, value)
}

/// Asserts a 403 whose JSON error names `tenant`.
fn assert_tenant_rejected(case: &str, (status, body): (StatusCode, Value), tenant: &str) {
    assert_eq!(status, StatusCode::FORBIDDEN, "{case}: {body}");
    assert_eq!(body["error"]["code"], "forbidden_tenant", "{case}: {body}");
    assert_eq!(body["error"]["tenant"], tenant, "{case}: {body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(&format!("`{tenant}`")),
        "{case}: {message}"
    );
}

fn tenants_of(body: &Value) -> Vec<String> {
    body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| {
            let leaf: Value = serde_json::from_str(event["leaf"].as_str().unwrap()).unwrap();
            leaf["tenant"].as_str().unwrap().to_owned()
        })
        .collect()
}

async fn tenant_bound_tokens<S: AuditStore>(server: Server<S>) {
    let admin = server.token(&["admin"], None).await;
    let bound = server
        .token(&["append", "read", "audit"], Some(&["alpha", "beta"]))
        .await;
    let bound_admin = server.token(&["admin"], Some(&["alpha"])).await;

    // Appends: the admin token writes any tenant; the bound token only its own.
    let (status, gamma) = call(&admin, Method::POST, "/v1/events", Some(&event("gamma"))).await;
    assert_eq!(status, StatusCode::OK, "{gamma}");
    let (status, alpha) = call(&bound, Method::POST, "/v1/events", Some(&event("alpha"))).await;
    assert_eq!(status, StatusCode::OK, "{alpha}");
    let (status, beta) = call(&bound, Method::POST, "/v1/events", Some(&event("beta"))).await;
    assert_eq!(status, StatusCode::OK, "{beta}");
    assert_tenant_rejected(
        "append",
        call(&bound, Method::POST, "/v1/events", Some(&event("gamma"))).await,
        "gamma",
    );
    let batch = json!({"events": [event("alpha"), event("gamma")]});
    assert_tenant_rejected(
        "batch append",
        call(&bound, Method::POST, "/v1/events/batch", Some(&batch)).await,
        "gamma",
    );
    let (_, all) = call(&admin, Method::GET, "/v1/events?limit=100", None).await;
    assert_eq!(
        tenants_of(&all),
        ["gamma", "alpha", "beta"],
        "a rejected batch writes nothing"
    );

    // Reads by id.
    let gamma_id = gamma["event_id"].as_str().unwrap();
    let alpha_id = alpha["event_id"].as_str().unwrap();
    assert_tenant_rejected(
        "read",
        call(&bound, Method::GET, &format!("/v1/events/{gamma_id}"), None).await,
        "gamma",
    );
    let (status, body) = call(&bound, Method::GET, &format!("/v1/events/{alpha_id}"), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = call(&admin, Method::GET, &format!("/v1/events/{gamma_id}"), None).await;
    assert_eq!(status, StatusCode::OK, "admin reads any tenant: {body}");

    // Queries.
    let (status, body) = call(&bound, Method::GET, "/v1/events", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(tenants_of(&body), ["alpha", "beta"]);
    let (_, body) = call(&bound, Method::GET, "/v1/events?tenant=beta", None).await;
    assert_eq!(tenants_of(&body), ["beta"]);
    assert_tenant_rejected(
        "query",
        call(&bound, Method::GET, "/v1/events?tenant=gamma", None).await,
        "gamma",
    );
    let (_, body) = call(&admin, Method::GET, "/v1/events?tenant=gamma", None).await;
    assert_eq!(tenants_of(&body), ["gamma"]);

    // Inclusion proofs by index.
    let gamma_index = gamma["index"].as_u64().unwrap();
    let alpha_index = alpha["index"].as_u64().unwrap();
    assert_tenant_rejected(
        "proof",
        call(
            &bound,
            Method::GET,
            &format!("/v1/proof/inclusion?index={gamma_index}"),
            None,
        )
        .await,
        "gamma",
    );
    let (status, body) = call(
        &bound,
        Method::GET,
        &format!("/v1/proof/inclusion?index={alpha_index}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = call(
        &admin,
        Method::GET,
        &format!("/v1/proof/inclusion?index={gamma_index}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Entry bundles hold every tenant's leaves; hash tiles and checkpoints do not.
    let (status, body) = call(&bound, Method::GET, "/tile/entries/000.p/3", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "forbidden_tenant");
    let (status, _) = call(&bound, Method::GET, "/checkpoint", None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call(&admin, Method::GET, "/tile/entries/000.p/3", None).await;
    assert_eq!(status, StatusCode::OK);

    // Administration by a tenant-bound admin token.
    assert_tenant_rejected(
        "erase",
        call(
            &bound_admin,
            Method::POST,
            &format!("/v1/events/{gamma_id}/erase"),
            Some(&json!({"reason": "request"})),
        )
        .await,
        "gamma",
    );
    assert_tenant_rejected(
        "hold",
        call(
            &bound_admin,
            Method::POST,
            "/v1/holds",
            Some(&json!({"tenant": "gamma", "reason": "case 7"})),
        )
        .await,
        "gamma",
    );
    let (status, body) = call(&bound_admin, Method::POST, "/v1/purge", Some(&json!({}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = call(
        &bound_admin,
        Method::POST,
        &format!("/v1/events/{alpha_id}/erase"),
        Some(&json!({"reason": "request"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_tenant_bound_tokens() {
    let (_dir, store) = common::sqlite();
    tenant_bound_tokens(Server::start(store).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_tenant_bound_tokens() {
    let store = common::postgres().await;
    let cleanup = store.clone();
    tenant_bound_tokens(Server::start(store).await).await;
    common::drop_schema(&cleanup).await;
}
