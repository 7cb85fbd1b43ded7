#!/bin/sh
# bench/sample.sh — `assay sample` throughput and memory on a generated
# JSONL log (plain and gzip), with and without --stratify-by and
# --redact.  Prints records/s, MB/s and peak RSS; never asserts.
# Usage: ASSAY=build/assay bench/sample.sh [RECORDS]   (default 1,000,000)
set -eu
ASSAY=${ASSAY:-build/assay}
N=${1:-1000000}
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT
awk -v n="$N" 'BEGIN { srand(1); split("shipping billing account returns", it, " ")
	for (i = 0; i < n; i++) {
		w = int(rand() * 40) + 3; t = ""
		for (j = 0; j < w; j++) t = t "w" int(rand() * 5000) " "
		printf "{\"id\": %d, \"intent\": \"%s\", \"messages\": [{\"role\": \"user\", \"content\": \"%s\"}]}\n", i, it[int(rand() * 4) + 1], t
	} }' >"$D/log.jsonl"
gzip -k -1 "$D/log.jsonl"
MB=$(($(wc -c <"$D/log.jsonl") / 1000000))
echo "log: $N records, $MB MB ($(($(wc -c <"$D/log.jsonl.gz") / 1000000)) MB gzipped)"
run() {
	label=$1; shift
	/usr/bin/time -f '%e %M' -o "$D/t" "$ASSAY" sample "$@" -n 50 -o "$D/c.yaml" -q
	read -r secs rss <"$D/t"
	awk -v l="$label" -v s="$secs" -v n="$N" -v mb="$MB" -v r="$rss" 'BEGIN {
		printf "%-34s %6.2f s  %9.0f records/s  %6.1f MB/s  peak RSS %d KB\n", l, s, n / s, mb / s, r }'
}
run "plain, messages[-1].content" "$D/log.jsonl" --field 'messages[-1].content'
run "gzip" "$D/log.jsonl.gz" --field 'messages[-1].content'
run "--stratify-by intent" "$D/log.jsonl" --field 'messages[-1].content' --stratify-by intent
run "--stratify-by intent --redact" "$D/log.jsonl" --field 'messages[-1].content' --stratify-by intent --redact
run "--near-dup off" "$D/log.jsonl" --field 'messages[-1].content' --near-dup off
