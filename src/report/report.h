/* report.h — the front door of reporting: everything here reads a finished
 * (or partial) run from the store and writes it somewhere.
 *
 * - `report_summary` computes the per provider × prompt figures (pass rate
 *   with a 95% Wilson interval, mean score, errors, latency p50/p95 from the
 *   stored rows, tokens, named metrics);
 * - `report_print_table` prints them as a terminal table;
 * - `report_write` writes the run to a file whose format follows the
 *   extension: .json (run, summary, results), .jsonl (one result a line),
 *   .csv (one result a row).
 *
 * Ownership: `report_summary` returns an owned array released with
 * `report_summary_free`. */
#ifndef ASSAY_REPORT_H
#define ASSAY_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../util/buf.h"
#include "../util/err.h"
#include "../store/store.h"

struct summary_row {
	int provider_idx, prompt_idx;
	char *provider_id, *provider_label, *prompt_label;
	long n;              /* results incl. errors */
	long passes, fails;
	long errors;         /* infrastructure errors (server, network) */
	long grade_errors;   /* grading errors (a grader or judge failed) */
	double pass_rate;    /* passes / (passes + fails); NaN when none */
	double ci_lo, ci_hi; /* 95%: the statistics report's pass-rate
			      * interval (Wilson; design-adjusted when
			      * ci_design: clusters or repeats) */
	bool ci_design;
	double mean_score;   /* over graded results */
	double p50_ms, p95_ms; /* over successful responses; NaN when none */
	long prompt_tokens, completion_tokens;
	double cost_usd;     /* sum of known costs */
	char *named_json;    /* JSON object metric -> mean per test, owned;
			      * the suite's derivedMetrics included */
	char *derived_json;  /* the derivedMetrics alone (a JSON object), or
			      * NULL when the suite has none; owned */
};

struct summary {
	int64_t run_id;
	struct summary_row *rows;
	size_t n_rows;
	long total, passes, fails, errors, grade_errors;
};

/* Fills *out for run `run_id` with one row per provider × prompt (provider
 * order, then prompt order; rows with no results have n == 0 and NaN
 * rates), computed by SQL from the stored rows after committing the
 * store's open batch.  Errors: ST_DB (unknown run, SQL failure); *out is
 * then empty.  Release with report_summary_free (safe on an empty one). */
int report_summary(struct store *st, int64_t run_id, struct summary *out,
		   struct err *err);
void report_summary_free(struct summary *s);

/* True when a stored error result (error_kind set) is a grading error:
 * assay's grader or a judge failed ("grading failed: ..."), not the
 * server or the network. */
bool report_is_grading_error(const char *error_kind, const char *error_msg);

/* Prints the summary as an aligned table with a totals line (and a note
 * when there were infrastructure or grading errors; a "Grading err"
 * column only then).  Labels are escaped with
 * report_term_escape; `color` adds ANSI colours. */
void report_print_table(const struct summary *s, FILE *f, bool color);

/* The per-case table: one line per case, one column per candidate
 * (provider, or provider / prompt when the run has several prompts),
 * cells pass / FAIL / error / — (not run), or passes/graded with
 * repeats; then "N of M cases shown".  Filters (NULL fields: none): a
 * tag in metadata.tags, failing cases only (a failure or an error in a
 * shown column), one provider by id or label (ST_USAGE when the run has
 * none such). */
struct case_filter {
	const char *tag;
	bool failing;
	const char *provider;
};
int report_print_cases(struct store *st, int64_t run_id,
		       const struct case_filter *f, FILE *out, bool color,
		       struct err *err);

/* Prints to f a warning when run `run_id` is not complete: still
 * running, interrupted (its process gone), ended in error, or holding
 * fewer results than planned — its figures are then partial.  Prints
 * nothing for a complete run.  Returns true when it warned. */
bool report_warn_incomplete(struct store *st, int64_t run_id, FILE *f);

/* Writes run `run_id` to `path` in the format its extension names (.json,
 * .jsonl, .csv; case-insensitive), via PATH.tmp renamed into place so a
 * reader never sees half a file.  Memory does not grow with the number of
 * results.  Errors: ST_USAGE for an unknown extension (naming the
 * expected ones), ST_IO, ST_DB; on failure no file is left at `path`'s
 * temporary name and an existing `path` is untouched. */
int report_write(struct store *st, int64_t run_id, const char *path,
		 struct err *err);

/* The layout of -o FILE.json: assay's own (docs/output.md; the default)
 * or promptfoo's output file (evalId, results.results[], results.stats,
 * config) with assay's whole document under "assay" (what `assay eval`
 * writes, docs/promptfoo.md).  Process-wide, like the baseline. */
enum report_json_layout { REPORT_JSON_ASSAY, REPORT_JSON_PROMPTFOO };
void report_set_json_layout(enum report_json_layout layout);

/* Checks, before a run, that report_write could write `path`: a known
 * extension and an existing, writable directory.  0 or ST_USAGE with a
 * message naming the path. */
int report_check_path(const char *path, struct err *err);

/* The run a Markdown summary (-o summary.md) compares with (the CI
 * gate's baseline); 0 for none. */
void report_set_baseline(int64_t run_id);

/* Writes s as Markdown table-cell text (pipes, backticks and angle
 * brackets neutralised, line breaks as spaces), at most max bytes (0 =
 * all) with "…" when cut. */
void report_md_cell(FILE *f, const char *s, size_t max);

/* Helpers for showing untrusted text (model output, labels).
 *
 * report_term_escape appends `s` made safe for a terminal: valid UTF-8 is
 * kept, \n \t \r become two-character escapes, other controls (C0, DEL,
 * C1) and invisible/bidi formatting characters become \xNN or \uNNNN, and
 * bytes that are not UTF-8 become \xNN.  At most `max_cols` display columns
 * are appended (0 = no limit), the cut marked with "…".  Returns the
 * columns appended.  s may be NULL (appends nothing). */
size_t report_term_escape(struct buf *out, const char *s, size_t max_cols);

/* Display columns of UTF-8 text (wide CJK/emoji count 2, combining marks
 * 0, invalid bytes 1). */
size_t report_text_width(const char *s);

/* Like buf_json_escape, but bytes that are not valid UTF-8 become U+FFFD,
 * so the JSON written is always valid. */
void report_json_escape(struct buf *out, const char *s, size_t n);

/* Conversations (report_turns.c): the per-turn section of `assay show`
 * (nothing when the run has no turns; f->provider filters), and the
 * `,"turns":[…]` member of one result in the JSON export (nothing when
 * the result is not a conversation).  0 or ST_DB. */
int report_print_turns(struct store *st, int64_t run_id,
		       const struct case_filter *f, FILE *out, bool color,
		       struct err *err);
int report_turns_json(struct store *st, int64_t run_id,
		      const struct store_result *r, struct buf *b, struct err *err);

#endif
