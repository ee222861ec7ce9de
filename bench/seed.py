"""Bulk-loads N users into a Rollcall account (benchmarks only; 1 in 3 active, 1 in 50
suspended, 1 in 7 manual, five first names): one INSERT ... SELECT over a
recursive CTE, in one transaction. Usage: seed.py DB_PATH ACCOUNT_ID N"""
import sqlite3
import sys
import time

path, account, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
db = sqlite3.connect(path)
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA synchronous=OFF")
start = time.time()
with db:
    db.execute(
        """
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
        INSERT INTO users (id, account_id, user_name, user_name_norm, email, email_norm, first_name, last_name,
                           status, source, created_at, updated_at)
        SELECT printf('00000000-0000-7000-8000-%012d', i), ?, printf('user%d@bench.example', i),
               printf('user%d@bench.example', i), printf('user%d@bench.example', i), printf('user%d@bench.example', i),
               CASE i % 5 WHEN 0 THEN 'Ada' WHEN 1 THEN 'Grace' WHEN 2 THEN 'Linus' WHEN 3 THEN 'Margaret' ELSE 'Alan' END,
               printf('User %d', i),
               CASE WHEN i % 50 = 0 THEN 'suspended' WHEN i % 3 = 0 THEN 'active' ELSE 'invited' END,
               CASE WHEN i % 7 = 0 THEN 'manual' ELSE 'idp' END,
               '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'
        FROM n
        """,
        (n, account),
    )
db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
db.execute("ANALYZE")
print(f"seeded {n} users in {time.time() - start:.1f} s")
