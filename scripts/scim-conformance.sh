#!/usr/bin/env bash
# Runs scim2-tester (PyPI scim2-cli) against the real release binary on a fresh database and
# fails on any ERROR line. Used by `make test`.
#   scripts/scim-conformance.sh            one server on a new SQLite file
#   scripts/scim-conformance.sh replicas   two servers on one new PostgreSQL database behind a
#                                          round-robin balancer: consecutive requests of the
#                                          suite go to alternate replicas
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-sqlite}
bin=target/release/rollcall
work=$(mktemp -d)
pids=()
cleanup() {
  # serve() runs in a command substitution (a subshell): its servers' pids are in a file.
  [ -f "$work/pids" ] && while read -r p; do pids+=("$p"); done < "$work/pids"
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ "$mode" = replicas ] && scripts/pg-temp.sh stop "$work/pg"
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Starts `rollcall serve` with extra arguments; waits for its address.
serve() {
  local name=$1; shift
  "$bin" serve "$@" > "$work/$name.out" 2> "$work/$name.err" &
  echo $! >> "$work/pids"
  local url=""
  for _ in $(seq 1 100); do
    url=$(sed -n 's/^Rollcall listening on //p' "$work/$name.out")
    [ -n "$url" ] && break
    sleep 0.1
  done
  [ -n "$url" ] || { echo "server $name did not start:" >&2; cat "$work/$name.err" >&2; exit 1; }
  echo "$url"
}

case "$mode" in
  sqlite)
    export ROLLCALL_DATABASE_URL="sqlite://$work/rollcall.db"
    ;;
  replicas)
    ROLLCALL_DATABASE_URL=$(scripts/pg-temp.sh start "$work/pg" --fast)
    export ROLLCALL_DATABASE_URL
    ;;
  *) echo "usage: $0 [sqlite|replicas]" >&2; exit 2 ;;
esac
account=$("$bin" account create --name "Conformance")
token=$("$bin" api-key create --account "$account" --name "scim2-tester")
if [ "$mode" = sqlite ]; then
  url=$(serve server --listen 127.0.0.1:0)
else
  lb=$(free_port)
  public="http://127.0.0.1:$lb"
  a=$(serve a --listen 127.0.0.1:0 --public-url "$public")
  b=$(serve b --listen 127.0.0.1:0 --public-url "$public")
  python3 scripts/round-robin.py "$lb" "$work/served" "${a#http://}" "${b#http://}" &
  pids+=($!)
  for _ in $(seq 1 50); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $lb))" 2>/dev/null && break
    sleep 0.1
  done
  url=$public
fi
# The token goes through the environment, not the command line.
SCIM_CLI_HEADERS="Authorization: Bearer $token" \
  .venv/bin/scim2 --url "$url/scim/account/$account" test > "$work/report" 2>&1 || true
successes=$(grep -c '^SUCCESS' "$work/report" || true)
errors=$(grep -cE '^(ERROR|CRITICAL)' "$work/report" || true)
label="scim2-tester ($mode)"
if [ "$errors" -ne 0 ] || [ "$successes" -eq 0 ]; then
  cat "$work/report" >&2
  echo "$label: $successes passed, $errors failed" >&2
  exit 1
fi
if [ "$mode" = replicas ]; then
  read -r -d '' served_a served_b < <(cat "$work/served"; printf '\0') || true
  if [ "${served_a:-0}" -eq 0 ] || [ "${served_b:-0}" -eq 0 ] ||
     [ $(( served_a - served_b )) -gt 1 ] || [ $(( served_b - served_a )) -gt 1 ]; then
    echo "$label: the replicas did not alternate (served $served_a and $served_b)" >&2
    exit 1
  fi
  echo "$label: $successes passed, $errors failed; replica A answered $served_a requests, B $served_b"
else
  echo "$label: $successes passed, $errors failed"
fi
