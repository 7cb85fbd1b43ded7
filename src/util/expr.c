/* expr.c — a recursive-descent evaluator for the arithmetic subset of
 * mathjs (expr.h).  One pass both checks and evaluates: with no vars the
 * names evaluate to 0 and only the syntax is checked.  Depth is capped so
 * a hostile expression cannot exhaust the stack. */
#include "expr.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXPR_MAX_DEPTH 200

struct ex {
	const char *s, *p;
	const json_t *vars;
	bool check_only;
	int depth;
	char *why;
	size_t n;
	size_t at;
	bool failed;
};

static double fail(struct ex *e, const char *at, const char *fmt, ...)
{
	va_list ap;
	if (e->failed)
		return 0;
	e->failed = true;
	e->at = (size_t)(at - e->s);
	va_start(ap, fmt);
	vsnprintf(e->why, e->n, fmt, ap);
	va_end(ap);
	return 0;
}

static void skip(struct ex *e)
{
	while (isspace((unsigned char)*e->p))
		e->p++;
}

static double expr(struct ex *e);

/* What the character at p is, for messages. */
static const char *what(const char *p, char *buf, size_t n)
{
	if (!*p)
		return "the end";
	snprintf(buf, n, "'%c'", *p);
	return buf;
}

static double call(struct ex *e, const char *name, size_t len,
		   const char *at)
{
	static const struct { const char *name; int min, max; } fns[] = {
		{ "abs", 1, 1 }, { "sqrt", 1, 1 }, { "exp", 1, 1 },
		{ "log", 1, 2 }, { "log10", 1, 1 }, { "pow", 2, 2 },
		{ "min", 1, 64 }, { "max", 1, 64 }, { "round", 1, 1 },
		{ "floor", 1, 1 }, { "ceil", 1, 1 },
	};
	double a[64];
	int na = 0, f = -1;
	char b[8];

	for (size_t i = 0; i < sizeof fns / sizeof *fns; i++)
		if (strlen(fns[i].name) == len && !strncmp(fns[i].name, name, len))
			f = (int)i;
	if (f < 0)
		return fail(e, at, "function '%.*s' is not in assay's subset of "
			    "mathjs (abs, sqrt, exp, log, log10, pow, min, "
			    "max, round, floor, ceil)", (int)len, name);
	e->p++; /* ( */
	skip(e);
	if (*e->p != ')') {
		for (;;) {
			double v = expr(e);
			if (e->failed)
				return 0;
			if (na < 64)
				a[na++] = v;
			skip(e);
			if (*e->p == ',') {
				e->p++;
				continue;
			}
			break;
		}
	}
	if (*e->p != ')')
		return fail(e, e->p, "found %s, expected ',' or ')'",
			    what(e->p, b, sizeof b));
	e->p++;
	if (na < fns[f].min || na > fns[f].max)
		return fail(e, at, "%s takes %d to %d arguments, found %d",
			    fns[f].name, fns[f].min, fns[f].max, na);
	switch (f) {
	case 0: return fabs(a[0]);
	case 1: return sqrt(a[0]);
	case 2: return exp(a[0]);
	case 3: return na == 2 ? log(a[0]) / log(a[1]) : log(a[0]);
	case 4: return log10(a[0]);
	case 5: return pow(a[0], a[1]);
	case 6: case 7: {
		double r = a[0];
		for (int i = 1; i < na; i++)
			r = f == 6 ? (a[i] < r ? a[i] : r) : (a[i] > r ? a[i] : r);
		return r;
	}
	case 8: return round(a[0]);
	case 9: return floor(a[0]);
	default: return ceil(a[0]);
	}
}

static double primary(struct ex *e)
{
	const char *at;
	char b[8];
	skip(e);
	at = e->p;
	if (isdigit((unsigned char)*e->p) ||
	    (*e->p == '.' && isdigit((unsigned char)e->p[1]))) {
		char *end;
		double v = strtod(e->p, &end);
		e->p = end;
		if (isalpha((unsigned char)*e->p) || *e->p == '_')
			return fail(e, e->p, "implicit multiplication ('%.*s') "
				    "is not in assay's subset of mathjs; write "
				    "'*'", (int)(e->p - at + 1), at);
		return v;
	}
	if (isalpha((unsigned char)*e->p) || *e->p == '_') {
		size_t len = 0;
		const json_t *v;
		char name[256];
		while (isalnum((unsigned char)e->p[len]) || e->p[len] == '_')
			len++;
		e->p += len;
		skip(e);
		if (*e->p == '(')
			return call(e, at, len, at);
		if (e->check_only)
			return 0;
		snprintf(name, sizeof name, "%.*s", (int)len, at);
		v = json_object_get(e->vars, name);
		if (!json_is_number(v))
			return fail(e, at, "undefined symbol '%s' (no named "
				    "metric of that name)", name);
		return json_number_value(v);
	}
	if (*e->p == '(') {
		double v;
		e->p++;
		v = expr(e);
		skip(e);
		if (e->failed)
			return 0;
		if (*e->p != ')')
			return fail(e, e->p, "found %s, expected ')'",
				    what(e->p, b, sizeof b));
		e->p++;
		return v;
	}
	return fail(e, at, "found %s, expected a number, a metric name or "
		    "'(' (assay's subset of mathjs: + - * / %% ^, "
		    "parentheses, abs sqrt exp log log10 pow min max round "
		    "floor ceil)", what(at, b, sizeof b));
}

/* unary minus/plus binds below ^ (mathjs: -2^2 = -4) */
static double unary(struct ex *e);

static double power(struct ex *e)
{
	double base = primary(e);
	skip(e);
	if (!e->failed && *e->p == '^') {
		e->p++;
		return pow(base, unary(e));  /* right-associative */
	}
	return base;
}

static double unary(struct ex *e)
{
	double v;
	skip(e);
	if (++e->depth > EXPR_MAX_DEPTH)
		return fail(e, e->p, "nested deeper than %d levels",
			    EXPR_MAX_DEPTH);
	if (*e->p == '-') {
		e->p++;
		v = -unary(e);
	} else if (*e->p == '+') {
		e->p++;
		v = unary(e);
	} else {
		v = power(e);
	}
	e->depth--;
	return v;
}

static double term(struct ex *e)
{
	double v = unary(e);
	for (;;) {
		char op;
		double r;
		skip(e);
		op = *e->p;
		if (e->failed || (op != '*' && op != '/' && op != '%'))
			return v;
		e->p++;
		r = unary(e);
		if (op == '*')
			v *= r;
		else if (op == '/')
			v /= r;
		else   /* mathjs mod: x - y * floor(x / y) */
			v = r == 0 ? v : v - r * floor(v / r);
	}
}

static double expr(struct ex *e)
{
	double v;
	if (++e->depth > EXPR_MAX_DEPTH)
		return fail(e, e->p, "nested deeper than %d levels",
			    EXPR_MAX_DEPTH);
	v = term(e);
	for (;;) {
		char op;
		skip(e);
		op = *e->p;
		if (e->failed || (op != '+' && op != '-'))
			break;
		e->p++;
		if (op == '+')
			v += term(e);
		else
			v -= term(e);
	}
	e->depth--;
	return v;
}

static int run(const char *s, const json_t *vars, bool check_only,
	       double *out, char *why, size_t n, size_t *at)
{
	struct ex e = { .s = s, .p = s, .vars = vars,
			.check_only = check_only, .why = why, .n = n };
	char b[8];
	double v;
	skip(&e);
	if (!*e.p) {
		fail(&e, e.p, "found an empty expression, expected a formula "
		     "over named metrics");
	} else {
		v = expr(&e);
		skip(&e);
		if (!e.failed && *e.p)
			fail(&e, e.p, "found %s, expected an operator (+ - * / "
			     "%% ^) or the end; comparisons, conditions and "
			     "other mathjs syntax are not in assay's subset",
			     what(e.p, b, sizeof b));
		if (!e.failed && out)
			*out = v;
	}
	if (e.failed) {
		if (at)
			*at = e.at;
		return -1;
	}
	return 0;
}

int expr_check(const char *s, char *why, size_t n, size_t *at)
{
	return run(s, NULL, true, NULL, why, n, at);
}

int expr_eval(const char *s, const json_t *vars, double *out, char *why,
	      size_t n, size_t *at)
{
	return run(s, vars, false, out, why, n, at);
}
