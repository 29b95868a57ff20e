#!/usr/bin/env bash
# Benchmark `nexafi dlp scan` against detect-secrets and Presidio Analyzer on one corpus.
#
# Usage: bench/dlp/run.sh [--size-mb N] [--files N] [--peer-files N]
#
#   --size-mb N     corpus size in MB (default 200)
#   --files N       number of corpus files (default 100)
#   --peer-files N  how many corpus files the Python peers scan, the first N (default 2).
#                   They are too slow for the whole corpus, so their figures are for the
#                   bytes they scanned only.
#
# Steps: install GNU time if missing, create pinned virtual environments for
# detect-secrets and Presidio Analyzer in bench/work/dlp, build nexafi in release mode,
# generate the corpus (kept between runs for the same size), run every tool under
# /usr/bin/time -v and print throughput, peak memory and recall tables. When run as
# root, each tool runs in a new network namespace (`unshare --net`) with no route
# anywhere, so no tool can reach the network.

set -euo pipefail

# detect-secrets 1.5.0 (Yelp) and the newest Presidio Analyzer PyPI offered when this
# benchmark was written.
DETECT_SECRETS_VERSION="1.5.0"
PRESIDIO_VERSION="2.2.366"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WORK="$ROOT/bench/work/dlp"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
NEXAFI="$TARGET_DIR/release/nexafi"

size_mb=200
files=100
peer_files=2
while [[ $# -gt 0 ]]; do
    case "$1" in
        --size-mb) size_mb="${2:-}"; shift ;;
        --files) files="${2:-}"; shift ;;
        --peer-files) peer_files="${2:-}"; shift ;;
        -h | --help)
            sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *)
            echo "error: unknown option $1 (see --help)" >&2
            exit 2
            ;;
    esac
    shift
done
for value in "$size_mb" "$files" "$peer_files"; do
    if ! [[ "$value" =~ ^[1-9][0-9]*$ ]]; then
        echo "error: sizes and counts must be whole numbers of 1 or more, got '$value'" >&2
        exit 2
    fi
done

log() { printf '==> %s\n' "$*" >&2; }

if ! [ -x /usr/bin/time ]; then
    log "installing GNU time"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time
fi

isolate=()
if [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null 2>&1; then
    isolate=(unshare --net)
fi

mkdir -p "$WORK"
venv() {
    local dir=$1 requirement=$2
    if ! [ -x "$dir/bin/python" ] || ! grep -qx "$requirement" "$dir/requirement.txt" 2>/dev/null; then
        log "installing $requirement into $dir"
        rm -rf "$dir"
        python3 -m venv "$dir"
        "$dir/bin/pip" install --quiet --disable-pip-version-check "$requirement"
        echo "$requirement" >"$dir/requirement.txt"
    fi
}
venv "$WORK/detect-secrets-venv" "detect-secrets==$DETECT_SECRETS_VERSION"
venv "$WORK/presidio-venv" "presidio-analyzer==$PRESIDIO_VERSION"

log "building nexafi (release)"
(cd "$ROOT" && cargo build --release --locked -p nexafi --quiet)

stamp="$size_mb-$files"
if [ "$(cat "$WORK/corpus.stamp" 2>/dev/null)" != "$stamp" ]; then
    log "generating a $size_mb MB corpus in $files files"
    rm -rf "$WORK/corpus" "$WORK/planted.jsonl"
    python3 "$ROOT/bench/dlp/generate_corpus.py" --out "$WORK" --size-mb "$size_mb" --files "$files"
    echo "$stamp" >"$WORK/corpus.stamp"
fi
mapfile -t peer_inputs < <(find "$WORK/corpus" -type f | sort | head -n "$peer_files")

timed() {
    local name=$1
    shift
    /usr/bin/time -v -o "$WORK/$name.time" "${isolate[@]}" "$@"
}

# Status 1 means findings, which is the expected result here.
run_nexafi() {
    local threads=$1
    log "nexafi dlp scan -j $threads"
    timed "nexafi-j$threads" "$NEXAFI" dlp scan --format json -j "$threads" \
        --output "$WORK/nexafi-j$threads.json" "$WORK/corpus" || [ $? -eq 1 ]
}
run_nexafi 1
run_nexafi 2

log "detect-secrets scan on ${#peer_inputs[@]} files"
timed detect-secrets "$WORK/detect-secrets-venv/bin/detect-secrets" scan "${peer_inputs[@]}" \
    >"$WORK/detect-secrets.json"

log "Presidio pattern recognisers on ${#peer_inputs[@]} files"
timed presidio "$WORK/presidio-venv/bin/python" "$ROOT/bench/dlp/presidio_scan.py" \
    --out "$WORK/presidio.json" "${peer_inputs[@]}"

python3 "$ROOT/bench/dlp/evaluate.py" --work "$WORK" --peer-files "$peer_files"
