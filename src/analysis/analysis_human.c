/* analysis_human.c — statistics from human grades (docs/statistics.md,
 * "Human grades"): per candidate the mean rating (CR1 by case, t(G-1))
 * and the "would ship" rate (design-adjusted Wilson by case); pairwise
 * win rates (Wilson, ties apart), a Bradley–Terry ranking with bootstrap
 * intervals, reviewers' position bias (share of left choices, Wilson and
 * exact binomial test); agreement between reviewers (Cohen's kappa for
 * two, Krippendorff's alpha) and between the reviewers' ship verdict and
 * the stored pass, the judge's assertions and the rule assertions. */
#include "analysis_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../stats/agree.h"
#include "../stats/bt.h"
#include "../stats/cluster.h"
#include "../stats/design.h"
#include "../stats/prop.h"
#include "../score/score.h"
#include "../store/store_human.h"
#include "../util/err.h"
#include "../util/xalloc.h"

struct hg {
	int64_t rid, orid, pref;
	int grader, pair, rating, ship;
};

struct hres {
	int64_t id;
	int cand, judge, rules;   /* judge/rules: 1 pass, 0 fail, -1 none */
	long cs;                  /* case */
	int pass;                 /* 1, 0, -1 */
};

struct hctx {
	const struct rs_run *r;
	struct store *st;
	struct hg *g;
	size_t ng, capg;
	char **graders;
	size_t ngr;
	struct hres *res;
	size_t nres, capres;
};

static int grader_id(struct hctx *h, const char *name)
{
	for (size_t i = 0; i < h->ngr; i++)
		if (!strcmp(h->graders[i], name))
			return (int)i;
	h->graders = xrealloc(h->graders, (h->ngr + 1) * sizeof *h->graders);
	h->graders[h->ngr] = xstrdup(name);
	return (int)h->ngr++;
}

static int on_grade(void *ud, const struct store_human_grade *g)
{
	struct hctx *h = ud;
	if (!g->kind || !g->grader)
		return 0;
	if (h->ng == h->capg) {
		h->capg = h->capg ? 2 * h->capg : 64;
		h->g = xrealloc(h->g, h->capg * sizeof *h->g);
	}
	struct hg *x = &h->g[h->ng++];
	x->rid = g->result_id;
	x->orid = g->other_result_id;
	x->pref = g->preferred;
	x->grader = grader_id(h, g->grader);
	x->pair = !strcmp(g->kind, "pairwise");
	x->rating = g->rating;
	x->ship = g->ship;
	return 0;
}

static int cand_of(const struct rs_run *r, size_t prov, size_t prompt)
{
	for (size_t i = 0; i < r->ncands; i++)
		if ((size_t)r->cands[i].prov == prov &&
		    (size_t)r->cands[i].prompt == prompt)
			return (int)i;
	return -1;
}

static int on_result(void *ud, const struct store_result *r)
{
	struct hctx *h = ud;
	if (h->nres == h->capres) {
		h->capres = h->capres ? 2 * h->capres : 256;
		h->res = xrealloc(h->res, h->capres * sizeof *h->res);
	}
	struct hres *x = &h->res[h->nres++];
	x->id = r->id;
	x->cand = cand_of(h->r, r->provider_idx, r->prompt_idx);
	x->cs = (long)r->case_idx;
	x->pass = r->pass;
	x->judge = x->rules = -1;
	return 0;
}

static struct hres *find_res(struct hctx *h, int64_t id)
{
	size_t lo = 0, hi = h->nres;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (h->res[mid].id == id)
			return &h->res[mid];
		if (h->res[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int cmp_res(const void *a, const void *b)
{
	int64_t x = ((const struct hres *)a)->id, y = ((const struct hres *)b)->id;
	return (x > y) - (x < y);
}

static int on_assert(void *ud, const struct store_assert *a)
{
	struct hres *x = ud;
	int *slot = score_type_judged(a->type) ? &x->judge : &x->rules;
	*slot = (*slot == -1 ? 1 : *slot) && a->pass;
	return 0;
}

/* ---- per candidate ---------------------------------------------------- */

static void mean_rating(const double *x, const long *cl, size_t n,
			struct rs_hcand *o)
{
	struct stats_cluster_ci c = stats_cluster_mean_ci(x, cl, n, 0.95);
	o->r_est = c.est;
	o->r_lo = isnan(c.lo) ? NAN : fmax(1, c.lo);
	o->r_hi = isnan(c.hi) ? NAN : fmin(5, c.hi);
	o->r_n = (long)n;
	o->r_clusters = (long)c.clusters;
}

static void ship_rate(const double *x, const long *cl, size_t n,
		      struct rs_hcand *o)
{
	struct stats_design_ci d;
	long k = 0;
	for (size_t i = 0; i < n; i++)
		k += x[i] > 0.5;
	o->s_est = o->s_lo = o->s_hi = NAN;
	if (!n || stats_prop_design(x, cl, n, 0.95, &d))
		return;
	o->ship_ok = true;
	o->s_est = d.est;
	o->s_lo = d.lo;
	o->s_hi = d.hi;
	o->s_k = k;
	o->s_n = (long)n;
	o->s_clusters = (long)d.d.clusters;
}

static void ratings(struct hctx *h, struct rs_human *out)
{
	double *xr = xcalloc(h->ng + 1, sizeof *xr), *xs = xcalloc(h->ng + 1, sizeof *xs);
	long *cr = xcalloc(h->ng + 1, sizeof *cr), *cs = xcalloc(h->ng + 1, sizeof *cs);
	out->cands = xcalloc(h->r->ncands ? h->r->ncands : 1, sizeof *out->cands);
	for (size_t c = 0; c < h->r->ncands; c++) {
		size_t nr = 0, ns = 0;
		struct rs_hcand *o;
		for (size_t i = 0; i < h->ng; i++) {
			struct hres *x;
			if (h->g[i].pair || !(x = find_res(h, h->g[i].rid)) ||
			    x->cand != (int)c)
				continue;
			if (h->g[i].rating > 0) {
				xr[nr] = h->g[i].rating;
				cr[nr++] = x->cs;
			}
			if (h->g[i].ship >= 0) {
				xs[ns] = h->g[i].ship;
				cs[ns++] = x->cs;
			}
		}
		if (!nr && !ns)
			continue;
		o = &out->cands[out->ncands++];
		o->cand = c;
		mean_rating(xr, cr, nr, o);
		ship_rate(xs, cs, ns, o);
	}
	free(xr); free(xs); free(cr); free(cs);
}

/* ---- pairwise --------------------------------------------------------- */

static void pairwise(struct hctx *h, const struct stats_opts *o,
		     struct rs_human *out)
{
	size_t k = h->r->ncands, n = 0;
	struct stats_bt_cmp *c = xcalloc(h->ng + 1, sizeof *c);
	long left = 0, nonties = 0, ties = 0;
	long *w = xcalloc(k * k + 1, sizeof *w), *t = xcalloc(k * k + 1, sizeof *t);
	for (size_t i = 0; i < h->ng; i++) {
		struct hres *a, *b;
		if (!h->g[i].pair || !(a = find_res(h, h->g[i].rid)) ||
		    !(b = find_res(h, h->g[i].orid)) || a->cand < 0 || b->cand < 0)
			continue;
		c[n].a = a->cand;
		c[n].b = b->cand;
		c[n].winner = h->g[i].pref == a->id ? a->cand
			: h->g[i].pref == b->id ? b->cand : -1;
		if (c[n].winner < 0) {
			ties++;
			t[(size_t)a->cand * k + (size_t)b->cand]++;
			t[(size_t)b->cand * k + (size_t)a->cand]++;
		} else {
			nonties++;
			left += c[n].winner == a->cand;
			int loser = c[n].winner == a->cand ? b->cand : a->cand;
			w[(size_t)c[n].winner * k + (size_t)loser]++;
		}
		n++;
	}
	if (!n) {
		free(c); free(w); free(t);
		return;
	}
	out->has_pairwise = true;
	out->comparisons = (long)n;
	out->ties = ties;
	out->wins = xcalloc(k * k + 1, sizeof *out->wins);
	for (size_t i = 0; i < k; i++)
		for (size_t j = i + 1; j < k; j++) {
			long wi = w[i * k + j], wj = w[j * k + i], tt = t[i * k + j];
			struct rs_hwin *e;
			struct interval wl;
			if (!wi && !wj && !tt)
				continue;
			e = &out->wins[out->nwins++];
			wl = stats_wilson(wi, wi + wj, 0.95);
			e->a = i;
			e->b = j;
			e->wins_a = wi;
			e->wins_b = wj;
			e->ties = tt;
			e->est = wi + wj ? (double)wi / (double)(wi + wj) : NAN;
			e->lo = wl.lo;
			e->hi = wl.hi;
		}
	double *p = xcalloc(k, sizeof *p);
	struct interval *ci = xcalloc(k, sizeof *ci);
	long reps = o && o->resamples > 0 && o->resamples < 1000 ? o->resamples : 1000;
	stats_bt_fit(c, n, k, 1.0, p);
	stats_bt_ci(c, n, k, 1.0, (size_t)reps, o ? o->seed : 0, 0.95, ci);
	out->bt = xcalloc(k ? k : 1, sizeof *out->bt);
	for (size_t i = 0; i < k; i++) {
		bool met = false;
		for (size_t j = 0; j < k; j++)
			met = met || w[i * k + j] || w[j * k + i] || t[i * k + j];
		if (!met)
			continue;
		out->bt[out->nbt].cand = i;
		out->bt[out->nbt].est = stats_bt_score(p[i]);
		out->bt[out->nbt].lo = ci[i].lo;
		out->bt[out->nbt].hi = ci[i].hi;
		out->nbt++;
	}
	out->bt_resamples = reps;
	{
		struct interval pb = stats_wilson(left, nonties, 0.95);
		out->left = left;
		out->nonties = nonties;
		out->pos_est = nonties ? (double)left / (double)nonties : NAN;
		out->pos_lo = pb.lo;
		out->pos_hi = pb.hi;
		out->pos_p = NAN;
	}
	if (nonties) {
		double lo = stats_binom_cdf(left, nonties, 0.5);
		double up = left ? 1 - stats_binom_cdf(left - 1, nonties, 0.5) : 1;
		out->pos_p = fmin(1, 2 * fmin(lo, up));
	}
	free(p); free(ci); free(c); free(w); free(t);
}

/* ---- agreement -------------------------------------------------------- */

static struct rs_hkappa kappa(const int *a, const int *b, size_t n)
{
	struct stats_kappa k = stats_cohen_kappa(a, b, n, 0.95);
	struct rs_hkappa o = { .present = true, .est = k.kappa,
			       .lo = k.ci.lo, .hi = k.ci.hi, .observed = k.po,
			       .se = k.se, .n = (long)k.n };
	return o;
}

/* The reviewers' ship verdict of result x: the majority of their yes/no,
 * -1 when none or a tie. */
static int ship_verdict(struct hctx *h, int64_t id)
{
	int yes = 0, no = 0;
	for (size_t i = 0; i < h->ng; i++)
		if (!h->g[i].pair && h->g[i].rid == id && h->g[i].ship >= 0)
			*(h->g[i].ship ? &yes : &no) += 1;
	return yes == no ? -1 : yes > no;
}

static void agreement(struct hctx *h, const struct stats_opts *o,
		      struct rs_human *out)
{
	size_t nu = 0, R = h->ngr;
	int64_t *units = xcalloc(h->ng + 1, sizeof *units);
	for (size_t i = 0; i < h->ng; i++) {
		bool seen = false;
		if (h->g[i].pair)
			continue;
		for (size_t u = 0; u < nu && !seen; u++)
			seen = units[u] == h->g[i].rid;
		if (!seen)
			units[nu++] = h->g[i].rid;
	}
	double *vr = xcalloc(nu * R + 1, sizeof *vr), *vs = xcalloc(nu * R + 1, sizeof *vs);
	for (size_t i = 0; i < nu * R; i++)
		vr[i] = vs[i] = NAN;
	for (size_t i = 0; i < h->ng; i++) {
		size_t u = 0;
		if (h->g[i].pair)
			continue;
		while (units[u] != h->g[i].rid)
			u++;
		if (h->g[i].rating > 0)
			vr[u * R + (size_t)h->g[i].grader] = h->g[i].rating;
		if (h->g[i].ship >= 0)
			vs[u * R + (size_t)h->g[i].grader] = h->g[i].ship;
	}
	out->reviewers = (long)R;
	if (R >= 2) {
		uint64_t seed = o ? o->seed : 0;
		struct interval ci;
		out->has_alpha = true;
		out->a_rating = stats_kripp_alpha(vr, nu, R, STATS_ALPHA_ORDINAL);
		ci = stats_kripp_alpha_ci(vr, nu, R, STATS_ALPHA_ORDINAL, 1000,
					  seed, 0.95);
		out->a_rating_lo = ci.lo;
		out->a_rating_hi = ci.hi;
		out->a_ship = stats_kripp_alpha(vs, nu, R, STATS_ALPHA_NOMINAL);
		ci = stats_kripp_alpha_ci(vs, nu, R, STATS_ALPHA_NOMINAL, 1000,
					  seed, 0.95);
		out->a_ship_lo = ci.lo;
		out->a_ship_hi = ci.hi;
	}
	if (R == 2) {
		int *a = xcalloc(nu + 1, sizeof *a), *b = xcalloc(nu + 1, sizeof *b);
		size_t n = 0;
		for (size_t u = 0; u < nu; u++)
			if (!isnan(vs[u * 2]) && !isnan(vs[u * 2 + 1])) {
				a[n] = (int)vs[u * 2];
				b[n++] = (int)vs[u * 2 + 1];
			}
		out->kappa_ship = kappa(a, b, n);
		free(a); free(b);
	}
	/* human ship verdict vs the stored pass, the judge and the rules */
	int *hv = xcalloc(nu + 1, sizeof *hv), *pv = xcalloc(nu + 1, sizeof *pv);
	int *jv = xcalloc(nu + 1, sizeof *jv), *rv = xcalloc(nu + 1, sizeof *rv);
	int *hj = xcalloc(nu + 1, sizeof *hj), *hr = xcalloc(nu + 1, sizeof *hr);
	size_t np = 0, nj = 0, nr = 0;
	for (size_t u = 0; u < nu; u++) {
		struct hres *x = find_res(h, units[u]);
		int v = ship_verdict(h, units[u]);
		if (!x || v < 0)
			continue;
		if (x->pass == 0 || x->pass == 1) {
			hv[np] = v;
			pv[np++] = x->pass;
		}
		if (x->judge >= 0) {
			hj[nj] = v;
			jv[nj++] = x->judge;
		}
		if (x->rules >= 0) {
			hr[nr] = v;
			rv[nr++] = x->rules;
		}
	}
	out->vs_pass = kappa(hv, pv, np);
	if (nj)
		out->vs_judge = kappa(hj, jv, nj);
	if (nr)
		out->vs_rules = kappa(hr, rv, nr);
	free(hv); free(pv); free(jv); free(rv); free(hj); free(hr);
	free(units); free(vr); free(vs);
}

int rs_human(struct store *st, int64_t run_id, const struct rs_run *r,
	     const struct stats_opts *o, struct rs_human *out, struct err *err)
{
	struct hctx h = { .r = r, .st = st };
	int rc;
	memset(out, 0, sizeof *out);
	out->computed = true;
	if ((rc = store_human_list(st, run_id, on_grade, &h, err)))
		goto done;
	if (!h.ng)
		goto done;
	if ((rc = store_results_each(st, run_id, on_result, &h, err)))
		goto done;
	qsort(h.res, h.nres, sizeof *h.res, cmp_res);
	for (size_t i = 0; i < h.ng; i++) {
		struct hres *x = find_res(&h, h.g[i].rid);
		if (x && !h.g[i].pair && x->judge == -1 && x->rules == -1 &&
		    (rc = store_asserts_each(st, x->id, on_assert, x, err)))
			goto done;
	}
	out->present = true;
	out->graders = h.graders;
	out->ngraders = h.ngr;
	h.graders = NULL;
	out->grades = (long)h.ng;
	ratings(&h, out);
	pairwise(&h, o, out);
	agreement(&h, o, out);
done:
	for (size_t i = 0; h.graders && i < h.ngr; i++)
		free(h.graders[i]);
	free(h.graders);
	free(h.g);
	free(h.res);
	if (rc) {
		rs_human_free(out);
		if (!err->code)
			err_set(err, ST_DB, "reading human grades");
		return err->code;
	}
	return 0;
}

void rs_human_free(struct rs_human *h)
{
	for (size_t i = 0; i < h->ngraders; i++)
		free(h->graders[i]);
	free(h->graders);
	free(h->cands);
	free(h->wins);
	free(h->bt);
	memset(h, 0, sizeof *h);
}
