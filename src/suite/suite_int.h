/* suite_int.h — internal to src/suite: the loader's shared state and the
 * helpers suite.c (top level, prompts, providers) and suite_tests.c (tests,
 * assertions, CSV / JSONL / JSON / YAML test files) both use. */
#ifndef ASSAY_SUITE_INT_H
#define ASSAY_SUITE_INT_H

#include "suite.h"
#include "ynode.h"

/* ---- streamed test files (suite_stream.c) ------------------------------- */

/* Tests per chunk: what is re-read from a file at once. */
#define STREAM_CHUNK 256

/* One CSV cell (suite_tests.c), and a CSV column's role. */
struct cell {
	char *s;
	size_t n;
	int line, col;
};
enum col_kind { COL_VAR, COL_EXPECTED, COL_DESC, COL_THRESHOLD, COL_METRIC,
		COL_META, COL_META_LIST };

/* Where chunk k of a streamed file starts: the byte offset of a record
 * boundary, the line and column there, the index (in the file's tests) of
 * its first test, and a checksum of its bytes up to the next mark (a file
 * edited under a run is refused, not misread). */
struct smark {
	long long off;
	int line, col;
	size_t first;
	unsigned long long sum;
};

/* One piece of the suite's test list: in memory (`mem`, n tests), or a
 * CSV / JSONL file whose n tests are re-produced chunk by chunk. */
struct sseg {
	size_t base, n;              /* its tests are [base, base + n) */
	struct test_case *mem;       /* owned, or NULL: a stream */
	const char *file;            /* interned */
	int fd;                      /* open for re-reading, or -1 */
	bool csv;
	struct cell *hdr;            /* CSV: the header cells and kinds */
	enum col_kind *kinds;
	size_t n_hdr;
	struct smark *marks;         /* n_marks - 1 chunks; the last mark is
				      * the end of the file */
	size_t n_marks, cap_marks;
	/* while the file is first read */
	size_t mem_at;               /* its first test's place in s->tests */
	bool dropping;               /* it streams: tests are checked, then
				      * freed */
	unsigned long long sum;      /* checksum since the last mark */
};

/* A chunk in the cache. */
struct schunk {
	struct sseg *g;
	size_t k;                    /* marks[k] … marks[k + 1] */
	size_t first, n;             /* global index of its first test */
	struct test_case *t;
	long refs;
	unsigned long long used;
};

struct suite_stream {
	struct sseg *segs;
	size_t n_segs;
	struct test_case def;        /* defaultTest as parsed */
	json_t *file_idx;            /* the loader's interned paths */
	struct schunk *cache;
	size_t n_cache, cap_cache;
	unsigned long long tick;
	struct err err;              /* why the last read failed */
};

struct ld {
	struct suite *s;
	struct err *err;
	struct ydoc **docs;          /* kept until the load ends */
	size_t n_docs, cap_docs;
	size_t cap_tests, cap_prompts, cap_providers, cap_files;
	size_t tests_bytes;          /* estimated memory of the tests so far
				      * (limit tests_bytes) */
	json_t *empty;               /* one empty object shared by the tests
				      * without metadata (read-only) */
	json_t *file_idx;            /* path -> index in s->files */
	const struct suite_cli *cli; /* command-line replacements or NULL */
	const struct ynode *root;    /* the suite file's root: what "#/…"
				      * $refs point into */
	bool in_provider_file;       /* reading a file:// provider file */
	bool in_data;                /* loading a CSV or JSONL file: its
				      * file:// references stay inside the
				      * suite's directory */
	struct assert_share *share;  /* defaultTest's assertions as merged
				      * into a test that adds none (one
				      * reference held by the loader) */
	bool share_unparsable;       /* the unparsable_error they carry */
	json_t *interned;            /* short var values seen so far, by
				      * text: repeated values (a CSV's
				      * label column) share one json_t */
	/* streaming (suite_stream.c) */
	const struct suite_visit *visit; /* called on each streamed test */
	bool stream_ok;              /* large CSV / JSONL files may stream */
	bool need_mem;               /* a streamed test needs the in-memory
				      * form (conversation, perturb): load
				      * everything at the end */
	struct sseg *segs;           /* the streamed files so far */
	size_t n_segs, cap_segs;
	size_t n_streamed;           /* their tests */
	struct sseg *cur;            /* the file being read, or NULL */
	bool to_out;                 /* tests go to `out`, not s->tests */
	struct test_case *out;
	size_t n_out, cap_out;
};

/* Streaming, for suite_tests.c.  ld_stream_row: a record of g's file
 * ended at byte `off` (line, col there); checks and frees the tests it
 * added once the file streams, and sets marks.  ld_stream_finish: after
 * ld_tests, turns the streamed files into l->s->stream (def consumed).
 * ld_check_test: the template check of test `idx` (suite.c).
 * ld_chunk: re-parses the bytes of chunk `m` of g (text, len) into
 * l->out. */
int ld_stream_row(struct ld *l, struct sseg *g, long long off, int line,
		  int col);
int ld_stream_finish(struct ld *l, struct test_case *def);
int ld_check_test(struct ld *l, const struct test_case *tc, size_t idx);
int ld_chunk(struct ld *l, struct sseg *g, const struct smark *m,
	     const char *text, size_t len, const struct test_case *def);
void ld_secrets_test(const struct test_case *tc);
/* Opens `rel` (relative to the suite's directory) to read in blocks:
 * the same checks and messages as ld_read (size limit, UTF-8), reading
 * the file once.  Returns the descriptor (at offset 0) and the interned
 * path, or -1 with the error located at `at`.  ld_stream_end: the file's
 * first read is over (rc its outcome): keeps g as a stream when it
 * streams, else frees it. */
int ld_open(struct ld *l, const struct ynode *at, const char *rel,
	    const char **path);
int ld_stream_end(struct ld *l, struct sseg *g, int rc);
/* The offset of the first invalid UTF-8 sequence in p, or len; and the
 * limit's name added to a "larger than" message (suite.c). */
size_t ld_utf8_bad(const unsigned char *p, size_t len);
void ld_file_limit_hint(struct err *e);
/* Test i if it is in memory (s->tests or an in-memory piece of a
 * streamed suite), else NULL. */
const struct test_case *ld_mem_test(const struct suite *s, size_t i);
void stream_free(struct suite_stream *st);

/* Assertions shared by several tests (test_case.asserts_share): one
 * reference per test, and one per holder such as the loader. */
struct assert_share {
	size_t refs, n;
	struct assertion_spec specs[];
};

/* Drops one reference; the last one frees the assertions. */
void suite_share_release(struct assert_share *sh);

/* Returns the pooled copy of `path` (owned by the suite). */
const char *ld_intern(struct ld *l, const char *path);

/* A new empty document, freed when the load ends. */
struct ydoc *ld_doc(struct ld *l);

/* err_at at the node's position. */
int ld_err(struct ld *l, const struct ynode *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Reads `rel` (relative to the suite's directory).  On success returns
 * the text and sets *path to the interned full path; on failure returns
 * NULL with an error located at `at`.  Rejects invalid UTF-8. */
char *ld_read(struct ld *l, const struct ynode *at, const char *rel,
	      const char **path, size_t *len);

/* True when the string names a file:// reference. */
int ld_is_file_ref(const char *s);

/* The extension of a path, lowercased into buf ("" when none). */
const char *ld_ext(const char *path, char *buf, size_t n);

/* Reads `tests` (NULL when absent) and `defaultTest` (NULL when absent)
 * into l->s->tests with defaultTest merged in. */
int ld_tests(struct ld *l, const struct ynode *tests,
	     const struct ynode *default_test);

/* Checks a top-level `calibration`, `classification` or `decision`
 * block (key k, value v; suite_stats.c).  Returns 0 or ST_INPUT located
 * at the fault.  The blocks stay in the sanitized JSON, unchanged. */
int ld_stats_block(struct ld *l, const struct ynode *k, const struct ynode *v);

/* The eval-set keys (suite_perturb.c): checks a top-level `probe` or
 * `perturb` value (key k); stores a test's checked `perturb` or
 * `variants` in `meta`;
 * expands the tests into variant groups after ld_tests (top: the
 * top-level perturb node or NULL).  0 or ST_INPUT located at the fault. */
int ld_evalset_key(struct ld *l, const struct ynode *k, const struct ynode *v);
int ld_perturb_key(struct ld *l, const struct ynode *v, json_t *meta);
int ld_variants_key(struct ld *l, const struct ynode *v, json_t *meta);
int ld_perturb_expand(struct ld *l, const struct ynode *top);

/* Replaces *root by a copy with the command line's prompts, providers,
 * tests and vars (suite_cli.c); nothing when l->cli is NULL.  0 or
 * ST_INPUT located. */
int ld_cli_root(struct ld *l, const struct ynode **root);

/* Deep copy of one assertion (suite_tests.c). */
void assert_copy(struct assertion_spec *dst, const struct assertion_spec *src);
/* Registers every secret value of the loaded suite with the redactor
 * (util/redact.h): provider and judge configs, the environment
 * (suite_secrets.c). */
void ld_secrets(const struct suite *s);

/* Removes secrets from the suite's JSON in place: keys named like
 * secrets are dropped, header values and URL userinfo replaced by
 * "[REDACTED]", registered secrets redacted from every string. */
void ld_sanitize(json_t *j);

/* One assertion mapping (suite_tests.c), for suite_conv.c. */
int ld_parse_assert(struct ld *l, const struct ynode *m,
		    struct assertion_spec *a);
/* A provider given as an id or {id, config} (suite_tests.c). */
int ld_parse_judge(struct ld *l, const struct ynode *v, char **id,
		   json_t **config);
/* A test's `conversation:` value (v): parsed into a suite-owned conv that
 * t borrows; then the test's `turn: N` assertions moved onto their turns
 * (suite_conv.c).  0 or ST_INPUT located. */
int ld_conversation(struct ld *l, const struct ynode *v, struct test_case *t);
int ld_conv_turn_asserts(struct ld *l, struct test_case *t);

/* promptfoo's config features (suite_config.c).  ld_refs resolves every
 * `$ref: "#/path"` under *root in place (a reference with sibling keys
 * becomes the target's mapping with those keys on top; `parameters`
 * values keep their $refs); ld_scenarios builds, in *out, the suite's
 * tests followed by every scenario row × test merged; ld_env checks the
 * top-level `env` and sets each variable (secret-named values are
 * registered with the redactor); ld_env_sanitize replaces env values in
 * the stored copy; ld_metadata checks the top-level `metadata`.  Each
 * returns 0 or ST_INPUT located at the fault. */
int ld_refs(struct ld *l, struct ynode **root);
int ld_scenarios(struct ld *l, const struct ynode *scen,
		 const struct ynode *tests, const struct ynode *def,
		 const struct ynode **out);
int ld_env(struct ld *l, const struct ynode *v);
void ld_env_sanitize(json_t *root);
int ld_metadata(struct ld *l, const struct ynode *v);
/* `derivedMetrics`: a list of {name, value}; each value parses
 * (util/expr.h), else ST_INPUT at the character at fault. */
int ld_derived_metrics(struct ld *l, const struct ynode *v);
/* `evaluateOptions`: promptfoo's keys, each type-checked; unknown keys,
 * bad values and behaviour assay lacks (maxEvalTimeMs,
 * generateSuggestions: true, …) are ST_INPUT at the key or value. */
int ld_evaluate_options(struct ld *l, const struct ynode *v);

/* Appends a prompt (raw consumed, label copied; NULL label: the text). */
void ld_add_prompt(struct ld *l, char *raw, const char *label,
		   const char *file, int line, int col);
/* Several prompts from one .csv or .jsonl file (suite_prompt_files.c):
 * text (len bytes) read from `file`, `label` the file's or NULL, `ref`
 * as written.  0 or ST_INPUT located. */
int ld_prompt_csv(struct ld *l, const struct ynode *at, char *text,
		  size_t len, const char *file, const char *label);
int ld_prompt_jsonl(struct ld *l, const struct ynode *at, char *text,
		    const char *file, const char *label, const char *ref);

/* Frees one test case's contents (not the struct itself). */
void suite_test_cleanup(struct test_case *t);

#endif
