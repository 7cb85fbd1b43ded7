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
