#!/usr/bin/env python3
"""Push-to-visible: subscribe to /api/v1/events?layer=shelters (SSE), then POST N status pushes one after another
(bounded: N pushes, at most LIMIT seconds), each with a unique evacuee count; for each, time from the 2xx response to
the SSE change event carrying that count. Prints: RESULT n=.. seen=.. p50_ms=.. p95_ms=.. p99_ms=.. max_ms=..
usage: sse_latency.py PORT KEY SOURCE N [LIMIT_S]"""
import http.client, json, socket, sys, threading, time

port, key, source, n = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
limit = float(sys.argv[5]) if len(sys.argv) > 5 else 60
seen = {}
ready = threading.Event()


def listen():
    s = socket.create_connection(("127.0.0.1", port), timeout=limit + 10)
    s.sendall(b"GET /api/v1/events?layer=shelters HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
    buf = b""
    while True:
        try:
            chunk = s.recv(65536)
        except OSError:
            return
        if not chunk:
            return
        now = time.perf_counter()
        buf += chunk
        if b"connected" in buf:
            ready.set()
        text = buf.decode("utf-8", "ignore")
        for k in list(pending):
            if f'"evacuees": {k}' in text or f'"evacuees":{k}' in text:
                seen[k] = now
                pending.discard(k)
        if len(buf) > 1 << 20:
            buf = buf[-4096:]


pending = set()
t = threading.Thread(target=listen, daemon=True)
t.start()
ready.wait(10)
time.sleep(0.3)
lat, lat_send = [], []
deadline = time.monotonic() + limit
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
sent = {}
for i in range(n):
    if time.monotonic() > deadline:
        break
    marker = 7_000_000 + i
    body = json.dumps({"municipality_code": "172022", "observed_at": "2026-11-22T09:00:00+09:00",
                       "shelters": [{"id": f"SSE-{i % 10}", "name": f"ベンチSSE{i % 10}", "status": "開設", "evacuees": marker,
                                     "capacity": 10_000_000, "lat": 37.05 + i % 10 * 0.001, "lon": 136.97}]}).encode()
    pending.add(marker)
    t0 = time.perf_counter()
    conn.request("POST", f"/api/v1/sources/{source}/documents", body, {"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    r = conn.getresponse()
    r.read()
    t1 = time.perf_counter()
    if r.status // 100 != 2:
        print(f"push {i}: HTTP {r.status}", file=sys.stderr)
        pending.discard(marker)
        continue
    sent[marker] = (t0, t1)
    time.sleep(0.05)
end = time.monotonic() + 3
while pending and time.monotonic() < end:
    time.sleep(0.05)
for m, (t0, t1) in sent.items():
    if m in seen:
        lat.append(max(0.0, seen[m] - t1) * 1000)
        lat_send.append((seen[m] - t0) * 1000)


def pct(a, p):
    if not a:
        return float("nan")
    a = sorted(a)
    return a[min(len(a) - 1, int(round(p / 100 * (len(a) - 1))))]


print(f"RESULT n={len(sent)} seen={len(lat)} p50_ms={pct(lat, 50):.1f} p95_ms={pct(lat, 95):.1f} p99_ms={pct(lat, 99):.1f} "
      f"max_ms={max(lat) if lat else float('nan'):.1f} send_p99_ms={pct(lat_send, 99):.1f}")
