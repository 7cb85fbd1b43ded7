#!/bin/sh
# failalloc.sh — the allocation-failure run (`make failalloc`): `assay run`
# of a small suite (tests/data/run, against `assay mock`) with the Nth
# counted allocation failing (src/util/xalloc.c, -DASSAY_FAIL_ALLOC), for
# every N from 1 to FIRST and then every STRIDE-th up to the run's total.
#
# Each run must end with an exit status (0, 1 or 100, never a signal or a
# sanitizer report); exit 1 must come with a message on stderr; and the
# store, shared by all the runs, must pass `pragma integrity_check` after
# each one.  Environment: ASSAY (a normal build: runs the mock), ASSAY_OOM
# (the allocation-failure build, with ASan + UBSan), FIRST (default 300),
# STRIDE (default: total / 200 + 1; 0: total / 40 + 1).  Prints one line
# per failing N and a summary; exits 1 when any N failed.
set -u
: "${ASSAY:?}" "${ASSAY_OOM:?}"
here=$(cd "$(dirname "$0")/.." && pwd)
D=$here/tests/data/run
T=$(mktemp -d)
trap 'kill $(cat "$T/mock.pid" 2>/dev/null) 2>/dev/null; rm -rf "$T"' EXIT
cp "$D/basic.yaml" "$D/more.csv" "$T/"
"$ASSAY" mock --rules "$D/rules.yaml" --port 0 --port-file "$T/port" --quiet \
	>"$T/mock.log" 2>&1 &
echo $! >"$T/mock.pid"
i=0
while [ ! -s "$T/port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
export OPENAI_BASE_URL="http://127.0.0.1:$(cat "$T/port")/v1" OPENAI_API_KEY=sk-failalloc
# Leaks on the error paths are not what this run looks for (and _exit
# skips the leak check anyway); memory errors and UB are.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}halt_on_error=1:print_stacktrace=1"
cd "$T" || exit 2

ASSAY_ALLOC_COUNT=1 "$ASSAY_OOM" run basic.yaml -j 4 --no-progress-bar >count.out 2>count.err
total=$(sed -n 's/^assay: \([0-9]*\) allocations$/\1/p' count.err | tail -n 1)
if [ -z "$total" ]; then
	echo "FAIL failalloc: the counting run printed no count: $(tail -n 5 count.err)"
	exit 1
fi
first=${FIRST:-300}
# STRIDE=0: 40 values spread over the rest of the run.
stride=${STRIDE:-$((total / 200 + 1))}
[ "$stride" -gt 0 ] || stride=$((total / 40 + 1))
echo "failalloc: $total counted allocations in one run; N = 1..$first, then every $stride"
bad=0 runs=0 n=1 oom=0 dberr=0
while [ "$n" -le "$total" ]; do
	ASSAY_FAIL_ALLOC=$n "$ASSAY_OOM" run basic.yaml -j 4 --no-progress-bar >out 2>err
	rc=$?
	runs=$((runs + 1))
	why=
	case $rc in
	0 | 100) ;;
	1)	grep -q . err || why="exit 1 with no message"
		grep -q 'out of memory' err && oom=$((oom + 1))
		grep -qi 'database\|sqlite\|store' err && dberr=$((dberr + 1)) ;;
	*)	why="exit $rc" ;;
	esac
	if grep -qE 'ERROR: AddressSanitizer|runtime error:' err; then
		why="${why:+$why, }sanitizer report"
	fi
	if [ -f .assay/assay.db ]; then
		ic=$(sqlite3 .assay/assay.db 'pragma integrity_check' 2>&1)
		[ "$ic" = ok ] || why="${why:+$why, }store integrity_check: $ic"
	fi
	if [ -n "$why" ]; then
		echo "FAIL failalloc N=$n: $why"
		grep -E 'ERROR|runtime error|#[0-9] |error' err | head -n 8
		bad=$((bad + 1))
	fi
	if [ "$n" -lt "$first" ]; then n=$((n + 1)); else n=$((n + stride)); fi
done
echo "failalloc: $runs runs, $bad failed ($oom ended 'out of memory', $dberr with a store error)"
[ $bad -eq 0 ]
