//! The Kubernetes loader on real files written to a temporary directory.

// A failed expectation in a test is a test failure, which is what a panic reports.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nexafi_iac::kubernetes;
use nexafi_iac::{DiagnosticLevel, Loaded};
use nexafi_model::{InputKind, LineColumn, Node, Resource, SourceMap, Span, Value};
use proptest::prelude::*;

/// A loaded file together with its source map and text.
struct Load {
    loaded: Loaded,
    sources: SourceMap,
    text: String,
    _directory: tempfile::TempDir,
}

impl Load {
    fn addresses(&self) -> Vec<&str> {
        self.loaded
            .resources
            .iter()
            .map(|resource| resource.address.as_str())
            .collect()
    }

    fn resource(&self, address: &str) -> &Resource {
        self.loaded
            .resources
            .iter()
            .find(|resource| resource.address == address)
            .unwrap_or_else(|| panic!("no resource {address}; found {:?}", self.addresses()))
    }

    fn slice(&self, span: Span) -> &str {
        &self.text[span.start as usize..span.end as usize]
    }

    fn errors(&self) -> Vec<&str> {
        self.loaded
            .diagnostics
            .iter()
            .filter(|diagnostic| diagnostic.level == DiagnosticLevel::Error)
            .map(|diagnostic| diagnostic.message.as_str())
            .collect()
    }

    /// Returns the 1-based line and column where the only diagnostic points.
    fn error_position(&self) -> LineColumn {
        assert_eq!(self.loaded.diagnostics.len(), 1, "{:?}", self.errors());
        let span = self.loaded.diagnostics[0]
            .span
            .expect("diagnostic has a span");
        self.sources.locate(span).expect("span resolves").start
    }
}

fn load_named(name: &str, text: &str) -> Load {
    let directory = tempfile::tempdir().expect("temporary directory");
    let path: PathBuf = directory.path().join(name);
    std::fs::write(&path, text).expect("write manifest");
    let read = std::fs::read_to_string(&path).expect("read manifest");
    let sources = SourceMap::new();
    let loaded = kubernetes::load_file(&path, read.clone(), &sources);
    Load {
        loaded,
        sources,
        text: read,
        _directory: directory,
    }
}

fn load(text: &str) -> Load {
    load_named("manifest.yaml", text)
}

fn at<'a>(resource: &'a Resource, path: &str) -> &'a Node {
    resource
        .body
        .lookup(path)
        .node()
        .unwrap_or_else(|| panic!("{path} is missing in {}", resource.address))
}

const DEPLOYMENT: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ledger
  namespace: payments
spec:
  replicas: 3
  template:
    spec:
      containers:
        - name: app
          image: registry.example/ledger:1.4
          securityContext:
            privileged: yes
            runAsNonRoot: \"yes\"
";

#[test]
fn deployment_address_and_kind() {
    let load = load(DEPLOYMENT);
    assert!(load.loaded.diagnostics.is_empty(), "{:?}", load.errors());
    let resource = load.resource("apps/v1/Deployment/payments/ledger");
    assert_eq!(resource.kind, "Deployment");
    assert_eq!(resource.group, "kubernetes");
    assert_eq!(resource.input, InputKind::Kubernetes);
    assert!(resource.references.is_empty());
}

#[test]
fn name_span_points_at_name() {
    let load = load(DEPLOYMENT);
    let resource = load.resource("apps/v1/Deployment/payments/ledger");
    assert_eq!(load.slice(resource.name_span), "ledger");
}

#[test]
fn resource_span_covers_document() {
    let text = format!("# leading comment\n---\n{DEPLOYMENT}---\nkind: Other\n");
    let load = load(&text);
    let resource = load.resource("apps/v1/Deployment/payments/ledger");
    let covered = load.slice(resource.span);
    assert!(covered.starts_with("apiVersion: apps/v1"), "{covered:?}");
    assert!(covered.ends_with("runAsNonRoot: \"yes\""), "{covered:?}");
}

#[test]
fn value_span_is_value_not_key() {
    let load = load(DEPLOYMENT);
    let resource = load.resource("apps/v1/Deployment/payments/ledger");
    let replicas = at(resource, "spec.replicas");
    assert_eq!(load.slice(replicas.span), "3");
    let image = at(resource, "spec.template.spec.containers.0.image");
    assert_eq!(load.slice(image.span), "registry.example/ledger:1.4");
}

#[test]
fn unquoted_yes_is_true() {
    let load = load(DEPLOYMENT);
    let resource = load.resource("apps/v1/Deployment/payments/ledger");
    let privileged = at(
        resource,
        "spec.template.spec.containers.0.securityContext.privileged",
    );
    assert_eq!(privileged.value, Value::Bool(true));
}

#[test]
fn quoted_yes_is_string() {
    let load = load(DEPLOYMENT);
    let resource = load.resource("apps/v1/Deployment/payments/ledger");
    let run_as = at(
        resource,
        "spec.template.spec.containers.0.securityContext.runAsNonRoot",
    );
    assert_eq!(run_as.value, Value::String("yes".into()));
}

#[test]
fn yaml11_booleans_table() {
    let cases = [
        ("yes", Value::Bool(true)),
        ("Yes", Value::Bool(true)),
        ("YES", Value::Bool(true)),
        ("on", Value::Bool(true)),
        ("On", Value::Bool(true)),
        ("ON", Value::Bool(true)),
        ("y", Value::Bool(true)),
        ("Y", Value::Bool(true)),
        ("True", Value::Bool(true)),
        ("no", Value::Bool(false)),
        ("No", Value::Bool(false)),
        ("NO", Value::Bool(false)),
        ("off", Value::Bool(false)),
        ("Off", Value::Bool(false)),
        ("OFF", Value::Bool(false)),
        ("n", Value::Bool(false)),
        ("N", Value::Bool(false)),
        ("FALSE", Value::Bool(false)),
        ("'yes'", Value::String("yes".into())),
        ("\"off\"", Value::String("off".into())),
        ("yEs", Value::String("yEs".into())),
    ];
    for (written, expected) in cases {
        let text = format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  hostNetwork: {written}\n"
        );
        let load = load(&text);
        let resource = load.resource("v1/Pod/default/p");
        assert_eq!(
            at(resource, "spec").get("hostNetwork").map(|n| &n.value),
            Some(&expected),
            "{written}"
        );
    }
}

#[test]
fn numbers_follow_yaml11() {
    let text = "\
apiVersion: v1
kind: ConfigMap
metadata:
  name: numbers
data:
  octal: 0755
  octal_o: 0o644
  hex: 0x1F
  decimal: 42
  float: 1.5
  version: 1.10
  nothing: ~
  empty:
  quoted: \"0755\"
";
    let load = load(text);
    let resource = load.resource("v1/ConfigMap/default/numbers");
    let data = at(resource, "data");
    let number = |key: &str| data.get(key).and_then(Node::as_f64);
    assert_eq!(number("octal"), Some(493.0));
    assert_eq!(number("octal_o"), Some(420.0));
    assert_eq!(number("hex"), Some(31.0));
    assert_eq!(number("decimal"), Some(42.0));
    assert_eq!(number("float"), Some(1.5));
    assert_eq!(number("version"), Some(1.1));
    assert_eq!(data.get("nothing").map(|n| &n.value), Some(&Value::Null));
    assert_eq!(data.get("empty").map(|n| &n.value), Some(&Value::Null));
    assert_eq!(data.get("quoted").and_then(Node::as_str), Some("0755"));
}

#[test]
fn plain_key_y_becomes_true() {
    // Kubernetes turns boolean keys into their JSON text, so `y:` is the key "true".
    let text =
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: keys\ndata:\n  y: a\n  \"n\": b\n";
    let load = load(text);
    let data = at(load.resource("v1/ConfigMap/default/keys"), "data");
    let keys: Vec<&str> = data
        .as_map()
        .expect("map")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, vec!["true", "n"]);
}

#[test]
fn multi_document_skips_non_objects() {
    let text = format!(
        "replicaCount: 2\nimage: nginx\n---\n{DEPLOYMENT}---\n---\n- just\n- a list\n---\n\
         apiVersion: v1\nkind: Service\nmetadata:\n  name: ledger\n  namespace: payments\n"
    );
    let load = load(&text);
    assert!(load.loaded.diagnostics.is_empty(), "{:?}", load.errors());
    assert_eq!(
        load.addresses(),
        vec![
            "apps/v1/Deployment/payments/ledger",
            "v1/Service/payments/ledger"
        ]
    );
}

#[test]
fn document_without_kind_is_skipped() {
    let load = load(
        "apiVersion: v1\nmetadata:\n  name: x\n---\nkind: Pod\n---\napiVersion: 1\nkind: Pod\n",
    );
    assert!(load.loaded.resources.is_empty());
    assert!(load.loaded.diagnostics.is_empty());
}

#[test]
fn empty_file_loads_nothing() {
    for text in ["", "\n\n", "---\n", "# only a comment\n", "---\n...\n---\n"] {
        let load = load(text);
        assert!(load.loaded.resources.is_empty(), "{text:?}");
        assert!(load.loaded.diagnostics.is_empty(), "{text:?}");
    }
}

#[test]
fn list_items_become_objects() {
    let text = "\
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Pod
    metadata:
      name: first
  - not an object
  - apiVersion: rbac.authorization.k8s.io/v1
    kind: ClusterRole
    metadata:
      name: reader
";
    let load = load(text);
    assert_eq!(
        load.addresses(),
        vec![
            "v1/Pod/default/first",
            "rbac.authorization.k8s.io/v1/ClusterRole/reader"
        ]
    );
    let pod = load.resource("v1/Pod/default/first");
    assert!(
        load.slice(pod.span)
            .starts_with("apiVersion: v1\n    kind: Pod")
    );
}

#[test]
fn typed_list_kind_with_items() {
    let text = "\
apiVersion: v1
kind: PodList
items:
- apiVersion: v1
  kind: Pod
  metadata: {name: a, namespace: n1}
- apiVersion: v1
  kind: Pod
  metadata: {name: b}
";
    let load = load(text);
    assert_eq!(load.addresses(), vec!["v1/Pod/n1/a", "v1/Pod/default/b"]);
}

#[test]
fn list_suffix_without_items_is_object() {
    let text = "apiVersion: example.com/v1\nkind: AccessList\nmetadata:\n  name: admins\n";
    let load = load(text);
    assert_eq!(
        load.addresses(),
        vec!["example.com/v1/AccessList/default/admins"]
    );
}

#[test]
fn json_object_loads() {
    let text = "{\n\t\"apiVersion\": \"v1\",\n\t\"kind\": \"Namespace\",\n\t\"metadata\": {\"name\": \"payments\", \"labels\": {\"tier\": \"pci\"}},\n\t\"spec\": {\"finalizers\": [\"kubernetes\"]}\n}\n";
    let load = load_named("namespace.json", text);
    assert!(load.loaded.diagnostics.is_empty(), "{:?}", load.errors());
    let resource = load.resource("v1/Namespace/payments");
    assert_eq!(load.slice(resource.name_span), "\"payments\"");
    let finalizer = at(resource, "spec.finalizers.0");
    assert_eq!(finalizer.as_str(), Some("kubernetes"));
}

#[test]
fn json_non_object_is_skipped() {
    let load = load_named(
        "package.json",
        "{\"name\": \"web\", \"version\": \"1.0.0\"}\n",
    );
    assert!(load.loaded.resources.is_empty());
    assert!(load.loaded.diagnostics.is_empty());
}

#[test]
fn cluster_scoped_kinds_have_no_namespace() {
    for kind in kubernetes::CLUSTER_SCOPED_KINDS {
        let text =
            format!("apiVersion: v1\nkind: {kind}\nmetadata:\n  name: x\n  namespace: ignored\n");
        let load = load(&text);
        assert_eq!(load.addresses(), vec![format!("v1/{kind}/x").as_str()]);
    }
}

#[test]
fn generate_name_when_no_name() {
    let text = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  generateName: migrate-\n";
    let load = load(text);
    assert!(load.loaded.diagnostics.is_empty(), "{:?}", load.errors());
    let resource = load.resource("batch/v1/Job/default/migrate-");
    assert_eq!(load.slice(resource.name_span), "migrate-");
}

#[test]
fn missing_name_is_error_and_loaded() {
    let text = "apiVersion: v1\nkind: Secret\nmetadata:\n  namespace: vault\ndata: {}\n";
    let load = load(text);
    assert_eq!(
        load.errors(),
        vec![
            "object has no metadata.name; add a name under metadata \
         (or generateName for objects created with a generated name)"
        ]
    );
    let resource = load.resource("v1/Secret/vault/<unnamed>");
    assert_eq!(load.slice(resource.name_span), "Secret");
    assert_eq!(
        load.loaded.diagnostics[0].subject.as_deref(),
        Some("v1/Secret/vault/<unnamed>")
    );
}

#[test]
fn numeric_name_is_error() {
    let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: 0755\n";
    let load = load(text);
    assert_eq!(load.addresses(), vec!["v1/ConfigMap/default/0755"]);
    assert_eq!(load.errors().len(), 1);
    assert!(load.errors()[0].contains("quote it"), "{:?}", load.errors());
}

#[test]
fn aliases_resolve() {
    let text = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: &labels
    app: web
    tier: frontend
spec:
  selector:
    matchLabels: *labels
  template:
    metadata:
      labels:
        <<: *labels
        version: v2
";
    let load = load(text);
    assert!(load.loaded.diagnostics.is_empty(), "{:?}", load.errors());
    let resource = load.resource("apps/v1/Deployment/default/web");
    let selector = at(resource, "spec.selector.matchLabels");
    assert_eq!(
        at(resource, "spec.selector.matchLabels.tier").as_str(),
        Some("frontend")
    );
    assert_eq!(load.slice(selector.span), "*labels");
    assert_eq!(
        at(resource, "spec.template.metadata.labels.app").as_str(),
        Some("web")
    );
    assert_eq!(
        at(resource, "spec.template.metadata.labels.version").as_str(),
        Some("v2")
    );
}

#[test]
fn alias_bomb_is_error() {
    let mut text = String::from(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\ndata:\n  a0: &a0 [\"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\"]\n",
    );
    for level in 1..12 {
        let previous = level - 1;
        let aliases = vec![format!("*a{previous}"); 10].join(", ");
        text.push_str(&format!("  a{level}: &a{level} [{aliases}]\n"));
    }
    let started = Instant::now();
    let load = load(&text);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
    assert!(load.loaded.resources.is_empty());
    assert_eq!(load.errors().len(), 1, "{:?}", load.errors());
    assert!(
        load.errors()[0].contains("alias bomb") || load.errors()[0].contains("copies"),
        "{:?}",
        load.errors()
    );
}

#[test]
fn deep_flow_nesting_is_error() {
    let depth = 100_000;
    let text = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: deep}}\ndata: {}{}\n",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let load = load(&text);
    assert!(load.loaded.resources.is_empty());
    assert_eq!(load.errors().len(), 1, "{:?}", load.errors());
    assert!(
        load.errors()[0].contains("nest too deeply"),
        "{:?}",
        load.errors()
    );
}

#[test]
fn deep_block_nesting_is_error() {
    let mut text = String::from("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep\n");
    for level in 0..(kubernetes::MAX_DEPTH + 10) {
        text.push_str(&" ".repeat(level));
        text.push_str("k:\n");
    }
    let load = load(&text);
    assert!(load.loaded.resources.is_empty());
    assert_eq!(load.errors().len(), 1, "{:?}", load.errors());
}

#[test]
fn nesting_within_limit_loads() {
    let depth = 100;
    let text = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: deep}}\ndata: {}{}\n",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let load = load(&text);
    assert!(load.loaded.diagnostics.is_empty(), "{:?}", load.errors());
    assert_eq!(load.addresses(), vec!["v1/ConfigMap/default/deep"]);
}

#[test]
fn broken_indentation_position() {
    let text = "\
apiVersion: v1
kind: Pod
metadata:
  name: web
   labels:
    app: web
";
    let load = load(text);
    assert!(load.loaded.resources.is_empty());
    assert_eq!(
        load.errors(),
        vec![
            "invalid YAML: mapping values are not allowed here; check the indentation of this line and the line above"
        ]
    );
    assert_eq!(
        load.error_position(),
        LineColumn {
            line: 5,
            column: 10
        }
    );
}

#[test]
fn parse_error_keeps_earlier_documents() {
    let text =
        format!("{DEPLOYMENT}---\napiVersion: v1\nkind: Service\nmetadata:\n  name: \"open\n");
    let load = load(&text);
    assert_eq!(load.addresses(), vec!["apps/v1/Deployment/payments/ledger"]);
    assert_eq!(load.errors().len(), 1);
    assert!(
        load.errors()[0].starts_with("invalid YAML: a quoted string is not closed"),
        "{:?}",
        load.errors()
    );
    assert_eq!(
        load.error_position(),
        LineColumn {
            line: 20,
            column: 9
        }
    );
}

#[test]
fn tab_indentation_position() {
    let text = "apiVersion: v1\nkind: Pod\nmetadata:\n\tname: web\n";
    let load = load(text);
    assert_eq!(
        load.errors(),
        vec!["invalid YAML: a tab is used for indentation; indent with spaces only"]
    );
    assert_eq!(load.error_position().line, 4);
}

#[test]
fn duplicate_key_is_error() {
    let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  name: api\n";
    let load = load(text);
    assert_eq!(load.errors().len(), 1, "{:?}", load.errors());
    assert!(
        load.errors()[0].starts_with("duplicate key \"name\""),
        "{:?}",
        load.errors()
    );
    assert_eq!(load.error_position(), LineColumn { line: 5, column: 9 });
    assert_eq!(load.addresses(), vec!["v1/Pod/default/api"]);
}

#[test]
fn many_duplicates_are_capped() {
    let mut text = String::from("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dup\ndata:\n");
    for _ in 0..10_000 {
        text.push_str("  key: value\n");
    }
    let load = load(&text);
    let errors = load.errors();
    assert_eq!(errors.len(), 101);
    assert_eq!(
        errors[100],
        "reading stopped after 100 errors; fix the errors above first"
    );
}

#[test]
fn multibyte_text_gives_byte_spans() {
    let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: café\n  annotations:\n    note: \"déjà vu — ünïcödé\"\ndata:\n  key: value\n";
    let load = load(text);
    let resource = load.resource("v1/ConfigMap/default/café");
    assert_eq!(load.slice(resource.name_span), "café");
    let value = at(resource, "data.key");
    assert_eq!(load.slice(value.span), "value");
    let note = at(resource, "metadata.annotations.note");
    assert_eq!(load.slice(note.span), "\"déjà vu — ünïcödé\"");
    let location = load.sources.locate(value.span).expect("locates");
    assert_eq!(location.start, LineColumn { line: 8, column: 8 });
}

#[test]
fn crlf_line_endings() {
    let text = DEPLOYMENT.replace('\n', "\r\n");
    let load = load(&text);
    assert!(load.loaded.diagnostics.is_empty(), "{:?}", load.errors());
    let resource = load.resource("apps/v1/Deployment/payments/ledger");
    assert_eq!(load.slice(resource.name_span), "ledger");
}

#[test]
fn file_is_added_to_sources() {
    let load = load(DEPLOYMENT);
    let resource = load.resource("apps/v1/Deployment/payments/ledger");
    let file = load.sources.get(resource.span.file).expect("file stored");
    assert!(file.path.ends_with(Path::new("manifest.yaml")));
    assert_eq!(file.text, DEPLOYMENT);
}

/// Loads a fixture from `tests/data/kubernetes` as it is on disk.
fn load_fixture(name: &str) -> (Loaded, SourceMap) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/kubernetes")
        .join(name);
    let text = std::fs::read_to_string(&path).expect("read fixture");
    let sources = SourceMap::new();
    let loaded = kubernetes::load_file(&path, text, &sources);
    (loaded, sources)
}

#[test]
fn fixtures_load_cleanly() {
    let cases: &[(&str, &[&str])] = &[
        (
            "payments.yaml",
            &[
                "v1/Namespace/payments",
                "apps/v1/Deployment/payments/ledger",
                "v1/Service/payments/ledger",
                "networking.k8s.io/v1/NetworkPolicy/payments/default-deny",
            ],
        ),
        (
            "rbac-list.json",
            &[
                "rbac.authorization.k8s.io/v1/ClusterRole/ledger-reader",
                "rbac.authorization.k8s.io/v1/RoleBinding/payments/ledger-reader",
            ],
        ),
        ("values.yaml", &[]),
    ];
    for (name, expected) in cases {
        let (loaded, _) = load_fixture(name);
        let messages: Vec<&str> = loaded
            .diagnostics
            .iter()
            .map(|diagnostic| diagnostic.message.as_str())
            .collect();
        assert!(messages.is_empty(), "{name}: {messages:?}");
        let addresses: Vec<&str> = loaded
            .resources
            .iter()
            .map(|resource| resource.address.as_str())
            .collect();
        assert_eq!(&addresses, expected, "{name}");
    }
}

#[test]
fn fixture_anchor_and_yes() {
    let (loaded, _) = load_fixture("payments.yaml");
    let deployment = &loaded.resources[1];
    // Label keys contain dots, so they are read with `get` instead of a dotted path.
    let selector = at(deployment, "spec.selector.matchLabels").get("app.kubernetes.io/name");
    assert_eq!(selector.and_then(Node::as_str), Some("ledger"));
    let read_only = at(
        deployment,
        "spec.template.spec.containers.0.securityContext.readOnlyRootFilesystem",
    );
    assert_eq!(read_only.value, Value::Bool(true));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn never_panics_on_any_text(text in any::<String>()) {
        let sources = SourceMap::new();
        let loaded = kubernetes::load_file(Path::new("any.yaml"), text.clone(), &sources);
        for diagnostic in &loaded.diagnostics {
            let span = diagnostic.span.expect("span");
            prop_assert!(text.is_char_boundary(span.start as usize));
            prop_assert!(text.is_char_boundary(span.end as usize));
        }
    }

    #[test]
    fn never_panics_on_yaml_like_text(text in "([a-z:{}\\[\\],&*!|>'\"#\\- \\n\\t]|apiVersion: v1\\n|kind: Pod\\n|é){0,200}") {
        let sources = SourceMap::new();
        let loaded = kubernetes::load_file(Path::new("any.yaml"), text.clone(), &sources);
        for resource in &loaded.resources {
            prop_assert!(text.is_char_boundary(resource.span.start as usize));
            prop_assert!(text.is_char_boundary(resource.span.end as usize));
            prop_assert!(resource.span.end as usize <= text.len());
        }
    }
}

#[test]
fn tool_configuration_without_metadata_is_skipped() {
    for text in [
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - deploy.yaml\n",
        "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n",
        "apiVersion: kind.x-k8s.io/v1alpha4\nkind: Cluster\nnodes:\n  - role: control-plane\n",
    ] {
        let load = load(text);
        assert!(
            load.loaded.diagnostics.is_empty(),
            "{text}: {:?}",
            load.errors()
        );
        assert!(
            load.loaded.resources.is_empty(),
            "{text} was loaded as an object"
        );
    }
}

#[test]
fn object_without_metadata_beside_real_one() {
    let text = "apiVersion: v1\nkind: Config\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: payments\n";
    let load = load(text);
    let addresses: Vec<&str> = load
        .loaded
        .resources
        .iter()
        .map(|resource| resource.address.as_str())
        .collect();
    assert_eq!(addresses, vec!["v1/Namespace/payments"]);
}
