/* test_stats_prop.c — incomplete beta, Clopper–Pearson, binomial CDF,
 * pass@k / pass^k and the power / minimum-detectable-difference formulas,
 * each against a published value, a hand computation shown in the
 * comment, or mpmath 1.3.0 at 30-40 digits (an independent arbitrary-
 * precision implementation: mpmath.betainc, mpmath.binomial). */
#include "../../src/stats/stats.h"
#include "t.h"

#include <math.h>

/* I_0.4(2, 3) = P(Bin(4, 0.4) >= 2) = 1 - 0.6^4 - 4(0.4)(0.6^3)
 *             = 1 - 0.1296 - 0.3456 = 0.5248 (by hand).
 * mpmath.betainc(a, b, 0, x, regularized=True):
 *   I_0.2(0.5, 5)       = 0.85507239459591959
 *   I_0.5(10, 10)       = 0.5 (symmetry)
 *   I_0.41(200, 300)    = 0.67762816477217895
 *   I_0.49(1000, 1000)  = 0.18555265943151145 */
TEST(stats_betainc_reference)
{
	T_NEAR(stats_betainc(2, 3, 0.4), 0.5248, 1e-14);
	T_NEAR(stats_betainc(0.5, 5, 0.2), 0.85507239459591959, 1e-13);
	T_NEAR(stats_betainc(10, 10, 0.5), 0.5, 1e-14);
	T_NEAR(stats_betainc(200, 300, 0.41), 0.67762816477217895, 1e-11);
	T_NEAR(stats_betainc(1000, 1000, 0.49), 0.18555265943151145, 1e-10);
	T_NEAR(stats_betainc(3, 4, 0), 0, 0);
	T_NEAR(stats_betainc(3, 4, 1), 1, 0);
	T_ASSERT(isnan(stats_betainc(-1, 4, 0.5)));
	T_ASSERT(isnan(stats_betainc(1, 4, 1.5)));
}

TEST(stats_betainc_inv_roundtrip)
{
	/* inverse of the hand value above */
	T_NEAR(stats_betainc_inv(2, 3, 0.5248), 0.4, 1e-12);
	T_NEAR(stats_betainc_inv(200, 300, 0.67762816477217895), 0.41, 1e-10);
}

/* R: pbinom(2, 10, 0.3) = 0.7^10 + 10(0.3)(0.7^9) + 45(0.09)(0.7^8)
 *   = 0.0282475249 + 0.1210608210 + 0.2334744405 = 0.3827827864 */
TEST(stats_binom_cdf_hand)
{
	T_NEAR(stats_binom_cdf(2, 10, 0.3), 0.3827827864, 1e-10);
	T_NEAR(stats_binom_cdf(-1, 10, 0.3), 0, 0);
	T_NEAR(stats_binom_cdf(10, 10, 0.3), 1, 0);
	/* P(X <= 1), n = 4, p = 0.4: 0.1296 + 0.3456 = 0.4752 */
	T_NEAR(stats_binom_cdf(1, 4, 0.4), 0.4752, 1e-14);
}

/* Newcombe RG (1998) Stat Med 17:857, Table I, method 5 (Clopper–Pearson
 * "exact"), 95%, printed to 4 decimals:
 *   81/263 -> 0.2527, 0.3676     15/148 -> 0.0578, 0.1617
 *    0/20  -> 0.0000, 0.1684      1/29  -> 0.0009, 0.1776 */
TEST(stats_clopper_pearson_newcombe_table1)
{
	struct interval iv;

	iv = stats_clopper_pearson(81, 263, 0.95);
	T_NEAR(iv.lo, 0.2527, 5e-5);
	T_NEAR(iv.hi, 0.3676, 5e-5);
	iv = stats_clopper_pearson(15, 148, 0.95);
	T_NEAR(iv.lo, 0.0578, 5e-5);
	T_NEAR(iv.hi, 0.1617, 5e-5);
	iv = stats_clopper_pearson(0, 20, 0.95);
	T_NEAR(iv.lo, 0, 0);
	T_NEAR(iv.hi, 0.1684, 5e-5);
	iv = stats_clopper_pearson(1, 29, 0.95);
	T_NEAR(iv.lo, 0.0009, 5e-5);
	T_NEAR(iv.hi, 0.1776, 5e-5);
}

/* mpmath (bisection on betainc to 1e-40):
 *  81/263 -> 0.252736745585271, 0.367621922601351
 *   1/29  -> 0.000872646883579922, 0.177644295488723
 *  99/100 -> 0.945540614607919, 0.999746853967023
 *   0/20 upper is closed form 1 - 0.025^(1/20) = 0.168433470983085 */
TEST(stats_clopper_pearson_precise)
{
	struct interval iv;

	iv = stats_clopper_pearson(81, 263, 0.95);
	T_NEAR(iv.lo, 0.252736745585271, 1e-12);
	T_NEAR(iv.hi, 0.367621922601351, 1e-12);
	iv = stats_clopper_pearson(1, 29, 0.95);
	T_NEAR(iv.lo, 0.000872646883579922, 1e-13);
	T_NEAR(iv.hi, 0.177644295488723, 1e-12);
	iv = stats_clopper_pearson(99, 100, 0.95);
	T_NEAR(iv.lo, 0.945540614607919, 1e-12);
	T_NEAR(iv.hi, 0.999746853967023, 1e-12);
	iv = stats_clopper_pearson(0, 20, 0.95);
	T_NEAR(iv.hi, 1 - pow(0.025, 1.0 / 20), 1e-12);
	iv = stats_clopper_pearson(20, 20, 0.95);
	T_NEAR(iv.lo, pow(0.025, 1.0 / 20), 1e-12);
	T_NEAR(iv.hi, 1, 0);
	iv = stats_clopper_pearson(0, 0, 0.95);
	T_NEAR(iv.lo, 0, 0);
	T_NEAR(iv.hi, 1, 0);
}

/* By hand:
 *  n=5,  c=2, k=2: 1 - C(3,2)/C(5,2) = 1 - 3/10 = 0.7
 *  n=10, c=3, k=5: 1 - C(7,5)/C(10,5) = 1 - 21/252 = 0.91666...
 *  n=5,  c=4, k=2: n - c < k, every pair holds a pass -> 1
 *  c = 0 -> 0;  k = 1 -> c/n.
 * mpmath: n=200, c=10, k=50 -> 0.947906370595957013 */
TEST(stats_pass_at_k_hand)
{
	T_NEAR(stats_pass_at_k(5, 2, 2), 0.7, 1e-15);
	T_NEAR(stats_pass_at_k(10, 3, 5), 1 - 21.0 / 252.0, 1e-15);
	T_NEAR(stats_pass_at_k(5, 4, 2), 1, 0);
	T_NEAR(stats_pass_at_k(7, 0, 3), 0, 0);
	T_NEAR(stats_pass_at_k(8, 3, 1), 3.0 / 8.0, 1e-15);
	T_NEAR(stats_pass_at_k(200, 10, 50), 0.947906370595957013, 1e-13);
	T_ASSERT(isnan(stats_pass_at_k(5, 6, 1)));
	T_ASSERT(isnan(stats_pass_at_k(5, 2, 6)));
	T_ASSERT(isnan(stats_pass_at_k(5, 2, 0)));
}

/* By hand: n=5, c=2, k=2: C(2,2)/C(5,2) = 1/10;
 *          n=10, c=7, k=3: C(7,3)/C(10,3) = 35/120 (plug-in 0.7^3 = 0.343
 *          is larger: the plug-in is biased upward);
 *          c < k -> 0.
 * mpmath: n=200, c=150, k=20 -> 0.00225052084330241991 */
TEST(stats_pass_hat_k_hand)
{
	T_NEAR(stats_pass_hat_k(5, 2, 2), 0.1, 1e-15);
	T_NEAR(stats_pass_hat_k(10, 7, 3), 35.0 / 120.0, 1e-15);
	T_NEAR(stats_pass_hat_k(10, 2, 3), 0, 0);
	T_NEAR(stats_pass_hat_k(10, 10, 4), 1, 1e-15);
	T_NEAR(stats_pass_hat_k(200, 150, 20), 0.00225052084330241991, 1e-16);
}

/* R's ?power.prop.test examples (strict = FALSE, the default):
 *   power.prop.test(n = 50, p1 = .50, p2 = .75)      => power = 0.740
 *   power.prop.test(p1 = .50, p2 = .75, power = .90) => n = 76.7
 *   power.prop.test(n = 50, p1 = .5, power = .90)    => p2 = 0.8026
 * mpmath with the same formula: power 0.7401659013313878, n 76.70692845,
 * p2 0.8026305817; p1=.5, p2=.6, power .8 -> n 387.3385167. */
TEST(stats_power_unpaired_r_examples)
{
	T_NEAR(stats_power_unpaired(50, 0.5, 0.75, 0.05), 0.7401659013313878,
	       1e-10);
	T_EQ_INT(stats_n_unpaired(0.5, 0.75, 0.05, 0.9), 77);
	T_EQ_INT(stats_n_unpaired(0.5, 0.6, 0.05, 0.8), 388);
	T_NEAR(stats_mdd_unpaired(50, 0.5, 0.05, 0.9), 0.8026305817 - 0.5,
	       1e-8);
	T_EQ_INT(stats_n_unpaired(0.5, 0.5, 0.05, 0.8), -1);
}

/* mpmath, bisection on the formula in prop.h: n = 100 per candidate,
 * baseline 0.8, 80% power, alpha 0.05, looking toward 0.5 (p2 = 0.8 - d):
 * d = 0.178596467439608. */
TEST(stats_mdd_unpaired_value)
{
	double d = stats_mdd_unpaired(100, 0.8, 0.05, 0.8);

	T_NEAR(d, 0.178596467439608, 1e-9);
	/* and it is the difference that gives 80% power */
	T_NEAR(stats_power_unpaired(100, 0.8, 0.8 - d, 0.05), 0.8, 1e-9);
	T_ASSERT(isnan(stats_mdd_unpaired(2, 0.5, 0.05, 0.8)));
}

/* Connor (1987): psi = 0.2 discordant, d = 0.1, alpha .05, power .8:
 *   n = (1.959964 sqrt(.2) + 0.841621 sqrt(.2 - .01))^2 / .01
 *     = (0.876523 + 0.366852)^2 / .01 = 154.5986 -> 155
 * (mpmath: 154.598569560211).  Inverse at n = 200, psi = 0.2:
 * d = 0.0880726934516036 (mpmath bisection). */
TEST(stats_power_paired_connor)
{
	T_EQ_INT(stats_n_paired(0.2, 0.1, 0.05, 0.8), 155);
	T_EQ_INT(stats_n_paired(0.2, -0.1, 0.05, 0.8), 155);
	T_NEAR(stats_mdd_paired(200, 0.2, 0.05, 0.8), 0.0880726934516036,
	       1e-9);
	T_EQ_INT(stats_n_paired(0.2, 0.3, 0.05, 0.8), -1);	/* d > psi */
}

/* Order-statistic quantile interval.  References: the classic
 * distribution-free median intervals (Conover 1999, Practical
 * Nonparametric Statistics, 3rd ed., sec. 3.2, Table A3): n = 10 ->
 * x(2)..x(9) (coverage 0.9785), n = 30 -> x(10)..x(21); for p95 the ranks
 * from exact binomial sums computed in Python 3 (math.comb): n = 100 ->
 * x(90)..x(100), n = 200 -> x(184)..x(197), n = 20 -> x(17).. unbounded
 * (1 - 0.95^20 = 0.64 < 0.975). */
TEST(stats_quantile_os_ci_ranks)
{
	double x[200];
	long r, s;
	struct interval iv;
	for (int i = 0; i < 200; i++)
		x[i] = i + 1;	/* x(k) = k */
	iv = stats_quantile_os_ci(x, 10, 0.5, 0.95, &r, &s);
	T_EQ_INT(r, 2);
	T_EQ_INT(s, 9);
	T_NEAR(iv.lo, 2, 0);
	T_NEAR(iv.hi, 9, 0);
	stats_quantile_os_ci(x, 30, 0.5, 0.95, &r, &s);
	T_EQ_INT(r, 10);
	T_EQ_INT(s, 21);
	stats_quantile_os_ci(x, 100, 0.95, 0.95, &r, &s);
	T_EQ_INT(r, 90);
	T_EQ_INT(s, 100);
	stats_quantile_os_ci(x, 200, 0.95, 0.95, &r, &s);
	T_EQ_INT(r, 184);
	T_EQ_INT(s, 197);
	iv = stats_quantile_os_ci(x, 20, 0.95, 0.95, &r, &s);
	T_EQ_INT(r, 17);
	T_EQ_INT(s, 21);
	T_ASSERT(isinf(iv.hi) && iv.hi > 0);
	/* tied samples: 20 equal latencies do not give [10, 10] */
	for (int i = 0; i < 20; i++)
		x[i] = 10;
	iv = stats_quantile_os_ci(x, 20, 0.95, 0.95, NULL, NULL);
	T_NEAR(iv.lo, 10, 0);
	T_ASSERT(isinf(iv.hi));
	iv = stats_quantile_os_ci(x, 0, 0.95, 0.95, NULL, NULL);
	T_ASSERT(isinf(iv.lo) && isinf(iv.hi));
}

/* Cases to settle a rate against a limit.  Reference: the published
 * example of Chow, Shao & Wang (2008, p. 85) as given with R code by
 * powerandsamplesize.com ("Test 1 Proportion: 1-Sample, 1-Sided"):
 * p = 0.05 against p0 = 0.02, one-sided alpha 0.05, power 0.8 ->
 * ceiling(n) = 191 (here: two-sided alpha 0.10).  Its R code at alpha
 * 0.025: p = 0.9 against 0.85 -> 362.8 -> 363.  Wilson bound when all
 * agreed: 10/10 against 0.9 -> 9 z^2 = 34.57 -> 35; 0/n against 0.05 ->
 * 19 z^2 = 72.99 -> 73.  The design effect multiplies. */
TEST(stats_cases_to_settle_reference)
{
	T_EQ_INT(stats_cases_to_settle(0.05, 0.02, 1, 0.10, 0.8), 191);
	T_EQ_INT(stats_cases_to_settle(0.9, 0.85, 1, 0.05, 0.8), 363);
	T_EQ_INT(stats_cases_to_settle(1, 0.9, 1, 0.05, 0.8), 35);
	T_EQ_INT(stats_cases_to_settle(0, 0.05, 1, 0.05, 0.8), 73);
	T_EQ_INT(stats_cases_to_settle(1, 0.9, 3, 0.05, 0.8), 104);
	T_EQ_INT(stats_cases_to_settle(0.9, 0.9, 1, 0.05, 0.8), -1);
	T_EQ_INT(stats_cases_to_settle(0.5, 1, 1, 0.05, 0.8), -1);
}

/* F1 interval: 8 of 8 right gives Wilson 8/8 = [0.675592435116120, 1]
 * (mpmath 1.3.0, 30 digits) and F1 = 2J/(1+J): lower end
 * 0.806392319465564; with deff 2 it is Wilson 4/4, lower end
 * 4/(4 + z^2) = 0.510109163545403, mapped to 2 (0.510109) / 1.510109 =
 * 0.675593; no cases touching the class gives NaN. */
TEST(stats_f1_interval_reference)
{
	struct interval f = stats_f1_interval(8, 0, 0, 1, 0.95);
	T_NEAR(f.lo, 0.806392319465564, 1e-9);
	T_NEAR(f.hi, 1, 0);
	f = stats_f1_interval(8, 0, 0, 2, 0.95);
	T_NEAR(f.lo, 2 * 0.510109163545403 / 1.510109163545403, 1e-9);
	f = stats_f1_interval(0, 0, 0, 1, 0.95);
	T_ASSERT(isnan(f.lo) && isnan(f.hi));
}

/* The one-sided binomial tail of the failure modes.  References (Python
 * 3.11.7, exact sums with math.comb; = R pbinom(f - 1, n, p, FALSE)):
 * P(X >= 8 | n 20, p 0.2) = 0.03214266308087517; P(X >= 1 | n 50,
 * p 0.1) = 0.9948462247926814.  No failures, or a rate of 0 or 1: 1. */
TEST(stats_binom_upper_reference)
{
	T_NEAR(stats_binom_upper(8, 20, 0.2), 0.03214266308087517, 1e-12);
	T_NEAR(stats_binom_upper(1, 50, 0.1), 0.9948462247926814, 1e-12);
	T_NEAR(stats_binom_upper(0, 20, 0.2), 1, 0);
	T_NEAR(stats_binom_upper(3, 20, 0), 1, 0);
	T_NEAR(stats_binom_upper(3, 20, 1), 1, 0);
	T_ASSERT(stats_binom_upper(400, 400, 1e-3) > 0);
}
