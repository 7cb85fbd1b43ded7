#!/bin/sh
# run.sh — `assay run` end to end against `assay mock` on loopback: exact
# pass/fail counts, stored rows, outputs, exit statuses, errors that are
# not failures, filters, repeats, the eval alias and secrets kept out.
. "$(dirname "$0")/../lib.sh"
D=$(cd "$(dirname "$0")/../data/run" && pwd)
cp "$D"/basic.yaml "$D"/more.csv "$T"/
start_mock m "$D/rules.yaml"
KEY=sk-planted-secret-4242
export OPENAI_API_KEY=$KEY

# 1. A full run: good passes 8/8, bad passes 1/8 (the default reply).
"$ASSAY" run "$T/basic.yaml" -j 8 --no-progress-bar -o "$T/r.json" -o "$T/r.jsonl" \
	-o "$T/r.csv" >"$T/out.txt" 2>"$T/err.txt"
check run_exit_status_100_when_a_test_fails 100 $?
DB="$T/.assay/assay.db"
check run_db_stored_in_assay_db yes "$([ -f "$DB" ] && echo yes)"
# q RUN JQ: jq over what the store holds for RUN (`assay export`)
q() { export_jsonl "$DB" "$1" | jq -s "$2"; }
check run_stored_result_count 16 "$(q 1 length)"
check run_good_passes 8 "$(q 1 'map(select(.provider_id == "openai:chat:good" and .pass == true)) | length')"
check run_bad_passes 1 "$(q 1 'map(select(.provider_id == "openai:chat:bad" and .pass == true)) | length')"
check run_no_errors 0 "$(q 1 'map(select(.error != null)) | length')"
check run_weighted_score_good 0.8 "$(q 1 'map(select(.description == "weighted threshold" and .provider_idx == 0))[0].score * 10000 | round / 10000')"
check run_weighted_score_bad 0.4 "$(q 1 'map(select(.description == "weighted threshold" and .provider_idx == 1))[0].score * 10000 | round / 10000')"
check run_assertion_rows 36 "$(q 1 'map(.assertions | length) | add')"
check run_tokens_recorded 0 "$(q 1 'map(select(.tokens.prompt == null or .tokens.prompt < 1)) | length')"
check run_status_done done "$(run_json "$DB" latest .run.status)"
check run_json_results 16 "$(jq '.results | length' "$T/r.json")"
check run_json_summary_rows 2 "$(jq '.summary | length' "$T/r.json")"
check run_jsonl_lines 16 "$(wc -l <"$T/r.jsonl" | tr -d ' ')"
check run_csv_rows 17 "$(sqlite3 :memory: ".import --csv $T/r.csv t" "select count(*)+1 from t")"
check_grep run_table_shows_good 'good' "$T/out.txt"
check_grep run_table_shows_wilson '100\.0% *\[6[0-9]\.[0-9]' "$T/out.txt"

# 2. The key never reaches the database, the outputs or the logs.
if grep -rl "$KEY" "$T/.assay" "$T"/r.* "$T/out.txt" "$T/err.txt" >/dev/null 2>&1; then
	fail run_secret_not_stored "found $KEY in $(grep -rl "$KEY" "$T/.assay" "$T"/r.* "$T"/*.txt)"
else ok run_secret_not_stored; fi

# 3. The promptfoo spelling, filters and repeats.
"$ASSAY" eval -c "$T/basic.yaml" --filter-first-n 2 --repeat 3 --no-progress-bar \
	--no-table --description "filtered" >/dev/null 2>&1
check run_eval_alias_exit 100 $?
check run_filter_first_n_and_repeat 12 "$(q latest length)"
check run_repeat_indexes 3 "$(q latest 'map(.repeat) | unique | length')"
check run_description_stored filtered "$(run_json "$DB" latest .run.description)"
"$ASSAY" run "$T/basic.yaml" --filter-pattern 'capital' --no-progress-bar --no-table >/dev/null 2>&1
check run_filter_pattern 6 "$(q latest length)"

# 4. Only the good model: exit 0.
sed '/openai:chat:bad/d' "$T/basic.yaml" >"$T/good.yaml"
"$ASSAY" run "$T/good.yaml" --no-progress-bar --no-table >/dev/null 2>&1
check run_exit_0_when_all_pass 0 $?

# 5. Infrastructure errors are errors, not failures: a closed port, an unknown model.
cat >"$T/errs.yaml" <<Y
prompts: ["{{q}}"]
providers:
  - id: openai:chat:good
    config: {apiBaseUrl: "http://127.0.0.1:1/v1"}
  - id: openai:chat:no-such-model
tests:
  - vars: {q: "What is the capital of France?"}
    assert: [{type: equals, value: Paris}]
Y
"$ASSAY" run "$T/errs.yaml" --no-progress-bar -o "$T/e.json" >"$T/eout.txt" 2>&1
check run_exit_1_on_infrastructure_errors 1 $?
check run_connect_error_kind connect "$(jq -r '.results[] | select(.provider_id=="openai:chat:good") | .error.kind' "$T/e.json")"
check run_http_error_kind http "$(jq -r '.results[] | select(.provider_id=="openai:chat:no-such-model") | .error.kind' "$T/e.json")"
check run_http_error_status 404 "$(jq -r '.results[] | select(.provider_id=="openai:chat:no-such-model") | .error.http_status' "$T/e.json")"
check run_errors_not_failures "0" "$(jq '[.results[] | select(.pass == false)] | length' "$T/e.json")"

# 6. Usage errors exit 2.
"$ASSAY" run "$T/basic.yaml" -j zero >/dev/null 2>&1
check run_usage_error_exit_2 2 $?
"$ASSAY" run "$T/basic.yaml" --no-such-flag >/dev/null 2>&1
check run_unknown_flag_exit_2 2 $?

# 7. validate checks without sending anything.
"$ASSAY" validate "$T/basic.yaml" >"$T/v.txt" 2>&1
check run_validate_ok 0 $?
check_grep run_validate_counts '8 tests' "$T/v.txt"

# 8. show: a stored run by id or latest, re-exported from the store.
(cd "$T" && "$ASSAY" show 1 -o "$T/s.json" >"$T/show.txt" 2>&1)
check run_show_by_id_exit 0 $?
check run_show_reexport_matches "$(jq -c '[.results[] | [.case_idx, .provider_idx, .pass]]' "$T/r.json")" \
	"$(jq -c '[.results[] | [.case_idx, .provider_idx, .pass]]' "$T/s.json")"
(cd "$T" && "$ASSAY" show latest --no-table -o "$T/l.json" >/dev/null 2>&1)
check run_show_latest "$("$ASSAY" runs -n 1 --db "$DB" | awk 'NR == 2 { print $1 }')" "$(jq '.run.id' "$T/l.json")"
(cd "$T" && "$ASSAY" show 999 >/dev/null 2>"$T/show-err.txt")
check run_show_unknown_run_exit 1 $?

# 9. options.transform (test level, inherited from defaultTest): a jq
# expression applied to the output before every assertion; a transform
# from a file is refused at load with its location (inline JavaScript
# transforms run: tests/cli/code.sh).
cat >"$T/transform.yaml" <<Y
prompts: ["Question: {{q}}"]
providers: [openai:chat:good]
defaultTest:
  options: {transform: "jq:.ok"}
tests:
  - vars: {q: "Reply in JSON please"}
    assert: [{type: equals, value: "true"}]
  - vars: {q: "Reply in JSON please"}
    options: {transform: "jq:.n * 2"}
    assert: [{type: equals, value: "6"}]
Y
"$ASSAY" run "$T/transform.yaml" --no-progress-bar --no-table -o "$T/t.json" >/dev/null 2>&1
check run_test_transform_passes 0 $?
check run_test_transform_output "true 6" "$(jq -r '[.results[].output] | join(" ")' "$T/t.json")"
sed 's/jq:.n \* 2/file:\/\/up.js/' "$T/transform.yaml" >"$T/badtransform.yaml"
"$ASSAY" validate "$T/badtransform.yaml" >/dev/null 2>"$T/bt.err"
check run_test_transform_file_refused 1 $?
check_grep run_test_transform_file_location 'badtransform.yaml:[0-9]+:[0-9]+: error: options.transform' "$T/bt.err"

# 10. outputPath in the suite: written when no -o is given (relative to the suite).
sed 's/^description: integration suite/description: integration suite\noutputPath: [out\/a.json, out\/b.csv]/' "$T/basic.yaml" >"$T/outpath.yaml"
mkdir -p "$T/out"
"$ASSAY" run "$T/outpath.yaml" --no-progress-bar --no-table >/dev/null 2>&1
check run_output_path_json 16 "$(jq '.results | length' "$T/out/a.json")"
check run_output_path_csv yes "$([ -s "$T/out/b.csv" ] && echo yes)"
