/* prop.c — exact binomial machinery (incomplete beta, Clopper–Pearson),
 * pass@k / pass^k and power calculations for proportions.
 *
 * The incomplete beta uses the classic continued fraction evaluated with
 * the modified Lentz method (Lentz 1976; Thompson & Barnett 1986), with
 * the symmetry I_x(a,b) = 1 - I_{1-x}(b,a) to stay where it converges
 * fast.  The inverse is plain bisection: slower than Newton but it cannot
 * diverge, and 60-odd evaluations are nothing next to a report. */
#include "prop.h"
#include "design.h"

#include <float.h>
#include <math.h>

#define CF_MAX_ITER 20000
#define CF_EPS 1e-16
#define CF_TINY 1e-300

/* Continued fraction for I_x(a, b) without the front factor. */
static double betacf(double a, double b, double x)
{
	double c = 1, d, h, num, delta;
	int m;

	d = 1 - (a + b) * x / (a + 1);
	if (fabs(d) < CF_TINY)
		d = CF_TINY;
	d = 1 / d;
	h = d;
	for (m = 1; m <= CF_MAX_ITER; m++) {
		int m2 = 2 * m;

		/* even term: m (b - m) x / ((a + 2m - 1)(a + 2m)) */
		num = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
		d = 1 + num * d;
		if (fabs(d) < CF_TINY)
			d = CF_TINY;
		c = 1 + num / c;
		if (fabs(c) < CF_TINY)
			c = CF_TINY;
		d = 1 / d;
		h *= d * c;
		/* odd term: -(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1)) */
		num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
		d = 1 + num * d;
		if (fabs(d) < CF_TINY)
			d = CF_TINY;
		c = 1 + num / c;
		if (fabs(c) < CF_TINY)
			c = CF_TINY;
		d = 1 / d;
		delta = d * c;
		h *= delta;
		if (fabs(delta - 1) < CF_EPS)
			break;
	}
	return h;
}

double stats_binom_upper(double f, double n, double p)
{
	double v;
	if (!(f > 0) || !(p > 0 && p < 1) || !(n >= f))
		return 1;
	v = stats_betainc(f, n - f + 1, p);
	return isnan(v) ? 1 : fmax(DBL_MIN, v);
}

double stats_betainc(double a, double b, double x)
{
	double lfront;

	if (!(a > 0 && b > 0) || isnan(x) || x < 0 || x > 1)
		return NAN;
	if (x == 0)
		return 0;
	if (x == 1)
		return 1;
	lfront = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) +
		 b * log1p(-x);
	if (x < (a + 1) / (a + b + 2))
		return exp(lfront) * betacf(a, b, x) / a;
	return 1 - exp(lfront) * betacf(b, a, 1 - x) / b;
}

double stats_betainc_inv(double a, double b, double p)
{
	double lo = 0, hi = 1, mid;
	int i;

	if (!(a > 0 && b > 0) || isnan(p) || p < 0 || p > 1)
		return NAN;
	if (p == 0)
		return 0;
	if (p == 1)
		return 1;
	for (i = 0; i < 200 && hi - lo > 1e-16; i++) {
		mid = 0.5 * (lo + hi);
		if (mid <= lo || mid >= hi)
			break;
		if (stats_betainc(a, b, mid) < p)
			lo = mid;
		else
			hi = mid;
	}
	return 0.5 * (lo + hi);
}

double stats_binom_cdf(long k, long n, double p)
{
	if (n < 0 || isnan(p) || p < 0 || p > 1)
		return NAN;
	if (k < 0)
		return 0;
	if (k >= n)
		return 1;
	/* P(X <= k) = I_{1-p}(n - k, k + 1) */
	return stats_betainc((double)(n - k), (double)k + 1, 1 - p);
}

struct interval stats_clopper_pearson(long k, long n, double conf)
{
	struct interval iv = { 0, 1 };
	double alpha;

	if (n <= 0 || k < 0 || k > n || !(conf > 0 && conf < 1))
		return iv;
	alpha = 1 - conf;
	if (k > 0)
		iv.lo = stats_betainc_inv((double)k, (double)(n - k) + 1,
					  alpha / 2);
	if (k < n)
		iv.hi = stats_betainc_inv((double)k + 1, (double)(n - k),
					  1 - alpha / 2);
	return iv;
}

double stats_pass_at_k(long n, long c, long k)
{
	double prod = 1;
	long i;

	if (n <= 0 || c < 0 || c > n || k < 1 || k > n)
		return NAN;
	if (n - c < k)
		return 1;
	/* C(n-c, k) / C(n, k) = prod_{i=n-c+1}^{n} (1 - k / i) */
	for (i = n - c + 1; i <= n; i++)
		prod *= 1 - (double)k / (double)i;
	return 1 - prod;
}

double stats_pass_hat_k(long n, long c, long k)
{
	double prod = 1;
	long i;

	if (n <= 0 || c < 0 || c > n || k < 1 || k > n)
		return NAN;
	if (c < k)
		return 0;
	/* C(c, k) / C(n, k) = prod_{i=0}^{k-1} (c - i) / (n - i) */
	for (i = 0; i < k; i++)
		prod *= (double)(c - i) / (double)(n - i);
	return prod;
}

static int bad_level(double alpha, double power)
{
	return !(alpha > 0 && alpha < 1 && power > 0 && power < 1);
}

double stats_power_unpaired(long n, double p1, double p2, double alpha)
{
	double za, pbar, num, den;

	if (n <= 0 || !(alpha > 0 && alpha < 1) || !(p1 >= 0 && p1 <= 1) ||
	    !(p2 >= 0 && p2 <= 1))
		return NAN;
	za = stats_norm_ppf(1 - alpha / 2);
	pbar = (p1 + p2) / 2;
	den = sqrt(p1 * (1 - p1) + p2 * (1 - p2));
	if (den == 0)
		return p1 == p2 ? alpha : 1;
	num = sqrt((double)n) * fabs(p1 - p2) -
	      za * sqrt(2 * pbar * (1 - pbar));
	return stats_norm_cdf(num / den);
}

long stats_n_unpaired(double p1, double p2, double alpha, double power)
{
	double za, zb, pbar, d, n;

	if (bad_level(alpha, power) || !(p1 >= 0 && p1 <= 1) ||
	    !(p2 >= 0 && p2 <= 1) || p1 == p2)
		return -1;
	za = stats_norm_ppf(1 - alpha / 2);
	zb = stats_norm_ppf(power);
	pbar = (p1 + p2) / 2;
	d = p1 - p2;
	n = za * sqrt(2 * pbar * (1 - pbar)) +
	    zb * sqrt(p1 * (1 - p1) + p2 * (1 - p2));
	n = n * n / (d * d);
	return (long)ceil(n - 1e-9);
}

double stats_mdd_unpaired(long n, double p, double alpha, double power)
{
	double lo = 0, hi, mid, sign;
	int i;

	if (n <= 0 || bad_level(alpha, power) || !(p >= 0 && p <= 1))
		return NAN;
	sign = p >= 0.5 ? -1 : 1;
	hi = p >= 0.5 ? p : 1 - p;	/* room toward 0.5 and beyond */
	if (stats_power_unpaired(n, p, p + sign * hi, alpha) < power)
		return NAN;
	/* power grows with d on (0, hi]: bisect */
	for (i = 0; i < 100; i++) {
		mid = 0.5 * (lo + hi);
		if (stats_power_unpaired(n, p, p + sign * mid, alpha) < power)
			lo = mid;
		else
			hi = mid;
	}
	return hi;
}

/* n(d) for the paired design, as a double (no rounding). */
static double n_paired_raw(double psi, double d, double za, double zb)
{
	double v = za * sqrt(psi) + zb * sqrt(fmax(0, psi - d * d));

	return v * v / (d * d);
}

long stats_n_paired(double psi, double d, double alpha, double power)
{
	d = fabs(d);
	if (bad_level(alpha, power) || !(psi > 0 && psi <= 1) || !(d > 0) ||
	    d > psi)
		return -1;
	return (long)ceil(n_paired_raw(psi, d, stats_norm_ppf(1 - alpha / 2),
				       stats_norm_ppf(power)) - 1e-9);
}

double stats_mdd_paired(long n, double psi, double alpha, double power)
{
	double za, zb, lo = 0, hi, mid;
	int i;

	if (n <= 0 || bad_level(alpha, power) || !(psi > 0 && psi <= 1))
		return NAN;
	za = stats_norm_ppf(1 - alpha / 2);
	zb = stats_norm_ppf(power);
	hi = psi;
	if (n_paired_raw(psi, hi, za, zb) > (double)n)
		return NAN;
	/* n_paired_raw falls as d grows: bisect for n_paired_raw(d) = n */
	for (i = 0; i < 100; i++) {
		mid = 0.5 * (lo + hi);
		if (n_paired_raw(psi, mid, za, zb) > (double)n)
			lo = mid;
		else
			hi = mid;
	}
	return hi;
}

struct interval stats_quantile_os_ci(const double *sorted, size_t n, double q,
				     double conf, long *rank_lo, long *rank_hi)
{
	struct interval iv = { -INFINITY, INFINITY };
	double a2 = (conf > 0 && conf < 1 ? 1 - conf : 0.05) / 2;
	long N = (long)n, r = 0, s = N + 1;
	if (n > 0 && q >= 0 && q <= 1) {
		/* start near the normal approximation and walk: a few
		 * binomial CDFs instead of n */
		double sd = sqrt((double)N * q * (1 - q)), m = (double)N * q;
		r = (long)fmax(0, floor(m - 2 * sd) - 3);
		while (r > 0 && stats_binom_cdf(r - 1, N, q) > a2)
			r--;
		while (r < N && stats_binom_cdf(r, N, q) <= a2)
			r++;
		s = (long)fmin((double)N + 1, fmax(1, ceil(m + 2 * sd) + 3));
		while (s > 1 && stats_binom_cdf(s - 2, N, q) >= 1 - a2)
			s--;
		while (s <= N && stats_binom_cdf(s - 1, N, q) < 1 - a2)
			s++;
		if (r >= 1)
			iv.lo = sorted[r - 1];
		if (s <= N)
			iv.hi = sorted[s - 1];
	}
	if (rank_lo)
		*rank_lo = r;
	if (rank_hi)
		*rank_hi = s;
	return iv;
}

struct interval stats_f1_interval(long tp, long fp, long fn, double deff,
				  double conf)
{
	struct interval iv = { NAN, NAN }, w;
	double m = (double)(tp + fp + fn), z;
	if (tp < 0 || fp < 0 || fn < 0 || m <= 0)
		return iv;
	if (isnan(deff) || deff < 1)
		deff = 1;
	z = stats_norm_ppf(1 - (conf > 0 && conf < 1 ? 1 - conf : 0.05) / 2);
	w = stats_wilson_eff((double)tp / m, m / deff, z);
	iv.lo = 2 * w.lo / (1 + w.lo);
	iv.hi = 2 * w.hi / (1 + w.hi);
	return iv;
}

long stats_cases_to_settle(double p, double t, double deff, double alpha,
			   double power)
{
	double n, d = p - t, za, zb;
	if (isnan(p) || isnan(t) || fabs(d) < 1e-9 || t <= 0 || t >= 1 ||
	    !(alpha > 0 && alpha < 1) || !(power > 0 && power < 1))
		return -1;
	if (isnan(deff) || deff < 1)
		deff = 1;
	za = stats_norm_ppf(1 - alpha / 2);
	zb = stats_norm_ppf(power);
	if (p >= 1)
		n = za * za * t / (1 - t);
	else if (p <= 0)
		n = za * za * (1 - t) / t;
	else {
		n = za * sqrt(t * (1 - t)) + zb * sqrt(p * (1 - p));
		n = n * n / (d * d);
	}
	return (long)ceil(n * deff - 1e-9);
}
