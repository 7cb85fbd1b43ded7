#!/bin/sh
# providers.sh — exec: providers end to end: the calling convention, no
# shell interpolation, long prompts on stdin, errors (exit status, only
# stderr, timeout) recorded as errors, not failures.
. "$(dirname "$0")/../lib.sh"
D=$(cd "$(dirname "$0")/../data/providers" && pwd)
cp "$D"/answer.sh "$D"/exec.yaml "$T"/
"$ASSAY" run "$T/exec.yaml" -j 4 --no-progress-bar --no-table -o "$T/e.json" >"$T/out.txt" 2>&1
check exec_exit_status_errors 1 $?
r() { jq -r ".results[] | select(.description==\"$1\") | $2" "$T/e.json"; }
check exec_output_passes true "$(r plain .pass)"
check_grep exec_context_json_has_vars '"vars":\{"q":"hello' "$T/e.json"
check exec_no_shell_interpolation no "$([ -e "$T/INJECTED" ] || [ -e "$T/INJECTED2" ] && echo yes || echo no)"
check exec_nonzero_exit_is_error exec "$(r fails .error.kind)"
check_grep exec_error_has_stderr 'status 3: refusing on purpose' "$T/e.json"
check exec_timeout_is_error timeout "$(r slow .error.kind)"
check exec_only_stderr_is_error exec "$(r silent .error.kind)"
check exec_errors_not_failures 0 "$(jq '[.results[] | select(.pass == false)] | length' "$T/e.json")"

# A prompt over 128 KiB travels on stdin alone.
big=$(head -c 140000 /dev/zero | tr '\0' 'x')
cat >"$T/big.yaml" <<Y
prompts: ["{{q}}"]
providers: [exec:./answer.sh]
tests:
  - vars: {q: "$big"}
    assert: [{type: contains, value: "arg=0 stdin=140000"}]
Y
"$ASSAY" run "$T/big.yaml" --no-progress-bar --no-table >/dev/null 2>&1
check exec_long_prompt_on_stdin 0 $?

# Many programs at once, up to the concurrency.
{
	echo "prompts: [\"{{q}}\"]"
	echo "providers: [exec:./answer.sh]"
	echo "tests:"
	i=0; while [ $i -lt 40 ]; do echo "  - vars: {q: \"case $i\"}"; i=$((i+1)); done
} >"$T/many.yaml"
"$ASSAY" run "$T/many.yaml" -j 16 --no-progress-bar --no-table -o "$T/m.json" >/dev/null 2>&1
check exec_many_all_answered 40 "$(jq '[.results[] | select(.error == null)] | length' "$T/m.json")"

# The generic HTTP provider and the local-server aliases, against `assay mock`.
cat >"$T/rules.yaml" <<'Y'
models: [{name: "*"}]
rules:
  - contains: "capital of France"
    reply: "Paris"
default: "?"
Y
start_mock hm "$T/rules.yaml" --quiet
cat >"$T/http.yaml" <<Y
prompts: ["What is the capital of {{country}}?"]
providers:
  - id: http://127.0.0.1:$PORT/v1/chat/completions
    label: jsonpath
    config:
      headers: {Authorization: "Bearer {{ env.HTTP_TEST_KEY }}"}
      body: {model: m, messages: [{role: user, content: "{{prompt}}"}]}
      responsePath: "\$.choices[0].message.content"
  - id: http
    label: jq
    config:
      url: http://127.0.0.1:$PORT/v1/chat/completions
      body: {model: m, messages: [{role: user, content: "{{prompt}}"}]}
      responsePath: "jq:.choices[0].message.content | ascii_upcase"
  - id: ollama:chat:llama3
    config: {apiBaseUrl: "http://127.0.0.1:$PORT/v1"}
  - id: vllm:some/model
    config: {apiBaseUrl: "http://127.0.0.1:$PORT/v1"}
  - id: llamacpp:local
    config: {apiBaseUrl: "http://127.0.0.1:$PORT/v1"}
tests:
  - vars: {country: France}
    assert: [{type: icontains, value: paris}]
Y
HTTP_TEST_KEY=sk-http-secret-77 "$ASSAY" run "$T/http.yaml" --no-progress-bar --no-table -o "$T/h.json" >/dev/null 2>&1
check http_and_aliases_all_pass 0 $?
check http_jsonpath_output Paris "$(jq -r '.results[] | select(.provider_label=="jsonpath") | .output' "$T/h.json")"
check http_jq_output PARIS "$(jq -r '.results[] | select(.provider_label=="jq") | .output' "$T/h.json")"
check aliases_answered 3 "$(jq '[.results[] | select(.provider_id | test("^(ollama|vllm|llamacpp):")) | select(.pass)] | length' "$T/h.json")"
if grep -rq sk-http-secret-77 "$T/.assay" "$T/h.json"; then fail http_header_key_not_stored "key found"; else ok http_header_key_not_stored; fi
