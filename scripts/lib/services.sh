# Shared by scripts/stack and tests/run: start and stop a private PostgreSQL cluster and Redis
# server in a folder, touching no system service. Source it; every function takes the folder.
#
# PostgreSQL refuses to run as root, so as root the cluster belongs to the `postgres` account
# (runuser); as anyone else it belongs to that user. Sockets live in the folder.

pg_bindir() { ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1; }

# Runs a command as the cluster's owner.
as_pg_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# Waits until a process is gone for real (a zombie still answers kill -0).
wait_gone() {
  local pid=$1 tries=${2:-100}
  while [ "$tries" -gt 0 ]; do
    local state
    state=$(awk '/^State:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
    [ -z "$state" ] || [ "$state" = Z ] && return 0
    sleep 0.05
    tries=$((tries - 1))
  done
  return 1
}

# pg_start DIR PORT [postgres -c options…]: initdb on first use, then start; waits until ready.
# Listens on DIR/pg/sock and, when PORT is not "socket-only", on 127.0.0.1:PORT.
pg_start() {
  local dir=$1 port=$2; shift 2
  local bin data sock
  bin=$(pg_bindir)
  data=$dir/pg/data
  sock=$dir/pg/sock
  mkdir -p "$dir/pg" "$sock"
  if [ "$(id -u)" -eq 0 ]; then
    chmod 755 "$dir" "$dir/pg"
    chown postgres: "$dir/pg" "$sock"
  fi
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
  as_pg_owner "$bin/pg_ctl" -D "$data" -l "$dir/pg/postgres.log" -w -t 30 -o "$opts" start >/dev/null ||
    { tail -n 20 "$dir/pg/postgres.log" >&2; return 1; }
}

pg_stop() {
  local dir=$1 bin
  bin=$(pg_bindir)
  [ -f "$dir/pg/data/PG_VERSION" ] || return 0
  as_pg_owner "$bin/pg_ctl" -D "$dir/pg/data" status >/dev/null 2>&1 || return 0
  as_pg_owner "$bin/pg_ctl" -D "$dir/pg/data" -m fast -w -t 30 stop >/dev/null
}

# The port the cluster in DIR listens on (its socket name carries it).
pg_port() {
  local s
  s=$(ls "$1"/pg/sock/.s.PGSQL.* 2>/dev/null | grep -v '\.lock$' | head -n 1)
  echo "${s##*.}"
}

pg_url() { echo "postgresql://pnptv@/${2:-pnptv}?host=$1/pg/sock&port=$(pg_port "$1")"; }

# pg_createdb DIR NAME: creates the database if missing.
pg_createdb() {
  local dir=$1 name=$2 port
  port=$(pg_port "$dir")
  if ! psql -h "$dir/pg/sock" -p "$port" -U pnptv -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$name'" | grep -q 1; then
    createdb -h "$dir/pg/sock" -p "$port" -U pnptv "$name"
  fi
}

# pg_migrate DIR NAME [deploy|revert|verify] [extra sqitch args]: runs sqitch on db/ against it.
pg_migrate() {
  local dir=$1 name=$2 action=${3:-deploy}; shift 3 || shift $#
  local repo
  repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  PGHOST="$dir/pg/sock" PGPORT=$(pg_port "$dir") PGUSER=pnptv \
    sqitch --quiet -C "$repo/db" "$action" "$@" "db:pg:$name"
}

# redis_start DIR PORT [persist]: a Redis on DIR/redis/redis.sock (and 127.0.0.1:PORT unless
# PORT is "socket-only"); "persist" turns on AOF so sessions survive a restart. Never evicts:
# sessions and the guard's records must not vanish under memory pressure (writes fail instead).
redis_start() {
  local dir=$1 port=$2 persist=${3:-}
  local rdir=$dir/redis
  mkdir -p "$rdir"
  if [ -f "$rdir/redis.pid" ] && kill -0 "$(cat "$rdir/redis.pid")" 2>/dev/null; then return 0; fi
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
