#!/bin/sh
# bench/view.sh — `assay view` on a 20,000-result run (10,000 cases × 2 mock
# models; printed, never asserted; the goal is < 200 ms): the run page's
# data, its charts, the matrix's first and last page unfiltered and with
# each filter, the review queue, the next blind pair and one grade.  Each
# figure is the median of 5 requests made with curl (time_total).
# The charts are measured three ways, each on a freshly started server
# (median of CHART_RUNS starts): the first view once the start-up warm-up
# has drawn them (/api/session says warm_up: done); the first view at once after start
# (it waits for the warm-up's draw under way); and the uncached draw
# itself (`--no-warm`: the statistics computed on that request).  On a
# shared machine wall time is mostly waiting for a CPU, so for those each
# start also gives the server's CPU time for the request and its threads'
# run-queue wait (/proc/PID/task/*/schedstat: run time, wait), in ms.
# Usage: ASSAY=build/assay bench/view.sh
set -eu
ASSAY=${ASSAY:-build/assay}
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
n=10000
{ echo "__description,q,__metadata:tags[]"; seq 1 "$n" | awk '{print "case " $1 ",item " $1 "," ($1 % 7 ? "plain" : "sevens")}'; } >"$W/cases.csv"
cat >"$W/suite.yaml" <<'Y'
prompts: ["Q: {{q}}"]
providers: [openai:chat:a, openai:chat:b]
defaultTest: {assert: [{type: icontains, value: "yes"}]}
tests: file://cases.csv
Y
(cd "$W" && "$ASSAY" run suite.yaml -j 64 --no-progress-bar --no-table >/dev/null 2>&1) || true
ms() { curl -s -o /dev/null -w '%{time_total}\n' "$@" | awk '{printf "%.1f\n", $1 * 1000}'; }
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
list() { tr '\n' ' ' | sed 's/ $//'; }
# serve [view flags]: a fresh server; sets V
serve() {
	[ -s "$W/view.pid" ] && { kill "$(cat "$W/view.pid")" 2>/dev/null; wait "$(cat "$W/view.pid")" 2>/dev/null || true; }
	rm -f "$W/vport"
	"$ASSAY" view --db "$W/.assay/assay.db" --port 0 --port-file "$W/vport" "$@" >/dev/null 2>"$W/view.err" &
	echo $! >"$W/view.pid"
	i=0; while [ ! -s "$W/vport" ] && [ $i -lt 400 ]; do sleep 0.01; i=$((i+1)); done
	[ -s "$W/vport" ] || { echo "assay view did not start: $(cat "$W/view.err")" >&2; exit 1; }
	V="http://127.0.0.1:$(cat "$W/vport")"
}
CHART_RUNS=${CHART_RUNS:-5}
# sched PID: "run-ns wait-ns" summed over the process's threads
sched() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{r += $1; w += $2} END {printf "%d %d\n", r, w}'; }
# first_chart WAIT [view flags]: for each of CHART_RUNS fresh servers, the
# first /charts/1 WAIT seconds after start: "wall cpu runq" (ms)
first_chart() {
	wait_s=$1; shift
	k=0; while [ $k -lt "$CHART_RUNS" ]; do
		serve "$@"
		if [ "$wait_s" = done ]; then
			i=0; while [ "$(curl -s "$V/api/session" | jq -r .warm_up)" = running ] && [ $i -lt 600 ]; do
				sleep 0.05; i=$((i+1)); done
		else
			sleep "$wait_s"
		fi
		pid=$(cat "$W/view.pid"); s0=$(sched "$pid")
		t=$(ms "$V/charts/1"); s1=$(sched "$pid")
		echo "$t $s0 $s1" | awk '{printf "%s %.1f %.1f\n", $1, ($4 - $2) / 1e6, ($5 - $3) / 1e6}'
		k=$((k+1))
	done
}
chart_row() {
	f=$(cat)
	printf '%-30s %8s %8s %8s   wall: %s\n' "$1" "$(echo "$f" | cut -d' ' -f1 | median)" \
		"$(echo "$f" | cut -d' ' -f2 | median)" "$(echo "$f" | cut -d' ' -f3 | median)" \
		"$(echo "$f" | cut -d' ' -f1 | list)"
}
echo "load average $(cut -d' ' -f1-3 /proc/loadavg); charts, first view of a fresh server, median of $CHART_RUNS (ms):"
printf '%-30s %8s %8s %8s\n' "" "wall" "cpu" "runq"
first_chart done | chart_row "  warmed (warm-up done)"
first_chart 0 | chart_row "  at once after start"
first_chart 0.3 --no-warm | chart_row "  uncached draw (--no-warm)"
serve; sleep 2
echo "results: $(curl -s "$V/api/runs/1" | jq .run.n_results)"
row() {
	name=$1; shift
	m=$(for k in 1 2 3 4 5; do ms "$@"; done | median)
	printf '%-34s %10s ms\n' "$name" "$m"
}
printf '%-34s %13s\n' request "median"
row "charts (cached)" "$V/charts/1"
row "run page data /api/runs/1" "$V/api/runs/1"
row "matrix page 1" "$V/api/runs/1/matrix?limit=50"
row "matrix last page" "$V/api/runs/1/matrix?limit=50&offset=9950"
row "matrix failing" "$V/api/runs/1/matrix?failing=1"
row "matrix failing, candidate b" "$V/api/runs/1/matrix?failing=1&cand=1"
row "matrix tag" "$V/api/runs/1/matrix?tag=sevens"
row "matrix text search" "$V/api/runs/1/matrix?q=item%209999"
row "matrix judge/rules disagree" "$V/api/runs/1/matrix?jr=1"
row "review queue (100 items)" "$V/api/runs/1/queue?reviewer=bench"
row "review queue sample 200" "$V/api/runs/1/queue?reviewer=bench&sample=200&seed=3"
row "next blind pair" "$V/api/runs/1/pair?reviewer=bench"
row "one result" "$V/api/results/5000"
CSRF=$(curl -s "$V/api/session" | jq -r .csrf)
row "one grade (POST)" -H 'Content-Type: application/json' -H "X-CSRF-Token: $CSRF" \
	-d '{"result_id":5000,"reviewer":"bench","rating":4,"ship":true}' "$V/api/grades"
