#!/usr/bin/env bash
# Checks infrastructure/terraform offline: `nexafi validate` with the values of every
# environment, `terraform fmt -check`, then Checkov as a second opinion. Every inline
# Checkov skip must give a reason. Provider-side validation (argument names, IAM policy
# semantics, quotas) needs the AWS provider and an account, so it is out of reach here.
#
# Usage: scripts/infra/10-terraform.sh   (from the repository root, as
#        scripts/check-infrastructure.sh runs it)
# Needs: cargo, terraform on PATH (fmt only: no provider, no network), and Checkov in
#        $NEXAFI_TOOLS_BIN (default .venv/bin).
set -euo pipefail

cd "$(dirname "$0")/../.."

TERRAFORM_DIR=infrastructure/terraform
TOOLS_BIN="${NEXAFI_TOOLS_BIN:-$PWD/.venv/bin}"
ENVIRONMENTS=(dev staging prod)

log() { printf -- '--> %s\n' "$*" >&2; }

# Runs nexafi validate quietly and shows its report only when it fails.
validate() {
  local output
  if ! output=$("$nexafi_bin" validate "$@" 2>&1); then
    printf '%s\n' "$output" >&2
    echo "error: nexafi validate $* failed" >&2
    exit 1
  fi
}

if [ ! -x "$TOOLS_BIN/checkov" ]; then
  echo "error: checkov is missing from $TOOLS_BIN; run scripts/test.sh or set NEXAFI_TOOLS_BIN" >&2
  exit 2
fi

log "building nexafi"
cargo build --locked --quiet -p nexafi
nexafi_bin="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')/debug/nexafi"

# Without a var-file, values that only an environment sets (the account id) stay
# unknown; that run must still have no failure.
log "nexafi validate $TERRAFORM_DIR (no environment values)"
validate "$TERRAFORM_DIR"

for environment in "${ENVIRONMENTS[@]}"; do
  var_file="$TERRAFORM_DIR/environments/$environment.tfvars"
  log "nexafi validate $TERRAFORM_DIR --var-file $var_file --fail-on-unknown"
  validate "$TERRAFORM_DIR" --var-file "$var_file" --fail-on-unknown
done

# Formatting needs no provider; an empty CLI configuration keeps terraform from reading
# a user's ~/.terraformrc.
if ! command -v terraform >/dev/null; then
  echo "error: terraform is not on PATH; it is needed for \`terraform fmt -check\`" >&2
  exit 2
fi
log "terraform fmt -check -recursive $TERRAFORM_DIR"
if ! CHECKPOINT_DISABLE=1 TF_CLI_CONFIG_FILE=/dev/null terraform fmt -check -recursive -diff "$TERRAFORM_DIR" >&2; then
  echo "error: run terraform fmt -recursive $TERRAFORM_DIR" >&2
  exit 1
fi

# A skip without a reason hides a finding from review.
log "every inline checkov skip gives a reason"
unexplained=$(grep -rnE '#[[:space:]]*checkov:skip=[A-Z0-9_]+[[:space:]]*$' "$TERRAFORM_DIR" || true)
if [ -n "$unexplained" ]; then
  printf 'error: checkov skips without a reason (write #checkov:skip=ID:reason):\n%s\n' "$unexplained" >&2
  exit 1
fi

# Checkov resolves the local modules with the production values. It exits 1 on any
# failed check; the summary line proves that it scanned something.
log "checkov --framework terraform on $TERRAFORM_DIR"
report=$(mktemp)
trap 'rm -f "$report"' EXIT
if ! "$TOOLS_BIN/checkov" --quiet --compact --skip-download --framework terraform \
  --download-external-modules false --var-file "$TERRAFORM_DIR/environments/prod.tfvars" \
  -d "$TERRAFORM_DIR" >"$report" 2>&1; then
  cat "$report" >&2
  echo "error: checkov found failed checks in $TERRAFORM_DIR" >&2
  exit 1
fi
summary=$(grep -E '^Passed checks: [1-9][0-9]*, Failed checks: 0,' "$report" || true)
if [ -z "$summary" ]; then
  cat "$report" >&2
  echo "error: checkov printed no terraform summary; it did not scan $TERRAFORM_DIR" >&2
  exit 1
fi
log "checkov: $summary"
