//! `http` against a server the test starts on 127.0.0.1, plain and over TLS.

use std::sync::Arc;
use std::time::Duration;

use nexafi_live::Outcome;

use crate::server::{Handler, Pki, Reply, serve};
use crate::{closed_port, expect, run_one, run_one_with};

fn handler() -> Handler {
    Arc::new(|request| match request.path.as_str() {
        "/healthz" => {
            let mut reply = Reply::json(
                200,
                r#"{"status":"ok","checks":{"database":"up","replicas":3}}"#,
            );
            reply.headers.push((
                "strict-transport-security".to_owned(),
                "max-age=63072000".to_owned(),
            ));
            reply
        }
        "/slow" => Reply {
            delay: Duration::from_millis(400),
            ..Reply::json(200, "{}")
        },
        "/hang" => Reply {
            delay: Duration::from_secs(5),
            ..Reply::json(200, "{}")
        },
        "/private" if request.authorization.as_deref() == Some("Bearer example-not-a-secret") => {
            Reply::json(200, "{}")
        }
        "/private" => Reply::json(401, "{}"),
        "/redirect" => Reply {
            headers: vec![("location".to_owned(), "http://127.0.0.1:1/".to_owned())],
            ..Reply::json(302, "")
        },
        "/text" => Reply::json(200, "not json"),
        _ => Reply::json(404, r#"{"error":"not found"}"#),
    })
}

#[tokio::test]
async fn every_assertion_passes() {
    let port = serve(handler(), None).await;
    let result = run_one(&format!(
        "kind: http\nurl: http://127.0.0.1:{port}/healthz\nstatus: 200\nheaders:\n  Content-Type: application/json\nheaders_present: [Strict-Transport-Security]\nbody_contains: '\"database\"'\njson:\n  /status: ok\n  /checks/replicas: 3\nmax_latency_ms: 2000"
    ))
    .await;
    expect(&result, Outcome::Passed, "status 200");
}

#[tokio::test]
async fn omitted_status_accepts_2xx() {
    let port = serve(handler(), None).await;
    let result = run_one(&format!("kind: http\nurl: http://127.0.0.1:{port}/healthz")).await;
    expect(&result, Outcome::Passed, "status 200");
}

#[tokio::test]
async fn wrong_status_fails() {
    let port = serve(handler(), None).await;
    let result = run_one(&format!(
        "kind: http\nurl: http://127.0.0.1:{port}/missing\nstatus: [200, 3xx]"
    ))
    .await;
    expect(
        &result,
        Outcome::Failed,
        "expected status 200 or 300-399, found 404",
    );
}

#[tokio::test]
async fn status_range_passes() {
    let port = serve(handler(), None).await;
    let result = run_one(&format!(
        "kind: http\nurl: http://127.0.0.1:{port}/missing\nstatus: 400-499"
    ))
    .await;
    expect(&result, Outcome::Passed, "status 404");
}

#[tokio::test]
async fn redirect_not_followed() {
    let port = serve(handler(), None).await;
    let result = run_one(&format!(
        "kind: http\nurl: http://127.0.0.1:{port}/redirect"
    ))
    .await;
    expect(&result, Outcome::Failed, "found 302");
}

#[tokio::test]
async fn header_value_differs() {
    let port = serve(handler(), None).await;
    let result = run_one(&format!(
        "kind: http\nurl: http://127.0.0.1:{port}/healthz\nheaders:\n  content-type: text/html"
    ))
    .await;
    expect(
        &result,
        Outcome::Failed,
        "expected header content-type: \"text/html\", found \"application/json\"",
    );
}

#[tokio::test]
async fn header_missing() {
    let port = serve(handler(), None).await;
    let result = run_one(&format!("kind: http\nurl: http://127.0.0.1:{port}/slow\nheaders_present: [strict-transport-security]")).await;
    expect(
        &result,
        Outcome::Failed,
        "strict-transport-security to be present",
    );
}

#[tokio::test]
async fn body_lacks_text() {
    let port = serve(handler(), None).await;
    let result = run_one(&format!(
        "kind: http\nurl: http://127.0.0.1:{port}/healthz\nbody_contains: degraded"
    ))
    .await;
    expect(
        &result,
        Outcome::Failed,
        "expected the body to contain \"degraded\"",
    );
}

#[tokio::test]
async fn json_value_differs() {
    let port = serve(handler(), None).await;
    let result = run_one(&format!(
        "kind: http\nurl: http://127.0.0.1:{port}/healthz\njson:\n  /checks/database: down"
    ))
    .await;
    expect(
        &result,
        Outcome::Failed,
        "expected /checks/database to be \"down\", found \"up\"",
    );
}

#[tokio::test]
async fn json_pointer_unresolved() {
    let port = serve(handler(), None).await;
    let result = run_one(&format!(
        "kind: http\nurl: http://127.0.0.1:{port}/healthz\njson:\n  /checks/cache: up"
    ))
    .await;
    expect(&result, Outcome::Failed, "found no value there");
}

#[tokio::test]
async fn body_not_json() {
    let port = serve(handler(), None).await;
    let result = run_one(&format!(
        "kind: http\nurl: http://127.0.0.1:{port}/text\njson:\n  /status: ok"
    ))
    .await;
    expect(&result, Outcome::Failed, "expected a JSON body");
}

#[tokio::test]
async fn latency_exceeded() {
    let port = serve(handler(), None).await;
    let result = run_one(&format!(
        "kind: http\nurl: http://127.0.0.1:{port}/slow\nmax_latency_ms: 100"
    ))
    .await;
    expect(
        &result,
        Outcome::Failed,
        "expected a response within 100 ms",
    );
}

#[tokio::test]
async fn timeout_is_error_after_retries() {
    let port = serve(handler(), None).await;
    let yaml = format!(
        "tests:\n  - name: hang\n    kind: http\n    url: http://127.0.0.1:{port}/hang\n    timeout_secs: 1\n    retries: 1\n"
    );
    let suite = crate::load(&yaml, &[]).unwrap();
    let tests: Vec<_> = suite.tests.iter().collect();
    let report = nexafi_live::run(&suite, &tests, 1, &|_| {}).await;
    let result = &report.results[0];
    expect(result, Outcome::Error, "timed out after 1 s");
    assert_eq!(result.attempts, 2);
}

#[tokio::test]
async fn bearer_token_sent() {
    let port = serve(handler(), None).await;
    let result = run_one_with(
        &format!("kind: http\nurl: http://127.0.0.1:{port}/private\ntoken_env: API_TOKEN"),
        &[("API_TOKEN", "example-not-a-secret")],
    )
    .await;
    expect(&result, Outcome::Passed, "status 200");
    let result = run_one(&format!("kind: http\nurl: http://127.0.0.1:{port}/private")).await;
    expect(&result, Outcome::Failed, "found 401");
}

#[tokio::test]
async fn unreachable_is_error() {
    let result = run_one(&format!(
        "kind: http\nurl: http://127.0.0.1:{}/",
        closed_port()
    ))
    .await;
    expect(&result, Outcome::Error, "request to");
}

#[tokio::test]
async fn https_with_ca_file_passes() {
    let pki = Pki::new();
    let port = serve(handler(), Some(pki.acceptor(365, rustls::ALL_VERSIONS))).await;
    let result = run_one(&format!(
        "kind: http\nurl: https://localhost:{port}/healthz\nca_file: {}",
        pki.ca_file()
    ))
    .await;
    expect(&result, Outcome::Passed, "status 200");
}

#[tokio::test]
async fn https_unknown_issuer_is_error() {
    let pki = Pki::new();
    let port = serve(handler(), Some(pki.acceptor(365, rustls::ALL_VERSIONS))).await;
    let result = run_one(&format!(
        "kind: http\nurl: https://localhost:{port}/healthz"
    ))
    .await;
    expect(&result, Outcome::Error, "UnknownIssuer");
}

#[tokio::test]
async fn https_without_verification_passes() {
    let pki = Pki::new();
    let port = serve(handler(), Some(pki.acceptor(365, rustls::ALL_VERSIONS))).await;
    let result = run_one(&format!(
        "kind: http\nurl: https://localhost:{port}/healthz\ntls_verify: false"
    ))
    .await;
    expect(&result, Outcome::Passed, "status 200");
}
