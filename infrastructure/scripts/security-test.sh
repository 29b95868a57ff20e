#!/usr/bin/env bash
# Runs the security assessment: security checks, secrets and sensitive data in files, and
# live probes of endpoints that are named explicitly. A thin wrapper over `nexafi security`;
# every argument is passed on.
set -euo pipefail

usage="Usage: security-test.sh [PATH...] [OPTIONS]

Runs \`nexafi security\` on the named files or directories. It contacts no host unless
a target is named. Exit status: 0 when nothing fails, 1 on findings, 2 on a usage error.

Example:
  infrastructure/scripts/security-test.sh infrastructure"

# shellcheck source=lib/nexafi.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/nexafi.sh"
nexafi_exec security "$usage" "$@"
