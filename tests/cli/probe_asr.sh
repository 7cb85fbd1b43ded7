#!/bin/sh
# probe_asr.sh — the paired difference in attack success between
# candidates, per probe pack (docs/statistics.md, "Attack success"),
# against `assay mock` (tests/data/evalset/asr_rules.yaml): `obeys`
# follows every planted instruction, `robust` none, `wary` and `leaky`
# some (overlapping, so the 2x2 tables have all four cells).  Reference
# values: tests/data/evalset/asr_ref.py (Python standard library, from the
# published formulas: Wilson; Newcombe 1998 method 10; McNemar exact as
# R's binom.test; Holm as R's p.adjust; t quantiles by integration),
# whose output is quoted next to each check.
. "$(dirname "$0")/../lib.sh"
D=$(cd "$(dirname "$0")/../data/evalset" && pwd)
cp "$D"/asr.yaml "$T"/
start_mock m "$D/asr_rules.yaml"
cd "$T" || exit 1

"$ASSAY" probe asr.yaml --packs injection,jailbreak --per-case all -o p.yaml -q
sed 's|^tests:|tests:\n  - file://p.yaml|' asr.yaml >with.yaml
"$ASSAY" run with.yaml -j 4 --no-progress-bar --no-table >run.out 2>&1
check asr_run_exit_100 100 $?
"$ASSAY" stats latest --json >s.json 2>/dev/null
"$ASSAY" stats latest >s.txt 2>/dev/null
# pair PACK A B JQ — JQ on that pack x pair's entry
pair() {
	jq -r --arg p "$1" --arg a "openai:chat:$2" --arg b "openai:chat:$3" \
		".comparisons.attack_success[] | select(.pack == \$p and .a == \$a and .b == \$b) | $4" s.json
}
r4() { printf '(%s) * 10000 | round / 10000' "$1"; }
# 2 packs x 6 pairs of 4 candidates
check asr_entries 12 "$(jq '.comparisons.attack_success | length' s.json)"
# injection obeys-robust est 1.0000 lo 0.7813 hi 1.0000 p 9.53674e-07
# holm 1.14441e-05 (the smallest of 12: 12 x 2^-20)
check asr_inj_obeys_robust_counts "21 21 0 1 0" "$(pair injection obeys robust '"\(.n) \(.a_only) \(.b_only) \(.asr_a) \(.asr_b)"')"
check asr_inj_obeys_robust_ci "1 0.7813 1" "$(pair injection obeys robust "\"\(.diff.est) \($(r4 .diff.lo)) \($(r4 .diff.hi))\"")"
check asr_inj_obeys_robust_p "9.5367e-07 1.1444e-05" "$(pair injection obeys robust '"\(.p * 1e11 | round / 1e11) \(.p_holm * 1e9 | round / 1e9)"')"
check asr_inj_obeys_robust_more "openai:chat:obeys" "$(pair injection obeys robust .more_attacked)"
check asr_inj_method "newcombe mcnemar exact" "$(pair injection obeys robust '"\(.diff.method) \(.test)"')"
# injection wary-leaky est -0.1429 lo -0.4524 hi 0.2038 p 0.607239 holm 1
# (a 3, b 6, c 9, d 3: a non-zero phi)
check asr_inj_wary_leaky_counts "21 6 9" "$(pair injection wary leaky '"\(.n) \(.a_only) \(.b_only)"')"
check asr_inj_wary_leaky_ci "-0.1429 -0.4524 0.2038" "$(pair injection wary leaky "\"\($(r4 .diff.est)) \($(r4 .diff.lo)) \($(r4 .diff.hi))\"")"
check asr_inj_wary_leaky_p "0.6072 1" "$(pair injection wary leaky "\"\($(r4 .p)) \(.p_holm)\"")"
check asr_inj_wary_leaky_not_significant "false null" "$(pair injection wary leaky '"\(.significant) \(.more_attacked)"')"
# injection robust-leaky est -0.5714 lo -0.7553 hi -0.3139 p 0.000488281
# holm 0.00488281: the second is attacked more
check asr_inj_robust_leaky "-0.5714 -0.7553 -0.3139 0.0049 openai:chat:leaky" "$(pair injection robust leaky "\"\($(r4 .diff.est)) \($(r4 .diff.lo)) \($(r4 .diff.hi)) \($(r4 .p_holm)) \(.more_attacked)\"")"
# jailbreak robust-wary est -0.2857 lo -0.5465 hi -0.0123 p 0.125 holm 0.5
check asr_jb_robust_wary "-0.2857 -0.5465 -0.0123 0.125 0.5 false" "$(pair jailbreak robust wary "\"\($(r4 .diff.est)) \($(r4 .diff.lo)) \($(r4 .diff.hi)) \(.p) \(.p_holm) \(.significant)\"")"
# jailbreak obeys-wary est 0.7143 lo 0.3761 hi 0.8828 p 0.00195312 holm 0.015625
check asr_jb_obeys_wary "0.7143 0.3761 0.8828 0.002 0.015625" "$(pair jailbreak obeys wary "\"\($(r4 .diff.est)) \($(r4 .diff.lo)) \($(r4 .diff.hi)) \($(r4 .p)) \(.p_holm)\"")"
# jailbreak wary-leaky est 0.0000 lo -0.2923 hi 0.2923 p 1 holm 1
check asr_jb_wary_leaky "0 -0.2923 0.2923 1 1" "$(pair jailbreak wary leaky "\"\(.diff.est) \($(r4 .diff.lo)) \($(r4 .diff.hi)) \(.p) \(.p_holm)\"")"
# each side's rate matches the by-tag pass rate of the failure modes
check asr_matches_by_tag "0.4286" "$(jq -r '.candidates[] | select(.label == "openai:chat:wary") | .failure_modes.by_tag[] | select(.tag == "probe:injection") | (1 - .est) * 10000 | round / 10000' s.json)"
check_grep asr_text_section '^Attack success \(probe packs' s.txt
check_grep asr_text_line '^  injection: openai:chat:wary vs openai:chat:leaky: 42\.9% vs 57\.1% on 21 shared cases \(6 attacked more for the first, 9 for the second\); difference -14\.3 \[-45\.2, \+20\.4\] points, p 0\.607 \(Holm 1\): no significant difference$' s.txt
check_grep asr_text_more '^  injection: openai:chat:obeys vs openai:chat:robust: .*: openai:chat:obeys is attacked more often$' s.txt
"$ASSAY" report latest -o r.html >/dev/null 2>&1
check_grep asr_html_chart 'id="chart-asr"' r.html
check_grep asr_html_row 'injection: openai:chat:wary − openai:chat:leaky' r.html

# clusters: each probe case in the cluster of the ticket (or request) it
# was made from.  injection obeys-robust: every difference 1 in 3
# clusters, CR1 se 0: the exact cluster sign-flip bound 2^(1-3) = 0.25
# (above McNemar's 9.5e-07), not significant; interval: Newcombe on the
# counts scaled by (z / t(0.975, 2))^2 = 0.207503: lo 0.3374.  jailbreak:
# 2 clusters, t(0.975, 1) = 12.706205: lo -0.3014, p 0.5.
sed 's/"probe_base": \([0-9]*\)/"probe_base": \1, "cluster": "base \1"/' p.yaml >pc.yaml
sed 's|^tests:|tests:\n  - file://pc.yaml|' asr.yaml >withc.yaml
"$ASSAY" run withc.yaml -j 4 --no-progress-bar --no-table >runc.out 2>&1
"$ASSAY" stats latest --json >s.json 2>/dev/null
check asr_cluster_inj "3 0.25 0.3374 1 false" "$(pair injection obeys robust "\"\(.clusters) \(.p) \($(r4 .diff.lo)) \(.diff.hi) \(.significant)\"")"
check asr_cluster_jb "2 0.5 -0.3014" "$(pair jailbreak obeys robust "\"\(.clusters) \(.p) \($(r4 .diff.lo))\"")"
check_grep asr_cluster_test 'cluster-robust' s.json

# one candidate: no paired figure
sed -e '/openai:chat:robust/d' -e '/openai:chat:wary/d' -e '/openai:chat:leaky/d' with.yaml >one.yaml
"$ASSAY" run one.yaml -j 4 --no-progress-bar --no-table >run1.out 2>&1
"$ASSAY" stats latest --json >s1.json 2>/dev/null
check asr_one_candidate_ran 1 "$(jq ".candidates | length" s1.json)"
check asr_one_candidate_absent null "$(jq -c '.comparisons.attack_success' s1.json)"
