# settings.sh — how every script finds and reads settings. Source it.
#
# The file (env_file): $PNPTV_ENV_FILE when set. Otherwise, a convenience of the local checkout
# that no binary has (a function reads only the environment and PNPTV_ENV_FILE): the local
# stack's run file <run dir>/env (written by its last start, kept after a stop), else .env, else
# env.example. `scripts/stack` starts from the same
# order without its own run file (env_file --source).
#
# A value (setting NAME [DEFAULT]): the environment's when the name is set there, else the
# file's (its last line for the name), else DEFAULT; an empty value counts as unset. The file is
# read exactly as the functions read it (parse_env_file in common/settings.cpp): blank lines and
# # comments skipped, an optional `export `, NAME=value with spaces and tabs trimmed around both,
# one pair of matching quotes around the value removed; any other line is an error naming it.

settings_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# env_file [--source]: the path of the settings file the caller should read.
env_file() {
  local source run
  if [ -n "${PNPTV_ENV_FILE:-}" ]; then
    printf '%s\n' "$PNPTV_ENV_FILE"
    return
  fi
  if [ -f "$settings_repo/.env" ]; then source=$settings_repo/.env; else source=$settings_repo/env.example; fi
  run=$(stack_run_dir "$source")
  if [ "${1:-}" != --source ] && [ -f "$run/env" ]; then
    printf '%s\n' "$run/env"
  else
    printf '%s\n' "$source"
  fi
}

# stack_run_dir FILE: the local stack's run folder as FILE (and the environment) set it,
# absolute, a relative one taken from the checkout — the one answer for the stack and every script.
stack_run_dir() {
  local dir
  dir=$(setting STACK_RUN_DIR .run "$1")
  (cd "$settings_repo" && realpath -m "$dir")
}

# env_file_pairs FILE: each setting of FILE as one NAME=value line, in file order. Fails (status
# 2) naming the first line that is not a setting.
env_file_pairs() {
  local file=$1 line key value n=0 blank=$' \t\r\n'
  [ -r "$file" ] || { echo "settings: can't read $file" >&2; return 2; }
  while IFS= read -r line || [ -n "$line" ]; do
    n=$((n + 1))
    line=${line#"${line%%[!$blank]*}"}
    line=${line%"${line##*[!$blank]}"}
    [ -z "$line" ] || [ "${line:0:1}" = "#" ] && continue
    if [ "${line:0:7}" = "export " ]; then
      line=${line:7}
      line=${line#"${line%%[!$blank]*}"}
    fi
    key=${line%%=*}
    key=${key%"${key##*[!$blank]}"}
    if [ "$key" = "$line" ] || [ -z "$key" ] || [[ ! "$key" =~ ^[A-Za-z0-9_]+$ ]]; then
      echo "settings: $file line $n is not KEY=value" >&2
      return 2
    fi
    value=${line#*=}
    value=${value#"${value%%[!$blank]*}"}
    if [ ${#value} -ge 2 ] && { [ "${value:0:1}" = '"' ] || [ "${value:0:1}" = "'" ]; } && [ "${value: -1}" = "${value:0:1}" ]; then
      value=${value:1:${#value}-2}
    fi
    printf '%s=%s\n' "$key" "$value"
  done <"$file"
}

# setting NAME [DEFAULT] [FILE]: the value the functions would see (FILE defaults to env_file).
setting() {
  local name=$1 fallback=${2:-} file=${3:-} value="" pairs line
  if [ -n "${!name+set}" ]; then
    value=${!name}
  else
    [ -n "$file" ] || file=$(env_file)
    if [ -f "$file" ]; then
      pairs=$(env_file_pairs "$file") || return 2
      while IFS= read -r line; do
        [ "${line%%=*}" = "$name" ] && value=${line#*=}
      done <<<"$pairs"
    fi
  fi
  printf '%s\n' "${value:-$fallback}"
}

# site_options FILE FOLDER_FN: the options of scripts/nginx-conf that settings decide, one per
# line (proxies, the monitoring network, nchan's Redis, ePayco's checkout, who may frame the
# pages, the folders and streams the route table names). FOLDER_FN is called with a folder
# setting's name and prints its absolute path (the local stack and a deploy place them
# differently). Needs BUILD pointing at the binaries (scripts/routes).
site_options() {
  local file=$1 folder_fn=$2 name
  printf '%s\n' --trusted-proxies "$(setting TRUSTED_PROXIES "" "$file")" \
    --internal-allow "$(setting INTERNAL_ALLOW "" "$file")" \
    --nchan-redis-url "$(setting NCHAN_REDIS_URL "" "$file")" \
    --checkout-base "$(setting EPAYCO_CHECKOUT_BASE https://checkout.epayco.co "$file")" \
    --miniapp-frame-ancestors "$(setting MINIAPP_FRAME_ANCESTORS https://web.telegram.org "$file")"
  for name in $("$settings_repo/scripts/routes" | awk '$2 == "files" {print $4}' | sort -u); do
    printf '%s\n' --folder "$name=$("$folder_fn" "$name")"
  done
  for name in $("$settings_repo/scripts/routes" | awk '$2 == "upstream" {print $4}' | sort -u); do
    printf '%s\n' --upstream "$name=$(setting "$name" "" "$file")"
  done
}
