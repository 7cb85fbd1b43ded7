/* bootstrap.c — percentile and BCa bootstrap intervals, reproducible from
 * a seed, fast enough for 100,000 results x 10,000 resamples.
 *
 * Speed comes from never resampling items when counts will do:
 *   - k passes of n: a resample has Binomial(n, k/n) passes;
 *   - few distinct values: a resample is Multinomial(n, shares), drawn as
 *     a chain of conditional binomials;
 *   - a quantile of a resample needs only two order statistics, and the
 *     cumulative counts C_j = #{resampled items <= x_(j)} form a binomial
 *     bridge, so those two are found by bisection with O(log n) binomial
 *     draws (exact: given C at two points, the count between them is
 *     binomial).
 * Only general-valued means and clusters resample indices, with no
 * allocation inside the resampling loop.
 *
 * BCa follows Efron & Tibshirani (1993), "An Introduction to the
 * Bootstrap", ch. 14: bias correction z0 from the share of resampled
 * values below the estimate (ties count half), acceleration a from the
 * jackknife. */
#include "bootstrap.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../util/xalloc.h"
#include "cluster.h"
#include "rng.h"

long stats_boot_budget(const double *x, size_t n, long resamples)
{
	double seen[64];
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		size_t j;
		for (j = 0; j < k && seen[j] != x[i]; j++)
			;
		if (j < k)
			continue;
		if (k == 64) {
			/* many distinct values: B n draws */
			if ((double)resamples * (double)n > STATS_BOOT_BUDGET)
				return (long)fmax(STATS_BOOT_MIN_B,
						  STATS_BOOT_BUDGET / (double)n);
			return resamples;
		}
		seen[k++] = x[i];
	}
	return resamples;
}

#define BOOT_DEFAULT_B 10000
#define MAX_DISTINCT 64

static long opt_b(const struct stats_boot_opt *o)
{
	return o && o->resamples > 0 ? o->resamples : BOOT_DEFAULT_B;
}

static double opt_conf(const struct stats_boot_opt *o)
{
	return o && o->conf > 0 && o->conf < 1 ? o->conf : 0.95;
}

static uint64_t opt_seed(const struct stats_boot_opt *o)
{
	return o ? o->seed : 0;
}

static int fail(struct stats_boot_ci *out)
{
	out->est = out->se = NAN;
	out->pct.lo = out->pct.hi = NAN;
	out->bca.lo = out->bca.hi = NAN;
	return -1;
}

/* Jackknife acceleration from the deviations dev_i = mean(theta_(.)) -
 * theta_(i), given as sums: a = sum dev^3 / (6 (sum dev^2)^1.5). */
static double accel(double s2, double s3)
{
	return s2 > 0 ? s3 / (6 * pow(s2, 1.5)) : 0;
}

/* For the mean of values v with weights w (counts), theta_(i) deviations
 * are (x_i - mean)/(n - 1); the (n-1) factors cancel in `accel`. */
static double accel_mean(const double *v, const double *w, size_t k)
{
	double sw = 0, sv = 0, s2 = 0, s3 = 0, m;
	size_t i;

	for (i = 0; i < k; i++) {
		double wi = w ? w[i] : 1;

		sw += wi;
		sv += wi * v[i];
	}
	if (sw <= 0)
		return 0;
	m = sv / sw;
	for (i = 0; i < k; i++) {
		double wi = w ? w[i] : 1, dv = v[i] - m;

		s2 += wi * dv * dv;
		s3 += wi * dv * dv * dv;
	}
	return accel(s2, s3);
}

/* Turns the B resampled values into the result: sorts them, percentile
 * interval, standard error, and BCa with acceleration `a` (NaN: no BCa). */
static void finish(double *bt, long B, double est, double a, double conf,
		   struct stats_boot_ci *out)
{
	double alpha = 1 - conf, mean = 0, ss = 0, below = 0, z0, zl, zh;
	double a1, a2;
	long i;

	stats_sort(bt, (size_t)B);
	for (i = 0; i < B; i++)
		mean += bt[i];
	mean /= (double)B;
	for (i = 0; i < B; i++) {
		ss += (bt[i] - mean) * (bt[i] - mean);
		below += bt[i] < est ? 1 : bt[i] == est ? 0.5 : 0;
	}
	out->est = est;
	out->se = B > 1 ? sqrt(ss / (double)(B - 1)) : NAN;
	out->pct.lo = stats_quantile_sorted(bt, (size_t)B, alpha / 2);
	out->pct.hi = stats_quantile_sorted(bt, (size_t)B, 1 - alpha / 2);
	if (isnan(a)) {
		out->bca.lo = out->bca.hi = NAN;
		return;
	}
	if (bt[0] == bt[B - 1]) {	/* degenerate: every resample equal */
		out->bca = out->pct;
		return;
	}
	/* Keep z0 finite when the estimate is outside the resampled range. */
	below = fmin(fmax(below, 0.5), (double)B - 0.5);
	z0 = stats_norm_ppf(below / (double)B);
	zl = stats_norm_ppf(alpha / 2);
	zh = -zl;
	a1 = stats_norm_cdf(z0 + (z0 + zl) / (1 - a * (z0 + zl)));
	a2 = stats_norm_cdf(z0 + (z0 + zh) / (1 - a * (z0 + zh)));
	if (isnan(a1) || 1 - a * (z0 + zl) <= 0)
		a1 = 0;
	if (isnan(a2) || 1 - a * (z0 + zh) <= 0)
		a2 = 1;
	out->bca.lo = stats_quantile_sorted(bt, (size_t)B, a1);
	out->bca.hi = stats_quantile_sorted(bt, (size_t)B, a2);
}

/* Uniform indices in [0, n), n < 2^32, by Lemire's multiply-shift on
 * 32-bit halves of one 64-bit output (two indices per generator step).
 * `t` = 2^32 mod n is the rejection threshold that removes the bias
 * (precomputed by the caller: rejections happen with probability n/2^32). */
struct idx_draw {
	struct stats_rng *r;
	uint64_t n;
	uint32_t t;
};

static inline struct idx_draw idx_init(struct stats_rng *r, uint32_t n)
{
	struct idx_draw d = { r, n, (uint32_t)(-n) % n };

	return d;
}

static inline size_t idx_fix(const struct idx_draw *d, uint64_t m)
{
	while ((uint32_t)m < d->t)
		m = (stats_rng_next(d->r) >> 32) * d->n;
	return (size_t)(m >> 32);
}

static inline size_t idx_one(const struct idx_draw *d)
{
	return idx_fix(d, (stats_rng_next(d->r) >> 32) * d->n);
}

static inline void idx_two(const struct idx_draw *d, size_t *a, size_t *b)
{
	uint64_t x = stats_rng_next(d->r);
	uint64_t m1 = (x >> 32) * d->n, m2 = (x & 0xffffffffu) * d->n;

	*a = (uint32_t)m1 < d->t ? idx_fix(d, m1) : (size_t)(m1 >> 32);
	*b = (uint32_t)m2 < d->t ? idx_fix(d, m2) : (size_t)(m2 >> 32);
}

/* Multinomial resample of counts cnt[0..k) (total n): returns the
 * resampled weighted sum of val. */
static double multinomial_sum(struct stats_rng *r, const double *val,
			      const long *cnt, size_t k, long n)
{
	long left = n, pool = n;
	double s = 0;
	size_t j;

	for (j = 0; j + 1 < k && left > 0; j++) {
		long got = stats_rng_binomial(r, left,
					      (double)cnt[j] / (double)pool);

		s += val[j] * (double)got;
		left -= got;
		pool -= cnt[j];
	}
	if (left > 0 && k > 0)
		s += val[k - 1] * (double)left;
	return s;
}

int stats_boot_mean(const double *x, size_t n, const struct stats_boot_opt *o,
		    struct stats_boot_ci *out)
{
	long B = opt_b(o), b, cnt[MAX_DISTINCT];
	double val[MAX_DISTINCT], w[MAX_DISTINCT], *bt, est = 0, a;
	size_t i, j, k = 0;
	struct stats_rng rng;

	if (n == 0 || n > UINT32_MAX)
		return fail(out);
	for (i = 0; i < n; i++) {
		if (!isfinite(x[i]))
			return fail(out);
		est += x[i];
	}
	est /= (double)n;
	/* Count distinct values, giving up past MAX_DISTINCT. */
	for (i = 0; i < n && k <= MAX_DISTINCT; i++) {
		for (j = 0; j < k; j++)
			if (val[j] == x[i])
				break;
		if (j < k) {
			cnt[j]++;
		} else if (k < MAX_DISTINCT) {
			val[k] = x[i];
			cnt[k++] = 1;
		} else {
			k = MAX_DISTINCT + 1;
		}
	}
	stats_rng_seed(&rng, opt_seed(o));
	bt = xmalloc((size_t)B * sizeof *bt);
	if (k <= MAX_DISTINCT) {
		for (j = 0; j < k; j++)
			w[j] = (double)cnt[j];
		a = accel_mean(val, w, k);
		for (b = 0; b < B; b++)
			bt[b] = multinomial_sum(&rng, val, cnt, k, (long)n) /
				(double)n;
	} else {
		/* Two generators (the second seeded from the first) advance
		 * independently, so the CPU overlaps their dependency chains;
		 * the four sums keep the loads in flight. */
		struct stats_rng rng2;
		struct idx_draw id, id2;

		stats_rng_seed(&rng2, stats_rng_next(&rng));
		id = idx_init(&rng, (uint32_t)n);
		id2 = idx_init(&rng2, (uint32_t)n);
		a = accel_mean(x, NULL, n);
		for (b = 0; b < B; b++) {
			double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
			size_t u, v, u2, v2;

			for (i = 0; i + 3 < n; i += 4) {
				idx_two(&id, &u, &v);
				idx_two(&id2, &u2, &v2);
				s0 += x[u];
				s1 += x[v];
				s2 += x[u2];
				s3 += x[v2];
			}
			for (; i < n; i++)
				s0 += x[idx_one(&id)];
			bt[b] = (s0 + s1 + s2 + s3) / (double)n;
		}
	}
	finish(bt, B, est, a, opt_conf(o), out);
	free(bt);
	return 0;
}

int stats_boot_prop(long k, long n, const struct stats_boot_opt *o,
		    struct stats_boot_ci *out)
{
	double val[2] = { 0, 1 }, w[2];
	long cnt[2], B = opt_b(o), b;
	double *bt;
	struct stats_rng rng;

	if (n <= 0 || k < 0 || k > n)
		return fail(out);
	cnt[0] = n - k;
	cnt[1] = k;
	w[0] = (double)cnt[0];
	w[1] = (double)cnt[1];
	stats_rng_seed(&rng, opt_seed(o));
	bt = xmalloc((size_t)B * sizeof *bt);
	for (b = 0; b < B; b++)
		bt[b] = (double)stats_rng_binomial(&rng, n, (double)k /
							     (double)n) /
			(double)n;
	finish(bt, B, (double)k / (double)n, accel_mean(val, w, 2),
	       opt_conf(o), out);
	free(bt);
	return 0;
}

int stats_boot_paired_prop_diff(long a, long b, long c, long d,
				const struct stats_boot_opt *o,
				struct stats_boot_ci *out)
{
	/* per-case difference: +1 (only A passes), -1 (only B), 0 else */
	double val[3] = { 1, -1, 0 }, w[3], *bt;
	long n, B = opt_b(o), r;
	struct stats_rng rng;

	if (a < 0 || b < 0 || c < 0 || d < 0 || a + b + c + d == 0)
		return fail(out);
	n = a + b + c + d;
	w[0] = (double)b;
	w[1] = (double)c;
	w[2] = (double)(a + d);
	stats_rng_seed(&rng, opt_seed(o));
	bt = xmalloc((size_t)B * sizeof *bt);
	/* Only discordant cases move the difference: draw how many of the
	 * n resampled cases are discordant, then how many of those favour
	 * A — the same multinomial, factored, with two binomials. */
	for (r = 0; r < B; r++) {
		long disc = stats_rng_binomial(&rng, n, (double)(b + c) /
							       (double)n);
		long bs = b + c ? stats_rng_binomial(&rng, disc,
						     (double)b /
							     (double)(b + c)) :
				  0;

		bt[r] = (double)(2 * bs - disc) / (double)n;
	}
	finish(bt, B, (double)(b - c) / (double)n, accel_mean(val, w, 3),
	       opt_conf(o), out);
	free(bt);
	return 0;
}

int stats_boot_cluster_mean(const double *x, const long *cluster, size_t n,
			    const struct stats_boot_opt *o,
			    struct stats_boot_ci *out)
{
	double *sum, *bt, total = 0, s2 = 0, s3 = 0, jm = 0, *jack;
	long *count, B = opt_b(o), b;
	size_t G, g, i, nd;
	struct stats_rng rng;
	struct idx_draw id;
	double dsum[MAX_DISTINCT];
	long dcnt[MAX_DISTINCT], dmult[MAX_DISTINCT];

	if (n == 0)
		return fail(out);
	for (i = 0; i < n; i++)
		if (!isfinite(x[i]))
			return fail(out);
	G = stats_cluster_sums(x, cluster, n, &sum, &count);
	if (G < 2 || G > UINT32_MAX) {
		free(sum);
		free(count);
		return fail(out);
	}
	for (g = 0; g < G; g++)
		total += sum[g];
	/* leave-one-cluster-out jackknife for the acceleration */
	jack = xmalloc(G * sizeof *jack);
	for (g = 0; g < G; g++) {
		jack[g] = (total - sum[g]) / (double)((long)n - count[g]);
		jm += jack[g];
	}
	jm /= (double)G;
	for (g = 0; g < G; g++) {
		double dv = jm - jack[g];

		s2 += dv * dv;
		s3 += dv * dv * dv;
	}
	free(jack);
	stats_rng_seed(&rng, opt_seed(o));
	bt = xmalloc((size_t)B * sizeof *bt);
	/* Few distinct (sum, size) cluster profiles (0/1 results in
	 * clusters of a few sizes): resample profile counts, multinomially. */
	nd = 0;
	for (g = 0; g < G && nd <= MAX_DISTINCT; g++) {
		for (i = 0; i < nd; i++)
			if (dsum[i] == sum[g] && dcnt[i] == count[g])
				break;
		if (i < nd)
			dmult[i]++;
		else if (nd < MAX_DISTINCT) {
			dsum[nd] = sum[g];
			dcnt[nd] = count[g];
			dmult[nd++] = 1;
		} else
			nd = MAX_DISTINCT + 1;
	}
	if (nd <= MAX_DISTINCT) {
		for (b = 0; b < B; b++) {
			long left = (long)G, pool = (long)G, m = 0, got;
			double s = 0;

			for (i = 0; i < nd && left > 0; i++) {
				got = i + 1 == nd ? left :
				      stats_rng_binomial(&rng, left,
							 (double)dmult[i] /
								 (double)pool);
				s += dsum[i] * (double)got;
				m += dcnt[i] * got;
				left -= got;
				pool -= dmult[i];
			}
			bt[b] = s / (double)m;
		}
		goto done;
	}
	id = idx_init(&rng, (uint32_t)G);
	for (b = 0; b < B; b++) {
		double s = 0;
		long m = 0;
		size_t u, v;

		for (g = 0; g + 1 < G; g += 2) {
			idx_two(&id, &u, &v);
			s += sum[u] + sum[v];
			m += count[u] + count[v];
		}
		if (g < G) {
			u = idx_one(&id);
			s += sum[u];
			m += count[u];
		}
		bt[b] = s / (double)m;
	}
done:
	finish(bt, B, total / (double)n, accel(s2, s3), opt_conf(o), out);
	free(bt);
	free(sum);
	free(count);
	return 0;
}

int stats_boot_repeats(const double *x, const size_t *case_start,
		       size_t ncases, const struct stats_boot_opt *o,
		       struct stats_boot_ci *out)
{
	double *cmean, *bt, est = 0;
	size_t G = 0, g, i;
	long B = opt_b(o), b;
	struct stats_rng rng;
	struct idx_draw id;

	if (ncases == 0)
		return fail(out);
	cmean = xmalloc(ncases * sizeof *cmean);
	for (g = 0; g < ncases; g++) {
		size_t lo = case_start[g], hi = case_start[g + 1];
		double s = 0;

		if (hi <= lo)
			continue;
		for (i = lo; i < hi; i++) {
			if (!isfinite(x[i])) {
				free(cmean);
				return fail(out);
			}
			s += x[i];
		}
		cmean[G++] = s / (double)(hi - lo);
	}
	if (G == 0 || G > UINT32_MAX) {
		free(cmean);
		return fail(out);
	}
	for (g = 0; g < G; g++)
		est += cmean[g];
	est /= (double)G;
	stats_rng_seed(&rng, opt_seed(o));
	id = idx_init(&rng, (uint32_t)G);
	bt = xmalloc((size_t)B * sizeof *bt);
	/* resample cases, keeping each case's repeats (Davison & Hinkley
	 * 1997, sec. 3.8): a case mean already carries its within-case
	 * noise, so resampling the repeats again would count it twice */
	for (b = 0; b < B; b++) {
		double s = 0;

		for (g = 0; g < G; g++)
			s += cmean[idx_one(&id)];
		bt[b] = s / (double)G;
	}
	/* acceleration: leave-one-case-out on the case means */
	finish(bt, B, est, accel_mean(cmean, NULL, G), opt_conf(o), out);
	free(bt);
	free(cmean);
	return 0;
}

/* ---- quantiles: the binomial bridge ---------------------------------- */

/* Known points (pos, cum) of the cumulative resample counts, sorted by
 * pos: cum = number of resampled items among the first pos sorted ones.
 * Starts with (0, 0) and (n, n). */
struct bridge {
	size_t len;
	size_t pos[160];
	long cum[160];
};

/* Smallest position j (1..n) with cum_j >= kk, sampling midpoints as
 * needed.  Each new point is drawn conditionally on its known neighbours,
 * which is exact because the cumulative count is a Markov chain. */
static size_t bridge_find(struct bridge *br, struct stats_rng *r, long kk)
{
	size_t h;

	for (;;) {
		size_t lo, hi, mid;
		long got;

		/* bracket: first known point with cum >= kk is at index h */
		for (h = 1; h < br->len && br->cum[h] < kk; h++)
			;
		lo = br->pos[h - 1];
		hi = br->pos[h];
		if (hi - lo <= 1 || br->len == sizeof br->pos / sizeof br->pos[0])
			return hi;
		mid = lo + (hi - lo) / 2;
		got = br->cum[h - 1] +
		      stats_rng_binomial(r, br->cum[h] - br->cum[h - 1],
					 (double)(mid - lo) /
						 (double)(hi - lo));
		memmove(br->pos + h + 1, br->pos + h,
			(br->len - h) * sizeof br->pos[0]);
		memmove(br->cum + h + 1, br->cum + h,
			(br->len - h) * sizeof br->cum[0]);
		br->pos[h] = mid;
		br->cum[h] = got;
		br->len++;
	}
}

int stats_boot_quantile(const double *sorted, size_t n, double q,
			const struct stats_boot_opt *o,
			struct stats_boot_ci *out)
{
	long B = opt_b(o), b, k;
	double *bt, h, frac;
	struct stats_rng rng;
	struct bridge br;

	if (n == 0 || isnan(q) || q < 0 || q > 1 || n > (size_t)1 << 60)
		return fail(out);
	h = (double)(n - 1) * q;
	k = (long)floor(h) + 1;		/* 1-based order statistic */
	frac = h - floor(h);
	stats_rng_seed(&rng, opt_seed(o));
	bt = xmalloc((size_t)B * sizeof *bt);
	for (b = 0; b < B; b++) {
		size_t j1, j2;

		br.len = 2;
		br.pos[0] = 0;
		br.cum[0] = 0;
		br.pos[1] = n;
		br.cum[1] = (long)n;
		j1 = bridge_find(&br, &rng, k);
		if (frac > 0 && (size_t)k < n) {
			j2 = bridge_find(&br, &rng, k + 1);
			bt[b] = sorted[j1 - 1] +
				frac * (sorted[j2 - 1] - sorted[j1 - 1]);
		} else {
			bt[b] = sorted[j1 - 1];
		}
	}
	finish(bt, B, stats_quantile_sorted(sorted, n, q), NAN, opt_conf(o),
	       out);
	free(bt);
	return 0;
}
