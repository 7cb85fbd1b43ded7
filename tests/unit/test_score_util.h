/* test_score_util.h — helpers shared by the score unit tests: build an
 * assertion_spec in C and run one assertion against an output. */
#ifndef TEST_SCORE_UTIL_H
#define TEST_SCORE_UTIL_H

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/score/score.h"

/* A spec with weight 1 at suite.yaml:7:5; `value` is JSON text (NULL for
 * none).  Release with ts_free. */
static inline struct assertion_spec ts_spec(const char *type,
					    const char *value_json)
{
	struct assertion_spec a;
	memset(&a, 0, sizeof a);
	a.type = (char *)type;
	if (value_json) {
		json_error_t je;
		a.value = json_loads(value_json, JSON_DECODE_ANY, &je);
		if (!a.value)
			abort();   /* a typo in the test itself */
	}
	a.weight = 1.0;
	a.loc.file = "suite.yaml";
	a.loc.line = 7;
	a.loc.col = 5;
	return a;
}

static inline void ts_free(struct assertion_spec *a)
{
	json_decref(a->value);
	a->value = NULL;
}

/* Runs one assertion.  Returns 1 pass, 0 fail, -1 internal error; the
 * score goes to *score and the reason (owned) to *reason when non-NULL. */
static inline int ts_run(const char *type, const char *value_json,
			 const json_t *vars, const char *output,
			 double *score, char **reason)
{
	struct assertion_spec a = ts_spec(type, value_json);
	struct assert_outcome o;
	struct err e;
	int rc;
	memset(&e, 0, sizeof e);
	rc = score_assert_eval(&a, vars, output, NULL, &o, &e);
	ts_free(&a);
	if (rc)
		return -1;
	if (score)
		*score = o.score;
	if (reason)
		*reason = o.reason;
	else
		free(o.reason);
	return o.pass ? 1 : 0;
}

/* score_check on one spec; returns its status and fills *e. */
static inline int ts_check(const char *type, const char *value_json,
			   const json_t *vars, struct err *e)
{
	struct assertion_spec a = ts_spec(type, value_json);
	int rc;
	memset(e, 0, sizeof *e);
	rc = score_check(&a, vars, e);
	ts_free(&a);
	return rc;
}

#endif
