-- PostgreSQL twin of ../sqlite/0016: the search columns' matches with what a merged part of the
-- Users page checks (its order, status, source); userNames that do not start with the name's
-- first word; addresses that differ from the userName.
CREATE INDEX users_account_user_name_own ON users (account_id, user_name_norm, id) INCLUDE (name_norm, status, source)
    WHERE NOT (name_head <> '' AND substr(user_name_norm, 1, length(name_head)) = name_head);
DROP INDEX users_account_name_head;
CREATE INDEX users_account_name_head ON users (account_id, name_head, user_name_norm, id) INCLUDE (name_norm, status, source);
DROP INDEX users_account_name_head_id;
CREATE INDEX users_account_name_head_id ON users (account_id, name_head, id) INCLUDE (user_name_norm, name_norm, status, source);
DROP INDEX users_account_name;
CREATE INDEX users_account_name ON users (account_id, name_norm, id) INCLUDE (status, source, user_name_norm);
CREATE INDEX users_account_email_own ON users (account_id, email_norm) INCLUDE (user_name_norm, name_norm, id, status, source)
    WHERE email_norm <> user_name_norm;
DROP INDEX users_account_last_name;
CREATE INDEX users_account_last_name ON users (account_id, lower(last_name)) INCLUDE (user_name_norm, name_norm, id, status, source);
