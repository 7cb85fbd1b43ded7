/* score.h — the front door of grading: the assertion registry and the
 * promptfoo rule that turns assertion results into a test's score and pass.
 *
 * Flow: at load time `score_check` validates every assertion of every test
 * (known type, well-formed value, templates resolve with the test's vars,
 * regexes compile) so errors surface before any request.  After a response
 * arrives `score_grade` evaluates the test's assertions and fills a
 * `struct grade`, which the caller releases with `grade_cleanup`.
 *
 * Scoring (promptfoo's semantics): each assertion yields pass and a score in
 * [0,1] (binary assertions: 1 or 0; `not-` inverts pass and score).  The
 * test score is the weighted mean sum(score*weight)/sum(weight) (0 weights
 * are left out; no assertions → score 1; total weight 0 → score 0).  A
 * weight-0 assertion never fails the test.  Without a test `threshold` the
 * test passes when every assertion passes; with one, when score >=
 * threshold.  Named metrics: per test, metric → sum of the scores of the
 * assertions that name it.  The grade's reason is the first failing
 * assertion's, "All assertions passed", or with a threshold "Aggregate
 * score 0.25 < 0.5 threshold".  Types live in a registry (score_int.h):
 * one table entry per type.  Grading is thread-safe. */
#ifndef ASSAY_SCORE_H
#define ASSAY_SCORE_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "../util/err.h"
#include "../suite/suite.h"
#include "../provider/response.h"

/* Result of one assertion. `reason` is owned. */
struct assert_outcome {
	const struct assertion_spec *spec;   /* borrowed from the suite */
	bool pass;
	double score;
	char *reason;
};

/* Result of one test (one case × prompt × provider). */
struct grade {
	bool pass;
	double score;
	char *reason;                 /* owned: first failure, or "All assertions passed" */
	struct assert_outcome *items; /* owned, n_items long */
	size_t n_items;
	json_t *named_scores;         /* owned object metric → number */
};

/* Validates `a` for a test with `vars`: returns 0, or ST_INPUT with err
 * at the assertion's location saying what was wrong and what was expected. */
int score_check(const struct assertion_spec *a, const json_t *vars,
		struct err *err);

/* Calls fn with the process group of every `script` grader started from
 * now on in this process (NULL: none; score_script.c).  The engine's
 * grading child reports them, so that killing a grader takes its scripts
 * along. */
void score_set_script_hook(void (*fn)(long pgid));

/* JavaScript and Python code (assertions, transforms) runs in long-lived
 * workers owned by one process.  A process forked to grade (the engine's
 * grading child) must not use the workers it inherited: it sets a proxy
 * with score_set_code_proxy, and every worker call goes through fn, which
 * hands it to the owning process; that process runs it with
 * score_code_call, one call at a time per worker.  `lang` is 0 for
 * JavaScript, 1 for Python; 2 and 3 are the same languages in workers of
 * their own for script providers (so a provider's call never holds up
 * grading); `req` and `*reply` are JSON objects (reply
 * owned by the caller); the return value and err are those of the call.
 * NULL fn: this process's own workers (the default). */
typedef int score_code_proxy_fn(int lang, const json_t *req, long timeout_ms,
				json_t **reply, struct err *err);
void score_set_code_proxy(score_code_proxy_fn *fn);
int score_code_call(int lang, const json_t *req, long timeout_ms, json_t **reply,
		    struct err *err);

/* Checks every test's transform and every assertion of a suite (before
 * any request; score_suite.c).  Returns 0 or the first error. */
int score_check_suite(const struct suite *s, struct err *err);
/* The same for one test; score_check_suite_mem for the tests a streamed
 * suite keeps in memory (its streamed tests are checked with
 * score_check_test as the loader reads them: suite_visit). */
int score_check_test(const struct test_case *tc, struct err *err);
int score_check_suite_mem(const struct suite *s, struct err *err);

/* Checks the per-turn assertions of a conversation test (score_conv.c):
 * each one valid and graded on the loop.  0 or ST_INPUT located. */
int score_check_turns(const struct test_case *tc, struct err *err);

/* True when `type` (with or without the `not-` prefix) is registered. */
bool score_type_known(const char *type);

/* True when `type` (with or without `not-`) is graded by a judge model
 * rather than by a rule: the split the HTML report's case table and the
 * human-vs-judge agreement use. */
bool score_type_judged(const char *type);

/* Grades `output` (the response's text) for test `tc`.  `resp` supplies
 * latency, usage and cost for the assertions that need them.  Never fails
 * on bad model output (that is a failing grade).  Returns non-zero (err
 * set, `out` released) for a *grading error*: something other than the
 * model went wrong — a custom script exited non-zero or timed out, a Lua
 * or jq program raised an error, a transform failed, `latency` was asked
 * of a cached response.  The caller records the result as an error
 * ("grading failed: …"), never as a failure.  `out` must be released with
 * grade_cleanup. */
int score_grade(const struct test_case *tc, const struct response *resp,
		struct grade *out, struct err *err);

/* Evaluates one assertion against `output` (NULL means "") with the test's
 * `vars` (NULL means none): renders the value, applies the assertion's
 * transform, runs the type's check and fills `out` (out->reason owned;
 * free it, or let grade_cleanup do it when `out` is one of a grade's
 * items).  The weight-0 and threshold rules of score_grade are not
 * applied.  Returns non-zero only for a grading error as score_grade
 * describes (err set, out->reason NULL); an unknown type or a bad value is
 * a failing outcome. */
int score_assert_eval(const struct assertion_spec *a, const json_t *vars,
		      const char *output, const struct response *resp,
		      struct assert_outcome *out, struct err *err);

/* Checks a transform as written in a suite: "jq:EXPR" compiles, anything
 * else (promptfoo's JavaScript) is refused naming the feature.  Returns 0
 * or ST_INPUT with a message (no location: the caller adds it). */
int score_transform_check(const char *transform, struct err *err);

/* Applies a "jq:EXPR" transform to `output` (len bytes): the output is
 * parsed as JSON, or taken as a JSON string when it is not JSON; $vars is
 * the test's vars (NULL means {}).  The program's first result, when a
 * string, is used as is, else JSON-serialized (compact).  On success *out
 * is an owned string and 0 is returned; on a jq error or no result returns
 * ST_INTERNAL with err set and *out NULL.  Thread-safe. */
int score_transform(const char *transform, const char *output, size_t len,
		    const json_t *vars, char **out, struct err *err);

/* Combines given outcomes (outcomes[i] for tc->asserts[i], every one
 * counted; reasons copied) into a grade by the rule above — for results
 * re-graded after the comparisons.  Returns 0 (out to release with
 * grade_cleanup) or non-zero with err set. */
int score_combine_outcomes(const struct test_case *tc,
			   const struct assert_outcome *outcomes,
			   struct grade *out, struct err *err);

/* The grade of an output that the test's options.transform could not
 * read (`why`): by default the model's failure — every assertion fails
 * with that reason; with options.unparsable_output: error a grading error
 * (non-zero, err set, out released).  docs/statistics.md. */
int score_unreadable(const struct test_case *tc, const char *why,
		     struct grade *out, struct err *err);

/* Releases g's items, reasons and named_scores and zeroes it;
 * grade_cleanup(NULL) does nothing. */
void grade_cleanup(struct grade *g);

/* Frees process-wide caches (compiled regexes, the calling thread's jq
 * programs, the Lua state).  Optional, for leak checks; call it when no
 * other thread grades. */
void score_shutdown(void);

#endif
