//! `nexafi audit` client commands over HTTPS (CA files, wrong CAs, mismatched schemes)
//! and `verify --url` checking payloads, with the real binary serving on 127.0.0.1.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use nexafi_audit::store::postgres::PostgresStore;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use serde_json::{Value, json};

const POSTGRES: &str = "host=127.0.0.1 port=5432 user=postgres dbname=test";

fn nexafi(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_nexafi"));
    command
        .current_dir(dir)
        .env_remove("NEXAFI_AUDIT_TOKEN")
        .env_remove("NEXAFI_AUDIT_URL")
        .env_remove("NEXAFI_AUDIT_CA_FILE");
    command
}

fn stdout_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn run_ok(command: &mut Command) -> String {
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{command:?} failed: {}\n{}",
        stdout_of(&output),
        stderr_of(&output)
    );
    stdout_of(&output)
}

/// A running `nexafi audit serve`, killed when dropped.
struct Served {
    child: Child,
    url: String,
    log_key: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(dir: &Path, db: &str, schema: &str, extra: &[&str]) -> Served {
    let mut child = nexafi(dir)
        .args([
            "audit",
            "serve",
            "--db",
            db,
            "--schema",
            schema,
            "--listen",
            "127.0.0.1:0",
        ])
        .args(extra)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut key = String::new();
        let mut lines = Vec::new();
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if let Some(rest) = line.strip_prefix("log key: ") {
                key = rest.to_owned();
            }
            if let Some(url) = line.strip_prefix("listening on ") {
                let _ = sender.send(Ok((url.to_owned(), key.clone())));
            }
            lines.push(line);
        }
        let _ = sender.send(Err(lines.join("\n")));
    });
    match receiver.recv_timeout(Duration::from_secs(30)) {
        Ok(Ok((url, log_key))) => Served {
            child,
            url,
            log_key,
        },
        other => panic!("the server did not start: {other:?}"),
    }
}

fn token(dir: &Path, db: &str, schema: &str, scopes: &str) -> String {
    run_ok(nexafi(dir).args([
        "audit", "token", "create", "--db", db, "--schema", schema, "--name", "ci", "--scope",
        scopes,
    ]))
    .trim()
    .to_owned()
}

fn token_for(dir: &Path, db: &str, scopes: &str, extra: &[&str]) -> String {
    run_ok(
        nexafi(dir)
            .args([
                "audit", "token", "create", "--db", db, "--name", "unit", "--scope", scopes,
            ])
            .args(extra),
    )
    .trim()
    .to_owned()
}

fn write_events(dir: &Path, count: u64) {
    let events: Vec<Value> = (0..count)
        .map(|i| {
            json!({
                "tenant": "acme",
                "actor": format!("user:{}", i % 5),
                "action": "payment.create",
                "resource": format!("payment/{i}"),
                "outcome": "success",
                "amount": format!("{i}.10"),
                "currency": "EUR",
                "payload": {"reference": format!("INV-{i}"), "lines": [i, i + 1]}
            })
        })
        .collect();
    std::fs::write(
        dir.join("events.json"),
        serde_json::to_vec(&events).unwrap(),
    )
    .unwrap();
}

/// Writes a CA (`ca.pem`), an unrelated CA (`other.pem`) and a server certificate for
/// 127.0.0.1 that the first CA issued (`cert.pem`, `key.pem`).
fn write_certificates(dir: &Path) {
    let ca = |name: &str| {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap()
    };
    let issuer = ca("audit test CA");
    let other = ca("unrelated CA");
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&key, &issuer)
        .unwrap();
    std::fs::write(dir.join("ca.pem"), issuer.pem()).unwrap();
    std::fs::write(dir.join("other.pem"), other.pem()).unwrap();
    std::fs::write(dir.join("cert.pem"), leaf.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), key.serialize_pem()).unwrap();
}

#[test]
fn client_commands_over_https() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    write_certificates(dir);
    write_events(dir, 20);
    let db = "sqlite:audit.db";
    let secret = token(dir, db, "unused", "admin");
    let server = serve(
        dir,
        db,
        "unused",
        &["--tls-cert", "cert.pem", "--tls-key", "key.pem"],
    );
    let plain = serve(dir, "sqlite:plain.db", "unused", &["--key", "plain.key"]);
    assert!(
        server.url.starts_with("https://127.0.0.1:"),
        "{}",
        server.url
    );
    std::fs::write(dir.join("log.pub"), &server.log_key).unwrap();
    let client = |args: &[&str]| {
        nexafi(dir)
            .env("NEXAFI_AUDIT_TOKEN", &secret)
            .arg("audit")
            .args(args)
            .output()
            .unwrap()
    };
    let url = server.url.as_str();

    // The right CA: append, proof, verify --url, holds.
    let appended = client(&[
        "append",
        "--url",
        url,
        "--ca-file",
        "ca.pem",
        "--log-key",
        "log.pub",
        "events.json",
    ]);
    assert!(appended.status.success(), "{}", stderr_of(&appended));
    let answer: Value = serde_json::from_slice(&appended.stdout).unwrap();
    assert_eq!(answer["acks"].as_array().unwrap().len(), 20);
    let proved = client(&[
        "proof",
        "--url",
        url,
        "--ca-file",
        "ca.pem",
        "--log-key",
        "log.pub",
        "--index",
        "7",
    ]);
    assert!(
        stdout_of(&proved).contains("entry 7 is in the log of size 20"),
        "{}",
        stderr_of(&proved)
    );
    let verified = client(&[
        "verify",
        "--url",
        url,
        "--ca-file",
        "ca.pem",
        "--log-key",
        "log.pub",
    ]);
    assert!(
        stdout_of(&verified).contains("verified 20 entries"),
        "{}",
        stderr_of(&verified)
    );
    let listed = client(&["hold", "list", "--url", url, "--ca-file", "ca.pem"]);
    assert!(listed.status.success(), "{}", stderr_of(&listed));

    // The CA file from the environment.
    let from_env = nexafi(dir)
        .env("NEXAFI_AUDIT_TOKEN", &secret)
        .env("NEXAFI_AUDIT_CA_FILE", "ca.pem")
        .env("NEXAFI_AUDIT_URL", url)
        .args(["audit", "hold", "list"])
        .output()
        .unwrap();
    assert!(from_env.status.success(), "{}", stderr_of(&from_env));

    // A token bound to another tenant cannot append acme's events.
    let bound = token_for(dir, db, "append,read", &["--tenant", "globex,initech"]);
    let rejected = nexafi(dir)
        .env("NEXAFI_AUDIT_TOKEN", &bound)
        .args([
            "audit",
            "append",
            "--url",
            url,
            "--ca-file",
            "ca.pem",
            "events.json",
        ])
        .output()
        .unwrap();
    assert_eq!(rejected.status.code(), Some(2), "{}", stderr_of(&rejected));
    assert!(
        stderr_of(&rejected).contains("403"),
        "{}",
        stderr_of(&rejected)
    );
    assert!(
        stderr_of(&rejected).contains("not allowed to access tenant `acme`"),
        "{}",
        stderr_of(&rejected)
    );
    let empty = nexafi(dir)
        .args([
            "audit", "token", "create", "--db", db, "--name", "x", "--scope", "read", "--tenant",
            "acme,",
        ])
        .output()
        .unwrap();
    assert_eq!(empty.status.code(), Some(2), "{}", stderr_of(&empty));
    assert!(
        stderr_of(&empty).contains("empty tenant name"),
        "{}",
        stderr_of(&empty)
    );

    // Rejections, each with exit status 2 and a message naming the fix.
    let http_to_https = url.replacen("https://", "http://", 1);
    let https_to_http = plain.url.replacen("http://", "https://", 1);
    let cases: Vec<(&str, Vec<&str>, &[&str])> = vec![
        (
            "wrong CA",
            vec!["hold", "list", "--url", url, "--ca-file", "other.pem"],
            &["UnknownIssuer", "not trusted", "--ca-file"],
        ),
        (
            "no CA file (Mozilla roots only)",
            vec!["hold", "list", "--url", url],
            &["not trusted", "--ca-file"],
        ),
        (
            "wrong CA in verify --url",
            vec![
                "verify",
                "--url",
                url,
                "--ca-file",
                "other.pem",
                "--log-key",
                "log.pub",
            ],
            &["not trusted"],
        ),
        (
            "http to the https port",
            vec!["hold", "list", "--url", &http_to_https],
            &["did not answer with HTTP", "use an https:// URL"],
        ),
        (
            "https to an http port",
            vec!["hold", "list", "--url", &https_to_http],
            &["did not answer with TLS", "use an http:// URL"],
        ),
        (
            "CA file with an http URL",
            vec!["hold", "list", "--url", &plain.url, "--ca-file", "ca.pem"],
            &["is not an https:// URL"],
        ),
        (
            "missing CA file",
            vec!["hold", "list", "--url", url, "--ca-file", "missing.pem"],
            &["cannot read CA file missing.pem"],
        ),
        (
            "CA file without certificates",
            vec!["hold", "list", "--url", url, "--ca-file", "events.json"],
            &["contains no PEM certificate"],
        ),
    ];
    for (name, args, fragments) in cases {
        let output = client(&args);
        let message = stderr_of(&output);
        assert_eq!(output.status.code(), Some(2), "{name}: {message}");
        for fragment in fragments {
            assert!(
                message.contains(fragment),
                "{name}: `{fragment}` missing from: {message}"
            );
        }
    }
}

/// Serves a store, appends events, erases one payload and checks `verify --url`; then
/// changes another payload with `tamper` and expects the audit to name its entry.
fn verify_url_checks_payloads(db: &str, schema: &str, tamper: impl FnOnce(&Path, u64)) {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    write_events(dir, 300);
    let admin = token(dir, db, schema, "admin");
    let server = serve(dir, db, schema, &[]);
    std::fs::write(dir.join("log.pub"), &server.log_key).unwrap();
    let audit = |token: &str, state: &str| {
        nexafi(dir)
            .env("NEXAFI_AUDIT_TOKEN", token)
            .args([
                "audit",
                "verify",
                "--url",
                &server.url,
                "--log-key",
                "log.pub",
                "--state",
                state,
            ])
            .output()
            .unwrap()
    };

    let appended = run_ok(nexafi(dir).env("NEXAFI_AUDIT_TOKEN", &admin).args([
        "audit",
        "append",
        "--url",
        &server.url,
        "events.json",
    ]));
    let answer: Value = serde_json::from_str(&appended).unwrap();
    let erased_id = answer["acks"][3]["event_id"].as_str().unwrap().to_owned();
    run_ok(nexafi(dir).env("NEXAFI_AUDIT_TOKEN", &admin).args([
        "audit",
        "erase",
        "--url",
        &server.url,
        "--event-id",
        &erased_id,
        "--reason",
        "GDPR request",
    ]));

    let passed = audit(&admin, "first.trusted");
    assert!(passed.status.success(), "{}", stderr_of(&passed));
    assert!(
        stdout_of(&passed).contains("verified 301 entries"),
        "{}",
        stdout_of(&passed)
    );
    assert!(
        stdout_of(&passed).contains("300 payloads checked, 1 erased"),
        "{}",
        stdout_of(&passed)
    );

    // An audit token without the read scope cannot fetch payloads.
    let audit_only = token(dir, db, schema, "audit");
    let refused = audit(&audit_only, "refused.trusted");
    assert_eq!(refused.status.code(), Some(2), "{}", stderr_of(&refused));
    assert!(
        stderr_of(&refused).contains("`read` scope"),
        "{}",
        stderr_of(&refused)
    );

    tamper(dir, 257);
    let failed = audit(&admin, "second.trusted");
    assert_eq!(failed.status.code(), Some(1), "{}", stdout_of(&failed));
    let message = stderr_of(&failed);
    assert!(
        message.contains("verification failed: entry 257"),
        "{message}"
    );
    assert!(message.contains("commitment"), "{message}");
}

#[test]
fn sqlite_verify_url_checks_payloads() {
    verify_url_checks_payloads("sqlite:audit.db", "unused", |dir, index| {
        // The payloads table has no triggers: erasure deletes rows from it.
        let connection = rusqlite::Connection::open(dir.join("audit.db")).unwrap();
        let changed = connection
            .execute(
                "UPDATE payloads SET payload = replace(payload, 'INV-', 'INV-9') WHERE idx = ?1",
                [index as i64],
            )
            .unwrap();
        assert_eq!(changed, 1);
    });
}

#[test]
fn postgres_verify_url_checks_payloads() {
    let schema = format!("audit_remote_{}", std::process::id());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    verify_url_checks_payloads(&format!("postgres:{POSTGRES}"), &schema, |_, index| {
        runtime.block_on(async {
            let store = PostgresStore::connect(POSTGRES, &schema).await.unwrap();
            store
                .execute_raw(&format!(
                    "UPDATE payload_chunks \
                     SET payloads[{index} - first_idx + 1] = \
                         replace(payloads[{index} - first_idx + 1], 'INV-', 'INV-9') \
                     WHERE first_idx = \
                         (SELECT MAX(first_idx) FROM payload_chunks WHERE first_idx <= {index})"
                ))
                .await
                .unwrap();
        });
    });
    runtime.block_on(async {
        let store = PostgresStore::connect(POSTGRES, &schema).await.unwrap();
        store
            .execute_raw(&format!("DROP SCHEMA {schema} CASCADE"))
            .await
            .unwrap();
    });
}
