#!/bin/sh
# color.sh — colour follows NO_COLOR / FORCE_COLOR (src/util/term.h): into
# a pipe there is none by default, FORCE_COLOR=1 adds it, NO_COLOR removes
# it even when forced, FORCE_COLOR=0 is off.
. "$(dirname "$0")/../lib.sh"
D=$(cd "$(dirname "$0")/../data/stats" && pwd)
cp "$D"/suite.yaml "$D"/cases.csv "$T"/
start_mock m "$D/rules.yaml"
DB="$T/.assay/assay.db"
"$ASSAY" run "$T/suite.yaml" -j 4 --no-progress-bar >"$T/run.txt" 2>&1
ESC=$(printf '\033')
esc() { grep -c "$ESC\[" "$1"; }
show() { "$ASSAY" show latest --db "$DB" >"$T/$1" 2>&1; }
check color_pipe_none 0 "$(esc "$T/run.txt")"
show plain.txt
check color_show_pipe_none 0 "$(esc "$T/plain.txt")"
FORCE_COLOR=1 show forced.txt
check color_force_on true "$([ "$(esc "$T/forced.txt")" -gt 0 ] && echo true || echo false)"
NO_COLOR=1 FORCE_COLOR=1 show nocolor.txt
check color_no_color_wins 0 "$(esc "$T/nocolor.txt")"
FORCE_COLOR=0 show force0.txt
check color_force_zero_off 0 "$(esc "$T/force0.txt")"
FORCE_COLOR=1 "$ASSAY" stats latest --db "$DB" >"$T/stats.txt" 2>&1
NO_COLOR=1 FORCE_COLOR=1 "$ASSAY" stats latest --db "$DB" >"$T/stats_nc.txt" 2>&1
check color_stats_forced true "$([ "$(esc "$T/stats.txt")" -gt 0 ] && echo true || echo false)"
check color_stats_no_color 0 "$(esc "$T/stats_nc.txt")"
