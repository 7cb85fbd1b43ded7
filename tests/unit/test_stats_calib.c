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

/* Equal-mass, 5 bins of 2 (sorted by p, ties by input order):
 *   {0,1} conf .15 acc .5 -> .2 * .35 = .07
 *   {2,3} conf .35 acc 0  -> .2 * .35 = .07
 *   {4,5} conf .55 acc 1  -> .2 * .45 = .09
 *   {6,7} conf .90 acc 1  -> .2 * .10 = .02
 *   {8,9} conf .95 acc .5 -> .2 * .45 = .09      ECE = 0.34
 * 10 bins of 1: ECE = mean |p - y| = 3.8 / 10 = 0.38 */
TEST(stats_ece_equal_mass_hand)
{
	struct stats_bin b[5];

	T_NEAR(stats_ece(P, Y, 10, STATS_BIN_MASS, 5), 0.34, 1e-12);
	T_NEAR(stats_ece(P, Y, 10, STATS_BIN_MASS, 10), 0.38, 1e-12);
	T_EQ_INT(stats_reliability(P, Y, 10, STATS_BIN_MASS, 5, b), 0);
	T_NEAR(b[2].conf, 0.55, 1e-12);
	T_NEAR(b[2].lo, 0.35, 0);
	T_NEAR(b[2].hi, 0.75, 0);
	T_EQ_INT(b[4].count, 2);
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

/* Most confident first (ties by input order): 7 8 9 6 5 2 3 4 0 1 with
 * y = 1 1 0 1 1 0 0 1 0 1.  Coverage 50% -> 5 cases, 4/5 = 0.8; 80% ->
 * 8 cases, 5/8; 90% -> 9 cases, 5/9; 100% -> 6/10. */
TEST(stats_selective_accuracy_hand)
{
	double cov[5] = { 0.5, 0.8, 0.9, 1.0, 0 }, acc[5];

	T_EQ_INT(stats_selective_accuracy(P, Y, 10, cov, 5, acc), 0);
	T_NEAR(acc[0], 0.8, 1e-15);
	T_NEAR(acc[1], 5.0 / 8, 1e-15);
	T_NEAR(acc[2], 5.0 / 9, 1e-15);
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
