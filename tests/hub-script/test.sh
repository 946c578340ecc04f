#!/usr/bin/env bash
# Test of ./hub itself (run by `./hub test`; alone: bash tests/hub-script/test.sh after a build). TAP output.
# Two copies of this checkout — one under a mode-700 directory (the postgres user cannot reach it, as under /root),
# one under a path with spaces and Japanese characters — run `./hub demo` at the same time on default settings, and
# must each serve their own data from their own cluster on their own ports; a port asked for explicitly but taken
# must fail before anything starts, in one line; SIGTERM (with the database already gone) must stop everything
# within 10 s; a stale postmaster.pid and a half-written data directory must recover by themselves.
# The copies reuse this checkout's built DLLs (HUB_PREBUILT=1) and node_modules, so no build runs here.
set -uo pipefail

SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
CONF="${HUB_CONFIG:-Release}"
API_DLL="$SRC/src/DisasterHub.Api/bin/$CONF/net10.0/DisasterHub.Api.dll"
SIM_DLL="$SRC/src/DisasterHub.Simulator/bin/$CONF/net10.0/DisasterHub.Simulator.dll"
PGBIN=/usr/lib/postgresql/15/bin
# the copies run on defaults: nothing of the caller's choice (nor of `./hub test`'s own cluster) leaks into them
unset HUB_PORT SIM_PORT HUB_PG_PORT ConnectionStrings__Hub HUB_TEST_PG HUB_PGDATA PGHOST PGPORT PGUSER PGDATABASE
export HUB_PREBUILT=1 HUB_CONFIG="$CONF"

n=0 failures=0
check() {   # DESCRIPTION COMMAND...: one TAP line
  local what=$1; shift
  n=$((n + 1))
  if "$@"; then echo "ok $n - $what"; else echo "not ok $n - $what"; failures=$((failures + 1)); fi
}
note() { echo "# $*"; }
is_root() { [ "$(id -u)" -eq 0 ]; }
as_pg() { if is_root; then runuser -u postgres -- "$@"; else "$@"; fi; }

if [ ! -f "$API_DLL" ] || [ ! -f "$SIM_DLL" ] || [ ! -d "$SRC/node_modules/maplibre-gl" ]; then
  echo "not ok 1 - this checkout is built (run ./hub test, or ./hub demo once, first)"
  exit 1
fi

PRIVATE="$(mktemp -d /tmp/hub-script-private.XXXXXX)"   # mode 700, like /root
SPACED="$(mktemp -d "/tmp/hub script テスト.XXXXXX")"
chmod 700 "$PRIVATE"
chmod 755 "$SPACED"
A="$PRIVATE/checkout"
B="$SPACED/二つ目 checkout"
C="$SPACED/third"
SLEEPER=""
DEMO_PIDS=()

copy_checkout() {
  mkdir -p "$1/src/DisasterHub.Api/bin/$CONF" "$1/src/DisasterHub.Simulator/bin/$CONF"
  cp "$SRC/hub" "$1/hub"
  cp -a "$SRC/tools" "$1/tools"
  ln -s "$SRC/node_modules" "$1/node_modules"
  cp -a "$SRC/src/DisasterHub.Api/bin/$CONF/net10.0" "$1/src/DisasterHub.Api/bin/$CONF/"
  cp -a "$SRC/src/DisasterHub.Simulator/bin/$CONF/net10.0" "$1/src/DisasterHub.Simulator/bin/$CONF/"
}

finish() {
  local p
  for p in "${DEMO_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${DEMO_PIDS[@]}"; do for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done; done
  [ -n "$SLEEPER" ] && kill "$SLEEPER" 2>/dev/null
  for d in "$A" "$B" "$C"; do [ -x "$d/hub" ] && "$d/hub" clean >/dev/null 2>&1; done
  rm -rf "$PRIVATE" "$SPACED"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

started=$(date +%s)
copy_checkout "$A"
copy_checkout "$B"
copy_checkout "$C"

# --- two checkouts at once, on defaults ---------------------------------------------------------------------------
setsid "$A/hub" demo > "$PRIVATE/a.log" 2>&1 & DEMO_A=$!
setsid "$B/hub" demo > "$SPACED/b.log" 2>&1 & DEMO_B=$!
DEMO_PIDS=("$DEMO_A" "$DEMO_B")

wait_up() {   # LOG PID: until "DisasterHub is up" (or the run ends)
  for _ in $(seq 240); do
    grep -q 'DisasterHub is up' "$1" && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.5
  done
  return 1
}
field() { sed -n "s/.*$2\([0-9][0-9]*\).*/\1/p" "$1" | tail -1; }   # LOG PREFIX → the port printed after it
up_a=0 up_b=0
wait_up "$PRIVATE/a.log" "$DEMO_A" && up_a=1
wait_up "$SPACED/b.log" "$DEMO_B" && up_b=1
HUB_A=$(field "$PRIVATE/a.log" 'is up: http:\/\/127.0.0.1:') SIM_A=$(field "$PRIVATE/a.log" 'simulator 127.0.0.1:') PG_A=$(field "$PRIVATE/a.log" 'PostgreSQL 127.0.0.1:')
HUB_B=$(field "$SPACED/b.log" 'is up: http:\/\/127.0.0.1:') SIM_B=$(field "$SPACED/b.log" 'simulator 127.0.0.1:') PG_B=$(field "$SPACED/b.log" 'PostgreSQL 127.0.0.1:')
note "A: hub $HUB_A simulator $SIM_A PostgreSQL $PG_A; B: hub $HUB_B simulator $SIM_B PostgreSQL $PG_B ($(( $(date +%s) - started )) s)"
[ $up_a = 1 ] || { note "A's log:"; tail -20 "$PRIVATE/a.log" | sed 's/^/#   /'; }
[ $up_b = 1 ] || { note "B's log:"; tail -20 "$SPACED/b.log" | sed 's/^/#   /'; }

ready() { [ -n "$1" ] && curl -fsS -o /dev/null --max-time 5 "http://127.0.0.1:$1/health/ready"; }
check "the checkout under a mode-700 directory serves the map (/ and /health/ready)" \
  bash -c "[ $up_a = 1 ] && curl -fsS --max-time 5 http://127.0.0.1:$HUB_A/ | grep -ci '<html' >/dev/null && curl -fsS -o /dev/null --max-time 5 http://127.0.0.1:$HUB_A/health/ready"
check "the checkout under a path with spaces and Japanese characters serves the map, at the same time" \
  bash -c "[ $up_b = 1 ] && curl -fsS --max-time 5 http://127.0.0.1:$HUB_B/ | grep -ci '<html' >/dev/null && curl -fsS -o /dev/null --max-time 5 http://127.0.0.1:$HUB_B/health/ready"

ext_a() { sed -n 's/.*(data: \([^ )]*\/pg\).*/\1/p' "$PRIVATE/a.log" | head -1; }
PGDATA_A="$(ext_a)"
cluster_a_placed() {
  if is_root; then
    # unreachable for postgres: the cluster lives under /var/lib/postgresql/disasterhub/<name>-<hash>, owned by postgres, private
    [[ "$PGDATA_A" == /var/lib/postgresql/disasterhub/checkout-*/pg ]] && [ ! -e "$A/.data/pg" ] \
      && [ "$(stat -c %U:%a "$(dirname "$PGDATA_A")")" = postgres:700 ] \
      && grep -q "the postgres user cannot reach $A; ./hub clean removes it" "$PRIVATE/a.log"
  else
    [ "$PGDATA_A" = "$A/.data/pg" ]
  fi
}
check "A's cluster lives where the postgres user can reach it, and the output says where ($PGDATA_A)" cluster_a_placed
check "B's cluster lives in B's checkout" test -f "$B/.data/pg/PG_VERSION"
distinct() { local all="$HUB_A $SIM_A $PG_A $HUB_B $SIM_B $PG_B"; [ "$(tr ' ' '\n' <<<"$all" | grep -c .)" = 6 ] && [ "$(tr ' ' '\n' <<<"$all" | sort -u | grep -c .)" = 6 ]; }
check "the two runs use six distinct ports" distinct

own_data() {
  # each hub's sources point at its own simulator, and a row written into A's database (on the port A printed) shows
  # on A's hub only
  PGHOST=127.0.0.1 PGUSER=postgres psql -p "$PG_A" -d hub -qc "UPDATE source SET name = 'alpha-marker' WHERE id = 'sim-shelters'" || return 1
  # (pull URLs are not shown to anonymous callers, so the simulator each points at is read from its own database)
  local sa sb ua ub
  ua="$(PGHOST=127.0.0.1 PGUSER=postgres psql -p "$PG_A" -d hub -tAc "SELECT url FROM source WHERE id = 'sim-shelters'")" || return 1
  ub="$(PGHOST=127.0.0.1 PGUSER=postgres psql -p "$PG_B" -d hub -tAc "SELECT url FROM source WHERE id = 'sim-shelters'")" || return 1
  sa="$(curl -fsS --max-time 5 "http://127.0.0.1:$HUB_A/api/v1/sources")" && sb="$(curl -fsS --max-time 5 "http://127.0.0.1:$HUB_B/api/v1/sources")" || return 1
  [[ "$ua" == *"127.0.0.1:$SIM_A/"* ]] && [[ "$ub" == *"127.0.0.1:$SIM_B/"* ]] \
    && grep -q alpha-marker <<<"$sa" && ! grep -q alpha-marker <<<"$sb"
}
check "each checkout serves its own data (own simulator, own database)" own_data

demo_done_when() {
  # issue 14's Done-when on a real `./hub demo`: the seeded clerk of 七尾市 signs in on a phone-sized page, opens a
  # shelter and sets evacuees by keyboard, and the officer reads it within a second; a CSV with one bad row is
  # previewed (line 3 named, nothing stored) before Commit; a change made offline arrives once (tools/e2e-city.mjs)
  local shelter=演習中学校 out rc seen
  for _ in $(seq 60); do
    curl -fsS --max-time 5 "http://127.0.0.1:$HUB_B/ogc/collections/merged_shelters/items?municipality_code=172022&limit=100" 2>/dev/null | grep -q "$shelter" && break
    sleep 1
  done
  out="$(cd "$SRC" && timeout 240 node tools/e2e-city.mjs "http://127.0.0.1:$HUB_B" "$shelter" 2>&1)"; rc=$?
  note "tools/e2e-city.mjs on B's demo → exit $rc: $(tail -1 <<<"$out" | cut -c1-300)"
  seen="$(tail -1 <<<"$out" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{console.log(JSON.parse(s).steps.officerSeenMs)}catch{console.log(99999)}})')"
  note "the officer's read showed the clerk's change after ${seen} ms"
  [ "$rc" = 0 ] && [ "$seen" -lt 1000 ]
}
check "on \`./hub demo\`, the seeded 七尾市 clerk opens a shelter and sets evacuees (the officer sees it within a second) and previews a CSV's bad row before Commit" demo_done_when

short_run_keeps_cluster() {
  # a second command of the same checkout joins the running cluster and leaves it running for the demo
  "$A/hub" keys list > "$PRIVATE/keys.log" 2>&1 && grep -q "127.0.0.1:$PG_A" "$PRIVATE/keys.log" && ready "$HUB_A"
}
check "\`./hub keys list\` beside A's demo uses A's cluster and leaves it running" short_run_keeps_cluster

# --- a taken port -----------------------------------------------------------------------------------------------
taken_port_fails_first() {
  local out rc t0=$(date +%s)
  out="$(HUB_PORT="$HUB_A" "$C/hub" demo 2>&1)"; rc=$?
  note "HUB_PORT=$HUB_A ./hub demo → exit $rc in $(( $(date +%s) - t0 )) s: $(tr '\n' ' ' <<<"$out")"
  [ $rc -ne 0 ] && [ "$(grep -c . <<<"$out")" = 1 ] && grep -q "port $HUB_A (HUB_PORT) is taken by dotnet (pid [0-9]*, .*DisasterHub.Api.dll" <<<"$out" \
    && [ ! -e "$C/.data" ] && ! ls -d /var/lib/postgresql/disasterhub/third-* >/dev/null 2>&1
}
check "HUB_PORT set to a taken port: one line naming the port and its holder, nothing started" taken_port_fails_first
taken_pg_port_fails() {
  local out rc
  out="$(HUB_PG_PORT="$PG_A" "$C/hub" migrate 2>&1)"; rc=$?
  note "HUB_PG_PORT=$PG_A ./hub migrate → exit $rc: $(tr '\n' ' ' <<<"$out")"
  [ $rc -ne 0 ] && [ "$(grep -c . <<<"$out")" = 1 ] && grep -q "port $PG_A (HUB_PG_PORT) is taken by postgres (pid [0-9]*, cluster $PGDATA_A)" <<<"$out"
}
check "HUB_PG_PORT set to another checkout's cluster: one line naming it, nothing started" taken_pg_port_fails
one_line_bind_error() {
  # the race the script cannot close (a port taken between its check and the bind): one line, no stack trace
  local out rc out2 rc2
  # B's ports are known only if B's demo started; a hub given no port would serve until CI's time runs out
  [ -n "${HUB_B:-}" ] && [ -n "${SIM_B:-}" ] || { note "B's demo has no ports (it did not start)"; return 1; }
  out="$(Hub__Scheduler=false Hub__SimulatorUrl="http://127.0.0.1:$SIM_A" ConnectionStrings__Hub="Host=127.0.0.1;Port=$PG_A;Username=postgres;Database=hub" timeout 60 dotnet "$API_DLL" serve --urls "http://127.0.0.1:$HUB_B" 2>&1 | grep -v '^info: \|^      Applied migration')"; rc=${PIPESTATUS[0]}
  out2="$(timeout 60 dotnet "$SIM_DLL" --urls "http://127.0.0.1:$SIM_B" 2>&1)"; rc2=$?
  note "hub on a taken port → exit $rc: $out; simulator → exit $rc2: $out2"
  [ $rc = 98 ] && [ "$(grep -c . <<<"$out")" = 1 ] && grep -q "address already in use" <<<"$out" \
    && [ $rc2 = 98 ] && [ "$(grep -c . <<<"$out2")" = 1 ] && grep -q "address already in use" <<<"$out2"
}
check "the hub and the simulator on a taken port print one line, no stack trace" one_line_bind_error

# --- SIGTERM, with and without the database ---------------------------------------------------------------------
pids_on() { local p; for p in "$@"; do ss -Hltnp "sport = :$p" 2>/dev/null | sed -n 's/.*pid=\([0-9]*\),.*/\1/p'; done | sort -u | tr '\n' ' '; }
stops_within() {   # SECONDS PID: SIGTERM, then the run is gone within SECONDS
  local t0 t1; t0=$(date +%s%N)
  kill -TERM "$2"
  for _ in $(seq $(( $1 * 10 ))); do kill -0 "$2" 2>/dev/null || break; sleep 0.1; done
  t1=$(date +%s%N)
  note "stopped after $(( (t1 - t0) / 1000000 )) ms"
  ! kill -0 "$2" 2>/dev/null
}
none_alive() {   # PIDS: all gone (a zombie waiting for init to reap it counts as gone)
  local p
  for p in $*; do
    [ -e "/proc/$p" ] && [ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" != Z ] \
      && { note "pid $p still alive: $(tr '\0' ' ' < "/proc/$p/cmdline")"; return 1; }
  done
  return 0
}
KIDS_A="$(pids_on "$HUB_A" "$SIM_A")"
KIDS_B="$(pids_on "$HUB_B" "$SIM_B" "$PG_B")"
[ -n "$PGDATA_A" ] && as_pg "$PGBIN/pg_ctl" -D "$PGDATA_A" -m immediate -w stop >/dev/null 2>&1
sleep 2
check "SIGTERM to A's demo with its database already gone: everything it started ends within 10 s" \
  bash -c "$(declare -f stops_within note none_alive); stops_within 10 $DEMO_A && none_alive $KIDS_A"
check "SIGTERM to B's demo: hub, simulator and PostgreSQL end within 10 s" \
  bash -c "$(declare -f stops_within note none_alive); stops_within 10 $DEMO_B && none_alive $KIDS_B"
DEMO_PIDS=()

# --- recovery after a crash ---------------------------------------------------------------------------------------
stale_pid_recovers() {
  # a crash leaves postmaster.pid behind, naming a pid that is now some other live process
  sleep 600 & SLEEPER=$!
  printf '%s\n%s\n0\n%s\n\n127.0.0.1\n  0  0\nready   \n' "$SLEEPER" "$PGDATA_A" "$PG_A" | as_pg tee "$PGDATA_A/postmaster.pid" >/dev/null
  local out rc
  out="$("$A/hub" migrate 2>&1)"; rc=$?
  [ $rc = 0 ] || note "$out"
  [ $rc = 0 ] && grep -q "starting PostgreSQL on 127.0.0.1:$PG_A " <<<"$out" && grep -q "stopping PostgreSQL" <<<"$out"
}
check "a stale postmaster.pid (its pid now another process): the next run starts the cluster on its recorded port" stale_pid_recovers
half_written_recovers() {
  "$B/hub" clean >/dev/null 2>&1 || return 1
  mkdir -p "$B/.data/pg/base" "$B/.data/run"   # initdb interrupted: PG_VERSION written, the rest missing
  echo 15 > "$B/.data/pg/PG_VERSION"
  is_root && chown -R postgres:postgres "$B/.data/pg" "$B/.data/run"
  local out rc
  out="$("$B/hub" migrate 2>&1)"; rc=$?
  [ $rc = 0 ] || note "$out"
  [ $rc = 0 ] && grep -q "half-written" <<<"$out" && test -f "$B/.data/pg/global/pg_control"
}
check "a half-written data directory (initdb interrupted) is created again" half_written_recovers
port_taken_at_bind() {
  # the race the port check cannot see: another process has bound the port (not yet listening, so ss -l shows
  # nothing) when PostgreSQL binds it; the run takes the next port instead of failing
  local port out rc holder
  # a port no socket uses at all, recorded as B's cluster's port (the cluster is stopped)
  for port in $(seq 54380 54398); do [ -z "$(ss -Htan "sport = :$port" 2>/dev/null)" ] && break; done
  as_pg sed -i "s/^port = .*/port = $port/" "$B/.data/pg/postgresql.conf"
  python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); print("bound", flush=True); time.sleep(120)' "$port" > "$PRIVATE/bound.txt" 2>&1 & holder=$!
  for _ in $(seq 50); do grep -q bound "$PRIVATE/bound.txt" 2>/dev/null && break; sleep 0.1; done
  out="$("$B/hub" migrate 2>&1)"; rc=$?
  kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null
  note "port $port bound by another process → $(grep 'starting PostgreSQL\|was taken' <<<"$out" | tr '\n' ' ')"
  [ $rc = 0 ] || note "$out"
  [ $rc = 0 ] && grep -q "port $port was taken as PostgreSQL bound it" <<<"$out" \
    && grep -q "starting PostgreSQL on 127.0.0.1:$((port + 1)) " <<<"$out"
}
check "a port bound by another process between the check and PostgreSQL's bind: the cluster starts on the next one" port_taken_at_bind
clean_removes() {
  "$A/hub" clean >/dev/null 2>&1 && "$B/hub" clean >/dev/null 2>&1 && [ ! -e "$A/.data" ] && [ ! -e "$B/.data" ] \
    && { [ -z "$PGDATA_A" ] || [ ! -e "$(dirname "$PGDATA_A")" ]; }
}
check "./hub clean removes the cluster, inside or outside the checkout" clean_removes

note "$(( $(date +%s) - started )) s"
echo "1..$n"
[ $failures = 0 ]
