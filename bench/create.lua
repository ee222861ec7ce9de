-- POST /Users with a unique userName per request (thread id + counter).
local counter = 0
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
-- BENCH_SEED tells apart several wrk processes (one per replica) started in the same second.
local seed = tonumber(os.getenv("BENCH_SEED") or "0")
function init(args)
  math.randomseed(os.time() * 100 + tid + 7919 * seed)
end
function request()
  counter = counter + 1
  local name = string.format("new-%d-%d-%d-%d@bench.example", seed, tid, counter, math.random(1, 1e9))
  local body = string.format('{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"%s","name":{"givenName":"New","familyName":"User"},"emails":[{"value":"%s","type":"work","primary":true}],"active":true}', name, name)
  return wrk.format("POST", wrk.path .. "/Users", {["Content-Type"] = "application/scim+json", ["Authorization"] = "Bearer " .. os.getenv("TOKEN")}, body)
end
function done(summary, latency, requests)
  io.write(string.format("non-2xx/3xx: %d\n", summary.errors.status))
end
