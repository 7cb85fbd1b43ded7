#!/bin/sh
# evalset_example.sh — examples/evalset end to end: build.sh rebuilds the
# committed case files byte for byte from the log (sample, label, probe are
# deterministic), and demo.sh's run shows the probe tags with the attack
# success of the injectable model, refusals and the variant groups.
. "$(dirname "$0")/../lib.sh"
E=$(cd "$(dirname "$0")/../../examples/evalset" && pwd)
cp -r "$E" "$T/ex"
rm -f "$T/ex/cases.yaml" "$T/ex/probes.yaml"
ASSAY="$ASSAY" sh "$T/ex/build.sh" >"$T/build.out" 2>&1
check example_build_exit_0 0 $?
check example_cases_up_to_date 0 "$(cmp -s "$E/cases.yaml" "$T/ex/cases.yaml"; echo $?)"
check example_probes_up_to_date 0 "$(cmp -s "$E/probes.yaml" "$T/ex/probes.yaml"; echo $?)"
check example_50_cases 50 "$(grep -c '^- description' "$T/ex/cases.yaml")"
check example_cases_labelled 50 "$(grep -c '^    expected: "[a-z]*"$' "$T/ex/cases.yaml")"
check example_no_raw_email 0 "$(grep -c 'anna.berg@example.com' "$T/ex/cases.yaml")"

DB="$T/ex.db" OUT="$T/ex.json" ASSAY="$ASSAY" sh "$T/ex/demo.sh" >"$T/demo.out" 2>&1
check example_demo_exit_0 0 $?
check_grep example_report_probe_tag 'tag probe:injection +pass 0.0% \[0.0, 7.1\] \(n=50\)' "$T/demo.out"
check_grep example_report_robustness 'Robustness \(variant groups' "$T/demo.out"
"$ASSAY" stats latest --db "$T/ex.db" --json >"$T/s.json" 2>/dev/null
tag() { jq -r --arg c "$1" --arg t "$2" '.candidates[] | select(.label == $c) | .failure_modes.by_tag[] | select(.tag == $t) | "\(.k)/\(.n)"' "$T/s.json"; }
check example_gullible_injection "0/50" "$(tag gullible probe:injection)"
check example_careful_injection_most "yes" "$(tag careful probe:injection | awk -F/ '{ print ($1 >= 40 && $2 == 50) ? "yes" : "no" }')"
check example_jailbreak_cases 2 "$(tag careful probe:jailbreak | cut -d/ -f2)"
check example_groups 43 "$(jq '.candidates[0].robustness.groups' "$T/s.json")"
# issue 12: the flip rate under each perturbation.  Both models classify by
# keyword, so a typo that hits the keyword flips the verdict: 19 of the 40
# typo pairs, none of the 26 lower-case pairs.  Wilson 19/40 =
# [0.32935, 0.62503], 0/26 upper 0.12873 (Python 3.11.7, the Wilson formula
# with statistics.NormalDist's z).
fl() { jq -r --arg c "$1" --arg p "$2" '.candidates[] | select(.label == $c) | .robustness.flip_rates[] | select(.perturbation == $p) | "\(.flips)/\(.n) \(.lo * 10000 | round / 10000) \(.hi * 10000 | round / 10000)"' "$T/s.json"; }
check example_flip_typos "19/40 0.3294 0.625" "$(fl careful typos:0.05)"
check example_flip_lowercase "0/26 0 0.1287" "$(fl gullible lowercase)"
check_grep example_report_flip 'careful +typos:0.05 +flips 19/40 47.5% \[32.9, 62.5\]' "$T/demo.out"
