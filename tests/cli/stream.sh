#!/bin/sh
# stream.sh — streamed test files (issue 16, src/suite/suite_stream.c): a
# run whose CSV / JSONL tests stream (ASSAY_LIMITS=stream_tests=N small)
# stores the same results, cases and suite hash as the same run with the
# tests in memory; --resume after kill -9 and --shard over a streamed suite
# give every item once; a bad row far into a streamed CSV is reported with
# its file:line:col before any request; a file edited during a run stops
# the run with its position and keeps what was stored.
. "$(dirname "$0")/../lib.sh"
D=$(cd "$(dirname "$0")/../data/history" && pwd)
export OPENAI_API_KEY=sk-stream-test
MEM=stream_tests=1G
STR=stream_tests=40

N=700
mkdir -p "$T/m" "$T/s"
awk -v n=$N 'BEGIN { print "q,__expected,__description"
	for (i = 1; i <= n; i++) {
		if (i % 9 == 4) printf "\"Repeat the word w%d\nplease\",icontains:w%d,case %d\n", i, i, i
		else printf "Repeat the word w%d,w%d,\n", i, i } }' >"$T/m/cases.csv"
cp "$T/m/cases.csv" "$T/s/cases.csv"
for d in m s; do cat >"$T/$d/s.yaml" <<Y
description: stream
prompts: ["{{q}} ({{lang}})"]
providers:
  - id: openai:chat:steady
  - id: openai:chat:other
defaultTest:
  vars: {lang: [en, fr]}
  assert:
    - type: not-contains
      value: "I cannot"
tests:
  - vars: {q: "Repeat the word first"}
  - file://cases.csv
Y
done
# requests MOCK: chat requests the mock got (logged when it stops).
requests() {
	kill -TERM "$(cat "$T/$1.pid")"
	i=0; while ! grep -q 'stopping after' "$T/$1.log" && [ $i -lt 200 ]; do sleep 0.02; i=$((i+1)); done
	rm -f "$T/$1.pid"
	sed -n 's/.*stopping after \([0-9]*\) requests.*/\1/p' "$T/$1.log"
}
# results DB RUN: the results without times, sorted.
results() {
	export_jsonl "$1" "$2" | jq -c 'del(.started_at, .finished_at, .latency_ms,
		.ttft_ms, .created_at, .run_id, .id, .timestamp)' | sort
}
cases_rows() { sqlite3 "$1" "select idx, description, vars_json, metadata_json, n_asserts, case_key, case_hash from cases order by idx"; }
TESTS=$((2 * (N + 1)))

# 1. The same run in memory and streamed.
start_mock same "$D/rules.yaml"
ASSAY_LIMITS=$MEM "$ASSAY" run "$T/m/s.yaml" --db "$T/m.db" -j 8 --no-cache --no-progress-bar --no-table >/dev/null 2>"$T/m.err"
check stream_mem_run_exit 100 $?
ASSAY_LIMITS=$STR "$ASSAY" run "$T/s/s.yaml" --db "$T/s.db" -j 8 --no-cache --no-progress-bar --no-table >/dev/null 2>"$T/s.err"
check stream_run_exit 100 $?
check stream_requests $((4 * TESTS)) "$(requests same)"
check stream_results_count $((2 * TESTS)) "$(results "$T/s.db" 1 | grep -c .)"
results "$T/m.db" 1 >"$T/m.res"
results "$T/s.db" 1 >"$T/s.res"
if cmp -s "$T/m.res" "$T/s.res"; then ok stream_results_equal
else fail stream_results_equal "$(diff "$T/m.res" "$T/s.res" | head -4)"; fi
check stream_cases_equal "$(cases_rows "$T/m.db" | md5sum)" "$(cases_rows "$T/s.db" | md5sum)"
check stream_cases_count $TESTS "$(sqlite3 "$T/s.db" 'select count(*) from cases')"
check stream_suite_hash "$(run_json "$T/m.db" 1 .run.suite_hash)" "$(run_json "$T/s.db" 1 .run.suite_hash)"
check stream_figures "$(run_figures "$T/m.db" 1)" "$(run_figures "$T/s.db" 1)"
check stream_quoted_cell_kept 'Repeat the word w4\nplease' "$(sqlite3 "$T/s.db" "select json_extract(vars_json, '$.q') from cases where description = 'case 4' limit 1" | sed ':a;N;s/\n/\\n/;ba')"
ASSAY_LIMITS=$STR "$ASSAY" validate "$T/s/s.yaml" >"$T/v.out" 2>&1
check_grep stream_validate "ok — $TESTS tests" "$T/v.out"

# 2. kill -9 part way through a streamed run, then --resume.
sed 's/latency_ms: 8/latency_ms: 30/' "$D/rules.yaml" >"$T/slow.yaml"
start_mock res "$T/slow.yaml"
ASSAY_LIMITS=$STR "$ASSAY" run "$T/s/s.yaml" --db "$T/r.db" -j 8 --no-cache --no-progress-bar --no-table >/dev/null 2>&1 &
RPID=$!
i=0; while [ "$(sqlite3 "$T/r.db" 'select count(*) from results' 2>/dev/null || echo 0)" -lt 200 ] && [ $i -lt 600 ]; do sleep 0.02; i=$((i+1)); done
kill -9 $RPID; wait $RPID 2>/dev/null
KEPT=$(sqlite3 "$T/r.db" 'select count(*) from results')
check stream_killed_part_way yes "$([ "$KEPT" -gt 0 ] && [ "$KEPT" -lt $((2 * TESTS)) ] && echo yes || echo "no ($KEPT)")"
ASSAY_LIMITS=$STR "$ASSAY" run "$T/s/s.yaml" --db "$T/r.db" -j 8 --no-cache --no-progress-bar --no-table --resume >/dev/null 2>"$T/res.err"
check stream_resume_exit 100 $?
check_grep stream_resume_kept "resuming run 1: [0-9]+ stored results kept" "$T/res.err"
check stream_resume_every_item_once "$((2 * TESTS))|$((2 * TESTS))" "$(export_jsonl "$T/r.db" 1 | jq -rs '"\(length)|\(map(.item_key) | unique | length)"')"
check stream_resume_results_equal "$(results "$T/m.db" 1 | md5sum)" "$(results "$T/r.db" 1 | md5sum)"
EXTRA=$(( $(requests res) - 2 * TESTS ))   # lost in flight at the kill
check stream_resume_nothing_twice yes "$([ $EXTRA -ge 0 ] && [ $EXTRA -le 16 ] && echo yes || echo "no: $EXTRA extra")"

# 3. Two shards of one streamed run.
start_mock sh "$D/rules.yaml"
ASSAY_LIMITS=$STR "$ASSAY" run "$T/s/s.yaml" --db "$T/sh.db" --shard 1/2 --run-id 5 -j 8 --no-cache --no-progress-bar --no-table >/dev/null 2>"$T/sh1.err"
ASSAY_LIMITS=$STR "$ASSAY" run "$T/s/s.yaml" --db "$T/sh.db" --shard 2/2 --run-id 5 -j 8 --no-cache --no-progress-bar --no-table >/dev/null 2>"$T/sh2.err"
check stream_shards_every_item_once "$((2 * TESTS))|$((2 * TESTS))" "$(export_jsonl "$T/sh.db" 5 | jq -rs '"\(length)|\(map(.item_key) | unique | length)"')"
check stream_shards_results_equal "$(results "$T/m.db" 1 | md5sum)" "$(results "$T/sh.db" 5 | md5sum)"
check stream_shards_requests $((2 * TESTS)) "$(requests sh)"

# 4. A bad row far into a streamed CSV: its position, and no request.
start_mock bad "$D/rules.yaml"
mkdir -p "$T/b"
cp "$T/s/s.yaml" "$T/b/s.yaml"
awk -v n=5000 'BEGIN { print "q,__expected,__description"
	for (i = 1; i <= n; i++) {
		if (i == 4800) printf "Repeat the word \"w%d\" oops,w%d,\n", i, i
		else printf "Repeat the word w%d,w%d,\n", i, i } }' >"$T/b/cases.csv"
ASSAY_LIMITS=$STR "$ASSAY" run "$T/b/s.yaml" --db "$T/b.db" --no-cache --no-progress-bar --no-table >/dev/null 2>"$T/b.err"
check stream_bad_row_exit 1 $?
check_grep stream_bad_row_position "cases.csv:4801:17: error: malformed CSV" "$T/b.err"
check stream_bad_row_no_request 0 "$(requests bad)"

# 5. The file edited in place during the run: the run stops with the
# file's position; the results before are kept.
sed 's/latency_ms: 8/latency_ms: 20/' "$D/rules.yaml" >"$T/slow2.yaml"
start_mock ed "$T/slow2.yaml"
mkdir -p "$T/e"
cp "$T/s/s.yaml" "$T/s/cases.csv" "$T/e/"
ASSAY_LIMITS=stream_tests=40 "$ASSAY" run "$T/e/s.yaml" --db "$T/e.db" -j 2 --no-cache --no-progress-bar --no-table >/dev/null 2>"$T/e.err" &
EPID=$!
i=0; while [ "$(sqlite3 "$T/e.db" 'select count(*) from results' 2>/dev/null || echo 0)" -lt 20 ] && [ $i -lt 600 ]; do sleep 0.02; i=$((i+1)); done
# same length, different bytes, at the end (a chunk the run reads again
# later), written in place: a file replaced by rename is not seen, the
# descriptor opened at load still reads the file validated
OFF=$(grep -abo 'w700,' "$T/e/cases.csv" | tail -1 | cut -d: -f1)
printf x | dd of="$T/e/cases.csv" bs=1 seek="$OFF" conv=notrunc 2>/dev/null
wait $EPID
check_grep stream_edited_stops "cases.csv:[0-9]+:1: error: the file changed since the suite was loaded" "$T/e.err"
check stream_edited_kept yes "$([ "$(sqlite3 "$T/e.db" 'select count(*) from results')" -ge 20 ] && echo yes || echo no)"
requests ed >/dev/null

# 6. The summary's latency quantiles of a group larger than the summary
# reads whole (store_quantile.c): equal to the type-7 quantiles of the
# values sorted by SQLite.  The streamed run's rows, repeated 80 times
# with spread, tied and skewed latencies (~110,000 values in group 0).
cp "$T/s.db" "$T/q.db"
sqlite3 "$T/q.db" "WITH RECURSIVE k(r) AS (SELECT 1 UNION ALL SELECT r + 1 FROM k WHERE r < 80)
	INSERT INTO results (run_id, case_idx, prompt_idx, provider_idx, repeat, latency_ms, pass, score, item_key)
	SELECT run_id, case_idx, prompt_idx, provider_idx, r,
	       CASE WHEN (case_idx + r) % 5 = 0 THEN 250.0
	            WHEN (case_idx + r) % 7 = 0 THEN ((case_idx * 7919 + r * 104729) % 100000) * 3.0 + 0.125
	            ELSE 40 + ((case_idx * 31 + r * 17) % 977) / 8.0 END,
	       pass, score, item_key
	FROM results, k WHERE run_id = 1"
ref_quantile() { # DB PROVIDER Q: type 7 over the values SQLite sorts
	sqlite3 "$1" "SELECT latency_ms FROM results WHERE run_id = 1 AND provider_idx = $2
		AND prompt_idx = 0 AND error_kind IS NULL AND cached = 0 AND latency_ms IS NOT NULL
		ORDER BY latency_ms" | awk -v q="$3" '{ v[NR - 1] = $1 } END {
		h = (NR - 1) * q; j = int(h); f = h - j
		printf "%.6f\n", (j + 1 < NR) ? v[j] + f * (v[j + 1] - v[j]) : v[NR - 1] }'
}
"$ASSAY" export 1 --db "$T/q.db" -o "$T/q.json" >/dev/null 2>&1
for pv in 0 1; do
	for qq in 50 95; do
		GOT=$(jq -r --argjson p $pv ".. | objects | select(has(\"latency_p${qq}_ms\")) | select(.provider_idx == \$p) | .latency_p${qq}_ms" "$T/q.json" | head -1 | awk '{ printf "%.6f\n", $1 }')
		check stream_summary_p${qq}_provider$pv "$(ref_quantile "$T/q.db" $pv 0.$qq)" "$GOT"
		[ -n "${STREAM_DEBUG:-}" ] && echo "# p$qq provider $pv: $GOT"
	done
done
check stream_summary_group_large yes "$([ "$(sqlite3 "$T/q.db" 'select count(*) from results where run_id = 1 and provider_idx = 0')" -gt 65536 ] && echo yes || echo no)"
