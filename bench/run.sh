#!/bin/sh
# bench/run.sh — the core throughput benchmark (printed, never asserted).
#
#   1. 10,000 cases × 2 providers against `assay mock` (latency 0), -j 64:
#      requests/second end to end and peak RSS;
#   2. the same against a mock with 100 ms latency: wall time vs the ideal
#      cases × providers × latency / concurrency;
#   3. wrk against the same mock (the server's own ceiling), for comparison;
#   4. `assay --version` start-up time.
# Usage: ASSAY=build/assay bench/run.sh [CASES]
set -eu
ASSAY=${ASSAY:-build/assay}
N=${1:-10000}
J=64
W=$(mktemp -d)
trap 'kill $(cat "$W"/*.pid 2>/dev/null) 2>/dev/null; rm -rf "$W"' EXIT

start_mock() { # name rules-file
	"$ASSAY" mock --rules "$2" --port 0 --port-file "$W/$1.port" --quiet \
		>"$W/$1.log" 2>&1 &
	echo $! >"$W/$1.pid"
	i=0; while [ ! -s "$W/$1.port" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done
	cat "$W/$1.port"
}

cat >"$W/fast.yaml" <<'Y'
models:
  - name: fast-a
  - name: fast-b
rules:
  - contains: "ticket"
    reply: "billing"
default: "other"
Y
sed 's/  - name: fast-\(.\)/  - name: slow-\1\n    latency_ms: 100/' "$W/fast.yaml" >"$W/slow.yaml"

# The suite: N cases from a CSV, one prompt, two providers.
{
	echo "ticket,category"
	i=0; while [ $i -lt "$N" ]; do echo "ticket number $i about my invoice,billing"; i=$((i+1)); done
} >"$W/cases.csv"
suite() { # prefix port
	cat <<Y
description: bench
prompts: ["Classify this ticket: {{ticket}}"]
providers:
  - id: openai:chat:$1-a
    config: {apiBaseUrl: "http://127.0.0.1:$2/v1"}
  - id: openai:chat:$1-b
    config: {apiBaseUrl: "http://127.0.0.1:$2/v1"}
defaultTest:
  assert:
    - type: icontains
      value: "{{category}}"
tests: file://cases.csv
Y
}

PF=$(start_mock fast "$W/fast.yaml")
suite fast "$PF" >"$W/fast-suite.yaml"
REQS=$((N * 2))
echo "== 1. $N cases x 2 providers, latency 0, -j $J"
/usr/bin/time -f "%e %M" -o "$W/t1" "$ASSAY" run "$W/fast-suite.yaml" -j $J \
	--no-progress-bar --no-table --db "$W/b1.db" >/dev/null 2>"$W/r1.log" || true
read -r secs rss <"$W/t1"
awk -v n=$REQS -v s="$secs" -v m="$rss" 'BEGIN {
	printf "requests: %d  wall: %.2f s  rate: %.0f req/s  peak RSS: %.1f MB\n", n, s, n / s, m / 1024 }'
RATE1=$(awk -v n=$REQS -v s="$secs" 'BEGIN { printf "%.0f", n / s }')

echo "== 2. $N cases x 2 providers, latency 100 ms, -j $J"
PS=$(start_mock slow "$W/slow.yaml")
suite slow "$PS" >"$W/slow-suite.yaml"
/usr/bin/time -f "%e %M" -o "$W/t2" "$ASSAY" run "$W/slow-suite.yaml" -j $J \
	--no-progress-bar --no-table --db "$W/b2.db" >/dev/null 2>"$W/r2.log" || true
read -r secs rss <"$W/t2"
awk -v n=$REQS -v s="$secs" -v j=$J -v m="$rss" 'BEGIN {
	ideal = n * 0.1 / j
	printf "wall: %.2f s  ideal: %.2f s  ratio: %.3f  peak RSS: %.1f MB\n", s, ideal, s / ideal, m / 1024 }'

echo "== 3. wrk against the same (latency 0) mock, 64 connections, 2 threads, 5 s"
cat >"$W/post.lua" <<'L'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model":"fast-a","messages":[{"role":"user","content":"Classify this ticket: ticket number 1 about my invoice"}]}'
L
if command -v wrk >/dev/null; then
	wrk -t2 -c$J -d5s -s "$W/post.lua" "http://127.0.0.1:$PF/v1/chat/completions" >"$W/wrk.log" 2>&1 || true
	WRK=$(awk '/Requests\/sec/ { printf "%.0f", $2 }' "$W/wrk.log")
	echo "wrk: ${WRK:-?} req/s   assay end to end: $RATE1 req/s   ratio: $(awk -v a="$RATE1" -v w="${WRK:-0}" 'BEGIN { if (w > 0) printf "%.2f", a / w; else print "?" }')"
else
	echo "wrk not installed (apt-get install wrk)"
fi

echo "== 4. assay --version, 200 runs"
t0=$(date +%s%N); i=0
while [ $i -lt 200 ]; do "$ASSAY" --version >/dev/null; i=$((i+1)); done
t1=$(date +%s%N)
awk -v d=$((t1 - t0)) 'BEGIN { printf "assay --version: %.2f ms per run (including fork/exec)\n", d / 200 / 1e6 }'

echo "== 5. statistics: 10 candidates x 100,000 results, 10,000 resamples"
BUILD=$(dirname "$ASSAY") "$(dirname "$0")/stats.sh"
