#!/bin/sh
# history_ci.sh — comparing runs and the CI gate (issue 10): `assay compare`
# counts checked against a direct pairing of the runs' exports, `assay run --baseline …
# --fail-on regression` exit statuses (3 for a significant regression, 0
# for failing tests alone and for no significant change, --min-pass-rate),
# JUnit XML (errors are <error>) and the Markdown summary.
. "$(dirname "$0")/../lib.sh"
D=$(cd "$(dirname "$0")/../data/history" && pwd)
export OPENAI_API_KEY=sk-history-test
N=150
awk -v n=$N 'BEGIN { print "q,__expected"; for (i = 1; i <= n; i++) printf "Repeat the word w%d,w%d\n", i, i }' >"$T/cases.csv"
suite() { # FILE MODEL
	cat >"$1" <<Y
description: ci
prompts: ["{{q}}"]
providers:
  - id: openai:chat:$2
    label: bot
tests: [file://cases.csv]
Y
}
suite "$T/base.yaml" steady
suite "$T/worse.yaml" other
start_mock m "$D/rules.yaml"
DB="$T/ci.db"
run() { "$ASSAY" run "$@" --db "$DB" -j 8 --no-progress-bar; }

run "$T/base.yaml" --no-table --label main >/dev/null 2>&1
check ci_base_exit_100_tests_fail 100 $?

# 1. The same suite again, gated: failing tests alone pass the gate.
run "$T/base.yaml" --baseline label:main --fail-on regression -o "$T/same.md" >"$T/same.out" 2>&1
check ci_gate_same_exit_0 0 $?
check_grep ci_gate_same_no_change 'bot: no significant change' "$T/same.out"
check_grep ci_gate_md_has_comparison '^### Compared with run 1' "$T/same.md"

# 2. A worse model under the same label: exit 3, regressed cases named.
run "$T/worse.yaml" --baseline label:main --fail-on regression -o "$T/junit.xml" -o "$T/summary.md" >"$T/worse.out" 2>&1
check ci_gate_regression_exit_3 3 $?
check_grep ci_gate_names_regressed 'gate: bot regressed against run 1: [0-9]+ cases pass → fail' "$T/worse.out"
# the pairing done directly on the two runs' exports, case by case
export_jsonl "$DB" 1 >"$T/r1.jsonl"
export_jsonl "$DB" 3 >"$T/r3.jsonl"
pairs() { # BASE_PASS NEW_PASS: cases that went from one to the other
	jq -n --argjson a "$1" --argjson b "$2" --slurpfile x "$T/r1.jsonl" --slurpfile y "$T/r3.jsonl" \
		'[$x[] | select(.pass == $a) | .case_idx] as $base |
		 [$y[] | select(.pass == $b) | .case_idx] as $new |
		 [$base[] | select(. as $c | $new | index($c))] | length'
}
REG=$(pairs true false)
FIX=$(pairs false true)
check_grep ci_gate_counts_match_sql "shared cases $N: fixed $FIX, regressed $REG," "$T/worse.out"
check ci_junit_testcases $N "$(grep -c '<testcase ' "$T/junit.xml")"
check ci_junit_failures "$(jq -s 'map(select(.pass == false)) | length' "$T/r3.jsonl")" "$(grep -c '<failure ' "$T/junit.xml")"
check_grep ci_junit_header "<testsuites name=\"assay\" tests=\"$N\" failures=\"[0-9]+\" errors=\"0\">" "$T/junit.xml"
check_grep ci_md_regressed '\*\*REGRESSED \(significant\)\*\*' "$T/summary.md"
check_grep ci_md_wilson '^\| bot \| \{\{q\}\} \| [0-9.]+% \[[0-9.]+–[0-9.]+\]' "$T/summary.md"

# 3. Without --fail-on the usual exit status; compare says the same.
"$ASSAY" compare --db "$DB" 1 3 >"$T/cmp.out" 2>&1
check ci_compare_exit_3 3 $?
check_grep ci_compare_mcnemar 'McNemar exact p = [0-9.e-]+, Holm-adjusted p' "$T/cmp.out"
check_grep ci_compare_latency 'latency p95 [0-9]+ → [0-9]+ ms: [+-][0-9]+ ms \[95% CI' "$T/cmp.out"
"$ASSAY" compare --db "$DB" 3 1 >/dev/null 2>&1
check ci_compare_improvement_exit_0 0 $?
"$ASSAY" compare --db "$DB" -v 1 3 >"$T/cmpv.out" 2>&1
check_grep ci_compare_verbose_side_by_side '^        new:  I would rather not\.' "$T/cmpv.out"

# 4. Added and removed cases are stated and excluded.
sed '2,11d' "$T/cases.csv" >"$T/cases2.csv"
printf 'Repeat the word extra%d,extra%d\n' 1 1 2 2 3 3 >>"$T/cases2.csv"
sed 's/cases.csv/cases2.csv/' "$T/base.yaml" >"$T/edited.yaml"
run "$T/edited.yaml" --no-table >/dev/null 2>&1
"$ASSAY" compare --db "$DB" 1 latest >"$T/edit.out" 2>&1
check_grep ci_compare_added_removed 'excluded: 3 cases only in the new run \(added\), 10 only in the base run \(removed\)' "$T/edit.out"
check_grep ci_compare_shared_after_edit "shared cases $((N - 10)):" "$T/edit.out"

# 5. --min-pass-rate: below it exit 3, above it 0; usage errors are 2.
run "$T/base.yaml" --no-table --min-pass-rate 99% >"$T/min.out" 2>&1
check ci_min_pass_rate_fails 3 $?
check_grep ci_min_pass_rate_says 'below --min-pass-rate 99.0%' "$T/min.out"
run "$T/base.yaml" --no-table --min-pass-rate 0.5 >/dev/null 2>&1
check ci_min_pass_rate_ok 0 $?
run "$T/base.yaml" --fail-on nothing >/dev/null 2>&1
check ci_fail_on_usage 2 $?
run "$T/base.yaml" --baseline label:nope --fail-on regression >/dev/null 2>"$T/nolabel.err"
check ci_baseline_missing 1 $?
check_grep ci_baseline_missing_says "no run labelled 'nope'" "$T/nolabel.err"

# 6. JUnit: an infrastructure error is an <error>, not a <failure>.
cat >"$T/err.yaml" <<Y
prompts: ["{{q}}"]
providers:
  - id: openai:chat:steady
    config: {apiBaseUrl: "http://127.0.0.1:1/v1", max_retries: 0}
tests:
  - vars: {q: "Repeat the word a"}
    assert: [{type: equals, value: a}]
Y
run "$T/err.yaml" --no-table -o "$T/err.xml" >/dev/null 2>&1
check ci_junit_error_element "1|0" "$(grep -c '<error type="connect"' "$T/err.xml")|$(grep -c '<failure' "$T/err.xml")"
