/* cluster.c — grouping items by cluster and the cluster-robust standard
 * error of a mean.  Clusters matter because cases that share a source
 * are not independent: treating them as independent makes intervals too
 * narrow (Miller 2024 reports up to 3x on real evals). */
#include "cluster.h"

#include <math.h>
#include <stdlib.h>

#include "../util/xalloc.h"

static const long *sort_ids;
static int cmp_by_id(const void *pa, const void *pb)
{
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb;

	if (sort_ids[a] != sort_ids[b])
		return sort_ids[a] < sort_ids[b] ? -1 : 1;
	return (a > b) - (a < b);
}

size_t stats_cluster_sums(const double *x, const long *cluster, size_t n,
			  double **sum, long **count)
{
	size_t *idx, i, g = 0;
	double *s;
	long *c;

	*sum = NULL;
	*count = NULL;
	if (n == 0)
		return 0;
	idx = xmalloc(n * sizeof *idx);
	for (i = 0; i < n; i++)
		idx[i] = i;
	sort_ids = cluster;
	qsort(idx, n, sizeof *idx, cmp_by_id);
	sort_ids = NULL;
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
