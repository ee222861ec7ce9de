-- Issue 13: the Users page with a status or source filter, at 1.2M users whose newest 210,000
-- are invited (`idp`).
--
-- Newest (or oldest) first, the page walked the creation order (`users_account_id`, which
-- holds status and source) and kept the users that pass: every newer user that does not pass
-- is an index entry to step over, ~0.5 µs each — `status=active&sort=-created` 146 ms p95. Each
-- filter's users in creation order are now an index of their own (the other filter on the
-- entry); new users are appended at the end of their range, so these cost a create little
-- (docs/benchmarks.md, fifth pass).
CREATE INDEX users_account_status_id ON users (account_id, status, id, source);
CREATE INDEX users_account_source_id ON users (account_id, source, id, status);
-- Both filters at once read one filter's index (e-mail order) and checked the other on the
-- user's row: `status=suspended&source=manual` read 24,000 rows to find 2,857 (17 → 1.7 ms
-- with the other filter on the entry).
DROP INDEX users_account_status;
CREATE INDEX users_account_status ON users (account_id, status, user_name_norm, email_norm, name_norm, last_name, source);
DROP INDEX users_account_source;
CREATE INDEX users_account_source ON users (account_id, source, user_name_norm, email_norm, name_norm, last_name, status);
