/* test_stats_paired.c — McNemar, Newcombe's paired interval, the
 * sign-flip permutation test, Holm and the compact letter display. */
#include "../../src/stats/stats.h"
#include "t.h"

#include <float.h>
#include <math.h>
#include <string.h>

/* binom.test(min(b,c), b+c)$p.value, by hand:
 *  b=1, c=7: m=8, P(X<=1) = (1 + 8)/256, p = 2*9/256 = 0.0703125
 *  b=0, c=5: P(X<=0) = 1/32, p = 0.0625
 *  b=2, c=10: P(X<=2) = (1 + 12 + 66)/4096, p = 158/4096 = 0.03857421875
 *  b=3, c=3: p = 1 (capped);  b=c=0: p = 1.
 * mpmath: b=40, c=60 -> 0.0568879336409807917 (R prints 0.05689);
 *         b=10, c=25 -> 0.0166738478001207113 */
TEST(stats_mcnemar_exact_hand)
{
	T_NEAR(stats_mcnemar_exact(1, 7), 0.0703125, 1e-15);
	T_NEAR(stats_mcnemar_exact(7, 1), 0.0703125, 1e-15);
	T_NEAR(stats_mcnemar_exact(0, 5), 0.0625, 1e-15);
	T_NEAR(stats_mcnemar_exact(2, 10), 0.03857421875, 1e-15);
	T_NEAR(stats_mcnemar_exact(3, 3), 1, 0);
	T_NEAR(stats_mcnemar_exact(0, 0), 1, 0);
	T_NEAR(stats_mcnemar_exact(40, 60), 0.0568879336409807917, 1e-12);
	T_NEAR(stats_mcnemar_exact(10, 25), 0.0166738478001207113, 1e-13);
	T_ASSERT(stats_mcnemar_exact(0, 5000) < 1e-300);
	T_ASSERT(isnan(stats_mcnemar_exact(-1, 3)));
}

/* Fagerland, Lydersen & Laake (2017) "Statistical Analysis of Contingency
 * Tables", ch. 8, Cavo et al. (2012) table [[59, 6], [16, 80]]: Newcombe
 * square-and-add: estimate -0.0621 (95% CI -0.1186 to -0.0046), as the
 * R package contingencytables' tests print it.  mpmath (same formula):
 * -0.118621195638710, -0.00462511393305005.
 * Bentur et al. (2009) [[1, 1], [7, 12]] (mpmath): -0.285714285714286,
 * -0.506920226686141 to -0.0255591241648598. */
TEST(stats_paired_diff_newcombe_reference)
{
	struct interval iv = stats_paired_diff_newcombe(59, 6, 16, 80, 0.95);

	T_NEAR(iv.lo, -0.1186, 5e-5);
	T_NEAR(iv.hi, -0.0046, 5e-5);
	T_NEAR(iv.lo, -0.118621195638710, 1e-9);
	T_NEAR(iv.hi, -0.00462511393305005, 1e-9);
	iv = stats_paired_diff_newcombe(1, 1, 7, 12, 0.95);
	T_NEAR(iv.lo, -0.506920226686141, 1e-9);
	T_NEAR(iv.hi, -0.0255591241648598, 1e-9);
	/* swapping A and B mirrors the interval */
	iv = stats_paired_diff_newcombe(1, 7, 1, 12, 0.95);
	T_NEAR(iv.lo, 0.0255591241648598, 1e-9);
	T_NEAR(iv.hi, 0.506920226686141, 1e-9);
	iv = stats_paired_diff_newcombe(0, 0, 0, 0, 0.95);
	T_NEAR(iv.lo, -1, 0);
	T_NEAR(iv.hi, 1, 0);
}

/* d = {1, 2, 3}: the 8 sign patterns give sums 6,4,2,0,0,-2,-4,-6; only
 * +-6 are as extreme as the observed 6, so p = 2/8 = 0.25 (by hand). */
TEST(stats_signflip_exact_hand)
{
	double d[3] = { 1, 2, 3 };
	/* {0.5, -0.2, 0.3, 0, 0.1}: zero dropped, observed |S| = 0.7 =
	 * 1.1 - 2 (flipped subset sum); |S| >= 0.7 iff the flipped subset
	 * sums to <= 0.2 ({}, {.1}, {.2}) or >= 0.9 ({.1,.3,.5},
	 * {.2,.3,.5}, all): p = 6/16 = 0.375.  0.7 is hit only up to
	 * rounding, so this also tests the tie tolerance. */
	double e[5] = { 0.5, -0.2, 0.3, 0, 0.1 };
	double z[4] = { 0, 0, 0, 0 };

	T_NEAR(stats_signflip_p(d, 3, 0, 1), 0.25, 1e-15);
	T_NEAR(stats_signflip_p(e, 5, 0, 1), 0.375, 1e-15);
	T_NEAR(stats_signflip_p(z, 4, 0, 1), 1, 0);
	T_NEAR(stats_signflip_p(d, 0, 0, 1), 1, 0);
}

/* On +-1 differences the sign-flip test is McNemar's exact test: with b
 * cases +1 and c cases -1, |S| >= |b - c| has probability
 * 2 P(X <= min(b,c)).  b=1, c=7 (plus zeros): 0.0703125 by hand. */
TEST(stats_signflip_equals_mcnemar)
{
	double d[12] = { 1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0 };

	T_NEAR(stats_signflip_p(d, 12, 0, 1), 0.0703125, 1e-15);
}

/* Monte Carlo (m = 35 > 20): 10 x +1, 25 x -1 has exact p
 * 0.0166738478 (mpmath, see McNemar above).  With 40,000 resamples the
 * Monte Carlo error is sqrt(p(1-p)/40000) ~ 0.00064; allow 5 sigma. */
TEST(stats_signflip_monte_carlo)
{
	double d[35];
	double p1, p2;
	int i;

	for (i = 0; i < 35; i++)
		d[i] = i < 10 ? 1 : -1;
	p1 = stats_signflip_p(d, 35, 40000, 42);
	T_NEAR(p1, 0.0166738478, 0.0032);
	p2 = stats_signflip_p(d, 35, 40000, 42);
	T_ASSERT(p1 == p2);		/* same seed, same answer */
}

/* Many distinct values (per-item sign path): under the null S is a sum
 * of independent +-d_i, variance sum d_i^2, so for 200 moderate values p
 * is close to the normal approximation 2 (1 - Phi(|S| / sqrt(sum d^2))).
 * Tolerance 0.02 covers the CLT error and Monte Carlo noise. */
TEST(stats_signflip_normal_limit)
{
	double d[200], s = 0, ss = 0, want;
	int i;

	for (i = 0; i < 200; i++) {
		/* alternating signs, spread magnitudes, a shift of 0.15 */
		d[i] = (i % 2 ? 1 : -1) * (0.5 + 0.01 * i) + 0.15;
		s += d[i];
		ss += d[i] * d[i];
	}
	want = 2 * (1 - stats_norm_cdf(fabs(s) / sqrt(ss)));
	T_ASSERT(want > 0.05 && want < 0.95);	/* a non-trivial case */
	T_NEAR(stats_signflip_p(d, 200, 20000, 7), want, 0.02);
}

/* R: p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm") = 0.03 0.06 0.06 0.02
 *    p.adjust(c(0.5, 0.01), "holm") = 0.5 0.02 */
TEST(stats_holm_r)
{
	double p[4] = { 0.01, 0.04, 0.03, 0.005 }, adj[4];
	double q[2] = { 0.5, 0.01 };

	stats_holm(p, 4, adj);
	T_NEAR(adj[0], 0.03, 1e-15);
	T_NEAR(adj[1], 0.06, 1e-15);
	T_NEAR(adj[2], 0.06, 1e-15);
	T_NEAR(adj[3], 0.02, 1e-15);
	stats_holm(q, 2, q);		/* in place */
	T_NEAR(q[0], 0.5, 1e-15);
	T_NEAR(q[1], 0.02, 1e-15);
}

static void letters_of(const uint64_t *g, int ng, size_t cand, char *buf)
{
	stats_cld_letters(g, ng, cand, buf, 16);
}

/* Four candidates, means D > B > A > C (given out of order); the pairs
 * D-A, D-C, B-C differ.  By hand (Piepho's insert-absorb): groups {D,B},
 * {B,A}, {A,C}: letters D "a", B "ab", A "bc", C "c". */
TEST(stats_cld_chain)
{
	/* index: 0=A 1=B 2=C 3=D */
	double mean[4] = { 0.7, 0.8, 0.6, 0.9 };
	double P[16];
	size_t order[4];
	uint64_t g[8];
	char buf[16];
	int ng, i;

	for (i = 0; i < 16; i++)
		P[i] = 1;
	P[3 * 4 + 0] = P[0 * 4 + 3] = 0.01;	/* D-A */
	P[3 * 4 + 2] = P[2 * 4 + 3] = 0.001;	/* D-C */
	P[1 * 4 + 2] = P[2 * 4 + 1] = 0.03;	/* B-C */
	ng = stats_cld(mean, P, 4, 0.05, order, g, 8);
	T_EQ_INT(ng, 3);
	T_EQ_INT(order[0], 3);
	T_EQ_INT(order[1], 1);
	T_EQ_INT(order[2], 0);
	T_EQ_INT(order[3], 2);
	letters_of(g, ng, 3, buf);
	T_EQ_STR(buf, "a");
	letters_of(g, ng, 1, buf);
	T_EQ_STR(buf, "ab");
	letters_of(g, ng, 0, buf);
	T_EQ_STR(buf, "bc");
	letters_of(g, ng, 2, buf);
	T_EQ_STR(buf, "c");
	/* group 0 = tied for first = {D, B} */
	T_EQ_INT(g[0], (1u << 3) | (1u << 1));
}

/* A > B > C; only A-B differs: groups {A,C} and {B,C}, so A "a", B "b",
 * C "ab" (C is tied with both). */
TEST(stats_cld_non_adjacent)
{
	double mean[3] = { 3, 2, 1 };
	double P[9] = { 1, 0.01, 1, 0.01, 1, 1, 1, 1, 1 };
	size_t order[3];
	uint64_t g[4];
	char buf[16];
	int ng = stats_cld(mean, P, 3, 0.05, order, g, 4);

	T_EQ_INT(ng, 2);
	letters_of(g, ng, 0, buf);
	T_EQ_STR(buf, "a");
	letters_of(g, ng, 1, buf);
	T_EQ_STR(buf, "b");
	letters_of(g, ng, 2, buf);
	T_EQ_STR(buf, "ab");
}

TEST(stats_cld_all_tied_and_all_distinct)
{
	double mean[3] = { 1, 2, 3 };
	double tied[9] = { 1, 1, 1, 1, 1, 1, 1, 1, 1 };
	double apart[9] = { 1, 0, 0, 0, 1, 0, 0, 0, 1 };
	size_t order[3];
	uint64_t g[4];
	char buf[16];
	int ng = stats_cld(mean, tied, 3, 0.05, order, g, 4);

	T_EQ_INT(ng, 1);
	letters_of(g, ng, 1, buf);
	T_EQ_STR(buf, "a");
	ng = stats_cld(mean, apart, 3, 0.05, order, g, 4);
	T_EQ_INT(ng, 3);
	letters_of(g, ng, 2, buf);	/* best mean */
	T_EQ_STR(buf, "a");
	letters_of(g, ng, 0, buf);	/* worst mean */
	T_EQ_STR(buf, "c");
	T_EQ_INT(stats_cld(mean, apart, 3, 0.05, order, g, 2), -1);
	T_EQ_INT(stats_cld(mean, apart, 0, 0.05, order, g, 2), -1);
}

/* Never p = 0 (docs/statistics.md): 2 000 discordant pairs all one way
 * is 2^-1999, below the smallest double; reported as DBL_MIN. */
TEST(stats_mcnemar_far_tail_is_not_zero)
{
	T_ASSERT(stats_mcnemar_exact(2000, 0) > 0);
	T_ASSERT(stats_mcnemar_exact(0, 5000) > 0);
	T_NEAR(stats_mcnemar_exact(10, 0), 2.0 / 1024, 1e-15);
}

/* Past STATS_SIGNFLIP_MC_MAX non-zero differences the sign-flip p is the
 * normal approximation 2 Phi(-|S| / sqrt(sum d^2)).  References (Python
 * 3.11.7 math.erfc, p = erfc(|z| / sqrt 2), = R's 2 * pnorm(-|z|)):
 * 580 of +1 and 520 of -1: z = 60 / sqrt(1100), p = 0.07044042927208805
 * (the exact sign test, R binom.test(580, 1100), is 0.0752055, the
 * normal approximation having no continuity correction); 1200 of +1:
 * p = 6.099568814808551e-263 (no cancellation); 2000 of +1: the tail
 * underflows and is reported as DBL_MIN, never 0.  Up to the limit the
 * exact / Monte Carlo test is used: 12 of +1 gives 2^-11. */
TEST(stats_signflip_auto_normal_reference)
{
	static double d[2000];
	for (int i = 0; i < 1100; i++)
		d[i] = i < 580 ? 1 : -1;
	T_NEAR(stats_signflip_auto_p(d, 1100, 1000, 1), 0.07044042927208805,
	       1e-12);
	for (int i = 0; i < 2000; i++)
		d[i] = 1;
	T_NEAR(stats_signflip_auto_p(d, 1200, 1000, 1) / 6.099568814808551e-263,
	       1, 1e-9);
	T_NEAR(stats_signflip_auto_p(d, 2000, 1000, 1), DBL_MIN, 0);
	T_NEAR(stats_signflip_auto_p(d, 12, 1000, 1), 1.0 / 2048, 1e-15);
	for (int i = 0; i < 1500; i++)
		d[i] = 0;
	T_NEAR(stats_signflip_auto_p(d, 1500, 1000, 1), 1, 0);
}
