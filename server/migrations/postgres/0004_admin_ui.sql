-- PostgreSQL twin of ../sqlite/0004. PostgreSQL 15 has stored generated columns only.
ALTER TABLE users ADD COLUMN name_norm TEXT COLLATE "C"
    GENERATED ALWAYS AS (lower(trim(first_name || ' ' || last_name))) STORED;
CREATE INDEX users_account_name ON users (account_id, name_norm, id);
CREATE INDEX users_account_last_name ON users (account_id, lower(last_name));
CREATE INDEX users_account_status ON users (account_id, status, user_name_norm);
CREATE INDEX users_account_source ON users (account_id, source, user_name_norm);
