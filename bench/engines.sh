#!/usr/bin/env bash
# `make bench` (second part): creates and lookups at USERS users (default 1,000,000) on each
# engine, one after the other on this machine: SQLite (one server), PostgreSQL with one server,
# PostgreSQL with two replicas sharing the 16 clients. Each run starts from a new database.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for cfg in "sqlite 1" "postgres 1" "postgres 2"; do
  set -- $cfg
  echo "=== $1, $2 server(s)" >&2
  ENGINE=$1 REPLICAS=$2 PHASES="create lookup" bench/run.sh > "$out/$1-$2.txt"
done
echo
echo "engines (16 clients, ${SECONDS_EACH:-15}s each, ${USERS:-1000000} seeded users):"
printf '  %-22s %s\n' "engine" "creates/s, p50, p99 | lookups/s, p50, p99"
for cfg in "sqlite 1" "postgres 1" "postgres 2"; do
  set -- $cfg
  c=$(grep '^  creates/s' "$out/$1-$2.txt" | awk '{print $2", "$4", "$6" (non-2xx "$8")"}')
  l=$(grep '^  lookups/s' "$out/$1-$2.txt" | awk '{print $2", "$4", "$6}')
  printf '  %-22s %s | %s\n' "$1 x$2" "$c" "$l"
done
