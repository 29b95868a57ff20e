#!/usr/bin/env bash
# Deploys one environment: the Terraform, Kubernetes and Helm stages in order, behind a
# `nexafi validate` gate. A thin wrapper over `nexafi deploy`; every argument is passed on.
set -euo pipefail

usage="Usage: deploy-all.sh ENV [OPTIONS]

Runs \`nexafi deploy ENV\` for ENV dev, staging or prod. Its dry-run option, listed by
\`nexafi deploy --help\`, prints the plan without changing anything. Exit status: 0 when
the deployment succeeds, 1 when a stage fails, 2 on a usage error.

Example:
  infrastructure/scripts/deploy-all.sh staging"

# shellcheck source=lib/nexafi.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/nexafi.sh"

if [ $# -eq 0 ]; then
  echo "error: missing the environment; name dev, staging or prod" >&2
  printf '%s\n' "$usage" >&2
  exit 2
fi
nexafi_exec deploy "$usage" "$@"
