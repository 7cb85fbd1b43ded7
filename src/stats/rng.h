/* rng.h — a small, fast, seeded random number generator for the
 * resampling statistics, so that every bootstrap is reproducible.
 *
 * xoshiro256** (Blackman & Vigna, "Scrambled linear pseudorandom number
 * generators", ACM TOMS 2021) seeded through splitmix64 (Steele, Lea &
 * Flood 2014).  Not for cryptography.  A struct stats_rng is plain data:
 * copy it to fork a stream, no cleanup needed. */
#ifndef ASSAY_STATS_RNG_H
#define ASSAY_STATS_RNG_H

#include <stdint.h>

struct stats_rng {
	uint64_t s[4];
};

/* One step of splitmix64: advances *state and returns the next output. */
uint64_t stats_splitmix64(uint64_t *state);

/* Seeds the generator from a 64-bit seed (any value, including 0). */
void stats_rng_seed(struct stats_rng *r, uint64_t seed);

/* Next 64 random bits (inline: the resampling loops call it 10^8+ times). */
static inline uint64_t stats_rng_next(struct stats_rng *r)
{
	uint64_t *s = r->s;
	uint64_t x = s[1] * 5, out, t = s[1] << 17;

	out = ((x << 7) | (x >> 57)) * 9;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = (s[3] << 45) | (s[3] >> 19);
	return out;
}

/* Uniform double in [0, 1) with 53 random bits. */
static inline double stats_rng_uniform(struct stats_rng *r)
{
	return (double)(stats_rng_next(r) >> 11) * 0x1.0p-53;
}

/* Uniform integer in [0, n), without modulo bias (Lemire 2019).  n must be
 * > 0; n == 0 returns 0. */
uint64_t stats_rng_below(struct stats_rng *r, uint64_t n);

/* A Binomial(n, p) variate, exact (inversion by search outward from the
 * mode), expected cost O(sqrt(n p (1-p)) + 1). */
long stats_rng_binomial(struct stats_rng *r, long n, double p);

#endif
