/* template_value.c — JavaScript's text forms of values and the filters of
 * the template subset, each as Nunjucks defines it (nunjucks/src/
 * filters.js, read for the rules; promptfoo adds `load`).
 *
 * Nunjucks runs its filters as JavaScript functions, so their behaviour on
 * odd inputs is JavaScript's: `join` writes elements with String() (null
 * and undefined as ""), `dump` is JSON.stringify with its number forms and
 * key order, `length` counts UTF-16 code units of a string and the keys of
 * an object, `default` replaces only undefined unless its second argument
 * is true.  Where the JavaScript would throw (a filter given a value that
 * lacks the method it calls: `{{ 3 | upper }}`), the render fails with a
 * message naming the filter and what it expected.
 *
 * Case mapping uses the C library's towupper/towlower in C.UTF-8 (one code
 * point to one code point); JavaScript's special cases (ß → SS) differ.
 */
#include "template_int.h"
#include "template.h"
#include "../util/json_limit.h"
#include "../util/limits.h"
#include "../util/xalloc.h"

#include <ctype.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

/* ---- UTF-8 ------------------------------------------------------------------ */

/* Decodes one code point at s (n bytes left); *len gets its size.  Invalid
 * bytes are read as one code point each (U+FFFD). */
static unsigned utf8_cp(const unsigned char *s, size_t n, size_t *len)
{
	unsigned cp;
	size_t l, i;
	if (s[0] < 0x80) {
		*len = 1;
		return s[0];
	}
	l = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC0 ? 2 : 0;
	if (!l || l > n) {
		*len = 1;
		return 0xFFFD;
	}
	cp = s[0] & (0x3F >> (l - 1));
	for (i = 1; i < l; i++) {
		if ((s[i] & 0xC0) != 0x80) {
			*len = 1;
			return 0xFFFD;
		}
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	*len = l;
	return cp;
}

static void utf8_put(struct buf *b, unsigned cp)
{
	char t[4];
	if (cp < 0x80) {
		buf_putc(b, (char)cp);
	} else if (cp < 0x800) {
		t[0] = (char)(0xC0 | (cp >> 6));
		t[1] = (char)(0x80 | (cp & 0x3F));
		buf_append(b, t, 2);
	} else if (cp < 0x10000) {
		t[0] = (char)(0xE0 | (cp >> 12));
		t[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		t[2] = (char)(0x80 | (cp & 0x3F));
		buf_append(b, t, 3);
	} else {
		t[0] = (char)(0xF0 | (cp >> 18));
		t[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		t[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		t[3] = (char)(0x80 | (cp & 0x3F));
		buf_append(b, t, 4);
	}
}

size_t js_length(const char *s, size_t n)
{
	size_t at = 0, units = 0;
	while (at < n) {
		size_t l;
		unsigned cp = utf8_cp((const unsigned char *)s + at, n - at, &l);
		units += cp >= 0x10000 ? 2 : 1;
		at += l;
	}
	return units;
}

/* JavaScript's \s: the white space and line terminators of ECMA-262. */
static int js_space(unsigned cp)
{
	return cp == 9 || cp == 10 || cp == 11 || cp == 12 || cp == 13 ||
	       cp == 32 || cp == 0xA0 || cp == 0x1680 ||
	       (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
	       cp == 0x2029 || cp == 0x202F || cp == 0x205F ||
	       cp == 0x3000 || cp == 0xFEFF;
}

/* ---- numbers and text ---------------------------------------------------------- */

/* Number.prototype.toString(): the shortest digits that read back as d,
 * written in JavaScript's fixed or exponent form (ECMA-262 Number::toString:
 * fixed when the exponent is in [-7, 21)). */
void js_number(struct buf *b, double d)
{
	char tmp[40], digits[24];
	int prec, exp, k = 0, n;
	if (isnan(d)) {
		buf_puts(b, "NaN");
		return;
	}
	if (isinf(d)) {
		buf_puts(b, d < 0 ? "-Infinity" : "Infinity");
		return;
	}
	if (d == 0) {
		buf_putc(b, '0');
		return;
	}
	if (d < 0) {
		buf_putc(b, '-');
		d = -d;
	}
	for (prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof tmp, "%.*e", prec - 1, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	/* tmp is "D.DDDDe±XX": collect the digits and the exponent */
	for (const char *p = tmp; *p && *p != 'e'; p++)
		if (isdigit((unsigned char)*p) && k < (int)sizeof digits - 1)
			digits[k++] = *p;
	while (k > 1 && digits[k - 1] == '0')
		k--;
	digits[k] = '\0';
	{
		char *ee;
		exp = (int)strtol(strchr(tmp, 'e') + 1, &ee, 10);
	}
	n = exp + 1;    /* the decimal point sits after n digits */
	if (k <= n && n <= 21) {
		buf_append(b, digits, (size_t)k);
		for (int i = k; i < n; i++)
			buf_putc(b, '0');
	} else if (0 < n && n <= 21) {
		buf_append(b, digits, (size_t)n);
		buf_putc(b, '.');
		buf_puts(b, digits + n);
	} else if (-6 < n && n <= 0) {
		buf_puts(b, "0.");
		for (int i = 0; i < -n; i++)
			buf_putc(b, '0');
		buf_puts(b, digits);
	} else {
		buf_putc(b, digits[0]);
		if (k > 1) {
			buf_putc(b, '.');
			buf_puts(b, digits + 1);
		}
		buf_printf(b, "e%c%d", n - 1 < 0 ? '-' : '+', abs(n - 1));
	}
}

static void num_text(struct buf *b, const json_t *v)
{
	if (json_is_integer(v))
		buf_printf(b, "%lld", (long long)json_integer_value(v));
	else
		js_number(b, json_real_value(v));
}

/* An array index key ("0", "17", not "01"): JavaScript lists them first,
 * in numeric order, when it walks an object's keys. */
static int index_key(const char *k, unsigned long *out)
{
	char *e;
	unsigned long v;
	if (!isdigit((unsigned char)*k) || (k[0] == '0' && k[1]))
		return 0;
	v = strtoul(k, &e, 10);
	if (*e || v >= 4294967295UL)
		return 0;
	*out = v;
	return 1;
}

struct okey {
	const char *k;
	unsigned long idx;
	int is_idx;
	size_t pos;
};

static int okey_cmp(const void *a, const void *b)
{
	const struct okey *x = a, *y = b;
	if (x->is_idx != y->is_idx)
		return x->is_idx ? -1 : 1;
	if (x->is_idx)
		return x->idx < y->idx ? -1 : x->idx > y->idx;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* The keys of an object in JavaScript's order (OrdinaryOwnPropertyKeys):
 * array indices ascending, then the others as inserted.  Returns an owned
 * array of borrowed keys. */
const char **js_keys(const json_t *obj, size_t *n)
{
	size_t cnt = json_object_size(obj), i = 0;
	struct okey *ks = xmalloc((cnt ? cnt : 1) * sizeof *ks);
	const char **out = xmalloc((cnt ? cnt : 1) * sizeof *out);
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)obj, k, v) {
		ks[i].k = k;
		ks[i].pos = i;
		ks[i].is_idx = index_key(k, &ks[i].idx);
		i++;
	}
	qsort(ks, cnt, sizeof *ks, okey_cmp);
	for (i = 0; i < cnt; i++)
		out[i] = ks[i].k;
	free(ks);
	*n = cnt;
	return out;
}

void js_string(struct buf *b, const json_t *v)
{
	if (!v) {
		buf_puts(b, "undefined");
		return;
	}
	switch (json_typeof(v)) {
	case JSON_STRING:
		buf_append(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
	case JSON_REAL:
		num_text(b, v);
		break;
	case JSON_TRUE:
		buf_puts(b, "true");
		break;
	case JSON_FALSE:
		buf_puts(b, "false");
		break;
	case JSON_NULL:
		buf_puts(b, "null");
		break;
	case JSON_ARRAY:
		/* Array.prototype.join(","): null and undefined as "" */
		for (size_t i = 0; i < json_array_size(v); i++) {
			const json_t *it = json_array_get(v, i);
			if (i)
				buf_putc(b, ',');
			if (!json_is_null(it))
				js_string(b, it);
		}
		break;
	case JSON_OBJECT:
		buf_puts(b, "[object Object]");
		break;
	}
}

static void json_str(struct buf *b, const char *s, size_t n)
{
	buf_putc(b, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		switch (ch) {
		case '"': buf_puts(b, "\\\""); break;
		case '\\': buf_puts(b, "\\\\"); break;
		case '\b': buf_puts(b, "\\b"); break;
		case '\f': buf_puts(b, "\\f"); break;
		case '\n': buf_puts(b, "\\n"); break;
		case '\r': buf_puts(b, "\\r"); break;
		case '\t': buf_puts(b, "\\t"); break;
		default:
			if (ch < 0x20)
				buf_printf(b, "\\u%04x", ch);
			else
				buf_putc(b, (char)ch);
		}
	}
	buf_putc(b, '"');
}

static void newline(struct buf *b, const char *indent, int level)
{
	buf_putc(b, '\n');
	for (int i = 0; i < level; i++)
		buf_puts(b, indent);
}

static void json_val(struct buf *b, const json_t *v, const char *indent,
		     int level)
{
	int ind = indent && *indent;
	switch (json_typeof(v)) {
	case JSON_STRING:
		json_str(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
	case JSON_REAL:
		if (json_is_real(v) && !isfinite(json_real_value(v)))
			buf_puts(b, "null");
		else
			num_text(b, v);
		break;
	case JSON_TRUE:
		buf_puts(b, "true");
		break;
	case JSON_FALSE:
		buf_puts(b, "false");
		break;
	case JSON_NULL:
		buf_puts(b, "null");
		break;
	case JSON_ARRAY:
		if (!json_array_size(v)) {
			buf_puts(b, "[]");
			break;
		}
		buf_putc(b, '[');
		for (size_t i = 0; i < json_array_size(v); i++) {
			if (i)
				buf_putc(b, ',');
			if (ind)
				newline(b, indent, level + 1);
			json_val(b, json_array_get(v, i), indent, level + 1);
		}
		if (ind)
			newline(b, indent, level);
		buf_putc(b, ']');
		break;
	case JSON_OBJECT: {
		size_t n;
		const char **ks = js_keys(v, &n);
		if (!n) {
			buf_puts(b, "{}");
			free(ks);
			break;
		}
		buf_putc(b, '{');
		for (size_t i = 0; i < n; i++) {
			if (i)
				buf_putc(b, ',');
			if (ind)
				newline(b, indent, level + 1);
			json_str(b, ks[i], strlen(ks[i]));
			buf_puts(b, ind ? ": " : ":");
			json_val(b, json_object_get(v, ks[i]), indent,
				 level + 1);
		}
		free(ks);
		if (ind)
			newline(b, indent, level);
		buf_putc(b, '}');
		break;
	}
	}
}

bool js_json(struct buf *b, const json_t *v, const char *indent)
{
	if (!v)
		return false;    /* JSON.stringify(undefined) is undefined */
	json_val(b, v, indent, 0);
	return true;
}

void tm_value_text(struct buf *b, const json_t *v)
{
	if (!v || json_is_null(v))
		return;
	if (json_is_array(v) || json_is_object(v))
		js_json(b, v, NULL);   /* assay's rule: compact JSON */
	else
		js_string(b, v);
}

/* ---- filters ------------------------------------------------------------------- */

static json_t *str_new(const struct buf *b)
{
	return json_stringn_nocheck(buf_str(b), b->len);
}

static const char *type_name(const json_t *v)
{
	if (!v)
		return "undefined";
	switch (json_typeof(v)) {
	case JSON_STRING: return "a string";
	case JSON_INTEGER:
	case JSON_REAL: return "a number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	case JSON_NULL: return "null";
	case JSON_ARRAY: return "a list";
	default: return "a mapping";
	}
}

static int ferr(struct rctx *c, const struct texpr *e, const json_t *in,
		const char *want)
{
	return TERR(c, e->end - strlen(e->name), "filter '%s' expects %s, "
		      "got %s", e->name, want, type_name(in));
}

static int f_case(struct rctx *c, const struct texpr *e, const json_t *in,
		  json_t **out)
{
	static locale_t loc;
	struct buf b = {0};
	const unsigned char *s;
	size_t n, at = 0;
	int up = e->name[0] == 'u';

	/* normalize(str, ''): null, undefined and false become "" */
	if (!in || json_is_null(in) || json_is_false(in)) {
		*out = json_string("");
		return 0;
	}
	if (!json_is_string(in))
		return ferr(c, e, in, "a string");
	if (!loc)
		loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	s = (const unsigned char *)json_string_value(in);
	n = json_string_length(in);
	while (at < n) {
		size_t l;
		unsigned cp = utf8_cp(s + at, n - at, &l);
		if (cp < 0x80)
			cp = (unsigned)(up ? toupper((int)cp)
					   : tolower((int)cp));
		else if (loc && cp != 0xFFFD)
			cp = (unsigned)(up ? towupper_l((wint_t)cp, loc)
					   : towlower_l((wint_t)cp, loc));
		if (cp == 0xFFFD)
			buf_append(&b, s + at, l);
		else
			utf8_put(&b, cp);
		at += l;
	}
	*out = str_new(&b);
	buf_free(&b);
	return tm_charge(c, e->at, n);
}

static int f_trim(struct rctx *c, const struct texpr *e, const json_t *in,
		  json_t **out)
{
	const unsigned char *s, *t;
	size_t n, l, first = 0, last;
	if (!json_is_string(in))
		return ferr(c, e, in, "a string");
	s = (const unsigned char *)json_string_value(in);
	n = json_string_length(in);
	while (first < n && js_space(utf8_cp(s + first, n - first, &l)))
		first += l;
	last = n;
	while (last > first) {
		size_t st = last - 1;
		while (st > first && (s[st] & 0xC0) == 0x80)
			st--;
		if (!js_space(utf8_cp(s + st, last - st, &l)))
			break;
		last = st;
	}
	t = s + first;
	*out = json_stringn_nocheck((const char *)t, last - first);
	return 0;
}

static int f_length(const json_t *in, json_t **out)
{
	/* normalize(val, ''): null, undefined and false have length 0 */
	if (!in || json_is_null(in) || json_is_false(in))
		*out = json_integer(0);
	else if (json_is_object(in))
		*out = json_integer((json_int_t)json_object_size(in));
	else if (json_is_array(in))
		*out = json_integer((json_int_t)json_array_size(in));
	else if (json_is_string(in))
		*out = json_integer((json_int_t)js_length(
			json_string_value(in), json_string_length(in)));
	else
		*out = NULL;    /* (3).length is undefined */
	return 0;
}

static int f_join(struct rctx *c, const struct texpr *e, const json_t *in,
		  json_t **args, size_t nargs, json_t **out)
{
	struct buf b = {0}, del = {0};
	const json_t *attr = nargs > 1 ? args[1] : NULL;
	if (!json_is_array(in))
		return ferr(c, e, in, "a list");
	/* del = del || '' */
	if (nargs > 0 && js_truthy(args[0]))
		js_string(&del, args[0]);
	for (size_t i = 0; i < json_array_size(in); i++) {
		const json_t *it = json_array_get(in, i);
		json_t *m = NULL;
		if (i)
			buf_append(&b, buf_str(&del), del.len);
		if (attr && js_truthy(attr)) {
			struct buf k = {0};
			js_string(&k, attr);
			m = json_is_object(it)
			    ? json_incref(json_object_get(it, buf_str(&k)))
			    : NULL;
			buf_free(&k);
			it = m;
		}
		if (it && !json_is_null(it))
			js_string(&b, it);
		json_decref(m);
		if (tm_charge(c, e->at, b.len > 4096 ? 64 : 1)) {
			buf_free(&b);
			buf_free(&del);
			return ST_INPUT;
		}
	}
	*out = str_new(&b);
	buf_free(&del);
	if (tm_charge(c, e->at, b.len)) {
		buf_free(&b);
		return ST_INPUT;
	}
	buf_free(&b);
	return 0;
}

/* replace(str, old, new, maxCount), filters.js: old as a string (numbers
 * converted), an empty `old` puts `new` around every character, maxCount
 * limits the replacements. */
static int f_replace(struct rctx *c, const struct texpr *e, json_t *in,
		     json_t **args, size_t nargs, json_t **out)
{
	struct buf olds = {0}, news = {0}, b = {0}, strs = {0};
	const json_t *old = nargs > 0 ? args[0] : NULL;
	const json_t *nw = nargs > 1 ? args[1] : NULL;
	double maxc = -1;
	int rc = 0;

	if (nargs < 2)
		return TERR(c, e->end - strlen(e->name), "filter 'replace' "
			      "takes two arguments: replace(old, new)");
	if (nargs > 2 && args[2]) {
		bool isnum = json_is_integer(args[2]) || json_is_real(args[2]);
		maxc = isnum ? json_number_value(args[2]) : NAN;
	}
	if (json_is_integer(old) || json_is_real(old))
		js_string(&olds, old);
	else if (json_is_string(old))
		buf_append(&olds, json_string_value(old),
			   json_string_length(old));
	else
		goto same;
	if (json_is_integer(in) || json_is_real(in))
		js_string(&strs, in);
	else if (json_is_string(in))
		buf_append(&strs, json_string_value(in),
			   json_string_length(in));
	else
		goto same;
	js_string(&news, nw);
	if (olds.len == 0) {
		/* new_ + str.split('').join(new_) + new_ */
		const unsigned char *s = (const unsigned char *)buf_str(&strs);
		size_t at = 0, l;
		buf_append(&b, buf_str(&news), news.len);
		while (at < strs.len) {
			utf8_cp(s + at, strs.len - at, &l);
			if (at) {
				if (nw)
					buf_append(&b, buf_str(&news), news.len);
				else
					buf_putc(&b, ',');
			}
			buf_append(&b, s + at, l);
			at += l;
		}
		buf_append(&b, buf_str(&news), news.len);
	} else {
		const char *s = buf_str(&strs), *hit;
		size_t pos = 0, count = 0;
		if (maxc == 0 || !strstr(s, buf_str(&olds))) {
			buf_append(&b, s, strs.len);
		} else {
			while ((hit = strstr(s + pos, buf_str(&olds))) &&
			       (maxc == -1 || (double)count < maxc)) {
				buf_append(&b, s + pos, (size_t)(hit - s) - pos);
				buf_append(&b, buf_str(&news), news.len);
				pos = (size_t)(hit - s) + olds.len;
				count++;
				if ((rc = tm_charge(c, e->at, news.len + 1)))
					goto out;
			}
			buf_append(&b, s + pos, strs.len - pos);
		}
	}
	*out = str_new(&b);
	rc = tm_charge(c, e->at, b.len);
	goto out;
same:
	*out = json_incref(in);    /* a value it cannot search: unchanged */
out:
	buf_free(&olds);
	buf_free(&news);
	buf_free(&strs);
	buf_free(&b);
	return rc;
}

static int f_first_last(struct rctx *c, const struct texpr *e,
			const json_t *in, json_t **out)
{
	int last = e->name[0] == 'l';
	if (!in || json_is_null(in))
		return ferr(c, e, in, "a list or a string");
	if (json_is_array(in)) {
		size_t n = json_array_size(in);
		*out = n ? json_incref(json_array_get(in, last ? n - 1 : 0))
			 : NULL;
	} else if (json_is_string(in)) {
		const unsigned char *s = (const unsigned char *)
			json_string_value(in);
		size_t n = json_string_length(in), at = 0, l = 0, st = 0;
		while (at < n) {
			utf8_cp(s + at, n - at, &l);
			st = at;
			if (!last)
				break;
			at += l;
		}
		*out = n ? json_stringn_nocheck((const char *)s + st, l) : NULL;
	} else if (json_is_object(in) && !last) {
		*out = json_incref(json_object_get(in, "0"));
	} else {
		*out = NULL;    /* a number's [0] is undefined */
	}
	return 0;
}

static int f_load(struct rctx *c, const struct texpr *e, const json_t *in,
		  json_t **out)
{
	struct buf b = {0};
	json_error_t je;
	bool over = false;
	js_string(&b, in);
	*out = json_loadb_limited(buf_str(&b), b.len, JSON_DECODE_ANY |
				  JSON_ALLOW_NUL, limits_get()->template_bytes,
				  &je, &over);
	buf_free(&b);
	if (!*out)
		return TERR(c, e->end - strlen(e->name), "filter 'load': "
			      "the value is not JSON (%s)", over
			      ? "larger than the limit template_bytes"
			      : je.text);
	return tm_charge(c, e->at, b.len);
}

static int f_dump(struct rctx *c, const struct texpr *e, const json_t *in,
		  json_t **args, size_t nargs, json_t **out)
{
	char indent[11] = "";
	struct buf b = {0};
	const json_t *sp = nargs > 0 ? args[0] : NULL;
	if (json_is_integer(sp) || json_is_real(sp)) {
		/* JSON.stringify: min(10, ToIntegerOrInfinity(space)) spaces */
		double d = json_number_value(sp);
		int k = d >= 10 ? 10 : d < 1 ? 0 : (int)d;
		memset(indent, ' ', (size_t)k);
		indent[k] = '\0';
	} else if (json_is_string(sp)) {
		snprintf(indent, sizeof indent, "%s", json_string_value(sp));
	}
	if (!js_json(&b, in, indent)) {
		*out = NULL;
		return 0;
	}
	*out = str_new(&b);
	buf_free(&b);
	return tm_charge(c, e->at, json_string_length(*out));
}

bool tf_known(const char *name)
{
	static const char *const names[] = { "default", "dump", "first",
		"join", "last", "length", "load", "lower", "replace", "trim",
		"upper", NULL };
	for (const char *const *n = names; *n; n++)
		if (strcmp(*n, name) == 0)
			return true;
	return false;
}

int tf_apply(struct rctx *c, const struct texpr *e, json_t *in,
	     json_t **args, size_t nargs, json_t **out)
{
	const char *f = e->name;
	int rc = 0;

	*out = NULL;
	if (strcmp(f, "default") == 0) {
		/* default(val, def, bool): only undefined is replaced, unless
		 * bool asks for every falsy value */
		bool any = nargs > 1 && js_truthy(args[1]);
		if (any ? js_truthy(in) : in != NULL)
			*out = json_incref(in);
		else
			*out = nargs > 0 ? json_incref(args[0]) : NULL;
		goto out;
	}
	if (!in && (c->flags & TMPL_LENIENT) && strcmp(f, "length") &&
	    strcmp(f, "upper") && strcmp(f, "lower") && strcmp(f, "dump"))
		goto out;    /* checking syntax without vars: no value */
	if (strcmp(f, "dump") == 0)
		rc = f_dump(c, e, in, args, nargs, out);
	else if (strcmp(f, "upper") == 0 || strcmp(f, "lower") == 0)
		rc = f_case(c, e, in, out);
	else if (strcmp(f, "trim") == 0)
		rc = f_trim(c, e, in, out);
	else if (strcmp(f, "length") == 0)
		rc = f_length(in, out);
	else if (strcmp(f, "join") == 0)
		rc = f_join(c, e, in, args, nargs, out);
	else if (strcmp(f, "replace") == 0)
		rc = f_replace(c, e, in, args, nargs, out);
	else if (strcmp(f, "first") == 0 || strcmp(f, "last") == 0)
		rc = f_first_last(c, e, in, out);
	else if (strcmp(f, "load") == 0)
		rc = f_load(c, e, in, out);
	else
		rc = tm_err(c, e->end - strlen(f), "unsupported filter '%s' "
			    "(supported: %s)", f, TF_NAMES);
out:
	json_decref(in);
	if (rc) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}
