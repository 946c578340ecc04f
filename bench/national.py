#!/usr/bin/env python3
"""Bench section 8: a national deployment's reads, with a source per municipality placed where the municipality is.

    national.py PORT KEY DB N     (N municipalities of geodata/municipal-boundaries.geojson, in code order)

Registers N push sources (bench-nat-CODE, shelter-status-json) and sends each a first document of 20 shelters at
seeded random points inside its municipality's boundary. Then, every read timed right after a change to the layer
(a push drops the layer's cached tiles, as changes do all day in a disaster), 7 times each:
  - the merged tiles the officers' map draws, over Tokyo at z0–z10;
  - the per-source tiles of the map's source view (request-time clustering of every source's own records);
  - the municipality roll-up (/ogc/collections/municipalities/items?limit=2000) and /api/v1/sources.
Prints "metric value" lines for bench/run.sh's rec.
"""
import http.client, json, math, os, random, statistics, subprocess, sys, time

port, key, db, n = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def inside(x, y, polygon):
    hit = False
    for ring in polygon:
        for i in range(len(ring)):
            (x1, y1), (x2, y2) = ring[i][:2], ring[(i + 1) % len(ring)][:2]
            if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
                hit = not hit
    return hit


def shelters(feature, rng):
    polys = feature['geometry']['coordinates']
    xs = [p[0] for poly in polys for p in poly[0]]
    ys = [p[1] for poly in polys for p in poly[0]]
    pts = []
    for _ in range(20000):
        x, y = rng.uniform(min(xs), max(xs)), rng.uniform(min(ys), max(ys))
        if any(inside(x, y, poly) for poly in polys):
            pts.append((x, y))
            if len(pts) == 20:
                break
    name = feature['properties']['name']
    return [{"id": f"S{k}", "name": f"{name}避難所{k}", "status": "開設", "evacuees": rng.randint(0, 300),
             "lat": round(y, 6), "lon": round(x, 6)} for k, (x, y) in enumerate(pts, 1)]


rng = random.Random(16)
features = sorted(json.load(open(os.path.join(root, 'geodata', 'municipal-boundaries.geojson'), encoding='utf-8'))['features'],
                  key=lambda f: f['properties']['code'])[:n]
munis = {f['properties']['code']: shelters(f, rng) for f in features}
munis = {code: s for code, s in munis.items() if len(s) == 20}
codes = sorted(munis)
subprocess.run(['psql', '-d', db, '-qc',
                "INSERT INTO source (id, name, kind, format, layer, owner_org_id) SELECT 'bench-nat-' || c, 'bench municipality ' || c, "
                "'push', 'shelter-status-json', 'shelters', 'bench-city' FROM unnest(%s::text[]) c ON CONFLICT DO NOTHING"
                % ("'{" + ",".join(codes) + "}'")], check=True)

conn = http.client.HTTPConnection('127.0.0.1', port, timeout=600)


def request(method, path, body=None, ctype=None):
    headers = {'Authorization': f'Bearer {key}'}
    if ctype:
        headers['Content-Type'] = ctype
    conn.request(method, path, body=body, headers=headers)
    r = conn.getresponse()
    data = r.read()
    if r.status != 200:
        raise SystemExit(f'{method} {path}: HTTP {r.status} {data[:300]!r}')
    return data


def push(code, shift=0):
    doc = {"municipality_code": code, "observed_at": time.strftime('%Y-%m-%dT%H:%M:%S.000Z', time.gmtime(time.time() - 1)),
           "shelters": [dict(s, evacuees=s['evacuees'] + shift) for s in munis[code]]}
    request('POST', f'/api/v1/sources/bench-nat-{code}/documents?format=shelter-status-json',
            json.dumps(doc, ensure_ascii=False).encode(), 'application/json')


def out(metric, value):
    print(f'{metric}\t{value}', flush=True)


firsts = []
for code in codes:
    t0 = time.perf_counter()
    push(code)
    firsts.append((time.perf_counter() - t0) * 1000)
out('nat_sources', len(codes))
out('nat_first_p50_ms', round(statistics.median(firsts), 1))


def timed_after_change(path, reps=7):
    ts = []
    for k in range(reps):
        push(codes[0], k + 1)
        t0 = time.perf_counter()
        request('GET', path)
        ts.append((time.perf_counter() - t0) * 1000)
    return round(statistics.median(ts), 1), round(max(ts), 1)


for z in range(0, 11):
    x = int((139.70 + 180) / 360 * 2 ** z)
    y = int((1 - math.asinh(math.tan(math.radians(35.69))) / math.pi) / 2 * 2 ** z)
    for view, path in (('merged', 'merged'), ('source', 'shelters')):
        p50, mx = timed_after_change(f'/tiles/{path}/{z}/{x}/{y}.mvt')
        out(f'nat_tile_{view}_z{z}_p50_ms', p50)
        out(f'nat_tile_{view}_z{z}_max_ms', mx)
p50, mx = timed_after_change('/ogc/collections/municipalities/items?limit=2000', 3)
out('nat_rollup_p50_ms', p50)
p50, mx = timed_after_change('/api/v1/sources', 3)
out('nat_sources_list_p50_ms', p50)
