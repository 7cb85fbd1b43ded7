/* test_stats.c — the basics in stats.h checked against published values
 * (Newcombe 1998, R's quantile() and qnorm()/pnorm()) and against values
 * computed independently with mpmath 1.3.0 at 30 significant digits.  No
 * expected value here was produced by the code under test. */
#include "../../src/stats/stats.h"
#include "t.h"

#include <math.h>

/* Newcombe RG (1998) "Two-sided confidence intervals for the single
 * proportion: comparison of seven methods", Stat Med 17:857-872, Table I,
 * method 3 (Wilson score, no continuity correction), 95%:
 *   81/263 -> 0.2553, 0.3662      15/148 -> 0.0624, 0.1605
 *    0/20  -> 0.0000, 0.1611       1/29  -> 0.0061, 0.1718
 * The paper prints 4 decimals, so the tolerance is half a unit of the 4th
 * decimal.  mpmath gives 0.25528852 / 0.36620958 for 81/263. */
TEST(stats_wilson_newcombe_table1)
{
	struct interval iv;

	iv = stats_wilson(81, 263, 0.95);
	T_NEAR(iv.lo, 0.2553, 5e-5);
	T_NEAR(iv.hi, 0.3662, 5e-5);
	iv = stats_wilson(15, 148, 0.95);
	T_NEAR(iv.lo, 0.0624, 5e-5);
	T_NEAR(iv.hi, 0.1605, 5e-5);
	iv = stats_wilson(0, 20, 0.95);
	T_NEAR(iv.lo, 0.0, 1e-12);
	T_NEAR(iv.hi, 0.1611, 5e-5);
	iv = stats_wilson(1, 29, 0.95);
	T_NEAR(iv.lo, 0.0061, 5e-5);
	T_NEAR(iv.hi, 0.1718, 5e-5);
}

/* Tighter: mpmath, 30 digits, z = sqrt(2) erfinv(0.95):
 * 81/263 -> 0.255288519878274, 0.366209576982800
 *  1/29  -> 0.006113214292763, 0.171755218793203 */
TEST(stats_wilson_precise)
{
	struct interval iv = stats_wilson(81, 263, 0.95);

	T_NEAR(iv.lo, 0.255288519878274, 1e-9);
	T_NEAR(iv.hi, 0.366209576982800, 1e-9);
	iv = stats_wilson(1, 29, 0.95);
	T_NEAR(iv.lo, 0.006113214292763, 1e-9);
	T_NEAR(iv.hi, 0.171755218793203, 1e-9);
}

TEST(stats_wilson_edges)
{
	struct interval iv = stats_wilson(0, 0, 0.95);

	T_NEAR(iv.lo, 0, 0);
	T_NEAR(iv.hi, 1, 0);
	iv = stats_wilson(20, 20, 0.95);	/* mirror of 0/20 */
	T_NEAR(iv.lo, 1 - 0.161125158052819, 1e-9);
	T_NEAR(iv.hi, 1, 0);
	iv = stats_wilson(5, 3, 0.95);		/* nonsense input */
	T_NEAR(iv.lo, 0, 0);
	T_NEAR(iv.hi, 1, 0);
}

/* R: quantile(1:10, 0.95) = 9.55; quantile(1:10, 0.5) = 5.5;
 * quantile(1:10, 0.1) = 1.9; quantile(c(1,3,4,7,10), 0.25) = 3;
 * quantile(c(1,3,4,7,10), 0.9) = 7 + 0.6*3 = 8.8.  NumPy documentation
 * for percentile(): the median of [10,7,4,3,2,1] is 3.5. */
TEST(stats_quantile_type7_r)
{
	double x[10], y[5] = { 1, 3, 4, 7, 10 };
	double z[6] = { 10, 7, 4, 3, 2, 1 };
	int i;

	for (i = 0; i < 10; i++)
		x[i] = i + 1;
	T_NEAR(stats_quantile_sorted(x, 10, 0.95), 9.55, 1e-12);
	T_NEAR(stats_quantile_sorted(x, 10, 0.5), 5.5, 1e-12);
	T_NEAR(stats_quantile_sorted(x, 10, 0.1), 1.9, 1e-12);
	T_NEAR(stats_quantile_sorted(x, 10, 0), 1, 0);
	T_NEAR(stats_quantile_sorted(x, 10, 1), 10, 0);
	T_NEAR(stats_quantile_sorted(y, 5, 0.25), 3, 1e-12);
	T_NEAR(stats_quantile_sorted(y, 5, 0.9), 8.8, 1e-12);
	stats_sort(z, 6);
	T_NEAR(stats_quantile_sorted(z, 6, 0.5), 3.5, 1e-12);
	T_NEAR(stats_quantile_sorted(y, 1, 0.7), 1, 0);
	T_ASSERT(isnan(stats_quantile_sorted(y, 0, 0.5)));
}

TEST(stats_sort_nan_last)
{
	double x[6] = { 3, NAN, -1, 2.5, NAN, -7 };

	stats_sort(x, 6);
	T_NEAR(x[0], -7, 0);
	T_NEAR(x[1], -1, 0);
	T_NEAR(x[2], 2.5, 0);
	T_NEAR(x[3], 3, 0);
	T_ASSERT(isnan(x[4]) && isnan(x[5]));
}

/* R: qnorm(0.975) = 1.959963984540054, qnorm(0.9) = 1.281551565544601,
 * qnorm(0.999) = 3.090232306167813, qnorm(0.995) = 2.575829303548901,
 * qnorm(1e-10) = -6.361340902404056 (mpmath agrees to all digits shown). */
TEST(stats_norm_ppf_known)
{
	T_NEAR(stats_norm_ppf(0.975), 1.959963984540054, 1e-12);
	T_NEAR(stats_norm_ppf(0.025), -1.959963984540054, 1e-12);
	T_NEAR(stats_norm_ppf(0.5), 0, 1e-15);
	T_NEAR(stats_norm_ppf(0.9), 1.281551565544601, 1e-12);
	T_NEAR(stats_norm_ppf(0.999), 3.090232306167813, 1e-11);
	T_NEAR(stats_norm_ppf(0.995), 2.575829303548901, 1e-12);
	T_NEAR(stats_norm_ppf(1e-10), -6.361340902404056, 1e-9);
	T_ASSERT(isinf(stats_norm_ppf(0)) && stats_norm_ppf(0) < 0);
	T_ASSERT(isinf(stats_norm_ppf(1)) && stats_norm_ppf(1) > 0);
	T_ASSERT(isnan(stats_norm_ppf(1.5)));
}

/* R: pnorm(1.96) = 0.9750021048517795, pnorm(-1) = 0.1586552539314571,
 * pnorm(-10) = 7.619853024160527e-24, pnorm(3) = 0.9986501019683699. */
TEST(stats_norm_cdf_known)
{
	T_NEAR(stats_norm_cdf(1.96), 0.9750021048517795, 1e-15);
	T_NEAR(stats_norm_cdf(-1), 0.1586552539314571, 1e-15);
	T_NEAR(stats_norm_cdf(-10) / 7.619853024160527e-24, 1, 1e-12);
	T_NEAR(stats_norm_cdf(3), 0.9986501019683699, 1e-15);
	T_NEAR(stats_norm_cdf(0), 0.5, 0);
}

/* Round trip over the whole range (a property, not a reference value). */
TEST(stats_norm_ppf_roundtrip)
{
	double p;

	for (p = 1e-12; p < 1; p = p < 0.01 ? p * 3 : p + 0.01) {
		double x = stats_norm_ppf(p);
		T_NEAR(stats_norm_cdf(x) / p, 1, 1e-12);
	}
}
