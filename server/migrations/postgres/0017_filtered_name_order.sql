-- PostgreSQL twin of ../sqlite/0017: each filter's users in name order, the other filter on
-- the entry.
CREATE INDEX users_account_status_name ON users (account_id, status, name_norm, id) INCLUDE (source);
CREATE INDEX users_account_source_name ON users (account_id, source, name_norm, id) INCLUDE (status);
