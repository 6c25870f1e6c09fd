# Runs an operator program (scripts/tools/<name>.cpp → build/bin/<name>), built if needed, with
# the settings of PNPTV_ENV_FILE if set, else the running stack's .run/env, else .env.
# Source it and call: run_tool <name> "$@"
run_tool() {
  local name=$1; shift
  local repo build f
  repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  build=${BUILD:-build}
  make -s -C "$repo" "$build/bin/$name" >&2
  if [ -z "${PNPTV_ENV_FILE:-}" ]; then
    for f in "$repo/.run/env" "$repo/.env"; do [ -f "$f" ] && { export PNPTV_ENV_FILE=$f; break; }; done
  fi
  exec "$repo/$build/bin/$name" "$@"
}
