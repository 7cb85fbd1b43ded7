#!/bin/sh
# load.sh — `assay load` against `assay mock`'s queueing model (docs/load.md).
# Model: q4 has 4 slots × 50 ms service = capacity 80 requests/s; with
# constant arrivals below capacity no request waits (latency = 50 ms,
# throughput = offered rate); above it the backlog grows by (λ − 80)/s and
# throughput is 80/s.  Tolerances are generous (the machine is shared):
# ±20 % on rates, latency bounds of roughly ×2.
. "$(dirname "$0")/../lib.sh"
D=$(cd "$(dirname "$0")/../data/load" && pwd)
start_mock m "$D/rules.yaml" --quiet
cd "$T" || exit 1

suite() { # file model extra-config
	cat >"$1" <<YAML
prompts: ["Q {{n}}"]
providers:
  - id: openai:chat:$2
    label: $2
    config: {apiBaseUrl: "$BASE", max_tokens: 5, cost: {input_per_mtok: 10000, output_per_mtok: 10000}$3}
tests:
  - vars: {n: 1}
    assert: [{type: contains, value: "Q 1"}]
  - vars: {n: 2}
    assert: [{type: contains, value: "Q 2"}]
  - vars: {n: 3}
    assert: [{type: contains, value: "never"}]
YAML
}
suite q4.yaml q4
suite slow.yaml slow
jqv() { jq -r "$1" "$2"; }
# in_range NAME VALUE LO HI
in_range() {
	if awk -v v="$2" -v lo="$3" -v hi="$4" 'BEGIN { exit !(v != "null" && v >= lo && v <= hi) }'; then
		ok "$1"; else fail "$1" "$2 not in [$3, $4]"; fi
}

# 1. The ramp against the queueing model, stopped by the SLO: 14, 28, 56
# requests/s (at most 70 % of capacity: no waiting), then 112 (140 %).
"$ASSAY" load q4.yaml --ramp 14..200x2 --duration 1s --slo 'p95<300ms' \
	--db "$T/db" -o ramp.json >ramp.out 2>ramp.err
check ramp_exit 0 $?
check ramp_steps "4" "$(jqv '.candidates[0].steps | length' ramp.json)"
for i in 0 1 2; do
	off=$(jqv ".candidates[0].steps[$i].offered_rps" ramp.json)
	in_range "ramp_below_capacity_throughput_$i" "$(jqv ".candidates[0].steps[$i].achieved_rps" ramp.json)" \
		"$(awk -v o="$off" 'BEGIN{print o*0.8}')" "$(awk -v o="$off" 'BEGIN{print o*1.2}')"
	in_range "ramp_below_capacity_p50_$i" "$(jqv ".candidates[0].steps[$i].latency_ms.p50" ramp.json)" 45 100
	check "ramp_below_capacity_pass_$i" pass "$(jqv ".candidates[0].steps[$i].verdict" ramp.json)"
done
# 112/s for 1 s: throughput 80/s; the backlog grows by 32/s, so the last
# arrival waits ≈ 32/80 s: max latency ≈ 0.4 s + 50 ms
in_range ramp_overload_throughput "$(jqv '.candidates[0].steps[3].achieved_rps' ramp.json)" 60 95
in_range ramp_overload_max_latency "$(jqv '.candidates[0].steps[3].latency_ms.max' ramp.json)" 200 900
check ramp_overload_fails fail "$(jqv '.candidates[0].steps[3].verdict' ramp.json)"
check ramp_overload_backlog true "$(jqv '.candidates[0].steps[3].backlog_growing' ramp.json)"
check ramp_sustained 56 "$(jqv '.candidates[0].summary.sustained_rps' ramp.json)"
check ramp_interval_brackets_capacity 1 "$(jqv '.candidates[0].summary.sustained_interval_rps | if .[0] <= 80 and .[1] > 80 then 1 else 0 end' ramp.json)"
check ramp_knee 56 "$(jqv '.candidates[0].summary.knee_rps' ramp.json)"
check ramp_quality_pass_rate 1 "$(jqv '[.candidates[0].steps[0:3][] | .pass_rate | select(. > 0.6 and . < 0.72)] | length | if . == 3 then 1 else 0 end' ramp.json)"
check_grep ramp_text_sustained 'highest rate sustained: 56.0 req/s' ramp.out
"$ASSAY" show --db "$T/db" latest >show.out 2>&1
check_grep show_prints_load_run 'knee of the p95 latency curve: 56.0' show.out
"$ASSAY" load --show latest --db "$T/db" -o shown.json >/dev/null 2>&1
check show_json_same "$(jqv '.candidates[0].summary.knee_rps' ramp.json)" "$(jqv '.candidates[0].summary.knee_rps' shown.json)"
"$ASSAY" show --db "$T/db" latest -o shown.csv >/dev/null 2>csv.err
check show_load_csv_refused 1 $?
check_grep show_load_csv_refused_msg 'shown.csv: a load run is written as .json or .html' csv.err
"$ASSAY" report --db "$T/db" latest -o ramp.html >/dev/null 2>html.err
check html_report_exit 0 $?
check_grep html_report_slo_line 'SLO 300 ms' ramp.html
check html_report_sustained 'Highest rate sustained: <b>56.0 req/s</b>' "$(grep -o 'Highest rate sustained: <b>[0-9.]* req/s</b>' ramp.html)"
check html_report_points 4 "$(grep -c '<title>p95 ' ramp.html)"
check html_report_no_script 0 "$(grep -ci '<script' ramp.html)"
"$ASSAY" load --show latest --db "$T/db" -o shown.html >/dev/null 2>&1
check html_from_load_show 1 "$(cmp -s ramp.html shown.html && echo 1 || echo 0)"
# `assay export RUN -o x.html` shares `assay report`'s code path: a load
# run's page there too (before: the eval report of a run without results)
"$ASSAY" export latest --db "$T/db" -o exported.html >/dev/null 2>&1
check html_from_export 1 "$(cmp -s ramp.html exported.html && echo 1 || echo 0)"
sed 's/label: q4/label: "<img src=x onerror=alert(1)>"/' q4.yaml >xss.yaml
"$ASSAY" load xss.yaml --rate 5 --duration 0.5s --db "$T/dbx" -o xss.html >/dev/null 2>&1
check html_escapes_labels 0 "$(grep -c '<img' xss.html)"
check_grep html_escaped_label '&lt;img src=x onerror=alert\(1\)&gt;' xss.html
check stored_steps 4 "$(sqlite3 "$T/db" 'select count(*) from load_steps')"

# 2. Arrivals stay on schedule while every answer takes 400 ms: 40/s for
# 1 s is 40 sends 25 ms apart.  A closed-loop client would be ≥ 400 ms
# behind; the bounds (median lag < 10 ms, max < 200 ms) leave room for a
# loaded machine and still tell the two apart.
"$ASSAY" load slow.yaml --rate 40 --duration 1s --db "$T/db2" -o slow.json >/dev/null 2>&1
check schedule_exit 0 $?
q2() { sqlite3 "$T/db2" "$1"; }
check schedule_sends 40 "$(q2 'select count(*) from load_requests')"
in_range schedule_max_lag "$(q2 'select max(sent_ms - intended_ms) from load_requests')" 0 200
in_range schedule_median_lag "$(q2 'select sent_ms - intended_ms from load_requests order by 1 limit 1 offset 19')" 0 10
in_range schedule_spacing "$(q2 'select (max(intended_ms) - min(intended_ms)) / 39.0 from load_requests')" 24.9 25.1
in_range schedule_sent_before_answers "$(q2 "select count(*) from load_requests where sent_ms < 400")" 15 40
in_range schedule_latency "$(jqv '.candidates[0].steps[0].latency_ms.p50' slow.json)" 395 800
# The scheduler's own figures: the share on time is (sent − late) / sent,
# the late sends explained by run-queue wait are a part of the late ones,
# and the text output prints the line for the step.
check schedule_on_time_share 1 "$(jqv '.candidates[0].steps[0] | if (.on_time_share - (.sent - .late_sends) / .sent | fabs) < 1e-9 then 1 else 0 end' slow.json)"
check schedule_late_runq_bounded 1 "$(jqv '.candidates[0].steps[0] | if .late_by_runq <= .late_sends and .late_lag_runq_ms <= .late_lag_ms + 1e-9 and .runq_wait_ms >= 0 then 1 else 0 end' slow.json)"
check schedule_late_matches_store "$(jqv '.candidates[0].steps[0].late_sends' slow.json)" "$(q2 'select count(*) from load_requests where sent_ms - intended_ms > 1')"
"$ASSAY" show --db "$T/db2" latest >slow_show.out 2>&1
check_grep schedule_text_line 'sends vs schedule at 40\.0/s: [0-9.]+% within 1 ms \(lag p50 ' slow_show.out

# 2c. Where late sends' lag went: a loop overloaded by its own grading
# (a Lua assertion that burns ≥ 10 ms of CPU per answer, answers 400 ms
# after each send at 50/s) must show its late sends as the loop's own
# work; the causes add up to the late sends and the parts to their lag.
# No share within 1 ms is asserted: only where the lag went.
cat >burn.yaml <<YAML
prompts: ["Q {{n}}"]
providers:
  - id: openai:chat:slow
    config: {apiBaseUrl: "$BASE"}
tests:
  - vars: {n: 1}
    assert: [{type: lua, value: "local t = 0 for i = 1, 5000000 do t = t + i end return t > 0"}]
YAML
"$ASSAY" load burn.yaml --rate 50 --duration 1s --db "$T/dbb" -o burn.json >burn.out 2>&1
check burn_exit 0 $?
in_range burn_late_by_own "$(jqv '.candidates[0].steps[0].late_by_own' burn.json)" 5 50
check burn_own_part_largest 1 "$(jqv '.candidates[0].steps[0].late_lag_parts_ms | if .own > .timer and .own > .offcpu and .own > .held then 1 else 0 end' burn.json)"
check burn_causes_add_up "$(jqv '.candidates[0].steps[0].late_sends' burn.json)" "$(jqv '.candidates[0].steps[0].late_causes | add' burn.json)"
check burn_parts_add_up 1 "$(jqv '.candidates[0].steps[0] | if ((.late_lag_parts_ms | add) - .late_lag_ms | fabs) < 1e-6 * (.late_lag_ms + 1) then 1 else 0 end' burn.json)"
check burn_own_share 1 "$(jqv '.candidates[0].steps[0] | if (.own_on_time_share - (.sent - .late_by_own) / .sent | fabs) < 1e-9 then 1 else 0 end' burn.json)"
# a send waits for at most one answer's grading (plus the machine), not
# for a whole burst: the grade here costs 10–100 ms, a burst 20 of them
in_range burn_max_lag_one_grade "$(sqlite3 "$T/dbb" 'select max(sent_ms - intended_ms) from load_requests')" 0 600
check burn_stored_split "$(jqv '.candidates[0].steps[0].late_by_own' burn.json)" "$(sqlite3 "$T/dbb" "select json_extract(figures, '\$.late_by_own') from load_steps")"
"$ASSAY" show --db "$T/dbb" latest >burn_show.out 2>&1
check_grep burn_show_causes 'by cause: held by -j or budget [0-9]+ \([0-9]+ ms\), run queue [0-9]+' burn_show.out
# a report stored before the split (no late_causes) still prints its line
cp "$T/dbb" "$T/dbb_old"
sqlite3 "$T/dbb_old" "update load_reports set report = json_remove(report, '\$.candidates[0].steps[0].late_causes')"
"$ASSAY" show --db "$T/dbb_old" latest >burn_old.out 2>&1
check_grep burn_old_report_line '[0-9]+ late: [0-9]+ waited for the -j cap' burn_old.out
"$ASSAY" report --db "$T/dbb" latest -o burn.html >/dev/null 2>&1
check burn_html_own_column 1 "$(grep -c "<td>$(jqv '.candidates[0].steps[0].late_sends' burn.json)</td><td>$(jqv '.candidates[0].steps[0].late_by_own' burn.json)</td>" burn.html)"
check_grep burn_text_causes 'own work [0-9]+ \([0-9]+ ms\); late by the loop.s own work alone: [0-9]+' burn.out

# 2b. --realtime: the loop at SCHED_FIFO when allowed (root here); refused
# with the reason, before anything is stored, when not.
if [ "$(id -u)" = 0 ]; then
	"$ASSAY" load slow.yaml --rate 40 --duration 0.5s --realtime --db "$T/db2r" -o rt.json >/dev/null 2>rt.err
	check realtime_exit 0 $?
	check realtime_in_plan true "$(jqv '.plan.realtime' rt.json)"
	check realtime_sends 20 "$(sqlite3 "$T/db2r" 'select count(*) from load_requests')"
	if command -v setpriv >/dev/null 2>&1; then
		U=$(mktemp -d); cp slow.yaml "$U/"; chmod 755 "$U"; chmod 644 "$U/slow.yaml"
		(ulimit -r 0 && setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
			"$ASSAY" load "$U/slow.yaml" --rate 40 --duration 0.5s --realtime \
			--db "$U/db" >/dev/null 2>rt_refused.err)
		check realtime_refused_exit 2 $?
		check_grep realtime_refused_msg '--realtime: cannot use SCHED_FIFO .*CAP_SYS_NICE' rt_refused.err
		check realtime_refused_no_db 0 "$([ -e "$U/db" ] && echo 1 || echo 0)"
		rm -rf "$U"
	else
		echo "skip realtime_refused_exit"
	fi
else
	echo "skip realtime_exit"
fi

# 3. A client that cannot keep up (2 requests in flight, 40/s at most,
# offered 60/s) reports late sends and latencies that include the wait.
"$ASSAY" load q4.yaml --rate 60 --duration 1s -j 2 --db "$T/db3" -o cap.json >cap.out 2>&1
check capped_exit 0 $?
in_range capped_late_sends "$(jqv '.candidates[0].steps[0].late_sends' cap.json)" 20 60
in_range capped_late_for_cap "$(jqv '.candidates[0].steps[0].late_capped' cap.json)" 20 60
in_range capped_cause_held "$(jqv '.candidates[0].steps[0].late_causes.held' cap.json)" 20 60
in_range capped_latency_p95 "$(jqv '.candidates[0].steps[0].latency_ms.p95' cap.json)" 200 100000
in_range capped_service_p50 "$(jqv '.candidates[0].steps[0].service_ms.p50' cap.json)" 45 120
check_grep capped_warning 'sends left late' cap.out
check_grep capped_warning_by_cause 'by cause: [0-9]+ held by -j or budget, [0-9]+ the machine' cap.out

# 4. Budgets are never exceeded.
"$ASSAY" load q4.yaml --rate 50 --duration 1s --max-requests 25 --db "$T/db4" -o nreq.json >/dev/null 2>&1
check max_requests_exit 0 $?
check max_requests_sent 25 "$(sqlite3 "$T/db4" 'select count(*) from load_requests')"
check max_requests_hit true "$(jqv '.totals.budget_hit' nreq.json)"
# reserve per request ≈ (body bytes + 16 + 5) × $0.01 ≈ $1; answers cost ≈ $0.05
"$ASSAY" load q4.yaml --rate 50 --duration 1s --max-cost 2 --db "$T/db5" -o cost.json >/dev/null 2>&1
check max_cost_exit 0 $?
in_range max_cost_spent "$(sqlite3 "$T/db5" 'select sum(cost_usd) from load_requests')" 0.01 2
check max_cost_hit true "$(jqv '.totals.budget_hit' cost.json)"
in_range max_cost_fewer_sent "$(jqv '.totals.requests_sent' cost.json)" 1 49
# sends that waited for reservations in flight are late, and held (by the
# budget, not the -j cap: no slot was ever short)
in_range max_cost_late_held "$(jqv '.candidates[0].steps[0].late_causes.held' cost.json)" 1 49
check max_cost_not_capped 0 "$(jqv '.candidates[0].steps[0].late_capped' cost.json)"
sed 's/max_tokens: 5, //' q4.yaml >nomax.yaml
"$ASSAY" load nomax.yaml --rate 5 --duration 1s --max-cost 2 --db "$T/db6" >/dev/null 2>nomax.err
check max_cost_needs_bound 1 $?
check max_cost_checked_before_run 0 "$([ -e "$T/db6" ] && echo 1 || echo 0)"
check_grep max_cost_needs_bound_msg 'nomax.yaml:[0-9]+:[0-9]+: .*max_tokens' nomax.err

# 5. Poisson arrivals: seeded (the same count twice), a Poisson(40) count
# (40 ± 4.5 sd; bounds ±3.5 sd), gaps that vary.
"$ASSAY" load slow.yaml --rate 40 --duration 1s --arrivals poisson --seed 7 --db "$T/dbp" >/dev/null 2>&1
"$ASSAY" load slow.yaml --rate 40 --duration 1s --arrivals poisson --seed 7 --db "$T/dbp" >/dev/null 2>&1
qp() { sqlite3 "$T/dbp" "$1"; }
check poisson_seeded "$(qp 'select count(*) from load_requests where run_id = 1')" "$(qp 'select count(*) from load_requests where run_id = 2')"
in_range poisson_count "$(qp 'select count(*) from load_requests where run_id = 1')" 24 56
in_range poisson_gap_spread "$(qp 'with g as (select intended_ms - lag(intended_ms) over (order by seq) as d from load_requests where run_id = 1) select max(d) - min(d) from g where d is not null')" 10 100000

# 6. Streaming: time to first token is measured apart from the whole answer
# (30 ms service, then 40 ms between stream events): at least the service
# time, and 100 ms (more than two events) before the end.  The upper bound
# is only a sanity one (a loaded machine stretched a 30 ms TTFT to 220 ms);
# the check that separates the two is the second.
suite stream.yaml streamer ", stream: true"
"$ASSAY" load stream.yaml --rate 10 --duration 1s --db "$T/dbs" -o stream.json >/dev/null 2>&1
check stream_exit 0 $?
in_range stream_ttft_p50 "$(jqv '.candidates[0].steps[0].ttft_ms.p50' stream.json)" 25 1000
check stream_ttft_before_latency 1 "$(jqv '.candidates[0].steps[0] | if .latency_ms.p50 > .ttft_ms.p50 + 100 then 1 else 0 end' stream.json)"

# 7. Degradation under load is visible per step: with a 1 s client
# timeout on q1 (one slot of 50 ms: 20/s), the overloaded step (60/s for
# 1.5 s: the backlog grows by 40/s, so a request sent after ~0.5 s waits
# more than 1 s; ~60 of 90 time out) times out where the light one (5/s:
# no waiting, 50 ms answers, 20x inside the timeout however loaded the
# machine) does not.  (Before: 250 ms against q4's 50 ms answers, which a
# loaded machine could stretch past the timeout.)
suite tmo.yaml q1 ", timeout_ms: 1000"
"$ASSAY" load tmo.yaml --rate 5,60 --duration 1.5s --keep-going --db "$T/dbt" -o tmo.json >/dev/null 2>&1
check timeout_exit 0 $?
check timeout_light_clean 0 "$(jqv '.candidates[0].steps[0].timeouts' tmo.json)"
in_range timeout_overload_errors "$(jqv '.candidates[0].steps[1].timeouts' tmo.json)" 10 1000
in_range timeout_overload_error_rate "$(jqv '.candidates[0].steps[1].error_rate' tmo.json)" 0.05 1

# 7b. Rate limits and unanswered requests are errors, not missing samples:
# a mock answering 40 % of requests with 429 (no retries under load), and
# a 100 ms drain that ends before the last 400 ms answers.
BASE0=$BASE
start_mock rl "$D/rules.yaml" --quiet --faults rate_limit=0.4
suite rl.yaml q4
BASE=$BASE0
"$ASSAY" load rl.yaml --rate 40 --duration 1s --db "$T/dbr" -o rl.json >/dev/null 2>&1
check rate_limit_exit 0 $?
in_range rate_limit_share "$(jqv '.candidates[0].steps[0].rate_429' rl.json)" 0.15 0.65
check rate_limit_counted_as_errors 1 "$(jqv '.candidates[0].steps[0] | if .errors == .http_429 and .error_rate == .rate_429 then 1 else 0 end' rl.json)"
suite drain.yaml slow
"$ASSAY" load drain.yaml --rate 10 --duration 0.5s --drain 100ms --db "$T/dbd" -o drain.json >/dev/null 2>&1
check drain_exit 0 $?
in_range drain_unfinished "$(jqv '.candidates[0].steps[0].unfinished' drain.json)" 1 5
check drain_unfinished_stored "$(jqv '.candidates[0].steps[0].unfinished' drain.json)" "$(sqlite3 "$T/dbd" "select count(*) from load_requests where error = 'unfinished'")"

# 8. --provider picks candidates (by id or label); each candidate gets its
# own ramp, one after the other.
cat q4.yaml >two.yaml
sed -n '/^  - id:/,/^    config:/p' slow.yaml | sed 's/label: slow/label: other/' >two_prov.txt
awk 'NR==FNR { add = add $0 "\n"; next } /^tests:/ { printf "%s", add } { print }' two_prov.txt two.yaml >two2.yaml
"$ASSAY" load two2.yaml --rate 5 --duration 0.5s --db "$T/dbc" -o two.json >/dev/null 2>&1
check two_candidates 2 "$(jqv '.candidates | length' two.json)"
"$ASSAY" load two2.yaml --rate 5 --duration 0.5s --provider other --db "$T/dbc" -o one.json >/dev/null 2>&1
check provider_by_label "openai:chat:slow" "$(jqv '.candidates | map(.id) | join(",")' one.json)"
"$ASSAY" load two2.yaml --rate 5 --duration 0.5s --provider nope --db "$T/dbc" >/dev/null 2>nope.err
check provider_unknown_exit 2 $?
check_grep provider_unknown_msg 'no provider .* matches --provider' nope.err

# 9. Safety and bad input.
sed "s#$BASE#http://192.0.2.1:9/v1#" q4.yaml >remote.yaml
"$ASSAY" load remote.yaml --rate 5 --duration 1s --db "$T/db7" </dev/null >/dev/null 2>remote.err
check remote_refused 2 $?
check_grep remote_refused_msg 'not loopback.*--yes' remote.err
check remote_no_db 0 "$([ -e "$T/db7" ] && echo 1 || echo 0)"
"$ASSAY" load q4.yaml --rate 5 --slo 'p95<fast' >/dev/null 2>slo.err
check bad_slo_exit 2 $?
check_grep bad_slo_msg "'p95<fast'.*pNN<TIME" slo.err
"$ASSAY" load q4.yaml --rate 5 -o out.csv >/dev/null 2>o.err
check bad_output_exit 2 $?
check_grep bad_output_msg "out.csv.*FILE.json or FILE.html" o.err
"$ASSAY" load q4.yaml --rate 10,5 >/dev/null 2>rate.err
check bad_rate_exit 2 $?
check_grep bad_rate_msg 'rates must increase' rate.err

# 10. Ctrl-C stops at once and keeps the measured steps.
"$ASSAY" load q4.yaml --rate 20,40 --duration 2s --db "$T/db8" >int.out 2>int.err &
pid=$!
# interrupt during the second step: once the first is stored (waited for,
# at most 60 s, not a fixed sleep a loaded machine's start-up can outlast)
i=0
while [ "$(sqlite3 "$T/db8" 'select count(*) from load_steps' 2>/dev/null || echo 0)" -lt 1 ] &&
	kill -0 $pid 2>/dev/null && [ $i -lt 1200 ]; do
	sleep 0.05; i=$((i + 1))
done
t0=$(date +%s%3N)
kill -INT $pid
wait $pid
rc=$?
t1=$(date +%s%3N)
check interrupt_exit 1 $rc
in_range interrupt_at_once $((t1 - t0)) 0 1500
"$ASSAY" show --db "$T/db8" latest >int_show.out 2>&1
check_grep interrupt_kept_step '^ +20\.0 .* pass$' int_show.out
check_grep interrupt_marked 'interrupted' int_show.out
