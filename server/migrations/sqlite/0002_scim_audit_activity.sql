-- SCIM: versions for ETags, lookups IdPs make, the audit log and the provisioning activity log.

ALTER TABLE users ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
-- The IdP's `emails` as sent (value, type, primary), so they round-trip; NULL = none sent.
ALTER TABLE users ADD COLUMN emails_json TEXT;
ALTER TABLE user_groups ADD COLUMN version INTEGER NOT NULL DEFAULT 1;

-- Entra and Okta look users up by externalId, groups by displayName (name_norm) and externalId.
CREATE INDEX users_account_external ON users (account_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX user_groups_account_external ON user_groups (account_id, external_id) WHERE external_id IS NOT NULL;
-- Stable paging in id order (UUID v7 ids grow with time).
CREATE INDEX users_account_id ON users (account_id, id);

-- Who did what to whom, for the audit log page.
CREATE TABLE audit_events (
    id           INTEGER PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    at           TEXT NOT NULL,
    actor_kind   TEXT NOT NULL CHECK (actor_kind IN ('user', 'api_key', 'system')),
    actor_id     TEXT,
    actor_label  TEXT NOT NULL,
    action       TEXT NOT NULL,            -- e.g. user.provisioned, user.email_changed, group.members_changed
    target_kind  TEXT,
    target_id    TEXT,
    target_label TEXT,
    detail       TEXT NOT NULL DEFAULT '' -- human-readable; never a secret
);
CREATE INDEX audit_events_account ON audit_events (account_id, id DESC);
CREATE INDEX audit_events_target ON audit_events (account_id, target_id, id DESC);

-- Every SCIM request, for the provisioning activity page. Bounded by age and count.
CREATE TABLE scim_requests (
    id            INTEGER PRIMARY KEY,
    account_id    TEXT NOT NULL,           -- as in the URL; no foreign key: unknown accounts are recorded too
    at            TEXT NOT NULL,
    method        TEXT NOT NULL,
    path          TEXT NOT NULL,
    status        INTEGER NOT NULL,
    outcome       TEXT NOT NULL CHECK (outcome IN ('success', 'client_error', 'server_error')),
    duration_us   INTEGER NOT NULL,
    user_agent    TEXT,
    api_key_id    TEXT,
    resource_type TEXT,
    resource_id   TEXT,
    detail        TEXT                     -- the error detail we answered
);
CREATE INDEX scim_requests_account ON scim_requests (account_id, id DESC);
CREATE INDEX scim_requests_at ON scim_requests (at);
