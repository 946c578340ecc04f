#!/usr/bin/env node
// Builds geodata/japan-outline.geojson from npm `world-atlas` (Natural Earth, public domain).
//
//   node tools/make-basemap.mjs [--res 10m|50m] [--out geodata/japan-outline.geojson]
//
// Extracts Japan (ISO 3166-1 numeric "392") from countries-<res>.json (TopoJSON),
// converts it to GeoJSON with topojson-client, rounds coordinates to 4 decimals
// (~11 m) and drops ring vertices that collapse onto their predecessor after rounding.
// The output is deterministic: same world-atlas version → byte-identical file.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { feature } from 'topojson-client';

const require = createRequire(import.meta.url);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1] : def;
};
const res = opt('--res', '10m');
const out = resolve(root, opt('--out', 'geodata/japan-outline.geojson'));
const DECIMALS = 4;
const JAPAN_ID = '392';

const atlasPkg = require('world-atlas/package.json');
const topo = JSON.parse(readFileSync(require.resolve(`world-atlas/countries-${res}.json`), 'utf8'));
const countries = feature(topo, topo.objects.countries);
const japan = countries.features.find((f) => String(f.id) === JAPAN_ID);
if (!japan) throw new Error(`Japan (id ${JAPAN_ID}) not found in countries-${res}.json`);

const f = 10 ** DECIMALS;
const round = (v) => Math.round(v * f) / f;

function ring(coords) {
  const outRing = [];
  for (const [x, y] of coords) {
    const p = [round(x), round(y)];
    const last = outRing[outRing.length - 1];
    if (!last || last[0] !== p[0] || last[1] !== p[1]) outRing.push(p);
  }
  // keep it closed
  const a = outRing[0], b = outRing[outRing.length - 1];
  if (a && (a[0] !== b[0] || a[1] !== b[1])) outRing.push([a[0], a[1]]);
  return outRing.length >= 4 ? outRing : null; // degenerate islets vanish
}

function polygon(rings) {
  const rs = rings.map(ring);
  if (!rs[0]) return null; // exterior collapsed
  return rs.filter(Boolean);
}

const g = japan.geometry;
const polys = (g.type === 'Polygon' ? [g.coordinates] : g.coordinates).map(polygon).filter(Boolean);

const fc = {
  type: 'FeatureCollection',
  // Non-standard foreign member; ignored by GeoJSON readers, kept for provenance.
  metadata: {
    source: `Natural Earth 4.1.0 Admin 0 countries 1:${res} via npm world-atlas@${atlasPkg.version} (countries-${res}.json)`,
    license: 'Public domain (Natural Earth); world-atlas packaging ISC',
    generator: 'tools/make-basemap.mjs',
    coordinate_decimals: DECIMALS,
  },
  features: [
    {
      type: 'Feature',
      id: JAPAN_ID,
      properties: { name: 'Japan', name_ja: '日本', iso_n3: JAPAN_ID, kind: 'land' },
      geometry: { type: 'MultiPolygon', coordinates: polys },
    },
  ],
};

let bbox = [Infinity, Infinity, -Infinity, -Infinity];
let vertices = 0;
for (const p of polys) for (const r of p) for (const [x, y] of r) {
  vertices++;
  bbox = [Math.min(bbox[0], x), Math.min(bbox[1], y), Math.max(bbox[2], x), Math.max(bbox[3], y)];
}
fc.bbox = bbox;

mkdirSync(dirname(out), { recursive: true });
const text = JSON.stringify(fc) + '\n';
writeFileSync(out, text);
console.log(`wrote ${out}: ${polys.length} polygons, ${vertices} vertices, ${(text.length / 1024).toFixed(1)} KiB, bbox ${bbox.join(',')}`);
