//! `redis` against the Redis server on 127.0.0.1:6379 (no password).

use nexafi_live::Outcome;

use crate::{closed_port, expect, run_one};

async fn set_key(key: &str) {
    let client = redis::Client::open("redis://127.0.0.1:6379").unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    let _: () = redis::cmd("SET")
        .arg(key)
        .arg("1")
        .arg("EX")
        .arg(60)
        .query_async(&mut connection)
        .await
        .unwrap();
}

#[tokio::test]
async fn ping_passes() {
    let result = run_one("kind: redis\nurl: redis://127.0.0.1:6379").await;
    expect(&result, Outcome::Passed, "PONG");
}

#[tokio::test]
async fn key_exists_passes() {
    set_key("nexafi-live-test:present").await;
    let result =
        run_one("kind: redis\nurl: redis://127.0.0.1:6379\nkey_exists: nexafi-live-test:present")
            .await;
    expect(&result, Outcome::Passed, "exists");
}

#[tokio::test]
async fn missing_key_fails() {
    let result =
        run_one("kind: redis\nurl: redis://127.0.0.1:6379\nkey_exists: nexafi-live-test:absent")
            .await;
    expect(
        &result,
        Outcome::Failed,
        "expected key \"nexafi-live-test:absent\" to exist, found it missing",
    );
}

#[tokio::test]
async fn rejected_password_fails() {
    // The server has no password, so AUTH with one is refused.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("password");
    std::fs::write(&file, "example-not-a-secret\n").unwrap();
    let result = run_one(&format!(
        "kind: redis\nurl: redis://127.0.0.1:6379\npassword_file: {}",
        file.display()
    ))
    .await;
    assert_eq!(result.outcome, Outcome::Failed, "{}", result.message);
    assert!(result.message.contains("AUTH"), "{}", result.message);
}

#[tokio::test]
async fn unset_password_variable_is_error() {
    let result = crate::run_one_with(
        "kind: redis\nurl: redis://127.0.0.1:6379\npassword_env: NEXAFI_LIVE_TEST_UNSET",
        &[],
    )
    .await;
    expect(&result, Outcome::Error, "NEXAFI_LIVE_TEST_UNSET is not set");
}

#[tokio::test]
async fn unreachable_is_error() {
    let result = run_one(&format!(
        "kind: redis\nurl: redis://127.0.0.1:{}",
        closed_port()
    ))
    .await;
    expect(&result, Outcome::Error, "cannot reach Redis");
}

/// A `redis-server` (Debian package `redis-server`, built with TLS) listening with TLS
/// only on a free loopback port and requiring a password, stopped when dropped.
struct TlsRedis {
    child: std::process::Child,
    port: u16,
    pki: crate::server::Pki,
}

impl Drop for TlsRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const TLS_PASSWORD: &str = "example-not-a-secret";

async fn tls_redis() -> TlsRedis {
    let pki = crate::server::Pki::new();
    let (cert, key) = pki.leaf_files();
    let port = closed_port();
    let child = std::process::Command::new("redis-server")
        .args([
            "--port",
            "0",
            "--tls-port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
        ])
        .arg("--tls-cert-file")
        .arg(&cert)
        .arg("--tls-key-file")
        .arg(&key)
        .arg("--tls-ca-cert-file")
        .arg(pki.ca_file())
        .args(["--tls-auth-clients", "no", "--requirepass", TLS_PASSWORD])
        .args(["--save", "", "--appendonly", "no"])
        .arg("--dir")
        .arg(pki.dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("redis-server must be installed (Debian package redis-server)");
    let server = TlsRedis { child, port, pki };
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return server;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("redis-server did not listen on 127.0.0.1:{port} within 5 s");
}

#[tokio::test]
async fn tls_with_password_passes() {
    let server = tls_redis().await;
    let result = crate::run_one_with(
        &format!(
            "kind: redis\nurl: rediss://localhost:{}\npassword_env: CACHE_PASSWORD\nca_file: {}",
            server.port,
            server.pki.ca_file()
        ),
        &[("CACHE_PASSWORD", TLS_PASSWORD)],
    )
    .await;
    expect(&result, Outcome::Passed, "PONG");
}

#[tokio::test]
async fn tls_without_password_fails() {
    let server = tls_redis().await;
    let result = run_one(&format!(
        "kind: redis\nurl: rediss://localhost:{}\nca_file: {}",
        server.port,
        server.pki.ca_file()
    ))
    .await;
    assert_eq!(result.outcome, Outcome::Failed, "{}", result.message);
    assert!(result.message.contains("NOAUTH"), "{}", result.message);
}

#[tokio::test]
async fn tls_unknown_issuer_is_error() {
    let server = tls_redis().await;
    let result = crate::run_one_with(
        &format!(
            "kind: redis\nurl: rediss://localhost:{}\npassword_env: CACHE_PASSWORD",
            server.port
        ),
        &[("CACHE_PASSWORD", TLS_PASSWORD)],
    )
    .await;
    assert_eq!(result.outcome, Outcome::Error, "{}", result.message);
    assert!(result.message.contains("certificate"), "{}", result.message);
}
