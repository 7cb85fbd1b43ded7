#!/bin/sh
# init.sh — `assay init`: each kind writes a suite that `assay validate`
# accepts, with the providers asked for; it never overwrites a file without
# --force (and writes nothing when it refuses); bad kinds are usage errors;
# the starter suite runs end to end against `assay mock`.
. "$(dirname "$0")/../lib.sh"
export OPENAI_API_KEY=sk-test-init ANTHROPIC_API_KEY=sk-ant-test-init
for k in classify extract qa; do
	"$ASSAY" init "$T/$k" --kind "$k" >"$T/$k.out" 2>&1
	check "init_${k}_exit_0" 0 $?
	"$ASSAY" validate "$T/$k/promptfooconfig.yaml" >"$T/$k.val" 2>&1
	check "init_${k}_validates" 0 $?
	check "init_${k}_has_cases" 1 "$([ -s "$T/$k/cases.csv" ] && [ -s "$T/$k/README.md" ] && echo 1)"
done

"$ASSAY" init "$T/classify" >"$T/again.out" 2>&1
check init_refuses_overwrite 1 $?
check_grep init_refusal_names_file 'promptfooconfig.yaml exists; not overwriting' "$T/again.out"

mkdir -p "$T/partial" && echo keep >"$T/partial/README.md"
"$ASSAY" init "$T/partial" >/dev/null 2>&1
check init_refusal_writes_nothing "keep|absent" "$(cat "$T/partial/README.md")|$([ -e "$T/partial/promptfooconfig.yaml" ] && echo present || echo absent)"
"$ASSAY" init "$T/partial" --force >/dev/null 2>&1
check init_force_overwrites 0 $?
check_grep init_force_wrote_readme 'Written by `assay init`' "$T/partial/README.md"

"$ASSAY" init "$T/bad" --kind poetry >"$T/bad.out" 2>&1
check init_bad_kind_usage 2 $?
check_grep init_bad_kind_message "unknown kind 'poetry'" "$T/bad.out"

"$ASSAY" init "$T/pv" -p openai:chat:mock -p 'openai:chat:a"b' >/dev/null 2>&1
check init_providers_written 2 "$(grep -cE '^  - "openai:chat:(mock|a\\"b)"$' "$T/pv/promptfooconfig.yaml")"

# End to end: the starter classify suite against the mock's echo model.
"$ASSAY" init "$T/e2e" -p openai:chat:mock >/dev/null 2>&1
printf 'models:\n  - name: mock\ndefault: '"'"'{"category": "billing", "confidence": 0.9}'"'"'\n' >"$T/rules.yaml"
start_mock m "$T/rules.yaml"
"$ASSAY" run "$T/e2e/promptfooconfig.yaml" --no-progress-bar -o "$T/e2e.json" >"$T/e2e.out" 2>&1
rc=$?
# The model always says billing: placeholder 1 passes, the other two fail.
check init_e2e_runs_and_fails 100 $rc
check init_e2e_verdicts "3 1" "$(jq -r '"\(.results | length) \([.results[] | select(.pass == true)] | length)"' "$T/e2e.json")"
