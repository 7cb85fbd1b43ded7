#!/bin/sh
# bench/scale.sh — issue 16's figures, each printed next to its goal
# (printed, never asserted; docs/scale.md).
#
#   1. throughput: wrk against nginx answering a fixed chat completion,
#      then `assay run` of 20,000 cases x 2 providers with 3 deterministic
#      assertions each against the same nginx; the ratio (goal >= 0.5);
#      and bench/curl_floor.c, libcurl alone making the same requests,
#      the ceiling for any client built on libcurl;
#   2. memory flat in cases: peak RSS at 2,000 x 2 and at 200,000 x 2
#      results against nginx (goal: within 10%);
#   3. a million results: 500,000 cases x 2 against `assay mock`, then
#      `assay stats` on it (goals: peak RSS < 100 MB, stats < 10 s);
#      SCALE_MILLION=0 skips it (it takes minutes);
#   4. latency-bound runs against a 100 ms mock: 400 requests at -j 32 and
#      20,000 at -j 256, against the wave-quantised ideal ceil(n/j) x 100 ms
#      (goal <= 1.05x, end-of-run work included);
#   5. start-up: `assay validate` of a 20,000-case suite (goal < 100 ms).
# nginx comes from Debian's nginx-light (`make bench` installs it); without
# nginx, parts 1 and 2 run against `assay mock` and say so.
# Usage: ASSAY=build/assay bench/scale.sh
set -eu
ASSAY=${ASSAY:-build/assay}
W=$(mktemp -d)
trap 'kill $(cat "$W"/*.pid 2>/dev/null) 2>/dev/null; rm -rf "$W"' EXIT

start_mock() { # name rules-file
	"$ASSAY" mock --rules "$2" --port 0 --port-file "$W/$1.port" --quiet \
		>"$W/$1.log" 2>&1 &
	echo $! >"$W/$1.pid"
	i=0; while [ ! -s "$W/$1.port" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done
	cat "$W/$1.port"
}

REPLY='{"id":"c1","object":"chat.completion","created":1,"model":"fixed","choices":[{"index":0,"message":{"role":"assistant","content":"billing: the invoice was charged twice"},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":7,"total_tokens":19}}'

start_nginx() { # prints the port, or nothing without nginx
	NGINX=$(command -v nginx || ls /usr/sbin/nginx 2>/dev/null || true)
	[ -n "$NGINX" ] || return 0
	port=$((20000 + $$ % 20000))
	mkdir -p "$W/ngx/logs"
	esc=$(printf '%s' "$REPLY" | sed "s/'/\\\\'/g")
	cat >"$W/ngx/nginx.conf" <<N
worker_processes 1;
daemon off;
pid $W/ngx/nginx.pid;
error_log $W/ngx/logs/error.log;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_buffer_size 64k;
    server {
        listen 127.0.0.1:$port;
        keepalive_requests 1000000;
        location / {
            default_type application/json;
            return 200 '$esc';
        }
    }
}
N
	"$NGINX" -p "$W/ngx" -c "$W/ngx/nginx.conf" >"$W/ngx/out.log" 2>&1 &
	echo $! >"$W/nginx.pid"
	i=0
	while ! curl -s -o /dev/null "http://127.0.0.1:$port/" && [ $i -lt 100 ]; do
		sleep 0.05; i=$((i+1))
	done
	echo "$port"
}

cases() { # n file
	awk -v n="$1" 'BEGIN { print "ticket,category"
		for (i = 0; i < n; i++) printf "ticket number %d about my invoice,billing\n", i }' >"$2"
}
suite() { # file port cases-file
	cat >"$1" <<Y
description: scale
prompts: ["Classify this ticket: {{ticket}}"]
providers:
  - id: openai:chat:fixed-a
    config: {apiBaseUrl: "http://127.0.0.1:$2/v1", apiKey: sk-bench}
  - id: openai:chat:fixed-b
    config: {apiBaseUrl: "http://127.0.0.1:$2/v1", apiKey: sk-bench}
defaultTest:
  assert:
    - type: icontains
      value: "{{category}}"
    - type: regex
      value: "^[a-z]+:"
    - type: not-contains
      value: "I cannot"
tests: file://$(basename "$3")
Y
}
run_timed() { # tag suite [flags] -> "$W/tag.t" holds "wall rss_kb"
	tag=$1 s=$2
	shift 2
	/usr/bin/time -f "%e %M" -o "$W/$tag.t" "$ASSAY" run "$s" --no-progress-bar \
		--no-table --no-cache --db "$W/$tag.db" "$@" >/dev/null 2>"$W/$tag.log" || true
}

cat >"$W/fixed.yaml" <<'Y'
models:
  - name: fixed-a
  - name: fixed-b
default: "billing: the invoice was charged twice"
Y
NP=$(start_nginx)
if [ -n "$NP" ]; then
	SERVER="nginx (fixed answer, 1 worker)"; SP=$NP
else
	SERVER="assay mock (nginx not installed: apt-get install nginx-light)"
	SP=$(start_mock fixed "$W/fixed.yaml")
fi

echo "== 1. throughput against $SERVER"
cat >"$W/post.lua" <<'L'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model":"fixed-a","messages":[{"role":"user","content":"Classify this ticket: ticket number 1 about my invoice"}]}'
L
wrk -t2 -c64 -d5s -s "$W/post.lua" "http://127.0.0.1:$SP/v1/chat/completions" >"$W/wrk.log" 2>&1 || true
WRK=$(awk '/Requests\/sec/ { printf "%.0f", $2 }' "$W/wrk.log")
cases 20000 "$W/c20k.csv"
suite "$W/s20k.yaml" "$SP" "$W/c20k.csv"
run_timed t20k "$W/s20k.yaml" -j 64
read -r secs rss <"$W/t20k.t"
# the HTTP library's own floor: libcurl's multi-socket interface alone,
# same requests, nothing else to do (bench/curl_floor.c; docs/ARCHITECTURE.md,
# "Where the time and memory go")
FLOOR=0
if cc -O2 -o "$W/curl_floor" "$(dirname "$0")/curl_floor.c" -lcurl 2>"$W/cf.log"; then
	FLOOR=$("$W/curl_floor" "http://127.0.0.1:$SP/v1/chat/completions" 40000 64 2>>"$W/cf.log" |
		awk '{ print $3 }') || FLOOR=0
fi
awk -v w="${WRK:-0}" -v s="$secs" -v m="$rss" -v f="${FLOOR:-0}" 'BEGIN {
	a = 40000 / s
	printf "wrk: %d req/s   assay: 40,000 results in %.2f s = %.0f req/s (peak RSS %.1f MB)\n", w, s, a, m / 1024
	printf "ratio assay/wrk: %.3f   goal >= 0.5: %s\n", (w > 0 ? a / w : 0), (w > 0 && a / w >= 0.5 ? "met" : "NOT met")
	if (f > 0)
		printf "libcurl alone (bench/curl_floor.c, 40,000 at 64): %d req/s = %.3f of wrk; assay/libcurl: %.3f\n", f, (w > 0 ? f / w : 0), a / f
	else
		printf "libcurl alone: not measured (cc or libcurl headers missing)\n" }'

echo "== 2. memory flat in cases (against the same server, -j 64)"
cases 2000 "$W/c2k.csv"
suite "$W/s2k.yaml" "$SP" "$W/c2k.csv"
run_timed t2k "$W/s2k.yaml" -j 64
cases 200000 "$W/c200k.csv"
suite "$W/s200k.yaml" "$SP" "$W/c200k.csv"
run_timed t200k "$W/s200k.yaml" -j 64
read -r s1 m1 <"$W/t2k.t"
read -r s2 m2 <"$W/t200k.t"
awk -v m1="$m1" -v m2="$m2" -v s2="$s2" 'BEGIN {
	printf "peak RSS: %.1f MB at 2,000 x 2, %.1f MB at 200,000 x 2 (%.0f s)\n", m1 / 1024, m2 / 1024, s2
	printf "ratio: %.2f   goal <= 1.10: %s\n", m2 / m1, (m2 / m1 <= 1.10 ? "met" : "NOT met") }'

if [ "${SCALE_MILLION:-1}" != 0 ]; then
	echo "== 3. a million results: 500,000 cases x 2 against assay mock, then assay stats"
	MP=$(start_mock mill "$W/fixed.yaml")
	cases 500000 "$W/c500k.csv"
	suite "$W/s500k.yaml" "$MP" "$W/c500k.csv"
	run_timed t500k "$W/s500k.yaml" -j 64
	/usr/bin/time -f "%e %M %U %S" -o "$W/st.t" "$ASSAY" stats latest \
		--db "$W/t500k.db" >/dev/null 2>"$W/st.log" || true
	read -r s3 m3 <"$W/t500k.t"
	read -r s4 m4 u4 y4 <"$W/st.t"
	# the bootstrap budget (docs/statistics.md, "Speed of the report"):
	# 10,000 resamples (--resamples); a mean of > 64 distinct values
	# draws max(200, min(10,000, 2e7 / n)) of them; pass/fail results
	# take Wilson, McNemar and Newcombe, which need none
	awk -v s3="$s3" -v m3="$m3" -v s4="$s4" -v m4="$m4" -v u4="$u4" -v y4="$y4" 'BEGIN {
		printf "run: %.0f s, peak RSS %.1f MB (goal < 100 MB: %s)\n", s3, m3 / 1024, (m3 < 102400 ? "met" : "NOT met")
		printf "stats: %.1f s (CPU %.1f s), peak RSS %.1f MB (goal < 10 s: %s; < 100 MB: %s)\n", s4, u4 + y4, m4 / 1024, (s4 < 10 ? "met" : "NOT met"), (m4 < 102400 ? "met" : "NOT met")
		printf "  bootstrap budget: 10,000 resamples; a mean of > 64 distinct values draws max(200, min(10,000, 2e7/n))\n" }'
	grep -c . "$W/st.log" >/dev/null 2>&1 && head -3 "$W/st.log" | sed 's/^/  stats stderr: /'
fi

echo "== 4. latency-bound runs, 100 ms model latency"
cat >"$W/slow.yaml" <<'Y'
models:
  - name: fixed-a
    latency_ms: 100
  - name: fixed-b
    latency_ms: 100
default: "billing: the invoice was charged twice"
Y
LP=$(start_mock slow "$W/slow.yaml")
cases 200 "$W/c200.csv"
suite "$W/s200.yaml" "$LP" "$W/c200.csv"
run_timed l400 "$W/s200.yaml" -j 32
cases 10000 "$W/c10k.csv"
suite "$W/s10k.yaml" "$LP" "$W/c10k.csv"
run_timed l20k "$W/s10k.yaml" -j 256
for x in "l400 400 32" "l20k 20000 256"; do
	set -- $x
	read -r s m <"$W/$1.t"
	awk -v n="$2" -v j="$3" -v s="$s" 'BEGIN {
		waves = int((n + j - 1) / j); ideal = waves * 0.1
		printf "%d requests at -j %d: %.2f s, ideal %.2f s (%d waves): %.3fx   goal <= 1.05: %s\n",
			n, j, s, ideal, waves, s / ideal, (s / ideal <= 1.05 ? "met" : "NOT met") }'
done

echo "== 5. start-up: assay validate of a 20,000-case suite (median of 5)"
for i in 1 2 3 4 5; do
	t0=$(date +%s%N)
	"$ASSAY" validate "$W/s20k.yaml" >/dev/null 2>&1 || true
	t1=$(date +%s%N)
	echo $(( (t1 - t0) / 1000 ))
done | sort -n | awk 'NR == 3 { printf "validate: %.1f ms   goal < 100 ms: %s\n", $1 / 1000, ($1 < 100000 ? "met" : "NOT met") }'
