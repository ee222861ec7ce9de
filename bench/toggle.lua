-- PATCH /Users/{id} toggling active (Okta's path-less replace) on random seeded users.
local n = tonumber(os.getenv("USERS"))
function request()
  local i = math.random(1, n)
  local active = (math.random(0, 1) == 1) and "true" or "false"
  local path = string.format("%s/Users/00000000-0000-7000-8000-%012d", wrk.path, i)
  local body = '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":' .. active .. '}}]}'
  return wrk.format("PATCH", path, {["Content-Type"] = "application/scim+json", ["Authorization"] = "Bearer " .. os.getenv("TOKEN")}, body)
end
function done(summary, latency, requests)
  io.write(string.format("non-2xx/3xx: %d\n", summary.errors.status))
end
