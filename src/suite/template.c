/* template.c — renders the Nunjucks subset described in template.h.
 *
 * A render parses the whole template first into a tree (text, `{{ }}`
 * outputs, if / for / set tags, each with its position), so a syntax error
 * anywhere — in a branch never taken too — is reported at load, then walks
 * the tree.  Nunjucks' whitespace control (`{{-`, `-}}`, `{%-`, `-%}`,
 * `{#-`, `-#}`) trims the text next to the tag; like Nunjucks by default
 * (trimBlocks and lstripBlocks off), tags leave their own lines' newlines.
 *
 * Scopes are Nunjucks' frames (nunjucks/src/runtime.js Frame): the top
 * frame holds top-level `set`s; each `for` pushes one frame for the whole
 * loop holding the loop var and `loop`; `set` writes to the innermost
 * frame that already has the name, else to the innermost frame (so a loop
 * can update a counter set before it, and a name first set inside a loop
 * is gone after it); `if` opens no frame.  Lookups try the frames
 * innermost first, then the vars.
 *
 * Values stay json_t while expressions run so that `dump` sees the real
 * type; only an output turns into text.  A string var that itself holds
 * tags is rendered with the same vars first (promptfoo's nested vars), to
 * a depth of TMPL_MAX_DEPTH, unless TMPL_NO_NEST says the values are
 * untrusted text.  One work counter, shared with the nested renders and
 * charged per tag, per expression node, per loop iteration and per byte
 * made (filters included), bounds the whole render.
 */
#include "template.h"
#include "template_int.h"
#include "suite.h"
#include "../util/limits.h"
#include "../util/xalloc.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TMPL_MAX_DEPTH 8
#define TMPL_MAX_BLOCKS 64      /* if / for nested in one another */

#define SUPPORTED_TAGS "supported: if, elif, else, endif, for, endfor, set"

/* ---- arena ------------------------------------------------------------------ */

void *ta_alloc(struct tarena *a, size_t n)
{
	void *p = xcalloc(1, n);
	a->p = xgrow(a->p, &a->cap, a->n + 1, sizeof *a->p);
	a->p[a->n++] = p;
	return p;
}

char *ta_strndup(struct tarena *a, const char *s, size_t n)
{
	char *p = ta_alloc(a, n + 1);
	memcpy(p, s, n);
	return p;
}

void ta_lit(struct tarena *a, json_t *v)
{
	a->lits = xgrow(a->lits, &a->caplits, a->nlits + 1, sizeof *a->lits);
	a->lits[a->nlits++] = v;
}

void ta_free(struct tarena *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->p[i]);
	for (size_t i = 0; i < a->nlits; i++)
		json_decref(a->lits[i]);
	free(a->p);
	free(a->lits);
	memset(a, 0, sizeof *a);
}

/* ---- errors and budget ------------------------------------------------------ */

int tmpl_has_tags(const char *s)
{
	if (!s)
		return 0;
	for (const char *p = strchr(s, '{'); p; p = strchr(p + 1, '{'))
		if (p[1] == '{' || p[1] == '%' || p[1] == '#')
			return 1;
	return 0;
}

int tmpl_refers_to(const char *tmpl, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = tmpl ? strchr(tmpl, '{') : NULL; p;
	     p = strchr(p + 1, '{')) {
		const char *e;
		if (p[1] != '{' && p[1] != '%')
			continue;
		if (!(e = strstr(p + 2, p[1] == '{' ? "}}" : "%}")))
			return 0;
		for (const char *q = p + 2; q + n <= e; q++)
			if (!memcmp(q, name, n) &&
			    (q == p + 2 || !(isalnum((unsigned char)q[-1]) ||
					     q[-1] == '_' || q[-1] == '$')) &&
			    !(isalnum((unsigned char)q[n]) || q[n] == '_' ||
			      q[n] == '$'))
				return 1;
		p = e;
	}
	return 0;
}

/* For nested renders the location is the outer tag, and the message says
 * which var's value was at fault. */
int tm_err(struct rctx *c, const char *at, const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	int line = 1, col = 1;
	const char *base = c->tmpl;
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
		err_at(c->err, file, line, col, "in the value of var '%s': %s",
		       c->nest_var, msg);
	else
		err_at(c->err, file, line, col, "%s", msg);
	return ST_INPUT;
}

/* Vars that refer to each other many times can make the work exponential
 * in the nesting depth while the text stays small, and a loop can repeat
 * small text many times, so both work and size are counted. */
int tm_charge(struct rctx *c, const char *at, size_t n)
{
	const struct limits *lim = limits_get();
	*c->work += n;
	if (*c->work > lim->template_work)
		return TERR(c, at, "rendering takes more than %zu steps of "
			      "work (a loop over a large list, or vars that "
			      "refer to each other many times?) (limit "
			      "template_work; raise it with "
			      "ASSAY_LIMITS=template_work=N)",
			      lim->template_work);
	if (c->out && c->out->len > lim->template_bytes)
		return TERR(c, at, "rendered text is larger than %zu bytes "
			      "(limit template_bytes; raise it with "
			      "ASSAY_LIMITS=template_bytes=N)",
			      lim->template_bytes);
	return 0;
}

char *tmpl_value_text(const json_t *v)
{
	struct buf b = {0};
	tm_value_text(&b, v);
	return buf_detach(&b);
}

/* ---- parsing the template ---------------------------------------------------- */

struct tparse {
	struct rctx *c;
	struct tarena *a;
	const char *p;          /* next unread character */
	int trim_next;          /* the last tag ended with '-' */
	int blocks;             /* if / for open around here */
};

static int is_tag_ws(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* The end of a tag that opened at `s` (its delimiter `close`, "}}" or
 * "%}"), skipping string literals; NULL when it never closes. */
static const char *tag_end(const char *s, const char *close)
{
	char q = 0;
	for (const char *p = s; *p; p++) {
		if (q) {
			if (*p == '\\' && p[1])
				p++;
			else if (*p == q)
				q = 0;
		} else if (*p == '"' || *p == '\'') {
			q = *p;
		} else if (p[0] == close[0] && p[1] == close[1]) {
			return p;
		}
	}
	return NULL;
}

static struct tnode *tnode_new(struct tparse *t, enum tn_kind k,
			       const char *at)
{
	struct tnode *n = ta_alloc(t->a, sizeof *n);
	n->kind = k;
	n->at = at;
	return n;
}

/* The keyword of a `{% %}` tag (its first word), for block ends. */
struct tagword {
	const char *tag;        /* the '{%' */
	const char *w, *we;     /* the word */
	const char *body, *end; /* after the word, up to the '-%}' or '%}' */
	const char *next;       /* after the '%}' */
};

static int word_is(const struct tagword *tw, const char *s)
{
	return tw->w && (size_t)(tw->we - tw->w) == strlen(s) &&
	       !memcmp(tw->w, s, strlen(s));
}

static int parse_list(struct tparse *t, const char *const *stops,
		      struct tnode **first, struct tagword *stopped);

/* {% if cond %} … [{% elif cond %} …]* [{% else %} …] {% endif %} */
static int parse_if(struct tparse *t, struct tagword *tw, struct tnode **out)
{
	static const char *const stops[] = { "elif", "elseif", "else",
					     "endif", NULL };
	struct rctx *c = t->c;
	struct tnode *n = tnode_new(t, TN_IF, tw->tag);
	struct tagword st;
	const char *q = tw->body;
	int rc;

	if ((rc = te_parse(c, t->a, &q, tw->end, &n->e)))
		return rc;
	if (q < tw->end)
		return TERR(c, q, "unexpected '%.*s' after the condition of "
			      "'{%% %.*s %%}'", (int)(tw->end - q), q,
			      (int)(tw->we - tw->w), tw->w);
	if ((rc = parse_list(t, stops, &n->body, &st)))
		return rc;
	if (!st.tag)
		return TERR(c, tw->tag, "'{%% %.*s %%}' is never closed: "
			      "expected '{%% endif %%}'",
			      (int)(tw->we - tw->w), tw->w);
	if (word_is(&st, "elif") || word_is(&st, "elseif")) {
		rc = parse_if(t, &st, &n->alt);
	} else if (word_is(&st, "else")) {
		static const char *const end[] = { "endif", NULL };
		struct tagword e2;
		if (te_skip_ws(st.body, st.end) < st.end)
			return TERR(c, st.body, "'{%% else %%}' takes nothing "
				      "after 'else'");
		if ((rc = parse_list(t, end, &n->alt, &e2)))
			return rc;
		if (!e2.tag)
			return TERR(c, tw->tag, "'{%% %.*s %%}' is never "
				      "closed: expected '{%% endif %%}'",
				      (int)(tw->we - tw->w), tw->w);
	}
	*out = n;
	return rc;
}

/* {% for x in list %} … [{% else %} …] {% endfor %}; `for k, v in obj`. */
static int parse_for(struct tparse *t, struct tagword *tw, struct tnode **out)
{
	static const char *const stops[] = { "else", "endfor", NULL };
	static const char *const end[] = { "endfor", NULL };
	struct rctx *c = t->c;
	struct tnode *n = tnode_new(t, TN_FOR, tw->tag);
	struct tagword st;
	const char *q = tw->body;
	int rc;

	if ((rc = te_name(c, &q, tw->end, n->name, sizeof n->name,
			  "a loop variable after 'for'")))
		return rc;
	q = te_skip_ws(q, tw->end);
	if (q < tw->end && *q == ',') {
		q++;
		if ((rc = te_name(c, &q, tw->end, n->name2, sizeof n->name2,
				  "a second loop variable after ','")))
			return rc;
		q = te_skip_ws(q, tw->end);
	}
	if ((size_t)(tw->end - q) < 3 || memcmp(q, "in", 2) ||
	    !isspace((unsigned char)q[2]))
		return TERR(c, q, "expected 'in' in '{%% for %s in … %%}'",
			      n->name);
	q += 2;
	if ((rc = te_parse(c, t->a, &q, tw->end, &n->e)))
		return rc;
	if (q < tw->end)
		return TERR(c, q, "unexpected '%.*s' in '{%% for %%}'",
			      (int)(tw->end - q), q);
	if ((rc = parse_list(t, stops, &n->body, &st)))
		return rc;
	if (st.tag && word_is(&st, "else")) {
		if (te_skip_ws(st.body, st.end) < st.end)
			return TERR(c, st.body, "'{%% else %%}' takes nothing "
				      "after 'else'");
		if ((rc = parse_list(t, end, &n->alt, &st)))
			return rc;
	}
	if (!st.tag)
		return TERR(c, tw->tag, "'{%% for %%}' is never closed: "
			      "expected '{%% endfor %%}'");
	*out = n;
	return 0;
}

/* {% set name = expr %} */
static int parse_set(struct tparse *t, struct tagword *tw, struct tnode **out)
{
	struct rctx *c = t->c;
	struct tnode *n = tnode_new(t, TN_SET, tw->tag);
	const char *q = tw->body;
	int rc;

	if ((rc = te_name(c, &q, tw->end, n->name, sizeof n->name,
			  "a var name after 'set'")))
		return rc;
	q = te_skip_ws(q, tw->end);
	if (q >= tw->end)
		return TERR(c, q, "unsupported template syntax: block "
			      "'{%% set %s %%}…{%% endset %%}' is not supported; "
			      "write '{%% set %s = … %%}'", n->name, n->name);
	if (*q != '=' || (q + 1 < tw->end && q[1] == '='))
		return TERR(c, q, "expected '=' after '{%% set %s', found "
			      "'%.*s' (one name per set)", n->name,
			      (int)(tw->end - q), q);
	q++;
	if ((rc = te_parse(c, t->a, &q, tw->end, &n->e)))
		return rc;
	if (q < tw->end)
		return TERR(c, q, "unexpected '%.*s' in '{%% set %%}'",
			      (int)(tw->end - q), q);
	*out = n;
	return 0;
}

/* Reads `{% … %}` at t->p into *tw (the tag's word and body). */
static int read_tag(struct tparse *t, const char *tag, struct tagword *tw)
{
	const char *s = tag + 2, *e = tag_end(tag + 2, "%}");
	if (!e)
		return TERR(t->c, tag, "unterminated tag: found '{%%' "
			      "without '%%}'");
	if (*s == '-')
		s++;
	t->trim_next = e > s && e[-1] == '-';
	tw->tag = tag;
	tw->end = t->trim_next ? e - 1 : e;
	tw->w = te_skip_ws(s, tw->end);
	tw->we = tw->w;
	while (tw->we < tw->end && (isalnum((unsigned char)*tw->we) ||
				    *tw->we == '_'))
		tw->we++;
	tw->body = tw->we;
	tw->next = e + 2;
	return 0;
}

static int parse_list(struct tparse *t, const char *const *stops,
		      struct tnode **first, struct tagword *stopped)
{
	struct rctx *c = t->c;
	struct tnode **tail = first;
	int rc;

	memset(stopped, 0, sizeof *stopped);
	*first = NULL;
	for (;;) {
		const char *tag = t->p, *lit_end, *lit = t->p;
		while ((tag = strchr(tag, '{')) != NULL &&
		       tag[1] != '{' && tag[1] != '%' && tag[1] != '#')
			tag++;
		lit_end = tag ? tag : t->p + strlen(t->p);
		if (t->trim_next)
			while (lit < lit_end && is_tag_ws(*lit))
				lit++;
		if (tag && tag[2] == '-')
			while (lit_end > lit && is_tag_ws(lit_end[-1]))
				lit_end--;
		if (lit_end > lit) {
			struct tnode *n = tnode_new(t, TN_TEXT, lit);
			n->s = lit;
			n->n = (size_t)(lit_end - lit);
			*tail = n;
			tail = &n->next;
		}
		t->trim_next = 0;
		if (!tag) {
			t->p += strlen(t->p);
			return 0;
		}
		if (tag[1] == '#') {
			const char *e = strstr(tag + 2, "#}");
			if (!e)
				return TERR(c, tag, "unterminated comment: "
					      "found '{#' without '#}'");
			t->trim_next = e > tag + 2 && e[-1] == '-';
			t->p = e + 2;
		} else if (tag[1] == '{') {
			const char *s = tag + 2, *e = tag_end(tag + 2, "}}");
			struct tnode *n;
			const char *q;
			if (!e)
				return TERR(c, tag, "unterminated tag: found "
					      "'{{' without '}}'");
			if (*s == '-')
				s++;
			t->trim_next = e > s && e[-1] == '-';
			n = tnode_new(t, TN_OUT, s);
			q = te_skip_ws(s, t->trim_next ? e - 1 : e);
			if (q >= (t->trim_next ? e - 1 : e))
				return TERR(c, q, "empty expression in "
					      "'{{ }}', expected a var name");
			if ((rc = te_parse(c, t->a, &q,
					   t->trim_next ? e - 1 : e, &n->e)))
				return rc;
			if (q < (t->trim_next ? e - 1 : e)) {
				const char *qe = t->trim_next ? e - 1 : e;
				while (qe > q && is_tag_ws(qe[-1]))
					qe--;
				return TERR(c, q, "unsupported template "
					      "syntax '%.*s' in '{{ }}' (the "
					      "template subset has ==, !=, <, "
					      ">, <=, >=, and, or, not, in, "
					      "filters and var paths; "
					      "docs/suites.md)",
					      (int)(qe - q), q);
			}
			*tail = n;
			tail = &n->next;
			t->p = e + 2;
		} else {
			struct tagword tw = {0};
			struct tnode *n = NULL;
			if ((rc = read_tag(t, tag, &tw)))
				return rc;
			t->p = tw.next;
			for (const char *const *s = stops; s && *s; s++)
				if (word_is(&tw, *s)) {
					*stopped = tw;
					return 0;
				}
			if (word_is(&tw, "if") || word_is(&tw, "for")) {
				if (++t->blocks > TMPL_MAX_BLOCKS)
					return TERR(c, tag, "blocks nested "
						      "more than %d deep",
						      TMPL_MAX_BLOCKS);
				rc = word_is(&tw, "if") ? parse_if(t, &tw, &n)
							: parse_for(t, &tw, &n);
				t->blocks--;
			} else if (word_is(&tw, "set")) {
				rc = parse_set(t, &tw, &n);
			} else if (word_is(&tw, "elif") ||
				   word_is(&tw, "elseif") ||
				   word_is(&tw, "else") ||
				   word_is(&tw, "endif") ||
				   word_is(&tw, "endfor")) {
				return TERR(c, tag, "unexpected '{%% %.*s %%}' "
					      "without a matching '{%% %s "
					      "%%}'", (int)(tw.we - tw.w), tw.w,
					      word_is(&tw, "endfor") ? "for"
					      : "if");
			} else {
				return TERR(c, tag, "unsupported template tag "
					      "'{%% %.*s %%}' (%s; "
					      "docs/suites.md)",
					      (int)(tw.we - tw.w), tw.w,
					      SUPPORTED_TAGS);
			}
			if (rc)
				return rc;
			*tail = n;
			tail = &n->next;
		}
	}
}

/* ---- rendering --------------------------------------------------------------- */

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

static int exec_list(struct rctx *c, const struct tnode *n);

static int exec_out(struct rctx *c, const struct tnode *n)
{
	json_t *v = NULL;
	size_t before = c->out->len;
	int rc = te_eval(c, n->e, &v);
	if (rc)
		return rc;
	if ((c->flags & TMPL_JSON_ESCAPE) && c->in_str) {
		struct buf t = {0};
		tm_value_text(&t, v);
		buf_json_escape(c->out, buf_str(&t), t.len);
		buf_free(&t);
	} else {
		tm_value_text(c->out, v);
	}
	json_decref(v);
	return tm_charge(c, n->at, TMPL_TAG_WORK + c->out->len - before);
}

/* frame.set(name, val, resolveUp = true) */
static void set_var(struct rctx *c, const char *name, json_t *v)
{
	json_t *f = c->frames[c->nframes - 1];
	for (int i = c->nframes - 1; i >= 0; i--)
		if (json_object_get(c->frames[i], name)) {
			f = c->frames[i];
			break;
		}
	if (v)
		json_object_set_new(f, name, v);
	else
		json_object_del(f, name);
}

static json_t *loop_obj(size_t i, size_t len)
{
	return json_pack("{sIsIsIsIsbsbsI}", "index", (json_int_t)i + 1,
			 "index0", (json_int_t)i, "revindex",
			 (json_int_t)(len - i), "revindex0",
			 (json_int_t)(len - i - 1), "first", i == 0, "last",
			 i + 1 == len, "length", (json_int_t)len);
}

static int exec_for(struct rctx *c, const struct tnode *n)
{
	json_t *list = NULL, *frame;
	const char **keys = NULL;
	size_t len = 0;
	int rc, chars = 0, objwalk = 0;

	if ((rc = te_eval(c, n->e, &list)))
		return rc;
	if (c->nframes >= TMPL_MAX_FRAMES) {
		json_decref(list);
		return TERR(c, n->at, "for loops nested more than %d deep",
			      TMPL_MAX_FRAMES);
	}
	/* if (arr) { arr.length … }: falsy values, numbers, booleans and (for
	 * one loop var) mappings have no length: no iteration, the else */
	if (js_truthy(list)) {
		if (json_is_array(list)) {
			len = json_array_size(list);
		} else if (json_is_string(list)) {
			len = js_length(json_string_value(list),
					json_string_length(list));
			chars = 1;
		} else if (json_is_object(list) && n->name2[0]) {
			keys = js_keys(list, &len);
			objwalk = 1;
		}
	}
	frame = json_object();
	c->frames[c->nframes++] = frame;
	{
		const char *s = chars ? json_string_value(list) : NULL;
		size_t at = 0;
		for (size_t i = 0; i < len && !rc; i++) {
			json_t *item;
			if (chars) {
				size_t l = 1;
				while (s[at + l] && ((unsigned char)s[at + l]
						     & 0xC0) == 0x80)
					l++;
				item = json_stringn_nocheck(s + at, l);
				at += l;
				if (!s[at])
					len = i + 1;   /* code points, not units */
			} else if (objwalk) {
				item = json_string(keys[i]);
			} else {
				item = json_incref(json_array_get(list, i));
			}
			if (n->name2[0] && objwalk) {
				json_object_set_new(frame, n->name, item);
				json_object_set(frame, n->name2,
						json_object_get(list, keys[i]));
			} else if (n->name2[0]) {
				/* for a, b in [[1, 2], …]: item[0], item[1] */
				json_object_set(frame, n->name,
						json_is_array(item)
						? json_array_get(item, 0)
						: json_null());
				json_object_set(frame, n->name2,
						json_is_array(item)
						? json_array_get(item, 1)
						: json_null());
				json_decref(item);
			} else {
				json_object_set_new(frame, n->name,
						    item ? item : json_null());
			}
			json_object_set_new(frame, "loop", loop_obj(i, len));
			if (!(rc = tm_charge(c, n->at, TMPL_TAG_WORK)))
				rc = exec_list(c, n->body);
		}
	}
	c->nframes--;
	json_decref(frame);
	free(keys);
	json_decref(list);
	if (!rc && len == 0 && n->alt)
		rc = exec_list(c, n->alt);
	return rc;
}

static int exec_list(struct rctx *c, const struct tnode *n)
{
	int rc = 0;
	for (; n && !rc; n = n->next) {
		switch (n->kind) {
		case TN_TEXT:
			put_literal(c->out, n->s, n->n, &c->in_str);
			rc = tm_charge(c, n->at, n->n);
			break;
		case TN_OUT:
			rc = exec_out(c, n);
			break;
		case TN_IF: {
			json_t *v = NULL;
			c->soft++;
			rc = te_eval(c, n->e, &v);
			c->soft--;
			if (!rc)
				rc = tm_charge(c, n->at, TMPL_TAG_WORK);
			if (!rc)
				rc = exec_list(c, js_truthy(v) ? n->body
							       : n->alt);
			json_decref(v);
			break;
		}
		case TN_FOR:
			rc = exec_for(c, n);
			break;
		case TN_SET: {
			json_t *v = NULL;
			if (!(rc = te_eval(c, n->e, &v)))
				set_var(c, n->name, v);
			if (!rc)
				rc = tm_charge(c, n->at, TMPL_TAG_WORK);
			break;
		}
		}
	}
	return rc;
}

/* Parsed templates kept for the next render of the same text.  A suite
 * renders each prompt and assertion value once per test at load (and per
 * result in the run), and parsing the same text again was a tenth of
 * `assay validate` on a 20,000-case file.  An entry's tree points into
 * its own copy of the text, so the caller's buffer may go; an entry in use
 * (a nested render runs inside its walk) is never replaced.  Only the
 * process's main thread uses it (a render on another thread parses as
 * before), and only successful parses of short texts are kept. */
#define PCACHE 8
#define PCACHE_LEN 16384

struct pentry {
	char *text;
	size_t len;
	struct tarena a;
	struct tnode *root;
	int busy;
	unsigned long long used;
};

static struct pentry pcache[PCACHE];
static unsigned long long ptick;

/* Asked once per thread (two system calls per render were ~6% of
 * `assay validate` of 20,000 tests).  A child forked by a thread keeps
 * that thread's answer: true only if it was the main thread, which is
 * then the child's main thread too. */
static bool main_thread(void)
{
	static _Thread_local int is_main = -1;
	if (is_main < 0)
		is_main = gettid() == getpid();
	return is_main == 1;
}

static struct pentry *pcache_find(const char *tmpl, size_t len)
{
	for (int i = 0; i < PCACHE; i++)
		if (pcache[i].text && pcache[i].len == len &&
		    !memcmp(pcache[i].text, tmpl, len))
			return &pcache[i];
	return NULL;
}

/* A free entry, or the least recently used one not in use (emptied);
 * NULL when every entry is in use. */
static struct pentry *pcache_slot(void)
{
	struct pentry *best = NULL;
	for (int i = 0; i < PCACHE; i++) {
		struct pentry *e = &pcache[i];
		if (e->busy)
			continue;
		if (!e->text)
			return e;
		if (!best || e->used < best->used)
			best = e;
	}
	if (best) {
		ta_free(&best->a);
		free(best->text);
		memset(best, 0, sizeof *best);
	}
	return best;
}

/* Parses and runs `tmpl` in context c (frames already set up). */
static int render(struct rctx *c, const char *tmpl, struct buf *out)
{
	struct tarena a = {0};
	struct tparse t = { .c = c, .a = &a, .p = tmpl };
	struct tnode *root = NULL;
	struct tagword stopped;
	struct buf *saved = c->out;
	size_t len = strlen(tmpl);
	bool cache = len <= PCACHE_LEN && main_thread();
	struct pentry *e = cache ? pcache_find(tmpl, len) : NULL;
	int rc;

	c->out = out;
	if (e) {
		c->tmpl = e->text;    /* positions point into the copy */
		e->used = ++ptick;
		e->busy++;
		rc = exec_list(c, e->root);
		e->busy--;
		c->out = saved;
		return rc ? ST_INPUT : 0;
	}
	if (cache && (e = pcache_slot())) {
		e->text = xstrndup(tmpl, len);
		e->len = len;
		t.p = e->text;
		t.a = &e->a;
		c->tmpl = e->text;
		rc = parse_list(&t, NULL, &root, &stopped);
		if (rc) {         /* not kept: a syntax error is reported */
			ta_free(&e->a);
			free(e->text);
			memset(e, 0, sizeof *e);
			c->out = saved;
			return ST_INPUT;
		}
		e->root = root;
		e->used = ++ptick;
		e->busy++;
		rc = exec_list(c, root);
		e->busy--;
		c->out = saved;
		return rc ? ST_INPUT : 0;
	}
	c->tmpl = tmpl;
	rc = parse_list(&t, NULL, &root, &stopped);
	if (!rc)
		rc = exec_list(c, root);
	c->out = saved;
	ta_free(&a);
	return rc ? ST_INPUT : 0;
}

int tm_render_nested(struct rctx *c, const struct texpr *e, json_t **v)
{
	struct buf nb = {0};
	struct rctx sub = *c;
	char name[128];
	int rc;

	snprintf(name, sizeof name, "%.*s", (int)(e->end - e->at), e->at);
	if (c->depth + 1 > TMPL_MAX_DEPTH) {
		json_decref(*v);
		*v = NULL;
		return TERR(c, e->at, "vars nested more than %d levels deep "
			      "(does var '%s' refer to itself?)",
			      TMPL_MAX_DEPTH, name);
	}
	if (!sub.top_at) {
		sub.top_at = e->at;
		sub.top = c->tmpl;
		sub.nest_var = name;
	}
	sub.flags &= ~TMPL_JSON_ESCAPE;
	sub.depth = c->depth + 1;
	sub.soft = 0;
	sub.in_str = 0;
	sub.frames[0] = json_object();
	sub.nframes = 1;
	rc = render(&sub, json_string_value(*v), &nb);
	json_decref(sub.frames[0]);
	json_decref(*v);
	*v = NULL;
	if (rc) {
		buf_free(&nb);
		return rc;
	}
	*v = json_stringn_nocheck(buf_str(&nb), nb.len);
	buf_free(&nb);
	return 0;
}

static char *render_top(const char *tmpl, const json_t *vars, int flags,
			const char *const *raw, const struct loc *loc,
			struct err *err, char *missing, size_t n)
{
	struct buf out = {0};
	size_t work = 0;
	int rc;
	struct rctx c = {
		.vars = vars, .flags = flags, .loc = loc, .err = err,
		.missing = missing, .n_missing = n, .work = &work, .raw = raw,
	};
	if (missing && n)
		missing[0] = '\0';
	if (!tmpl)
		tmpl = "";
	c.top = tmpl;
	c.frames[0] = json_object();
	c.nframes = 1;
	rc = render(&c, tmpl, &out);
	json_decref(c.frames[0]);
	if (rc) {
		buf_free(&out);
		return NULL;
	}
	return buf_detach(&out);
}

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

char *tmpl_render(const char *tmpl, const json_t *vars, int flags,
		  const struct loc *loc, struct err *err)
{
	return tmpl_render_ex(tmpl, vars, flags, loc, err, NULL, 0);
}
