//! `rabbitmq` against the RabbitMQ broker on 127.0.0.1:5672 (user guest, password guest).

use lapin::options::{QueueDeclareOptions, QueueDeleteOptions};
use lapin::types::FieldTable;
use nexafi_live::Outcome;

use crate::{closed_port, expect, run_one_with};

/// The broker's default user, in the variable the suites read it from.
const GUEST: [(&str, &str); 1] = [("NEXAFI_LIVE_TEST_AMQP_PASSWORD", "guest")];

async fn declare(queue: &str) -> lapin::Connection {
    let connection = lapin::Connection::connect(
        "amqp://guest:guest@127.0.0.1:5672/%2f",
        lapin::ConnectionProperties::default(),
    )
    .await
    .unwrap();
    let channel = connection.create_channel().await.unwrap();
    channel
        .queue_declare(
            queue.into(),
            QueueDeclareOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
    connection
}

#[tokio::test]
async fn connect_passes() {
    let result = run_one_with(
        "kind: rabbitmq\nurl: amqp://guest@127.0.0.1:5672/%2f\npassword_env: NEXAFI_LIVE_TEST_AMQP_PASSWORD",
        &GUEST,
    )
    .await;
    expect(&result, Outcome::Passed, "connected");
}

#[tokio::test]
async fn existing_queue_passes() {
    let connection = declare("nexafi-live-test-present").await;
    let result = run_one_with(
        "kind: rabbitmq\nurl: amqp://guest@127.0.0.1:5672/%2f\npassword_env: NEXAFI_LIVE_TEST_AMQP_PASSWORD\nqueue: nexafi-live-test-present",
        &GUEST,
    )
    .await;
    expect(
        &result,
        Outcome::Passed,
        "queue \"nexafi-live-test-present\" exists",
    );
    let channel = connection.create_channel().await.unwrap();
    let _ = channel
        .queue_delete(
            "nexafi-live-test-present".into(),
            QueueDeleteOptions::default(),
        )
        .await;
}

#[tokio::test]
async fn missing_queue_fails() {
    let result = run_one_with(
        "kind: rabbitmq\nurl: amqp://guest@127.0.0.1:5672/%2f\npassword_env: NEXAFI_LIVE_TEST_AMQP_PASSWORD\nqueue: nexafi-live-test-absent",
        &GUEST,
    )
    .await;
    expect(
        &result,
        Outcome::Failed,
        "expected queue \"nexafi-live-test-absent\" to exist",
    );
}

#[tokio::test]
async fn wrong_password_is_error() {
    let result = run_one_with(
        "kind: rabbitmq\nurl: amqp://guest@127.0.0.1:5672/%2f\npassword_env: NEXAFI_LIVE_TEST_AMQP_PASSWORD",
        &[("NEXAFI_LIVE_TEST_AMQP_PASSWORD", "example-not-a-secret")],
    )
    .await;
    expect(&result, Outcome::Error, "cannot connect");
}

#[tokio::test]
async fn unreachable_is_error() {
    let result = run_one_with(
        &format!(
            "kind: rabbitmq\nurl: amqp://guest@127.0.0.1:{}/%2f",
            closed_port()
        ),
        &[],
    )
    .await;
    expect(&result, Outcome::Error, "cannot connect");
}
