-- The administrator's Users page at any size: sort by name, filter by status or source,
-- search by e-mail / userName, full name or last name; each is an index range, never a scan.
ALTER TABLE users ADD COLUMN name_norm TEXT
    GENERATED ALWAYS AS (lower(trim(first_name || ' ' || last_name))) VIRTUAL;
CREATE INDEX users_account_name ON users (account_id, name_norm, id);
CREATE INDEX users_account_last_name ON users (account_id, lower(last_name));
CREATE INDEX users_account_status ON users (account_id, status, user_name_norm);
CREATE INDEX users_account_source ON users (account_id, source, user_name_norm);
