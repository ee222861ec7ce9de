-- Issue 13: the Provisioning Activity and Audit Log pages stay fast with any filter.
--
-- Both pages list an account's newest entries matching a filter (`ORDER BY id DESC LIMIT 50`).
-- Walking the account index and skipping non-matching rows is fast while matches are common,
-- and reads the whole account when they are rare (failures among 200,000 successful lookups,
-- one DELETE in thousands of GETs): each filter gets an index in id order, so the walk reads
-- only matching rows whatever the mix.

-- Failures are found in their own (partial) index, successes in theirs: each row is in one.
CREATE INDEX scim_requests_failed ON scim_requests (account_id, id DESC) WHERE outcome <> 'success';
CREATE INDEX scim_requests_succeeded ON scim_requests (account_id, id DESC) WHERE outcome = 'success';
CREATE INDEX scim_requests_method ON scim_requests (account_id, method, id DESC);
CREATE INDEX scim_requests_resource ON scim_requests (account_id, resource_type, id DESC);
-- Resource and method together (an IdP's GETs of groups among its many GETs of users).
CREATE INDEX scim_requests_resource_method ON scim_requests (account_id, resource_type, method, id DESC);

-- The audit category is the action's prefix (`user.suspended` → `user`): a column of its own
-- (computed, never written) so that one category is one index range in id order.
ALTER TABLE audit_events ADD COLUMN category TEXT
    GENERATED ALWAYS AS (substr(action, 1, instr(action, '.') - 1)) VIRTUAL;
-- Category alone, actor kind alone, both.
CREATE INDEX audit_events_category ON audit_events (account_id, category, id DESC);
CREATE INDEX audit_events_category_actor ON audit_events (account_id, category, actor_kind, id DESC);
CREATE INDEX audit_events_actor ON audit_events (account_id, actor_kind, id DESC);
