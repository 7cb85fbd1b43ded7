/* cluster.c — grouping items by cluster and the cluster-robust standard
 * error of a mean.  Clusters matter because cases that share a source
 * are not independent: treating them as independent makes intervals too
 * narrow (Miller 2024 reports up to 3x on real evals). */
#include "cluster.h"

#include <math.h>
#include <stdlib.h>

#include "../util/xalloc.h"
#include "sort.h"
#include "design.h"

size_t stats_cluster_sums(const double *x, const long *cluster, size_t n,
			  double **sum, long **count)
{
	size_t *idx, i, g = 0;
	uint64_t *key;
	double *s;
	long *c;

	*sum = NULL;
	*count = NULL;
	if (n == 0)
		return 0;
	idx = xmalloc(n * sizeof *idx);
	key = xmalloc(n * sizeof *key);
	for (i = 0; i < n; i++) {
		idx[i] = i;
		/* flipping the sign bit makes signed order unsigned order */
		key[i] = (uint64_t)cluster[i] ^ ((uint64_t)1 << 63);
	}
	stats_radix_sort(key, idx, n);
	free(key);
	s = xmalloc(n * sizeof *s);
	c = xmalloc(n * sizeof *c);
	for (i = 0; i < n; i++) {
		if (i == 0 || cluster[idx[i]] != cluster[idx[i - 1]]) {
			s[g] = 0;
			c[g] = 0;
			g++;
		}
		s[g - 1] += x[idx[i]];
		c[g - 1]++;
	}
	free(idx);
	*sum = xrealloc(s, g * sizeof *s);
	*count = xrealloc(c, g * sizeof *c);
	return g;
}

double stats_cluster_se(const double *x, const long *cluster, size_t n,
			size_t *nclusters)
{
	double *sum, mean = 0, acc = 0, G;
	long *count;
	size_t g, i, ng;

	if (nclusters)
		*nclusters = 0;
	if (n == 0)
		return NAN;
	for (i = 0; i < n; i++)
		mean += x[i];
	mean /= (double)n;
	ng = stats_cluster_sums(x, cluster, n, &sum, &count);
	if (nclusters)
		*nclusters = ng;
	for (g = 0; g < ng; g++) {
		/* sum of residuals in the cluster */
		double e = sum[g] - (double)count[g] * mean;

		acc += e * e;
	}
	free(sum);
	free(count);
	if (ng < 2)
		return NAN;
	G = (double)ng;
	return sqrt(G / (G - 1) * acc) / (double)n;
}

struct stats_cluster_ci stats_cluster_mean_ci(const double *x,
					      const long *cluster, size_t n,
					      double conf)
{
	struct stats_cluster_ci c = { NAN, NAN, NAN, 0 };
	double m = 0, se;
	for (size_t i = 0; i < n; i++)
		m += x[i];
	if (!n)
		return c;
	c.est = m / (double)n;
	se = stats_cluster_se(x, cluster, n, &c.clusters);
	if (c.clusters >= 2 && isfinite(se)) {
		double t = stats_t_ppf(0.5 + conf / 2, (double)(c.clusters - 1));
		c.lo = c.est - t * se;
		c.hi = c.est + t * se;
	}
	return c;
}
