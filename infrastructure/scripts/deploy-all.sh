#!/usr/bin/env bash
# Deploys one environment: the Terraform, Kubernetes and Helm stages in order, behind a
# `nexafi validate` gate. A thin wrapper over `nexafi deploy`; every argument is passed on.
set -euo pipefail

usage="Usage: deploy-all.sh ENV [OPTIONS]

Runs \`nexafi deploy ENV\` for ENV dev, staging or prod with the stages of
infrastructure/deploy.toml: the nexafi validate gate, then Terraform, kubectl and Helm.
--dry-run prints the plan and runs only the read-only stages; prod needs --confirm prod.
\`nexafi deploy --help\` lists every option. Exit status: 0 when the deployment succeeds,
1 when the gate or a stage fails, 2 on a usage or tool error.

Examples:
  infrastructure/scripts/deploy-all.sh staging --dry-run
  infrastructure/scripts/deploy-all.sh prod --confirm prod"

# shellcheck source=lib/nexafi.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/nexafi.sh"

if [ $# -eq 0 ]; then
  echo "error: missing the environment; name dev, staging or prod" >&2
  printf '%s\n' "$usage" >&2
  exit 2
fi

# nexafi reads infrastructure/deploy.toml relative to the working directory; name the
# plan beside this script instead, so the wrapper works from any directory.
plan_given=false
for argument in "$@"; do
  case $argument in
    --plan | --plan=*) plan_given=true ;;
  esac
done
if ! $plan_given; then
  set -- "$@" --plan "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/deploy.toml"
fi
nexafi_exec deploy "$usage" "$@"
