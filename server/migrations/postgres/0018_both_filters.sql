-- PostgreSQL twin of ../sqlite/0018: the users both filters pass, in userName order, with the
-- search columns.
CREATE INDEX users_account_status_source ON users (account_id, status, source, user_name_norm, email_norm, name_norm, last_name);

-- Each filter's users in name order also hold the userName (see ../sqlite/0018).
DROP INDEX users_account_status_name;
CREATE INDEX users_account_status_name ON users (account_id, status, name_norm, id) INCLUDE (source, user_name_norm);
DROP INDEX users_account_source_name;
CREATE INDEX users_account_source_name ON users (account_id, source, name_norm, id) INCLUDE (status, user_name_norm);
