/* bt.c — Bradley–Terry by the MM (Zermelo) iteration and its comparison
 * bootstrap (bt.h).
 *
 * With w_i the wins of i (ties 1/2 each) and n_ij the comparisons of i
 * and j, the MLE solves w_i = sum_j n_ij p_i / (p_i + p_j); the update
 * p_i <- w_i / sum_j n_ij / (p_i + p_j) increases the likelihood at every
 * step (Hunter 2004) and converges to it when the comparison graph is
 * strongly connected.
 *
 * The bootstrap refits each resample with Newton's method from the whole
 * sample's fit (a few steps; the MM iteration is linear and took ~20–35),
 * then MM to a change below BT_BOOT_TOL: the same maxima (checked against
 * plain fits in test_stats_agree.c), 2.6× faster, which lets the coverage
 * test run the report's own configuration. */
#include "bt.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include "rng.h"
#include "../util/xalloc.h"

#define BT_MAX_ITER 10000
#define BT_TOL 1e-10
/* A bootstrap refit stops at a change of log strength below 1e-7: a
 * score within 400 / ln 10 × 1e-7 ≈ 2e-5 points of the exact refit, far
 * below the resolution of a percentile of 1,000 resamples. */
#define BT_BOOT_TOL 1e-7

/* The MM iteration from the strengths in p (any positive start: the
 * update is scale-equivariant and the log-likelihood concave in log p, so
 * every start reaches the same maximum).  lp holds log p; one log per
 * player and iteration (the change and the normaliser both come from
 * it).  Returns the iterations used. */
static int mm(const double *w, const double *m, size_t k, double tol, double *p,
	      double *lp)
{
	int it;
	for (size_t i = 0; i < k; i++)
		lp[i] = log(p[i]);
	for (it = 1; it <= BT_MAX_ITER; it++) {
		double change = 0, s = 0, g;
		for (size_t i = 0; i < k; i++) {
			double d = 0, np, l;
			for (size_t j = 0; j < k; j++)
				if (j != i && m[i * k + j] > 0)
					d += m[i * k + j] / (p[i] + p[j]);
			np = d > 0 ? w[i] / d : p[i];
			if (np < 1e-6)
				np = 1e-6;
			l = log(np);
			change = fmax(change, fabs(l - lp[i]));
			p[i] = np;
			lp[i] = l;
		}
		/* geometric mean 1, then the bounds */
		for (size_t i = 0; i < k; i++)
			s += lp[i];
		s /= (double)k;
		g = exp(s);
		for (size_t i = 0; i < k; i++) {
			p[i] /= g;
			lp[i] -= s;
			if (p[i] < 1e-6 || p[i] > 1e6) {
				p[i] = fmin(fmax(p[i], 1e-6), 1e6);
				lp[i] = log(p[i]);
			}
		}
		if (change < tol)
			break;
	}
	return it > BT_MAX_ITER ? BT_MAX_ITER : it;
}

/* The log-likelihood at log strengths th (w, m as tallied). */
static double loglik(const double *w, const double *m, size_t k, const double *th)
{
	double l = 0;
	for (size_t i = 0; i < k; i++) {
		l += w[i] * th[i];
		for (size_t j = i + 1; j < k; j++)
			if (m[i * k + j] > 0) {
				double hi = fmax(th[i], th[j]);
				l -= m[i * k + j] * (hi + log(exp(th[i] - hi) + exp(th[j] - hi)));
			}
	}
	return l;
}

/* Newton's method on the log strengths, from p: converges in a few steps
 * where the MM iteration takes twenty or more (it is linear).  The
 * Hessian is singular along (1, …, 1) (only differences are identified),
 * so the system solved is (−H + J) δ = g with J all ones: the gradient sums
 * to 0, so δ does too.  A step that does not raise the likelihood, or a
 * singular system, stops it; mm() then finishes from where it got, so the
 * stopping rule and the bounds are mm()'s.  Scratch: a[k*(k+1)], th[k]. */
static void newton(const double *w, const double *m, size_t k, double *p,
		   double *a, double *th)
{
	double l0;
	for (size_t i = 0; i < k; i++)
		th[i] = log(p[i]);
	l0 = loglik(w, m, k, th);
	for (int it = 0; it < 30; it++) {
		size_t n1 = k + 1;
		double big = 0, l1;
		for (size_t i = 0; i < k; i++) {
			double g = w[i], hii = 0;
			for (size_t j = 0; j < k; j++) {
				double pij, h;
				a[i * n1 + j] = 1;
				if (j == i || !(m[i * k + j] > 0))
					continue;
				pij = 1 / (1 + exp(th[j] - th[i]));
				h = m[i * k + j] * pij * (1 - pij);
				g -= m[i * k + j] * pij;
				a[i * n1 + j] -= h;
				hii += h;
			}
			a[i * n1 + i] += hii;
			a[i * n1 + k] = g;
		}
		/* Gaussian elimination with partial pivoting */
		for (size_t c = 0; c < k; c++) {
			size_t piv = c;
			for (size_t r = c + 1; r < k; r++)
				if (fabs(a[r * n1 + c]) > fabs(a[piv * n1 + c]))
					piv = r;
			if (!(fabs(a[piv * n1 + c]) > 1e-12))
				return;
			for (size_t j = 0; piv != c && j < n1; j++) {
				double t = a[c * n1 + j];
				a[c * n1 + j] = a[piv * n1 + j];
				a[piv * n1 + j] = t;
			}
			for (size_t r = c + 1; r < k; r++) {
				double f = a[r * n1 + c] / a[c * n1 + c];
				for (size_t j = c; j < n1; j++)
					a[r * n1 + j] -= f * a[c * n1 + j];
			}
		}
		for (size_t c = k; c-- > 0;) {
			double v = a[c * n1 + k];
			for (size_t j = c + 1; j < k; j++)
				v -= a[c * n1 + j] * a[j * n1 + k];
			a[c * n1 + k] = v / a[c * n1 + c];
		}
		for (size_t i = 0; i < k; i++) {
			a[i * n1 + k] += th[i];        /* the candidate step */
			big = fmax(big, fabs(a[i * n1 + k] - th[i]));
		}
		for (size_t i = 0; i < k; i++)
			a[i] = a[i * n1 + k];          /* row 0 is no longer needed */
		l1 = loglik(w, m, k, a);
		if (!isfinite(l1) || l1 < l0 || big > 20)
			return;
		for (size_t i = 0; i < k; i++)
			th[i] = a[i];
		l0 = l1;
		for (size_t i = 0; i < k; i++)
			p[i] = exp(th[i]);
		if (big < BT_BOOT_TOL)
			return;
	}
}

/* Wins (ties half each) and meetings of the comparisons, with the prior's
 * pseudo-ties on every pair that met.  w[k], m[k*k] zeroed by the caller. */
static void tally(const struct stats_bt_cmp *c, size_t n, size_t k, double prior,
		  double *w, double *m)
{
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
}

int stats_bt_fit(const struct stats_bt_cmp *c, size_t n, size_t k,
		 double prior, double *p)
{
	if (k < 2)
		return -1;
	double *w = xcalloc(k, sizeof *w), *m = xcalloc(k * k, sizeof *m);
	double *lp = xcalloc(k, sizeof *lp);
	int it;
	tally(c, n, k, prior, w, m);
	for (size_t i = 0; i < k; i++)
		p[i] = 1;
	it = mm(w, m, k, BT_TOL, p, lp);
	free(w);
	free(m);
	free(lp);
	return it;
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
	double *p0 = xcalloc(k ? k : 1, sizeof *p0), *lp = xcalloc(k ? k : 1, sizeof *lp);
	double *w = xcalloc(k ? k : 1, sizeof *w), *m = xcalloc(k ? k * k : 1, sizeof *m);
	double *na = xcalloc(k ? k * (k + 1) : 1, sizeof *na);
	struct stats_rng rng;
	stats_rng_seed(&rng, seed);
	/* each resample's fit starts from the whole sample's (the same
	 * maximum, reached in fewer iterations) */
	if (k >= 2)
		stats_bt_fit(c, n, k, prior, p0);
	for (size_t b = 0; b < reps && n && k >= 2; b++) {
		for (size_t t = 0; t < n; t++)
			s[t] = c[stats_rng_below(&rng, n)];
		for (size_t i = 0; i < k; i++) {
			w[i] = 0;
			p[i] = p0[i];
		}
		for (size_t i = 0; i < k * k; i++)
			m[i] = 0;
		tally(s, n, k, prior, w, m);
		bool all_met = true;
		for (size_t i = 0; i < k && all_met; i++) {
			double row = 0;
			for (size_t j = 0; j < k; j++)
				row += m[i * k + j];
			all_met = row > 0;
		}
		if (prior > 0 && all_met) {
			newton(w, m, k, p, na, lp);
			mm(w, m, k, BT_BOOT_TOL, p, lp);
		} else {
			/* without the prior a resample can have no finite MLE (a
			 * player, or a group, that won or lost everything), and a
			 * player left out of a resample has no strength of its own:
			 * where the iteration ends then depends on its start, so it
			 * starts where stats_bt_fit does */
			for (size_t i = 0; i < k; i++)
				p[i] = 1;
			mm(w, m, k, BT_TOL, p, lp);
		}
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
	free(p0);
	free(na);
	free(lp);
	free(w);
	free(m);
	free(sc);
	free(col);
}
