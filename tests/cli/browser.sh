#!/bin/sh
# browser.sh — the HTML report in a real browser: a run of two mock models
# over 60 cases (five outputs and one label are XSS payloads) is written with
# `assay run -o report.html` and `assay report`, then tests/browser/report.mjs
# opens it from disk in Chromium and checks charts, paging, filters, the URL
# fragment and that no payload runs.  The expected counts come from the run's
# JSON export (jq), not from the report.  Needs node, /usr/bin/chromium and
# tests/browser/node_modules (installed by `make browser-deps`).
. "$(dirname "$0")/../lib.sh"
R=$(cd "$(dirname "$0")/../.." && pwd)
D="$R/tests/data/report"
cp "$D/suite.yaml" "$T/"
{
	echo "__description,q"
	for i in $(seq 1 55); do echo "case $i,question $i"; done
	for i in 1 2 3 4 5; do echo "payload $i,xss$i"; done
} >"$T/cases.csv"
start_mock m "$D/rules.yaml"
"$ASSAY" run "$T/suite.yaml" -j 4 --no-progress-bar --no-table -o "$T/r.json" -o "$T/run.html" >"$T/run.out" 2>&1
check browser_run_exit_100 100 $?
"$ASSAY" report latest --db "$T/.assay/assay.db" -o "$T/report.html" >"$T/rep.out" 2>&1
check browser_report_exit_0 0 $?
check browser_run_and_report_same_size "$(wc -c <"$T/run.html")" "$(wc -c <"$T/report.html")"
"$ASSAY" report latest --db "$T/.assay/assay.db" -o "$T/report.txt" >"$T/bad.out" 2>&1
check browser_report_needs_html 2 $?
check browser_report_no_external_refs "" "$(grep -oE '(src|href)="https?:[^"]*"' "$T/report.html" | head -3)"
check_grep browser_report_csp "Content-Security-Policy\" content=\"default-src 'none'; img-src data:; script-src 'sha256-" "$T/report.html"

# Expected figures from the export: cases, cases where a candidate failed,
# cases where the two candidates disagree.
jq '{cases: ([.results[] | .case_idx] | unique | length),
     failing: ([.results | group_by(.case_idx)[] | select(any(.[]; .pass == false))] | length),
     disagree: ([.results | group_by(.case_idx)[] | select(any(.[]; .pass == false) and any(.[]; .pass == true))] | length),
     candidates: (.stats.candidates | length),
     search: "question 17",
     charts: ["chart-pass", "chart-pairs", "chart-latency", "chart-cost", "chart-p95"]}' "$T/r.json" >"$T/expect.json"

if ! command -v node >/dev/null 2>&1 || [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ] ||
   [ ! -d "$R/tests/browser/node_modules/playwright-core" ]; then
	fail browser_tools "node, chromium or playwright-core missing: run make browser-deps"
	exit 0
fi
node "$R/tests/browser/report.mjs" "$T/report.html" "$T/expect.json" ${REPORT_SCREENSHOT:+"$REPORT_SCREENSHOT"}
