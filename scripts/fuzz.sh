#!/bin/sh
# fuzz.sh BUILD SECONDS TARGET... — runs each libFuzzer binary
# BUILD/fuzz-bin/TARGET for SECONDS, one after the other (`make fuzz`).
#
# The seeds are fuzz/corpus/TARGET/ (read, never written); what a run finds
# goes to BUILD/corpus/TARGET/ (kept between runs), a crash to
# BUILD/crashes/TARGET/.  A crash stops that target and the script ends
# non-zero after the others.  Each target's log is BUILD/logs/TARGET.log;
# the last line printed per target is libFuzzer's final status line.
# Targets run one at a time (the machine has two cores).  Each run adds a
# line to BUILD/fuzz-history.tsv: date, target, seconds asked, seconds
# taken, inputs executed, exit status.  FUZZ_ARGS adds libFuzzer options.
set -u
build=$1 secs=$2
shift 2
here=$(cd "$(dirname "$0")/.." && pwd)
status=0
# fuzz/lsan.supp matches frames inside libjq, which has no frame pointers:
# only the slow unwinder sees them.  It unwinds at every malloc, which
# costs most of the time of a target that allocates much (sample_log ran
# 19 inputs a second with it, 103 without), so the targets that cannot
# reach libjq (no assertions, no responsePath) use the fast one.
export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$here/fuzz/lsan.supp"
asan=${ASAN_OPTIONS:-}
no_jq=" view_api review_import sample_log "
for t in "$@"; do
	case $no_jq in
	*" $t "*) export ASAN_OPTIONS="${asan:+$asan:}fast_unwind_on_malloc=1" ;;
	*) export ASAN_OPTIONS="${asan:+$asan:}fast_unwind_on_malloc=0" ;;
	esac
	bin=$build/fuzz-bin/$t
	mkdir -p "$build/corpus/$t" "$build/crashes/$t" "$build/logs"
	dict=
	[ -f "$here/fuzz/dict/$t.dict" ] && dict="-dict=$here/fuzz/dict/$t.dict"
	echo "== fuzz $t for ${secs}s"
	t0=$(date +%s)
	# -timeout: one input taking > 10 s is a hang; -rss_limit_mb: runaway
	# memory is a finding too.  Stdin is /dev/null: a suite naming
	# file:///dev/stdin must not block the run.
	# shellcheck disable=SC2086
	"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-max_len=65536 -print_final_stats=1 $dict ${FUZZ_ARGS:-} \
		-artifact_prefix="$build/crashes/$t/" \
		"$build/corpus/$t" "$here/fuzz/corpus/$t" \
		</dev/null >"$build/logs/$t.log" 2>&1
	rc=$?
	units=$(sed -n 's/^stat::number_of_executed_units: *//p' "$build/logs/$t.log" | tail -n 1)
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$t" "$secs" \
		$(($(date +%s) - t0)) "${units:-0}" $rc >>"$build/fuzz-history.tsv"
	grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb)' "$build/logs/$t.log" | tr '\n' ' '
	echo
	if [ $rc -ne 0 ]; then
		echo "FAIL fuzz $t (exit $rc): $(ls "$build/crashes/$t" | head -3)"
		grep -E 'ERROR|SUMMARY|runtime error' "$build/logs/$t.log" | head -5
		status=1
	fi
done
exit $status
