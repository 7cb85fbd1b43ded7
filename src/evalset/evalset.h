/* evalset.h — the front door of the eval-set builders: `assay sample`
 * (production logs → cases), `assay probe` (adversarial and edge-case packs
 * → cases) and the text helpers they share (JSON paths, MinHash, redaction,
 * a YAML string writer).  Nothing here sends a request.
 *
 * Ownership: functions returning `char *` return owned strings (the caller
 * frees); structs filled by a function are released by its `_free`/
 * `_cleanup` partner, which accepts NULL.  Input errors carry
 * file:line:col in `struct err`. */
#ifndef ASSAY_EVALSET_H
#define ASSAY_EVALSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

#include "../util/buf.h"
#include "../util/err.h"

/* ---- small helpers (es_util.c) ------------------------------------------ */

/* A seeded 64-bit hash of n bytes (FNV-1a, then the splitmix64 finaliser). */
uint64_t es_hash(const void *p, size_t n, uint64_t seed);

/* Appends s as a YAML double-quoted scalar (quotes included): `\`, `"`,
 * control and non-printable characters escaped, everything else raw UTF-8,
 * so the result loads back byte for byte.  s must be valid UTF-8. */
void es_yaml_quote(struct buf *b, const char *s);

/* Appends a JSON value as YAML flow (strings via es_yaml_quote). */
void es_yaml_json(struct buf *b, const json_t *v);

/* An assertion of a loaded suite as a suite would write it (type, value,
 * and weight, threshold, metric, transform, provider, rubricPrompt,
 * severity when set; secret-named keys of a provider's config left out),
 * for a written test to carry it (probe.c, cmd_review_export.c).  Owned. */
struct assertion_spec;
json_t *es_assert_json(const struct assertion_spec *a);

/* Replaces invalid UTF-8 sequences in s[0..n) by U+FFFD; owned result. */
char *es_utf8_clean(const char *s, size_t n);

/* A suite renders a var whose value holds `{{`, `{#` or `{%` as a
 * template (nested vars): returns s with a space after each such `{`
 * (owned), *count (if non-NULL) increased by how many. */
char *es_untemplate(const char *s, size_t *count);

/* Number of code points in a UTF-8 string. */
size_t es_utf8_len(const char *s);

/* Writes n bytes to path through a temporary file and a rename (so a
 * reader never sees half a file); "-" writes to stdout.  0 or ST_IO. */
int es_write_file(const char *path, const char *data, size_t n,
		  struct err *err);

/* ---- JSON paths (jpath.c) ----------------------------------------------- */

/* Looks up `path` in `root`: keys joined by '.', `[N]` indexes (negative
 * counts from the end), `["key"]` for keys with dots or spaces, an optional
 * leading `$`/`$.`.  E.g. `messages[-1].content`.  Returns a borrowed
 * value or NULL when absent.  A malformed path returns NULL and, when
 * `err` is non-NULL, sets it (ST_USAGE, naming the column). */
const json_t *es_jpath(const json_t *root, const char *path, struct err *err);

/* Checks a path's syntax: 0, or ST_USAGE with the column of the fault. */
int es_jpath_check(const char *path, struct err *err);

/* The text of a value: a string as is, a number or boolean written out, a
 * list of chat content parts (`[{"type": "text", "text": ...}]` or
 * strings) joined with newlines.  NULL for anything else. Owned. */
char *es_json_text(const json_t *v);

/* ---- MinHash (minhash.c) -------------------------------------------------- */

#define ES_MINHASH_K 128        /* hash functions per signature */

/* Word shingles: words are maximal runs of letters and digits (any byte
 * >= 0x80 counts as a letter), ASCII lower-cased; a shingle is `shingle`
 * consecutive words (a text with fewer words is one shingle).  Fills
 * sig[ES_MINHASH_K] with the minimum of each seeded hash over the shingles
 * (all UINT64_MAX for a text with no word). */
void es_minhash(const char *text, int shingle, uint64_t sig[ES_MINHASH_K]);

/* The share of equal positions: an unbiased estimate of the Jaccard
 * similarity of the two shingle sets (standard error <= 0.045 at K=128). */
double es_minhash_jaccard(const uint64_t *a, const uint64_t *b);

/* ---- redaction (redact.c) ----------------------------------------------- */

/* Replaces personal data in s by placeholders — [EMAIL], [CARD] (13–19
 * digits passing the Luhn check), [IBAN] (mod-97 check), [SSN], [PHONE],
 * [IPV4], [IPV6], [SECRET] (API keys and bearer tokens) — patterns in
 * docs/evalset.md.  Returns an owned string; *count (if non-NULL) is
 * increased by the number of replacements. */
char *es_redact(const char *s, size_t *count);

/* Applies es_redact to every string inside v (keys kept), in place. */
void es_redact_json(json_t *v, size_t *count);

/* Luhn and IBAN checks on the digits/characters of s (separators ' ' and
 * '-' ignored), exposed for tests. */
bool es_luhn_ok(const char *s, size_t n);
bool es_iban_ok(const char *s, size_t n);

/* ---- assay sample (sample.c, logread.c) --------------------------------- */

struct es_sample_opts {
	const char *path;         /* log file ("-" = stdin); gzip is detected */
	const char *field;        /* JSON path of the input, default "input" */
	const char *stratify_by;  /* JSON path of the stratum field, or NULL */
	const char *var;          /* var name of the cases, default "input" */
	size_t n;                 /* cases wanted, default 50 */
	size_t min_per_stratum;   /* default 2 */
	uint64_t seed;
	double near_dup;          /* Jaccard threshold; > 1 turns it off */
	int shingle;              /* words per shingle, default 3 */
	bool redact;
	bool csv_input;           /* force CSV (else by extension) */
	bool keep_record;         /* the whole record in metadata (default) */
};

/* One sampled case: owned by the result. */
struct es_case {
	char *input;              /* the text (redacted when asked) */
	json_t *record;           /* the original record, or NULL */
	long line;                /* 1-based line where the record starts */
	char *stratum;            /* "intent=billing/typical" */
	char *bucket;             /* short / typical / long / very long */
	char *value;              /* stratify-by value, or NULL */
	uint64_t prio;
	bool untemplated;         /* `{{`-like sequences were broken up */
};

struct es_stratum {
	char *name;
	size_t records, sampled;
};

struct es_sample {
	struct es_case *cases;
	size_t n_cases;
	struct es_stratum *strata;
	size_t n_strata;
	size_t records, malformed, no_input;
	size_t exact_dups, near_dups, redactions, untemplated;
	size_t bucket_lo[4], bucket_hi[4]; /* length ranges (code points) */
	bool bucket_used[4];
};

/* Reads the log in one pass and draws the sample.  Memory is bounded by
 * (n × strata × length bins) kept records, whatever the log's size.
 * Malformed lines are skipped, counted and the first few reported on
 * `warn` with file:line:col.  Returns 0, or ST_IO / ST_USAGE / ST_INPUT
 * with err set (nothing kept). */
int es_sample_run(const struct es_sample_opts *o, struct es_sample *out,
		  FILE *warn, struct err *err);

void es_sample_cleanup(struct es_sample *s);

/* Writes the cases as a YAML test list (or CSV when `csv`), with the
 * report as comments (YAML). */
void es_sample_write_yaml(const struct es_sample_opts *o,
			  const struct es_sample *s, struct buf *b);
void es_sample_write_csv(const struct es_sample_opts *o,
			 const struct es_sample *s, struct buf *b);
/* The strata report, as printed on stderr. */
void es_sample_report(const struct es_sample_opts *o,
		      const struct es_sample *s, FILE *f);

/* ---- probe texts (probe_text.c); all return owned strings ------------- */

char *es_base64(const char *s);          /* RFC 4648, with padding */
char *es_rot13(const char *s);
char *es_leet(const char *s);            /* a→4 e→3 i→1 o→0 s→5 t→7 */
/* Splits at the space nearest the middle (the space dropped). */
void es_split_half(const char *s, char **a, char **b);
char *es_truncate_half(const char *s);   /* up to that space */
char *es_emoji(const char *s, uint64_t seed);   /* one every 3 words */
char *es_mixed_scripts(const char *s, uint64_t seed); /* look-alikes */
char *es_stuffing(long tokens, uint64_t seed);  /* ~4 bytes a token */
char *es_garbage(size_t n, uint64_t seed);      /* n random symbols */

/* ---- assay probe (probe.c) ---------------------------------------------- */

struct es_probe_opts {
	const char *suite;        /* suite file */
	const char *packs;        /* "injection,jailbreak,edge" or paths */
	const char *pack_dir;     /* NULL: $ASSAY_PACKS, else next to the
				   * binary (../packs, ../share/assay/packs) */
	const char *var;          /* target var, NULL: the first string var
				   * the prompts use */
	size_t per_case;          /* probes per slot and pack; 0 = all */
	uint64_t seed;
};

/* Generates the probe cases as a YAML test list into *out and a one-line
 * summary per pack on `report` (may be NULL).  Returns 0, or ST_INPUT /
 * ST_IO / ST_USAGE with err set (a pack or suite error names its
 * file:line:col). */
int es_probe_run(const struct es_probe_opts *o, struct buf *out,
		 FILE *report, struct err *err);

#endif
