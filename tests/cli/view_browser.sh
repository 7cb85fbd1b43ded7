#!/bin/sh
# view_browser.sh — `assay view` in a real browser: two runs of two mock
# models × 60 cases (five outputs and a label are XSS payloads; the second
# run's models drawn with another seed, so cases change verdict) are
# served on loopback and tests/browser/view.mjs filters the matrix, grades
# with the keyboard, makes blind pairwise choices and compares the runs.
# Expected counts come from SQL over the database; afterwards the grades
# and choices the browser made are checked in human_grades.  Needs node,
# /usr/bin/chromium and tests/browser/node_modules (`make browser-deps`).
. "$(dirname "$0")/../lib.sh"
R=$(cd "$(dirname "$0")/../.." && pwd)
start_mock m "$R/tests/data/report/rules.yaml"
"$R/tests/data/view/mkrun.sh" "$T"
kill "$(cat "$T/m.pid")"; rm -f "$T/m.port"
start_mock m2 "$R/tests/data/report/rules.yaml" --seed 12
"$R/tests/data/view/mkrun.sh" "$T"
DB="$T/.assay/assay.db"
sql() { sqlite3 "$DB" "$1"; }
check view_browser_two_runs 2 "$(sql 'SELECT COUNT(*) FROM runs')"

# Fixed / regressed: same case and provider, graded in both runs.
CH="FROM results a JOIN results b ON b.case_idx = a.case_idx AND b.provider_idx = a.provider_idx
    WHERE a.run_id = 1 AND b.run_id = 2 AND a.error_kind IS NULL AND b.error_kind IS NULL"
cat >"$T/expect.json" <<JSON
{"cases": 60,
 "failing": $(sql "SELECT COUNT(DISTINCT case_idx) FROM results WHERE run_id = 1 AND pass = 0 AND error_kind IS NULL"),
 "fives": 11,
 "payload_case": $(sql "SELECT idx FROM cases WHERE run_id = 1 AND description = 'payload 1'"),
 "fixed": $(sql "SELECT COUNT(*) $CH AND a.pass = 0 AND b.pass = 1"),
 "regressed": $(sql "SELECT COUNT(*) $CH AND a.pass = 1 AND b.pass = 0")}
JSON

if ! command -v node >/dev/null 2>&1 || [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ] ||
   [ ! -d "$R/tests/browser/node_modules/playwright-core" ]; then
	fail view_browser_tools "node, chromium or playwright-core missing: run make browser-deps"
	exit 0
fi
"$ASSAY" view --db "$DB" --port 0 --port-file "$T/v.port" --seed 5 >"$T/v.log" 2>&1 &
echo $! >"$T/v.pid"
i=0
while [ ! -s "$T/v.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
node "$R/tests/browser/view.mjs" "http://127.0.0.1:$(cat "$T/v.port")" "$T/expect.json" "$T/out.json" \
	${VIEW_SCREENSHOTS:+"$VIEW_SCREENSHOTS"}

# What the browser did, as the database holds it.
check view_browser_ratings_stored \
	"$(jq -r '.ratings[] | "\(.result_id)|\(.rating)|\(if .ship == null then "" elif .ship then 1 else 0 end)|\(.note // "")"' "$T/out.json")" \
	"$(sql "SELECT result_id, CAST(rating AS INTEGER), pass, coalesce(comment, '') FROM human_grades WHERE kind = 'rating' AND grader = 'carol' ORDER BY id")"
check view_browser_pairs_stored_as_shown \
	"$(jq -r '.pairs[] | "\(.left)|\(.right)|\(if .choice == "left" then .left elif .choice == "right" then .right else "" end)"' "$T/out.json")" \
	"$(sql "SELECT result_id, other_result_id, preferred FROM human_grades WHERE kind = 'pairwise' AND grader = 'carol' ORDER BY id")"
check view_browser_four_ratings 4 "$(sql "SELECT COUNT(*) FROM human_grades WHERE kind = 'rating'")"
