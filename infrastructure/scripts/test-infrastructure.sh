#!/usr/bin/env bash
# Runs live checks of a deployed environment (HTTP, TCP, TLS, DNS, PostgreSQL, Redis,
# RabbitMQ, Kubernetes readiness, Prometheus queries). A thin wrapper over `nexafi test`;
# every argument is passed on.
set -euo pipefail

usage="Usage: test-infrastructure.sh [SUITE] [OPTIONS]

Runs \`nexafi test\` with the suite file SUITE (default: nexafi-tests.yaml in the current
directory). The platform's suites are infrastructure/tests/staging.yaml and
infrastructure/tests/prod.yaml; the variables each reads are listed at its top, and its
host variables must be set even for --list. Options
are those of \`nexafi test\`: --format human|json|junit with --output FILE, --only GLOB,
--kind KIND, --list, --jobs N. Exit status: 0 when every test passes, 1 when a test
fails, 2 when the suite is invalid or on a usage error.

Examples:
  infrastructure/scripts/test-infrastructure.sh infrastructure/tests/staging.yaml --list
  infrastructure/scripts/test-infrastructure.sh infrastructure/tests/prod.yaml \\
      --format junit --output prod-tests.xml"

# shellcheck source=lib/nexafi.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/nexafi.sh"
nexafi_exec test "$usage" "$@"
