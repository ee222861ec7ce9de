-- PostgreSQL twin of ../sqlite/0011 (see there for why).
CREATE INDEX scim_requests_failed ON scim_requests (account_id, id DESC) WHERE outcome <> 'success';
CREATE INDEX scim_requests_succeeded ON scim_requests (account_id, id DESC) WHERE outcome = 'success';
CREATE INDEX scim_requests_method ON scim_requests (account_id, method, id DESC);
CREATE INDEX scim_requests_resource ON scim_requests (account_id, resource_type, id DESC);
CREATE INDEX scim_requests_resource_method ON scim_requests (account_id, resource_type, method, id DESC);

ALTER TABLE audit_events ADD COLUMN category TEXT COLLATE "C"
    GENERATED ALWAYS AS (split_part(action, '.', 1)) STORED;
CREATE INDEX audit_events_category ON audit_events (account_id, category, id DESC);
CREATE INDEX audit_events_category_actor ON audit_events (account_id, category, actor_kind, id DESC);
CREATE INDEX audit_events_actor ON audit_events (account_id, actor_kind, id DESC);
