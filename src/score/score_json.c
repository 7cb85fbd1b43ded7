/* score_json.c — the JSON assertions (is-json, contains-json) and the JSON
 * helpers `equals` uses for object and list values.
 *
 * Output is parsed with jansson as JavaScript's JSON.parse would: any
 * value at the top level, surrounding whitespace allowed, integers read as
 * doubles so 1 and 1.0 compare equal and big integers do not overflow.
 *
 * contains-json looks for a JSON object or array anywhere in the output:
 * from each `{` or `[` it finds the matching close bracket (skipping string
 * literals; a mismatched bracket ends the candidate) and parses that span;
 * the first span that parses counts.  Pathological input ("[[[[…" over a
 * megabyte) is bounded by a budget: after scanning 16 times the output's
 * length (plus 1 MB) the search gives up and reports no JSON found.
 *
 * With a JSON Schema as the value (an object, true/false, JSON text, or
 * "file://schema.json" relative to the directory of the file the assertion
 * was written in), is-json also validates the parsed output, and
 * contains-json passes when some JSON span of the output validates.  A
 * schema is compiled once per process and cached by its text. */
#include "score_int.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/buf.h"
#include "../util/fsutil.h"
#include "../util/xalloc.h"

/* ---- helpers ----------------------------------------------------------- */

json_t *score_json_parse(const char *s, size_t len)
{
	json_error_t je;
	return json_loadb(s, len, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL |
				  JSON_ALLOW_NUL, &je);
}

bool score_json_equal(const json_t *a, const json_t *b)
{
	if (!a || !b)
		return a == b;
	if (json_is_number(a) && json_is_number(b))
		return json_number_value(a) == json_number_value(b);
	if (json_typeof(a) != json_typeof(b))
		return false;
	switch (json_typeof(a)) {
	case JSON_STRING:
		return json_string_length(a) == json_string_length(b) &&
		       memcmp(json_string_value(a), json_string_value(b),
			      json_string_length(a)) == 0;
	case JSON_ARRAY: {
		size_t n = json_array_size(a);
		if (n != json_array_size(b))
			return false;
		for (size_t i = 0; i < n; i++)
			if (!score_json_equal(json_array_get(a, i),
					      json_array_get(b, i)))
				return false;
		return true;
	}
	case JSON_OBJECT: {
		const char *k;
		json_t *v;
		if (json_object_size(a) != json_object_size(b))
			return false;
		json_object_foreach((json_t *)a, k, v) {
			if (!score_json_equal(v, json_object_get(b, k)))
				return false;
		}
		return true;
	}
	default:
		return true;   /* true, false, null: same type is equal */
	}
}

/* Index of the bracket closing s[start] ('{' or '['), or -1 when the span
 * is unbalanced, mismatched or deeper than jansson parses.  Adds the bytes
 * looked at to *work. */
static long match_close(const char *s, size_t n, size_t start, size_t *work)
{
	enum { MAX_DEPTH = 2048 };
	uint64_t kinds[MAX_DEPTH / 64] = {0};   /* bit set: '[' */
	size_t depth = 0, i;
	bool in_str = false;
	for (i = start; i < n; i++) {
		char c = s[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
			continue;
		}
		if (c == '"') {
			in_str = true;
		} else if (c == '{' || c == '[') {
			if (depth == MAX_DEPTH)
				break;
			if (c == '[')
				kinds[depth / 64] |= (uint64_t)1 << (depth % 64);
			else
				kinds[depth / 64] &= ~((uint64_t)1 << (depth % 64));
			depth++;
		} else if (c == '}' || c == ']') {
			bool sq;
			if (depth == 0)
				break;
			depth--;
			sq = (kinds[depth / 64] >> (depth % 64)) & 1;
			if (sq != (c == ']'))
				break;
			if (depth == 0) {
				*work += i - start + 1;
				return (long)i;
			}
		}
	}
	*work += (i < n ? i : n) - start + 1;
	return -1;
}

/* True when some `{…}` or `[…]` span of the output parses as JSON (and,
 * with a schema, validates; the first validation error goes to msg). */
static bool contains_json(const char *s, size_t n,
			  const struct score_schema *schema, char *msg,
			  size_t msgn, bool *found)
{
	size_t work = 0, budget = 16 * n + (1u << 20);
	for (size_t i = 0; i < n && work < budget; i++) {
		const char *p;
		long end;
		/* Skip to the next opening bracket. */
		while (i < n && s[i] != '{' && s[i] != '[')
			i++;
		if (i >= n)
			break;
		p = s + i;
		end = match_close(s, n, i, &work);
		if (end < 0)
			continue;
		{
			json_error_t je;
			size_t len = (size_t)end - i + 1;
			json_t *v = json_loadb(p, len, JSON_DECODE_INT_AS_REAL |
					       JSON_ALLOW_NUL, &je);
			work += len;
			if (v) {
				char m[1024];
				bool ok = !schema ||
					  score_schema_validate(schema, v, m,
								sizeof m);
				json_decref(v);
				if (ok)
					return true;
				if (!*found)
					snprintf(msg, msgn, "%s", m);
				*found = true;
			}
		}
	}
	return false;
}

/* ---- schema values ----------------------------------------------------- */

/* Compiled schemas by key ("I:" + compact JSON text, or "F:" + resolved
 * path), kept until score_shutdown. */
struct schema_entry {
	char *key;
	struct score_schema *schema;
	struct schema_entry *next;
};

static pthread_mutex_t schema_mu = PTHREAD_MUTEX_INITIALIZER;
static struct schema_entry *schema_list;

/* True when the value asks for no schema (absent, "", true is a schema). */
static bool no_schema(const json_t *v)
{
	return !v || json_is_null(v) ||
	       (json_is_string(v) && json_string_length(v) == 0);
}

/* Loads the schema JSON a value stands for.  Returns an owned value and
 * the cache key (owned), or NULL with msg set. */
static json_t *schema_source(const struct assertion_spec *a, const json_t *v,
			     char **key, char *msg, size_t msgn)
{
	json_error_t je;
	json_t *j;
	if (!json_is_string(v)) {
		char *d = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS |
				     JSON_ENCODE_ANY);
		*key = xasprintf("I:%s", d ? d : "");
		free(d);
		return json_incref((json_t *)v);
	}
	if (strncmp(json_string_value(v), "file://", 7) == 0) {
		const char *rel = json_string_value(v) + 7;
		char *dir = fs_dirname(a->loc.file ? a->loc.file : ".");
		char *path = fs_join(dir, rel);
		struct err e = {0};
		size_t len;
		char *text = fs_read_file(path, 16u << 20, &len, &e);
		free(dir);
		if (!text) {
			snprintf(msg, msgn, "cannot read the schema file: %.800s",
				 e.msg);
			free(path);
			return NULL;
		}
		j = json_loadb(text, len, JSON_DECODE_ANY, &je);
		free(text);
		if (!j) {
			snprintf(msg, msgn, "the schema file %s is not JSON: "
				 "line %d: %s", path, je.line, je.text);
			free(path);
			return NULL;
		}
		*key = xasprintf("F:%s", path);
		free(path);
		return j;
	}
	j = json_loads(json_string_value(v), JSON_DECODE_ANY, &je);
	if (!j) {
		snprintf(msg, msgn, "the value is not a JSON Schema (JSON text "
			 "or file://path): line %d: %s", je.line, je.text);
		return NULL;
	}
	{
		char *d = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS |
				     JSON_ENCODE_ANY);
		*key = xasprintf("I:%s", d ? d : "");
		free(d);
	}
	return j;
}

/* The compiled schema for value v (cached), or NULL with msg set. */
static const struct score_schema *schema_get(const struct assertion_spec *a,
					     const json_t *v, char *msg,
					     size_t msgn)
{
	char *key = NULL;
	json_t *src;
	struct schema_entry *e;
	struct score_schema *sc;
	/* Inline object schemas: the key is their text.  File schemas: the
	 * key is the path, looked up before reading the file again. */
	if (json_is_string(v) &&
	    strncmp(json_string_value(v), "file://", 7) == 0) {
		char *dir = fs_dirname(a->loc.file ? a->loc.file : ".");
		char *path = fs_join(dir, json_string_value(v) + 7);
		char *fkey = xasprintf("F:%s", path);
		free(dir);
		free(path);
		pthread_mutex_lock(&schema_mu);
		for (e = schema_list; e; e = e->next)
			if (!strcmp(e->key, fkey))
				break;
		pthread_mutex_unlock(&schema_mu);
		free(fkey);
		if (e)
			return e->schema;
	}
	src = schema_source(a, v, &key, msg, msgn);
	if (!src)
		return NULL;
	pthread_mutex_lock(&schema_mu);
	for (e = schema_list; e; e = e->next)
		if (!strcmp(e->key, key))
			break;
	pthread_mutex_unlock(&schema_mu);
	if (e) {
		free(key);
		json_decref(src);
		return e->schema;
	}
	sc = score_schema_compile(src, msg, msgn);
	json_decref(src);
	if (!sc) {
		free(key);
		return NULL;
	}
	pthread_mutex_lock(&schema_mu);
	for (e = schema_list; e; e = e->next)
		if (!strcmp(e->key, key))
			break;
	if (e) {
		score_schema_free(sc);
		free(key);
	} else {
		e = xmalloc(sizeof *e);
		e->key = key;
		e->schema = sc;
		e->next = schema_list;
		schema_list = e;
	}
	pthread_mutex_unlock(&schema_mu);
	return e->schema;
}

void score_schema_shutdown(void)
{
	pthread_mutex_lock(&schema_mu);
	while (schema_list) {
		struct schema_entry *e = schema_list;
		schema_list = e->next;
		free(e->key);
		score_schema_free(e->schema);
		free(e);
	}
	pthread_mutex_unlock(&schema_mu);
}

/* ---- assertions -------------------------------------------------------- */

static int check_schema_value(const struct assertion_spec *a,
			      const json_t *v, const json_t *vars,
			      struct err *err)
{
	char msg[900];
	(void)vars;
	if (no_schema(v))
		return 0;
	if (!schema_get(a, v, msg, sizeof msg))
		return score_err(a, err, "'%s': %s", a->type, msg);
	return 0;
}

/* The schema of an evaluation, or NULL for none; on a bad schema fills a
 * failing outcome and sets *bad. */
static const struct score_schema *eval_schema(const struct score_in *in,
					      struct assert_outcome *out,
					      bool *bad)
{
	char msg[900];
	const struct score_schema *sc;
	*bad = false;
	if (no_schema(in->value))
		return NULL;
	sc = schema_get(in->spec, in->value, msg, sizeof msg);
	if (!sc) {
		*bad = true;
		out->pass = false;
		out->score = 0;
		out->reason = xasprintf("'%s': %s", in->spec->type, msg);
	}
	return sc;
}

static int eval_is_json(const struct score_in *in, struct assert_outcome *out,
			struct err *err)
{
	bool bad;
	const struct score_schema *sc = eval_schema(in, out, &bad);
	json_t *v;
	char m[1024];
	(void)err;
	if (bad)
		return 0;
	v = score_json_parse(in->output, in->output_len);
	if (!v) {
		score_binary(out, false, in->inverse,
			     xstrdup("Expected output to be valid JSON"));
		return 0;
	}
	if (sc && !score_schema_validate(sc, v, m, sizeof m)) {
		json_decref(v);
		score_binary(out, false, in->inverse, xasprintf(
			"JSON does not conform to the provided schema. "
			"Errors: %s", m));
		return 0;
	}
	json_decref(v);
	score_binary(out, true, in->inverse, xstrdup(sc
		? "Expected output to not be valid JSON matching the schema"
		: "Expected output to not be valid JSON"));
	return 0;
}

static int eval_contains_json(const struct score_in *in,
			      struct assert_outcome *out, struct err *err)
{
	bool bad, found = false, ok;
	const struct score_schema *sc = eval_schema(in, out, &bad);
	char m[1024] = "";
	(void)err;
	if (bad)
		return 0;
	ok = contains_json(in->output, in->output_len, sc, m, sizeof m,
			   &found);
	if (ok) {
		score_binary(out, true, in->inverse, xstrdup(
			"Expected output to not contain valid JSON"));
	} else if (found) {
		score_binary(out, false, in->inverse, xasprintf(
			"JSON does not conform to the provided schema. "
			"Errors: %s", m));
	} else {
		score_binary(out, false, in->inverse, xstrdup(
			"Expected output to contain valid JSON"));
	}
	return 0;
}

#define SCHEMA_DESC "nothing, or a JSON Schema (an object, true/false, " \
	"JSON text, or file://schema.json)"

const struct score_type score_json_types[] = {
	{ .name = "is-json",
	  .values = SV_OPTIONAL | SV_STRING | SV_OBJECT | SV_BOOL,
	  .value_desc = SCHEMA_DESC,
	  .check = check_schema_value, .eval = eval_is_json },
	{ .name = "contains-json",
	  .values = SV_OPTIONAL | SV_STRING | SV_OBJECT | SV_BOOL,
	  .value_desc = SCHEMA_DESC,
	  .check = check_schema_value, .eval = eval_contains_json },
	{ .name = NULL }
};
