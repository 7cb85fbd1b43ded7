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
# each suite its own store beside it (the checks read DIR/.assay/assay.db)
run() { "$ASSAY" run "$@" --db "$(dirname "$1")/.assay/assay.db" --no-progress-bar >"$T/out.txt" 2>"$T/err.txt"; }

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
env -u OPENAI_API_KEY "$ASSAY" run "$T/ev/env.yaml" --db "$T/ev/.assay/assay.db" --no-progress-bar >"$T/out.txt" 2>"$T/err.txt"
check env_run_passes 0 $?
check env_both_pass 2 "$(q "$T/ev" "select count(*) from results where pass = 1")"
if grep -rl "sk-env-planted-9876" "$T/ev/.assay" "$T/out.txt" "$T/err.txt" >/dev/null 2>&1; then
	fail env_value_not_stored "the env value reached $(grep -rl sk-env-planted-9876 "$T/ev/.assay" "$T"/*.txt)"
else ok env_value_not_stored; fi
check env_names_stored '"[REDACTED]"' "$(q "$T/ev" "select json_extract(suite_json, '$.env.GREETING_WORD') from runs" | sed 's/.*/"&"/')"
check metadata_stored evals-team "$(q "$T/ev" "select json_extract(suite_json, '$.metadata.owner') from runs")"

# 4. derivedMetrics: formulas over the metric sums, in the table and the JSON
mkdir "$T/dm" && cp "$T/derived.yaml" "$T/dm/"
run "$T/dm/derived.yaml" -o "$T/dm/r.json"
check derived_exit_100 100 $?
check derived_values '{"accuracy":0.75,"percent":75,"f":0.8571428571,"powmod":2,"missing":0}' \
	"$(jq -c '.summary[0].named_scores | {accuracy, percent, f, powmod, missing}' "$T/dm/r.json")"
check_grep derived_in_table 'derived metrics, openai:chat:echoer: accuracy = 0\.75, percent = 75, f = 0\.857143' "$T/out.txt"
(cd "$T/dm" && unset ASSAY_DB && "$ASSAY" show latest >"$T/show.txt" 2>&1)
check_grep derived_in_show 'accuracy = 0\.75' "$T/show.txt"

# 5. errors at load: file:line:col and what was expected
bad() {  # NAME FILE PATTERN
	(cd "$T/bad" && "$ASSAY" validate "$2" >"$T/bad.out" 2>&1)
	rc=$?
	if [ $rc -eq 1 ] && grep -qE -- "$3" "$T/bad.out"; then ok "$1"
	else fail "$1" "exit $rc: $(head -c 300 "$T/bad.out")"; fi
}
bad err_ref_missing ref_missing.yaml "^ref_missing.yaml:7:15: error: \\\$ref '#/assertionTemplates/b': no key 'b'"
bad err_ref_cycle ref_cycle.yaml '^ref_cycle.yaml:5:5: error: .*reference to itself'
bad err_ref_other_file ref_file.yaml "^ref_file.yaml:5:15: error: unsupported feature: \\\$ref 'other.yaml#/a'"
bad err_scenario_key scenario_key.yaml "^scenario_key.yaml:6:5: error: unknown key 'testz' in a scenario"
bad err_scenario_no_config scenario_noconfig.yaml "^scenario_noconfig.yaml:4:5: error: missing key 'config' in a scenario"
bad err_scenario_test_key scenario_test_key.yaml "^scenario_test_key.yaml:8:9: error: unknown key 'asert' in a test"
bad err_env_list env_list.yaml '^env_list.yaml:5:8: error: env BAD: found a list'
bad err_derived_syntax derived_syntax.yaml "^derived_syntax.yaml:5:19: error: derivedMetrics 'ratio': found '>'"
bad err_derived_function derived_func.yaml "^derived_func.yaml:5:13: error: derivedMetrics 'm': function 'mean' is not in assay's subset"

# 6. prompts: a bare path, CSV and JSONL prompt files, a prompt's config
mkdir "$T/pr" && cp -r "$T/prompts.yaml" "$T/prompts" "$T/pr/"
run "$T/pr/prompts.yaml"
check prompts_exit_100 100 $?
check prompts_labels_verdicts 'prompts/plain.txt=1|first=1|Prompt 2 - CSV two {{x}}=1|file://prompts/chats.jsonl: [{"role": "user", "content": "Chat line: {{x}}"}]=1|capped=0' \
	"$(q "$T/pr" "select group_concat(l || '=' || v, '|') from (select p.label l, r.pass v from results r join run_prompts p on p.run_id = r.run_id and p.idx = r.prompt_idx order by r.prompt_idx)")"
check prompts_config_applied 'Echo thi|length' "$(q "$T/pr" "select output || '|' || finish_reason from results where prompt_idx = 4")"
check prompts_chat_from_jsonl 'Chat line: zebra' "$(q "$T/pr" "select output from results where prompt_idx = 3")"
bad err_prompt_missing prompt_missing.yaml "^prompt_missing.yaml:2:5: error: found the prompt file 'prompts/none.txt', which does not exist"
bad err_prompt_config_type prompt_config.yaml '^prompt_config.yaml:4:20: error: prompt config temperature: found a string, expected a number'
bad err_prompt_config_key prompt_config_key.yaml "^prompt_config_key.yaml:4:7: error: prompt config key 'apiKey' is not supported"
bad err_prompt_csv prompt_csv.yaml '^broken.csv:2:1: error: malformed CSV'
bad err_prompt_csv_column prompt_csv_col.yaml "^nocol.csv:1:1: error: found no 'prompt' column"
bad err_prompt_jsonl prompt_jsonl.yaml '^bad.jsonl:2:1: error: found a line that is not a chat'

# 7. providers: echo, openai:completion: (plain and streamed), file:// provider files
mkdir "$T/pv" && cp "$T/providers.yaml" "$T/provider.yaml" "$T/pv/"
run "$T/pv/providers.yaml"
check providers_exit_0 0 $?
check providers_all_pass 'echo=1|openai:completion:echoer=1|chat-from-file=1|streamed-completion=1' \
	"$(q "$T/pv" "select group_concat(l || '=' || v, '|') from (select p.label l, r.pass v from results r join run_providers p on p.run_id = r.run_id and p.idx = r.provider_idx order by r.provider_idx)")"
check providers_echo_free '0|0' "$(q "$T/pv" "select coalesce(cost_usd, 0) || '|' || coalesce(prompt_tokens, 0) from results where provider_idx = 0")"
bad err_provider_type_typo prov_typo.yaml "^prov_typo.yaml:3:5: error: provider 'openai:chta:gpt-4': unknown OpenAI provider type 'chta'"
bad err_provider_hosted prov_hosted.yaml "^prov_hosted.yaml:3:5: error: provider 'bedrock:anthropic.claude-3-haiku': promptfoo's 'bedrock' provider is not supported"
bad err_provider_compatible_hint prov_compatible.yaml "use 'openai:chat:llama-3.1-8b-instant' with config.apiBaseUrl: https://api.groq.com/openai/v1"
bad err_provider_responses prov_responses.yaml "^prov_responses.yaml:3:5: error: .*'responses' provider is not supported"
bad err_provider_config_type prov_config_type.yaml "^prov_config_type.yaml:3:5: error: provider 'openai:chat:m': temperature must be a number"
bad err_provider_echo_config prov_echo_config.yaml "^prov_echo_config.yaml:3:5: error: provider 'echo': config key 'temperature' is not supported"
bad err_provider_file_nested prov_file_nested.yaml "^nested.yaml:1:3: error: found the provider file 'file://nested.yaml' inside a provider file"

# 8. evaluateOptions applied and checked; outputPath / -o checked before any request
mkdir "$T/eo" && cp "$T/evalopts.yaml" "$T/eo/"
run "$T/eo/evalopts.yaml"
check evalopts_timeout_is_error_not_failure '2|0|2' \
	"$(q "$T/eo" "select sum(error_kind is not null and error_kind != 'ok') || '|' || sum(pass = 0) || '|' || sum(pass = 1) from results")"
check evalopts_no_cache 0 "$(q "$T/eo" "select count(*) from cache")"
bad err_evalopts_unknown eo_unknown.yaml "^eo_unknown.yaml:4:3: error: unknown key 'maxConcurency' in evaluateOptions"
bad err_evalopts_type eo_type.yaml '^eo_type.yaml:4:11: error: evaluateOptions.repeat: found a string, expected a whole number'
bad err_evalopts_unsupported eo_unsupported.yaml '^eo_unsupported.yaml:4:3: error: unsupported feature: evaluateOptions.maxEvalTimeMs'
bad err_output_path_type out_type.yaml '^out_type.yaml:3:22: error: found a number, expected a path'
(cd "$T/bad" && unset ASSAY_DB && "$ASSAY" run out_ext.yaml --no-progress-bar >"$T/oe.out" 2>&1)
check err_output_path_ext_exit 1 $?
check_grep err_output_path_ext_message "cannot tell the output format of '.*results.xlsx'" "$T/oe.out"
check err_output_path_ext_before_run no "$([ -e "$T/bad/.assay" ] && echo yes || echo no)"
(cd "$T/bad" && unset ASSAY_DB && "$ASSAY" run ref_file.yaml >/dev/null 2>&1; "$ASSAY" run out_ext.yaml -o "$T/nodir/r.json" >"$T/oe.out" 2>&1)
check_grep err_dash_o_dir_missing "cannot write '.*nodir/r.json': its directory '.*nodir' does not exist" "$T/oe.out"
check err_dash_o_before_run no "$([ -e "$T/bad/.assay" ] && echo yes || echo no)"

# 9. assert-set: graded as its assertions with scaled weights
mkdir "$T/as" && cp "$T/assertset.yaml" "$T/as/"
run "$T/as/assertset.yaml"
check assertset_verdicts 'strict=0,lenient=1' "$(verdicts "$T/as")"
check assertset_scores '0.5|0.5' "$(q "$T/as" "select group_concat(round(score, 4), '|') from (select score from results order by case_idx)")"
bad err_assertset_threshold set_threshold.yaml "^set_threshold.yaml:6:9: error: unsupported feature: 'threshold' on an assert-set"
bad err_env_assay_settings env_assay.yaml "^env_assay.yaml:4:3: error: env ASSAY_LIMITS: assay's own settings cannot come from a suite"
# scenarios are bounded before their nodes are built
(cd "$T/sc" && ASSAY_LIMITS=tests_bytes=2000 "$ASSAY" validate scenarios.yaml >"$T/lim.out" 2>&1)
check_grep err_scenarios_bounded '^scenarios.yaml:28:5: error: the scenarios make 5 tests, more than the limit tests_bytes allows' "$T/lim.out"
# assay load builds requests without a prompt's config: refused, not ignored
(cd "$T/pr" && "$ASSAY" load prompts.yaml --rate 1 --duration 1s >"$T/load.out" 2>&1)
check_grep err_prompt_config_in_load "^prompts.yaml:13:10: error: unsupported feature: a prompt's config in assay load" "$T/load.out"
