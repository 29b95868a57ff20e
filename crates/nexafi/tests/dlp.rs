//! `nexafi dlp scan` and `nexafi dlp redact` as users run them: real files, real exit
//! statuses, and no planted value in any output, logs included.

// Helpers of a test binary may unwrap: a panic is the test failure we want.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

fn nexafi() -> Command {
    let mut command = Command::cargo_bin("nexafi").unwrap();
    command
        .env_remove("RUST_LOG")
        .env_remove("NEXAFI_DLP_TOKEN_KEY")
        .env("NO_COLOR", "1");
    command
}

fn write(root: &Path, name: &str, text: &str) {
    let path = root.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// Fake values of every kind, made up for this test; each is valid for its detector.
const PLANTED: &[(&str, &str)] = &[
    ("card-number", "4111111111111111"),
    ("card-number", "5500 0055 5555 5559"),
    ("card-number", "3714-496353-98431"),
    ("iban", "DE89370400440532013000"),
    ("iban", "GB82 WEST 1234 5698 7654 32"),
    ("aba-routing-number", "021000021"),
    ("swift-bic", "DEUTDEFF500"),
    ("us-ssn", "219-09-9999"),
    ("email-address", "jane.roe@payments.example.com"),
    ("aws-access-key-id", "AKIAQ3EGRZ7YJ2KXW5NB"),
    (
        "aws-secret-access-key",
        "q8Fz3LwP0aV7nR2cX9mKt4Hs6Jd1Gy5Bu/E+oQiW",
    ),
    ("github-token", "ghp_R8fK2mQ9xLw3Zt7Pv1Nc5Hy0Bd4Js6Ga8UeX"),
    ("gitlab-token", "glpat-Xy7Kq2Lm9Nw4Rt1Vb8Zc"),
    (
        "slack-token",
        "xoxb-184725639012-4827361950473-Qm7Xk2Lp9Rw4Tz1Yv8Nc3Bh6",
    ),
    ("stripe-key", "sk_live_7Rq2Xw9LmK4vT1zPd8NcY3bH6"),
    ("generic-secret", "Xk9#mP2$vL7qW4!z"),
];

const JWT: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI0MjQyIiwiaWF0IjoxNzMzMzU2ODAwfQ.c2lnbmF0dXJlLXRoYXQtaXMtbm90LXJlYWwtYXQtYWxs";

/// Writes every planted value into a tree: a YAML file, a JSON file, a .env file, a log,
/// a binary file and an ignored file.
fn planted_tree(root: &Path) {
    write(
        root,
        "config/payments.yaml",
        "payments:\n  - card: 4111111111111111\n  - card: \"5500 0055 5555 5559\"\nbank:\n  iban: DE89370400440532013000\n  swift: DEUTDEFF500\n  routing_number: \"021000021\"\n",
    );
    write(
        root,
        "data/users.json",
        r#"{"users": [{"email": "jane.roe@payments.example.com", "ssn": "219-09-9999"}], "amex card": "3714-496353-98431"}"#,
    );
    write(
        root,
        ".env",
        "AWS_ACCESS_KEY_ID=AKIAQ3EGRZ7YJ2KXW5NB\nAWS_SECRET_ACCESS_KEY=q8Fz3LwP0aV7nR2cX9mKt4Hs6Jd1Gy5Bu/E+oQiW\nDB_PASSWORD=\"Xk9#mP2$vL7qW4!z\"\n",
    );
    write(
        root,
        "logs/app.log",
        &format!(
            "INFO transfer to GB82 WEST 1234 5698 7654 32 accepted\nDEBUG auth ghp_R8fK2mQ9xLw3Zt7Pv1Nc5Hy0Bd4Js6Ga8UeX glpat-Xy7Kq2Lm9Nw4Rt1Vb8Zc\nDEBUG slack xoxb-184725639012-4827361950473-Qm7Xk2Lp9Rw4Tz1Yv8Nc3Bh6 stripe sk_live_7Rq2Xw9LmK4vT1zPd8NcY3bH6\nDEBUG bearer {JWT}\n"
        ),
    );
    std::fs::write(root.join("logs/core.bin"), b"\x00\x01card 4111111111111111").unwrap();
    write(root, ".gitignore", "ignored/\n");
    write(root, "ignored/old.txt", "card 4111111111111111\n");
    // The walker honours .gitignore only inside a repository.
    std::fs::create_dir_all(root.join(".git")).unwrap();
}

fn all_output(output: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn assert_no_planted_value(text: &str) {
    for (detector, value) in PLANTED {
        assert!(!text.contains(value), "{detector} value leaked:\n{text}");
        let digits: String = value.chars().filter(char::is_ascii_alphanumeric).collect();
        assert!(
            !text.contains(&digits),
            "{detector} value leaked without separators"
        );
    }
    assert!(!text.contains(JWT), "JWT leaked");
}

#[test]
fn scan_reports_every_value_without_leaking_it() {
    let dir = tempfile::tempdir().unwrap();
    planted_tree(dir.path());
    for format in ["human", "json"] {
        let output = nexafi()
            .args(["-vv", "dlp", "scan", "--format", format])
            .arg(dir.path())
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{}", all_output(&output));
        let text = all_output(&output);
        assert_no_planted_value(&text);
        assert!(text.contains("skipped binary file"), "{text}");
    }
}

#[test]
fn scan_json_counts_and_paths() {
    let dir = tempfile::tempdir().unwrap();
    planted_tree(dir.path());
    let output = nexafi()
        .args(["dlp", "scan", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let findings = report["findings"].as_array().unwrap();

    let mut detectors: Vec<&str> = findings
        .iter()
        .map(|finding| finding["detector"].as_str().unwrap())
        .collect();
    detectors.sort_unstable();
    let mut expected: Vec<&str> = PLANTED.iter().map(|(detector, _)| *detector).collect();
    expected.push("jwt");
    expected.sort_unstable();
    assert_eq!(detectors, expected);

    let path_of = |file: &str, detector: &str| -> Vec<String> {
        findings
            .iter()
            .filter(|f| f["file"].as_str().unwrap().ends_with(file) && f["detector"] == detector)
            .map(|f| f["path"].as_str().unwrap_or("").to_owned())
            .collect()
    };
    assert_eq!(
        path_of("payments.yaml", "card-number"),
        ["$.payments[0].card", "$.payments[1].card"]
    );
    assert_eq!(path_of("payments.yaml", "iban"), ["$.bank.iban"]);
    assert_eq!(path_of("users.json", "us-ssn"), ["$.users[0].ssn"]);
    assert_eq!(path_of("users.json", "card-number"), ["$['amex card']"]);
    assert_eq!(report["totals"]["binary"], 1);
    assert!(
        !findings
            .iter()
            .any(|f| f["file"].as_str().unwrap().contains("ignored")),
        ".gitignore not honoured"
    );
}

#[test]
fn scan_exit_status_clean_and_missing() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "clean.txt",
        "order 4111111111111111 shipped at 2026-12-04\n",
    );
    nexafi()
        .args(["dlp", "scan"])
        .arg(dir.path())
        .assert()
        .code(0);
    let output = nexafi()
        .args(["dlp", "scan"])
        .arg(dir.path().join("missing.txt"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("does not exist"));
}

#[test]
fn scan_reads_standard_input() {
    let output = nexafi()
        .args(["dlp", "scan", "-", "--format", "json"])
        .write_stdin("visa 4111 1111 1111 1111\n")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["findings"][0]["file"], "-");
    assert_eq!(report["findings"][0]["brand"], "visa");
    assert_eq!(report["findings"][0]["preview"], "4111 11** **** 1111");
}

#[test]
fn allowlist_accepts_hashed_value_and_paths() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "fixtures/cards.txt", "card 5500005555555559\n");
    write(
        dir.path(),
        "src/pay.txt",
        "card 4111 1111 1111 1111\ncard 3714-496353-98431\n",
    );
    // SHA-256 of 4111111111111111, the digits of the value.
    write(
        dir.path(),
        "allow.yaml",
        "values:\n  - sha256: 9bbef19476623ca56c17da75fd57734dbf82530686043a6e491c6d71befe8f6e\n    reason: scheme test card\npaths:\n  - \"fixtures/**\"\n",
    );
    let output = nexafi()
        .current_dir(dir.path())
        .args([
            "dlp",
            "scan",
            "--format",
            "json",
            "--allowlist",
            "allow.yaml",
            "fixtures",
            "src",
        ])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{report:#}");
    assert_eq!(findings[0]["brand"], "amex");

    write(dir.path(), "bad.yaml", "values:\n  - sha256: nothex\n");
    let output = nexafi()
        .current_dir(dir.path())
        .args(["dlp", "scan", "--allowlist", "bad.yaml", "src"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("values[0].sha256"));
}

#[test]
fn redact_stdin_in_every_mode_leaks_nothing() {
    let input: String = PLANTED
        .iter()
        .map(|(detector, value)| match *detector {
            "aba-routing-number" => format!("routing number {value}\n"),
            "swift-bic" => format!("SWIFT: {value}\n"),
            "generic-secret" => format!("password = \"{value}\"\n"),
            _ => format!("value {value}\n"),
        })
        .collect();
    let key_dir = tempfile::tempdir().unwrap();
    write(key_dir.path(), "key", "obviously-fake-tokenisation-key\n");

    for mode in ["pci", "full", "token"] {
        let output = nexafi()
            .args(["-vv", "dlp", "redact", "--mode", mode, "--key-file"])
            .arg(key_dir.path().join("key"))
            .write_stdin(input.clone())
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", all_output(&output));
        assert_no_planted_value(&all_output(&output));

        // A scan of the redacted text reports nothing.
        nexafi()
            .args(["dlp", "scan", "-"])
            .write_stdin(output.stdout.clone())
            .assert()
            .code(0);
    }
}

#[test]
fn redact_token_needs_a_key() {
    let output = nexafi()
        .args(["dlp", "redact", "--mode", "token"])
        .write_stdin("card 4111111111111111\n")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("NEXAFI_DLP_TOKEN_KEY"));

    let first = nexafi()
        .args(["dlp", "redact", "--mode", "token"])
        .env("NEXAFI_DLP_TOKEN_KEY", "obviously-fake-tokenisation-key")
        .write_stdin("card 4111111111111111\n")
        .output()
        .unwrap();
    let text = String::from_utf8(first.stdout).unwrap();
    assert!(text.starts_with("card 99"), "{text}");
    assert_eq!(text.len(), "card 4111111111111111\n".len());
}

#[test]
fn redact_files_to_output_dir_or_in_place() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "in/a/pay.txt", "card 4111111111111111 ok\n");
    let original = std::fs::read_to_string(dir.path().join("in/a/pay.txt")).unwrap();

    nexafi()
        .current_dir(dir.path())
        .args(["dlp", "redact", "in"])
        .assert()
        .code(2);

    nexafi()
        .current_dir(dir.path())
        .args([
            "dlp",
            "redact",
            "--mode",
            "full",
            "--output-dir",
            "out",
            "in",
        ])
        .assert()
        .code(0);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out/a/pay.txt")).unwrap(),
        "card **************** ok\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("in/a/pay.txt")).unwrap(),
        original,
        "input changed without --in-place"
    );

    nexafi()
        .current_dir(dir.path())
        .args(["dlp", "redact", "--in-place", "in/a/pay.txt"])
        .assert()
        .code(0);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("in/a/pay.txt")).unwrap(),
        "card 411111******1111 ok\n"
    );
}
