/* bt.h — the Bradley–Terry model of paired comparisons, fitted by
 * maximum likelihood with the MM algorithm (Zermelo 1929; Hunter 2004,
 * "MM algorithms for generalized Bradley-Terry models"), ties counted as
 * half a win for each side (as Chatbot Arena does), with a seeded
 * bootstrap over comparisons. */
#ifndef ASSAY_STATS_BT_H
#define ASSAY_STATS_BT_H

#include <stddef.h>
#include <stdint.h>

#include "stats.h"

/* One comparison: players a and b (0..k-1, a != b); winner a, b, or -1
 * for a tie. */
struct stats_bt_cmp { int a, b, winner; };

/* Fits strengths p[0..k) (normalised so their geometric mean is 1) to
 * the comparisons.  Every player needs at least one comparison; a player
 * who won nothing (or lost nothing) has no finite MLE: to keep the fit
 * finite, every pair that met gets a pseudo-comparison of weight `prior`
 * split as a tie (0 for the plain MLE; then such players end at the
 * iteration bounds 1e-6 / 1e6 relative).  Returns the iterations used,
 * or -1 when k < 2. */
int stats_bt_fit(const struct stats_bt_cmp *c, size_t n, size_t k,
		 double prior, double *p);

/* Arena-style score of a strength: 1000 + 400 log10(p). */
double stats_bt_score(double p);

/* Percentile bootstrap intervals of each player's score: resamples the n
 * comparisons with replacement `reps` times (seeded) and refits. */
void stats_bt_ci(const struct stats_bt_cmp *c, size_t n, size_t k,
		 double prior, size_t reps, uint64_t seed, double conf,
		 struct interval *ci);

#endif
