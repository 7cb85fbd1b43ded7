#!/bin/sh
# compare_grading.sh — a select-best or compare whose judge reply cannot
# be parsed is a grading error for every compared result: never a pass
# kept from the main pass, counted apart from the model's failures, and
# the run does not exit 0 as if everything passed; the summary (table,
# JSON, CSV, JUnit, Markdown) shows grading errors apart from
# infrastructure errors.
. "$(dirname "$0")/../lib.sh"
D=$(cd "$(dirname "$0")/../data/compare" && pwd)
cp "$D/garbage_suite.yaml" "$T/suite.yaml"
start_mock m "$D/garbage_rules.yaml" --quiet
"$ASSAY" run "$T/suite.yaml" --no-progress-bar -o "$T/r.json" -o "$T/s.csv" \
	-o "$T/s.xml" -o "$T/s.md" >"$T/out.txt" 2>&1
check compare_unparsed_exit_not_0 1 $?
g() { jq -r "[.results[] | select(.description==\"$1\")] | sort_by(.provider_idx) | map(\"\(.pass):\(.error.kind)\") | join(\" \")" "$T/r.json"; }
check select_best_unparsed_is_error "null:other null:other null:http" "$(g best)"
check compare_unparsed_is_error "null:other null:other null:http" "$(g pair)"
check compare_unparsed_grading_msg 4 \
	"$(jq '[.results[] | select((.error.message // "") | startswith("grading failed:"))] | length' "$T/r.json")"
check compare_unparsed_stats_grading 2:0:0 \
	"$(jq -r '.stats.candidates[0] | "\(.grading_errors):\(.errors):\(.graded)"' "$T/r.json")"
check_grep compare_unparsed_warned 'warning: 2 comparisons could not be graded' "$T/out.txt"

# The summary keeps grading errors apart from infrastructure errors (the
# third provider names a model the mock does not serve: HTTP 404) in the
# table, JSON, CSV, JUnit and Markdown.
row() { grep "^openai:chat:$1 " "$T/out.txt" | awk '{print $(NF-7), $(NF-6), $(NF-5)}'; }
check_grep summary_table_grading_column 'Errors  Grading err' "$T/out.txt"
check summary_table_good "0/0 0 2" "$(row good)"
check summary_table_missing "0/0 2 0" "$(row no-such-model)"
check_grep summary_table_grading_note '4 of 6 results were grading errors' "$T/out.txt"
check_grep summary_table_infra_note '2 of 6 results were infrastructure errors' "$T/out.txt"
check summary_json_totals "6 0 0 2 4" "$(jq -r '.totals | "\(.n) \(.passes) \(.fails) \(.errors) \(.grading_errors)"' "$T/r.json")"
check summary_json_rows "0:2 0:2 2:0" "$(jq -r '[.summary[] | "\(.errors):\(.grading_errors)"] | join(" ")' "$T/r.json")"
check summary_csv_error_class "grading=4 infrastructure=2" \
	"$(python3 -c 'import csv,sys,collections
c=collections.Counter(r["error_class"] for r in csv.DictReader(open(sys.argv[1])) if r["error_class"])
print(" ".join("%s=%d" % kv for kv in sorted(c.items())))' "$T/s.csv")"
check summary_junit_types "grading=4 http=2" \
	"$(grep -o '<error type="[a-z]*"' "$T/s.xml" | sed 's/.*type="//; s/"//' | sort | uniq -c | awk '{print $2 "=" $1}' | paste -sd' ')"
check_grep summary_junit_errors_total 'tests="6" failures="0" errors="6"' "$T/s.xml"
check_grep summary_md_column '| Errors | Grading err |' "$T/s.md"
check_grep summary_md_totals '2 infrastructure errors, 4 grading errors' "$T/s.md"
