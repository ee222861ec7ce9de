-- The 100,000-member group (bench/run.sh makes it): GROUP_OP=get reads it whole, GROUP_OP=patch
-- adds or removes one random seeded user (Okta's add, Entra's remove by value).
local n = tonumber(os.getenv("USERS"))
local op = os.getenv("GROUP_OP")
local group = os.getenv("GROUP_ID")
function request()
  local path = string.format("%s/Groups/%s", wrk.path, group)
  local auth = {["Authorization"] = "Bearer " .. os.getenv("TOKEN"), ["Content-Type"] = "application/scim+json"}
  if op == "get" then
    return wrk.format("GET", path, auth)
  end
  local user = string.format("00000000-0000-7000-8000-%012d", math.random(1, n))
  local kind = (math.random(0, 1) == 1) and "add" or "remove"
  local body = '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"' .. kind .. '","path":"members","value":[{"value":"' .. user .. '"}]}]}'
  return wrk.format("PATCH", path, auth, body)
end
function done(summary, latency, requests)
  io.write(string.format("non-2xx/3xx: %d\n", summary.errors.status))
end
