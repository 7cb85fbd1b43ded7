#!/bin/sh
# stats_logprobs.sh — calibration from logprobs and severities on
# assertions, end to end: `assay run` against `assay mock` with
# `logprobs: true` in the provider config (the mock answers with token
# logprobs, surer when right), then `assay stats latest -o s.json`: ECE and
# Brier computed from the stored confidences, and the severity-weighted
# failure score weighing failed results by their failing assertion's
# severity.
. "$(dirname "$0")/../lib.sh"
D=$(cd "$(dirname "$0")/../data" && pwd)
cp "$D"/stats_logprobs/suite.yaml "$T"/
start_mock m "$D/stats/rules.yaml"

"$ASSAY" run "$T/suite.yaml" -j 4 --no-progress-bar --no-table \
	>"$T/run.txt" 2>&1
check stats_lp_run_exit_100 100 $?
DB="$T/.assay/assay.db"
"$ASSAY" stats latest --db "$DB" -o "$T/s.json" >"$T/out.txt" 2>"$T/err.txt"
check stats_lp_exit_0 0 $?
S="$T/s.json"
j() { jq -r "$1" "$S"; }
c() { printf '.candidates[] | select(.label == "%s") | %s' "$1" "$2"; }
q() { sqlite3 "$DB" "$1"; }

# stored: a confidence per result of the two logprob candidates, none for plain
check stats_lp_stored_good 5 "$(q 'SELECT count(*) FROM results WHERE provider_idx = 0 AND confidence BETWEEN 0.75 AND 0.95')"
check stats_lp_stored_bad 4 "$(q 'SELECT count(*) FROM results WHERE provider_idx = 1 AND confidence BETWEEN 0.35 AND 0.65')"
check stats_lp_stored_plain 0 "$(q 'SELECT count(confidence) FROM results WHERE provider_idx = 2')"
# calibration figures from them
check stats_lp_source logprobs "$(j "$(c good .calibration.source)")"
check stats_lp_good_n 5 "$(j "$(c good .calibration.n)")"
check stats_lp_bad_n 5 "$(j "$(c bad .calibration.n)")"
check stats_lp_plain_n "0 5" "$(j "$(c plain '"\(.calibration.n) \(.calibration.without_confidence)"')")"
for p in 0:good 1:bad; do
	i=${p%%:*} l=${p#*:}
	want=$(q "SELECT printf('%.6f', avg((pass - confidence) * (pass - confidence))) FROM results WHERE provider_idx = $i")
	check "stats_lp_${l}_brier" "$want" "$(j "$(c "$l" '.calibration.brier * 1e6 | round / 1e6')" | xargs printf '%.6f')"
	want=$(q "SELECT printf('%.6f', avg(confidence)) FROM results WHERE provider_idx = $i")
	check "stats_lp_${l}_mean_conf" "$want" "$(j "$(c "$l" '.calibration.mean_confidence')" | xargs printf '%.6f')"
done
# good is always right: ECE = 1 - mean confidence (every bin under-confident)
want=$(q "SELECT printf('%.6f', 1 - avg(confidence)) FROM results WHERE provider_idx = 0")
check stats_lp_good_ece_width "$want" "$(j "$(c good .calibration.ece_width)" | xargs printf '%.6f')"
check stats_lp_ece_mass_number true "$(j "$(c bad '.calibration.ece_mass | type == "number"')")"
check_grep stats_lp_text_formula 'exp\(mean token logprob\)' "$T/out.txt"

# severities: bad fails fruit 1 (critical case, minor assertion: 1),
# fruit 2 (major assertion: 5), veg 1 (critical assertion: 10), veg 2
# (high case: 5), passes "other" (1): 21 / 22, one critical failure
check stats_lp_stored_severity "1.0,5.0,10.0,NULL,NULL" "$(q "SELECT group_concat(quote(a.severity), ',') FROM (SELECT a.severity FROM assertion_results a JOIN results r ON r.id = a.result_id WHERE r.provider_idx = 1 ORDER BY r.case_idx) a")"
check stats_lp_bad_severity_weighted 0.954545 "$(j "$(c bad '.failure_modes.severity_weighted * 1e6 | round / 1e6')")"
check stats_lp_bad_critical 1 "$(j "$(c bad .failure_modes.critical_failures)")"
check stats_lp_good_severity_weighted 0 "$(j "$(c good .failure_modes.severity_weighted)")"
