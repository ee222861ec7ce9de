-- Issue 13: the Users page searched by a term common among userNames (`Plan::Merged`).
--
-- Directories whose userNames are "first.last@company" make a first-name term common in both
-- the names and the userNames: the page walked its whole sort order from "Ada" (> 2 s for
-- `q=grace` at 1M users). Each search column's matches are now read apart through an index
-- that holds what the page checks — its order, status and source — and merged; the rows are
-- read for the page only.
--
-- The userNames, in name or creation order: the users a term matches by userName and not by
-- name are those here — whose userName does not start with their full name's first word
-- (`name_head`) — and those whose first word is shorter than the term and starts it (read from
-- `users_account_name_head`). A "first.last@" directory has almost no users here; one whose
-- userNames are "jsmith" has them all, and a first-name term matches few of those.
CREATE INDEX users_account_user_name_own ON users (account_id, user_name_norm, id, name_norm, status, source)
    WHERE NOT (name_head <> '' AND substr(user_name_norm, 1, length(name_head)) = name_head);
-- The second kind, when few: read from the userName range of each such head and sorted; the
-- entries hold the full name for the order and for leaving out the name matches.
DROP INDEX users_account_name_head;
CREATE INDEX users_account_name_head ON users (account_id, name_head, user_name_norm, id, name_norm, status, source);
-- When many ("grace." matches the userName of every "grace.…@" Grace, and no name): each such
-- head's users are walked in the page's order, the userName checked on the entry — in
-- creation order here, in name order in the name index (a head's users are one range of it).
DROP INDEX users_account_name_head_id;
CREATE INDEX users_account_name_head_id ON users (account_id, name_head, id, user_name_norm, name_norm, status, source);
DROP INDEX users_account_name;
CREATE INDEX users_account_name ON users (account_id, name_norm, id, status, source, user_name_norm);
-- Addresses that differ from the userName: an equal one starts with the term exactly when the
-- userName does, so only these are read for the e-mail branch (identity providers send the same
-- value for both: this index is then empty).
CREATE INDEX users_account_email_own ON users (account_id, email_norm, user_name_norm, name_norm, id, status, source)
    WHERE email_norm <> user_name_norm;
-- Last names, with what a merged part checks.
DROP INDEX users_account_last_name;
CREATE INDEX users_account_last_name ON users (account_id, lower(last_name), user_name_norm, name_norm, id, status, source);
