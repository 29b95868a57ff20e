#!/usr/bin/env bash
# Runs the whole test suite from a fresh machine: installs what the tests need, starts the
# local services they use, then runs formatting, lint and every test of the workspace.
#
# Usage: scripts/test.sh            (from anywhere inside the repository)
# Needs: the Rust toolchain (cargo 1.95 or newer); Debian packages are installed with
# apt-get when missing, which needs root.
set -euo pipefail

cd "$(dirname "$0")/.."

log() { printf '==> %s\n' "$*" >&2; }

require_cargo() {
  if ! command -v cargo >/dev/null 2>&1; then
    echo "error: cargo is not installed; install Rust 1.95 or newer from https://rustup.rs" >&2
    exit 2
  fi
  rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt
}

# Debian packages the tests call: `time` for the benchmark script's measurements,
# promtool and amtool for the monitoring rules and routing, Chromium for the HTML report,
# OpenSSL for the TLS servers that the security probe and audit tests start, curl for the
# audit service's HTTPS test.
install_packages() {
  local missing=()
  command -v /usr/bin/time >/dev/null 2>&1 || missing+=(time)
  command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
  command -v amtool >/dev/null 2>&1 || missing+=(prometheus-alertmanager)
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  if ((${#missing[@]})); then
    log "installing Debian packages: ${missing[*]}"
    if [ "$(id -u)" -eq 0 ]; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
    else
      sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
    fi
  fi
}

# Starts a local service when its port is closed. Services stay on loopback.
ensure_service() {
  local name=$1 port=$2
  shift 2
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    return 0
  fi
  if ! command -v "$1" >/dev/null 2>&1; then
    log "$name is not installed; tests that need it will fail"
    return 0
  fi
  log "starting $name on port $port"
  "$@" >/dev/null 2>&1 || log "starting $name failed; tests that need it will fail"
}

start_services() {
  ensure_service PostgreSQL 5432 sh -c 'pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start'
  ensure_service Redis 6379 redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
  ensure_service RabbitMQ 5672 rabbitmq-server -detached
  ensure_service NATS 4222 start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
  ensure_service MariaDB 3306 start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
}

# Peer tools (Checkov, kubernetes-validate, hadolint, helm-python-sdk, yamllint,
# check-jsonschema, compliance-trestle) go into .venv, pinned by
# scripts/requirements-test.txt. The environment is rebuilt when that file changes.
install_python_tools() {
  local stamp=.venv/requirements-test.sha256
  local want
  want=$(sha256sum scripts/requirements-test.txt | cut -d' ' -f1)
  if [ -x .venv/bin/python ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    return 0
  fi
  log "installing pinned Python peer tools into .venv"
  rm -rf .venv
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check --no-deps -r scripts/requirements-test.txt
  echo "$want" >"$stamp"
}

require_cargo
install_packages
install_python_tools
start_services
export NEXAFI_TOOLS_BIN="$PWD/.venv/bin"

log "cargo fmt --check"
cargo fmt --all -- --check

log "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

log "cargo test"
cargo test --workspace --locked

log "infrastructure checks with peer tools"
scripts/check-infrastructure.sh

log "all tests passed"
