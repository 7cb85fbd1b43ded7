/* store_view.h — the reads the web app (`assay view`, src/view/) needs
 * beyond store.h and store_human.h: the cases × candidates matrix paged
 * and filtered in SQL, one result with its case, a row's cells, the review
 * queue of a reviewer, the next blind pair, a result's human grades and a
 * run's tags.  All SQL lives in store_view.c.
 *
 * Rows handed to a callback live until it returns (copy what you keep);
 * a callback returning non-zero stops the walk and that value is
 * returned.  Errors: ST_DB with the message. */
#ifndef ASSAY_STORE_VIEW_H
#define ASSAY_STORE_VIEW_H

#include <stdbool.h>
#include <stdint.h>

#include "store.h"
#include "store_human.h"

/* Which matrix rows (a case × repeat) are shown: a row is kept when one
 * of its results (of `provider`, when >= 0) meets every set condition. */
struct sv_filter {
	bool failing;      /* graded and failed (an infrastructure error is
			    * not a failure) */
	bool judge_rules;  /* model-graded and rule assertions disagree */
	long provider;     /* provider_idx, or -1 for any */
	const char *tag;   /* in metadata.tags, or NULL */
	const char *text;  /* case-insensitive substring of the case's
			    * description or vars or the output, or NULL */
};

/* One result as the app shows it. */
struct sv_cell {
	int64_t result_id, run_id;
	long case_idx, prompt_idx, provider_idx, repeat;
	const char *description, *vars_json, *metadata_json;
	const char *provider_id, *provider_label, *prompt_label;
	const char *prompt_text, *output, *error_kind, *error_msg, *reason;
	int pass;                   /* 1, 0, -1 (error or not graded) */
	double score, latency_ms, cost_usd;  /* NAN when unknown */
	bool judge_rules;           /* judge and rules disagree */
	long n_ratings;             /* people's ratings of this result */
	double mean_rating;         /* NAN when none */
};

/* The rows of the filtered matrix from `offset`, at most `limit`, in
 * (case, repeat) order; *total = rows matching. */
int store_view_rows(struct store *st, int64_t run_id,
		    const struct sv_filter *f, long offset, long limit,
		    int (*cb)(void *ud, long case_idx, long repeat), void *ud,
		    long *total, struct err *err);

/* Every result of one row, in (prompt, provider) order. */
int store_view_row_cells(struct store *st, int64_t run_id, long case_idx,
			 long repeat,
			 int (*cb)(void *ud, const struct sv_cell *c), void *ud,
			 struct err *err);

/* One result by id; *found false when there is none. */
int store_view_result(struct store *st, int64_t result_id,
		      int (*cb)(void *ud, const struct sv_cell *c), void *ud,
		      bool *found, struct err *err);

/* The review queue of one reviewer over a run's results that have an
 * output.  Base set: results meeting failing / judge_rules / provider, in
 * (case, repeat, prompt, provider) order — or, when sample > 0, the first
 * `sample` of them in an order drawn from `seed` (stable: grading does
 * not change the sample).  Eligible: base items this reviewer rated, or
 * rated by fewer than per_item other reviewers (per_item 0: all).  Walked
 * (from offset, at most limit): eligible items, only those not rated by
 * this reviewer when `ungraded`.  *total = eligible, *graded = eligible
 * ones this reviewer rated. */
struct sv_queue {
	const char *reviewer;
	bool failing, judge_rules, ungraded;
	long provider;     /* -1: any */
	long sample;       /* 0: no sampling */
	uint64_t seed;
	long per_item;
};
int store_view_queue(struct store *st, int64_t run_id,
		     const struct sv_queue *q, long offset, long limit,
		     int (*cb)(void *ud, int64_t result_id, bool mine),
		     void *ud, long *total, long *graded, struct err *err);

/* The next pair for a blind pairwise choice: two results with output of
 * one case, prompt and repeat from different providers (provider_a and
 * provider_b when >= 0), that `reviewer` has not judged (in either order)
 * and that fewer than per_item other reviewers judged (0: no limit), in
 * an order drawn from seed.  Sets *a < *b (result ids; 0 when none is
 * left), *total pairs and *done (those this reviewer judged). */
int store_view_next_pair(struct store *st, int64_t run_id,
			 const char *reviewer, long provider_a,
			 long provider_b, long per_item, uint64_t seed,
			 int64_t *a, int64_t *b, long *total, long *done,
			 struct err *err);

/* The human grades of one result (as the graded one, or either side of a
 * pair), in id order. */
int store_view_result_grades(struct store *st, int64_t result_id,
			     store_human_cb cb, void *ctx, struct err *err);

/* The distinct tags (metadata.tags) of a run's cases, sorted. */
int store_view_tags(struct store *st, int64_t run_id,
		    int (*cb)(void *ud, const char *tag), void *ud,
		    struct err *err);

/* Per provider: people's ratings of a run's results — count, mean
 * rating (NAN when none), ships and ship answers. */
int store_view_rating_totals(struct store *st, int64_t run_id,
			     int (*cb)(void *ud, long provider_idx, long n,
				       double mean, long ships, long answers),
			     void *ud, struct err *err);

#endif
