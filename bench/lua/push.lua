-- POST shelter-status-json documents to $BENCH_PUSH_PATH with Bearer $BENCH_KEY: every request changes one of 50
-- shelters' evacuee count (a real state change), bounded by BENCH_MAX requests. Prints one RESULT line.
local key = os.getenv("BENCH_KEY")
local path = os.getenv("BENCH_PUSH_PATH")
local max = tonumber(os.getenv("BENCH_MAX") or "100000")
local n, stop = 0, false
local counter = 0
setup = function(thread) counter = counter + 1; thread:set("tid", counter) end

request = function()
  n = n + 1
  if n >= max then stop = true end
  local k = n % 50
  local body = string.format(
    '{"municipality_code":"172022","observed_at":"2026-11-22T09:00:00+09:00","shelters":[{"id":"BENCH-%d","name":"ベンチ避難所%d","status":"開設","evacuees":%d,"capacity":100000,"lat":%.5f,"lon":%.5f}]}',
    k, k, (tid or 1) * 1000000 + n, 37.03 + k * 0.001, 136.95 + k * 0.001)
  return wrk.format("POST", path, { ["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json" }, body)
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
