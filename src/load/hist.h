/* hist.h — a log-linear latency histogram with bounded relative error
 * (the HdrHistogram idea: exact counts in buckets whose width grows with
 * the value, so a quantile read from it is off by at most a fixed share).
 *
 * Written here: no packaged HDR histogram exists for C on Debian (the
 * reference HdrHistogram_c is not in the archive), and the part assay needs
 * is a bucket index and a cumulative walk.
 *
 * Values are durations in integer microseconds.  Values below 2^HIST_SUB
 * µs get a bucket each (exact); above, every power of two [2^m, 2^(m+1)) is
 * split into 2^HIST_SUB equal buckets, so a bucket is at most 2^-HIST_SUB
 * of its lower bound wide and its midpoint is within 2^-(HIST_SUB+1)
 * (0.39 %) of any value in it.  Values above HIST_MAX_US are clamped (and
 * counted in `clamped`).  A `struct hist` is plain data (≈ 37 KB): zero it
 * with hist_init, copy it freely; nothing to free. */
#ifndef ASSAY_LOAD_HIST_H
#define ASSAY_LOAD_HIST_H

#include <stdint.h>

#define HIST_SUB 7
#define HIST_MAX_BITS 42                 /* 2^42 µs ≈ 51 days */
#define HIST_MAX_US ((((uint64_t)1) << HIST_MAX_BITS) - 1)
#define HIST_BUCKETS (((HIST_MAX_BITS - HIST_SUB) + 1) << HIST_SUB)
/* The guaranteed bound on |quantile - exact| / exact. */
#define HIST_REL_ERR (1.0 / (double)(2u << HIST_SUB))

struct hist {
	uint64_t n;
	uint64_t clamped;
	uint64_t min_us, max_us;   /* exact; min_us is UINT64_MAX when n == 0 */
	double sum_us;
	uint32_t count[HIST_BUCKETS];
};

void hist_init(struct hist *h);

/* Records one value (negative values count as 0). */
void hist_record_us(struct hist *h, int64_t us);
/* The same in milliseconds (rounded to the nearest µs). */
void hist_record_ms(struct hist *h, double ms);

/* Adds src's counts to dst. */
void hist_merge(struct hist *dst, const struct hist *src);

/* The nearest-rank q-quantile (q in [0,1]; Hyndman & Fan type 1, R's
 * quantile(x, type = 1)): the smallest recorded value with at least
 * ceil(q n) values at or below it, reported as its bucket's midpoint
 * clamped to [min, max] — within HIST_REL_ERR of the exact one.  In ms;
 * -1 when the histogram is empty.  q = 1 gives the exact maximum. */
double hist_quantile_ms(const struct hist *h, double q);

/* Share of values <= limit_ms (counted by bucket: a bucket straddling the
 * limit counts when its midpoint is within it). 0 when empty. */
double hist_share_within(const struct hist *h, double limit_ms);

double hist_mean_ms(const struct hist *h);

/* Bucket index of a value and a bucket's [lower, lower + width) in µs. */
unsigned hist_index(uint64_t us);
void hist_bucket_range(unsigned idx, uint64_t *lower, uint64_t *width);

#endif
