-- Accounts, the people in them, their user groups and the API keys that act for them.
-- Timestamps are UTC text 'YYYY-MM-DDTHH:MM:SS.mmmZ' (sortable as text).

CREATE TABLE accounts (
    id          TEXT PRIMARY KEY,            -- 22 random base62 characters
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,          -- UUID v7, never reused
    account_id    TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    user_name     TEXT NOT NULL,             -- the SCIM userName as given (normally the e-mail)
    user_name_norm TEXT NOT NULL,            -- lower-cased: uniqueness and `userName eq` lookups
    email         TEXT,                      -- where invites go and what people log in with
    email_norm    TEXT,                      -- lower-cased
    first_name    TEXT NOT NULL DEFAULT '',
    last_name     TEXT NOT NULL DEFAULT '',
    password_hash TEXT,                      -- argon2id PHC string; NULL until sign-up
    status        TEXT NOT NULL CHECK (status IN ('invited', 'active', 'suspended')),
    source        TEXT NOT NULL CHECK (source IN ('manual', 'idp')),
    external_id   TEXT,
    -- Bumped to end every session of the user at once (suspension, password change).
    auth_epoch    INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    last_login_at TEXT
);
CREATE UNIQUE INDEX users_account_user_name ON users (account_id, user_name_norm);
CREATE UNIQUE INDEX users_account_email ON users (account_id, email_norm);
CREATE INDEX users_email ON users (email_norm);   -- log-in looks a person up by e-mail alone

CREATE TABLE user_groups (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    name_norm   TEXT NOT NULL,
    -- 'account_admin' for the built-in Account Administrator group, NULL otherwise.
    builtin     TEXT CHECK (builtin IN ('account_admin')),
    source      TEXT NOT NULL CHECK (source IN ('manual', 'idp')),
    external_id TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX user_groups_account_name ON user_groups (account_id, name_norm);
CREATE UNIQUE INDEX user_groups_account_builtin ON user_groups (account_id, builtin) WHERE builtin IS NOT NULL;

CREATE TABLE group_members (
    group_id  TEXT NOT NULL REFERENCES user_groups(id) ON DELETE CASCADE,
    user_id   TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    added_at  TEXT NOT NULL,
    PRIMARY KEY (group_id, user_id)
) WITHOUT ROWID;
CREATE INDEX group_members_user ON group_members (user_id);

CREATE TABLE api_keys (
    id            TEXT PRIMARY KEY,          -- the public key id inside the token rc_<id>_<secret>
    account_id    TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    secret_sha256 TEXT NOT NULL,             -- hex SHA-256 of the secret; the token is never stored
    created_by    TEXT,                      -- user id, NULL when made with the CLI
    created_at    TEXT NOT NULL,
    expires_at    TEXT,
    revoked_at    TEXT,
    last_used_at  TEXT
);
CREATE INDEX api_keys_account ON api_keys (account_id, created_at);

-- The groups whose permissions a key inherits.
CREATE TABLE api_key_groups (
    api_key_id TEXT NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
    group_id   TEXT NOT NULL REFERENCES user_groups(id) ON DELETE CASCADE,
    PRIMARY KEY (api_key_id, group_id)
) WITHOUT ROWID;
CREATE INDEX api_key_groups_group ON api_key_groups (group_id);
