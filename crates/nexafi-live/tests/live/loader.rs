//! Suite files: defaults, variables, and every kind of invalid input with its place.

use std::time::Duration;

use nexafi_live::{Check, Kind};

use crate::load;

fn error_of(yaml: &str, environment: &[(&str, &str)]) -> String {
    match load(yaml, environment) {
        Ok(_) => panic!("expected an error for:\n{yaml}"),
        Err(error) => error.to_string(),
    }
}

#[test]
fn defaults_apply() {
    let suite = load(
        "name: staging\ndefaults:\n  timeout_secs: 3\n  retries: 2\n  retry_delay_secs: 1\n  concurrency: 4\ntests:\n  - name: db\n    kind: tcp\n    address: 127.0.0.1:5432\n  - name: own\n    kind: tcp\n    address: 127.0.0.1:6379\n    timeout_secs: 9\n    retries: 0\n",
        &[],
    )
    .unwrap();
    assert_eq!(suite.name, "staging");
    assert_eq!(suite.concurrency, 4);
    assert_eq!(suite.tests[0].timeout, Duration::from_secs(3));
    assert_eq!(suite.tests[0].retries, 2);
    assert_eq!(suite.tests[0].retry_delay, Duration::from_secs(1));
    assert_eq!(suite.tests[1].timeout, Duration::from_secs(9));
    assert_eq!(suite.tests[1].retries, 0);
    assert_eq!(suite.tests[1].line, 11);
}

#[test]
fn omitted_defaults() {
    let suite = load(
        "tests:\n  - name: db\n    kind: tcp\n    address: 127.0.0.1:5432\n",
        &[],
    )
    .unwrap();
    // Without `name:` the file stem names the suite.
    assert_eq!(suite.name, "suite");
    assert_eq!(suite.concurrency, 8);
    assert_eq!(suite.tests[0].timeout, Duration::from_secs(10));
    assert_eq!(suite.tests[0].retries, 0);
}

#[test]
fn variables_and_environment() {
    let suite = load(
        "variables:\n  HOST: ${DB_HOST:-127.0.0.1}\n  ADDRESS: ${HOST}:${DB_PORT}\ntests:\n  - name: db on ${HOST}\n    kind: tcp\n    address: \"${ADDRESS}\"\n  - name: cost\n    kind: http\n    url: http://127.0.0.1:1/$$5\n",
        &[("DB_PORT", "5432")],
    )
    .unwrap();
    assert_eq!(suite.tests[0].name, "db on 127.0.0.1");
    let Check::Tcp(check) = &suite.tests[0].check else {
        panic!("expected a tcp check");
    };
    assert_eq!(check.address, "127.0.0.1:5432");
    let Check::Http(check) = &suite.tests[1].check else {
        panic!("expected an http check");
    };
    assert_eq!(check.url, "http://127.0.0.1:1/$5");
}

#[test]
fn unset_variable_names_line() {
    let message = error_of(
        "tests:\n  - name: api\n    kind: http\n    url: https://${API_HOST}/healthz\n",
        &[],
    );
    assert!(message.contains("suite.yaml:4:10:"), "{message}");
    assert!(
        message.contains("environment variable API_HOST is not set"),
        "{message}"
    );
}

#[test]
fn unknown_key_names_place() {
    let message = error_of(
        "tests:\n  - name: api\n    kind: http\n    url: http://127.0.0.1:1/\n    stauts: 200\n",
        &[],
    );
    assert!(message.contains("suite.yaml:5:5:"), "{message}");
    assert!(message.contains("stauts"), "{message}");
}

#[test]
fn unknown_top_level_key() {
    let message = error_of("naem: x\ntests: []\n", &[]);
    assert!(message.contains("suite.yaml:1:1:"), "{message}");
    assert!(message.contains("naem"), "{message}");
}

#[test]
fn inline_password_rejected() {
    let message = error_of(
        "tests:\n  - name: db\n    kind: postgres\n    url: postgres://app@127.0.0.1/test\n    password: example-not-a-secret\n",
        &[],
    );
    assert!(message.contains("suite.yaml:5:15:"), "{message}");
    assert!(message.contains("password_env"), "{message}");
}

#[test]
fn password_in_url_rejected() {
    let message = error_of(
        "tests:\n  - name: mq\n    kind: rabbitmq\n    url: amqp://guest:example-not-a-secret@127.0.0.1:5672/%2f\n",
        &[],
    );
    assert!(message.contains("suite.yaml:4:10:"), "{message}");
    assert!(message.contains("URL contains a password"), "{message}");
}

#[test]
fn inline_token_rejected() {
    let message = error_of(
        "tests:\n  - name: k8s\n    kind: kubernetes\n    api_server: https://127.0.0.1:6443\n    namespace: payments\n    token: example-not-a-secret\n",
        &[],
    );
    assert!(message.contains("suite.yaml:6:"), "{message}");
    assert!(message.contains("token_file"), "{message}");
}

#[test]
fn field_of_other_kind() {
    let message = error_of(
        "tests:\n  - name: db\n    kind: tcp\n    address: 127.0.0.1:5432\n    queue: payments\n",
        &[],
    );
    assert!(message.contains("suite.yaml:5:12:"), "{message}");
    assert!(
        message.contains("field `queue` does not apply to kind `tcp`"),
        "{message}"
    );
}

#[test]
fn unknown_kind() {
    let message = error_of("tests:\n  - name: x\n    kind: ftp\n", &[]);
    assert!(message.contains("suite.yaml:3:11:"), "{message}");
    assert!(message.contains("unknown kind \"ftp\""), "{message}");
}

#[test]
fn missing_required_field() {
    let message = error_of(
        "tests:\n  - name: q\n    kind: prometheus\n    url: http://127.0.0.1:9090\n",
        &[],
    );
    assert!(message.contains("suite.yaml:2:"), "{message}");
    assert!(message.contains("needs `query`"), "{message}");
}

#[test]
fn duplicate_names() {
    let message = error_of(
        "tests:\n  - name: a\n    kind: tcp\n    address: 127.0.0.1:1\n  - name: a\n    kind: tcp\n    address: 127.0.0.1:2\n",
        &[],
    );
    assert!(message.contains("duplicate test name \"a\""), "{message}");
}

#[test]
fn invalid_values() {
    let cases = [
        ("kind: http\n    url: ftp://x/", "invalid URL"),
        (
            "kind: http\n    url: http://x/\n    status: 2yy",
            "invalid status",
        ),
        ("kind: tcp\n    address: nohost", "invalid address"),
        (
            "kind: tcp\n    address: x:1\n    expect: ajar",
            "invalid `expect`",
        ),
        (
            "kind: tls\n    address: x:1\n    min_version: \"0.9\"",
            "invalid `min_version`",
        ),
        (
            "kind: dns\n    host: localhost\n    addresses: [not-an-ip]",
            "invalid IP address",
        ),
        (
            "kind: prometheus\n    url: http://x\n    query: up\n    expect: \"~ 1\"",
            "invalid `expect`",
        ),
        (
            "kind: kubernetes\n    api_server: https://x\n    namespace: payments\n    workloads: [Pod/a]",
            "invalid workload",
        ),
        ("kind: redis\n    url: http://x", "invalid URL"),
        (
            "kind: postgres\n    url: postgres://x\n    password_env: A\n    password_file: b",
            "not both",
        ),
    ];
    for (body, needle) in cases {
        let yaml = format!("tests:\n  - name: t\n    {body}\n");
        let message = error_of(&yaml, &[]);
        assert!(message.contains(needle), "{body}: {message}");
        assert!(message.contains("suite.yaml:"), "{body}: {message}");
    }
}

#[test]
fn hostile_input_never_panics() {
    let inputs = [
        "",
        "---",
        "[",
        "tests: 5",
        "tests:\n  - 5",
        "tests:\n  - name: [a]\n",
        "a: &a [*a]",
        "tests:\n  - name: x\n    kind: http\n    url: \"${\"\n",
        "tests:\n  - name: x\n    kind: http\n    url: \"${1A}\"\n",
        "\u{feff}tests: []",
        "tests:\n  - {name: x, kind: tcp, address: \"[::1\"}",
    ];
    for input in inputs {
        // Loading must return, never panic; most of these are errors.
        let _ = load(input, &[]);
    }
    assert!(load("tests: 5", &[]).is_err());
    assert!(load("a: &a [*a]", &[]).is_err());
}

#[test]
fn empty_test_list_loads() {
    let suite = load("name: none\ntests: []\n", &[]).unwrap();
    assert!(suite.tests.is_empty());
}

#[test]
fn kinds_select() {
    let suite = load(
        "tests:\n  - name: api-health\n    kind: http\n    url: http://127.0.0.1:1/\n  - name: api-db\n    kind: tcp\n    address: 127.0.0.1:1\n  - name: cache\n    kind: tcp\n    address: 127.0.0.1:2\n",
        &[],
    )
    .unwrap();
    let by_glob = nexafi_live::Selection {
        only: vec!["api-*".to_owned()],
        kinds: Vec::new(),
    };
    let names: Vec<&str> = by_glob
        .apply(&suite)
        .unwrap()
        .iter()
        .map(|test| test.name.as_str())
        .collect();
    assert_eq!(names, ["api-health", "api-db"]);
    let by_kind = nexafi_live::Selection {
        only: vec!["api-*".to_owned()],
        kinds: vec![Kind::Tcp],
    };
    let names: Vec<&str> = by_kind
        .apply(&suite)
        .unwrap()
        .iter()
        .map(|test| test.name.as_str())
        .collect();
    assert_eq!(names, ["api-db"]);
}
