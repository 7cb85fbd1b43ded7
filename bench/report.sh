#!/bin/sh
# bench/report.sh — the HTML report at scale (printed, never asserted):
# runs of 1,000 and 10,000 cases × 2 mock models (2,000 and 20,000 results),
# then for each the report's size, the time `assay report` takes to write it,
# and in Chromium the time until the first page of cases is rendered and the
# time a filter takes (tests/browser/shot.mjs).  Needs `make browser-deps`.
# Usage: ASSAY=build/assay bench/report.sh
set -eu
ASSAY=${ASSAY:-build/assay}
R=$(cd "$(dirname "$0")/.." && pwd)
W=$(mktemp -d)
trap 'kill $(cat "$W"/*.pid 2>/dev/null) 2>/dev/null; rm -rf "$W"' EXIT
cat >"$W/rules.yaml" <<'Y'
seed: 1
models:
  - {name: a, accuracy: 0.9}
  - {name: b, accuracy: 0.7}
rules:
  - regex: "item \\d+"
    reply: "The answer is yes, and here is a sentence of explanation to make the output realistic."
    wrong: "No idea, but here is a plausible-sounding wrong paragraph of similar length."
Y
"$ASSAY" mock --rules "$W/rules.yaml" --port 0 --port-file "$W/port" --quiet >/dev/null 2>&1 &
echo $! >"$W/mock.pid"
i=0; while [ ! -s "$W/port" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done
export OPENAI_BASE_URL="http://127.0.0.1:$(cat "$W/port")/v1" OPENAI_API_KEY=bench
printf '%-10s %10s %12s %12s %12s\n' results "size KB" "write ms" "load ms" "filter ms"
for n in 1000 10000; do
	d="$W/s$n"; mkdir -p "$d"
	{ echo "__description,q"; seq 1 "$n" | sed 's/.*/case &,item &/'; } >"$d/cases.csv"
	cat >"$d/suite.yaml" <<'Y'
prompts: ["Q: {{q}}"]
providers: [openai:chat:a, openai:chat:b]
defaultTest: {assert: [{type: icontains, value: "yes"}]}
tests: file://cases.csv
Y
	"$ASSAY" run "$d/suite.yaml" -j 64 --db "$d/.assay/assay.db" --no-progress-bar --no-table >/dev/null 2>&1 || true
	t0=$(date +%s%N)
	"$ASSAY" report latest --db "$d/.assay/assay.db" -o "$d/r.html" 2>/dev/null
	t1=$(date +%s%N)
	sz=$(( $(wc -c <"$d/r.html") / 1024 ))
	if [ -d "$R/tests/browser/node_modules/playwright-core" ]; then
		out=$(node "$R/tests/browser/shot.mjs" "$d/r.html" -)
		load=$(echo "$out" | sed -n 's/^load_ms //p'); filt=$(echo "$out" | sed -n 's/^filter_ms //p')
	else
		load="-"; filt="-"
	fi
	printf '%-10s %10s %12s %12s %12s\n' $((2 * n)) "$sz" $(( (t1 - t0) / 1000000 )) "$load" "$filt"
done
