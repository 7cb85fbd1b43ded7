/* hist.c — the log-linear histogram of hist.h.
 *
 * Index of a value v (µs): below 2^S (S = HIST_SUB) the value itself.
 * Otherwise, with m = floor(log2 v) and b = m - S, the top S+1 bits of v
 * are sub = v >> b, in [2^S, 2^(S+1)), and the index is (b << S) + sub:
 * contiguous with the exact range and increasing with v.  The bucket holds
 * [sub << b, (sub + 1) << b). */
#include "load/hist.h"

#include <math.h>
#include <string.h>

void hist_init(struct hist *h)
{
	memset(h, 0, sizeof *h);
	h->min_us = UINT64_MAX;
}

unsigned hist_index(uint64_t v)
{
	unsigned m, b;
	if (v > HIST_MAX_US)
		v = HIST_MAX_US;
	if (v < (1u << HIST_SUB))
		return (unsigned)v;
	m = 63u - (unsigned)__builtin_clzll(v);
	b = m - HIST_SUB;
	return (b << HIST_SUB) + (unsigned)(v >> b);
}

void hist_bucket_range(unsigned idx, uint64_t *lower, uint64_t *width)
{
	unsigned b, sub;
	if (idx < (2u << HIST_SUB)) {   /* b == 0: width 1 */
		*lower = idx;
		*width = 1;
		return;
	}
	b = (idx >> HIST_SUB) - 1;
	sub = idx - (b << HIST_SUB);
	*lower = (uint64_t)sub << b;
	*width = (uint64_t)1 << b;
}

void hist_record_us(struct hist *h, int64_t us)
{
	uint64_t v = us < 0 ? 0 : (uint64_t)us;
	if (v > HIST_MAX_US) {
		v = HIST_MAX_US;
		h->clamped++;
	}
	h->count[hist_index(v)]++;
	h->n++;
	h->sum_us += (double)v;
	if (v < h->min_us)
		h->min_us = v;
	if (v > h->max_us)
		h->max_us = v;
}

void hist_record_ms(struct hist *h, double ms)
{
	if (!(ms > 0)) /* also NaN */
		ms = 0;
	if (ms > (double)HIST_MAX_US / 1000.0)
		ms = (double)HIST_MAX_US / 1000.0 + 1.0;
	hist_record_us(h, (int64_t)llround(ms * 1000.0));
}

void hist_merge(struct hist *dst, const struct hist *src)
{
	if (!src->n)
		return;
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		dst->count[i] += src->count[i];
	dst->n += src->n;
	dst->clamped += src->clamped;
	dst->sum_us += src->sum_us;
	if (src->min_us < dst->min_us)
		dst->min_us = src->min_us;
	if (src->max_us > dst->max_us)
		dst->max_us = src->max_us;
}

static double mid_us(unsigned i)
{
	uint64_t lo, w;
	hist_bucket_range(i, &lo, &w);
	return w == 1 ? (double)lo : (double)lo + (double)w / 2.0;
}

double hist_quantile_ms(const struct hist *h, double q)
{
	uint64_t rank, cum = 0;
	double v;
	if (!h->n)
		return -1;
	if (q >= 1)
		return (double)h->max_us / 1000.0;
	if (q < 0)
		q = 0;
	rank = (uint64_t)ceil(q * (double)h->n);
	if (rank < 1)
		rank = 1;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		cum += h->count[i];
		if (cum >= rank) {
			v = mid_us(i);
			if (v < (double)h->min_us)
				v = (double)h->min_us;
			if (v > (double)h->max_us)
				v = (double)h->max_us;
			return v / 1000.0;
		}
	}
	return (double)h->max_us / 1000.0;
}

double hist_share_within(const struct hist *h, double limit_ms)
{
	uint64_t k = 0;
	double lim = limit_ms * 1000.0;
	if (!h->n)
		return 0;
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		if (h->count[i] && mid_us(i) <= lim)
			k += h->count[i];
	return (double)k / (double)h->n;
}

double hist_mean_ms(const struct hist *h)
{
	return h->n ? h->sum_us / (double)h->n / 1000.0 : -1;
}
