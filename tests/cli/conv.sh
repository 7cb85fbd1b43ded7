#!/bin/sh
# conv.sh — conversations end to end against `assay mock`
# (tests/data/conv/rules.yaml): the candidate's own earlier reply is sent
# in turn 2 (the code it must repeat appears only in that reply), per-turn
# and transcript assertions, a conversation counted as one case, the
# per-turn display of `assay show` and the JSON export, a second run
# served from the cache turn by turn, an infrastructure error on turn 2
# that keeps turn 1, and a simulated user.
. "$(dirname "$0")/../lib.sh"
D=$(cd "$(dirname "$0")/../data/conv" && pwd)
E=$(cd "$(dirname "$0")/../../examples/conversation" && pwd)
cp "$D"/*.yaml "$T"/
start_mock m "$D/rules.yaml"
export OPENAI_API_KEY=test
cd "$T" || exit 1

"$ASSAY" run conv.yaml --no-progress-bar --no-table -o r.json >run.out 2>&1
check conv_run_exit_100 100 $?
res() { jq -r ".results[] | select(.case_idx == $1 and .provider_id == \"openai:chat:$2\") | $3" r.json; }
# one result per conversation and candidate: 2 cases x 2 providers
check conv_one_result_per_conversation 4 "$(jq '.results | length' r.json)"
# turn 2 of the rememberer could only be right from its own turn-1 reply
check conv_history_reply_used "Your code is ZX-Ada." "$(res 0 rememberer '.turns[1].output')"
# and that reply is in the messages of the final request, as the assistant's
check conv_history_sent "assistant:Nice to meet you, Ada. Your code is ZX-Ada." \
	"$(res 0 rememberer '.prompt | fromjson | .[2] | "\(.role):\(.content)"')"
check conv_history_system_first "system:user:assistant:user:assistant:user" \
	"$(res 0 rememberer '.prompt | fromjson | map(.role) | join(":")')"
check conv_rememberer_passes true "$(res 0 rememberer .pass)"
check conv_turn_assert_fails_case "false|turn 2: Expected output to contain \"ZX-Ada\"" \
	"$(res 0 forgetful '"\(.pass)|\(.reason)"')"
check conv_turn_verdicts "true false null" "$(res 0 forgetful '[.turns[].pass] | map(tostring) | join(" ")')"
check conv_transcript_output "User: Hi, my name is Ada.|Assistant: Nice to meet you, Ada. Your code is ZX-Ada." \
	"$(res 0 rememberer '.output | split("\n")[0:2] | join("|")')"
check conv_turn3_reply "You are welcome." "$(res 0 rememberer '.turns[2].output')"
# the transcript assertion alone decides case 1
check conv_transcript_assert "true false" "$(echo "$(res 1 rememberer .pass) $(res 1 forgetful .pass)")"
check_grep conv_transcript_reason_not_turn '^[^t]' "$(res 1 forgetful .reason > reason1; echo reason1)"
# counted per conversation (one case each, not one per turn): the
# rememberer passes both cases, the forgetful one neither
"$ASSAY" stats latest --json >s.json 2>/dev/null
check conv_pass_rate_per_case "2/2 0/2" "$(jq -r '[.candidates[] | "\(.pass_rate.k)/\(.pass_rate.n)"] | join(" ")' s.json)"

"$ASSAY" show latest --no-table >show.out 2>&1
check_grep conv_show_turns 'Conversations \(per turn' show.out
check_grep conv_show_turn_fail 'turn 2 +FAIL' show.out
check_grep conv_show_reply 'Assistant: I have no idea\.' show.out

# again: every turn from the cache, same transcript
"$ASSAY" run conv.yaml --no-progress-bar --no-table -o r2.json >run2.out 2>&1
check conv_rerun_all_cached "true" "$(jq '[.results[].cached, .results[].turns[].cached] | all' r2.json)"
check conv_rerun_same_transcripts "$(jq -c '[.results[].output]' r.json)" "$(jq -c '[.results[].output]' r2.json)"
# --retry-errors finds nothing to redo; the stored conversation stays whole
"$ASSAY" run conv.yaml --resume latest --no-progress-bar --no-table >resume.out 2>&1
check conv_resume_keeps_turns 10 "$(run_json .assay/assay.db latest '[.results[].turns[]] | length')"
# a run bundle carries the turns: exported, imported into a fresh store,
# every turn (user, reply, verdict, tokens) as in the original
"$ASSAY" export latest --db .assay/assay.db -o conv.assay >/dev/null 2>&1
check conv_bundle_turn_lines 10 "$(grep -c '"turn":{' conv.assay)"
"$ASSAY" import conv.assay --db fresh.db >/dev/null 2>&1
check conv_bundle_import 0 $?
turns_of() { run_json "$1" latest '[.results[] | .turns[] | [.turn, .user, .output, .pass, .prompt_tokens, .cached]] | tojson'; }
check conv_bundle_turns_kept "$(turns_of .assay/assay.db)" "$(turns_of fresh.db)"
# a turn line that does not follow its result is refused, naming the line
awk 'NR==1{print; next} /"turn":\{/ && !moved {t=$0; moved=1; next} {print} END{print t}' conv.assay >bad.assay
"$ASSAY" import bad.assay --db bad.db >bad.out 2>&1
check conv_bundle_turn_out_of_place "1|$(wc -l <bad.assay | tr -d ' ')" \
	"$(grep -c 'a turn that does not follow its result line' bad.out)|$(sed -n 's/^bad.assay:\([0-9]*\):.*/\1/p' bad.out)"

# an infrastructure error on turn 2 (after one retry): an error, not a
# failure; turn 1 kept
"$ASSAY" run breaker.yaml --no-progress-bar --no-table -o b.json >b.out 2>&1
check conv_error_kind "http|true" "$(jq -r '.results[0] | "\(.error.kind)|\(.error.message | startswith("turn 2: "))"' b.json)"
check conv_error_not_graded null "$(jq -r '.results[0].pass' b.json)"
check conv_error_keeps_turn1 "1|Nice to meet you, Ada. Your code is ZX-Ada." \
	"$(jq -r '.results[0].turns | "\(length)|\(.[0].output)"' b.json)"
check conv_error_retried 1 "$(jq -r '.results[0].retries' b.json)"

# a simulated user (tests/data/conv/sim.yaml) opens, asks, and stops
"$ASSAY" run sim.yaml --no-progress-bar --no-table -o sim.json >sim.out 2>&1
check conv_sim_exit_100 100 $?
sres() { jq -r ".results[] | select(.case_idx == $1 and .provider_id == \"openai:chat:$2\") | $3" sim.json; }
check conv_sim_users "Hi, my name is Bob.|What is my code?" "$(sres 0 rememberer '[.turns[].user] | join("|")')"
check conv_sim_stops_on_marker "2 true" "$(sres 0 rememberer '"\(.turns | length) \(.pass)"')"
check conv_sim_turn_assert "false" "$(sres 0 forgetful .pass)"
check conv_sim_max_turns 1 "$(sres 1 rememberer '.turns | length')"
# the simulated user's calls are cached too
"$ASSAY" run sim.yaml --no-progress-bar --no-table -o sim2.json >sim2.out 2>&1
check conv_sim_cached "$(jq -c '[.results[].output]' sim.json)" "$(jq -c '[.results[].output]' sim2.json)"

# examples/conversation: steady passes its three conversations, drifty none
start_mock ex "$E/mock-models.yaml"
"$ASSAY" run "$E/suite.yaml" --db ex.db --no-progress-bar --no-table -o ex.json >ex.out 2>&1
check conv_example_verdicts "steady:true,true,true drifty:false,false,false" \
	"$(jq -r '[.results | group_by(.provider_id) | reverse[] | "\(.[0].provider_id | sub("openai:chat:"; "")):\([.[].pass] | map(tostring) | join(","))"] | join(" ")' ex.json)"
