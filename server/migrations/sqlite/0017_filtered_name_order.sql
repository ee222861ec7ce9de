-- Issue 13: the Users page with a filter, in name order.
--
-- Such a page walked the name index and kept the users the filters pass. Where those users'
-- names cluster (every suspended user an "Ada"), a walk from the other end passed every other
-- user first: `status=suspended&sort=-name` read 980,000 entries (113 ms at 1M users). Each
-- filter now has its users in name order, as it has them in e-mail order
-- (`users_account_status`) and in creation order (`users_account_status_id`); the other filter
-- is checked on the entry.
CREATE INDEX users_account_status_name ON users (account_id, status, name_norm, id, source);
CREATE INDEX users_account_source_name ON users (account_id, source, name_norm, id, status);
