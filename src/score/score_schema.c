/* score_schema.c — a JSON Schema validator for is-json / contains-json:
 * the core and validation vocabularies of draft 2020-12 that suites use.
 *
 * No Debian package ships a C JSON Schema validator, so this is one file
 * over jansson and PCRE2.  Supported keywords: type, enum, const,
 * properties, patternProperties, additionalProperties, required,
 * propertyNames, minProperties, maxProperties, dependentRequired, items,
 * prefixItems (and draft-07's array form of items with additionalItems),
 * contains, minItems, maxItems, uniqueItems, minimum, maximum,
 * exclusiveMinimum, exclusiveMaximum, multipleOf, minLength, maxLength
 * (Unicode code points), pattern (PCRE2, unanchored), allOf, anyOf, oneOf,
 * not, if/then/else, $ref to a JSON pointer inside the same document ("#",
 * "#/$defs/x", "#/definitions/x", "#/properties/a/items"), $defs and
 * definitions.  Annotations (title, description, format, default, …) are
 * ignored, as 2020-12 does by default; unevaluatedProperties and
 * unevaluatedItems, $dynamicRef and remote $refs are refused at load.
 *
 * "Compiling" checks every keyword's shape once (a wrong shape is a load
 * error naming its JSON pointer, e.g. "/properties/age/minimum: must be a
 * number") and every $ref's target; validation then walks the schema
 * document directly.  $ref chains nested deeper than 256 fail validation
 * (a cycle such as {"$ref": "#"} cannot loop forever).  Validation stops
 * at the first error and reports the instance path. */
#include "score_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/buf.h"
#include "../util/xalloc.h"

#define REF_DEPTH_MAX 256

struct score_schema {
	json_t *root;    /* owned deep copy */
};

/* ---- JSON pointers ----------------------------------------------------- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Resolves "#..." (a URI fragment holding a JSON pointer) in root.
 * Returns the target or NULL. */
static const json_t *resolve_ref(const json_t *root, const char *ref)
{
	const json_t *cur = root;
	const char *p;
	if (ref[0] != '#')
		return NULL;
	p = ref + 1;
	if (!*p)
		return root;
	if (*p != '/')
		return NULL;   /* "#anchor" names are not supported */
	while (*p == '/') {
		char seg[512];
		size_t n = 0;
		p++;
		while (*p && *p != '/') {
			char c = *p++;
			if (c == '~' && (*p == '0' || *p == '1')) {
				c = *p++ == '0' ? '~' : '/';
			} else if (c == '%' && hexval(p[0]) >= 0 &&
				   hexval(p[1]) >= 0) {
				c = (char)(hexval(p[0]) * 16 + hexval(p[1]));
				p += 2;
			}
			if (n + 1 >= sizeof seg)
				return NULL;
			seg[n++] = c;
		}
		seg[n] = '\0';
		if (json_is_object(cur)) {
			cur = json_object_get(cur, seg);
		} else if (json_is_array(cur)) {
			char *end;
			unsigned long i = strtoul(seg, &end, 10);
			if (!n || *end || (seg[0] == '0' && n > 1))
				return NULL;
			cur = json_array_get(cur, i);
		} else {
			return NULL;
		}
		if (!cur)
			return NULL;
	}
	return cur;
}

/* Appends one JSON pointer segment (escaped) to b. */
static void ptr_push(struct buf *b, const char *seg)
{
	buf_putc(b, '/');
	for (; *seg; seg++) {
		if (*seg == '~')
			buf_puts(b, "~0");
		else if (*seg == '/')
			buf_puts(b, "~1");
		else
			buf_putc(b, *seg);
	}
}

static void ptr_push_idx(struct buf *b, size_t i)
{
	buf_printf(b, "/%zu", i);
}

static void ptr_pop(struct buf *b, size_t len)
{
	b->len = len;
	if (b->p)
		b->p[len] = '\0';
}

/* ---- compile (shape checks) -------------------------------------------- */

struct cctx {
	const json_t *root;
	struct buf path;      /* pointer of the schema being checked */
	char *msg;
	size_t msgn;
	int depth;
};

static int cfail(struct cctx *c, const char *kw, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int cfail(struct cctx *c, const char *kw, const char *fmt, ...)
{
	char m[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m, sizeof m, fmt, ap);
	va_end(ap);
	snprintf(c->msg, c->msgn, "invalid JSON Schema at %s/%s: %s",
		 buf_str(&c->path), kw, m);
	return -1;
}

static int check_schema(struct cctx *c, const json_t *s);

static int check_sub(struct cctx *c, const char *kw, const char *key,
		     const json_t *s)
{
	size_t mark = c->path.len;
	int rc;
	ptr_push(&c->path, kw);
	if (key)
		ptr_push(&c->path, key);
	rc = check_schema(c, s);
	ptr_pop(&c->path, mark);
	return rc;
}

static int check_sub_idx(struct cctx *c, const char *kw, size_t i,
			 const json_t *s)
{
	size_t mark = c->path.len;
	int rc;
	ptr_push(&c->path, kw);
	ptr_push_idx(&c->path, i);
	rc = check_schema(c, s);
	ptr_pop(&c->path, mark);
	return rc;
}

static bool is_type_name(const char *t)
{
	static const char *const names[] = { "null", "boolean", "object",
		"array", "number", "string", "integer" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (!strcmp(t, names[i]))
			return true;
	return false;
}

static bool is_nonneg_int(const json_t *v)
{
	double d;
	if (!json_is_number(v))
		return false;
	d = json_number_value(v);
	return d >= 0 && d == floor(d) && isfinite(d);
}

/* Keywords whose value is one schema. */
static const char *const one_schema_kw[] = {
	"additionalProperties", "propertyNames", "contains", "not", "if",
	"then", "else", "additionalItems",
};
/* Keywords whose value is an object of schemas. */
static const char *const map_schema_kw[] = {
	"properties", "patternProperties", "$defs", "definitions",
	"dependentSchemas",
};
/* Keywords whose value is a non-empty list of schemas. */
static const char *const list_schema_kw[] = {
	"allOf", "anyOf", "oneOf", "prefixItems",
};
static const char *const count_kw[] = {
	"minLength", "maxLength", "minItems", "maxItems", "minProperties",
	"maxProperties", "minContains", "maxContains",
};
static const char *const number_kw[] = {
	"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
};
static const char *const refused_kw[] = {
	"unevaluatedProperties", "unevaluatedItems", "$dynamicRef",
	"$recursiveRef",
};

#define NELEM(a) (sizeof (a) / sizeof (a)[0])

static bool in_list(const char *k, const char *const *l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(k, l[i]))
			return true;
	return false;
}

static int check_keyword(struct cctx *c, const char *k, const json_t *v)
{
	if (in_list(k, refused_kw, NELEM(refused_kw)))
		return cfail(c, k, "this keyword is not supported");
	if (in_list(k, one_schema_kw, NELEM(one_schema_kw)))
		return check_sub(c, k, NULL, v);
	if (in_list(k, map_schema_kw, NELEM(map_schema_kw))) {
		const char *key;
		json_t *s;
		if (!json_is_object(v))
			return cfail(c, k, "must be an object of schemas");
		json_object_foreach((json_t *)v, key, s) {
			if (!strcmp(k, "patternProperties")) {
				struct err e = {0};
				if (!score_re_get(key, strlen(key), 0, &e))
					return cfail(c, k, "invalid pattern "
						     "\"%s\": %s", key, e.msg);
			}
			if (check_sub(c, k, key, s))
				return -1;
		}
		return 0;
	}
	if (in_list(k, list_schema_kw, NELEM(list_schema_kw))) {
		if (!json_is_array(v) || json_array_size(v) == 0)
			return cfail(c, k, "must be a non-empty list of schemas");
		for (size_t i = 0; i < json_array_size(v); i++)
			if (check_sub_idx(c, k, i, json_array_get(v, i)))
				return -1;
		return 0;
	}
	if (in_list(k, count_kw, NELEM(count_kw))) {
		if (!is_nonneg_int(v))
			return cfail(c, k, "must be a non-negative integer");
		return 0;
	}
	if (in_list(k, number_kw, NELEM(number_kw))) {
		if (!json_is_number(v))
			return cfail(c, k, "must be a number%s",
				     json_is_boolean(v)
				     ? " (the boolean form is draft-04; in "
				       "2020-12 write the bound itself)" : "");
		return 0;
	}
	if (!strcmp(k, "items")) {
		if (json_is_array(v)) {   /* draft-07 tuple form */
			for (size_t i = 0; i < json_array_size(v); i++)
				if (check_sub_idx(c, k, i, json_array_get(v, i)))
					return -1;
			return 0;
		}
		return check_sub(c, k, NULL, v);
	}
	if (!strcmp(k, "type")) {
		if (json_is_string(v)) {
			if (!is_type_name(json_string_value(v)))
				return cfail(c, k, "unknown type \"%s\" "
					     "(expected null, boolean, object, "
					     "array, number, string or integer)",
					     json_string_value(v));
			return 0;
		}
		if (json_is_array(v) && json_array_size(v) > 0) {
			for (size_t i = 0; i < json_array_size(v); i++) {
				const json_t *t = json_array_get(v, i);
				if (!json_is_string(t) ||
				    !is_type_name(json_string_value(t)))
					return cfail(c, k, "item %zu is not a "
						     "type name", i);
			}
			return 0;
		}
		return cfail(c, k, "must be a type name or a list of them");
	}
	if (!strcmp(k, "required")) {
		if (!json_is_array(v))
			return cfail(c, k, "must be a list of property names");
		for (size_t i = 0; i < json_array_size(v); i++)
			if (!json_is_string(json_array_get(v, i)))
				return cfail(c, k, "item %zu is not a string", i);
		return 0;
	}
	if (!strcmp(k, "dependentRequired")) {
		const char *key;
		json_t *l;
		if (!json_is_object(v))
			return cfail(c, k, "must be an object of name lists");
		json_object_foreach((json_t *)v, key, l) {
			if (!json_is_array(l))
				return cfail(c, k, "'%s' must be a list", key);
			for (size_t i = 0; i < json_array_size(l); i++)
				if (!json_is_string(json_array_get(l, i)))
					return cfail(c, k, "'%s' must list "
						     "strings", key);
		}
		return 0;
	}
	if (!strcmp(k, "enum")) {
		if (!json_is_array(v))
			return cfail(c, k, "must be a list");
		return 0;
	}
	if (!strcmp(k, "uniqueItems")) {
		if (!json_is_boolean(v))
			return cfail(c, k, "must be true or false");
		return 0;
	}
	if (!strcmp(k, "multipleOf")) {
		if (!json_is_number(v) || json_number_value(v) <= 0)
			return cfail(c, k, "must be a number > 0");
		return 0;
	}
	if (!strcmp(k, "pattern")) {
		struct err e = {0};
		if (!json_is_string(v))
			return cfail(c, k, "must be a string");
		if (!score_re_get(json_string_value(v), json_string_length(v),
				  0, &e))
			return cfail(c, k, "invalid regular expression: %s",
				     e.msg);
		return 0;
	}
	if (!strcmp(k, "$ref")) {
		if (!json_is_string(v))
			return cfail(c, k, "must be a string");
		if (json_string_value(v)[0] != '#')
			return cfail(c, k, "\"%s\": only references inside "
				     "the schema (#/...) are supported",
				     json_string_value(v));
		if (!resolve_ref(c->root, json_string_value(v)))
			return cfail(c, k, "\"%s\" does not point into the "
				     "schema", json_string_value(v));
		return 0;
	}
	return 0;   /* annotations and unknown keywords are ignored */
}

static int check_schema(struct cctx *c, const json_t *s)
{
	const char *k;
	json_t *v;
	int rc = 0;
	if (json_is_boolean(s))
		return 0;
	if (!json_is_object(s)) {
		snprintf(c->msg, c->msgn, "invalid JSON Schema at %s: a schema "
			 "must be an object or true/false",
			 c->path.len ? buf_str(&c->path) : "(root)");
		return -1;
	}
	if (++c->depth > 256) {
		snprintf(c->msg, c->msgn, "JSON Schema nested too deeply");
		return -1;
	}
	json_object_foreach((json_t *)s, k, v) {
		if ((rc = check_keyword(c, k, v)))
			break;
	}
	c->depth--;
	return rc;
}

struct score_schema *score_schema_compile(const json_t *schema, char *msg,
					  size_t msgn)
{
	struct cctx c;
	struct score_schema *s;
	memset(&c, 0, sizeof c);
	c.root = schema;
	c.msg = msg;
	c.msgn = msgn;
	if (check_schema(&c, schema)) {
		buf_free(&c.path);
		return NULL;
	}
	buf_free(&c.path);
	s = xmalloc(sizeof *s);
	s->root = json_deep_copy(schema);
	return s;
}

void score_schema_free(struct score_schema *s)
{
	if (!s)
		return;
	json_decref(s->root);
	free(s);
}

/* ---- validation -------------------------------------------------------- */

struct vctx {
	const json_t *root;
	struct buf path;      /* instance pointer */
	int quiet;            /* > 0 inside anyOf/oneOf/not/if: no message */
	int refs;
	char *msg;
	size_t msgn;
	bool has_msg;
};

static bool vfail(struct vctx *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static bool vfail(struct vctx *v, const char *fmt, ...)
{
	char m[512];
	va_list ap;
	if (v->quiet || v->has_msg)
		return false;
	va_start(ap, fmt);
	vsnprintf(m, sizeof m, fmt, ap);
	va_end(ap);
	snprintf(v->msg, v->msgn, "%s: %s",
		 v->path.len ? buf_str(&v->path) : "(root)", m);
	v->has_msg = true;
	return false;
}

static const char *type_of(const json_t *x)
{
	switch (json_typeof(x)) {
	case JSON_OBJECT: return "object";
	case JSON_ARRAY: return "array";
	case JSON_STRING: return "string";
	case JSON_INTEGER:
	case JSON_REAL: return "number";
	case JSON_TRUE:
	case JSON_FALSE: return "boolean";
	default: return "null";
	}
}

static bool has_type(const json_t *x, const char *t)
{
	if (!strcmp(t, "integer")) {
		double d;
		if (!json_is_number(x))
			return false;
		d = json_number_value(x);
		return isfinite(d) && d == floor(d);
	}
	return !strcmp(t, type_of(x));
}

static bool validate(struct vctx *v, const json_t *s, const json_t *x);

/* Validates without recording a message (for anyOf, oneOf, not, if). */
static bool quietly(struct vctx *v, const json_t *s, const json_t *x)
{
	bool ok;
	v->quiet++;
	ok = validate(v, s, x);
	v->quiet--;
	return ok;
}

static bool at_key(struct vctx *v, const json_t *s, const json_t *x,
		   const char *key)
{
	size_t mark = v->path.len;
	bool ok;
	ptr_push(&v->path, key);
	ok = validate(v, s, x);
	ptr_pop(&v->path, mark);
	return ok;
}

static bool at_idx(struct vctx *v, const json_t *s, const json_t *x,
		   size_t i)
{
	size_t mark = v->path.len;
	bool ok;
	ptr_push_idx(&v->path, i);
	ok = validate(v, s, x);
	ptr_pop(&v->path, mark);
	return ok;
}

static void show_value(const json_t *x, char *out, size_t n)
{
	char *d = json_dumps(x, JSON_ENCODE_ANY | JSON_COMPACT);
	if (d && strlen(d) > 60)
		snprintf(out, n, "%.57s...", d);
	else
		snprintf(out, n, "%s", d ? d : "?");
	free(d);
}

static bool v_object(struct vctx *v, const json_t *s, const json_t *x)
{
	const json_t *props = json_object_get(s, "properties");
	const json_t *pats = json_object_get(s, "patternProperties");
	const json_t *addl = json_object_get(s, "additionalProperties");
	const json_t *names = json_object_get(s, "propertyNames");
	const json_t *req = json_object_get(s, "required");
	const json_t *dep = json_object_get(s, "dependentRequired");
	const json_t *t;
	const char *k;
	json_t *val;
	size_t n = json_object_size(x);

	if ((t = json_object_get(s, "minProperties")) &&
	    (double)n < json_number_value(t))
		return vfail(v, "expected at least %g properties, found %zu",
			     json_number_value(t), n);
	if ((t = json_object_get(s, "maxProperties")) &&
	    (double)n > json_number_value(t))
		return vfail(v, "expected at most %g properties, found %zu",
			     json_number_value(t), n);
	for (size_t i = 0; req && i < json_array_size(req); i++) {
		const char *r = json_string_value(json_array_get(req, i));
		if (!json_object_get(x, r))
			return vfail(v, "missing required property \"%s\"", r);
	}
	if (dep) {
		json_t *l;
		json_object_foreach((json_t *)dep, k, l) {
			if (!json_object_get(x, k))
				continue;
			for (size_t i = 0; i < json_array_size(l); i++) {
				const char *r = json_string_value(
					json_array_get(l, i));
				if (!json_object_get(x, r))
					return vfail(v, "property \"%s\" "
						     "requires \"%s\"", k, r);
			}
		}
	}
	json_object_foreach((json_t *)x, k, val) {
		const json_t *ps = props ? json_object_get(props, k) : NULL;
		bool matched = ps != NULL;
		if (names) {
			json_t *ks = json_string(k);
			bool ok = quietly(v, names, ks);
			json_decref(ks);
			if (!ok)
				return vfail(v, "property name \"%s\" does not "
					     "match propertyNames", k);
		}
		if (ps && !at_key(v, ps, val, k))
			return false;
		if (pats) {
			const char *pk;
			json_t *psch;
			json_object_foreach((json_t *)pats, pk, psch) {
				struct err e = {0};
				const struct score_re *re =
					score_re_get(pk, strlen(pk), 0, &e);
				if (re && score_re_match(re, k, strlen(k), NULL,
							 0) == 1) {
					matched = true;
					if (!at_key(v, psch, val, k))
						return false;
				}
			}
		}
		if (!matched && addl) {
			if (json_is_false(addl)) {
				size_t mark = v->path.len;
				ptr_push(&v->path, k);
				vfail(v, "property is not allowed "
				      "(additionalProperties is false)");
				ptr_pop(&v->path, mark);
				return false;
			}
			if (!at_key(v, addl, val, k))
				return false;
		}
	}
	return true;
}

static bool v_array(struct vctx *v, const json_t *s, const json_t *x)
{
	const json_t *prefix = json_object_get(s, "prefixItems");
	const json_t *items = json_object_get(s, "items");
	const json_t *rest = NULL, *t;
	size_t n = json_array_size(x), np = 0;

	if ((t = json_object_get(s, "minItems")) &&
	    (double)n < json_number_value(t))
		return vfail(v, "expected at least %g items, found %zu",
			     json_number_value(t), n);
	if ((t = json_object_get(s, "maxItems")) &&
	    (double)n > json_number_value(t))
		return vfail(v, "expected at most %g items, found %zu",
			     json_number_value(t), n);
	if (json_is_array(items)) {          /* draft-07 tuple */
		prefix = items;
		rest = json_object_get(s, "additionalItems");
	} else {
		rest = items;
	}
	np = prefix ? json_array_size(prefix) : 0;
	for (size_t i = 0; i < n; i++) {
		const json_t *is = i < np ? json_array_get(prefix, i) : rest;
		if (!is)
			continue;
		if (json_is_false(is)) {
			size_t mark = v->path.len;
			ptr_push_idx(&v->path, i);
			vfail(v, "no item allowed here (the list has %zu "
			      "allowed items)", np);
			ptr_pop(&v->path, mark);
			return false;
		}
		if (!at_idx(v, is, json_array_get(x, i), i))
			return false;
	}
	if ((t = json_object_get(s, "contains"))) {
		const json_t *mn = json_object_get(s, "minContains");
		const json_t *mx = json_object_get(s, "maxContains");
		size_t hits = 0;
		double lo = mn ? json_number_value(mn) : 1;
		for (size_t i = 0; i < n; i++)
			if (quietly(v, t, json_array_get(x, i)))
				hits++;
		if ((double)hits < lo)
			return vfail(v, "expected at least %g items matching "
				     "contains, found %zu", lo, hits);
		if (mx && (double)hits > json_number_value(mx))
			return vfail(v, "expected at most %g items matching "
				     "contains, found %zu",
				     json_number_value(mx), hits);
	}
	if (json_is_true(json_object_get(s, "uniqueItems"))) {
		for (size_t i = 0; i < n; i++)
			for (size_t j = i + 1; j < n; j++)
				if (score_json_equal(json_array_get(x, i),
						     json_array_get(x, j)))
					return vfail(v, "items %zu and %zu are "
						     "equal (uniqueItems)", i, j);
	}
	return true;
}

static bool v_number(struct vctx *v, const json_t *s, const json_t *x)
{
	double d = json_number_value(x);
	const json_t *t;
	if ((t = json_object_get(s, "minimum")) && d < json_number_value(t))
		return vfail(v, "expected a number >= %g, found %g",
			     json_number_value(t), d);
	if ((t = json_object_get(s, "maximum")) && d > json_number_value(t))
		return vfail(v, "expected a number <= %g, found %g",
			     json_number_value(t), d);
	if ((t = json_object_get(s, "exclusiveMinimum")) &&
	    d <= json_number_value(t))
		return vfail(v, "expected a number > %g, found %g",
			     json_number_value(t), d);
	if ((t = json_object_get(s, "exclusiveMaximum")) &&
	    d >= json_number_value(t))
		return vfail(v, "expected a number < %g, found %g",
			     json_number_value(t), d);
	if ((t = json_object_get(s, "multipleOf"))) {
		double m = json_number_value(t), q = d / m;
		if (fabs(q - nearbyint(q)) > 1e-9 * fmax(1.0, fabs(q)))
			return vfail(v, "expected a multiple of %g, found %g",
				     m, d);
	}
	return true;
}

static bool v_string(struct vctx *v, const json_t *s, const json_t *x)
{
	const json_t *t;
	size_t n = 0;
	bool counted = false;
	if ((t = json_object_get(s, "minLength"))) {
		n = score_utf8_count(json_string_value(x), json_string_length(x));
		counted = true;
		if ((double)n < json_number_value(t))
			return vfail(v, "expected at least %g characters, "
				     "found %zu", json_number_value(t), n);
	}
	if ((t = json_object_get(s, "maxLength"))) {
		if (!counted)
			n = score_utf8_count(json_string_value(x),
					     json_string_length(x));
		if ((double)n > json_number_value(t))
			return vfail(v, "expected at most %g characters, "
				     "found %zu", json_number_value(t), n);
	}
	if ((t = json_object_get(s, "pattern"))) {
		struct err e = {0};
		const struct score_re *re = score_re_get(json_string_value(t),
							 json_string_length(t),
							 0, &e);
		if (!re || score_re_match(re, json_string_value(x),
					  json_string_length(x), NULL, 0) != 1)
			return vfail(v, "string does not match pattern \"%s\"",
				     json_string_value(t));
	}
	return true;
}

static bool validate(struct vctx *v, const json_t *s, const json_t *x)
{
	const json_t *t;
	if (json_is_true(s))
		return true;
	if (json_is_false(s))
		return vfail(v, "no value is allowed here (schema false)");
	if ((t = json_object_get(s, "$ref"))) {
		const json_t *target = resolve_ref(v->root,
						   json_string_value(t));
		bool ok;
		if (!target)
			return vfail(v, "unresolvable $ref \"%s\"",
				     json_string_value(t));
		if (++v->refs > REF_DEPTH_MAX) {
			v->refs--;
			return vfail(v, "$ref nesting deeper than %d (a $ref "
				     "cycle?)", REF_DEPTH_MAX);
		}
		ok = validate(v, target, x);
		v->refs--;
		if (!ok)
			return false;
	}
	if ((t = json_object_get(s, "type"))) {
		bool ok = false;
		struct buf want = {0};
		if (json_is_string(t)) {
			ok = has_type(x, json_string_value(t));
			buf_puts(&want, json_string_value(t));
		} else {
			for (size_t i = 0; i < json_array_size(t); i++) {
				const char *tn = json_string_value(
					json_array_get(t, i));
				ok = ok || has_type(x, tn);
				buf_printf(&want, "%s%s", i ? " or " : "", tn);
			}
		}
		if (!ok) {
			vfail(v, "expected %s, found %s", buf_str(&want),
			      type_of(x));
			buf_free(&want);
			return false;
		}
		buf_free(&want);
	}
	if ((t = json_object_get(s, "const")) && !score_json_equal(t, x)) {
		char a[80];
		show_value(t, a, sizeof a);
		return vfail(v, "expected the constant %s", a);
	}
	if ((t = json_object_get(s, "enum"))) {
		bool ok = false;
		for (size_t i = 0; !ok && i < json_array_size(t); i++)
			ok = score_json_equal(json_array_get(t, i), x);
		if (!ok) {
			char a[80], b[80];
			show_value(t, a, sizeof a);
			show_value(x, b, sizeof b);
			return vfail(v, "expected one of %s, found %s", a, b);
		}
	}
	if (json_is_object(x) && !v_object(v, s, x))
		return false;
	if (json_is_array(x) && !v_array(v, s, x))
		return false;
	if (json_is_number(x) && !v_number(v, s, x))
		return false;
	if (json_is_string(x) && !v_string(v, s, x))
		return false;
	if ((t = json_object_get(s, "allOf"))) {
		for (size_t i = 0; i < json_array_size(t); i++)
			if (!validate(v, json_array_get(t, i), x))
				return false;
	}
	if ((t = json_object_get(s, "anyOf"))) {
		bool ok = false;
		for (size_t i = 0; !ok && i < json_array_size(t); i++)
			ok = quietly(v, json_array_get(t, i), x);
		if (!ok)
			return vfail(v, "does not match any schema in anyOf");
	}
	if ((t = json_object_get(s, "oneOf"))) {
		size_t hits = 0;
		for (size_t i = 0; i < json_array_size(t); i++)
			if (quietly(v, json_array_get(t, i), x))
				hits++;
		if (hits != 1)
			return vfail(v, "matches %zu schemas in oneOf, expected "
				     "exactly 1", hits);
	}
	if ((t = json_object_get(s, "not")) && quietly(v, t, x))
		return vfail(v, "must not match the schema in \"not\"");
	if ((t = json_object_get(s, "if"))) {
		const json_t *branch = quietly(v, t, x)
					       ? json_object_get(s, "then")
					       : json_object_get(s, "else");
		if (branch && !validate(v, branch, x))
			return false;
	}
	if ((t = json_object_get(s, "dependentSchemas")) && json_is_object(x)) {
		const char *k;
		json_t *ds;
		json_object_foreach((json_t *)t, k, ds) {
			if (json_object_get(x, k) && !validate(v, ds, x))
				return false;
		}
	}
	return true;
}

bool score_schema_validate(const struct score_schema *s, const json_t *x,
			   char *msg, size_t msgn)
{
	struct vctx v;
	bool ok;
	memset(&v, 0, sizeof v);
	v.root = s->root;
	v.msg = msg;
	v.msgn = msgn;
	if (msgn)
		msg[0] = '\0';
	ok = validate(&v, s->root, x);
	if (!ok && !v.has_msg)
		snprintf(msg, msgn, "(root): does not match the schema");
	buf_free(&v.path);
	return ok;
}
