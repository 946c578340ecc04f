#!/usr/bin/env python3
"""Synthetic national-scale data for the DisasterHub benchmarks (deterministic: seeded).

Points come from geodata/municipality-points.tsv (one representative point per municipality / ward, on land) with a
small Gaussian jitter (sigma ~ 600 m), so rows land on land and in the municipality their 共通ID names.

  gen.py gsi N REP OUT.csv            GSI 指定緊急避難場所 CSV, N rows, 共通ID E{code5}{REP}{6-digit seq}
  gen.py power N OUT.json             power-push-json, N small polygon outage areas
  gen.py damage OUT.json              fdma-damage-json, one entry for every municipality (type=municipality)
  gen.py tiles N OUT.txt [z0 z1]      a realistic z5-z14 tile mix (distinct tiles, weighted to where data is)
  gen.py bboxes N OUT.txt             bboxes (~2-10 km) around data, for OGC items?bbox= requests
  gen.py pgbench TILE.sql OUT.sql     compose the hub's merged-tile SQL with pgbench variables
"""
import json, math, os, random, re, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HAZ = 8


def points():
    types = {}
    with open(os.path.join(ROOT, "geodata/municipalities.tsv"), encoding="utf-8") as f:
        for line in f:
            if line.startswith("#"):
                continue
            c = line.rstrip("\n").split("\t")
            types[c[0]] = (c[4], c[1], c[2])
    pts = []
    with open(os.path.join(ROOT, "geodata/municipality-points.tsv"), encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or line.startswith("code6"):
                continue
            code, lon, lat = line.split()
            t = types.get(code)
            if t is None or t[0] == "prefecture":
                continue
            pts.append((code, float(lon), float(lat), t[1], t[2], t[0]))
    return pts


def jitter(rng, lon, lat, sigma=0.006):
    return lon + rng.gauss(0, sigma), lat + rng.gauss(0, sigma)


def gsi(n, rep, out):
    rng = random.Random(1000 + rep)
    pts = points()
    seq = {}
    hdr = "NO,共通ID,施設・場所名,住所,洪水,崖崩れ、土石流及び地滑り,高潮,地震,津波,大規模な火事,内水氾濫,火山現象,指定避難所との住所同一,緯度,経度,備考"
    with open(out, "w", encoding="utf-8", newline="") as f:
        f.write(hdr + "\r\n")
        for i in range(n):
            code, lon, lat, pref, name, _ = pts[i % len(pts)]
            k = seq.get(code, 0)
            seq[code] = k + 1
            cid = f"E{code[:5]}{rep % 10}{k:06d}"
            lo, la = jitter(rng, lon, lat)
            h = ["1" if rng.random() < 0.4 else "" for _ in range(HAZ)]
            same = "1" if rng.random() < 0.5 else ""
            f.write(f"{i + 1},{cid},ベンチ避難場所{k + 1},{pref}{name}ベンチ町{k + 1}-{rng.randint(1, 30)},"
                    f"{','.join(h)},{same},{la:.6f},{lo:.6f},合成データ\r\n")


def power(n, out):
    rng = random.Random(7)
    pts = points()
    areas = []
    for i in range(n):
        code, lon, lat, pref, name, _ = pts[i % len(pts)]
        lo, la = jitter(rng, lon, lat, 0.01)
        d = 0.002 + rng.random() * 0.004
        ring = [[round(lo - d, 6), round(la - d, 6)], [round(lo + d, 6), round(la - d, 6)], [round(lo + d, 6), round(la + d, 6)],
                [round(lo - d, 6), round(la + d, 6)], [round(lo - d, 6), round(la - d, 6)]]
        served = rng.randint(100, 5000)
        areas.append({"id": f"B{i:07d}", "name": f"{name} 区域{i}", "polygon": {"type": "Polygon", "coordinates": [ring]},
                      "customers_out": rng.randint(0, served), "customers_served": served, "cause": "合成データ",
                      "restoration_eta": "2026-11-22T18:00:00+09:00", "eta_revision": 1})
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"utility": "ベンチ電力", "observed_at": "2026-11-22T09:00:00+09:00", "areas": areas}, f, ensure_ascii=False)


def damage(out):
    rng = random.Random(11)
    ms = []
    with open(os.path.join(ROOT, "geodata/municipalities.tsv"), encoding="utf-8") as f:
        for line in f:
            if line.startswith("#"):
                continue
            c = line.rstrip("\n").split("\t")
            if c[4] != "municipality":
                continue
            ms.append({"municipality_code": c[0], "municipality_name": c[2], "deaths": 0, "missing": 0,
                       "injured_serious": rng.randint(0, 2), "injured_minor": rng.randint(0, 9),
                       "houses_destroyed": {"棟": rng.randint(0, 3)}, "roads": rng.randint(0, 6)})
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"report_no": 1, "disaster_name": "ベンチ豪雨", "reported_at": "2026-11-22T10:00:00+09:00",
                   "reporter": "bench", "municipalities": ms}, f, ensure_ascii=False)


def tile_of(lon, lat, z):
    n = 1 << z
    x = int((lon + 180.0) / 360.0 * n)
    r = math.radians(lat)
    y = int((1.0 - math.log(math.tan(r) + 1.0 / math.cos(r)) / math.pi) / 2.0 * n)
    return z, min(max(x, 0), n - 1), min(max(y, 0), n - 1)


# share of requests per zoom in a "realistic" session mix: most views are city/district scale
ZOOM_WEIGHTS = {5: 2, 6: 3, 7: 5, 8: 8, 9: 10, 10: 12, 11: 14, 12: 15, 13: 16, 14: 15}


def tiles(n, out, seed=3):
    rng = random.Random(seed)
    pts = points()
    seen, res = set(), []
    zs, ws = list(ZOOM_WEIGHTS), list(ZOOM_WEIGHTS.values())
    tries = 0
    while len(res) < n and tries < n * 50:
        tries += 1
        z = rng.choices(zs, ws)[0]
        code, lon, lat, *_ = rng.choice(pts)
        lo, la = jitter(rng, lon, lat, 0.01)
        t = tile_of(lo, la, z)
        if t in seen:
            continue
        seen.add(t)
        res.append(t)
    rng.shuffle(res)
    with open(out, "w") as f:
        for z, x, y in res:
            f.write(f"{z} {x} {y}\n")


def bboxes(n, out, seed=5):
    rng = random.Random(seed)
    pts = points()
    with open(out, "w") as f:
        for _ in range(n):
            code, lon, lat, *_ = rng.choice(pts)
            h = 0.01 + rng.random() * 0.04
            f.write(f"{lon - h:.5f},{lat - h:.5f},{lon + h:.5f},{lat + h:.5f}\n")


def pgbench(tile_sql, rows_sql, out):
    sql = open(tile_sql, encoding="utf-8").read().replace("{rows}", open(rows_sql, encoding="utf-8").read())
    sql = "\n".join(l for l in sql.splitlines() if not l.lstrip().startswith("--"))
    layers = "ARRAY['shelters','evacuation_orders','damage','power_outages','sensors','warnings']::text[]"
    subs = {"z": ":z", "x": ":x", "y": ":y", "tolerance": ":tol", "cell": ":cell", "cap": "2000", "cluster_zoom": "9",
            "layers": layers, "workspace": "'live'", "levels": "ARRAY['public']::text[]", "now": "now()", "at": "now()"}
    sql = re.sub(r"@([a-z_]+)\b", lambda m: subs[m.group(1)], sql)
    head = ("\\set i random(1, :ntiles)\n"
            "SELECT z, x, y FROM bench_tile WHERE i = :i \\gset\n"
            "\\set tol 40075016.68557849 / pow(2, :z) / 4096.0 * 2\n"
            "\\set cell 40075016.68557849 / pow(2, :z) / 16.0\n")
    with open(out, "w", encoding="utf-8") as f:
        f.write(head + sql.strip().rstrip(";") + ";\n")


if __name__ == "__main__":
    a = sys.argv[1:]
    cmd = a[0]
    if cmd == "gsi":
        gsi(int(a[1]), int(a[2]), a[3])
    elif cmd == "power":
        power(int(a[1]), a[2])
    elif cmd == "damage":
        damage(a[1])
    elif cmd == "tiles":
        tiles(int(a[1]), a[2])
    elif cmd == "bboxes":
        bboxes(int(a[1]), a[2])
    elif cmd == "pgbench":
        pgbench(a[1], a[2], a[3])
    else:
        sys.exit(__doc__)
