-- Issue 13: failures filtered by method and/or resource type, found among many successes.
--
-- `outcome=failure&method=PATCH&resource=Group` walked `scim_requests_resource_method` and
-- skipped every successful group PATCH (10,000 after a bench run: p95 115 ms). Failures are
-- few, so each combination with a failure gets a partial index of its own: one index range of
-- exactly the matching rows, paid only when a failure is written.
CREATE INDEX scim_requests_failed_method ON scim_requests (account_id, method, id DESC) WHERE outcome <> 'success';
CREATE INDEX scim_requests_failed_resource ON scim_requests (account_id, resource_type, id DESC) WHERE outcome <> 'success';
CREATE INDEX scim_requests_failed_resource_method ON scim_requests (account_id, resource_type, method, id DESC) WHERE outcome <> 'success';
