#!/usr/bin/env bash
# Benchmark the audit trail on the local PostgreSQL (127.0.0.1:5432, database `test`).
#
# Usage: bench/audit/run.sh [--quick] [OPTIONS]
#
#   --quick              short runs: 256 producers for 3 s, proofs at 1 million entries
#   --producers A,B,...  concurrent in-process producers per append run (256,1024,2048,4096);
#                        `none` skips the append, COPY and PostgreSQL audit parts
#   --seconds N          length of each append run and of the raw COPY run (10)
#   --proof-size N       tree size for the proof benchmark (10000000)
#   --proofs N           inclusion proofs to time (2000)
#   --audit-leaves N     leaves for the in-memory full audit (1000000)
#
# Builds the benchmark in release mode and prints one line per figure. Each part works
# in a schema of its own (audit_bench_*) and drops it when done.
set -euo pipefail
cd "$(dirname "$0")/../.."

args=()
for arg in "$@"; do
  if [ "$arg" = "--quick" ]; then
    args+=(--producers 256 --seconds 3 --proof-size 1000000 --proofs 500 --audit-leaves 200000)
  else
    args+=("$arg")
  fi
done
exec cargo bench --locked -p nexafi-audit --bench audit -- "${args[@]}"
