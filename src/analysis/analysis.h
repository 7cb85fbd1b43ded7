/* analysis.h — the front door of the analysis layer: every figure of
 * docs/statistics.md computed from a run (rs_run.h) into one typed
 * struct run_stats — per candidate (pass rate, score, metrics, repeats,
 * latency, cost, calibration, refusals, failure modes, robustness,
 * classification), the paired comparisons and the model decision.
 *
 * rs_compute_stats is pure arithmetic on the arrays (it never touches
 * the store); rs_json writes the struct as the `stats` JSON object (the one
 * place JSON is written: analysis_json.c); the terminal text is written
 * from the same struct by src/report/report_stats_print.c.  The HTML
 * report, the web app and run comparison read the JSON.
 *
 * The human-grade part (rs_human.h) is filled by rs_human, which reads
 * the grades from the store (the report calls it after rs_compute_stats).
 *
 * Ownership: a run_stats borrows the rs_run it was computed from (labels,
 * descriptions, tag and class names point into it) and owns the rest;
 * keep the run alive while the stats are used and free with
 * run_stats_free.  NaN marks a figure that does not exist (JSON null). */
#ifndef ASSAY_ANALYSIS_H
#define ASSAY_ANALYSIS_H

#include <jansson.h>

#include "rs_human.h"
#include "rs_run.h"
#include "run_stats_types.h"

struct stats_opts {
	long resamples;		/* bootstrap resamples; <= 0 means 10000 */
	uint64_t seed;		/* bootstrap seed (default 0) */
	double mdd;		/* difference to size the suite for; <= 0: 0.05 */
};

struct run_stats {
	const struct rs_run *run;
	struct rs_run *own;	/* freed with the stats when set */
	long resamples;
	uint64_t seed;
	char **perturbs;	/* perturbation kinds of the flip rates
				 * ("typos:0.1", "variant") */
	size_t nperturbs;
	int *case_kind;		/* per case: its kind, -1 none or original */
	long *case_orig;	/* per case: its group's original, -1 none */
	struct rs_cand_stats *cands;
	size_t ncands;
	struct rs_comparisons cmp;
	struct rs_decision dec;
	char **warnings;
	size_t nwarnings;
	struct rs_human human;	/* human grades (rs_human.h) */
};

/* Computes every figure of r into *out (zeroed first).  o may be NULL
 * (defaults).  Never fails (allocation failure aborts). */
void rs_compute_stats(const struct rs_run *r, const struct stats_opts *o,
		      struct run_stats *out);
void run_stats_free(struct run_stats *s);

/* The decision from typed inputs (k candidates) and the suite's block. */
void rs_decision(const struct suite_decision *d, const struct rs_dec_cand *c,
		 size_t k, struct rs_decision *out);
void rs_decision_free(struct rs_decision *d);

/* The `stats` JSON object of s (owned by the caller). */
json_t *rs_json(const struct run_stats *s);
json_t *rs_decision_json(const struct rs_decision *d);
/* rs_compute_stats then rs_json. */
json_t *rs_compute(const struct rs_run *r, const struct stats_opts *o);

/* The statistics of run_id's human grades into *out (analysis_human.c,
 * which reads them from the store): out->present false when there are
 * none.  Returns 0, or an error code with err set (out released). */
struct store;
struct err;
int rs_human(struct store *st, int64_t run_id, const struct rs_run *r,
	     const struct stats_opts *o, struct rs_human *out, struct err *err);

/* The pass-rate interval of a candidate and a short name of its method
 * (shared with the summary table, so both print the same interval). */
int rs_pass_ci(const struct rs_run *r, const struct rs_cand *c,
	       struct rs_pass_ci *out);
const char *rs_pass_method(const struct rs_pass_ci *p);

#endif
