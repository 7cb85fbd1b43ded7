/* design.h — statistics for cases that are not independent (clusters of
 * cases from one document, repeats of one case): Student's t
 * distribution for few-cluster tests, the intra-cluster correlation and
 * Kish design effect, and the design-adjusted Wilson interval for a pass
 * rate.  Pure functions; stats_prop_design allocates scratch (xmalloc)
 * and frees it. */
#ifndef ASSAY_STATS_DESIGN_H
#define ASSAY_STATS_DESIGN_H

#include <stddef.h>

#include "stats.h"

/* Two-sided tail P(|T| >= |t|) of Student's t with df > 0 degrees of
 * freedom, as I_{df/(df+t^2)}(df/2, 1/2) (no 1 - x cancellation, so it
 * does not underflow to 0 before ~1e-300; a result below DBL_MIN is
 * returned as DBL_MIN, never 0).  NaN on bad input. */
double stats_t_p2(double t, double df);

/* Quantile of Student's t: the x with P(T <= x) = p, p in (0, 1), df > 0
 * (bisection on the CDF, |error| < 1e-10 relative).  NaN on bad input. */
double stats_t_ppf(double p, double df);

/* The design of items x[0..n) (0/1 or shares in [0, 1]) grouped by
 * cluster[i]: G clusters, the one-way ANOVA estimate of the intra-cluster
 * correlation (Donner 1986 for unequal sizes, m0 = (n - sum m_g^2 / n) /
 * (G - 1)), floored at 0, and Kish's design effect
 * deff = 1 + (m_w - 1) icc with m_w = sum m_g^2 / n the size-weighted
 * mean cluster size.  icc is NaN (deff 1) when it cannot be estimated:
 * G < 2, every cluster a single item, or no variation at all. */
struct stats_design {
	size_t clusters;	/* G */
	double icc;		/* >= 0, or NaN */
	double deff;		/* >= 1 */
	double n_eff;		/* n / deff */
	double m_w;		/* sum m_g^2 / n */
};
int stats_design(const double *x, const long *cluster, size_t n,
		 struct stats_design *out);

/* Pass rate of clustered or repeated items: the Wilson interval at the
 * effective sample size n_eff = n / deff (Kish) with Student's
 * t_{G-1} quantile in place of z (the degrees-of-freedom correction of
 * Korn & Graubard 1998, applied to Wilson).  When the estimate is 0 or 1
 * (the ICC cannot be estimated) the interval is Wilson at G items: never
 * narrower than treating each cluster as one case.  G < 2 gives [0, 1].
 * est = mean of x.  Returns 0, or -1 on n == 0 (all NaN). */
struct stats_design_ci {
	double est, lo, hi;
	struct stats_design d;
	double crit;		/* the t (or z) quantile used */
};
int stats_prop_design(const double *x, const long *cluster, size_t n,
		      double conf, struct stats_design_ci *out);

/* Test of "mean of d = 0" for per-case differences d[0..n) (candidate A
 * minus B on the same cases) grouped by cluster[i]: the CR1 t test with
 * G - 1 degrees of freedom, t = mean / se_CR1 (Cameron & Miller 2015, sec.
 * VI: few clusters need t(G-1), not the normal).  Its p-value is never
 * reported below `p_floor`, the unclustered test's p (pass NaN for
 * none): with positively correlated clusters the clustered evidence
 * cannot be stronger than the unclustered, and an apparent negative
 * correlation from few clusters is not trusted.  se_CR1 == 0 (every
 * cluster agrees exactly) gives the exact cluster sign-flip bound
 * 2^(1-G) instead of 0.  The interval is the hull of [floor_lo, floor_hi]
 * (the unclustered interval; NaN for none) and mean ± t se.  G < 2:
 * returns -1 with p, lo and hi NaN ("cannot be compared"). */
struct stats_cluster_test {
	size_t clusters;
	double mean, se, t, p_t, p;	/* p = max(p_t, p_floor) */
	double lo, hi;
};
int stats_cluster_mean_test(const double *d, const long *cluster, size_t n,
			    double p_floor, double floor_lo, double floor_hi,
			    double conf, struct stats_cluster_test *out);

/* Newcombe's paired interval (paired.h) for clustered cases: the 2x2
 * counts scaled to the effective size, by (z / t_{df})^2 / deff (Kish,
 * with the Korn & Graubard degrees-of-freedom factor as for
 * stats_prop_design).  deff < 1 or NaN counts as 1; df <= 0 means z. */
struct interval stats_newcombe_design(long a, long b, long c, long d,
				      double deff, double df, double conf);

/* The design effect of the mean of d[0..n) under clustering: the CR1
 * variance over the independent-case variance s^2 / n, floored at 1
 * (1 when either is 0 or undefined). */
double stats_deff_mean(const double *d, const long *cluster, size_t n);

/* Wilson's interval for a proportion p_hat observed on a (possibly
 * fractional) effective n with critical value crit (1.96 for 95%). */
struct interval stats_wilson_eff(double p_hat, double n, double crit);

#endif
