//! `postgres` against the PostgreSQL server on 127.0.0.1:5432 (trust auth, database
//! `test`, TLS enabled).

use nexafi_live::Outcome;

use crate::{closed_port, expect, run_one, run_one_with};

const URL: &str = "postgres://postgres@127.0.0.1:5432/test";

#[tokio::test]
async fn default_query_passes() {
    let result = run_one(&format!("kind: postgres\nurl: {URL}")).await;
    expect(&result, Outcome::Passed, "query returned 1 rows");
}

#[tokio::test]
async fn expected_value_passes() {
    let result = run_one(&format!(
        "kind: postgres\nurl: {URL}\nquery: SELECT 40 + 2\nexpect: 42"
    ))
    .await;
    expect(&result, Outcome::Passed, "\"42\"");
}

#[tokio::test]
async fn expected_value_differs() {
    let result = run_one(&format!(
        "kind: postgres\nurl: {URL}\nquery: SELECT 'replica'\nexpect: primary"
    ))
    .await;
    expect(
        &result,
        Outcome::Failed,
        "expected \"primary\", found \"replica\"",
    );
}

#[tokio::test]
async fn boolean_expectation() {
    let result = run_one(&format!(
        "kind: postgres\nurl: {URL}\nquery: SELECT pg_is_in_recovery()\nexpect: false"
    ))
    .await;
    expect(&result, Outcome::Passed, "\"f\"");
}

#[tokio::test]
async fn null_value_fails() {
    let result = run_one(&format!(
        "kind: postgres\nurl: {URL}\nquery: SELECT NULL\nexpect: x"
    ))
    .await;
    expect(&result, Outcome::Failed, "found NULL");
}

#[tokio::test]
async fn several_rows_fail_single_value() {
    let result = run_one(&format!(
        "kind: postgres\nurl: {URL}\nquery: SELECT generate_series(1, 3)\nexpect: 1"
    ))
    .await;
    expect(&result, Outcome::Failed, "found 3 rows");
}

#[tokio::test]
async fn bad_query_fails() {
    let result = run_one(&format!(
        "kind: postgres\nurl: {URL}\nquery: SELECT * FROM no_such_table"
    ))
    .await;
    expect(&result, Outcome::Failed, "no_such_table");
}

#[tokio::test]
async fn require_tls_passes() {
    let result = run_one(&format!("kind: postgres\nurl: {URL}\nrequire_tls: true\nquery: SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()\nexpect: true")).await;
    expect(&result, Outcome::Passed, "\"t\"");
}

#[tokio::test]
async fn require_tls_with_wrong_ca_fails() {
    let pki = crate::server::Pki::new();
    let result = run_one(&format!(
        "kind: postgres\nurl: {URL}\nrequire_tls: true\nca_file: {}",
        pki.ca_file()
    ))
    .await;
    expect(&result, Outcome::Failed, "expected a TLS connection");
}

#[tokio::test]
async fn without_tls_requirement_plain_is_used() {
    let result = run_one(&format!("kind: postgres\nurl: {URL}?sslmode=disable\nquery: SELECT count(*) FROM pg_stat_ssl WHERE pid = pg_backend_pid() AND ssl\nexpect: 0")).await;
    expect(&result, Outcome::Passed, "\"0\"");
}

#[tokio::test]
async fn password_from_environment() {
    // Trust authentication accepts any password; this checks the variable is read.
    let result = run_one_with(
        &format!("kind: postgres\nurl: {URL}\npassword_env: NEXAFI_LIVE_TEST_PG_PASSWORD"),
        &[],
    )
    .await;
    expect(
        &result,
        Outcome::Error,
        "NEXAFI_LIVE_TEST_PG_PASSWORD is not set",
    );
}

#[tokio::test]
async fn unreachable_is_error() {
    let result = run_one(&format!(
        "kind: postgres\nurl: postgres://postgres@127.0.0.1:{}/test",
        closed_port()
    ))
    .await;
    expect(&result, Outcome::Error, "cannot connect");
}

#[tokio::test]
async fn unknown_database_is_error() {
    let result =
        run_one("kind: postgres\nurl: postgres://postgres@127.0.0.1:5432/no_such_database").await;
    expect(&result, Outcome::Error, "no_such_database");
}
