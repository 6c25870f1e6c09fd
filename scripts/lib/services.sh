# Shared by scripts/stack and tests/run: start and stop a private PostgreSQL cluster and Redis
# server in a folder, touching no system service. Source it; every function takes the folder.
#
# PostgreSQL refuses to run as root, so as root the cluster belongs to the `postgres` account
# (runuser); as anyone else it belongs to that user. The cluster and its socket live in
# FOLDER/pg — a link to /var/tmp/pnptv-pg/<hash> when the postgres account can't reach the folder
# (see pg_place).

pg_bindir() { ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1; }

# Runs a command as the cluster's owner.
as_pg_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# Whether a process runs; a zombie (dead, not yet reaped — kill -0 still answers for it) does not.
process_alive() {
  local state
  state=$(awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null || true)
  [ -n "$state" ] && [ "$state" != Z ]
}

# Waits until a process is gone for real.
wait_gone() {
  local pid=$1 tries=${2:-100}
  while [ "$tries" -gt 0 ]; do
    process_alive "$pid" || return 0
    sleep 0.05
    tries=$((tries - 1))
  done
  return 1
}

# pg_place DIR: makes DIR/pg, the cluster's folder, reachable by the cluster's owner. As root
# that is the postgres account, which can't enter a folder with a private ancestor (a clone in
# /root, anything under a `mktemp -d` folder); then the cluster lives in
# /var/tmp/pnptv-pg/<hash of DIR> and DIR/pg is a link to it, which it says once. Nothing in
# the caller's folders changes mode.
pg_place() {
  local dir=$1 home
  mkdir -p "$dir"
  if [ "$(id -u)" -ne 0 ]; then mkdir -p "$dir/pg/sock"; return 0; fi
  if [ ! -L "$dir/pg" ] && ! runuser -u postgres -- test -x "$dir"; then
    [ -f "$dir/pg/data/PG_VERSION" ] && { echo "services: postgres can't reach the cluster in $dir/pg" >&2; return 1; }
    rm -rf "$dir/pg"
    # /var/tmp is shared: its pnptv-pg folder must be root's and no link (else whoever made it
    # first could swap the cluster), and the cluster's own folder is made here, never followed.
    local parent=/var/tmp/pnptv-pg
    [ -e "$parent" ] || mkdir -m 755 "$parent"
    if [ -L "$parent" ] || [ ! -d "$parent" ] || [ "$(stat -c %u "$parent")" != 0 ] || [ -n "$(find "$parent" -maxdepth 0 -perm /022)" ]; then
      echo "services: $parent must be a folder of root's that only root can write; refusing to use it" >&2
      return 1
    fi
    home=$parent/$(printf %s "$(cd "$dir" && pwd)" | sha256sum | cut -c1-16)
    if [ -L "$home" ] || { [ -e "$home" ] && [ "$(stat -c %U "$home")" != postgres ]; }; then
      echo "services: $home is not the postgres account's folder; refusing to use it" >&2
      return 1
    fi
    [ -d "$home" ] || mkdir -m 700 "$home"
    chown -h postgres: "$home"
    ln -s "$home" "$dir/pg"
    echo "PostgreSQL: the postgres account can't reach $dir, so its cluster is in $home ($dir/pg links to it)" >&2
  fi
  mkdir -p "$dir/pg/sock"
  chown postgres: "$dir/pg/" "$dir/pg/sock"
}

# pg_home DIR: the cluster's folder as a path its owner can follow (the link resolved).
pg_home() { readlink -f "$1/pg"; }

# pg_forget DIR: removes the cluster's files wherever pg_place put them (after pg_stop).
pg_forget() {
  local dir=$1
  [ -L "$dir/pg" ] && rm -rf "$(readlink -f "$dir/pg")"
  rm -rf "$dir/pg"
}

# pg_start DIR PORT [postgres -c options…]: initdb on first use, then start; waits until ready.
# Listens on DIR/pg/sock and, when PORT is not "socket-only", on 127.0.0.1:PORT.
pg_start() {
  local dir=$1 port=$2; shift 2
  local bin data sock
  bin=$(pg_bindir)
  pg_place "$dir" || return 1
  data=$(pg_home "$dir")/data
  sock=$(pg_home "$dir")/sock
  if [ ! -f "$data/PG_VERSION" ]; then
    as_pg_owner "$bin/initdb" -D "$data" -U pnptv -A trust -E UTF8 --locale=C.UTF-8 >"$dir/pg/initdb.log" 2>&1 ||
      { cat "$dir/pg/initdb.log" >&2; return 1; }
  fi
  if as_pg_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then return 0; fi
  local listen="127.0.0.1" pgport=$port
  if [ "$port" = socket-only ]; then listen="" pgport=5432; fi
  local opts="-c listen_addresses='$listen' -c port=$pgport -c unix_socket_directories='$sock'"
  local o
  for o in "$@"; do opts+=" -c $o"; done
  as_pg_owner "$bin/pg_ctl" -D "$data" -l "$(pg_home "$dir")/postgres.log" -w -t 30 -o "$opts" start >/dev/null ||
    { tail -n 20 "$(pg_home "$dir")/postgres.log" >&2; return 1; }
}

pg_stop() {
  local dir=$1 bin
  bin=$(pg_bindir)
  [ -f "$dir/pg/data/PG_VERSION" ] || return 0
  as_pg_owner "$bin/pg_ctl" -D "$(pg_home "$dir")/data" status >/dev/null 2>&1 || return 0
  as_pg_owner "$bin/pg_ctl" -D "$(pg_home "$dir")/data" -m fast -w -t 30 stop >/dev/null
}

# The port the cluster in DIR listens on (its socket name carries it).
pg_port() {
  local s
  s=$(ls "$1"/pg/sock/.s.PGSQL.* 2>/dev/null | grep -v '\.lock$' | head -n 1)
  echo "${s##*.}"
}

pg_url() { echo "postgresql://pnptv@/${2:-pnptv}?host=$(pg_home "$1")/sock&port=$(pg_port "$1")"; }

# pg_createdb DIR NAME: creates the database if missing.
pg_createdb() {
  local dir=$1 name=$2 port
  port=$(pg_port "$dir")
  if ! psql -h "$(pg_home "$dir")/sock" -p "$port" -U pnptv -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$name'" | grep -q 1; then
    createdb -h "$(pg_home "$dir")/sock" -p "$port" -U pnptv "$name"
  fi
}

# pg_migrate DIR NAME [deploy|revert|verify] [extra sqitch args]: runs sqitch on db/ against it.
pg_migrate() {
  local dir=$1 name=$2 action=${3:-deploy}; shift 3 || shift $#
  local repo
  repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  PGHOST="$(pg_home "$dir")/sock" PGPORT=$(pg_port "$dir") PGUSER=pnptv \
    sqitch --quiet -C "$repo/db" "$action" "$@" "db:pg:$name"
}

# redis_start DIR PORT [persist]: a Redis on DIR/redis/redis.sock (and 127.0.0.1:PORT unless
# PORT is "socket-only"); "persist" turns on AOF so sessions survive a restart. Never evicts:
# sessions and the guard's records must not vanish under memory pressure (writes fail instead).
redis_start() {
  local dir=$1 port=$2 persist=${3:-}
  local rdir=$dir/redis
  mkdir -p "$rdir"
  if [ -f "$rdir/redis.pid" ] && process_alive "$(cat "$rdir/redis.pid")"; then return 0; fi
  [ "$port" = socket-only ] && port=0
  local aof=no
  [ "$persist" = persist ] && aof=yes
  redis-server --port "$port" --bind 127.0.0.1 --unixsocket "$rdir/redis.sock" --unixsocketperm 700 \
    --daemonize yes --pidfile "$rdir/redis.pid" --dir "$rdir" --logfile "$rdir/redis.log" \
    --save '' --appendonly "$aof" --maxmemory-policy noeviction >/dev/null
  local tries=100
  until redis-cli -s "$rdir/redis.sock" ping 2>/dev/null | grep -q PONG; do
    tries=$((tries - 1))
    [ "$tries" -gt 0 ] || { tail -n 20 "$rdir/redis.log" >&2; return 1; }
    sleep 0.05
  done
}

redis_stop() {
  local pidfile=$1/redis/redis.pid pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  kill "$pid" 2>/dev/null || true
  wait_gone "$pid" || kill -9 "$pid" 2>/dev/null || true
  rm -f "$pidfile"
}

redis_url() { echo "unix://$1/redis/redis.sock"; }

# A free TCP port on 127.0.0.1 (the benchmarks' private services).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
