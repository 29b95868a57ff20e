//! `dns` (only `localhost` is ever resolved) and `tcp` against loopback ports.

use nexafi_live::Outcome;

use crate::{closed_port, expect, run_one};

#[tokio::test]
async fn localhost_resolves() {
    let result = run_one("kind: dns\nhost: localhost").await;
    expect(&result, Outcome::Passed, "127.0.0.1");
}

#[tokio::test]
async fn localhost_resolves_to_loopback() {
    let result = run_one("kind: dns\nhost: localhost\naddresses: [127.0.0.1]").await;
    expect(&result, Outcome::Passed, "resolved to");
}

#[tokio::test]
async fn expected_address_missing() {
    // 192.0.2.1 is a documentation address (RFC 5737); localhost never resolves to it.
    let result = run_one("kind: dns\nhost: localhost\naddresses: [192.0.2.1]").await;
    expect(
        &result,
        Outcome::Failed,
        "expected localhost to resolve to 192.0.2.1, found",
    );
}

#[tokio::test]
async fn open_port_passes() {
    let result = run_one("kind: tcp\naddress: 127.0.0.1:5432").await;
    expect(&result, Outcome::Passed, "connected to 127.0.0.1:5432");
}

#[tokio::test]
async fn closed_port_fails() {
    let port = closed_port();
    let result = run_one(&format!("kind: tcp\naddress: 127.0.0.1:{port}")).await;
    expect(&result, Outcome::Failed, "to accept a connection");
}

#[tokio::test]
async fn expected_closed_passes() {
    let port = closed_port();
    let result = run_one(&format!(
        "kind: tcp\naddress: 127.0.0.1:{port}\nexpect: closed"
    ))
    .await;
    expect(&result, Outcome::Passed, "refused as expected");
}

#[tokio::test]
async fn expected_closed_but_open() {
    let result = run_one("kind: tcp\naddress: 127.0.0.1:6379\nexpect: closed").await;
    expect(
        &result,
        Outcome::Failed,
        "to refuse connections, found it open",
    );
}
