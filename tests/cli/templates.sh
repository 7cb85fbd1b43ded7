#!/bin/sh
# templates.sh — the Nunjucks subset through a whole run against `assay
# mock` (which echoes the last user message): set / if / for and filters in
# a text prompt, a chat prompt built by a loop (values with quotes and
# newlines JSON-escaped inside its strings), a templated assertion value,
# and the load-time error for a tag outside the subset.  Expected strings
# are written from Nunjucks' rules (docs/suites.md, "Templates").  Lists
# are of numbers: a list of strings would expand into one test per value
# (promptfoo's rule), and [] is true in a condition (JavaScript), so the
# prompt tests `items | length`.
. "$(dirname "$0")/../lib.sh"
export OPENAI_API_KEY=sk-test-templates
printf 'models:\n  - name: echo\n    default: "{{last_user}}"\n' >"$T/rules.yaml"
start_mock m "$T/rules.yaml"
cat >"$T/suite.yaml" <<'YAML'
prompts:
  - id: text
    raw: "{% set greeting = 'Hello' %}{{ greeting }} {{ name | upper }}{% if items | length > 1 %}: {{ items | join(', ') }}{% elif items %}: only {{ items | first }}{% else %}.{% endif %}{{ (extra | default('')) | trim }}"
  - id: chat
    raw: |-
      [
      {% for m in history %}
        {"role": "{{ 'assistant' if false else m.role }}", "content": "{{ m.text }}"},
      {% endfor %}
        {"role": "user", "content": "{{ name }}"}
      ]
providers: [openai:chat:echo]
tests:
  - vars: {name: ada, items: [a, b, c], history: []}
YAML
# `x if c else y` is outside the subset: refused at load with its position
"$ASSAY" validate "$T/suite.yaml" >"$T/bad.out" 2>&1
check templates_outside_subset_exit 1 $?
check_grep templates_outside_subset_position "suite.yaml:[0-9]+:[0-9]+: error: .*inline 'if … else …'" "$T/bad.out"
cat >"$T/suite.yaml" <<'YAML'
prompts:
  - "{% set greeting = 'Hello' %}{{ greeting }} {{ name | upper }}{% if items | length > 1 %}: {{ items | join(', ') }}{% elif items | length %}: only {{ items | first }}{% else %}.{% endif %}{{ extra | default('') | trim }}"
  - |-
    [
    {% for m in history %}
      {"role": "{{ m.role }}", "content": "{{ m.text }}"},
    {% endfor %}
      {"role": "user", "content": "{{ name }} ({{ history | length }} before)"}
    ]
providers: [openai:chat:echo]
tests:
  - description: many
    vars: {name: ada, items: [1, 2, 3], history: [], expected: "  Hello ADA: 1, 2, 3  "}
    assert: [{type: equals, value: "{{ expected | trim }}"}]
  - description: one
    vars: {name: bo, items: [7], extra: "  !  ", history: [{role: user, text: "say \"hi\"\nnow"}, {role: assistant, text: "hi"}]}
  - description: none
    vars: {name: cy, items: [], history: []}
YAML
"$ASSAY" run "$T/suite.yaml" --no-progress-bar --no-table -o "$T/r.json" >"$T/run.out" 2>&1
# 100: the equals assertion also grades the chat prompt's output, which differs
check templates_run_exit 100 $?
o() { jq -r --arg d "$1" --argjson i "$2" '.results[] | select(.description == $d and .prompt_idx == $i) | .output' "$T/r.json"; }
check templates_for_join "Hello ADA: 1, 2, 3" "$(o many 0)"
check templates_assert_value_templated "true" "$(jq -r '.results[] | select(.description == "many" and .prompt_idx == 0) | .pass' "$T/r.json")"
check templates_elif_first_default_trim "Hello BO: only 7!" "$(o one 0)"
check templates_else "Hello CY." "$(o none 0)"
check templates_chat_loop_last_user "bo (2 before)" "$(o one 1)"
check templates_chat_loop_escaped '["user:say \"hi\"\nnow","assistant:hi","user:bo (2 before)"]' "$(jq -c '.results[] | select(.description == "one" and .prompt_idx == 1) | .prompt | fromjson | [.[] | "\(.role):\(.content)"]' "$T/r.json")"
