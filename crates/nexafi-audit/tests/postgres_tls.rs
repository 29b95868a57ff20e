//! The PostgreSQL store over TLS with each `sslmode`, against a server of its own that
//! accepts only `hostssl` connections, so every successful case there is encrypted, and
//! one with TLS off.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod tls_support;

use nexafi_audit::store::AuditStore;
use nexafi_audit::store::postgres::PostgresStore;
use tls_support::{TestCa, TestPostgres};
use uuid::Uuid;

/// Expected outcome of one connection: Ok, or an error containing every fragment.
type Expected = Result<(), &'static [&'static str]>;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sslmodes_against_tls_server() {
    let ca = TestCa::new("audit test CA");
    let other_ca = TestCa::new("unrelated CA");
    // The certificate names only `localhost`, so connecting to 127.0.0.1 is a name
    // mismatch, and `hostaddr` reaches the server as `localhost` without a DNS lookup.
    let (cert, key) = ca.issue(&["localhost"]);
    let server = TestPostgres::start(Some((&cert, &key)));
    let plain = TestPostgres::start(None);
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    let other_file = dir.path().join("other.pem");
    std::fs::write(&ca_file, ca.pem()).unwrap();
    std::fs::write(&other_file, other_ca.pem()).unwrap();
    let (ca_file, other_file) = (ca_file.display(), other_file.display());
    let port = server.port;
    let by_name = format!("postgres://postgres@localhost:{port}/postgres?hostaddr=127.0.0.1");
    let by_ip = format!("postgres://postgres@127.0.0.1:{port}/postgres?");
    let words = format!("host=127.0.0.1 port={port} user=postgres dbname=postgres");

    let cases: Vec<(&str, String, Expected)> = vec![
        (
            "verify-full with the CA",
            format!("{by_name}&sslmode=verify-full&sslrootcert={ca_file}"),
            Ok(()),
        ),
        (
            "verify-full with the wrong CA",
            format!("{by_name}&sslmode=verify-full&sslrootcert={other_file}"),
            Err(&["UnknownIssuer", "sslmode=verify-full", "set sslrootcert"]),
        ),
        (
            "verify-full with Mozilla roots only",
            format!("{by_name}&sslmode=verify-full"),
            Err(&["UnknownIssuer", "set sslrootcert"]),
        ),
        (
            "verify-full with the wrong host name",
            format!("{by_ip}sslmode=verify-full&sslrootcert={ca_file}"),
            Err(&["not valid for the host name", "sslmode=verify-ca"]),
        ),
        (
            "verify-ca with the wrong host name",
            format!("{by_ip}sslmode=verify-ca&sslrootcert={ca_file}"),
            Ok(()),
        ),
        (
            "verify-ca with the wrong CA",
            format!("{by_ip}sslmode=verify-ca&sslrootcert={other_file}"),
            Err(&["UnknownIssuer"]),
        ),
        (
            "require without a root certificate",
            format!("{words} sslmode=require"),
            Ok(()),
        ),
        (
            "require with the wrong CA checks the chain",
            format!("{words} sslmode=require sslrootcert='{other_file}'"),
            Err(&["UnknownIssuer", "sslmode=require"]),
        ),
        ("prefer by default", words.clone(), Ok(())),
        (
            "prefer against a server without TLS",
            format!(
                "host=127.0.0.1 port={} user=postgres dbname=postgres",
                plain.port
            ),
            Ok(()),
        ),
        (
            "disable against a hostssl-only server",
            format!("{words} sslmode=disable"),
            Err(&[
                "no encryption",
                "accepts only TLS connections",
                "sslmode=verify-full",
            ]),
        ),
        (
            "require against a server without TLS",
            format!(
                "host=127.0.0.1 port={} user=postgres dbname=postgres sslmode=require",
                plain.port
            ),
            Err(&["server does not support TLS", "sslmode=require"]),
        ),
        (
            "missing root certificate file",
            format!("{words} sslmode=verify-full sslrootcert=/nonexistent/ca.pem"),
            Err(&["sslrootcert", "/nonexistent/ca.pem"]),
        ),
    ];

    for (name, url, expected) in cases {
        let schema = format!("tls_{}", Uuid::now_v7().simple());
        let opened = PostgresStore::connect(&url, &schema).await;
        match (expected, opened) {
            (Ok(()), Ok(store)) => {
                let checkpoint = store.latest_checkpoint().await;
                assert!(checkpoint.is_ok(), "{name}: {checkpoint:?}");
            }
            (Ok(()), Err(error)) => panic!("{name}: expected to connect, got: {error}"),
            (Err(_), Ok(_)) => panic!("{name}: expected an error, but the store opened"),
            (Err(fragments), Err(error)) => {
                let message = error.to_string();
                for fragment in fragments {
                    assert!(
                        message.contains(fragment),
                        "{name}: `{fragment}` missing from: {message}"
                    );
                }
            }
        }
    }
}
