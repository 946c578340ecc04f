#!/usr/bin/env bash
# Regenerates geodata/municipal-boundaries.geojson from the simplified N03 files in ../shared/samples/boundaries
# (see geodata/README.md). Needs ogr2ogr, psql and a scratch PostGIS database: PG="host=… port=… user=… dbname=…".
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SAMPLES="${HUB_SAMPLES:-$ROOT/../shared/samples}/boundaries"
PG="${PG:?set PG to a libpq connection string of a scratch PostGIS database}"
psql "$PG" -v ON_ERROR_STOP=1 -qc "CREATE EXTENSION IF NOT EXISTS postgis"
ogr2ogr -f PostgreSQL "PG:$PG" "$SAMPLES/N03-21_210101_municipalities_s0001.geojson" -nln n03_s0001 -lco GEOMETRY_NAME=geom -overwrite
ogr2ogr -f PostgreSQL "PG:$PG" "$SAMPLES/N03-21_13_tokyo_s0010.geojson" -nln n03_s0010 -lco GEOMETRY_NAME=geom -overwrite
psql "$PG" -v ON_ERROR_STOP=1 -q <<'SQL'
DROP TABLE IF EXISTS codes, b, islands;
CREATE TABLE codes (code6 text, pref text, name text, kana text, type text);
SQL
grep -v '^#' "$ROOT/geodata/municipalities.tsv" | psql "$PG" -v ON_ERROR_STOP=1 -qc "\copy codes FROM STDIN"
psql "$PG" -v ON_ERROR_STOP=1 -q <<'SQL'
-- One MultiPolygon per 6-digit code (N03_007 is the code without its check digit): 東京都 from the less simplified
-- s0010 edition (it has every island, 利島村 and 青ヶ島村 included, and Tokyo Station inside 千代田区), the rest s0001.
CREATE TABLE b AS
SELECT c.code6 AS code, min(s.n03_001) AS prefecture, c.name,
       ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Union(ST_MakeValid(s.geom))), 3)) AS geom
FROM (SELECT n03_001, n03_007, geom FROM n03_s0001 WHERE n03_007 IS NOT NULL AND n03_001 <> '東京都'
      UNION ALL SELECT n03_001, n03_007, geom FROM n03_s0010 WHERE n03_007 IS NOT NULL) s
JOIN codes c ON left(c.code6, 5) = s.n03_007 AND c.type <> 'prefecture'
GROUP BY c.code6, c.name;
-- Small islands the s0001 simplification (and Natural Earth 1:10m) lost, by hand: a 1.5 km octagon each, added to
-- their municipality (粟国村 and 渡名喜村 vanished whole and get one), so records there agree with their code.
CREATE TABLE islands (name text, code text, lon float8, lat float8);
INSERT INTO islands VALUES ('沖ノ鳥島', '134210', 136.0819, 20.4253), ('舳倉島', '172049', 136.918, 37.850),
  ('宝島', '463043', 129.202, 29.152), ('小宝島', '463043', 129.22, 29.22), ('平島', '463043', 129.53, 29.68),
  ('粟国島', '473553', 127.225, 26.585), ('渡名喜島', '473561', 127.14, 26.37), ('飛島', '062049', 139.55, 39.19),
  ('小呂島', '401358', 130.20, 33.87), ('焼尻島', '014842', 141.43, 44.43);
INSERT INTO b
SELECT i.code, c.pref, c.name, ST_GeomFromText('MULTIPOLYGON EMPTY', 4326)
FROM (SELECT DISTINCT code FROM islands) i JOIN codes c ON c.code6 = i.code
WHERE i.code NOT IN (SELECT code FROM b);
UPDATE b SET geom = ST_Multi(ST_CollectionExtract(ST_Union(b.geom, i.g), 3))
FROM (SELECT code, ST_Union(ST_Buffer(ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography, 1500, 'quad_segs=2')::geometry) AS g
      FROM islands GROUP BY code) i
WHERE b.code = i.code;
-- 政令指定都市: the union of their wards (N03 has only the wards).
INSERT INTO b
SELECT c.code6, min(b.prefecture), c.name, ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Union(b.geom)), 3))
FROM codes c
JOIN codes w ON w.type = 'ward' AND w.pref = c.pref AND w.name LIKE c.name || '%' AND w.code6 <> c.code6
JOIN b ON b.code = w.code6
WHERE c.type = 'municipality' AND c.code6 NOT IN (SELECT code FROM b)
GROUP BY c.code6, c.name;
-- Rounded to 4 decimals (~11 m), as written below; what is not valid after rounding is repaired on the grid.
UPDATE b SET geom = ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_SnapToGrid(geom, 0.0001)), 3));
SQL
psql "$PG" -v ON_ERROR_STOP=1 -qAt -c "
SELECT json_build_object('type', 'FeatureCollection',
  'metadata', json_build_object(
    'source', '国土数値情報（行政区域データ）N03-21 (2021-01-01), 国土交通省; simplified s0001 edition (東京都: s0010) from smartnews-smri/japan-topography b403e71',
    'credit', '「国土数値情報（行政区域データ）」（国土交通省）を加工して作成',
    'made_with', 'tools/make-boundaries.sh'),
  'features', json_agg(json_build_object('type', 'Feature',
    'properties', json_build_object('code', code, 'prefecture', prefecture, 'name', name),
    'geometry', ST_AsGeoJSON(geom, 4)::json) ORDER BY code))
FROM b WHERE NOT ST_IsEmpty(geom)" | jq -c . > "$ROOT/geodata/municipal-boundaries.geojson"
echo "wrote $(jq '.features | length' "$ROOT/geodata/municipal-boundaries.geojson") municipalities to geodata/municipal-boundaries.geojson"

# The "japan" service extent: land outline ∪ municipal boundaries (with the islands above), each simplified to ~500 m,
# buffered on the spheroid (geography) by 50 km ("land", every layer) and by 370 km ≈ 200 nautical miles ("sea",
# for sensor records such as offshore hypocentres), rounded to 3 decimals.
ogr2ogr -f PostgreSQL "PG:$PG" "$ROOT/geodata/japan-outline.geojson" -nln japan_outline -lco GEOMETRY_NAME=geom -overwrite
psql "$PG" -v ON_ERROR_STOP=1 -qAt -c "
WITH land AS (
  SELECT ST_SimplifyPreserveTopology(geom, 0.005) AS g FROM japan_outline
  UNION ALL SELECT ST_SimplifyPreserveTopology(geom, 0.005) FROM b
  UNION ALL SELECT ST_SetSRID(ST_MakePoint(lon, lat), 4326) FROM islands),
u AS (SELECT ST_Union(g) AS g FROM land),
ext AS (
  SELECT 'land' AS name, 50000 AS buffer_m, ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_SnapToGrid(ST_Buffer(g::geography, 50000, 'quad_segs=4')::geometry, 0.001)), 3)) AS g FROM u
  UNION ALL
  SELECT 'sea', 370000, ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_SnapToGrid(ST_SimplifyPreserveTopology(ST_Buffer(ST_SimplifyPreserveTopology(g, 0.05)::geography, 370000, 'quad_segs=4')::geometry, 0.02), 0.001)), 3)) FROM u)
SELECT json_build_object('type', 'FeatureCollection',
  'metadata', json_build_object('what', 'service extent \"japan\": Japan''s land and municipalities buffered by 50 km (land) and 370 km (sea, sensor records)',
    'made_with', 'tools/make-boundaries.sh', 'from', json_build_array('geodata/japan-outline.geojson', 'geodata/municipal-boundaries.geojson', 'ten small islands listed in tools/make-boundaries.sh'),
    'credit', '「国土数値情報（行政区域データ）」（国土交通省）を加工して作成; Natural Earth'),
  'features', json_agg(json_build_object('type', 'Feature', 'properties', json_build_object('name', name, 'buffer_m', buffer_m),
    'geometry', ST_AsGeoJSON(g, 3)::json) ORDER BY buffer_m))
FROM ext" | jq -c . > "$ROOT/geodata/japan-extent.geojson"
echo "wrote geodata/japan-extent.geojson"
