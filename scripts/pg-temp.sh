#!/usr/bin/env bash
# A throwaway PostgreSQL server for scripts (the conformance run on replicas, the benchmark):
#   scripts/pg-temp.sh start DIR [--fast]   initdb in DIR/data, serve on a free port, create the
#                                           database "rollcall"; prints its URL
#   scripts/pg-temp.sh stop DIR
# Debian's `postgresql` package (scripts/setup.sh installs it). PostgreSQL refuses to run as
# root, so under root the cluster belongs to the `postgres` OS user. --fast turns durability off
# (fsync, synchronous_commit) for test runs; without it the server keeps PostgreSQL's defaults.
set -euo pipefail
cmd=${1:?start or stop}
dir=${2:?a directory}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bin" ] || { echo "PostgreSQL is not installed: run make setup" >&2; exit 1; }
as_owner() {
  if [ "$(id -u)" = 0 ]; then setpriv --reuid postgres --regid postgres --clear-groups "$@"; else "$@"; fi
}
case "$cmd" in
  start)
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then
      chown postgres:postgres "$dir"
      # The postgres user must reach DIR (a mktemp folder is private to root).
      chmod o+x "$(dirname "$dir")"
    fi
    as_owner "$bin/initdb" -D "$dir/data" -A trust -U rollcall -E UTF8 --no-sync > "$dir/initdb.log"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    opts="-p $port -h 127.0.0.1 -k $dir -c max_connections=200"
    if [ "${3:-}" = "--fast" ]; then
      opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    fi
    as_owner "$bin/pg_ctl" -D "$dir/data" -o "$opts" -l "$dir/postgres.log" -w start > /dev/null
    as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U rollcall rollcall
    echo "postgres://rollcall@127.0.0.1:$port/rollcall"
    ;;
  stop)
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop > /dev/null 2>&1 || true
    ;;
  *) echo "usage: $0 start|stop DIR [--fast]" >&2; exit 2 ;;
esac
