/* paired.h — comparing candidates on the same cases: McNemar's exact
 * test, an interval for the paired difference in pass rates, the
 * sign-flip permutation test for score differences, Holm's adjustment
 * for many comparisons and the "statistically tied" letter display.
 *
 * For two candidates A and B on n shared cases the 2x2 counts are
 *   a = both pass, b = A passes and B fails, c = A fails and B passes,
 *   d = both fail;  the difference in pass rates is (b - c) / n. */
#ifndef ASSAY_STATS_PAIRED_H
#define ASSAY_STATS_PAIRED_H

#include <stddef.h>
#include <stdint.h>

#include "stats.h"

/* McNemar's exact test: two-sided binomial test of the discordant pairs,
 * p = min(1, 2 P(X <= min(b, c))), X ~ Binomial(b + c, 1/2); the p-value
 * of R's binom.test(min(b,c), b+c) and exact2x2::mcnemar.exact.
 * b + c == 0 gives 1.  Negative counts give NaN.  A tail below the
 * smallest positive double is returned as DBL_MIN, never 0. */
double stats_mcnemar_exact(long b, long c);

/* Newcombe's hybrid score interval for the paired difference in pass rates
 * (b - c) / n (Newcombe 1998, Stat Med 17:2635, method 10, with the
 * continuity-corrected phi).  Good coverage down to small n; stays inside
 * [-1, 1].  n == 0 gives [-1, 1]. */
struct interval stats_paired_diff_newcombe(long a, long b, long c, long d,
					   double conf);

/* The same with fractional counts, e.g. the expected 2x2 table of a
 * random pairing of attempts when cases were repeated: per case with
 * pass shares x (A) and y (B), a += x y, b += x (1-y), c += (1-x) y,
 * d += (1-x)(1-y).  Negative or all-zero counts give [-1, 1]. */
struct interval stats_paired_diff_newcombe_f(double a, double b, double c,
					     double d, double conf);

/* Two-sided paired sign-flip permutation test of "mean difference = 0"
 * for differences d[0..n) (e.g. score of A minus score of B per case),
 * statistic |sum d|.  Zero differences are dropped (they do not move the
 * statistic).  Exact (all 2^m sign patterns) when m <= 20 differences
 * remain; otherwise `resamples` Monte Carlo patterns from `seed`, with
 * p = (1 + hits) / (1 + resamples) (Phipson & Smyth 2010) so p is never
 * 0.  resamples <= 0 means 10000.  n == 0 or all zeros gives 1. */
double stats_signflip_p(const double *d, size_t n, long resamples,
			uint64_t seed);

/* The sign-flip p-value at any size: stats_signflip_p up to
 * STATS_SIGNFLIP_MC_MAX non-zero differences; beyond, the normal
 * approximation of the permutation distribution (mean 0, variance
 * sum d^2; Fisher 1935, Lehmann & Romano 2005 §15.2), two-sided
 * 2 Phi(-|sum d| / sqrt(sum d^2)), computed without cancellation and
 * never below DBL_MIN.  All zeros give 1. */
#define STATS_SIGNFLIP_MC_MAX 1000
double stats_signflip_auto_p(const double *d, size_t n, long resamples,
			     uint64_t seed);

/* Holm's step-down adjustment of m p-values (R's p.adjust(p, "holm")):
 * sort ascending, multiply the i-th smallest (0-based) by m - i, take
 * running maxima, cap at 1.  `adj` receives the results in the input
 * order and may be the same array as `p`.  Allocates scratch (xmalloc). */
void stats_holm(const double *p, size_t m, double *adj);

/* Compact letter display (Piepho 2004, "An algorithm for a letter-based
 * representation of all-pairwise comparisons", insert-and-absorb) for
 * k <= STATS_CLD_MAX candidates.  padj is k x k row-major (adjusted
 * p-values, diagonal ignored); a pair differs if padj < alpha.
 * On return order[0..k) lists candidates by mean descending, and
 * groups[0..g) are bitmasks (bit i = candidate i) of candidates that are
 * not significantly different from each other, ordered by their best
 * member; group 0 holds the best candidate ("tied for first").  Returns g,
 * or -1 if k is 0 or too large or more than max_groups groups arise. */
#define STATS_CLD_MAX 64
int stats_cld(const double *mean, const double *padj, size_t k, double alpha,
	      size_t *order, uint64_t *groups, size_t max_groups);

/* Writes candidate `cand`'s letters ("a", "ab", ...; groups 26.. use
 * A..Z, beyond that '?') into buf (always NUL-terminated). */
void stats_cld_letters(const uint64_t *groups, int ngroups, size_t cand,
		       char *buf, size_t bufsz);

#endif
