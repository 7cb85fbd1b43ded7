/* rng.c — xoshiro256** with splitmix64 seeding, unbiased bounded integers
 * and an exact binomial sampler.
 *
 * The binomial sampler is what lets the bootstrap resample *counts*
 * instead of items: the number of successes in a resample of n 0/1 items
 * is exactly Binomial(n, k/n), so one draw replaces n index draws. */
#include "rng.h"

#include <math.h>

uint64_t stats_splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void stats_rng_seed(struct stats_rng *r, uint64_t seed)
{
	int i;

	/* splitmix64 never yields an all-zero state from four outputs. */
	for (i = 0; i < 4; i++)
		r->s[i] = stats_splitmix64(&seed);
}

uint64_t stats_rng_below(struct stats_rng *r, uint64_t n)
{
	uint64_t x, m, t;

	if (n == 0)
		return 0;
	if (n <= UINT32_MAX) {
		/* Lemire's multiply-shift on the top 32 bits: the product's
		 * high half is the answer, the low half decides the rare
		 * rejection that removes the bias. */
		x = stats_rng_next(r) >> 32;
		m = x * n;
		if ((uint32_t)m < n) {
			t = (uint32_t)(-(uint32_t)n) % (uint32_t)n;
			while ((uint32_t)m < t) {
				x = stats_rng_next(r) >> 32;
				m = x * n;
			}
		}
		return m >> 32;
	}
	/* Huge n: plain rejection on the largest multiple of n. */
	t = -n % n;			/* 2^64 mod n */
	do
		x = stats_rng_next(r);
	while (x < t);
	return x % n;
}

/* log of the Binomial(n, p) probability of k, via lgamma. */
static double binom_logpmf(long n, long k, double p)
{
	return lgamma((double)n + 1) - lgamma((double)k + 1) -
	       lgamma((double)(n - k) + 1) + (double)k * log(p) +
	       (double)(n - k) * log1p(-p);
}

long stats_rng_binomial(struct stats_rng *r, long n, double p)
{
	long mode, lo, hi;
	double u, flo, fhi, ratio_q;
	int flip = 0;

	if (n <= 0 || !(p > 0))
		return 0;
	if (p >= 1)
		return n;
	if (p > 0.5) {		/* sample failures: keeps p small in log */
		p = 1 - p;
		flip = 1;
	}
	mode = (long)floor((double)(n + 1) * p);
	if (mode > n)
		mode = n;
	/* Chop-down search from the mode (Kemp 1986 style): subtract the
	 * probabilities of mode, mode-1, mode+1, mode-2, ... from a uniform
	 * until it goes negative.  The terms come from exact pmf ratios, so
	 * the result is an exact inversion up to rounding. */
	u = stats_rng_uniform(r);
	flo = fhi = exp(binom_logpmf(n, mode, p));
	u -= flo;
	if (u < 0)
		return flip ? n - mode : mode;
	ratio_q = p / (1 - p);
	lo = hi = mode;
	for (;;) {
		int moved = 0;

		if (lo > 0) {
			/* f(k-1) = f(k) * k / (n-k+1) / ratio_q */
			flo *= (double)lo / ((double)(n - lo + 1) * ratio_q);
			lo--;
			moved = 1;
			u -= flo;
			if (u < 0)
				return flip ? n - lo : lo;
		}
		if (hi < n) {
			/* f(k+1) = f(k) * (n-k) / (k+1) * ratio_q */
			fhi *= (double)(n - hi) / (double)(hi + 1) * ratio_q;
			hi++;
			moved = 1;
			u -= fhi;
			if (u < 0)
				return flip ? n - hi : hi;
		}
		/* Rounding left a sliver of mass: fall back to the mode.  The
		 * sliver is ~1e-15, far below anything the callers resolve. */
		if (!moved || (flo < 1e-300 && fhi < 1e-300))
			return flip ? n - mode : mode;
	}
}
