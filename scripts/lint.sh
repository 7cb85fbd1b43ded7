#!/bin/sh
# lint.sh — `make lint`: banned functions (scripts/banned.sh), cppcheck and
# clang-tidy (checks in .clang-tidy) over src/.  Exit 0 when all three are
# clean.
#
# clang-tidy findings that were read and judged false positives are listed
# in scripts/tidy-accepted.txt, one per line:
#     FILE (or *)|CHECK|TEXT OF THE MESSAGE (a substring)|why it is not a bug
# (no line numbers, so the list survives edits elsewhere in the file).  A
# finding that matches no entry fails the lint.  Environment: CFLAGS_LINT
# (the compile flags, `make lint` passes them), TIDY_JOBS (default 1).
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here" || exit 2
flags=${CFLAGS_LINT:-"-std=c11 -D_GNU_SOURCE -Isrc"}
# The raw outputs stay in build/lint/ for reading.
out=$here/build/lint
mkdir -p "$out"
status=0

echo "== banned functions"
scripts/banned.sh src || status=1

echo "== cppcheck"
# warning/portability/performance: bugs, not style.  jansson's header is
# read for its foreach macros; other system headers are not needed.
if cppcheck --enable=warning,portability,performance --std=c11 -D_GNU_SOURCE \
	-q --inline-suppr -Isrc --include=/usr/include/jansson.h \
	--suppress=missingIncludeSystem --error-exitcode=1 \
	--template='{file}:{line}: {severity}: {message} [{id}]' src; then
	echo "cppcheck: clean"
else
	status=1
fi

echo "== clang-tidy"
# shellcheck disable=SC2086
find src -name '*.c' | sort | xargs -P "${TIDY_JOBS:-1}" -n 8 \
	sh -c 'clang-tidy --quiet "$@" -- '"$flags" clang-tidy \
	>"$out/tidy.log" 2>"$out/tidy.err"
if ! grep -q . "$out/tidy.log" && grep -q . "$out/tidy.err" &&
	! grep -qE 'warnings? generated' "$out/tidy.err"; then
	cat "$out/tidy.err"
	echo "clang-tidy did not run"
	exit 1
fi
grep -E '^[^ ]+:[0-9]+:[0-9]+: (warning|error):' "$out/tidy.log" |
	sed "s|^$here/||" | sort -u >"$out/findings"
awk -F'|' '
	FILENAME == ARGV[1] {
		if ($0 !~ /^#/ && NF >= 4) { f[++n] = $1; c[n] = $2; m[n] = $3 }
		next
	}
	{
		file = $0; sub(/:.*/, "", file)
		check = $0; sub(/.*\[/, "", check); sub(/\]$/, "", check)
		for (i = 1; i <= n; i++)
			if ((f[i] == "*" || file == f[i]) && index(check, c[i]) &&
			    index($0, m[i])) {
				used[i] = 1; next
			}
		print; bad++
	}
	END {
		for (i = 1; i <= n; i++)
			if (!used[i])
				printf "note: accepted finding no longer seen: %s|%s|%s\n", f[i], c[i], m[i] >"/dev/stderr"
		exit bad > 0
	}' scripts/tidy-accepted.txt "$out/findings"
rc=$?
total=$(wc -l <"$out/findings")
if [ $rc -eq 0 ]; then
	echo "clang-tidy: clean ($total findings, all listed in scripts/tidy-accepted.txt)"
else
	echo "clang-tidy: findings above are not in scripts/tidy-accepted.txt"
	status=1
fi
exit $status
