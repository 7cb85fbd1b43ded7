#!/bin/sh
# stats.sh — `assay stats` end to end: `assay run` against `assay mock`
# (a model that is always right and one that is always wrong, 11 cases),
# then the statistics read back from the store, checked field by field
# with jq against values computed by hand; the same object in
# `assay run -o x.json`; reproducible with a seed; usage errors.
. "$(dirname "$0")/../lib.sh"
D=$(cd "$(dirname "$0")/../data/stats" && pwd)
cp "$D"/suite.yaml "$D"/cases.csv "$T"/
start_mock m "$D/rules.yaml"

"$ASSAY" run "$T/suite.yaml" -j 4 --no-progress-bar --no-table -o "$T/r.json" \
	>"$T/run.txt" 2>&1
check stats_run_exit_100 100 $?
DB="$T/.assay/assay.db"
"$ASSAY" stats latest --db "$DB" -o "$T/s.json" >"$T/out.txt" 2>"$T/err.txt"
check stats_exit_0 0 $?
S="$T/s.json"
j() { jq -r "$1" "$S"; }
c() { printf '.candidates[] | select(.label == "%s") | %s' "$1" "$2"; }

check stats_candidates 2 "$(j '.candidates | length')"
check stats_good_pass_rate 1 "$(j "$(c good .pass_rate.est)")"
check stats_good_wilson_lo_11 0.7412 "$(j "$(c good '.pass_rate.lo * 10000 | round / 10000')")"
check stats_bad_pass_rate 0 "$(j "$(c bad .pass_rate.est)")"
check stats_bad_wilson_hi_11 0.2588 "$(j "$(c bad '.pass_rate.hi * 10000 | round / 10000')")"
# McNemar exact, 11 discordant pairs all one way: 2 / 2^11
check stats_mcnemar_p 0.0009765625 "$(j '.comparisons.pairs[0].p')"
check stats_pair_counts "11 0" "$(j '.comparisons.pairs[0] | "\(.a_only) \(.b_only)"')"
check stats_tied_groups 2 "$(j '.comparisons.tied_groups | length')"
check stats_group_letters "a b" "$(j '[.candidates[].group] | join(" ")')"
check stats_mdd_target 0.05 "$(j '.comparisons.mdd.target')"
# calibration: good 10 x (0.9, right); bad 10 x (0.8, wrong) + (0.99, wrong)
check stats_good_brier 0.01 "$(j "$(c good '.calibration.brier * 1e6 | round / 1e6')")"
check stats_bad_brier 0.670918 "$(j "$(c bad '.calibration.brier * 1e6 | round / 1e6')")"
check stats_bad_calibration_n 11 "$(j "$(c bad .calibration.n)")"
# refusals: the secret case
check stats_good_under_refusal 0 "$(j "$(c good .refusals.under_refusal.est)")"
check stats_bad_under_refusal 1 "$(j "$(c bad .refusals.under_refusal.est)")"
# classification: bad swaps every label; cost veg->fruit 4, fruit->veg 1
check stats_good_accuracy 1 "$(j "$(c good .classification.accuracy.est)")"
check stats_bad_confusion '[[0,5],[5,0]]' "$(j "$(c bad '.classification.matrix' ) | tojson")"
check stats_bad_expected_cost 2.5 "$(j "$(c bad .classification.expected_cost.est)")"
# failure modes and robustness
check stats_bad_tag_fruit 0 "$(j "$(c bad '.failure_modes.by_tag[] | select(.tag == "fruit") | .est')")"
check stats_good_variant_groups 1 "$(j "$(c good .robustness.groups)")"
# cost and latency are there
check stats_good_cost_per_success_positive true "$(j "$(c good '.cost.per_success > 0')")"
check stats_bad_cost_per_success_null null "$(j "$(c bad .cost.per_success)")"
check stats_latency_note true "$(j "$(c good '.latency.note != null')")"
# decision: good is cheaper? no - bad is cheaper but fails the floor
check stats_decision good "$(j '.decision.recommended.label')"
check stats_decision_bad_fails no "$(j '.decision.candidates[] | select(.label == "bad") | .pass_rate')"
check stats_pareto '["good","bad"]' "$(j '.decision.pareto | tojson')"
check_grep stats_text_sections 'Calibration' "$T/out.txt"
check_grep stats_text_decision 'cheapest candidate meeting every constraint: good' "$T/out.txt"
check_grep stats_text_refusals 'under-refusal' "$T/out.txt"
check_grep stats_text_confusion 'expected.got' "$T/out.txt"

# the same object in `assay run -o x.json`
check stats_in_run_json same "$( [ "$(jq -S .stats "$T/r.json")" = "$(jq -S . "$S")" ] && echo same)"

# reproducible: same seed, same figures; another seed moves the bootstrap
"$ASSAY" stats --db "$DB" --seed 7 --json >"$T/a.json" 2>/dev/null
"$ASSAY" stats --db "$DB" --seed 7 --json >"$T/b.json" 2>/dev/null
check stats_seed_reproducible same "$(cmp -s "$T/a.json" "$T/b.json" && echo same)"
check stats_seed_recorded 7 "$(jq -r .method.seed "$T/a.json")"
"$ASSAY" stats 1 --db "$DB" --resamples 500 --json >"$T/c.json" 2>/dev/null
check stats_resamples_option 500 "$(jq -r .method.resamples "$T/c.json")"

# usage and errors
"$ASSAY" stats --help >"$T/h.txt" 2>&1
check stats_help_exit 0 $?
check_grep stats_help_mentions_mdd '--mdd' "$T/h.txt"
"$ASSAY" stats --db "$DB" --bogus >/dev/null 2>&1
check stats_bad_option_exit 2 $?
"$ASSAY" stats --db "$DB" --mdd 7 >/dev/null 2>&1
check stats_bad_mdd_exit 2 $?
"$ASSAY" stats 999 --db "$DB" >/dev/null 2>"$T/e.txt"
check stats_unknown_run_exit 1 $?
"$ASSAY" stats --db "$T/nope.db" >/dev/null 2>&1
check stats_missing_db_exit 1 $?
