#!/usr/bin/env bash
# Runs live checks of a deployed environment (HTTP, TCP, TLS, DNS, PostgreSQL, Redis,
# RabbitMQ, Kubernetes readiness, Prometheus queries). A thin wrapper over `nexafi test`;
# every argument is passed on.
set -euo pipefail

usage="Usage: test-infrastructure.sh [SUITE] [OPTIONS]

Runs \`nexafi test\` with the named suite and writes JUnit output when asked to. Exit
status: 0 when every test passes, 1 when a test fails, 2 on a usage error.

Example:
  infrastructure/scripts/test-infrastructure.sh staging"

# shellcheck source=lib/nexafi.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/nexafi.sh"
nexafi_exec test "$usage" "$@"
