#!/usr/bin/env bash
# Checks infrastructure code against PCI DSS, SOC 2, GDPR, SOX, GLBA and FFIEC controls.
# A thin wrapper over `nexafi validate`; every argument is passed on.
set -euo pipefail

usage="Usage: validate-compliance.sh [PATH...] [OPTIONS]

Runs \`nexafi validate\` on the named files or directories (default: the current
directory) and prints each failing control. Exit status: 0 when nothing fails at the
severity threshold, 1 when a check fails or a file cannot be loaded, 2 on a usage error.

Example:
  infrastructure/scripts/validate-compliance.sh infrastructure --format json --output report.json"

# shellcheck source=lib/nexafi.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/nexafi.sh"
nexafi_exec validate "$usage" "$@"
