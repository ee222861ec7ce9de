-- PostgreSQL twin of ../sqlite/0015: each filter's users in creation order, and the other
-- filter on the entry of each filter's e-mail-order index.
CREATE INDEX users_account_status_id ON users (account_id, status, id) INCLUDE (source);
CREATE INDEX users_account_source_id ON users (account_id, source, id) INCLUDE (status);
DROP INDEX users_account_status;
CREATE INDEX users_account_status ON users (account_id, status, user_name_norm, email_norm, name_norm, last_name) INCLUDE (source);
DROP INDEX users_account_source;
CREATE INDEX users_account_source ON users (account_id, source, user_name_norm, email_norm, name_norm, last_name) INCLUDE (status);
