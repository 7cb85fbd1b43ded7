/* test_stats_agree.c — Cohen's kappa and its FCE standard error,
 * Krippendorff's alpha, Bradley–Terry: reference values from the
 * literature or hand computation, and seeded coverage simulations of the
 * kappa and Bradley–Terry intervals. */
#include "t.h"

#include <math.h>
#include <stdlib.h>

#include "../../src/stats/agree.h"
#include "../../src/stats/bt.h"
#include "../../src/stats/cluster.h"
#include "../../src/stats/rng.h"

/* Expands a 2x2 table (rater A rows, rater B columns) into item arrays. */
static size_t table2(const int t[2][2], int *a, int *b)
{
	size_t n = 0;
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < 2; j++)
			for (int c = 0; c < t[i][j]; c++, n++) {
				a[n] = i;
				b[n] = j;
			}
	return n;
}

TEST(kappa_matches_reference_example)
{
	/* Wikipedia, "Cohen's kappa", simple example (50 proposals, yes/yes
	 * 20, yes/no 5, no/yes 10, no/no 15): po 0.70, pe 0.50, kappa 0.40.
	 * SE: Fleiss, Cohen & Everitt (1969) eq. (13) evaluated by hand
	 * (python3 as calculator, not assay): 0.126996. */
	static const int t[2][2] = { { 20, 5 }, { 10, 15 } };
	int a[50], b[50];
	size_t n = table2(t, a, b);
	struct stats_kappa k = stats_cohen_kappa(a, b, n, 0.95);
	T_EQ_INT(k.n, 50);
	T_NEAR(k.po, 0.70, 1e-12);
	T_NEAR(k.pe, 0.50, 1e-12);
	T_NEAR(k.kappa, 0.40, 1e-12);
	T_NEAR(k.se, 0.126996, 1e-5);
	T_NEAR(k.ci.lo, 0.40 - 1.959964 * 0.126996, 1e-4);
	T_NEAR(k.ci.hi, 0.40 + 1.959964 * 0.126996, 1e-4);
	/* perfect agreement: kappa 1, SE 0; one category only: undefined */
	int x[4] = { 0, 1, 0, 1 }, z[4] = { 1, 1, 1, 1 };
	k = stats_cohen_kappa(x, x, 4, 0.95);
	T_NEAR(k.kappa, 1, 1e-12);
	T_NEAR(k.se, 0, 1e-9);
	T_ASSERT(isnan(k.ci.lo) && isnan(k.ci.hi)); /* never a point [1, 1] */
	k = stats_cohen_kappa(z, z, 4, 0.95);
	T_ASSERT(isnan(k.kappa));
	k = stats_cohen_kappa(x, z, 0, 0.95);
	T_EQ_INT(k.n, 0);
	T_ASSERT(isnan(k.kappa));
}

TEST(kripp_alpha_matches_krippendorff_2011)
{
	/* Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability",
	 * section C (4 observers, 12 units, missing values): nominal alpha
	 * 0.743, ordinal 0.815. */
	const double N = NAN;
	const double v[12 * 4] = {
		1, 1, N, 1,   2, 2, 3, 2,   3, 3, 3, 3,   3, 3, 3, 3,
		2, 2, 2, 2,   1, 2, 3, 4,   4, 4, 4, 4,   1, 1, 2, 1,
		2, 2, 2, 2,   N, 5, 5, 5,   N, N, 1, 1,   N, 3, N, N,
	};
	T_NEAR(stats_kripp_alpha(v, 12, 4, STATS_ALPHA_NOMINAL), 0.743, 5e-4);
	T_NEAR(stats_kripp_alpha(v, 12, 4, STATS_ALPHA_ORDINAL), 0.815, 5e-4);
	struct interval ci = stats_kripp_alpha_ci(v, 12, 4, STATS_ALPHA_NOMINAL,
						  400, 7, 0.95);
	T_ASSERT(ci.lo < 0.743 && ci.hi > 0.743 && ci.hi <= 1);
	/* all values equal: no disagreement expected, alpha undefined */
	const double same[4] = { 2, 2, 2, 2 };
	T_ASSERT(isnan(stats_kripp_alpha(same, 2, 2, STATS_ALPHA_NOMINAL)));
}

TEST(bradley_terry_closed_forms)
{
	/* two players: the MLE is p_a / (p_a + p_b) = wins_a / n.  a wins 3
	 * of 4 and ties once (half a win each): 3.5 / 5 */
	struct stats_bt_cmp c[5] = {
		{ 0, 1, 0 }, { 0, 1, 0 }, { 1, 0, 0 }, { 0, 1, 1 }, { 0, 1, -1 },
	};
	double p[3];
	T_ASSERT(stats_bt_fit(c, 5, 2, 0, p) > 0);
	T_NEAR(p[0] / (p[0] + p[1]), 3.5 / 5, 1e-8);
	T_NEAR(p[0] * p[1], 1, 1e-9);           /* geometric mean 1 */
	T_NEAR(stats_bt_score(p[0]) - stats_bt_score(p[1]),
	       400 * log10(3.5 / 1.5), 1e-6);
	/* a cycle, each pair 2-1: all equal by symmetry */
	struct stats_bt_cmp cy[9] = {
		{ 0, 1, 0 }, { 0, 1, 0 }, { 0, 1, 1 },
		{ 1, 2, 1 }, { 1, 2, 1 }, { 1, 2, 2 },
		{ 2, 0, 2 }, { 2, 0, 2 }, { 2, 0, 0 },
	};
	T_ASSERT(stats_bt_fit(cy, 9, 3, 0, p) > 0);
	T_NEAR(p[0], 1, 1e-8);
	T_NEAR(p[1], 1, 1e-8);
	T_NEAR(p[2], 1, 1e-8);
	/* three players in a chain a>b 3-1, b>c 3-1, a>c 1-1: the
	 * likelihood equations w_i = sum_j n_ij p_i/(p_i+p_j) hold */
	struct stats_bt_cmp ch[10] = {
		{ 0, 1, 0 }, { 0, 1, 0 }, { 0, 1, 0 }, { 0, 1, 1 },
		{ 1, 2, 1 }, { 1, 2, 1 }, { 1, 2, 1 }, { 1, 2, 2 },
		{ 0, 2, 0 }, { 0, 2, 2 },
	};
	T_ASSERT(stats_bt_fit(ch, 10, 3, 0, p) > 0);
	T_NEAR(4 * p[0] / (p[0] + p[1]) + 2 * p[0] / (p[0] + p[2]), 4, 1e-7);
	T_NEAR(4 * p[1] / (p[1] + p[0]) + 4 * p[1] / (p[1] + p[2]), 4, 1e-7);
	/* by symmetry (a and c mirror each other) p_b = 1, p_a = 1/p_c */
	T_NEAR(p[1], 1, 1e-7);
	T_NEAR(p[0] * p[2], 1, 1e-7);
	T_ASSERT(p[0] > p[1] && p[1] > p[2]);
}

/* Coverage of the FCE kappa interval: two binary raters from a known
 * population table (p11 .4, p10 .1, p01 .1, p00 .4: true kappa 0.6) at
 * n = 100; 1000 seeded simulations.  Binomial SD of the coverage at 0.95
 * is 0.007, so the bound 0.92 is 4 SD below the nominal level. */
TEST(kappa_interval_coverage_simulation)
{
	struct stats_rng r;
	int a[100], b[100];
	long hit = 0, sims = 1000;
	stats_rng_seed(&r, 20261202);
	for (long s = 0; s < sims; s++) {
		for (int i = 0; i < 100; i++) {
			double u = stats_rng_uniform(&r);
			a[i] = u < 0.5;
			b[i] = u < 0.4 || (u >= 0.5 && u < 0.6);
		}
		struct stats_kappa k = stats_cohen_kappa(a, b, 100, 0.95);
		hit += k.ci.lo <= 0.6 && 0.6 <= k.ci.hi;
	}
	T_ASSERT((double)hit / (double)sims >= 0.92);
	T_ASSERT((double)hit / (double)sims <= 0.98);
}

/* Coverage of the Bradley–Terry bootstrap: three candidates with true
 * strengths 2, 1, 0.5 (geometric mean 1), 150 comparisons (50 per pair,
 * no ties), 200 simulations × 200 bootstrap fits.  The percentile
 * interval of candidate 0's score must cover its true score 1000 + 400
 * log10 2 in at least 88% of simulations (binomial SD 0.015 at 0.95;
 * the percentile bootstrap runs slightly narrow at this n). */
TEST(bradley_terry_bootstrap_coverage_simulation)
{
	const double truth[3] = { 2, 1, 0.5 };
	struct stats_bt_cmp c[150];
	struct interval ci[3];
	struct stats_rng r;
	long hit = 0, sims = 200;
	stats_rng_seed(&r, 42);
	for (long s = 0; s < sims; s++) {
		size_t n = 0;
		for (int i = 0; i < 3; i++)
			for (int j = i + 1; j < 3; j++)
				for (int t = 0; t < 50; t++, n++) {
					double pw = truth[i] / (truth[i] + truth[j]);
					c[n].a = i;
					c[n].b = j;
					c[n].winner = stats_rng_uniform(&r) < pw ? i : j;
				}
		stats_bt_ci(c, n, 3, 0, 200, (uint64_t)s + 1, 0.95, ci);
		double want = stats_bt_score(truth[0]);
		hit += ci[0].lo <= want && want <= ci[0].hi;
	}
	T_ASSERT((double)hit / (double)sims >= 0.88);
}

/* Coverage of the mean-rating interval (CR1 by case, t(G-1)): G = 10 and
 * 30 cases, two reviewers rate each output; a case's quality q is 2, 3 or
 * 4 (equally likely) and each rating is q - 1, q or q + 1 (probabilities
 * 1/4, 1/2, 1/4), so the true mean is 3 and ratings of one case are
 * correlated.  1000 seeded simulations per G; bound 0.92 (4 binomial SD
 * below 0.95). */
TEST(mean_rating_interval_coverage_simulation)
{
	static const size_t gs[2] = { 10, 30 };
	double x[60];
	long cl[60];
	struct stats_rng r;
	stats_rng_seed(&r, 11);
	for (int k = 0; k < 2; k++) {
		long hit = 0, sims = 1000;
		size_t g = gs[k];
		for (long s = 0; s < sims; s++) {
			for (size_t c = 0; c < g; c++) {
				double q = 2 + (double)stats_rng_below(&r, 3);
				for (int v = 0; v < 2; v++) {
					double u = stats_rng_uniform(&r);
					x[c * 2 + (size_t)v] = q + (u < 0.25 ? -1 : u < 0.75 ? 0 : 1);
					cl[c * 2 + (size_t)v] = (long)c;
				}
			}
			struct stats_cluster_ci ci = stats_cluster_mean_ci(x, cl, g * 2, 0.95);
			hit += ci.lo <= 3 && 3 <= ci.hi;
		}
		T_ASSERT((double)hit / (double)sims >= 0.92);
	}
}
