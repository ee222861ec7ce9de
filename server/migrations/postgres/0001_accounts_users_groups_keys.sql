-- PostgreSQL twin of ../sqlite/0001 (same version numbers, same tables and index names).
-- Text is COLLATE "C" throughout (every column): bytewise order, as SQLite's BINARY, so that keyset paging,
-- sorting and prefix ranges behave the same on both engines and use plain btree indexes
-- whatever the database's locale. Integers are BIGINT (Rust i64); flags are BOOLEAN.
-- Timestamps stay fixed-width UTC text 'YYYY-MM-DDTHH:MM:SS.mmmZ' (sortable, engine-neutral).

CREATE TABLE accounts (
    id          TEXT COLLATE "C" PRIMARY KEY,
    name        TEXT COLLATE "C" NOT NULL,
    created_at  TEXT COLLATE "C" NOT NULL
);

CREATE TABLE users (
    id             TEXT COLLATE "C" PRIMARY KEY,
    account_id     TEXT COLLATE "C" NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    user_name      TEXT COLLATE "C" NOT NULL,
    user_name_norm TEXT COLLATE "C" NOT NULL,
    email          TEXT COLLATE "C",
    email_norm     TEXT COLLATE "C",
    first_name     TEXT COLLATE "C" NOT NULL DEFAULT '',
    last_name      TEXT COLLATE "C" NOT NULL DEFAULT '',
    password_hash  TEXT COLLATE "C",
    status         TEXT COLLATE "C" NOT NULL CHECK (status IN ('invited', 'active', 'suspended')),
    source         TEXT COLLATE "C" NOT NULL CHECK (source IN ('manual', 'idp')),
    external_id    TEXT COLLATE "C",
    auth_epoch     BIGINT NOT NULL DEFAULT 0,
    created_at     TEXT COLLATE "C" NOT NULL,
    updated_at     TEXT COLLATE "C" NOT NULL,
    last_login_at  TEXT COLLATE "C"
);
CREATE UNIQUE INDEX users_account_user_name ON users (account_id, user_name_norm);
CREATE UNIQUE INDEX users_account_email ON users (account_id, email_norm);
CREATE INDEX users_email ON users (email_norm);

CREATE TABLE user_groups (
    id          TEXT COLLATE "C" PRIMARY KEY,
    account_id  TEXT COLLATE "C" NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name        TEXT COLLATE "C" NOT NULL,
    name_norm   TEXT COLLATE "C" NOT NULL,
    builtin     TEXT COLLATE "C" CHECK (builtin IN ('account_admin')),
    source      TEXT COLLATE "C" NOT NULL CHECK (source IN ('manual', 'idp')),
    external_id TEXT COLLATE "C",
    created_at  TEXT COLLATE "C" NOT NULL,
    updated_at  TEXT COLLATE "C" NOT NULL
);
CREATE UNIQUE INDEX user_groups_account_name ON user_groups (account_id, name_norm);
CREATE UNIQUE INDEX user_groups_account_builtin ON user_groups (account_id, builtin) WHERE builtin IS NOT NULL;

CREATE TABLE group_members (
    group_id  TEXT COLLATE "C" NOT NULL REFERENCES user_groups(id) ON DELETE CASCADE,
    user_id   TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    added_at  TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id);

CREATE TABLE api_keys (
    id            TEXT COLLATE "C" PRIMARY KEY,
    account_id    TEXT COLLATE "C" NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name          TEXT COLLATE "C" NOT NULL,
    secret_sha256 TEXT COLLATE "C" NOT NULL,
    created_by    TEXT COLLATE "C",
    created_at    TEXT COLLATE "C" NOT NULL,
    expires_at    TEXT COLLATE "C",
    revoked_at    TEXT COLLATE "C",
    last_used_at  TEXT COLLATE "C"
);
CREATE INDEX api_keys_account ON api_keys (account_id, created_at);

CREATE TABLE api_key_groups (
    api_key_id TEXT COLLATE "C" NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
    group_id   TEXT COLLATE "C" NOT NULL REFERENCES user_groups(id) ON DELETE CASCADE,
    PRIMARY KEY (api_key_id, group_id)
);
CREATE INDEX api_key_groups_group ON api_key_groups (group_id);
