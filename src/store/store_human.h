/* store_human.h — grades given by people (the `human_grades` table,
 * docs/storage.md): a reviewer's 1–5 rating and "would ship" of one
 * result, or a blind pairwise choice between two results of one case.
 *
 * Writers: `assay view` (the web app) and `assay review import`.  Reader:
 * the human-grade statistics (src/analysis) and `assay review export`.
 * All SQL lives in store_human.c. */
#ifndef ASSAY_STORE_HUMAN_H
#define ASSAY_STORE_HUMAN_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct store_human_grade {
	int64_t id;              /* set by put and list */
	int64_t result_id;       /* rating: the graded result; pairwise: shown on the left */
	int64_t other_result_id; /* pairwise: shown on the right; else 0 */
	const char *grader;      /* reviewer name, required, non-empty */
	const char *kind;        /* "rating" or "pairwise" */
	int rating;              /* 1..5, 0 = none */
	int ship;                /* 1 yes, 0 no, -1 not given (column pass) */
	int64_t preferred;       /* pairwise: the chosen result id; 0 = tie */
	const char *comment;     /* or NULL */
	const char *created_at;  /* list only */
};

/* Stores grade g and sets *id (may be NULL).  Validates: a non-empty
 * grader (at most 200 bytes); kind "rating" (rating 0..5 and ship -1..1,
 * at least one of them given; other_result_id and preferred 0) or
 * "pairwise" (two different results of one run, the same case, prompt
 * and repeat, from different providers; preferred is one of the two or 0
 * for a tie; rating 0, ship -1); every result id exists.  A grader's new
 * rating of a result replaces their old one, and their new choice on a
 * pair (either order) replaces their old choice on it.  ST_INPUT with a
 * message on invalid grades, ST_DB on store failures. */
int store_human_put(struct store *st, const struct store_human_grade *g,
		    int64_t *id, struct err *err);

/* Stores grades g[0..n) as store_human_put would, one after the other
 * (a later grade may replace an earlier one of the same grader), in one
 * transaction: all of them, or — on a refused grade, a failed statement
 * or a failed commit — none (rolled back; the store is as before the
 * call).  *bad (may be NULL) is set to the index of the grade that
 * failed, or n when none did (a failed commit).  ST_INPUT with the
 * grade's message, ST_DB on store failures.  For importers. */
int store_human_put_all(struct store *st, const struct store_human_grade *g,
			size_t n, size_t *bad, struct err *err);

/* Calls cb for every human grade of run_id's results, in id order (the
 * order they were given).  Strings live until cb returns.  A callback
 * returning non-zero stops the walk and that value is returned. */
typedef int (*store_human_cb)(void *ctx, const struct store_human_grade *g);
int store_human_list(struct store *st, int64_t run_id, store_human_cb cb,
		     void *ctx, struct err *err);

#endif
