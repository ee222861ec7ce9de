-- PostgreSQL twin of ../sqlite/0008: "Test sign-on" requests and attempts.
ALTER TABLE saml_requests ADD COLUMN test BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE saml_attempts ADD COLUMN test BOOLEAN NOT NULL DEFAULT FALSE;
