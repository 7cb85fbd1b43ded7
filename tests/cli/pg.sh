#!/bin/sh
# pg.sh — the store on PostgreSQL (--db postgres://…, the server tests/pg.sh
# starts for make check): one run, show, stats, compare, export and the
# view API give the figures the same runs give on SQLite; four `assay run`
# processes write one database at once; two concurrent `--shard i/2
# --run-id ID` processes make one run equal to an unsharded one with
# nothing requested twice; kill -9 part way, then --resume.
. "$(dirname "$0")/../lib.sh"
D=$(cd "$(dirname "$0")/../data/history" && pwd)
R=$(cd "$(dirname "$0")/../.." && pwd)
PSQL=${PG_BIN:-/usr/lib/postgresql/15/bin}/psql
export OPENAI_API_KEY=sk-pg-test
if [ -z "${ASSAY_TEST_PG:-}" ]; then
	if [ -n "${ASSAY_REQUIRE_PG:-}" ]; then
		fail pg_server "ASSAY_TEST_PG is not set (tests/run.sh starts a server with tests/pg.sh)"
	else
		echo "skip pg (ASSAY_TEST_PG unset: sh tests/pg.sh run sh tests/cli/pg.sh)"
	fi
	exit 0
fi

# pgdb NAME: a fresh database on the test server; prints its URL.
pgdb() {
	"$PSQL" -q "$ASSAY_TEST_PG" -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1" >/dev/null 2>&1 ||
		{ echo "no-database"; return 1; }
	echo "$ASSAY_TEST_PG" | sed "s|/[A-Za-z0-9_]*?|/$1?|; s|/[A-Za-z0-9_]*\$|/$1|"
}
# sql URL QUERY: one value, read from the live database.
sql() { "$PSQL" -qtAX "$1" -c "$2" 2>/dev/null; }
requests() {
	kill -TERM "$(cat "$T/$1.pid")"
	i=0; while ! grep -q 'stopping after' "$T/$1.log" && [ $i -lt 200 ]; do sleep 0.02; i=$((i+1)); done
	rm -f "$T/$1.pid"
	sed -n 's/.*stopping after \([0-9]*\) requests.*/\1/p' "$T/$1.log"
}
count() { export_jsonl "$1" "$2" | grep -c .; }
# norm DB RUN: the run's results without what differs between two runs
# of one suite (ids, times, latencies)
norm() {
	export_jsonl "$1" "$2" | jq -c 'with_entries(select(.key | test("_ms$|_at$|^id$|^run_id$") | not))' | sort
}
# shown DB RUN: `assay show`'s case table and its summary without latency
shown() {
	"$ASSAY" show "$2" --db "$1" 2>&1 | awk '/^ *[0-9]+  / { print; next } /%/ { print $1, $3, $4, $5, $6, $7 }'
}
# stats DB RUN: `assay stats` JSON without latency (nor the decision,
# which weighs p95)
stats() {
	"$ASSAY" stats "$2" --db "$1" -o "$T/stats.json" >/dev/null 2>&1 &&
		jq -S 'del(.decision) | walk(if type == "object" then with_entries(select(.key | test("latency|^p[0-9]+|^max$|tokens_per_s|ttft") | not)) else . end)' "$T/stats.json"
}
N=60
J=4
RUN="--no-cache --no-progress-bar --no-table -j $J"
mkdir -p "$T/s"
awk -v n=$N 'BEGIN { print "q,__expected"; for (i = 1; i <= n; i++) printf "Repeat the word w%d,w%d\n", i, i }' >"$T/s/cases.csv"
cat >"$T/s/s.yaml" <<Y
prompts: ["{{q}}"]
providers: [openai:chat:steady, openai:chat:other]
tests: [file://cases.csv]
Y
# the "new" run: the same models answering with another seed, so the
# comparison has cases fixed and regressed
sed 's/^seed: 7/seed: 8/' "$D/rules.yaml" >"$T/rules8.yaml"

# 1. The same two runs on SQLite and on PostgreSQL.
SQ="$T/s/ref.db"
PG=$(pgdb assay_cli_same)
check pg_database_created yes "$(case $PG in postgres*) echo yes ;; *) echo "no: $PG" ;; esac)"
start_mock ref "$D/rules.yaml"
for db in "$SQ" "$PG"; do
	"$ASSAY" run "$T/s/s.yaml" --db "$db" $RUN --label base >/dev/null 2>>"$T/same.err"
done
start_mock ref8 "$T/rules8.yaml"
for db in "$SQ" "$PG"; do
	"$ASSAY" run "$T/s/s.yaml" --db "$db" $RUN --label new >/dev/null 2>>"$T/same.err"
done
check pg_run_stored "2|$((2 * N))|$((2 * N))" "$(n_runs "$PG")|$(count "$PG" 1)|$(count "$PG" 2)"
check pg_run_figures_equal "$(run_figures "$SQ" 1)|$(run_figures "$SQ" 2)" "$(run_figures "$PG" 1)|$(run_figures "$PG" 2)"
norm "$SQ" 2 >"$T/sq.jsonl"; norm "$PG" 2 >"$T/pg.jsonl"
check pg_export_rows_equal "" "$(cmp "$T/sq.jsonl" "$T/pg.jsonl" 2>&1)"
check pg_run_label_status "new|done" "$(run_json "$PG" 2 '"\(.run.label)|\(.run.status)"')"
shown "$SQ" 2 >"$T/sq.show"; shown "$PG" 2 >"$T/pg.show"
check pg_show_equal "" "$(diff "$T/sq.show" "$T/pg.show" | head -5)"
stats "$SQ" 2 >"$T/sq.stats"; stats "$PG" 2 >"$T/pg.stats"
check pg_stats_equal "" "$(diff "$T/sq.stats" "$T/pg.stats" | head -5)"
check pg_stats_present yes "$([ "$(jq '.candidates | length' "$T/pg.stats")" = 2 ] && echo yes || echo "no: $(head -c 200 "$T/pg.stats")")"
"$ASSAY" compare label:base label:new --db "$SQ" 2>&1 | grep -viE 'latency|p95|ms' >"$T/sq.cmp"
"$ASSAY" compare label:base label:new --db "$PG" 2>&1 | grep -viE 'latency|p95|ms' >"$T/pg.cmp"
check pg_compare_equal "" "$(diff "$T/sq.cmp" "$T/pg.cmp" | head -5)"
check_grep pg_compare_has_figures 'fixed [1-9][0-9]*, regressed [1-9][0-9]*' "$T/pg.cmp"
"$ASSAY" export 2 --db "$PG" -o "$T/pg.assay" >/dev/null 2>&1
"$ASSAY" import "$T/pg.assay" --db "$T/s/imported.db" >/dev/null 2>&1
check pg_bundle_imports_into_sqlite "$(run_figures "$PG" 2)" "$(run_figures "$T/s/imported.db" 1)"
PG2=$(pgdb assay_cli_import)
"$ASSAY" import "$SQ.none" --db "$PG2" >/dev/null 2>&1
"$ASSAY" export 1 --db "$SQ" -o "$T/sq.assay" >/dev/null 2>&1
"$ASSAY" import "$T/sq.assay" --db "$PG2" >/dev/null 2>&1
check pg_bundle_imports_into_pg "$(run_figures "$SQ" 1)" "$(run_figures "$PG2" 1)"
"$ASSAY" runs --db "$PG" >"$T/pg.runs" 2>&1
check pg_runs_lists_both 2 "$(grep -cE '^ *[12] ' "$T/pg.runs")"
"$ASSAY" delete 1 --db "$PG2" >/dev/null 2>&1
check pg_delete "0|0|0" "$("$ASSAY" runs -n 0 --db "$PG2" | grep -cE '^ +[0-9]+ ')|$(sql "$PG2" 'SELECT count(*) FROM runs')|$(sql "$PG2" 'SELECT count(*) FROM results')"

# The view API over both stores: the same matrix counts and run page.
start_view() { # NAME DB: sets $V
	"$ASSAY" view --db "$2" --port 0 --port-file "$T/$1.port" >"$T/$1.log" 2>&1 &
	echo $! >"$T/$1.pid"
	i=0; while [ ! -s "$T/$1.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
	V="http://127.0.0.1:$(cat "$T/$1.port")"
}
api() { # the answers that must agree
	curl -s "$1/api/runs" | jq -c '[.runs[] | {id: .id, label: .label, status: .status, n: .n_results}]'
	curl -s "$1/api/runs/2/matrix?limit=200" | jq -c '{total: .total, rows: [.rows[] | del(.. | .latency_ms?, .result_id?, .id?)]}'
	curl -s "$1/api/runs/2/matrix?failing=1" | jq -c .total
	curl -s "$1/api/runs/2/matrix?q=w17" | jq -c .total
	curl -s "$1/api/runs/2/cases/3/0" | jq -c '.cells | length'
}
start_view vsq "$SQ"; api "$V" >"$T/sq.api"
start_view vpg "$PG"; api "$V" >"$T/pg.api"
check pg_view_api_equal "" "$(diff "$T/sq.api" "$T/pg.api" | head -5)"
check pg_view_api_answers "60|2" "$(sed -n 2p "$T/pg.api" | jq .total)|$(sed -n 5p "$T/pg.api")"
# Tags (jsonb on PostgreSQL, json_each on SQLite): the tag list and the
# tag filter of the matrix.
mkdir -p "$T/tags"
{
	echo "q,__expected,__metadata:tags[]"
	for i in $(seq 1 20); do echo "Repeat the word t$i,t$i,$([ $((i % 5)) -eq 0 ] && echo fives || echo plain)"; done
} >"$T/tags/cases.csv"
cp "$T/s/s.yaml" "$T/tags/s.yaml"
PGT=$(pgdb assay_cli_tags)
for db in "$T/tags/t.db" "$PGT"; do
	"$ASSAY" run "$T/tags/s.yaml" --db "$db" $RUN >/dev/null 2>&1
done
start_view vtsq "$T/tags/t.db"
TSQ=$(curl -s "$V/api/runs/1" | jq -c .tags)"|"$(curl -s "$V/api/runs/1/matrix?tag=fives" | jq .total)
start_view vtpg "$PGT"
TPG=$(curl -s "$V/api/runs/1" | jq -c .tags)"|"$(curl -s "$V/api/runs/1/matrix?tag=fives" | jq .total)
check pg_view_tags_equal "$TSQ" "$TPG"
check pg_view_tags '["fives","plain"]|4' "$TPG"

# 2. Four `assay run` processes into one database at once.
start_mock many "$D/rules.yaml"
PGM=$(pgdb assay_cli_many)
for k in 1 2 3 4; do
	"$ASSAY" run "$T/s/s.yaml" --db "$PGM" $RUN >/dev/null 2>"$T/many$k.err" &
	echo $! >"$T/many$k.wpid"
done
st=""
for k in 1 2 3 4; do wait "$(cat "$T/many$k.wpid")"; st="$st$? "; done
check pg_many_writers_finish "100 100 100 100 " "$st"
check pg_many_writers_all_stored "4|$((8 * N))|$((2 * N))" "$(n_runs "$PGM")|$(sql "$PGM" 'SELECT count(*) FROM results')|$(sql "$PGM" 'SELECT min(n) FROM (SELECT count(*) AS n FROM results GROUP BY run_id) c')"
check pg_many_writers_figures "$(run_figures "$SQ" 1)" "$(run_figures "$PGM" 3)"
check pg_many_writers_no_errors "" "$(cat "$T"/many*.err | grep -iE 'error|lock|deadlock' | head -3)"

# 3. Two concurrent shards into one PostgreSQL run.
start_mock sh "$D/rules.yaml"
PGS=$(pgdb assay_cli_shards)
"$ASSAY" run "$T/s/s.yaml" --db "$PGS" --shard 1/2 --run-id 7 $RUN >/dev/null 2>"$T/sh1.err" &
P1=$!
"$ASSAY" run "$T/s/s.yaml" --db "$PGS" --shard 2/2 --run-id 7 $RUN >/dev/null 2>"$T/sh2.err" &
P2=$!
wait $P1; S1=$?
wait $P2; S2=$?
check pg_shards_finish "100 100" "$S1 $S2"; [ "$S1 $S2" = "100 100" ] || head -c 600 "$T/sh1.err" "$T/sh2.err"
check pg_shards_one_run "7|done" "$("$ASSAY" runs -n 0 --db "$PGS" | awk 'NR > 1 { printf "%s%s|%s", s, $1, $2; s = ";" }')"
check pg_shards_all_items "$((2 * N))|$((2 * N))" "$(export_jsonl "$PGS" 7 | jq -rs '"\(length)|\(map(.item_key) | unique | length)"')"
check pg_shards_figures_equal "$(run_figures "$SQ" 1)" "$(run_figures "$PGS" 7)"
check pg_shards_each_request_once $((2 * N)) "$(requests sh)"
start_mock sh3 "$D/rules.yaml"
"$ASSAY" run "$T/s/s.yaml" --db "$PGS" --shard 1/3 --run-id 8 $RUN >/dev/null 2>&1
"$ASSAY" show 8 --db "$PGS" --no-cases >/dev/null 2>"$T/sh3.err"
check_grep pg_shard_missing_named "incomplete: [0-9]+ of $((2 * N)) results .*missing: shard 2/3 has 0 of [0-9]+; shard 3/3 has 0 of [0-9]+" "$T/sh3.err"

# 4. kill -9 part way, then --resume.  Slow models (40 ms) so the kill
# lands before the end even on a loaded machine.
sed 's/latency_ms: 8/latency_ms: 40/' "$D/rules.yaml" >"$T/slow.yaml"
start_mock k "$T/slow.yaml"
PGK=$(pgdb assay_cli_kill)
"$ASSAY" run "$T/s/s.yaml" --db "$PGK" $RUN >/dev/null 2>&1 &
P=$!
i=0; while [ "$(sql "$PGK" 'SELECT count(*) FROM results' || echo 0)" -lt 20 ] 2>/dev/null && [ $i -lt 500 ]; do sleep 0.02; i=$((i+1)); done
kill -9 $P; wait $P 2>/dev/null
KEPT=$(count "$PGK" 1)
check pg_killed_part_way yes "$([ "$KEPT" -gt 0 ] && [ "$KEPT" -lt $((2 * N)) ] && echo yes || echo "no ($KEPT)")"
"$ASSAY" runs --db "$PGK" >"$T/k.runs" 2>&1
check pg_killed_reads_interrupted 1 "$(grep -c ' interrupted ' "$T/k.runs")"
"$ASSAY" run "$T/s/s.yaml" --db "$PGK" $RUN --resume >/dev/null 2>"$T/k.err"
check pg_resume_exit 100 $?
check_grep pg_resume_says_kept "resuming run 1: [0-9]+ stored results kept" "$T/k.err"
check pg_resume_no_lost_or_duplicated "1|$((2 * N))|$((2 * N))" "$(n_runs "$PGK")|$(export_jsonl "$PGK" 1 | jq -rs '"\(length)|\(map(.item_key) | unique | length)"')"
check pg_resume_figures_equal "$(run_figures "$SQ" 1)" "$(run_figures "$PGK" 1)"
EXTRA=$(($(requests k) - 2 * N))
check pg_resume_nothing_re_requested yes "$([ $EXTRA -ge 0 ] && [ $EXTRA -le $J ] && echo yes || echo "no: $EXTRA extra requests at -j $J")"

# The password of a URL is never printed.
"$ASSAY" runs --db "$(echo "$PG" | sed 's|://assay@|://assay:Hunter2pw@|; s|/assay_cli_same|/assay_no_such_db|')" >"$T/pw.out" 2>&1
check pg_bad_db_exit 1 $?
check pg_password_not_printed "" "$(grep -o Hunter2pw "$T/pw.out")"
check_grep pg_bad_db_message 'assay:\*\*\*@.*assay_no_such_db' "$T/pw.out"
