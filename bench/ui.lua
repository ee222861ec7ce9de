-- The Users page as a browser asks for it (server-side rendered HTML), logged in as an
-- administrator. PAGE_PATH and COOKIE come from the environment; prints p50/p95/p99 and how
-- many answers were not a 200 page with user rows.
wrk.method = "GET"
wrk.path = os.getenv("PAGE_PATH")
wrk.headers["Accept"] = "text/html"
wrk.headers["Cookie"] = os.getenv("COOKIE")

-- Each wrk thread has its own Lua state: count there, add up in done().
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0 end

-- A page without user rows (e.g. an error panel) counts as bad.
function response(status, headers, body)
  if status ~= 200 or not string.find(body, "data-email", 1, true) then bad = bad + 1 end
end

function done(summary, latency, requests)
  local n = 0
  for _, t in ipairs(threads) do n = n + (t:get("bad") or 0) end
  io.write(string.format("UI %s p50 %.2fms p95 %.2fms p99 %.2fms bad %d\n", wrk.path,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000, n))
end
