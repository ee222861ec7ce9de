"""Bulk-loads N users into a Rollcall account (benchmarks only; 1 in 3 active, 1 in 50
suspended, 1 in 7 manual, five first names): one INSERT ... SELECT in one transaction, on
SQLite (a recursive CTE) or PostgreSQL (generate_series, through psql).
Usage: seed.py DATABASE ACCOUNT_ID N   (DATABASE: a SQLite file path or a postgres:// URL)
USER_NAMES=first.last (environment): userNames and addresses "grace.user7@bench.example", as
most directories have them (a first-name search then matches as many userNames as names);
otherwise "user7@bench.example"."""
import os
import subprocess
import sys
import time

target, account, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
# The users were counted into one paging range by the trigger; cut it into ranges of 512 as
# migration 0010 does for existing users (the server would otherwise cut it at the first
# create into it, in one long write).
RANGES = """DELETE FROM user_pages WHERE account_id = '{a}';
INSERT INTO user_pages (account_id, first_id, n)
SELECT account_id, CASE WHEN rn = 1 THEN '' ELSE id END, {least}(512, total - rn + 1)
FROM (SELECT account_id, id, row_number() OVER (ORDER BY id) AS rn, count(*) OVER () AS total
      FROM users WHERE account_id = '{a}') AS numbered
WHERE (rn - 1) % 512 = 0;"""
start = time.time()
COLUMNS = """id, account_id, user_name, user_name_norm, email, email_norm, first_name, last_name,
             status, source, created_at, updated_at"""
FIRST = "CASE i % 5 WHEN 0 THEN 'Ada' WHEN 1 THEN 'Grace' WHEN 2 THEN 'Linus' WHEN 3 THEN 'Margaret' ELSE 'Alan' END"
FIRST_LAST = os.environ.get("USER_NAMES") == "first.last"
REST = FIRST + """,
          {last},
          CASE WHEN i % 50 = 0 THEN 'suspended' WHEN i % 3 = 0 THEN 'active' ELSE 'invited' END,
          CASE WHEN i % 7 = 0 THEN 'manual' ELSE 'idp' END,
          '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'"""
if target.startswith("postgres"):
    if "'" in account:
        sys.exit("bad account id")
    mail = "'user' || i || '@bench.example'"
    if FIRST_LAST:
        mail = f"lower({FIRST}) || '.' || {mail}"
    # The paging-range trigger would update one row a million times in one transaction (on
    # PostgreSQL each update is a new version of it: the load took > 40 min); the ranges are
    # cut afresh below anyway.
    sql = f"""
        ALTER TABLE users DISABLE TRIGGER user_pages_insert;
        INSERT INTO users ({COLUMNS})
        SELECT '00000000-0000-7000-8000-' || lpad(i::text, 12, '0'), '{account}',
               {mail}, {mail}, {mail}, {mail},
               {REST.format(last="'User ' || i")}
        FROM generate_series(1, {n}) AS i;
        ALTER TABLE users ENABLE TRIGGER user_pages_insert;"""
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", target, "-c", sql], check=True)
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", target, "-c", RANGES.format(a=account, least="least")], check=True)
    # As a live table would be: vacuumed (the visibility map lets index-only scans skip the
    # heap) and analysed; otherwise autovacuum does it during the first measurements.
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", target, "-c", "VACUUM ANALYZE"], check=True)
else:
    import sqlite3

    db = sqlite3.connect(target)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    mail = "printf('user%d@bench.example', i)"
    if FIRST_LAST:
        mail = f"lower({FIRST}) || '.' || {mail}"
    with db:
        db.execute(
            f"""
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
            INSERT INTO users ({COLUMNS})
            SELECT printf('00000000-0000-7000-8000-%012d', i), ?, {mail}, {mail}, {mail}, {mail},
                   {REST.format(last="printf('User %d', i)")}
            FROM n
            """,
            (n, account),
        )
    with db:
        db.executescript(RANGES.format(a=account, least="min"))
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.execute("ANALYZE")
print(f"seeded {n} users in {time.time() - start:.1f} s")
