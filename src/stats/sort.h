/* sort.h — internal to the stats layer (not part of the front door):
 * a stable LSD radix sort on 64-bit keys, O(n), used wherever 100,000
 * values are sorted per report (percentiles, equal-mass bins, clusters).
 * qsort with a comparator costs ~10x more at that size. */
#ifndef ASSAY_STATS_SORT_H
#define ASSAY_STATS_SORT_H

#include <stddef.h>
#include <stdint.h>

/* Order-preserving key of a double (NaN of either sign last). */
static inline uint64_t stats_dkey(double v)
{
	union {
		double d;
		uint64_t u;
	} c;

	if (v != v)
		return UINT64_MAX;
	c.d = v;
	return (c.u >> 63) ? ~c.u : c.u | ((uint64_t)1 << 63);
}

/* Sorts keys[0..n) ascending, stably, applying the same permutation to
 * idx[0..n) if idx is not NULL.  Allocates scratch (xmalloc). */
void stats_radix_sort(uint64_t *keys, size_t *idx, size_t n);

#endif
