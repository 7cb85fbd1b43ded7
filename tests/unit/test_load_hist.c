/* test_load_hist.c — the log-linear histogram (src/load/hist.c) against
 * exact quantiles.  The reference is the definition of the nearest-rank
 * quantile (Hyndman & Fan 1996 type 1; R 4.x: quantile(x, p, type = 1)),
 * computed here from the sorted data with qsort; the histogram must be
 * within its stated bound HIST_REL_ERR (2^-8) of it. */
#include "../../src/load/hist.h"
#include "../../src/stats/rng.h"
#include "t.h"

#include <math.h>
#include <stdlib.h>

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* R: quantile(x, p, type = 1) = x[ceil(n p)] (1-based), x[1] for p = 0. */
static int64_t type1(const int64_t *sorted, size_t n, double p)
{
	size_t k = (size_t)ceil(p * (double)n);
	if (k < 1)
		k = 1;
	return sorted[k - 1];
}

/* R 4.3: quantile(1:1000, c(.5,.9,.95,.99), type = 1) = 500 900 950 990
 * (values recorded as ms). */
TEST(hist_quantiles_of_1_to_1000_ms)
{
	static struct hist h;
	hist_init(&h);
	for (int i = 1; i <= 1000; i++)
		hist_record_ms(&h, i);
	T_NEAR(hist_quantile_ms(&h, 0.50), 500, 500 * HIST_REL_ERR);
	T_NEAR(hist_quantile_ms(&h, 0.90), 900, 900 * HIST_REL_ERR);
	T_NEAR(hist_quantile_ms(&h, 0.95), 950, 950 * HIST_REL_ERR);
	T_NEAR(hist_quantile_ms(&h, 0.99), 990, 990 * HIST_REL_ERR);
	T_NEAR(hist_quantile_ms(&h, 1.0), 1000, 1e-9);
	T_NEAR(hist_mean_ms(&h), 500.5, 1e-9);
	T_EQ_INT(h.n, 1000);
}

/* Small values are exact (one bucket per µs below 2^HIST_SUB... and width
 * 1 up to 2^(HIST_SUB+1)). */
TEST(hist_small_values_exact)
{
	static struct hist h;
	hist_init(&h);
	hist_record_us(&h, 3);
	hist_record_us(&h, 200);
	hist_record_us(&h, 17);
	T_NEAR(hist_quantile_ms(&h, 0.0), 0.003, 1e-12);
	T_NEAR(hist_quantile_ms(&h, 0.5), 0.017, 1e-12);
	T_NEAR(hist_quantile_ms(&h, 0.99), 0.200, 1e-12);
	T_EQ_INT(hist_index(255), 255);
	T_EQ_INT(hist_index(256), 256);
}

/* Seeded heavy-tailed data (log-uniform over 6 decades), many quantiles:
 * every one within the bound of the exact type-1 quantile. */
TEST(hist_bounded_relative_error_seeded)
{
	static struct hist h;
	enum { N = 20000 };
	static int64_t v[N];
	static const double ps[] = { 0.001, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95,
				     0.99, 0.999, 0.9999 };
	struct stats_rng r;
	stats_rng_seed(&r, 42);
	hist_init(&h);
	for (int i = 0; i < N; i++) {
		v[i] = (int64_t)pow(10.0, 1.0 + 6.0 * stats_rng_uniform(&r));
		hist_record_us(&h, v[i]);
	}
	qsort(v, N, sizeof *v, cmp_i64);
	for (size_t i = 0; i < sizeof ps / sizeof *ps; i++) {
		double exact = (double)type1(v, N, ps[i]) / 1000.0;
		double got = hist_quantile_ms(&h, ps[i]);
		T_ASSERT(fabs(got - exact) <= exact * HIST_REL_ERR + 1e-12);
	}
	T_NEAR(hist_quantile_ms(&h, 1), (double)v[N - 1] / 1000.0, 1e-12);
	T_NEAR(hist_quantile_ms(&h, 0), (double)v[0] / 1000.0, 1e-12);
}

/* Bucket ranges tile the value line: every value falls in the range of its
 * own index, and indexes never decrease. */
TEST(hist_index_ranges_tile)
{
	unsigned prev = 0;
	for (uint64_t x = 0; x < ((uint64_t)1 << 30); x = x < 4096 ? x + 1 : x + x / 97) {
		uint64_t lo, w;
		unsigned i = hist_index(x);
		hist_bucket_range(i, &lo, &w);
		T_ASSERT(i >= prev);
		T_ASSERT(lo <= x && x < lo + w);
		T_ASSERT(w == 1 || (double)w / (double)lo <= 2 * HIST_REL_ERR);
		prev = i;
	}
	T_ASSERT(hist_index(HIST_MAX_US) < HIST_BUCKETS);
}

TEST(hist_merge_share_clamp_empty)
{
	static struct hist a, b;
	hist_init(&a);
	hist_init(&b);
	T_NEAR(hist_quantile_ms(&a, 0.5), -1, 0);
	for (int i = 1; i <= 100; i++)
		hist_record_ms(i <= 50 ? &a : &b, i);
	hist_merge(&a, &b);
	T_EQ_INT(a.n, 100);
	/* values within HIST_REL_ERR of the limit may fall either way */
	T_NEAR(hist_share_within(&a, 80.5), 0.80, 1e-12);
	T_ASSERT(hist_share_within(&a, 80) >= 0.79 && hist_share_within(&a, 80) <= 0.80);
	T_NEAR(hist_quantile_ms(&a, 0.5), 50, 50 * HIST_REL_ERR);
	hist_record_us(&a, (int64_t)HIST_MAX_US + 5);
	hist_record_ms(&a, -3);
	T_EQ_INT(a.clamped, 1);
	T_NEAR(hist_quantile_ms(&a, 0), 0, 0);
}
