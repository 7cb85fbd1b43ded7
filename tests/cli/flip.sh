#!/bin/sh
# flip.sh — issue 12's flip rates: twelve tickets under `perturb: [typos,
# lowercase]` against three `assay mock` models (flip_rules.yaml): typo-weak
# breaks under every typo and never under lower case, half flips on tickets
# 1-6 under both, steady never flips.  Checked against values computed
# independently in Python 3.11.7 (statistics.NormalDist for z, the Wilson
# and Newcombe 1998 method-10 formulas written out, phi = 0 here since a
# margin is empty) and exact McNemar / Holm by hand:
#   Wilson 12/12 = [0.7575059933, 1], 6/12 = [0.2537815976, 0.7462184024],
#   0/12 = [0, 0.2424940067];
#   Newcombe paired (0, 12, 0, 0): lower 0.6570616870; (6, 6, 0, 0):
#   [0.1544181068, 0.7462184024];
#   McNemar exact 12 vs 0 = 2^-11 = 0.00048828125 (R binom.test(12, 12)),
#   6 vs 0 = 2^-5 = 0.03125; Holm over 3 pairs x 2 perturbations: 6 x
#   2^-11 = 0.0029296875, and 5 x 0.03125 = 0.15625 for the four p = 0.03125.
. "$(dirname "$0")/../lib.sh"
D=$(cd "$(dirname "$0")/../data/evalset" && pwd)
cp "$D"/flip.yaml "$T"/
start_mock m "$D/flip_rules.yaml"
cd "$T" || exit 1

"$ASSAY" run flip.yaml --no-progress-bar --no-table >run.out 2>&1
check flip_run_exit_100 100 $?
"$ASSAY" stats latest --json >s.json 2>/dev/null
"$ASSAY" stats latest >s.txt 2>/dev/null
r4() { jq -r "$1 | . * 10000000000 | round / 10000000000" s.json; }
fr() { printf '.candidates[] | select(.label == "openai:chat:%s") | .robustness.flip_rates[] | select(.perturbation == "%s")' "$1" "$2"; }
pr() { printf '.comparisons.robustness[] | select(.a == "openai:chat:%s" and .b == "openai:chat:%s" and .perturbation == "%s")' "$1" "$2" "$3"; }

check flip_typo_weak_typos "12/12 12 0" "$(jq -r "$(fr typo-weak typos:0.1) | \"\(.flips)/\(.n) \(.to_fail) \(.to_pass)\"" s.json)"
check flip_typo_weak_typos_lo 0.7575059933 "$(r4 "$(fr typo-weak typos:0.1).lo")"
check flip_typo_weak_typos_drop_lo 0.657061687 "$(r4 "$(fr typo-weak typos:0.1).pass_drop.lo")"
check flip_typo_weak_lowercase "0/12" "$(jq -r "$(fr typo-weak lowercase) | \"\(.flips)/\(.n)\"" s.json)"
check flip_typo_weak_lowercase_hi 0.2424940067 "$(r4 "$(fr typo-weak lowercase).hi")"
check flip_half_typos "6/12" "$(jq -r "$(fr half typos:0.1) | \"\(.flips)/\(.n)\"" s.json)"
check flip_half_typos_ci "0.2537815976 0.7462184024" "$(r4 "$(fr half typos:0.1).lo") $(r4 "$(fr half typos:0.1).hi")"
check flip_half_lowercase "6/12" "$(jq -r "$(fr half lowercase) | \"\(.flips)/\(.n)\"" s.json)"
check flip_steady_typos "0/12" "$(jq -r "$(fr steady typos:0.1) | \"\(.flips)/\(.n)\"" s.json)"
check flip_method wilson "$(jq -r "$(fr steady typos:0.1).method" s.json)"
# the paired test between candidates
check flip_pair_typo_weak_steady "12 0 0.00048828125 0.0029296875" \
	"$(jq -r "$(pr typo-weak steady typos:0.1) | \"\(.a_only_flips) \(.b_only_flips) \(.p) \(.p_holm)\"" s.json)"
check flip_pair_more_robust openai:chat:steady "$(jq -r "$(pr typo-weak steady typos:0.1).more_robust" s.json)"
check flip_pair_diff_lo 0.657061687 "$(r4 "$(pr typo-weak steady typos:0.1).flip_diff.lo")"
check flip_pair_half "6 0 0.03125 0.15625 null" \
	"$(jq -r "$(pr typo-weak half typos:0.1) | \"\(.a_only_flips) \(.b_only_flips) \(.p) \(.p_holm) \(.more_robust)\"" s.json)"
check flip_pair_half_ci "0.1544181068 0.7462184024" "$(r4 "$(pr typo-weak half typos:0.1).flip_diff.lo") $(r4 "$(pr typo-weak half typos:0.1).flip_diff.hi")"
check flip_pair_half_lowercase "0 6 -0.5" "$(jq -r "$(pr typo-weak half lowercase) | \"\(.a_only_flips) \(.b_only_flips) \(.flip_diff.est)\"" s.json)"
check flip_pair_no_flips "1 1" "$(jq -r "$(pr typo-weak steady lowercase) | \"\(.p) \(.p_holm)\"" s.json)"
check flip_pairs_count 6 "$(jq '.comparisons.robustness | length' s.json)"
# the terminal says it in words
check_grep flip_text_rates 'openai:chat:typo-weak +typos:0.1 +flips 12/12 100.0% \[75.8, 100.0\]' s.txt
check_grep flip_text_more_robust 'openai:chat:typo-weak vs openai:chat:steady under typos:0.1: .* openai:chat:steady is more robust' s.txt
check_grep flip_text_not_significant 'typo-weak vs openai:chat:half under typos:0.1: .*no significant difference' s.txt
