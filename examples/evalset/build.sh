#!/bin/sh
# build.sh — rebuilds the case files of examples/evalset from the log:
#   1. assay sample: 50 cases, stratified by intent and length, redacted;
#   2. label: here the synthetic log carries the intent a human assigned,
#      so `expected` is filled from it and an assertion added (with a real
#      log you fill these in by hand — docs/evalset.md);
#   3. assay probe: probes from the labelled cases.
# Everything is seeded: the same inputs give the same files.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
ASSAY=${ASSAY:-assay}
cd "$here"
"$ASSAY" sample support-log.jsonl --field 'messages[-1].content' \
	--stratify-by intent -n 50 --redact --seed 1 -o cases.yaml
# label: expected = the stratum's intent, checked with icontains
awk 'NR == FNR { if (/^- description/) i++
                 if (/^    stratify_value: /) { v = $0; sub(/^    stratify_value: /, "", v); val[i] = v }
                 next }
     /^- description/ { j++ }
     /^    expected: ""/ { $0 = "    expected: " val[j] }
     /^  assert: \[\]/ { $0 = "  assert: [{type: icontains, value: \"{{expected}}\"}]" }
     { print }' cases.yaml cases.yaml >cases.yaml.tmp
mv cases.yaml.tmp cases.yaml
# probes need the suite without its probes file, which is being rebuilt
sed '/file:\/\/probes.yaml/d' suite.yaml >.suite-cases.yaml
"$ASSAY" probe .suite-cases.yaml --packs injection,jailbreak,edge \
	--per-case 1 --seed 1 -o probes.yaml
rm -f .suite-cases.yaml
