#!/bin/sh
# view.sh — `assay view`'s API with curl against a real run (two mock
# models × 60 cases, tests/data/view/mkrun.sh): grades and pairwise choices
# reach human_grades as sent; the matrix filters and the review queue
# (sample, reviewers per item) count what the run's export counts; and every security rule refuses what it must: a non-loopback
# host without a token, a missing token, a foreign Host header, a POST
# without the CSRF token or from another origin, oversized bodies and
# parameters, bad JSON, paths outside the built-in files.
. "$(dirname "$0")/../lib.sh"
R=$(cd "$(dirname "$0")/../.." && pwd)
start_mock m "$R/tests/data/report/rules.yaml"
"$R/tests/data/view/mkrun.sh" "$T"
DB="$T/.assay/assay.db"
export_jsonl "$DB" 1 >"$T/results.jsonl"
check view_fixture_run "120" "$(grep -c . "$T/results.jsonl")"
# jsonl JQ: jq over the run's results (`assay export`), the counts the
# API must agree with
jsonl() { jq -s "$1" "$T/results.jsonl"; }
# grades: how many grades the run holds (`assay stats`, .human.grades)
grades() {
	"$ASSAY" stats 1 --db "$DB" -o "$T/grades.json" >/dev/null 2>&1
	jq '.human.grades // 0' "$T/grades.json"
}
# the rows of human_grades as stored, and result ids (which no assay
# command prints), are read with sqlite3
sql() { sqlite3 "$DB" "$1"; }

# start_view NAME [args]: sets $V (base URL)
start_view() {
	n=$1; shift
	"$ASSAY" view --db "$DB" --port 0 --port-file "$T/$n.port" "$@" >"$T/$n.log" 2>&1 &
	echo $! >"$T/$n.pid"
	i=0
	while [ ! -s "$T/$n.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
	V="http://127.0.0.1:$(cat "$T/$n.port")"
}
code() { curl -s -o "$T/body" -w '%{http_code}' "$@"; }

# --- refusals at start
"$ASSAY" view --db "$DB" --host 0.0.0.0 --port 0 >"$T/o.out" 2>&1
check view_public_host_needs_token 2 $?
check_grep view_public_host_message "not a loopback address.*--token" "$T/o.out"
"$ASSAY" view --db "$DB" --token short --port 0 >"$T/o.out" 2>&1
check view_short_token_refused 2 $?
"$ASSAY" view --db "$T/none.db" --port 0 >"$T/o.out" 2>&1
check view_missing_db 1 $?

start_view v
# a port in use (the one view v has): a clear error that names the way out
"$ASSAY" view --db "$DB" --port "$(cat "$T/v.port")" >"$T/o.out" 2>&1
check view_port_in_use_exit 1 $?
check_grep view_port_in_use_message "cannot listen on 127.0.0.1 port $(cat "$T/v.port") .*--port 0 picks a free port" "$T/o.out"
CSRF=$(curl -s "$V/api/session" | jq -r .csrf)
check view_session_csrf 64 "${#CSRF}"
check view_index_200 200 "$(code -D "$T/h" "$V/")"
check_grep view_csp_header "Content-Security-Policy: default-src 'none'; script-src 'self'; style-src 'self'" "$T/h"
check view_csp_no_unsafe "" "$(grep -i 'content-security' "$T/h" | grep -o "unsafe-[a-z]*")"
check_grep view_nosniff "X-Content-Type-Options: nosniff" "$T/h"
check view_index_no_inline_script "" "$(grep -o '<script>' "$T/body")"
check view_app_js 200 "$(code "$V/app.js")"
check view_report_css 200 "$(code "$V/report.css")"

# --- grades
RID=$(sql "SELECT id FROM results WHERE case_idx = 3 AND provider_idx = 1")
J='{"result_id":'$RID',"reviewer":"ann","rating":4,"ship":true,"note":"fine <b>x</b>"}'
check view_grade_no_csrf 403 "$(code -H 'Content-Type: application/json' -d "$J" "$V/api/grades")"
check view_grade_wrong_csrf 403 "$(code -H 'Content-Type: application/json' -H 'X-CSRF-Token: 00' -d "$J" "$V/api/grades")"
check view_grade_not_stored_without_csrf 0 "$(grades)"
post() { code -H 'Content-Type: application/json' -H "X-CSRF-Token: $CSRF" "$@"; }
check view_grade_cross_origin 403 "$(post -H 'Origin: http://evil.example' -d "$J" "$V/api/grades")"
check view_grade_not_json_type 415 "$(code -H 'Content-Type: text/plain' -H "X-CSRF-Token: $CSRF" -d "$J" "$V/api/grades")"
check view_grade_ok 200 "$(post -d "$J" "$V/api/grades")"
check view_grade_stored "$RID|ann|rating|4|1|fine <b>x</b>" \
	"$(sql 'SELECT result_id, grader, kind, CAST(rating AS INTEGER), pass, comment FROM human_grades')"
J2='{"result_id":'$RID',"reviewer":"ann","rating":2,"ship":false}'
post -d "$J2" "$V/api/grades" >/dev/null
check view_regrade_replaces "1|2|0" "$(sql 'SELECT COUNT(*), CAST(MAX(rating) AS INTEGER), MAX(pass) FROM human_grades')"
check view_result_shows_grade "ann 2 false" "$(curl -s "$V/api/results/$RID" | jq -r '.grades[0] | "\(.reviewer) \(.rating) \(.ship)"')"
check view_bad_json 400 "$(post -d '{"result_id":' "$V/api/grades")"
check_grep view_bad_json_message "not valid JSON.*line 1" "$T/body"
check view_json_not_object 400 "$(post -d '[1,2]' "$V/api/grades")"
check view_rating_out_of_range 400 "$(post -d '{"result_id":'$RID',"reviewer":"ann","rating":7}' "$V/api/grades")"
check view_rating_wrong_type 400 "$(post -d '{"result_id":"x","reviewer":"ann","rating":3}' "$V/api/grades")"
check view_grade_unknown_result 400 "$(post -d '{"result_id":999999,"reviewer":"ann","rating":3}' "$V/api/grades")"
check view_grade_needs_reviewer 400 "$(post -d '{"result_id":'$RID',"rating":3}' "$V/api/grades")"
head -c 70000 /dev/zero | tr '\0' 'a' >"$T/big"
check view_body_too_large 413 "$(post --data-binary "@$T/big" "$V/api/grades")"
check view_still_alive_after_bad_input 200 "$(code "$V/api/session")"
check view_grades_unchanged_by_bad_input 1 "$(grades)"

# --- paths, hosts, params
for p in '/../../etc/passwd' '/%2e%2e/%2e%2e/etc/passwd' '/app.js/../../../etc/passwd' \
	 '/src/view/assets/app.js' '/%2fetc%2fpasswd' '/charts/../api/runs' '/.assay/assay.db'; do
	check "view_no_file_$(echo "$p" | tr -c 'a-z0-9' _)" 404 "$(code --path-as-is "$V$p")"
done
check view_post_to_static 405 "$(post -d '{}' "$V/app.js")"
check view_put_refused 405 "$(code -X PUT "$V/api/grades")"
check view_foreign_host 403 "$(code -H 'Host: evil.example:80' "$V/api/runs")"
check view_long_param 400 "$(code "$V/api/runs/1/matrix?q=$(head -c 600 /dev/zero | tr '\0' q)")"
check view_bad_int_param 400 "$(code "$V/api/runs/1/matrix?limit=abc")"
check_grep view_bad_int_message "parameter limit must be an integer" "$T/body"
check view_unknown_run 404 "$(code "$V/api/runs/999")"

# --- matrix against SQL over the same rows
curl -s "$V/api/runs/1/matrix?limit=200" >"$T/all.json"
check view_matrix_total 60 "$(jq .total "$T/all.json")"
check view_matrix_two_cells "2" "$(jq '[.rows[].cells | length] | unique | join(",")' -r "$T/all.json")"
WANT=$(jsonl 'map(select(.pass == false and .error == null) | .case_idx) | unique | length')
check view_matrix_failing "$WANT" "$(curl -s "$V/api/runs/1/matrix?failing=1" | jq .total)"
WANT=$(jsonl 'map(select(.pass == false and .provider_idx == 0) | .case_idx) | unique | length')
check view_matrix_failing_cand "$WANT" "$(curl -s "$V/api/runs/1/matrix?failing=1&cand=0" | jq .total)"
check view_matrix_tag 11 "$(curl -s "$V/api/runs/1/matrix?tag=fives" | jq .total)"
check view_matrix_search 1 "$(curl -s "$V/api/runs/1/matrix?q=QUESTION%2017" | jq .total)"
check view_matrix_paging "10 50" "$(curl -s "$V/api/runs/1/matrix?offset=50&limit=20" | jq -r '"\(.rows | length) \(.rows[0].case_idx)"')"
check view_tags "fives,plain,xss" "$(curl -s "$V/api/runs/1" | jq -r '.tags | join(",")')"
check view_case_detail 2 "$(curl -s "$V/api/runs/1/cases/3/0" | jq '.cells | length')"

# --- queue: progress, sample, reviewers per item
Q="$V/api/runs/1/queue"
check view_queue_progress "120 1" "$(curl -s "$Q?reviewer=ann" | jq -r '"\(.total) \(.graded)"')"
check view_queue_ungraded 119 "$(curl -s "$Q?reviewer=ann&ungraded=1&limit=1000" | jq '.items | length')"
WANT=$(jsonl 'map(select(.pass == false and .error == null)) | length')
check view_queue_failing "$WANT" "$(curl -s "$Q?reviewer=ann&failing=1" | jq .total)"
S1=$(curl -s "$Q?reviewer=ann&sample=10&seed=3" | jq -c '[.items[].result_id]')
S2=$(curl -s "$Q?reviewer=ann&sample=10&seed=3" | jq -c '[.items[].result_id]')
S3=$(curl -s "$Q?reviewer=ann&sample=10&seed=4" | jq -c '[.items[].result_id]')
check view_queue_sample_size 10 "$(echo "$S1" | jq length)"
check view_queue_sample_seeded "$S1" "$S2"
check view_queue_sample_other_seed 1 "$([ "$S1" != "$S3" ] && echo 1 || echo 0)"
check view_queue_sample_distinct 10 "$(echo "$S1" | jq 'unique | length')"
check view_queue_per_item_bob 119 "$(curl -s "$Q?reviewer=bob&per_item=1" | jq .total)"
check view_queue_per_item_ann 120 "$(curl -s "$Q?reviewer=ann&per_item=1" | jq .total)"
check view_queue_needs_reviewer 400 "$(code "$Q")"

# --- blind pairs
curl -s "$V/api/runs/1/pair?reviewer=ann" >"$T/pair.json"
L=$(jq .pair.left.result_id "$T/pair.json"); RR=$(jq .pair.right.result_id "$T/pair.json")
check view_pair_total 60 "$(jq .total "$T/pair.json")"
check view_pair_names_hidden "" "$(jq -r '.. | objects | keys[]' "$T/pair.json" | grep -E '^(provider|provider_id|label|provider_idx)$')"
check view_pair_same_case 1 "$(sql "SELECT COUNT(DISTINCT case_idx) FROM results WHERE id IN ($L, $RR)")"
check view_pairwise_ok 200 "$(post -d '{"left":'$L',"right":'$RR',"choice":"right","reviewer":"ann"}' "$V/api/pairwise")"
check view_pairwise_reveals "2" "$(jq '[.left.provider, .right.provider] | map(select(. != null)) | length' "$T/body")"
check view_pairwise_stored_as_shown "$L|$RR|$RR|ann" \
	"$(sql "SELECT result_id, other_result_id, preferred, grader FROM human_grades WHERE kind = 'pairwise'")"
post -d '{"left":'$RR',"right":'$L',"choice":"tie","reviewer":"ann"}' "$V/api/pairwise" >/dev/null
check view_pairwise_tie_null "1|" "$(sql "SELECT COUNT(*), preferred FROM human_grades WHERE kind = 'pairwise'")"
check view_pair_progress "1 60" "$(curl -s "$V/api/runs/1/pair?reviewer=ann" | jq -r '"\(.done) \(.total)"')"
NEXT=$(curl -s "$V/api/runs/1/pair?reviewer=ann" | jq '[.pair.left.result_id, .pair.right.result_id] | sort | join(",")' -r)
check view_pair_not_repeated 1 "$([ "$NEXT" != "$(echo "$L $RR" | tr ' ' '\n' | sort -n | paste -sd,)" ] && echo 1 || echo 0)"
check view_pairwise_bad_choice 400 "$(post -d '{"left":'$L',"right":'$RR',"choice":"both","reviewer":"ann"}' "$V/api/pairwise")"
check view_pairwise_same_result 400 "$(post -d '{"left":'$L',"right":'$L',"choice":"tie","reviewer":"ann"}' "$V/api/pairwise")"

# --- charts document: the report's SVG, no script
check view_charts 200 "$(code -D "$T/h" "$V/charts/1")"
check_grep view_charts_pass_chart 'id="chart-pass"' "$T/body"
check view_charts_no_script "" "$(grep -o '<script' "$T/body")"
check_grep view_charts_csp "Content-Security-Policy: default-src 'none'; style-src 'self'; img-src data:" "$T/h"
check_grep view_charts_label_escaped '&lt;script&gt;window.__xss=6' "$T/body"

# --- start-up warm-up: the newest finished runs' charts and candidate
# table are computed in the background on a second store handle, so the
# first view is a cache hit; they are the same bytes as when computed on
# request (--no-warm), and the X-Assay-Cache header says which it was.
start_view w
i=0; while [ "$(curl -s "$V/api/session" | jq -r .warm_up)" = running ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done
check view_warm_up_done done "$(curl -s "$V/api/session" | jq -r .warm_up)"
code -D "$T/hw" "$V/charts/1" >/dev/null; cp "$T/body" "$T/charts_w"
check_grep view_warm_charts_from_warm_up 'X-Assay-Cache: warm' "$T/hw"
curl -s "$V/api/runs/1" | jq -S .candidates >"$T/cands_w"
start_view n --no-warm
check view_no_warm_state off "$(curl -s "$V/api/session" | jq -r .warm_up)"
code -D "$T/hn" "$V/charts/1" >/dev/null
check_grep view_no_warm_drawn 'X-Assay-Cache: drawn' "$T/hn"
check view_warm_same_charts 1 "$(cmp -s "$T/body" "$T/charts_w" && echo 1 || echo 0)"
code -D "$T/hn" "$V/charts/1" >/dev/null
check_grep view_charts_cached_second 'X-Assay-Cache: cached' "$T/hn"
curl -s "$V/api/runs/1" | jq -S .candidates >"$T/cands_n"
check view_warm_same_candidates 1 "$(cmp -s "$T/cands_n" "$T/cands_w" && echo 1 || echo 0)"
check view_candidates_present 2 "$(jq length "$T/cands_n")"
check view_candidates_counts "$(sql 'SELECT COUNT(*) FROM results WHERE provider_idx = 0')" "$(jq '.[] | select(.provider_idx == 0) | .n' "$T/cands_n")"

# --- the cache follows the human grades: the charts show their
# statistics, so a grade (or a regrade, which may reuse the replaced
# row's id) makes the next view compute them again, giving the charts a
# fresh server computes; nothing changed, it is a cache hit.
CSRF=$(curl -s "$V/api/session" | jq -r .csrf)
cp "$T/body" "$T/charts_before"
RZ=$(sql "SELECT id FROM results WHERE case_idx = 5 AND provider_idx = 0")
post -d '{"result_id":'$RZ',"reviewer":"zed","rating":1,"ship":false}' "$V/api/grades" >/dev/null
code -D "$T/hg" "$V/charts/1" >/dev/null; cp "$T/body" "$T/charts_graded"
check_grep view_charts_drawn_after_grade 'X-Assay-Cache: drawn' "$T/hg"
check view_charts_changed_by_grade 1 "$(cmp -s "$T/charts_before" "$T/charts_graded" && echo 0 || echo 1)"
code -D "$T/hg" "$V/charts/1" >/dev/null
check_grep view_charts_cached_after_grade 'X-Assay-Cache: cached' "$T/hg"
start_view f --no-warm
code "$V/charts/1" >/dev/null
check view_charts_after_grade_as_fresh 1 "$(cmp -s "$T/body" "$T/charts_graded" && echo 1 || echo 0)"
V="http://127.0.0.1:$(cat "$T/n.port")"
ZID=$(sql "SELECT id FROM human_grades WHERE grader = 'zed'")
post -d '{"result_id":'$RZ',"reviewer":"zed","rating":5,"ship":true}' "$V/api/grades" >/dev/null
check view_regrade_same_id_same_count "$ZID" "$(sql "SELECT id FROM human_grades WHERE grader = 'zed'")"
code -D "$T/hg" "$V/charts/1" >/dev/null
check_grep view_charts_drawn_after_regrade 'X-Assay-Cache: drawn' "$T/hg"
check view_charts_changed_by_regrade 1 "$(cmp -s "$T/body" "$T/charts_graded" && echo 0 || echo 1)"
kill "$(cat "$T/f.pid")" 2>/dev/null
cp "$T/body" "$T/charts_regraded"
# the warm-up server (started before those grades) holds run 1 stale: a
# look at the runs list makes its warm-up thread compute it again (its
# pass count says when), so the next view is the warm-up's, current
V="http://127.0.0.1:$(cat "$T/w.port")"
P0=$(curl -s "$V/api/session" | jq .warm_passes)
check view_warm_first_pass 1 "$P0"
curl -s "$V/api/runs" >/dev/null
i=0; while [ "$(curl -s "$V/api/session" | jq .warm_passes)" = "$P0" ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done
check view_warm_pass_after_runs_list 2 "$(curl -s "$V/api/session" | jq .warm_passes)"
code -D "$T/hg" "$V/charts/1" >/dev/null
check_grep view_warm_recomputed_after_grades 'X-Assay-Cache: warm' "$T/hg"
check view_warm_recomputed_current 1 "$(cmp -s "$T/body" "$T/charts_regraded" && echo 1 || echo 0)"
V="http://127.0.0.1:$(cat "$T/n.port")"

# --- token mode
TOK=0123456789abcdef0123
start_view t --token "$TOK"
check view_token_static_refused 401 "$(code "$V/app.js")"
check view_token_api_refused 401 "$(code "$V/api/runs")"
check view_token_wrong 401 "$(code -H 'Authorization: Bearer 0123456789abcdef0124' "$V/api/runs")"
check view_token_bearer 200 "$(code -H "Authorization: Bearer $TOK" "$V/app.js")"
check view_token_link_sets_cookie 303 "$(code -D "$T/h" "$V/?token=$TOK")"
check_grep view_token_cookie_flags "Set-Cookie: assay_token=$TOK; Path=/; HttpOnly; SameSite=Strict" "$T/h"
check view_token_cookie 200 "$(code -H "Cookie: assay_token=$TOK" "$V/api/runs")"
check view_token_wrong_link 401 "$(code "$V/?token=nope")"
kill "$(cat "$T/t.pid")" "$(cat "$T/v.pid")" "$(cat "$T/w.pid")" "$(cat "$T/n.pid")" 2>/dev/null
