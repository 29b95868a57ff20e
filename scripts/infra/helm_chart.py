"""Lint and render the nexafi-financial-services chart offline and prove its guards.

Uses helm-python-sdk (module helm_python), which binds the Helm 4 Go library, so no helm
binary and no cluster are needed. Writes one directory of rendered manifests per case
under OUTPUT_DIR, and the alerting rules of each case as a plain Prometheus rule file,
for scripts/infra/30-helm.sh to check with kubernetes-validate, Checkov and promtool.

Usage: python helm_chart.py CHART_DIR OUTPUT_DIR

Exit status: 0 when every check passes, 1 when one fails, 2 on a usage error.
"""

from __future__ import annotations

import copy
import json
import re
import sys
import tarfile
from pathlib import Path
from typing import Any

import helm_python as helm
import yaml
from helm_python import _native

USAGE = "usage: python helm_chart.py CHART_DIR OUTPUT_DIR"
RELEASE = "nexafi-financial-services"
NAMESPACE = "nexafi-financial"
MONITORING_API = "monitoring.coreos.com/v1"
CERT_MANAGER_API = "cert-manager.io/v1"
# The optional APIs the chart uses, as a cluster with both operators serves them.
OPTIONAL_APIS = [MONITORING_API, CERT_MANAGER_API]
# The audit service of infrastructure/kubernetes/compliance/audit-service.yaml.
AUDIT_NAMESPACE = "nexafi-compliance"
AUDIT_PORT = 8443
AUDIT_URL = f"https://nexafi-audit.{AUDIT_NAMESPACE}.svc:{AUDIT_PORT}"
# Form of Chart.yaml kubeVersion that kube_versions() understands.
KUBE_RANGE = re.compile(r"^>=\s*1\.(\d+)\.0-0\s+<\s*1\.(\d+)\.0-0$")

# Deployment inputs that the chart has no default for (each service's image), read
# from the chart's ci/test-values.yaml, which explains why they cannot be mistaken for a
# real account or image.
CI_VALUES = Path("ci") / "test-values.yaml"


class CheckFailed(Exception):
    """A check of the chart did not hold; the message names the check and the reason."""


def kube_versions(constraint: str) -> tuple[str, str]:
    """Return the oldest and newest Kubernetes release inside Chart.yaml's kubeVersion."""
    match = KUBE_RANGE.match(constraint.strip())
    if match is None:
        raise CheckFailed(
            f"Chart.yaml kubeVersion {constraint!r} is not of the form "
            "'>=1.A.0-0 <1.B.0-0' that the checks validate against"
        )
    oldest, first_unsupported = int(match[1]), int(match[2])
    if first_unsupported <= oldest:
        raise CheckFailed(f"Chart.yaml kubeVersion {constraint!r} admits no release")
    return f"v1.{oldest}.0", f"v1.{first_unsupported - 1}.0"


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Return base with override merged in, recursing into maps as Helm does."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def render(
    chart: helm.Chart, values: dict[str, Any], *, kube_version: str, api_versions: list[str]
) -> dict[str, str]:
    """Render the chart as `helm template` would against a cluster of the given version.

    Chart.render of helm-python-sdk 0.2.2 does not pass the kube_version and api_versions
    options that its library accepts, so the library function is called directly.
    """
    options = {
        "name": RELEASE,
        "namespace": NAMESPACE,
        "is_install": True,
        "kube_version": kube_version,
        "api_versions": api_versions,
    }
    payload = _native.call_string(
        "helm_render", chart._raw(), json.dumps(values), json.dumps(options)
    )
    manifests: dict[str, str] = json.loads(payload)
    return manifests


def documents(manifests: dict[str, str]) -> list[dict[str, Any]]:
    """Parse the rendered templates into Kubernetes objects, skipping NOTES.txt."""
    objects = []
    for template, text in sorted(manifests.items()):
        if template.endswith("NOTES.txt"):
            continue
        for document in yaml.safe_load_all(text):
            if document is not None:
                objects.append(document)
    return objects


def kinds(objects: list[dict[str, Any]]) -> set[str]:
    return {obj["kind"] for obj in objects}


def expect_failure(label: str, action: Any, fragment: str) -> None:
    """Run action and require a HelmError whose message contains fragment."""
    try:
        action()
    except helm.HelmError as error:
        if fragment not in str(error):
            raise CheckFailed(
                f"{label}: failed as expected, but the error does not mention "
                f"{fragment!r}: {error}"
            ) from error
        print(f"ok: {label} is rejected ({fragment})")
        return
    raise CheckFailed(f"{label}: was accepted, but must be rejected")


def check_lint(
    chart_dir: Path, name: str, values: dict[str, Any], versions: tuple[str, str]
) -> None:
    """Lint strictly for each supported Kubernetes version; info messages are allowed."""
    for kube_version in versions:
        report = helm.lint(
            chart_dir, values, strict=True, namespace=NAMESPACE, kube_version=kube_version
        )
        problems = [m for m in report["messages"] if m["severity"] >= 2] + [
            {"path": "", "error": e} for e in report["errors"]
        ]
        if problems:
            details = "; ".join(f"{p['path']}: {p['error']}" for p in problems)
            raise CheckFailed(f"helm lint --strict ({name}, {kube_version}): {details}")
        infos = ", ".join(m["error"] for m in report["messages"]) or "no messages"
        print(f"ok: helm lint --strict ({name}, Kubernetes {kube_version}): {infos}")


def check_schema(chart: helm.Chart, inputs: dict[str, Any], kube: str) -> None:
    """Prove that values.schema.json rejects unknown keys and malformed values."""
    defaults = chart.values
    chart.validate_schema(merge(defaults, inputs))
    print("ok: the default values with the deployment inputs match the schema")

    bad_values = {
        "an unknown top-level key": ({"replicaCount": 3}, "replicaCount"),
        "an unknown key under a service image": (
            {"services": {"paymentsApi": {"image": {"digests": "sha256:" + "0" * 64}}}},
            "digests",
        ),
        "an unknown key in a service": (
            {"services": {"paymentsApi": {"replica": 3}}},
            "replica",
        ),
        "a digest that is not sha256": (
            {"services": {"ledgerService": {"image": {"digest": "sha256:abc"}}}},
            "digest",
        ),
        "the latest tag": ({"services": {"paymentsApi": {"image": {"tag": "latest"}}}}, "tag"),
        "a service without an audit token Secret": (
            {"services": {"ledgerService": {"auditTokenSecretName": ""}}},
            "auditTokenSecretName",
        ),
        "an unknown key under audit": ({"audit": {"url": "http://example.invalid"}}, "url"),
        "a public CIDR for PostgreSQL egress": (
            {"networkPolicy": {"postgres": {"cidrs": ["0.0.0.0/0"]}}},
            "cidrs",
        ),
        "a literal value and a secret reference in one variable": (
            {
                "services": {
                    "paymentsApi": {
                        "env": [
                            {
                                "name": "DATABASE_PASSWORD",
                                "value": "example-not-a-secret",
                                "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}},
                            }
                        ]
                    }
                }
            },
            "env",
        ),
        "an unknown key in a secret reference": (
            {
                "services": {
                    "paymentsApi": {
                        "env": [
                            {
                                "name": "DATABASE_URL",
                                "valueFrom": {"secretKeyRef": {"name": "db", "keys": "url"}},
                            }
                        ]
                    }
                }
            },
            "keys",
        ),
        "a volume named like a chart volume": (
            {
                "services": {
                    "paymentsApi": {
                        "secretVolumes": [
                            {"name": "tls", "secretName": "x", "mountPath": "/etc/nexafi/x"}
                        ]
                    }
                }
            },
            "secretVolumes",
        ),
    }
    for label, (override, fragment) in bad_values.items():
        values = merge(merge(defaults, inputs), override)
        expect_failure(f"schema: {label}", lambda v=values: chart.validate_schema(v), fragment)

    # The same guard has to stop an actual render, not only the explicit validation.
    typo = merge(inputs, {"servics": {}})
    expect_failure(
        "render with an unknown key",
        lambda: render(chart, typo, kube_version=kube, api_versions=[]),
        "servics",
    )


def check_template_guards(chart: helm.Chart, inputs: dict[str, Any], kube: str) -> None:
    """Prove the template-level checks that compare values with each other."""
    expect_failure(
        "render without any service image",
        lambda: render(chart, {}, kube_version=kube, api_versions=[]),
        ".image.registry is required",
    )
    # Each service needs its own image: one service's inputs do not satisfy another's.
    for key in inputs["services"]:
        for field in ("registry", "repository", "digest"):
            missing = copy.deepcopy(inputs)
            missing["services"][key]["image"][field] = ""
            expect_failure(
                f"render without services.{key}.image.{field}",
                lambda v=missing: render(chart, v, kube_version=kube, api_versions=[]),
                f"services.{key}.image.{field} is required",
            )
    cases = {
        "a budget that blocks every drain": (
            {"services": {"paymentsApi": {"minAvailable": 3}}},
            "minAvailable (3) must be below",
        ),
        "a memory limit above the request": (
            {"services": {"paymentsApi": {"resources": {"limits": {"memory": "1Gi"}}}}},
            "resources.limits.memory (1Gi) must equal",
        ),
        "a preStop sleep as long as the grace period": (
            {"services": {"paymentsApi": {"preStopSleepSeconds": 60}}},
            "preStopSleepSeconds (60) must be below",
        ),
        "a certificate renewed only at expiry": (
            {"certificate": {"duration": "720h", "renewBefore": "720h"}},
            "certificate.renewBefore (720h) must be shorter",
        ),
        "maxReplicas below minReplicas": (
            {"services": {"paymentsApi": {"autoscaling": {"maxReplicas": 2}}}},
            "autoscaling.maxReplicas (2) is below",
        ),
    }
    for label, (override, fragment) in cases.items():
        values = merge(inputs, override)
        expect_failure(
            f"render with {label}",
            lambda v=values: render(chart, v, kube_version=kube, api_versions=[]),
            fragment,
        )


def check_api_guards(chart: helm.Chart, inputs: dict[str, Any], kube: str) -> None:
    """Prove that operator objects render only when the cluster serves their API."""
    guarded = {MONITORING_API: {"ServiceMonitor", "PrometheusRule"}, CERT_MANAGER_API: {"Certificate"}}
    without = kinds(documents(render(chart, inputs, kube_version=kube, api_versions=[])))
    for api, api_kinds in guarded.items():
        if without & api_kinds:
            raise CheckFailed(f"without {api} the chart still renders {sorted(without & api_kinds)}")
        rendered = kinds(documents(render(chart, inputs, kube_version=kube, api_versions=[api])))
        if not api_kinds <= rendered:
            raise CheckFailed(f"with {api} the chart renders no {sorted(api_kinds - rendered)}")
        others = set().union(*(k for a, k in guarded.items() if a != api))
        if rendered & others:
            raise CheckFailed(f"with only {api} the chart renders {sorted(rendered & others)}")
        print(f"ok: {', '.join(sorted(api_kinds))} appear only when {api} is served")


def check_objects(name: str, objects: list[dict[str, Any]]) -> None:
    """Check properties of the rendered objects that the peer tools do not check."""
    expected = {
        "Deployment",
        "Service",
        "ServiceAccount",
        "PodDisruptionBudget",
        "HorizontalPodAutoscaler",
        "NetworkPolicy",
        "Job",
        "Certificate",
        "ServiceMonitor",
        "PrometheusRule",
    }
    missing = expected - kinds(objects)
    if missing:
        raise CheckFailed(f"{name}: the render has no {sorted(missing)}")

    images: dict[str, str] = {}

    for obj in objects:
        where = f"{name}: {obj['kind']}/{obj['metadata']['name']}"
        if obj["metadata"].get("namespace") != NAMESPACE:
            raise CheckFailed(f"{where} is not in namespace {NAMESPACE}")
        if obj["kind"] == "ServiceAccount" and obj.get("automountServiceAccountToken") is not False:
            raise CheckFailed(f"{where} does not set automountServiceAccountToken: false")
        if obj["kind"] == "NetworkPolicy":
            check_network_policy(where, obj["spec"])
        if obj["kind"] not in ("Deployment", "Job"):
            continue

        pod = obj["spec"]["template"]["spec"]
        taints = [t for t in pod.get("tolerations", []) if t.get("key") == "nexafi.io/workload"]
        if taints != [
            {"key": "nexafi.io/workload", "operator": "Equal", "value": "financial", "effect": "NoSchedule"}
        ]:
            raise CheckFailed(f"{where} does not tolerate exactly the financial node group taint")
        terms = pod["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
        expressions = terms["nodeSelectorTerms"][0]["matchExpressions"]
        if expressions != [{"key": "nexafi.io/workload", "operator": "In", "values": ["financial"]}]:
            raise CheckFailed(f"{where} is not pinned to nexafi.io/workload=financial nodes")
        if pod.get("automountServiceAccountToken") is not False:
            raise CheckFailed(f"{where} mounts a service account token")
        for container in pod["containers"]:
            image = container["image"]
            if "@sha256:" not in image:
                raise CheckFailed(f"{where}: image {image} is not pinned by digest")
            context = container["securityContext"]
            expected_context = {
                "runAsUser": 65532,
                "runAsNonRoot": True,
                "readOnlyRootFilesystem": True,
                "allowPrivilegeEscalation": False,
                "capabilities": {"drop": ["ALL"]},
            }
            for field, value in expected_context.items():
                if context.get(field) != value:
                    raise CheckFailed(
                        f"{where}: container {container['name']} has securityContext.{field} "
                        f"{context.get(field)!r}, expected {value!r}"
                    )

        if obj["kind"] == "Deployment":
            check_audit_client(where, pod, obj["spec"]["template"]["metadata"]["labels"])
            images[obj["metadata"]["name"]] = pod["containers"][0]["image"]
            zones = [
                c
                for c in pod["topologySpreadConstraints"]
                if c["topologyKey"] == "topology.kubernetes.io/zone"
            ]
            if not zones or zones[0]["whenUnsatisfiable"] != "DoNotSchedule":
                raise CheckFailed(f"{where} does not spread its pods over zones")
    if len(images) < 2 or len(set(images.values())) != len(images):
        raise CheckFailed(f"{name}: the Deployments do not each run their own image: {images}")
    print(f"ok: {name}: {len(objects)} objects in {NAMESPACE}, pinned, hardened, on financial nodes")
    print(f"ok: {name}: {len(images)} services, each with its own image and TLS to the audit trail")


def check_audit_client(where: str, pod: dict[str, Any], labels: dict[str, str]) -> None:
    """Require the label, URL and files a service needs to reach the audit trail over TLS."""
    if labels.get("nexafi.io/audit-client") != "true":
        raise CheckFailed(f"{where}: pods lack the label nexafi.io/audit-client=true")
    env = {e["name"]: e.get("value") for e in pod["containers"][0].get("env", [])}
    if env.get("NEXAFI_AUDIT_URL") != AUDIT_URL:
        raise CheckFailed(f"{where}: NEXAFI_AUDIT_URL is {env.get('NEXAFI_AUDIT_URL')!r}, expected {AUDIT_URL!r}")
    audit_volumes = [v for v in pod["volumes"] if v["name"] == "audit"]
    sources = audit_volumes[0]["projected"]["sources"] if audit_volumes else []
    if not any("configMap" in s for s in sources) or not any("secret" in s for s in sources):
        raise CheckFailed(f"{where}: the audit volume does not carry both the CA and the token")


def check_network_policy(where: str, spec: dict[str, Any]) -> None:
    """Require both policy types and a peer on every rule, so no rule allows everything,
    and egress to the audit trail's TLS port from every service's policy."""
    if sorted(spec.get("policyTypes", [])) != ["Egress", "Ingress"]:
        raise CheckFailed(f"{where} does not restrict both ingress and egress")
    component = spec["podSelector"].get("matchLabels", {}).get("app.kubernetes.io/component")
    if component not in (None, "test") and not any(
        peer.get("namespaceSelector", {}).get("matchLabels", {}).get("kubernetes.io/metadata.name")
        == AUDIT_NAMESPACE
        and {"port": AUDIT_PORT, "protocol": "TCP"} in rule.get("ports", [])
        for rule in spec.get("egress", [])
        for peer in rule.get("to", [])
    ):
        raise CheckFailed(f"{where} allows no egress to the audit trail in {AUDIT_NAMESPACE}:{AUDIT_PORT}")
    for direction, peers_key in (("ingress", "from"), ("egress", "to")):
        for index, rule in enumerate(spec.get(direction, [])):
            peers = rule.get(peers_key, [])
            if not peers:
                raise CheckFailed(f"{where}: {direction} rule {index} has no {peers_key}, so it allows every peer")
            for peer in peers:
                cidr = peer.get("ipBlock", {}).get("cidr", "")
                if cidr.endswith("/0"):
                    raise CheckFailed(f"{where}: {direction} rule {index} allows {cidr}")


def check_package(chart_dir: Path, output_dir: Path) -> None:
    """Package the chart and require .helmignore to keep the CI-only files out."""
    archive = Path(helm.package(chart_dir, destination=output_dir))
    with tarfile.open(archive) as bundle:
        members = {name.split("/", 1)[1] for name in bundle.getnames() if "/" in name}
    for required in ("Chart.yaml", "values.schema.json", "templates/deployment.yaml"):
        if required not in members:
            raise CheckFailed(f"{archive.name} lacks {required}")
    leaked = sorted(m for m in members if m.startswith(("ci/", "alert-tests/")))
    if leaked:
        raise CheckFailed(f"{archive.name} contains CI-only files {leaked}; list them in .helmignore")
    print(f"ok: {archive.name} packages {len(members)} files and no CI-only file")


def write_case(output_dir: Path, name: str, manifests: dict[str, str]) -> list[dict[str, Any]]:
    """Write the rendered objects of one case and its alerting rules as plain files."""
    objects = documents(manifests)
    case_dir = output_dir / name
    case_dir.mkdir(parents=True, exist_ok=True)
    (case_dir / "manifests.yaml").write_text(
        yaml.safe_dump_all(objects, sort_keys=False), encoding="utf-8"
    )
    groups = [g for obj in objects if obj["kind"] == "PrometheusRule" for g in obj["spec"]["groups"]]
    if not groups:
        raise CheckFailed(f"{name}: the render has no alerting rules")
    rules_dir = output_dir / "rules"
    rules_dir.mkdir(parents=True, exist_ok=True)
    (rules_dir / f"{name}.yaml").write_text(
        yaml.safe_dump({"groups": groups}, sort_keys=False), encoding="utf-8"
    )
    return objects


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(USAGE, file=sys.stderr)
        return 2
    chart_dir, output_dir = Path(argv[1]), Path(argv[2])
    if not (chart_dir / "Chart.yaml").is_file():
        print(f"error: {chart_dir} is not a chart directory (no Chart.yaml)", file=sys.stderr)
        return 2

    print(f"helm-python-sdk {helm.__version__}, Helm SDK {helm.helm_sdk_version()}")
    inputs = helm.values_from_yaml((chart_dir / CI_VALUES).read_text("utf-8"))
    prod_values = helm.values_from_yaml((chart_dir / "values-prod.yaml").read_text("utf-8"))
    dr_values = helm.values_from_yaml((chart_dir / "values-dr.yaml").read_text("utf-8"))
    prod_inputs = merge(prod_values, inputs)
    # The DR region layers values-dr.yaml over values-prod.yaml, as its install command does.
    dr_inputs = merge(merge(prod_values, dr_values), inputs)

    try:
        with helm.Chart.load(chart_dir) as chart:
            versions = kube_versions(chart.metadata.get("kubeVersion", ""))
            (output_dir / "kube-versions").parent.mkdir(parents=True, exist_ok=True)
            (output_dir / "kube-versions").write_text(
                "".join(f"{v.removeprefix('v')}\n" for v in versions), encoding="utf-8"
            )
            newest = versions[-1]
            check_schema(chart, inputs, newest)
            check_template_guards(chart, inputs, newest)
            check_api_guards(chart, inputs, newest)
            cases = (("default", inputs), ("prod", prod_inputs), ("dr", dr_inputs))
            for name, values in cases[1:]:
                chart.validate_schema(merge(chart.values, values))
                print(f"ok: the {name} values with the deployment inputs match the schema")
            for name, values in cases:
                check_lint(chart_dir, name, values, versions)
                manifests = render(
                    chart, values, kube_version=newest, api_versions=OPTIONAL_APIS
                )
                objects = write_case(output_dir, name, manifests)
                check_objects(name, objects)
            check_package(chart_dir, output_dir)
    except CheckFailed as failure:
        print(f"error: {failure}", file=sys.stderr)
        return 1
    except helm.HelmError as error:
        print(f"error: Helm failed on {chart_dir}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
