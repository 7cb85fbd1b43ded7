/* template_expr.c — expressions inside `{{ }}` and `{% %}` tags: parsed
 * into a small tree, then evaluated with Nunjucks' rules.
 *
 * The grammar is the subset of Nunjucks' parser (nunjucks/src/parser.js)
 * that suites use, with its precedence: `or` < `and` < `not` < `in` /
 * `not in` < comparisons < a primary with its filters.  Filters bind to the
 * primary (`a == b | length` compares a with b's length), as in Nunjucks'
 * parseUnary.  Primaries: string literals ('…' or "…", with \n \t \r and
 * \x escapes as Nunjucks' lexer reads them), numbers, true / false /
 * none / null, names, `a.b`, `a[expr]`, `( … )` and `[ … ]` lists.
 * Everything else (arithmetic, `~`, `is` tests, inline if, calls, dicts)
 * is an error naming the token and the supported set.
 *
 * Evaluation follows the JavaScript Nunjucks compiles to: `and` / `or`
 * yield an operand (`&&`, `||`), `==` is JavaScript's loose equality,
 * member access on undefined or null is undefined (runtime.memberLookup),
 * `in` is lib.inOperator.  Under strict rendering an undefined var is an
 * error at its position — except where a template asks whether it is
 * there: an if / elif condition, the input of `default` and the left side
 * of `or`.
 */
#include "template_int.h"
#include "template.h"
#include "../util/xalloc.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SUBSET_OPS "the template subset has ==, !=, <, >, <=, >=, and, " \
		   "or, not, in, filters and var paths (docs/suites.md)"

struct pctx {
	struct rctx *c;
	struct tarena *a;
	const char *end;
	int depth;
};

static int parse_or(struct pctx *p, const char **pp, struct texpr **out);

const char *te_skip_ws(const char *p, const char *end)
{
	while (p < end && isspace((unsigned char)*p))
		p++;
	return p;
}

static int is_id0(int ch)
{
	return isalpha(ch) || ch == '_' || ch == '$';
}

static int is_id(int ch)
{
	return isalnum(ch) || ch == '_' || ch == '$';
}

/* True when the word `w` stands at p (followed by a non-name char). */
static int at_word(const char *p, const char *end, const char *w)
{
	size_t n = strlen(w);
	return (size_t)(end - p) >= n && memcmp(p, w, n) == 0 &&
	       (p + n == end || !is_id((unsigned char)p[n]));
}

int te_name(struct rctx *c, const char **pp, const char *end, char *name,
	    size_t cap, const char *what)
{
	const char *p = te_skip_ws(*pp, end), *s = p;
	if (p >= end || !is_id0((unsigned char)*p))
		return TERR(c, p, "expected %s", what);
	while (p < end && is_id((unsigned char)*p))
		p++;
	if ((size_t)(p - s) >= cap)
		return TERR(c, s, "name too long (at most %zu characters)",
			      cap - 1);
	memcpy(name, s, (size_t)(p - s));
	name[p - s] = '\0';
	*pp = p;
	return 0;
}

static struct texpr *node(struct pctx *p, enum te_kind k, const char *at)
{
	struct texpr *e = ta_alloc(p->a, sizeof *e);
	e->k = k;
	e->at = at;
	e->end = at;
	return e;
}

static int unsupported(struct pctx *p, const char *at)
{
	const char *e = at;
	if (at >= p->end)
		return TERR(p->c, at, "expected an expression, found the "
			      "end of the tag");
	if (is_id((unsigned char)*e))
		while (e < p->end && is_id((unsigned char)*e))
			e++;
	else
		while (e < p->end && !isspace((unsigned char)*e) &&
		       !is_id((unsigned char)*e) && e - at < 2)
			e++;
	return TERR(p->c, at, "unsupported template syntax '%.*s' (%s)",
		      (int)(e - at), at, SUBSET_OPS);
}

static int parse_string(struct pctx *p, const char **pp, struct texpr **out)
{
	const char *s = *pp, *q = s + 1;
	char quote = *s;
	struct buf b = {0};
	while (q < p->end && *q != quote) {
		if (*q == '\\' && q + 1 < p->end) {
			q++;
			/* nunjucks/src/lexer.js _parseString: \n \t \r, any
			 * other escaped character stands for itself */
			buf_putc(&b, *q == 'n' ? '\n' : *q == 't' ? '\t'
				 : *q == 'r' ? '\r' : *q);
			q++;
			continue;
		}
		buf_putc(&b, *q++);
	}
	if (q >= p->end) {
		buf_free(&b);
		return TERR(p->c, s, "unterminated string literal");
	}
	*out = node(p, TE_LIT, s);
	(*out)->lit = json_stringn_nocheck(buf_str(&b), b.len);
	ta_lit(p->a, (*out)->lit);
	buf_free(&b);
	*pp = q + 1;
	(*out)->end = *pp;
	return 0;
}

static int parse_number(struct pctx *p, const char **pp, struct texpr **out,
			int neg)
{
	const char *s = *pp, *q = s;
	char tmp[64];
	int real = 0;
	while (q < p->end && isdigit((unsigned char)*q))
		q++;
	if (q + 1 < p->end && *q == '.' && isdigit((unsigned char)q[1])) {
		real = 1;
		q++;
		while (q < p->end && isdigit((unsigned char)*q))
			q++;
	}
	if ((size_t)(q - s) >= sizeof tmp - 1)
		return TERR(p->c, s, "number literal too long");
	memcpy(tmp, s, (size_t)(q - s));
	tmp[q - s] = '\0';
	*out = node(p, TE_LIT, s);
	if (real || q - s > 15) {
		double d = strtod(tmp, NULL);
		(*out)->lit = json_real(neg ? -d : d);
	} else {
		long long v = strtoll(tmp, NULL, 10);
		(*out)->lit = json_integer(neg ? -v : v);
	}
	ta_lit(p->a, (*out)->lit);
	*pp = q;
	(*out)->end = q;
	return 0;
}

/* `( expr )`, `[ items ]` and the literals and names. */
static int parse_atom(struct pctx *p, const char **pp, struct texpr **out)
{
	const char *s = te_skip_ws(*pp, p->end);
	int rc;

	if (s >= p->end)
		return TERR(p->c, s, "expected an expression, found the end "
			      "of the tag");
	if (*s == '"' || *s == '\'') {
		*pp = s;
		return parse_string(p, pp, out);
	}
	if (isdigit((unsigned char)*s)) {
		*pp = s;
		return parse_number(p, pp, out, 0);
	}
	if (*s == '-' && s + 1 < p->end && isdigit((unsigned char)s[1])) {
		*pp = s + 1;
		rc = parse_number(p, pp, out, 1);
		if (!rc)
			(*out)->at = s;
		return rc;
	}
	if (*s == '(') {
		const char *q = s + 1;
		if ((rc = parse_or(p, &q, out)))
			return rc;
		q = te_skip_ws(q, p->end);
		if (q >= p->end || *q != ')')
			return TERR(p->c, q, "expected ')' to close the '(' "
				      "at %s", "the left");
		*pp = q + 1;
		return 0;
	}
	if (*s == '[') {
		struct texpr *l = node(p, TE_LIST, s);
		const char *q = te_skip_ws(s + 1, p->end);
		size_t cap = 0;
		while (q < p->end && *q != ']') {
			struct texpr *it;
			if ((rc = parse_or(p, &q, &it)))
				return rc;
			if (l->nargs == cap) {
				struct texpr **na;
				cap = cap ? cap * 2 : 4;
				na = ta_alloc(p->a, cap * sizeof *na);
				if (l->nargs)
					memcpy(na, l->args,
					       l->nargs * sizeof *na);
				l->args = na;
			}
			l->args[l->nargs++] = it;
			q = te_skip_ws(q, p->end);
			if (q < p->end && *q == ',')
				q = te_skip_ws(q + 1, p->end);
			else if (q < p->end && *q != ']')
				return TERR(p->c, q, "expected ',' or ']' in "
					      "a list");
		}
		if (q >= p->end)
			return TERR(p->c, s, "unterminated list: '[' without "
				      "']'");
		*pp = q + 1;
		l->end = *pp;
		*out = l;
		return 0;
	}
	if (is_id0((unsigned char)*s)) {
		const char *q = s;
		struct texpr *e;
		while (q < p->end && is_id((unsigned char)*q))
			q++;
		if (at_word(s, p->end, "true") || at_word(s, p->end, "false") ||
		    at_word(s, p->end, "none") || at_word(s, p->end, "null")) {
			e = node(p, TE_LIT, s);
			e->lit = *s == 't' ? json_true() : *s == 'f'
				 ? json_false() : json_null();
			ta_lit(p->a, e->lit);
		} else if (at_word(s, p->end, "and") ||
			   at_word(s, p->end, "or") ||
			   at_word(s, p->end, "in") ||
			   at_word(s, p->end, "is") ||
			   at_word(s, p->end, "if") ||
			   at_word(s, p->end, "else")) {
			return TERR(p->c, s, "expected an expression, found "
				      "'%.*s'", (int)(q - s), s);
		} else {
			e = node(p, TE_VAR, s);
			e->name = ta_strndup(p->a, s, (size_t)(q - s));
		}
		e->end = q;
		*out = e;
		*pp = q;
		return 0;
	}
	return unsupported(p, s);
}

static int parse_filters(struct pctx *p, const char **pp, struct texpr **io);

/* A primary with its postfix lookups (`.name`, `[expr]`) and filters. */
static int parse_primary(struct pctx *p, const char **pp, struct texpr **out)
{
	const char *q;
	struct texpr *e;
	int rc;

	if (++p->depth > TMPL_MAX_EXPR_DEPTH)
		return TERR(p->c, *pp, "expression nested too deeply");
	e = NULL;
	if ((rc = parse_atom(p, pp, &e)))
		return rc;
	if (!e)    /* parse_atom sets it whenever it succeeds */
		return TERR(p->c, *pp, "expected an expression");
	for (q = *pp;;) {
		if (q < p->end && *q == '.') {
			const char *n = q + 1, *ne = n;
			struct texpr *g;
			while (ne < p->end && is_id((unsigned char)*ne))
				ne++;
			if (ne == n || !is_id0((unsigned char)*n))
				return TERR(p->c, n, "expected a field name "
					      "after '.'");
			g = node(p, TE_GET, e->at);
			g->a = e;
			g->name = ta_strndup(p->a, n, (size_t)(ne - n));
			g->end = ne;
			e = g;
			q = ne;
		} else if (q < p->end && *q == '[') {
			struct texpr *g = node(p, TE_GET, e->at), *k;
			const char *kq = te_skip_ws(q + 1, p->end);
			if (kq >= p->end || *kq == ']')
				return TERR(p->c, kq, "expected a number or "
					      "a quoted key inside '[ ]'");
			if ((rc = parse_or(p, &kq, &k)))
				return rc;
			kq = te_skip_ws(kq, p->end);
			if (kq >= p->end || *kq != ']')
				return TERR(p->c, kq, "expected ']'");
			g->a = e;
			g->b = k;
			g->end = kq + 1;
			e = g;
			q = kq + 1;
		} else if (q < p->end && *q == '(') {
			return TERR(p->c, q, "unsupported template syntax: "
				      "function calls ('%.*s(…)') are not "
				      "supported (%s)", (int)(q - e->at),
				      e->at, SUBSET_OPS);
		} else {
			break;
		}
	}
	*pp = q;
	if ((rc = parse_filters(p, pp, &e)))
		return rc;
	p->depth--;
	*out = e;
	return 0;
}

static int parse_filters(struct pctx *p, const char **pp, struct texpr **io)
{
	const char *q = te_skip_ws(*pp, p->end);
	int rc;

	while (q < p->end && *q == '|') {
		struct texpr *f = node(p, TE_FILTER, (*io)->at);
		const char *n = te_skip_ws(q + 1, p->end), *ne = n;
		while (ne < p->end && is_id((unsigned char)*ne))
			ne++;
		if (ne == n)
			return TERR(p->c, n, "expected a filter name after "
				      "'|'");
		f->name = ta_strndup(p->a, n, (size_t)(ne - n));
		if (!tf_known(f->name))
			return TERR(p->c, n, "unsupported filter '%s' "
				      "(supported: %s)", f->name, TF_NAMES);
		f->a = *io;
		f->end = ne;      /* the name ends here (its errors point at it) */
		q = te_skip_ws(ne, p->end);
		if (q < p->end && *q == '(') {
			size_t cap = 0;
			q = te_skip_ws(q + 1, p->end);
			while (q < p->end && *q != ')') {
				struct texpr *arg;
				if ((rc = parse_or(p, &q, &arg)))
					return rc;
				if (f->nargs == cap) {
					struct texpr **na;
					cap = cap ? cap * 2 : 4;
					na = ta_alloc(p->a, cap * sizeof *na);
					if (f->nargs)
						memcpy(na, f->args, f->nargs *
						       sizeof *na);
					f->args = na;
				}
				f->args[f->nargs++] = arg;
				q = te_skip_ws(q, p->end);
				if (q < p->end && *q == ',')
					q = te_skip_ws(q + 1, p->end);
				else if (q < p->end && *q != ')')
					return TERR(p->c, q, "expected ',' "
						      "or ')' after a filter "
						      "argument");
			}
			if (q >= p->end)
				return TERR(p->c, ne, "unterminated "
					      "arguments of filter '%s'",
					      f->name);
			q = te_skip_ws(q + 1, p->end);
		}
		*io = f;
	}
	*pp = q;
	return 0;
}

static int parse_cmp(struct pctx *p, const char **pp, struct texpr **out)
{
	struct texpr *l;
	int rc;

	if ((rc = parse_primary(p, pp, &l)))
		return rc;
	for (;;) {
		const char *q = te_skip_ws(*pp, p->end);
		enum te_op op;
		size_t n = 2;
		struct texpr *e, *r;

		if (q + 1 < p->end && q[0] == '=' && q[1] == '=')
			op = OP_EQ;
		else if (q + 1 < p->end && q[0] == '!' && q[1] == '=')
			op = OP_NE;
		else if (q + 1 < p->end && q[0] == '<' && q[1] == '=')
			op = OP_LE;
		else if (q + 1 < p->end && q[0] == '>' && q[1] == '=')
			op = OP_GE;
		else if (q < p->end && *q == '<')
			op = OP_LT, n = 1;
		else if (q < p->end && *q == '>')
			op = OP_GT, n = 1;
		else
			break;
		if (q + n < p->end && q[n] == '=')
			return TERR(p->c, q, "unsupported operator '%.*s' "
				      "(%s)", (int)n + 1, q, SUBSET_OPS);
		*pp = q + n;
		if ((rc = parse_primary(p, pp, &r)))
			return rc;
		e = node(p, TE_CMP, l->at);
		e->op = op;
		e->a = l;
		e->b = r;
		e->end = r->end;
		l = e;
	}
	*out = l;
	return 0;
}

static int parse_in(struct pctx *p, const char **pp, struct texpr **out)
{
	struct texpr *l;
	int rc;

	if ((rc = parse_cmp(p, pp, &l)))
		return rc;
	for (;;) {
		const char *q = te_skip_ws(*pp, p->end), *w = q;
		int inv = 0;
		struct texpr *e, *r;
		if (at_word(q, p->end, "not")) {
			w = te_skip_ws(q + 3, p->end);
			inv = 1;
		}
		if (!at_word(w, p->end, "in"))
			break;
		*pp = w + 2;
		if ((rc = parse_cmp(p, pp, &r)))
			return rc;
		e = node(p, TE_IN, l->at);
		e->a = l;
		e->b = r;
		e->end = r->end;
		if (inv) {
			struct texpr *n = node(p, TE_NOT, l->at);
			n->a = e;
			e = n;
		}
		l = e;
	}
	*out = l;
	return 0;
}

static int parse_not(struct pctx *p, const char **pp, struct texpr **out)
{
	const char *q = te_skip_ws(*pp, p->end);
	if (at_word(q, p->end, "not")) {
		struct texpr *e = node(p, TE_NOT, q);
		int rc;
		if (++p->depth > TMPL_MAX_EXPR_DEPTH)
			return TERR(p->c, q, "expression nested too deeply");
		*pp = q + 3;
		if ((rc = parse_not(p, pp, &e->a)))
			return rc;
		p->depth--;
		*out = e;
		return 0;
	}
	return parse_in(p, pp, out);
}

static int parse_bool(struct pctx *p, const char **pp, struct texpr **out,
		      const char *word, enum te_kind k,
		      int (*sub)(struct pctx *, const char **, struct texpr **))
{
	struct texpr *l;
	int rc;
	if ((rc = sub(p, pp, &l)))
		return rc;
	for (;;) {
		const char *q = te_skip_ws(*pp, p->end);
		struct texpr *e;
		if (!at_word(q, p->end, word))
			break;
		e = node(p, k, l->at);
		e->a = l;
		*pp = q + strlen(word);
		if ((rc = sub(p, pp, &e->b)))
			return rc;
		e->end = e->b->end;
		l = e;
	}
	*out = l;
	return 0;
}

static int parse_and(struct pctx *p, const char **pp, struct texpr **out)
{
	return parse_bool(p, pp, out, "and", TE_AND, parse_not);
}

static int parse_or(struct pctx *p, const char **pp, struct texpr **out)
{
	int rc;
	if (++p->depth > TMPL_MAX_EXPR_DEPTH)
		return TERR(p->c, *pp, "expression nested too deeply");
	rc = parse_bool(p, pp, out, "or", TE_OR, parse_and);
	p->depth--;
	return rc;
}

int te_parse(struct rctx *c, struct tarena *a, const char **pp,
	     const char *end, struct texpr **out)
{
	struct pctx p = { .c = c, .a = a, .end = end };
	const char *q;
	int rc = parse_or(&p, pp, out);
	if (rc)
		return rc;
	q = te_skip_ws(*pp, end);
	if (q < end && at_word(q, end, "if"))
		return TERR(c, q, "unsupported template syntax: inline "
			      "'if … else …' expressions are not supported "
			      "(use {%% if %%} … {%% else %%} … {%% endif %%})");
	if (q < end && at_word(q, end, "is"))
		return TERR(c, q, "unsupported template syntax: 'is' tests "
			      "are not supported (%s)", SUBSET_OPS);
	*pp = q;
	return 0;
}

/* ---- evaluation ------------------------------------------------------------ */

const json_t *tm_lookup(const struct rctx *c, const char *name,
			bool *from_vars)
{
	*from_vars = false;
	for (int i = c->nframes - 1; i >= 0; i--) {
		json_t *v = json_object_get(c->frames[i], name);
		if (v)
			return v;
	}
	*from_vars = true;
	return json_is_object(c->vars) ? json_object_get(c->vars, name)
				       : NULL;
}

static void set_missing(struct rctx *c, const char *path, size_t n)
{
	if (!c->missing || !c->n_missing)
		return;
	if (n >= c->n_missing)
		n = c->n_missing - 1;
	memcpy(c->missing, path, n);
	c->missing[n] = '\0';
}

static int undefined_err(struct rctx *c, const struct texpr *e)
{
	set_missing(c, e->at, (size_t)(e->end - e->at));
	return TERR(c, e->at, "undefined variable '%.*s'",
		      (int)(e->end - e->at), e->at);
}

static bool is_raw(const struct rctx *c, const char *name)
{
	for (const char *const *r = c->raw; r && *r; r++)
		if (strcmp(*r, name) == 0)
			return true;
	return false;
}

/* runtime.memberLookup(obj, key) for JSON values: objects by key, lists
 * and strings by index, `length` of lists and strings. */
static json_t *member(const json_t *obj, const json_t *key,
		      const char *name)
{
	char kbuf[64];
	const char *k = name;
	if (!obj || json_is_null(obj))
		return NULL;
	if (!k) {
		if (json_is_string(key)) {
			k = json_string_value(key);
		} else if (json_is_integer(key)) {
			snprintf(kbuf, sizeof kbuf, "%lld",
				 (long long)json_integer_value(key));
			k = kbuf;
		} else if (json_is_real(key) &&
			   json_real_value(key) == floor(json_real_value(key))
			   && fabs(json_real_value(key)) < 1e15) {
			snprintf(kbuf, sizeof kbuf, "%lld",
				 (long long)json_real_value(key));
			k = kbuf;
		} else {
			return NULL;
		}
	}
	if (json_is_object(obj))
		return json_incref(json_object_get(obj, k));
	if (json_is_array(obj) || json_is_string(obj)) {
		char *endp;
		long long i;
		if (strcmp(k, "length") == 0)
			return json_integer((json_int_t)(json_is_array(obj)
				? json_array_size(obj)
				: js_length(json_string_value(obj),
					    json_string_length(obj))));
		if (!isdigit((unsigned char)*k))
			return NULL;
		i = strtoll(k, &endp, 10);
		if (*endp)
			return NULL;
		if (json_is_array(obj))
			return json_incref(json_array_get(obj, (size_t)i));
		{
			/* the i-th character (code points; JavaScript counts
			 * UTF-16 units, which differs past U+FFFF only) */
			const unsigned char *s = (const unsigned char *)
				json_string_value(obj);
			size_t n = json_string_length(obj), at = 0;
			for (long long j = 0; at < n; j++) {
				size_t l = 1;
				while (at + l < n && (s[at + l] & 0xC0) == 0x80)
					l++;
				if (j == i)
					return json_stringn_nocheck(
						(const char *)s + at, l);
				at += l;
			}
			return NULL;
		}
	}
	return NULL;
}

static int eval(struct rctx *c, const struct texpr *e, json_t **out,
		bool *from_vars, const char **root);

static double js_tonumber(const json_t *v, bool *nan);

/* ToPrimitive for objects and lists: their String() form. */
static json_t *to_prim(const json_t *v)
{
	struct buf b = {0};
	json_t *r;
	if (!json_is_array(v) && !json_is_object(v))
		return json_incref((json_t *)v);
	js_string(&b, v);
	r = json_stringn_nocheck(buf_str(&b), b.len);
	buf_free(&b);
	return r;
}

static bool relational(const json_t *a, const json_t *b, enum te_op op)
{
	json_t *pa = a ? to_prim(a) : NULL, *pb = b ? to_prim(b) : NULL;
	bool r;
	if (json_is_string(pa) && json_is_string(pb)) {
		/* code unit order; UTF-8 byte order is the same except for
		 * characters past U+FFFF against U+E000–U+FFFF */
		int cmp = strcmp(json_string_value(pa), json_string_value(pb));
		r = op == OP_LT ? cmp < 0 : op == OP_GT ? cmp > 0
		    : op == OP_LE ? cmp <= 0 : cmp >= 0;
	} else {
		bool na, nb;
		double x = js_tonumber(pa, &na), y = js_tonumber(pb, &nb);
		if (na || nb)
			r = false;
		else
			r = op == OP_LT ? x < y : op == OP_GT ? x > y
			    : op == OP_LE ? x <= y : x >= y;
	}
	json_decref(pa);
	json_decref(pb);
	return r;
}

/* ToNumber: undefined NaN, null 0, booleans 0/1, strings as JavaScript
 * reads them (trimmed, empty is 0, decimal or 0x hex, "Infinity"). */
static double js_tonumber(const json_t *v, bool *nan)
{
	*nan = false;
	if (!v) {
		*nan = true;
		return 0;
	}
	switch (json_typeof(v)) {
	case JSON_NULL:
	case JSON_FALSE:
		return 0;
	case JSON_TRUE:
		return 1;
	case JSON_INTEGER:
		return (double)json_integer_value(v);
	case JSON_REAL:
		return json_real_value(v);
	case JSON_STRING: {
		const char *s = json_string_value(v), *e = s + strlen(s);
		char *endp;
		double d;
		while (*s && isspace((unsigned char)*s))
			s++;
		while (e > s && isspace((unsigned char)e[-1]))
			e--;
		if (s == e)
			return 0;
		if (e - s == 8 && !memcmp(s, "Infinity", 8))
			return INFINITY;
		if (e - s == 9 && (*s == '+' || *s == '-') &&
		    !memcmp(s + 1, "Infinity", 8))
			return *s == '-' ? -INFINITY : INFINITY;
		if (e - s > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
			unsigned long long h = strtoull(s + 2, &endp, 16);
			if (endp == e)
				return (double)h;
			*nan = true;
			return 0;
		}
		for (const char *q = s; q < e; q++)
			if (!isdigit((unsigned char)*q) && !strchr("+-.eE", *q)) {
				*nan = true;
				return 0;
			}
		d = strtod(s, &endp);
		if (endp != e)
			*nan = true;
		return d;
	}
	default: {
		json_t *p = to_prim(v);
		double d = js_tonumber(p, nan);
		json_decref(p);
		return d;
	}
	}
}

static bool is_num(const json_t *v)
{
	return json_is_integer(v) || json_is_real(v);
}

static bool strict_eq(const json_t *a, const json_t *b)
{
	if (!a || !b)
		return !a && !b;
	if (is_num(a) && is_num(b))
		return json_number_value(a) == json_number_value(b);
	if (json_typeof(a) != json_typeof(b))
		return false;
	switch (json_typeof(a)) {
	case JSON_STRING:
		return json_string_length(a) == json_string_length(b) &&
		       !memcmp(json_string_value(a), json_string_value(b),
			       json_string_length(a));
	case JSON_ARRAY:
	case JSON_OBJECT:
		return a == b;    /* identity, as JavaScript compares them */
	default:
		return true;      /* true, false, null */
	}
}

bool js_loose_eq(const json_t *a, const json_t *b)
{
	bool na, nb;
	bool a_nul = !a || json_is_null(a), b_nul = !b || json_is_null(b);
	if (a_nul || b_nul)
		return a_nul && b_nul;
	if (strict_eq(a, b))
		return true;
	if ((json_is_array(a) || json_is_object(a)) &&
	    (json_is_array(b) || json_is_object(b)))
		return false;
	if (json_is_array(a) || json_is_object(a) || json_is_array(b) ||
	    json_is_object(b)) {
		json_t *pa = to_prim(a), *pb = to_prim(b);
		bool r = js_loose_eq(pa, pb);
		json_decref(pa);
		json_decref(pb);
		return r;
	}
	if (json_is_string(a) && json_is_string(b))
		return false;
	{
		double x = js_tonumber(a, &na), y = js_tonumber(b, &nb);
		return !na && !nb && x == y;
	}
}

bool js_truthy(const json_t *v)
{
	if (!v)
		return false;
	switch (json_typeof(v)) {
	case JSON_NULL:
	case JSON_FALSE:
		return false;
	case JSON_INTEGER:
		return json_integer_value(v) != 0;
	case JSON_REAL:
		return json_real_value(v) != 0 && !isnan(json_real_value(v));
	case JSON_STRING:
		return json_string_length(v) > 0;
	default:
		return true;      /* true, and every list and object, even [] */
	}
}

/* lib.inOperator(key, container). */
static int in_op(struct rctx *c, const struct texpr *e, const json_t *key,
		 const json_t *val, bool *r)
{
	struct buf b = {0};
	*r = false;
	if (json_is_array(val)) {
		for (size_t i = 0; i < json_array_size(val); i++)
			if (strict_eq(key, json_array_get(val, i)))
				*r = true;
		return 0;
	}
	if (json_is_string(val) || json_is_object(val)) {
		js_string(&b, key);
		if (json_is_object(val))
			*r = json_object_get(val, buf_str(&b)) != NULL;
		else
			*r = b.len == 0 ||
			     strstr(json_string_value(val), buf_str(&b));
		buf_free(&b);
		return 0;
	}
	if (!val && (c->flags & TMPL_LENIENT))
		return 0;
	js_string(&b, key);
	tm_err(c, e->b->at, "cannot use 'in' to search for \"%s\" in %s "
	       "(expected a list, a string or a mapping)", buf_str(&b),
	       !val ? "an undefined value" : json_is_null(val) ? "null"
	       : "a number or boolean");
	buf_free(&b);
	return ST_INPUT;
}

static int eval_path(struct rctx *c, const struct texpr *e, json_t **out,
		     bool *from_vars, const char **root)
{
	json_t *base = NULL, *key = NULL;
	int rc;

	if (e->k == TE_VAR) {
		const json_t *v = tm_lookup(c, e->name, from_vars);
		*root = e->name;
		*out = v ? json_incref((json_t *)v) : NULL;
	} else {
		if ((rc = eval(c, e->a, &base, from_vars, root)))
			return rc;
		if (e->b) {
			bool fv;
			const char *rt;
			if ((rc = eval(c, e->b, &key, &fv, &rt))) {
				json_decref(base);
				return rc;
			}
		}
		*out = member(base, key, e->b ? NULL : e->name);
		json_decref(base);
		json_decref(key);
	}
	if (!*out && !(c->flags & TMPL_LENIENT) && !c->soft)
		return undefined_err(c, e);
	return 0;
}

static int eval(struct rctx *c, const struct texpr *e, json_t **out,
		bool *from_vars, const char **root)
{
	json_t *a = NULL, *b = NULL;
	bool fv = false;
	const char *rt = NULL;
	int rc = 0;

	*out = NULL;
	*from_vars = false;
	*root = NULL;
	if (tm_charge(c, e->at, 1))
		return ST_INPUT;
	switch (e->k) {
	case TE_LIT:
		*out = json_incref(e->lit);
		return 0;
	case TE_VAR:
	case TE_GET:
		if ((rc = eval_path(c, e, out, from_vars, root)))
			return rc;
		/* a string var holding tags is itself a template (promptfoo's
		 * nested vars), rendered with the same vars */
		if (*from_vars && !(c->flags & TMPL_NO_NEST) && *root &&
		    !is_raw(c, *root) && json_is_string(*out) &&
		    tmpl_has_tags(json_string_value(*out)))
			return tm_render_nested(c, e, out);
		return 0;
	case TE_FILTER: {
		json_t *argv[8];
		size_t n = e->nargs;
		if (n > 8)
			return TERR(c, e->at, "too many arguments for filter "
				      "'%s'", e->name);
		if (strcmp(e->name, "default") == 0)
			c->soft++;
		rc = eval(c, e->a, &a, &fv, &rt);
		if (strcmp(e->name, "default") == 0)
			c->soft--;
		if (rc)
			return rc;
		for (size_t i = 0; i < n; i++) {
			if ((rc = eval(c, e->args[i], &argv[i], &fv, &rt))) {
				while (i--)
					json_decref(argv[i]);
				json_decref(a);
				return rc;
			}
		}
		rc = tf_apply(c, e, a, argv, n, out);
		for (size_t i = 0; i < n; i++)
			json_decref(argv[i]);
		return rc;
	}
	case TE_NOT:
		if ((rc = eval(c, e->a, &a, &fv, &rt)))
			return rc;
		*out = json_boolean(!js_truthy(a));
		json_decref(a);
		return 0;
	case TE_AND:
	case TE_OR:
		/* `name or "fallback"` asks whether name is there */
		if (e->k == TE_OR)
			c->soft++;
		rc = eval(c, e->a, &a, &fv, &rt);
		if (e->k == TE_OR)
			c->soft--;
		if (rc)
			return rc;
		if (js_truthy(a) == (e->k == TE_OR)) {
			*out = a;
			return 0;
		}
		json_decref(a);
		return eval(c, e->b, out, &fv, &rt);
	case TE_CMP:
	case TE_IN:
		if ((rc = eval(c, e->a, &a, &fv, &rt)) ||
		    (rc = eval(c, e->b, &b, &fv, &rt)))
			break;
		if (e->k == TE_IN) {
			bool r;
			if (!(rc = in_op(c, e, a, b, &r)))
				*out = json_boolean(r);
		} else if (e->op == OP_EQ || e->op == OP_NE) {
			*out = json_boolean(js_loose_eq(a, b) ==
					    (e->op == OP_EQ));
		} else {
			*out = json_boolean(relational(a, b, e->op));
		}
		break;
	case TE_LIST:
		*out = json_array();
		for (size_t i = 0; i < e->nargs && !rc; i++) {
			if (!(rc = eval(c, e->args[i], &a, &fv, &rt)))
				json_array_append_new(*out, a ? a
						      : json_null());
		}
		if (rc) {
			json_decref(*out);
			*out = NULL;
		}
		return rc;
	}
	json_decref(a);
	json_decref(b);
	return rc;
}

int te_eval(struct rctx *c, const struct texpr *e, json_t **out)
{
	bool fv;
	const char *root;
	return eval(c, e, out, &fv, &root);
}
