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
