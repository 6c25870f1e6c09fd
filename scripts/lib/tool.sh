# Runs an operator program (scripts/tools/<name>.cpp → build/bin/<name>), built if needed, with
# scripts/lib/settings.sh's file (PNPTV_ENV_FILE if set, else the running stack's .run/env, else
# .env, else env.example) and the environment. Source it and call: run_tool <name> "$@"
source "$(dirname "${BASH_SOURCE[0]}")/settings.sh"
run_tool() {
  local name=$1; shift
  local build=${BUILD:-build}
  make -s -C "$settings_repo" "$build/bin/$name" >&2
  PNPTV_ENV_FILE=$(env_file)
  export PNPTV_ENV_FILE
  exec "$settings_repo/$build/bin/$name" "$@"
}
