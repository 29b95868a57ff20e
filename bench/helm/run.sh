#!/usr/bin/env bash
# Render the Helm test charts with nexafi and with the Helm 4 library in one run.
#
# Usage: bench/helm/run.sh [ROUNDS]     (default 200 rounds per chart)
#
# Steps: build the helm_render example of nexafi-iac in release mode. Copy the charts of
# crates/nexafi-iac/tests/data/charts to bench/work/helm/, packing each packed/NAME
# directory into charts/NAME-0.1.0.tgz as the fidelity test does. Then load and render
# every chart ROUNDS times with each tool, and print the mean milliseconds per chart side
# by side, with the total.
#
# The Helm side is helm-python-sdk (Python bindings over Helm's Go SDK) from
# $NEXAFI_TOOLS_BIN/python, default .venv/bin/python. Both sides load the chart from
# disk on every round; neither contacts a cluster.

set -euo pipefail

ROUNDS="${1:-200}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WORK="$ROOT/bench/work/helm"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
TOOLS_BIN="${NEXAFI_TOOLS_BIN:-$ROOT/.venv/bin}"
PYTHON="$TOOLS_BIN/python"

if [[ ! -x "$PYTHON" ]]; then
    echo "error: $PYTHON not found; set NEXAFI_TOOLS_BIN to the directory with helm-python-sdk" >&2
    exit 2
fi

cargo build --release --locked -p nexafi-iac --example helm_render --manifest-path "$ROOT/Cargo.toml" >&2
RENDER="$TARGET_DIR/release/examples/helm_render"

rm -rf "$WORK"
mkdir -p "$WORK"
charts=()
for source in "$ROOT"/crates/nexafi-iac/tests/data/charts/*/; do
    name="$(basename "$source")"
    cp -r "$source" "$WORK/$name"
    if [[ -d "$WORK/$name/packed" ]]; then
        mkdir -p "$WORK/$name/charts"
        for packed in "$WORK/$name/packed"/*/; do
            sub="$(basename "$packed")"
            tar -czf "$WORK/$name/charts/$sub-0.1.0.tgz" -C "$WORK/$name/packed" "$sub"
        done
        rm -rf "$WORK/$name/packed"
    fi
    charts+=("$WORK/$name")
done

echo "rendering ${#charts[@]} charts, $ROUNDS rounds each" >&2
"$RENDER" "$ROUNDS" "${charts[@]}" > "$WORK/nexafi.tsv"
"$PYTHON" "$ROOT/bench/helm/render_helm.py" "$ROUNDS" "${charts[@]}" > "$WORK/helm.tsv"

printf '%-20s %12s %12s %8s\n' chart "nexafi ms" "helm ms" ratio
join -t $'\t' <(sort "$WORK/nexafi.tsv") <(sort "$WORK/helm.tsv") |
    awk -F '\t' '{
        ratio = ($3 > 0) ? $5 / $3 : 0
        printf "%-20s %12.3f %12.3f %7.1fx\n", $1, $3, $5, ratio
        ours += $3; theirs += $5
    } END {
        printf "%-20s %12.3f %12.3f %7.1fx\n", "total", ours, theirs, (ours > 0) ? theirs / ours : 0
    }'
