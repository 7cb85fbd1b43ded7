#!/bin/sh
# fuzz_replay.sh — every fuzz target's corpus (fuzz/corpus/<target>/: the
# seeds and the inputs that once crashed) through its replay program, which
# `make test` builds with the project's compiler (under ASan + UBSan in the
# second pass of `make check`).  One check per target: the program must
# get through every file (a crash or a sanitizer abort fails it).
. "$(dirname "$0")/../lib.sh"
here=$(cd "$(dirname "$0")/../.." && pwd)
dir=${FUZZ_REPLAY:-}
# Leaks inside libraries that assay cannot free (each with its reason).
# (It matches frames inside libjq, which has no frame pointers: only the
# slow unwinder sees them.)
# print_suppressions=0: the list of suppressions used is not a report
# (tests/run.sh fails on any file a sanitizer writes).
export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$here/fuzz/lsan.supp:print_suppressions=0"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0"
if [ -z "$dir" ] || [ ! -d "$dir" ]; then
	echo "skip fuzz_replay (FUZZ_REPLAY is not a directory; make test sets it)"
	exit 0
fi
for src in "$here"/fuzz/*.c; do
	t=$(basename "$src" .c)
	corpus=$here/fuzz/corpus/$t
	n=$(ls "$corpus" 2>/dev/null | wc -l)
	if [ ! -x "$dir/$t" ]; then
		fail "fuzz_replay_$t" "no replay program $dir/$t"
	elif [ "$n" -eq 0 ]; then
		fail "fuzz_replay_$t" "empty corpus $corpus"
	elif TMPDIR=$T "$dir/$t" "$corpus" >"$T/replay_$t.log" 2>&1; then
		check_grep "fuzz_replay_$t" "^replayed $n inputs$" "$T/replay_$t.log"
	else
		fail "fuzz_replay_$t" "exit $? after: $(tail -n 5 "$T/replay_$t.log")"
	fi
done
