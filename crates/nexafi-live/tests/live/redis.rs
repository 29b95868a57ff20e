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
