/* judge_weak.c — TEMPORARY placeholders for judge.h while score_judge.c
 * is being written: weak symbols, so the real definitions win as soon as
 * they exist.  Remove this file when score_judge.c lands. */
#include "judge.h"

#include <math.h>
#include <stdlib.h>

#define WEAK __attribute__((weak))

WEAK bool score_needs_judge(const struct test_case *tc)
{
	(void)tc;
	return false;
}

WEAK bool score_is_comparison(const struct assertion_spec *a)
{
	(void)a;
	return false;
}

WEAK int score_judge_plan(const struct test_case *tc, const struct response *resp,
			  struct judge_call **calls, size_t *n, struct err *err)
{
	(void)tc; (void)resp; (void)err;
	*calls = NULL;
	*n = 0;
	return 0;
}

WEAK void score_judge_calls_free(struct judge_call *calls, size_t n)
{
	(void)n;
	free(calls);
}

WEAK bool score_judge_validate(const struct judge_call *call, const char *reply,
			       char **repair)
{
	(void)call; (void)reply;
	*repair = NULL;
	return true;
}

WEAK int score_grade_judged(const struct test_case *tc, const struct response *resp,
			    const struct judge_call *calls,
			    const struct judge_reply *replies, size_t n,
			    struct grade *out, struct err *err)
{
	(void)calls; (void)replies; (void)n;
	return score_grade(tc, resp, out, err);
}
