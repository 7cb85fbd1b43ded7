/* prop.h — proportions: the exact (Clopper–Pearson) interval and the
 * special functions behind it, pass@k / pass^k, and power: the minimum
 * detectable difference at n cases and the n needed for a difference.
 * Pure functions; nothing here allocates. */
#ifndef ASSAY_STATS_PROP_H
#define ASSAY_STATS_PROP_H

#include "stats.h"

/* Regularized incomplete beta function I_x(a, b) for a, b > 0, x in
 * [0, 1] (continued fraction, modified Lentz).  Bad arguments give NaN. */
double stats_betainc(double a, double b, double x);

/* The x with I_x(a, b) = p (bisection; absolute error < 1e-15). */
double stats_betainc_inv(double a, double b, double p);

/* P(X <= k) for X ~ Binomial(n, p). */
double stats_binom_cdf(long k, long n, double p);

/* One-sided exact binomial tail P(X >= f) for X ~ Binomial(n, p), on
 * real counts (effective counts f / deff, n / deff of clustered or
 * repeated data): I_p(f, n - f + 1), which equals R's
 * pbinom(f - 1, n, p, lower.tail = FALSE) at whole counts.  1 when
 * f <= 0 or p is 0 or 1 (no evidence against the rate); never below
 * DBL_MIN. */
double stats_binom_upper(double f, double n, double p);

/* Clopper–Pearson "exact" interval for k successes in n trials: the
 * alpha/2 and 1 - alpha/2 quantiles of Beta(k, n-k+1) and Beta(k+1, n-k).
 * Conservative (coverage >= conf).  n == 0 gives [0, 1]. */
struct interval stats_clopper_pearson(long k, long n, double conf);

/* Distribution-free interval for the q-quantile of ascending
 * sorted[0..n) from order statistics (e.g. Conover 1999, Practical
 * Nonparametric Statistics, sec. 3.2): with B ~ Binomial(n, q),
 * lower = x_(r) for the largest r with P(B <= r-1) <= alpha/2 and
 * upper = x_(s) for the smallest s with P(B <= s-1) >= 1 - alpha/2
 * (1-based ranks); coverage >= conf for continuous data, and ties do not
 * make it over-claim.  When no such rank exists the end is unbounded:
 * lo = -INFINITY or hi = +INFINITY (e.g. the upper end of a p95 below
 * 72 samples).  *rank_lo / *rank_hi (may be NULL) receive r and s (0 and
 * n + 1 when unbounded).  n == 0 gives (-inf, inf). */
struct interval stats_quantile_os_ci(const double *sorted, size_t n, double q,
				     double conf, long *rank_lo, long *rank_hi);

/* Interval for F1 = 2TP / (2TP + FP + FN) of one class: F1 = 2J/(1+J)
 * with J = TP / (TP + FP + FN) increasing, and among the TP + FP + FN
 * cases that touch the class TP is binomial with probability J
 * (multinomial sampling of cases), so the Wilson interval of J at the
 * effective size (TP + FP + FN) / deff maps to one for F1 (deff < 1 or
 * NaN counts as 1).  8 of 8 right: [0.8064, 1].  NaN when TP + FP + FN
 * is 0. */
struct interval stats_f1_interval(long tp, long fp, long fn, double deff,
				  double conf);

/* Total cases at which a one-sample test of a rate p against the limit
 * t, two-sided at alpha (the interval clearing t), has the given power
 * (Chow, Shao & Wang 2008, p. 85, one-sided at alpha / 2):
 *   n = (z_{1-a/2} sqrt(t(1-t)) + z_power sqrt(p(1-p)))^2 / (p - t)^2,
 * times deff (< 1 or NaN counts as 1).  When p is 0 or 1 (every case
 * agreed) the Wilson bound instead: the n at which n/n (or 0/n) has its
 * Wilson end at t, z^2 t / (1 - t) (or z^2 (1 - t) / t).  Rounded up;
 * -1 when it cannot be settled (p == t, t at 0 or 1, bad input). */
long stats_cases_to_settle(double p, double t, double deff, double alpha,
			   double power);

/* Unbiased pass@k (Chen et al. 2021, "Evaluating Large Language Models
 * Trained on Code"): the chance that at least one of k samples drawn
 * without replacement from n attempts with c passes is a pass,
 * 1 - C(n-c, k) / C(n, k), as a product (no overflow).  NaN unless
 * 0 <= c <= n and 1 <= k <= n. */
double stats_pass_at_k(long n, long c, long k);

/* Unbiased pass^k (Yao et al. 2024, tau-bench): the chance that all k
 * samples drawn without replacement pass, C(c, k) / C(n, k).  The plug-in
 * (c/n)^k is biased upward for small n; this is the one we report.  NaN
 * on the same bad input as stats_pass_at_k. */
double stats_pass_hat_k(long n, long c, long k);

/* Power of the two-sided test comparing two independent proportions with
 * n cases each (normal approximation without continuity correction, the
 * formula of R's power.prop.test):
 *   power = Phi((sqrt(n)|p1-p2| - z_{1-a/2} sqrt(2 pbar qbar)) /
 *               sqrt(p1 q1 + p2 q2)),  pbar = (p1 + p2) / 2. */
double stats_power_unpaired(long n, double p1, double p2, double alpha);

/* Cases needed per candidate to detect p1 vs p2 (unpaired) with the given
 * power: n = (z_{1-a/2} sqrt(2 pbar qbar) + z_power sqrt(p1q1 + p2q2))^2
 * / (p1 - p2)^2, rounded up.  -1 when p1 == p2 or arguments are bad. */
long stats_n_unpaired(double p1, double p2, double alpha, double power);

/* Minimum detectable difference (unpaired) at n cases per candidate with
 * baseline pass rate p: the smallest d with power(n, p, p -/+ d) >= power,
 * moving toward 0.5 (the harder direction).  NaN if no such d. */
double stats_mdd_unpaired(long n, double p, double alpha, double power);

/* Paired (McNemar) version, Connor (1987) Biometrics 43:207: with psi the
 * share of discordant cases (one passes, the other fails) and d the
 * difference in pass rates,
 *   n = (z_{1-a/2} sqrt(psi) + z_power sqrt(psi - d^2))^2 / d^2.
 * stats_n_paired returns that n rounded up (-1 on bad input);
 * stats_mdd_paired solves it for d at a given n (NaN if d > psi would be
 * needed).  psi is estimated from the data (observed discordance). */
long stats_n_paired(double psi, double d, double alpha, double power);
double stats_mdd_paired(long n, double psi, double alpha, double power);

#endif
