/* agree.c — Cohen's kappa with the Fleiss–Cohen–Everitt (1969) standard
 * error and Krippendorff's alpha from the coincidence matrix (agree.h). */
#include "agree.h"

#include <math.h>
#include <stdlib.h>

#include "rng.h"
#include "../util/xalloc.h"

struct stats_kappa stats_cohen_kappa(const int *a, const int *b, size_t n,
				     double conf)
{
	enum { K = STATS_KAPPA_MAXCAT };
	double p[K][K] = {{0}}, r[K] = {0}, c[K] = {0};
	struct stats_kappa k = { 0, NAN, NAN, NAN, NAN, { NAN, NAN } };
	for (size_t i = 0; i < n; i++) {
		if (a[i] < 0 || a[i] >= K || b[i] < 0 || b[i] >= K)
			continue;
		p[a[i]][b[i]] += 1;
		k.n++;
	}
	if (!k.n)
		return k;
	k.po = k.pe = 0;
	for (int i = 0; i < K; i++)
		for (int j = 0; j < K; j++) {
			p[i][j] /= (double)k.n;
			r[i] += p[i][j];
			c[j] += p[i][j];
		}
	for (int i = 0; i < K; i++) {
		k.po += p[i][i];
		k.pe += r[i] * c[i];
	}
	if (k.pe >= 1 - 1e-12)
		return k;
	k.kappa = (k.po - k.pe) / (1 - k.pe);
	/* FCE 1969, eq. (13): the variance of kappa not under the null. */
	double s = 0, q = 1 - k.kappa;
	for (int i = 0; i < K; i++) {
		double t = 1 - (r[i] + c[i]) * q;
		s += p[i][i] * t * t;
		for (int j = 0; j < K; j++)
			if (j != i)
				s += q * q * p[i][j] * (c[i] + r[j]) * (c[i] + r[j]);
	}
	double u = k.kappa - k.pe * q;
	double var = (s - u * u) / ((double)k.n * (1 - k.pe) * (1 - k.pe));
	k.se = sqrt(var > 0 ? var : 0);
	if (!(k.se > 0))
		return k;   /* no disagreement (or none possible): no interval */
	double z = stats_norm_ppf(0.5 + conf / 2);
	k.ci.lo = fmax(-1, k.kappa - z * k.se);
	k.ci.hi = fmin(1, k.kappa + z * k.se);
	return k;
}

static int cmp_dbl(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return (a > b) - (a < b);
}

/* Index of x in the ascending distinct values vals[0..m). */
static size_t val_index(const double *vals, size_t m, double x)
{
	size_t lo = 0, hi = m;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (vals[mid] <= x)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* alpha over the units listed in pick[0..n_pick) (a bootstrap sample) */
static double alpha_of(const double *v, const size_t *pick, size_t n_pick,
		       size_t n_raters, const double *vals, size_t m,
		       enum stats_alpha_metric metric)
{
	double *o = xcalloc(m * m, sizeof *o), *nc = xcalloc(m, sizeof *nc);
	size_t *idx = xcalloc(n_raters ? n_raters : 1, sizeof *idx);
	double tot = 0, alpha = NAN;
	for (size_t pu = 0; pu < n_pick; pu++) {
		const double *row = v + pick[pu] * n_raters;
		size_t mu = 0;
		for (size_t r = 0; r < n_raters; r++)
			if (!isnan(row[r]))
				idx[mu++] = val_index(vals, m, row[r]);
		if (mu < 2)
			continue;
		for (size_t i = 0; i < mu; i++)
			for (size_t j = 0; j < mu; j++)
				if (i != j)
					o[idx[i] * m + idx[j]] += 1.0 / (double)(mu - 1);
	}
	for (size_t c = 0; c < m; c++) {
		for (size_t k = 0; k < m; k++)
			nc[c] += o[c * m + k];
		tot += nc[c];
	}
	if (tot >= 2) {
		double dobs = 0, dexp = 0;
		for (size_t c = 0; c < m; c++)
			for (size_t k = 0; k < m; k++) {
				double d2;
				if (c == k)
					continue;
				if (metric == STATS_ALPHA_NOMINAL) {
					d2 = 1;
				} else {
					size_t a = c < k ? c : k, b = c < k ? k : c;
					double g = 0;
					for (size_t x = a; x <= b; x++)
						g += nc[x];
					g -= (nc[a] + nc[b]) / 2;
					d2 = g * g;
				}
				dobs += o[c * m + k] * d2;
				dexp += nc[c] * nc[k] * d2;
			}
		if (dexp > 0)
			alpha = 1 - (tot - 1) * dobs / dexp;
	}
	free(o);
	free(nc);
	free(idx);
	return alpha;
}

/* The ascending distinct values of v; returns their number. */
static size_t distinct_values(const double *v, size_t n, double **out)
{
	double *d = xcalloc(n ? n : 1, sizeof *d);
	size_t m = 0, k = 0;
	for (size_t i = 0; i < n; i++)
		if (!isnan(v[i]))
			d[m++] = v[i];
	qsort(d, m, sizeof *d, cmp_dbl);
	for (size_t i = 0; i < m; i++)
		if (!k || d[i] != d[k - 1])
			d[k++] = d[i];
	*out = d;
	return k;
}

double stats_kripp_alpha(const double *v, size_t n_units, size_t n_raters,
			 enum stats_alpha_metric metric)
{
	double *vals;
	size_t m = distinct_values(v, n_units * n_raters, &vals);
	size_t *pick = xcalloc(n_units ? n_units : 1, sizeof *pick);
	for (size_t u = 0; u < n_units; u++)
		pick[u] = u;
	double a = m ? alpha_of(v, pick, n_units, n_raters, vals, m, metric) : NAN;
	free(pick);
	free(vals);
	return a;
}

struct interval stats_kripp_alpha_ci(const double *v, size_t n_units,
				     size_t n_raters,
				     enum stats_alpha_metric metric,
				     size_t reps, uint64_t seed, double conf)
{
	struct interval ci = { NAN, NAN };
	double *vals, *rep = xcalloc(reps ? reps : 1, sizeof *rep);
	size_t m = distinct_values(v, n_units * n_raters, &vals), k = 0;
	size_t *pick = xcalloc(n_units ? n_units : 1, sizeof *pick);
	struct stats_rng rng;
	stats_rng_seed(&rng, seed);
	for (size_t b = 0; m && n_units && b < reps; b++) {
		for (size_t u = 0; u < n_units; u++)
			pick[u] = (size_t)stats_rng_below(&rng, n_units);
		double a = alpha_of(v, pick, n_units, n_raters, vals, m, metric);
		if (!isnan(a))
			rep[k++] = a;
	}
	if (k >= 20 && k * 10 >= reps * 9) {
		stats_sort(rep, k);
		ci.lo = stats_quantile_sorted(rep, k, (1 - conf) / 2);
		ci.hi = stats_quantile_sorted(rep, k, (1 + conf) / 2);
	}
	free(rep);
	free(pick);
	free(vals);
	return ci;
}
