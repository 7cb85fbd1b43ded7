#!/bin/sh
# sample.sh — `assay sample` end to end: counts, determinism under a seed,
# strata and their proportions, exact and near-duplicates kept out,
# redaction (input and record), gzip and CSV logs, a JSON path into chat
# messages, the case file loading as a suite's tests, errors with
# file:line:col, and memory that does not grow with the log.
. "$(dirname "$0")/../lib.sh"
export OPENAI_BASE_URL=http://127.0.0.1:9/v1   # validate needs no key

# 1,000 records: intents billing 600 / shipping 300 / refund 100; every
# text distinct (an id in it); lengths: 10% two words, 80% ~10 words, 10%
# ~80 words.
awk 'BEGIN {
	for (i = 1; i <= 1000; i++) {
		it = (i % 10 < 6) ? "billing" : (i % 10 < 9) ? "shipping" : "refund";
		r = (i * 37) % 100;
		if (r < 10) t = "hi " i;
		else if (r < 90) t = "where is my order " i " it was due on monday please help";
		else { t = ""; for (w = 0; w < 80; w++) t = t "w" ((i * 131 + w * 7) % 99991) " "; }
		printf "{\"id\": %d, \"intent\": \"%s\", \"messages\": [{\"role\": \"system\", \"content\": \"be kind\"}, {\"role\": \"user\", \"content\": \"%s\"}]}\n", i, it, t
	}
}' >"$T/log.jsonl"

F='messages[-1].content'
"$ASSAY" sample "$T/log.jsonl" --field "$F" -n 50 --seed 7 -o "$T/a.yaml" 2>"$T/a.err"
check sample_exit_0 0 $?
check sample_50_cases 50 "$(grep -c '^- description' "$T/a.yaml")"
check_grep sample_reports_records '1000 records read' "$T/a.err"
check_grep sample_reports_buckets 'length buckets \(code points\): short 5-7, typical 52-54, long 434-559' "$T/a.err"
"$ASSAY" sample "$T/log.jsonl" --field "$F" -n 50 --seed 7 -o "$T/b.yaml" -q
check sample_same_seed_same_file 0 "$(cmp -s "$T/a.yaml" "$T/b.yaml"; echo $?)"
"$ASSAY" sample "$T/log.jsonl" --field "$F" -n 50 --seed 8 -o "$T/c.yaml" -q
check sample_other_seed_other_sample 1 "$(cmp -s "$T/a.yaml" "$T/c.yaml"; echo $?)"
# the order of the log does not change the draw (priority sampling)
awk '{ print NR "\t" $0 }' "$T/log.jsonl" | sort -t"$(printf '\t')" -k1,1nr | cut -f2- >"$T/rev.jsonl"
"$ASSAY" sample "$T/rev.jsonl" --field "$F" -n 50 --seed 7 -o "$T/r.yaml" -q
check sample_order_independent \
	"$(grep -o '"id": [0-9]*' "$T/a.yaml" | sort | tr '\n' ' ')" \
	"$(grep -o '"id": [0-9]*' "$T/r.yaml" | sort | tr '\n' ' ')"

# strata: intents x buckets.  Sizes (from the generator): billing 480
# typical / 60 short / 60 long, shipping 240/30/30, refund 80/10/10.  A
# floor of 2 per stratum (18 cases), then Sainte-Lague for the 32 left
# (each to the largest size / (q + 0.5)), computed independently in Python
# (3.11, a ten-line loop over the nine sizes): 21 11 4 3 3 2 2 2 2.
"$ASSAY" sample "$T/log.jsonl" --field "$F" --stratify-by intent -n 50 \
	-o "$T/s.yaml" 2>"$T/s.err"
check sample_strata_count 9 "$(grep -c '^intent=' "$T/s.err")"
strat() { awk -v s="$1" '$1 == s { print $2 " " $3 }' "$T/s.err"; }
check sample_stratum_billing_typical "480 21" "$(strat intent=billing/typical)"
check sample_stratum_shipping_typical "240 11" "$(strat intent=shipping/typical)"
check sample_stratum_refund_short "10 2" "$(strat intent=refund/short)"
check sample_strata_sum 50 "$(awk '$1 ~ /^intent=/ { s += $3 } END { print s }' "$T/s.err")"
check sample_stratum_refund_typical "80 4" "$(strat intent=refund/typical)"
check sample_stratum_billing_long "60 3" "$(strat intent=billing/long)"
check sample_stratum_metadata 21 "$(grep -c 'stratum: "intent=billing/typical"' "$T/s.yaml")"

# the case file loads as a suite's tests
printf 'prompts: ["Answer: {{input}}"]\nproviders: [openai:chat:m]\ntests: file://s.yaml\n' >"$T/suite.yaml"
"$ASSAY" validate "$T/suite.yaml" >"$T/v.out" 2>&1
check_grep sample_yaml_loads '50 tests' "$T/v.out"
"$ASSAY" sample "$T/log.jsonl" --field "$F" -n 20 -o "$T/s.csv" -q
printf 'prompts: ["Answer: {{input}}"]\nproviders: [openai:chat:m]\ntests: file://s.csv\n' >"$T/suite2.yaml"
"$ASSAY" validate "$T/suite2.yaml" >"$T/v2.out" 2>&1
check_grep sample_csv_loads '20 tests' "$T/v2.out"

# gzip: the same sample as the plain log
gzip -c "$T/log.jsonl" >"$T/log.jsonl.gz"
"$ASSAY" sample "$T/log.jsonl.gz" --field "$F" -n 50 --seed 7 -o "$T/g.yaml" -q
check sample_gzip_same_sample "$(grep -v source "$T/a.yaml" | grep -v 'records read')" \
	"$(grep -v source "$T/g.yaml" | grep -v 'records read')"
head -c 3000 "$T/log.jsonl.gz" >"$T/cut.gz"
"$ASSAY" sample "$T/cut.gz" --field "$F" -o "$T/x.yaml" -q 2>"$T/cut.err"
check sample_truncated_gzip_exit_1 1 $?
check_grep sample_truncated_gzip_message 'cut.gz:[0-9]+:[0-9]+: error: .*gzip' "$T/cut.err"

# exact duplicates: 10 texts x 30 copies
awk 'BEGIN { for (c = 0; c < 30; c++) for (i = 0; i < 10; i++) printf "{\"input\": \"question number %d about my order\"}\n", i }' >"$T/dup.jsonl"
"$ASSAY" sample "$T/dup.jsonl" -n 50 -o "$T/d.yaml" 2>"$T/d.err"
check sample_exact_dups_once 10 "$(grep -c '^- description' "$T/d.yaml")"
check sample_exact_dups_distinct 10 "$(grep -o '"question number [0-9]*' "$T/d.yaml" | sort -u | wc -l | tr -d ' ')"

# near-duplicates: 15 base texts (30 words) x 8 variants, each variant
# changes one word at the end (Jaccard of 3-word shingles 27/29 = 0.93)
awk 'BEGIN { for (b = 0; b < 15; b++) for (v = 0; v < 8; v++) {
	t = ""; for (w = 0; w < 29; w++) t = t "b" b "x" w " ";
	printf "{\"input\": \"%sv%d\"}\n", t, v } }' >"$T/near.jsonl"
"$ASSAY" sample "$T/near.jsonl" -n 50 -o "$T/n.yaml" 2>"$T/n.err"
check sample_near_dups_one_per_cluster 15 "$(grep -c '^- description' "$T/n.yaml")"
check sample_near_dups_clusters_distinct 15 "$(grep -o '"input": "b[0-9]*x0 ' "$T/n.yaml" | sort -u | wc -l | tr -d ' ')"
check_grep sample_near_dups_reported 'near-duplicates \(MinHash, 128 hashes, 3-word shingles, Jaccard >= 0.80\)' "$T/n.err"
"$ASSAY" sample "$T/near.jsonl" -n 50 --near-dup off -o "$T/n2.yaml" -q
check sample_near_dup_off_keeps 50 "$(grep -c '^- description' "$T/n2.yaml")"
"$ASSAY" sample "$T/near.jsonl" -n 50 --near-dup 0.99 -o "$T/n3.yaml" -q
check sample_near_dup_threshold_099 50 "$(grep -c '^- description' "$T/n3.yaml")"

# redaction: in the input and in the record kept as metadata
cat >"$T/pii.jsonl" <<'J'
{"input": "mail me at jane.roe@example.org or call +44 20 7946 0958", "user": "jane.roe@example.org"}
{"input": "card 4111 1111 1111 1111 exp 12/29, order 4111111111111112"}
{"input": "wire to DE89 3704 0044 0532 0130 00 from 10.0.0.12", "ip": "10.0.0.12"}
J
"$ASSAY" sample "$T/pii.jsonl" --redact -o "$T/p.yaml" 2>"$T/p.err"
check sample_redact_exit 0 $?
check sample_redact_no_email 0 "$(grep -c 'jane.roe@example.org' "$T/p.yaml")"
check sample_redact_no_card 0 "$(grep -c '4111 1111 1111 1111' "$T/p.yaml")"
check sample_redact_no_iban 0 "$(grep -c 'DE89' "$T/p.yaml")"
check sample_redact_no_ip 0 "$(grep -c '10.0.0.12' "$T/p.yaml")"
# (twice each: the case's var and the record in its metadata)
check sample_redact_placeholders 2 "$(grep -c 'mail me at \[EMAIL\] or call \[PHONE\]' "$T/p.yaml")"
check sample_redact_keeps_non_luhn 2 "$(grep -c '"input": "card \[CARD\] exp 12/29, order 4111111111111112"' "$T/p.yaml")"
check sample_redact_record 1 "$(grep -c '"user": "\[EMAIL\]"' "$T/p.yaml")"
check_grep sample_redact_counted '12 values redacted' "$T/p.err"
"$ASSAY" sample "$T/pii.jsonl" -o "$T/p2.yaml" -q
check sample_no_redact_by_default 2 "$(grep -c 'jane.roe@example.org' "$T/p2.yaml")"

# template-like text in a log is broken up so the suite does not render it
printf '{"input": "use {{name}} and {%% if %%} here"}\n' >"$T/tpl.jsonl"
"$ASSAY" sample "$T/tpl.jsonl" -o "$T/tpl.yaml" 2>"$T/tpl.err"
check sample_untemplated 1 "$(grep -c '"input": "use { {name}} and { % if %} here"' "$T/tpl.yaml")"
check_grep sample_untemplated_reported "2 '\{\{', '\{#' or '\{%' written as" "$T/tpl.err"
printf 'prompts: ["A: {{input}}"]\nproviders: [openai:chat:m]\ntests: file://tpl.yaml\n' >"$T/tpl_suite.yaml"
"$ASSAY" validate "$T/tpl_suite.yaml" >"$T/tpl.v" 2>&1
check_grep sample_untemplated_loads '1 tests' "$T/tpl.v"

# CSV log, a column as the field; a malformed JSONL line is a warning
printf 'question,team\n"Where is, my parcel?",ops\nHow do I reset my password,it\n' >"$T/log.csv"
"$ASSAY" sample "$T/log.csv" --field question -o "$T/q.yaml" -q
check sample_csv_input 1 "$(grep -c '"input": "Where is, my parcel?"' "$T/q.yaml")"
check sample_csv_line 1 "$(grep -c 'line: 3' "$T/q.yaml")"
gzip -c "$T/log.csv" >"$T/log2.csv.gz"
"$ASSAY" sample "$T/log2.csv.gz" --field question -o "$T/q2.yaml" -q
check sample_csv_gzip_input 1 "$(grep -c '"input": "Where is, my parcel?"' "$T/q2.yaml")"
printf '{"input": "dos line"}\r\n\r\n{"input": "next"}\r\n' >"$T/crlf.jsonl"
"$ASSAY" sample "$T/crlf.jsonl" -o "$T/crlf.yaml" -q
check sample_crlf_lines "1 3" "$(grep -o 'line: [0-9]*' "$T/crlf.yaml" | cut -d' ' -f2 | tr '\n' ' ' | sed 's/ $//')"
printf '{"input": "fine"}\n{"input": "broken\n{"other": 1}\n' >"$T/bad.jsonl"
"$ASSAY" sample "$T/bad.jsonl" -o "$T/bad.yaml" 2>"$T/bad.err"
check sample_bad_line_exit_0 0 $?
check_grep sample_bad_line_located 'bad.jsonl:2:[0-9]+: warning: malformed JSON' "$T/bad.err"
check_grep sample_missing_field_located "bad.jsonl:3:1: warning: found no field 'input'" "$T/bad.err"
check sample_bad_line_rest_kept 1 "$(grep -c '^- description' "$T/bad.yaml")"
"$ASSAY" sample "$T/nope.jsonl" -o "$T/x.yaml" 2>"$T/e1"
check sample_missing_file_exit_1 1 $?
check_grep sample_missing_file_message 'cannot open .*nope.jsonl' "$T/e1"
"$ASSAY" sample "$T/log.jsonl" --field 'a[x]' -o "$T/x.yaml" 2>"$T/e2"
check sample_bad_path_exit_2 2 $?
check_grep sample_bad_path_message "JSON path 'a\[x\]', column 3" "$T/e2"
"$ASSAY" sample "$T/log.jsonl" -o "$T/x.txt" 2>/dev/null
check sample_bad_output_ext_exit_2 2 $?

# memory: 300,000 records (~45 MB) through stdin against 3,000; peak RSS
# may not grow by more than 30 MB (a loaded log would take 45 MB+, parsed
# far more).  Generous: the machine is shared and allocators vary.
gen() { awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++) printf "{\"input\": \"customer message %d about order %d: the parcel was late and the box was damaged, I want a refund or a new one\", \"pad\": \"%d\"}\n", i, i * 7, i }'; }
# ASan keeps freed memory in quarantine (256 MB by default): that is not
# the program's memory, so the quarantine is turned off for these two runs.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0"
export ASAN_OPTIONS
gen 3000 | /usr/bin/time -f %M -o "$T/small.rss" "$ASSAY" sample - -n 50 -o "$T/m1.yaml" -q
gen 300000 | /usr/bin/time -f %M -o "$T/big.rss" "$ASSAY" sample - -n 50 -o "$T/m2.yaml" -q
check sample_big_log_50 50 "$(grep -c '^- description' "$T/m2.yaml")"
small=$(tail -n 1 "$T/small.rss"); big=$(tail -n 1 "$T/big.rss")
echo "# peak RSS: ${small} KB (3k records), ${big} KB (300k records)"
if [ $((big - small)) -lt 30000 ]; then ok sample_memory_bounded
else fail sample_memory_bounded "peak RSS ${big} KB for 300k records vs ${small} KB for 3k"; fi
