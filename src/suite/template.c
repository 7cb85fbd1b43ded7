/* template.c — renders the Nunjucks subset described in template.h.
 *
 * The renderer is a single pass over the template: literal text is copied,
 * `{# … #}` is skipped, `{{ expr }}` is parsed into a var path and a chain
 * of filters and replaced by the value's text, and `{% … %}` is rejected
 * with a message naming the tag.  Nunjucks' whitespace control (`{{-`,
 * `-}}`) is honoured because promptfoo suites use it in chat prompts.
 *
 * Values stay json_t while filters run so that `dump` sees the real type
 * (a number dumps as 3, a string as "3"); only the end of the chain turns
 * into text.  A string value that itself holds tags is rendered with the
 * same vars first (promptfoo's nested vars), to a depth of TMPL_MAX_DEPTH,
 * unless TMPL_NO_NEST says the values are untrusted text.  One work
 * counter, shared with the nested renders, bounds the whole render.
 */
#include "template.h"
#include "suite.h"
#include "../util/buf.h"
#include "../util/limits.h"
#include "../util/xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TMPL_MAX_DEPTH 8
#define TMPL_MAX_PATH 32        /* segments in a.b[0].c */
#define TMPL_TAG_WORK 64        /* work charged per tag evaluated */

struct rctx {
	const json_t *vars;
	int flags;
	const struct loc *loc;
	struct err *err;
	char *missing;
	size_t n_missing;
	const char *top;        /* the outermost template */
	const char *top_at;     /* tag being expanded there (nested renders) */
	const char *nest_var;   /* var whose value is being rendered */
	size_t *work;           /* work done so far, shared by nested renders */
	const char *const *raw; /* top-level vars never rendered again */
};

/* Charges `n` units of work (limit template_work) and checks the size of
 * the text made so far (limit template_bytes).  Vars that refer to each
 * other many times can make the work exponential in the nesting depth
 * while the text stays small, so both are counted. */
static int charge(struct rctx *c, const char *tmpl, const char *at,
		  size_t n, const struct buf *out);

int tmpl_has_tags(const char *s)
{
	if (!s)
		return 0;
	for (const char *p = strchr(s, '{'); p; p = strchr(p + 1, '{'))
		if (p[1] == '{' || p[1] == '%' || p[1] == '#')
			return 1;
	return 0;
}

/* Fills an error at `at` (a pointer into the template being rendered).
 * For nested renders the location is the outer tag, and the message says
 * which var's value was at fault. */
static int rerr(struct rctx *c, const char *tmpl, const char *at,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int rerr(struct rctx *c, const char *tmpl, const char *at,
		const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	int line = 1, col = 1;
	const char *base = tmpl;
	const char *file = "template";

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (c->top_at) {
		base = c->top;
		at = c->top_at;
	}
	for (const char *p = base; p < at && *p; p++) {
		if (*p == '\n') {
			line++;
			col = 1;
		} else if (((unsigned char)*p & 0xC0) != 0x80) {
			col++;    /* columns count characters, not bytes */
		}
	}
	if (c->loc && c->loc->line > 0) {
		/* every line is taken to be indented like the first, as in
		 * a YAML block scalar or a prompt file */
		col += (c->loc->col > 0 ? c->loc->col : 1) - 1;
		line += c->loc->line - 1;
		if (c->loc->file)
			file = c->loc->file;
	}
	if (c->nest_var)
		return err_at(c->err, file, line, col,
			      "in the value of var '%s': %s", c->nest_var,
			      msg);
	return err_at(c->err, file, line, col, "%s", msg);
}

static int charge(struct rctx *c, const char *tmpl, const char *at,
		  size_t n, const struct buf *out)
{
	const struct limits *lim = limits_get();
	*c->work += n;
	if (*c->work > lim->template_work)
		return rerr(c, tmpl, at, "rendering takes more than %zu steps "
			    "of work (do vars refer to each other many "
			    "times?) (limit template_work; raise it with "
			    "ASSAY_LIMITS=template_work=N)",
			    lim->template_work);
	if (out->len > lim->template_bytes)
		return rerr(c, tmpl, at, "rendered text is larger than %zu "
			    "bytes (limit template_bytes; raise it with "
			    "ASSAY_LIMITS=template_bytes=N)",
			    lim->template_bytes);
	return 0;
}

static void fmt_real(struct buf *b, double d)
{
	char tmp[64];
	if (d == (double)(long long)d && d > -1e15 && d < 1e15) {
		buf_printf(b, "%lld", (long long)d);
		return;
	}
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(tmp, sizeof tmp, "%.*g", prec, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	buf_puts(b, tmp);
}

static void value_text(struct buf *b, const json_t *v)
{
	char *s;
	if (!v)
		return;
	switch (json_typeof(v)) {
	case JSON_STRING:
		buf_append(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		buf_printf(b, "%lld", (long long)json_integer_value(v));
		break;
	case JSON_REAL:
		fmt_real(b, json_real_value(v));
		break;
	case JSON_TRUE:
		buf_puts(b, "true");
		break;
	case JSON_FALSE:
		buf_puts(b, "false");
		break;
	case JSON_NULL:
		break;
	default:
		s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		if (s) {
			buf_puts(b, s);
			free(s);
		}
	}
}

char *tmpl_value_text(const json_t *v)
{
	struct buf b = {0};
	value_text(&b, v);
	return buf_detach(&b);
}

static int is_ident_start(int ch)
{
	return isalpha(ch) || ch == '_' || ch == '$';
}

static int is_ident(int ch)
{
	return isalnum(ch) || ch == '_' || ch == '$';
}

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && isspace((unsigned char)*p))
		p++;
	return p;
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

static int render(struct rctx *c, const char *tmpl, struct buf *out,
		  int depth);

/* Resolves the var path in [p, end) and returns a new reference (NULL
 * for "undefined" in lenient mode).  *pp is left after the path. */
static int eval_path(struct rctx *c, const char *tmpl, const char **pp,
		     const char *end, json_t **out)
{
	const char *p = *pp, *start = p;
	const json_t *cur = c->vars;
	int undefined = 0, nseg = 0;

	*out = NULL;
	if (p >= end || !is_ident_start((unsigned char)*p))
		return rerr(c, tmpl, p,
			    "unsupported template expression '%.*s': expected "
			    "a var name (only var paths such as a.b or a[0] "
			    "and the filters dump, trim, upper, lower are "
			    "supported)", (int)(end - p), p);
	while (p < end) {
		char key[256];
		size_t klen = 0;
		long idx = -1;
		const char *seg = p;

		if (++nseg > TMPL_MAX_PATH)
			return rerr(c, tmpl, seg, "var path is too long");
		if (seg == start) {
			while (p < end && is_ident((unsigned char)*p))
				p++;
			klen = (size_t)(p - seg);
			if (klen >= sizeof key)
				return rerr(c, tmpl, seg, "var name too long");
			memcpy(key, seg, klen);
		} else if (*p == '.') {
			p++;
			seg = p;
			if (p >= end || !is_ident_start((unsigned char)*p))
				return rerr(c, tmpl, p, "expected a field name "
					    "after '.'");
			while (p < end && is_ident((unsigned char)*p))
				p++;
			klen = (size_t)(p - seg);
			if (klen >= sizeof key)
				return rerr(c, tmpl, seg, "field name too long");
			memcpy(key, seg, klen);
		} else if (*p == '[') {
			p = skip_ws(p + 1, end);
			if (p < end && (*p == '"' || *p == '\'')) {
				char q = *p++;
				seg = p;
				while (p < end && *p != q)
					p++;
				if (p >= end)
					return rerr(c, tmpl, seg - 1,
						    "unterminated string in "
						    "'[ ]'");
				klen = (size_t)(p - seg);
				if (klen >= sizeof key)
					return rerr(c, tmpl, seg,
						    "field name too long");
				memcpy(key, seg, klen);
				p++;
			} else if (p < end && isdigit((unsigned char)*p)) {
				idx = 0;
				while (p < end && isdigit((unsigned char)*p)) {
					if (idx < 100000000)
						idx = idx * 10 + (*p - '0');
					p++;
				}
			} else {
				return rerr(c, tmpl, p, "expected a number or "
					    "a quoted key inside '[ ]'");
			}
			p = skip_ws(p, end);
			if (p >= end || *p != ']')
				return rerr(c, tmpl, p, "expected ']'");
			p++;
		} else {
			break;
		}
		key[klen] = '\0';
		if (undefined)
			continue;
		if (idx >= 0) {
			cur = json_is_array(cur) ? json_array_get(cur,
						   (size_t)idx) : NULL;
		} else if (json_is_object(cur)) {
			cur = json_object_get(cur, key);
		} else if (json_is_array(cur) && strcmp(key, "length") == 0) {
			/* Nunjucks exposes JS's list.length; keep it. */
			json_t *n = json_integer((json_int_t)json_array_size(cur));
			*pp = p;
			*out = n;
			return 0;
		} else {
			cur = NULL;
		}
		if (!cur) {
			if (!(c->flags & TMPL_LENIENT)) {
				set_missing(c, start, (size_t)(p - start));
				return rerr(c, tmpl, start, "undefined variable "
					    "'%.*s'", (int)(p - start), start);
			}
			undefined = 1;
		}
	}
	*pp = p;
	*out = undefined ? NULL : json_incref((json_t *)cur);
	return 0;
}

/* Applies one filter to *v (consumed and replaced). */
static int apply_filter(struct rctx *c, const char *tmpl, const char *at,
			const char *name, size_t n, json_t **v)
{
	struct buf b = {0};
	json_t *r;

	if (n == 4 && memcmp(name, "dump", 4) == 0) {
		char *s = *v ? json_dumps(*v, JSON_COMPACT | JSON_ENCODE_ANY)
			     : NULL;
		r = json_string(s ? s : "");
		free(s);
	} else if ((n == 4 && memcmp(name, "trim", 4) == 0) ||
		   (n == 5 && memcmp(name, "upper", 5) == 0) ||
		   (n == 5 && memcmp(name, "lower", 5) == 0)) {
		char *s, *e;
		value_text(&b, *v);
		s = b.p ? b.p : (char *)"";
		if (name[0] == 't') {
			e = s + b.len;
			while (s < e && isspace((unsigned char)*s))
				s++;
			while (e > s && isspace((unsigned char)e[-1]))
				e--;
			r = json_stringn_nocheck(s, (size_t)(e - s));
		} else {
			for (size_t i = 0; i < b.len; i++)
				s[i] = (char)(name[0] == 'u'
					      ? toupper((unsigned char)s[i])
					      : tolower((unsigned char)s[i]));
			r = json_stringn_nocheck(s, b.len);
		}
		buf_free(&b);
	} else {
		return rerr(c, tmpl, at, "unsupported filter '%.*s' (supported: "
			    "dump, trim, upper, lower)", (int)n, name);
	}
	json_decref(*v);
	*v = r;
	return 0;
}

/* True when the path starting at `path` begins with a var named in
 * c->raw (untrusted text: inserted, never rendered again). */
static int is_raw(const struct rctx *c, const char *path, const char *end)
{
	size_t n = 0;
	while (path + n < end && is_ident((unsigned char)path[n]))
		n++;
	for (const char *const *r = c->raw; r && *r; r++)
		if (strlen(*r) == n && !memcmp(*r, path, n))
			return 1;
	return 0;
}

/* Evaluates the expression in [p, end) (inside `{{ }}`) and appends its
 * text to `out`. */
static int eval_expr(struct rctx *c, const char *tmpl, const char *p,
		     const char *end, struct buf *out, int depth, int in_str)
{
	json_t *v = NULL;
	const char *path = p;
	int rc;

	p = skip_ws(p, end);
	path = p;
	if (p >= end)
		return rerr(c, tmpl, p, "empty expression in '{{ }}', "
			    "expected a var name");
	rc = eval_path(c, tmpl, &p, end, &v);
	if (rc)
		return rc;
	/* A string var holding tags is a nested template: render it with
	 * the same vars before any filter sees it. */
	if (!(c->flags & TMPL_NO_NEST) && !is_raw(c, path, end) &&
	    json_is_string(v) && tmpl_has_tags(json_string_value(v))) {
		struct buf nb = {0};
		struct rctx sub = *c;
		char name[128];
		size_t pn = 0;
		while (path + pn < end && (is_ident((unsigned char)path[pn]) ||
					   strchr(".[]'\"", path[pn])))
			pn++;
		snprintf(name, sizeof name, "%.*s", (int)pn, path);
		if (depth + 1 > TMPL_MAX_DEPTH) {
			json_decref(v);
			return rerr(c, tmpl, path, "vars nested more than %d "
				    "levels deep (does var '%s' refer to "
				    "itself?)", TMPL_MAX_DEPTH, name);
		}
		if (!sub.top_at) {
			sub.top_at = path;
			sub.nest_var = name;
		}
		sub.flags &= ~TMPL_JSON_ESCAPE;
		rc = render(&sub, json_string_value(v), &nb, depth + 1);
		json_decref(v);
		if (rc) {
			buf_free(&nb);
			return rc;
		}
		v = json_stringn_nocheck(buf_str(&nb), nb.len);
		buf_free(&nb);
	}
	for (;;) {
		const char *name;
		p = skip_ws(p, end);
		if (p >= end)
			break;
		if (*p != '|') {
			json_decref(v);
			return rerr(c, tmpl, p, "unsupported template expression "
				    "'%.*s' (only var paths such as a.b or a[0] "
				    "and the filters dump, trim, upper, lower "
				    "are supported)", (int)(end - path), path);
		}
		p = skip_ws(p + 1, end);
		name = p;
		while (p < end && is_ident((unsigned char)*p))
			p++;
		if (p == name) {
			json_decref(v);
			return rerr(c, tmpl, p, "expected a filter name after "
				    "'|'");
		}
		if (skip_ws(p, end) < end && *skip_ws(p, end) == '(') {
			json_decref(v);
			return rerr(c, tmpl, name, "unsupported filter "
				    "'%.*s(…)': filters with arguments are not "
				    "supported (supported: dump, trim, upper, "
				    "lower)", (int)(p - name), name);
		}
		rc = apply_filter(c, tmpl, name, name, (size_t)(p - name), &v);
		if (rc) {
			json_decref(v);
			return rc;
		}
	}
	{
		size_t before = out->len;
		if ((c->flags & TMPL_JSON_ESCAPE) && in_str) {
			struct buf t = {0};
			value_text(&t, v);
			buf_json_escape(out, buf_str(&t), t.len);
			buf_free(&t);
		} else {
			value_text(out, v);
		}
		json_decref(v);
		return charge(c, tmpl, path, TMPL_TAG_WORK + out->len - before,
			      out);
	}
}

/* Copies literal text, tracking whether we are inside a JSON string
 * (for TMPL_JSON_ESCAPE). */
static void put_literal(struct buf *out, const char *s, size_t n,
			int *in_str)
{
	for (size_t i = 0; i < n; i++) {
		if (*in_str && s[i] == '\\' && i + 1 < n) {
			i++;
			continue;
		}
		if (s[i] == '"')
			*in_str = !*in_str;
	}
	buf_append(out, s, n);
}

static int is_tag_ws(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

static int render(struct rctx *c, const char *tmpl, struct buf *out,
		  int depth)
{
	const char *p = tmpl;
	int trim_next = 0, in_str = 0;

	for (;;) {
		const char *tag = p, *lit_end;
		while ((tag = strchr(tag, '{')) != NULL &&
		       tag[1] != '{' && tag[1] != '%' && tag[1] != '#')
			tag++;
		lit_end = tag ? tag : p + strlen(p);
		if (trim_next)
			while (p < lit_end && is_tag_ws(*p))
				p++;
		if (tag && tag[2] == '-')
			while (lit_end > p && is_tag_ws(lit_end[-1]))
				lit_end--;
		put_literal(out, p, (size_t)(lit_end - p), &in_str);
		if (charge(c, tmpl, tag ? tag : p, (size_t)(lit_end - p), out))
			return ST_INPUT;
		if (!tag)
			return 0;

		if (tag[1] == '#') {
			const char *e = strstr(tag + 2, "#}");
			if (!e)
				return rerr(c, tmpl, tag, "unterminated comment: "
					    "found '{#' without '#}'");
			trim_next = e > tag + 2 && e[-1] == '-';
			p = e + 2;
		} else if (tag[1] == '%') {
			const char *w = tag + 2, *we;
			if (*w == '-')
				w++;
			while (*w && isspace((unsigned char)*w))
				w++;
			we = w;
			while (is_ident((unsigned char)*we))
				we++;
			return rerr(c, tmpl, tag, "unsupported template tag "
				    "'{%% %.*s %%}': control tags (if, for, "
				    "set, include, …) are not supported; only "
				    "{{ var }} and {# comments #}",
				    (int)(we - w), w);
		} else {
			const char *s = tag + 2, *e = strstr(tag + 2, "}}");
			int rc;
			if (!e)
				return rerr(c, tmpl, tag, "unterminated tag: "
					    "found '{{' without '}}'");
			if (*s == '-')
				s++;
			trim_next = e > s && e[-1] == '-';
			rc = eval_expr(c, tmpl, s, trim_next ? e - 1 : e, out,
				       depth, in_str);
			if (rc)
				return rc;
			p = e + 2;
		}
	}
}

static char *render_top(const char *tmpl, const json_t *vars, int flags,
			const char *const *raw, const struct loc *loc,
			struct err *err, char *missing, size_t n);

char *tmpl_render_raw(const char *tmpl, const json_t *vars, int flags,
		      const char *const *raw, const struct loc *loc,
		      struct err *err)
{
	return render_top(tmpl, vars, flags, raw, loc, err, NULL, 0);
}

char *tmpl_render_ex(const char *tmpl, const json_t *vars, int flags,
		     const struct loc *loc, struct err *err, char *missing,
		     size_t n)
{
	return render_top(tmpl, vars, flags, NULL, loc, err, missing, n);
}

static char *render_top(const char *tmpl, const json_t *vars, int flags,
			const char *const *raw, const struct loc *loc,
			struct err *err, char *missing, size_t n)
{
	struct buf out = {0};
	size_t work = 0;
	struct rctx c = {
		.vars = vars, .flags = flags, .loc = loc, .err = err,
		.missing = missing, .n_missing = n, .top = tmpl,
		.work = &work, .raw = raw,
	};
	if (missing && n)
		missing[0] = '\0';
	if (!tmpl)
		tmpl = "";
	c.top = tmpl;
	if (render(&c, tmpl, &out, 0) != 0) {
		buf_free(&out);
		return NULL;
	}
	return buf_detach(&out);
}

char *tmpl_render(const char *tmpl, const json_t *vars, int flags,
		  const struct loc *loc, struct err *err)
{
	return tmpl_render_ex(tmpl, vars, flags, loc, err, NULL, 0);
}
