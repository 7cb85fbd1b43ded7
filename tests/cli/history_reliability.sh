#!/bin/sh
# history_reliability.sh — issue 10's reliability tests, sized for make
# check: kill -9 at seeded random moments during a 200-case × 2-provider
# run and each of its --resume runs (5 kills), then a last --resume: no
# result lost or duplicated, no reply re-requested (only the requests in
# flight at each kill are sent again), final figures identical to an
# uninterrupted run's.  And two `assay run` processes writing one SQLite
# file at once: both finish, nothing lost, no "database is locked".
. "$(dirname "$0")/../lib.sh"
D=$(cd "$(dirname "$0")/../data/history" && pwd)
export OPENAI_API_KEY=sk-history-test
N=200
J=4
KILLS=5
mkdir -p "$T/ref" "$T/k"
awk -v n=$N 'BEGIN { print "q,__expected"; for (i = 1; i <= n; i++) printf "Repeat the word w%d,w%d\n", i, i }' >"$T/ref/cases.csv"
cp "$T/ref/cases.csv" "$T/k/cases.csv"
for d in ref k; do
	cat >"$T/$d/s.yaml" <<Y
prompts: ["{{q}}"]
providers: [openai:chat:steady, openai:chat:other]
tests: [file://cases.csv]
Y
done
requests() {
	kill -TERM "$(cat "$T/$1.pid")"
	# the count is logged when the signal arrives; exiting may take longer
	i=0; while ! grep -q 'stopping after' "$T/$1.log" && [ $i -lt 200 ]; do sleep 0.02; i=$((i+1)); done
	rm -f "$T/$1.pid"
	sed -n 's/.*stopping after \([0-9]*\) requests.*/\1/p' "$T/$1.log"
}
figures() { run_figures "$1" 1; }
# count DB RUN: the results stored for the run
count() { export_jsonl "$1" "$2" | grep -c .; }
RUN="--no-cache --no-progress-bar --no-table -j $J"

start_mock ref "$D/rules.yaml"
# one store per directory: ASSAY_DB names it (lib.sh)
export ASSAY_DB="$T/ref/.assay/assay.db"
"$ASSAY" run "$T/ref/s.yaml" $RUN >/dev/null 2>&1
REF=$(figures "$T/ref/.assay/assay.db")
check rel_reference_requests $((2 * N)) "$(requests ref)"

# Seeded kill delays, 30..250 ms.
DELAYS=$(awk -v k=$KILLS 'BEGIN { srand(42); for (i = 0; i < k; i++) printf "%.3f ", 0.03 + rand() * 0.22 }')
start_mock k "$D/rules.yaml"
DB="$T/k/.assay/assay.db"
export ASSAY_DB="$DB"
n=0
for d in $DELAYS; do
	if [ $n -eq 0 ]; then
		"$ASSAY" run "$T/k/s.yaml" $RUN >/dev/null 2>&1 &
		P=$!
		# wait for the run to exist, then kill at the drawn moment
		# (sqlite3 reads the live file; an assay command would queue for
		# the writer's lock)
		i=0; while [ "$(sqlite3 "$DB" 'select count(*) from runs' 2>/dev/null || echo 0)" -lt 1 ] && [ $i -lt 500 ]; do sleep 0.01; i=$((i+1)); done
	else
		"$ASSAY" run "$T/k/s.yaml" $RUN --resume >/dev/null 2>&1 &
		P=$!
	fi
	sleep "$d"
	kill -9 $P 2>/dev/null
	wait $P 2>/dev/null
	n=$((n+1))
done
STORED=$(count "$DB" 1)
check rel_kills_left_work yes "$([ "$STORED" -lt $((2 * N)) ] && echo yes || echo "no: all $STORED done before the last kill")"
check rel_killed_reads_interrupted 1 "$("$ASSAY" runs --db "$DB" | grep -c ' interrupted ')"
"$ASSAY" run "$T/k/s.yaml" $RUN --resume >/dev/null 2>"$T/last.err"
check rel_last_resume_exit 100 $?
check rel_one_run 1 "$(n_runs "$DB")"
check rel_no_lost_or_duplicated "$((2 * N))|$((2 * N))" "$(export_jsonl "$DB" 1 | jq -rs '"\(length)|\(map(.item_key) | unique | length)"')"
check rel_figures_identical "$REF" "$(figures "$DB")"
EXTRA=$(($(requests k) - 2 * N))
check rel_nothing_re_requested yes "$([ $EXTRA -ge 0 ] && [ $EXTRA -le $((KILLS * J)) ] && echo yes || echo "no: $EXTRA extra requests for $KILLS kills at -j $J")"
check rel_status_done done "$(run_json "$DB" 1 .run.status)"

# Two runs into one SQLite file at once.
mkdir -p "$T/two"
cp "$T/ref/cases.csv" "$T/two/cases.csv"
cp "$T/ref/s.yaml" "$T/two/a.yaml"
sed 's/openai:chat:other/openai:chat:flaky/' "$T/ref/s.yaml" >"$T/two/b.yaml"
start_mock two "$D/rules.yaml"
"$ASSAY" run "$T/two/a.yaml" --db "$T/two/shared.db" --no-progress-bar --no-table -j 8 >/dev/null 2>"$T/two/a.err" &
PA=$!
"$ASSAY" run "$T/two/b.yaml" --db "$T/two/shared.db" --no-progress-bar --no-table -j 8 >/dev/null 2>"$T/two/b.err" &
PB=$!
wait $PA; SA=$?
wait $PB; SB=$?
check rel_two_writers_a_finishes 100 "$SA"
check rel_two_writers_b_finishes yes "$([ "$SB" -eq 100 ] || [ "$SB" -eq 1 ] && echo yes || echo "no: $SB")"
TWO="$T/two/shared.db"
check rel_two_writers_all_stored "$((2 * N))|$((2 * N))|done done" "$(count "$TWO" 1)|$(count "$TWO" 2)|$(run_json "$TWO" 1 .run.status) $(run_json "$TWO" 2 .run.status)"
check rel_two_writers_no_lock_error 0 "$(cat "$T/two/a.err" "$T/two/b.err" | grep -ci 'database is locked')"

# Shards: 1/2 and 2/2 at once into one run of one SQLite file make the
# run an unsharded run makes; one shard alone leaves a run that says
# which shard is missing.
mkdir -p "$T/sh"
cp "$T/ref/cases.csv" "$T/ref/s.yaml" "$T/sh/"
start_mock sh "$D/rules.yaml"
SDB="$T/sh/shared.db"
"$ASSAY" run "$T/sh/s.yaml" --db "$SDB" --shard 1/2 --run-id 7 $RUN >/dev/null 2>"$T/sh/1.err" &
P1=$!
"$ASSAY" run "$T/sh/s.yaml" --db "$SDB" --shard 2/2 --run-id 7 $RUN >/dev/null 2>"$T/sh/2.err" &
P2=$!
wait $P1; S1=$?
wait $P2; S2=$?
check rel_shards_finish "100 100" "$S1 $S2"
check rel_shards_one_run "7|done" "$("$ASSAY" runs -n 0 --db "$SDB" | awk 'NR > 1 { printf "%s%s|%s", s, $1, $2; s = ";" }')"
check rel_shards_all_items "$((2 * N))|$((2 * N))" "$(export_jsonl "$SDB" 7 | jq -rs '"\(length)|\(map(.item_key) | unique | length)"')"
check rel_shards_figures_equal "$REF" "$(run_figures "$SDB" 7)"
check rel_shards_each_request_once $((2 * N)) "$(requests sh)"
start_mock sh2 "$D/rules.yaml"
"$ASSAY" run "$T/sh/s.yaml" --db "$SDB" --shard 1/3 --run-id 8 $RUN >/dev/null 2>&1
"$ASSAY" show 8 --db "$SDB" --no-cases >/dev/null 2>"$T/sh/show.err"
check_grep rel_shard_missing_named 'incomplete: [0-9]+ of 400 results .*missing: shard 2/3 has 0 of [0-9]+; shard 3/3 has 0 of [0-9]+' "$T/sh/show.err"
"$ASSAY" run "$T/sh/s.yaml" --db "$SDB" --shard 4/3 >/dev/null 2>&1
check rel_shard_usage 2 $?

# Shards on separate stores (other machines), merged with import --into.
for i in 1 2 3; do
	"$ASSAY" run "$T/sh/s.yaml" --db "$T/sh/m$i.db" --shard $i/3 --run-id 1 $RUN >/dev/null 2>&1
	"$ASSAY" export 1 --db "$T/sh/m$i.db" -o "$T/sh/m$i.assay" >/dev/null 2>&1
done
"$ASSAY" import --db "$T/sh/m1.db" --into 1 "$T/sh/m2.assay" "$T/sh/m3.assay" "$T/sh/m2.assay" >"$T/sh/merge.out" 2>&1
check rel_merge_exit 0 $?
check_grep rel_merge_again_adds_nothing 'm2.assay into run 1: 0 results added, [0-9]+ already there' "$T/sh/merge.out"
check rel_merged_run_done "done|$((2 * N))" "$(run_json "$T/sh/m1.db" 1 .run.status)|$(count "$T/sh/m1.db" 1)"
check rel_merged_figures_equal "$REF" "$(figures "$T/sh/m1.db")"
# (the run of b.yaml: which of the two concurrent runs got id 2 is a race)
BRUN=$("$ASSAY" runs -n 0 --db "$TWO" | awk '/openai:chat:flaky/ { print $1 }')
"$ASSAY" export "$BRUN" --db "$T/two/shared.db" -o "$T/sh/other.assay" >/dev/null 2>&1
"$ASSAY" import --db "$T/sh/m1.db" --into 1 "$T/sh/other.assay" >/dev/null 2>"$T/sh/merge_bad.err"
check rel_merge_other_suite_refused 1 $?
check_grep rel_merge_other_suite_says 'other.assay:1:1: .*different suite' "$T/sh/merge_bad.err"
