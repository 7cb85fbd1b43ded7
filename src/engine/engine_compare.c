/* engine_compare.c — the comparison pass (select-best, compare): after
 * every provider has answered, a cursor over (test, prompt, repeat,
 * comparison assertion) reads the stored outputs, queues the judge calls
 * that rank them (engine_judge.c runs them) and folds the outcomes into
 * every compared result, re-grading it in the store. */
#include "engine_int.h"
#include "../score/judge.h"
#include "../score/judge_more.h"
#include "../score/score.h"
#include "../util/xalloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The next (test, prompt, repeat, comparison assertion), or false. */
static bool next_comparison(struct run *r, size_t *t, size_t *p, int *rep,
			    size_t *ai)
{
	const struct suite *s = r->s;
	for (; r->cmp_t < s->n_tests; r->cmp_t++, r->cmp_p = 0, r->cmp_r = 0, r->cmp_a = 0) {
		const struct test_case *tc = suite_test(s, r->cmp_t);
		if (!tc) {   /* a streamed file that cannot be read again */
			*r->err = *suite_stream_err(s);
			r->rc = r->err->code ? (int)r->err->code : ST_IO;
			return false;
		}
		for (; r->cmp_p < s->n_prompts; r->cmp_p++, r->cmp_r = 0, r->cmp_a = 0)
			for (; r->cmp_r < r->o->repeat; r->cmp_r++, r->cmp_a = 0)
				for (; r->cmp_a < tc->n_asserts; r->cmp_a++)
					if (score_is_comparison(&tc->asserts[r->cmp_a])) {
						*t = r->cmp_t;
						*p = r->cmp_p;
						*rep = r->cmp_r;
						*ai = r->cmp_a++;
						return true;
					}
	}
	return false;
}

/* The main-pass grade of a stored result: 1 pass, 0 fail, -1 none (not
 * found, or already an error).  `cur` (tc->n_asserts long) is scratch. */
static int stored_pass(struct run *r, const struct comparison *c, size_t v,
		       struct assert_outcome *cur)
{
	const struct test_case *tc = suite_test(r->s, c->test);
	struct grade g;
	struct err gerr;
	bool found = false;
	int was = -1;
	err_clear(&gerr);
	r->rc = store_result_outcomes(r->st, r->run_id, c->test, c->prompt, v,
				      c->rep, cur, tc->n_asserts, &found, r->err);
	memset(&g, 0, sizeof g);
	if (!r->rc && found && score_combine_outcomes(tc, cur, &g, &gerr) == 0) {
		was = g.pass ? 1 : 0;
		grade_cleanup(&g);
	}
	for (size_t i = 0; i < tc->n_asserts; i++) {
		free(cur[i].reason);
		cur[i].reason = NULL;
	}
	return was;
}

/* A comparison that could not be graded (its judge's reply unusable):
 * every compared result becomes a grading error, never a pass kept from
 * the main pass (docs/statistics.md, "what counts as what"). */
static void mark_grading_errors(struct run *r, const struct comparison *c,
				struct assert_outcome *cur, const char *why)
{
	const struct test_case *tc = suite_test(r->s, c->test);
	const struct assertion_spec *a = &tc->asserts[c->ai];
	for (size_t v = 0; v < r->n_cand && !r->rc; v++) {
		int was;
		if (!c->outputs[v])
			continue;
		was = stored_pass(r, c, v, cur);
		if (r->rc || was < 0)
			continue;
		r->rc = store_result_grading_error(r->st, r->run_id, c->test, c->prompt,
						   v, c->rep, why && *why ? why :
						   a->type ? a->type : "comparison",
						   r->err);
		if (r->rc)
			break;
		if (was)
			r->tot->passes--;
		else
			r->tot->fails--;
		r->tot->errors++;
	}
}

/* Folds a comparison's outcomes into every compared result and frees the
 * comparison. */
void engine_compare_done(struct run *r, struct comparison *c)
{
	struct judging *par = c->jd;
	const struct test_case *tc = suite_test(r->s, c->test);
	size_t nv = r->n_cand;
	struct judge_reply *rep = xcalloc(par->n_calls ? par->n_calls : 1, sizeof *rep);
	struct assert_outcome *out = xcalloc(nv, sizeof *out);
	struct assert_outcome *cur = xcalloc(tc->n_asserts ? tc->n_asserts : 1, sizeof *cur);
	double consistency = NAN;
	struct err gerr;
	err_clear(&gerr);
	for (size_t i = 0; i < par->n_calls; i++) {
		rep[i].text = par->jtext[i];
		rep[i].error = par->jerr[i];
	}
	r->tot->judge_calls += par->judge_count;
	r->tot->compare_calls += par->judge_count;
	r->tot->compare_cost += par->judge_cost;
	if (score_compare_grade(tc, c->ai, (const char *const *)c->outputs, nv,
				par->calls, rep, par->n_calls, out, &consistency, &gerr)) {
		fprintf(stderr, "assay: comparison for test %zu not graded: %s\n",
			c->test + 1, gerr.msg);
		r->tot->compare_errors++;
		mark_grading_errors(r, c, cur, gerr.msg);
	} else {
		if (!isnan(consistency)) {
			r->tot->consistency_sum += consistency;
			r->tot->consistency_n++;
		}
		for (size_t v = 0; v < nv && !r->rc; v++) {
			bool found = false;
			struct grade g;
			if (!c->outputs[v])
				continue;
			r->rc = store_result_outcomes(r->st, r->run_id, c->test, c->prompt, v,
						      c->rep, cur, tc->n_asserts, &found, r->err);
			if (!r->rc && found) {
				struct grade before;
				bool was_pass = false;
				memset(&before, 0, sizeof before);
				if (score_combine_outcomes(tc, cur, &before, &gerr) == 0) {
					was_pass = before.pass;
					grade_cleanup(&before);
				}
				free(cur[c->ai].reason);
				cur[c->ai].pass = out[v].pass;
				cur[c->ai].score = out[v].score;
				cur[c->ai].reason = xstrdup(out[v].reason ? out[v].reason : "");
				memset(&g, 0, sizeof g);
				if (score_combine_outcomes(tc, cur, &g, &gerr) == 0) {
					r->rc = store_result_regrade(r->st, r->run_id, c->test,
								     c->prompt, v, c->rep, &g, r->err);
					/* The totals (and the exit status) follow. */
					if (was_pass && !g.pass) {
						r->tot->passes--;
						r->tot->fails++;
					} else if (!was_pass && g.pass) {
						r->tot->fails--;
						r->tot->passes++;
					}
					grade_cleanup(&g);
				}
			}
			for (size_t i = 0; i < tc->n_asserts; i++) {
				free(cur[i].reason);
				cur[i].reason = NULL;
			}
		}
	}
	for (size_t v = 0; v < nv; v++) {
		free(out[v].reason);
		free(c->outputs[v]);
	}
	free(out);
	free(cur);
	free(rep);
	free(c->outputs);
	engine_judging_free(par);
	suite_test_drop(r->s, c->test);
	free(c);
	r->cmp_active--;
}

/* Starts the next comparisons, up to the concurrency. */
void engine_start_comparisons(struct run *r)
{
	size_t t, p, ai;
	int rep;
	while (!r->cmp_done && r->cmp_active < r->cand_slots && !r->rc) {
		struct comparison *c;
		struct judge_call *calls = NULL;
		size_t n = 0;
		struct err gerr;
		if (!next_comparison(r, &t, &p, &rep, &ai)) {
			r->cmp_done = true;
			break;
		}
		c = xcalloc(1, sizeof *c);
		suite_test_hold(r->s, t);   /* its judge calls borrow from it */
		c->test = t;
		c->prompt = p;
		c->rep = rep;
		c->ai = ai;
		c->outputs = xcalloc(r->n_cand ? r->n_cand : 1, sizeof *c->outputs);
		r->cmp_active++;
		if ((r->rc = store_case_outputs(r->st, r->run_id, t, p, rep, r->n_cand,
						c->outputs, r->err))) {
			for (size_t v = 0; v < r->n_cand; v++)
				free(c->outputs[v]);
			free(c->outputs);
			suite_test_drop(r->s, t);
			free(c);
			r->cmp_active--;
			break;
		}
		err_clear(&gerr);
		if (score_compare_plan(suite_test(r->s, t), ai, (const char *const *)c->outputs,
				       r->n_cand, &calls, &n, &gerr))
			n = 0;
		c->jd = engine_judging_new(t, calls, n);
		c->jd->cmp = c;
		if (n == 0) {
			engine_compare_done(r, c);
			continue;
		}
		engine_queue_calls(r, c->jd, 0);
	}
}

bool engine_needs_comparisons(const struct suite *s)
{
	for (size_t t = 0; t < s->n_tests; t++) {
		const struct test_case *tc = suite_test(s, t);
		for (size_t a = 0; tc && a < tc->n_asserts; a++)
			if (score_is_comparison(&tc->asserts[a]))
				return true;
	}
	return false;
}
