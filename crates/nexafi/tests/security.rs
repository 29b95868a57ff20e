//! `nexafi security` as users run it: the offline security view of a tree, and live
//! probes of a TLS server that the test starts on 127.0.0.1 with OpenSSL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::ffi::OsStr;
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command as Process, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use serde_json::Value;

fn nexafi() -> Command {
    let mut command = Command::cargo_bin("nexafi").unwrap();
    command.env_remove("RUST_LOG").env("NO_COLOR", "1");
    command
}

fn json_of(output: &std::process::Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "invalid JSON ({error}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

fn verdicts(report: &Value, check: &str) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|finding| finding["check_id"] == check)
        .map(|finding| finding["verdict"].as_str().unwrap().to_owned())
        .collect()
}

/// OpenSSL's `s_server` with a certificate from a throwaway CA, killed on drop.
struct Server {
    port: u16,
    child: Child,
}

impl Server {
    fn start(dir: &Path, protocol: &str) -> Self {
        // A CA and a leaf signed by it: WebPKI rejects a CA certificate used as a leaf.
        let ca_key = dir.join("ca.key");
        let ca = dir.join("ca.pem");
        let key = dir.join("key.pem");
        let request = dir.join("leaf.csr");
        let cert = dir.join("cert.pem");
        let extensions = dir.join("leaf.ext");
        std::fs::write(
            &extensions,
            "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        let arg = |text: &'static str| OsStr::new(text);
        openssl(&[
            arg("req"),
            arg("-x509"),
            arg("-newkey"),
            arg("rsa:2048"),
            arg("-nodes"),
            arg("-days"),
            arg("30"),
            arg("-subj"),
            arg("/CN=NexaFi Test CA"),
            arg("-keyout"),
            ca_key.as_os_str(),
            arg("-out"),
            ca.as_os_str(),
        ]);
        openssl(&[
            arg("req"),
            arg("-new"),
            arg("-newkey"),
            arg("rsa:2048"),
            arg("-nodes"),
            arg("-subj"),
            arg("/CN=localhost"),
            arg("-keyout"),
            key.as_os_str(),
            arg("-out"),
            request.as_os_str(),
        ]);
        openssl(&[
            arg("x509"),
            arg("-req"),
            arg("-days"),
            arg("10"),
            arg("-set_serial"),
            arg("2"),
            arg("-in"),
            request.as_os_str(),
            arg("-CA"),
            ca.as_os_str(),
            arg("-CAkey"),
            ca_key.as_os_str(),
            arg("-extfile"),
            extensions.as_os_str(),
            arg("-out"),
            cert.as_os_str(),
        ]);

        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Process::new("openssl")
            .args([
                "s_server",
                "-quiet",
                "-www",
                protocol,
                "-cipher",
                "ALL:@SECLEVEL=0",
            ])
            .arg("-accept")
            .arg(format!("127.0.0.1:{port}"))
            .arg("-cert")
            .arg(&cert)
            .arg("-key")
            .arg(&key)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl must be installed (Debian package openssl)");
        let server = Server { port, child };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "openssl s_server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }
}

/// Runs `openssl` with `args` and asserts success.
fn openssl(args: &[&OsStr]) {
    let status = Process::new("openssl")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("openssl must be installed (Debian package openssl)");
    assert!(status.success(), "openssl {args:?} failed");
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn weak_protocol_target_fails() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), "-tls1");
    let sarif_path = dir.path().join("security.sarif");
    let output = nexafi()
        .args(["security", "--format", "json", "--format", "sarif"])
        .args(["--output", "-", "--output"])
        .arg(&sarif_path)
        .arg("--target")
        .arg(format!("https://127.0.0.1:{}/", server.port))
        .arg("--ca-file")
        .arg(dir.path().join("ca.pem"))
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif_path).unwrap()).unwrap();
    let rules: Vec<&str> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|result| result["ruleId"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"NXF-TLS-001"), "{rules:?}");
    let report = json_of(&output);
    assert_eq!(verdicts(&report, "NXF-TLS-001"), ["fail"]);
    assert_eq!(verdicts(&report, "NXF-TLS-002"), ["fail"]);
    // The certificate is valid for 10 days, inside the default 30-day warning.
    assert_eq!(verdicts(&report, "NXF-TLS-005"), ["pass"]);
    assert_eq!(verdicts(&report, "NXF-TLS-006"), ["fail"]);
    let pci = report["frameworks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|framework| framework["id"] == "pci_dss")
        .unwrap();
    let control = pci["controls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|control| control["id"] == "4.2.1")
        .unwrap();
    assert_eq!(control["status"], "not_satisfied");
}

#[test]
fn modern_target_passes_protocol_checks() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), "-tls1_3");
    let output = nexafi()
        .args([
            "security",
            "--format",
            "json",
            "--expiry-warning-days",
            "7",
            "--target",
        ])
        .arg(format!("localhost:{}", server.port))
        .arg("--ca-file")
        .arg(dir.path().join("ca.pem"))
        .output()
        .unwrap();
    let report = json_of(&output);
    for check in [
        "NXF-TLS-001",
        "NXF-TLS-002",
        "NXF-TLS-003",
        "NXF-TLS-004",
        "NXF-TLS-005",
        "NXF-TLS-006",
        "NXF-TLS-007",
    ] {
        assert_eq!(verdicts(&report, check), ["pass"], "{check}");
    }
    // OpenSSL's status page sends no security headers.
    assert_eq!(verdicts(&report, "NXF-HTTP-001"), ["fail"]);
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn closed_port_is_an_error_finding() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let output = nexafi()
        .args(["security", "--format", "json", "--target"])
        .arg(format!("https://127.0.0.1:{port}"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let report = json_of(&output);
    assert_eq!(verdicts(&report, "NXF-PROBE-UNREACHABLE"), ["error"]);
}

#[test]
fn plain_http_target_is_usage_error() {
    let output = nexafi()
        .args(["security", "--target", "http://127.0.0.1:8080"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("only https endpoints"), "{stderr}");
}

#[test]
fn offline_view_leaves_out_backup_checks() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        r#"
resource "aws_db_instance" "ledger" {
  engine                  = "postgres"
  instance_class          = "db.t3.micro"
  storage_encrypted       = false
  backup_retention_period = 0
}
"#,
    )
    .unwrap();
    let validate = nexafi()
        .args(["validate", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    let security = nexafi()
        .args(["security", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(security.status.code(), Some(1));
    let validate = json_of(&validate);
    let security = json_of(&security);
    let ids = |report: &Value| -> Vec<String> {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|finding| finding["verdict"] == "fail")
            .map(|finding| finding["check_id"].as_str().unwrap().to_owned())
            .collect()
    };
    let offline = ids(&validate);
    let secure = ids(&security);
    assert!(secure.len() < offline.len(), "{secure:?} vs {offline:?}");
    assert!(secure.iter().all(|id| offline.contains(id)));
    let encryption = nexafi_checks_id_for_category(&validate, "enc-at-rest");
    assert!(secure.contains(&encryption), "{secure:?}");
}

/// Finds the id of a failing finding of `validate` that carries `category`.
fn nexafi_checks_id_for_category(report: &Value, category: &str) -> String {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|finding| {
            finding["verdict"] == "fail"
                && finding["categories"]
                    .as_array()
                    .is_some_and(|list| list.iter().any(|c| c == category))
        })
        .map(|finding| finding["check_id"].as_str().unwrap().to_owned())
        .unwrap_or_else(|| panic!("no failing {category} finding"))
}

#[test]
fn secrets_and_card_numbers_fail_without_leaking() {
    let dir = tempfile::tempdir().unwrap();
    let key_id = "AKIAQ3EGRZ7YJ2KXW5NB";
    let card = "4111111111111111";
    std::fs::write(
        dir.path().join("settings.env"),
        format!("AWS_ACCESS_KEY_ID={key_id}\n"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("fixtures.yaml"),
        format!("payments:\n  - card: {card}\n"),
    )
    .unwrap();
    let output = nexafi()
        .args(["security", "-vv", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    for raw in [key_id, card] {
        assert!(!stdout.contains(raw), "stdout leaks a planted value");
        assert!(!stderr.contains(raw), "stderr leaks a planted value");
    }
    let report = json_of(&output);
    assert_eq!(verdicts(&report, "NXF-DLP-001"), ["fail"]);
    assert_eq!(verdicts(&report, "NXF-DLP-002"), ["fail"]);
    let card_finding = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|finding| finding["check_id"] == "NXF-DLP-002")
        .unwrap();
    assert_eq!(card_finding["line"], 2);
    assert_eq!(card_finding["attribute"], "$.payments[0].card");
}

#[test]
fn clean_tree_passes_sensitive_data_checks() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "order 1234 shipped\n").unwrap();
    let output = nexafi()
        .args(["security", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    let report = json_of(&output);
    assert_eq!(verdicts(&report, "NXF-DLP-001"), ["pass"]);
    assert_eq!(verdicts(&report, "NXF-DLP-002"), ["pass"]);

    let skipped = nexafi()
        .args(["security", "--no-sensitive-data", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    let report = json_of(&skipped);
    assert!(verdicts(&report, "NXF-DLP-001").is_empty());
}

#[test]
fn human_code_frames_mask_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let token = "ghp_R8fK2mQ9xLw3Zt7Pv1Nc5Hy0Bd4Js6Ga8UeX";
    std::fs::write(
        dir.path().join("Dockerfile"),
        format!("FROM alpine:3.20\nENV API_TOKEN={token}\n"),
    )
    .unwrap();
    for command in ["security", "validate"] {
        let output = nexafi().arg(command).arg(dir.path()).output().unwrap();
        assert_eq!(output.status.code(), Some(1), "{command}");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(!stdout.contains(token), "{command} prints the token");
        assert!(
            stdout.contains("ENV API_TOKEN=****"),
            "{command}:\n{stdout}"
        );
    }
}

#[test]
fn explain_knows_live_and_file_checks() {
    for (id, expected) in [
        ("NXF-TLS-001", "ClientHello"),
        ("http-hsts-missing", "Strict-Transport-Security"),
        ("NXF-DLP-001", "secret detectors"),
    ] {
        let output = nexafi().args(["checks", "explain", id]).output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{id}");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.contains(expected), "{id}:\n{stdout}");
    }
}

/// Copies the hardened chart fixture into `dir` and returns the copy. The copy's template
/// requires the image digest and its values.yaml has none, as in a chart that pins images
/// per environment.
fn chart_needing_digest(dir: &Path) -> std::path::PathBuf {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/helm/hardened");
    let chart = dir.join("ledger");
    std::fs::create_dir_all(chart.join("templates")).unwrap();
    std::fs::copy(source.join("Chart.yaml"), chart.join("Chart.yaml")).unwrap();
    std::fs::copy(
        source.join("templates/_helpers.tpl"),
        chart.join("templates/_helpers.tpl"),
    )
    .unwrap();
    let values = std::fs::read_to_string(source.join("values.yaml")).unwrap();
    let values: String = values
        .lines()
        .filter(|line| !line.trim_start().starts_with("digest:"))
        .map(|line| format!("{line}\n"))
        .collect();
    std::fs::write(chart.join("values.yaml"), values).unwrap();
    let template = std::fs::read_to_string(source.join("templates/deployment.yaml")).unwrap();
    let template = template.replace(
        "{{ .Values.image.digest }}",
        "{{ required \"set image.digest\" .Values.image.digest }}",
    );
    assert!(template.contains("required"));
    std::fs::write(chart.join("templates/deployment.yaml"), template).unwrap();
    chart
}

fn security_json(args: &[&OsStr]) -> (Option<i32>, Value) {
    let output = nexafi()
        .args(["security", "--no-sensitive-data", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    (output.status.code(), json_of(&output))
}

/// Failing, erroring or passing findings of one check, as (verdict, resource, file).
fn rows(report: &Value, check: &str) -> Vec<(String, String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|finding| finding["check_id"] == check)
        .map(|finding| {
            let text = |key: &str| finding[key].as_str().unwrap_or_default().to_owned();
            (text("verdict"), text("resource"), text("file"))
        })
        .collect()
}

#[test]
fn helm_options_render_the_chart() {
    let dir = tempfile::tempdir().unwrap();
    let chart = chart_needing_digest(dir.path());
    let values = dir.path().join("prod-values.yaml");
    std::fs::write(
        &values,
        "image:\n  digest: sha256:4b7ce07f2a9f2b4f4c8d3b5e8a1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c\n",
    )
    .unwrap();

    // Without the values file the chart cannot render.
    let (status, report) = security_json(&[chart.as_os_str()]);
    assert_eq!(status, Some(1));
    let errors = rows(&report, "NXF-LOAD-ERROR");
    assert_eq!(errors.len(), 1, "{errors:?}");
    let message = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|finding| finding["check_id"] == "NXF-LOAD-ERROR")
        .map(|finding| finding["message"].as_str().unwrap().to_owned())
        .unwrap();
    assert!(message.contains("set image.digest"), "{message}");

    // With it, and a release and namespace, the rendered Deployment is checked.
    let arg = |text: &'static str| OsStr::new(text);
    let (status, report) = security_json(&[
        arg("--helm-values"),
        values.as_os_str(),
        arg("--helm-release"),
        arg("ledger-prod"),
        arg("--helm-namespace"),
        arg("payments"),
        chart.as_os_str(),
    ]);
    assert!(rows(&report, "NXF-LOAD-ERROR").is_empty());
    let privileged = rows(&report, "NXF-K8S-POD-001");
    assert!(!privileged.is_empty());
    for (verdict, resource, file) in &privileged {
        assert_eq!(verdict, "pass");
        assert!(resource.contains("ledger-prod-ledger"), "{resource}");
        assert!(
            file.contains("templates/deployment.yaml [values.yaml, "),
            "{file}"
        );
        assert!(file.ends_with("prod-values.yaml]"), "{file}");
    }
    assert_eq!(status, Some(0), "{report}");

    // --helm-set applies over the values file and the finding fails.
    let (status, report) = security_json(&[
        arg("--helm-values"),
        values.as_os_str(),
        arg("--helm-set"),
        arg("securityContext.privileged=true"),
        chart.as_os_str(),
    ]);
    assert_eq!(status, Some(1));
    let verdicts: Vec<String> = rows(&report, "NXF-K8S-POD-001")
        .into_iter()
        .map(|(verdict, _, _)| verdict)
        .collect();
    assert_eq!(verdicts, ["fail"]);
}

#[test]
fn helm_values_siblings_render_each() {
    let dir = tempfile::tempdir().unwrap();
    let chart = chart_needing_digest(dir.path());
    std::fs::write(
        chart.join("values-prod.yaml"),
        "image:\n  digest: sha256:4b7ce07f2a9f2b4f4c8d3b5e8a1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c\n",
    )
    .unwrap();
    let (status, report) =
        security_json(&[OsStr::new("--helm-values-siblings"), chart.as_os_str()]);
    let files: Vec<String> = rows(&report, "NXF-K8S-POD-001")
        .into_iter()
        .map(|(_, _, file)| file)
        .collect();
    assert!(
        files.iter().any(|file| file.contains("values-prod.yaml")),
        "{files:?}"
    );
    // The defaults alone still lack the digest.
    assert_eq!(rows(&report, "NXF-LOAD-ERROR").len(), 1);
    assert_eq!(status, Some(1));
}

#[test]
fn missing_helm_values_file_is_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let output = nexafi()
        .args(["security", "--helm-values"])
        .arg(dir.path().join("absent.yaml"))
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--helm-values"), "{stderr}");
    assert!(stderr.contains("absent.yaml"), "{stderr}");

    let output = nexafi()
        .args(["security", "--helm-set", "novalue"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}
