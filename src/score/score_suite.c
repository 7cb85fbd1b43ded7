/* score_suite.c — checking a whole suite's grading before any request:
 * every test's transform and every assertion (score_check). */
#include "score.h"

#include <stdio.h>

int score_check_test(const struct test_case *tc, struct err *err)
{
	if (tc->transform && score_transform_check(tc->transform, err)) {
		char why[sizeof err->msg];
		snprintf(why, sizeof why, "%s", err->msg);
		return err_at(err, tc->loc.file, tc->loc.line, tc->loc.col,
			      "options.transform: %s", why);
	}
	for (size_t j = 0; j < tc->n_asserts; j++) {
		int rc = score_check(&tc->asserts[j], tc->vars, err);
		if (rc)
			return rc;
	}
	if (score_check_turns(tc, err)) /* score_conv.c */
		return ST_INPUT;
	return 0;
}

int score_check_suite(const struct suite *s, struct err *err)
{
	for (size_t i = 0; i < s->n_tests; i++) {
		const struct test_case *tc = suite_test(s, i);
		int rc;
		if (!tc) {   /* a streamed file that cannot be read again */
			*err = *suite_stream_err(s);
			return ST_IO;
		}
		if ((rc = score_check_test(tc, err)))
			return rc;
	}
	return 0;
}

int score_check_suite_mem(const struct suite *s, struct err *err)
{
	for (size_t i = 0; i < s->n_tests; i++) {
		const struct test_case *tc = suite_test_mem(s, i);
		int rc = tc ? score_check_test(tc, err) : 0;
		if (rc)
			return rc;
	}
	return 0;
}
