#!/usr/bin/env bash
# rss.sh PID OUT INTERVAL_S MAX_S: sample VmRSS (kB) of PID into OUT until killed or MAX_S pass (bounded).
pid=$1 out=$2 iv=${3:-0.1} max=${4:-600}
end=$(( $(date +%s) + max ))
while [ "$(date +%s)" -lt "$end" ] && [ -r /proc/$pid/status ]; do
  awk '/VmRSS/ {print $2}' /proc/$pid/status >> "$out" 2>/dev/null || true
  sleep "$iv"
done
