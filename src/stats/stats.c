/* stats.c — the basic statistics every report needs: the Wilson interval
 * for a proportion, type-7 quantiles, sorting, and the standard normal
 * distribution (CDF and quantile).
 *
 * Everything here is a pure function of its arguments.  References for
 * each formula are in the function comments and in docs/statistics.md; the
 * unit tests (tests/unit/test_stats.c) check them against published or
 * independently computed values. */
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../util/xalloc.h"
#include "sort.h"

/* ---- normal distribution ---------------------------------------------- */

double stats_norm_cdf(double z)
{
	/* erfc keeps full relative precision in the lower tail, where
	 * 1 + erf(z/sqrt 2) would cancel. */
	return 0.5 * erfc(-z / M_SQRT2);
}

/* Acklam's rational approximation (relative error < 1.15e-9), published
 * by Peter J. Acklam, "An algorithm for computing the inverse normal
 * cumulative distribution function" (2003).  One Halley refinement step
 * against erfc brings it to near machine precision. */
static const double acklam_a[6] = {
	-3.969683028665376e+01, 2.209460984245205e+02,
	-2.759285104469687e+02, 1.383577518672690e+02,
	-3.066479806614716e+01, 2.506628277459239e+00,
};
static const double acklam_b[5] = {
	-5.447609879822406e+01, 1.615858368580409e+02,
	-1.556989798598866e+02, 6.680131188771972e+01,
	-1.328068155288572e+01,
};
static const double acklam_c[6] = {
	-7.784894002430293e-03, -3.223964580411365e-01,
	-2.400758277161838e+00, -2.549732539343734e+00,
	4.374664141464968e+00, 2.938163982698783e+00,
};
static const double acklam_d[4] = {
	7.784695709041462e-03, 3.224671290700398e-01,
	2.445134137142996e+00, 3.754408661907416e+00,
};

static double acklam(double p)
{
	const double *a = acklam_a, *b = acklam_b, *c = acklam_c,
		     *d = acklam_d;
	const double p_low = 0.02425;
	double q, r;

	if (p < p_low) {
		q = sqrt(-2 * log(p));
		return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q +
			 c[4]) * q + c[5]) /
		       ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
	}
	if (p > 1 - p_low) {
		q = sqrt(-2 * log1p(-p));
		return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q +
			  c[4]) * q + c[5]) /
		       ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
	}
	q = p - 0.5;
	r = q * q;
	return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r +
		a[5]) * q /
	       (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r +
		1);
}

double stats_norm_ppf(double p)
{
	double x, e, u;

	if (isnan(p) || p < 0 || p > 1)
		return NAN;
	if (p == 0)
		return -INFINITY;
	if (p == 1)
		return INFINITY;
	x = acklam(p);
	/* Halley step on F(x) - p.  In the upper half the error is measured
	 * against the upper tail so that p near 1 keeps its precision. */
	if (p <= 0.5)
		e = stats_norm_cdf(x) - p;
	else	/* F(x) - p = (1 - p) - (1 - F(x)); 1 - p is exact here */
		e = (1 - p) - stats_norm_cdf(-x);
	u = e * sqrt(2 * M_PI) * exp(x * x / 2);
	return x - u / (1 + x * u / 2);
}

/* ---- Wilson ---------------------------------------------------------- */

struct interval stats_wilson(long k, long n, double conf)
{
	struct interval iv = { 0, 1 };
	double z, z2, p, den, centre, half;

	if (n <= 0 || k < 0 || k > n || !(conf > 0 && conf < 1))
		return iv;
	z = stats_norm_ppf(1 - (1 - conf) / 2);
	z2 = z * z;
	p = (double)k / (double)n;
	den = 1 + z2 / (double)n;
	centre = (p + z2 / (2.0 * (double)n)) / den;
	half = z / den * sqrt(p * (1 - p) / (double)n +
			      z2 / (4.0 * (double)n * (double)n));
	iv.lo = k == 0 ? 0 : fmax(0, centre - half);
	iv.hi = k == n ? 1 : fmin(1, centre + half);
	return iv;
}

/* ---- quantiles and sorting -------------------------------------------- */

double stats_quantile_sorted(const double *sorted, size_t n, double q)
{
	double h, frac;
	size_t j;

	if (n == 0 || isnan(q))
		return NAN;
	if (q <= 0)
		return sorted[0];
	if (q >= 1)
		return sorted[n - 1];
	/* Type 7: h = (n - 1) q (0-based), interpolate x[floor h] .. x[+1]. */
	h = (double)(n - 1) * q;
	j = (size_t)floor(h);
	frac = h - (double)j;
	if (j + 1 >= n)
		return sorted[n - 1];
	return sorted[j] + frac * (sorted[j + 1] - sorted[j]);
}

void stats_radix_sort(uint64_t *keys, size_t *idx, size_t n)
{
	size_t (*cnt)[256], i, b, *isrc = idx, *idst, *itmp = NULL;
	uint64_t *ksrc = keys, *kdst, *ktmp;
	int pass;

	if (n < 2)
		return;
	/* one scan builds the histograms of all eight bytes */
	cnt = xcalloc(8, sizeof *cnt);
	for (i = 0; i < n; i++)
		for (pass = 0; pass < 8; pass++)
			cnt[pass][keys[i] >> (8 * pass) & 0xff]++;
	ktmp = xmalloc(n * sizeof *ktmp);
	if (idx)
		itmp = xmalloc(n * sizeof *itmp);
	kdst = ktmp;
	idst = itmp;
	for (pass = 0; pass < 8; pass++) {
		size_t sum = 0, *c = cnt[pass], *it;
		int shift = 8 * pass;
		uint64_t *kt;

		if (c[ksrc[0] >> shift & 0xff] == n)
			continue;	/* every key has the same byte here */
		for (b = 0; b < 256; b++) {
			size_t t = c[b];

			c[b] = sum;
			sum += t;
		}
		for (i = 0; i < n; i++) {
			size_t dst = c[ksrc[i] >> shift & 0xff]++;

			kdst[dst] = ksrc[i];
			if (idx)
				idst[dst] = isrc[i];
		}
		kt = ksrc;
		ksrc = kdst;
		kdst = kt;
		it = isrc;
		isrc = idst;
		idst = it;
	}
	if (ksrc != keys) {	/* an odd number of passes ran */
		memcpy(keys, ksrc, n * sizeof *keys);
		if (idx)
			memcpy(idx, isrc, n * sizeof *idx);
	}
	free(cnt);
	free(ktmp);
	free(itmp);
}

/* Inverse of stats_dkey for non-NaN keys. */
static double key_to_double(uint64_t k)
{
	union {
		double d;
		uint64_t u;
	} c;

	c.u = (k >> 63) ? k & ~((uint64_t)1 << 63) : ~k;
	return c.d;
}

void stats_sort(double *x, size_t n)
{
	uint64_t *k;
	size_t i;

	if (n < 2)
		return;
	k = xmalloc(n * sizeof *k);
	for (i = 0; i < n; i++)
		k[i] = stats_dkey(x[i]);
	stats_radix_sort(k, NULL, n);
	for (i = 0; i < n; i++)
		x[i] = k[i] == UINT64_MAX ? NAN : key_to_double(k[i]);
	free(k);
}

size_t stats_percentiles(const double *x, size_t n, const double *q,
			 size_t nq, double *out)
{
	double *v = n ? xmalloc(n * sizeof *v) : NULL;
	size_t m = 0, i;

	for (i = 0; i < n; i++)
		if (!isnan(x[i]))
			v[m++] = x[i];
	stats_sort(v, m);
	for (i = 0; i < nq; i++)
		out[i] = stats_quantile_sorted(v, m, q[i]);
	free(v);
	return m;
}
