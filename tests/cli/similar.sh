#!/bin/sh
# similar.sh — the embeddings-based `similar` assertion end to end, with
# `assay mock`'s deterministic /v1/embeddings as the embedder: an answer
# that shares its words with the reference passes, one that shares none
# fails, and the scores are the cosines of the mock's vectors.
. "$(dirname "$0")/../lib.sh"
D=$(cd "$(dirname "$0")/../data/similar" && pwd)
cp "$D/suite.yaml" "$T/"
start_mock m "$D/rules.yaml" --quiet
"$ASSAY" run "$T/suite.yaml" --no-progress-bar --no-table -o "$T/r.json" >"$T/out.txt" 2>&1
check similar_run_exit_100 100 $?
s() { jq -r ".results[] | select(.provider_idx == $1) | \"\(.pass) \(.score)\"" "$T/r.json"; }
# "The capital of France is Paris." and "Paris is the capital of France."
# hold the same five words: identical bags of words, cosine 1.
check similar_same_words_pass "true 1" "$(s 0)"
set -- $(s 1)
check similar_other_words_fail false "$1"
if awk -v x="$2" 'BEGIN { exit !(x < 0.5) }'; then ok similar_other_words_low_score; else fail similar_other_words_low_score "score $2"; fi
# The mock's embeddings endpoint itself.
curl -s "$BASE/embeddings" -H 'Content-Type: application/json' \
	-d '{"model":"e","input":["a b","b a",""]}' >"$T/e.json"
check mock_embeddings_three 3 "$(jq '.data | length' "$T/e.json")"
check mock_embeddings_deterministic "$(jq -c '.data[0].embedding' "$T/e.json")" "$(jq -c '.data[1].embedding' "$T/e.json")"
check mock_embeddings_unit_length 1 "$(jq '[.data[0].embedding[] | . * .] | add | . * 1000 | round / 1000' "$T/e.json")"
check mock_embeddings_bad_input 400 "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/embeddings" -d '{"input": 3}')"

# answer-relevance: a chat judge writes questions (round one), they and the
# query are embedded through the judge's /embeddings twin (round two).
cp "$D/relevance.yaml" "$T/"
"$ASSAY" run "$T/relevance.yaml" --no-progress-bar --no-table -o "$T/ar.json" >"$T/ar.txt" 2>&1
check answer_relevance_exit_100 100 $?
check answer_relevance_on_topic_passes true "$(jq -r '.results[] | select(.provider_idx == 0) | .pass' "$T/ar.json")"
check answer_relevance_off_topic_fails false "$(jq -r '.results[] | select(.provider_idx == 1) | .pass' "$T/ar.json")"
check answer_relevance_two_rounds "5|5" "$(sqlite3 "$T/.assay/assay.db" "select group_concat(judge_calls, '|') from results where run_id = (select max(id) from runs)")"
