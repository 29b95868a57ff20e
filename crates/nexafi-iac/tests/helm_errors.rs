//! Charts that must not render: each error names the file, the place and the cause, and
//! the chart loader turns it into an error diagnostic instead of zero resources.

// Helpers of a test binary may unwrap: a panic is the test failure we want.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use nexafi_iac::DiagnosticLevel;
use nexafi_iac::helm::render::RenderError;
use nexafi_iac::helm::{ChartOptions, load_chart, render_dir};
use nexafi_model::SourceMap;

fn broken(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/charts-broken")
        .join(name)
}

/// Renders a broken chart and returns its only error.
fn only_error(name: &str) -> RenderError {
    let sources = SourceMap::new();
    let rendered = render_dir(&broken(name), &[], &[], &sources);
    assert_eq!(rendered.errors.len(), 1, "errors: {:?}", rendered.errors);
    rendered.errors.into_iter().next().unwrap()
}

#[test]
fn missing_required_value() {
    let RenderError::Template { path, error } = only_error("missing-required") else {
        panic!("expected a template error");
    };
    assert!(
        path.ends_with("templates/secret.yaml"),
        "{}",
        path.display()
    );
    assert_eq!(
        error.message,
        "database.password is required: set it in a values file"
    );
    assert_eq!(error.template, "missing-required/templates/secret.yaml");
    assert_eq!(error.pos.line, 6);
}

#[test]
fn template_syntax_error() {
    let RenderError::Template { error, .. } = only_error("syntax-error") else {
        panic!("expected a template error");
    };
    assert!(
        error.message.contains("missing {{end}}"),
        "{}",
        error.message
    );
    assert_eq!(error.pos.line, 6);
}

#[test]
fn unknown_function_named() {
    let RenderError::Template { error, .. } = only_error("unknown-function") else {
        panic!("expected a template error");
    };
    assert_eq!(error.message, "function \"frobnicate\" not defined");
    assert_eq!(
        error.to_string(),
        "unknown-function/templates/cm.yaml:4:28: function \"frobnicate\" not defined"
    );
}

#[test]
fn schema_violation() {
    let sources = SourceMap::new();
    let rendered = render_dir(&broken("schema-violation"), &[], &[], &sources);
    let [
        RenderError::Schema {
            path,
            message,
            span,
        },
    ] = rendered.errors.as_slice()
    else {
        panic!("expected one schema error: {:?}", rendered.errors);
    };
    assert!(path.ends_with("values.schema.json"), "{}", path.display());
    assert!(message.contains("/replicas"), "{message}");
    assert!(message.contains("integer"), "{message}");
    let location = sources.locate(span.unwrap()).unwrap();
    assert!(
        location.path.ends_with("schema-violation/values.yaml"),
        "{}",
        location.path.display()
    );
    assert_eq!(location.start.line, 1);
}

#[test]
fn broken_subchart() {
    let RenderError::Chart(error) = only_error("broken-subchart") else {
        panic!("expected a chart error");
    };
    assert!(
        error.path.ends_with("charts/db/Chart.yaml"),
        "{}",
        error.path.display()
    );
    assert!(
        error.message.contains("name and a version"),
        "{}",
        error.message
    );
}

#[test]
fn nil_pointer_like_go() {
    let RenderError::Template { error, .. } = only_error("nil-pointer") else {
        panic!("expected a template error");
    };
    assert_eq!(error.message, "nil pointer evaluating interface {}.deeper");
}

#[test]
fn load_reports_error_diagnostic() {
    for name in [
        "missing-required",
        "syntax-error",
        "unknown-function",
        "schema-violation",
        "broken-subchart",
    ] {
        let sources = SourceMap::new();
        let load = load_chart(&broken(name), &ChartOptions::default(), &sources);
        assert!(
            load.loaded.resources.is_empty() || name == "schema-violation",
            "{name}"
        );
        let errors: Vec<_> = load
            .loaded
            .diagnostics
            .iter()
            .filter(|diagnostic| diagnostic.level == DiagnosticLevel::Error)
            .collect();
        assert_eq!(errors.len(), 1, "{name}: {:?}", load.loaded.diagnostics);
        assert!(
            errors[0].message.starts_with("the Helm chart"),
            "{name}: {}",
            errors[0].message
        );
    }
}

#[test]
fn load_points_at_template_line() {
    let sources = SourceMap::new();
    let load = load_chart(
        &broken("missing-required"),
        &ChartOptions::default(),
        &sources,
    );
    let diagnostic = &load.loaded.diagnostics[0];
    let location = sources.locate(diagnostic.span.unwrap()).unwrap();
    assert!(
        location.path.ends_with("templates/secret.yaml"),
        "{}",
        location.path.display()
    );
    assert_eq!(location.start.line, 6);
}

#[test]
fn set_overrides_values_file() {
    let chart = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/charts/basic");
    let sources = SourceMap::new();
    let rendered = render_dir(&chart, &[], &["replicaCount=5".to_owned()], &sources);
    assert!(rendered.errors.is_empty(), "{:?}", rendered.errors);
    let deployment = rendered
        .manifests
        .iter()
        .find(|manifest| manifest.name.ends_with("deployment.yaml"))
        .unwrap();
    assert!(
        deployment.text.contains("replicas: 5"),
        "{}",
        deployment.text
    );
}

#[test]
fn origins_point_at_values_file() {
    let chart = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/charts/basic");
    let sources = SourceMap::new();
    let rendered = render_dir(&chart, &[], &[], &sources);
    let deployment = rendered
        .manifests
        .iter()
        .find(|manifest| manifest.name.ends_with("deployment.yaml"))
        .unwrap();
    let replicas = deployment.text.find("replicas: 2").unwrap() + "replicas: ".len();
    let origin = deployment
        .origins
        .iter()
        .find(|origin| origin.start == replicas)
        .unwrap_or_else(|| panic!("no origin at {replicas}: {:?}", deployment.origins));
    let location = sources.locate(origin.span).unwrap();
    assert!(
        location.path.ends_with("basic/values.yaml"),
        "{}",
        location.path.display()
    );
    assert_eq!(location.start.line, 1);
}

/// Writes a chart with one template into a temporary directory.
fn temp_chart(chart_yaml: &str, template: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("templates")).unwrap();
    std::fs::write(dir.path().join("Chart.yaml"), chart_yaml).unwrap();
    std::fs::write(dir.path().join("templates/t.yaml"), template).unwrap();
    dir
}

#[test]
fn kube_version_mismatch() {
    let dir = temp_chart(
        "apiVersion: v2\nname: old\nversion: 1.0.0\nkubeVersion: \"<1.20.0\"\n",
        "",
    );
    let sources = SourceMap::new();
    let rendered = render_dir(dir.path(), &[], &[], &sources);
    let [RenderError::Chart(error)] = rendered.errors.as_slice() else {
        panic!("expected one chart error: {:?}", rendered.errors);
    };
    assert!(
        error.message.contains("requires kubeVersion <1.20.0"),
        "{}",
        error.message
    );
}

#[test]
fn self_include_stops() {
    let template = "{{ define \"loop\" }}{{ include \"loop\" . }}{{ end }}{{ include \"loop\" . }}";
    let dir = temp_chart("apiVersion: v2\nname: loop\nversion: 1.0.0\n", template);
    let sources = SourceMap::new();
    let rendered = render_dir(dir.path(), &[], &[], &sources);
    let [RenderError::Template { error, .. }] = rendered.errors.as_slice() else {
        panic!("expected one template error: {:?}", rendered.errors);
    };
    assert!(error.message.contains("levels deep"), "{}", error.message);
}

#[test]
fn deep_nesting_stops() {
    let template = format!(
        "{}x{}",
        "{{ if true }}".repeat(150),
        "{{ end }}".repeat(150)
    );
    let dir = temp_chart("apiVersion: v2\nname: deep\nversion: 1.0.0\n", &template);
    let sources = SourceMap::new();
    let rendered = render_dir(dir.path(), &[], &[], &sources);
    let [RenderError::Template { error, .. }] = rendered.errors.as_slice() else {
        panic!("expected one template error: {:?}", rendered.errors);
    };
    assert!(
        error.message.contains("nests more than"),
        "{}",
        error.message
    );
}
