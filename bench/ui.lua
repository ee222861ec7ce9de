-- The Users page as a browser asks for it (server-side rendered HTML), logged in as an
-- administrator. PAGE_PATH and COOKIE come from the environment; prints p50/p95/p99.
wrk.method = "GET"
wrk.path = os.getenv("PAGE_PATH")
wrk.headers["Accept"] = "text/html"
wrk.headers["Cookie"] = os.getenv("COOKIE")

local bad = 0
response = function(status, headers, body)
  if status ~= 200 then bad = bad + 1 end
end

done = function(summary, latency, requests)
  io.write(string.format("UI %s p50 %.2fms p95 %.2fms p99 %.2fms non-200 %d\n", wrk.path,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000, bad))
end
