#!/bin/sh
# judge_engine.sh — the engine side of model-graded assertions: `assay mock` plays both
# the candidate and the judges.  A passing and a failing verdict (fenced
# JSON, a 1–5 score, JSON inside prose), a reply repaired after one repair
# request, a judge that never complies (a grading error, not a failure),
# judge calls counted apart, a missing judge reported at load.
. "$(dirname "$0")/../lib.sh"
D=$(cd "$(dirname "$0")/../data/judge2" && pwd)
cp "$D/suite.yaml" "$T/"
start_mock m "$D/rules.yaml" --quiet
"$ASSAY" run "$T/suite.yaml" --no-progress-bar --no-table -o "$T/r.json" >"$T/out.txt" 2>&1
check judge_run_exit_100 100 $?
r() { jq -r ".results[] | select(.description==\"$1\") | $2" "$T/r.json"; }
check judge_pass_verdict "true 1" "$(r right '"\(.pass) \(.score)"')"
check judge_fail_verdict "false 0" "$(r wrong '"\(.pass) \(.score)"')"
check_grep judge_reason_kept 'Barcelona is not the capital' "$T/r.json"
check judge_repaired_reply "true 0.75" "$(r repaired '"\(.pass) \(.score)"')"
check judge_stubborn_is_error other "$(r stubborn .error.kind)"
check_grep judge_stubborn_message 'even after a repair request' "$T/r.json"
q() { sqlite3 "$T/.assay/assay.db" "$1"; }
check judge_calls_counted "1|1|2|2" "$(q "select group_concat(judge_calls, '|') from (select r.judge_calls from results r join cases c on c.run_id=r.run_id and c.idx=r.case_idx order by c.idx)")"
check judge_cost_apart_from_candidate 0 "$(q "select count(*) from results where cost_usd is not null and cost_usd > 0")"

# Judge spend is reported apart from the candidate's own cost.
"$ASSAY" stats latest --db "$T/.assay/assay.db" -o "$T/s.json" >/dev/null 2>&1
check judge_stats_candidate_cost_unknown null "$(jq '.candidates[0].cost.total_usd' "$T/s.json")"
check judge_stats_judge_cost_apart yes "$(jq -r 'if .candidates[0].cost.judge_usd > 0 then "yes" else "no" end' "$T/s.json")"

# Without any judge the suite is refused before a request.
sed '/options:/,/config: {cost/d' "$T/suite.yaml" | sed '/provider: openai:chat:stubborn-judge/d' >"$T/nojudge.yaml"
# (An exec: candidate, so no OpenAI endpoint is configured at all.)
sed 's/providers: \[openai:chat:cand\]/providers: ["exec:echo"]/' "$T/nojudge.yaml" >"$T/nojudge-exec.yaml"
env -u OPENAI_BASE_URL -u OPENAI_API_KEY -u ASSAY_GRADER "$ASSAY" validate "$T/nojudge-exec.yaml" >/dev/null 2>"$T/v.err"
check judge_missing_exit_1 1 $?
check_grep judge_missing_names_location 'nojudge-exec.yaml:[0-9]+:[0-9]+: error: .llm-rubric. needs a judge' "$T/v.err"
# With an OpenAI endpoint configured, promptfoo's default grader is used, and said.
env -u ASSAY_GRADER "$ASSAY" validate "$T/nojudge.yaml" >/dev/null 2>"$T/d.err"
check judge_default_openai_grader 0 $?
check_grep judge_default_grader_named 'without a judge use openai:chat:gpt-4.1-2025-04-14 .promptfoo.s default OpenAI grader' "$T/d.err"
# ASSAY_GRADER names the default judge; the run grades with it (the mock's judge).
ASSAY_GRADER=openai:chat:judge "$ASSAY" run "$T/nojudge.yaml" --no-progress-bar --no-table -o "$T/g.json" >/dev/null 2>"$T/g.err"
check_grep judge_env_grader_named 'use openai:chat:judge .from ASSAY_GRADER' "$T/g.err"
check judge_env_grader_grades "true false" "$(jq -r '[.results[] | select(.description == "right" or .description == "wrong") | .pass | tostring] | join(" ")' "$T/g.json")"
"$ASSAY" validate "$T/nojudge.yaml" --grader openai:chat:judge >/dev/null 2>&1
check judge_grader_flag_satisfies 0 $?
