#!/bin/sh
# pfcli.sh — promptfoo's `eval` flags on `assay eval` / `assay run` against
# `assay mock` on loopback (docs/promptfoo.md): -p/-r/-t, --var, --env-file,
# the filters in promptfoo's order, --no-write, --verbose, -o in promptfoo's
# layout (read with jq at promptfoo's paths), --share and other refusals.
. "$(dirname "$0")/../lib.sh"
D=$(cd "$(dirname "$0")/../data/pfcli" && pwd)
cp "$D"/* "$T"/
start_mock m "$D/rules.yaml"
export OPENAI_API_KEY=sk-test
cd "$T" || exit 1
A() { "$ASSAY" "$@" --no-progress-bar --no-table; }
n_last() { sqlite3 "$T/.assay/assay.db" "select count(*) from results where run_id=(select max(id) from runs)"; }

# 1. -o in promptfoo's layout: good passes capital, json, Spain; bad none.
A eval -c suite.yaml -o r.json r.csv r.jsonl >/dev/null 2>err.txt
check pf_eval_exit_100 100 $?
check pf_o_variadic yes "$([ -s r.csv ] && echo yes)"
check pf_json_results_count 8 "$(jq '.results.results | length' r.json)"
check pf_json_stats "3 5 0" "$(jq -r '.results.stats | "\(.successes) \(.failures) \(.errors)"' r.json)"
check pf_json_stats_tokens yes "$(jq -r 'if .results.stats.tokenUsage.total > 0 then "yes" else "no" end' r.json)"
check pf_json_version 3 "$(jq '.results.version' r.json)"
R0='.results.results[] | select(.testIdx == 0 and .provider.id == "openai:chat:good")'
check pf_json_success true "$(jq -r "$R0 | .success" r.json)"
check pf_json_score 1 "$(jq -r "$R0 | .score" r.json)"
check pf_json_output Paris "$(jq -r "$R0 | .response.output" r.json)"
check pf_json_component "icontains true" "$(jq -r "$R0 | .gradingResult.componentResults[0] | \"\(.assertion.type) \(.pass)\"" r.json)"
check pf_json_named_scores 1 "$(jq -r "$R0 | .namedScores.geo" r.json)"
check pf_json_latency_number number "$(jq -r "$R0 | .latencyMs | type" r.json)"
check pf_json_cost_number number "$(jq -r "$R0 | .cost | type" r.json)"
check pf_json_prompt_raw "Q: What is the capital of France? (quiet)" "$(jq -r "$R0 | .prompt.raw" r.json)"
check pf_json_vars "What is the capital of France?" "$(jq -r "$R0 | .vars.q" r.json)"
check pf_json_testcase_metadata geo "$(jq -r "$R0 | .testCase.metadata.topic" r.json)"
check pf_json_testcase_assert "icontains geo" "$(jq -r "$R0 | .testCase.assert[0] | \"\(.type) \(.metric)\"" r.json)"
# the assertion as written in the suite (its value), in testCase.assert and
# in componentResults[].assertion alike; the run's wall time in stats
check pf_json_testcase_assert_value "icontains paris geo" "$(jq -r "$R0 | .testCase.assert[0] | \"\\(.type) \\(.value) \\(.metric)\"" r.json)"
check pf_json_component_assert_value "7" "$(jq -r '.results.results[] | select(.testIdx == 1 and .provider.id == "openai:chat:good") | .gradingResult.componentResults[0].assertion.value' r.json)"
check pf_json_assert_no_value_when_unwritten null "$(jq -c '.results.results[] | select(.testIdx == 2) | .testCase.assert[0].value' r.json | sort -u)"
check pf_json_stats_duration_ms yes "$(jq -r 'if (.results.stats.durationMs | type) == "number" and .results.stats.durationMs >= 0 then "yes" else "no" end' r.json)"
check pf_jsonl_assert_value madrid "$(jq -r 'select(.testIdx == 3) | .testCase.assert[0].value' r.jsonl | sort -u)"
check pf_json_error_is_reason 'Expected output to contain "paris"' "$(jq -r '.results.results[] | select(.testIdx == 0 and .provider.id == "openai:chat:bad") | .error' r.json)"
check pf_json_provider_label worse "$(jq -r '.results.results[] | select(.provider.id == "openai:chat:bad") | .provider.label' r.json | sort -u)"
check pf_json_failure_reason 1 "$(jq -r '.results.results[] | select(.testIdx == 1 and .provider.id == "openai:chat:good") | .failureReason' r.json)"
check pf_json_prompt_metrics "3 1" "$(jq -r '.results.prompts[] | select(.provider == "openai:chat:good") | "\(.metrics.testPassCount) \(.metrics.testFailCount)"' r.json)"
check pf_json_assay_layout_kept 8 "$(jq '.assay.results | length' r.json)"
check pf_jsonl_lines 8 "$(wc -l <r.jsonl | tr -d ' ')"
check pf_jsonl_promptfoo_and_assay "3 8" "$(jq -s '"\([.[] | select(.success)] | length) \([.[] | select(.assay.case_idx != null)] | length)"' -r r.jsonl)"
A run suite.yaml -o a.json -o a.jsonl >/dev/null 2>&1
check pf_run_jsonl_assay_layout "8 8" "$(jq -s -r '"\([.[] | select(.run_id != null)] | length) \(length)"' a.jsonl)"
check pf_run_keeps_assay_layout "array 8" "$(jq -r '.results | "\(type) \(length)"' a.json)"
"$ASSAY" export latest --db .assay/assay.db --layout promptfoo -o x.json 2>/dev/null
check pf_export_layout_promptfoo "3 8" "$(jq -r '"\(.results.stats.successes) \(.assay.results | length)"' x.json)"

# 2. -n and --filter-first-n; --filter-range.
A eval -c suite.yaml -n 1 >/dev/null 2>&1
check pf_n_short 2 "$(n_last)"
# a filtered run's cases no longer line up with the suite's tests: the
# assertion goes out from the store (type, weight), never another test's value
"$ASSAY" export latest --db .assay/assay.db --layout promptfoo -o n1.json 2>/dev/null
check pf_filtered_assert_no_guess "icontains null" "$(jq -r '.results.results[0].testCase.assert[0] | "\(.type) \(.value)"' n1.json)"
A eval -c suite.yaml --filter-range 1:3 -o rg.json >/dev/null 2>&1
check pf_filter_range "math json" "$(jq -r '[.results.results[] | select(.provider.id == "openai:chat:good") | .testCase.description] | join(" ")' rg.json)"

# 3. --filter-pattern: eval matches descriptions only (promptfoo); run also vars.
A eval -c suite.yaml --filter-pattern '^ca' >/dev/null 2>&1
check pf_pattern_description 2 "$(n_last)"
A run suite.yaml --filter-pattern Spain >/dev/null 2>&1
check pf_pattern_run_vars 2 "$(n_last)"
A eval -c suite.yaml --filter-pattern Spain >/dev/null 2>pat.txt
check pf_pattern_eval_no_vars 1 $?
check_grep pf_pattern_eval_nothing 'nothing to run \(0 tests' pat.txt

# 4. --filter-metadata: substring, alternatives, AND across flags, arrays.
A eval -c suite.yaml --filter-metadata topic=geo >/dev/null 2>&1
check pf_metadata_one 2 "$(n_last)"
A eval -c suite.yaml --filter-metadata topic=geo,math >/dev/null 2>&1
check pf_metadata_alternatives 4 "$(n_last)"
A eval -c suite.yaml --filter-metadata tags=ha >/dev/null 2>&1
check pf_metadata_array_substring 2 "$(n_last)"
A eval -c suite.yaml --filter-metadata topic=geo --filter-metadata tags=fast >/dev/null 2>&1
check pf_metadata_and 2 "$(n_last)"
A eval -c suite.yaml --filter-metadata level=2 >/dev/null 2>&1
check pf_metadata_number 2 "$(n_last)"
A eval -c suite.yaml --filter-metadata topic >/dev/null 2>md.txt
check pf_metadata_bad_exit 2 $?
check_grep pf_metadata_bad_msg 'must be KEY=VALUE' md.txt

# 5. --filter-failing from promptfoo's layout, assay's layout, a stored run.
A eval -c suite.yaml -r openai:chat:good -o g.json >/dev/null 2>&1
check pf_r_replaces_providers 4 "$(jq '.results.results | length' g.json)"
A eval -c suite.yaml --filter-failing g.json -o f.json >/dev/null 2>&1
check pf_filter_failing_promptfoo_file "math math" "$(jq -r '[.results.results[].testCase.description] | join(" ")' f.json)"
A run suite.yaml -r openai:chat:good -o g2.json >/dev/null 2>&1
A run suite.yaml --filter-failing g2.json >/dev/null 2>&1
check pf_filter_failing_assay_file 2 "$(n_last)"
A eval -c suite.yaml -r openai:chat:good >/dev/null 2>&1
A eval -c suite.yaml --filter-failing latest >/dev/null 2>&1
check pf_filter_failing_run_ref 2 "$(n_last)"
mkdir -p "$T/nwf" && cp suite.yaml "$T/nwf/" && cd "$T/nwf" || exit 1
A eval -c suite.yaml -r openai:chat:good >/dev/null 2>&1
A eval -c suite.yaml --no-write --filter-failing latest -o nwf.json >/dev/null 2>&1
check pf_filter_failing_run_ref_no_write "math math" "$(jq -r '[.results.results[].testCase.description] | join(" ")' nwf.json)"
cd "$T" || exit 1
A eval -c suite.yaml --filter-errors-only g.json >/dev/null 2>fe.txt
check pf_filter_errors_only_none 1 $?
check_grep pf_filter_errors_only_warns 'selected no tests' fe.txt
A eval -c suite.yaml --filter-failing-only r.json >/dev/null 2>&1
check pf_filter_failing_only 8 "$(n_last)"
# … and from a file promptfoo wrote (its layout, _conversation ignored).
A eval -c suite.yaml --filter-failing promptfoo-output.json -o pf1.json >/dev/null 2>&1
check pf_filter_failing_promptfoo_written "math json" "$(jq -r '[.results.results[] | select(.provider.id == "openai:chat:good") | .testCase.description] | join(" ")' pf1.json)"
A eval -c suite.yaml --filter-failing-only promptfoo-output.json -o pf2.json >/dev/null 2>&1
check pf_filter_failing_only_promptfoo_written "math" "$(jq -r '[.results.results[] | select(.provider.id == "openai:chat:good") | .testCase.description] | join(" ")' pf2.json)"
A eval -c suite.yaml --filter-errors-only promptfoo-output.json -o pf3.json >/dev/null 2>&1
check pf_filter_errors_only_promptfoo_written "json" "$(jq -r '[.results.results[] | select(.provider.id == "openai:chat:good") | .testCase.description] | join(" ")' pf3.json)"
printf '{"results": 3}' >bad.json
A eval -c suite.yaml --filter-failing bad.json >/dev/null 2>bf.txt
check pf_filter_failing_bad_file 1 $?
check_grep pf_filter_failing_bad_msg 'bad.json:1:1: .*expected promptfoo' bf.txt

# 6. --filter-providers / --filter-prompts.
A eval -c suite.yaml --filter-providers worse -o fp.json >/dev/null 2>&1
check pf_filter_providers_label "openai:chat:bad" "$(jq -r '[.results.results[].provider.id] | unique | join(" ")' fp.json)"
A eval -c suite.yaml --filter-targets nothing-like-this >/dev/null 2>ft.txt
check pf_filter_targets_none 1 $?

# --filter-sample: N tests, the same ones again with the same seed.
A eval -c suite.yaml --filter-sample 2 --filter-sample-seed 7 -o s1.json >/dev/null 2>&1
A eval -c suite.yaml --filter-sample 2 --filter-sample-seed 7 -o s2.json >/dev/null 2>&1
sampled() { jq -r '[.results.results[] | select(.provider.id == "openai:chat:good") | .testIdx] | join(",")' "$1"; }
check pf_filter_sample_count 4 "$(jq '.results.results | length' s1.json)"
check pf_filter_sample_seeded "$(sampled s1.json)" "$(sampled s2.json)"
# --filter-prompts: by label.
printf 'Extra: {{q}}\n' >extra.txt
A eval -c suite.yaml -p prompts.txt extra.txt --filter-prompts '^extra' -o fpr.json >/dev/null 2>&1
check pf_filter_prompts "extra.txt" "$(jq -r '[.results.results[].prompt.label] | unique | join(" ")' fpr.json)"
A eval -c suite.yaml -p prompts.txt extra.txt -n 1 -o pv.json >/dev/null 2>&1
check pf_p_variadic "Answer: What is the capital of France? Extra: What is the capital of France?" "$(jq -r '[.results.results[] | select(.provider.id == "openai:chat:good") | .prompt.raw] | join(" ")' pv.json)"

# 7. --var goes into defaultTest.vars: a test's own var wins.
A eval -c suite.yaml --var tone=loud -o v.json >/dev/null 2>&1
check pf_var_default "Q: What is 2 plus 3? (loud)" "$(jq -r '.results.results[] | select(.testIdx == 1 and .provider.id == "openai:chat:good") | .prompt.raw' v.json)"
check pf_var_test_wins "Q: What is the capital of France? (quiet)" "$(jq -r '.results.results[] | select(.testIdx == 0 and .provider.id == "openai:chat:good") | .prompt.raw' v.json)"
A eval -c suite.yaml --var novalue >/dev/null 2>vb.txt
check pf_var_bad_exit 2 $?

# 8. -p, -r, -t alone (no config), paths relative to the current directory.
mkdir -p "$T/bare" && cd "$T/bare" || exit 1
A eval -p ../prompts.txt -r openai:chat:good -t ../tests.csv -o b.json >/dev/null 2>b.txt
check pf_standalone_exit 0 $?
check pf_standalone_results "2 Answer: What is 2 plus 3?" "$(jq -r '"\(.results.results | length) \(.results.results[1].prompt.raw)"' b.json)"
check pf_standalone_prompt_label ../prompts.txt "$(jq -r '.results.results[0].prompt.label' b.json)"
A eval -p ../prompts.txt missing.txt -r openai:chat:good >/dev/null 2>bad_p.txt
check pf_p_missing_exit 1 $?
check_grep pf_p_missing_names_flag "^\(command line -p\):1:2: error: cannot read file '.*/bare/missing.txt'" bad_p.txt
cd "$T" || exit 1
A eval -c suite.yaml -p prompts.txt -o p.json >/dev/null 2>&1
check pf_p_replaces_prompts "Answer: What is 2 plus 3?" "$(jq -r '.results.results[] | select(.testIdx == 1 and .provider.id == "openai:chat:good") | .prompt.raw' p.json)"

# 9. --env-file and ./.env: loaded, never replacing a variable already set.
# (An exec provider prints the variables; no request leaves loopback.)
mkdir -p "$T/envd" && cd "$T/envd" || exit 1
printf 'A_ML="one\ntwo"\nB_ESC="x\\ny # not a comment"\nexport C_PLAIN=val # comment\nJUNK LINE\nD_SQ='"'"'lit\\n'"'"'\n' >multi.env
cat >show.sh <<'SH'
#!/bin/sh
printf '%s|%s|%s|%s' "$A_ML" "$B_ESC" "$C_PLAIN" "$D_SQ"
SH
chmod +x show.sh
cat >envsuite.yaml <<'Y'
prompts: ["x"]
providers: ["exec:./show.sh"]
tests:
  - assert: [{type: equals, value: "one\ntwo|x\ny # not a comment|val|lit\\n"}]
Y
A run envsuite.yaml --env-file multi.env -o env.json >/dev/null 2>ev.txt
check pf_env_file_loaded 0 $?
check pf_env_file_values 'true' "$(jq -r '.results[0].pass' env.json)"
check_grep pf_env_file_bad_line "multi.env:5: warning: no '=', line ignored" ev.txt
A run envsuite.yaml -o none.json >/dev/null 2>&1
check pf_env_needed_without 100 $?
check pf_run_reads_no_dot_env "|||" "$(cp multi.env .env; A run envsuite.yaml -o rd.json >/dev/null 2>&1; jq -r '.results[0].output' rd.json)"
A eval -c envsuite.yaml -o dot.json >/dev/null 2>&1
check pf_eval_reads_dot_env 0 $?
rm -f .env
A_ML=preset A run envsuite.yaml --env-file multi.env -o keep.json >/dev/null 2>&1
check pf_env_file_keeps_set_vars "preset|x" "$(jq -r '.results[0].output' keep.json | head -1)"
cd "$T" || exit 1

# 10. --no-write: nothing stored, -o still written.
mkdir -p "$T/nw" && cp suite.yaml "$T/nw/" && cd "$T/nw" || exit 1
NR0=$(n_runs "$T/.assay/assay.db")
A eval -c suite.yaml --no-write -o nw.json >/dev/null 2>nw.txt
check pf_no_write_exit 100 $?
(unset ASSAY_DB && A eval -c suite.yaml --no-write >/dev/null 2>&1)
check pf_no_write_no_db "no $NR0" "$([ -e .assay ] && echo yes || echo no) $(n_runs "$T/.assay/assay.db")"
check pf_no_write_output 8 "$(jq '.results.results | length' nw.json)"
check_grep pf_no_write_says 'not stored \(--no-write\)' nw.txt
cd "$T" || exit 1

# 11. --verbose, --repeat, --delay, -j, --no-cache.
A eval -c suite.yaml --verbose --filter-metadata topic=math >/dev/null 2>vv.txt
check_grep pf_verbose_filter 'topic=math: 1 of 4 tests kept' vv.txt
check_grep pf_verbose_settings 'suite suite.yaml: 1 tests' vv.txt
A eval -c suite.yaml -n 1 --repeat 2 --delay 1 -j 3 --no-cache >/dev/null 2>dl.txt
check pf_repeat_delay 4 "$(n_last)"
check_grep pf_delay_forces_j1 'one request at a time' dl.txt
cfg_last() { sqlite3 "$T/.assay/assay.db" "select config_json from runs order by id desc limit 1" | jq -r "$1"; }
check pf_delay_stored "1 1 false" "$(cfg_last '"\(.concurrency) \(.delay_ms) \(.cache)"')"
A eval -c suite.yaml -n 1 -j 3 >/dev/null 2>&1
check pf_j_stored 3 "$(cfg_last .concurrency)"
A eval -c suite.yaml -n 1 --max-concurrency 5 -o c1.json >/dev/null 2>&1
check pf_max_concurrency_long 5 "$(cfg_last .concurrency)"
check pf_cache_hit true "$(jq -r '.results.results[0].response.cached' c1.json)"
A eval -c suite.yaml -n 1 --no-cache -o c2.json >/dev/null 2>&1
check pf_no_cache_fresh false "$(jq -r '.results.results[0].response.cached' c2.json)"

# promptfoo's exit-status variables (eval only): pass rate over every result.
A eval -c suite.yaml >/dev/null 2>&1
check pf_exit_default_100 100 $?
PROMPTFOO_PASS_RATE_THRESHOLD=37 A eval -c suite.yaml >/dev/null 2>thr.txt
check pf_exit_rate_above_threshold 0 $?
check_grep pf_exit_rate_said 'pass rate 37.50%, threshold 37%' thr.txt
PROMPTFOO_PASS_RATE_THRESHOLD=38 A eval -c suite.yaml >/dev/null 2>&1
check pf_exit_rate_below_threshold 100 $?
PROMPTFOO_FAILED_TEST_EXIT_CODE=7 A eval -c suite.yaml >/dev/null 2>&1
check pf_exit_failed_test_code 7 $?
PROMPTFOO_FAILED_TEST_EXIT_CODE=7 A run suite.yaml >/dev/null 2>&1
check pf_exit_run_ignores_env 100 $?
mkdir -p "$T/yml" && cp suite.yaml "$T/yml/promptfooconfig.yml" && cd "$T/yml" || exit 1
A eval -n 1 >/dev/null 2>&1
check pf_default_config_yml 100 $?
cd "$T" || exit 1

# 12. Refused flags: --share (nothing leaves the machine), -w, --prompt-prefix.
A eval -c suite.yaml --share >/dev/null 2>sh.txt
check pf_share_exit 2 $?
check_grep pf_share_msg 'nothing leaves this machine' sh.txt
A eval -c suite.yaml -w >/dev/null 2>w.txt
check pf_watch_refused 2 $?
check_grep pf_watch_msg '-w is a promptfoo flag assay does not support' w.txt
A eval -c suite.yaml --prompt-prefix x >/dev/null 2>px.txt
check_grep pf_prefix_msg 'prompt-prefix is a promptfoo flag assay does not support: put the prefix in the prompt' px.txt
A eval -c suite.yaml other.yaml >/dev/null 2>two.txt
check pf_two_configs_exit 2 $?
check_grep pf_two_configs_msg "one suite only: 'other.yaml' is a second one" two.txt
A eval -c suite.yaml --no-share --table -n 1 >/dev/null 2>&1
check pf_no_share_accepted 100 $?
