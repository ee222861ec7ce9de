-- Issue 13: the Users page with a status and a source filter and a common search term.
--
-- Both filters read the status's index (userName order) and checked the source on each entry:
-- `q=grace&status=active&source=manual` (46,668 such users at 1M, 9,524 of them "grace")
-- walked 326,000 active users to count them and again to count the term among them (125-220 ms).
-- The pair of filters now has its own index in userName order, holding the search columns as
-- the single filters' indexes do: counts and walks read only the users both filters pass.
CREATE INDEX users_account_status_source ON users (account_id, status, source, user_name_norm, email_norm, name_norm, last_name);

-- Each filter's users in name order also hold the userName: a term's name range among them is
-- counted leaving out, on the entry, the users its userName range already counted ("grace u"
-- among manual users read every "Grace U…", 200,000, for the source on each; bounded by the
-- filter instead, each entry read a row for the userName).
DROP INDEX users_account_status_name;
CREATE INDEX users_account_status_name ON users (account_id, status, name_norm, id, source, user_name_norm);
DROP INDEX users_account_source_name;
CREATE INDEX users_account_source_name ON users (account_id, source, name_norm, id, status, user_name_norm);
