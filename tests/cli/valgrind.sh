#!/bin/sh
# valgrind.sh — `assay run` of a small suite (tests/data/run: 16 requests,
# a CSV file, text, JSON and threshold assertions, two providers) against
# `assay mock`, then `assay show` and `assay stats` of the stored run, each
# under valgrind's memcheck with --leak-check=full: no invalid read or
# write, no use of uninitialised memory, no definite or possible leak.
# valgrind exits 99 on any error (--error-exitcode=99: assay's own statuses
# include 1 and 100).  Skipped when valgrind is missing or when $ASSAY is
# an ASan build (the second pass of make check: the two cannot be
# combined; ASan checks that build itself).  `make valgrind` runs just
# this script.
. "$(dirname "$0")/../lib.sh"
D=$(cd "$(dirname "$0")/../data/run" && pwd)
if ! command -v valgrind >/dev/null 2>&1; then
	echo "skip valgrind (valgrind is not installed; make deps installs it)"
	exit 0
fi
if ldd "$ASSAY" 2>/dev/null | grep -q 'libasan'; then
	echo "skip valgrind (ASSAY is an ASan build)"
	exit 0
fi
cp "$D"/basic.yaml "$D"/more.csv "$T"/
start_mock vg "$D/rules.yaml"
export OPENAI_API_KEY=sk-valgrind-test
VG="valgrind -q --error-exitcode=99 --leak-check=full --log-file=$T/vg.%p.log"

cd "$T" || exit 1
$VG "$ASSAY" run basic.yaml -j 4 --no-progress-bar >run.out 2>run.err
check valgrind_run_clean 100 $?
check valgrind_run_stored_all 16 "$(export_jsonl .assay/assay.db latest | grep -c .)"
$VG "$ASSAY" show latest --db .assay/assay.db >show.out 2>show.err
check valgrind_show_clean 0 $?
$VG "$ASSAY" stats latest --db .assay/assay.db >stats.out 2>stats.err
check valgrind_stats_clean 0 $?
# Any report at all (a leak in a child, a warning with exit 0) fails too.
if cat "$T"/vg.*.log 2>/dev/null | grep -q .; then
	fail valgrind_no_reports "$(cat "$T"/vg.*.log | head -40)"
else
	ok valgrind_no_reports
fi
