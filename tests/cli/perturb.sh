#!/bin/sh
# perturb.sh — `perturb:` variant groups end to end against `assay mock`:
# a model that knows its three tickets word for word ("fragile") passes
# every original and fails every typo and lower-case variant; a model
# that is immune to wording ("steady") passes everything.  The existing
# robustness figures (consistency, worst-case pass rate) and the by-tag
# pass rates per perturbation tell them apart.
. "$(dirname "$0")/../lib.sh"
D=$(cd "$(dirname "$0")/../data/evalset" && pwd)
cp "$D"/perturb.yaml "$T"/
start_mock m "$D/rules.yaml"
cd "$T" || exit 1

"$ASSAY" validate perturb.yaml >v.out 2>&1
check_grep perturb_expands '9 tests × 1 prompts × 2 providers' v.out
"$ASSAY" run perturb.yaml --no-progress-bar --no-table -o r.json >run.out 2>&1
check perturb_run_exit_100 100 $?
check perturb_variant_vars_stored "late parcel [lowercase]|my parcel is two weeks late, where is it?" \
	"$(jq -r '.results[] | select(.provider_id == "openai:chat:fragile" and (.description | endswith("[lowercase]"))) | "\(.description)|\(.vars.ticket)"' r.json | head -1)"
"$ASSAY" stats latest --json >s.json 2>/dev/null
c() { jq -r --arg c "$1" ".candidates[] | select(.label == \$c) | $2" s.json; }
tag() { c "$1" ".failure_modes.by_tag[] | select(.tag == \"$2\") | \"\(.k)/\(.n)\""; }
check perturb_fragile_original "3/3" "$(tag openai:chat:fragile perturbation:original)"
check perturb_fragile_typos "0/3" "$(tag openai:chat:fragile perturbation:typos:0.1)"
check perturb_fragile_lowercase "0/3" "$(tag openai:chat:fragile perturbation:lowercase)"
check perturb_steady_typos "3/3" "$(tag openai:chat:steady perturbation:typos:0.1)"
# 3 groups: fragile is consistent in none, steady in all (Wilson 0/3 upper
# 0.5615: R 4.3 binom::binom.wilson(0, 3))
check perturb_fragile_consistency "0/3 0.5615" "$(c openai:chat:fragile '.robustness.consistency | "\(.k)/\(.n) \(.hi * 10000 | round / 10000)"')"
check perturb_steady_consistency "3/3" "$(c openai:chat:steady '.robustness.consistency | "\(.k)/\(.n)"')"
check perturb_fragile_worst_case 0 "$(c openai:chat:fragile '.robustness.worst_case_pass.est')"
