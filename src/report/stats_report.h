/* stats_report.h — the statistics report of a stored run: loads the run
 * from the store (report_stats_load.c), computes every figure of
 * docs/statistics.md with the analysis layer (src/analysis/analysis.h)
 * and writes it as one JSON object or as readable terminal sections.
 *
 * Used by `assay stats`, at the end of `assay run`, by report_write (the
 * `stats` key of a .json export) and the web app.  Reads only the store. */
#ifndef ASSAY_STATS_REPORT_H
#define ASSAY_STATS_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../analysis/analysis.h"
#include "../store/store.h"
#include "../util/err.h"

/* Computes the statistics of run `run_id` (after committing the store's
 * open batch), human grades included.  `o` may be NULL (defaults).
 * Returns a new run_stats (it owns its run; free with report_stats_free),
 * or NULL with err set (ST_DB: unknown run, SQL failure). */
struct run_stats *report_stats_compute(struct store *st, int64_t run_id,
				       const struct stats_opts *o,
				       struct err *err);
void report_stats_free(struct run_stats *s);

/* The same as one JSON object the caller owns (json_decref), or NULL
 * with err set. */
json_t *report_stats_json(struct store *st, int64_t run_id,
			  const struct stats_opts *o, struct err *err);

/* Prints the statistics of run `run_id` to f as terminal sections
 * (untrusted labels escaped; `color` adds ANSI colours).  Returns 0 or an
 * error as report_stats_json. */
int report_stats_print(struct store *st, int64_t run_id,
		       const struct stats_opts *o, FILE *f, bool color,
		       struct err *err);

/* Replaces the Wilson interval of each row of a summary of run `run_id`
 * (report.h) with the pass-rate interval the statistics report gives the
 * same candidate, so the summary table and the statistics section never
 * disagree (design-adjusted with clusters or repeats).  Sets each row's
 * ci_method.  Returns 0 or ST_DB with err set. */
struct summary;
int report_stats_summary_ci(struct store *st, int64_t run_id,
			    struct summary *s, struct err *err);

/* Prints computed statistics as terminal sections (report_stats_print.c,
 * the one place the text is written). */
void report_stats_print_stats(const struct run_stats *s, FILE *f, bool color);

#endif
