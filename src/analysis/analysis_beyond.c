/* analysis_beyond.c — the figures beyond accuracy, per candidate:
 * calibration (ECE, Brier, reliability, selective accuracy), refusals
 * (over- and under-refusal), failure modes (by tag, by assertion, by
 * severity, systematic weaknesses) and the classification view
 * (confusion matrix, per-class precision / recall / F1, frequent
 * confusions, expected cost of errors).
 *
 * Each fills its part of a run_stats; `present` is false when the suite
 * does not ask for the section.  Formulas: docs/statistics.md. */
#include "analysis_int.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../util/xalloc.h"

#define Z95 1.959963984540054

/* Wilson of k/n at the effective size n / deff. */
static struct rs_rate wilson_deff(long k, long n, double deff)
{
	struct interval w;
	struct rs_rate r;
	if (deff <= 1 || !n)
		return rs_wilson(k, n);
	w = stats_wilson_eff((double)k / (double)n, (double)n / deff, Z95);
	r = rs_wilson(k, n);
	r.kind = RS_RATE_DEFF;
	r.lo = w.lo;
	r.hi = w.hi;
	r.deff = deff;
	return r;
}

/* ---- rates that count cases, not attempts ---------------------------------- */

void rs_acc_init(struct rs_rate_acc *q, const struct rs_run *r)
{
	memset(q, 0, sizeof *q);
	q->seen = xcalloc(r->ncases ? r->ncases : 1, sizeof *q->seen);
}

void rs_acc_add(struct rs_rate_acc *q, const struct rs_run *r, uint32_t c,
		double v)
{
	if (q->n == q->cap) {
		q->cap = q->cap ? 2 * q->cap : 16;
		q->x = xrealloc(q->x, q->cap * sizeof *q->x);
		q->cl = xrealloc(q->cl, q->cap * sizeof *q->cl);
	}
	q->x[q->n] = v;
	q->cl[q->n++] = r->has_clusters ? r->cases[c].cluster : (long)c;
	q->repeats = q->repeats || ++q->seen[c] > 1;
}

void rs_acc_free(struct rs_rate_acc *q)
{
	free(q->x);
	free(q->cl);
	free(q->seen);
}

/* Wilson, or with repeats or clusters the design-adjusted Wilson of the
 * pass rate (repeats of one case are not independent outcomes); `units`
 * says how many units the rate rests on. */
struct rs_rate rs_acc_rate(const struct rs_run *r, const struct rs_rate_acc *q)
{
	long k = 0;
	struct rs_rate o;
	struct stats_design_ci ci;
	for (size_t i = 0; i < q->n; i++)
		k += q->x[i] > 0.5;
	if (!q->n || (!q->repeats && !r->has_clusters))
		return rs_wilson(k, (long)q->n);
	stats_prop_design(q->x, q->cl, q->n, 0.95, &ci);
	o.kind = RS_RATE_DESIGN;
	o.k = k;
	o.n = (long)q->n;
	o.est = ci.est;
	o.lo = ci.lo;
	o.hi = ci.hi;
	o.deff = ci.d.deff;
	o.units = (long)ci.d.clusters;
	return o;
}

/* The design effect of a candidate's graded results (1 without repeats
 * or clusters), for tests that need effective counts. */
static double cand_deff(const struct rs_run *r, const struct rs_cand *c)
{
	struct rs_rate_acc q;
	double deff = 1;
	rs_acc_init(&q, r);
	for (size_t i = 0; i < c->n; i++) {
		const struct rs_item it = rs_at(c, i);
		if (it.pass >= 0 && it.c < r->ncases)
			rs_acc_add(&q, r, it.c, it.pass);
	}
	if (q.n && (q.repeats || r->has_clusters)) {
		struct stats_design_ci ci;
		stats_prop_design(q.x, q.cl, q.n, 0.95, &ci);
		deff = ci.d.deff;
	}
	rs_acc_free(&q);
	return deff;
}

/* ---- calibration ---------------------------------------------------------- */

void rs_calibration(const struct rs_run *r, const struct rs_cand *c,
		    struct rs_calib *k)
{
	static const double cov[3] = { 0.5, 0.8, 0.9 };
	double *p, *y, sp = 0, sy = 0;
	size_t n = 0, graded = 0;
	memset(k, 0, sizeof *k);
	if (!r->has_conf)
		return;
	k->present = true;
	p = xmalloc((c->n ? c->n : 1) * sizeof *p);
	y = xmalloc((c->n ? c->n : 1) * sizeof *y);
	for (size_t i = 0; i < c->n; i++) {
		const struct rs_item it_ = rs_at(c, i), *it = &it_;
		if (it->pass < 0)
			continue;
		graded++;
		if (isnan(it->conf))
			continue;
		p[n] = it->conf;
		y[n++] = it->pass;
		sp += it->conf;
		sy += it->pass;
	}
	k->n = (long)n;
	k->without = (long)(graded - n);
	if (n) {
		k->mean_conf = sp / (double)n;
		k->accuracy = sy / (double)n;
		k->overconf = (sp - sy) / (double)n;
		k->ece_mass = stats_ece(p, y, n, STATS_BIN_MASS, 10);
		k->ece_width = stats_ece(p, y, n, STATS_BIN_WIDTH, 10);
		k->brier = stats_brier(p, y, n);
		k->has_rel = !stats_reliability(p, y, n, STATS_BIN_WIDTH, 10,
						k->rel);
		k->has_rel_mass = !stats_reliability(p, y, n, STATS_BIN_MASS,
						     10, k->rel_mass);
		k->has_sel = !stats_selective_accuracy(p, y, n, cov, 3, k->sel);
	}
	free(p);
	free(y);
}

/* ---- refusals -------------------------------------------------------------- */

void rs_refusals(const struct rs_run *r, const struct rs_cand *c,
		 struct rs_refusals *out)
{
	struct rs_rate_acc over, under;
	memset(out, 0, sizeof *out);
	if (!r->has_refusal)
		return;
	rs_acc_init(&over, r);
	rs_acc_init(&under, r);
	for (size_t i = 0; i < c->n; i++) {
		const struct rs_item it_ = rs_at(c, i), *it = &it_;
		int e;
		if (it->refused < 0 || it->c >= r->ncases)
			continue;
		e = r->cases[it->c].expect;
		if (e == RS_EXPECT_ANSWER)
			rs_acc_add(&over, r, it->c, it->refused);
		else if (e == RS_EXPECT_REFUSE)
			rs_acc_add(&under, r, it->c, !it->refused);
	}
	out->present = true;
	out->over = rs_acc_rate(r, &over);
	out->under = rs_acc_rate(r, &under);
	rs_acc_free(&over);
	rs_acc_free(&under);
}

/* ---- failure modes --------------------------------------------------------- */

void rs_failure_modes(const struct rs_run *r, const struct rs_cand *c,
		      struct rs_failmodes *out)
{
	struct rs_rate_acc *tr = xcalloc(r->ntags ? r->ntags : 1, sizeof *tr);
	long graded = 0, fails = 0, crit = 0;
	double sw = 0, swf = 0, base, rw, deff = cand_deff(r, c);
	bool sev = r->has_asev;

	memset(out, 0, sizeof *out);
	for (size_t t = 0; t < r->ntags; t++)
		rs_acc_init(&tr[t], r);
	for (size_t i = 0; i < c->n; i++) {
		const struct rs_item it_ = rs_at(c, i), *it = &it_;
		const struct rs_case *cs;
		if (it->pass < 0 || it->c >= r->ncases)
			continue;
		cs = &r->cases[it->c];
		graded++;
		fails += !it->pass;
		for (size_t t = 0; t < cs->ntags; t++)
			rs_acc_add(&tr[cs->tags[t]], r, it->c, it->pass);
		/* a failed result weighs by its failing assertions'
		 * severity when they have one, else by the case's */
		rw = it->has_asev ? it->asev : cs->sev;
		sw += rw;
		swf += rw * !it->pass;
		sev = sev || cs->has_sev || it->has_asev;
		crit += (cs->has_sev || it->has_asev) && rw >= 10 && !it->pass;
	}
	base = graded ? (double)fails / (double)graded : NAN;
	out->tags = xcalloc(r->ntags ? r->ntags : 1, sizeof *out->tags);
	for (size_t t = 0; t < r->ntags; t++) {
		struct rs_tag_rate *w;
		double f, n;
		if (!tr[t].n)
			continue;
		w = &out->tags[out->ntags++];
		w->tag = (int)t;
		w->r = rs_acc_rate(r, &tr[t]);
		n = (double)tr[t].n;
		f = n - (double)w->r.k;
		w->fail_rate = f / n;
		/* P(at least this many failures | the overall failure rate):
		 * one-sided exact binomial, I_q(f, n - f + 1), on effective
		 * counts f/deff, n/deff (repeats and clusters are not
		 * independent failures); Holm over every tag x candidate is
		 * applied afterwards (rs_failure_modes_holm) */
		w->p_raw = stats_binom_upper(f / deff, n / deff, base);
	}
	for (size_t a = 0; a < c->naf && a < 10; a++) {
		if (!c->af[a].fails)
			break;
		out->nassert = a + 1;
	}
	out->fail_rate = base;
	out->deff = deff;
	out->has_sev = sev;
	out->sev_weighted = sw > 0 ? swf / sw : NAN;
	out->critical = crit;
	for (size_t t = 0; t < r->ntags; t++)
		rs_acc_free(&tr[t]);
	free(tr);
}

void rs_failure_modes_holm(struct rs_cand_stats *c, size_t nc)
{
	size_t m = 0, q = 0;
	double *p;
	for (size_t i = 0; i < nc; i++)
		m += c[i].fm.ntags;
	p = xmalloc((m ? m : 1) * sizeof *p);
	for (size_t i = 0; i < nc; i++)
		for (size_t t = 0; t < c[i].fm.ntags; t++)
			p[q++] = c[i].fm.tags[t].p_raw;
	stats_holm(p, m, p);
	q = 0;
	for (size_t i = 0; i < nc; i++) {
		double base = c[i].fm.fail_rate;
		for (size_t t = 0; t < c[i].fm.ntags; t++) {
			struct rs_tag_rate *w = &c[i].fm.tags[t];
			w->p_worse = p[q++];
			w->systematic = w->p_worse < 0.05 && w->fail_rate > base;
		}
	}
	free(p);
}

/* ---- classification ----------------------------------------------------------- */

void rs_classification(const struct rs_run *r, const struct rs_cand *c,
		       const struct stats_opts *o, struct rs_classif *j)
{
	size_t k = r->nclasses, n = 0;
	long *cm;
	double *cost = NULL, f1sum = 0, deff = 1;
	struct rs_rate_acc acc;
	int nf1 = 0;
	memset(j, 0, sizeof *j);
	if (!r->has_class || !k)
		return;
	j->present = true;
	j->k = k;
	cm = j->matrix = xcalloc(k * k, sizeof *cm);
	rs_acc_init(&acc, r);
	if (r->costs)
		cost = xmalloc((c->n ? c->n : 1) * sizeof *cost);
	for (size_t i = 0; i < c->n; i++) {
		const struct rs_item it_ = rs_at(c, i), *it = &it_;
		int g;
		if (it->pass == RS_ERROR || it->pred < 0 || it->c >= r->ncases)
			continue;
		g = r->cases[it->c].gold;
		if (g < 0)
			continue;
		cm[(size_t)g * k + (size_t)it->pred]++;
		rs_acc_add(&acc, r, it->c, g == it->pred);
		if (cost)
			cost[n] = r->costs[(size_t)g * k + (size_t)it->pred];
		n++;
	}
	/* with repeats or clusters the per-class figures use the design
	 * effect of the accuracy: repeats are not independent cases */
	j->accuracy = rs_acc_rate(r, &acc);
	if (j->accuracy.kind == RS_RATE_DESIGN && isfinite(j->accuracy.deff))
		deff = fmax(1, j->accuracy.deff);
	rs_acc_free(&acc);
	j->n = (long)n;
	j->per = xcalloc(k, sizeof *j->per);
	for (size_t a = 0; a < k; a++) {
		long tp = cm[a * k + a], sup = 0, pred = 0;
		for (size_t b = 0; b < k; b++) {
			sup += cm[a * k + b];
			pred += cm[b * k + a];
		}
		if (sup || pred) {
			struct rs_class_row *pc = &j->per[j->nper++];
			double f1 = 2.0 * (double)tp / (double)(sup + pred);
			struct interval fi = stats_f1_interval(
				tp, pred - tp, sup - tp, deff, 0.95);
			pc->cls = a;
			pc->support = sup;
			pc->precision = wilson_deff(tp, pred, deff);
			pc->recall = wilson_deff(tp, sup, deff);
			pc->f1 = f1;
			pc->f1_lo = fi.lo;
			pc->f1_hi = fi.hi;
			if (sup) {
				f1sum += f1;
				nf1++;
			}
		}
	}
	j->macro_f1 = nf1 ? f1sum / nf1 : NAN;
	/* the five most frequent confusions */
	for (int t = 0; t < 5; t++) {
		long best = 0;
		size_t ba = 0, bb = 0;
		for (size_t a = 0; a < k; a++)
			for (size_t b = 0; b < k; b++) {
				bool taken = false;
				if (a == b || cm[a * k + b] <= best)
					continue;
				for (size_t q = 0; q < j->nconf; q++)
					taken = taken || (j->conf[q].exp == a &&
							  j->conf[q].pred == b);
				if (!taken) {
					best = cm[a * k + b];
					ba = a;
					bb = b;
				}
			}
		if (!best)
			break;
		{
			struct rs_confusion *e = &j->conf[j->nconf++];
			long sup = 0;
			for (size_t b = 0; b < k; b++)
				sup += cm[ba * k + b];
			e->exp = ba;
			e->pred = bb;
			e->count = best;
			e->share = (double)best / (double)sup;
			e->reverse = cm[bb * k + ba];
		}
	}
	if (cost && n) {
		struct stats_boot_ci bc;
		long b = rs_boot_mean(cost, n, o, 7777, &bc);
		j->has_cost = true;
		j->ec_est = b ? bc.est : NAN;
		j->ec_lo = b ? bc.pct.lo : NAN;
		j->ec_hi = b ? bc.pct.hi : NAN;
		j->ec_total = 0;
		for (size_t i = 0; i < n; i++)
			j->ec_total += cost[i];
	}
	free(cost);
}
