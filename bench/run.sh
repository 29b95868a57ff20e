#!/usr/bin/env bash
# Benchmark nexafi against Checkov on the same generated corpus.
#
# Usage: bench/run.sh [--quick] [--repeat N] [--skip-checkov]
#
#   --quick         small corpus (20 Terraform roots, 200 YAML files, 30 Dockerfiles)
#   --repeat N      run each tool N times per tree and report the median (default 1)
#   --skip-checkov  measure nexafi only, for example while iterating on the scanner
#
# Steps: install GNU time if missing, create bench/work/venv with a pinned Checkov,
# build nexafi in release mode, generate the corpus, run both tools on it (and on
# infrastructure/ or examples/ when present) under /usr/bin/time -v, and print a table.
# Raw measurements and reports stay in bench/work/ (git-ignored).
#
# Both tools run offline: Checkov with --skip-download, BC_SKIP_MAPPING=TRUE and
# CKV_SKIP_PACKAGE_UPDATE_CHECK=TRUE, and, when this script runs as root, each tool
# inside a fresh network namespace (`unshare --net`) that has no route anywhere.

set -euo pipefail

# The newest Checkov 3.x that PyPI offered when this benchmark was written.
CHECKOV_VERSION="3.3.30"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="$ROOT/bench/work"
VENV="$WORK/venv"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
NEXAFI="$TARGET_DIR/release/nexafi"

quick=0
repeat=1
skip_checkov=0
while [[ $# -gt 0 ]]; do
    case "$1" in
        --quick) quick=1 ;;
        --repeat)
            repeat="${2:-}"
            shift
            ;;
        --skip-checkov) skip_checkov=1 ;;
        -h | --help)
            sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *)
            echo "error: unknown option $1 (see --help)" >&2
            exit 2
            ;;
    esac
    shift
done
if ! [[ "$repeat" =~ ^[1-9][0-9]*$ ]]; then
    echo "error: --repeat needs a whole number of 1 or more, got '$repeat'" >&2
    exit 2
fi

die() {
    echo "error: $*" >&2
    exit 2
}

step() {
    echo "==> $*" >&2
}

mkdir -p "$WORK"

# 1. GNU time, for CPU seconds and peak resident memory.
if [[ ! -x /usr/bin/time ]]; then
    step "installing GNU time"
    if [[ "$(id -u)" -ne 0 ]]; then
        die "/usr/bin/time is missing; install it with: sudo apt-get install -y time"
    fi
    apt-get install -y time >/dev/null || die "apt-get install -y time failed; run apt-get update first"
fi

# 2. Checkov, pinned, in its own virtual environment.
if [[ "$skip_checkov" -eq 0 ]]; then
    installed="$("$VENV/bin/checkov" --version 2>/dev/null || true)"
    if [[ "$installed" != "$CHECKOV_VERSION" ]]; then
        step "installing checkov==$CHECKOV_VERSION into $VENV"
        python3 -m venv "$VENV" || die "python3 -m venv failed; install python3-venv"
        "$VENV/bin/pip" install --quiet --disable-pip-version-check "checkov==$CHECKOV_VERSION" ||
            die "pip could not install checkov==$CHECKOV_VERSION"
    fi
fi

# 3. nexafi in release mode.
step "building nexafi (release)"
(cd "$ROOT" && cargo build --release --quiet -p nexafi) ||
    die "cargo build --release -p nexafi failed; fix the build and run again"
if ! "$NEXAFI" validate --help >/dev/null 2>&1; then
    die "$NEXAFI has no working 'validate' subcommand yet; the benchmark needs \
'nexafi validate --format json --output FILE PATH...'"
fi

# 4. The corpus.
corpus="$WORK/corpus"
generate=(python3 "$ROOT/bench/generate_corpus.py" --out "$corpus")
if [[ "$quick" -eq 1 ]]; then
    generate+=(--quick)
fi
step "generating the corpus in $corpus"
"${generate[@]}" >"$WORK/corpus-summary.json"

# Runs a command under GNU time, in a network namespace without routes when possible.
# Arguments: the file for time's report, the file for standard output, then the command.
isolate=()
if [[ "$(id -u)" -eq 0 ]] && unshare --net true 2>/dev/null; then
    isolate=(unshare --net)
else
    echo "note: not root, so the tools run with network access; Checkov still runs with its offline flags" >&2
fi

measure() {
    local time_file="$1" stdout_file="$2"
    shift 2
    local status=0
    /usr/bin/time -v -o "$time_file" "${isolate[@]}" "$@" >"$stdout_file" 2>"$time_file.stderr" || status=$?
    echo "$status"
}

# 5. Both tools on each tree.
checkov=(env BC_SKIP_MAPPING=TRUE CKV_SKIP_PACKAGE_UPDATE_CHECK=TRUE "$VENV/bin/checkov"
    --framework terraform kubernetes dockerfile --skip-download)
trees=("corpus=$corpus")
for candidate in infrastructure examples; do
    if [[ -d "$ROOT/$candidate" ]]; then
        trees+=("$candidate=$ROOT/$candidate")
    fi
done

# Each tool runs in two output modes: a complete JSON report with every result, and
# the lightest console output it offers (failures only), because report writing is a
# large share of the work for both tools.
for entry in "${trees[@]}"; do
    name="${entry%%=*}"
    path="${entry#*=}"
    for run in $(seq 1 "$repeat"); do
        step "nexafi on $name, JSON report (run $run of $repeat)"
        status="$(measure "$WORK/time-nexafi-json-$name-$run.txt" /dev/null \
            "$NEXAFI" validate --format json --output /dev/null "$path")"
        # Exit status 1 means failing findings, which the corpus has on purpose.
        if [[ "$status" -gt 1 ]]; then
            die "nexafi exited with status $status on $path; see $WORK/time-nexafi-json-$name-$run.txt.stderr"
        fi

        step "nexafi on $name, human output (run $run of $repeat)"
        status="$(measure "$WORK/time-nexafi-human-$name-$run.txt" /dev/null \
            "$NEXAFI" validate --format human --output /dev/null "$path")"
        if [[ "$status" -gt 1 ]]; then
            die "nexafi exited with status $status on $path; see $WORK/time-nexafi-human-$name-$run.txt.stderr"
        fi

        if [[ "$skip_checkov" -eq 0 ]]; then
            step "checkov on $name, JSON report (run $run of $repeat)"
            status="$(measure "$WORK/time-checkov-json-$name-$run.txt" "$WORK/checkov-$name.json" \
                "${checkov[@]}" --directory "$path" --output json)"
            if [[ "$status" -gt 1 ]]; then
                die "checkov exited with status $status on $path; see $WORK/time-checkov-json-$name-$run.txt.stderr"
            fi

            step "checkov on $name, compact failures-only output (run $run of $repeat)"
            status="$(measure "$WORK/time-checkov-cli-$name-$run.txt" /dev/null \
                "${checkov[@]}" --directory "$path" --output cli --quiet --compact)"
            if [[ "$status" -gt 1 ]]; then
                die "checkov exited with status $status on $path; see $WORK/time-checkov-cli-$name-$run.txt.stderr"
            fi
        fi
    done

    # One more nexafi run, not timed, that keeps the report for counting.
    "${isolate[@]}" "$NEXAFI" validate --format json --output "$WORK/nexafi-$name.json" "$path" || true
done

# 6. The table.
summarize=(python3 "$ROOT/bench/summarize.py" --work "$WORK" --repeat "$repeat")
for entry in "${trees[@]}"; do
    summarize+=(--tree "${entry%%=*}")
done
if [[ "$skip_checkov" -eq 1 ]]; then
    summarize+=(--skip-checkov)
fi
"${summarize[@]}"
