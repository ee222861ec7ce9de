-- GET /Users?filter=userName eq "userN@bench.example" for random N among the seeded users.
local n = tonumber(os.getenv("USERS"))
function request()
  local i = math.random(1, n)
  local path = string.format('%s/Users?filter=userName%%20eq%%20%%22USER%d%%40Bench.example%%22', wrk.path, i)
  return wrk.format("GET", path, {["Authorization"] = "Bearer " .. os.getenv("TOKEN")})
end
