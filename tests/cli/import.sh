#!/bin/sh
# import.sh — `assay import --from …` (docs/import.md): OpenAI Evals,
# Inspect, Hugging Face-style JSONL/CSV and spreadsheet CSV samples become
# tests; the produced suites run against `assay mock` with the verdicts
# stated here; bad lines are named file:line and skipped; hostile input
# neither crashes nor hangs; the .assay bundle import is unchanged.
. "$(dirname "$0")/../lib.sh"
D=$(cd "$(dirname "$0")/../data/import" && pwd)
cp "$D"/* "$T"/
cd "$T" || exit 1
start_mock m "$D/rules.yaml"
export OPENAI_API_KEY=sk-test
# run SUITE PROVIDER: "passes fails" of a run (the suite's providers replaced)
run() {
	"$ASSAY" run "$1" -r "openai:chat:$2" --no-progress-bar --no-table -o "$T/run.json" >/dev/null 2>"$T/run.err"
	jq -r '"\([.results[] | select(.pass == true)] | length) \([.results[] | select(.pass == false)] | length)"' "$T/run.json"
}

# 1. OpenAI Evals samples: a chat prompt from the roles, Match = starts-with.
"$ASSAY" import --from openai-evals openai.jsonl --suite -o oe.yaml 2>oe.txt
check import_openai_exit 0 $?
check import_openai_tests 3 "$(grep -c '^- vars:' oe.yaml)"
check_grep import_openai_starts_with 'type: starts-with' oe.yaml
check_grep import_openai_list_regex 'value: \^\(\?:Madrid\|Madrid, Spain\)$' oe.yaml
check_grep import_openai_skip_roles 'openai.jsonl:5: skipped: its messages. roles differ' oe.txt
check_grep import_openai_skip_no_ideal "openai.jsonl:6: skipped: it has no 'ideal'" oe.txt
check_grep import_openai_skip_not_json 'openai.jsonl:7: skipped: not JSON' oe.txt
check_grep import_openai_skip_template 'openai.jsonl:8: skipped: .*template' oe.txt
check_grep import_openai_summary '3 records mapped to tests, 4 skipped' oe.txt
"$ASSAY" validate oe.yaml >/dev/null 2>&1
check import_openai_valid 0 $?
check import_openai_runs_good "3 0" "$(run oe.yaml good)"
check import_openai_runs_bad "0 3" "$(run oe.yaml bad)"
check import_openai_chat_sent "What is the capital of Spain?" "$(jq -r '.results[1].prompt | fromjson | .[1].content' run.json)"

# 2. Inspect: choices become a multiple-choice prompt and a check of the letter.
"$ASSAY" import inspect.jsonl -o ins.yaml 2>ins.txt
check import_inspect_exit 0 $?
check_grep import_inspect_detected 'read as inspect' ins.txt
check_grep import_inspect_multi 'inspect.jsonl:3: skipped: it has several correct choices' ins.txt
check_grep import_inspect_bad_target 'inspect.jsonl:4: skipped: its target is not a letter' ins.txt
check_grep import_inspect_files_noted "Inspect 'files' is not imported" ins.txt
{ echo 'prompts:'; echo '  - |-'; sed -n '/^Answer this multiple-choice/,$p' ins.txt | sed 's/^/    /'
  echo 'providers: [openai:chat:good]'; echo 'tests: file://ins.yaml'; } >ins_suite.yaml
check import_inspect_runs_good "3 0" "$(run ins_suite.yaml good)"
check import_inspect_runs_bad "0 3" "$(run ins_suite.yaml bad)"
check import_inspect_text_target_letter 1 "$(sed -n '/description: q2/,/description: q5/p' ins.yaml | grep -cF '\(?C\)?')"
check import_inspect_metadata 1 "$(grep -c 'subject: astronomy' ins.yaml)"
"$ASSAY" import --from inspect inspect_text.jsonl --suite -o it.yaml 2>it.txt
check import_inspect_text_exit 0 $?
check_grep import_inspect_text_chat_skipped "inspect_text.jsonl:2: skipped: its input is a chat, the first record's was text" it.txt
check_grep import_inspect_includes 'type: icontains-any' it.yaml
check import_inspect_text_runs "2 0" "$(run it.yaml good)"

# 3. Hugging Face-style JSONL and spreadsheets saved as CSV.
"$ASSAY" import --from hf hf.jsonl --metadata source --suite -o hf.yaml 2>hf.txt
check import_hf_exit 0 $?
check_grep import_hf_number_quoted "value: '17'" hf.yaml
check_grep import_hf_no_target 'hf.jsonl:3: skipped: no expected-answer column' hf.txt
check_grep import_hf_yes_quoted "value: 'yes'" hf.yaml
check_grep import_hf_null_quoted "difficulty: 'null'" hf.yaml
check import_hf_runs "3 0" "$(run hf.yaml good)"
check import_hf_null_text_kept "string null" "$(jq -r '.results[] | select(.vars.question == "Is water wet?") | "\(.vars.difficulty | type) \(.vars.difficulty)"' run.json)"
check import_hf_metadata_not_var absent "$(jq -r '.results[0].vars.source // "absent"' run.json)"
check import_hf_metadata 2 "$(grep -c 'source: arith' hf.yaml)"
"$ASSAY" import sheet.csv --input question --target expected --id id --suite -o sheet.yaml 2>sheet.txt
check import_csv_exit 0 $?
check_grep import_csv_short_row 'sheet.csv:4: skipped: the row has 3 cells, the header 4' sheet.txt
check import_csv_runs_good "3 0" "$(run sheet.yaml good)"
check import_csv_runs_bad "0 3" "$(run sheet.yaml bad)"
check import_csv_quotes_kept 'What is the capital of "Italy"?' "$(jq -r '.results[] | select(.description == "c4") | .vars.question' run.json)"
"$ASSAY" import mc.csv --input q --choices options --target label --suite -o mc.yaml 2>mc.txt
check import_csv_choices_runs_good "2 0" "$(run mc.yaml good)"
check import_csv_choices_runs_bad "0 2" "$(run mc.yaml bad)"

# Column names that are no template var names become ones.
"$ASSAY" import spaces.csv --input "My Question" --target "Expected answer" --suite -o sp.yaml 2>sp.txt
check_grep import_csv_var_renamed "column 'My Question' is the var 'My_Question'" sp.txt
check_grep import_csv_var_leading_digit '^    _1st: x$' sp.yaml
check import_csv_renamed_runs "2 0" "$(run sp.yaml good)"
"$ASSAY" import dupcol.csv --input a --target a -o dup.yaml 2>dup.txt
check import_csv_duplicate_header_exit 1 $?
check_grep import_csv_duplicate_header_msg "dupcol.csv:1:1: error: the header names column 'a' twice" dup.txt

# 4. Bad and hostile input: named, skipped, bounded; never a crash.
"$ASSAY" import broken.csv -o br.yaml 2>br.txt
check import_broken_csv_exit 1 $?
check_grep import_broken_csv_line 'broken.csv:2: skipped: the file ends inside a quoted field' br.txt
check import_broken_no_file no "$([ -e br.yaml ] && echo yes || echo no)"
: >empty.jsonl
"$ASSAY" import empty.jsonl -o e.yaml 2>e.txt
check import_empty_exit 1 $?
head -c 300000 /dev/zero | tr '\0' '[' >deep.jsonl; echo >>deep.jsonl
printf '{"input": "ok", "target": "x"}\n' >>deep.jsonl
"$ASSAY" import --from inspect deep.jsonl -o deep.yaml 2>deep.txt
check import_deep_json_exit 0 $?
check_grep import_deep_json_skipped 'deep.jsonl:1: skipped: not JSON' deep.txt
head -c 17000000 /dev/zero | tr '\0' 'a' >long.jsonl; echo >>long.jsonl
printf '{"input": "ok", "ideal": "x"}\n' >>long.jsonl
"$ASSAY" import --from openai-evals long.jsonl -o long.yaml 2>long.txt
check import_long_line_exit 0 $?
check_grep import_long_line_named 'long.jsonl:1: skipped: the line is longer than' long.txt
printf 'a,b\nx\001y,\377\376\n1,2\n' >bin.csv
printf 'ok,q\0z\n' >>bin.csv
"$ASSAY" import bin.csv --input a --target b -o bin.yaml 2>bin.txt
check import_binary_csv_exit 0 $?
check_grep import_binary_csv_utf8 'bin.csv:2: skipped: the row is not valid UTF-8' bin.txt
check_grep import_binary_csv_nul 'bin.csv:4: skipped: the row has a NUL byte' bin.txt
check import_binary_csv_kept 1 "$(grep -c '^- vars:' bin.yaml)"
head -c 200000 /dev/urandom >noise.jsonl
"$ASSAY" import --from openai-evals noise.jsonl -o noise.yaml >/dev/null 2>&1
check import_noise_no_crash 1 $?
"$ASSAY" import --from nosuch x.jsonl -o y.yaml 2>u.txt
check import_bad_format_usage 2 $?

# 5. The .assay bundle import is unchanged.
"$ASSAY" import --db "$T/x.db" missing.assay >/dev/null 2>b.txt
check import_bundle_path_kept 1 $?
check_grep import_bundle_error_kept 'missing.assay' b.txt
