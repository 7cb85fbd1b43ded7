#!/bin/sh
# mock.sh — `assay mock` end to end: the real binary on a free port, spoken
# to with curl and checked with jq.
. "$(dirname "$0")/../lib.sh"
RULES="$(dirname "$0")/../data/mock/rules.yaml"

chat() { # chat MODEL USER_TEXT [extra json fields] → body on stdout
	curl -s --noproxy '*' "$BASE/chat/completions" -H 'Content-Type: application/json' \
		-d "{\"model\":\"$1\",\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":\"$2\"}]$3}"
}

start_mock m "$RULES"
check_grep mock_listening "assay mock listening on http://127.0.0.1:$PORT/v1" "$T/m.log"
# a port in use: a clear error that names the way out
"$ASSAY" mock --rules "$RULES" --port "$PORT" >"$T/inuse.out" 2>&1
check mock_port_in_use_exit 1 $?
check_grep mock_port_in_use_message "cannot listen on 127.0.0.1 port $PORT .*--port 0 picks a free port" "$T/inuse.out"

# non-streaming reply, OpenAI shape
chat fast "What is the capital of France?" >"$T/r1.json"
check mock_reply_content "Paris" "$(jq -r '.choices[0].message.content' "$T/r1.json")"
check mock_reply_shape "chat.completion fast assistant stop true" \
	"$(jq -r '[.object, .model, .choices[0].message.role, .choices[0].finish_reason,
		   (.usage.total_tokens == .usage.prompt_tokens + .usage.completion_tokens
		    and .usage.completion_tokens >= 1)] | join(" ")' "$T/r1.json")"
check mock_regex_capture "Hello, Ada!" "$(chat fast 'my name is Ada' | jq -r '.choices[0].message.content')"
check mock_json_reply "3" "$(chat fast 'answer as json' | jq -r '.choices[0].message.content' | jq -r .n)"
check mock_default_reply "I don't know." "$(chat fast 'something else' | jq -r '.choices[0].message.content')"

# SSE stream: a role chunk, content chunks, a finish chunk, a usage chunk, [DONE]
chat fast "my name is Ada Lovelace" ',"stream":true,"stream_options":{"include_usage":true}' >"$T/s1.txt"
check mock_stream_done "data: [DONE]" "$(grep '^data: ' "$T/s1.txt" | tail -n 1)"
check mock_stream_content "Hello, Ada!" \
	"$(grep '^data: {' "$T/s1.txt" | sed 's/^data: //' | jq -rj '.choices[0].delta.content // empty')"
check mock_stream_objects "chat.completion.chunk" \
	"$(grep '^data: {' "$T/s1.txt" | sed 's/^data: //' | jq -r .object | sort -u)"
check mock_stream_finish "stop" \
	"$(grep '^data: {' "$T/s1.txt" | sed 's/^data: //' | jq -r '.choices[0].finish_reason // empty')"
check mock_stream_usage "true" \
	"$(grep '^data: {' "$T/s1.txt" | tail -n 1 | sed 's/^data: //' | jq '.usage.total_tokens > 0 and (.choices | length) == 0')"
n=$(grep -c '^data: {' "$T/s1.txt")
if [ "$n" -ge 4 ]; then ok mock_stream_chunks; else fail mock_stream_chunks "$n chunks"; fi

# models, health, errors
check mock_models "fast slow jittery drip coin" "$(curl -s --noproxy '*' "$BASE/models" | jq -r '[.data[].id] | join(" ")')"
check mock_health "ok" "$(curl -s --noproxy '*' "http://127.0.0.1:$PORT/health" | jq -r .status)"
code=$(curl -s --noproxy '*' -o "$T/e1.json" -w '%{http_code}' "$BASE/chat/completions" -d '{"model": "fast", "messages": [')
check mock_bad_json_400 "400 invalid_request_error" "$code $(jq -r .error.type "$T/e1.json")"
code=$(curl -s --noproxy '*' -o "$T/e2.json" -w '%{http_code}' "$BASE/chat/completions" -d '{"model": "fast"}')
check mock_no_messages_400 "400" "$code"
code=$(curl -s --noproxy '*' -o "$T/e3.json" -w '%{http_code}' "$BASE/chat/completions" \
	-d '{"model": "gpt-9", "messages": [{"role": "user", "content": "hi"}]}')
check mock_unknown_model_404 "404 model_not_found" "$code $(jq -r .error.code "$T/e3.json")"

head -c 9000000 /dev/zero >"$T/big.bin"
code=$(curl -s --noproxy '*' -o "$T/e4.json" -w '%{http_code}' "$BASE/chat/completions" --data-binary @"$T/big.bin")
check mock_too_large_413 "413 request_too_large" "$code $(jq -r .error.code "$T/e4.json")"

# latency: 200 ms per request, and concurrent requests do not queue
t=$(curl -s --noproxy '*' -o /dev/null -w '%{time_total}' "$BASE/chat/completions" \
	-d '{"model": "slow", "messages": [{"role": "user", "content": "hi"}]}')
if awk "BEGIN{exit !($t >= 0.2)}"; then ok mock_latency; else fail mock_latency "time_total $t < 0.2"; fi
start=$(date +%s%N)
pids=""
for i in 1 2 3 4 5 6 7 8; do
	curl -s --noproxy '*' -o /dev/null -w '%{http_code}\n' "$BASE/chat/completions" \
		-d "{\"model\": \"slow\", \"messages\": [{\"role\": \"user\", \"content\": \"hi $i\"}]}" >"$T/par.$i" &
	pids="$pids $!"
done
wait $pids   # not a bare `wait`: that would wait for the server too
ms=$(( ($(date +%s%N) - start) / 1000000 ))
n200=$(cat "$T"/par.* | grep -c '^200$')
if [ "$ms" -lt 1000 ] && [ "$n200" -eq 8 ]; then ok mock_latency_parallel
else fail mock_latency_parallel "8 × 200 ms took $ms ms, $n200 × 200"; fi

# a slow stream: 20 ms between events
t=$(curl -s --noproxy '*' -o "$T/s2.txt" -w '%{time_total}' "$BASE/chat/completions" \
	-d '{"model": "drip", "stream": true, "messages": [{"role": "user", "content": "my name is Ada"}]}')
check mock_drip_content "Hello, Ada!" \
	"$(grep '^data: {' "$T/s2.txt" | sed 's/^data: //' | jq -rj '.choices[0].delta.content // empty')"
if awk "BEGIN{exit !($t >= 0.06)}"; then ok mock_drip_delay; else fail mock_drip_delay "time_total $t"; fi

# the accuracy draw is a function of (seed, model, prompt)
a1=$(for i in 1 2 3 4 5 6 7 8 9 10 11 12; do chat coin "capital of France, take $i" | jq -r '.choices[0].message.content'; done)
a2=$(for i in 1 2 3 4 5 6 7 8 9 10 11 12; do chat coin "capital of France, take $i" | jq -r '.choices[0].message.content'; done)
if [ "$(echo "$a1" | grep -cE '^(Paris|Lyon|Marseille)$')" -eq 12 ]; then ok mock_draw_answers
else fail mock_draw_answers "$a1"; fi
check mock_draw_repeatable "$a1" "$a2"
if echo "$a1" | grep -q Paris && echo "$a1" | grep -qvx Paris; then ok mock_draw_mixed; else fail mock_draw_mixed "$a1"; fi

# SIGTERM stops it cleanly
kill -TERM "$(cat "$T/m.pid")"
i=0; while kill -0 "$(cat "$T/m.pid")" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
wait "$(cat "$T/m.pid")" 2>/dev/null; rc=$?
check mock_sigterm_exit "0" "$rc"
rm -f "$T/m.pid"

# same seed on a new server → same answers; --seed changes them
start_mock m2 "$RULES"
a3=$(for i in 1 2 3 4 5 6 7 8 9 10 11 12; do chat coin "capital of France, take $i" | jq -r '.choices[0].message.content'; done)
check mock_draw_across_runs "$a1" "$a3"
start_mock m3 "$RULES" --seed 99
a4=$(for i in 1 2 3 4 5 6 7 8 9 10 11 12; do chat coin "capital of France, take $i" | jq -r '.choices[0].message.content'; done)
if [ "$a1" != "$a4" ]; then ok mock_seed_flag; else fail mock_seed_flag "same answers with --seed 99"; fi

# built-in rules: any model name, echo
"$ASSAY" mock --port 0 --port-file "$T/b.port" --quiet 2>"$T/b.log" &
echo $! >"$T/b.pid"
i=0; while [ ! -s "$T/b.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
BASE="http://127.0.0.1:$(cat "$T/b.port")/v1"
check mock_builtin_echo "echo me" "$(chat any-model-name 'echo me' | jq -r '.choices[0].message.content')"

# a bad rules file names file:line:col and exits 1
printf 'models:\n  - name: a\n    accuracy: 2\n' >"$T/bad.yaml"
"$ASSAY" mock --rules "$T/bad.yaml" --port 0 2>"$T/bad.log"
check mock_bad_rules_exit "1" "$?"
check_grep mock_bad_rules_location "bad.yaml:3:15: error: accuracy" "$T/bad.log"
"$ASSAY" mock --help >"$T/help.txt"
check mock_help "0" "$?"
check_grep mock_help_text "--port-file" "$T/help.txt"
"$ASSAY" mock --port nope 2>/dev/null
check mock_bad_port_usage "2" "$?"

# ---- Anthropic Messages --------------------------------------------------
start_mock a "$RULES" --quiet
msg() { # msg MODEL USER_TEXT [extra json fields] → body on stdout
	curl -s --noproxy '*' "http://127.0.0.1:$PORT/v1/messages" -H 'anthropic-version: 2023-06-01' \
		-H 'x-api-key: anything' -H 'Content-Type: application/json' \
		-d "{\"model\":\"$1\",\"max_tokens\":100,\"system\":\"Be brief.\",\"messages\":[{\"role\":\"user\",\"content\":\"$2\"}]$3}"
}
msg fast "What is the capital of France?" >"$T/a1.json"
check mock_anthropic_shape "message assistant fast text Paris end_turn null 10 2" \
	"$(jq -r '[.type, .role, .model, .content[0].type, .content[0].text, .stop_reason,
		   (.stop_sequence | tostring), .usage.input_tokens, .usage.output_tokens] | join(" ")' "$T/a1.json")"
check mock_anthropic_id "msg_" "$(jq -r '.id[0:4]' "$T/a1.json")"
msg fast "my name is Ada Lovelace" ',"stream":true' >"$T/a2.txt"
check mock_anthropic_stream_events \
	"message_start content_block_start ping content_block_delta content_block_delta content_block_stop message_delta message_stop" \
	"$(sed -n 's/^event: //p' "$T/a2.txt" | tr '\n' ' ' | sed 's/ $//')"
check mock_anthropic_stream_text "Hello, Ada!" \
	"$(sed -n 's/^data: //p' "$T/a2.txt" | jq -rj 'select(.type == "content_block_delta") | .delta.text')"
check mock_anthropic_stream_usage "9 end_turn 3" \
	"$(sed -n 's/^data: //p' "$T/a2.txt" | jq -r 'select(.type == "message_start") | .message.usage.input_tokens'
	   ) $(sed -n 's/^data: //p' "$T/a2.txt" | jq -r 'select(.type == "message_delta") | "\(.delta.stop_reason) \(.usage.output_tokens)"')"
code=$(curl -s --noproxy '*' -o "$T/a3.json" -w '%{http_code}' "http://127.0.0.1:$PORT/v1/messages" \
	-d '{"model":"fast","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}')
check mock_anthropic_version_required "400 error invalid_request_error" "$code $(jq -r '"\(.type) \(.error.type)"' "$T/a3.json")"
code=$(curl -s --noproxy '*' -o "$T/a4.json" -w '%{http_code}' "http://127.0.0.1:$PORT/v1/messages" \
	-H 'anthropic-version: 2023-06-01' -d '{"model":"gpt-9","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}')
check mock_anthropic_unknown_model_404 "404 not_found_error" "$code $(jq -r .error.type "$T/a4.json")"

# ---- faults --------------------------------------------------------------
start_mock f "$RULES" --quiet --faults rate_limit=1,retry_after=2,retry_after_ms=150
code=$(curl -s --noproxy '*' -D "$T/f1.h" -o "$T/f1.json" -w '%{http_code}' "$BASE/chat/completions" \
	-d '{"model":"fast","messages":[{"role":"user","content":"hi"}]}')
check mock_fault_429 "429 rate_limit_exceeded" "$code $(jq -r .error.code "$T/f1.json")"
check_grep mock_fault_retry_after '^Retry-After: 2' "$T/f1.h"
check_grep mock_fault_retry_after_ms '^retry-after-ms: 150' "$T/f1.h"
start_mock g "$RULES" --quiet --faults stream_cut=0.5,reset=0.5
curl -s --noproxy '*' -o /dev/null "$BASE/chat/completions" \
	-d '{"model":"fast","stream":true,"messages":[{"role":"user","content":"my name is Ada"}]}'
rc1=$?
curl -s --noproxy '*' -o /dev/null "$BASE/chat/completions" \
	-d '{"model":"fast","stream":true,"messages":[{"role":"user","content":"my name is Ada"}]}'
rc2=$?
# one request met the cut (curl 18), the other the reset (56) or the
# reverse; which one is fixed by the seed
case "$rc1 $rc2" in
18\ 56|56\ 18|18\ 52|52\ 18|18\ 18|56\ 56|52\ 52) ok mock_fault_transport_errors ;;
*) fail mock_fault_transport_errors "curl exit statuses $rc1 $rc2" ;;
esac
# seeded: the same seed gives the same statuses, attempt after attempt
seq_statuses() {
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do
		curl -s --noproxy '*' -o /dev/null -w '%{http_code} ' "$BASE/chat/completions" \
			-d '{"model":"fast","messages":[{"role":"user","content":"same prompt"}]}'
	done
}
start_mock s1 "$RULES" --quiet --seed 5 --faults server_error=0.5
s1=$(seq_statuses)
start_mock s2 "$RULES" --quiet --seed 5 --faults server_error=0.5
s2=$(seq_statuses)
check mock_fault_seeded "$s1" "$s2"
case "$s1" in *200*500*|*500*200*) ok mock_fault_retry_gets_through ;; *) fail mock_fault_retry_gets_through "$s1" ;; esac
"$ASSAY" mock --port 0 --faults reset=0.8,hang=0.8 2>"$T/f2.log"
check mock_faults_bad_spec_exit 2 $?
check_grep mock_faults_bad_spec_message 'add up to 1.6' "$T/f2.log"
printf 'models:\n  - name: a\n    faults: {reset: 0.1, hang: often}\n' >"$T/badf.yaml"
"$ASSAY" mock --rules "$T/badf.yaml" --port 0 2>"$T/badf.log"
check mock_faults_bad_rules_exit 1 $?
check_grep mock_faults_bad_rules_location 'badf.yaml:3:32: error: faults: hang: expected a probability' "$T/badf.log"
