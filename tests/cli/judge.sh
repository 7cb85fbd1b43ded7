#!/bin/sh
# judge.sh — model-graded assertions end to end, `assay mock` serving both
# the candidate and the judge: a prose reply repaired once, fenced JSON on
# a 1-5 scale, a factuality category; grades checked with jq.
. "$(dirname "$0")/../lib.sh"
D=$(cd "$(dirname "$0")/../data/judge" && pwd)
cp "$D"/suite.yaml "$T"/
start_mock m "$D/rules.yaml"

"$ASSAY" run "$T/suite.yaml" --no-progress-bar --no-table -o "$T/r.json" \
	>"$T/run.txt" 2>&1
check judge_run_exit_0 0 $?
R="$T/r.json"
a() { jq -r ".results[] | select(.vars.country == \"$1\") | $2" "$R"; }
check judge_repaired_pass true "$(a France '.assertions[0].pass')"
check judge_repaired_score 0.9 "$(a France '.assertions[0].score')"
check judge_repaired_reason repaired "$(a France '.assertions[0].reason')"
check judge_factuality_c 1 "$(a France '.assertions[1].score')"
check judge_scale_1_5 0.75 "$(a Spain '.assertions[0].score')"
check judge_fenced_reason "names Madrid" "$(a Spain '.assertions[0].reason')"
check judge_no_errors 0 "$(jq '[.results[] | select(.error != null)] | length' "$R")"
