#!/bin/sh
# bench/grade.sh — builds bench/grade_bench.c against the grading module
# (a direct gcc line: the bench links src/score and its few dependencies,
# not the whole program) and runs it.  Prints evaluations per second;
# never asserts.  Usage: bench/grade.sh [SECONDS_PER_TYPE]
set -eu
cd "$(dirname "$0")/.."
OUT=${TMPDIR:-/tmp}/assay_grade_bench.$$
trap 'rm -f "$OUT"' EXIT
PKGS="jansson libpcre2-8 libxml-2.0 lua5.4 yaml-0.1"
# shellcheck disable=SC2046
${CC:-cc} -std=c11 -D_GNU_SOURCE -O2 -g -Isrc $(pkg-config --cflags $PKGS) \
	bench/grade_bench.c src/score/*.c src/suite/template.c \
	src/util/buf.c src/util/err.c src/util/xalloc.c src/util/fsutil.c \
	$(pkg-config --libs $PKGS) -ljq -lpg_query -lm -lpthread -o "$OUT"
"$OUT" "${1:-1}"
