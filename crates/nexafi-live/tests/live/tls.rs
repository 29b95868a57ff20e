//! `tls` against TLS servers the test starts on 127.0.0.1 with a CA of its own.

use std::sync::Arc;

use nexafi_live::Outcome;
use tokio::io::AsyncWriteExt;

use crate::server::{Pki, Reply, serve};
use crate::{closed_port, expect, run_one};

async fn server(
    pki: &Pki,
    days: i64,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> u16 {
    serve(
        Arc::new(|_| Reply::json(200, "{}")),
        Some(pki.acceptor(days, versions)),
    )
    .await
}

#[tokio::test]
async fn valid_endpoint_passes() {
    let pki = Pki::new();
    let port = server(&pki, 365, rustls::ALL_VERSIONS).await;
    let result = run_one(&format!(
        "kind: tls\naddress: 127.0.0.1:{port}\nserver_name: localhost\nmin_version: \"1.2\"\nmin_days_valid: 30\nca_file: {}",
        pki.ca_file()
    ))
    .await;
    expect(&result, Outcome::Passed, "TLS 1.3, certificate valid for");
}

#[tokio::test]
async fn ip_address_name_passes() {
    let pki = Pki::new();
    let port = server(&pki, 365, rustls::ALL_VERSIONS).await;
    let result = run_one(&format!(
        "kind: tls\naddress: 127.0.0.1:{port}\nca_file: {}",
        pki.ca_file()
    ))
    .await;
    expect(&result, Outcome::Passed, "certificate valid for");
}

#[tokio::test]
async fn unknown_issuer_fails() {
    let pki = Pki::new();
    let port = server(&pki, 365, rustls::ALL_VERSIONS).await;
    let result = run_one(&format!(
        "kind: tls\naddress: 127.0.0.1:{port}\nserver_name: localhost"
    ))
    .await;
    expect(
        &result,
        Outcome::Failed,
        "expected a certificate chain valid for localhost",
    );
}

#[tokio::test]
async fn wrong_name_fails() {
    let pki = Pki::new();
    let port = server(&pki, 365, rustls::ALL_VERSIONS).await;
    let result = run_one(&format!(
        "kind: tls\naddress: 127.0.0.1:{port}\nserver_name: payments.localhost\nca_file: {}",
        pki.ca_file()
    ))
    .await;
    expect(&result, Outcome::Failed, "valid for payments.localhost");
}

#[tokio::test]
async fn expiring_certificate_fails() {
    let pki = Pki::new();
    let port = server(&pki, 10, rustls::ALL_VERSIONS).await;
    let result = run_one(&format!(
        "kind: tls\naddress: 127.0.0.1:{port}\nmin_days_valid: 30\nca_file: {}",
        pki.ca_file()
    ))
    .await;
    expect(
        &result,
        Outcome::Failed,
        "expected the certificate to be valid for at least 30 more days, found",
    );
}

#[tokio::test]
async fn old_version_accepted_fails() {
    let pki = Pki::new();
    let port = server(&pki, 365, rustls::ALL_VERSIONS).await;
    let result = run_one(&format!(
        "kind: tls\naddress: 127.0.0.1:{port}\nmin_version: \"1.3\"\nca_file: {}",
        pki.ca_file()
    ))
    .await;
    expect(
        &result,
        Outcome::Failed,
        "expected TLS 1.3 or newer only, found TLS 1.2 accepted",
    );
}

#[tokio::test]
async fn tls13_only_meets_floor() {
    let pki = Pki::new();
    let port = server(&pki, 365, &[&rustls::version::TLS13]).await;
    let result = run_one(&format!(
        "kind: tls\naddress: 127.0.0.1:{port}\nmin_version: \"1.3\"\nca_file: {}",
        pki.ca_file()
    ))
    .await;
    expect(&result, Outcome::Passed, "TLS 1.3");
}

#[tokio::test]
async fn plain_server_fails_handshake() {
    // A plain-text server that sends an HTTP error on every connection at once.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let _ = socket
                .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
                .await;
        }
    });
    let result = run_one(&format!("kind: tls\naddress: 127.0.0.1:{port}")).await;
    expect(&result, Outcome::Failed, "handshake");
}

#[tokio::test]
async fn unreachable_is_error() {
    let result = run_one(&format!("kind: tls\naddress: 127.0.0.1:{}", closed_port())).await;
    expect(&result, Outcome::Error, "cannot connect");
}
