#!/bin/sh
# bench/loop_cpu.sh — the run loop's CPU use while it waits (issue 15's
# scenario; printed, never asserted): one provider on a dead port that is
# retried (8 retries, 100–400 ms backoff) and one slow provider (`assay
# mock`, LATENCY ms per reply), -j 2, CASES cases each.  Prints user and
# system CPU seconds, wall seconds and CPU as a share of wall time
# (target: under 10 %).  Usage: ASSAY=build/assay bench/loop_cpu.sh [CASES] [LATENCY]
set -eu
ASSAY=${ASSAY:-build/assay}
N=${1:-4}
LAT=${2:-3000}
W=$(mktemp -d)
trap 'kill $(cat "$W"/*.pid 2>/dev/null) 2>/dev/null; rm -rf "$W"' EXIT
printf 'models:\n  - name: slow\n    latency_ms: %s\ndefault: "ok"\n' "$LAT" >"$W/rules.yaml"
"$ASSAY" mock --rules "$W/rules.yaml" --port 0 --port-file "$W/port" --quiet >"$W/mock.log" 2>&1 &
echo $! >"$W/mock.pid"
i=0; while [ ! -s "$W/port" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done
{
	echo 'prompts: ["case {{n}}"]'
	echo 'providers:'
	echo '  - id: openai:chat:dead'
	echo '    config: {apiBaseUrl: "http://127.0.0.1:9/v1", max_retries: 8, retry_base_ms: 100, retry_max_ms: 400}'
	echo '  - id: openai:chat:slow'
	echo "    config: {apiBaseUrl: \"http://127.0.0.1:$(cat "$W/port")/v1\"}"
	echo 'tests:'
	i=0; while [ $i -lt "$N" ]; do echo "  - vars: {n: $i}"; i=$((i+1)); done
} >"$W/suite.yaml"
cd "$W"
OPENAI_API_KEY=sk-bench /usr/bin/time -f "%U %S %e" -o "$W/time" "$ASSAY" run suite.yaml -j 2 \
	--no-progress-bar --no-table --no-cache >/dev/null 2>&1 || true
tail -n 1 "$W/time" | awk -v n="$N" -v l="$LAT" '{
	printf "dead port (retried) + slow provider (%s ms), %s cases each, -j 2:\n", l, n
	printf "  %.2f s user + %.2f s system CPU in %.2f s wall = %.1f %% CPU\n", $1, $2, $3, ($1 + $2) * 100 / $3 }'
