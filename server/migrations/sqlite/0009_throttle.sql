-- Log-in and password-reset throttling windows, in the database so that every process serving
-- it (and, with PostgreSQL, every replica) counts the same attempts, and a restart does not
-- reset them. A key is a hash of what is counted (e.g. "login:<e-mail>|<address>"), so an
-- attacker's megabyte-long e-mail costs 32 characters here.
CREATE TABLE throttle (
    key          TEXT PRIMARY KEY,     -- hex of the first 16 bytes of SHA-256(what is counted)
    window_start INTEGER NOT NULL,     -- Unix seconds the current window began
    hits         INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX throttle_window ON throttle (window_start);
