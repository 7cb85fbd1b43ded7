# lib.sh — helpers sourced by the CLI tests in tests/cli/*.sh.
# Each check prints "ok NAME" or "FAIL NAME: why".
T=$(mktemp -d)
# No user's defaults (settings.h) reach a test: an empty config directory
# and none of the ASSAY_* settings variables.
export XDG_CONFIG_HOME="$T/.no-config"
unset ASSAY_CONCURRENCY ASSAY_GRADER
# Every command's database is $T's (settings.h: without ASSAY_DB it is the
# nearest .assay/ from the current directory upward, which would be the
# checkout's when a test runs from there).  A check of the built-in rule
# itself unsets ASSAY_DB (settings.sh), and a test with a store per
# directory points ASSAY_DB at each in turn.  The search never climbs out of
# $T's parent: another test's or user's .assay/ in /tmp is not found.
export ASSAY_DB="$T/.assay/assay.db"
export ASSAY_CEILING_DIRECTORIES="$(dirname "$T")"
trap 'kill $(cat "$T"/*.pid 2>/dev/null) 2>/dev/null; rm -rf "$T"' EXIT

ok()   { echo "ok $1"; }
fail() { echo "FAIL $1: $2"; }

# check NAME EXPECTED ACTUAL
check() {
	if [ "$2" = "$3" ]; then ok "$1"; else fail "$1" "got [$3], want [$2]"; fi
}

# check_grep NAME PATTERN FILE
check_grep() {
	if grep -qE -- "$2" "$3"; then ok "$1"; else fail "$1" "no /$2/ in $3: $(head -c 400 "$3")"; fi
}

# start_mock NAME RULES [extra args] — starts `assay mock` on a free port,
# sets $PORT and $BASE (the OpenAI base URL).
start_mock() {
	name=$1; rules=$2; shift 2
	"$ASSAY" mock --rules "$rules" --port 0 --port-file "$T/$name.port" "$@" \
		>"$T/$name.log" 2>&1 &
	echo $! >"$T/$name.pid"
	i=0
	while [ ! -s "$T/$name.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
	PORT=$(cat "$T/$name.port")
	BASE="http://127.0.0.1:$PORT/v1"
	export OPENAI_BASE_URL="$BASE"
}

# Reading a store through assay rather than the sqlite3 command, so a
# check holds for any backend:
# export_jsonl DB RUN — the run's results, one JSON object a line
# (`assay export RUN -o FILE.jsonl`), on stdout.
export_jsonl() {
	_xf=$(mktemp -p "$T" --suffix=.jsonl)
	"$ASSAY" export "$2" --db "$1" -o "$_xf" >/dev/null 2>&1 && cat "$_xf"
	rm -f "$_xf"
}
# run_json DB RUN JQ — jq -r JQ over the run's JSON export (`.run` is its
# record: label, status, suite_hash, host, config, …).
run_json() {
	_xf=$(mktemp -p "$T" --suffix=.json)
	"$ASSAY" export "$2" --db "$1" -o "$_xf" >/dev/null 2>&1 && jq -r "$3" "$_xf"
	rm -f "$_xf"
}
# n_runs DB — how many runs the database holds (`assay runs -n 0`).
n_runs() {
	"$ASSAY" runs -n 0 --db "$1" 2>/dev/null | tail -n +2 | grep -c .
}
# run_figures DB RUN — per provider "idx:passes/fails/errors ", the run's
# figures, from its export.
run_figures() {
	export_jsonl "$1" "$2" | jq -rs 'group_by(.provider_idx)[] |
		"\(.[0].provider_idx):\(map(select(.pass == true)) | length)/\(map(select(.pass == false)) | length)/\(map(select(.error != null)) | length)"' | tr '\n' ' '
}
