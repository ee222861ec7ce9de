-- SAML single sign-on, per account (issue 11).

-- The identity provider an account trusts: its entity id, where to send people, and one or
-- two signing certificates (two during a rollover). No row = SSO not set up.
CREATE TABLE saml_configs (
    account_id    TEXT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    idp_entity_id TEXT NOT NULL,
    sso_url       TEXT NOT NULL,
    -- Base64 DER certificates, one per line.
    certificates  TEXT NOT NULL,
    enabled       INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    -- IdP-managed users may log in only by SSO (manual administrators keep passwords).
    enforced      INTEGER NOT NULL DEFAULT 0 CHECK (enforced IN (0, 1)),
    updated_at    TEXT NOT NULL
);

-- AuthnRequest ids we issued (SP-initiated): a Response's InResponseTo must be one, once.
CREATE TABLE saml_requests (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    expires_at  TEXT NOT NULL
);
CREATE INDEX saml_requests_expiry ON saml_requests (expires_at);

-- Assertion ids already consumed, until they expire (replay protection, IdP-initiated too).
CREATE TABLE saml_assertions (
    account_id    TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    assertion_id  TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    PRIMARY KEY (account_id, assertion_id)
);
CREATE INDEX saml_assertions_expiry ON saml_assertions (expires_at);

-- Recent sign-on attempts and why they failed (the SSO twin of Provisioning Activity).
CREATE TABLE saml_attempts (
    id          INTEGER PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    at          TEXT NOT NULL,
    success     INTEGER NOT NULL CHECK (success IN (0, 1)),
    name_id     TEXT,
    reason      TEXT NOT NULL
);
CREATE INDEX saml_attempts_account ON saml_attempts (account_id, id DESC);
