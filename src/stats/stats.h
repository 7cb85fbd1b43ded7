/* stats.h — the front door of the statistics layer: pure functions on
 * arrays of numbers, no I/O and no knowledge of suites or stores.
 *
 * Every function documents its formula and the reference it was checked
 * against (see tests/unit/test_stats*.c and docs/statistics.md).
 *
 * Including this header gives the whole layer; the topics live in
 * small headers included at the bottom:
 *   stats/prop.h       Clopper–Pearson, incomplete beta, pass@k, power/MDD
 *   stats/paired.h     McNemar, paired difference, sign-flip, Holm, letters
 *   stats/bootstrap.h  seeded percentile/BCa bootstrap (mean, proportion,
 *                      clusters, repeats, quantiles such as latency p95)
 *   stats/cluster.h    cluster-robust standard error
 *   stats/design.h     Student t, ICC / design effect, design-adjusted
 *                      Wilson interval for clustered or repeated items
 *   stats/calib.h      ECE, Brier, reliability diagram, selective accuracy
 *   stats/rng.h        the seeded generator behind the resampling
 * Unless a function says otherwise it allocates nothing and keeps no
 * state; those that need scratch use xmalloc and free it before return. */
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

/* Type-7 quantiles q[0..nq) of x[0..n) in any order (e.g. latency p50,
 * p90, p95, p99) into out[]: copies x (xmalloc), drops NaNs, sorts.
 * Returns the number of values used; 0 (and NaN outputs) if none. */
size_t stats_percentiles(const double *x, size_t n, const double *q,
			 size_t nq, double *out);

#endif

#include "prop.h"
#include "paired.h"
#include "bootstrap.h"
#include "cluster.h"
#include "calib.h"
#include "rng.h"
#include "design.h"
