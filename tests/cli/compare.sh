#!/bin/sh
# compare.sh — select-best and pairwise compare, graded after the main
# pass from every provider's stored output: the winner passes, scores
# follow (wins + ties/2) / comparisons, a position-biased judge yields only
# ties and consistency 0, and the run reports the judge's consistency.
. "$(dirname "$0")/../lib.sh"
D=$(cd "$(dirname "$0")/../data/compare" && pwd)
cp "$D/suite.yaml" "$T/"
start_mock m "$D/rules.yaml" --quiet
"$ASSAY" run "$T/suite.yaml" --no-progress-bar --no-table -o "$T/r.json" >"$T/out.txt" 2>&1
check compare_run_exit_100 100 $?
g() { jq -r "[.results[] | select(.description==\"$1\")] | sort_by(.provider_idx) | map(\"\(.pass):\(.score)\") | join(\" \")" "$T/r.json"; }
check select_best_winner_passes "true:1 false:0 false:0" "$(g best)"
check compare_fair_scores "true:1 false:0.25 false:0.25" "$(g fair)"
check compare_biased_all_ties "true:0.5 true:0.5 true:0.5" "$(g biased)"
check_grep compare_consistency_reported 'consistency: 50% ' "$T/out.txt"
check compare_judge_calls_counted 1 "$(grep -c 'comparison judges: 13 calls' "$T/out.txt")"
