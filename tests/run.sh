#!/bin/sh
# run.sh — the whole test suite: the unit-test binary, then every
# tests/cli/*.sh script.  Each prints lines "ok NAME", "FAIL NAME" or
# "skip NAME"; this script counts them and ends with
# "N passed, N failed, N skipped".  Needs ASSAY and UNIT in the environment.
set -u
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
: "${ASSAY:?set ASSAY to the assay binary}" "${UNIT:?set UNIT to the unit test binary}"
export ASSAY

echo "== unit tests"
"$UNIT" >"$out/unit.log" 2>&1
grep -E '^(FAIL|  )' "$out/unit.log" || true
grep -cE '^ok ' "$out/unit.log" | sed 's/$/ unit tests passed/'
cat "$out/unit.log" >"$out/all.log"

for t in "$here"/cli/*.sh; do
	[ -e "$t" ] || continue
	name=$(basename "$t" .sh)
	echo "== $name"
	sh "$t" >"$out/$name.log" 2>&1
	rc=$?
	cat "$out/$name.log"
	if [ $rc -ne 0 ] && ! grep -qE '^FAIL ' "$out/$name.log"; then
		echo "FAIL $name (script exited $rc)" | tee -a "$out/$name.log"
	fi
	cat "$out/$name.log" >>"$out/all.log"
done

p=$(grep -cE '^ok ' "$out/all.log")
f=$(grep -cE '^FAIL ' "$out/all.log")
s=$(grep -cE '^skip ' "$out/all.log")
echo "$p passed, $f failed, $s skipped"
[ "$f" -eq 0 ]
