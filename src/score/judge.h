/* judge.h — model-graded assertions: the questions grading needs a model
 * to answer, and how the answers become assertion outcomes.  Included by
 * score.h's users that drive judges (the engine).
 *
 * Flow, driven by the engine:
 *  1. After a candidate's response arrives, `score_judge_plan` lists the
 *     judge calls its test needs (none for a test with only deterministic
 *     assertions; `score_needs_judge` says so cheaply).
 *  2. The engine sends every call to its judge provider — the assertion's
 *     `provider`, else the test's `options.provider`, else `--grader` —
 *     on the same event loop, through the response cache, and accounts the
 *     judge's cost and latency apart from the candidate's.
 *  3. A chat reply goes through `score_judge_validate`; when it is not
 *     usable (not the JSON the type asks for) the engine sends the repair
 *     messages it returns, once; a second bad reply is a grading error.
 *  4. `score_grade_judged` grades the whole test: deterministic assertions
 *     as score_grade does, model-graded ones from the replies.
 *
 * Comparisons (`select-best`, and `compare` — pairwise, both orders) need
 * every provider's output for the same case and prompt; they are planned
 * and graded after the main pass with `score_compare_plan` /
 * `score_compare_grade`, and are skipped (not counted) by the per-output
 * grading above.
 *
 * Ownership: plans return owned arrays released with
 * `score_judge_calls_free`; replies are borrowed. */
#ifndef ASSAY_JUDGE_H
#define ASSAY_JUDGE_H

#include <stdbool.h>
#include <stddef.h>

#include "score.h"

enum judge_kind {
	JUDGE_CHAT,    /* a chat completion: `messages` → reply text */
	JUDGE_EMBED    /* an embedding of `text` (for `similar`) */
};

struct judge_call {
	size_t assert_idx;      /* index into tc->asserts */
	enum judge_kind kind;
	char *messages;         /* JUDGE_CHAT: JSON array of {role, content}; owned */
	char *text;             /* JUDGE_EMBED: the text; owned */
	const char *provider;   /* judge provider id named by the suite, or NULL
				 * for the default grader; borrowed from the suite */
	int tag;                /* private to the assertion type */
};

struct judge_reply {
	const char *text;       /* JUDGE_CHAT reply, or NULL */
	const double *vec;      /* JUDGE_EMBED vector, or NULL */
	size_t dim;
	const char *error;      /* why there is no answer, or NULL */
};

/* True when some assertion of tc is model-graded (not a comparison). */
bool score_needs_judge(const struct test_case *tc);

/* True for select-best / compare. */
bool score_is_comparison(const struct assertion_spec *a);

/* The judge calls tc needs to grade `resp`.  Returns 0 with an owned array
 * (possibly empty), or non-zero with err set (a grading error). */
int score_judge_plan(const struct test_case *tc, const struct response *resp,
		     struct judge_call **calls, size_t *n, struct err *err);

void score_judge_calls_free(struct judge_call *calls, size_t n);

/* Checks a chat reply for `call`.  Returns true when usable; otherwise
 * sets *repair to an owned JSON messages array (the call's messages, the
 * reply as the assistant's turn, and a user message asking for the exact
 * format) to send once more. */
bool score_judge_validate(const struct judge_call *call, const char *reply,
			  char **repair);

/* Grades tc with the judges' replies (replies[i] answers calls[i]).
 * Return value and `out` as score_grade. A call that has no answer makes
 * its assertion a grading error. */
int score_grade_judged(const struct test_case *tc, const struct response *resp,
		       const struct judge_call *calls,
		       const struct judge_reply *replies, size_t n,
		       struct grade *out, struct err *err);

/* Comparisons: the calls that rank outputs[0..n_out) (one per provider,
 * same case and prompt) for the comparison assertion tc->asserts[ai]. */
int score_compare_plan(const struct test_case *tc, size_t ai,
		       const char *const *outputs, size_t n_out,
		       struct judge_call **calls, size_t *n, struct err *err);

/* The outcome of a comparison for each output (out[0..n_out), reasons
 * owned) and the judge's consistency between the two orders of each pair
 * (share of pairs where both orders agreed; NaN when there were none). */
int score_compare_grade(const struct test_case *tc, size_t ai,
			const char *const *outputs, size_t n_out,
			const struct judge_call *calls,
			const struct judge_reply *replies, size_t n,
			struct assert_outcome *out, double *consistency,
			struct err *err);

#endif
