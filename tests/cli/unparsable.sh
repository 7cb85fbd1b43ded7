#!/bin/sh
# unparsable.sh — output that a transform cannot read is the model's
# failure (it stays in the pass-rate denominator), for an assertion's
# transform and a test's options.transform alike, unless the suite opts
# out with options.unparsable_output: error (then a grading error).
. "$(dirname "$0")/../lib.sh"
D=$(cd "$(dirname "$0")/../data/unparsable" && pwd)
start_mock m "$D/rules.yaml" --quiet
run_mode() { # MODE: "" (default), fail or error
	if [ -n "$1" ]; then
		printf 'defaultTest: {options: {unparsable_output: %s}}\n' "$1" >"$T/s_$1.yaml"
		cat "$D/suite.yaml" >>"$T/s_$1.yaml"
		s="$T/s_$1.yaml"
	else
		s="$D/suite.yaml"
	fi
	"$ASSAY" run "$s" --no-progress-bar --no-table --db "$T/u$1.db" -o "$T/r$1.json" >"$T/out$1.txt" 2>&1
	echo $?
}
# pass/error kind of each result, provider 1 (chatty) only, case order
chatty() { jq -r '[.results[] | select(.provider_idx == 1)] | sort_by(.case_idx) | map("\(.pass):\(.error.kind)") | join(" ")' "$T/r$1.json"; }
rate() { jq -r '.stats.candidates[1] | "\(.passes)/\(.graded) ge=\(.grading_errors)"' "$T/r$1.json"; }

check unparsable_default_exit 100 "$(run_mode "")"
check unparsable_default_fails "false:null false:null" "$(chatty "")"
check unparsable_default_in_rate "0/2 ge=0" "$(rate "")"
check unparsable_default_reason 1 "$(jq '[.results[] | select(.reason // "" | startswith("The output could not be read by the test'"'"'s transform"))] | length' "$T/r.json")"

check unparsable_fail_exit 100 "$(run_mode fail)"
check unparsable_fail_fails "false:null false:null" "$(chatty fail)"

check unparsable_error_exit 1 "$(run_mode error)"
check unparsable_error_grading "null:other null:other" "$(chatty error)"
check unparsable_error_out_of_rate "0/0 ge=2" "$(rate error)"
check unparsable_error_msg 2 "$(jq '[.results[] | select(.error.message // "" | test("^grading failed: .*unparsable_output: error"))] | length' "$T/rerror.json")"
# the JSON model is not affected by either setting
check unparsable_error_json_passes "true true" "$(jq -r '[.results[] | select(.provider_idx == 0) | .pass] | join(" ")' "$T/rerror.json")"

printf 'defaultTest: {options: {unparsable_output: ignore}}\n' >"$T/bad.yaml"
cat "$D/suite.yaml" >>"$T/bad.yaml"
"$ASSAY" run "$T/bad.yaml" --no-progress-bar --db "$T/bad.db" >"$T/bad.txt" 2>&1
check unparsable_bad_value_exit 1 $?
check_grep unparsable_bad_value_msg "bad.yaml:1:44: error: found 'ignore', expected unparsable_output: fail" "$T/bad.txt"

# A model-graded assertion (llm-rubric) with a transform: the chatty
# answer the transform cannot read is the model's failure too (no judge
# is asked), not a grading error; the JSON answer goes to the judge and
# passes.  With unparsable_output: error it is a grading error.
judge_run() { # MODE: "" or error
	s="$T/j$1.yaml"
	if [ -n "$1" ]; then
		printf 'defaultTest: {options: {unparsable_output: %s}}\n' "$1" >"$s"
	else
		: >"$s"
	fi
	cat "$D/judge.yaml" >>"$s"
	"$ASSAY" run "$s" --no-progress-bar --no-table --db "$T/j$1.db" -o "$T/j$1.json" >"$T/jout$1.txt" 2>&1
	echo $?
}
check unparsable_judge_exit 100 "$(judge_run "")"
check unparsable_judge_kinds "true:null false:null" "$(jq -r '[.results[]] | sort_by(.provider_idx) | map("\(.pass):\(.error.kind)") | join(" ")' "$T/j.json")"
check unparsable_judge_in_rate "0/1 ge=0" "$(jq -r '.stats.candidates[1] | "\(.passes)/\(.graded) ge=\(.grading_errors)"' "$T/j.json")"
check unparsable_judge_reason 1 "$(jq '[.results[] | select(.reason // "" | startswith("The output could not be read by the transform"))] | length' "$T/j.json")"
check unparsable_judge_error_exit 1 "$(judge_run error)"
check unparsable_judge_error_grading "true:null null:other" "$(jq -r '[.results[]] | sort_by(.provider_idx) | map("\(.pass):\(.error.kind)") | join(" ")' "$T/jerror.json")"
check unparsable_judge_error_msg 1 "$(jq '[.results[] | select(.error.message // "" | test("^grading failed: .llm-rubric.: the output could not be read by the transform .unparsable_output: error."))] | length' "$T/jerror.json")"

# A comparison (select-best) with a transform: the unreadable answer takes
# no part and fails; the one readable answer is the only candidate left.
cmp_run() { # MODE: "" or error
	s="$T/c$1.yaml"
	if [ -n "$1" ]; then
		printf 'defaultTest: {options: {unparsable_output: %s}}\n' "$1" >"$s"
	else
		: >"$s"
	fi
	cat "$D/compare.yaml" >>"$s"
	"$ASSAY" run "$s" --no-progress-bar --no-table --db "$T/c$1.db" -o "$T/c$1.json" >"$T/cout$1.txt" 2>&1
	echo $?
}
check unparsable_compare_exit 100 "$(cmp_run "")"
check unparsable_compare_kinds "true:null false:null" "$(jq -r '[.results[]] | sort_by(.provider_idx) | map("\(.pass):\(.error.kind)") | join(" ")' "$T/c.json")"
check unparsable_compare_reason 1 "$(jq '[.results[] | select(.provider_idx == 1) | select(.reason // "" | test("could not be read by the transform"))] | length' "$T/c.json")"
check unparsable_compare_error_exit 1 "$(cmp_run error)"
check unparsable_compare_error_grading "null:other null:other" "$(jq -r '[.results[]] | sort_by(.provider_idx) | map("\(.pass):\(.error.kind)") | join(" ")' "$T/cerror.json")"
