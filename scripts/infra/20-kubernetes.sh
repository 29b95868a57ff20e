#!/usr/bin/env bash
# Checks infrastructure/kubernetes/ with the field's own tools: yamllint, kubernetes-validate,
# Checkov, promtool and amtool, and its VPC ranges and AWS names against the Terraform
# environments (vpc_ranges.py and its tests). Exits non-zero on the first failing step.
#
# Usage: scripts/infra/20-kubernetes.sh   (from anywhere inside the repository)
# Needs: NEXAFI_TOOLS_BIN pointing at the pinned Python tools (scripts/test.sh sets it),
# and promtool and amtool from the Debian packages prometheus and prometheus-alertmanager.
set -euo pipefail

cd "$(dirname "$0")/../.."

# The EKS minor version the manifests target. It must match the
# pod-security.kubernetes.io/*-version labels of the namespaces.
kubernetes_version=1.34
k8s=infrastructure/kubernetes
monitoring=$k8s/monitoring
tools="${NEXAFI_TOOLS_BIN:-$PWD/.venv/bin}"
python="$tools/python"

# Custom resources whose schemas kubernetes-validate does not bundle. Their built-in
# fields (metadata) are not validated either. Any other kind without a schema, such as a
# misspelt built-in kind, fails the run.
allowed_custom_kinds=(
  "cert-manager.io/v1 Certificate"
  "monitoring.coreos.com/v1 PrometheusRule"
  "monitoring.coreos.com/v1 ServiceMonitor"
  "velero.io/v1 BackupStorageLocation"
  "velero.io/v1 Schedule"
  "velero.io/v1 VolumeSnapshotLocation"
)

step() { printf '\n--- %s\n' "$*"; }
fail() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

for tool in yamllint kubernetes-validate checkov python; do
  [ -x "$tools/$tool" ] || fail "$tool is missing from $tools; run scripts/test.sh to install the pinned tools"
done
for tool in promtool amtool; do
  command -v "$tool" >/dev/null || fail "$tool is not installed; install the Debian package that ships it"
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

step "yamllint on infrastructure/ (config infrastructure/.yamllint.yaml)"
"$tools/yamllint" --strict -c infrastructure/.yamllint.yaml infrastructure/
echo "yamllint: no problems"

# Every YAML file under kubernetes/ is a manifest except the Prometheus and Alertmanager
# sources, the chart values, the image list and the admission policy cases, which the
# later steps check.
mapfile -t manifests < <(
  find "$k8s" -name '*.yaml' \
    -not -path "$monitoring/rules/*" \
    -not -path "$monitoring/tests/*" \
    -not -path "$monitoring/alertmanager/*" \
    -not -path "$k8s/security/tests/*" \
    -not -name 'kube-prometheus-stack-values.yaml' \
    -not -path "$k8s/images.yaml" | sort
)
[ "${#manifests[@]}" -gt 0 ] || fail "no manifests found under $k8s"

step "kubernetes-validate --strict against Kubernetes $kubernetes_version (${#manifests[@]} files)"
"$tools/kubernetes-validate" --strict --quiet -k "$kubernetes_version" "${manifests[@]}" \
  >"$work/validate.log" 2>&1 || {
  cat "$work/validate.log"
  fail "kubernetes-validate rejected a manifest"
}
unvalidated=$(sed -n "s/^WARN .* Couldn't find schema for kind \([^ ]*\) with api version \([^ ]*\) .*/\2 \1/p" \
  "$work/validate.log" | sort -u)
while IFS= read -r kind; do
  [ -n "$kind" ] || continue
  allowed=false
  for custom in "${allowed_custom_kinds[@]}"; do
    [ "$kind" = "$custom" ] && allowed=true
  done
  $allowed || fail "no schema for $kind: a misspelt kind or a custom resource missing from allowed_custom_kinds"
done <<<"$unvalidated"
if grep -v "Couldn't find schema" "$work/validate.log" | grep -q .; then
  cat "$work/validate.log"
  fail "kubernetes-validate printed an unexpected message"
fi
echo "built-in kinds valid; custom resources not schema-checked:"
sed 's/^/  /' <<<"$unvalidated"

step "Checkov --framework kubernetes (offline)"
"$tools/checkov" --quiet --compact --skip-download --framework kubernetes -d "$k8s"

step "admission policies against their cases (cel-python)"
"$python" -c 'import celpy' 2>/dev/null ||
  fail "cel-python is missing from $tools; install cel-python==0.5.0 (scripts/requirements-test.txt)"
"$python" "$k8s/security/tests/admission_policies.py" \
  "$k8s/security/admission-policies.yaml" "$k8s/security/tests/admission-policies.cases.yaml"

step "every container without an image has an entry in images.yaml"
"$python" - "$k8s/images.yaml" "${manifests[@]}" <<'EOF'
import sys
import yaml

images_file, manifests = sys.argv[1], sys.argv[2:]
listed = yaml.safe_load(open(images_file))["images"]


def pod_spec(obj):
    spec = obj.get("spec") or {}
    kind = obj["kind"]
    if kind == "Pod":
        return spec
    if kind == "CronJob":
        return spec["jobTemplate"]["spec"]["template"]["spec"]
    if kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"):
        return spec["template"]["spec"]
    return None


found = set()
problems = []
for path in manifests:
    for obj in yaml.safe_load_all(open(path)):
        if not obj:
            continue
        spec = pod_spec(obj)
        if spec is None:
            continue
        meta = obj["metadata"]
        for field in ("initContainers", "containers"):
            for container in spec.get(field) or []:
                key = f'{meta["namespace"]}/{obj["kind"]}/{meta["name"]}/{container["name"]}'
                if "image" in container:
                    problems.append(f"{path}: {key} names an image; list it in images.yaml instead")
                    continue
                found.add(key)
                if key not in listed:
                    problems.append(f"{path}: {key} has no entry in images.yaml")
for key in sorted(set(listed) - found):
    problems.append(f"images.yaml: {key} matches no container")
for problem in problems:
    print(f"error: {problem}", file=sys.stderr)
if problems:
    sys.exit(1)
print(f"{len(found)} containers, each with a listed image")
EOF

step "VPC ranges and AWS names match terraform/environments/*.tfvars"
"$python" "$k8s/vpc_ranges.py" check
"$python" "$k8s/tests/vpc_ranges_test.py"
for environment in dev staging prod; do
  for region in primary dr; do
    "$python" "$k8s/vpc_ranges.py" render "$environment" "$region" "$work/ranges/$environment-$region"
  done
done
# One render with other ranges must still be valid Kubernetes.
mapfile -t ranged < <(find "$work/ranges/dev-dr" -name '*.yaml' -not -name images.yaml \
  -not -name kube-prometheus-stack-values.yaml | sort)
"$tools/kubernetes-validate" --strict --quiet --no-warn -k "$kubernetes_version" "${ranged[@]}"
echo "the dev DR render is valid for Kubernetes $kubernetes_version"

step "generated PrometheusRules and dashboard ConfigMaps are current"
bash "$monitoring/generate.sh" "$work/generated"
diff -ru "$monitoring/generated" "$work/generated" ||
  fail "monitoring/generated is stale; run $monitoring/generate.sh and commit the result"
echo "generated files match their sources"

step "promtool check rules"
promtool check rules "$monitoring"/rules/*.yaml

step "promtool test rules"
promtool test rules "$monitoring"/tests/*.test.yaml

step "every alert has a unit test"
"$python" - "$monitoring" <<'EOF'
import glob
import re
import sys
import yaml

UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def seconds(duration):
    """Return the seconds of a Prometheus duration such as 1h30m."""
    return sum(int(n) * UNIT_SECONDS[u] for n, u in re.findall(r"(\d+)([dhms])", duration))


root = sys.argv[1]
alerts = {
    rule["alert"]
    for path in glob.glob(f"{root}/rules/*.yaml")
    for group in yaml.safe_load(open(path))["groups"]
    for rule in group["rules"]
    if "alert" in rule
}
# For each alert, the (test, time) pairs where it must fire and where it must not.
firing, quiet = {}, {}
for path in glob.glob(f"{root}/tests/*.test.yaml"):
    for test in yaml.safe_load(open(path))["tests"]:
        for case in test.get("alert_rule_test") or []:
            target = firing if case.get("exp_alerts") else quiet
            target.setdefault(case["alertname"], []).append((test["name"], seconds(case["eval_time"])))

problems = []
for name in sorted(alerts):
    if name not in firing:
        problems.append(f"alert {name} has no test case that expects it to fire")
    elif not any(
        quiet_test == fire_test and quiet_time < fire_time
        for fire_test, fire_time in firing[name]
        for quiet_test, quiet_time in quiet.get(name, [])
    ):
        problems.append(f"alert {name} has no quiet evaluation before it fires in the same test")
for problem in problems:
    print(f"error: {problem}", file=sys.stderr)
if problems:
    sys.exit(1)
print(f"{len(alerts)} alerts, each quiet first and then firing in a test")
EOF

step "dashboard queries parse"
"$python" - "$monitoring" "$work/dashboard-queries.yaml" <<'EOF'
import glob
import json
import sys
import yaml

root, out = sys.argv[1], sys.argv[2]
rules = []
for path in sorted(glob.glob(f"{root}/dashboards/*.json")):
    dashboard = json.load(open(path))
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            rules.append({"record": f"dashboard:query:{len(rules)}", "expr": target["expr"]})
if not rules:
    sys.exit("error: no dashboard queries found")
yaml.safe_dump({"groups": [{"name": "dashboard-queries", "rules": rules}]}, open(out, "w"))
print(f"{len(rules)} queries")
EOF
promtool check rules "$work/dashboard-queries.yaml"

step "amtool check-config"
amtool check-config "$monitoring/alertmanager/alertmanager.yaml"

step "Alertmanager routing cases"
cases=0
while IFS='|' read -r receiver labels; do
  receiver="${receiver//[[:space:]]/}"
  [ -z "$receiver" ] || [ "${receiver:0:1}" = "#" ] && continue
  # Word splitting of $labels is intended: one argument per label.
  # shellcheck disable=SC2086
  if ! amtool config routes test --config.file="$monitoring/alertmanager/alertmanager.yaml" \
    --verify.receivers="$receiver" $labels >"$work/route.log" 2>&1; then
    cat "$work/route.log"
    fail "labels {$labels} did not reach receiver $receiver"
  fi
  cases=$((cases + 1))
done <"$monitoring/alertmanager/routes.test"
[ "$cases" -gt 0 ] || fail "no routing cases in routes.test"
echo "$cases routing cases reach their receivers"

echo
echo "kubernetes checks passed"
