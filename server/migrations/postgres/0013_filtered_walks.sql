-- PostgreSQL twin of ../sqlite/0013: the creation and name orders carry status and source, so
-- a filtered walk of either order can be answered from the index.
DROP INDEX users_account_id;
CREATE INDEX users_account_id ON users (account_id, id) INCLUDE (status, source);
DROP INDEX users_account_name;
CREATE INDEX users_account_name ON users (account_id, name_norm, id) INCLUDE (status, source);
