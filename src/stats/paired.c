/* paired.c — paired comparisons between candidates on the same cases.
 *
 * Why these methods: with 50–500 cases per suite, asymptotic tests
 * (McNemar's chi-square, Wald intervals) misbehave exactly where
 * decisions are made, so the tests here are exact (McNemar by binomial
 * sums, sign-flip by enumeration) or have good small-sample coverage
 * (Newcombe's score-based interval). */
#include "paired.h"
#include "design.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../util/xalloc.h"
#include "rng.h"
#include "sort.h"
#include "stats.h"

double stats_signflip_auto_p(const double *d, size_t n, long resamples,
			     uint64_t seed)
{
	double s = 0, ss = 0;
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (d[i] != 0 && !isnan(d[i])) {
			s += d[i];
			ss += d[i] * d[i];
			m++;
		}
	if (m <= STATS_SIGNFLIP_MC_MAX)
		return stats_signflip_p(d, n, resamples, seed);
	/* 2 Phi(-|z|), not 2 (1 - Phi(|z|)): no cancellation; a tail
	 * below the smallest double is reported as that, never 0 */
	return ss > 0 ? fmax(DBL_MIN, fmin(1, 2 * stats_norm_cdf(
		-fabs(s) / sqrt(ss)))) : 1;
}

double stats_mcnemar_exact(long b, long c)
{
	long m, k, i;
	double lpmf, term, sum;

	if (b < 0 || c < 0)
		return NAN;
	m = b + c;
	k = b < c ? b : c;
	if (m == 0 || 2 * k >= m)
		return 1;
	/* P(X <= k), X ~ Bin(m, 1/2): start from the largest term C(m,k)/2^m
	 * (in logs: it can underflow for huge m) and walk down with the
	 * ratio C(m,i-1)/C(m,i) = i / (m - i + 1). */
	lpmf = lgamma((double)m + 1) - lgamma((double)k + 1) -
	       lgamma((double)(m - k) + 1) - (double)m * M_LN2;
	term = exp(lpmf);
	sum = term;
	for (i = k; i > 0; i--) {
		term *= (double)i / (double)(m - i + 1);
		sum += term;
		if (term < sum * 1e-18)
			break;
	}
	/* beyond ~1,075 one-sided discordant pairs the tail is below the
	 * smallest double: report that, never p = 0 */
	return fmax(DBL_MIN, fmin(1, 2 * sum));
}

struct interval stats_paired_diff_newcombe(long a, long b, long c, long d,
					   double conf)
{
	struct interval iv = { -1, 1 };
	if (a < 0 || b < 0 || c < 0 || d < 0)
		return iv;
	return stats_paired_diff_newcombe_f((double)a, (double)b, (double)c,
					    (double)d, conf);
}

struct interval stats_paired_diff_newcombe_f(double a, double b, double c,
					     double d, double conf)
{
	struct interval iv = { -1, 1 }, w1, w2;
	double n, p1, p2, diff, phi = 0, A, prod, dl, du, z;

	if (!(a >= 0 && b >= 0 && c >= 0 && d >= 0) || a + b + c + d <= 0 ||
	    !(conf > 0 && conf < 1))
		return iv;
	n = a + b + c + d;
	z = stats_norm_ppf(1 - (1 - conf) / 2);
	p1 = (a + b) / n;	/* A's pass rate */
	p2 = (a + c) / n;	/* B's pass rate */
	diff = p1 - p2;
	w1 = stats_wilson_eff(p1, n, z);
	w2 = stats_wilson_eff(p2, n, z);
	/* phi: correlation of the two margins, with Newcombe's continuity
	 * correction of ad - bc toward zero when it is positive. */
	prod = (a + b) * (c + d) * (a + c) * (b + d);
	if (prod > 0) {
		A = a * d - b * c;
		if (A > n / 2)
			phi = (A - n / 2) / sqrt(prod);
		else if (A < 0)
			phi = A / sqrt(prod);
	}
	dl = (p1 - w1.lo) * (p1 - w1.lo) + (w2.hi - p2) * (w2.hi - p2) -
	     2 * phi * (p1 - w1.lo) * (w2.hi - p2);
	du = (p2 - w2.lo) * (p2 - w2.lo) + (w1.hi - p1) * (w1.hi - p1) -
	     2 * phi * (p2 - w2.lo) * (w1.hi - p1);
	iv.lo = fmax(-1, diff - sqrt(fmax(0, dl)));
	iv.hi = fmin(1, diff + sqrt(fmax(0, du)));
	return iv;
}

double stats_signflip_p(const double *d, size_t n, long resamples,
			uint64_t seed)
{
	double *ad, total = 0, obs = 0, tol, s, p;
	size_t m = 0, i;
	long hits = 0, r;

	if (n == 0)
		return 1;
	ad = xmalloc(n * sizeof *ad);
	for (i = 0; i < n; i++) {
		if (d[i] != 0 && !isnan(d[i])) {
			ad[m++] = fabs(d[i]);
			obs += d[i];
			total += fabs(d[i]);
		}
	}
	if (m == 0) {
		free(ad);
		return 1;
	}
	obs = fabs(obs);
	/* Sums that equal the observed one up to rounding count as "at
	 * least as extreme". */
	tol = 1e-9 * total;
	if (m <= 20) {
		/* Gray code walk: each step flips one sign, so the sum is
		 * updated in O(1) over all 2^m patterns. */
		uint32_t g, pattern = 0, npat = (uint32_t)1 << m;

		s = total;	/* all signs + */
		hits = s >= obs - tol;
		for (g = 1; g < npat; g++) {
			int j = __builtin_ctz(g);

			pattern ^= (uint32_t)1 << j;
			s += (pattern >> j & 1) ? -2 * ad[j] : 2 * ad[j];
			hits += fabs(s) >= obs - tol;
		}
		free(ad);
		return (double)hits / (double)npat;
	}
	if (resamples <= 0)
		resamples = 10000;
	{
		struct stats_rng rng;
		double *val;
		long *cnt;
		size_t nv = 0, j;

		stats_rng_seed(&rng, seed);
		/* Few distinct |d| (0/1 pass flips, 1-5 ratings): the sum of
		 * n_v random signs on value v is v (2 Bin(n_v, 1/2) - n_v),
		 * one binomial draw per distinct value instead of n_v coin
		 * flips — the same distribution exactly. */
		stats_sort(ad, m);
		val = xmalloc(m * sizeof *val);
		cnt = xmalloc(m * sizeof *cnt);
		for (i = 0; i < m; i++) {
			if (nv && ad[i] == val[nv - 1]) {
				cnt[nv - 1]++;
			} else {
				val[nv] = ad[i];
				cnt[nv++] = 1;
			}
		}
		for (r = 0; r < resamples; r++) {
			s = 0;
			if (nv <= 64) {
				for (j = 0; j < nv; j++)
					s += val[j] *
					     (double)(2 * stats_rng_binomial(
							  &rng, cnt[j], 0.5) -
						      cnt[j]);
			} else {
				/* S = 2 * (sum of the |d| that keep a + sign)
				 * - total; multiplying by the 0/1 bit instead
				 * of branching on it avoids a mispredicted
				 * branch per item. */
				double k0 = 0, k1 = 0;

				for (i = 0; i + 64 <= m; i += 64) {
					uint64_t bits = stats_rng_next(&rng);
					size_t t;

					for (t = 0; t < 64; t += 2) {
						k0 += ad[i + t] *
						      (double)(bits >> t & 1);
						k1 += ad[i + t + 1] *
						      (double)(bits >> (t + 1) & 1);
					}
				}
				if (i < m) {
					uint64_t bits = stats_rng_next(&rng);

					for (; i < m; i++, bits >>= 1)
						k0 += ad[i] * (double)(bits & 1);
				}
				s = 2 * (k0 + k1) - total;
			}
			hits += fabs(s) >= obs - tol;
		}
		free(val);
		free(cnt);
	}
	free(ad);
	p = (double)(hits + 1) / (double)(resamples + 1);
	return p;
}

void stats_holm(const double *p, size_t m, double *adj)
{
	size_t *idx, i;
	uint64_t *key;
	double *tmp, run = 0;

	if (m == 0)
		return;
	idx = xmalloc(m * sizeof *idx);
	tmp = xmalloc(m * sizeof *tmp);
	key = xmalloc(m * sizeof *key);
	for (i = 0; i < m; i++) {
		idx[i] = i;
		key[i] = stats_dkey(p[i]);
	}
	stats_radix_sort(key, idx, m);	/* stable: ties keep input order */
	free(key);
	for (i = 0; i < m; i++) {
		double v = (double)(m - i) * p[idx[i]];

		if (v > run)
			run = v;
		tmp[idx[i]] = run < 1 ? run : 1;
	}
	memcpy(adj, tmp, m * sizeof *adj);
	free(tmp);
	free(idx);
}

/* ---- compact letter display ------------------------------------------ */

/* Removes columns that are subsets of another column (the "absorb"). */
static size_t cld_absorb(uint64_t *col, size_t n)
{
	size_t i, j, out = 0;

	for (i = 0; i < n; i++) {
		int keep = 1;

		for (j = 0; j < n && keep; j++) {
			if (j == i || (col[i] & ~col[j]) != 0)
				continue;
			/* col[i] is inside col[j]; for equal columns keep the
			 * first only */
			if (col[i] != col[j] || j < i)
				keep = 0;
		}
		if (keep)
			col[out++] = col[i];
	}
	return out;
}

int stats_cld(const double *mean, const double *padj, size_t k, double alpha,
	      size_t *order, uint64_t *groups, size_t max_groups)
{
	/* Working columns.  The number of groups is bounded by the number of
	 * maximal cliques, which is small for real comparison patterns;
	 * pathological inputs beyond CLD_MAX_COLS are refused. */
	enum { CLD_MAX_COLS = 4096 };
	uint64_t *col, *rmask;
	size_t rank_of[STATS_CLD_MAX];
	uint64_t okey[STATS_CLD_MAX];
	size_t ncol = 1, i, j, c, g, cap = CLD_MAX_COLS;
	int rc = -1;

	if (k == 0 || k > STATS_CLD_MAX || max_groups == 0)
		return -1;
	col = xmalloc(cap * sizeof *col);
	rmask = xmalloc(cap * sizeof *rmask);
	/* order by mean descending, ties by index (stable sort) */
	for (i = 0; i < k; i++) {
		order[i] = i;
		okey[i] = ~stats_dkey(mean[i]);
	}
	stats_radix_sort(okey, order, k);
	for (i = 0; i < k; i++)
		rank_of[order[i]] = i;
	col[0] = k == 64 ? ~(uint64_t)0 : (((uint64_t)1 << k) - 1);
	for (i = 0; i < k; i++) {
		for (j = i + 1; j < k; j++) {
			uint64_t bi = (uint64_t)1 << i, bj = (uint64_t)1 << j;
			double pij = fmin(padj[i * k + j], padj[j * k + i]);
			size_t n0 = ncol;

			if (!(pij < alpha))
				continue;
			/* insert: every column holding both is split into one
			 * without i and one without j */
			for (c = 0; c < n0; c++) {
				if ((col[c] & bi) && (col[c] & bj)) {
					if (ncol >= cap)
						goto out;
					col[ncol++] = col[c] & ~bi;
					col[c] &= ~bj;
				}
			}
			ncol = cld_absorb(col, ncol);
		}
	}
	if (ncol > max_groups)
		goto out;
	/* Order the groups by their members' ranks, lexicographically
	 * (best member first), so letters read top-down: map each group to
	 * a bitmask over ranks, then insertion-sort (at most a few dozen). */
	for (g = 0; g < ncol; g++) {
		rmask[g] = 0;
		for (i = 0; i < k; i++)
			if (col[g] >> i & 1)
				rmask[g] |= (uint64_t)1 << rank_of[i];
	}
	for (g = 1; g < ncol; g++) {
		uint64_t v = col[g], rv = rmask[g];
		size_t h = g;

		/* a goes before b iff the lowest rank in exactly one of
		 * them belongs to a */
		while (h > 0 && ((rmask[h - 1] ^ rv) & -(rmask[h - 1] ^ rv) & rv)) {
			col[h] = col[h - 1];
			rmask[h] = rmask[h - 1];
			h--;
		}
		col[h] = v;
		rmask[h] = rv;
	}
	memcpy(groups, col, ncol * sizeof *groups);
	rc = (int)ncol;
out:
	free(col);
	free(rmask);
	return rc;
}

void stats_cld_letters(const uint64_t *groups, int ngroups, size_t cand,
		       char *buf, size_t bufsz)
{
	size_t len = 0;
	int g;

	if (bufsz == 0)
		return;
	for (g = 0; g < ngroups && len + 1 < bufsz; g++) {
		if (!(groups[g] >> cand & 1))
			continue;
		buf[len++] = g < 26 ? (char)('a' + g) :
			     g < 52 ? (char)('A' + g - 26) : '?';
	}
	buf[len] = 0;
}
