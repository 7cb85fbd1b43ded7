/* score_int.h — private to src/score/: the assertion registry entry and the
 * helpers the per-family files (score_text.c, score_json.c, score_regex.c)
 * share.  Nothing outside src/score/ includes this file.
 *
 * Adding an assertion type is one `struct score_type` entry in a family
 * table (a new family is one file plus one line in score.c's `families`).
 * The generic layer in score.c strips the `not-` prefix, validates the value
 * against `values`, renders templates, calls `check` at load time and `eval`
 * after a response; the entry only implements its own semantics. */
#ifndef ASSAY_SCORE_INT_H
#define ASSAY_SCORE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "score.h"

/* Which JSON kinds a type accepts as `value` (a bit set). */
enum {
	SV_STRING = 1 << 0,
	SV_NUMBER = 1 << 1,
	SV_BOOL = 1 << 2,
	SV_LIST = 1 << 3,
	SV_OBJECT = 1 << 4,
	SV_OPTIONAL = 1 << 5,   /* the value may be absent */
	SV_NONE = 1 << 6        /* the type takes no value at all */
};

/* Everything one evaluation sees.  All pointers are borrowed. */
struct score_in {
	const struct assertion_spec *spec;
	const json_t *value;     /* rendered value; NULL when absent */
	const char *output;      /* never NULL ("" when there was none) */
	size_t output_len;
	const struct response *resp;  /* may be NULL */
	const json_t *vars;      /* the test's vars; never NULL */
	bool inverse;            /* the type had the `not-` prefix */
};

struct score_type {
	const char *name;        /* base name, without `not-` */
	unsigned values;         /* SV_* bits */
	const char *value_desc;  /* for messages: "a string or number" */
	/* Optional type-specific load-time check of the rendered value (the
	 * generic checks have passed).  Returns 0 or ST_INPUT with err set at
	 * a->loc. */
	int (*check)(const struct assertion_spec *a, const json_t *value,
		     const json_t *vars, struct err *err);
	/* Fills out->pass, out->score and out->reason (owned, never NULL).
	 * Bad output is a failing outcome, not an error; returns non-zero
	 * only for an internal error (err set). */
	int (*eval)(const struct score_in *in, struct assert_outcome *out,
		    struct err *err);
};

/* Family tables, each ended by an entry with name == NULL. */
extern const struct score_type score_text_types[];
extern const struct score_type score_json_types[];
extern const struct score_type score_regex_types[];
extern const struct score_type score_measure_types[];  /* score_measure.c */
extern const struct score_type score_meta_types[];     /* score_meta.c */
extern const struct score_type score_format_types[];   /* score_format.c */
extern const struct score_type score_jq_types[];       /* score_jq.c */
extern const struct score_type score_script_types[];   /* score_script.c */
extern const struct score_type score_lua_types[];      /* score_lua.c */

/* --- shared helpers (score.c) --- */

/* Sets a binary outcome: pass = matched != inverse, score 1/0, reason
 * "Assertion passed" or the given failure reason (owned by `out` after the
 * call; pass NULL to use the fixed text "Assertion failed"). */
void score_binary(struct assert_outcome *out, bool matched, bool inverse,
		  char *fail_reason);

/* Writes a number the way JavaScript's String(n) does (1, 1.5, 1e+21,
 * 1e-7) into buf (at least 32 bytes); returns buf. */
char *score_fmt_num(double v, char *buf, size_t n);

/* The text of a scalar JSON value as String(v) would give it: strings
 * as-is (borrowed), numbers in JS form, true/false, "null".  Uses `tmp`
 * (>= 32 bytes) for numbers; the result is valid while tmp and v are. */
const char *score_scalar_str(const json_t *v, char *tmp, size_t n);

/* Appends `s` to `b` cut to at most `max` bytes at a UTF-8 boundary, with
 * "…" when cut.  For output quoted in reasons. */
struct buf;
void score_put_clipped(struct buf *b, const char *s, size_t len, size_t max);

/* Reports an error at the assertion's location.  Returns ST_INPUT. */
int score_err(const struct assertion_spec *a, struct err *err,
	      const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* --- text search (score_text.c) --- */

/* Finds needle in hay (byte lengths); ASCII case-insensitively when
 * `fold`.  Returns a pointer into hay or NULL.  No allocation. */
const char *score_find(const char *hay, size_t hn, const char *needle,
		       size_t nn, bool fold);

/* --- regex cache (score_regex.c) --- */

struct score_re;   /* a compiled, JIT-ed pattern; lives until shutdown */

enum { SCORE_RE_CASELESS = 1, SCORE_RE_LITERAL = 2 };

/* Returns the cached compilation of `pattern` with `flags` (compiled on
 * first use, UTF mode, JIT when available), or NULL with a message "…at
 * offset N" in err (code ST_INPUT, no location).  Thread-safe. */
const struct score_re *score_re_get(const char *pattern, size_t len,
				    unsigned flags, struct err *err);

/* 1 when `re` matches somewhere in subject, 0 when not, negative on a
 * match error (e.g. resource limits), with the PCRE2 message in msg. */
int score_re_match(const struct score_re *re, const char *subject,
		   size_t len, char *msg, size_t msgn);

void score_re_shutdown(void);

/* --- scored outcomes (score_measure.c) --- */

/* The outcome of a type that returns a score (a custom scorer's number):
 * pass = score >= threshold when the assertion has one, else score > 0
 * (promptfoo's rule for custom functions); `not-` inverts pass and uses
 * 1 - score.  `reason` (owned, may be NULL) is used when it fails. */
void score_scored(struct assert_outcome *out, const struct score_in *in,
		  double score, char *reason);

/* Fills `out` from a scorer's JSON verdict: true/false, a number, or an
 * object {pass, score, reason} (pass or score required).  Returns 0, or
 * -1 with msg set when the verdict has another shape. */
int score_verdict(struct assert_outcome *out, const struct score_in *in,
		  const json_t *v, char *msg, size_t msgn);

/* UTF-8 helpers: number of code points (an invalid byte counts as one). */
size_t score_utf8_count(const char *s, size_t n);

/* --- jq (score_jq.c) --- */

void score_jq_shutdown(void);

/* --- Lua (score_lua.c) --- */

void score_lua_shutdown(void);

/* --- JSON Schema (score_schema.c) --- */

struct score_schema;

/* Compiles `schema` (an object or boolean, draft 2020-12 core and
 * validation keywords, see docs/assertions.md).  Returns an owned
 * compiled schema, or NULL with a message in msg naming the JSON pointer
 * of the bad keyword. */
struct score_schema *score_schema_compile(const json_t *schema, char *msg,
					  size_t msgn);

/* Validates `v`: returns true, or false with the first error in msg as
 * "/items/2/price: expected number, found string". */
bool score_schema_validate(const struct score_schema *s, const json_t *v,
			   char *msg, size_t msgn);

void score_schema_free(struct score_schema *s);

/* Frees the cache of compiled schemas (score_json.c). */
void score_schema_shutdown(void);

/* --- JSON helpers (score_json.c) --- */

/* Structural equality as JavaScript's isDeepStrictEqual on JSON values:
 * numbers by value (1 == 1.0), objects by key set, arrays in order. */
bool score_json_equal(const json_t *a, const json_t *b);

/* Parses the whole text as one JSON value (any type, like JSON.parse).
 * Returns an owned value or NULL. */
json_t *score_json_parse(const char *s, size_t len);

#endif
