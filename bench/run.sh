#!/usr/bin/env bash
# DisasterHub benchmarks — called by `./hub bench [--quick]` after it has built (Release) and started the embedded
# PostgreSQL (PGHOST/PGPORT/PGUSER exported). Everything runs on 127.0.0.1; every load loop is bounded in count and time.
# Writes .data/bench/<stamp>/{results.tsv,results.md,commands.log} and prints the ratio lines.
#   --quick        reduced sizes, 1 repetition, no scale curve (< 60 s once packages are installed)
#   --no-scale     full run without the 10k/100k/1M scale curve
#   --ingest       only the ingest section (first push, re-push of the same unchanged document, COPY, ogr2ogr) with
#                  BENCH_GSI_N rows (default 50,000), 1 repetition, then the report
#   --scale-only   only the scale curve, at the sizes in BENCH_SCALE_SIZES (default 1000000), then the report
# BENCH_AUTO_EXPLAIN=20s logs the plans of the hub's statements slower than that to the cluster's log.
# BENCH_TILE_CELLS=off runs with the tile-cell triggers disabled (the low-zoom cells are then not maintained: for
# measuring what maintaining them costs an ingest, never for reading tiles). BENCH_PER_ZOOM (default 40): tiles per
# zoom in the scale curve's per-zoom latencies.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
B="$ROOT/bench"
QUICK=0 SCALE=1 INGEST_ONLY=0 SCALE_ONLY=0
for a in "$@"; do
  case "$a" in
    --quick) QUICK=1; SCALE=0 ;;
    --no-scale) SCALE=0 ;;
    --ingest) INGEST_ONLY=1; SCALE=0 ;;
    --scale-only) SCALE_ONLY=1 ;;
    *) echo "usage: bench/run.sh [--quick] [--no-scale] [--ingest] [--scale-only]" >&2; exit 2 ;;
  esac
done

log() { printf '\033[1;35m[bench +%ss]\033[0m %s\n' "$SECONDS" "$*" >&2; }
die() { printf '\033[1;31m[bench]\033[0m %s\n' "$*" >&2; exit 1; }
now() { date +%s.%N; }

export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-54329}" PGUSER="${PGUSER:-postgres}"
PGBIN=/usr/lib/postgresql/15/bin
API_DLL="$ROOT/src/DisasterHub.Api/bin/Release/net10.0/DisasterHub.Api.dll"
BENCH_DLL="$B/DisasterHub.Bench/bin/Release/net10.0/DisasterHub.Bench.dll"
HUB_PORT="${BENCH_HUB_PORT:-18480}"
SCALE_PORT=$((HUB_PORT + 1))
MS_PORT="${BENCH_MS_PORT:-18490}"
MS_FCGI_PORT=$((MS_PORT + 1))

# ---------------------------------------------------------------- sizes
if [ $QUICK = 1 ]; then
  REPS=1; GSI_N=3000; POWER_N=1000; TILE_S=2; CACHED_S=2; MS_S=2; OGC_S=2; PUSH_S=2; SSE_N=10; PUSH_CONC="2"; STREAM_N=10000
else
  REPS=3; GSI_N=110000; POWER_N=90000; TILE_S=10; CACHED_S=5; MS_S=8; OGC_S=6; PUSH_S=8; SSE_N=100; PUSH_CONC="1 2 4"; STREAM_N=100000
fi
[ $INGEST_ONLY = 1 ] && { REPS="${BENCH_REPS:-1}"; GSI_N="${BENCH_GSI_N:-50000}"; }
CONC=4   # concurrent connections for every read benchmark (hub, pgbench, MapServer alike)

# ---------------------------------------------------------------- packages (idempotent, only what is missing)
need=()
for p in wrk cgi-mapserver mapserver-bin nginx-light spawn-fcgi gdal-bin postgresql-client-15; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || die "missing Debian packages: ${need[*]} (run as root, or install them)"
  log "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
PGBENCH="$PGBIN/pgbench"; [ -x "$PGBENCH" ] || PGBENCH="$(command -v pgbench)"
[ -f "$API_DLL" ] || die "build the hub first (./hub bench does)"
build_helper() {
  log "dotnet build bench/DisasterHub.Bench"
  dotnet build "$B/DisasterHub.Bench" -c Release -v q -nologo -clp:ErrorsOnly >&2 || die "bench helper build failed"
}
build_helper   # always: it links against the hub's current Data/Core builds
pgbench_sql() {   # the helper runs against the hub's own DisasterHub.Data/Core builds: the exact SQL the hub runs
  local bin; bin="$(dirname "$API_DLL")"
  cp -f "$bin/DisasterHub.Data.dll" "$bin/DisasterHub.Core.dll" "$(dirname "$BENCH_DLL")/"
  dotnet "$BENCH_DLL" pgbench-sql "$@" 2>/dev/null || { build_helper; cp -f "$bin/DisasterHub.Data.dll" "$bin/DisasterHub.Core.dll" "$(dirname "$BENCH_DLL")/"; dotnet "$BENCH_DLL" pgbench-sql "$@"; }
}

# ---------------------------------------------------------------- work dir, results, cleanup
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
RES="$ROOT/.data/bench/$STAMP"
W="$ROOT/.data/bench/work"
mkdir -p "$RES" "$W"
T="$RES/results.tsv"; : > "$T"
CMDS="$RES/commands.log"; : > "$CMDS"
rec() { printf '%s\t%s\n' "$1" "$2" >> "$T"; }                 # metric value (one line per repetition)
run_logged() { echo "$*" >> "$CMDS"; "$@"; }
DB="bench_$(date +%s)_$$"
DBS=("$DB")
PIDS=()
NGINX_CONF=""
kill_mapserv() {
  [ -f "$W/mapserv.pid" ] && while read -r p; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null; done < "$W/mapserv.pid"
  for p in $(ss -ltnpH "sport = :$MS_FCGI_PORT" 2>/dev/null | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u); do kill -9 "$p" 2>/dev/null; done
  rm -f "$W/mapserv.pid"
}
cleanup() {
  set +e
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  # the FastCGI mapserv processes: those spawn-fcgi recorded, and those listening on our FastCGI port
  # (mapserv under FastCGI does not exit on SIGTERM while it waits in accept(): KILL)
  kill_mapserv
  [ -n "$NGINX_CONF" ] && nginx -c "$NGINX_CONF" -p "$W/nginx" -s stop 2>/dev/null
  sleep 1
  for d in "${DBS[@]}"; do [ -n "$d" ] && dropdb --if-exists --force "$d" 2>/dev/null; done
}
trap cleanup EXIT INT TERM

cs() { echo "Host=127.0.0.1;Port=$PGPORT;Username=postgres;Database=$1;Maximum Pool Size=50;Command Timeout=1800"; }
PGCONN() { echo "host=127.0.0.1 port=$PGPORT user=postgres dbname=$1"; }

# ---------------------------------------------------------------- machine
{
  echo "date_utc=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "nproc=$(nproc)"
  echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
  echo "mem=$(free -h | awk '/Mem:/ {print $2}')"
  echo "kernel=$(uname -r)"
  echo "dotnet=$(dotnet --version 2>/dev/null)"
  echo "postgres=$(psql -d postgres -tAc 'SHOW server_version')"
  echo "postgis=$(psql -d postgres -tAc "SELECT default_version FROM pg_available_extensions WHERE name='postgis'")"
  echo "gdal=$(ogr2ogr --version | head -1)"
  echo "mapserver=$(/usr/lib/cgi-bin/mapserv -v 2>/dev/null | head -1)"
  echo "nginx=$(nginx -v 2>&1)"
  echo "wrk=$(wrk -v 2>&1 | head -1)"
  echo "mode=$([ $QUICK = 1 ] && echo quick || echo full)$([ $INGEST_ONLY = 1 ] && echo ' ingest-only')$([ $SCALE_ONLY = 1 ] && echo " scale-only (${BENCH_SCALE_SIZES:-1000000})") reps=$REPS gsi_rows=$GSI_N power_areas=$POWER_N conc=$CONC"
  echo "tile_cells=${BENCH_TILE_CELLS:-on}"
  echo "load=$(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min, at the start)"
} > "$RES/machine.txt"

# ---------------------------------------------------------------- data
log "generating data ($GSI_N GSI rows x $REPS, $POWER_N outage areas, all municipalities' damage reports, tile lists)"
if [ $SCALE_ONLY = 0 ]; then
  for r in $(seq 1 "$REPS"); do
    [ -f "$W/gsi-$GSI_N-$r.csv" ] || python3 "$B/gen.py" gsi "$GSI_N" "$r" "$W/gsi-$GSI_N-$r.csv"
  done
  [ -f "$W/power-$POWER_N.json" ] || python3 "$B/gen.py" power "$POWER_N" "$W/power-$POWER_N.json"
  [ -f "$W/damage.json" ] || python3 "$B/gen.py" damage "$W/damage.json"
fi
[ -f "$W/gsi-1000-9.csv" ] || python3 "$B/gen.py" gsi 1000 9 "$W/gsi-1000-9.csv"
NT=$([ $QUICK = 1 ] && echo 4000 || echo 20000)
[ -f "$W/tiles-$NT.txt" ] || python3 "$B/gen.py" tiles "$NT" "$W/tiles-$NT.txt"
python3 "$B/gen.py" tiles 200 "$W/tiles-hot.txt"   # the cached set (seed 3: a prefix-like sample)
[ -f "$W/bboxes.txt" ] || python3 "$B/gen.py" bboxes 2000 "$W/bboxes.txt"
awk '{printf "/tiles/merged/%s/%s/%s.mvt\n", $1, $2, $3}' "$W/tiles-$NT.txt" > "$W/tile-paths.txt"
awk '{printf "/tiles/merged/%s/%s/%s.mvt\n", $1, $2, $3}' "$W/tiles-hot.txt" > "$W/tile-hot-paths.txt"
awk '{printf "/ogc/collections/shelters/items?limit=100&bbox=%s\n", $1}' "$W/bboxes.txt" > "$W/ogc-paths.txt"
# MapServer: the same tiles as WMS GetMap in EPSG:3857 (tile bbox), the same bboxes as OGC API items
python3 - "$W/tiles-$NT.txt" "$W/ms-tile-paths.txt" <<'PY'
import sys
R = 20037508.342789244
with open(sys.argv[2], "w") as o:
    for line in open(sys.argv[1]):
        z, x, y = map(int, line.split())
        s = 2 * R / (1 << z)
        x0, y1 = -R + x * s, R - y * s
        o.write(f"/?map=hub&SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=shelters,power_outages,damage&STYLES=&CRS=EPSG:3857"
                f"&BBOX={x0:.3f},{y1 - s:.3f},{x0 + s:.3f},{y1:.3f}&WIDTH=4096&HEIGHT=4096&FORMAT=application/vnd.mapbox-vector-tile\n")
PY
awk '{printf "/hub/ogcapi/collections/shelters/items?f=json&limit=100&bbox=%s\n", $1}' "$W/bboxes.txt" > "$W/ms-ogc-paths.txt"

# ---------------------------------------------------------------- hub
# The per-key rate limiter is set out of reach: the push benchmark measures capacity, not the limiter (a 429 would
# count as a cheap answer); backpressure (503) still applies and is counted as non-2xx.
# The parse budget (a hostile-input guard, 10 s) is set out of reach too: a 500,000-row document of the scale curve
# takes longer than that to parse on this machine.
HUBENV=(Hub__Scheduler=false Hub__MaxPushBytes=1073741824 Logging__LogLevel__Default=Warning Logging__LogLevel__DisasterHub.Ingestion.IngestPipeline=Information Hub__Ingest__ParseBudgetMilliseconds=3600000
  Hub__RateLimit__PushPerSecond=1000000 Hub__RateLimit__PushBurst=1000000
  Hub__Organizations__10__Id=bench-city Hub__Organizations__10__Kind=operator Hub__Organizations__10__Name=bench)
i=40
for s in bench-warm:gsi-shelter-csv:shelters bench-gsi-1:gsi-shelter-csv:shelters bench-gsi-2:gsi-shelter-csv:shelters \
         bench-gsi-3:gsi-shelter-csv:shelters bench-power:power-push-json:power_outages bench-damage:fdma-damage-json:damage \
         bench-status:shelter-status-json:shelters bench-sse:shelter-status-json:shelters; do
  IFS=: read -r sid sfmt slayer <<<"$s"
  HUBENV+=("Hub__Sources__${i}__Id=$sid" "Hub__Sources__${i}__Kind=push" "Hub__Sources__${i}__Format=$sfmt"
           "Hub__Sources__${i}__Layer=$slayer" "Hub__Sources__${i}__OwnerOrg=bench-city")
  i=$((i + 1))
done
HUB_PID=""
start_hub() {   # $1 db, $2 port -> sets HUB_PID
  createdb "$1"
  # BENCH_AUTO_EXPLAIN=20s: every statement of the hub slower than that has its plan (with actual rows) in the
  # cluster's log — for finding a stall, not for figures (EXPLAIN ANALYZE's timing slows what it measures)
  [ -n "${BENCH_AUTO_EXPLAIN:-}" ] && psql -d "$1" -qc "ALTER DATABASE \"$1\" SET session_preload_libraries = 'auto_explain';
    ALTER DATABASE \"$1\" SET auto_explain.log_min_duration = '$BENCH_AUTO_EXPLAIN'; ALTER DATABASE \"$1\" SET auto_explain.log_analyze = on;
    ALTER DATABASE \"$1\" SET auto_explain.log_timing = off; ALTER DATABASE \"$1\" SET auto_explain.log_nested_statements = on"
  env "${HUBENV[@]}" ConnectionStrings__Hub="$(cs "$1")" dotnet "$API_DLL" serve --urls "http://127.0.0.1:$2" > "$RES/hub-$1.log" 2>&1 &
  HUB_PID=$!
  PIDS+=("$HUB_PID")
  for _ in $(seq 1 120); do
    if curl -fsS "http://127.0.0.1:$2/health/ready" >/dev/null 2>&1; then
      # the hub has migrated: BENCH_TILE_CELLS=off stops the cell maintenance (the triggers of migrations 0016, 0063)
      [ "${BENCH_TILE_CELLS:-on}" = off ] && psql -d "$1" -qc "ALTER TABLE merged_feature DISABLE TRIGGER merged_feature_tile_cells_ins,
        DISABLE TRIGGER merged_feature_tile_cells_upd, DISABLE TRIGGER merged_feature_tile_cells_del" \
        -c "ALTER TABLE feature DISABLE TRIGGER feature_tile_cells_ins, DISABLE TRIGGER feature_tile_cells_upd, DISABLE TRIGGER feature_tile_cells_del"
      return 0
    fi
    kill -0 "$HUB_PID" 2>/dev/null || { tail -30 "$RES/hub-$1.log" >&2; die "hub exited"; }
    sleep 0.5
  done
  tail -30 "$RES/hub-$1.log" >&2; die "hub did not become ready"
}
make_key() {   # $1 db
  env "${HUBENV[@]}" ConnectionStrings__Hub="$(cs "$1")" dotnet "$API_DLL" keys create --org bench-city --kind operator --scopes admin,push:shelters,push:power_outages,push:damage --db "$(cs "$1")" 2>&1 \
    | sed -n 's/.*secret (shown once): *\(dh_[^ ]*\).*/\1/p' | head -1
}
push() {   # $1 port $2 key $3 source $4 format $5 file $6 content-type [$7 more query] -> prints "http_code seconds accepted"
  local out="$W/push-resp.json" code secs
  read -r code secs < <(curl -sS -o "$out" -w '%{http_code} %{time_total}\n' -X POST \
    -H "Authorization: Bearer $2" -H "Content-Type: $6" --data-binary "@$5" \
    "http://127.0.0.1:$1/api/v1/sources/$3/documents?format=$4${7:-}")
  local acc
  acc=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d.get("accepted", d.get("Accepted", 0)))' "$out" 2>/dev/null || echo 0)
  [ "$code" = 200 ] || { log "push $3: HTTP $code $(head -c 300 "$out")"; }
  echo "$code $secs $acc"
}
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
wrk_run() {   # label, then env assignments and wrk args; appends RESULT line to $RES/wrk.log, echoes it
  local label=$1; shift
  echo "[$label] $*" >> "$CMDS"
  local line
  line=$(env "$@" 2>>"$RES/wrk.err" | grep '^RESULT' | tail -1)
  echo "$label $line" >> "$RES/wrk.log"
  echo "$line"
}
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $2"; }   # field NAME "RESULT line"
rate() { python3 -c "import sys; print(round(float(sys.argv[1]) / (float(sys.argv[2]) / 1e6), 1))" "$(field requests "$1")" "$(field duration_us "$1")"; }

# ---------------------------------------------------------------- 5. scale curve: one size
scale_point() {   # $1 features: a fresh database, the hub on it, n GSI rows pushed, then tile latencies
  local n=$1 sdb="bench_$(date +%s)_s$1" SPID RSS_PID skey total_secs=0 total_acc=0 part=0 f code secs acc line
  DBS+=("$sdb")
  log "5. scale: $n features in $sdb"
  [ -f "$W/gsi-$n-5.csv" ] || python3 "$B/gen.py" gsi "$n" 5 "$W/gsi-$n-5.csv"
  start_hub "$sdb" "$SCALE_PORT"
  SPID=$HUB_PID
  skey=$(make_key "$sdb")
  push "$SCALE_PORT" "$skey" bench-warm gsi-shelter-csv "$W/gsi-1000-9.csv" text/csv >/dev/null
  : > "$W/rss-scale.txt"
  bash "$B/rss.sh" "$SPID" "$W/rss-scale.txt" 0.2 900 &
  RSS_PID=$!; PIDS+=("$RSS_PID")
  # one document of up to 1,000,000 rows (the CSV cap is 2,000,000): the 1M point is one document, so its RSS peak
  # is the issue-16 memory goal (≤ 600 MB); larger sizes go in documents of 1,000,000 rows to sources bench-gsi-1, -2, …
  rm -f "$W"/scale-part-*.csv
  tail -n +2 "$W/gsi-$n-5.csv" | split -l 1000000 -d -a 2 - "$W/scale-part-"
  for f in "$W"/scale-part-*; do
    part=$((part + 1)); { head -1 "$W/gsi-$n-5.csv"; cat "$f"; } > "$f.csv"; rm -f "$f"
    read -r code secs acc < <(push "$SCALE_PORT" "$skey" "bench-gsi-$part" gsi-shelter-csv "$f.csv" text/csv)
    log "  document $part: $acc rows in ${secs}s (HTTP $code)"
    total_secs=$(python3 -c "print($total_secs + $secs)"); total_acc=$((total_acc + acc))
  done
  rm -f "$W"/scale-part-*.csv
  kill "$RSS_PID" 2>/dev/null || true
  rec "scale_${n}_documents" "$part"
  rec "scale_${n}_accepted" "$total_acc"
  rec "scale_${n}_ingest_fps" "$(python3 -c "print(round($total_acc / $total_secs))")"
  rec "scale_${n}_ingest_rss_peak_mb" "$(( $(sort -n "$W/rss-scale.txt" | tail -1) / 1024 ))"
  psql -d "$sdb" -qc "VACUUM ANALYZE merged_feature"
  psql -d "$sdb" -qc "VACUUM ANALYZE tile_cell"
  rec "scale_${n}_tile_cells" "$(psql -d "$sdb" -tAc "SELECT count(*) FROM tile_cell")"
  # 300 distinct tiles, one connection: latency without queueing
  line=$(wrk_run "scale_$n" BENCH_PATHS="$W/tile-paths.txt" BENCH_FROM=1 BENCH_TO=300 BENCH_MAX=300 \
    wrk -t1 -c1 -d20s --timeout 30s -s "$B/lua/paths.lua" "http://127.0.0.1:$SCALE_PORT")
  rec "scale_${n}_tile_p50_ms" "$(field p50_ms "$line")"; rec "scale_${n}_tile_p95_ms" "$(field p95_ms "$line")"
  rec "scale_${n}_tile_p99_ms" "$(field p99_ms "$line")"
  # per zoom: the hub over HTTP, and its two SQL paths below the cluster zoom (cells; rows = request-time, as before
  # the cells). The unchanged re-push drops the tiles wrk left in the hub's cache.
  push "$SCALE_PORT" "$skey" bench-warm gsi-shelter-csv "$W/gsi-1000-9.csv" text/csv >/dev/null
  log "  per-zoom tile latencies (${BENCH_PER_ZOOM:-40} tiles per zoom)"
  echo "DisasterHub.Bench tile-latency '$(cs "$sdb")' http://127.0.0.1:$SCALE_PORT ${BENCH_PER_ZOOM:-40} scale_$n" >> "$CMDS"
  local bin; bin="$(dirname "$API_DLL")"
  cp -f "$bin/DisasterHub.Data.dll" "$bin/DisasterHub.Core.dll" "$(dirname "$BENCH_DLL")/"
  dotnet "$BENCH_DLL" tile-latency "$(cs "$sdb")" "http://127.0.0.1:$SCALE_PORT" "${BENCH_PER_ZOOM:-40}" "scale_$n" >> "$T" 2>>"$RES/tile-latency.log" \
    || log "  tile-latency failed (see $RES/tile-latency.log)"
  kill "$SPID"; wait "$SPID" 2>/dev/null || true
  # BENCH_KEEP_DB=1 keeps the scale database (for EXPLAIN work on the tile SQL); its name is in the log
  if [ "${BENCH_KEEP_DB:-0}" = 1 ]; then DBS=("${DBS[@]/$sdb}"); log "  kept database $sdb"; else dropdb --if-exists --force "$sdb"; fi
}
if [ $SCALE_ONLY = 1 ]; then
  for n in ${BENCH_SCALE_SIZES:-1000000}; do scale_point "$n"; done
  python3 "$B/report.py" "$RES" | tee "$RES/summary.txt"
  log "results: $RES"
  exit 0
fi

log "database $DB; hub on 127.0.0.1:$HUB_PORT"
start_hub "$DB" "$HUB_PORT"
MAIN_PID=$HUB_PID
KEY=$(make_key "$DB")
[ -n "$KEY" ] || die "could not create an API key"
sleep 2
rec rss_idle_empty_mb "$(( $(rss_kb "$MAIN_PID") / 1024 ))"

# ---------------------------------------------------------------- 1. ingest: hub vs COPY vs ogr2ogr
log "1. ingest ($GSI_N rows, $REPS reps): hub push, raw COPY, ogr2ogr"
push "$HUB_PORT" "$KEY" bench-warm gsi-shelter-csv "$W/gsi-1000-9.csv" text/csv >/dev/null   # JIT warm-up
COLS='"NO" text, "共通ID" text, "施設・場所名" text, "住所" text, "洪水" text, "崖崩れ、土石流及び地滑り" text, "高潮" text, "地震" text, "津波" text, "大規模な火事" text, "内水氾濫" text, "火山現象" text, "指定避難所との住所同一" text, "緯度" text, "経度" text, "備考" text'
for r in $(seq 1 "$REPS"); do
  f="$W/gsi-$GSI_N-$r.csv"
  echo "curl -X POST --data-binary @$(basename "$f") -H 'Authorization: Bearer …' http://127.0.0.1:$HUB_PORT/api/v1/sources/bench-gsi-$r/documents?format=gsi-shelter-csv" >> "$CMDS"
  read -r code secs acc < <(push "$HUB_PORT" "$KEY" "bench-gsi-$r" gsi-shelter-csv "$f" text/csv)
  [ "$code" = 200 ] || die "hub ingest failed"
  cp "$W/push-resp.json" "$W/first-resp.json"   # its rejections: rows the replacement below leaves out
  rec ingest_hub_fps "$(python3 -c "print(round($acc / $secs))")"
  rec ingest_hub_s "$secs"
  rec ingest_hub_accepted "$acc"
  # the same bytes again to the same source: every record unchanged, so nothing but staging and one anti-join is written
  read -r code2 secs2 _ < <(push "$HUB_PORT" "$KEY" "bench-gsi-$r" gsi-shelter-csv "$f" text/csv)
  [ "$code2" = 200 ] || die "hub re-push failed"
  rec ingest_hub_repush_s "$secs2"
  rec ingest_repush_speedup "$(python3 -c "print(round($secs / $secs2, 2))")"
  # the registry re-published whole without 1 % of its rows (?replace=true): those are withdrawn, the rest unchanged.
  # Rows the first push rejected are left out too: a replacement with a rejection withdraws nothing.
  dropped=$(python3 - "$f" "$W/first-resp.json" "$W/gsi-replace.csv" <<'PY'
import json, re, sys
src, resp, out = sys.argv[1:4]
bad = {int(m.group(1)) for r in json.load(open(resp)).get("rejections", []) if (m := re.match(r"line (\d+)", r["at"]))}
lines = open(src, encoding="utf-8", newline="").read().splitlines(keepends=True)
rows = [l for i, l in enumerate(lines[1:], start=2) if i not in bad]
keep = len(rows) - len(rows) // 100
open(out, "w", encoding="utf-8", newline="").writelines([lines[0]] + rows[:keep])
print(len(rows) - keep)
PY
)
  echo "curl -X POST --data-binary @gsi-replace.csv (the accepted rows less the last $dropped) …/sources/bench-gsi-$r/documents?format=gsi-shelter-csv&replace=true" >> "$CMDS"
  read -r code3 secs3 _ < <(push "$HUB_PORT" "$KEY" "bench-gsi-$r" gsi-shelter-csv "$W/gsi-replace.csv" text/csv "&replace=true")
  [ "$code3" = 200 ] || die "hub replacement failed"
  rec ingest_hub_replace_s "$secs3"
  withdrawn=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["replace"]["withdrawn"])' "$W/push-resp.json")
  [ "$withdrawn" = "$dropped" ] || die "the replacement withdrew $withdrawn rows, not the $dropped it left out: $(head -c 300 "$W/push-resp.json")"
  rec ingest_hub_replace_withdrawn "$withdrawn"
  # the withdrawn rows back (not measured), so the read benchmarks below see the whole national set as before
  read -r code4 _ _ < <(push "$HUB_PORT" "$KEY" "bench-gsi-$r" gsi-shelter-csv "$f" text/csv)
  [ "$code4" = 200 ] || die "hub re-push of the whole registry failed"
  psql -d "$DB" -qc "CREATE TABLE copy_raw_$r ($COLS)"
  echo "psql -c \"\\copy copy_raw_$r FROM '$(basename "$f")' WITH (FORMAT csv, HEADER true)\"" >> "$CMDS"
  t0=$(now); psql -d "$DB" -qc "\\copy copy_raw_$r FROM '$f' WITH (FORMAT csv, HEADER true)"; t1=$(now)
  rec ingest_copy_fps "$(python3 -c "print(round($GSI_N / ($t1 - $t0)))")"
  echo "ogr2ogr -f PostgreSQL PG:\"…\" $(basename "$f") -nln ogr_$r -oo X_POSSIBLE_NAMES=経度 -oo Y_POSSIBLE_NAMES=緯度 -a_srs EPSG:4326" >> "$CMDS"
  t0=$(now)
  ogr2ogr -f PostgreSQL PG:"$(PGCONN "$DB")" "$f" -nln "ogr_$r" -oo X_POSSIBLE_NAMES=経度 -oo Y_POSSIBLE_NAMES=緯度 -a_srs EPSG:4326 -overwrite 2>>"$RES/ogr.err"
  t1=$(now)
  rec ingest_ogr_fps "$(python3 -c "print(round($GSI_N / ($t1 - $t0)))")"
  log "  rep $r: hub $acc rows in ${secs}s, unchanged re-push in ${secs2}s, replacement without 1 % in ${secs3}s"
done
# ---------------------------------------------------------------- 6. a replacement's worst case, a source withdrawn
# Run last, on the sources the ingest section loaded: each rewrites or withdraws a whole national registry, so the
# read sections are measured on the data as loaded, not after that churn.
worst_cases() {
  local r code5 secs5 acc5 changed5 code6 secs6 withdrawn6
  log "6. a replacement with every row changed, then the source withdrawn ($REPS reps)"
  for r in $(seq 1 "$REPS"); do
    # the registry re-published with every row's remark edited (?replace=true): every record changed, none withdrawn —
    # the replacement's worst case, all of the source's current rows rewritten in one transaction
    python3 - "$W/gsi-$GSI_N-$r.csv" "$W/gsi-allchanged.csv" <<'PY'
import sys
lines = open(sys.argv[1], encoding="utf-8", newline="").read().splitlines(keepends=True)
open(sys.argv[2], "w", encoding="utf-8", newline="").writelines([lines[0]] + [l.rstrip("\r\n") + "改\n" for l in lines[1:]])
PY
    echo "curl -X POST --data-binary @gsi-allchanged.csv (gsi-$GSI_N-$r.csv with every row's 備考 edited) …/sources/bench-gsi-$r/documents?format=gsi-shelter-csv&replace=true" >> "$CMDS"
    read -r code5 secs5 acc5 < <(push "$HUB_PORT" "$KEY" "bench-gsi-$r" gsi-shelter-csv "$W/gsi-allchanged.csv" text/csv "&replace=true")
    [ "$code5" = 200 ] || die "hub replacement with every row changed failed"
    changed5=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["changed"])' "$W/push-resp.json")
    [ "$changed5" = "$acc5" ] || die "the all-changed replacement changed $changed5 of $acc5 rows: $(head -c 300 "$W/push-resp.json")"
    rec ingest_hub_replace_all_s "$secs5"
    # an operator takes the whole registry off the map (every current feature withdrawn into history)
    echo "curl -X POST -H 'Authorization: Bearer …' http://127.0.0.1:$HUB_PORT/api/v1/sources/bench-gsi-$r/withdraw" >> "$CMDS"
    read -r code6 secs6 < <(curl -sS -o "$W/withdraw-resp.json" -w '%{http_code} %{time_total}\n' -X POST -H "Authorization: Bearer $KEY" \
      "http://127.0.0.1:$HUB_PORT/api/v1/sources/bench-gsi-$r/withdraw")
    [ "$code6" = 200 ] || die "withdrawing the source failed: HTTP $code6 $(head -c 300 "$W/withdraw-resp.json")"
    withdrawn6=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["withdrawn"])' "$W/withdraw-resp.json")
    [ "$withdrawn6" = "$acc5" ] || die "the withdrawal took $withdrawn6 features off, not $acc5: $(head -c 300 "$W/withdraw-resp.json")"
    rec ingest_hub_withdraw_s "$secs6"
    rec ingest_hub_withdraw_n "$withdrawn6"
    log "  rep $r: every row changed in ${secs5}s, the source withdrawn in ${secs6}s"
  done
}

# ---------------------------------------------------------------- 7. a source per municipality
# A national deployment has a source per municipality pushing shelter status (1,741). BENCH_MUNI (default 500; 50 in
# --quick) such sources are registered and each sends a first document of 3 shelters; then one of them pushes a
# 3-shelter update 40 times. Every ingest looks features up across sources (identity, merge): this shows what the
# number of sources costs a small push (migration 0060 keeps small sources in one partition).
municipalities() {
  local n="${BENCH_MUNI:-$([ $QUICK = 1 ] && echo 50 || echo 500)}" g k t code
  log "7. a source per municipality: $n sources, a 3-shelter first document each, then 40 updates of one"
  psql -d "$DB" -qc "INSERT INTO source (id, name, kind, format, layer, owner_org_id) SELECT 'bench-muni-' || g, 'bench municipality ' || g,
    'push', 'shelter-status-json', 'shelters', 'bench-city' FROM generate_series(1, $n) g ON CONFLICT DO NOTHING"
  echo "INSERT INTO source … 'bench-muni-1' … 'bench-muni-$n' (push, shelter-status-json, owner bench-city); one 3-shelter POST each, then 40 to bench-muni-1" >> "$CMDS"
  muni_doc() {   # $1 source number, $2 evacuees
    printf '{"municipality_code":"172022","observed_at":"%s","shelters":[' "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)"
    for k in 1 2 3; do printf '%s{"id":"S%s","name":"市町村%s-%s","status":"開設","evacuees":%s,"lat":37.05,"lon":136.9%s}' \
      "$([ $k = 1 ] || echo ,)" "$k" "$1" "$k" "$2" "$k"; done
    printf ']}'
  }
  for g in $(seq 1 "$n"); do
    muni_doc "$g" 5 > "$W/muni.json"
    read -r code t _ < <(push "$HUB_PORT" "$KEY" "bench-muni-$g" shelter-status-json "$W/muni.json" application/json)
    [ "$code" = 200 ] || die "first document of bench-muni-$g: HTTP $code"
    rec muni_first_ms "$(awk -v t="$t" 'BEGIN { printf "%.1f", t * 1000 }')"
  done
  rec muni_sources "$n"
  for k in $(seq 1 40); do
    muni_doc 1 "$k" > "$W/muni.json"
    read -r code t _ < <(push "$HUB_PORT" "$KEY" bench-muni-1 shelter-status-json "$W/muni.json" application/json)
    [ "$code" = 200 ] || die "update of bench-muni-1: HTTP $code"
    rec muni_update_ms "$(awk -v t="$t" 'BEGIN { printf "%.1f", t * 1000 }')"
  done
  rec muni_partitions "$(psql -d "$DB" -tAc "SELECT count(*) FROM pg_inherits WHERE inhparent = 'feature'::regclass")"
}

# ---------------------------------------------------------------- 8. a national deployment's reads
# BENCH_NATIONAL (default every municipality of the shipped boundaries, 1,918; 100 in --quick) sources, each placed
# in its municipality with 20 shelters; then the reads officers make all day, each timed just after a change: merged
# and per-source tiles over Tokyo (z0–z10), the municipality roll-up, the source list (bench/national.py).
national() {
  local n="${BENCH_NATIONAL:-$([ $QUICK = 1 ] && echo 100 || echo 1918)}"
  log "8. a national deployment's reads: $n municipal sources of 20 shelters, each in its municipality"
  echo "python3 bench/national.py PORT KEY DB $n   # sources bench-nat-CODE; tiles over Tokyo z0–z10, roll-up, /api/v1/sources, each just after a change" >> "$CMDS"
  python3 "$B/national.py" "$HUB_PORT" "$KEY" "$DB" "$n" > "$W/national.tsv" || die "section 8 (national.py) failed"
  local k v
  while IFS=$'\t' read -r k v; do rec "$k" "$v"; done < "$W/national.tsv"
}

if [ $INGEST_ONLY = 1 ]; then
  worst_cases
  municipalities
  national
  if [ "${BENCH_KEEP_DB:-0}" = 1 ]; then DBS=("${DBS[@]/$DB}"); log "kept database $DB"; fi
  python3 "$B/report.py" "$RES" | tee "$RES/summary.txt"
  log "results: $RES"
  exit 0
fi

# the rest of the national dataset: outage polygons + every municipality's damage report
log "national dataset: + $POWER_N outage polygons, + damage reports"
read -r code secs acc < <(push "$HUB_PORT" "$KEY" bench-power power-push-json "$W/power-$POWER_N.json" application/json)
rec ingest_power_fps "$(python3 -c "print(round($acc / $secs))")"
read -r code secs acc < <(push "$HUB_PORT" "$KEY" bench-damage fdma-damage-json "$W/damage.json" application/json)
rec damage_municipalities "$acc"
psql -d "$DB" -qc "VACUUM ANALYZE"
psql -d "$DB" -tAc "SELECT layer, count(*) FROM merged_feature GROUP BY 1 ORDER BY 1" | tr '|' ' ' | while read -r l n; do rec "dataset_$l" "$n"; done
rec dataset_merged_total "$(psql -d "$DB" -tAc "SELECT count(*) FROM merged_feature")"
psql -d "$DB" -qc "CREATE TABLE bench_tile (i serial PRIMARY KEY, z int, x int, y int)"
psql -d "$DB" -qc "\\copy bench_tile (z, x, y) FROM '$W/tiles-$NT.txt' WITH (FORMAT text, DELIMITER ' ')"
sleep 3
rec rss_idle_national_mb "$(( $(rss_kb "$MAIN_PID") / 1024 ))"

# ---------------------------------------------------------------- 2. tiles: hub uncached / cached vs pgbench
pgbench_sql "$W/tile.pgb" merged
cp "$W/tile.pgb" "$RES/tile.pgb.sql"
: > "$W/rss-load.txt"
bash "$B/rss.sh" "$MAIN_PID" "$W/rss-load.txt" 0.2 900 &
RSS_PID=$!; PIDS+=("$RSS_PID")
# distinct tile chunks: one per repetition for the hub (uncached), one for the MapServer comparison
CHUNK=$(( NT / (REPS + 1) ))
log "2. tiles: $REPS x ${TILE_S}s uncached (chunks of $CHUNK distinct tiles), cached, pgbench"
for r in $(seq 1 "$REPS"); do
  from=$(( (r - 1) * CHUNK + 1 )); to=$(( r * CHUNK ))
  line=$(wrk_run tiles_uncached BENCH_PATHS="$W/tile-paths.txt" BENCH_FROM=$from BENCH_TO=$to BENCH_MAX=$CHUNK \
    wrk -t1 -c$CONC -d${TILE_S}s --timeout 30s -s "$B/lua/paths.lua" "http://127.0.0.1:$HUB_PORT")
  rec tiles_hub_uncached_tps "$(rate "$line")"
  rec tiles_hub_uncached_p50_ms "$(field p50_ms "$line")"
  rec tiles_hub_uncached_p95_ms "$(field p95_ms "$line")"
  rec tiles_hub_uncached_p99_ms "$(field p99_ms "$line")"
  rec tiles_hub_uncached_non2xx "$(field non2xx "$line")"
  # the limit: the same SQL straight into PostgreSQL
  echo "pgbench -n -M simple -f tile.pgb -D ntiles=$NT -c $CONC -j 1 -T $TILE_S -l $(PGCONN "$DB")" >> "$CMDS"
  rm -f "$W"/pgb_log*
  # the same session settings as the hub's connections (HubApp: JIT off), so the comparison is of the same work
  (cd "$W" && PGOPTIONS="-c jit=off" "$PGBENCH" -n -M simple -f "$W/tile.pgb" -D ntiles="$NT" -c $CONC -j 1 -T "$TILE_S" -l --log-prefix=pgb_log "$DB" > "$W/pgbench.out" 2>&1) \
    || { cat "$W/pgbench.out" >&2; die "pgbench failed"; }
  tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$W/pgbench.out" | head -1)
  rec tiles_sql_tps "$tps"
  read -r p50 p95 p99 < <(cat "$W"/pgb_log* | awk '{print $3/1000}' | sort -n | awk '{a[NR]=$1} END {print a[int(NR*0.5)+0], a[int(NR*0.95)], a[int(NR*0.99)]}')
  rec tiles_sql_p50_ms "$p50"; rec tiles_sql_p95_ms "$p95"; rec tiles_sql_p99_ms "$p99"
  # cached: a small hot set, warmed once, then looped
  curl -s -o /dev/null "http://127.0.0.1:$HUB_PORT/tiles/merged/0/0/0.mvt"
  # (curl, not wrk: wrk runs for its whole -d window even after BENCH_MAX requests)
  sed "s|^|http://127.0.0.1:$HUB_PORT|" "$W/tile-hot-paths.txt" | xargs -P 4 -n 20 curl -s -o /dev/null
  line=$(wrk_run tiles_cached BENCH_PATHS="$W/tile-hot-paths.txt" BENCH_CYCLE=1 BENCH_MAX=2000000 \
    wrk -t1 -c$CONC -d${CACHED_S}s -s "$B/lua/paths.lua" "http://127.0.0.1:$HUB_PORT")
  rec tiles_hub_cached_tps "$(rate "$line")"
  rec tiles_hub_cached_p99_ms "$(field p99_ms "$line")"
  log "  rep $r: uncached $(rate "$(grep tiles_uncached "$RES/wrk.log" | tail -1)")/s, pgbench $tps/s"
done

# ---------------------------------------------------------------- 3. MapServer 8 behind nginx (FastCGI)
log "3. MapServer 8 (FastCGI x$CONC behind nginx) on the same table"
mkdir -p "$W/nginx/logs" "$W/nginx/tmp"
MS_LAYERS=""
for l in shelters power_outages damage; do
  t=POINT; sty="SYMBOL 0 SIZE 4"; [ $l = power_outages ] && { t=POLYGON; sty=""; }
  MS_LAYERS+="  LAYER
    NAME \"$l\"
    TYPE $t
    STATUS ON
    CONNECTIONTYPE POSTGIS
    CONNECTION \"$(PGCONN "$DB")\"
    DATA \"geom from (select id::text as id, layer, name, status, severity, municipality_code, entity_key, array_to_string(sources, ',') as sources, observed_at::text as observed_at, attrs::text as attrs, geom from merged_feature where workspace = 'live' and layer = '$l' and classification = 'public') as t using unique id using srid=4326\"
    PROJECTION \"init=epsg:4326\" END
    TEMPLATE \"dummy\"
    METADATA
      \"gml_include_items\" \"all\"
      \"gml_featureid\" \"id\"
      \"wms_title\" \"$l\"
      \"oga_title\" \"$l\"
      \"ows_title\" \"$l\"
    END
    CLASS STYLE COLOR 255 0 0 $sty END END
  END
"
done
cat > "$W/hub.map" <<MAPFILE_EOF
MAP
  NAME "hub"
  EXTENT 122 20 154 46
  SIZE 4096 4096
  PROJECTION "init=epsg:4326" END
  WEB
    METADATA
      "oga_enable_request" "*"
      "oga_onlineresource" "http://127.0.0.1:$MS_PORT/hub/ogcapi"
      "oga_max_limit" "10000"
      "wms_enable_request" "*"
      "wms_srs" "EPSG:4326 EPSG:3857"
      "wms_title" "hub"
      "wms_onlineresource" "http://127.0.0.1:$MS_PORT/?map=hub"
      "ows_title" "hub"
    END
  END
  OUTPUTFORMAT
    NAME "mvt"
    DRIVER MVT
    MIMETYPE "application/vnd.mapbox-vector-tile"
    EXTENSION "pbf"
    FORMATOPTION "EXTENT=4096"
    FORMATOPTION "EDGE_BUFFER=64"
  END
$MS_LAYERS
END
MAPFILE_EOF
printf 'CONFIG\n  ENV MS_MAP_PATTERN "." END\n  MAPS "hub" "%s" END\nEND\n' "$W/hub.map" > "$W/mapserver.conf"
cp "$W/hub.map" "$RES/hub.map"
NGINX_CONF="$W/nginx/nginx.conf"
cat > "$NGINX_CONF" <<NGX
worker_processes 1;
pid $W/nginx/nginx.pid;
error_log $W/nginx/logs/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path $W/nginx/tmp; fastcgi_temp_path $W/nginx/tmp; proxy_temp_path $W/nginx/tmp;
  uwsgi_temp_path $W/nginx/tmp; scgi_temp_path $W/nginx/tmp;
  upstream ms { server 127.0.0.1:$MS_FCGI_PORT; keepalive 8; }
  server {
    listen 127.0.0.1:$MS_PORT;
    location / {
      include /etc/nginx/fastcgi_params;
      fastcgi_keep_conn on;
      fastcgi_param SCRIPT_NAME "";
      fastcgi_param PATH_INFO \$uri;
      fastcgi_param MAPSERVER_CONFIG_FILE $W/mapserver.conf;
      fastcgi_pass ms;
    }
  }
}
NGX
cp "$NGINX_CONF" "$RES/nginx.conf"
rm -f "$W/mapserv.pid"
kill_mapserv   # a leftover from an interrupted run would hold the port
MAPSERVER_CONFIG_FILE="$W/mapserver.conf" spawn-fcgi -a 127.0.0.1 -p "$MS_FCGI_PORT" -F "$CONC" -P "$W/mapserv.pid" -- /usr/lib/cgi-bin/mapserv >/dev/null 2>&1 \
  || die "spawn-fcgi failed"
sleep 0.5
# spawn-fcgi -F writes one pid per line
nginx -c "$NGINX_CONF" -p "$W/nginx" 2>>"$RES/nginx.err" || die "nginx did not start"
sleep 0.5
curl -fsS -o "$W/ms-check.json" "http://127.0.0.1:$MS_PORT/hub/ogcapi/collections/shelters/items?f=json&limit=2" \
  || { cat "$W/nginx/logs/error.log" >&2; die "MapServer OGC API does not answer"; }
curl -fsS -o "$W/ms-check.mvt" "http://127.0.0.1:$MS_PORT$(sed -n 5p "$W/ms-tile-paths.txt")" || die "MapServer MVT does not answer"
echo "mapserver check: $(head -c 200 "$W/ms-check.json")… mvt $(stat -c %s "$W/ms-check.mvt") bytes" >> "$RES/machine.txt"
from=$(( REPS * CHUNK + 1 )); to=$(( (REPS + 1) * CHUNK ))
for r in $(seq 1 "$REPS"); do
  # MapServer has no tile cache, so it gets the same chunk every repetition; the hub runs that chunk once, after
  # this loop (a repeat would come from its cache); its uncached repetitions are the chunks of section 2.
  line=$(wrk_run ms_tiles BENCH_PATHS="$W/ms-tile-paths.txt" BENCH_FROM=$from BENCH_TO=$to BENCH_MAX=$CHUNK \
    wrk -t1 -c$CONC -d${MS_S}s --timeout 30s -s "$B/lua/paths.lua" "http://127.0.0.1:$MS_PORT")
  rec tiles_ms_tps "$(rate "$line")"; rec tiles_ms_p50_ms "$(field p50_ms "$line")"; rec tiles_ms_p95_ms "$(field p95_ms "$line")"; rec tiles_ms_p99_ms "$(field p99_ms "$line")"
  rec tiles_ms_non2xx "$(field non2xx "$line")"
  line=$(wrk_run ms_ogc BENCH_PATHS="$W/ms-ogc-paths.txt" BENCH_CYCLE=1 BENCH_MAX=100000 \
    wrk -t1 -c$CONC -d${OGC_S}s --timeout 30s -s "$B/lua/paths.lua" "http://127.0.0.1:$MS_PORT")
  rec ogc_ms_rps "$(rate "$line")"; rec ogc_ms_p99_ms "$(field p99_ms "$line")"; rec ogc_ms_non2xx "$(field non2xx "$line")"
  line=$(wrk_run hub_ogc BENCH_PATHS="$W/ogc-paths.txt" BENCH_CYCLE=1 BENCH_MAX=100000 \
    wrk -t1 -c$CONC -d${OGC_S}s --timeout 30s -s "$B/lua/paths.lua" "http://127.0.0.1:$HUB_PORT")
  rec ogc_hub_rps "$(rate "$line")"; rec ogc_hub_p99_ms "$(field p99_ms "$line")"; rec ogc_hub_non2xx "$(field non2xx "$line")"
done
# the hub on the MapServer tile chunk, uncached (once: a repeat would be served from the cache)
line=$(wrk_run hub_tiles_mschunk BENCH_PATHS="$W/tile-paths.txt" BENCH_FROM=$from BENCH_TO=$to BENCH_MAX=$CHUNK \
  wrk -t1 -c$CONC -d${MS_S}s --timeout 30s -s "$B/lua/paths.lua" "http://127.0.0.1:$HUB_PORT")
rec tiles_hub_mschunk_tps "$(rate "$line")"; rec tiles_hub_mschunk_p99_ms "$(field p99_ms "$line")"

kill "$RSS_PID" 2>/dev/null || true
rec rss_load_peak_mb "$(( $(sort -n "$W/rss-load.txt" | tail -1) / 1024 ))"

# ---------------------------------------------------------------- 4. push
log "4. push: wrk at concurrency $PUSH_CONC, ${PUSH_S}s each; SSE push-to-visible x$SSE_N"
for c in $PUSH_CONC; do
  for r in $(seq 1 "$REPS"); do
    line=$(wrk_run push_c$c BENCH_KEY="$KEY" BENCH_PUSH_PATH="/api/v1/sources/bench-status/documents?format=shelter-status-json" BENCH_MAX=50000 \
      wrk -t1 -c"$c" -d${PUSH_S}s --timeout 10s -s "$B/lua/push.lua" "http://127.0.0.1:$HUB_PORT")
    rec "push_c${c}_rps" "$(rate "$line")"; rec "push_c${c}_p50_ms" "$(field p50_ms "$line")"
    rec "push_c${c}_p99_ms" "$(field p99_ms "$line")"; rec "push_c${c}_non2xx" "$(field non2xx "$line")"
  done
done
for r in $(seq 1 "$REPS"); do
  echo "python3 bench/sse_latency.py $HUB_PORT KEY bench-sse $SSE_N 60" >> "$CMDS"
  line=$(python3 "$B/sse_latency.py" "$HUB_PORT" "$KEY" bench-sse "$SSE_N" 60 2>>"$RES/sse.err" | grep '^RESULT')
  echo "sse $line" >> "$RES/wrk.log"
  rec sse_p50_ms "$(field p50_ms "$line")"; rec sse_p99_ms "$(field p99_ms "$line")"; rec sse_max_ms "$(field max_ms "$line")"
  rec sse_seen_ratio "$(python3 -c "print(round($(field seen "$line") / max(1, $(field n "$line")), 3))")"
done

# ---------------------------------------------------------------- 6. memory: streaming over OGC API
log "6. memory: streaming $STREAM_N shelters over OGC API (pages of 10,000)"
sleep 2
base=$(rss_kb "$MAIN_PID"); : > "$W/rss-stream.txt"
bash "$B/rss.sh" "$MAIN_PID" "$W/rss-stream.txt" 0.05 300 &
RSS_PID=$!; PIDS+=("$RSS_PID")
t0=$(now); bytes=0
for off in $(seq 0 10000 $((STREAM_N - 1))); do
  b=$(curl -sS -o /dev/null -w '%{size_download}' "http://127.0.0.1:$HUB_PORT/ogc/collections/shelters/items?limit=10000&offset=$off")
  bytes=$((bytes + b))
done
t1=$(now)
kill "$RSS_PID" 2>/dev/null || true
peak=$(sort -n "$W/rss-stream.txt" | tail -1)
rec stream_features "$STREAM_N"; rec stream_mb "$((bytes / 1048576))"
rec stream_fps "$(python3 -c "print(round($STREAM_N / ($t1 - $t0)))")"
rec stream_rss_before_mb "$((base / 1024))"; rec stream_rss_peak_mb "$((peak / 1024))"; rec stream_rss_growth_mb "$(( (peak - base) / 1024 ))"
sleep 2
rec rss_idle_after_mb "$(( $(rss_kb "$MAIN_PID") / 1024 ))"
echo "ogrinfo OAPIF check: $(timeout 60 ogrinfo -ro -so -q "OAPIF:http://127.0.0.1:$HUB_PORT/ogc" shelters 2>&1 | grep -m1 'Feature Count' || echo n/a)" >> "$RES/machine.txt"

# ---------------------------------------------------------------- 5. scale curve
if [ $SCALE = 1 ]; then
  for n in 10000 100000 1000000; do scale_point "$n"; done
fi

worst_cases
municipalities
national

# BENCH_KEEP_DB=1 keeps the main database too (for EXPLAIN work on the read SQL); its name is in the log
if [ "${BENCH_KEEP_DB:-0}" = 1 ]; then DBS=("${DBS[@]/$DB}"); log "kept database $DB"; fi

# ---------------------------------------------------------------- report
python3 "$B/report.py" "$RES" | tee "$RES/summary.txt"
log "results: $RES (results.tsv, results.md, commands.log, machine.txt)"
