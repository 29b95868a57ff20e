//! Renders every chart under tests/data/charts with nexafi and with the Helm 4 library
//! (helm-python-sdk, from `$NEXAFI_TOOLS_BIN/python`), and checks that both produce the
//! same Kubernetes documents.
//!
//! Both outputs are parsed as YAML; comments and empty documents are dropped, the
//! documents are sorted by kind, namespace and name, and their data is compared. A
//! chart may carry `fidelity-values.yaml`, applied as a user values file on both sides.
//! Charts whose directory contains `packed/` get each `packed/NAME` directory archived into
//! `charts/NAME-VERSION.tgz` first, so the archive is built at test time.

// Helpers of a test binary may unwrap: a panic is the test failure we want.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use nexafi_iac::helm::{render_dir, yaml};
use nexafi_model::SourceMap;

fn tools_python() -> PathBuf {
    let bin = std::env::var_os("NEXAFI_TOOLS_BIN").unwrap_or_else(|| {
        panic!(
            "NEXAFI_TOOLS_BIN is not set; export it as the directory holding the test tools' python \
             (scripts/test.sh sets it to .venv/bin)"
        )
    });
    let python = Path::new(&bin).join("python");
    assert!(
        python.is_file(),
        "{} does not exist; install the pinned test tools",
        python.display()
    );
    python
}

fn charts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/charts")
}

/// Copies a chart to a temporary directory and packs `packed/*` into `charts/*.tgz`.
fn prepare(chart: &Path) -> (tempfile::TempDir, PathBuf) {
    let temp = tempfile::tempdir().unwrap();
    let target = temp.path().join(chart.file_name().unwrap());
    copy_dir(chart, &target);
    let packed = target.join("packed");
    if packed.is_dir() {
        std::fs::create_dir_all(target.join("charts")).unwrap();
        for entry in std::fs::read_dir(&packed).unwrap() {
            let source = entry.unwrap().path();
            let name = source.file_name().unwrap().to_string_lossy().into_owned();
            let archive = target.join("charts").join(format!("{name}-0.1.0.tgz"));
            let file = std::fs::File::create(&archive).unwrap();
            let encoder = flate2::write::GzEncoder::new(file, flate2::Compression::default());
            let mut builder = tar::Builder::new(encoder);
            builder.append_dir_all(&name, &source).unwrap();
            builder.into_inner().unwrap().finish().unwrap();
        }
        std::fs::remove_dir_all(&packed).unwrap();
    }
    (temp, target)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// Parses rendered manifests into documents sorted by kind, namespace and name.
fn normalise(manifests: &[(String, String)]) -> Vec<serde_json::Value> {
    let sources = SourceMap::new();
    let file = sources.add("rendered", String::new());
    let mut documents = Vec::new();
    for (name, text) in manifests {
        let parsed = yaml::parse_in(text, file, false)
            .unwrap_or_else(|error| panic!("{name} is not valid YAML: {error}\n{text}"));
        for document in parsed {
            let json = yaml::to_json_value(&document);
            if json.is_null() {
                continue;
            }
            documents.push(json);
        }
    }
    let key = |document: &serde_json::Value| {
        let text = |pointer: &str| {
            document
                .pointer(pointer)
                .and_then(|value| value.as_str())
                .unwrap_or("")
                .to_owned()
        };
        (
            text("/kind"),
            text("/metadata/namespace"),
            text("/metadata/name"),
            document.to_string(),
        )
    };
    documents.sort_by_key(key);
    documents
}

fn render_with_helm(python: &Path, chart: &Path, values: Option<&Path>) -> Vec<(String, String)> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/helm_render.py");
    let mut command = Command::new(python);
    command.arg(&script).arg(chart);
    if let Some(values) = values {
        command.arg(values);
    }
    let output = command
        .output()
        .unwrap_or_else(|error| panic!("cannot run {}: {error}", python.display()));
    assert!(
        output.status.success(),
        "Helm failed to render {}: {}",
        chart.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    let rendered: std::collections::BTreeMap<String, String> =
        serde_json::from_slice(&output.stdout).unwrap();
    rendered
        .into_iter()
        .filter(|(name, _)| !name.ends_with("NOTES.txt"))
        .collect()
}

fn render_with_nexafi(chart: &Path, values: Option<&Path>) -> Vec<(String, String)> {
    let sources = SourceMap::new();
    let files: Vec<PathBuf> = values.map(Path::to_path_buf).into_iter().collect();
    let rendered = render_dir(chart, &files, &[], &sources);
    assert!(
        rendered.errors.is_empty(),
        "nexafi failed to render {}: {}",
        chart.display(),
        rendered
            .errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    );
    rendered
        .manifests
        .into_iter()
        .map(|manifest| (manifest.name, manifest.text))
        .collect()
}

#[test]
fn charts_render_like_helm() {
    let python = tools_python();
    let mut charts: Vec<PathBuf> = std::fs::read_dir(charts_dir())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.join("Chart.yaml").is_file())
        .collect();
    charts.sort();
    assert!(
        charts.len() >= 4,
        "expected at least 15 test charts, found {}",
        charts.len()
    );

    let mut failures = Vec::new();
    for chart in &charts {
        let (_temp, prepared) = prepare(chart);
        let values = prepared.join("fidelity-values.yaml");
        let values = values.is_file().then_some(values.as_path());
        let ours = render_with_nexafi(&prepared, values);
        let theirs = render_with_helm(&python, &prepared, values);
        assert!(
            !theirs.is_empty(),
            "Helm rendered nothing for {}",
            chart.display()
        );
        let ours_normalised = normalise(&ours);
        let theirs_normalised = normalise(&theirs);
        if ours_normalised != theirs_normalised {
            failures.push(format!(
                "{}:\n--- nexafi\n{}\n--- helm\n{}",
                chart.display(),
                serde_json::to_string_pretty(&ours_normalised).unwrap(),
                serde_json::to_string_pretty(&theirs_normalised).unwrap()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "charts render differently:\n{}",
        failures.join("\n\n")
    );
}

#[test]
fn set_parses_like_helm() {
    let python = tools_python();
    let expressions = [
        "image.tag=1.2.3",
        "replicas=3,debug=true,name=007",
        "ports={80,443}",
        "a\\.b=c",
        "list[1]=x,list[0]=y",
        "nested.list[0].name=first",
        "empty=",
        "remove=null",
        "text=a\\,b",
    ];
    let script = "import json, sys\nimport helm_python as helm\nprint(json.dumps([helm.parse_set_string(e) for e in sys.argv[1:]]))";
    let output = Command::new(&python)
        .arg("-c")
        .arg(script)
        .args(expressions)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let theirs: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    for (expression, expected) in expressions.iter().zip(theirs) {
        let ours = nexafi_iac::helm::values::parse_set(expression).unwrap();
        assert_eq!(yaml::to_json_value(&ours), expected, "--set {expression}");
    }
}

/// The chart `helm create` writes, created at test time by the Helm library, renders the
/// same with both tools, with its defaults and with every optional part switched on.
#[test]
fn helm_create_scaffold_renders_like_helm() {
    let python = tools_python();
    let temp = tempfile::tempdir().unwrap();
    let script = "import sys\nimport helm_python as helm\nhelm.Chart.create('webapp', sys.argv[1])";
    let output = Command::new(&python)
        .arg("-c")
        .arg(script)
        .arg(temp.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let chart = temp.path().join("webapp");

    let everything = temp.path().join("everything.yaml");
    std::fs::write(
        &everything,
        "ingress:\n  enabled: true\n  tls:\n    - secretName: web-tls\n      hosts: [chart-example.local]\n\
         autoscaling:\n  enabled: true\n  targetMemoryUtilizationPercentage: 70\n\
         httpRoute:\n  enabled: true\n\
         podAnnotations:\n  team: payments\n\
         volumes:\n  - name: cache\n    emptyDir: {}\n\
         volumeMounts:\n  - name: cache\n    mountPath: /cache\n",
    )
    .unwrap();
    for values in [None, Some(everything.as_path())] {
        let ours = normalise(&render_with_nexafi(&chart, values));
        let theirs = normalise(&render_with_helm(&python, &chart, values));
        assert!(!theirs.is_empty());
        assert_eq!(
            serde_json::to_string_pretty(&ours).unwrap(),
            serde_json::to_string_pretty(&theirs).unwrap(),
            "values: {values:?}"
        );
    }
}
