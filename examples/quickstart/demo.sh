#!/bin/sh
# demo.sh — the offline demo: start `assay mock` with the quickstart's
# scripted models, run the suite against it and show the results and
# their statistics (intervals, paired comparisons, calibration, refusals,
# failure modes, robustness, confusion matrix and the model decision).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
ASSAY=${ASSAY:-assay}
work=$(mktemp -d)
trap 'kill "$(cat "$work/pid" 2>/dev/null)" 2>/dev/null; rm -rf "$work"' EXIT INT TERM

"$ASSAY" mock --rules "$here/mock-models.yaml" --port 0 --port-file "$work/port" --quiet &
echo $! >"$work/pid"
i=0
while [ ! -s "$work/port" ]; do
	i=$((i + 1)); [ $i -lt 200 ] || { echo "assay mock did not start" >&2; exit 1; }
	sleep 0.05
done
export OPENAI_BASE_URL="http://127.0.0.1:$(cat "$work/port")/v1"
echo "assay mock is serving acme-large, acme-mini, slow-xl, budget-7b and careful-3b at $OPENAI_BASE_URL"
echo
set +e
# the outputs go next to the store: -o is checked before the first request
# and wants its directory to exist (a clean clone has no .assay/ yet)
mkdir -p "$here/.assay"
"$ASSAY" run "$here/promptfooconfig.yaml" -j 16 --db "$here/.assay/assay.db" \
	-o "$here/.assay/results.json" -o "$here/.assay/results.csv" \
	-o "$here/.assay/report.html"
rc=$?
set -e
# `assay run` printed the statistics and the decision; keep them as JSON too.
"$ASSAY" stats latest --db "$here/.assay/assay.db" -o "$here/.assay/stats.json" >/dev/null
echo "statistics written to $here/.assay/stats.json (docs/statistics.md explains each figure)"
echo "HTML report (charts and every case; opens from disk, fetches nothing):"
echo "  file://$here/.assay/report.html"
echo "Browse the runs and grade outputs by hand (1-5, blind A/B) in the local web app:"
echo "  $ASSAY view --db $here/.assay/assay.db    # prints the address to open (--port 0 if 8080 is taken)"
echo
echo "exit status of assay run: $rc (0 = every test passed, 100 = some test failed, as expected here)"
[ $rc -eq 0 ] || [ $rc -eq 100 ]
