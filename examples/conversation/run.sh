#!/bin/sh
# run.sh — the conversation example offline: start `assay mock` with the
# scripted models, run suite.yaml against it and show every turn.
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
export OPENAI_API_KEY=${OPENAI_API_KEY:-mock}
set +e
"$ASSAY" run "$here/suite.yaml" --db "$work/assay.db" --no-progress-bar -o "$work/results.json"
rc=$?
set -e
"$ASSAY" show latest --db "$work/assay.db" --no-table
echo
echo "exit status of assay run: $rc (100 = some test failed: drifty, as expected here)"
[ $rc -eq 0 ] || [ $rc -eq 100 ]
