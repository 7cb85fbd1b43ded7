#!/bin/sh
# bench/load.sh — how closely `assay load` keeps to its arrival schedule
# (printed, never asserted: the figures depend on the machine and on what
# else runs on it).
#
# Against `assay mock` (no latency: its epoll fast path), constant arrivals
# at 250, 500, 1000 and 2000 requests/s for DURATION seconds each, REPEATS
# times, in each MODE:
#   default   assay load as a user runs it (ordinary priority);
#   realtime  assay load --realtime (SCHED_FIFO 1; root or CAP_SYS_NICE:
#             skipped with a note when refused).
# For every step, from the send timestamps in the store (the send time is
# when libcurl is about to write the request): the send lag (actual −
# intended send) p50 / p99 / max and the share of sends within 1 ms of
# schedule; from the report, how many late sends were late only by time
# the loop waited for a CPU (run-queue wait, /proc/thread-self/schedstat);
# and the machine's hypervisor steal time over the run (/proc/stat: time a
# virtual CPU was ready but the host ran something else — not visible as
# run-queue wait, and no priority inside the machine helps against it).
# Then the spread (min–max over the repeats) of the share within 1 ms per
# mode and rate, and the scheduler's CPU time.  The load average is printed
# with each run: on a shared machine it is most of the story.
# Usage: ASSAY=build/assay bench/load.sh [DURATION_S] [REPEATS] [MODES]
set -eu
ASSAY=${ASSAY:-build/assay}
DUR=${1:-3}
REP=${2:-3}
MODES=${3:-default realtime}
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
: >"$W/spread"
r=1
while [ "$r" -le "$REP" ]; do
	for mode in $MODES; do
		flag=
		[ "$mode" = realtime ] && flag=--realtime
		rm -f "$W/db" "$W/load.json"
		echo "== run $r, $mode: ${DUR} s per step, load average $(cut -d' ' -f1-3 /proc/loadavg)"
		steal0=$(awk '/^cpu /{print $9}' /proc/stat)
		if ! /usr/bin/time -f "%U %S" -o "$W/time.txt" "$ASSAY" load "$W/suite.yaml" \
			--rate 250,500,1000,2000 --duration "${DUR}s" $flag \
			--keep-going --db "$W/db" -o "$W/load.json" >"$W/out.txt" 2>"$W/err.txt"; then
			if grep -q -- '--realtime' "$W/err.txt"; then
				echo "   skipped: $(cat "$W/err.txt")"
				continue
			fi
			cat "$W/out.txt" "$W/err.txt"; exit 1
		fi
		printf '%8s %7s %9s %9s %9s %12s %6s %12s\n' "rate/s" "sends" "lag p50" "lag p99" \
			"lag max" "within 1 ms" "late" "runq only"
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
			late=$(jq -r ".candidates[0].steps[$step].late_sends" "$W/load.json")
			runq=$(jq -r ".candidates[0].steps[$step].late_by_runq // \"-\"" "$W/load.json")
			printf '%8.0f %7d %6.3f ms %6.3f ms %6.3f ms %10.2f %% %6s %12s\n' \
				"$rate" "$n" "$p50" "$p99" "$mx" "$within" "$late" "$runq"
			echo "$mode $rate $within" >>"$W/spread"
		done
		steal1=$(awk '/^cpu /{print $9}' /proc/stat)
		awk -v st=$((steal1 - steal0)) -v hz="$(getconf CLK_TCK)" '{
			printf "   scheduler process: %.2f s user + %.2f s system CPU; " \
			       "hypervisor steal (all CPUs): %d ms\n", $1, $2, st * 1000 / hz }' "$W/time.txt"
	done
	r=$((r+1))
done
echo "== share of sends within 1 ms of schedule over $REP runs (min – max)"
sort -k1,1 -k2,2n "$W/spread" | awk '
	{ k = $1 " " $2; if (!(k in lo) || $3 < lo[k]) lo[k] = $3; if (!(k in hi) || $3 > hi[k]) hi[k] = $3
	  if (!(k in seen)) { seen[k] = 1; order[++n] = k } }
	END { for (i = 1; i <= n; i++) { split(order[i], a, " ")
		printf "%9s %6.0f/s: %6.2f %% – %6.2f %%\n", a[1], a[2], lo[order[i]], hi[order[i]] } }'
