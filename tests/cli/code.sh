#!/bin/sh
# code.sh — promptfoo's `javascript` and `python` assertions end to end
# against `assay mock` (which echoes the prompt): every return shape and its
# verdict and score as promptfoo defines them, file:// scripts with named
# functions, CSV __expected prefixes, code that throws (a failure of the
# model's output, not an error), one worker per language for the whole run,
# user prints kept out of the protocol, the time limit (a grading error, and
# the next assertion still runs), a missing interpreter, a missing file.
. "$(dirname "$0")/../lib.sh"
D=$(cd "$(dirname "$0")/../data/code" && pwd)
cp "$D"/* "$T"/
export OPENAI_API_KEY=sk-test-code
if ! command -v node >/dev/null 2>&1 || ! command -v python3 >/dev/null 2>&1; then
	fail code_interpreters "node and python3 are needed (make deps installs them)"
	exit 0
fi
printf 'models:\n  - name: mock\n    default: "{{last_user}}"\n' >"$T/rules.yaml"
start_mock m "$T/rules.yaml"
"$ASSAY" run "$T/suite.yaml" -j 8 --no-progress-bar --no-table -o "$T/r.json" >"$T/run.out" 2>&1
check code_run_exit_100 100 $?
r() { jq -r --arg d "$1" ".results[] | select(.description == \$d) | $2" "$T/r.json"; }
check code_js_bool "true 1" "$(r 'js bool true' '"\(.pass) \(.score)"')"
check code_js_number_score "true 0.75" "$(r 'js number is the score' '"\(.pass) \(.score)"')"
check code_js_threshold "false 0.25" "$(r 'js number below threshold fails' '"\(.pass) \(.assertions[0].score)"')"
check code_js_file_object "true 0.7 saw hello" "$(r 'js object from a file with context' '"\(.pass) \(.score) \(.assertions[0].reason)"')"
check code_js_named_export "false" "$(r 'js named export' '.pass')"
check code_js_multiline "true" "$(r 'js multi-line body' '.pass')"
check code_js_throw_is_failure "false null" "$(r 'js throws on prose' '"\(.pass) \(.error)"')"
check_grep code_js_throw_reason '^Custom function threw error: .*not valid JSON' "$(r 'js throws on prose' '.assertions[0].reason' >"$T/x"; echo "$T/x")"
check_grep code_js_bad_type 'must return a boolean, a finite number, or a GradingResult' "$(r 'js bad return type' '.assertions[0].reason' >"$T/x"; echo "$T/x")"
check code_not_javascript "false Custom function returned true" "$(r 'not-javascript' '"\(.pass) \(.assertions[0].reason | split("\n")[0])"')"
p1=$(r 'js pid one' '.assertions[0].reason'); p2=$(r 'js pid two' '.assertions[0].reason')
check code_one_js_worker_per_run 1 "$([ -n "$p1" ] && [ "$p1" = "$p2" ] && echo 1)"
check code_py_expression "true" "$(r 'py expression' '.pass')"
check code_py_file_default "true 0.9 py saw hello" "$(r 'py file default get_assert' '"\(.pass) \(.score) \(.assertions[0].reason)"')"
check code_py_threshold_object "false Python score 0.5 is less than threshold 0.8: half" "$(r 'py object under threshold' '"\(.pass) \(.assertions[0].reason)"')"
check code_py_strings "true 0.8" "$(r 'py string verdicts' '"\(.pass) \(.score)"')"
check_grep code_py_raise 'Python code execution failed: ZeroDivisionError' "$(r 'py raises' '.assertions[0].reason' >"$T/x"; echo "$T/x")"
check code_py_multiline_print "true" "$(r 'py multi-line' '.pass')"
check code_js_transform_assertion "true" "$(r 'js transform on an assertion' '.pass')"
check code_js_transform_test "true" "$(r 'js transform of the test' '.pass')"
check code_no_errors "0" "$(jq '.totals.errors' "$T/r.json")"

# -j 8 with forked graders: every other test has a transform, so it is
# graded in a child process (engine_grade.c) while the rest are graded on
# the loop.  Each reason names its own test and the worker's pid: the
# children's calls go through the parent's one worker per language, so no
# reply reaches the wrong test (before: crossed replies, broken frames and
# one worker per child) and there are exactly two worker pids.
{
	printf 'prompts: ["{{q}}"]\nproviders: [openai:chat:mock]\ntests:\n'
	i=0
	while [ $i -lt 120 ]; do
		printf '  - vars: {q: "k%d"}\n' $i
		[ $((i % 2)) -eq 1 ] && printf '    options: {transform: "output + \x27~\x27"}\n'
		printf '    assert:\n'
		printf '      - {type: javascript, value: "({pass: output.startsWith(context.vars.q), score: 1, reason: context.vars.q + \x27 \x27 + process.pid})"}\n'
		printf '      - {type: python, value: "{\x27pass\x27: output.startswith(context[\x27vars\x27][\x27q\x27]), \x27score\x27: 1, \x27reason\x27: context[\x27vars\x27][\x27q\x27] + \x27 \x27 + str(__import__(\x27os\x27).getpid())}"}\n'
		i=$((i + 1))
	done
} >"$T/many.yaml"
"$ASSAY" run "$T/many.yaml" -j 8 --no-progress-bar --no-table -o "$T/many.json" >"$T/many.out" 2>&1
check code_forked_j8_exit_0 0 $?
check code_forked_j8_all_pass 120 "$(jq '[.results[] | select(.pass == true and .error == null)] | length' "$T/many.json")"
check code_forked_j8_own_replies 240 "$(jq '[.results[] | .vars.q as $q | .assertions[] | select((.reason // "" | split(" ")[0]) == $q)] | length' "$T/many.json")"
check code_forked_j8_transformed 60 "$(jq '[.results[] | select(.output | endswith("~"))] | length' "$T/many.json")"
check code_forked_j8_two_workers 2 "$(jq '[.results[].assertions[].reason | split(" ")[1]] | unique | length' "$T/many.json")"

"$ASSAY" run "$T/csv.yaml" --no-progress-bar --no-table -o "$T/c.json" >"$T/csv.out" 2>&1
check code_csv_exit_0 0 $?
check code_csv_types "javascript python javascript" "$(jq -r '[.results[0].assertions[].type] | join(" ")' "$T/c.json")"

ASSAY_CODE_TIMEOUT_MS=700 "$ASSAY" run "$T/loop.yaml" -j 1 --no-progress-bar --no-table -o "$T/l.json" >"$T/loop.out" 2>&1
check code_timeout_exit_1 1 $?
check code_timeout_is_grading_error "2" "$(jq '[.results[] | select(.error != null and (.error.message | test("timed out after 700 ms")))] | length' "$T/l.json")"
check code_worker_restarted "true true" "$(jq -r '[.results[] | select(.vars.q == "b" or .vars.q == "d") | .pass] | map(tostring) | join(" ")' "$T/l.json")"

# the limit is the code's own time, not the interpreter's start-up: a node
# that takes 1.5 s to start (more than the 700 ms limit) still runs `b`
# after the worker stopped for `a` was restarted
printf '#!/bin/sh\nsleep 1.5\nexec node "$@"\n' >"$T/slownode"
chmod +x "$T/slownode"
ASSAY_NODE="$T/slownode" ASSAY_CODE_TIMEOUT_MS=700 "$ASSAY" run "$T/loop.yaml" --filter-first-n 2 -j 1 --no-progress-bar --no-table -o "$T/sn.json" >"$T/slownode.out" 2>&1
check code_startup_not_in_limit "timeout true" "$(jq -r '[.results[] | if .vars.q == "a" then (if (.error.message // "" | test("timed out after 700 ms")) then "timeout" else "no-timeout" end) else (.pass | tostring) end] | join(" ")' "$T/sn.json")"

ASSAY_NODE=/nonexistent/node "$ASSAY" run "$T/loop.yaml" --filter-first-n 2 -j 1 --no-progress-bar --no-table -o "$T/n.json" >"$T/nonode.out" 2>&1
check code_missing_interpreter_is_error "2" "$(jq '[.results[] | select(.error != null and (.error.message | test("JavaScript worker")))] | length' "$T/n.json")"

"$ASSAY" validate "$T/missing.yaml" >"$T/miss.out" 2>&1
check code_missing_file_exit_1 1 $?
check_grep code_missing_file_located 'missing.yaml:5:[0-9]+: .*no file .*nope.js' "$T/miss.out"
