/* bt.c — Bradley–Terry by the MM (Zermelo) iteration and its comparison
 * bootstrap (bt.h).
 *
 * With w_i the wins of i (ties 1/2 each) and n_ij the comparisons of i
 * and j, the MLE solves w_i = sum_j n_ij p_i / (p_i + p_j); the update
 * p_i <- w_i / sum_j n_ij / (p_i + p_j) increases the likelihood at every
 * step (Hunter 2004) and converges to it when the comparison graph is
 * strongly connected. */
#include "bt.h"

#include <math.h>
#include <stdlib.h>

#include "rng.h"
#include "../util/xalloc.h"

#define BT_MAX_ITER 10000
#define BT_TOL 1e-10

static void normalise(double *p, size_t k)
{
	double s = 0;
	for (size_t i = 0; i < k; i++)
		s += log(p[i]);
	s = exp(s / (double)k);
	for (size_t i = 0; i < k; i++)
		p[i] /= s;
}

int stats_bt_fit(const struct stats_bt_cmp *c, size_t n, size_t k,
		 double prior, double *p)
{
	if (k < 2)
		return -1;
	double *w = xcalloc(k, sizeof *w), *m = xcalloc(k * k, sizeof *m);
	for (size_t t = 0; t < n; t++) {
		size_t a = (size_t)c[t].a, b = (size_t)c[t].b;
		if (a >= k || b >= k || a == b)
			continue;
		m[a * k + b] += 1;
		m[b * k + a] += 1;
		if (c[t].winner == c[t].a)
			w[a] += 1;
		else if (c[t].winner == c[t].b)
			w[b] += 1;
		else {
			w[a] += 0.5;
			w[b] += 0.5;
		}
	}
	for (size_t i = 0; prior > 0 && i < k; i++)
		for (size_t j = 0; j < k; j++)
			if (i != j && m[i * k + j] > 0) {
				m[i * k + j] += prior;
				w[i] += prior / 2;
			}
	for (size_t i = 0; i < k; i++)
		p[i] = 1;
	int it;
	for (it = 1; it <= BT_MAX_ITER; it++) {
		double change = 0;
		for (size_t i = 0; i < k; i++) {
			double d = 0;
			for (size_t j = 0; j < k; j++)
				if (j != i && m[i * k + j] > 0)
					d += m[i * k + j] / (p[i] + p[j]);
			double np = d > 0 ? w[i] / d : p[i];
			if (np < 1e-6)
				np = 1e-6;
			change = fmax(change, fabs(log(np) - log(p[i])));
			p[i] = np;
		}
		normalise(p, k);
		for (size_t i = 0; i < k; i++)
			p[i] = fmin(fmax(p[i], 1e-6), 1e6);
		if (change < BT_TOL)
			break;
	}
	free(w);
	free(m);
	return it > BT_MAX_ITER ? BT_MAX_ITER : it;
}

double stats_bt_score(double p)
{
	return 1000 + 400 * log10(p);
}

void stats_bt_ci(const struct stats_bt_cmp *c, size_t n, size_t k,
		 double prior, size_t reps, uint64_t seed, double conf,
		 struct interval *ci)
{
	struct stats_bt_cmp *s = xcalloc(n ? n : 1, sizeof *s);
	double *p = xcalloc(k ? k : 1, sizeof *p);
	double *sc = xcalloc((reps ? reps : 1) * (k ? k : 1), sizeof *sc);
	double *col = xcalloc(reps ? reps : 1, sizeof *col);
	struct stats_rng rng;
	stats_rng_seed(&rng, seed);
	for (size_t b = 0; b < reps && n; b++) {
		for (size_t t = 0; t < n; t++)
			s[t] = c[stats_rng_below(&rng, n)];
		stats_bt_fit(s, n, k, prior, p);
		for (size_t i = 0; i < k; i++)
			sc[i * reps + b] = stats_bt_score(p[i]);
	}
	for (size_t i = 0; i < k; i++) {
		ci[i].lo = ci[i].hi = NAN;
		if (!n || reps < 20)
			continue;
		for (size_t b = 0; b < reps; b++)
			col[b] = sc[i * reps + b];
		stats_sort(col, reps);
		ci[i].lo = stats_quantile_sorted(col, reps, (1 - conf) / 2);
		ci[i].hi = stats_quantile_sorted(col, reps, (1 + conf) / 2);
	}
	free(s);
	free(p);
	free(sc);
	free(col);
}
