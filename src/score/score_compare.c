/* score_compare.c — comparisons between the outputs of several providers
 * for the same case and prompt (judge.h): `select-best` (promptfoo's: the
 * judge sees every output and names the best) and `compare` (ours:
 * pairwise, every pair judged in both orders).
 *
 * Position bias: a judge that prefers whichever output it reads first
 * would crown an arbitrary winner.  `compare` shows each pair as (A, B)
 * and as (B, A); a pair counts as a win only when both orders name the
 * same output, otherwise it is a tie.  An output's score is (wins + 0.5 ×
 * ties) / comparisons; the judge's consistency is the share of pairs
 * whose two orders agreed.
 *
 * Tags: select-best JTAG(JT_SELECT_BEST, n_out); compare
 * JTAG(JT_COMPARE, pair × 2 + order), pairs numbered (0,1), (0,2), …,
 * (1,2), … over all n_out outputs, order 0 showing the lower index as A. */
#include "score_int.h"
#include "judge.h"
#include "score_judge_prompts.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/buf.h"
#include "../util/xalloc.h"

/* Why the assertion's transform cannot read `output` (owned), or NULL
 * when it can or there is none.  Such an output is the model's failure
 * (it is left out of the comparison and fails it) unless the suite opts
 * out with options.unparsable_output: error (issue 8). */
static char *unreadable(const struct assertion_spec *a, const json_t *vars,
			const char *output)
{
	struct err terr = {0};
	char *t = NULL;
	if (!output || !a->transform || a->unparsable_error)
		return NULL;
	if (!score_transform(a->transform, output, strlen(output), vars, &t,
			     &terr)) {
		free(t);
		return NULL;
	}
	return xstrdup(terr.msg);
}

/* The outputs after the assertion's transform (NULL stays NULL: that
 * provider has no output to compare; an output the transform cannot
 * read becomes NULL too and counts in *unread).  Returns an owned array
 * of owned strings, or NULL with err set. */
static char **prepared(const struct assertion_spec *a, const json_t *vars,
		       const char *const *outputs, size_t n_out,
		       size_t *avail, size_t *unread, struct err *err)
{
	char **o = xcalloc(n_out ? n_out : 1, sizeof *o);
	*avail = 0;
	*unread = 0;
	for (size_t i = 0; i < n_out; i++) {
		char *why;
		if (!outputs[i])
			continue;
		if ((why = unreadable(a, vars, outputs[i]))) {
			free(why);
			(*unread)++;
			continue;
		}
		(*avail)++;
		if (!a->transform) {
			o[i] = xstrdup(outputs[i]);
		} else if (score_transform(a->transform, outputs[i],
					   strlen(outputs[i]), vars, &o[i],
					   err)) {
			for (size_t j = 0; j < i; j++)
				free(o[j]);
			free(o);
			if (a->unparsable_error) {
				char *m = xstrdup(err->msg);
				err_set(err, ST_INTERNAL, "'%s': the output "
					"could not be read by the transform "
					"(unparsable_output: error): %s",
					a->type, m);
				free(m);
			}
			return NULL;
		}
	}
	return o;
}

static void free_prepared(char **o, size_t n)
{
	for (size_t i = 0; o && i < n; i++)
		free(o[i]);
	free(o);
}

/* The pair numbered p among the pairs i < j of n outputs. */
static void pair_of(size_t p, size_t n, size_t *i, size_t *j)
{
	for (*i = 0; *i + 1 < n; (*i)++) {
		size_t row = n - *i - 1;
		if (p < row) {
			*j = *i + 1 + p;
			return;
		}
		p -= row;
	}
	*j = *i;
}

static char *criteria_of(const struct assertion_spec *a, const json_t *vars)
{
	struct err rerr = {0};
	bool owned = false;
	json_t *v = score_render_value(a, vars, &owned, &rerr);
	char *c = xstrdup(json_is_string(v) ? json_string_value(v) :
			  "Which output is more helpful, correct and "
			  "complete for its input");
	if (owned)
		json_decref(v);
	return c;
}

static void add(struct judge_call **calls, size_t *n, size_t *cap,
		const struct test_case *tc, size_t ai, int tag, char *msgs)
{
	struct judge_call *c;
	*calls = xgrow(*calls, cap, *n + 1, sizeof **calls);
	c = &(*calls)[(*n)++];
	memset(c, 0, sizeof *c);
	c->assert_idx = ai;
	c->kind = JUDGE_CHAT;
	c->messages = msgs;
	c->provider = score_judge_provider(tc, &tc->asserts[ai]);
	c->tag = tag;
}

int score_compare_plan(const struct test_case *tc, size_t ai,
		       const char *const *outputs, size_t n_out,
		       struct judge_call **calls, size_t *n, struct err *err)
{
	const struct assertion_spec *a = &tc->asserts[ai];
	enum judge_type t = score_judge_type(a->type, NULL);
	const json_t *vars = score_vars(tc->vars);
	const json_t *q = json_object_get(vars, "query");
	size_t cap = 0, avail, unread;
	char **o, *crit;
	int rc = 0;

	*calls = NULL;
	*n = 0;
	if (t != JT_SELECT_BEST && t != JT_COMPARE)
		return err_set(err, ST_INTERNAL, "'%s' is not a comparison",
			       a->type);
	o = prepared(a, vars, outputs, n_out, &avail, &unread, err);
	if (!o)
		return err->code ? (int)err->code : ST_INTERNAL;
	if (avail < 2 && unread) {
		/* nothing left to compare: score_compare_grade fails the
		 * unreadable outputs without a judge */
		free_prepared(o, n_out);
		return 0;
	}
	if (avail < 2) {
		free_prepared(o, n_out);
		return err_set(err, ST_INTERNAL, "'%s' needs the outputs of at "
			       "least two providers, got %zu", a->type, avail);
	}
	crit = criteria_of(a, vars);
	if (t == JT_SELECT_BEST) {
		struct buf u = {0};
		json_t *tv = json_deep_copy(vars), *list = json_array();
		char *m;
		score_judge_section(&u, "Criteria", crit);
		for (size_t i = 0; i < n_out; i++) {
			if (!o[i])
				continue;
			buf_printf(&u, "<Output index=\"%zu\">\n%s\n</Output>\n\n",
				   i, o[i]);
			json_array_append_new(list, json_string_nocheck(o[i]));
		}
		json_object_set_new(tv, "criteria", json_string_nocheck(crit));
		json_object_set_new(tv, "outputs", list);
		m = score_judge_messages(a, score_jp_select_best, buf_str(&u),
					 tv, err);
		buf_free(&u);
		json_decref(tv);
		if (m)
			add(calls, n, &cap, tc, ai,
			    JTAG(JT_SELECT_BEST, n_out), m);
		else
			rc = err->code ? (int)err->code : ST_INTERNAL;
	} else {
		size_t p = 0;
		for (size_t i = 0; i < n_out && !rc; i++) {
			for (size_t j = i + 1; j < n_out && !rc; j++, p++) {
				if (!o[i] || !o[j])
					continue;
				for (int ord = 0; ord < 2 && !rc; ord++) {
					const char *A = ord ? o[j] : o[i];
					const char *B = ord ? o[i] : o[j];
					struct buf u = {0};
					json_t *tv = json_deep_copy(vars);
					char *m;
					if (json_is_string(q))
						score_judge_section(&u, "Input",
							json_string_value(q));
					score_judge_section(&u, "Criteria",
							    crit);
					score_judge_section(&u, "Output A", A);
					score_judge_section(&u, "Output B", B);
					json_object_set_new(tv, "criteria",
						json_string_nocheck(crit));
					json_object_set_new(tv, "output_a",
						json_string_nocheck(A));
					json_object_set_new(tv, "output_b",
						json_string_nocheck(B));
					m = score_judge_messages(a,
						score_jp_compare, buf_str(&u),
						tv, err);
					buf_free(&u);
					json_decref(tv);
					if (!m) {
						rc = err->code ? (int)err->code
							       : ST_INTERNAL;
						break;
					}
					add(calls, n, &cap, tc, ai, JTAG(
					    JT_COMPARE, p * 2 + (size_t)ord), m);
				}
			}
		}
	}
	free(crit);
	free_prepared(o, n_out);
	if (rc) {
		score_judge_calls_free(*calls, *n);
		*calls = NULL;
		*n = 0;
	}
	return rc;
}

/* The parsed reply to the call of assertion ai with `tag`; a grading
 * error when missing or unusable.  *hold owns the parsed object. */
static int verdict_for(const struct assertion_spec *a, size_t ai, int tag,
		       const struct judge_call *calls,
		       const struct judge_reply *replies, size_t n,
		       struct jverdict *v, json_t **hold, struct err *err)
{
	char why[160] = "a JSON object";
	*hold = NULL;
	for (size_t i = 0; i < n; i++) {
		if (calls[i].assert_idx != ai || calls[i].tag != tag)
			continue;
		if (replies[i].error)
			return err_set(err, ST_INTERNAL, "'%s': %s", a->type,
				       replies[i].error);
		*hold = score_judge_extract(replies[i].text);
		if (!*hold || score_judge_parse(tag, *hold, v, why,
						sizeof why)) {
			json_decref(*hold);
			*hold = NULL;
			return err_set(err, ST_INTERNAL, "'%s': the judge's "
				       "reply is not usable (it needs %s)",
				       a->type, why);
		}
		return 0;
	}
	return err_set(err, ST_INTERNAL, "'%s': a comparison has no judge "
		       "reply", a->type);
}

static void clear_out(struct assert_outcome *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(out[i].reason);
		out[i].reason = NULL;
	}
}

static int grade_select(const struct assertion_spec *a, size_t ai,
			const char *const *outputs, size_t n_out,
			const struct judge_call *calls,
			const struct judge_reply *replies, size_t n,
			struct assert_outcome *out, struct err *err)
{
	struct jverdict v;
	json_t *hold;
	if (verdict_for(a, ai, JTAG(JT_SELECT_BEST, n_out), calls, replies,
			n, &v, &hold, err))
		return ST_INTERNAL;
	if (!outputs[v.choice]) {
		json_decref(hold);
		return err_set(err, ST_INTERNAL, "'select-best': the judge "
			       "chose output %d, which has no output",
			       v.choice);
	}
	for (size_t i = 0; i < n_out; i++) {
		bool best = (int)i == v.choice;
		out[i].spec = a;
		out[i].pass = best;
		out[i].score = best ? 1 : 0;
		out[i].reason = !outputs[i] ? xstrdup("No output to compare") :
			v.reason && *v.reason ?
			xasprintf("%s (output %d chosen): %s", best ?
				  "Selected as the best" : "Not selected",
				  v.choice, v.reason) :
			xasprintf("%s (output %d chosen)", best ?
				  "Selected as the best" : "Not selected",
				  v.choice);
	}
	json_decref(hold);
	return 0;
}

static int grade_pairs(const struct assertion_spec *a, size_t ai,
		       const char *const *outputs, size_t n_out,
		       const struct judge_call *calls,
		       const struct judge_reply *replies, size_t n,
		       struct assert_outcome *out, double *consistency,
		       struct err *err)
{
	size_t *wins = xcalloc(n_out, sizeof *wins);
	size_t *ties = xcalloc(n_out, sizeof *ties);
	size_t *comps = xcalloc(n_out, sizeof *comps);
	size_t pairs = 0, agreed = 0, n_pairs = n_out * (n_out - 1) / 2;
	double best = -1;
	int rc = 0;

	for (size_t p = 0; p < n_pairs && !rc; p++) {
		size_t i, j;
		struct jverdict v0, v1;
		json_t *h0 = NULL, *h1 = NULL;
		long w0, w1;
		pair_of(p, n_out, &i, &j);
		if (!outputs[i] || !outputs[j])
			continue;
		if (verdict_for(a, ai, JTAG(JT_COMPARE, p * 2), calls, replies,
				n, &v0, &h0, err) ||
		    verdict_for(a, ai, JTAG(JT_COMPARE, p * 2 + 1), calls,
				replies, n, &v1, &h1, err)) {
			json_decref(h0);
			rc = ST_INTERNAL;
			break;
		}
		/* order 0 shows i as A, order 1 shows j as A */
		w0 = v0.choice == 0 ? (long)i : v0.choice == 1 ? (long)j : -1;
		w1 = v1.choice == 0 ? (long)j : v1.choice == 1 ? (long)i : -1;
		json_decref(h0);
		json_decref(h1);
		pairs++;
		comps[i]++;
		comps[j]++;
		if (w0 == w1)
			agreed++;
		if (w0 == w1 && w0 >= 0) {
			wins[w0]++;
		} else {
			ties[i]++;
			ties[j]++;
		}
	}
	if (!rc) {
		*consistency = pairs ? (double)agreed / (double)pairs : NAN;
		for (size_t i = 0; i < n_out; i++) {
			double s = comps[i] ? ((double)wins[i] +
					       0.5 * (double)ties[i]) /
					      (double)comps[i] : 0;
			if (outputs[i] && s > best)
				best = s;
		}
		for (size_t i = 0; i < n_out; i++) {
			double s = comps[i] ? ((double)wins[i] +
					       0.5 * (double)ties[i]) /
					      (double)comps[i] : 0;
			out[i].spec = a;
			out[i].score = s;
			if (!outputs[i]) {
				out[i].pass = false;
				out[i].reason = xstrdup("No output to compare");
				continue;
			}
			/* the outputs with the most wins (ties count half)
			 * pass; a threshold replaces that rule */
			out[i].pass = a->has_threshold ?
				      s >= a->threshold - 1e-12 :
				      s >= best - 1e-12;
			out[i].reason = xasprintf(
				"Won %zu, tied %zu, lost %zu of %zu pairwise "
				"comparisons (score %.2f%s); judge consistency "
				"%zu of %zu pairs", wins[i], ties[i],
				comps[i] - wins[i] - ties[i], comps[i], s,
				out[i].pass ? (a->has_threshold ?
				", at or above the threshold" : ", the best") :
				"", agreed, pairs);
		}
	}
	free(wins);
	free(ties);
	free(comps);
	return rc;
}

int score_compare_grade(const struct test_case *tc, size_t ai,
			const char *const *outputs, size_t n_out,
			const struct judge_call *calls,
			const struct judge_reply *replies, size_t n,
			struct assert_outcome *out, double *consistency,
			struct err *err)
{
	const struct assertion_spec *a = &tc->asserts[ai];
	enum judge_type t = score_judge_type(a->type, NULL);
	const json_t *vars = score_vars(tc->vars);
	const char **in = xcalloc(n_out ? n_out : 1, sizeof *in);
	char **why = xcalloc(n_out ? n_out : 1, sizeof *why);
	size_t readable = 0, unread = 0;
	int rc;

	memset(out, 0, n_out * sizeof *out);
	*consistency = NAN;
	/* outputs the transform cannot read take no part and fail */
	for (size_t i = 0; i < n_out; i++) {
		if (outputs[i] && (why[i] = unreadable(a, vars, outputs[i])))
			unread++;
		else
			in[i] = outputs[i];
		readable += in[i] != NULL;
	}
	if (t != JT_SELECT_BEST && t != JT_COMPARE) {
		rc = err_set(err, ST_INTERNAL, "'%s' is not a comparison",
			     a->type);
	} else if (unread && readable < 2) {
		/* no comparison was made: the one readable output (if any)
		 * is the only candidate left */
		for (size_t i = 0; i < n_out; i++) {
			out[i].spec = a;
			out[i].pass = in[i] != NULL;
			out[i].score = in[i] ? 1 : 0;
			out[i].reason = xstrdup(in[i]
				? "The only output the transform could read"
				: "No output to compare");
		}
		rc = 0;
	} else if (t == JT_SELECT_BEST) {
		rc = grade_select(a, ai, in, n_out, calls, replies, n, out,
				  err);
	} else {
		rc = grade_pairs(a, ai, in, n_out, calls, replies, n, out,
				 consistency, err);
	}
	for (size_t i = 0; !rc && i < n_out; i++) {
		if (!why[i])
			continue;
		free(out[i].reason);
		out[i].spec = a;
		out[i].pass = false;
		out[i].score = 0;
		out[i].reason = xasprintf("The output could not be read by the "
					  "transform: %s", why[i]);
	}
	if (rc)
		clear_out(out, n_out);
	for (size_t i = 0; i < n_out; i++)
		free(why[i]);
	free(why);
	free(in);
	return rc;
}
