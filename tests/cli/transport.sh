#!/bin/sh
# transport.sh — per-provider transport settings end to end against
# `assay mock`: rpm budgets and max_concurrency (lower bounds on wall
# time only), first-byte and idle timeouts, streaming with time to first
# token, Retry-After honoured and recorded, 4xx not retried, the cache.
. "$(dirname "$0")/../lib.sh"
D=$(cd "$(dirname "$0")/../data/transport" && pwd)
start_mock m "$D/rules.yaml" --quiet
ms() { date +%s%3N; }

suite() { # file model n config
	{
		echo 'prompts: ["Please answer case {{n}}"]'
		echo "providers:"
		echo "  - id: openai:chat:$2"
		echo "    config: {apiBaseUrl: \"$BASE\", $4}"
		echo "tests:"
		i=0; while [ $i -lt "$3" ]; do echo "  - vars: {n: $i}"; echo "    assert: [{type: equals, value: \"answer $i\"}]"; i=$((i+1)); done
	} >"$T/$1"
}
q() { sqlite3 "$T/.assay/assay.db" "$1"; }
last="(select max(id) from runs)"

# rpm: 300/min is 5 a second with one second of burst: 12 requests need > 1 s.
suite rpm.yaml fast 12 "rpm: 300"
t0=$(ms); "$ASSAY" run "$T/rpm.yaml" -j 12 --no-progress-bar --no-table --no-cache >/dev/null 2>&1; rc=$?; t1=$(ms)
check rpm_all_pass 0 $rc
if [ $((t1 - t0)) -ge 1000 ]; then ok rpm_budget_spaces_requests; else fail rpm_budget_spaces_requests "12 requests at rpm 300 took $((t1 - t0)) ms"; fi

# max_concurrency 2 with 200 ms per request: 8 requests need 4 waves.
suite conc.yaml slow 8 "max_concurrency: 2"
t0=$(ms); "$ASSAY" run "$T/conc.yaml" -j 8 --no-progress-bar --no-table --no-cache >/dev/null 2>&1; rc=$?; t1=$(ms)
check max_concurrency_all_pass 0 $rc
if [ $((t1 - t0)) -ge 780 ]; then ok max_concurrency_limits_in_flight; else fail max_concurrency_limits_in_flight "took $((t1 - t0)) ms"; fi

# A server that never answers: the first-byte timeout fires, no retry.
suite hang.yaml hangs 2 "first_byte_timeout_ms: 300, max_retries: 0"
"$ASSAY" run "$T/hang.yaml" --no-progress-bar --no-table >/dev/null 2>&1
check first_byte_timeout_exit 1 $?
check first_byte_timeout_kind "timeout" "$(q "select distinct error_kind from results where run_id=$last")"
check_grep first_byte_timeout_message 'first-byte' "$T/.assay/assay.db"

# A stream that goes quiet: the idle timeout fires.
suite drip.yaml drips 1 "stream: true, idle_timeout_ms: 300, max_retries: 0"
"$ASSAY" run "$T/drip.yaml" --no-progress-bar --no-table >/dev/null 2>&1
check idle_timeout_kind "timeout" "$(q "select error_kind from results where run_id=$last")"

# Streaming: the output is whole and time to first token is recorded.
suite stream.yaml slow 3 "stream: true"
"$ASSAY" run "$T/stream.yaml" --no-progress-bar --no-table --no-cache >/dev/null 2>&1
check stream_all_pass 0 $?
check stream_ttft_recorded 3 "$(q "select count(*) from results where run_id=$last and ttft_ms > 0 and ttft_ms <= latency_ms")"

# 429s with retry-after-ms 300: every case ends answered, waits recorded.
suite limited.yaml limited 12 "max_retries: 10"
"$ASSAY" run "$T/limited.yaml" -j 4 --no-progress-bar --no-table --no-cache >/dev/null 2>&1
check rate_limited_all_pass 0 $?
check rate_limited_no_errors 0 "$(q "select count(*) from results where run_id=$last and error_kind is not null")"
n=$(q "select count(*) from results where run_id=$last and retries > 0 and retry_wait_ms >= 300")
if [ "$n" -gt 0 ]; then ok retry_after_honoured_and_recorded; else fail retry_after_honoured_and_recorded "no result waited ≥ 300 ms"; fi

# A 404 (unknown model) is the request's fault: not retried.
suite notfound.yaml no-such-model 1 "max_retries: 5"
"$ASSAY" run "$T/notfound.yaml" --no-progress-bar --no-table >/dev/null 2>&1
check http_404_not_retried "http|404|0" "$(q "select error_kind, http_status, retries from results where run_id=$last")"

# The cache: a second run pays nothing; --no-cache asks again.
suite cache.yaml fast 5 "temperature: 0"
"$ASSAY" run "$T/cache.yaml" --no-progress-bar --no-table >/dev/null 2>&1
check cache_first_run_not_cached 0 "$(q "select sum(cached) from results where run_id=$last")"
"$ASSAY" run "$T/cache.yaml" --no-progress-bar --no-table >/dev/null 2>&1
check cache_second_run_cached 5 "$(q "select sum(cached) from results where run_id=$last and pass=1")"
"$ASSAY" run "$T/cache.yaml" --no-progress-bar --no-table --no-cache >/dev/null 2>&1
check cache_bypassed 0 "$(q "select sum(cached) from results where run_id=$last")"
"$ASSAY" run "$T/cache.yaml" --repeat 2 --no-progress-bar --no-table >/dev/null 2>&1
check cache_repeat_is_a_new_sample 5 "$(q "select sum(cached) from results where run_id=$last")"
