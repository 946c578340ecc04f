-- GET a list of host-relative paths (one per line in $BENCH_PATHS), lines $BENCH_FROM..$BENCH_TO.
-- BENCH_CYCLE=1 loops over them (cached runs); otherwise each path is requested once and the thread stops when the
-- list is used up (uncached runs). BENCH_MAX bounds the request count in every mode. Prints one RESULT line.
local paths = {}
for line in io.lines(os.getenv("BENCH_PATHS")) do paths[#paths + 1] = line end
local from = tonumber(os.getenv("BENCH_FROM") or "1")
local to = tonumber(os.getenv("BENCH_TO") or "0")
if to == 0 or to > #paths then to = #paths end
local cycle = os.getenv("BENCH_CYCLE") == "1"
local max = tonumber(os.getenv("BENCH_MAX") or "1000000")
local i, sent, stop = from - 1, 0, false

request = function()
  i = i + 1
  sent = sent + 1
  if i > to then
    if cycle then i = from else i = to; stop = true end
  end
  if sent >= max then stop = true end
  return wrk.format("GET", paths[i])
end

response = function(status, headers, body)
  if stop then wrk.thread:stop() end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests=%d duration_us=%d errors=%d non2xx=%d bytes=%d p50_ms=%.3f p95_ms=%.3f p99_ms=%.3f mean_ms=%.3f\n",
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status, summary.bytes,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.mean / 1000))
end
