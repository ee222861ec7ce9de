#!/usr/bin/env bash
# `make bench`: SCIM throughput and latency of the release binary with 16 concurrent clients
# (wrk, 2 threads) on a database seeded with USERS users (default 1,000,000).
# ENGINE=postgres runs it on a new PostgreSQL server (scripts/pg-temp.sh, PostgreSQL's default
# durability settings); REPLICAS=2 (PostgreSQL) starts two servers on that database and splits
# the 16 clients between them (one wrk per replica, 8 connections each; the figures are summed,
# the latencies are the worse replica's).
# USER_NAMES=first.last seeds userNames "grace.user7@bench.example" (bench/seed.py), as most
# directories have them, for the Users page; the lookup phase then finds no one (it asks for
# "user7@bench.example").
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
USERS=${USERS:-1000000}
SECONDS_EACH=${SECONDS_EACH:-15}
ACTIVITY_ROWS=${ACTIVITY_ROWS:-200000}
AUDIT_EVENTS=${AUDIT_EVENTS:-1000000}
ENGINE=${ENGINE:-sqlite}
REPLICAS=${REPLICAS:-1}
bin=target/release/rollcall
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  if [ "$ENGINE" = postgres ]; then scripts/pg-temp.sh stop "$work/pg"; fi
  [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
case "$ENGINE" in
  sqlite)
    [ "$REPLICAS" = 1 ] || { echo "REPLICAS>1 needs ENGINE=postgres" >&2; exit 2; }
    export ROLLCALL_DATABASE_URL="sqlite://$work/bench.db"
    seed_target="$work/bench.db"
    sql() { python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])" "$work/bench.db" "$1"; }
    sql_write() { python3 -c "import sqlite3,sys; db = sqlite3.connect(sys.argv[1], timeout=30); db.execute(sys.argv[2]); db.commit()" "$work/bench.db" "$1"; }
    ;;
  postgres)
    ROLLCALL_DATABASE_URL=$(scripts/pg-temp.sh start "$work/pg")
    export ROLLCALL_DATABASE_URL
    seed_target=$ROLLCALL_DATABASE_URL
    sql() { psql -tA "$ROLLCALL_DATABASE_URL" -c "$1"; }
    sql_write() { psql -q -v ON_ERROR_STOP=1 "$ROLLCALL_DATABASE_URL" -c "$1"; }
    ;;
  *) echo "ENGINE is sqlite or postgres" >&2; exit 2 ;;
esac
account=$("$bin" account create --name Bench)
export TOKEN=$("$bin" api-key create --account "$account" --name bench)
ROLLCALL_PASSWORD=copper-lantern-river-77 "$bin" admin create --account "$account" --email bench-admin@bench.example >/dev/null
export USERS
echo "work dir: $work" >&2
python3 bench/seed.py "$seed_target" "$account" "$USERS"
urls=()
for k in $(seq 1 "$REPLICAS"); do
  ROLLCALL_ACTIVITY_MAX_ROWS=100000000 ROLLCALL_LOG=warn "$bin" serve --listen 127.0.0.1:0 > "$work/stdout.$k" 2> "$work/stderr.$k" &
  pids+=($!)
  u=""
  for _ in $(seq 1 300); do u=$(sed -n 's/^Rollcall listening on //p' "$work/stdout.$k"); [ -n "$u" ] && break; sleep 0.1; done
  [ -n "$u" ] || { echo "server $k did not start:" >&2; cat "$work/stderr.$k" >&2; exit 1; }
  urls+=("$u")
done
url=${urls[0]}
# The bench administrator's session cookie, for the server-rendered pages.
admin_cookie() {
  curl -s -o /dev/null -D - -X POST -H "Origin: $url" --data "email=bench-admin%40bench.example&password=copper-lantern-river-77" "$url/api/login" \
    | sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\).*/\1/p' | tail -1
}
base="$url/scim/account/$account"
run() {
  if [ "$REPLICAS" = 1 ]; then
    wrk -t2 -c16 -d"${SECONDS_EACH}s" --latency -s "bench/$1.lua" "$base" | tee "$work/$1.out"
    return
  fi
  local k=0 wrks=()
  for u in "${urls[@]}"; do
    k=$((k + 1))
    BENCH_SEED=$k wrk -t1 -c$((16 / REPLICAS)) -d"${SECONDS_EACH}s" --latency -s "bench/$1.lua" "$u/scim/account/$account" > "$work/$1.out.$k" &
    wrks+=($!)
  done
  wait "${wrks[@]}"
  cat "$work/$1.out".* >&2
  # Summed throughput and request counts; the worse replica's percentiles (ms).
  awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /Requests\/sec/ { rps += $2 }
    /requests in/ { n += $1 }
    /non-2xx/ { bad += $2 }
    $1 == "50%" { if (ms($2) > p50) p50 = ms($2) }
    $1 == "99%" { if (ms($2) > p99) p99 = ms($2) }
    END {
      printf "  %d requests in (all replicas)\n", n
      printf "Requests/sec: %.2f\n", rps
      printf "     50%%  %.2fms\n     99%%  %.2fms\n", p50, p99
      printf "non-2xx/3xx: %d\n", bad
    }' "$work/$1.out".* | tee "$work/$1.out"
}
# The Users page first, on the users as seeded (the creates add 45,000 more at the front of the
# e-mail order, none of which match a search term).
PHASES=${PHASES:-ui create lookup paging toggle group bulk activity logs hangup}
for phase in $PHASES; do
  case $phase in
    create) echo "== POST /Users (creates)" ;;
    lookup) echo "== GET /Users?filter=userName eq … (lookups at $USERS users)" ;;
    toggle) echo "== PATCH /Users/{id} active toggles" ;;
    activity) echo "== Provisioning activity: every answered request recorded?" ;;
    hangup) echo "== Hang-up storm: 16 clients abandon creates and patches (FIN/RST, 0-25 ms), 4 s" ;;
    ui) echo "== Users page, server-side rendered, as a logged-in administrator (4 clients)" ;;
    logs) echo "== Provisioning Activity ($ACTIVITY_ROWS rows) and Audit Log ($AUDIT_EVENTS events) pages with each filter (4 clients)" ;;
    paging) echo "== GET /Users?startIndex=N&count=100, N random up to $USERS (deep pages)" ;;
    group) echo "== A group of 100,000 members: GET it whole (4 clients), PATCH one member in or out (16)" ;;
    bulk) echo "== POST /Bulk of 1,000 creates vs 1,000 single POST /Users (one client)" ;;
  esac
  if [ "$phase" = activity ]; then
    sleep 1 # the recorder lingers up to 200 ms before it writes a batch
    answered=0
    for p in create lookup toggle; do [ -f "$work/$p.out" ] && answered=$(( answered + $(awk '/requests in/ {print $1}' "$work/$p.out") )); done
    dropped=0
    for e in "$work"/stderr.*; do
      d=$(sed -n 's/.*dropped=\([0-9]*\).*/\1/p' "$e" | tail -1)
      dropped=$(( dropped + ${d:-0} ))
    done
    echo "ACTIVITY rows $(sql 'select count(*) from scim_requests') for $answered answered requests; dropped ${dropped:-0}" | tee "$work/activity.out"
  elif [ "$phase" = group ]; then
    group_id=00000000-0000-7000-9000-000000000001
    sql_write "INSERT INTO user_groups (id, account_id, name, name_norm, source, created_at, updated_at, version) VALUES ('$group_id', '$account', 'Bench 100k', 'bench 100k', 'idp', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', 1)"
    sql_write "INSERT INTO group_members (group_id, user_id, added_at) SELECT '$group_id', id, '2026-01-01T00:00:00.000Z' FROM users WHERE account_id = '$account' AND id LIKE '00000000-0000-7000-8000-%' ORDER BY id LIMIT 100000"
    echo "members: $(sql "SELECT count(*) FROM group_members WHERE group_id = '$group_id'")"
    GROUP_ID=$group_id GROUP_OP=get wrk -t1 -c4 -d"${SECONDS_EACH}s" --latency -s bench/group.lua "$base" | tee "$work/group-get.out"
    GROUP_ID=$group_id GROUP_OP=patch wrk -t2 -c16 -d"${SECONDS_EACH}s" --latency -s bench/group.lua "$base" | tee "$work/group-patch.out"
  elif [ "$phase" = bulk ]; then
    python3 bench/bulk.py "$base" "$TOKEN" | tee "$work/bulk.out"
  elif [ "$phase" = hangup ]; then
    python3 bench/hangup.py "$base" "$TOKEN" "$USERS" | tee "$work/hangup.out" || echo "HANGUP the server did not recover (see above)" | tee -a "$work/hangup.out"
  elif [ "$phase" = ui ]; then
    cookie=$(admin_cookie)
    : > "$work/ui.out"
    for page in "/users" "/users?q=user12345" "/users?q=grace" "/users?q=grace&status=active" "/users?q=grace&status=suspended" "/users?q=grace&status=active&sort=name" "/users?status=suspended&sort=name" "/users?source=manual&sort=-created" "/users?q=grace&status=invited&sort=name" "/users?q=grace&status=invited&source=idp" "/users?q=grace&source=idp&sort=-name" "/users?status=active&sort=-created" "/users?q=grace&sort=name" "/users?q=grace&sort=-created" "/users?q=grace.&sort=name" "/users?q=new-&sort=name" "/users?status=suspended&source=manual&sort=name" "/users?q=grace&status=active&source=manual" "/users?q=grace%20u&status=active&source=manual&sort=-email" "/users?q=gr&status=suspended&source=idp&sort=created"; do
      MARKER="data-email=|No users match these filters" PAGE_PATH="$page" COOKIE="$cookie" wrk -t1 -c4 -d"${SECONDS_EACH}s" -s bench/ui.lua "$url" | tee -a "$work/ui.out"
    done
  elif [ "$phase" = logs ]; then
    python3 bench/seed_logs.py "$seed_target" "$account" "$ACTIVITY_ROWS" "$AUDIT_EVENTS"
    echo "activity rows: $(sql 'select count(*) from scim_requests'), audit events: $(sql 'select count(*) from audit_events')"
    cookie=$(admin_cookie)
    : > "$work/logs.out"
    # Every filter alone and the combinations whose matches are rarest in the seeded mix.
    for page in "/activity" "/activity?outcome=failure" "/activity?outcome=success" "/activity?method=DELETE" "/activity?resource=Group" \
        "/activity?method=GET&resource=Group" "/activity?outcome=failure&method=DELETE" "/activity?outcome=failure&method=PATCH&resource=Group"; do
      MARKER='data-id=|No SCIM requests match' PAGE_PATH="$page" COOKIE="$cookie" wrk -t1 -c4 -d"${SECONDS_EACH}s" -s bench/ui.lua "$url" | tee -a "$work/logs.out"
    done
    for page in "/audit" "/audit?category=sso" "/audit?category=api_key" "/audit?actor=system" "/audit?category=group&actor=system" "/audit?category=sso&actor=user" "/audit?category=session&actor=api_key"; do
      MARKER='data-action=|Nothing recorded yet' PAGE_PATH="$page" COOKIE="$cookie" wrk -t1 -c4 -d"${SECONDS_EACH}s" -s bench/ui.lua "$url" | tee -a "$work/logs.out"
    done
  else
    run "$phase"
  fi
  touch "$work/$phase.out"
done
for phase in create lookup paging toggle group-get group-patch bulk activity logs hangup ui; do touch "$work/$phase.out"; done
created=$(sql "select count(*) from users where user_name like 'new-%'")
echo
echo "summary ($ENGINE, $REPLICAS server(s), 16 clients, ${SECONDS_EACH}s each, $USERS seeded users):"
printf '  creates/s       %s  p50 %s  p99 %s  non-2xx %s  (users created: %s)\n' "$(awk '/Requests\/sec/ {print $2}' "$work/create.out")" "$(awk '$1=="50%" {print $2}' "$work/create.out")" "$(awk '$1=="99%" {print $2}' "$work/create.out")" "$(awk '/non-2xx/ {print $2}' "$work/create.out")" "$created"
printf '  lookups/s       %s  p50 %s  p99 %s\n' "$(awk '/Requests\/sec/ {print $2}' "$work/lookup.out")" "$(awk '$1=="50%" {print $2}' "$work/lookup.out")" "$(awk '$1=="99%" {print $2}' "$work/lookup.out")"
printf '  deep pages/s    %s  p50 %s  p99 %s  non-2xx %s\n' "$(awk '/Requests\/sec/ {print $2}' "$work/paging.out")" "$(awk '$1=="50%" {print $2}' "$work/paging.out")" "$(awk '$1=="99%" {print $2}' "$work/paging.out")" "$(awk '/non-2xx/ {print $2}' "$work/paging.out")"
printf '  100k group GET/s %s  p50 %s  p99 %s;  member PATCH/s %s  p50 %s  p99 %s  non-2xx %s\n' "$(awk '/Requests\/sec/ {print $2}' "$work/group-get.out")" "$(awk '$1=="50%" {print $2}' "$work/group-get.out")" "$(awk '$1=="99%" {print $2}' "$work/group-get.out")" "$(awk '/Requests\/sec/ {print $2}' "$work/group-patch.out")" "$(awk '$1=="50%" {print $2}' "$work/group-patch.out")" "$(awk '$1=="99%" {print $2}' "$work/group-patch.out")" "$(awk '/non-2xx/ {print $2}' "$work/group-patch.out")"
sed 's/^BULK /  bulk /' "$work/bulk.out"
printf '  active toggles/s %s  p50 %s  p99 %s  non-2xx %s\n' "$(awk '/Requests\/sec/ {print $2}' "$work/toggle.out")" "$(awk '$1=="50%" {print $2}' "$work/toggle.out")" "$(awk '$1=="99%" {print $2}' "$work/toggle.out")" "$(awk '/non-2xx/ {print $2}' "$work/toggle.out")"
sed 's/^ACTIVITY /  activity log /' "$work/activity.out"
sed 's/^HANGUP /  hang-up storm /' "$work/hangup.out"
grep '^UI ' "$work/ui.out" | sed 's/^UI /  users page /' || true
grep '^UI ' "$work/logs.out" | sed 's/^UI /  log page /' || true
wasm=target/site/pkg/rollcall_bg.wasm
[ -f "$wasm" ] && printf '  WASM (release)  %s KiB raw, %s KiB gzipped (gzip -9)\n' "$(( $(stat -c %s "$wasm") / 1024 ))" "$(( $(gzip -9 -c "$wasm" | wc -c) / 1024 ))"
