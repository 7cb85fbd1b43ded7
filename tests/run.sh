#!/bin/sh
# run.sh — the whole test suite: the unit-test binary, then every
# tests/cli/*.sh script.  Each prints lines "ok NAME", "FAIL NAME" or
# "skip NAME"; this script counts them and ends with
# "N passed, N failed, N skipped".  Needs ASSAY and UNIT in the environment.
set -u
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d)
PG_TEST_DIR=
trap 'rm -rf "$out"; [ -n "$PG_TEST_DIR" ] && sh "$here/pg.sh" stop "$PG_TEST_DIR"' EXIT
trap 'exit 130' INT TERM
: "${ASSAY:?set ASSAY to the assay binary}" "${UNIT:?set UNIT to the unit test binary}"
export ASSAY

# One throwaway PostgreSQL server for the whole run (tests/pg.sh), unless
# ASSAY_TEST_PG already names one.  The store tests run against it as well
# as SQLite, and ASSAY_REQUIRE_PG makes a missing server a failure in every
# test that needs it, never a silent skip.
export ASSAY_REQUIRE_PG=1
pg_fail=
if [ -z "${ASSAY_TEST_PG:-}" ]; then
	if vars=$(sh "$here/pg.sh" start 2>"$out/pg.err"); then
		eval "$vars"
	else
		pg_fail="FAIL postgres_server (tests/pg.sh start: $(tr '\n' ' ' <"$out/pg.err"))"
	fi
fi
export ASSAY_TEST_PG="${ASSAY_TEST_PG:-}"
cli=${CLI_DIR:-$here/cli}
# Every sanitizer report from any process (the unit binary, assay started by a
# CLI script, a mock in the background) lands in $out/san.PID, so a report is
# seen even when a script ignores that process's exit status or its stderr.
mkdir -p "$out/san"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$out/san/asan"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$out/san/ubsan:print_stacktrace=1"

echo "== unit tests"
"$UNIT" >"$out/unit.log" 2>&1
urc=$?
grep -E '^(FAIL|  )' "$out/unit.log" || true
grep -cE '^ok ' "$out/unit.log" | sed 's/$/ unit tests passed/'
# The unit binary must end with its own tally and exit 0 when nothing failed:
# a crash or a sanitizer abort after some passing checks is a failure, even
# though every line it printed says "ok".
if ! tail -n 1 "$out/unit.log" | grep -qE '^[0-9]+ passed, [0-9]+ failed$'; then
	tail -n 30 "$out/unit.log"
	echo "FAIL unit_tests (no final tally: the binary crashed or was killed, exit $urc)" | tee -a "$out/unit.log"
elif [ $urc -ne 0 ] && ! grep -qE '^FAIL ' "$out/unit.log"; then
	echo "FAIL unit_tests (exited $urc with no failing check)" | tee -a "$out/unit.log"
fi
if grep -qE '^(==[0-9]+==ERROR|SUMMARY: (Address|Undefined|Leak)Sanitizer)|runtime error:' "$out/unit.log"; then
	echo "FAIL unit_tests (sanitizer report)" | tee -a "$out/unit.log"
fi
cat "$out/unit.log" >"$out/all.log"
if [ -n "$pg_fail" ]; then
	echo "$pg_fail" | tee -a "$out/all.log"
fi

for t in "$cli"/*.sh; do
	[ -e "$t" ] || continue
	name=$(basename "$t" .sh)
	echo "== $name"
	sh "$t" >"$out/$name.log" 2>&1
	rc=$?
	cat "$out/$name.log"
	if [ $rc -ne 0 ] && ! grep -qE '^FAIL ' "$out/$name.log"; then
		echo "FAIL $name (script exited $rc)" | tee -a "$out/$name.log"
	fi
	if grep -qE '^(==[0-9]+==ERROR|SUMMARY: (Address|Undefined|Leak)Sanitizer)|runtime error:' "$out/$name.log"; then
		echo "FAIL $name (sanitizer report)" | tee -a "$out/$name.log"
	fi
	if ! grep -qE '^(ok|FAIL|skip) ' "$out/$name.log"; then
		echo "FAIL $name (no check reported)" | tee -a "$out/$name.log"
	fi
	cat "$out/$name.log" >>"$out/all.log"
done

for r in "$out"/san/*; do
	[ -e "$r" ] || continue
	echo "== sanitizer report $(basename "$r")"
	head -n 40 "$r"
	echo "FAIL sanitizer_report $(basename "$r")" | tee -a "$out/all.log"
done

p=$(grep -cE '^ok ' "$out/all.log")
f=$(grep -cE '^FAIL ' "$out/all.log")
s=$(grep -cE '^skip ' "$out/all.log")
echo "$p passed, $f failed, $s skipped"
[ "$f" -eq 0 ]
