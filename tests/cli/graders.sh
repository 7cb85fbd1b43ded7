#!/bin/sh
# graders.sh — graders that can run long (Lua, jq, scripts) run off the
# loop in a child with a hard time limit and a memory limit the graded code
# cannot switch off (issue 9 item 3), and a signal stops the run even while
# one is stuck.  Time bounds are generous: the machine is shared.
. "$(dirname "$0")/../lib.sh"
D=$(cd "$(dirname "$0")/../data/graders" && pwd)
start_mock m "$D/rules.yaml" --quiet
export OPENAI_API_KEY=sk-graders-test
# q RUN JQ: jq -r over the run's stored results (`assay export`)
q() { export_jsonl "$T/.assay/assay.db" "$1" | jq -rs "$2"; }
last=latest
now() { date +%s%3N; }

# suite FILE ASSERT-YAML: one fast provider, one test.
suite() {
	{
		echo 'prompts: ["hello"]'
		echo 'providers: [openai:chat:fast]'
		echo 'tests:'
		echo "  - assert: [$2]"
	} >"$T/$1"
}
# killed NAME FILE: the run ends within 30 s, the result is a grading
# error naming the hard limit, not a pass, fail or hang.
killed() {
	t0=$(now)
	"$ASSAY" run "$T/$2" --grader-timeout 1500 --no-progress-bar --no-table --no-cache \
		>"$T/$1.out" 2>&1
	rc=$?
	t1=$(now)
	check "${1}_exit_1" 1 $rc
	check "${1}_grading_error" "other|1" "$(q "$last" '.[0].error | "\(.kind)|\(if (.message | contains("grader ran longer than 1500 ms")) then 1 else 0 end)"')"
	if [ $((t1 - t0)) -lt 30000 ]; then ok "${1}_time_bound"; else fail "${1}_time_bound" "took $((t1 - t0)) ms"; fi
}

# An endless jq program (jq has no step limit of its own).
suite jq_endless.yaml '{type: jq, value: "last(range(infinite)) | true"}'
killed jq_endless jq_endless.yaml
# An endless Lua loop wrapped in pcall: the in-process hook's error is
# caught by pcall, the hard limit is not.
suite lua_pcall.yaml '{type: lua, value: "while true do pcall(function() while true do end end) end"}'
killed lua_pcall lua_pcall.yaml
# One long C call: a backtracking string.find never returns to the VM.
suite lua_find.yaml "{type: lua, value: 'string.find(string.rep(\"a\", 3000), \"a*a*a*a*b\") == nil'}"
killed lua_find lua_find.yaml

# A script that outlives the hard limit is killed with its grader (it runs
# in a process group of its own): nothing is left running.
suite script_long.yaml "{type: script, value: \"sh -c 'sleep 31.7; echo true'\"}"
killed script_long script_long.yaml
# gone(PATTERN): waits (at most 10 s) until no process's arguments match
# PATTERN — a killed process leaves when the kernel gets to it, which on a
# loaded machine can take longer than a fixed sleep — and prints the count
gone() {
	_i=0
	while [ "$(ps -eo args | grep -c -- "$1")" -gt 0 ] && [ $_i -lt 200 ]; do
		sleep 0.05; _i=$((_i + 1))
	done
	ps -eo args | grep -c -- "$1"
}
check script_long_killed_with_grader 0 "$(gone '[s]leep 31.7')"

# A quick grader still passes through the child, with its reason.
suite lua_ok.yaml '{type: lua, value: "{pass = #output > 3, score = 0.75, reason = \"long enough\"}"}, {type: jq, value: ".n == 1"}'
"$ASSAY" run "$T/lua_ok.yaml" --no-progress-bar --no-table --no-cache >"$T/ok.out" 2>&1
check grader_child_pass_exit_0 0 $?
check grader_child_grade_kept "1|0.875" "$(q "$last" '.[0] | "\(if .pass then 1 else 0 end)|\(.score * 10000 | round / 10000)"')"
check_grep grader_child_reason_kept 'long enough' "$T/.assay/assay.db"

# Memory: a jq program that builds an endless array dies at the limit (a
# typed grading error, not an exhausted machine).  No address-space limit
# under AddressSanitizer (it reserves terabytes): skipped there.
if ldd "$ASSAY" 2>/dev/null | grep -q libasan; then
	echo "skip jq_memory_limit (AddressSanitizer build)"
else
	suite jq_mem.yaml '{type: jq, value: "[range(infinite)] | length > 0"}'
	t0=$(now)
	"$ASSAY" run "$T/jq_mem.yaml" --grader-memory 64 --grader-timeout 120000 \
		--no-progress-bar --no-table --no-cache >"$T/mem.out" 2>&1
	check jq_memory_exit_1 1 $?
	t1=$(now)
	check jq_memory_grading_error "other|1" "$(q "$last" '.[0].error | "\(.kind)|\(if (.message | contains("grader")) then 1 else 0 end)"')"
	# The memory limit, not the (far) deadline, ended it: well under 120 s.
	if [ $((t1 - t0)) -lt 60000 ]; then ok jq_memory_before_deadline; else fail jq_memory_before_deadline "took $((t1 - t0)) ms"; fi
fi

# A slow grader no longer stalls the loop: the slow provider's reply
# (300 ms, first-byte timeout 1500 ms) arrives while the fast provider's result is
# graded by a script that takes 2.5 s; it must be stored as an answer,
# not as a timeout.
cat >"$T/stall.yaml" <<Y
prompts: ["hello"]
providers:
  - openai:chat:fast
  - id: openai:chat:slow
    config: {first_byte_timeout_ms: 1500, max_retries: 0}
tests:
  - assert:
      - type: script
        value: "sh -c 'sleep 2.5; echo true'"
Y
"$ASSAY" run "$T/stall.yaml" -j 2 --no-progress-bar --no-table --no-cache >"$T/stall.out" 2>&1
check slow_grader_exit_0 0 $?
check slow_grader_no_timeout "0" "$(q "$last" 'map(select(.error != null)) | length')"

# SIGTERM and SIGINT while a grader is stuck (hard limit far away): the run
# stops within seconds, is marked interrupted and leaves no grader behind.
for sig in TERM INT; do
	suite "stuck_$sig.yaml" '{type: lua, value: "while true do pcall(function() while true do end end) end"}'
	"$ASSAY" run "$T/stuck_$sig.yaml" --grader-timeout 600000 --no-progress-bar --no-table \
		--no-cache >"$T/stuck.out" 2>&1 &
	pid=$!
	# signal once the grader is stuck: the forked grader child (same
	# arguments as the run) exists, waited for (at most 60 s) rather than
	# a fixed sleep that a loaded machine can outlast
	i=0
	while [ "$(ps -eo args | grep -c "[s]tuck_$sig.yaml")" -lt 2 ] && kill -0 $pid 2>/dev/null &&
		[ $i -lt 1200 ]; do
		sleep 0.05; i=$((i + 1))
	done
	t0=$(now)
	kill -$sig $pid
	i=0; while kill -0 $pid 2>/dev/null && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done
	t1=$(now)
	if kill -0 $pid 2>/dev/null; then
		fail "stuck_grader_sig${sig}_stops" "still running 10 s after SIG$sig"
		kill -9 $pid
	else
		ok "stuck_grader_sig${sig}_stops"
	fi
	wait $pid
	check "stuck_grader_sig${sig}_exit_1" 1 $?
	check "stuck_grader_sig${sig}_interrupted" interrupted "$(run_json "$T/.assay/assay.db" "$last" .run.status)"
	check "stuck_grader_sig${sig}_no_child_left" 0 "$(gone "[s]tuck_$sig.yaml")"
done
