-- "Test sign-on" (issue 11): an administrator runs a real round trip through the IdP before
-- switching SSO on. A test request can only be answered by the test report (never a session),
-- and a real log-in can never use a test request's id.
ALTER TABLE saml_requests ADD COLUMN test INTEGER NOT NULL DEFAULT 0 CHECK (test IN (0, 1));
ALTER TABLE saml_attempts ADD COLUMN test INTEGER NOT NULL DEFAULT 0 CHECK (test IN (0, 1));
