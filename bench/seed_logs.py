"""Fills an account's two logs for the log-page benchmarks: ACTIVITY rows of provisioning
activity (default 200,000) and AUDIT audit events (default 1,000,000), with the mix a busy IdP
leaves: mostly successful lookups, some writes, few failures, very few of the rarest kinds
(a DELETE in 1,000 requests, one SSO change in 100,000 events). One INSERT ... SELECT per
table, on SQLite (a recursive CTE) or PostgreSQL (generate_series, through psql).
Usage: seed_logs.py DATABASE ACCOUNT_ID [ACTIVITY [AUDIT]]"""
import subprocess
import sys
import time

target, account = sys.argv[1], sys.argv[2]
activity = int(sys.argv[3]) if len(sys.argv) > 3 else 200_000
audit = int(sys.argv[4]) if len(sys.argv) > 4 else 1_000_000
if "'" in account:
    sys.exit("bad account id")
start = time.time()

# Expressions of i shared by both engines (|| concatenates text on both).
ACTIVITY = f"""
INSERT INTO scim_requests (account_id, at, method, path, status, outcome, duration_us, user_agent,
                           resource_type, resource_id, detail)
SELECT '{account}', '2026-01-01T00:00:00.000Z',
       CASE WHEN i % 1000 = 7 THEN 'DELETE' WHEN i % 100 < 80 THEN 'GET' WHEN i % 100 < 92 THEN 'PATCH'
            WHEN i % 100 < 98 THEN 'POST' ELSE 'PUT' END,
       '/scim/account/{account}/Users?filter=userName eq "user' || i || '@bench.example"',
       CASE WHEN i % 500 = 3 THEN 409 ELSE 200 END,
       CASE WHEN i % 500 = 3 THEN 'client_error' ELSE 'success' END,
       900, 'OneLogin SCIM',
       CASE WHEN i % 100 < 80 AND i % 1000 <> 7 THEN NULL WHEN i % 100 = 85 THEN 'Group' ELSE 'User' END,
       NULL,
       CASE WHEN i % 500 = 3 THEN 'userName is already taken' ELSE NULL END
FROM n"""
AUDIT = f"""
INSERT INTO audit_events (account_id, at, actor_kind, actor_id, actor_label, action, target_kind,
                          target_id, target_label, detail)
SELECT '{account}', '2026-01-01T00:00:00.000Z',
       CASE WHEN i % 20 = 0 THEN 'user' WHEN i % 1000 = 1 THEN 'system' ELSE 'api_key' END,
       NULL, 'bench',
       CASE WHEN i % 100000 = 5 THEN 'sso.configured' WHEN i % 10000 = 9 THEN 'api_key.created'
            WHEN i % 20 = 0 THEN 'session.login' WHEN i % 33 = 2 THEN 'group.member_added'
            WHEN i % 3 = 0 THEN 'user.provisioned' ELSE 'user.updated' END,
       'user', NULL, 'user' || i || '@bench.example', ''
FROM n"""
if target.startswith("postgres"):
    for sql, count in ((ACTIVITY, activity), (AUDIT, audit)):
        sql = sql.replace("FROM n", f"FROM generate_series(1, {count}) AS i")
        subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", target, "-c", sql], check=True)
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", target, "-c", "VACUUM ANALYZE scim_requests, audit_events"], check=True)
else:
    import sqlite3

    db = sqlite3.connect(target, timeout=30)
    db.execute("PRAGMA journal_mode=WAL")
    for sql, count in ((ACTIVITY, activity), (AUDIT, audit)):
        with db:
            db.execute(f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {count}) {sql}")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
print(f"seeded {activity} activity rows and {audit} audit events in {time.time() - start:.1f} s")
