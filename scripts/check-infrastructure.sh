#!/usr/bin/env bash
# Checks infrastructure/ with the field's own tools, as a second opinion beside
# `nexafi validate`. Each part lives in scripts/infra/ and runs in name order; any failure
# stops the run with a non-zero status.
#
# Usage: scripts/check-infrastructure.sh   (after scripts/test.sh has installed .venv)
set -euo pipefail

cd "$(dirname "$0")/.."
export NEXAFI_TOOLS_BIN="${NEXAFI_TOOLS_BIN:-$PWD/.venv/bin}"
if [ ! -x "$NEXAFI_TOOLS_BIN/checkov" ]; then
  echo "error: peer tools are missing from $NEXAFI_TOOLS_BIN; run scripts/test.sh first" >&2
  exit 2
fi

shopt -s nullglob
for part in scripts/infra/*.sh; do
  printf '==> %s\n' "$part" >&2
  bash "$part"
done
