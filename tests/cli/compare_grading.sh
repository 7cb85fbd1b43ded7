#!/bin/sh
# compare_grading.sh — a select-best or compare whose judge reply cannot
# be parsed is a grading error for every compared result: never a pass
# kept from the main pass, counted apart from the model's failures, and
# the run does not exit 0 as if everything passed.
. "$(dirname "$0")/../lib.sh"
D=$(cd "$(dirname "$0")/../data/compare" && pwd)
cp "$D/garbage_suite.yaml" "$T/suite.yaml"
start_mock m "$D/garbage_rules.yaml" --quiet
"$ASSAY" run "$T/suite.yaml" --no-progress-bar --no-table -o "$T/r.json" >"$T/out.txt" 2>&1
check compare_unparsed_exit_not_0 1 $?
g() { jq -r "[.results[] | select(.description==\"$1\")] | sort_by(.provider_idx) | map(\"\(.pass):\(.error.kind)\") | join(\" \")" "$T/r.json"; }
check select_best_unparsed_is_error "null:other null:other" "$(g best)"
check compare_unparsed_is_error "null:other null:other" "$(g pair)"
check compare_unparsed_grading_msg 4 \
	"$(jq '[.results[] | select((.error.message // "") | startswith("grading failed:"))] | length' "$T/r.json")"
check compare_unparsed_stats_grading 2:0:0 \
	"$(jq -r '.stats.candidates[0] | "\(.grading_errors):\(.errors):\(.graded)"' "$T/r.json")"
check_grep compare_unparsed_warned 'warning: 2 comparisons could not be graded' "$T/out.txt"
