/* cluster.h — statistics that respect clustered cases (several cases
 * generated from one document, one conversation, one template): the
 * cluster-robust standard error of a mean, and the per-cluster sums the
 * cluster bootstrap resamples. */
#ifndef ASSAY_STATS_CLUSTER_H
#define ASSAY_STATS_CLUSTER_H

#include <stddef.h>

/* Groups x[0..n) by cluster[i] (any ids, any order).  Returns the number
 * of clusters G and sets *sum (G sums of x) and *count (G item counts),
 * both owned by the caller (free()).  n == 0 returns 0 and NULLs. */
size_t stats_cluster_sums(const double *x, const long *cluster, size_t n,
			  double **sum, long **count);

/* Cluster-robust (CR1, "sandwich") standard error of the mean of x, as in
 * Miller (2024) "Adding Error Bars to Evals", sec. 2.2, with the usual
 * small-sample factor G/(G-1):
 *   se^2 = G/(G-1) * sum_g (sum_{i in g} (x_i - mean))^2 / n^2.
 * With one item per cluster this is the ordinary standard error with the
 * (n-1) denominator.  Fewer than 2 clusters gives NaN.  *nclusters (if
 * not NULL) receives G. */
double stats_cluster_se(const double *x, const long *cluster, size_t n,
			size_t *nclusters);

/* Interval of the mean of x clustered by cluster[i]: mean -/+
 * t_{G-1} * se_CR1 (Cameron & Miller 2015: few clusters need t(G-1)).
 * NaN bounds when G < 2 or the SE is undefined.  *nclusters as above. */
struct stats_cluster_ci { double est, lo, hi; size_t clusters; };
struct stats_cluster_ci stats_cluster_mean_ci(const double *x,
					      const long *cluster, size_t n,
					      double conf);

#endif
