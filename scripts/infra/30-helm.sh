#!/usr/bin/env bash
# Checks the Helm chart infrastructure/helm/nexafi-financial-services offline:
#   1. helm_chart.py (Helm 4 library through helm-python-sdk): the values schema rejects
#      unknown keys and bad values, the template guards stop bad renders, strict lint,
#      renders of the default, production and DR values into a temporary directory, and
#      a packaged archive without the CI-only files;
#   2. kubernetes-validate --strict against both ends of the chart's kubeVersion range;
#   3. Checkov --framework kubernetes on each render, which must fail no check;
#   4. `nexafi validate` on every render, since nexafi does not render charts itself yet;
#   5. promtool check rules and promtool test rules on the rendered alerts.
#
# Usage: NEXAFI_TOOLS_BIN=.venv/bin scripts/infra/30-helm.sh   (NEXAFI_TOOLS_BIN names the
#        directory holding the pinned Python tools)
set -euo pipefail

cd "$(dirname "$0")/../.."
tools="${NEXAFI_TOOLS_BIN:?set NEXAFI_TOOLS_BIN to the directory of the pinned peer tools}"
chart=infrastructure/helm/nexafi-financial-services

for tool in python kubernetes-validate checkov; do
  if [ ! -x "$tools/$tool" ]; then
    echo "error: $tool is missing from $tools; run scripts/test.sh to install the peer tools" >&2
    exit 2
  fi
done
if ! command -v cargo >/dev/null 2>&1; then
  echo "error: cargo is not installed; install Rust 1.95 or newer from https://rustup.rs" >&2
  exit 2
fi
if ! command -v promtool >/dev/null 2>&1; then
  echo "error: promtool is not installed; install the Debian package prometheus" >&2
  exit 2
fi

rendered=$(mktemp -d)
trap 'rm -rf "$rendered"' EXIT

echo "helm: schema, template guards, lint and render of $chart"
"$tools/python" scripts/infra/helm_chart.py "$chart" "$rendered"
# Both ends of the kubeVersion range in Chart.yaml, as helm_chart.py read them.
mapfile -t kube_versions <"$rendered/kube-versions"

for case_dir in "$rendered"/default "$rendered"/prod "$rendered"/dr; do
  case_name=$(basename "$case_dir")
  for version in "${kube_versions[@]}"; do
    echo "kubernetes-validate --strict -k $version: $case_name render"
    # The Prometheus Operator kinds have no bundled schema and only produce a warning;
    # promtool checks their rules below.
    "$tools/kubernetes-validate" --strict --quiet --no-warn -k "$version" "$case_dir/manifests.yaml"
  done

  echo "checkov --framework kubernetes: $case_name render"
  # Checkov exits 0 when it finds nothing to scan, so an empty result counts as a failure.
  if ! report=$("$tools/checkov" --quiet --compact --skip-download --framework kubernetes \
    --directory "$case_dir"); then
    printf '%s\n' "$report"
    echo "error: checkov reported failed checks in the $case_name render of $chart" >&2
    exit 1
  fi
  printf '%s\n' "$report"
  if ! grep -Eq 'Passed checks: [1-9]' <<<"$report"; then
    echo "error: checkov found no Kubernetes object in the $case_name render of $chart" >&2
    exit 1
  fi
done

echo "nexafi validate: all renders"
if ! report=$(cargo run --locked --quiet -p nexafi -- validate --color never \
  "$rendered"/default "$rendered"/prod "$rendered"/dr 2>&1); then
  printf '%s\n' "$report"
  echo "error: nexafi validate reported failures in the renders of $chart" >&2
  exit 1
fi
grep '^summary:' <<<"$report"

echo "promtool: rules of all renders, unit tests of the default render"
promtool check rules "$rendered"/rules/default.yaml "$rendered"/rules/prod.yaml "$rendered"/rules/dr.yaml
cp "$chart"/alert-tests/default.test.yaml "$rendered"/rules/
promtool test rules "$rendered"/rules/default.test.yaml
