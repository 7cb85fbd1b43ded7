/* suite.h — the front door of the suite layer: a YAML suite file (promptfoo's
 * field names and meaning) loaded into plain structs.
 *
 * Ownership: `suite_load` returns an owned `struct suite`; everything inside
 * it (strings, json_t values, arrays) belongs to the suite and is released by
 * `suite_free`.  Nothing here sends requests or grades; the loader only
 * parses, merges `defaultTest`, reads external test files and checks that
 * every template resolves, so errors surface before any request.
 *
 * Vars are JSON objects (jansson): a var may be a string, number, list or
 * object, as in promptfoo. */
#ifndef ASSAY_SUITE_H
#define ASSAY_SUITE_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "../util/err.h"

struct conv;
struct assert_share;
struct suite_stream;

/* Where something came from, for error messages. `file` points into the
 * suite's string pool (valid while the suite lives). */
struct loc {
	const char *file;
	int line, col;
};

/* One `assert` entry, as written (values are not yet rendered). */
struct assertion_spec {
	char *type;          /* e.g. "contains", "not-regex" (prefix kept) */
	json_t *value;       /* may be NULL; strings may contain {{var}} */
	double weight;       /* default 1.0 */
	bool has_threshold;
	double threshold;
	char *metric;        /* named metric, or NULL */
	char *transform;     /* as written, or NULL; grading decides */
	char *provider;      /* judge provider id (model-graded), or NULL */
	json_t *provider_config; /* its config, or NULL */
	char *rubric_prompt; /* rubricPrompt as text, or NULL */
	bool unparsable_error; /* its test's options.unparsable_output is
				* `error`: output its transform cannot read
				* is a grading error, not a failure */
	bool has_severity;   /* `severity` given (docs/statistics.md) */
	double severity;     /* its weight: critical 10, high/major 5,
			      * medium/moderate 2, low/minor 1, info 0, or
			      * the number given (>= 0) */
	int turn;            /* conversations: the turn (1-based) it grades,
			      * 0 = the whole transcript (suite/conv.h) */
	struct loc loc;
};

/* One test case after `defaultTest` has been merged in. */
struct test_case {
	char *description;         /* may be NULL */
	json_t *vars;              /* object; never NULL */
	struct assertion_spec *asserts; /* defaultTest's first */
	size_t n_asserts;
	bool has_threshold;
	double threshold;
	json_t *metadata;          /* object; never NULL */
	char *grader;              /* options.provider id, or NULL */
	char *transform;           /* options.transform as written, or NULL:
				    * applied to the output before every
				    * assertion (grading checks it) */
	json_t *grader_config;     /* its config, or NULL */
	bool has_unparsable;       /* options.unparsable_output given */
	bool unparsable_error;     /* it is `error` (default `fail`): output
				    * a transform cannot read is a grading
				    * error instead of the model's failure;
				    * copied onto every assertion */
	char *rubric_prompt;       /* options.rubricPrompt as text, or NULL;
				    * already copied onto its assertions
				    * that have none */
	int var_expansion;         /* options.disableVarExpansion: 0 unset,
				    * 1 expand list vars, -1 do not */
	const struct conv *conv;   /* a conversation (suite/conv.h), or
				    * NULL; borrowed from suite->convs */
	struct assert_share *asserts_share; /* NULL: `asserts` is the
				    * test's own; else `asserts` lives in
				    * this block, shared by every test that
				    * adds no assertion to defaultTest's,
				    * and freed with the last of them
				    * (read-only, like all of a loaded
				    * test) */
	struct loc loc;
};

/* One prompt.  `raw` is the template text.  When the text parses as a JSON
 * array of chat messages the prompt is a chat prompt: vars substituted into
 * it are JSON-escaped and the rendered text is a JSON array.  (The rule,
 * decided at load: the trimmed text starts with '[' and, with each {{…}}
 * replaced by null, is a non-empty JSON array of objects with a string
 * "role".) */
struct prompt {
	char *raw;
	char *label;               /* promptfoo's label, or the raw text */
	json_t *config;            /* promptfoo's prompt `config`: request
				    * parameters over the provider's
				    * (checked keys), or NULL */
	bool is_chat;
	struct loc loc;
};

/* One provider as written: `id` ("openai:chat:gpt-4o-mini"), optional
 * `label`, and `config` (an object, never NULL; may hold secrets). */
struct provider_spec {
	char *id;
	char *label;               /* label, or the id when none */
	json_t *config;
	struct loc loc;
};

struct suite {
	char *path;                /* as given */
	char *dir;                 /* directory of path, for file:// */
	char *description;         /* may be NULL */
	struct prompt *prompts;
	size_t n_prompts;
	struct provider_spec *providers;
	size_t n_providers;
	/* The tests.  In memory, `tests` holds all n_tests of them; a suite
	 * whose large CSV or JSONL files stream (`stream` not NULL) has
	 * `tests` NULL and each test is re-produced from its file when asked
	 * for: read them through suite_test, never `tests[i]`. */
	struct test_case *tests;
	size_t n_tests;
	struct suite_stream *stream;
	/* The whole suite as JSON with every secret removed (apiKey and any
	 * key whose name contains "key", "token", "secret", "password",
	 * "authorization", "cookie" or "credential"; every header value but
	 * Content-Type, Accept and User-Agent; URL userinfo; any registered
	 * secret inside a string): safe to store and to print.  Loading a
	 * suite also registers its secret values with util/redact.h. */
	json_t *sanitized;
	/* promptfoo's `evaluateOptions` (an object) and `outputPath` (a
	 * string or a list of strings) as written; NULL when absent. */
	json_t *evaluate_options;
	json_t *output_path;
	/* The conversations the tests borrow (suite/conv.h). */
	struct conv **convs;
	size_t n_convs;
	/* Interned file names referenced by `struct loc`. */
	char **files;
	size_t n_files;
};

/* Loads and validates the suite at `path`.  On success *out owns a new
 * suite and 0 is returned.  On failure returns ST_INPUT (or ST_IO) with
 * `err` naming the file, line and column, what was found and what was
 * expected; *out is left NULL. */
int suite_load(const char *path, struct suite **out, struct err *err);

/* promptfoo's `eval` flags that replace parts of a suite (suite_cli.c):
 * -p prompt files, -r provider ids, -t a test file (paths relative to the
 * current directory) and --var values (a JSON object of strings, merged
 * into defaultTest.vars).  Everything is borrowed for the load. */
struct suite_cli {
	const char *const *prompts;
	size_t n_prompts;
	const char *const *providers;
	size_t n_providers;
	const char *tests;         /* or NULL */
	const json_t *vars;        /* or NULL */
};

/* suite_load with the command line's replacements; `path` NULL loads a
 * suite made of the command line alone (as `promptfoo eval -p … -r …`
 * without a config).  `cli` NULL is suite_load. */
int suite_load_cli(const char *path, const struct suite_cli *cli,
		   struct suite **out, struct err *err);

/* What must see every test once, without a streamed suite reading its
 * files again (the run's assertion checks and judges): `fn` is called on
 * each streamed test as the loader reads it (i its index; a non-zero
 * return fails the load with err as set).  Tests kept in memory are not
 * visited: the caller walks them after the load (suite_test_mem). */
struct suite_visit {
	int (*fn)(void *ud, const struct test_case *t, size_t i,
		  struct err *err);
	void *ud;
};
int suite_load_visit(const char *path, const struct suite_cli *cli,
		     const struct suite_visit *visit, struct suite **out,
		     struct err *err);

/* Test i when it is in memory (every test of an in-memory suite; a
 * streamed suite's inline tests and small files), else NULL. */
const struct test_case *suite_test_mem(const struct suite *s, size_t i);

/* The tests, in memory or streamed (suite_stream.c).
 *
 * suite_test returns test i (i < n_tests).  For an in-memory suite that is
 * &s->tests[i].  For a streamed one the test's chunk (a few hundred tests)
 * is re-read from its file and re-built through the same code as at load;
 * a bounded cache keeps the chunks in use.  The pointer stays valid while
 * the test is held (suite_test_hold … suite_test_drop: a count per chunk),
 * and otherwise until SUITE_STREAM_KEEP other chunks have been read: hold
 * a test across anything that may read many others.  NULL (streamed only)
 * when its file can no longer be read or changed since the load; then
 * suite_stream_err says why (file:line:col).  suite_test_hold loads like
 * suite_test, then counts a hold; drop undoes one hold. */
#define SUITE_STREAM_KEEP 4
const struct test_case *suite_test(const struct suite *s, size_t i);
const struct test_case *suite_test_hold(const struct suite *s, size_t i);
void suite_test_drop(const struct suite *s, size_t i);
const struct err *suite_stream_err(const struct suite *s);

/* True when some tests stream from their files. */
bool suite_streamed(const struct suite *s);

/* Loads every test into s->tests, as a suite that never streamed: for
 * what reorders, filters or edits the tests (suite_filter,
 * suite_keep_tests, probes).  Nothing for an in-memory suite.  0, or
 * ST_IO / ST_INPUT with err set (the suite is then unchanged). */
int suite_tests_materialize(struct suite *s, struct err *err);

/* Keeps the tests whose keep[i] is true (in order) and frees the others;
 * `keep` has s->n_tests entries.  The suite must be in memory
 * (suite_tests_materialize). */
void suite_keep_tests(struct suite *s, const bool *keep);

/* Frees the suite; suite_free(NULL) does nothing. */
void suite_free(struct suite *s);

/* Renders prompt `p` with `vars`.  For chat prompts the values are
 * JSON-escaped.  Returns an owned string or NULL with err set. */
char *suite_render_prompt(const struct prompt *p, const json_t *vars,
			  struct err *err);

/* Keeps only tests whose description or vars (as JSON) match the PCRE2
 * pattern, then only the first `first_n` (0 = all).  A streamed suite is
 * materialized first. */
int suite_filter(struct suite *s, const char *pattern, size_t first_n,
		 struct err *err);

#endif
