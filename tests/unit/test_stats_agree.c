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

/* Coverage of the Bradley–Terry bootstrap as the report runs it
 * (report_stats_human.c: pseudo-tie prior 1 per pair, 1,000 resamples,
 * 95 % percentile interval): three candidates with true strengths 2, 1,
 * 0.5 (geometric mean 1), 50 comparisons per pair (150 in all, no ties),
 * 1,000 seeded simulations.  Every candidate's interval must cover its
 * true score 1000 + 400 log10 p_i in 92–98 % of them: the binomial SD of
 * the coverage at 0.95 over 1,000 simulations is 0.0069, so 0.92 is 4.3 SD
 * below the nominal level, and a method with a true coverage of 0.90
 * would pass with probability < 2 %.  Measured: 0.948, 0.951, 0.951.
 *
 * (The test this replaces accepted 0.88: it ran 200 simulations — SD
 * 0.015, observed 0.930 — with 200 resamples, below what the report uses;
 * 200 resamples alone cost about a point of coverage, 0.938 against 0.948
 * on the same data, because the 2.5 % and 97.5 % order statistics of 200
 * values are noisy.  docs/statistics.md.) */
TEST(bradley_terry_bootstrap_coverage_simulation)
{
	const double truth[3] = { 2, 1, 0.5 };
	struct stats_bt_cmp c[150];
	struct interval ci[3];
	struct stats_rng r;
	long hit[3] = { 0 }, sims = 1000;
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
		stats_bt_ci(c, n, 3, 1.0, 1000, (uint64_t)s + 1, 0.95, ci);
		for (int i = 0; i < 3; i++) {
			double want = stats_bt_score(truth[i]);
			hit[i] += ci[i].lo <= want && want <= ci[i].hi;
		}
	}
	for (int i = 0; i < 3; i++) {
		T_ASSERT((double)hit[i] / (double)sims >= 0.92);
		T_ASSERT((double)hit[i] / (double)sims <= 0.98);
	}
}

/* The bootstrap's refits (Newton's method from the whole sample's fit,
 * then the MM iteration to a change below 1e-7) reach the same maxima as
 * a plain stats_bt_fit of each resample (MM from p = 1 to 1e-10): the
 * intervals agree within 0.01 score points, on the data of the coverage
 * test and on data where a player won nothing (prior 0: its MLE is at the
 * bound, where Newton's method gives up and MM finishes). */
static void bt_ci_by_refit(const struct stats_bt_cmp *c, size_t n, size_t k,
			   double prior, size_t reps, uint64_t seed, struct interval *ci)
{
	struct stats_bt_cmp *s = calloc(n, sizeof *s);
	double *sc = calloc(reps * k, sizeof *sc), *col = calloc(reps, sizeof *col);
	double p[8];
	struct stats_rng rng;
	stats_rng_seed(&rng, seed);
	for (size_t b = 0; b < reps; b++) {
		for (size_t t = 0; t < n; t++)
			s[t] = c[stats_rng_below(&rng, n)];
		stats_bt_fit(s, n, k, prior, p);
		for (size_t i = 0; i < k; i++)
			sc[i * reps + b] = stats_bt_score(p[i]);
	}
	for (size_t i = 0; i < k; i++) {
		memcpy(col, sc + i * reps, reps * sizeof *col);
		stats_sort(col, reps);
		ci[i].lo = stats_quantile_sorted(col, reps, 0.025);
		ci[i].hi = stats_quantile_sorted(col, reps, 0.975);
	}
	free(s);
	free(sc);
	free(col);
}

TEST(bradley_terry_bootstrap_refits_match_plain_fits)
{
	const double truth[4] = { 2, 1, 0.5, 0.25 };
	struct stats_bt_cmp c[240];
	struct interval a[4], b[4];
	struct stats_rng r;
	size_t n = 0;
	stats_rng_seed(&r, 7);
	for (int i = 0; i < 4; i++)
		for (int j = i + 1; j < 4; j++)
			for (int t = 0; t < 40; t++, n++) {
				double u = stats_rng_uniform(&r), pw = truth[i] / (truth[i] + truth[j]);
				c[n].a = i;
				c[n].b = j;
				c[n].winner = u < 0.1 ? -1 : u < 0.1 + 0.9 * pw ? i : j;
			}
	stats_bt_ci(c, n, 4, 1.0, 300, 11, 0.95, a);
	bt_ci_by_refit(c, n, 4, 1.0, 300, 11, b);
	for (int i = 0; i < 4; i++) {
		T_NEAR(a[i].lo, b[i].lo, 0.01);
		T_NEAR(a[i].hi, b[i].hi, 0.01);
	}
	/* player 2 never wins (its 12 comparisons), prior 0 */
	struct stats_bt_cmp d[18];
	for (int t = 0; t < 18; t++) {
		int pair = t % 3;
		d[t].a = pair == 2 ? 1 : 0;
		d[t].b = pair == 0 ? 1 : 2;
		d[t].winner = pair == 0 ? (t % 2 ? 0 : 1) : d[t].a;
	}
	stats_bt_ci(d, 18, 3, 0, 200, 5, 0.95, a);
	bt_ci_by_refit(d, 18, 3, 0, 200, 5, b);
	for (int i = 0; i < 3; i++) {
		T_NEAR(a[i].lo, b[i].lo, 0.01);
		T_NEAR(a[i].hi, b[i].hi, 0.01);
	}
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
