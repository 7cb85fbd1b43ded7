#!/bin/sh
# stats_cache.sh — a re-run served from the response cache keeps the
# latency and cost figures its original responses had (issue 8): the
# latency percentiles and the decision's p95 verdict are the same as on
# the first run, the cached cost is shown apart as not spent this run.
. "$(dirname "$0")/../lib.sh"
D=$(cd "$(dirname "$0")/../data/stats" && pwd)
cp "$D"/suite.yaml "$D"/cases.csv "$T"/
start_mock m "$D/rules.yaml"
DB="$T/.assay/assay.db"
c() { printf '.candidates[] | select(.label == "%s") | %s' "$1" "$2"; }

"$ASSAY" run "$T/suite.yaml" -j 4 --no-progress-bar --no-table >/dev/null 2>&1
"$ASSAY" stats latest --db "$DB" --json >"$T/first.json" 2>/dev/null
"$ASSAY" run "$T/suite.yaml" -j 4 --no-progress-bar --no-table >/dev/null 2>&1
"$ASSAY" stats latest --db "$DB" --json >"$T/second.json" 2>"$T/err.txt"
check stats_cache_second_exit 0 $?
check stats_cache_all_cached 11 "$(jq -r "$(c good .latency.cached)" "$T/second.json")"
check stats_cache_latency_n 11 "$(jq -r "$(c good .latency.n)" "$T/second.json")"
check stats_cache_same_p95 "$(jq -r "$(c good .latency.p95)" "$T/first.json")" \
	"$(jq -r "$(c good .latency.p95)" "$T/second.json")"
check stats_cache_p95_verdict_known \
	"$(jq -r '.decision.candidates[] | select(.label == "good") | .p95' "$T/first.json")" \
	"$(jq -r '.decision.candidates[] | select(.label == "good") | .p95' "$T/second.json")"
check stats_cache_p95_not_unknown true \
	"$(jq -r '.decision.candidates[] | select(.label == "good") | .p95 != "unknown"' "$T/second.json")"
check stats_cache_cost_kept "$(jq -r "$(c good .cost.total_usd)" "$T/first.json")" \
	"$(jq -r "$(c good .cost.total_usd)" "$T/second.json")"
check stats_cache_cost_apart true "$(jq -r "$(c good '.cost.cached_usd > 0 and .cost.spent_usd == 0')" "$T/second.json")"
check stats_cache_first_spent true "$(jq -r "$(c good '.cost.cached_usd == 0 and .cost.spent_usd > 0')" "$T/first.json")"
