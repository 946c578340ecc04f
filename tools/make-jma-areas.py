#!/usr/bin/env python3
"""Derive geodata/jma-*.tsv from the JMA area tables in ../shared/data/jma-areas (see geodata/README.md).

Deterministic: the same inputs give byte-identical outputs. Coordinates are rounded to 4 decimals (~11 m) for the
area geometries and 5 for the centroids; consecutive duplicate vertices left by the rounding are dropped.
Usage: python3 tools/make-jma-areas.py [SOURCE_DIR] [OUT_DIR]
"""
import csv, json, sys, os

src = sys.argv[1] if len(sys.argv) > 1 else '/work/shared/data/jma-areas'
out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), '..', 'geodata')

def fmt(v, nd):
    s = f'{round(v, nd):.{nd}f}'.rstrip('0').rstrip('.')
    return '0' if s == '-0' else s

def line(coords, closed):
    pts = []
    for x, y, *_ in coords:
        p = (fmt(x, 4), fmt(y, 4))
        if not pts or pts[-1] != p: pts.append(p)
    if closed and pts[0] != pts[-1]: pts.append(pts[0])
    if closed and len(pts) < 4: return None
    if not closed and len(pts) < 2: return None
    return '(' + ', '.join(f'{x} {y}' for x, y in pts) + ')'

def polygon(rings):
    parts = [line(r, True) for r in rings]
    if parts[0] is None: return None
    return '(' + ', '.join(p for p in parts if p is not None) + ')'

def wkt(g):
    t, c = g['type'], g['coordinates']
    if t == 'Polygon':
        p = polygon(c); return p and 'POLYGON ' + p
    if t == 'MultiPolygon':
        ps = [p for p in (polygon(x) for x in c) if p]; return ps and 'MULTIPOLYGON (' + ', '.join(ps) + ')'
    if t == 'LineString':
        l = line(c, False); return l and 'LINESTRING ' + l
    if t == 'MultiLineString':
        ls = [l for l in (line(x, False) for x in c) if l]; return ls and 'MULTILINESTRING (' + ', '.join(ls) + ')'
    raise ValueError(t)

def areas(name, table, header):
    feats = json.load(open(os.path.join(src, name), encoding='utf-8'))['features']
    rows, skipped = [], []
    for f in feats:
        p = f['properties']
        code = (p.get('code') or '').strip()
        g = f['geometry'] and wkt(f['geometry'])
        if not code or not g:
            skipped.append(p['name']); continue
        rows.append((code, p['name'], g))
    rows.sort(key=lambda r: r[0])
    assert len({r[0] for r in rows}) == len(rows), 'duplicate codes in ' + name
    with open(os.path.join(out, table), 'w', encoding='utf-8', newline='\n') as o:
        o.write(header)
        for r in rows: o.write('\t'.join(r) + '\n')
    print(f'{table}: {len(rows)} areas; skipped (no code or no geometry): {", ".join(skipped)}')

def centroids(name, table, header, pad):
    rows = []
    for code, nm, lat, lon in csv.reader(open(os.path.join(src, name), encoding='utf-8')):
        rows.append((code.zfill(pad), nm, fmt(float(lat), 5), fmt(float(lon), 5)))
    rows.sort(key=lambda r: r[0])
    assert len({r[0] for r in rows}) == len(rows), 'duplicate codes in ' + name
    with open(os.path.join(out, table), 'w', encoding='utf-8', newline='\n') as o:
        o.write(header)
        for r in rows: o.write('\t'.join(r) + '\n')
    print(f'{table}: {len(rows)} rows')

areas('seismic_areas.geojson', 'jma-seismic-areas.tsv',
      '# 地震情報／細分区域: code<TAB>name<TAB>WKT (EPSG:4326). 出典：気象庁 (via RealAllenDa/quakemap-backend 1f26519, Apache-2.0). See README.md\n')
areas('tsunami_areas.geojson', 'jma-tsunami-areas.tsv',
      '# 津波予報区: code<TAB>name<TAB>WKT (EPSG:4326), coastal lines. 出典：気象庁 (via RealAllenDa/quakemap-backend 1f26519, Apache-2.0). See README.md\n')
centroids('jma_area_centroid.csv', 'jma-seismic-area-centroids.tsv',
          '# 地震情報／細分区域 centroids: code<TAB>name<TAB>lat<TAB>lon. 出典：気象庁, 国土交通省 (via 9SQ/jma-eqarea-centroid 2344ce3, MIT). See README.md\n', 3)
centroids('jma_city_centroid.csv', 'jma-city-centroids.tsv',
          '# 気象・地震・火山情報／市町村等 centroids: 7-digit code<TAB>name<TAB>lat<TAB>lon. 出典：気象庁, 国土交通省 (via 9SQ/jma-eqarea-centroid 2344ce3, MIT). See README.md\n', 7)
