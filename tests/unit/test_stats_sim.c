/* test_stats_sim.c — seeded coverage and type-I simulations for the
 * interval methods and tests assay prints (issue 8, "Verification").
 *
 * Every simulation is seeded (xoshiro256** from a fixed seed), so each
 * run of the suite sees the same numbers: these tests cannot flake.
 * Coverage: SIM_N = 2000 data sets per configuration; the 95% interval
 * must cover the truth in at least 92% of them (the binomial standard
 * error of a coverage of 0.95 over 2000 sets is 0.005, so 0.92 sits six
 * standard errors below nominal: a method that fails it under-covers).
 * Type-I error: SIM_T = 2000 data sets per G under the null; the
 * rejection rate at alpha 0.05 must lie in [0.02, 0.07].
 *
 * Data models: clustered items are beta-binomial: a cluster's pass
 * probability is Beta(p (1-rho)/rho, (1-p)(1-rho)/rho) (mean p,
 * intra-cluster correlation rho), its items Bernoulli of it; rho = 0 is
 * plain Bernoulli(p). */
#include "t.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../src/stats/stats.h"
#include "../../src/util/xalloc.h"

#define SIM_N 2000
#define SIM_T 2000

static const int sim_n[3] = { 10, 30, 100 };
static const double sim_p[4] = { 0.5, 0.9, 0.97, 1.0 };
static const double sim_rho[2] = { 0, 0.3 };

/* Gamma(a, 1) by Marsaglia & Tsang (2000), a > 0. */
static double rgamma(struct stats_rng *r, double a)
{
	double d, c;
	if (a < 1) {
		double u = stats_rng_uniform(r);
		return rgamma(r, a + 1) * pow(u > 0 ? u : 1e-300, 1 / a);
	}
	d = a - 1.0 / 3;
	c = 1 / sqrt(9 * d);
	for (;;) {
		double x, v, u;
		do {
			/* a standard normal from two uniforms (Box-Muller) */
			double u1 = stats_rng_uniform(r), u2 = stats_rng_uniform(r);
			x = sqrt(-2 * log(u1 > 0 ? u1 : 1e-300)) *
			    cos(2 * M_PI * u2);
			v = 1 + c * x;
		} while (v <= 0);
		v = v * v * v;
		u = stats_rng_uniform(r);
		if (log(u > 0 ? u : 1e-300) < 0.5 * x * x + d - d * v + d * log(v))
			return d * v;
	}
}

/* A cluster's pass probability: mean p, intra-cluster correlation rho. */
static double cluster_p(struct stats_rng *r, double p, double rho)
{
	double a, b, ga, gb;
	if (rho <= 0 || p <= 0 || p >= 1)
		return p;
	a = p * (1 - rho) / rho;
	b = (1 - p) * (1 - rho) / rho;
	ga = rgamma(r, a);
	gb = rgamma(r, b);
	return ga + gb > 0 ? ga / (ga + gb) : p;
}

static double bern(struct stats_rng *r, double p)
{
	return stats_rng_uniform(r) < p ? 1 : 0;
}

/* Coverage of stats_prop_design over SIM_N data sets of n items in
 * clusters of m (the last one smaller). */
static double cover_design(int n, int m, double p, double rho, uint64_t seed)
{
	double *x = xmalloc((size_t)n * sizeof *x);
	long *cl = xmalloc((size_t)n * sizeof *cl);
	struct stats_rng r;
	long hit = 0;
	stats_rng_seed(&r, seed);
	for (int s = 0; s < SIM_N; s++) {
		struct stats_design_ci ci;
		double pg = p;
		for (int i = 0; i < n; i++) {
			if (i % m == 0)
				pg = cluster_p(&r, p, rho);
			x[i] = bern(&r, pg);
			cl[i] = i / m;
		}
		stats_prop_design(x, cl, (size_t)n, 0.95, &ci);
		hit += ci.lo <= p && p <= ci.hi;
	}
	free(x);
	free(cl);
	return (double)hit / SIM_N;
}

TEST(sim_coverage_wilson_plain)
{
	struct stats_rng r;
	stats_rng_seed(&r, 11);
	for (int a = 0; a < 3; a++)
		for (int b = 0; b < 4; b++) {
			long hit = 0;
			for (int s = 0; s < SIM_N; s++) {
				long k = stats_rng_binomial(&r, sim_n[a], sim_p[b]);
				struct interval w = stats_wilson(k, sim_n[a], 0.95);
				hit += w.lo <= sim_p[b] && sim_p[b] <= w.hi;
			}
			if ((double)hit / SIM_N < 0.92)
				printf("# wilson n=%d p=%.2f coverage %.4f\n",
				       sim_n[a], sim_p[b], (double)hit / SIM_N);
			T_ASSERT((double)hit / SIM_N >= 0.92);
		}
}

/* Clusters of 3 cases (three questions per document, as in issue 8). */
TEST(sim_coverage_pass_rate_clustered)
{
	double worst = 1;
	for (int a = 0; a < 3; a++)
		for (int b = 0; b < 4; b++)
			for (int c = 0; c < 2; c++) {
				double cv = cover_design(sim_n[a], 3, sim_p[b],
							 sim_rho[c],
							 (uint64_t)(100 + a * 8 + b * 2 + c));
				if (cv < 0.92)
					printf("# clustered n=%d p=%.2f rho=%.1f "
					       "coverage %.4f\n", sim_n[a],
					       sim_p[b], sim_rho[c], cv);
				worst = fmin(worst, cv);
			}
	printf("# clustered: worst coverage %.4f over 24 configurations\n",
	       worst);
	T_ASSERT(worst >= 0.92);
}

/* n cases, each run 3 times: the repeats of a case are its cluster. */
TEST(sim_coverage_pass_rate_repeated)
{
	double worst = 1;
	for (int a = 0; a < 3; a++)
		for (int b = 0; b < 4; b++)
			for (int c = 0; c < 2; c++) {
				double cv = cover_design(3 * sim_n[a], 3, sim_p[b],
							 sim_rho[c],
							 (uint64_t)(300 + a * 8 + b * 2 + c));
				if (cv < 0.94)
					printf("# repeated n=%d p=%.2f rho=%.1f "
					       "coverage %.4f\n", sim_n[a],
					       sim_p[b], sim_rho[c], cv);
				worst = fmin(worst, cv);
			}
	printf("# repeated: worst coverage %.4f over 24 configurations\n",
	       worst);
	T_ASSERT(worst >= 0.92);
}

/* Type-I error of the clustered paired test (CR1 t with G-1 df, floored
 * at the exact McNemar p) as the report runs it: G clusters of 10 cases;
 * per cluster each candidate has its own pass probability drawn from
 * the same Beta (mean 0.7, rho 0.3), so the null (equal pass rates)
 * holds and the differences are correlated within clusters. */
TEST(sim_type1_cluster_paired_test)
{
	static const int gs[3] = { 3, 5, 10 };
	for (int gi = 0; gi < 3; gi++) {
		int G = gs[gi], m = 10, n = G * m;
		double *d = xmalloc((size_t)n * sizeof *d);
		long *cl = xmalloc((size_t)n * sizeof *cl);
		struct stats_rng r;
		long rej = 0;
		stats_rng_seed(&r, 900 + (uint64_t)G);
		for (int s = 0; s < SIM_T; s++) {
			struct stats_cluster_test ct;
			long b = 0, c = 0;
			double pa = 0, pb = 0;
			for (int i = 0; i < n; i++) {
				double xa, xb;
				if (i % m == 0) {
					pa = cluster_p(&r, 0.7, 0.3);
					pb = cluster_p(&r, 0.7, 0.3);
				}
				xa = bern(&r, pa);
				xb = bern(&r, pb);
				d[i] = xa - xb;
				cl[i] = i / m;
				b += xa > xb;
				c += xb > xa;
			}
			stats_cluster_mean_test(d, cl, (size_t)n,
						stats_mcnemar_exact(b, c), NAN,
						NAN, 0.95, &ct);
			rej += ct.p < 0.05;
		}
		printf("# cluster paired test G=%d: type-I %.4f\n", G,
		       (double)rej / SIM_T);
		T_ASSERT((double)rej / SIM_T >= 0.02);
		T_ASSERT((double)rej / SIM_T <= 0.07);
		free(d);
		free(cl);
	}
}

/* Newcombe's paired interval (the report's paired difference without
 * repeats): A passes with p, B with p - 0.1; per case one uniform U
 * drives A (U < pA) and, half the time, B (U < pB; positively correlated
 * pairs), otherwise B is independent.  Truth: pA - pB. */
TEST(sim_coverage_paired_difference_newcombe)
{
	struct stats_rng r;
	double worst = 1;
	stats_rng_seed(&r, 41);
	for (int a = 0; a < 3; a++)
		for (int b = 0; b < 4; b++) {
			double pa = sim_p[b], pb = pa - 0.1, truth = pa - pb;
			long hit = 0;
			for (int s = 0; s < SIM_N; s++) {
				long c[4] = { 0, 0, 0, 0 };
				struct interval iv;
				for (int i = 0; i < sim_n[a]; i++) {
					double u = stats_rng_uniform(&r);
					int xa = u < pa, xb;
					xb = stats_rng_uniform(&r) < 0.5
						? u < pb : stats_rng_uniform(&r) < pb;
					c[xa ? (xb ? 0 : 1) : (xb ? 2 : 3)]++;
				}
				iv = stats_paired_diff_newcombe(c[0], c[1], c[2],
								c[3], 0.95);
				hit += iv.lo <= truth + 1e-12 && truth <= iv.hi + 1e-12;
			}
			worst = fmin(worst, (double)hit / SIM_N);
		}
	printf("# newcombe: worst coverage %.4f over 12 configurations\n",
	       worst);
	T_ASSERT(worst >= 0.92);
}

/* The score interval (Wilson on the mean of [0, 1] scores): per case a
 * score from Beta(5p, 5(1-p)) (all 1 at p = 1); truth: p. */
TEST(sim_coverage_score_mean_wilson)
{
	struct stats_rng r;
	double worst = 1;
	stats_rng_seed(&r, 43);
	for (int a = 0; a < 3; a++)
		for (int b = 0; b < 4; b++) {
			double p = sim_p[b];
			long hit = 0;
			for (int s = 0; s < SIM_N; s++) {
				double sum = 0;
				struct interval w;
				for (int i = 0; i < sim_n[a]; i++)
					sum += cluster_p(&r, p, 1.0 / 6);
				w = stats_wilson_eff(sum / sim_n[a], sim_n[a],
						     1.959963984540054);
				hit += w.lo <= p && p <= w.hi;
			}
			worst = fmin(worst, (double)hit / SIM_N);
		}
	printf("# score (wilson on the mean): worst coverage %.4f\n", worst);
	T_ASSERT(worst >= 0.92);
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The p95 order-statistic interval on continuous (exponential, truth
 * -ln 0.05 = 2.9957) and on tied latencies (10, 20 or 30 ms with
 * probabilities .9, .07, .03: the true p95 is 20). */
TEST(sim_coverage_p95_order_statistics)
{
	struct stats_rng r;
	double x[100], worst = 1;
	stats_rng_seed(&r, 47);
	for (int tied = 0; tied < 2; tied++)
		for (int a = 0; a < 3; a++) {
			double truth = tied ? 20 : -log(0.05);
			long hit = 0;
			for (int s = 0; s < SIM_N; s++) {
				struct interval iv;
				for (int i = 0; i < sim_n[a]; i++) {
					double u = stats_rng_uniform(&r);
					x[i] = tied ? (u < .9 ? 10 : u < .97 ? 20 : 30)
						    : -log(1 - u);
				}
				qsort(x, (size_t)sim_n[a], sizeof *x, cmp_d);
				iv = stats_quantile_os_ci(x, (size_t)sim_n[a], 0.95,
							  0.95, NULL, NULL);
				hit += iv.lo <= truth && truth <= iv.hi;
			}
			worst = fmin(worst, (double)hit / SIM_N);
		}
	printf("# p95 order statistics: worst coverage %.4f\n", worst);
	T_ASSERT(worst >= 0.92);
}

/* F1 of one class: prevalence 0.3, recall p, false-positive rate 0.05
 * among the others; truth 2 tp / (2 tp + fp + fn) from the cell
 * probabilities.  The interval is the report's: Wilson of J = TP / (TP +
 * FP + FN) mapped by 2J / (1 + J). */
TEST(sim_coverage_f1_wilson_jaccard)
{
	struct stats_rng r;
	double worst = 1;
	stats_rng_seed(&r, 53);
	for (int a = 0; a < 3; a++)
		for (int b = 0; b < 4; b++) {
			double tp = 0.3 * sim_p[b], fn = 0.3 - tp, fp = 0.7 * 0.05;
			double truth = 2 * tp / (2 * tp + fp + fn);
			long hit = 0, used = 0;
			for (int s = 0; s < SIM_N; s++) {
				long t = 0, f = 0, g = 0;
				struct interval w;
				double lo, hi;
				for (int i = 0; i < sim_n[a]; i++) {
					double u = stats_rng_uniform(&r);
					t += u < tp;
					g += u >= tp && u < tp + fn;
					f += u >= tp + fn && u < tp + fn + fp;
				}
				if (t + f + g == 0)
					continue;	/* no F1 to report */
				used++;
				w = stats_wilson(t, t + f + g, 0.95);
				lo = 2 * w.lo / (1 + w.lo);
				hi = 2 * w.hi / (1 + w.hi);
				hit += lo <= truth + 1e-12 && truth <= hi + 1e-12;
			}
			worst = fmin(worst, (double)hit / (double)used);
		}
	printf("# F1 (wilson on J): worst coverage %.4f\n", worst);
	T_ASSERT(worst >= 0.92);
}

/* The clustered paired interval (hull of Newcombe at the effective
 * counts and mean +- t(G-1) CR1 se, as the report computes it) on clusters of 5 cases with cluster-level pass probabilities
 * (rho 0.3) for A (mean p) and B (mean p - 0.1). */
TEST(sim_coverage_paired_difference_clustered)
{
	struct stats_rng r;
	double worst = 1, d[100];
	long cl[100];
	stats_rng_seed(&r, 59);
	for (int a = 0; a < 3; a++)
		for (int b = 0; b < 4; b++) {
			double pa = sim_p[b], pb = pa - 0.1, truth = 0.1;
			long hit = 0;
			for (int s = 0; s < SIM_N; s++) {
				long c[4] = { 0, 0, 0, 0 };
				double ga = pa, gb = pb;
				struct interval nw;
				struct stats_cluster_test ct;
				for (int i = 0; i < sim_n[a]; i++) {
					int xa, xb;
					if (i % 5 == 0) {
						ga = cluster_p(&r, pa, 0.3);
						gb = cluster_p(&r, pb, 0.3);
					}
					xa = bern(&r, ga) > 0;
					xb = bern(&r, gb) > 0;
					c[xa ? (xb ? 0 : 1) : (xb ? 2 : 3)]++;
					d[i] = xa - xb;
					cl[i] = i / 5;
				}
				nw = stats_newcombe_design(c[0], c[1], c[2], c[3],
					stats_deff_mean(d, cl, (size_t)sim_n[a]),
					ceil(sim_n[a] / 5.0) - 1, 0.95);
				stats_cluster_mean_test(d, cl, (size_t)sim_n[a], NAN,
							nw.lo, nw.hi, 0.95, &ct);
				hit += ct.lo <= truth + 1e-12 && truth <= ct.hi + 1e-12;
			}
			if ((double)hit / SIM_N < 0.94)
				printf("# clustered paired n=%d p=%.2f: %.4f\n",
				       sim_n[a], sim_p[b], (double)hit / SIM_N);
			worst = fmin(worst, (double)hit / SIM_N);
		}
	printf("# clustered paired difference: worst coverage %.4f\n", worst);
	T_ASSERT(worst >= 0.92);
}

/* Type-I error of the clustered score test (CR1 t with G-1 df, floored at
 * the sign-flip p, as the report runs it for score differences): G
 * clusters of 2 or 3 cases, differences d = u_g + e with a cluster effect
 * u_g ~ N(0, 0.5^2) and case noise e ~ N(0, 1) (ICC 0.2), symmetric
 * about 0 under the null.  The sign-flip test is exact up to 20
 * differences and uses 199 seeded patterns above (the report uses
 * 10,000). */
static double rnorm(struct stats_rng *r)
{
	double u1 = stats_rng_uniform(r), u2 = stats_rng_uniform(r);
	return sqrt(-2 * log(u1 > 0 ? u1 : 1e-300)) * cos(2 * M_PI * u2);
}

TEST(sim_type1_cluster_score_test)
{
	/* cluster sizes keep the exact enumeration small (2^9, 2^10; 30
	 * differences use 199 patterns), so this runs in well under a
	 * second also under ASan */
	static const int gs[3] = { 3, 5, 10 }, ms[3] = { 3, 2, 3 };
	for (int gi = 0; gi < 3; gi++) {
		int G = gs[gi], m = ms[gi], n = G * m;
		double d[30], u = 0;
		long cl[30];
		struct stats_rng r;
		long rej = 0;
		stats_rng_seed(&r, 700 + (uint64_t)G);
		for (int s = 0; s < SIM_T; s++) {
			struct stats_cluster_test ct;
			for (int i = 0; i < n; i++) {
				if (i % m == 0)
					u = 0.5 * rnorm(&r);
				d[i] = u + rnorm(&r);
				cl[i] = i / m;
			}
			stats_cluster_mean_test(d, cl, (size_t)n,
				stats_signflip_p(d, (size_t)n, 199,
						 (uint64_t)s + 1),
				NAN, NAN, 0.95, &ct);
			rej += ct.p < 0.05;
		}
		printf("# cluster score test G=%d: type-I %.4f\n", G,
		       (double)rej / SIM_T);
		T_ASSERT((double)rej / SIM_T >= 0.02);
		T_ASSERT((double)rej / SIM_T <= 0.07);
	}
}
