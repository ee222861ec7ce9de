-- GET /Users?startIndex=N&count=100 for random N anywhere in the seeded users (deep pages).
local n = tonumber(os.getenv("USERS"))
function request()
  local i = math.random(1, n)
  local path = string.format('%s/Users?startIndex=%d&count=100', wrk.path, i)
  return wrk.format("GET", path, {["Authorization"] = "Bearer " .. os.getenv("TOKEN")})
end
function done(summary, latency, requests)
  io.write(string.format("non-2xx/3xx: %d\n", summary.errors.status))
end
