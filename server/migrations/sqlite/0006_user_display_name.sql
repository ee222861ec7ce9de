-- The SCIM displayName of a user as the identity provider sent it (NULL: derived from the
-- name, else the e-mail or userName, when rendered).
ALTER TABLE users ADD COLUMN display_name TEXT;
