/* stats_report.h — the front door of the statistics report: every figure
 * of docs/statistics.md computed from a stored run (per candidate, between
 * candidates, calibration, refusals, failure modes, robustness,
 * classification and the model decision), as one JSON object and as
 * readable terminal sections.
 *
 * Used by `assay stats`, at the end of `assay run` and by report_write
 * (the `stats` key of a .json export).  Reads only the store. */
#ifndef ASSAY_STATS_REPORT_H
#define ASSAY_STATS_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../store/store.h"
#include "../util/err.h"

struct stats_opts {
	long resamples;		/* bootstrap resamples; <= 0 means 10000 */
	uint64_t seed;		/* bootstrap seed (default 0) */
	double mdd;		/* difference to size the suite for; <= 0: 0.05 */
};

/* Computes the statistics of run `run_id` (after committing the store's
 * open batch).  `o` may be NULL (defaults).  Returns a new object the
 * caller owns (json_decref), or NULL with err set (ST_DB: unknown run,
 * SQL failure). */
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

/* Prints an object made by report_stats_json. */
void report_stats_print_json(const json_t *stats, FILE *f, bool color);

#endif
