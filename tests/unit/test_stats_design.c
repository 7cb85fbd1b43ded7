/* test_stats_design.c — Student's t, the ICC / design effect and the
 * design-adjusted Wilson interval (src/stats/design.h).
 *
 * References, none computed with assay's own code:
 * - t quantiles: R 4.x qt(0.975, df) = 12.706205 (df 1), 4.302653 (2),
 *   3.182446 (3), 2.262157 (9); the printed tables of any statistics
 *   text agree to 3 decimals.  Re-derived with mpmath 1.3.0 as the root
 *   of betainc(df/2, 1/2, 0, df/(df+t^2), regularized=True) = 0.05.
 * - t tails: the closed forms P(|T| > t) = 1 - 2 atan(t)/pi (df 1,
 *   Cauchy) and 1 - t / sqrt(t^2 + 2) (df 2).
 * - ICC: one-way ANOVA estimator (Donner 1986, Int Stat Rev 54:67) by
 *   hand; the interval values come from the Wilson formula evaluated in
 *   mpmath 1.3.0 (30 digits) at n/deff with the t quantile above. */
#include "t.h"

#include <float.h>
#include <math.h>

#include "../../src/stats/stats.h"

TEST(stats_t_quantiles_match_r_qt)
{
	T_NEAR(stats_t_ppf(0.975, 1), 12.7062047361747, 1e-8);
	T_NEAR(stats_t_ppf(0.975, 2), 4.30265272974946, 1e-9);
	T_NEAR(stats_t_ppf(0.975, 3), 3.18244630528371, 1e-9);
	T_NEAR(stats_t_ppf(0.975, 9), 2.26215716279821, 1e-9);
	T_NEAR(stats_t_ppf(0.025, 9), -2.26215716279821, 1e-9);
	T_NEAR(stats_t_ppf(0.975, 1e7), 1.959963984540054, 1e-6);
	T_ASSERT(isnan(stats_t_ppf(0, 3)));
	T_ASSERT(isnan(stats_t_ppf(0.5, 0)));
}

TEST(stats_t_tail_closed_forms_and_no_zero)
{
	for (double t = 0; t < 30; t += 0.7) {
		T_NEAR(stats_t_p2(t, 1), 1 - 2 * atan(t) / M_PI, 1e-12);
		T_NEAR(stats_t_p2(-t, 2), 1 - t / sqrt(t * t + 2), 1e-12);
	}
	/* mpmath: 2 * P(T_3 > 2.5) = 0.0877066470080655 */
	T_NEAR(stats_t_p2(2.5, 3), 0.0877066470080655, 1e-12);
	/* far tails stay positive: never p = 0 */
	T_ASSERT(stats_t_p2(1e10, 3) > 0);
	T_ASSERT(stats_t_p2(INFINITY, 3) > 0);
	T_ASSERT(stats_t_p2(1e200, 50) >= DBL_MIN);
	T_ASSERT(isnan(stats_t_p2(NAN, 3)));
}

TEST(stats_design_icc_and_deff_by_hand)
{
	/* clusters of 4: all pass, half pass, none pass.  MSB = 1,
	 * MSW = 1/9, m0 = 4: ICC = (1 - 1/9) / (1 + 3/9) = 2/3, deff 3 */
	static const double x[12] = { 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0 };
	static const long cl[12] = { 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2 };
	struct stats_design d;
	struct stats_design_ci ci;
	T_EQ_INT(stats_design(x, cl, 12, &d), 0);
	T_EQ_INT((long)d.clusters, 3);
	T_NEAR(d.icc, 2.0 / 3, 1e-12);
	T_NEAR(d.deff, 3, 1e-12);
	T_NEAR(d.n_eff, 4, 1e-12);
	/* Wilson at n 4 with t_2: mpmath [0.046589738091820, 0.953410261908180] */
	T_EQ_INT(stats_prop_design(x, cl, 12, 0.95, &ci), 0);
	T_NEAR(ci.est, 0.5, 1e-12);
	T_NEAR(ci.lo, 0.0465897380918197, 1e-9);
	T_NEAR(ci.hi, 0.9534102619081803, 1e-9);
	T_NEAR(ci.crit, 4.30265272974946, 1e-9);
}

TEST(stats_design_negative_icc_is_floored)
{
	/* sizes 3, 2, 5, 1; ANOVA ICC = -0.1443 (mpmath): floored to 0 */
	static const double x[11] = { 1, 1, 0, 1, 0, 1, 1, 1, 1, 0, 0 };
	static const long cl[11] = { 5, 5, 5, 7, 7, 9, 9, 9, 9, 9, 2 };
	struct stats_design d;
	T_EQ_INT(stats_design(x, cl, 11, &d), 0);
	T_EQ_INT((long)d.clusters, 4);
	T_NEAR(d.icc, 0, 1e-15);
	T_NEAR(d.deff, 1, 1e-15);
	T_NEAR(d.n_eff, 11, 1e-12);
}

TEST(stats_design_all_pass_is_wilson_at_clusters)
{
	/* 12/12 in 4 clusters of 3: Wilson 4/4 lower end 4 / (4 + z^2) =
	 * 0.510109163545403 (mpmath), wider than Wilson 12/12 (0.7575) */
	double x[12];
	long cl[12];
	struct stats_design_ci ci;
	for (int i = 0; i < 12; i++) {
		x[i] = 1;
		cl[i] = i / 3;
	}
	T_EQ_INT(stats_prop_design(x, cl, 12, 0.95, &ci), 0);
	T_NEAR(ci.lo, 0.510109163545403, 1e-9);
	T_NEAR(ci.hi, 1, 0);
	T_ASSERT(ci.lo < stats_wilson(12, 12, 0.95).lo);
	for (int i = 0; i < 12; i++)
		x[i] = 0;
	T_EQ_INT(stats_prop_design(x, cl, 12, 0.95, &ci), 0);
	T_NEAR(ci.lo, 0, 0);
	T_NEAR(ci.hi, 1 - 0.510109163545403, 1e-9);
	/* one cluster: no interval narrower than [0, 1] */
	for (int i = 0; i < 12; i++)
		cl[i] = 3;
	T_EQ_INT(stats_prop_design(x, cl, 12, 0.95, &ci), 0);
	T_NEAR(ci.lo, 0, 0);
	T_NEAR(ci.hi, 1, 0);
	T_EQ_INT(stats_prop_design(x, cl, 0, 0.95, &ci), -1);
}

TEST(stats_wilson_eff_is_wilson_at_integer_n)
{
	/* Newcombe (1998) Table I: 81/263 -> 0.2553-0.3662 */
	struct interval w = stats_wilson_eff(81.0 / 263, 263, 1.959963984540054);
	T_NEAR(w.lo, 0.2553, 5e-5);
	T_NEAR(w.hi, 0.3662, 5e-5);
}

/* Newcombe at the effective counts: with deff 1 and no df factor it is
 * Newcombe's interval (Fagerland, Lydersen & Laake 2017, ch. 8, Cavo et
 * al. table [[59, 6], [16, 80]]: -0.1186 to -0.0046); with deff 2 it
 * equals the fractional table of halved counts (n = 80.5), by the
 * definition in design.h. */
TEST(stats_newcombe_design_reference)
{
	struct interval a = stats_newcombe_design(59, 6, 16, 80, 1, 0, 0.95);
	struct interval b = stats_newcombe_design(59, 6, 16, 80, 2, 0, 0.95);
	struct interval h = stats_paired_diff_newcombe_f(29.5, 3, 8, 40, 0.95);
	T_NEAR(a.lo, -0.1186, 5e-5);
	T_NEAR(a.hi, -0.0046, 5e-5);
	T_NEAR(b.lo, h.lo, 1e-12);
	T_NEAR(b.hi, h.hi, 1e-12);
	T_ASSERT(b.lo < a.lo && b.hi > a.hi);
}

/* deff of a mean by hand: d = 1 1 | 0 0, mean 1/2, s^2 = 1/3, naive
 * se^2 = 1/12; CR1: residual sums +1, -1, se^2 = 2/1 * 2 / 16 = 1/4;
 * deff = 3.  Singletons: CR1 = naive, deff 1. */
TEST(stats_deff_mean_by_hand)
{
	static const double d[4] = { 1, 1, 0, 0 };
	static const long cl[4] = { 0, 0, 1, 1 }, one[4] = { 0, 1, 2, 3 };
	T_NEAR(stats_deff_mean(d, cl, 4), 3, 1e-12);
	T_NEAR(stats_deff_mean(d, one, 4), 1, 1e-12);
}

/* The clustered paired test's edge cases (design.h): every cluster
 * agreeing exactly (SE_CR1 = 0) gives the exact cluster sign-flip bound
 * 2^(1-G) = 1/8 at G = 4, not p = 0; the floor (the unclustered p) is
 * respected; one cluster cannot be compared. */
TEST(stats_cluster_mean_test_edges)
{
	static const double one[8] = { 1, 1, 1, 1, 1, 1, 1, 1 };
	static const long cl[8] = { 0, 0, 1, 1, 2, 2, 3, 3 };
	static const long same[8] = { 5, 5, 5, 5, 5, 5, 5, 5 };
	struct stats_cluster_test ct;
	T_EQ_INT(stats_cluster_mean_test(one, cl, 8, 0.0078125, NAN, NAN,
					 0.95, &ct), 0);
	T_NEAR(ct.p_t, 0.125, 0);
	T_NEAR(ct.p, 0.125, 0);
	T_EQ_INT(stats_cluster_mean_test(one, cl, 8, 0.5, NAN, NAN, 0.95, &ct),
		 0);
	T_NEAR(ct.p, 0.5, 0);
	T_EQ_INT(stats_cluster_mean_test(one, same, 8, 0.01, NAN, NAN, 0.95,
					 &ct), -1);
	T_ASSERT(isnan(ct.p) && isnan(ct.lo));
}

/* 72 samples are the fewest that bound a p95 from above (1 - 0.95^72 =
 * 0.9752 >= 0.975; 1 - 0.95^71 = 0.9739 < 0.975). */
TEST(stats_quantile_os_ci_needs_72_for_p95)
{
	double x[72];
	for (int i = 0; i < 72; i++)
		x[i] = i;
	T_ASSERT(isinf(stats_quantile_os_ci(x, 71, 0.95, 0.95, NULL, NULL).hi));
	T_NEAR(stats_quantile_os_ci(x, 72, 0.95, 0.95, NULL, NULL).hi, 71, 0);
}
