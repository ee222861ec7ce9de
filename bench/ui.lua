-- A server-rendered page (the Users page by default) as a browser asks for it (server-side rendered HTML), logged in as an
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

-- A page without its rows (e.g. an error panel) counts as bad: MARKER lists, separated by
-- "|", texts of which every good answer has one (default: a user row of the Users page).
local markers = {}
for m in string.gmatch(os.getenv("MARKER") or "data-email", "[^|]+") do table.insert(markers, m) end
function response(status, headers, body)
  local good = false
  for _, m in ipairs(markers) do good = good or string.find(body, m, 1, true) ~= nil end
  if status ~= 200 or not good then bad = bad + 1 end
end

function done(summary, latency, requests)
  local n = 0
  for _, t in ipairs(threads) do n = n + (t:get("bad") or 0) end
  io.write(string.format("UI %s p50 %.2fms p95 %.2fms p99 %.2fms bad %d\n", wrk.path,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000, n))
end
