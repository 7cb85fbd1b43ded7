/* score.c — the assertion registry, load-time checks, the templating of
 * assertion values and promptfoo's rule for combining assertion results
 * into a test's score and pass (see score.h).
 *
 * The registry is the union of the family tables listed in `families`;
 * each family file (score_text.c, score_json.c, score_regex.c) owns the
 * semantics of its types.  Everything generic — the `not-` prefix, value
 * kinds, template rendering, weights, thresholds and named metrics — lives
 * here so that a new type is only a table entry. */
#include "score_int.h"
#include "judge.h"
#include "code_worker.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../suite/template.h"
#include "../util/buf.h"
#include "../util/xalloc.h"

static const struct score_type *const families[] = {
	score_text_types,
	score_regex_types,
	score_json_types,
	score_measure_types,
	score_meta_types,
	score_format_types,
	score_jq_types,
	score_script_types,
	score_lua_types,
	/* Model-graded types: registered here for load-time checks; the
	 * engine asks their judges (judge.h) and grades them with
	 * score_grade_judged. */
	score_judge_types,
	score_code_types,
};

#define N_FAMILIES (sizeof families / sizeof families[0])

/* ---- registry ---------------------------------------------------------- */

/* Finds the entry for `type`, stripping one `not-` prefix. */
static const struct score_type *lookup(const char *type, bool *inverse)
{
	bool inv = false;
	if (!type)
		return NULL;
	if (strncmp(type, "not-", 4) == 0) {
		inv = true;
		type += 4;
	}
	for (size_t f = 0; f < N_FAMILIES; f++) {
		for (const struct score_type *t = families[f]; t->name; t++) {
			if (t->name[0] == type[0] && strcmp(t->name, type) == 0) {
				if (inverse)
					*inverse = inv;
				return t;
			}
		}
	}
	return NULL;
}

bool score_type_known(const char *type)
{
	return lookup(type, NULL) != NULL;
}

bool score_type_judged(const char *t)
{
	static const char *const judged[] = {
		"llm-rubric", "model-graded-closedqa", "factuality", "g-eval",
		"similar", "answer-relevance", "context-faithfulness",
		"context-recall", "context-relevance", "select-best", "compare",
	};
	if (!t)
		return false;
	if (!strncmp(t, "not-", 4))
		t += 4;
	for (size_t i = 0; i < sizeof judged / sizeof *judged; i++)
		if (!strcmp(t, judged[i]))
			return true;
	return false;
}

/* Levenshtein distance of two short strings, capped work (for "did you
 * mean"); strings longer than 63 bytes are simply "far". */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[64];
	if (la > 63 || lb > 63)
		return (size_t)-1;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

static int unknown_type(const struct assertion_spec *a, struct err *err)
{
	struct buf b = {0};
	const char *base = a->type, *best = NULL;
	size_t best_d = (size_t)-1;
	bool first = true;
	if (strncmp(base, "not-", 4) == 0)
		base += 4;
	for (size_t f = 0; f < N_FAMILIES; f++) {
		for (const struct score_type *t = families[f]; t->name; t++) {
			size_t d = edit_distance(base, t->name);
			buf_printf(&b, "%s%s", first ? "" : ", ", t->name);
			first = false;
			if (d < best_d) {
				best_d = d;
				best = t->name;
			}
		}
	}
	if (best && best_d <= 2)
		score_err(a, err, "unknown assertion type '%s' (did you mean "
			  "'%s%s'?); expected one of: %s (each may take the "
			  "prefix not-)", a->type, base == a->type ? "" : "not-",
			  best, buf_str(&b));
	else
		score_err(a, err, "unknown assertion type '%s'; expected one "
			  "of: %s (each may take the prefix not-)", a->type,
			  buf_str(&b));
	buf_free(&b);
	return ST_INPUT;
}

/* ---- shared helpers ---------------------------------------------------- */

int score_err(const struct assertion_spec *a, struct err *err,
	      const char *fmt, ...)
{
	char msg[sizeof err->msg];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return err_at(err, a->loc.file, a->loc.line, a->loc.col, "%s", msg);
}

void score_binary(struct assert_outcome *out, bool matched, bool inverse,
		  char *fail_reason)
{
	out->pass = matched != inverse;
	out->score = out->pass ? 1.0 : 0.0;
	if (out->pass) {
		free(fail_reason);
		out->reason = xstrdup("Assertion passed");
	} else {
		out->reason = fail_reason ? fail_reason
					  : xstrdup("Assertion failed");
	}
}

char *score_fmt_num(double v, char *buf, size_t n)
{
	char tmp[40], digits[24];
	int prec, exp10, nd = 0;
	if (isnan(v)) {
		snprintf(buf, n, "NaN");
		return buf;
	}
	if (isinf(v)) {
		snprintf(buf, n, "%s", v < 0 ? "-Infinity" : "Infinity");
		return buf;
	}
	if (v == 0) {
		snprintf(buf, n, "0");
		return buf;
	}
	/* Shortest decimal that reads back as the same double. */
	for (prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof tmp, "%.*e", prec - 1, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	{
		const char *p = tmp;
		char *e;
		if (*p == '-')
			p++;
		for (; *p && *p != 'e'; p++)
			if (*p >= '0' && *p <= '9')
				digits[nd++] = *p;
		digits[nd] = '\0';
		exp10 = (int)strtol(p + 1, &e, 10);
	}
	while (nd > 1 && digits[nd - 1] == '0')
		digits[--nd] = '\0';
	/* JavaScript's Number::toString layout. */
	{
		struct buf b = {0};
		int k = nd, dn = exp10 + 1;
		if (v < 0)
			buf_putc(&b, '-');
		if (k <= dn && dn <= 21) {
			buf_puts(&b, digits);
			for (int i = 0; i < dn - k; i++)
				buf_putc(&b, '0');
		} else if (0 < dn && dn <= 21) {
			buf_append(&b, digits, (size_t)dn);
			buf_putc(&b, '.');
			buf_puts(&b, digits + dn);
		} else if (-6 < dn && dn <= 0) {
			buf_puts(&b, "0.");
			for (int i = 0; i < -dn; i++)
				buf_putc(&b, '0');
			buf_puts(&b, digits);
		} else {
			buf_putc(&b, digits[0]);
			if (k > 1) {
				buf_putc(&b, '.');
				buf_puts(&b, digits + 1);
			}
			buf_printf(&b, "e%c%d", dn - 1 >= 0 ? '+' : '-',
				   abs(dn - 1));
		}
		snprintf(buf, n, "%s", buf_str(&b));
		buf_free(&b);
	}
	return buf;
}

const char *score_scalar_str(const json_t *v, char *tmp, size_t n)
{
	switch (json_typeof(v)) {
	case JSON_STRING: return json_string_value(v);
	case JSON_INTEGER:
	case JSON_REAL: return score_fmt_num(json_number_value(v), tmp, n);
	case JSON_TRUE: return "true";
	case JSON_FALSE: return "false";
	case JSON_NULL: return "null";
	default: return "";
	}
}

void score_put_clipped(struct buf *b, const char *s, size_t len, size_t max)
{
	if (len <= max) {
		buf_append(b, s, len);
		return;
	}
	while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	buf_append(b, s, max);
	buf_puts(b, "\xE2\x80\xA6");   /* … */
}

static const char *kind_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING: return "a string";
	case JSON_INTEGER:
	case JSON_REAL: return "a number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	case JSON_ARRAY: return "a list";
	case JSON_OBJECT: return "an object";
	default: return "null";
	}
}

static unsigned kind_bit(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING: return SV_STRING;
	case JSON_INTEGER:
	case JSON_REAL: return SV_NUMBER;
	case JSON_TRUE:
	case JSON_FALSE: return SV_BOOL;
	case JSON_ARRAY: return SV_LIST;
	case JSON_OBJECT: return SV_OBJECT;
	default: return 0;
	}
}

/* An empty vars object for callers that pass none; created once. */
static json_t *empty_obj;
static pthread_once_t empty_once = PTHREAD_ONCE_INIT;

static void make_empty(void)
{
	empty_obj = json_object();
}

static const json_t *vars_or_empty(const json_t *vars)
{
	if (vars)
		return vars;
	pthread_once(&empty_once, make_empty);
	return empty_obj;
}

const json_t *score_vars(const json_t *vars)
{
	return vars_or_empty(vars);
}

/* ---- templating of values ---------------------------------------------- */

static json_t *render_string(const struct assertion_spec *a, const json_t *s,
			     const json_t *vars, struct err *err)
{
	char *r = tmpl_render(json_string_value(s), vars, 0, &a->loc, err);
	json_t *v;
	if (!r)
		return NULL;
	v = json_stringn_nocheck(r, strlen(r));
	free(r);
	return v;
}

/* Renders the string value, or the strings inside a list value, with
 * `vars` (objects are compared as written, like promptfoo).  Returns `v`
 * itself with *owned = false when there is nothing to render, a new value
 * with *owned = true otherwise, or NULL with err set. */
static json_t *render_value(const struct assertion_spec *a, json_t *v,
			    const json_t *vars, bool *owned, struct err *err)
{
	*owned = false;
	if (!v)
		return NULL;
	if (json_is_string(v)) {
		if (!tmpl_has_tags(json_string_value(v)))
			return v;
		*owned = true;
		return render_string(a, v, vars, err);
	}
	if (json_is_array(v)) {
		size_t i, n = json_array_size(v);
		json_t *out;
		for (i = 0; i < n; i++) {
			json_t *it = json_array_get(v, i);
			if (json_is_string(it) &&
			    tmpl_has_tags(json_string_value(it)))
				break;
		}
		if (i == n)
			return v;
		out = json_array();
		for (i = 0; i < n; i++) {
			json_t *it = json_array_get(v, i), *r = it;
			if (json_is_string(it) &&
			    tmpl_has_tags(json_string_value(it))) {
				r = render_string(a, it, vars, err);
				if (!r) {
					json_decref(out);
					return NULL;
				}
				json_array_append_new(out, r);
			} else {
				json_array_append(out, r);
			}
		}
		*owned = true;
		return out;
	}
	return v;
}

json_t *score_render_value(const struct assertion_spec *a, const json_t *vars,
			   bool *owned, struct err *err)
{
	json_t *v = a->value;
	*owned = false;
	if (!v || json_is_null(v))
		return NULL;
	return render_value(a, v, vars_or_empty(vars), owned, err);
}

/* The metric name rendered with vars: owned, or NULL with err set. */
static char *render_metric(const struct assertion_spec *a, const json_t *vars,
			   struct err *err)
{
	if (!tmpl_has_tags(a->metric))
		return xstrdup(a->metric);
	return tmpl_render(a->metric, vars, 0, &a->loc, err);
}

/* ---- load-time checks -------------------------------------------------- */

int score_check(const struct assertion_spec *a, const json_t *vars,
		struct err *err)
{
	const struct score_type *t;
	bool inverse, owned;
	const json_t *v = a->value;
	json_t *rv;
	int rc = 0;

	vars = vars_or_empty(vars);
	if (!a->type || !a->type[0])
		return score_err(a, err, "assertion has no type; write "
				 "`type: contains` or another known type");
	t = lookup(a->type, &inverse);
	if (!t)
		return unknown_type(a, err);
	if (!isfinite(a->weight) || a->weight < 0)
		return score_err(a, err, "'%s': weight must be a number >= 0, "
				 "got %g", a->type, a->weight);
	if (a->has_threshold && !isfinite(a->threshold))
		return score_err(a, err, "'%s': threshold must be a finite "
				 "number", a->type);
	if (a->transform && score_transform_check(a->transform, err)) {
		char msg[sizeof err->msg];
		snprintf(msg, sizeof msg, "%s", err->msg);
		return score_err(a, err, "'%s': %s", a->type, msg);
	}
	if (a->metric && !a->metric[0])
		return score_err(a, err, "'%s': metric must be a non-empty "
				 "name", a->type);
	if (v && json_is_null(v))
		v = NULL;
	if (!v) {
		if (!(t->values & (SV_OPTIONAL | SV_NONE)))
			return score_err(a, err, "'%s' needs a value: %s",
					 a->type, t->value_desc);
	} else if (t->values & SV_NONE) {
		return score_err(a, err, "'%s' takes no value", a->type);
	} else if (!(t->values & kind_bit(v))) {
		return score_err(a, err, "'%s' value must be %s, got %s",
				 a->type, t->value_desc, kind_name(v));
	}
	if (a->metric) {
		char *m = render_metric(a, vars, err);
		if (!m)
			return ST_INPUT;
		free(m);
	}
	rv = render_value(a, (json_t *)v, vars, &owned, err);
	if (v && !rv)
		return err && err->code ? (int)err->code : ST_INPUT;
	if (t->check)
		rc = t->check(a, rv, vars, err);
	if (owned)
		json_decref(rv);
	return rc;
}

/* ---- evaluation -------------------------------------------------------- */

int score_assert_eval(const struct assertion_spec *a, const json_t *vars,
		      const char *output, const struct response *resp,
		      struct assert_outcome *out, struct err *err)
{
	const struct score_type *t;
	struct score_in in;
	struct err rerr = {0};
	bool inverse = false, owned = false;
	json_t *v = a->value, *rv = NULL;
	char *transformed = NULL;
	int rc;

	memset(out, 0, sizeof *out);
	out->spec = a;
	vars = vars_or_empty(vars);
	t = lookup(a->type, &inverse);
	if (!t) {
		out->reason = xasprintf("Unknown assertion type '%s'",
					a->type ? a->type : "");
		return 0;
	}
	if (v && json_is_null(v))
		v = NULL;
	/* score_check normally rejects these; grading stays safe without
	 * it (a failing outcome, never a crash). */
	if (!v ? !(t->values & (SV_OPTIONAL | SV_NONE))
	       : !(t->values & kind_bit(v))) {
		out->reason = xasprintf("'%s' needs a value: %s", a->type,
					t->value_desc);
		return 0;
	}
	if (v) {
		rv = render_value(a, v, vars, &owned, &rerr);
		if (!rv) {
			out->reason = xasprintf("Could not render the value "
						"of '%s': %s", a->type,
						rerr.msg);
			return 0;
		}
	}
	in.spec = a;
	in.value = rv;
	in.output = output ? output : "";
	in.output_len = strlen(in.output);
	in.resp = resp;
	in.vars = vars;
	in.inverse = inverse;
	if (a->transform) {
		/* The model answered and the transform cannot read the
		 * answer (not JSON, no such field): the answer fails, it is
		 * not a grading error — else a chatty model's unreadable
		 * outputs would leave its pass-rate denominator (issue 8). */
		struct err terr = {0};
		if (score_transform(a->transform, in.output, in.output_len,
				    vars, &transformed, &terr)) {
			if (owned)
				json_decref(rv);
			if (a->unparsable_error) /* the suite opted out */
				return err_set(err, ST_INTERNAL, "'%s': the output "
					       "could not be read by the transform "
					       "(unparsable_output: error): %s",
					       a->type, terr.msg);
			out->pass = false;
			out->score = 0;
			out->reason = xasprintf("The output could not be read "
						"by the transform: %s", terr.msg);
			return 0;
		}
		in.output = transformed;
		in.output_len = strlen(transformed);
	}
	rc = t->eval(&in, out, err);
	free(transformed);
	if (owned)
		json_decref(rv);
	if (rc) {
		free(out->reason);
		out->reason = NULL;
		return rc;
	}
	if (!out->reason)
		out->reason = xstrdup(out->pass ? "Assertion passed"
						: "Assertion failed");
	return 0;
}

/* JavaScript's Number.prototype.toFixed(2) for scores in [0,1]. */
static void fmt_fixed2(double v, char *buf, size_t n)
{
	snprintf(buf, n, "%.2f", floor(v * 100.0 + 0.5) / 100.0);
}

static void add_metric(json_t *named, const char *name, double score)
{
	json_t *cur = json_object_get(named, name);
	if (cur)
		json_real_set(cur, json_number_value(cur) + score);
	else
		json_object_set_new(named, name, json_real(score));
}

int score_combine(const struct test_case *tc,
		  int (*eval)(void *ctx, size_t i, struct assert_outcome *o,
			      bool *skip, struct err *err),
		  void *ctx, struct grade *out, struct err *err)
{
	const json_t *vars = vars_or_empty(tc->vars);
	double total = 0, total_w = 0;
	const char *fail = NULL;
	size_t counted = 0;
	int rc, grade_rc = 0;
	struct err gerr1 = {0};

	memset(out, 0, sizeof *out);
	out->named_scores = json_object();
	if (tc->n_asserts == 0) {
		out->pass = true;
		out->score = 1.0;
		out->reason = xstrdup("No assertions");
		return 0;
	}
	out->items = xcalloc(tc->n_asserts, sizeof *out->items);
	out->n_items = tc->n_asserts;
	for (size_t i = 0; i < tc->n_asserts; i++) {
		const struct assertion_spec *a = &tc->asserts[i];
		struct assert_outcome *o = &out->items[i];
		bool skip = false;
		struct err e1 = {0};
		rc = eval(ctx, i, o, &skip, &e1);
		if (rc) {
			/* keep grading the others: a definite failure of
			 * another assertion still fails the test (below) */
			if (!grade_rc) {
				grade_rc = rc;
				gerr1 = e1;
			}
			free(o->reason);
			o->spec = a;
			o->pass = false;
			o->score = 0;
			o->reason = xasprintf("Not graded (grading error): %s",
					      e1.msg);
			continue;
		}
		o->spec = a;
		if (skip)
			continue;
		counted++;
		/* A weight-0 assertion only feeds its metric: it cannot
		 * fail the test (promptfoo forces its pass). */
		if (a->weight == 0)
			o->pass = true;
		total += o->score * a->weight;
		total_w += a->weight;
		if (a->metric) {
			struct err merr = {0};
			char *m = render_metric(a, vars, &merr);
			add_metric(out->named_scores, m ? m : a->metric,
				   o->score);
			free(m);
		}
		if (!o->pass && !fail)
			fail = o->reason;
	}
	if (grade_rc) {
		/* Some assertion could not be graded.  A definite failure of
		 * a weighted assertion still makes the test fail (without a
		 * threshold: with one the score needs every assertion);
		 * otherwise the whole result is a grading error. */
		if (fail && !(tc->has_threshold && !isnan(tc->threshold))) {
			out->score = total_w > 0 ? total / total_w : 0.0;
			out->pass = false;
			out->reason = xasprintf("%s (another assertion could not "
						"be graded: %s)", fail,
						gerr1.msg);
			return 0;
		}
		if (err)
			*err = gerr1;
		grade_cleanup(out);
		return grade_rc;
	}
	if (counted == 0) {
		/* only comparisons: they are graded after the main pass */
		out->pass = true;
		out->score = 1.0;
		out->reason = xstrdup("No assertions graded in the main pass "
				      "(comparisons are graded after it)");
		return 0;
	}
	out->score = total_w > 0 ? total / total_w : 0.0;
	out->pass = fail == NULL;
	if (tc->has_threshold && !isnan(tc->threshold)) {
		char sc[32], th[32];
		out->pass = out->score >= tc->threshold;
		fmt_fixed2(out->score, sc, sizeof sc);
		score_fmt_num(tc->threshold, th, sizeof th);
		out->reason = xasprintf("Aggregate score %s %s %s threshold", sc,
					out->pass ? "\xE2\x89\xA5" : "<", th);
	} else {
		out->reason = xstrdup(fail ? fail : "All assertions passed");
	}
	return 0;
}

struct plain_ctx {
	const struct test_case *tc;
	const struct response *resp;
	const char *output;
};

/* Deterministic grading of one assertion; comparisons are skipped. */
static int plain_eval(void *ctx, size_t i, struct assert_outcome *o,
		      bool *skip, struct err *err)
{
	struct plain_ctx *c = ctx;
	const struct assertion_spec *a = &c->tc->asserts[i];
	if (score_is_comparison(a)) {
		o->spec = a;
		o->pass = true;
		o->score = 0;
		o->reason = xasprintf("'%s' is graded after the main pass",
				      a->type);
		*skip = true;
		return 0;
	}
	return score_assert_eval(a, c->tc->vars, c->output, c->resp, o, err);
}

int score_grade(const struct test_case *tc, const struct response *resp,
		struct grade *out, struct err *err)
{
	struct plain_ctx c = { tc, resp,
			       resp && resp->output ? resp->output : "" };
	return score_combine(tc, plain_eval, &c, out, err);
}

void grade_cleanup(struct grade *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->n_items; i++)
		free(g->items[i].reason);
	free(g->items);
	free(g->reason);
	json_decref(g->named_scores);
	memset(g, 0, sizeof *g);
}

void score_shutdown(void)
{
	score_re_shutdown();
	score_schema_shutdown();
	score_jq_shutdown();
	score_lua_shutdown();
	code_worker_shutdown();
}

static int copy_outcome(void *ctx, size_t i, struct assert_outcome *o,
			bool *skip, struct err *err)
{
	const struct assert_outcome *given = ctx;
	(void)err;
	*skip = false;
	o->pass = given[i].pass;
	o->score = given[i].score;
	o->reason = xstrdup(given[i].reason ? given[i].reason : "");
	return 0;
}

int score_combine_outcomes(const struct test_case *tc,
			   const struct assert_outcome *outcomes,
			   struct grade *out, struct err *err)
{
	return score_combine(tc, copy_outcome, (void *)outcomes, out, err);
}

int score_unreadable(const struct test_case *tc, const char *why,
		     struct grade *out, struct err *err)
{
	struct assert_outcome *o;
	int rc;
	if (tc->unparsable_error) {
		memset(out, 0, sizeof *out);
		return err_set(err, ST_INTERNAL, "the output could not be read "
			       "by the test's transform (unparsable_output: "
			       "error): %s", why ? why : "");
	}
	o = xcalloc(tc->n_asserts ? tc->n_asserts : 1, sizeof *o);
	for (size_t i = 0; i < tc->n_asserts; i++) {
		o[i].spec = &tc->asserts[i];
		o[i].reason = xasprintf("The output could not be read by the "
					"test's transform: %s", why ? why : "");
	}
	rc = score_combine_outcomes(tc, o, out, err);
	for (size_t i = 0; i < tc->n_asserts; i++)
		free(o[i].reason);
	free(o);
	return rc;
}
