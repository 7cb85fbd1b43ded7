/* judges.h — the providers that grade: every judge a suite's model-graded
 * assertions name (an assertion's `provider`, a test's `options.provider`)
 * plus the default grader (`--grader`), built before the run so a bad
 * judge config is reported before any request.
 *
 * Ownership: `judges_new` returns an owned set (free with `judges_free`);
 * the providers inside belong to it. */
#ifndef ASSAY_JUDGES_H
#define ASSAY_JUDGES_H

#include <stddef.h>

#include "../provider/provider.h"
#include "../suite/suite.h"

struct judge_set;

/* promptfoo's default grader (src/providers/openai/defaults.ts, read at
 * promptfoo's main branch): used when no --grader is given, ASSAY_GRADER is
 * unset, an OpenAI endpoint is configured and an assertion needs it. */
#define JUDGES_DEFAULT_OPENAI "openai:chat:gpt-4.1-2025-04-14"

/* Builds the judges of suite s.  `grader` is the default grader's provider
 * id (NULL: $ASSAY_GRADER, else JUDGES_DEFAULT_OPENAI when $OPENAI_API_KEY
 * or $OPENAI_BASE_URL is set and some model-graded assertion has no judge;
 * the choice is printed on stderr).  Fails with the location of a model-graded assertion
 * that has no judge, or of a judge whose config is wrong. *out may be an
 * empty set. */
int judges_new(const struct suite *s, const char *grader,
	       struct judge_set **out, struct err *err);
void judges_free(struct judge_set *j);

/* judges_new in steps, for a suite whose tests are visited as they load
 * (suite_visit): begin (an owned empty set), visit each test (its named
 * judges built; 0 or the error of a bad judge), end (the default grader,
 * and the error for a model-graded assertion left without a judge).  On
 * an error the caller frees the set. */
struct judge_set *judges_begin(void);
int judges_visit(struct judge_set *j, const struct test_case *tc,
		 const char *dir, struct err *err);
int judges_end(struct judge_set *j, const char *grader, const char *dir,
	       struct err *err);

/* The judge for a call: `id` as the suite names it, or the test's grader,
 * or the default.  NULL when there is none (judges_new prevents it). */
struct provider *judges_get(const struct judge_set *j, const char *id,
			    const struct test_case *tc);

/* For embedding calls: p itself when it serves embeddings, else its
 * embeddings twin (an OpenAI-compatible judge asked at /embeddings with
 * the same model name), else NULL. */
struct provider *judges_embedder(const struct judge_set *j, const struct provider *p);

/* Every provider of the set (judges and their twins), for scheduling. */
size_t judges_count(const struct judge_set *j);
struct provider *judges_at(const struct judge_set *j, size_t i);

#endif
