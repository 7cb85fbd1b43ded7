#!/bin/sh
# failalloc.sh — the allocation-failure run (scripts/failalloc.sh) on a
# sample of N: `assay run` of a small suite with the Nth allocation
# failing, for N = 1..40 and 40 more spread over the whole run.  Needs a
# binary built with -DASSAY_FAIL_ALLOC: the ASan pass of make check is one
# (the Makefile's test-asan); in the plain pass this prints skip.  `make
# failalloc` runs the longer sample.
. "$(dirname "$0")/../lib.sh"
here=$(cd "$(dirname "$0")/../.." && pwd)
if ! ASSAY_ALLOC_COUNT=1 "$ASSAY" --version 2>&1 | grep -q ' allocations$'; then
	echo "skip failalloc ($ASSAY is not an allocation-failure build)"
	exit 0
fi
total=$(ASSAY_ALLOC_COUNT=1 "$ASSAY" --version 2>&1 >/dev/null | sed -n 's/^assay: \([0-9]*\) allocations$/\1/p')
check failalloc_counts_allocations yes "$([ "${total:-x}" -ge 0 ] 2>/dev/null && echo yes)"
FIRST=40 STRIDE=0 ASSAY_OOM=$ASSAY "$here/scripts/failalloc.sh" >"$T/fa.log" 2>&1
rc=$?
cat "$T/fa.log"
check failalloc_every_run_clean 0 $rc
check_grep failalloc_ran_the_sample '^failalloc: [0-9]+ runs, 0 failed' "$T/fa.log"
