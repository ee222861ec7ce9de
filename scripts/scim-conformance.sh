#!/usr/bin/env bash
# Runs scim2-tester (PyPI scim2-cli) against the real release binary on a fresh database and
# fails on any ERROR line. Used by `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/release/rollcall
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
export ROLLCALL_DATABASE_URL="sqlite://$work/rollcall.db"
account=$("$bin" account create --name "Conformance")
token=$("$bin" api-key create --account "$account" --name "scim2-tester")
"$bin" serve --listen 127.0.0.1:0 > "$work/stdout" 2> "$work/stderr" &
pid=$!
for _ in $(seq 1 100); do
  url=$(sed -n 's/^Rollcall listening on //p' "$work/stdout")
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "${url:-}" ] || { echo "server did not start:" >&2; cat "$work/stderr" >&2; exit 1; }
# The token goes through the environment, not the command line.
SCIM_CLI_HEADERS="Authorization: Bearer $token" \
  .venv/bin/scim2 --url "$url/scim/account/$account" test > "$work/report" 2>&1 || true
successes=$(grep -c '^SUCCESS' "$work/report" || true)
errors=$(grep -cE '^(ERROR|CRITICAL)' "$work/report" || true)
if [ "$errors" -ne 0 ] || [ "$successes" -eq 0 ]; then
  cat "$work/report" >&2
  echo "scim2-tester: $successes passed, $errors failed" >&2
  exit 1
fi
echo "scim2-tester: $successes passed, $errors failed"
