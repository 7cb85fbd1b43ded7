#!/bin/sh
# stats_clusters.sh — issue 8's example as a new user would run it: 12
# cases in 4 clusters (3 questions per document); "good" passes all 12,
# "bad" fails 5 (a 5-to-0 split of discordant cases).  The pass-rate
# interval of 12/12 is no narrower than Wilson on 12 cases (it is Wilson
# at the 4 clusters: 4 / (4 + 1.96^2) = 0.5101), the table and the
# statistics section show the same interval, the decision is not
# "clearly" and the difference is not significant: the clustered p is
# never below the exact McNemar p on the 12 cases (R: binom.test(0, 5),
# 0.0625); the CR1 t test with 3 df gives 0.0796 (mpmath).
. "$(dirname "$0")/../lib.sh"
D=$(cd "$(dirname "$0")/../data/stats_clusters" && pwd)
cp "$D"/suite.yaml "$D"/cases.csv "$T"/
start_mock m "$D/rules.yaml"
"$ASSAY" run "$T/suite.yaml" --no-progress-bar >"$T/run.txt" 2>&1
check stats_clusters_run_exit 100 $?
DB="$T/.assay/assay.db"
"$ASSAY" stats latest --db "$DB" -o "$T/s.json" >"$T/out.txt" 2>&1
check stats_clusters_stats_exit 0 $?
j() { jq -r "$1" "$T/s.json"; }
c() { printf '.candidates[] | select(.label == "%s") | %s' "$1" "$2"; }
check stats_clusters_n 4 "$(j .clusters)"
check stats_clusters_good_lo 0.5101 "$(j "$(c good '.pass_rate.lo * 10000 | round / 10000')")"
check stats_clusters_good_not_narrower true "$(j "$(c good '.pass_rate.lo <= 0.7576')")"
check_grep stats_clusters_table_same '100\.0% \[51\.0.100\.0\]\*' "$T/run.txt"
check_grep stats_clusters_section_same '100\.0% \[51\.0, 100\.0\]' "$T/out.txt"
check stats_clusters_split "5 0" "$(j '.comparisons.pairs[0] | "\(.a_only) \(.b_only)"')"
check stats_clusters_p_unclustered 0.0625 "$(j '.comparisons.pairs[0].p_unclustered')"
check stats_clusters_p_t 0.0796 "$(j '.comparisons.pairs[0].p_cr1_t * 10000 | round / 10000')"
check stats_clusters_p_not_below_mcnemar true "$(j '.comparisons.pairs[0].p >= 0.0625')"
check stats_clusters_not_significant false "$(j '.comparisons.pairs[0].significant')"
check stats_clusters_not_clearly false "$(j '.decision.candidates[] | select(.label == "good") | .clearly')"
check stats_clusters_not_clear false "$(j '.decision.statistically_clear')"
if grep -q 'yes, clearly' "$T/out.txt"; then
	fail stats_clusters_text_no_clearly "the decision says clearly"
else
	ok stats_clusters_text_no_clearly
fi
check_grep stats_clusters_text_settle_80_power 'cases in total would settle it \(80% power\)' "$T/out.txt"
