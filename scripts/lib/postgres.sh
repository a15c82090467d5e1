# A throwaway PostgreSQL cluster on loopback for scripts/test and scripts/bench: start_postgres installs Debian's
# postgresql when missing, runs initdb/pg_ctl as the postgres user (initdb refuses root), listens on 127.0.0.1 and a free
# port with a socket folder of its own, and exports CHARTE_POSTGRES_SERVER. The EXIT trap stops it and removes it.

as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_dir=""
pg_bin=""
stop_postgres() {
  if [ -n "$pg_dir" ] && [ -f "$pg_dir/data/postmaster.pid" ]; then
    as_postgres "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  [ -n "$pg_dir" ] && rm -rf "$pg_dir"
}
trap stop_postgres EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null || shuf -i 20000-60000 -n 1
}

start_postgres() {
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    echo "== install PostgreSQL (apt-get install postgresql)" >&2
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null || return 1
  fi
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  pg_dir=$(mktemp -d /tmp/charte-pg.XXXXXX)
  [ "$(id -u)" -eq 0 ] && chown postgres: "$pg_dir"
  local port
  port=$(free_port)
  echo "== start PostgreSQL $(basename "$(dirname "$pg_bin")") on 127.0.0.1:$port" >&2
  as_postgres "$pg_bin/initdb" -D "$pg_dir/data" -U postgres -A trust -E UTF8 --no-sync >"$pg_dir/initdb.log" 2>&1 || { cat "$pg_dir/initdb.log" >&2; return 1; }
  as_postgres "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $pg_dir -c max_connections=300" start >/dev/null || { cat "$pg_dir/server.log" >&2; return 1; }
  export CHARTE_POSTGRES_SERVER="Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres"
}

