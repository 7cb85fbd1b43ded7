/* design.c — Student's t, intra-cluster correlation, Kish design effect
 * and the design-adjusted Wilson interval (design.h).  Why: with several
 * cases per document or several repeats per case the items are not
 * independent, and both a percentile bootstrap of a proportion (which
 * collapses to [1, 1] when every item passed) and a normal reference
 * with few clusters claim more certainty than the data hold. */
#include "design.h"

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include "cluster.h"
#include "paired.h"
#include "prop.h"
#include "../util/xalloc.h"

double stats_t_p2(double t, double df)
{
	double p;
	if (isnan(t) || !(df > 0))
		return NAN;
	if (isinf(t))
		return DBL_MIN;
	p = stats_betainc(df / 2, 0.5, df / (df + t * t));
	if (isnan(p))
		return NAN;
	return p < DBL_MIN ? DBL_MIN : fmin(1, p);
}

static double t_cdf(double x, double df)
{
	double p2 = stats_t_p2(x, df);
	return x >= 0 ? 1 - p2 / 2 : p2 / 2;
}

static double t_pdf(double x, double df)
{
	return exp(lgamma((df + 1) / 2) - lgamma(df / 2) -
		   0.5 * log(df * M_PI) - (df + 1) / 2 * log1p(x * x / df));
}

/* Safeguarded Newton on the CDF from the normal quantile: a step that
 * leaves the bracket [lo, hi] is replaced by bisection, so it always
 * converges; typically 4-6 steps (the report calls it per pair). */
double stats_t_ppf(double p, double df)
{
	double lo = 0, hi = 1, x, q;
	bool upper;
	if (!(p > 0 && p < 1) || !(df > 0))
		return NAN;
	if (p == 0.5)
		return 0;
	upper = p > 0.5;
	q = upper ? p : 1 - p;
	while (t_cdf(hi, df) < q && hi < 1e300)
		hi *= 2;
	x = fmin(hi, fmax(lo, stats_norm_ppf(q)));
	for (int i = 0; i < 200; i++) {
		double f = t_cdf(x, df) - q, nx;
		if (f < 0)
			lo = x;
		else
			hi = x;
		nx = x - f / t_pdf(x, df);
		if (!(nx > lo && nx < hi))
			nx = 0.5 * (lo + hi);
		if (fabs(nx - x) <= 1e-13 * fmax(1, x)) {
			x = nx;
			break;
		}
		x = nx;
	}
	return upper ? x : -x;
}

struct interval stats_wilson_eff(double p_hat, double n, double crit)
{
	struct interval w = { 0, 1 };
	double z2, den, c, h;
	if (!(n > 0) || isnan(p_hat))
		return w;
	z2 = crit * crit;
	den = 1 + z2 / n;
	c = (p_hat + z2 / (2 * n)) / den;
	h = crit / den * sqrt(fmax(0, p_hat * (1 - p_hat) / n +
				   z2 / (4 * n * n)));
	w.lo = fmax(0, c - h);
	w.hi = fmin(1, c + h);
	/* exact ends at the boundaries (no rounding residue) */
	if (p_hat <= 0)
		w.lo = 0;
	if (p_hat >= 1)
		w.hi = 1;
	return w;
}

int stats_design(const double *x, const long *cluster, size_t n,
		 struct stats_design *out)
{
	double *sum, mean = 0, ssb = 0, ssw = 0, sm2 = 0, G, N, m0;
	double msb, msw;
	long *cnt;
	size_t g;

	out->clusters = 0;
	out->icc = NAN;
	out->deff = 1;
	out->n_eff = (double)n;
	out->m_w = 1;
	if (n == 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		mean += x[i];
	mean /= (double)n;
	g = stats_cluster_sums(x, cluster, n, &sum, &cnt);
	out->clusters = g;
	N = (double)n;
	G = (double)g;
	for (size_t k = 0; k < g; k++) {
		double mk = (double)cnt[k], mu = sum[k] / mk;
		ssb += mk * (mu - mean) * (mu - mean);
		sm2 += mk * mk;
	}
	out->m_w = sm2 / N;
	/* within sum of squares: sum x^2 - sum_g S_g^2 / m_g */
	{
		double sx2 = 0, sb = 0;
		for (size_t i = 0; i < n; i++)
			sx2 += x[i] * x[i];
		for (size_t k = 0; k < g; k++)
			sb += sum[k] * sum[k] / (double)cnt[k];
		ssw = fmax(0, sx2 - sb);
	}
	free(sum);
	free(cnt);
	if (g < 2 || n <= g)
		return 0;
	msb = ssb / (G - 1);
	msw = ssw / (N - G);
	m0 = (N - sm2 / N) / (G - 1);
	if (msb + (m0 - 1) * msw <= 0)
		return 0;	/* no variation at all */
	out->icc = fmin(1, fmax(0, (msb - msw) / (msb + (m0 - 1) * msw)));
	out->deff = 1 + (out->m_w - 1) * out->icc;
	out->n_eff = N / out->deff;
	return 0;
}

int stats_prop_design(const double *x, const long *cluster, size_t n,
		      double conf, struct stats_design_ci *out)
{
	double alpha = (conf > 0 && conf < 1) ? 1 - conf : 0.05;
	double z = stats_norm_ppf(1 - alpha / 2);
	struct interval w;
	out->est = out->lo = out->hi = out->crit = NAN;
	if (stats_design(x, cluster, n, &out->d))
		return -1;
	out->est = 0;
	for (size_t i = 0; i < n; i++)
		out->est += x[i];
	out->est /= (double)n;
	if (out->d.clusters < 2) {
		out->lo = 0;
		out->hi = 1;
		return 0;
	}
	if (out->est <= 0 || out->est >= 1) {
		/* every item agrees: nothing to estimate the correlation
		 * from, so assume the worst (each cluster is one case) */
		out->crit = z;
		out->d.n_eff = (double)out->d.clusters;
		out->d.deff = (double)n / out->d.n_eff;
		w = stats_wilson_eff(out->est, out->d.n_eff, z);
	} else {
		out->crit = stats_t_ppf(1 - alpha / 2,
					(double)out->d.clusters - 1);
		w = stats_wilson_eff(out->est, out->d.n_eff, out->crit);
	}
	out->lo = w.lo;
	out->hi = w.hi;
	return 0;
}

int stats_cluster_mean_test(const double *d, const long *cluster, size_t n,
			    double p_floor, double floor_lo, double floor_hi,
			    double conf, struct stats_cluster_test *out)
{
	double alpha = (conf > 0 && conf < 1) ? 1 - conf : 0.05, crit, df;
	out->clusters = 0;
	out->mean = out->se = out->t = out->p_t = out->p = NAN;
	out->lo = out->hi = NAN;
	if (n == 0)
		return -1;
	out->mean = 0;
	for (size_t i = 0; i < n; i++)
		out->mean += d[i];
	out->mean /= (double)n;
	out->se = stats_cluster_se(d, cluster, n, &out->clusters);
	if (out->clusters < 2)
		return -1;
	df = (double)out->clusters - 1;
	if (out->se > 0) {
		out->t = out->mean / out->se;
		out->p_t = stats_t_p2(out->t, df);
	} else {
		out->t = out->mean == 0 ? 0 : copysign(INFINITY, out->mean);
		out->p_t = out->mean == 0 ? 1
			: ldexp(1, 1 - (int)fmin((double)out->clusters, 1000));
	}
	out->p = isnan(p_floor) ? out->p_t : fmax(out->p_t, p_floor);
	crit = stats_t_ppf(1 - alpha / 2, df);
	out->lo = out->mean - crit * out->se;
	out->hi = out->mean + crit * out->se;
	if (!isnan(floor_lo))
		out->lo = fmin(out->lo, floor_lo);
	if (!isnan(floor_hi))
		out->hi = fmax(out->hi, floor_hi);
	return 0;
}

struct interval stats_newcombe_design(long a, long b, long c, long d,
				      double deff, double df, double conf)
{
	double alpha = (conf > 0 && conf < 1) ? 1 - conf : 0.05;
	double z = stats_norm_ppf(1 - alpha / 2), f;
	if (isnan(deff) || deff < 1)
		deff = 1;
	f = 1 / deff;
	if (df > 0) {
		double t = stats_t_ppf(1 - alpha / 2, df);
		f *= (z / t) * (z / t);
	}
	return stats_paired_diff_newcombe_f((double)a * f, (double)b * f,
					    (double)c * f, (double)d * f, conf);
}

double stats_deff_mean(const double *d, const long *cluster, size_t n)
{
	double m = 0, ss = 0, se;
	if (n < 2)
		return 1;
	for (size_t i = 0; i < n; i++)
		m += d[i];
	m /= (double)n;
	for (size_t i = 0; i < n; i++)
		ss += (d[i] - m) * (d[i] - m);
	ss /= (double)(n - 1);
	se = stats_cluster_se(d, cluster, n, NULL);
	if (!(ss > 0) || !(se > 0))
		return 1;
	return fmax(1, se * se / (ss / (double)n));
}
