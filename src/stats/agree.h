/* agree.h — agreement between raters: Cohen's kappa for two raters with
 * its large-sample standard error (Fleiss, Cohen & Everitt 1969), and
 * Krippendorff's alpha (nominal or ordinal) for any number of raters with
 * missing values (Krippendorff 2011, "Computing Krippendorff's
 * Alpha-Reliability"). */
#ifndef ASSAY_STATS_AGREE_H
#define ASSAY_STATS_AGREE_H

#include <stddef.h>
#include <stdint.h>

#include "stats.h"

#define STATS_KAPPA_MAXCAT 8

struct stats_kappa {
	size_t n;           /* items rated by both */
	double po, pe;      /* observed and chance agreement */
	double kappa;       /* (po - pe) / (1 - pe); NAN when pe == 1 or n == 0 */
	double se;          /* FCE 1969 non-null asymptotic SE; NAN when undefined */
	struct interval ci; /* kappa -/+ z se, clipped to [-1, 1]; NAN when
			     * se is 0 (perfect agreement: the asymptotic
			     * interval would be a point) */
};

/* Cohen's kappa of two raters' categories a[i], b[i] in
 * 0..STATS_KAPPA_MAXCAT-1 (items with a category out of range are
 * skipped) at confidence conf. */
struct stats_kappa stats_cohen_kappa(const int *a, const int *b, size_t n,
				     double conf);

enum stats_alpha_metric { STATS_ALPHA_NOMINAL, STATS_ALPHA_ORDINAL };

/* Krippendorff's alpha of a units × raters matrix v (row-major,
 * v[u * n_raters + r]; NAN = not rated).  Values are categories (any
 * numbers; ordinal ranks them).  Units with fewer than two values are
 * not pairable and ignored.  NAN when fewer than two pairable values or
 * no disagreement is expected (every value the same). */
double stats_kripp_alpha(const double *v, size_t n_units, size_t n_raters,
			 enum stats_alpha_metric metric);

/* Percentile bootstrap interval of alpha, resampling units (seeded). */
struct interval stats_kripp_alpha_ci(const double *v, size_t n_units,
				     size_t n_raters,
				     enum stats_alpha_metric metric,
				     size_t reps, uint64_t seed, double conf);

#endif
