#!/bin/sh
# bench/load.sh — how closely `assay load` keeps to its arrival schedule
# (printed, never asserted: the figures depend on the machine and on what
# else runs on it).
#
# Against `assay mock` (no latency: its epoll fast path), constant arrivals
# at 250, 500, 1000 and 2000 requests/s for DURATION seconds each.  For
# every step, from the send timestamps in the store: the send lag (actual −
# intended send) p50 / p99 / max and the share of sends within 1 ms of
# schedule; also the scheduler's CPU time.  Target: 99 % within 1 ms up to
# 2,000 requests/s on an idle machine.
# Usage: ASSAY=build/assay bench/load.sh [DURATION_S]
set -eu
ASSAY=${ASSAY:-build/assay}
DUR=${1:-3}
W=$(mktemp -d)
trap 'kill $(cat "$W"/*.pid 2>/dev/null) 2>/dev/null; rm -rf "$W"' EXIT

cat >"$W/rules.yaml" <<'Y'
models:
  - name: fast
default: "ok"
Y
"$ASSAY" mock --rules "$W/rules.yaml" --port 0 --port-file "$W/m.port" --quiet >"$W/m.log" 2>&1 &
echo $! >"$W/m.pid"
i=0; while [ ! -s "$W/m.port" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done
PORT=$(cat "$W/m.port")
cat >"$W/suite.yaml" <<Y
prompts: ["Question {{n}}"]
providers:
  - id: openai:chat:fast
    config: {apiBaseUrl: "http://127.0.0.1:$PORT/v1"}
tests:
  - vars: {n: 1}
  - vars: {n: 2}
  - vars: {n: 3}
Y
echo "== assay load: arrivals vs schedule (${DUR} s per step, load average $(cut -d' ' -f1 /proc/loadavg))"
/usr/bin/time -f "scheduler process: %U s user, %S s system, %M KB peak RSS" \
	"$ASSAY" load "$W/suite.yaml" --rate 250,500,1000,2000 --duration "${DUR}s" \
	--keep-going --db "$W/db" -o "$W/load.json" >"$W/out.txt" 2>"$W/time.txt" || {
	cat "$W/out.txt" "$W/time.txt"; exit 1; }
printf '%8s %7s %9s %9s %9s %12s\n' "rate/s" "sends" "lag p50" "lag p99" "lag max" "within 1 ms"
sqlite3 -separator ' ' "$W/db" "
  WITH l AS (SELECT step, sent_ms - intended_ms AS lag,
                    ROW_NUMBER() OVER (PARTITION BY step ORDER BY sent_ms - intended_ms) AS k,
                    COUNT(*) OVER (PARTITION BY step) AS n
             FROM load_requests)
  SELECT step, n,
         MAX(CASE WHEN k = (n + 1) / 2 THEN lag END),
         MAX(CASE WHEN k = CAST(0.99 * n + 0.999 AS INTEGER) THEN lag END),
         MAX(lag), AVG(lag <= 1.0) * 100
  FROM l GROUP BY step ORDER BY step" |
while read -r step n p50 p99 mx within; do
	rate=$(jq -r ".plan.rates[$step]" "$W/load.json")
	printf '%8.0f %7d %7.3f ms %7.3f ms %7.3f ms %10.1f %%\n' "$rate" "$n" "$p50" "$p99" "$mx" "$within"
done
tail -1 "$W/time.txt"
