/* bootstrap.h — seeded, reproducible bootstrap intervals.
 *
 * Every function resamples `resamples` times (default 10,000) with a
 * xoshiro256** stream seeded from `seed`, so the same data and seed give
 * the same interval on every machine.  Where it is exact, counts are
 * resampled instead of items (a resample of n 0/1 results has
 * Binomial(n, p) passes), which makes them O(B) or O(B * distinct values)
 * instead of O(B * n).  Each allocates scratch with xmalloc and frees it;
 * none keeps state.  `o` may be NULL (B = 10000, seed 0, 95%).  All
 * return 0, or -1 on empty/invalid input with every field of *out set to
 * NaN. */
#ifndef ASSAY_STATS_BOOTSTRAP_H
#define ASSAY_STATS_BOOTSTRAP_H

#include <stddef.h>
#include <stdint.h>

#include "stats.h"

struct stats_boot_opt {
	long resamples;		/* B; <= 0 means 10000 */
	uint64_t seed;
	double conf;		/* <= 0 or >= 1 means 0.95 */
};

struct stats_boot_ci {
	double est;		/* the statistic on the original data */
	double se;		/* standard deviation of the resampled values */
	struct interval pct;	/* percentile interval */
	struct interval bca;	/* BCa interval (Efron 1987); NaN if n/a */
};

/* Mean of x[0..n).  Percentile and BCa (jackknife acceleration).  Data
 * with at most 64 distinct values (pass/fail, 1–5 ratings) is resampled
 * as multinomial counts; other data by index, O(B n).  For a paired
 * comparison pass the per-case differences. */
int stats_boot_mean(const double *x, size_t n, const struct stats_boot_opt *o,
		    struct stats_boot_ci *out);

/* The resampling budget of a bootstrap mean (docs/statistics.md,
 * "Speed"): data with at most 64 distinct values is resampled as counts
 * (cost independent of n), so `resamples` stands; otherwise the cost is
 * resamples * n draws, and resamples is cut to keep that under
 * STATS_BOOT_BUDGET, never below STATS_BOOT_MIN_B. */
#define STATS_BOOT_BUDGET 20000000.0
#define STATS_BOOT_MIN_B 200
long stats_boot_budget(const double *x, size_t n, long resamples);

/* Proportion k/n (k passes of n), O(B sqrt n).  Percentile and BCa. */
int stats_boot_prop(long k, long n, const struct stats_boot_opt *o,
		    struct stats_boot_ci *out);

/* Paired difference in pass rates (b - c)/n from the 2x2 counts of
 * paired.h (a both pass, b only A, c only B, d neither): resampling
 * cases is a multinomial draw of the four cells. */
int stats_boot_paired_prop_diff(long a, long b, long c, long d,
				const struct stats_boot_opt *o,
				struct stats_boot_ci *out);

/* Cluster bootstrap of the mean of x[0..n): whole clusters (cluster[i] is
 * item i's cluster id, any values, any order) are resampled; the
 * statistic is sum of x / number of items.  BCa acceleration from the
 * leave-one-cluster-out jackknife.  Needs >= 2 clusters. */
int stats_boot_cluster_mean(const double *x, const long *cluster, size_t n,
			    const struct stats_boot_opt *o,
			    struct stats_boot_ci *out);

/* Bootstrap for repeated runs: case g owns the repeats
 * x[case_start[g] .. case_start[g+1]) (case_start has ncases + 1
 * entries).  Resamples cases, keeping each chosen case's repeats
 * (Davison & Hinkley 1997, sec. 3.8: a case mean already carries the
 * within-case noise, so resampling repeats again would count it twice);
 * the statistic is the mean of the case means (cases without repeats are
 * ignored).  BCa acceleration from the leave-one-case-out jackknife. */
int stats_boot_repeats(const double *x, const size_t *case_start,
		       size_t ncases, const struct stats_boot_opt *o,
		       struct stats_boot_ci *out);

/* Quantile q (type 7) of the ascending array sorted[0..n), e.g. latency
 * p95, with a percentile interval (bca is NaN: the jackknife is not
 * valid for quantiles).  The two order statistics a resample needs are
 * drawn directly (binomial bridge over the multinomial counts), exact
 * and O(B log n).  Fewer than ~20 items: the interval is not meaningful
 * for p95 (see docs/statistics.md). */
int stats_boot_quantile(const double *sorted, size_t n, double q,
			const struct stats_boot_opt *o,
			struct stats_boot_ci *out);

#endif
