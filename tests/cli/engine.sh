#!/bin/sh
# engine.sh — the run loop itself: it sleeps while nothing can start
# (issue 15: a retry due while every slot is busy spun the loop at 0 ms).
. "$(dirname "$0")/../lib.sh"
D=$(cd "$(dirname "$0")/../data/engine" && pwd)
start_mock m "$D/rules.yaml" --quiet
export OPENAI_API_KEY=sk-engine-test

# A dead port that is retried (connection refused at once) and a slow
# provider, -j 2: while both slots hold slow requests, the dead provider's
# retries fall due and cannot start.  The loop must sleep, not poll at 0 ms.
cat >"$T/busy.yaml" <<Y
prompts: ["case {{n}}"]
providers:
  - id: openai:chat:dead
    config: {apiBaseUrl: "http://127.0.0.1:9/v1", max_retries: 8, retry_base_ms: 50, retry_max_ms: 200}
  - id: openai:chat:slow
    config: {apiBaseUrl: "$BASE"}
tests:
  - vars: {n: 1}
  - vars: {n: 2}
Y
/usr/bin/time -f "%U %S %e" -o "$T/busy.time" "$ASSAY" run "$T/busy.yaml" -j 2 \
	--no-progress-bar --no-table --no-cache >"$T/busy.out" 2>&1
check busy_loop_exit_1 1 $?
# q JQ: jq -r over the latest run's stored results (`assay export`)
q() { export_jsonl "$T/.assay/assay.db" latest | jq -rs "$1"; }
check busy_loop_slow_answered 2 "$(q 'map(select(.provider_idx == 1 and .error == null)) | length')"
check busy_loop_dead_retried 2 "$(q 'map(select(.provider_idx == 0 and .error.kind == "connect" and .retries == 8)) | length')"
# CPU time (user + system) as a share of wall time; before the fix it was
# ~45 % on an idle machine.  The bound is generous (the machine is shared;
# the sanitizer build costs CPU at start-up); bench/loop_cpu.sh measures.
tail -n 1 "$T/busy.time" >"$T/busy.t"
pct=$(awk '{ printf "%d", ($1 + $2) * 100 / ($3 > 0 ? $3 : 1) }' "$T/busy.t")
echo "# busy loop: $(awk '{ print $1 + $2 " s CPU in " $3 " s wall" }' "$T/busy.t") ($pct %)"
if [ "$pct" -lt 30 ]; then ok busy_loop_sleeps; else fail busy_loop_sleeps "CPU $pct % of wall time"; fi

# An `exec:` candidate with a model-graded assertion (issue 9: the exec
# slot waiting for its judges was finished and graded again on every pass
# of the loop, and crashed).  The judge is the mock; the candidate a
# program that is slower than one loop pass.
cat >"$T/execjudge.yaml" <<Y
prompts: ["say {{w}}"]
providers:
  - id: "exec:sh -c 'sleep 0.05; echo answer'"
defaultTest:
  options:
    provider: {id: openai:chat:judge, config: {apiBaseUrl: "$BASE"}}
tests:
  - vars: {w: a}
    assert: [{type: llm-rubric, value: "is an answer"}, {type: contains, value: answer}]
  - vars: {w: b}
    assert: [{type: llm-rubric, value: "is an answer"}]
  - vars: {w: c}
    assert: [{type: llm-rubric, value: "is an answer"}]
Y
"$ASSAY" run "$T/execjudge.yaml" -j 2 --no-progress-bar --no-table --no-cache >"$T/ej.out" 2>&1
check exec_judge_exit_0 0 $?
check exec_judge_graded_once "3|3|3" "$(sqlite3 "$T/.assay/assay.db" \
	"select count(*) || '|' || sum(pass) || '|' || sum(judge_calls) from results where run_id=(select max(id) from runs)")"

# `exec:` stdout over max_output_bytes is an error of that item, never a
# truncated success; exactly the cap is fine; a bad cap is refused at load.
cat >"$T/cap.yaml" <<'Y'
prompts: ["{{n}}"]
providers:
  - id: "exec:sh -c 'head -c $0 /dev/zero | tr \"\\\\0\" x'"
    config: {max_output_bytes: 100000}
tests:
  - vars: {n: 100000}
  - vars: {n: 2000000}
Y
"$ASSAY" run "$T/cap.yaml" --no-progress-bar --no-table >"$T/cap.out" 2>&1
check exec_cap_exit_1 1 $?
check exec_cap_at_limit_ok "100000" "$(q 'map(select(.case_idx == 0))[0].output | length')"
check exec_cap_over_is_error "exec|1" "$(q 'map(select(.case_idx == 1))[0].error | "\(.kind)|\(if (.message | contains("more than 100000 bytes")) then 1 else 0 end)"')"
sed 's/max_output_bytes: 100000/max_output_bytes: -5/' "$T/cap.yaml" >"$T/badcap.yaml"
"$ASSAY" validate "$T/badcap.yaml" >/dev/null 2>"$T/badcap.err"
check exec_cap_bad_value_exit_1 1 $?
check_grep exec_cap_bad_value_located 'badcap.yaml:[0-9]+:[0-9]+: error: .*max_output_bytes' "$T/badcap.err"

# Phantom retries (issue 15): a server that advertises keep-alive after a
# streamed reply and then lets the connection die (tests/keepalive_server.py).
# start_ka NAME MODE: starts it, sets KA_BASE.
start_ka() {
	python3 "$(dirname "$0")/../keepalive_server.py" "$2" "$T/$1.port" "$T/$1.count" \
		>"$T/$1.log" 2>&1 &
	echo $! >"$T/$1.pid"
	i=0; while [ ! -s "$T/$1.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
	KA_BASE="http://127.0.0.1:$(cat "$T/$1.port")/v1"
}
ka_suite() { # FILE N
	{
		echo 'prompts: ["case {{n}}"]'
		echo 'providers:'
		echo '  - id: openai:chat:m'
		echo "    config: {apiBaseUrl: \"$KA_BASE\", stream: true, max_retries: 0}"
		echo 'tests:'
		i=0; while [ $i -lt "$2" ]; do echo "  - vars: {n: $i}"; i=$((i+1)); done
	} >"$1"
}
# The reused connection is reset with the request unread: libcurl re-sends
# it, and that is not a retry (before: retries 0,1,1,1,1,1 with max_retries 0).
start_ka unread unread
ka_suite "$T/ka_unread.yaml" 6
"$ASSAY" run "$T/ka_unread.yaml" -j 1 --no-progress-bar --no-table --no-cache >"$T/ka1.out" 2>&1
st=$?
check phantom_unread_exit_0 0 $st
# seen failing once in ~45 runs (ASan, make check on a clean clone,
# 2026-12-04) and never since: what the run said, for the next one to read
[ $st -eq 0 ] || { sed 's/^/# ka1: /' "$T/ka1.out" | head -20; cat "$T/unread.count" | sed 's/^/# count: /'
	q 'map(select(.error != null) | .error)' | sed 's/^/# errors: /'; }
check phantom_unread_server_saw_each_once "6" "$(cut -d' ' -f1 "$T/unread.count")"
check phantom_unread_no_retries "6|0" "$(q 'map(select(.error == null)) | "\(length)|\(map(.retries) | add)"')"
# The server read the request and closed without a reply: it may have acted
# on it, so libcurl's re-send is a retry (each request after the first on a
# connection).
start_ka read read
ka_suite "$T/ka_read.yaml" 4
"$ASSAY" run "$T/ka_read.yaml" -j 1 --no-progress-bar --no-table --no-cache >"$T/ka2.out" 2>&1
check phantom_read_exit_0 0 $?
check phantom_read_counted "4|3|7" "$(q 'map(select(.error == null)) | "\(length)|\(map(.retries) | add)"')|$(cut -d' ' -f1 "$T/read.count")"
# Keep-Alive: timeout=1: a connection idle that long is not reused (the
# server would be closing it); the server sees no stale reuse.
start_ka idle idle
ka_suite "$T/ka_idle.yaml" 2
"$ASSAY" run "$T/ka_idle.yaml" --delay 1300 --no-progress-bar --no-table --no-cache >"$T/ka3.out" 2>&1
check keepalive_timeout_exit_0 0 $?
check keepalive_timeout_no_stale_reuse "2 2 0" "$(cat "$T/idle.count")"
