# shellcheck shell=bash
# Shared by the wrapper scripts in infrastructure/scripts: finds the nexafi binary and
# replaces the wrapper's process with one nexafi subcommand, so nexafi's exit status
# (0 success, 1 findings or failed tests, 2 usage or tool error) is the script's.
#
# NEXAFI names the binary to run; the default is `nexafi` on PATH.

# Runs `nexafi SUBCOMMAND ARGS...` in place of the calling script.
#   $1: the subcommand, for example `validate`
#   $2: the wrapper's usage text, printed for -h and --help
#   the remaining arguments are passed on unchanged.
nexafi_exec() {
  local subcommand=$1 usage=$2
  shift 2
  local binary=${NEXAFI:-nexafi}
  local found=true
  command -v "$binary" >/dev/null 2>&1 || found=false

  # The usage text needs no binary; nexafi's own help follows when it can be shown.
  if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
    printf '%s\n' "$usage"
    if $found && "$binary" help "$subcommand" >/dev/null 2>&1; then
      echo
      exec "$binary" "$subcommand" --help
    fi
    exit 0
  fi

  if ! $found; then
    {
      echo "error: $binary is not on PATH."
      echo "Install it from the repository root with \`cargo install --locked --path crates/nexafi\`,"
      echo "or set NEXAFI to the path of the binary."
    } >&2
    exit 2
  fi

  # An older binary lacks some subcommands, so name the missing one instead of leaving
  # the user with clap's generic "unrecognized subcommand" message.
  if ! "$binary" help "$subcommand" >/dev/null 2>&1; then
    echo "error: $("$binary" --version 2>/dev/null || echo "$binary") has no \`$subcommand\` command; install a newer nexafi" >&2
    exit 2
  fi

  exec "$binary" "$subcommand" "$@"
}
