/* score_text.c — the string assertions: equals, contains, icontains,
 * contains-any/-all, icontains-any/-all and starts-with, with promptfoo's
 * semantics and reasons, plus the substring search they share.
 *
 * Speed matters here (the benchmark asks for a million contains/icontains
 * per second on 1 KB outputs): the search filters candidate positions 16 at
 * a time by the needle's first and last byte (SSE2 where available; ASCII
 * case folding is a single OR because only bit 5 separates the two cases of
 * a letter) and verifies only those; evaluation allocates nothing but the
 * outcome's reason.  A case-insensitive needle with non-ASCII letters goes
 * through a cached caseless literal PCRE2 pattern so "ÄRGER" icontains
 * "ärger" holds, as JavaScript's toLowerCase() comparison does. */
#include "score_int.h"

#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "../util/buf.h"
#include "../util/xalloc.h"

/* Longest slice of output quoted in a reason. */
#define REASON_CLIP 256

/* ---- search ------------------------------------------------------------ */

static unsigned char fold1(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c | 0x20) : c;
}

static bool is_alpha(unsigned char c)
{
	c |= 0x20;
	return c >= 'a' && c <= 'z';
}

static bool mid_eq(const char *a, const char *b, size_t n, bool fold)
{
	if (!fold)
		return memcmp(a, b, n) == 0;
	for (size_t i = 0; i < n; i++)
		if (fold1((unsigned char)a[i]) != fold1((unsigned char)b[i]))
			return false;
	return true;
}

const char *score_find(const char *hay, size_t hn, const char *needle,
		       size_t nn, bool fold)
{
	unsigned char f, l, fm = 0, lm = 0;
	size_t i = 0, last;

	if (nn == 0)
		return hay;
	if (nn > hn)
		return NULL;
	f = (unsigned char)needle[0];
	l = (unsigned char)needle[nn - 1];
	if (fold && is_alpha(f)) {
		f |= 0x20;
		fm = 0x20;
	}
	if (fold && is_alpha(l)) {
		l |= 0x20;
		lm = 0x20;
	}
	if (nn == 1 && !fm)
		return memchr(hay, f, hn);
	last = hn - nn;   /* the last possible start */
#if defined(__SSE2__)
	{
		const __m128i vf = _mm_set1_epi8((char)f);
		const __m128i vl = _mm_set1_epi8((char)l);
		const __m128i mf = _mm_set1_epi8((char)fm);
		const __m128i ml = _mm_set1_epi8((char)lm);
		/* Starts i..i+15 are all <= last, so the load at
		 * i + nn - 1 ends at or before hay[hn - 1]. */
		for (; i + 15 <= last; i += 16) {
			__m128i a = _mm_loadu_si128((const __m128i *)(const void *)(hay + i));
			__m128i b = _mm_loadu_si128(
				(const __m128i *)(const void *)(hay + i + nn - 1));
			unsigned m;
			a = _mm_or_si128(a, mf);
			b = _mm_or_si128(b, ml);
			m = (unsigned)_mm_movemask_epi8(_mm_and_si128(
				_mm_cmpeq_epi8(a, vf), _mm_cmpeq_epi8(b, vl)));
			while (m) {
				const char *c = hay + i + (unsigned)__builtin_ctz(m);
				if (nn <= 2 ||
				    mid_eq(c + 1, needle + 1, nn - 2, fold))
					return c;
				m &= m - 1;
			}
		}
	}
#endif
	for (; i <= last; i++) {
		if (((unsigned char)hay[i] | fm) != f ||
		    ((unsigned char)hay[i + nn - 1] | lm) != l)
			continue;
		if (nn <= 2 || mid_eq(hay + i + 1, needle + 1, nn - 2, fold))
			return hay + i;
	}
	return NULL;
}

static bool has_non_ascii(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return true;
	return false;
}

/* Case-insensitive containment: ASCII fast path, PCRE2 caseless literal
 * for needles with non-ASCII letters.  Returns 1, 0, or -1 with a message
 * in msg when the pattern could not be used (invalid UTF-8 needle). */
static int icontains(const char *hay, size_t hn, const char *needle,
		     size_t nn, char *msg, size_t msgn)
{
	const struct score_re *re;
	struct err e = {0};
	if (!has_non_ascii(needle, nn))
		return score_find(hay, hn, needle, nn, true) != NULL;
	re = score_re_get(needle, nn, SCORE_RE_CASELESS | SCORE_RE_LITERAL, &e);
	if (!re) {
		snprintf(msg, msgn, "%s", e.msg);
		return -1;
	}
	return score_re_match(re, hay, hn, msg, msgn);
}

/* 1 / 0 for containment of `s` (case-folded when `fold`), -1 with msg. */
static int contains(const struct score_in *in, const char *s, size_t n,
		    bool fold, char *msg, size_t msgn)
{
	if (fold)
		return icontains(in->output, in->output_len, s, n, msg, msgn);
	return score_find(in->output, in->output_len, s, n, false) != NULL;
}

/* ---- values ------------------------------------------------------------ */

/* A list of needles.  s[i] points into the value, or — for the fields of
 * a comma-separated string and the text of numbers — into `store`;
 * off[i] is then the offset + 1 into store (0 = borrowed), resolved once
 * the store no longer grows. */
struct needles {
	const char **s;
	size_t *len;
	size_t *off;
	size_t n, cap;
	struct buf store;
};

static void needles_free(struct needles *nd)
{
	free(nd->s);
	free(nd->len);
	free(nd->off);
	buf_free(&nd->store);
}

/* Appends a needle; when `copy`, its text goes into the store. */
static void needles_add(struct needles *nd, const char *s, size_t len,
			bool copy)
{
	if (nd->n == nd->cap) {
		size_t cap = nd->cap;
		nd->s = xgrow(nd->s, &cap, nd->n + 1, sizeof *nd->s);
		cap = nd->cap;
		nd->len = xgrow(nd->len, &cap, nd->n + 1, sizeof *nd->len);
		nd->off = xgrow(nd->off, &nd->cap, nd->n + 1, sizeof *nd->off);
	}
	nd->s[nd->n] = s;
	nd->len[nd->n] = len;
	nd->off[nd->n] = 0;
	if (copy) {
		nd->off[nd->n] = nd->store.len + 1;
		buf_append(&nd->store, s, len);
		buf_putc(&nd->store, '\0');
	}
	nd->n++;
}

static void needles_resolve(struct needles *nd)
{
	for (size_t i = 0; i < nd->n; i++)
		if (nd->off[i])
			nd->s[i] = buf_str(&nd->store) + nd->off[i] - 1;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	       c == '\v';
}

/* Splits a string on commas the way promptfoo does: fields are trimmed,
 * empty fields are dropped, a field may be "double quoted" (commas kept;
 * \" \\ and "" are escapes).  Returns 0 or -1 with msg set. */
static int split_commas(const char *v, struct needles *nd, char *msg,
			size_t msgn)
{
	size_t i = 0, n = strlen(v);
	struct buf field = {0};
	while (i < n) {
		while (i < n && (is_space(v[i]) || v[i] == ','))
			i++;
		if (i >= n)
			break;
		if (v[i] == '"') {
			bool closed = false;
			buf_reset(&field);
			for (i++; i < n; i++) {
				if (v[i] == '\\' && i + 1 < n &&
				    (v[i + 1] == '"' || v[i + 1] == '\\')) {
					buf_putc(&field, v[++i]);
				} else if (v[i] == '"' && i + 1 < n &&
					   v[i + 1] == '"') {
					buf_putc(&field, '"');
					i++;
				} else if (v[i] == '"') {
					i++;
					closed = true;
					break;
				} else {
					buf_putc(&field, v[i]);
				}
			}
			if (!closed) {
				snprintf(msg, msgn, "unterminated quoted "
					 "field in value \"%s\"", v);
				buf_free(&field);
				return -1;
			}
			while (i < n && is_space(v[i]))
				i++;
			if (i < n && v[i] != ',') {
				snprintf(msg, msgn, "expected a comma after "
					 "the quoted field in value \"%s\"", v);
				buf_free(&field);
				return -1;
			}
			needles_add(nd, buf_str(&field), field.len, true);
		} else {
			size_t s = i, e;
			while (i < n && v[i] != ',')
				i++;
			e = i;
			while (e > s && is_space(v[e - 1]))
				e--;
			needles_add(nd, v + s, e - s, true);
		}
	}
	buf_free(&field);
	needles_resolve(nd);
	return 0;
}

/* Fills `nd` from a list or a comma-separated string value.  Returns 0, or
 * -1 with msg set (bad item, bad quoting). */
static int needles_get(const json_t *v, struct needles *nd, char *msg,
		       size_t msgn)
{
	char tmp[32];
	memset(nd, 0, sizeof *nd);
	msg[0] = '\0';
	if (json_is_string(v))
		return split_commas(json_string_value(v), nd, msg, msgn);
	for (size_t i = 0; i < json_array_size(v); i++) {
		const json_t *it = json_array_get(v, i);
		if (json_is_string(it)) {
			needles_add(nd, json_string_value(it),
				    json_string_length(it), false);
		} else if (json_is_number(it) || json_is_boolean(it)) {
			const char *t = score_scalar_str(it, tmp, sizeof tmp);
			needles_add(nd, t, strlen(t), true);
		} else {
			snprintf(msg, msgn, "item %zu of the list must be a "
				 "string or number, got %s", i + 1,
				 json_is_null(it) ? "null" :
				 json_is_array(it) ? "a list" : "an object");
			return -1;
		}
	}
	needles_resolve(nd);
	return 0;
}

/* Appends items joined with ", " (promptfoo's value.join(', ')). */
static void put_joined(struct buf *b, const struct needles *nd,
		       const bool *only)
{
	bool first = true;
	for (size_t i = 0; i < nd->n; i++) {
		if (only && !only[i])
			continue;
		if (!first)
			buf_puts(b, ", ");
		first = false;
		score_put_clipped(b, nd->s[i], nd->len[i], REASON_CLIP);
	}
}

/* ---- checks ------------------------------------------------------------ */

static int check_nonempty(const struct assertion_spec *a, const json_t *v,
			  const json_t *vars, struct err *err)
{
	(void)vars;
	if (json_is_string(v) && json_string_length(v) == 0)
		return score_err(a, err, "'%s' value must not be empty",
				 a->type);
	return 0;
}

static int check_list(const struct assertion_spec *a, const json_t *v,
		      const json_t *vars, struct err *err)
{
	struct needles nd;
	char msg[512];
	int rc = 0;
	(void)vars;
	if (needles_get(v, &nd, msg, sizeof msg))
		rc = score_err(a, err, "'%s': %s", a->type, msg);
	else if (nd.n == 0)
		rc = score_err(a, err, "'%s' needs at least one string to "
			       "look for (a list, or a comma-separated string)",
			       a->type);
	needles_free(&nd);
	return rc;
}

/* ---- evaluators -------------------------------------------------------- */

static const char *not_(bool inverse)
{
	return inverse ? "not " : "";
}

static int eval_equals(const struct score_in *in, struct assert_outcome *out,
		       struct err *err)
{
	struct buf b = {0};
	bool eq;
	char tmp[32];
	char *shown = NULL;
	const char *want;
	(void)err;
	if (json_is_object(in->value) || json_is_array(in->value)) {
		json_t *got = score_json_parse(in->output, in->output_len);
		eq = got && score_json_equal(in->value, got);
		json_decref(got);
		shown = json_dumps(in->value, JSON_COMPACT | JSON_ENCODE_ANY |
				   JSON_PRESERVE_ORDER |
				   JSON_REAL_PRECISION(15));
		want = shown ? shown : "";
	} else {
		want = score_scalar_str(in->value, tmp, sizeof tmp);
		eq = strlen(want) == in->output_len &&
		     memcmp(want, in->output, in->output_len) == 0;
	}
	if (eq != in->inverse) {
		free(shown);
		score_binary(out, eq, in->inverse, NULL);
		return 0;
	}
	buf_puts(&b, "Expected output \"");
	score_put_clipped(&b, in->output, in->output_len, REASON_CLIP);
	buf_printf(&b, "\" to %sequal \"", not_(in->inverse));
	score_put_clipped(&b, want, strlen(want), REASON_CLIP);
	buf_putc(&b, '"');
	free(shown);
	score_binary(out, eq, in->inverse, buf_detach(&b));
	return 0;
}

static int eval_contains_fold(const struct score_in *in,
			      struct assert_outcome *out, bool fold)
{
	char tmp[32], msg[1024];
	const char *s = score_scalar_str(in->value, tmp, sizeof tmp);
	size_t n = json_is_string(in->value) ? json_string_length(in->value)
					     : strlen(s);
	struct buf b = {0};
	int m = contains(in, s, n, fold, msg, sizeof msg);
	if (m < 0) {
		out->pass = false;
		out->score = 0;
		out->reason = xasprintf("Could not search for \"%s\": %s", s,
					msg);
		return 0;
	}
	if ((m == 1) != in->inverse) {
		score_binary(out, m == 1, in->inverse, NULL);
		return 0;
	}
	buf_printf(&b, "Expected output to %scontain \"", not_(in->inverse));
	score_put_clipped(&b, s, n, REASON_CLIP);
	buf_putc(&b, '"');
	score_binary(out, m == 1, in->inverse, buf_detach(&b));
	return 0;
}

static int eval_contains(const struct score_in *in, struct assert_outcome *out,
			 struct err *err)
{
	(void)err;
	return eval_contains_fold(in, out, false);
}

static int eval_icontains(const struct score_in *in,
			  struct assert_outcome *out, struct err *err)
{
	(void)err;
	return eval_contains_fold(in, out, true);
}

/* contains-any / contains-all and their case-insensitive forms. */
static int eval_list(const struct score_in *in, struct assert_outcome *out,
		     bool fold, bool all)
{
	struct needles nd;
	char msg[1024];
	bool *missing = NULL;
	size_t n_found = 0, n_missing = 0;
	struct buf b = {0};
	bool matched;

	if (needles_get(in->value, &nd, msg, sizeof msg) || nd.n == 0) {
		if (nd.n == 0 && !msg[0])
			snprintf(msg, sizeof msg, "the value has no items");
		out->pass = false;
		out->score = 0;
		out->reason = xasprintf("'%s': %s", in->spec->type, msg);
		needles_free(&nd);
		return 0;
	}
	missing = xcalloc(nd.n, sizeof *missing);
	for (size_t i = 0; i < nd.n; i++) {
		int m = contains(in, nd.s[i], nd.len[i], fold, msg, sizeof msg);
		if (m < 0) {
			out->pass = false;
			out->score = 0;
			out->reason = xasprintf("Could not search for \"%s\": "
						"%s", nd.s[i], msg);
			free(missing);
			needles_free(&nd);
			return 0;
		}
		if (m) {
			n_found++;
			if (!all)
				break;   /* one is enough for -any */
		} else {
			missing[i] = true;
			n_missing++;
		}
	}
	matched = all ? n_missing == 0 : n_found > 0;
	if (matched == in->inverse) {
		if (all) {
			buf_printf(&b, "Expected output to %scontain all of [",
				   not_(in->inverse));
			put_joined(&b, &nd, NULL);
			buf_puts(&b, "]. Missing: [");
			put_joined(&b, &nd, missing);
			buf_putc(&b, ']');
		} else {
			buf_printf(&b, "Expected output to %scontain one of \"",
				   not_(in->inverse));
			put_joined(&b, &nd, NULL);
			buf_putc(&b, '"');
		}
	}
	score_binary(out, matched, in->inverse,
		     matched == in->inverse ? buf_detach(&b) : NULL);
	buf_free(&b);
	free(missing);
	needles_free(&nd);
	return 0;
}

static int eval_contains_any(const struct score_in *in,
			     struct assert_outcome *out, struct err *err)
{
	(void)err;
	return eval_list(in, out, false, false);
}

static int eval_contains_all(const struct score_in *in,
			     struct assert_outcome *out, struct err *err)
{
	(void)err;
	return eval_list(in, out, false, true);
}

static int eval_icontains_any(const struct score_in *in,
			      struct assert_outcome *out, struct err *err)
{
	(void)err;
	return eval_list(in, out, true, false);
}

static int eval_icontains_all(const struct score_in *in,
			      struct assert_outcome *out, struct err *err)
{
	(void)err;
	return eval_list(in, out, true, true);
}

static int eval_starts_with(const struct score_in *in,
			    struct assert_outcome *out, struct err *err)
{
	const char *s = json_string_value(in->value);
	size_t n = json_string_length(in->value);
	bool m = n <= in->output_len && memcmp(in->output, s, n) == 0;
	struct buf b = {0};
	(void)err;
	if (m != in->inverse) {
		score_binary(out, m, in->inverse, NULL);
		return 0;
	}
	buf_printf(&b, "Expected output to %sstart with \"", not_(in->inverse));
	score_put_clipped(&b, s, n, REASON_CLIP);
	buf_putc(&b, '"');
	score_binary(out, m, in->inverse, buf_detach(&b));
	return 0;
}

#define LIST_DESC "a list of strings, or a comma-separated string"

const struct score_type score_text_types[] = {
	{ .name = "equals",
	  .values = SV_STRING | SV_NUMBER | SV_BOOL | SV_LIST | SV_OBJECT,
	  .value_desc = "a string, a number, or a list/object compared as JSON",
	  .eval = eval_equals },
	{ .name = "contains", .values = SV_STRING | SV_NUMBER,
	  .value_desc = "a string or number",
	  .check = check_nonempty, .eval = eval_contains },
	{ .name = "icontains", .values = SV_STRING | SV_NUMBER,
	  .value_desc = "a string or number",
	  .check = check_nonempty, .eval = eval_icontains },
	{ .name = "contains-any", .values = SV_STRING | SV_LIST,
	  .value_desc = LIST_DESC,
	  .check = check_list, .eval = eval_contains_any },
	{ .name = "contains-all", .values = SV_STRING | SV_LIST,
	  .value_desc = LIST_DESC,
	  .check = check_list, .eval = eval_contains_all },
	{ .name = "icontains-any", .values = SV_STRING | SV_LIST,
	  .value_desc = LIST_DESC,
	  .check = check_list, .eval = eval_icontains_any },
	{ .name = "icontains-all", .values = SV_STRING | SV_LIST,
	  .value_desc = LIST_DESC,
	  .check = check_list, .eval = eval_icontains_all },
	{ .name = "starts-with", .values = SV_STRING,
	  .value_desc = "a string",
	  .check = check_nonempty, .eval = eval_starts_with },
	{ .name = NULL }
};
