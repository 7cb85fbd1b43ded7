#!/bin/sh
# demo.sh — runs examples/evalset offline: `assay mock` serves the two
# scripted models, `assay run` runs the 50 sampled cases (each with its
# typo and lower-case variants) and the probes, and the report shows the
# probe tags (attack success = 1 - pass rate of probe:PACK), refusals and
# the robustness of the variant groups.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
ASSAY=${ASSAY:-assay}
work=$(mktemp -d)
trap 'kill "$(cat "$work/pid" 2>/dev/null)" 2>/dev/null; rm -rf "$work"' EXIT INT TERM

"$ASSAY" mock --rules "$here/mock-rules.yaml" --port 0 --port-file "$work/port" --quiet &
echo $! >"$work/pid"
i=0
while [ ! -s "$work/port" ]; do
	i=$((i + 1)); [ $i -lt 200 ] || { echo "assay mock did not start" >&2; exit 1; }
	sleep 0.05
done
export OPENAI_BASE_URL="http://127.0.0.1:$(cat "$work/port")/v1"
set +e
"$ASSAY" run "$here/suite.yaml" -j 16 --db "${DB:-$here/.assay/assay.db}" \
	-o "${OUT:-$here/.assay/results.json}"
rc=$?
set -e
echo "exit status of assay run: $rc (100: some tests failed, as expected here)"
[ $rc -eq 0 ] || [ $rc -eq 100 ]
