#!/bin/sh
# promptfoo_config.sh — promptfoo config features run against `assay mock`
# on loopback, with the verdicts and scores each config in
# tests/data/promptfoo/ states in its header: scenarios, assertionTemplates
# and $ref, env, metadata, prompt files, derivedMetrics, providers (echo,
# openai:completion, file://), evaluateOptions and the load errors
# (file:line:col).
. "$(dirname "$0")/../lib.sh"
D=$(cd "$(dirname "$0")/../data/promptfoo" && pwd)
cp -r "$D"/. "$T"/
start_mock m "$D/rules.yaml"
export OPENAI_API_KEY=sk-test-promptfoo
q() { sqlite3 "$1/.assay/assay.db" "$2"; }
# verdicts "description=pass|…" of the latest run, in case order
verdicts() {
	sqlite3 "$1/.assay/assay.db" "select group_concat(d || '=' || v, ',') from (select c.description d, r.pass v from results r join cases c on c.run_id = r.run_id and c.idx = r.case_idx where r.run_id = (select max(id) from runs) order by r.case_idx, r.provider_idx)"
}
run() { "$ASSAY" run "$@" --no-progress-bar >"$T/out.txt" 2>"$T/err.txt"; }

# 1. scenarios
mkdir "$T/sc" && cp "$T/scenarios.yaml" "$T/sc/"
run "$T/sc/scenarios.yaml"
check scenarios_exit_100 100 $?
check scenarios_verdicts "plain=1,Spanish hello (calm)=1,Spanish bye=0,French hello (calm)=1,French bye=1" "$(verdicts "$T/sc")"
check scenarios_assert_counts "2,2,3,1,2" "$(q "$T/sc" "select group_concat(n, ',') from (select count(a.idx) n from results r left join assertion_results a on a.result_id = r.id group by r.id order by r.case_idx)")"
check scenarios_row_metadata '["french","french"]' "$(q "$T/sc" "select json_group_array(json_extract(metadata_json, '$.row')) from cases where run_id = (select max(id) from runs) and json_extract(metadata_json, '$.row') is not null")"

# 2. assertionTemplates and $ref
mkdir "$T/rf" && cp "$T/refs.yaml" "$T/refs.tests.yaml" "$T/rf/"
run "$T/rf/refs.yaml"
check refs_exit_100 100 $?
check refs_verdicts "t1=1,t2=0,f1=1" "$(verdicts "$T/rf")"
check refs_metric_kept geo "$(q "$T/rf" "select distinct metric from assertion_results where metric is not null")"
check refs_override_value 1 "$(q "$T/rf" "select count(*) from assertion_results where type = 'icontains' and pass = 0 and reason like '%Lyon%'")"

# 3. env: the provider's key comes from it, exec sees it, nothing stored
mkdir "$T/ev" && cp "$T/env.yaml" "$T/ev/"
env -u OPENAI_API_KEY "$ASSAY" run "$T/ev/env.yaml" --no-progress-bar >"$T/out.txt" 2>"$T/err.txt"
check env_run_passes 0 $?
check env_both_pass 2 "$(q "$T/ev" "select count(*) from results where pass = 1")"
if grep -rl "sk-env-planted-9876" "$T/ev/.assay" "$T/out.txt" "$T/err.txt" >/dev/null 2>&1; then
	fail env_value_not_stored "the env value reached $(grep -rl sk-env-planted-9876 "$T/ev/.assay" "$T"/*.txt)"
else ok env_value_not_stored; fi
check env_names_stored '"[REDACTED]"' "$(q "$T/ev" "select json_extract(suite_json, '$.env.GREETING_WORD') from runs" | sed 's/.*/"&"/')"
check metadata_stored evals-team "$(q "$T/ev" "select json_extract(suite_json, '$.metadata.owner') from runs")"
