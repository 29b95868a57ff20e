#!/usr/bin/env bash
# Checks the image definition of the nexafi binary with hadolint and Checkov.
# Fails on any hadolint finding (warnings and style notes included) and on any failed
# Checkov check.
#
# Usage: NEXAFI_TOOLS_BIN=.venv/bin scripts/infra/40-docker.sh   (NEXAFI_TOOLS_BIN names the
#        directory holding the pinned hadolint and checkov)
set -euo pipefail

cd "$(dirname "$0")/../.."
tools="${NEXAFI_TOOLS_BIN:?set NEXAFI_TOOLS_BIN to the directory of the pinned peer tools}"
dockerfile=infrastructure/docker/financial-services/Dockerfile

for tool in hadolint checkov; do
  if [ ! -x "$tools/$tool" ]; then
    echo "error: $tool is missing from $tools; run scripts/test.sh to install the peer tools" >&2
    exit 2
  fi
done

echo "hadolint $("$tools/hadolint" --version | awk '{print $NF}'): $dockerfile (failing at style level)"
"$tools/hadolint" --failure-threshold style "$dockerfile"

echo "checkov --framework dockerfile: infrastructure/docker"
# Checkov exits 0 when it finds nothing to scan, so an empty result counts as a failure.
if ! report=$("$tools/checkov" --quiet --compact --skip-download --framework dockerfile \
  --directory infrastructure/docker); then
  printf '%s\n' "$report"
  echo "error: checkov reported failed checks in infrastructure/docker" >&2
  exit 1
fi
printf '%s\n' "$report"
if ! grep -Eq 'Passed checks: [1-9]' <<<"$report"; then
  echo "error: checkov found no Dockerfile to check in infrastructure/docker" >&2
  exit 1
fi
