#!/bin/sh
# reliability.sh — issue 3's reliability tests: a 1,000-case suite run with
# `assay run -j 32` against `assay mock` injecting each fault in turn (and
# all of them mixed) on 20% of the requests, with and without retries;
# kill -9 mid-run; the Anthropic protocol end to end.  The store (read
# through `assay export`) is the witness: every case ends as a result or as an error with its cause,
# counts add up, transient faults retried end as results, the cache never
# holds an error, and a killed run keeps what it completed.
. "$(dirname "$0")/../lib.sh"
D=$(cd "$(dirname "$0")/../data/reliability" && pwd)
N=1000
FAULTS="rate_limit server_error unavailable reset stream_cut malformed wrong_content_type hang mixed"

# cases.csv: N cases "Repeat the word wI" → equals wI
gen_cases() { # FILE COUNT
	awk -v n="$2" 'BEGIN { print "q,__expected"; for (i = 1; i <= n; i++) printf "Repeat the word w%d,w%d\n", i, i }' >"$1"
}
gen_cases "$T/cases.csv" $N

# suite FILE RETRIES: one provider per mock model (= fault); stream_cut
# and mixed stream, hang has short timeouts.
suite() {
	{
		echo "description: reliability"
		echo "prompts: [\"{{q}}\"]"
		echo "providers:"
		for f in $FAULTS; do
			echo "  - id: openai:chat:$f"
			printf '    config: {max_retries: %s, retry_base_ms: 5, retry_max_ms: 50' "$2"
			case $f in
			stream_cut|mixed) printf ', stream: true' ;;
			esac
			case $f in
			hang|mixed) printf ', timeout_ms: 2000, first_byte_timeout_ms: 250' ;;
			esac
			echo "}"
		done
		echo "tests: [file://cases.csv]"
	} >"$1"
}

start_mock m "$D/rules.yaml" --quiet
MAIN_PORT=$PORT
export OPENAI_API_KEY=sk-reliability-test
use_main_mock() {
	PORT=$MAIN_PORT
	BASE="http://127.0.0.1:$PORT/v1"
	export OPENAI_BASE_URL="$BASE"
}

# requests MOCK_NAME: how many chat requests that (non-quiet) mock got,
# from the line it logs when stopped.
requests() {
	kill -TERM "$(cat "$T/$1.pid")"
	i=0; while kill -0 "$(cat "$T/$1.pid")" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
	rm -f "$T/$1.pid"
	sed -n 's/.*stopping after \([0-9]*\) requests.*/\1/p' "$T/$1.log"
}

# The results are read through `assay export`: snap DB RUN saves the run's
# results (JSON lines) as DB.jsonl; jr DB JQ runs jq -r over them, and
# pq DB FAULT "jq condition" counts one provider's results that meet it.
# The cache table, the integrity check and the raw status of a killed run
# are the SQLite file itself: sqlite3 reads those (q).
snap() { export_jsonl "$1" "$2" >"$1.jsonl"; }
jr() { jq -rs "$2" "$1.jsonl"; }
pq() { jr "$1" "map(select(.provider_id == \"openai:chat:$2\" and ($3))) | length"; }
q() { sqlite3 "$1" "$2"; }
exit_ok() { # NAME STATUS ALLOWED...
	name=$1; st=$2; shift 2
	for a in "$@"; do [ "$st" = "$a" ] && { ok "$name"; return; }; done
	fail "$name" "exit status $st (want one of: $*)"
}

# ---- 1. Each fault at 20%, retries enabled: no errors at all -------------
mkdir -p "$T/retry"
cp "$T/cases.csv" "$T/retry/"
suite "$T/retry/suite.yaml" 8
t0=$(date +%s)
# one store per directory: ASSAY_DB names it (lib.sh)
export ASSAY_DB="$T/retry/.assay/assay.db"
"$ASSAY" run "$T/retry/suite.yaml" -j 32 --no-progress-bar --no-table \
	>"$T/retry/out.txt" 2>"$T/retry/err.txt"
st=$?
t1=$(date +%s)
echo "# retries: 9 x $N cases in $((t1 - t0)) s, exit $st"
exit_ok reliability_retry_exit_status "$st" 0 100
DB="$T/retry/.assay/assay.db"
snap "$DB" latest
for f in $FAULTS; do
	check "reliability_retry_${f}_all_stored" $N "$(pq "$DB" $f true)"
	check "reliability_retry_${f}_no_errors" 0 "$(pq "$DB" $f '.error != null')"
	check "reliability_retry_${f}_counts_add_up" $N \
		"$(( $(pq "$DB" $f '.pass == true') + $(pq "$DB" $f '.pass == false') + $(pq "$DB" $f '.error != null') ))"
	n=$(pq "$DB" $f '.retries > 0')
	if [ "$n" -gt 0 ]; then ok "reliability_retry_${f}_retried"
	else fail "reliability_retry_${f}_retried" "no result has retries > 0"; fi
done
check reliability_retry_fails_are_model_fails 0 \
	"$(jr "$DB" 'map(select(.pass == false and .output != null and .output != "I would rather not.")) | length')"
check reliability_retry_cache_equals_successes \
	"$(jr "$DB" 'map(select(.error == null and .cached == false)) | length')" \
	"$(q "$DB" "select count(*) from cache")"

# ---- 2. The same without retries: every fault is an error with its cause -
# (its own mock, with the request log on, so that its request count can
# be compared with the attempts the database records)
start_mock once "$D/rules.yaml"
mkdir -p "$T/once"
cp "$T/cases.csv" "$T/once/"
suite "$T/once/suite.yaml" 0
t0=$(date +%s)
export ASSAY_DB="$T/once/.assay/assay.db"
"$ASSAY" run "$T/once/suite.yaml" -j 32 --no-progress-bar --no-table \
	>"$T/once/out.txt" 2>"$T/once/err.txt"
st=$?
t1=$(date +%s)
echo "# no retries: 9 x $N cases in $((t1 - t0)) s, exit $st"
# errors and failed tests: 100 (1 is for errors when no test failed)
check reliability_once_exit_status_100 100 "$st"
DB="$T/once/.assay/assay.db"
snap "$DB" latest
# Every request the server saw is a recorded attempt: results + retries
# (libcurl's own re-send of a request whose reused keep-alive connection
# was reset counts as a retry: the engine sees it in libcurl's debug text).
check reliability_once_every_request_recorded "$(requests once)" \
	"$(jr "$DB" 'map(select(.cached == false)) | length + (map(.retries) | add)')"
echo "# requests per model: $(awk '$1 == "mock:" { n[$3]++ } END { for (m in n) printf "%s=%d ", m, n[m] }' "$T/once.log")"
use_main_mock
for f in $FAULTS; do
	check "reliability_once_${f}_all_stored" $N "$(pq "$DB" $f true)"
	e=$(pq "$DB" $f '.error != null')
	check "reliability_once_${f}_counts_add_up" $N \
		"$(( $(pq "$DB" $f '.pass == true') + $(pq "$DB" $f '.pass == false') + e ))"
	# 20% of 1,000 draws: 200 ± 4 standard deviations.  A reset on a
	# reused connection is re-sent once by libcurl (not a retry since
	# issue 15: a reset with no reply reads as "never reached"), so for
	# `reset` the faults are the errors plus any re-sent results.
	[ "$f" = reset ] && e=$((e + $(pq "$DB" $f '.retries > 0')))
	if [ "$e" -ge 150 ] && [ "$e" -le 250 ]; then ok "reliability_once_${f}_errors_about_20pct"
	else fail "reliability_once_${f}_errors_about_20pct" "$e errors"; fi
	check "reliability_once_${f}_errors_have_a_cause" 0 \
		"$(pq "$DB" $f '.error != null and ((.error.message // "") == "" or .pass != null or .output != null)')"
done
kinds() { jr "$DB" "map(select(.provider_id == \"openai:chat:$1\" and .error != null)
	| .error | .kind + (if .http_status != null then \":\(.http_status)\" else \"\" end))
	| unique | join(\" \")"; }
check reliability_once_rate_limit_kind "http:429" "$(kinds rate_limit)"
check reliability_once_server_error_kind "http:500" "$(kinds server_error)"
check reliability_once_unavailable_kind "http:503" "$(kinds unavailable)"
check reliability_once_reset_kind "connect" "$(kinds reset | sed 's/:0//g')"
check reliability_once_stream_cut_kind "body:200" "$(kinds stream_cut)"
check reliability_once_malformed_kind "body:200" "$(kinds malformed)"
check reliability_once_wrong_content_type_kind "body:200" "$(kinds wrong_content_type)"
check reliability_once_hang_kind "timeout" "$(kinds hang | sed 's/:0//g')"
m=$(kinds mixed | sed 's/:0//g')
# A reset on a reused connection is re-sent by libcurl (a retry, not an
# error) — whether a connection was reused depends on timing — so the
# resets show up as connect errors, re-sent results, or both.
resent=$(pq "$DB" mixed '.retries > 0')
for k in http:429 http:500 http:503 connect body:200 timeout; do
	case " $m " in
	*" $k "*) ok "reliability_once_mixed_has_$k" ;;
	*) if [ "$k" = connect ] && [ "$resent" -gt 0 ]; then ok "reliability_once_mixed_has_$k"
	   else fail "reliability_once_mixed_has_$k" "kinds: $m"; fi ;;
	esac
done
check reliability_once_cache_never_stores_errors \
	"$(jr "$DB" 'map(select(.error == null and .cached == false)) | length')" \
	"$(q "$DB" "select count(*) from cache")"
check reliability_once_no_cached_error 0 \
	"$(q "$DB" "select count(*) from cache where response not like '%\"output\"%'")"

# ---- 1b. Retry-After in whole seconds is honoured ------------------------
# (40 cases, 20% 429 with Retry-After: 1; the engine's own backoff is at
# most 4 x retry_max_ms = 200 ms, so taking a second or more means the hint
# was followed)
mkdir -p "$T/ra"
gen_cases "$T/ra/cases.csv" 40
cat >"$T/ra/suite.yaml" <<Y
prompts: ["{{q}}"]
providers:
  - id: openai:chat:rate_limit_1s
    config: {max_retries: 8, retry_base_ms: 5, retry_max_ms: 50}
tests: [file://cases.csv]
Y
t0=$(date +%s%N)
export ASSAY_DB="$T/ra/.assay/assay.db"
"$ASSAY" run "$T/ra/suite.yaml" -j 32 --no-progress-bar --no-table >/dev/null 2>&1
check reliability_retry_after_exit 0 $?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
DB="$T/ra/.assay/assay.db"
snap "$DB" latest
check reliability_retry_after_no_errors 0 "$(jr "$DB" 'map(select(.error != null)) | length')"
if [ "$ms" -ge 1000 ] && [ "$ms" -lt 30000 ]; then ok reliability_retry_after_waited
else fail reliability_retry_after_waited "40 cases took $ms ms"; fi
echo "# Retry-After: 1 s, 40 cases: $ms ms"

# ---- 3. kill -9 mid-run --------------------------------------------------
mkdir -p "$T/kill"
gen_cases "$T/kill/cases.csv" 2000
cat >"$T/kill/suite.yaml" <<Y
prompts: ["{{q}}"]
providers: [openai:chat:slow]
tests: [file://cases.csv]
Y
export ASSAY_DB="$T/kill/.assay/assay.db"
"$ASSAY" run "$T/kill/suite.yaml" -j 32 --no-progress-bar --no-table >/dev/null 2>&1 &
pid=$!
DB="$T/kill/.assay/assay.db"
# kill -9 once some results are committed (waited for, at most 60 s: on a
# loaded machine the first commit can take longer than any fixed sleep);
# the whole run takes >= 3 s (2000 cases x 50 ms / 32), so most are left
i=0
while [ "$(q "$DB" 'select count(*) from results' 2>/dev/null || echo 0)" = 0 ] &&
	kill -0 $pid 2>/dev/null && [ $i -lt 1200 ]; do
	sleep 0.05; i=$((i + 1))
done
kill -9 $pid
wait $pid 2>/dev/null
check reliability_kill_integrity ok "$(q "$DB" 'pragma integrity_check')"
snap "$DB" 1
kept=$(jr "$DB" length)
cache=$(q "$DB" 'select count(*) from cache')
echo "# kill -9 after the first commit: $kept results kept, $cache cache rows"
if [ "$kept" -gt 0 ] && [ "$kept" -lt 2000 ]; then ok reliability_kill_keeps_results
else fail reliability_kill_keeps_results "$kept results"; fi
check reliability_kill_run_not_done running "$(q "$DB" 'select status from runs')"
"$ASSAY" run "$T/kill/suite.yaml" -j 32 --no-progress-bar --no-table >/dev/null 2>&1
check reliability_kill_rerun_exit 0 $?
snap "$DB" 2
check reliability_kill_rerun_complete 2000 "$(jr "$DB" 'map(select(.error == null)) | length')"
check reliability_kill_rerun_served_from_cache "$cache" "$(jr "$DB" 'map(select(.cached == true)) | length')"

# ---- 4. Anthropic end to end ---------------------------------------------
mkdir -p "$T/anth"
gen_cases "$T/anth/cases.csv" 200
cat >"$T/anth/suite.yaml" <<Y
prompts: ["{{q}}"]
providers:
  - id: anthropic:messages:claude-mock
    label: plain
    config: {apiBaseUrl: "http://127.0.0.1:$PORT", max_tokens: 50}
  - id: anthropic:messages:claude-mock
    label: streamed
    config: {apiBaseUrl: "http://127.0.0.1:$PORT", max_tokens: 50, stream: true}
  - id: anthropic:messages:mixed
    label: faulty
    config: {apiBaseUrl: "http://127.0.0.1:$PORT", stream: true, max_retries: 8,
             retry_base_ms: 5, retry_max_ms: 50, first_byte_timeout_ms: 250}
tests: [file://cases.csv]
Y
export ASSAY_DB="$T/anth/.assay/assay.db"
ANTHROPIC_API_KEY=sk-ant-test "$ASSAY" run "$T/anth/suite.yaml" -j 32 --no-progress-bar --no-table \
	>"$T/anth/out.txt" 2>&1
exit_ok reliability_anthropic_exit "$?" 0 100
DB="$T/anth/.assay/assay.db"
snap "$DB" latest
check reliability_anthropic_all_stored 600 "$(jr "$DB" length)"
check reliability_anthropic_no_errors 0 "$(jr "$DB" 'map(select(.error != null)) | length')"
# the "*" model has accuracy 1: every answer right, in both modes
check reliability_anthropic_right_answers 400 "$(jr "$DB" 'map(select(.provider_idx < 2 and .pass == true and .output == .prompt[16:])) | length')"
check reliability_anthropic_token_counts 600 "$(jr "$DB" 'map(select(
	.tokens.prompt == (((.prompt | length) + 3) / 4 | floor) and
	.tokens.completion == ([1, (((.output | length) + 3) / 4 | floor)] | max) and
	.tokens.total == .tokens.prompt + .tokens.completion)) | length')"
check reliability_anthropic_stop_reason "end_turn" "$(jr "$DB" 'map(.finish_reason) | unique | join(",")')"
n=$(jr "$DB" 'map(select(.provider_idx == 1 and .ttft_ms != null and .ttft_ms >= 0)) | length')
check reliability_anthropic_stream_ttft 200 "$n"
n=$(jr "$DB" 'map(select(.provider_idx == 2 and .retries > 0)) | length')
if [ "$n" -gt 0 ]; then ok reliability_anthropic_faults_retried; else fail reliability_anthropic_faults_retried "none retried"; fi
