/* judge_more.h — a second round of judge calls, for the model-graded
 * types whose later calls depend on a judge's earlier reply (today only
 * answer-relevance: the questions the judge wrote are embedded).  An
 * addition to judge.h's flow, driven by the engine:
 *
 *   plan → send → validate (repair once) → followup → send the new calls
 *   → … until followup returns none → score_grade_judged with every call
 *   and reply so far (the arrays concatenated, in any order).
 *
 * An engine that never calls it still grades every other type; an
 * answer-relevance assertion then is a grading error that says so. */
#ifndef ASSAY_JUDGE_MORE_H
#define ASSAY_JUDGE_MORE_H

#include "judge.h"

/* The calls that the replies so far make necessary and that are not
 * among `calls` yet.  Returns 0 with an owned array (possibly empty;
 * free with score_judge_calls_free), or non-zero with err set. */
int score_judge_followup(const struct test_case *tc,
			 const struct judge_call *calls,
			 const struct judge_reply *replies, size_t n,
			 struct judge_call **more, size_t *n_more,
			 struct err *err);

#endif
