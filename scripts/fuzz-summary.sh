#!/bin/sh
# fuzz-summary.sh [HISTORY] — totals of build-fuzz/fuzz-history.tsv (written
# by scripts/fuzz.sh) per target: runs, seconds fuzzed, inputs executed,
# runs that ended in a finding.  Markdown table on stdout.
set -u
h=${1:-build-fuzz/fuzz-history.tsv}
[ -f "$h" ] || { echo "fuzz-summary.sh: no $h (run make fuzz first)" >&2; exit 2; }
echo "| target | runs | seconds fuzzed | inputs executed | runs ending in a finding |"
echo "| --- | ---: | ---: | ---: | ---: |"
awk -F'\t' '{ r[$2]++; s[$2] += $4; u[$2] += $5; if ($6 != 0) f[$2]++ }
	END { for (t in r) printf "| `%s` | %d | %d | %d | %d |\n", t, r[t], s[t], u[t], f[t] + 0 }' "$h" | sort
