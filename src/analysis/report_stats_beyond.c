/* report_stats_beyond.c — the figures beyond accuracy, per candidate:
 * calibration (ECE, Brier, reliability, selective accuracy), refusals
 * (over- and under-refusal), failure modes (by tag, by assertion, by
 * severity, systematic weaknesses), robustness across variant groups and
 * the classification view (confusion matrix, per-class precision / recall
 * / F1, frequent confusions, expected cost of errors).
 *
 * Each function returns a new JSON object, or NULL when the suite does not
 * ask for the section.  Formulas: docs/statistics.md. */
#include "../report/report_stats_int.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../stats/stats.h"
#include "../util/xalloc.h"

#define Z95 1.959963984540054

/* Wilson {k, n, est, lo, hi} of k/n at the effective size n / deff. */
static json_t *wilson_deff(long k, long n, double deff)
{
	struct interval w;
	json_t *o;
	if (deff <= 1 || !n)
		return rs_wilson(k, n);
	w = stats_wilson_eff((double)k / (double)n, (double)n / deff, Z95);
	o = rs_interval((double)k / (double)n, w.lo, w.hi);
	json_object_set_new(o, "k", json_integer(k));
	json_object_set_new(o, "n", json_integer(n));
	json_object_set_new(o, "deff", json_real(deff));
	return o;
}

/* ---- rates that count cases, not attempts ---------------------------------- */

/* A growing list of 0/1 outcomes with their unit (cluster, else case). */
struct rate {
	double *x;
	long *cl;
	long *seen;		/* attempts per case in this rate */
	size_t n, cap;
	bool repeats;
};

static void rate_init(struct rate *q, const struct rs_run *r)
{
	memset(q, 0, sizeof *q);
	q->seen = xcalloc(r->ncases ? r->ncases : 1, sizeof *q->seen);
}

static void rate_add(struct rate *q, const struct rs_run *r, uint32_t c,
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

static void rate_free(struct rate *q)
{
	free(q->x);
	free(q->cl);
	free(q->seen);
}

/* {k, n, est, lo, hi}: Wilson, or with repeats or clusters the
 * design-adjusted Wilson of the pass rate (repeats of one case are not
 * independent outcomes); `cases` says how many units the rate rests on. */
static json_t *rate_json(const struct rs_run *r, const struct rate *q)
{
	long k = 0;
	json_t *o;
	for (size_t i = 0; i < q->n; i++)
		k += q->x[i] > 0.5;
	if (!q->n || (!q->repeats && !r->has_clusters))
		return rs_wilson(k, (long)q->n);
	{
		struct stats_design_ci ci;
		stats_prop_design(q->x, q->cl, q->n, 0.95, &ci);
		o = rs_interval(ci.est, ci.lo, ci.hi);
		json_object_set_new(o, "k", json_integer(k));
		json_object_set_new(o, "n", json_integer((json_int_t)q->n));
		json_object_set_new(o, "units", json_integer(
			(json_int_t)ci.d.clusters));
		json_object_set_new(o, "deff", rs_num(ci.d.deff));
		json_object_set_new(o, "method", json_string(
			"wilson, design-adjusted"));
	}
	return o;
}

/* The design effect of a candidate's graded results (1 without repeats
 * or clusters), for tests that need effective counts. */
static double cand_deff(const struct rs_run *r, const struct rs_cand *c)
{
	struct rate q;
	double deff = 1;
	rate_init(&q, r);
	for (size_t i = 0; i < c->n; i++)
		if (c->it[i].pass >= 0 && c->it[i].c < r->ncases)
			rate_add(&q, r, c->it[i].c, c->it[i].pass);
	if (q.n && (q.repeats || r->has_clusters)) {
		struct stats_design_ci ci;
		stats_prop_design(q.x, q.cl, q.n, 0.95, &ci);
		deff = ci.d.deff;
	}
	rate_free(&q);
	return deff;
}

/* ---- calibration ---------------------------------------------------------- */

static json_t *bins_json(const struct stats_bin *b, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_pack(
			"{s:o, s:o, s:o, s:o, s:I}", "lo", rs_num(b[i].lo), "hi",
			rs_num(b[i].hi), "conf", rs_num(b[i].conf), "acc",
			rs_num(b[i].acc), "count", (json_int_t)b[i].count));
	return a;
}

json_t *rs_calibration(const struct rs_run *r, const struct rs_cand *c)
{
	static const double cov[3] = { 0.5, 0.8, 0.9 };
	double *p, *y, acc[3], sp = 0, sy = 0;
	struct stats_bin bins[10];
	size_t n = 0, graded = 0;
	json_t *j, *sel;
	if (!r->has_conf)
		return NULL;
	p = xmalloc((c->n ? c->n : 1) * sizeof *p);
	y = xmalloc((c->n ? c->n : 1) * sizeof *y);
	for (size_t i = 0; i < c->n; i++) {
		const struct rs_item *it = &c->it[i];
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
	j = json_object();
	if (r->conf_source)	/* "logprobs", "jq:…" or "regex:…" */
		json_object_set_new(j, "source", json_string(r->conf_source));
	json_object_set_new(j, "n", json_integer((json_int_t)n));
	json_object_set_new(j, "without_confidence",
			    json_integer((json_int_t)(graded - n)));
	if (n) {
		json_object_set_new(j, "mean_confidence", json_real(sp / (double)n));
		json_object_set_new(j, "accuracy", json_real(sy / (double)n));
		json_object_set_new(j, "overconfidence",
				    json_real((sp - sy) / (double)n));
		json_object_set_new(j, "ece_mass", rs_num(stats_ece(
			p, y, n, STATS_BIN_MASS, 10)));
		json_object_set_new(j, "ece_width", rs_num(stats_ece(
			p, y, n, STATS_BIN_WIDTH, 10)));
		json_object_set_new(j, "brier", rs_num(stats_brier(p, y, n)));
		if (!stats_reliability(p, y, n, STATS_BIN_WIDTH, 10, bins))
			json_object_set_new(j, "reliability", bins_json(bins, 10));
		if (!stats_reliability(p, y, n, STATS_BIN_MASS, 10, bins))
			json_object_set_new(j, "reliability_mass",
					    bins_json(bins, 10));
		sel = json_object();
		if (!stats_selective_accuracy(p, y, n, cov, 3, acc)) {
			json_object_set_new(sel, "50", rs_num(acc[0]));
			json_object_set_new(sel, "80", rs_num(acc[1]));
			json_object_set_new(sel, "90", rs_num(acc[2]));
		}
		json_object_set_new(j, "selective_accuracy", sel);
	}
	if (n < 300)
		json_object_set_new(j, "note", json_string(
			"fewer than 300 cases with a confidence: ECE is noisy "
			"(HELM reports it from 300 up)"));
	free(p);
	free(y);
	return j;
}

/* ---- refusals -------------------------------------------------------------- */

json_t *rs_refusals(const struct rs_run *r, const struct rs_cand *c)
{
	struct rate over, under;
	json_t *j;
	if (!r->has_refusal)
		return NULL;
	rate_init(&over, r);
	rate_init(&under, r);
	for (size_t i = 0; i < c->n; i++) {
		const struct rs_item *it = &c->it[i];
		int e;
		if (it->refused < 0 || it->c >= r->ncases)
			continue;
		e = r->cases[it->c].expect;
		if (e == RS_EXPECT_ANSWER)
			rate_add(&over, r, it->c, it->refused);
		else if (e == RS_EXPECT_REFUSE)
			rate_add(&under, r, it->c, !it->refused);
	}
	j = json_object();
	json_object_set_new(j, "over_refusal", rate_json(r, &over));
	json_object_set_new(j, "under_refusal", rate_json(r, &under));
	json_object_set_new(j, "detector", json_string("is-refusal"));
	rate_free(&over);
	rate_free(&under);
	return j;
}

/* ---- failure modes --------------------------------------------------------- */

json_t *rs_failure_modes(const struct rs_run *r, const struct rs_cand *c)
{
	struct rate *tr = xcalloc(r->ntags ? r->ntags : 1, sizeof *tr);
	long graded = 0, fails = 0, crit = 0;
	double sw = 0, swf = 0, base, rw, deff = cand_deff(r, c);
	bool sev = r->has_asev;
	json_t *j = json_object(), *tags = json_array(), *as = json_array();

	for (size_t t = 0; t < r->ntags; t++)
		rate_init(&tr[t], r);
	for (size_t i = 0; i < c->n; i++) {
		const struct rs_item *it = &c->it[i];
		const struct rs_case *cs;
		if (it->pass < 0 || it->c >= r->ncases)
			continue;
		cs = &r->cases[it->c];
		graded++;
		fails += !it->pass;
		for (size_t t = 0; t < cs->ntags; t++)
			rate_add(&tr[cs->tags[t]], r, it->c, it->pass);
		/* a failed result weighs by its failing assertions'
		 * severity when they have one, else by the case's */
		rw = it->has_asev ? it->asev : cs->sev;
		sw += rw;
		swf += rw * !it->pass;
		sev = sev || cs->has_sev || it->has_asev;
		crit += (cs->has_sev || it->has_asev) && rw >= 10 && !it->pass;
	}
	base = graded ? (double)fails / (double)graded : NAN;
	for (size_t t = 0; t < r->ntags; t++) {
		json_t *w;
		double p, fr, f, n;
		if (!tr[t].n)
			continue;
		w = rate_json(r, &tr[t]);
		json_object_set_new(w, "tag", json_string(r->tags[t]));
		n = (double)tr[t].n;
		f = n - rs_jnum(w, "k");
		fr = f / n;
		/* P(at least this many failures | the overall failure rate):
		 * one-sided exact binomial, I_q(f, n - f + 1), on effective
		 * counts f/deff, n/deff (repeats and clusters are not
		 * independent failures); Holm over every tag x candidate is
		 * applied afterwards (rs_failure_modes_holm) */
		f /= deff;
		n /= deff;
		p = f > 0 && base > 0 && base < 1
			? stats_betainc(f, n - f + 1, base) : 1;
		json_object_set_new(w, "fail_rate", json_real(fr));
		json_object_set_new(w, "p_raw", rs_num(isnan(p) ? 1
						: fmax(DBL_MIN, p)));
		json_array_append_new(tags, w);
	}
	for (size_t a = 0; a < c->naf && a < 10; a++) {
		if (!c->af[a].fails)
			break;
		json_array_append_new(as, json_pack(
			"{s:s, s:I, s:I, s:f}", "assertion", c->af[a].name,
			"fails", (json_int_t)c->af[a].fails, "total",
			(json_int_t)c->af[a].total, "fail_rate",
			(double)c->af[a].fails / (double)c->af[a].total));
	}
	json_object_set_new(j, "fail_rate", rs_num(base));
	json_object_set_new(j, "deff", rs_num(deff));
	json_object_set_new(j, "by_tag", tags);
	json_object_set_new(j, "systematic", json_array());
	json_object_set_new(j, "assertions", as);
	if (sev) {
		json_object_set_new(j, "severity_weighted", rs_num(
			sw > 0 ? swf / sw : NAN));
		json_object_set_new(j, "critical_failures", json_integer(crit));
	}
	for (size_t t = 0; t < r->ntags; t++)
		rate_free(&tr[t]);
	free(tr);
	return j;
}

void rs_failure_modes_holm(json_t *cands)
{
	size_t m = 0, q = 0, i, t;
	json_t *c, *w;
	double *p;
	json_array_foreach(cands, i, c)
		m += json_array_size(json_object_get(json_object_get(
			c, "failure_modes"), "by_tag"));
	p = xmalloc((m ? m : 1) * sizeof *p);
	json_array_foreach(cands, i, c)
		json_array_foreach(json_object_get(json_object_get(
			c, "failure_modes"), "by_tag"), t, w)
			p[q++] = rs_jnum(w, "p_raw");
	stats_holm(p, m, p);
	q = 0;
	json_array_foreach(cands, i, c) {
		json_t *fm = json_object_get(c, "failure_modes");
		json_t *sys = json_object_get(fm, "systematic");
		double base = rs_jnum(fm, "fail_rate");
		json_array_foreach(json_object_get(fm, "by_tag"), t, w) {
			double pa = p[q++], fr = rs_jnum(w, "fail_rate");
			json_object_set_new(w, "p_worse", json_real(pa));
			if (pa < 0.05 && fr > base) {
				json_object_set_new(w, "systematic", json_true());
				json_array_append_new(sys, json_pack(
					"{s:O, s:f, s:f, s:f}", "tag",
					json_object_get(w, "tag"), "fail_rate",
					fr, "overall_fail_rate", base, "p", pa));
			}
		}
	}
	free(p);
}

/* ---- robustness ------------------------------------------------------------- */

json_t *rs_robustness(const struct rs_run *r, const struct rs_cand *c)
{
	long *att, *pas, *gn, *gp, *gall;
	long groups = 0, consistent = 0, worst = 0;
	double mean = 0;
	json_t *j;
	if (!r->nvariants)
		return NULL;
	att = xcalloc(r->ncases ? r->ncases : 1, sizeof *att);
	pas = xcalloc(r->ncases ? r->ncases : 1, sizeof *pas);
	gn = xcalloc(r->nvariants, sizeof *gn);	/* variants with a verdict */
	gp = xcalloc(r->nvariants, sizeof *gp);	/* ... that pass */
	gall = xcalloc(r->nvariants, sizeof *gall);
	for (size_t i = 0; i < c->n; i++)
		if (c->it[i].pass >= 0 && c->it[i].c < r->ncases) {
			att[c->it[i].c]++;
			pas[c->it[i].c] += c->it[i].pass;
		}
	for (size_t k = 0; k < r->ncases; k++) {
		long g = r->cases[k].variant;
		if (g < 0 || !att[k])
			continue;
		gn[g]++;
		/* with repeats a variant passes when most attempts do */
		gp[g] += 2 * pas[k] > att[k];
	}
	for (size_t g = 0; g < r->nvariants; g++) {
		if (gn[g] < 2)
			continue;
		groups++;
		consistent += gp[g] == 0 || gp[g] == gn[g];
		worst += gp[g] == gn[g];
		mean += (double)gp[g] / (double)gn[g];
	}
	j = json_object();
	json_object_set_new(j, "groups", json_integer(groups));
	json_object_set_new(j, "consistency", rs_wilson(consistent, groups));
	json_object_set_new(j, "worst_case_pass", rs_wilson(worst, groups));
	json_object_set_new(j, "mean_pass", rs_num(groups ? mean /
						   (double)groups : NAN));
	free(att);
	free(pas);
	free(gn);
	free(gp);
	free(gall);
	return j;
}

/* ---- classification ----------------------------------------------------------- */

json_t *rs_classification(const struct rs_run *r, const struct rs_cand *c,
			  const struct stats_opts *o)
{
	size_t k = r->nclasses, n = 0;
	long *cm, correct = 0;
	double *cost = NULL, f1sum = 0, deff = 1;
	json_t *j, *mat, *per, *conf, *accj;
	struct rate acc;
	int nf1 = 0;
	if (!r->has_class || !k)
		return NULL;
	cm = xcalloc(k * k, sizeof *cm);
	rate_init(&acc, r);
	if (r->costs)
		cost = xmalloc((c->n ? c->n : 1) * sizeof *cost);
	for (size_t i = 0; i < c->n; i++) {
		const struct rs_item *it = &c->it[i];
		int g;
		if (it->pass == RS_ERROR || it->pred < 0 || it->c >= r->ncases)
			continue;
		g = r->cases[it->c].gold;
		if (g < 0)
			continue;
		cm[(size_t)g * k + (size_t)it->pred]++;
		correct += g == it->pred;
		rate_add(&acc, r, it->c, g == it->pred);
		if (cost)
			cost[n] = r->costs[(size_t)g * k + (size_t)it->pred];
		n++;
	}
	/* with repeats or clusters the per-class figures use the design
	 * effect of the accuracy: repeats are not independent cases */
	accj = rate_json(r, &acc);
	if (!isnan(rs_jnum(accj, "deff")))
		deff = fmax(1, rs_jnum(accj, "deff"));
	rate_free(&acc);
	j = json_object();
	mat = json_array();
	per = json_array();
	conf = json_array();
	json_object_set_new(j, "n", json_integer((json_int_t)n));
	{
		json_t *cl = json_array();
		for (size_t a = 0; a < k; a++)
			json_array_append_new(cl, json_string(r->classes[a]));
		json_object_set_new(j, "classes", cl);
	}
	for (size_t a = 0; a < k; a++) {
		json_t *row = json_array();
		long tp = cm[a * k + a], sup = 0, pred = 0;
		for (size_t b = 0; b < k; b++) {
			json_array_append_new(row, json_integer(cm[a * k + b]));
			sup += cm[a * k + b];
			pred += cm[b * k + a];
		}
		json_array_append_new(mat, row);
		if (sup || pred) {
			json_t *pc = json_object();
			double pr = pred ? (double)tp / (double)pred : NAN;
			double rc = sup ? (double)tp / (double)sup : NAN;
			double f1 = 2.0 * (double)tp / (double)(sup + pred);
			struct interval fi = stats_f1_interval(
				tp, pred - tp, sup - tp, deff, 0.95);
			json_object_set_new(pc, "class",
					    json_string(r->classes[a]));
			json_object_set_new(pc, "support", json_integer(sup));
			json_object_set_new(pc, "precision",
					    wilson_deff(tp, pred, deff));
			json_object_set_new(pc, "recall",
					    wilson_deff(tp, sup, deff));
			json_object_set_new(pc, "f1", rs_interval(f1, fi.lo,
								  fi.hi));
			(void)pr;
			(void)rc;
			if (sup) {
				f1sum += f1;
				nf1++;
			}
			json_array_append_new(per, pc);
		}
	}
	json_object_set_new(j, "matrix", mat);
	json_object_set_new(j, "per_class", per);
	json_object_set_new(j, "accuracy", accj);
	(void)correct;
	json_object_set_new(j, "macro_f1", rs_num(nf1 ? f1sum / nf1 : NAN));
	/* the five most frequent confusions */
	for (int t = 0; t < 5; t++) {
		long best = 0;
		size_t ba = 0, bb = 0;
		for (size_t a = 0; a < k; a++)
			for (size_t b = 0; b < k; b++) {
				bool taken = false;
				json_t *e;
				size_t q;
				if (a == b || cm[a * k + b] <= best)
					continue;
				json_array_foreach(conf, q, e)
					taken = taken ||
						(!strcmp(json_string_value(json_object_get(e, "expected")), r->classes[a]) &&
						 !strcmp(json_string_value(json_object_get(e, "predicted")), r->classes[b]));
				if (!taken) {
					best = cm[a * k + b];
					ba = a;
					bb = b;
				}
			}
		if (!best)
			break;
		{
			long sup = 0, rev = cm[bb * k + ba];
			for (size_t b = 0; b < k; b++)
				sup += cm[ba * k + b];
			json_array_append_new(conf, json_pack(
				"{s:s, s:s, s:I, s:f, s:I}", "expected",
				r->classes[ba], "predicted", r->classes[bb],
				"count", (json_int_t)best, "share_of_expected",
				(double)best / (double)sup, "reverse",
				(json_int_t)rev));
		}
	}
	json_object_set_new(j, "confusions", conf);
	if (cost && n) {
		struct stats_boot_ci bc;
		long b = rs_boot_mean(cost, n, o, 7777, &bc);
		json_t *ec = rs_interval(b ? bc.est : NAN, b ? bc.pct.lo : NAN,
					 b ? bc.pct.hi : NAN);
		double tot = 0;
		for (size_t i = 0; i < n; i++)
			tot += cost[i];
		json_object_set_new(ec, "total", json_real(tot));
		json_object_set_new(j, "expected_cost", ec);
	}
	free(cost);
	free(cm);
	return j;
}
