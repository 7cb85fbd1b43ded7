#!/bin/sh
# conversation_var.sh — promptfoo's `_conversation` variable against
# `assay mock`: each test of a provider and prompt sees the earlier tests'
# inputs and outputs (promptfoo's {prompt, input, output} entries), the
# tests of one chain run in order even at -j 8, `metadata.conversationId`
# starts separate chains, and examples/conversation/conversation_var.yaml
# gives its verdicts (steady reads the history, drifty does not).
. "$(dirname "$0")/../lib.sh"
E=$(cd "$(dirname "$0")/../../examples/conversation" && pwd)
export OPENAI_API_KEY=sk-test-cvar
printf 'models:\n  - name: echo\n    default: "A:{{last_user}}"\n' >"$T/rules.yaml"
start_mock m "$T/rules.yaml"
cat >"$T/suite.yaml" <<'YAML'
prompts:
  - |-
    [
    {% for completion in _conversation %}
      {"role": "user", "content": "{{ completion.input }}"},
      {"role": "assistant", "content": "{{ completion.output }}"},
    {% endfor %}
      {"role": "user", "content": "{{ question }} (turn {{ _conversation | length + 1 }})"}
    ]
providers: [openai:chat:echo]
tests:
  - vars: {question: "q1"}
YAML
# a template outside the subset is refused at load with its position
"$ASSAY" validate "$T/suite.yaml" >"$T/bad.out" 2>&1
check_grep cvar_subset_error "suite.yaml:8:[0-9]+: error: unsupported template syntax '\\+ 1'" "$T/bad.out"
cat >"$T/suite.yaml" <<'YAML'
prompts:
  - |-
    [
    {% for completion in _conversation %}
      {"role": "user", "content": "{{ completion.input }}"},
      {"role": "assistant", "content": "{{ completion.output }}"},
    {% endfor %}
      {"role": "user", "content": "{{ question }}"}
    ]
  - "plain {{ question }} after {{ _conversation | length }}"
providers: [openai:chat:echo]
tests:
  - vars: {question: "q1"}
  - vars: {question: "q2"}
  - vars: {question: "x1"}
    metadata: {conversationId: other}
  - vars: {question: "q3"}
  - vars: {question: "x2"}
    metadata: {conversationId: other}
YAML
"$ASSAY" run "$T/suite.yaml" -j 8 --no-progress-bar --no-table -o "$T/r.json" >"$T/run.out" 2>&1
check cvar_run_exit 0 $?
p() { jq -r --arg q "$1" --argjson i "$2" '.results[] | select(.vars.question == $q and .prompt_idx == $i) | .prompt' "$T/r.json"; }
msgs() { p "$1" 0 | jq -c '[.[] | "\(.role):\(.content)"]'; }
check cvar_first_sees_nothing '["user:q1"]' "$(msgs q1)"
check cvar_second_sees_first '["user:q1","assistant:A:q1","user:q2"]' "$(msgs q2)"
check cvar_third_sees_both '["user:q1","assistant:A:q1","user:q2","assistant:A:q2","user:q3"]' "$(msgs q3)"
check cvar_conversation_id_chain '["user:x1","assistant:A:x1","user:x2"]' "$(msgs x2)"
# a text prompt is its own chain; `input` is the whole prompt there
check cvar_text_prompt_chain "plain q3 after 2" "$(p q3 1)"

# the example: steady keeps the order across the tests, drifty does not
start_mock ex "$E/mock-models.yaml"
"$ASSAY" run "$E/conversation_var.yaml" -j 8 --no-progress-bar --no-table -o "$T/e.json" >"$T/ex.out" 2>&1
check cvar_example_exit 100 $?
check cvar_example_steady "true true true" "$(jq -r '[.results[] | select(.provider_id == "openai:chat:steady") | .pass | tostring] | join(" ")' "$T/e.json")"
check cvar_example_drifty "true false false" "$(jq -r '[.results[] | select(.provider_id == "openai:chat:drifty") | .pass | tostring] | join(" ")' "$T/e.json")"
check cvar_example_history_reached_the_model "You asked about order A-1042." "$(jq -r '.results[] | select(.provider_id == "openai:chat:steady" and .case_idx == 2) | .output' "$T/e.json")"
