#!/bin/sh
# profiles.sh — assay against `assay mock` models with real servers'
# manners (profile: llamacpp | vllm | ollama): errors inside streams,
# the model that actually answered, loading servers, context errors.
. "$(dirname "$0")/../lib.sh"
D=$(cd "$(dirname "$0")/../data/profiles" && pwd)
start_mock m "$D/rules.yaml" --quiet
MPORT=$PORT
q() { sqlite3 "$T/.assay/assay.db" "$1"; }
last="(select max(id) from runs)"

suite() { # file provider-id n config
	{
		echo 'prompts: ["Say {{n}} one two three four five six seven"]'
		echo "providers:"
		echo "  - id: $2"
		echo "    config: {apiBaseUrl: \"$BASE\", apiKey: sk-test, ${RETRY:-retry_base_ms: 5, retry_max_ms: 20}, $4}"
		echo "tests:"
		i=0; while [ $i -lt "$3" ]; do echo "  - vars: {n: $i}"; i=$((i+1)); done
	} >"$T/$1"
}
run() { "$ASSAY" run "$T/$1" --no-progress-bar --no-table --no-cache >"$T/$1.out" 2>&1; }

# 1. An error event inside a 200 stream is a typed error with its code,
# retried like the same status: llama.cpp (no [DONE]), vLLM (error then
# [DONE]), Ollama (bare JSON line), Anthropic (event: error).
suite se.yaml openai:chat:llama-broken 2 "stream: true, max_retries: 2"
run se.yaml
check stream_error_llamacpp_status 500 "$(q "select distinct http_status from results where run_id=$last")"
check stream_error_llamacpp_retried 2 "$(q "select min(retries) from results where run_id=$last")"
check stream_error_llamacpp_type 2 "$(q "select count(*) from results where run_id=$last and error_msg like 'HTTP 500 server_error (an error event inside a 200 stream)%'")"
suite sev.yaml openai:chat:vllm-broken 1 "stream: true, max_retries: 1"
run sev.yaml
check stream_error_vllm "http 500 1" "$(q "select error_kind, http_status, retries from results where run_id=$last" | tr '|' ' ')"
suite seo.yaml ollama:chat:ollama-broken 1 "stream: true, max_retries: 1"
run seo.yaml
check stream_error_ollama_bare_json "http 500 1" "$(q "select error_kind, http_status, retries from results where run_id=$last" | tr '|' ' ')"
suite sea.yaml anthropic:messages:claude-broken 1 "stream: true, max_retries: 1"
sed -i "s#apiBaseUrl: \"$BASE\"#apiBaseUrl: \"http://127.0.0.1:$PORT\"#" "$T/sea.yaml"
run sea.yaml
check stream_error_anthropic "http 500 1" "$(q "select error_kind, http_status, retries from results where run_id=$last" | tr '|' ' ')"
# half the streams fail: retried until they get through
suite sef.yaml openai:chat:llama-flaky 10 "stream: true, max_retries: 8"
run sef.yaml
check stream_error_retried_through 0 "$(q "select count(*) from results where run_id=$last and error_kind is not null")"
check stream_error_some_retries 1 "$(q "select count(*) > 0 from results where run_id=$last and retries > 0")"

# 2. The model that answered: stored; a warning once per provider when it
# is another model; cost by the served model, unknown when not in the
# price table; local aliases cost nothing.
suite sm.yaml openai:chat:gpt-4o 3 "max_retries: 0"
run sm.yaml
check served_model_stored "qwen2.5-0.5b-instruct-q4_k_m.gguf" "$(q "select distinct served_model from results where run_id=$last")"
check served_model_warned_once 1 "$(grep -c "asked for model 'gpt-4o' but the server says 'qwen2.5-0.5b-instruct-q4_k_m.gguf' answered; cost unknown" "$T/sm.yaml.out")"
check served_model_not_costed_as_gpt4o 0 "$(q "select count(*) from results where run_id=$last and cost_usd is not null")"
suite smv.yaml openai:chat:gpt-4o-mini 2 "max_retries: 0"
run smv.yaml
check served_version_suffix_no_warning 0 "$(grep -c "warning" "$T/smv.yaml.out")"
check served_version_suffix_costed 2 "$(q "select count(*) from results where run_id=$last and cost_usd > 0")"
suite sml.yaml llamacpp:gpt-4o 2 "max_retries: 0"
run sml.yaml
check local_alias_costs_nothing "0.0" "$(q "select distinct cost_usd from results where run_id=$last")"

# 3. A server loading its model (503 unavailable_error, no Retry-After)
# for 1.5 s: max_retries 2 with short waits would give up in < 0.5 s;
# the unavailable budget waits it out.  With the budget off, it gives up.
# Each run gets a freshly started mock, so the 1.5 s of loading are not
# partly spent before the run starts (the second run used to share the
# first one's mock and, on a loaded machine, found it nearly loaded).
start_mock load "$D/loading.yaml" --quiet
RETRY="retry_base_ms: 100, retry_max_ms: 400"
suite ld0.yaml openai:chat:m 1 "max_retries: 2, unavailable_wait_ms: 0"
run ld0.yaml
check loading_budget_off_gives_up "http 503 2" "$(q "select error_kind, http_status, retries from results where run_id=$last" | tr '|' ' ')"
check loading_error_type_kept 1 "$(q "select count(*) from results where run_id=$last and error_msg like 'HTTP 503 unavailable_error: Loading model%'")"
start_mock load2 "$D/loading.yaml" --quiet
suite ld.yaml openai:chat:m 1 "max_retries: 2, unavailable_wait_ms: 15000"
unset RETRY
run ld.yaml
check loading_waited_out "1 1" "$(q "select count(*), max(retries) > 2 from results where run_id=$last and error_kind is null" | tr '|' ' ')"
check loading_wait_recorded 1 "$(q "select count(*) from results where run_id=$last and retry_wait_ms >= 500")"
PORT=$MPORT
BASE="http://127.0.0.1:$PORT/v1"

# 4. Logprobs in streamed chunks give the same confidence as the whole
# reply's.
suite lpw.yaml openai:chat:plain 4 "logprobs: true"
suite lps.yaml openai:chat:plain 4 "logprobs: true, stream: true"
run lpw.yaml
W=$(q "select group_concat(printf('%.9f', confidence), ' ') from (select confidence from results where run_id=$last order by case_idx)")
run lps.yaml
S=$(q "select group_concat(printf('%.9f', confidence), ' ') from (select confidence from results where run_id=$last order by case_idx)")
check logprobs_streamed_stored 4 "$(q "select count(confidence) from results where run_id=$last")"
check logprobs_streamed_equal_whole "$W" "$S"

# 5. Context exceeded (llama.cpp): a 400 not retried, with the server's
# error type and its prompt token count kept.
suite cx.yaml openai:chat:llama-small 1 "max_retries: 3"
run cx.yaml
check context_exceeded_not_retried "http 400 0" "$(q "select error_kind, http_status, retries from results where run_id=$last" | tr '|' ' ')"
check context_exceeded_type 1 "$(q "select count(*) from results where run_id=$last and error_msg like 'HTTP 400 exceed_context_size_error:%[prompt % tokens, context 4]'")"
check context_exceeded_prompt_tokens 1 "$(q "select count(*) from results where run_id=$last and prompt_tokens > 4")"

# 6. tok/s: one definition (whole request time) for streamed and whole
# replies, and the generation-only figure beside it for streams.
suite tps.yaml openai:chat:slow-start 3 "stream: true"
run tps.yaml
"$ASSAY" stats latest --db "$T/.assay/assay.db" -o "$T/tps.json" >"$T/tps.txt" 2>&1
check toks_gen_faster_than_e2e true "$(jq '.candidates[0].latency | .gen_tokens_per_s > 2 * .tokens_per_s' "$T/tps.json")"
E2E=$(q "select printf('%.6f', sum(completion_tokens) / (sum(latency_ms) / 1000.0)) from results where run_id=$last")
# The two sides sum the same figures in a different order, so compare
# them to 1e-6 relative rather than digit for digit.
GOT=$(jq '.candidates[0].latency.tokens_per_s' "$T/tps.json")
check toks_e2e_definition same "$(awk -v a="$E2E" -v b="$GOT" 'BEGIN { d = a - b; if (d < 0) d = -d; print (d <= 1e-6 * (a < 0 ? -a : a) + 1e-9) ? "same" : a " vs " b }')"
check_grep toks_both_printed '[0-9]+/[0-9]+ gen' "$T/tps.txt"

# 7. Issue 9: a generic HTTP provider answered bytes that are not text
# (invalid UTF-8, then a NUL) on about half the requests: those items are
# typed body errors, every other item is stored — the run (with the cache
# on) is not aborted.
cat >"$T/bb.yaml" <<EOT
prompts: ["Case {{n}}"]
providers:
  - id: http://127.0.0.1:$MPORT/v1/chat/completions
    config:
      max_retries: 0
      body: {model: bad-bytes, messages: [{role: user, content: "{{prompt}}"}]}
tests:
EOT
i=0; while [ $i -lt 12 ]; do echo "  - vars: {n: $i}" >>"$T/bb.yaml"; i=$((i+1)); done
"$ASSAY" run "$T/bb.yaml" --no-progress-bar --no-table >"$T/bb.out" 2>&1
check bad_bytes_run_not_aborted 1 "$?"
check bad_bytes_all_stored 12 "$(q "select count(*) from results where run_id=$last")"
N_BAD=$(q "select count(*) from results where run_id=$last and error_kind = 'body' and error_msg like 'response is not text: invalid UTF-8 at byte %'")
N_OK=$(q "select count(*) from results where run_id=$last and error_kind is null and output like '%chat.completion%'")
check bad_bytes_split "12" "$((N_BAD + N_OK))"
if [ "$N_BAD" -gt 0 ] && [ "$N_OK" -gt 0 ]; then ok bad_bytes_both_kinds; else fail bad_bytes_both_kinds "$N_BAD bad, $N_OK ok"; fi
check bad_bytes_not_cached 0 "$(q "select count(*) from cache where response like '%tail%'")"

# 8. Issue 9: an escaped NUL in a prompt or a var would cut the text short:
# it is an input error naming file, line and column, before any request.
printf 'prompts: ["before\\0after"]\nproviders: [openai:chat:plain]\ntests: [{vars: {x: 1}}]\n' >"$T/nul.yaml"
"$ASSAY" run "$T/nul.yaml" --no-progress-bar --no-table >"$T/nul.out" 2>&1
check nul_in_prompt_exit 1 "$?"
check_grep nul_in_prompt_located 'nul.yaml:1:11: error: a NUL character' "$T/nul.out"
printf 'prompts: ["p {{x}}"]\nproviders: [openai:chat:plain]\ntests:\n  - vars: {x: "v\\u0000w"}\n' >"$T/nulv.yaml"
"$ASSAY" run "$T/nulv.yaml" --no-progress-bar --no-table >"$T/nulv.out" 2>&1
check_grep nul_in_var_located 'nulv.yaml:4:.*NUL character' "$T/nulv.out"

# 9. A re-run served from the cache keeps the served model, so its cost
# is the same as the first run's (unknown), not the requested model's.
run_cached() { "$ASSAY" run "$T/$1" --no-progress-bar --no-table >"$T/$1.out" 2>&1; }
suite smc.yaml openai:chat:gpt-4o 2 "max_retries: 0"
run_cached smc.yaml
run_cached smc.yaml
check served_model_from_cache "2 2 0" "$(q "select count(*), sum(cached), count(cost_usd) from results where run_id=$last and served_model = 'qwen2.5-0.5b-instruct-q4_k_m.gguf'" | tr '|' ' ')"

# 10. Issue 9: a 3xx carrying a JSON body is an error (not retried), never
# a success — whole or asked to stream.
suite rd.yaml openai:chat:moved 1 "max_retries: 2"
run rd.yaml
check redirect_is_error "http 302 0" "$(q "select error_kind, http_status, retries from results where run_id=$last and output is null" | tr '|' ' ')"
suite rds.yaml openai:chat:moved 1 "max_retries: 2, stream: true"
run rds.yaml
check redirect_stream_is_error "http 302 0" "$(q "select error_kind, http_status, retries from results where run_id=$last and output is null" | tr '|' ' ')"

# 11. Issue 9: a server that keeps sending small events: the stream's
# total size is capped (64 MiB) with its own typed error, long before
# the request's timeout.
suite en.yaml openai:chat:endless 1 "max_retries: 0, stream: true, timeout_ms: 120000"
run en.yaml
check endless_stream_capped "body 1" "$(q "select error_kind, count(*) from results where run_id=$last and error_msg = 'stream larger than 67108864 bytes in all'" | tr '|' ' ')"
