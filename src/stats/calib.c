/* calib.c — calibration metrics.  Equal-width ECE is the figure papers
 * quote; equal-mass ECE is steadier when confidences bunch up near 1
 * (as LLM self-reports do), so the report shows both. */
#include "calib.h"

#include <math.h>
#include <stdlib.h>

#include "../util/xalloc.h"
#include "sort.h"

static int bad_inputs(const double *p, const double *y, size_t n)
{
	size_t i;

	if (n == 0)
		return 1;
	for (i = 0; i < n; i++)
		if (!(p[i] >= 0 && p[i] <= 1) || !(y[i] >= 0 && y[i] <= 1))
			return 1;
	return 0;
}

/* Indices sorted by confidence, ascending or descending, ties by input
 * order (the radix sort is stable). */
static size_t *sorted_index(const double *p, size_t n, int desc)
{
	size_t *idx = xmalloc(n * sizeof *idx), i;
	uint64_t *key = xmalloc(n * sizeof *key);

	for (i = 0; i < n; i++) {
		idx[i] = i;
		key[i] = desc ? ~stats_dkey(p[i]) : stats_dkey(p[i]);
	}
	stats_radix_sort(key, idx, n);
	free(key);
	return idx;
}

/* The first rank >= i that does not split a run of equal confidences:
 * equal-mass bin edges move to the end of a tie, so tied cases share a
 * bin whatever their input order (a bin may then be empty). */
static size_t tie_end(const double *p, const size_t *idx, size_t n, size_t i)
{
	while (i > 0 && i < n && p[idx[i]] == p[idx[i - 1]])
		i++;
	return i;
}

int stats_reliability(const double *p, const double *y, size_t n,
		      enum stats_binning how, size_t nbins,
		      struct stats_bin *bins)
{
	size_t b, i;

	if (nbins == 0 || bad_inputs(p, y, n))
		return -1;
	for (b = 0; b < nbins; b++) {
		bins[b].count = 0;
		bins[b].conf = bins[b].acc = 0;
		bins[b].lo = (double)b / (double)nbins;
		bins[b].hi = (double)(b + 1) / (double)nbins;
	}
	if (how == STATS_BIN_WIDTH) {
		for (i = 0; i < n; i++) {
			b = (size_t)(p[i] * (double)nbins);
			if (b >= nbins)
				b = nbins - 1;	/* p == 1 */
			bins[b].count++;
			bins[b].conf += p[i];
			bins[b].acc += y[i];
		}
	} else {
		size_t *idx = sorted_index(p, n, 0);

		for (b = 0; b < nbins; b++) {
			size_t lo = tie_end(p, idx, n, b * n / nbins);
			size_t hi = tie_end(p, idx, n, (b + 1) * n / nbins);

			for (i = lo; i < hi; i++) {
				bins[b].conf += p[idx[i]];
				bins[b].acc += y[idx[i]];
			}
			bins[b].count = (long)(hi - lo);
			if (hi > lo) {
				bins[b].lo = p[idx[lo]];
				bins[b].hi = p[idx[hi - 1]];
			} else {
				bins[b].lo = bins[b].hi = NAN;
			}
		}
		free(idx);
	}
	for (b = 0; b < nbins; b++) {
		if (bins[b].count) {
			bins[b].conf /= (double)bins[b].count;
			bins[b].acc /= (double)bins[b].count;
		} else {
			bins[b].conf = bins[b].acc = NAN;
		}
	}
	return 0;
}

double stats_ece(const double *p, const double *y, size_t n,
		 enum stats_binning how, size_t nbins)
{
	struct stats_bin *bins;
	double e = 0;
	size_t b;

	if (nbins == 0)
		return NAN;
	bins = xmalloc(nbins * sizeof *bins);
	if (stats_reliability(p, y, n, how, nbins, bins) != 0) {
		free(bins);
		return NAN;
	}
	for (b = 0; b < nbins; b++)
		if (bins[b].count)
			e += (double)bins[b].count / (double)n *
			     fabs(bins[b].acc - bins[b].conf);
	free(bins);
	return e;
}

double stats_brier(const double *p, const double *y, size_t n)
{
	double s = 0;
	size_t i;

	if (bad_inputs(p, y, n))
		return NAN;
	for (i = 0; i < n; i++)
		s += (p[i] - y[i]) * (p[i] - y[i]);
	return s / (double)n;
}

int stats_selective_accuracy(const double *p, const double *y, size_t n,
			     const double *cov, size_t ncov, double *acc)
{
	size_t *idx, c, i;

	if (bad_inputs(p, y, n))
		return -1;
	idx = sorted_index(p, n, 1);
	for (c = 0; c < ncov; c++) {
		double s = 0;
		size_t m;

		if (!(cov[c] > 0 && cov[c] <= 1)) {
			acc[c] = NAN;
			continue;
		}
		/* ceil with a little slack so 0.8 * 10 is 8, not 9 */
		m = (size_t)ceil(cov[c] * (double)n - 1e-9);
		if (m == 0)
			m = 1;
		if (m > n)
			m = n;
		/* the cases tied with the m-th most confident enter with
		 * equal weight (their mean correctness), so the result does
		 * not depend on the input order */
		{
			size_t t0 = m - 1, t1 = m;
			double ts = 0;
			while (t0 > 0 && p[idx[t0 - 1]] == p[idx[m - 1]])
				t0--;
			while (t1 < n && p[idx[t1]] == p[idx[m - 1]])
				t1++;
			for (i = 0; i < t0; i++)
				s += y[idx[i]];
			for (i = t0; i < t1; i++)
				ts += y[idx[i]];
			s += ts / (double)(t1 - t0) * (double)(m - t0);
		}
		acc[c] = s / (double)m;
	}
	free(idx);
	return 0;
}
