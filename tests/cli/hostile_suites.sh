#!/bin/sh
# hostile_suites.sh — hostile suite files end to end: an alias bomb (a
# 140 KB file that expanded to 400 MB), CSV columns that refer to each
# other (exponential time at load), a CSV cell reading
# file:///proc/self/environ, and ASSAY_LIMITS itself.  Each must fail at
# load with file:line:col and the limit's name, within a time bound and a
# peak-memory bound (GNU time %M).
. "$(dirname "$0")/../lib.sh"
ms() { date +%s%3N; }
# AddressSanitizer roughly doubles or triples peak memory: scale the bounds.
MEMX=1
if grep -q __asan_init "$ASSAY" 2>/dev/null; then MEMX=3; fi
if [ ! -x /usr/bin/time ]; then echo "skip hostile_suites (needs /usr/bin/time: make deps)"; exit 0; fi

# bounded NAME MAX_S MAX_KB PATTERN SUITE [env assignments…]
bounded() {
	name=$1; max_s=$2; max_kb=$3; pat=$4; suite=$5; shift 5
	t0=$(ms)
	env "$@" /usr/bin/time -f %M -o "$T/$name.mem" "$ASSAY" validate "$suite" >"$T/$name.out" 2>&1
	rc=$?
	t1=$(ms)
	kb=$(tail -n 1 "$T/$name.mem")
	why=""
	[ $rc -ne 0 ] || why="$why validate succeeded;"
	grep -qE -- "$pat" "$T/$name.out" || why="$why no /$pat/ in: $(head -c 300 "$T/$name.out");"
	[ $((t1 - t0)) -le $((max_s * 1000)) ] || why="$why took $((t1 - t0)) ms;"
	case "$kb" in ''|*[!0-9]*) why="$why no peak memory;" ;;
	*) [ "$kb" -le $((max_kb * MEMX)) ] || why="$why peak ${kb} KB > $((max_kb * MEMX)) KB;" ;; esac
	if [ -z "$why" ]; then ok "$name"; else fail "$name" "$why"; fi
}

# 2000 aliases to one 100 KB scalar: 200 MB of vars from a 140 KB file.
{
	printf 'prompts: ["{{a}}"]\nproviders: ["exec:cat"]\ndefaultTest:\n  vars:\n    big: &big "'
	i=0; while [ $i -lt 1000 ]; do printf 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'; i=$((i+1)); done
	printf '"\ntests:\n'
	i=0; while [ $i -lt 2000 ]; do echo '  - vars: {a: *big}'; i=$((i+1)); done
} >"$T/bomb.yaml"
bounded suite_alias_bomb_bytes 20 150000 '^.*bomb\.yaml:5:10: error: aliases expand the document by more than [0-9]+ bytes.*yaml_bytes' "$T/bomb.yaml"

# Eight CSV columns, each naming the next one 20 times: 20^8 tags.
{
	echo 'a0,a1,a2,a3,a4,a5,a6,a7,a8'
	row=""; j=0
	while [ $j -lt 8 ]; do
		cell=""; k=0; while [ $k -lt 20 ]; do cell="$cell{{a$((j+1))}}"; k=$((k+1)); done
		row="$row\"$cell\","; j=$((j+1))
	done
	echo "${row}x"
} >"$T/nested.csv"
printf 'prompts: ["{{a0}}"]\nproviders: ["exec:cat"]\ntests: file://nested.csv\n' >"$T/nested.yaml"
bounded suite_nested_csv_vars 20 150000 'nested\.csv:2:1: error: .*steps of work.*template_work' "$T/nested.yaml"

# A CSV cell reading the process's environment (with a key in it).
printf 'q\nfile:///proc/self/environ\n' >"$T/env.csv"
printf 'prompts: ["{{q}}"]\nproviders: ["exec:cat"]\ntests: file://env.csv\n' >"$T/env.yaml"
bounded suite_csv_reads_environ 20 150000 "env\.csv:2:1: error: var 'q' reads 'file:///proc/self/environ', outside the suite's directory" "$T/env.yaml" OPENAI_API_KEY=sk-hostile-env-0123456789
if grep -q sk-hostile-env "$T/suite_csv_reads_environ.out"; then fail suite_csv_environ_no_key "the key was printed"; else ok suite_csv_environ_no_key; fi

# ASSAY_LIMITS: a bad item is refused by name; a raised limit lets the bomb load.
bounded suite_limits_unknown_name 20 150000 "ASSAY_LIMITS: unknown limit 'bogus', expected one of: file_bytes" "$T/env.yaml" ASSAY_LIMITS=bogus=1
ASSAY_LIMITS=yaml_bytes=1G "$ASSAY" validate "$T/bomb.yaml" >"$T/raised.out" 2>&1
check suite_limits_raised_loads 0 $?

# A key put in apiKeyEnv by mistake is not printed back.
printf 'prompts: [hi]\nproviders:\n  - id: openai:chat:m\n    config: {apiKeyEnv: sk-proj-mistaken0123456789}\n' >"$T/keyenv.yaml"
bounded suite_apikeyenv_key_not_printed 20 150000 'keyenv\.yaml:3:5: error: .*apiKeyEnv names \$\[REDACTED\], which is not set' "$T/keyenv.yaml"
