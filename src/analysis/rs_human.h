/* rs_human.h — the statistics of human grades as typed fields (part of
 * struct run_stats, analysis.h; computed by analysis_human.c from the
 * grades in the store; docs/statistics.md "Human grades").  NaN marks a
 * figure that does not exist.  Owned by the run_stats. */
#ifndef ASSAY_ANALYSIS_RS_HUMAN_H
#define ASSAY_ANALYSIS_RS_HUMAN_H

#include <stdbool.h>
#include <stddef.h>

struct rs_hcand {
	size_t cand;
	double r_est, r_lo, r_hi;	/* mean rating, CR1 by case, in [1, 5] */
	long r_n, r_clusters;
	bool ship_ok;			/* a "would ship" rate could be formed */
	double s_est, s_lo, s_hi;	/* design-adjusted Wilson by case */
	long s_k, s_n, s_clusters;
};

struct rs_hwin {
	size_t a, b;
	long wins_a, wins_b, ties;
	double est, lo, hi;		/* Wilson of wins_a / non-ties */
};

struct rs_hbt {
	size_t cand;
	double est, lo, hi;		/* 1000 + 400 log10 strength */
};

struct rs_hkappa {
	bool present;
	double est, lo, hi, observed, se;
	long n;
};

struct rs_human {
	bool computed;		/* the report asked (JSON key present) */
	bool present;		/* the run has human grades (else null) */
	char **graders;
	size_t ngraders;
	long grades;
	struct rs_hcand *cands;
	size_t ncands;
	bool has_pairwise;
	long comparisons, ties, bt_resamples;
	struct rs_hwin *wins;
	size_t nwins;
	struct rs_hbt *bt;
	size_t nbt;
	long left, nonties;	/* position bias: left chosen of non-ties */
	double pos_est, pos_lo, pos_hi, pos_p;
	long reviewers;
	bool has_alpha;
	double a_rating, a_rating_lo, a_rating_hi;
	double a_ship, a_ship_lo, a_ship_hi;
	struct rs_hkappa kappa_ship, vs_pass, vs_judge, vs_rules;
};

void rs_human_free(struct rs_human *h);

#endif
