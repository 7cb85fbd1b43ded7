/* test_stats_calib.c — calibration metrics and the cluster-robust
 * standard error on examples small enough to compute by hand. */
#include "../../src/stats/stats.h"
#include "t.h"

#include <math.h>

/* Ten cases (confidence p, correct y):
 *   0 .15 0 | 1 .15 1 | 2 .35 0 | 3 .35 0 | 4 .35 1
 *   5 .75 1 | 6 .85 1 | 7 .95 1 | 8 .95 1 | 9 .95 0 */
static const double P[10] = { .15, .15, .35, .35, .35, .75, .85, .95, .95,
			      .95 };
static const double Y[10] = { 0, 1, 0, 0, 1, 1, 1, 1, 1, 0 };

/* Equal-width, 10 bins, by hand:
 *   [.1,.2): 2 cases, conf .15, acc 1/2 -> .2 * .35       = .07
 *   [.3,.4): 3 cases, conf .35, acc 1/3 -> .3 * .0166667  = .005
 *   [.7,.8): 1 case,  conf .75, acc 1   -> .1 * .25       = .025
 *   [.8,.9): 1 case,  conf .85, acc 1   -> .1 * .15       = .015
 *   [.9,1]:  3 cases, conf .95, acc 2/3 -> .3 * .2833333  = .085
 *   ECE = 0.2 */
TEST(stats_ece_equal_width_hand)
{
	struct stats_bin b[10];

	T_NEAR(stats_ece(P, Y, 10, STATS_BIN_WIDTH, 10), 0.2, 1e-12);
	T_EQ_INT(stats_reliability(P, Y, 10, STATS_BIN_WIDTH, 10, b), 0);
	T_EQ_INT(b[1].count, 2);
	T_NEAR(b[1].conf, 0.15, 1e-12);
	T_NEAR(b[1].acc, 0.5, 1e-12);
	T_EQ_INT(b[3].count, 3);
	T_NEAR(b[3].acc, 1.0 / 3, 1e-12);
	T_EQ_INT(b[9].count, 3);
	T_NEAR(b[9].acc, 2.0 / 3, 1e-12);
	T_NEAR(b[9].lo, 0.9, 1e-12);
	T_NEAR(b[9].hi, 1.0, 1e-12);
	T_EQ_INT(b[0].count, 0);
	T_ASSERT(isnan(b[0].conf) && isnan(b[0].acc));
}

/* Equal-mass, 5 bins: nominal edges at ranks 2, 4, 6, 8 of the sorted
 * confidences; an edge inside a run of ties moves to the run's end
 * (4 -> 5, 8 -> 10), so tied cases share a bin:
 *   {0,1}     conf .15  acc 1/2 -> .2 * .35     = .07
 *   {2,3,4}   conf .35  acc 1/3 -> .3 * 1/60    = .005
 *   {5}       conf .75  acc 1   -> .1 * .25     = .025
 *   {6,7,8,9} conf .925 acc 3/4 -> .4 * .175    = .07
 *   (empty)                                     ECE = 0.17
 * 10 bins: every run of ties is one bin, the same bins as equal width
 * here: ECE = 0.2. */
TEST(stats_ece_equal_mass_hand)
{
	struct stats_bin b[5];

	T_NEAR(stats_ece(P, Y, 10, STATS_BIN_MASS, 5), 0.17, 1e-12);
	T_NEAR(stats_ece(P, Y, 10, STATS_BIN_MASS, 10), 0.2, 1e-12);
	T_EQ_INT(stats_reliability(P, Y, 10, STATS_BIN_MASS, 5, b), 0);
	T_EQ_INT(b[1].count, 3);
	T_NEAR(b[2].conf, 0.75, 1e-12);
	T_NEAR(b[2].lo, 0.75, 0);
	T_NEAR(b[3].conf, 0.925, 1e-12);
	T_EQ_INT(b[3].count, 4);
	T_EQ_INT(b[4].count, 0);
}

/* Issue 8, must-fix 7: tied confidences must not depend on the order of
 * the cases.  The same ten cases reversed give the same equal-mass ECE,
 * reliability bins and selective accuracy. */
TEST(stats_calibration_ties_do_not_depend_on_order)
{
	double p2[10], y2[10], cov[3] = { 0.5, 0.8, 0.9 }, a1[3], a2[3];
	struct stats_bin b1[5], b2[5];
	for (int i = 0; i < 10; i++) {
		p2[i] = P[9 - i];
		y2[i] = Y[9 - i];
	}
	for (size_t nb = 2; nb <= 10; nb++)
		T_NEAR(stats_ece(P, Y, 10, STATS_BIN_MASS, nb),
		       stats_ece(p2, y2, 10, STATS_BIN_MASS, nb), 1e-15);
	T_EQ_INT(stats_reliability(P, Y, 10, STATS_BIN_MASS, 5, b1), 0);
	T_EQ_INT(stats_reliability(p2, y2, 10, STATS_BIN_MASS, 5, b2), 0);
	for (int i = 0; i < 5; i++) {
		T_EQ_INT(b1[i].count, b2[i].count);
		if (b1[i].count)
			T_NEAR(b1[i].acc, b2[i].acc, 1e-15);
	}
	T_EQ_INT(stats_selective_accuracy(P, Y, 10, cov, 3, a1), 0);
	T_EQ_INT(stats_selective_accuracy(p2, y2, 10, cov, 3, a2), 0);
	for (int i = 0; i < 3; i++)
		T_NEAR(a1[i], a2[i], 1e-15);
	/* all tied: one bin holds everything, ECE = |mean p - mean y| */
	{
		double pt[4] = { .8, .8, .8, .8 }, yt[4] = { 1, 0, 1, 1 };
		T_NEAR(stats_ece(pt, yt, 4, STATS_BIN_MASS, 10), 0.05, 1e-12);
		T_EQ_INT(stats_selective_accuracy(pt, yt, 4, cov, 1, a1), 0);
		T_NEAR(a1[0], 0.75, 1e-15);
	}
}

/* Brier by hand: squared errors .0225 .7225 .1225 .1225 .4225 .0625
 * .0225 .0025 .0025 .9025, sum 2.405, mean 0.2405.  Saying 0.5 always
 * scores 0.25 on 0/1 outcomes. */
TEST(stats_brier_hand)
{
	double half[10] = { .5, .5, .5, .5, .5, .5, .5, .5, .5, .5 };
	double bad[2] = { 0.5, 1.5 }, y2[2] = { 0, 1 };

	T_NEAR(stats_brier(P, Y, 10), 0.2405, 1e-12);
	T_NEAR(stats_brier(half, Y, 10), 0.25, 1e-15);
	T_ASSERT(isnan(stats_brier(bad, y2, 2)));
	T_ASSERT(isnan(stats_ece(bad, y2, 2, STATS_BIN_WIDTH, 10)));
}

/* Most confident first: .95 x3 (y 1 1 0), .85 (1), .75 (1), .35 x3
 * (0 0 1), .15 x2 (0 1).  Coverage 50% -> 5 cases, 4/5 = 0.8; 80% -> 8
 * cases ending exactly at the end of the .35 tie: 5/8; 90% -> 9 cases,
 * the 9th from the .15 tie, which enters at its mean 1/2: 5.5/9; 100% ->
 * 6/10. */
TEST(stats_selective_accuracy_hand)
{
	double cov[5] = { 0.5, 0.8, 0.9, 1.0, 0 }, acc[5];

	T_EQ_INT(stats_selective_accuracy(P, Y, 10, cov, 5, acc), 0);
	T_NEAR(acc[0], 0.8, 1e-15);
	T_NEAR(acc[1], 5.0 / 8, 1e-15);
	T_NEAR(acc[2], 5.5 / 9, 1e-15);
	T_NEAR(acc[3], 0.6, 1e-15);
	T_ASSERT(isnan(acc[4]));
}

/* CR1 by hand: x = 1 0 | 1 1 | 0 0 (three clusters), mean 1/2, residual
 * sums 0, +1, -1, sum of squares 2; se^2 = 3/2 * 2 / 36 = 1/12.
 * Singleton clusters: x = 1 2 3 4, s^2 = 5/3, se = sqrt(5/12). */
TEST(stats_cluster_se_hand)
{
	double x[6] = { 1, 0, 1, 1, 0, 0 }, z[4] = { 1, 2, 3, 4 };
	long c[6] = { 7, 7, 3, 3, 9, 9 }, s[4] = { 4, 3, 2, 1 };
	size_t g;

	T_NEAR(stats_cluster_se(x, c, 6, &g), sqrt(1.0 / 12), 1e-15);
	T_EQ_INT(g, 3);
	T_NEAR(stats_cluster_se(z, s, 4, &g), sqrt(5.0 / 12), 1e-15);
	T_EQ_INT(g, 4);
	T_ASSERT(isnan(stats_cluster_se(x, (long[6]){ 1, 1, 1, 1, 1, 1 }, 6,
					NULL)));
}
