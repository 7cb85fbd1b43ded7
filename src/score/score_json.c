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
 * length (plus 1 MB) the search gives up and reports no JSON found. */
#include "score_int.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

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

/* True when some `{…}` or `[…]` span of the output parses as JSON. */
static bool contains_json(const char *s, size_t n)
{
	size_t work = 0, budget = 16 * n + (1u << 20);
	for (size_t i = 0; i < n && work < budget; i++) {
		const char *p = s + i;
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
				json_decref(v);
				return true;
			}
		}
	}
	return false;
}

/* ---- assertions -------------------------------------------------------- */

static int check_no_schema(const struct assertion_spec *a, const json_t *v,
			   const json_t *vars, struct err *err)
{
	(void)vars;
	if (v && !(json_is_string(v) && json_string_length(v) == 0))
		return score_err(a, err, "%s with a schema is not supported "
				 "yet", a->type);
	return 0;
}

static int eval_is_json(const struct score_in *in, struct assert_outcome *out,
			struct err *err)
{
	json_t *v = score_json_parse(in->output, in->output_len);
	bool ok = v != NULL;
	(void)err;
	json_decref(v);
	score_binary(out, ok, in->inverse,
		     xstrdup(in->inverse ? "Expected output to not be valid JSON"
					 : "Expected output to be valid JSON"));
	return 0;
}

static int eval_contains_json(const struct score_in *in,
			      struct assert_outcome *out, struct err *err)
{
	bool ok = contains_json(in->output, in->output_len);
	(void)err;
	score_binary(out, ok, in->inverse,
		     xstrdup(in->inverse
			     ? "Expected output to not contain valid JSON"
			     : "Expected output to contain valid JSON"));
	return 0;
}

const struct score_type score_json_types[] = {
	{ .name = "is-json",
	  .values = SV_OPTIONAL | SV_STRING | SV_OBJECT | SV_BOOL,
	  .value_desc = "nothing (a JSON Schema is not supported yet)",
	  .check = check_no_schema, .eval = eval_is_json },
	{ .name = "contains-json",
	  .values = SV_OPTIONAL | SV_STRING | SV_OBJECT | SV_BOOL,
	  .value_desc = "nothing (a JSON Schema is not supported yet)",
	  .check = check_no_schema, .eval = eval_contains_json },
	{ .name = NULL }
};
