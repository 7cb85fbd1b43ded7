#!/bin/sh
# history.sh — runs over time (issue 10): run records, `--resume` after
# kill -9 and after SIGINT (nothing requested twice, final figures equal
# to an uninterrupted run's), a suite edited before --resume refused with
# what changed, --retry-errors, and the browsing commands.
. "$(dirname "$0")/../lib.sh"
D=$(cd "$(dirname "$0")/../data/history" && pwd)
export OPENAI_API_KEY=sk-history-test

gen_cases() { # FILE COUNT
	awk -v n="$2" 'BEGIN { print "q,__expected"; for (i = 1; i <= n; i++) printf "Repeat the word w%d,w%d\n", i, i }' >"$1"
}
suite() { # FILE
	cat >"$1" <<Y
description: history
prompts: ["{{q}}"]
providers:
  - id: openai:chat:steady
  - id: openai:chat:other
tests: [file://cases.csv]
Y
}
# requests MOCK: chat requests the mock got (logged when it stops).
requests() {
	kill -TERM "$(cat "$T/$1.pid")"
	# the count is logged when the signal arrives; exiting may take longer
	i=0; while ! grep -q 'stopping after' "$T/$1.log" && [ $i -lt 200 ]; do sleep 0.02; i=$((i+1)); done
	rm -f "$T/$1.pid"
	sed -n 's/.*stopping after \([0-9]*\) requests.*/\1/p' "$T/$1.log"
}
# figures DB RUN: per provider passes/fails/errors, the run's figures.
figures() { run_figures "$1" "$2"; }
# bundle_cases DB RUN: the case lines of the run's bundle (export -o .assay).
bundle_cases() {
	"$ASSAY" export "$2" --db "$1" -o "$T/bc.assay" >/dev/null 2>&1 &&
		jq -c 'select(.case) | .case' "$T/bc.assay"
}
# The polling loops below read the live file with sqlite3 while a run
# writes it: an assay command would open the store and queue for its lock.

N=150
mkdir -p "$T/a" "$T/b"
gen_cases "$T/a/cases.csv" $N
cp "$T/a/cases.csv" "$T/b/cases.csv"
suite "$T/a/s.yaml"
suite "$T/b/s.yaml"

# 1. The uninterrupted reference run, with a label and run records.
start_mock ref "$D/rules.yaml"
# one store per directory, as beside each suite: ASSAY_DB names it (lib.sh)
export ASSAY_DB="$T/a/.assay/assay.db"
"$ASSAY" run "$T/a/s.yaml" -j 4 --no-cache --no-progress-bar --no-table --label ref \
	--description "reference" >/dev/null 2>"$T/ref.err"
check history_ref_exit 100 $?
REFDB="$T/a/.assay/assay.db"
REF=$(figures "$REFDB" 1)
check history_ref_requests $((2 * N)) "$(requests ref)"
check history_run_label ref "$(run_json "$REFDB" 1 .run.label)"
check history_run_records "64|true|4|done" "$(run_json "$REFDB" 1 '"\(.run.suite_hash | length)|\(.run.host != null)|\(.run.config.concurrency)|\(.run.status)"')"
check history_item_keys "$((2 * N))|$((2 * N))" "$(export_jsonl "$REFDB" 1 | jq -rs 'map(select(.item_key | length == 64)) | "\(map(.item_key) | unique | length)|\(length)"')"

# 2. kill -9 part way, then --resume: every item once, figures equal.
# A slower copy of the models (40 ms, not 8): 300 items at -j 4 take at
# least 3 s, so a loaded machine cannot finish the run before the kill.
sed 's/latency_ms: 8/latency_ms: 40/' "$D/rules.yaml" >"$T/slow_rules.yaml"
start_mock res "$T/slow_rules.yaml"
export ASSAY_DB="$T/b/.assay/assay.db"
"$ASSAY" run "$T/b/s.yaml" -j 4 --no-cache --no-progress-bar --no-table >/dev/null 2>&1 &
RPID=$!
DB="$T/b/.assay/assay.db"
i=0; while [ "$(sqlite3 "$DB" 'select count(*) from results' 2>/dev/null || echo 0)" -lt 60 ] && [ $i -lt 400 ]; do sleep 0.02; i=$((i+1)); done
kill -9 $RPID; wait $RPID 2>/dev/null
KEPT=$(export_jsonl "$DB" 1 | grep -c .)
check history_killed_part_way yes "$([ "$KEPT" -gt 0 ] && [ "$KEPT" -lt $((2 * N)) ] && echo yes || echo "no ($KEPT)")"
"$ASSAY" show --db "$DB" >"$T/show_killed.txt" 2>&1
check_grep history_show_warns_incomplete 'interrupted|incomplete' "$T/show_killed.txt"
"$ASSAY" run "$T/b/s.yaml" -j 4 --no-cache --no-progress-bar --no-table --resume >"$T/res.out" 2>"$T/res.err"
check history_resume_exit 100 $?
check_grep history_resume_says_kept "resuming run 1: [0-9]+ stored results kept" "$T/res.err"
check history_resume_one_run 1 "$(n_runs "$DB")"
check history_resume_all_items "$((2 * N))|$((2 * N))" "$(export_jsonl "$DB" 1 | jq -rs '"\(length)|\(map("\(.case_idx)/\(.provider_idx)") | unique | length)"')"
# Only the requests in flight at the kill (at most -j 4) are sent again:
# their replies never arrived.  Every reply that arrived was kept.
EXTRA=$(($(requests res) - 2 * N))
check history_resume_nothing_twice yes "$([ $EXTRA -ge 0 ] && [ $EXTRA -le 4 ] && echo yes || echo "no: $EXTRA extra requests")"
check history_resume_figures_equal "$REF" "$(figures "$DB" 1)"
check history_resume_status_done done "$(run_json "$DB" 1 .run.status)"

# 3. SIGINT stops cleanly and names the resume command.
start_mock int "$D/rules.yaml"
"$ASSAY" run "$T/b/s.yaml" -j 2 --no-cache --no-progress-bar --no-table >/dev/null 2>"$T/int.err" &
RPID=$!
i=0; while [ "$(sqlite3 "$DB" 'select count(*) from results where run_id=2' 2>/dev/null || echo 0)" -lt 20 ] && [ $i -lt 400 ]; do sleep 0.02; i=$((i+1)); done
kill -INT $RPID; wait $RPID
check history_sigint_exit 1 $?
check_grep history_sigint_prints_resume "assay run .*s.yaml --resume 2" "$T/int.err"
check history_sigint_status interrupted "$(run_json "$DB" 2 .run.status)"
"$ASSAY" run "$T/b/s.yaml" -j 4 --no-cache --no-progress-bar --no-table --resume 2 >/dev/null 2>&1
check history_resume_after_sigint "$REF" "$(figures "$DB" 2)"
EXTRA=$(($(requests int) - 2 * N))
check history_sigint_nothing_twice yes "$([ $EXTRA -ge 0 ] && [ $EXTRA -le 2 ] && echo yes || echo "no: $EXTRA extra requests")"

# 4. A suite edited before --resume is refused, naming what changed.
"$ASSAY" run "$T/b/s.yaml" -j 4 --no-cache --no-progress-bar --no-table >/dev/null 2>&1 &
RPID=$!
i=0; while [ "$(sqlite3 "$DB" 'select count(*) from results where run_id=3' 2>/dev/null || echo 0)" -lt 10 ] && [ $i -lt 400 ]; do sleep 0.02; i=$((i+1)); done
kill -9 $RPID; wait $RPID 2>/dev/null
sed -i 's/Repeat the word w7,w7/Repeat the word w7,w8/' "$T/b/cases.csv"
"$ASSAY" run "$T/b/s.yaml" --no-cache --no-progress-bar --no-table --resume 3 >/dev/null 2>"$T/edit.err"
check history_edited_suite_refused 1 $?
check_grep history_edited_suite_names_case "case 6 .*changed" "$T/edit.err"
sed -i 's/openai:chat:other/openai:chat:steady2/' "$T/b/s.yaml"
"$ASSAY" run "$T/b/s.yaml" --no-cache --no-progress-bar --no-table --resume 3 >/dev/null 2>"$T/edit2.err"
check_grep history_edited_provider_named "provider openai:chat:other is now openai:chat:steady2" "$T/edit2.err"
check history_refused_run_untouched interrupted "$(run_json "$DB" 3 .run.status)"

# 5. --retry-errors re-runs only the items that ended in an infrastructure
# error; the other rows stay as they were.
mkdir -p "$T/c"
gen_cases "$T/c/cases.csv" 60
cat >"$T/c/s.yaml" <<Y
prompts: ["{{q}}"]
providers:
  - id: openai:chat:flaky
    config: {max_retries: 0}
tests: [file://cases.csv]
Y
start_mock fl "$D/rules.yaml"
CDB="$T/c/.assay/assay.db"
export ASSAY_DB="$CDB"
"$ASSAY" run "$T/c/s.yaml" -j 4 --no-cache --no-progress-bar --no-table >/dev/null 2>&1
errors_of() { export_jsonl "$1" 1 | jq -s 'map(select(.error != null)) | length'; }
E1=$(errors_of "$CDB")
# result ids prove a row was kept, not rewritten: assay does not show them
sqlite3 "$CDB" 'select id||output from results where error_kind is null order by case_idx' >"$T/ok_before.txt"
check history_flaky_has_errors yes "$([ "$E1" -gt 5 ] && echo yes || echo "no ($E1)")"
# (the same mock: its attempt counts go on, so a retried item gets a new draw)
"$ASSAY" run "$T/c/s.yaml" -j 4 --no-cache --no-progress-bar --no-table --retry-errors >/dev/null 2>"$T/retry.err"
E2=$(errors_of "$CDB")
check history_retry_errors_requests_only_errors "$((60 + E1))" "$(requests fl)"
check history_retry_errors_fewer_errors yes "$([ "$E2" -lt "$E1" ] && echo yes || echo "no ($E2 vs $E1)")"
check history_retry_errors_one_row_each 60 "$(export_jsonl "$CDB" 1 | grep -c .)"
sqlite3 "$CDB" 'select id||output from results where error_kind is null order by case_idx' | grep -Fx -f "$T/ok_before.txt" >"$T/ok_kept.txt"
check history_retry_errors_keeps_good_rows "$(wc -l <"$T/ok_before.txt")" "$(wc -l <"$T/ok_kept.txt")"

# 6. Test ids: an edited test with an id keeps its key; ids must be unique.
mkdir -p "$T/d"
cat >"$T/d/s.yaml" <<Y
prompts: ["{{q}}"]
providers: [openai:chat:steady]
tests:
  - id: refund-1
    vars: {q: "Repeat the word a"}
    assert: [{type: equals, value: a}]
  - vars: {q: "Repeat the word b"}
Y
start_mock ids "$D/rules.yaml"
IDB="$T/d/.assay/assay.db"
export ASSAY_DB="$IDB"
"$ASSAY" run "$T/d/s.yaml" --no-progress-bar --no-table >/dev/null 2>&1
sed -i 's/value: a}/value: A}/' "$T/d/s.yaml"
"$ASSAY" run "$T/d/s.yaml" --no-progress-bar --no-table >/dev/null 2>&1
{ bundle_cases "$IDB" 1; bundle_cases "$IDB" 2; } >"$T/idcases.jsonl"
check history_test_id_keeps_case_key "1|2" "$(jq -rs 'map(select(.idx == 0)) | "\(map(.case_key) | unique | length)|\(map(.case_hash) | unique | length)"' "$T/idcases.jsonl")"
check history_test_id_in_metadata refund-1 "$(jq -rs 'map(select(.idx == 0))[0].metadata_json | fromjson | .id' "$T/idcases.jsonl")"
check history_no_id_content_key 1 "$(jq -rs 'map(select(.idx == 1)) | map(.case_key) | unique | length' "$T/idcases.jsonl")"
cat >>"$T/d/s.yaml" <<Y
  - id: refund-1
    vars: {q: "Repeat the word c"}
Y
"$ASSAY" run "$T/d/s.yaml" --no-progress-bar --no-table >/dev/null 2>"$T/dup.err"
check history_duplicate_id_refused 1 $?
check_grep history_duplicate_id_names_place "s.yaml:[0-9]+:[0-9]+: .*test id 'refund-1' is already used by test 1" "$T/dup.err"

# 7. Browsing: runs, show (per-case table, filters), export, delete, a bundle.
"$ASSAY" runs --db "$DB" >"$T/runs.txt" 2>&1
check history_runs_exit 0 $?
check_grep history_runs_lists_run1 '^ +1  done .* s\.yaml  300/300  openai:chat:steady [0-9.]+%, openai:chat:other [0-9.]+%' "$T/runs.txt"
check history_runs_lists_all 3 "$(grep -cE '^ +[0-9]+  ' "$T/runs.txt")"
check history_runs_filter_status 1 "$("$ASSAY" runs --db "$DB" --status interrupted | grep -cE '^ +[0-9]+  ')"
check history_runs_filter_label 1 "$("$ASSAY" runs --db "$REFDB" --label ref | grep -cE '^ +[0-9]+  ')"
"$ASSAY" show 1 --db "$DB" --no-table --failing --provider openai:chat:steady >"$T/failing.txt" 2>&1
FAILS1=$(export_jsonl "$DB" 1 | jq -s 'map(select(.provider_idx == 0 and (.pass == false or .error != null))) | length')
check history_show_failing_filter "$FAILS1 of $N cases shown" "$(tail -1 "$T/failing.txt")"
check history_show_provider_column 0 "$(grep -c 'openai:chat:other' "$T/failing.txt")"
"$ASSAY" show 1 --db "$DB" --no-table >"$T/cases.txt" 2>&1
check history_show_case_lines $N "$(grep -cE '^ +[0-9]+  .*(pass|FAIL|error) ' "$T/cases.txt")"
"$ASSAY" show 1 --db "$DB" --provider nope >/dev/null 2>"$T/nope.err"
check_grep history_show_unknown_provider "no provider 'nope'" "$T/nope.err"
"$ASSAY" show --db "$IDB" --no-table --tag nope >"$T/tag.txt" 2>&1
check history_show_tag_filter "0 of 2 cases shown" "$(tail -1 "$T/tag.txt")"
"$ASSAY" export 1 --db "$DB" -o "$T/e.json" -o "$T/e.csv" -o "$T/e.assay" >/dev/null 2>&1
check history_export_exit 0 $?
check history_export_json "$((2 * N))" "$(jq '.results | length' "$T/e.json")"
check history_export_json_run_record "ref-less|64" "$(jq -r '"ref-less|" + (.run.suite_hash | length | tostring)' "$T/e.json")"
"$ASSAY" import --db "$T/other.db" "$T/e.assay" >"$T/imp.txt" 2>&1
check history_import_exit 0 $?
check_grep history_import_says_run 'as run 1$' "$T/imp.txt"
check history_import_same_results "$(export_jsonl "$DB" 1 | md5sum)" "$(export_jsonl "$T/other.db" 1 | md5sum)"
check history_import_same_asserts "$(export_jsonl "$DB" 1 | jq -s 'map(.assertions | length) | add')" "$(export_jsonl "$T/other.db" 1 | jq -s 'map(.assertions | length) | add')"
"$ASSAY" export 1 --db "$T/other.db" -o "$T/e2.json" >/dev/null 2>&1
check history_import_roundtrip_json "$(jq -c '[.summary, [.results[] | del(.started_at)]]' "$T/e.json" | md5sum)" "$(jq -c '[.summary, [.results[] | del(.started_at)]]' "$T/e2.json" | md5sum)"
printf '{"format":"assay-run","version":1,"run":{"n_cases":1,"n_prompts":1,"n_providers":1,"repeat":1}}\n{"case":{"idx":5}}\n' >"$T/bad.assay"
"$ASSAY" import --db "$T/other.db" "$T/bad.assay" >/dev/null 2>"$T/bad.err"
check history_import_bad_refused 1 $?
check_grep history_import_bad_names_line 'bad.assay:2:1: .*idx' "$T/bad.err"
check history_import_bad_stores_nothing 1 "$(n_runs "$T/other.db")"
"$ASSAY" delete 3 --db "$DB" >/dev/null 2>&1
check history_delete_exit 0 $?
"$ASSAY" export 3 --db "$DB" -o "$T/gone.jsonl" >/dev/null 2>&1
GONE=$?
check history_delete_removes_rows "0|1" "$("$ASSAY" runs -n 0 --db "$DB" | grep -cE '^ +3  ')|$GONE"
"$ASSAY" delete 3 --db "$DB" >/dev/null 2>&1
check history_delete_missing 1 $?
