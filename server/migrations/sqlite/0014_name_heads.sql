-- Issue 13: the Users page in e-mail order, searched by a first name many users share.
--
-- `name_head` is the full name's first word (`name_norm` up to its first space). A search term
-- without a space starts the full name exactly when it starts that word, so the users a common
-- first-name term matches are the entries of a few heads ("grace", "gracelyn"), and each head's
-- entries here are in e-mail order: the page is the first entries of each head, merged. Before,
-- the page walked the whole e-mail order and read each user's row to check the name: 346 ms
-- for `q=grace` at 1M users when the first 90,000 addresses belonged to other names.
-- Status and source are in both indexes so a filtered walk checks them on the index entry.
ALTER TABLE users ADD COLUMN name_head TEXT
    GENERATED ALWAYS AS (substr(name_norm, 1, instr(name_norm || ' ', ' ') - 1)) VIRTUAL;
CREATE INDEX users_account_name_head ON users (account_id, name_head, user_name_norm, id, status, source);
-- The same in creation order (`q=grace&sort=-created`: 428 ms, the newest users first).
CREATE INDEX users_account_name_head_id ON users (account_id, name_head, id, status, source);
