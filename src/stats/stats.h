/* stats.h — the front door of the statistics layer: pure functions on
 * arrays of numbers, no I/O and no knowledge of suites or stores.
 *
 * Every function documents its formula and the reference it was checked
 * against (see tests/unit/test_stats*.c and docs/statistics.md). */
#ifndef ASSAY_STATS_H
#define ASSAY_STATS_H

#include <stddef.h>

struct interval {
	double lo, hi;
};

/* Wilson score interval for k successes in n trials at confidence `conf`
 * (e.g. 0.95).  n == 0 gives [0, 1]. */
struct interval stats_wilson(long k, long n, double conf);

/* Quantile q in [0,1] of the ascending array `sorted` (n > 0) by linear
 * interpolation between order statistics — Hyndman & Fan type 7, the
 * default of R's quantile() and NumPy's percentile().  n == 0 gives NaN. */
double stats_quantile_sorted(const double *sorted, size_t n, double q);

/* Sorts `x` in place ascending (NaNs last). */
void stats_sort(double *x, size_t n);

/* Standard normal quantile (inverse CDF), |error| < 1e-9 (Acklam + one
 * Newton step). */
double stats_norm_ppf(double p);

/* Standard normal CDF. */
double stats_norm_cdf(double z);

#endif
