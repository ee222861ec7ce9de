-- PostgreSQL twin of ../sqlite/0010 (see there for why).
DROP INDEX users_account_status;
CREATE INDEX users_account_status ON users (account_id, status, user_name_norm, email_norm, name_norm, last_name);
DROP INDEX users_account_source;
CREATE INDEX users_account_source ON users (account_id, source, user_name_norm, email_norm, name_norm, last_name);

-- A group's members in the order they were added, read from the index alone (a group of
-- 100,000 members is one range scan, not a sort and 100,000 row reads).
CREATE INDEX group_members_order ON group_members (group_id, added_at, user_id);

CREATE TABLE user_pages (
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    first_id   TEXT COLLATE "C" NOT NULL,
    n          BIGINT NOT NULL,
    PRIMARY KEY (account_id, first_id)
);

CREATE FUNCTION user_pages_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO user_pages (account_id, first_id, n) VALUES (NEW.account_id, '', 0)
            ON CONFLICT DO NOTHING;
        UPDATE user_pages SET n = n + 1 WHERE account_id = NEW.account_id AND first_id =
            (SELECT max(first_id) FROM user_pages WHERE account_id = NEW.account_id AND first_id <= NEW.id);
        RETURN NEW;
    END IF;
    UPDATE user_pages SET n = n - 1 WHERE account_id = OLD.account_id AND first_id =
        (SELECT max(first_id) FROM user_pages WHERE account_id = OLD.account_id AND first_id <= OLD.id);
    DELETE FROM user_pages WHERE account_id = OLD.account_id AND n = 0 AND first_id <> '';
    RETURN OLD;
END $$;

CREATE TRIGGER user_pages_insert AFTER INSERT ON users FOR EACH ROW EXECUTE FUNCTION user_pages_count();
CREATE TRIGGER user_pages_delete AFTER DELETE ON users FOR EACH ROW EXECUTE FUNCTION user_pages_count();

INSERT INTO user_pages (account_id, first_id, n)
SELECT account_id, CASE WHEN rn = 1 THEN '' ELSE id END, least(512, total - rn + 1)
FROM (SELECT account_id, id,
             row_number() OVER (PARTITION BY account_id ORDER BY id) AS rn,
             count(*) OVER (PARTITION BY account_id) AS total
      FROM users) AS numbered
WHERE (rn - 1) % 512 = 0;
