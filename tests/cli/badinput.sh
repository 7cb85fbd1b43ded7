#!/bin/sh
# badinput.sh — bad suites end with exit 1 and an error naming
# file:line:col, before any request (no database is even created).
. "$(dirname "$0")/../lib.sh"
cd "$T" || exit 1

# expect NAME PATTERN FILE: validate and run both fail with PATTERN.
expect() {
	name=$1; pat=$2; f=$3
	"$ASSAY" validate "$f" >/dev/null 2>"$T/v.err"
	rc=$?
	"$ASSAY" run "$f" --no-progress-bar >/dev/null 2>"$T/r.err"
	rc2=$?
	if [ $rc -eq 1 ] && [ $rc2 -eq 1 ] && grep -qE -- "$pat" "$T/v.err" && grep -qE -- "$pat" "$T/r.err" \
		&& [ ! -e "$T/.assay/assay.db" ]; then
		ok "$name"
	else
		fail "$name" "exit $rc/$rc2, stderr: $(cat "$T/v.err")"
	fi
}

head='prompts: ["Q: {{q}}"]
providers: [{id: openai:chat:m, config: {apiBaseUrl: "http://127.0.0.1:1/v1"}}]'

printf '%s\ntests:\n  - vars: {q: 1\n' "$head" >bad_yaml.yaml
expect bad_yaml_syntax 'bad_yaml.yaml:[0-9]+:[0-9]+: error:' bad_yaml.yaml

printf '%s\ntests:\n  - vars: {q: hi}\n    assert:\n      - type: contains-ish\n        value: x\n' "$head" >bad_type.yaml
expect unknown_assertion_type "bad_type.yaml:6:[0-9]+: error: .*contains-ish" bad_type.yaml

printf '%s\ntests:\n  - vars: {q: hi}\n    assert:\n      - type: regex\n        value: "a(b"\n' "$head" >bad_regex.yaml
expect invalid_regex 'bad_regex.yaml:[0-9]+:[0-9]+: error: .*(regex|pattern)' bad_regex.yaml

printf '%s\ntests: file://nope.csv\n' "$head" >missing_file.yaml
expect missing_tests_file 'missing_file.yaml:[0-9]+:[0-9]+: error: .*nope.csv' missing_file.yaml

printf '%s\ntests:\n  - vars: {other: hi}\n' "$head" >missing_var.yaml
expect missing_variable "missing_var.yaml:4:[0-9]+: error: .*'q'" missing_var.yaml

printf 'q,__expected\n"unterminated,x\n' >broken.csv
printf '%s\ntests: file://broken.csv\n' "$head" >bad_csv.yaml
expect malformed_csv 'broken.csv:[0-9]+:[0-9]+: error:' bad_csv.yaml

printf '{"vars": {"q": "ok"}}\n{"vars": {"q": }\n' >broken.jsonl
printf '%s\ntests: file://broken.jsonl\n' "$head" >bad_jsonl.yaml
expect malformed_jsonl 'broken.jsonl:2:[0-9]+: error:' bad_jsonl.yaml

printf '%s\nsharing: true\ntests: []\n' "$head" >unsupported.yaml
expect unsupported_feature "unsupported.yaml:3:1: error: .*sharing" unsupported.yaml

printf 'prompts: ["{{q}}"]\nproviders: [{id: openai:chat:m, config: {apiBaseUrl: "http://x/v1", tool_chioce: auto}}]\ntests: [{vars: {q: a}}]\n' >bad_cfg.yaml
expect unknown_provider_config "bad_cfg.yaml:2:[0-9]+: error: .*tool_chioce" bad_cfg.yaml

"$ASSAY" run does-not-exist.yaml >/dev/null 2>"$T/nf.err"
check missing_suite_exit_1 1 $?
check_grep missing_suite_names_file 'does-not-exist.yaml' "$T/nf.err"
