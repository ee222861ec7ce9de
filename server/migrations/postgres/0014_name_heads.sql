-- PostgreSQL twin of ../sqlite/0014: the full name's first word, and an index of each word's
-- users in e-mail order. A generated column cannot read another here, so it repeats
-- `name_norm`'s expression.
ALTER TABLE users ADD COLUMN name_head TEXT COLLATE "C"
    GENERATED ALWAYS AS (split_part(lower(trim(first_name || ' ' || last_name)), ' ', 1)) STORED;
CREATE INDEX users_account_name_head ON users (account_id, name_head, user_name_norm, id) INCLUDE (status, source);
CREATE INDEX users_account_name_head_id ON users (account_id, name_head, id) INCLUDE (status, source);
