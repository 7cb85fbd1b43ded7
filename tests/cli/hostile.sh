#!/bin/sh
# hostile.sh — assay against a hostile model server (tests/hostile/server.py
# on loopback): huge and endless bodies, a gzip bomb, deep JSON, bytes that
# are not UTF-8, slowloris bodies and headers, a redirect, a huge header, an
# absurd Retry-After, a server that echoes the API key, an endless stream.
# Each attack is one provider next to a well-behaved one: the attacked
# result must end as the typed error named (never a crash, a hang or a lost
# result), the good provider's result must be stored, the run must end
# within a time bound and its peak memory (GNU time's %M) stay bounded.
# Bounds are generous: the machine is shared.  An attack that another
# change still has to handle is listed in WAITING and reported as skipped
# (HOSTILE_ALL=1 runs it anyway).
. "$(dirname "$0")/../lib.sh"
HERE=$(cd "$(dirname "$0")/.." && pwd)
KEY=sk-hostile-secret-0123456789

if ! command -v python3 >/dev/null 2>&1 || [ ! -x /usr/bin/time ]; then
	echo "skip hostile (needs python3 and /usr/bin/time: make deps)"
	exit 0
fi
python3 "$HERE/hostile/server.py" "$T/hostile.port" >"$T/hostile.log" 2>&1 &
echo $! >"$T/hostile.pid"
i=0; while [ ! -s "$T/hostile.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
HP=$(cat "$T/hostile.port")
ms() { date +%s%3N; }
# AddressSanitizer roughly doubles or triples peak memory: scale the bounds.
MEMX=1
if grep -q __asan_init "$ASSAY" 2>/dev/null; then MEMX=3; fi

# Attacks whose handling belongs to other open items of issue 9.
WAITING="${HOSTILE_WAITING-}"

# attack NAME ATTACK WANT_KIND MAX_S MAX_KB 'extra provider config'
attack() {
	name=$1; at=$2; want=$3; max_s=$4; max_kb=$5; extra=$6
	case " ${HOSTILE_ONLY:-$name} " in *" $name "*) ;; *) return ;; esac
	case " $WAITING " in
	*" $name "*) if [ -z "${HOSTILE_ALL-}" ]; then
			echo "skip hostile_$name (waiting for $(waiting_for "$name"))"
			return
		fi ;;
	esac
	d="$T/$name"; mkdir -p "$d"
	cat >"$d/s.yaml" <<EOS
prompts: ["hi {{n}}"]
providers:
  - id: openai:chat:good
    config: {apiBaseUrl: "http://127.0.0.1:$HP/ok/v1", apiKey: $KEY, max_retries: 0}
  - id: openai:chat:bad
    config: {apiBaseUrl: "http://127.0.0.1:$HP/$at/v1", apiKey: $KEY, $extra}
tests:
  - vars: {n: 1}
EOS
	t0=$(ms)
	/usr/bin/time -f %M -o "$d/mem" "$ASSAY" run "$d/s.yaml" --db "$d/db" \
		--no-progress-bar --no-table --no-cache -o "$d/out.json" \
		>"$d/stdout" 2>"$d/stderr"
	rc=$?
	t1=$(ms)
	kb=$(tail -n 1 "$d/mem")
	export_jsonl "$d/db" latest >"$d/results.jsonl"
	got=$(jq -r 'select(.provider_id == "openai:chat:bad") | .error.kind // "ok"' "$d/results.jsonl")
	good=$(jq -r 'select(.provider_id == "openai:chat:good") | .error.kind // "ok"' "$d/results.jsonl")
	why=""
	[ $rc -le 2 ] || why="$why exit $rc;"
	[ "$got" = "$want" ] || why="$why attacked result '$got', want '$want';"
	[ "$good" = "ok" ] || why="$why good provider's result '$good', want 'ok';"
	[ $((t1 - t0)) -le $((max_s * 1000)) ] || why="$why took $((t1 - t0)) ms > ${max_s} s;"
	case "$kb" in ''|*[!0-9]*) why="$why no peak memory ($kb);" ;;
	*) [ "$kb" -le $((max_kb * MEMX)) ] || why="$why peak ${kb} KB > $((max_kb * MEMX)) KB;" ;; esac
	if grep -q "$KEY" "$d/stderr" "$d/stdout" "$d/out.json" "$d/db" 2>/dev/null; then
		why="$why the API key was stored or printed;"
	fi
	if [ -z "$why" ]; then ok "hostile_$name"; else fail "hostile_$name" "$why $(head -c 300 "$d/stderr")"; fi
}

waiting_for() {
	case "$1" in
	sse_endless) echo "the SSE total size cap, issue 9 item 2 (provider helper)" ;;
	badutf8) echo "bad bytes from servers as a typed error of that item, issue 9 item 4 (provider helper)" ;;
	redirect) echo "3xx classified as an error, issue 9 item 8 (provider helper)" ;;
	wide_json) echo "reply parsing with a memory budget, e.g. util/json_limit.h (provider helper)" ;;
	retry_after_absurd) echo "an absurd Retry-After not waited for (the engine caps a hint at 120 s; engine helper)" ;;
	*) echo "another item of issue 9" ;;
	esac
}

# 64 MiB body cap: memory stays far below 2 GB, the error is the body's.
attack huge_body huge body 60 400000 "max_retries: 0, timeout_ms: 20000"
attack endless_body endless body 60 400000 "max_retries: 0, timeout_ms: 20000"
attack gzip_bomb gzip body 60 400000 "max_retries: 0, timeout_ms: 20000"
attack deep_json deep body 30 200000 "max_retries: 0, timeout_ms: 20000"
attack wide_json wide body 60 400000 "max_retries: 0, timeout_ms: 20000"
attack bad_utf8 badutf8 body 30 200000 "max_retries: 0, timeout_ms: 20000"
attack slowloris_body slowloris timeout 30 200000 "max_retries: 0, idle_timeout_ms: 1500, timeout_ms: 20000"
attack slowloris_headers slowheaders timeout 30 200000 "max_retries: 0, timeout_ms: 3000"
attack redirect redirect http 30 200000 "max_retries: 0, timeout_ms: 20000"
attack huge_headers hugeheaders other 30 200000 "max_retries: 0, timeout_ms: 20000"
attack retry_after_absurd retryafter http 30 200000 "max_retries: 1, timeout_ms: 20000"
attack echoed_key echokey http 30 200000 "max_retries: 0, timeout_ms: 20000"
attack sse_endless sse body 60 400000 "max_retries: 0, stream: true, timeout_ms: 20000"

# The echoed key: in no export either (json above; csv and jsonl here) and
# not in `assay show`.
d="$T/echoed_key"
if [ -s "$d/db" ]; then
	"$ASSAY" show --db "$d/db" -o "$d/out.csv" >"$d/show" 2>&1
	"$ASSAY" show --db "$d/db" -o "$d/out.jsonl" >>"$d/show" 2>&1
	if grep -q "$KEY" "$d/show" "$d/out.csv" "$d/out.jsonl" 2>/dev/null; then
		fail hostile_echoed_key_exports "the key is in show or an export"
	elif ! grep -q 'REDACTED' "$d/db"; then
		fail hostile_echoed_key_exports "no [REDACTED] mark in the store"
	else
		ok hostile_echoed_key_exports
	fi
fi
