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
extern const struct score_type score_judge_types[];    /* score_judge.c */
extern const struct score_type score_code_types[];     /* score_code.c */

/* A promptfoo JavaScript transform (score_code.c): `code` gets output and
 * context ({vars}) as an assertion's does; a string result is the new
 * output, anything else its JSON.  Errors (the code threw, the worker
 * failed) return ST_INTERNAL with err set, like a failing jq transform. */
int score_code_transform(const char *code, const char *output, size_t len,
			 const json_t *vars, char **out, struct err *err);

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

/* Renders a's value with vars as score_assert_eval does: returns the
 * value itself (*owned false), a new value (*owned true, json_decref
 * it), or NULL (absent value, or a render error with err set). */
json_t *score_render_value(const struct assertion_spec *a, const json_t *vars,
			   bool *owned, struct err *err);

/* `vars`, or a shared empty object when NULL. */
const json_t *score_vars(const json_t *vars);

/* promptfoo's rule that turns per-assertion outcomes into a grade (see
 * score.h), shared by score_grade and score_grade_judged.  `eval` fills
 * out->items[i] for tc->asserts[i]; it sets *skip to leave the assertion
 * out of the score, the pass and the metrics (a comparison, graded after
 * the main pass) and returns non-zero with err set for a grading error,
 * which releases `out` and is returned. */
int score_combine(const struct test_case *tc,
		  int (*eval)(void *ctx, size_t i, struct assert_outcome *o,
			      bool *skip, struct err *err),
		  void *ctx, struct grade *out, struct err *err);

/* --- model-graded (score_judge.c, score_compare.c) --- */

/* A judge call's tag: the judged type in the top byte, a type-specific
 * argument (a count, an index, pair*2+order) in the low 24 bits. */
enum judge_type {
	JT_NONE = 0, JT_RUBRIC, JT_CLOSEDQA, JT_FACTUALITY, JT_GEVAL,
	JT_ANSWER_REL, JT_SIMILAR, JT_CTX_FAITH, JT_CTX_RECALL, JT_CTX_REL,
	JT_SELECT_BEST, JT_COMPARE
};
#define JTAG(type, arg) ((int)(((unsigned)(type) << 24) | \
			       ((unsigned)(arg) & 0xFFFFFFu)))
#define JTAG_TYPE(tag) ((unsigned)(tag) >> 24)
#define JTAG_ARG(tag) ((unsigned)(tag) & 0xFFFFFFu)

/* The judged type of an assertion type name (with or without `not-`). */
enum judge_type score_judge_type(const char *type, bool *inverse);

/* A judge's parsed verdict; `reason` is borrowed from the reply. */
struct jverdict {
	double score;          /* normalized to [0,1] where the type has one */
	int pass;              /* 1, 0, or -1 when the reply gave none */
	int choice;            /* category index, Y=1/N=0, best index,
				* winner 0=A 1=B 2=tie */
	size_t num, den;       /* counts behind a ratio */
	const char *reason;
};

/* Extracts the first JSON object from a reply (```json fences and text
 * around it tolerated).  Returns an owned object or NULL. */
json_t *score_judge_extract(const char *text);

/* Parses the reply object for a call tagged `tag`.  Returns 0, or -1
 * with `why` saying what is missing. */
int score_judge_parse(int tag, const json_t *o, struct jverdict *v,
		      char *why, size_t whyn);

/* The chat messages (owned JSON text) of a judge call: the assertion's
 * rubricPrompt rendered with `tvars` when it has one (a list of messages,
 * or text sent as the user message), else [system, user].  NULL with
 * err set when the rubric prompt does not render. */
char *score_judge_messages(const struct assertion_spec *a, const char *system,
			   const char *user, const json_t *tvars,
			   struct err *err);

/* The judge of assertion a in tc: a->provider, else tc->grader, else
 * NULL (the default grader).  Borrowed. */
const char *score_judge_provider(const struct test_case *tc,
				 const struct assertion_spec *a);

/* Appends "<Name>\ntext\n</Name>\n\n" to b. */
struct buf;
void score_judge_section(struct buf *b, const char *name, const char *text);

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

/* js-rouge 3.2's treeBankTokenize of s (score_treebank.c): the tokens
 * joined by single spaces (owned; "" and *out_n 0 for no tokens), or NULL
 * when a regex failed. */
char *score_treebank(const char *s, size_t n, size_t *out_n);

/* JavaScript's s.toLowerCase() of UTF-8 text (owned; towlower in C.UTF-8,
 * plus U+0130; the context-dependent final sigma is not applied). */
char *score_js_lower(const char *s, size_t n, size_t *out_n);

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

/* score_lua.c: the Lua time limit in seconds (default 10; ≤ 0 restores
 * it) — for tests. */
void score_lua_set_time_limit(double seconds);

#endif
