//! Values that are unknown offline, as Helm rendering will produce them, must give an
//! `unknown` verdict and never a pass. The loader produces no unknown Kubernetes values
//! today, so these tests load real manifests and replace one value with an unknown.

use std::path::Path;

use nexafi_iac::kubernetes::load_file;
use nexafi_model::{Model, Node, SourceMap, Value, Verdict};

use crate::Check;
use crate::kubernetes::CHECKS;

const REASON: &str = "the value comes from a Helm value without a default";

/// Replaces the node at the dotted `path` with an unknown value. Returns false when the
/// path does not exist.
fn set_unknown(node: &mut Node, path: &str) -> bool {
    let mut current = node;
    for segment in path.split('.') {
        let next = match &mut current.value {
            Value::Map(map) => map.get_mut(segment),
            Value::List(items) => segment
                .parse::<usize>()
                .ok()
                .and_then(|index| items.get_mut(index)),
            _ => None,
        };
        match next {
            Some(node) => current = node,
            None => return false,
        }
    }
    *current = Node::unknown(current.span, REASON);
    true
}

fn check(id: &str) -> &'static Check {
    CHECKS
        .iter()
        .copied()
        .find(|check| check.meta.id == id)
        .unwrap_or_else(|| panic!("no check {id}"))
}

fn rank(verdict: Verdict) -> u8 {
    match verdict {
        Verdict::Pass => 0,
        Verdict::Waived => 1,
        Verdict::Unknown => 2,
        Verdict::Fail => 3,
        Verdict::Error => 4,
    }
}

/// Loads `manifest`, makes `path` of the object named `target` unknown, runs check `id`
/// on that object and returns its worst verdict.
fn verdict_with_unknown(id: &str, manifest: &str, target: &str, path: &str) -> Option<Verdict> {
    let sources = SourceMap::new();
    let mut loaded = load_file(Path::new("manifest.yaml"), manifest.to_owned(), &sources);
    assert!(
        loaded.diagnostics.is_empty(),
        "manifest failed to load: {:?}",
        loaded.diagnostics
    );
    let resource = loaded
        .resources
        .iter_mut()
        .find(|resource| resource.address.ends_with(&format!("/{target}")))
        .unwrap_or_else(|| panic!("no object named {target}"));
    assert!(
        set_unknown(&mut resource.body, path),
        "{target} has no {path}"
    );

    let model = Model::new(sources, loaded.resources);
    let check = check(id);
    let resource = model
        .resources
        .iter()
        .find(|resource| resource.address.ends_with(&format!("/{target}")))?;
    let evaluations = (check.evaluate)(resource, &model);
    for evaluation in &evaluations {
        if evaluation.verdict == Verdict::Unknown {
            assert!(
                evaluation.message.contains(REASON),
                "{id}: the unknown verdict does not give the reason: {}",
                evaluation.message
            );
        }
    }
    evaluations
        .iter()
        .map(|evaluation| evaluation.verdict)
        .max_by_key(|verdict| rank(*verdict))
}

const DEPLOYMENT: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: payments
spec:
  template:
    spec:
      automountServiceAccountToken: false
      serviceAccountName: api
      hostNetwork: false
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
        seccompProfile:
          type: RuntimeDefault
      volumes:
        - name: tmp
          emptyDir: {}
      containers:
        - name: api
          image: registry.example.com/api:1.4.2@sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945
          securityContext:
            privileged: false
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: ["ALL"]
              add: ["NET_BIND_SERVICE"]
          ports:
            - containerPort: 8443
              hostPort: 0
          env:
            - name: DB_PASSWORD
              value: ""
          resources:
            requests: {cpu: 250m, memory: 256Mi}
            limits: {cpu: "1", memory: 512Mi}
          livenessProbe:
            httpGet: {path: /healthz, port: 8443}
          readinessProbe:
            httpGet: {path: /ready, port: 8443}
"#;

/// Each row: check id and the path in the Deployment above that becomes unknown. The
/// Deployment passes every pod check as written, so a pass here would mean the unknown
/// value was ignored.
const DEPLOYMENT_ROWS: &[(&str, &str)] = &[
    ("NXF-K8S-POD-001", "spec.template"),
    ("NXF-K8S-POD-001", "spec.template.spec.containers"),
    ("NXF-K8S-POD-001", "spec.template.spec.containers.0"),
    (
        "NXF-K8S-POD-001",
        "spec.template.spec.containers.0.securityContext.privileged",
    ),
    (
        "NXF-K8S-POD-002",
        "spec.template.spec.containers.0.securityContext",
    ),
    (
        "NXF-K8S-POD-004",
        "spec.template.spec.containers.0.securityContext.readOnlyRootFilesystem",
    ),
    (
        "NXF-K8S-POD-005",
        "spec.template.spec.containers.0.securityContext.capabilities.drop",
    ),
    (
        "NXF-K8S-POD-005",
        "spec.template.spec.containers.0.securityContext.capabilities.drop.0",
    ),
    (
        "NXF-K8S-POD-006",
        "spec.template.spec.containers.0.securityContext.capabilities.add.0",
    ),
    (
        "NXF-K8S-POD-007",
        "spec.template.spec.securityContext.seccompProfile.type",
    ),
    ("NXF-K8S-POD-008", "spec.template.spec.hostNetwork"),
    ("NXF-K8S-POD-009", "spec.template.spec.volumes"),
    (
        "NXF-K8S-POD-010",
        "spec.template.spec.containers.0.ports.0.hostPort",
    ),
    (
        "NXF-K8S-RES-001",
        "spec.template.spec.containers.0.resources.limits",
    ),
    (
        "NXF-K8S-RES-002",
        "spec.template.spec.containers.0.resources.requests.cpu",
    ),
    (
        "NXF-K8S-WORKLOAD-001",
        "spec.template.spec.containers.0.livenessProbe",
    ),
    (
        "NXF-K8S-WORKLOAD-002",
        "spec.template.spec.containers.0.readinessProbe",
    ),
    ("NXF-K8S-WORKLOAD-003", "metadata.namespace"),
    ("NXF-K8S-IMAGE-001", "spec.template.spec.containers.0.image"),
    ("NXF-K8S-IMAGE-002", "spec.template.spec.containers.0.image"),
    (
        "NXF-K8S-RBAC-003",
        "spec.template.spec.automountServiceAccountToken",
    ),
    (
        "NXF-K8S-SECRET-001",
        "spec.template.spec.containers.0.env.0.value",
    ),
];

#[test]
fn deployment_unknowns_never_pass() {
    for (id, path) in DEPLOYMENT_ROWS {
        let verdict = verdict_with_unknown(id, DEPLOYMENT, "api", path);
        assert_eq!(verdict, Some(Verdict::Unknown), "{id} with {path} unknown");
    }
}

#[test]
fn unknown_user_with_non_root_passes() {
    // `runAsNonRoot: true` makes the kubelet refuse a root user, whatever the user is.
    let verdict = verdict_with_unknown(
        "NXF-K8S-POD-003",
        DEPLOYMENT,
        "api",
        "spec.template.spec.securityContext.runAsUser",
    );
    assert_eq!(verdict, Some(Verdict::Pass));
}

#[test]
fn unknown_user_without_non_root_is_unknown() {
    let manifest = DEPLOYMENT.replace("        runAsNonRoot: true\n", "");
    let verdict = verdict_with_unknown(
        "NXF-K8S-POD-003",
        &manifest,
        "api",
        "spec.template.spec.securityContext.runAsUser",
    );
    assert_eq!(verdict, Some(Verdict::Unknown));
}

#[test]
fn unknown_account_name_is_unknown() {
    let manifest = DEPLOYMENT.replace("      automountServiceAccountToken: false\n", "");
    let verdict = verdict_with_unknown(
        "NXF-K8S-RBAC-003",
        &manifest,
        "api",
        "spec.template.spec.serviceAccountName",
    );
    assert_eq!(verdict, Some(Verdict::Unknown));
}

const CLUSTER_OBJECTS: &str = r#"
apiVersion: v1
kind: Namespace
metadata:
  name: payments
  labels:
    pod-security.kubernetes.io/enforce: restricted
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
  namespace: payments
spec:
  podSelector: {}
  policyTypes: ["Ingress", "Egress"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: reader
  namespace: payments
rules:
  - apiGroups: [""]
    resources: ["configmaps"]
    verbs: ["get"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: readers
  namespace: payments
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: cluster-admin
subjects:
  - kind: Group
    name: readers
---
apiVersion: v1
kind: Secret
metadata:
  name: placeholder
  namespace: payments
data: {}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: payments
spec:
  tls:
    - hosts: ["pay.example.com"]
      secretName: pay-tls
  rules:
    - host: pay.example.com
"#;

/// Each row: check id, the object whose `path` becomes unknown and whose verdict is read,
/// and the path. The objects above pass every check as written, except the RoleBinding.
const CLUSTER_ROWS: &[(&str, &str, &str)] = &[
    ("NXF-K8S-NS-001", "payments", "metadata.labels"),
    ("NXF-K8S-RBAC-001", "reader", "rules.0.verbs"),
    ("NXF-K8S-RBAC-002", "readers", "roleRef.name"),
    ("NXF-K8S-RBAC-002", "readers", "subjects"),
    ("NXF-K8S-SECRET-002", "placeholder", "data"),
    ("NXF-K8S-NET-003", "web", "spec.tls"),
    ("NXF-K8S-NET-003", "web", "spec.rules.0.host"),
];

#[test]
fn cluster_object_unknowns_never_pass() {
    for (id, target, path) in CLUSTER_ROWS {
        let verdict = verdict_with_unknown(id, CLUSTER_OBJECTS, target, path);
        assert_eq!(
            verdict,
            Some(Verdict::Unknown),
            "{id} with {target} {path} unknown"
        );
    }
}

#[test]
fn unknown_policy_selector_is_unknown() {
    for id in ["NXF-K8S-NET-001", "NXF-K8S-NET-002"] {
        let sources = SourceMap::new();
        let mut loaded = load_file(
            Path::new("manifest.yaml"),
            CLUSTER_OBJECTS.to_owned(),
            &sources,
        );
        let policy = loaded
            .resources
            .iter_mut()
            .find(|resource| resource.kind == "NetworkPolicy")
            .unwrap_or_else(|| panic!("the manifest has no NetworkPolicy"));
        assert!(set_unknown(&mut policy.body, "spec.podSelector"));
        let model = Model::new(sources, loaded.resources);
        let namespace = model
            .by_kind("Namespace")
            .next()
            .unwrap_or_else(|| panic!("the manifest has no Namespace"));
        let verdicts: Vec<Verdict> = (check(id).evaluate)(namespace, &model)
            .iter()
            .map(|evaluation| evaluation.verdict)
            .collect();
        assert_eq!(verdicts, [Verdict::Unknown], "{id}");
    }
}

#[test]
fn cluster_objects_pass_as_written() {
    // Guards the rows above: without the unknown value each object passes, so the
    // unknown verdict comes from the unknown value and nothing else.
    let sources = SourceMap::new();
    let loaded = load_file(
        Path::new("manifest.yaml"),
        CLUSTER_OBJECTS.to_owned(),
        &sources,
    );
    let model = Model::new(sources, loaded.resources);
    for (id, target, _) in CLUSTER_ROWS {
        if *target == "readers" {
            continue;
        }
        let resource = model
            .resources
            .iter()
            .find(|resource| resource.address.ends_with(&format!("/{target}")))
            .unwrap_or_else(|| panic!("no object named {target}"));
        for evaluation in (check(id).evaluate)(resource, &model) {
            assert_eq!(
                evaluation.verdict,
                Verdict::Pass,
                "{id} on {target}: {}",
                evaluation.message
            );
        }
    }
}

#[test]
fn deployment_passes_as_written() {
    let sources = SourceMap::new();
    let loaded = load_file(Path::new("manifest.yaml"), DEPLOYMENT.to_owned(), &sources);
    let model = Model::new(sources, loaded.resources);
    let resource = &model.resources[0];
    for (id, _) in DEPLOYMENT_ROWS {
        for evaluation in (check(id).evaluate)(resource, &model) {
            assert_eq!(
                evaluation.verdict,
                Verdict::Pass,
                "{id}: {}",
                evaluation.message
            );
        }
    }
}
