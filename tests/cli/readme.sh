#!/bin/sh
# readme.sh — the README's "A first run" block, run as written (with
# `assay` on PATH, in a copy of examples/quickstart): the mock on a free
# port, the run, the re-export, the mock stopped.  A README that drifts
# from the commands fails here.
. "$(dirname "$0")/../lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$T/bin" "$T/w/examples"
ln -s "$ASSAY" "$T/bin/assay"
cp -r "$ROOT/examples/quickstart" "$T/w/examples/"
# the block: from the line after "## A first run"'s ```sh to the closing ```
awk '/^## A first run/ { f = 1; next } f && /^```sh$/ { in_ = 1; next }
     in_ && /^```$/ { exit } in_ { print }' "$ROOT/README.md" >"$T/first.sh"
check_grep readme_block_found '^assay run ' "$T/first.sh"
# the README's store rule (the nearest .assay/), not the tests' $ASSAY_DB;
# without -e, as the lines behave pasted into a shell (`assay run` exits
# 100 here: some tests fail, as the demo intends)
(cd "$T/w" && unset ASSAY_DB && PATH="$T/bin:$PATH" sh "$T/first.sh") >"$T/first.out" 2>&1 &
pid=$!
# at most 120 s (the block takes seconds), then the checks below fail
i=0
while kill -0 $pid 2>/dev/null && [ $i -lt 1200 ]; do sleep 0.1; i=$((i + 1)); done
kill $pid 2>/dev/null
wait $pid
Q="$T/w/examples/quickstart"
check readme_results_json 1 "$(jq 'if (.results | length) > 0 then 1 else 0 end' "$Q/results.json" 2>/dev/null)"
check readme_results_csv 1 "$([ -s "$Q/results.csv" ] && echo 1 || echo 0)"
check readme_store_here 1 "$([ -s "$Q/.assay/assay.db" ] && echo 1 || echo 0)"
check_grep readme_run_printed_stats 'pass rate' "$T/first.out"
# the block's last line stops the mock: its port stops answering (waited
# for, at most 20 s)
P=$(cat "$Q/mock.port" 2>/dev/null)
i=0
while [ -n "$P" ] && curl -s --noproxy '*' -m 2 -o /dev/null "http://127.0.0.1:$P/v1/models" && [ $i -lt 200 ]; do
	sleep 0.1; i=$((i + 1))
done
check readme_mock_stopped 1 "$([ -n "$P" ] && ! curl -s --noproxy '*' -m 2 -o /dev/null "http://127.0.0.1:$P/v1/models" && echo 1 || echo 0)"
# a mock the block left running is this test's to stop (by its directory)
for d in /proc/[0-9]*; do
	if [ "$(readlink "$d/cwd" 2>/dev/null)" = "$Q" ]; then kill "${d#/proc/}" 2>/dev/null; fi
done

# `make demo` (the README's first command) runs examples/quickstart/demo.sh:
# in a fresh copy, as in a clean clone (no .assay/ yet), it exits 0 and
# writes the store, the outputs, the report and the statistics.
mkdir -p "$T/d"
cp -r "$ROOT/examples/quickstart" "$T/d/"
rm -rf "$T/d/quickstart/.assay"
D="$T/d/quickstart"
(unset ASSAY_DB && ASSAY="$ASSAY" timeout 120 sh "$D/demo.sh") >"$T/demo.out" 2>&1
check demo_clean_copy_exit_0 0 $?
check demo_writes_outputs 4 "$(n=0; for f in assay.db results.json report.html stats.json; do
	[ -s "$D/.assay/$f" ] && n=$((n + 1)); done; echo $n)"
check_grep demo_prints_the_decision 'exit status of assay run: 100' "$T/demo.out"
exit 0
