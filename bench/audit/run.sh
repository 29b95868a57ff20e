#!/usr/bin/env bash
# Benchmark the audit trail on PostgreSQL.
#
# Usage: bench/audit/run.sh [--quick] [--own-server] [OPTIONS]
#
#   --quick              short runs: 256 producers for 3 s, proofs at 1 million entries
#   --own-server         run against a PostgreSQL cluster this script creates under
#                        bench/work/audit-pg and removes afterwards. It has production-style
#                        settings: shared_buffers 1GB, max_wal_size 16GB, checkpoint_timeout
#                        30min, wal_buffers 64MB. Durability settings stay at their
#                        defaults (fsync, synchronous_commit and full_page_writes on).
#                        Without it the local server on 127.0.0.1:5432 (database `test`,
#                        trust auth) is used as it is configured.
#   --producers A,B,...  concurrent in-process producers per append run (256,1024,2048,4096);
#                        `none` skips the append, COPY and PostgreSQL audit parts
#   --seconds N          length of each append run and of the raw COPY run (10)
#   --proof-size N       tree size for the proof benchmark (10000000)
#   --proofs N           inclusion proofs to time (2000)
#   --audit-leaves N     leaves for the in-memory full audit (1000000)
#   --migration-events N time the upgrade of a schema-v2 store of N synthetic events to
#                        the current schema (0: skip, the default)
#
# Builds the benchmark in release mode and prints one line per figure. Each part works
# in a schema of its own (audit_bench_*) and drops it when done.
set -euo pipefail
cd "$(dirname "$0")/../.."

args=()
own_server=no
for arg in "$@"; do
  case "$arg" in
    --quick) args+=(--producers 256 --seconds 3 --proof-size 1000000 --proofs 500 --audit-leaves 200000) ;;
    --own-server) own_server=yes ;;
    *) args+=("$arg") ;;
  esac
done

# Build before the server starts, so its disk writes are not part of the figures.
cargo bench --locked -p nexafi-audit --bench audit --no-run

if [ "$own_server" = yes ]; then
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    echo "run.sh: --own-server needs initdb under /usr/lib/postgresql/*/bin (Debian package postgresql)" >&2
    exit 2
  fi
  if ! id postgres >/dev/null 2>&1; then
    echo "run.sh: --own-server runs the server as the postgres user, which does not exist" >&2
    exit 2
  fi
  dir="$PWD/bench/work/audit-pg"
  rm -rf "$dir"
  mkdir -p "$dir"
  chown postgres: "$dir"
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  runuser -u postgres -- "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --no-instructions >/dev/null
  cat >> "$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
shared_buffers = 1GB
max_wal_size = 16GB
checkpoint_timeout = 30min
wal_buffers = 64MB
CONF
  stop_server() {
    runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
    rm -rf "$dir"
  }
  trap stop_server EXIT
  runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null
  export NEXAFI_BENCH_POSTGRES="host=127.0.0.1 port=$port user=postgres dbname=postgres"
  echo "own server: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port, $dir"
fi

cargo bench --locked -p nexafi-audit --bench audit -- "${args[@]}"
