#!/bin/sh
# settings.sh — the user's defaults (src/settings.h): ASSAY_DB,
# ASSAY_CONCURRENCY, ASSAY_GRADER and $XDG_CONFIG_HOME/assay/config.yaml,
# their precedence (flag > suite > variable > file > default), every
# command finding the same database, and bad settings refused with
# file:line:col before anything runs.
. "$(dirname "$0")/../lib.sh"
unset ASSAY_DB   # lib.sh's: these checks set it themselves, or test without it
mkdir -p "$T/cfg/assay" "$T/work/sub" "$T/elsewhere"
printf 'prompts: ["Say {{w}}"]\nproviders: [echo]\ntests:\n  - vars: {w: hi}\n    assert: [{type: contains, value: hi}]\n' >"$T/work/sub/suite.yaml"
printf 'db: %s/shared.db\nconcurrency: 3\n' "$T" >"$T/cfg/assay/config.yaml"
cfg() { XDG_CONFIG_HOME="$T/cfg" "$@"; }
jq_conc() { sqlite3 "$1" "select json_extract(config_json, '$.concurrency') from runs order by id desc limit 1"; }

# 1. the config file's db: run from one directory, show/stats/runs from another
(cd "$T/work" && cfg "$ASSAY" run sub/suite.yaml --no-progress-bar --no-table >/dev/null 2>&1)
check settings_file_db_used yes "$([ -f "$T/shared.db" ] && echo yes)"
check settings_file_db_not_beside_suite no "$([ -e "$T/work/sub/.assay" ] && echo yes || echo no)"
check settings_file_concurrency 3 "$(jq_conc "$T/shared.db")"
(cd "$T/elsewhere" && cfg "$ASSAY" show latest >"$T/show.txt" 2>&1)
check settings_show_latest_same_db 0 $?
check_grep settings_show_latest_table 'echo .*100\.0%' "$T/show.txt"
(cd "$T/elsewhere" && cfg "$ASSAY" runs >"$T/runs.txt" 2>&1)
check_grep settings_runs_same_db 'suite.yaml' "$T/runs.txt"

# 2. precedence: the variable over the file, the flag over both, the
# suite's evaluateOptions over the variable
(cd "$T/work" && ASSAY_DB="$T/env.db" ASSAY_CONCURRENCY=5 cfg "$ASSAY" run sub/suite.yaml --no-progress-bar --no-table >/dev/null 2>&1)
check settings_env_db_over_file yes "$([ -f "$T/env.db" ] && echo yes)"
check settings_env_concurrency_over_file 5 "$(jq_conc "$T/env.db")"
(cd "$T/work" && ASSAY_DB="$T/env.db" cfg "$ASSAY" run sub/suite.yaml --db "$T/flag.db" -j 7 --no-progress-bar --no-table >/dev/null 2>&1)
check settings_flag_db_over_env yes "$([ -f "$T/flag.db" ] && echo yes)"
check settings_flag_concurrency 7 "$(jq_conc "$T/flag.db")"
printf 'evaluateOptions: {maxConcurrency: 2}\n' >>"$T/work/sub/suite.yaml"
(cd "$T/work" && ASSAY_CONCURRENCY=5 cfg "$ASSAY" run sub/suite.yaml --db "$T/suite.db" --no-progress-bar --no-table >/dev/null 2>&1)
check settings_suite_over_env 2 "$(jq_conc "$T/suite.db")"

# 3. no settings: every command uses the nearest .assay/ from the current
# directory upward, else ./.assay (created by run) — the README's
# `assay run DIR/suite.yaml` then `assay show latest` meet in one file
(cd "$T/work" && "$ASSAY" run sub/suite.yaml --no-progress-bar --no-table >/dev/null 2>&1 && "$ASSAY" show latest >"$T/show2.txt" 2>&1)
check settings_default_run_then_show_latest 0 $?
check settings_default_db_created_here yes "$([ -f "$T/work/.assay/assay.db" ] && echo yes)"
check settings_default_not_beside_suite no "$([ -e "$T/work/sub/.assay" ] && echo yes || echo no)"
(cd "$T/work/sub" && "$ASSAY" run suite.yaml --no-progress-bar --no-table >/dev/null 2>"$T/hint.txt")
check_grep settings_run_in_subdir_uses_parent_store "stored in $T/work/.assay/assay.db" "$T/hint.txt"
check settings_subdir_runs_listed 2 "$(cd "$T/work/sub" && "$ASSAY" runs -n 0 | tail -n +2 | grep -c .)"
mkdir "$T/work/sub/.assay"
(cd "$T/work/sub" && "$ASSAY" run suite.yaml --no-progress-bar --no-table >/dev/null 2>"$T/hint.txt")
check_grep settings_nearest_store_wins 'stored in \.assay/assay\.db' "$T/hint.txt"
check settings_nearest_store_one_run 1 "$(cd "$T/work/sub" && "$ASSAY" runs -n 0 | tail -n +2 | grep -c .)"
check settings_parent_store_untouched 2 "$(cd "$T/work" && "$ASSAY" runs -n 0 | tail -n +2 | grep -c .)"
# nothing found: a read command names the rule; ASSAY_CEILING_DIRECTORIES
# stops the search (as git's), so $T/work's store is not found from below it
mkdir -p "$T/work/c/low"
(cd "$T/work/c/low" && "$ASSAY" runs >/dev/null 2>&1)
check settings_search_climbs_to_parent 0 $?
(cd "$T/work/c/low" && ASSAY_CEILING_DIRECTORIES="$T/nothing:$T/work/c/" "$ASSAY" runs >"$T/none.txt" 2>&1)
check settings_ceiling_stops_search 1 $?
check_grep settings_nothing_found_says_rule 'no database at \.assay/assay\.db .*nearest directory from here upward' "$T/none.txt"

# 4. ASSAY_GRADER (read by engine/judges.c) and the file's grader: the judge
# of model-graded assertions that name none
printf 'prompts: ["Say {{w}}"]\nproviders: [echo]\ntests:\n  - vars: {w: hi}\n    assert: [{type: llm-rubric, value: polite}]\n' >"$T/work/judge.yaml"
(cd "$T/work" && ASSAY_GRADER=nosuchjudge:model-x "$ASSAY" validate judge.yaml >"$T/g.txt" 2>&1)
check_grep settings_grader_env_used "unsupported provider .nosuchjudge:model-x." "$T/g.txt"

printf 'grader: nosuchjudge:file-y\n' >"$T/cfg/assay/config.yaml"
(cd "$T/work" && cfg "$ASSAY" validate judge.yaml >"$T/g.txt" 2>&1)
check_grep settings_grader_file_used "unsupported provider .nosuchjudge:file-y." "$T/g.txt"
(cd "$T/work" && ASSAY_GRADER=nosuchjudge:env-z cfg "$ASSAY" validate judge.yaml >"$T/g.txt" 2>&1)
check_grep settings_grader_env_over_file "unsupported provider .nosuchjudge:env-z." "$T/g.txt"

# 5. bad settings stop the command, naming the place
printf 'db: x\nconcurency: 3\n' >"$T/cfg/assay/config.yaml"
(cd "$T/elsewhere" && cfg "$ASSAY" runs >"$T/bad.txt" 2>&1)
check settings_bad_key_exit 1 $?
check_grep settings_bad_key_located "config.yaml:2:1: error: unknown key 'concurency'" "$T/bad.txt"
printf 'concurrency: lots\n' >"$T/cfg/assay/config.yaml"
(cd "$T/elsewhere" && cfg "$ASSAY" runs >"$T/bad.txt" 2>&1)
check_grep settings_bad_value_located "config.yaml:1:14: error: concurrency: found 'lots'" "$T/bad.txt"
printf 'db: [a, b\n' >"$T/cfg/assay/config.yaml"
(cd "$T/elsewhere" && cfg "$ASSAY" runs >"$T/bad.txt" 2>&1)
check_grep settings_bad_yaml_located 'config.yaml:[0-9]+:[0-9]+: error: invalid YAML' "$T/bad.txt"
(cd "$T/elsewhere" && ASSAY_CONCURRENCY=0 "$ASSAY" run "$T/work/sub/suite.yaml" >"$T/bad.txt" 2>&1)
check_grep settings_bad_env "ASSAY_CONCURRENCY is '0', expected a whole number" "$T/bad.txt"
