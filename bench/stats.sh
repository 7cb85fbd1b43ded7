#!/bin/sh
# bench/stats.sh — builds bench/stats_bench.c against the library objects
# of a build directory and prints how long all statistics take for 10
# candidates x 100,000 results with 10,000 resamples (target: < 2 s on one
# core).  Loading a run from SQLite is not included (see
# docs/statistics.md, "Speed").
# Usage: BUILD=build bench/stats.sh [CANDIDATES [RESULTS [RESAMPLES]]]
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
make --no-print-directory BUILD="$BUILD" "$BUILD/assay" >/dev/null
# the Makefile's own flags, so the bench links whatever the tree links
mk() { make --no-print-directory -s --eval "print-$1: ; @echo \$($1)" "print-$1"; }
# the objects of today's sources (not stale ones of renamed files)
OBJS=$(mk OBJ)
${CC:-cc} -std=c11 -D_GNU_SOURCE -O2 -Isrc $(mk PKG_CFLAGS) \
	-o "$BUILD/stats_bench" bench/stats_bench.c $OBJS $(mk LDLIBS)
taskset -c 0 "$BUILD/stats_bench" "$@" 2>/dev/null || "$BUILD/stats_bench" "$@"
