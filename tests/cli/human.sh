#!/bin/sh
# human.sh — human grades end to end: `assay review import` (JSON lines,
# checked before anything is stored), the human statistics in `assay
# stats` text and JSON, and `assay review export` into a tests file that
# `assay validate` loads and a run against `assay mock` grades with.
. "$(dirname "$0")/../lib.sh"
D=$(cd "$(dirname "$0")/../data/human" && pwd)
cp "$D/suite.yaml" "$T/"
cd "$T" || exit 1
start_mock m "$D/rules.yaml" --quiet
"$ASSAY" run suite.yaml --no-progress-bar --no-table >run.txt 2>&1
check human_run_exit_100 100 $?

# a bad line (line 2: rating 7) stores nothing, and names file:line
printf '%s\n%s\n' '{"grader":"ann","case":0,"provider":"good","rating":4}' \
	'{"grader":"ann","case":0,"provider":"bad","rating":7}' >bad.jsonl
"$ASSAY" review import bad.jsonl >imp.txt 2>&1
check human_import_bad_exit 1 $?
# grades: how many grades the latest run holds (`assay stats`, .human.grades)
grades() {
	"$ASSAY" stats latest -o "$T/grades.json" >/dev/null 2>&1
	jq '.human.grades // 0' "$T/grades.json"
}
check_grep human_import_bad_names_line 'bad.jsonl:2:1: error: .*rating' imp.txt
check human_import_bad_stores_nothing 0 "$(grades)"
printf '%s\n' '{"grader":"ann","left":{"case":0,"provider":"good"},"right":{"case":1,"provider":"bad"},"preferred":"left"}' >pair.jsonl
"$ASSAY" review import pair.jsonl >imp2.txt 2>&1
check human_import_pair_other_case_exit 1 $?
check_grep human_import_pair_other_case_msg 'same case' imp2.txt

"$ASSAY" review import "$D/grades.jsonl" >imp3.txt 2>&1
check human_import_exit 0 $?
check_grep human_import_count 'stored 15 grades' imp3.txt
check human_import_rows 15 "$(grades)"
# importing again replaces each grader's ratings (and pair choices)
"$ASSAY" review import "$D/grades.jsonl" >/dev/null 2>&1
check human_import_again_replaces 15 "$(grades)"

"$ASSAY" stats latest -o s.json >stats.txt 2>&1
check human_stats_exit 0 $?
check_grep human_stats_section 'Human grades: 15 grades by 2 reviewers' stats.txt
check_grep human_stats_bt 'Bradley-Terry' stats.txt
# good: ratings 5,4 | 4,5 | 4,3 = mean 25/6
check human_mean_rating_good 4.1667 "$(jq '.human.candidates[0].rating.est * 10000 | round / 10000' s.json)"
check human_mean_rating_bad_n 6 "$(jq '.human.candidates[1].rating.n' s.json)"
check human_ship_bad 3/6 "$(jq -r '.human.candidates[1].ship | "\(.k)/\(.n)"' s.json)"
check human_pairwise_counts "2 0 1" "$(jq -r '.human.pairwise.win_rates[0] | "\(.wins_a) \(.wins_b) \(.ties)"' s.json)"
check human_position_bias "1/2" "$(jq -r '.human.pairwise.position_bias | "\(.k)/\(.n)"' s.json)"
check human_bt_good_above_bad true "$(jq '.human.pairwise.bradley_terry[0].est > .human.pairwise.bradley_terry[1].est' s.json)"
# ship yes/no of ann vs bob on 6 outputs, by hand: yes/yes 4, no/yes 1,
# no/no 1; po 5/6, pe 4/6*5/6 + 2/6*1/6 = 22/36, kappa (30-22)/(36-22) = 4/7
check human_kappa_two_reviewers 0.5714 "$(jq '.human.agreement.kappa_ship.est * 10000 | round / 10000' s.json)"
check human_vs_rules_items 5 "$(jq '.human.agreement.human_vs_rules.n' s.json)"

"$ASSAY" review export latest -o cases.yaml --embedder openai:embedding:embedder >exp.txt 2>&1
check human_export_exit 0 $?
check_grep human_export_count '3 cases with an approved output' exp.txt
# spain: bad's mean 4.5 beats good's 3.5, both approved
check human_export_spain_approved "The capital of Spain is Madrid." \
	"$(sed -n 's/^- //p' cases.yaml | jq -r 'select(.description == "spain") | .metadata.human.approved_provider + "|" + .vars.expected' | sed 's/^bad|//')"
# each case keeps its own assertion (from the run's suite, matched by
# content), then the reference answer's
check human_export_keeps_asserts "icontains:paris similar:The capital of France is Paris." \
	"$(sed -n 's/^- //p' cases.yaml | jq -r 'select(.description == "france") | [.assert[] | "\(.type):\(.value)"] | join(" ")')"
check human_export_no_orig_warning 0 "$(grep -c 'without their original assertions' exp.txt)"
# --suite names the suite elsewhere; a case the edited suite no longer
# holds (italy's assertion changed) is written without its assertions and
# counted; a named suite that does not load is an error
mkdir -p elsewhere && sed 's/value: rome/value: roma/' suite.yaml >elsewhere/s.yaml
"$ASSAY" review export latest -o cases2.yaml --suite elsewhere/s.yaml >exp2.txt 2>&1
check human_export_suite_flag_exit 0 $?
check human_export_edited_case "france:icontains,similar italy:similar spain:icontains,similar" \
	"$(sed -n 's/^- //p' cases2.yaml | jq -r '"\(.description):\([.assert[].type] | join(","))"' | sort | tr '\n' ' ' | sed 's/ $//')"
check_grep human_export_edited_counted '1 written cases are not in the suite' exp2.txt
"$ASSAY" review export latest -o cases3.yaml --suite nosuch.yaml >exp3.txt 2>&1
check human_export_bad_suite_exit 1 $?
check_grep human_export_bad_suite_msg 'nosuch.yaml' exp3.txt
# the run's suite gone: a warning, and the cases without their assertions
mv suite.yaml suite.yaml.away
"$ASSAY" review export latest -o cases4.yaml --assert none >exp4.txt 2>&1
check human_export_suite_gone_exit 0 $?
check_grep human_export_suite_gone_warns "suite suite.yaml does not load: .*without their original assertions" exp4.txt
check human_export_suite_gone_no_assert 0 "$(grep -c '"assert"' cases4.yaml)"
mv suite.yaml.away suite.yaml
cat >next.yaml <<'YAML'
prompts: ["What is the capital of {{country}}?"]
providers:
  - {id: "openai:chat:good", label: good}
  - {id: "openai:chat:bad", label: bad}
tests: file://cases.yaml
YAML
"$ASSAY" validate next.yaml >val.txt 2>&1
check human_export_validates 0 $?
"$ASSAY" run next.yaml --no-progress-bar --no-table -o next.json >next.txt 2>&1
check human_export_run_exit_100 100 $?
# good repeats the approved answers of france and italy; bad does not
check human_export_grades_good "true true true" "$(jq -r '[.results[] | select(.provider_idx == 0) | .pass | tostring] | join(" ")' next.json)"
check human_export_grades_bad_italy false "$(jq -r '.results[] | select(.provider_idx == 1 and .vars.country == "Italy") | .pass' next.json)"

# the HTML report shows the human ratings, escaped
cd "$T" || exit 1
"$ASSAY" report 1 -o r.html >/dev/null 2>&1
check human_report_exit 0 $?
# `assay export RUN -o x.html` is the same code path: the same bytes
"$ASSAY" export 1 -o e.html >/dev/null 2>&1
check human_export_html_same_as_report 1 "$(cmp -s r.html e.html && echo 1 || echo 0)"
check_grep human_report_rating_chart 'id="chart-human"' r.html
check_grep human_report_bt_chart 'id="chart-bt"' r.html
