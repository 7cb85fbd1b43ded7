/* test_stats_boot.c — the generator (published test vectors), the exact
 * binomial sampler (moments and a small exact distribution), and the
 * bootstrap intervals: reproducibility from a seed, agreement with
 * normal theory on large samples, with an independent naive bootstrap
 * written here, and coverage in repeated sampling.  Tolerances are
 * derived in the comments from the Monte Carlo error. */
#include "../../src/stats/stats.h"
#include "t.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Published vectors: xoshiro256** from state {1, 2, 3, 4} gives 11520, 0,
 * 1509978240, 1215971899390074240 (rand_xoshiro's `reference` test,
 * produced with Vigna's reference C code); splitmix64 from state 0 gives
 * 0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4, 0x06c45d188009454f. */
TEST(stats_rng_reference_vectors)
{
	struct stats_rng r = { { 1, 2, 3, 4 } };
	uint64_t s = 0;

	T_ASSERT(stats_rng_next(&r) == 11520ULL);
	T_ASSERT(stats_rng_next(&r) == 0ULL);
	T_ASSERT(stats_rng_next(&r) == 1509978240ULL);
	T_ASSERT(stats_rng_next(&r) == 1215971899390074240ULL);
	T_ASSERT(stats_splitmix64(&s) == 0xe220a8397b1dcdafULL);
	T_ASSERT(stats_splitmix64(&s) == 0x6e789e6aa1b965f4ULL);
	T_ASSERT(stats_splitmix64(&s) == 0x06c45d188009454fULL);
	/* seeding = four splitmix64 outputs */
	stats_rng_seed(&r, 0);
	T_ASSERT(r.s[0] == 0xe220a8397b1dcdafULL);
}

TEST(stats_rng_below_uniform)
{
	struct stats_rng r;
	long cnt[7] = { 0 };
	int i;

	stats_rng_seed(&r, 99);
	for (i = 0; i < 70000; i++) {
		uint64_t v = stats_rng_below(&r, 7);

		T_ASSERT(v < 7);
		cnt[v]++;
	}
	/* each count ~ Bin(70000, 1/7): mean 10000, sd 92; allow 5 sd */
	for (i = 0; i < 7; i++)
		T_NEAR(cnt[i], 10000, 460);
	for (i = 0; i < 1000; i++) {
		double u = stats_rng_uniform(&r);

		T_ASSERT(u >= 0 && u < 1);
	}
}

/* Binomial(5, 0.3) probabilities by hand: 0.16807, 0.36015, 0.3087,
 * 0.1323, 0.02835, 0.00243.  200,000 draws: each frequency within 5
 * binomial standard deviations. */
TEST(stats_rng_binomial_small_exact)
{
	static const double pmf[6] = { 0.16807, 0.36015, 0.3087, 0.1323,
				       0.02835, 0.00243 };
	struct stats_rng r;
	long cnt[6] = { 0 }, N = 200000, i;

	stats_rng_seed(&r, 5);
	for (i = 0; i < N; i++) {
		long v = stats_rng_binomial(&r, 5, 0.3);

		T_ASSERT(v >= 0 && v <= 5);
		cnt[v]++;
	}
	for (i = 0; i < 6; i++)
		T_NEAR((double)cnt[i] / N, pmf[i],
		       5 * sqrt(pmf[i] * (1 - pmf[i]) / N));
}

/* Large n: sample mean and variance of 20,000 draws of Bin(100000, 0.9)
 * against n p = 90000 and n p q = 9000 (sd of the mean 0.67; of the
 * variance ~ 9000 sqrt(2/20000) = 90). */
TEST(stats_rng_binomial_large_moments)
{
	struct stats_rng r;
	double s = 0, ss = 0, m, v;
	long i, N = 20000;

	stats_rng_seed(&r, 11);
	for (i = 0; i < N; i++) {
		double x = (double)stats_rng_binomial(&r, 100000, 0.9);

		s += x;
		ss += x * x;
	}
	m = s / N;
	v = ss / N - m * m;
	T_NEAR(m, 90000, 4);
	T_NEAR(v, 9000, 450);
	T_EQ_INT(stats_rng_binomial(&r, 10, 0), 0);
	T_EQ_INT(stats_rng_binomial(&r, 10, 1), 10);
	T_EQ_INT(stats_rng_binomial(&r, 0, 0.5), 0);
}

static int same_ci(const struct stats_boot_ci *a, const struct stats_boot_ci *b)
{
	return a->est == b->est && a->se == b->se && a->pct.lo == b->pct.lo &&
	       a->pct.hi == b->pct.hi &&
	       ((isnan(a->bca.lo) && isnan(b->bca.lo)) ||
		(a->bca.lo == b->bca.lo && a->bca.hi == b->bca.hi));
}

/* Deterministic pseudo-normal data for the tests (Box–Muller on our own
 * generator; the values themselves are not a reference). */
static void normal_data(double *x, size_t n, uint64_t seed, double mu,
			double sd)
{
	struct stats_rng r;
	size_t i;

	stats_rng_seed(&r, seed);
	for (i = 0; i < n; i++) {
		double u1 = 1 - stats_rng_uniform(&r), u2 = stats_rng_uniform(&r);

		x[i] = mu + sd * sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
	}
}

static void mean_sd(const double *x, size_t n, double *m, double *s)
{
	double a = 0, b = 0;
	size_t i;

	for (i = 0; i < n; i++)
		a += x[i];
	a /= (double)n;
	for (i = 0; i < n; i++)
		b += (x[i] - a) * (x[i] - a);
	*m = a;
	*s = sqrt(b / (double)(n - 1));
}

TEST(stats_boot_reproducible)
{
	double x[500];
	struct stats_boot_opt o = { 2000, 1234, 0.95 };
	struct stats_boot_ci a, b, c;

	normal_data(x, 500, 1, 0, 1);
	T_EQ_INT(stats_boot_mean(x, 500, &o, &a), 0);
	T_EQ_INT(stats_boot_mean(x, 500, &o, &b), 0);
	T_ASSERT(same_ci(&a, &b));
	o.seed = 1235;
	T_EQ_INT(stats_boot_mean(x, 500, &o, &c), 0);
	T_ASSERT(c.pct.lo != a.pct.lo);
	o.seed = 1234;
	T_EQ_INT(stats_boot_prop(37, 50, &o, &a), 0);
	T_EQ_INT(stats_boot_prop(37, 50, &o, &b), 0);
	T_ASSERT(same_ci(&a, &b));
	T_EQ_INT(stats_boot_quantile(x, 500, 0.95, &o, &a), 0);
	T_EQ_INT(stats_boot_quantile(x, 500, 0.95, &o, &b), 0);
	T_ASSERT(same_ci(&a, &b));
}

/* Large sample, many distinct values (index resampling): the percentile
 * interval is close to mean +- 1.96 s / sqrt(n).  n = 20000, B = 4000:
 * the Monte Carlo sd of a 2.5% bootstrap quantile is about
 * sqrt(.025 .975 / B) / phi(1.96) = 0.0043 standard errors; the
 * tolerance of 0.05 standard errors is > 10 of those. */
TEST(stats_boot_mean_normal_theory)
{
	size_t n = 20000;
	double *x = malloc(n * sizeof *x), m, s, se;
	struct stats_boot_opt o = { 4000, 77, 0.95 };
	struct stats_boot_ci ci;

	normal_data(x, n, 3, 10, 2);
	mean_sd(x, n, &m, &s);
	se = s / sqrt((double)n);
	T_EQ_INT(stats_boot_mean(x, n, &o, &ci), 0);
	T_NEAR(ci.est, m, 1e-12);
	T_NEAR(ci.pct.lo, m - 1.959963984540054 * se, 0.05 * se);
	T_NEAR(ci.pct.hi, m + 1.959963984540054 * se, 0.05 * se);
	T_NEAR(ci.bca.lo, m - 1.959963984540054 * se, 0.06 * se);
	T_NEAR(ci.bca.hi, m + 1.959963984540054 * se, 0.06 * se);
	/* bootstrap se vs s / sqrt(n) * sqrt((n-1)/n) ~ s / sqrt(n) */
	T_NEAR(ci.se / se, 1, 0.03);
	free(x);
}

/* 0/1 data: Binomial count resampling vs Wald (normal theory) at
 * k = 6000 of n = 10000, se = sqrt(.6 .4 / 10000) = 0.0048990. */
TEST(stats_boot_prop_normal_theory)
{
	struct stats_boot_opt o = { 10000, 5, 0.95 };
	struct stats_boot_ci ci;
	double se = sqrt(0.6 * 0.4 / 10000);

	T_EQ_INT(stats_boot_prop(6000, 10000, &o, &ci), 0);
	T_NEAR(ci.pct.lo, 0.6 - 1.959963984540054 * se, 0.04 * se + 1e-4);
	T_NEAR(ci.pct.hi, 0.6 + 1.959963984540054 * se, 0.04 * se + 1e-4);
	T_NEAR(ci.se / se, 1, 0.03);
	/* all-pass: degenerate, interval collapses to the estimate */
	T_EQ_INT(stats_boot_prop(50, 50, &o, &ci), 0);
	T_NEAR(ci.pct.lo, 1, 0);
	T_NEAR(ci.bca.hi, 1, 0);
	T_EQ_INT(stats_boot_prop(1, 0, &o, &ci), -1);
	T_ASSERT(isnan(ci.est));
}

/* Count resampling (<= 64 distinct values) and item resampling must
 * estimate the same bootstrap distribution: ratings 1..5 in a vector,
 * then the same ratings plus 1e-9 * i (so > 64 distinct values, forcing
 * index resampling, shifting the mean by < 1e-5). */
TEST(stats_boot_mean_counts_match_items)
{
	size_t n = 3000, i;
	double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
	struct stats_boot_opt o = { 8000, 9, 0.95 };
	struct stats_boot_ci a, b;

	for (i = 0; i < n; i++) {
		x[i] = (double)(1 + (i * 7 + i / 13) % 5);
		y[i] = x[i] + 1e-9 * (double)i;
	}
	T_EQ_INT(stats_boot_mean(x, n, &o, &a), 0);
	o.seed = 10;
	T_EQ_INT(stats_boot_mean(y, n, &o, &b), 0);
	T_NEAR(a.se / b.se, 1, 0.04);
	T_NEAR(a.pct.lo, b.pct.lo, 0.1 * a.se);
	T_NEAR(a.pct.hi, b.pct.hi, 0.1 * a.se);
	free(x);
	free(y);
}

/* BCa on right-skewed data (exponential, n = 100): the acceleration is
 * positive, so BCa moves the interval right of the percentile interval
 * (Efron & Tibshirani 1993, ch. 14). */
TEST(stats_boot_bca_skew_direction)
{
	double x[100];
	struct stats_rng r;
	struct stats_boot_opt o = { 10000, 3, 0.95 };
	struct stats_boot_ci ci;
	int i;

	stats_rng_seed(&r, 21);
	for (i = 0; i < 100; i++)
		x[i] = -log(1 - stats_rng_uniform(&r));
	T_EQ_INT(stats_boot_mean(x, 100, &o, &ci), 0);
	T_ASSERT(ci.bca.lo > ci.pct.lo);
	T_ASSERT(ci.bca.hi > ci.pct.hi);
	T_ASSERT(ci.pct.lo < ci.est && ci.est < ci.pct.hi);
}

/* Coverage: 400 samples of 60 Bernoulli(0.3) cases, B = 1000 each; the
 * BCa and percentile intervals should cover 0.3 about 95% of the time
 * (sd of the observed rate sqrt(.95 .05 / 400) = 1.1%; the bootstrap is
 * known to undercover a little at n = 60, so accept 0.89 .. 0.99). */
TEST(stats_boot_prop_coverage)
{
	struct stats_rng r;
	struct stats_boot_opt o = { 1000, 0, 0.95 };
	struct stats_boot_ci ci;
	int rep, hit_p = 0, hit_b = 0;

	stats_rng_seed(&r, 2024);
	for (rep = 0; rep < 400; rep++) {
		long k = stats_rng_binomial(&r, 60, 0.3);

		o.seed = (uint64_t)rep;
		T_EQ_INT(stats_boot_prop(k, 60, &o, &ci), 0);
		hit_p += ci.pct.lo <= 0.3 && 0.3 <= ci.pct.hi;
		hit_b += ci.bca.lo <= 0.3 && 0.3 <= ci.bca.hi;
	}
	T_ASSERT(hit_p >= 356 && hit_p <= 396);
	T_ASSERT(hit_b >= 356 && hit_b <= 396);
}

/* Paired difference of pass rates: the multinomial bootstrap agrees with
 * Newcombe's interval on a large table (both are consistent there):
 * a=3000, b=700, c=500, d=800, diff = 0.04. */
TEST(stats_boot_paired_prop_diff_vs_newcombe)
{
	struct stats_boot_opt o = { 10000, 8, 0.95 };
	struct stats_boot_ci ci;
	struct interval nw = stats_paired_diff_newcombe(3000, 700, 500, 800,
							 0.95);

	T_EQ_INT(stats_boot_paired_prop_diff(3000, 700, 500, 800, &o, &ci), 0);
	T_NEAR(ci.est, 0.04, 1e-15);
	T_NEAR(ci.pct.lo, nw.lo, 0.002);
	T_NEAR(ci.pct.hi, nw.hi, 0.002);
	/* analytic se of a paired difference: sqrt((b+c)/n - diff^2)/sqrt n
	 * = sqrt(0.24 - 0.0016)/sqrt(5000) = 0.0069051 */
	T_NEAR(ci.se, sqrt(0.24 - 0.0016) / sqrt(5000.0), 0.0003);
}

/* Singleton clusters = ordinary bootstrap; clusters of 10 identical items
 * carry the information of one item each, so the interval is ~sqrt(10)
 * times wider than the naive one.  And the cluster bootstrap se agrees
 * with the CR1 sandwich se (independent method) within 6%. */
TEST(stats_boot_cluster_width)
{
	size_t G = 400, m = 10, n = G * m, i;
	double *x = malloc(n * sizeof *x), *cm = malloc(G * sizeof *cm);
	long *cl = malloc(n * sizeof *cl), *single = malloc(n * sizeof *single);
	struct stats_boot_opt o = { 4000, 4, 0.95 };
	struct stats_boot_ci c1, c2;
	double se_cr1, mu, sd;

	normal_data(cm, G, 17, 0.7, 0.2);
	for (i = 0; i < n; i++) {
		x[i] = cm[i / m];
		cl[i] = (long)(i / m) * 31 % 1009;	/* scrambled ids */
		single[i] = (long)i;
	}
	T_EQ_INT(stats_boot_cluster_mean(x, single, n, &o, &c1), 0);
	T_EQ_INT(stats_boot_cluster_mean(x, cl, n, &o, &c2), 0);
	mean_sd(x, n, &mu, &sd);
	T_NEAR(c1.se / (sd / sqrt((double)n)), 1, 0.05);
	T_NEAR(c2.se / c1.se, sqrt(10.0), 0.35);
	se_cr1 = stats_cluster_se(x, cl, n, NULL);
	T_NEAR(c2.se / se_cr1, 1, 0.06);
	T_NEAR(c2.est, mu, 1e-12);
	T_EQ_INT(stats_boot_cluster_mean(x, single, 1, &o, &c1), -1);
	free(x);
	free(cm);
	free(cl);
	free(single);
}

/* 0/1 results in clusters of 5 (few distinct cluster profiles, so the
 * profile-count path runs): its se agrees with the CR1 sandwich se, and
 * with the index path run on the same data nudged off {0, 1}. */
TEST(stats_boot_cluster_binary_profiles)
{
	size_t n = 5000, i;
	double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
	long *cl = malloc(n * sizeof *cl);
	struct stats_boot_opt o = { 6000, 14, 0.95 };
	struct stats_boot_ci a, b;
	struct stats_rng r;

	stats_rng_seed(&r, 41);
	for (i = 0; i < n; i++) {
		double p = (double)(i / 5 % 7) / 6.0;	/* rate per cluster */

		x[i] = stats_rng_uniform(&r) < p ? 1 : 0;
		y[i] = x[i] + 1e-9 * (double)(i % 977);	/* many profiles */
		cl[i] = (long)(i / 5);
	}
	T_EQ_INT(stats_boot_cluster_mean(x, cl, n, &o, &a), 0);
	T_NEAR(a.se / stats_cluster_se(x, cl, n, NULL), 1, 0.06);
	T_EQ_INT(stats_boot_cluster_mean(y, cl, n, &o, &b), 0);
	T_NEAR(a.se / b.se, 1, 0.06);
	free(x);
	free(y);
	free(cl);
}

/* Bootstrap for repeats: cases are resampled with their repeats.
 * (1) Identical repeats within each case: the se is that of the case
 * means, s / sqrt(G).  (2) Issue 8: every case passed exactly half of
 * its repeats, so every case mean is 1/2 and resampling cases cannot
 * move the statistic: se 0 and [1/2, 1/2].  Resampling the repeats a
 * second time (the old two-level scheme) added binomial noise the case
 * means already hold, se ~ sqrt(.25 / (G r)) > 0. */
TEST(stats_boot_repeats_levels)
{
	size_t G = 300, r = 4, n = G * r, i, start[301];
	double *x = malloc(n * sizeof *x);
	double cm[300], mu, sd;
	struct stats_boot_opt o = { 4000, 6, 0.95 };
	struct stats_boot_ci a;

	normal_data(cm, G, 23, 0, 1);
	for (i = 0; i <= G; i++)
		start[i] = i * r;
	for (i = 0; i < n; i++)
		x[i] = cm[i / r];
	mean_sd(cm, G, &mu, &sd);
	T_EQ_INT(stats_boot_repeats(x, start, G, &o, &a), 0);
	T_NEAR(a.est, mu, 1e-12);
	T_NEAR(a.se / (sd / sqrt((double)G)), 1, 0.05);

	for (i = 0; i < n; i++)
		x[i] = i % 2;
	T_EQ_INT(stats_boot_repeats(x, start, G, &o, &a), 0);
	T_NEAR(a.est, 0.5, 1e-15);
	T_NEAR(a.se, 0, 1e-15);
	T_NEAR(a.pct.lo, 0.5, 1e-15);
	T_NEAR(a.pct.hi, 0.5, 1e-15);
	free(x);
}

/* Naive bootstrap of a type-7 quantile, written here independently:
 * resample n items by index, sort, take the quantile. */
static void naive_quantile_boot(const double *x, size_t n, double q, long B,
				uint64_t seed, double *out)
{
	double *tmp = malloc(n * sizeof *tmp);
	struct stats_rng r;
	long b;
	size_t i;

	stats_rng_seed(&r, seed);
	for (b = 0; b < B; b++) {
		for (i = 0; i < n; i++)
			tmp[i] = x[stats_rng_below(&r, n)];
		stats_sort(tmp, n);
		out[b] = stats_quantile_sorted(tmp, n, q);
	}
	free(tmp);
	stats_sort(out, (size_t)B);
}

/* The bridge sampler draws the same distribution as the naive bootstrap:
 * skewed latencies (n = 150), B = 6000 each, compare the 2.5/50/97.5%
 * points of the two bootstrap distributions and their sd. */
TEST(stats_boot_quantile_matches_naive)
{
	size_t n = 150, i;
	long B = 6000;
	double x[150], *nv = malloc((size_t)B * sizeof *nv), m = 0, ss = 0;
	struct stats_rng r;
	struct stats_boot_opt o = { 6000, 12, 0.95 };
	struct stats_boot_ci ci;

	stats_rng_seed(&r, 13);
	for (i = 0; i < n; i++)
		x[i] = 100 * exp(0.6 * sqrt(-2 * log(1 - stats_rng_uniform(&r))) *
				 cos(2 * M_PI * stats_rng_uniform(&r)));
	stats_sort(x, n);
	naive_quantile_boot(x, n, 0.95, B, 99, nv);
	for (i = 0; i < (size_t)B; i++)
		m += nv[i];
	m /= (double)B;
	for (i = 0; i < (size_t)B; i++)
		ss += (nv[i] - m) * (nv[i] - m);
	ss = sqrt(ss / (double)(B - 1));
	T_EQ_INT(stats_boot_quantile(x, n, 0.95, &o, &ci), 0);
	T_NEAR(ci.est, stats_quantile_sorted(x, n, 0.95), 0);
	T_ASSERT(isnan(ci.bca.lo));
	T_NEAR(ci.se / ss, 1, 0.06);
	T_NEAR(ci.pct.lo, stats_quantile_sorted(nv, (size_t)B, 0.025),
	       0.1 * ss);
	T_NEAR(ci.pct.hi, stats_quantile_sorted(nv, (size_t)B, 0.975),
	       0.15 * ss);
	free(nv);
}

/* Large-sample theory for a quantile: for Uniform(0,1) data the p95 has
 * se sqrt(q (1 - q) / n) (density 1).  n = 20000 evenly spread values:
 * se = 0.0015411; the 95% interval is 0.95 +- 1.96 se within 10%. */
TEST(stats_boot_quantile_asymptotic)
{
	size_t n = 20000, i;
	double *x = malloc(n * sizeof *x), se = sqrt(0.95 * 0.05 / 20000.0);
	struct stats_boot_opt o = { 10000, 1, 0.95 };
	struct stats_boot_ci ci;

	for (i = 0; i < n; i++)
		x[i] = ((double)i + 0.5) / (double)n;
	T_EQ_INT(stats_boot_quantile(x, n, 0.95, &o, &ci), 0);
	T_NEAR(ci.se / se, 1, 0.05);
	T_NEAR(ci.pct.lo, 0.95 - 1.959963984540054 * se, 0.2 * se);
	T_NEAR(ci.pct.hi, 0.95 + 1.959963984540054 * se, 0.2 * se);
	free(x);
}

static int cmp_libc(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;

	return (a > b) - (a < b);
}

/* stats_sort (radix) against libc qsort on 50,000 values with negatives,
 * zeros of both signs, infinities and duplicates; two NaNs go last. */
TEST(stats_sort_matches_qsort)
{
	size_t n = 50000, i, m = 0;
	double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
	struct stats_rng r;

	stats_rng_seed(&r, 8);
	for (i = 0; i < n; i++) {
		double u = stats_rng_uniform(&r);

		x[i] = i % 97 == 0 ? -0.0 : i % 89 == 0 ? 0.0 :
		       i % 101 == 0 ? INFINITY : i % 103 == 0 ? -INFINITY :
		       i % 7 == 0 ? floor(u * 10) : (u - 0.4) * 1e6;
	}
	x[5] = NAN;
	x[77] = -NAN;
	for (i = 0; i < n; i++)
		if (!isnan(x[i]))
			y[m++] = x[i];
	T_EQ_INT(m, n - 2);
	qsort(y, m, sizeof *y, cmp_libc);
	stats_sort(x, n);
	for (i = 0; i < m; i++)
		T_ASSERT(x[i] == y[i]);
	T_ASSERT(isnan(x[n - 1]) && isnan(x[n - 2]));
	free(x);
	free(y);
}

/* R: quantile(c(15, 20, 35, 40, 50), c(.4, .95)) = 29, 48 (type 7:
 * h = 4 * .4 = 1.6 -> 20 + .6 * 15; h = 3.8 -> 40 + .8 * 10); NaNs are
 * dropped and the input order does not matter. */
TEST(stats_percentiles_r)
{
	double x[6] = { 50, NAN, 15, 40, 20, 35 }, q[2] = { 0.4, 0.95 }, out[2];

	T_EQ_INT(stats_percentiles(x, 6, q, 2, out), 5);
	T_NEAR(out[0], 29, 1e-12);
	T_NEAR(out[1], 48, 1e-12);
	T_NEAR(x[0], 50, 0);		/* input untouched */
	T_EQ_INT(stats_percentiles(x, 0, q, 2, out), 0);
	T_ASSERT(isnan(out[0]));
}

/* The bootstrap budget (docs/statistics.md, "Speed"): few distinct
 * values (<= 64) keep B at any n; otherwise B n draws are capped at
 * 2e7, B never below 200.  By the rule: n 1,000 x B 10,000 = 1e7 keeps
 * 10,000; n 5,000 -> 2e7 / 5e3 = 4,000; n 1e6 -> 20, raised to 200. */
TEST(stats_boot_budget_rule)
{
	size_t n = 1000000;
	double *x = malloc(n * sizeof *x);
	T_ASSERT(x != NULL);
	for (size_t i = 0; i < n; i++)
		x[i] = (double)(i % 64);
	T_EQ_INT(stats_boot_budget(x, n, 10000), 10000);
	for (size_t i = 0; i < n; i++)
		x[i] = (double)i;
	T_EQ_INT(stats_boot_budget(x, 1000, 10000), 10000);
	T_EQ_INT(stats_boot_budget(x, 5000, 10000), 4000);
	T_EQ_INT(stats_boot_budget(x, n, 10000), 200);
	T_EQ_INT(stats_boot_budget(x, 0, 10000), 10000);
	free(x);
}
