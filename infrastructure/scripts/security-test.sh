#!/usr/bin/env bash
# Runs the security assessment: security checks, secrets and sensitive data in files, and
# live probes of endpoints that are named explicitly. A thin wrapper over `nexafi security`;
# every argument is passed on.
set -euo pipefail

usage="Usage: security-test.sh [PATH...] [OPTIONS]

Runs \`nexafi security\` on the named files or directories. It contacts no host unless
a target is named. It takes the Terraform and Helm options of \`nexafi validate\`: the
shipped chart requires image digests from a values file and fails to render without them.
Exit status: 0 when nothing fails, 1 on findings, 2 on a usage error.

Example:
  infrastructure/scripts/security-test.sh infrastructure \\
    --var-file infrastructure/terraform/environments/prod.tfvars \\
    --helm-values infrastructure/helm/nexafi-financial-services/ci/test-values.yaml \\
    --helm-values-siblings --helm-namespace nexafi-financial \\
    --helm-release nexafi-financial-services"

# shellcheck source=lib/nexafi.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/nexafi.sh"
nexafi_exec security "$usage" "$@"
