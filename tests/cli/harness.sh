#!/bin/sh
# harness.sh — tests/run.sh itself must not end green when something crashed:
# a unit binary that dies after printing "ok" lines, one that exits non-zero
# with no failing check, a CLI script that reports nothing, and a sanitizer
# report written by any child process each make it fail; a clean run passes.
. "$(dirname "$0")/../lib.sh"
RUN="$(dirname "$0")/../run.sh"
mkdir -p "$T/cli" "$T/cli_empty" "$T/cli_san"
printf '#!/bin/sh\necho "ok fake_cli"\n' >"$T/cli/a.sh"
printf '#!/bin/sh\necho "nothing to say"\n' >"$T/cli_empty/a.sh"
# A "child" that writes where the sanitizer would, as ASan does on an error.
cat >"$T/cli_san/a.sh" <<'EOS'
#!/bin/sh
p=$(printf '%s' "$ASAN_OPTIONS" | sed 's/.*log_path=//; s/:.*//')
echo "==1==ERROR: AddressSanitizer: heap-use-after-free" >"$p.4242"
echo "ok looks_fine"
EOS
printf '#!/bin/sh\necho "ok u1"\necho "ok u2"\nkill -SEGV $$\n' >"$T/crash"
printf '#!/bin/sh\necho "ok u1"\necho "1 passed, 0 failed"\nexit 1\n' >"$T/badexit"
printf '#!/bin/sh\necho "ok u1"\necho "1 passed, 0 failed"\n' >"$T/good"
chmod +x "$T/crash" "$T/badexit" "$T/good"

UNIT="$T/good" CLI_DIR="$T/cli" sh "$RUN" >"$T/o1" 2>&1
check harness_clean_run_passes 0 $?
check harness_clean_tally "2 passed, 0 failed, 0 skipped" "$(tail -n 1 "$T/o1")"

UNIT="$T/crash" CLI_DIR="$T/cli" sh "$RUN" >"$T/o2" 2>&1
rc=$?
check harness_unit_crash_fails 1 "$([ $rc -ne 0 ] && grep -q '^FAIL unit_tests (no final tally' "$T/o2" && echo 1)"

UNIT="$T/badexit" CLI_DIR="$T/cli" sh "$RUN" >"$T/o3" 2>&1
rc=$?
check harness_unit_bad_exit_fails 1 "$([ $rc -ne 0 ] && grep -q '^FAIL unit_tests (exited 1' "$T/o3" && echo 1)"

UNIT="$T/good" CLI_DIR="$T/cli_empty" sh "$RUN" >"$T/o4" 2>&1
rc=$?
check harness_silent_script_fails 1 "$([ $rc -ne 0 ] && grep -q '^FAIL a (no check reported)' "$T/o4" && echo 1)"

UNIT="$T/good" CLI_DIR="$T/cli_san" sh "$RUN" >"$T/o5" 2>&1
rc=$?
check harness_sanitizer_report_fails 1 "$([ $rc -ne 0 ] && grep -q '^FAIL sanitizer_report' "$T/o5" && echo 1)"
