/* report_stats_beyond.c — the figures beyond accuracy, per candidate:
 * calibration (ECE, Brier, reliability, selective accuracy), refusals
 * (over- and under-refusal), failure modes (by tag, by assertion, by
 * severity, systematic weaknesses), robustness across variant groups and
 * the classification view (confusion matrix, per-class precision / recall
 * / F1, frequent confusions, expected cost of errors).
 *
 * Each function returns a new JSON object, or NULL when the suite does not
 * ask for the section.  Formulas: docs/statistics.md. */
#include "report_stats_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../stats/stats.h"
#include "../util/xalloc.h"

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
	long ans_n = 0, ans_ref = 0, ref_n = 0, ref_ans = 0;
	json_t *j, *over, *under;
	if (!r->has_refusal)
		return NULL;
	for (size_t i = 0; i < c->n; i++) {
		const struct rs_item *it = &c->it[i];
		int e;
		if (it->refused < 0 || it->c >= r->ncases)
			continue;
		e = r->cases[it->c].expect;
		if (e == RS_EXPECT_ANSWER) {
			ans_n++;
			ans_ref += it->refused;
		} else if (e == RS_EXPECT_REFUSE) {
			ref_n++;
			ref_ans += !it->refused;
		}
	}
	j = json_object();
	over = rs_wilson(ans_ref, ans_n);
	under = rs_wilson(ref_ans, ref_n);
	json_object_set_new(j, "over_refusal", over);
	json_object_set_new(j, "under_refusal", under);
	json_object_set_new(j, "detector", json_string("is-refusal"));
	return j;
}

/* ---- failure modes --------------------------------------------------------- */

json_t *rs_failure_modes(const struct rs_run *r, const struct rs_cand *c)
{
	long *tn = xcalloc(r->ntags ? r->ntags : 1, sizeof *tn);
	long *tk = xcalloc(r->ntags ? r->ntags : 1, sizeof *tk);
	long graded = 0, fails = 0, crit = 0;
	double sw = 0, swf = 0, base, rw;
	bool sev = r->has_asev;
	json_t *j = json_object(), *tags = json_array(), *as = json_array();
	json_t *sys = json_array();

	for (size_t i = 0; i < c->n; i++) {
		const struct rs_item *it = &c->it[i];
		const struct rs_case *cs;
		if (it->pass < 0 || it->c >= r->ncases)
			continue;
		cs = &r->cases[it->c];
		graded++;
		fails += !it->pass;
		for (size_t t = 0; t < cs->ntags; t++) {
			tn[cs->tags[t]]++;
			tk[cs->tags[t]] += it->pass;
		}
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
		double p, fr;
		if (!tn[t])
			continue;
		w = rs_wilson(tk[t], tn[t]);
		json_object_set_new(w, "tag", json_string(r->tags[t]));
		fr = (double)(tn[t] - tk[t]) / (double)tn[t];
		/* P(at least this many failures | the overall failure rate),
		 * Bonferroni over the tags */
		p = tn[t] - tk[t] > 0 && base < 1
			? 1 - stats_binom_cdf(tn[t] - tk[t] - 1, tn[t], base)
			: 1;
		p = fmin(1, p * (double)r->ntags);
		json_object_set_new(w, "fail_rate", json_real(fr));
		json_object_set_new(w, "p_worse", rs_num(p));
		if (p < 0.05 && fr > base) {
			json_object_set_new(w, "systematic", json_true());
			json_array_append_new(sys, json_pack(
				"{s:s, s:f, s:f, s:f}", "tag", r->tags[t],
				"fail_rate", fr, "overall_fail_rate", base,
				"p", p));
		}
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
	json_object_set_new(j, "by_tag", tags);
	json_object_set_new(j, "systematic", sys);
	json_object_set_new(j, "assertions", as);
	if (sev) {
		json_object_set_new(j, "severity_weighted", rs_num(
			sw > 0 ? swf / sw : NAN));
		json_object_set_new(j, "critical_failures", json_integer(crit));
	}
	free(tn);
	free(tk);
	return j;
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

/* Interval for F1 = 2TP / (2TP + FP + FN).  F1 = 2J / (1 + J) with
 * J = TP / (TP + FP + FN), increasing in J; among the TP + FP + FN cases
 * that touch the class, TP is binomial with probability J (multinomial
 * sampling of cases), so the Wilson interval of J maps to one for F1.
 * Never [1, 1] at perfect scores on a small support: 8 of 8 gives
 * J in [0.676, 1], F1 in [0.807, 1]. */
static struct interval f1_interval(long tp, long fp, long fn)
{
	struct interval iv = { NAN, NAN }, w;
	long m = tp + fp + fn;
	if (m <= 0)
		return iv;
	w = stats_wilson(tp, m, 0.95);
	iv.lo = 2 * w.lo / (1 + w.lo);
	iv.hi = 2 * w.hi / (1 + w.hi);
	return iv;
}

json_t *rs_classification(const struct rs_run *r, const struct rs_cand *c,
			  const struct stats_opts *o)
{
	size_t k = r->nclasses, n = 0;
	long *cm, correct = 0;
	double *cost = NULL, f1sum = 0;
	json_t *j, *mat, *per, *conf;
	int nf1 = 0;
	if (!r->has_class || !k)
		return NULL;
	cm = xcalloc(k * k, sizeof *cm);
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
		if (cost)
			cost[n] = r->costs[(size_t)g * k + (size_t)it->pred];
		n++;
	}
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
			struct interval fi = f1_interval(tp, pred - tp,
							 sup - tp);
			json_object_set_new(pc, "class",
					    json_string(r->classes[a]));
			json_object_set_new(pc, "support", json_integer(sup));
			json_object_set_new(pc, "precision", rs_wilson(tp, pred));
			json_object_set_new(pc, "recall", rs_wilson(tp, sup));
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
	json_object_set_new(j, "accuracy", rs_wilson(correct, (long)n));
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
