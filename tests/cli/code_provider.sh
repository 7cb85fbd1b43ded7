#!/bin/sh
# code_provider.sh — promptfoo's script providers, file://x.py (call_api)
# and file://x.js (a class with callApi, or a function), run in the run's
# long-lived workers: return shapes (output, tokenUsage, cost; an object
# output as JSON), a result `error`, a wrong shape, a throw naming the
# script's file and line, the per-call time limit (then the next call
# works), and many calls at -j 8 alongside an HTTP provider, each reply
# reaching its own test.
. "$(dirname "$0")/../lib.sh"
D=$(cd "$(dirname "$0")/../data/code_provider" && pwd)
cp "$D"/* "$T"/
if ! command -v node >/dev/null 2>&1 || ! command -v python3 >/dev/null 2>&1; then
	fail code_provider_interpreters "node and python3 are needed (make deps installs them)"
	exit 0
fi
"$ASSAY" run "$T/suite.yaml" -j 4 --no-progress-bar --no-table -o "$T/r.json" >"$T/run.out" 2>&1
check code_provider_run_exit 100 $?
r() { jq -r --arg p "$1" --arg q "$2" ".results[] | select(.provider_label == \$p and .vars.q == \$q) | $3" "$T/r.json"; }
check code_provider_py_output "py:hello:hi:hello true" "$(r py hello '"\(.output) \(.pass)"')"
check code_provider_py_usage_cost "3 4 7 0.25" "$(r py hello '"\(.tokens.prompt) \(.tokens.completion) \(.tokens.total) \(.cost_usd)"')"
check code_provider_js_class "js:hello:yo:hello" "$(r js hello '.output | sub(":[0-9]+$"; "")')"
# one instance per provider for the run: its counter counts the 4 calls
# (the one that threw among them), so the 3 answers carry 3 different
# numbers from 1..4 (an instance per call would give 1 1 1, a new one after
# the throw a repeat).  Which number the throw took depends on the order
# in which -j 4 sends the calls, so only the set is checked.
check code_provider_js_one_instance "3 distinct in 1..4" "$(jq -r '[.results[] | select(.provider_label == "js" and .output != null) | .output | split(":")[-1] | tonumber] | "\(unique | length) distinct in \(if (min >= 1 and max <= 4) then "1..4" else "\(min)..\(max)" end)"' "$T/r.json")"
check code_provider_js_function "fn:HELLO" "$(r fn hello '.output')"
check code_provider_py_named_object '{"named":"hello"}' "$(r pyfn hello '.output')"
check code_provider_py_throw "exec prov.py:7 threw: ZeroDivisionError: division by zero" "$(r py boom '"\(.error.kind) \(.error.message)"')"
check code_provider_js_throw "exec prov.js:6 threw: kaboom" "$(r js boom '"\(.error.kind) \(.error.message)"')"
check code_provider_result_error "other prov.py returned an error: upstream said no" "$(r py err '"\(.error.kind) \(.error.message)"')"
check_grep code_provider_bad_shape 'call_api must return a dict with an `output` or an `error`, instead got: \{"text":"no output key"\}' "$(r py bad '.error.message' >"$T/x"; echo "$T/x")"
# a script's own errors are not retried (it would answer the same)
check code_provider_errors_not_retried "0 0 0" "$(jq -r '[.results[] | select(.provider_label == "py" and .error != null) | .retries] | map(tostring) | join(" ")' "$T/r.json")"
check code_provider_errors_counted 4 "$(jq '.totals.errors' "$T/r.json")"

# the time limit: the call is stopped (its worker restarted), the next works
"$ASSAY" run "$T/slow.yaml" -j 1 --no-progress-bar --no-table -o "$T/s.json" >"$T/slow.out" 2>&1
check_grep code_provider_timeout 'timed out after 1500 ms' "$(jq -r '.results[] | select(.vars.q == "slow") | .error.message' "$T/s.json" >"$T/x"; echo "$T/x")"
check code_provider_after_timeout "py:after::after" "$(jq -r '.results[] | select(.vars.q == "after") | .output' "$T/s.json")"

# -j 8: 40 tests on a JavaScript and a Python provider and the mock over
# HTTP; every reply reaches its own test
printf 'models:\n  - name: mock\n    default: "m:{{last_user}}"\n' >"$T/rules.yaml"
start_mock m "$T/rules.yaml"
export OPENAI_API_KEY=sk-test-code-provider
{
	printf 'prompts: ["{{q}}"]\nproviders:\n  - {id: file://prov.js, label: js, config: {greeting: g}}\n'
	printf '  - {id: file://prov.py, label: py}\n  - {id: openai:chat:mock, label: http}\ntests:\n'
	i=0
	while [ $i -lt 40 ]; do printf '  - vars: {q: "k%d"}\n' $i; i=$((i + 1)); done
} >"$T/many.yaml"
"$ASSAY" run "$T/many.yaml" -j 8 --no-progress-bar --no-table -o "$T/m.json" >"$T/many.out" 2>&1
check code_provider_concurrent_exit 0 $?
check code_provider_concurrent_own_replies 120 "$(jq '[.results[] | .vars.q as $q | select(.error == null and (.output | test(":" + $q + "(:|$)")))] | length' "$T/m.json")"

# script providers have workers of their own: a python assertion runs in
# another python3 than the provider's call (grading never queues behind a
# provider's call)
printf 'prompts: ["{{q}}"]\nproviders: [file://prov.py]\ntests:\n  - vars: {q: pid}\n    assert:\n      - {type: python, value: "output.isdigit() and output != str(__import__(\x27os\x27).getpid())"}\n' >"$T/pid.yaml"
"$ASSAY" run "$T/pid.yaml" --no-progress-bar --no-table -o "$T/p.json" >"$T/pid.out" 2>&1
check code_provider_own_workers "true" "$(jq -r '.results[0].pass' "$T/p.json")"
