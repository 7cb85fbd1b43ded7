/* report_stats_decide.c — the model decision: which candidates meet the
 * suite's `decision:` constraints (judged on their intervals, not only the
 * point estimates), the cheapest one that does, whether that answer is
 * statistically clear yet and how many more cases would settle it, the
 * Pareto-optimal set on quality, cost and p95 latency, and an optional
 * weighted ranking.  Works on the candidate objects rs_compute built. */
#include "report_stats_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../stats/stats.h"
#include "../util/xalloc.h"

/* Verdict of one constraint from an estimate and its interval: the
 * interval lies wholly on the good side ("yes"), wholly on the bad side
 * ("no"), or straddles the limit ("likely" / "unlikely" by the estimate). */
static const char *verdict(double est, double lo, double hi, double limit,
			   bool at_least)
{
	if (isnan(est))
		return "unknown";
	if (isnan(lo) || isnan(hi))
		lo = hi = est;
	if (at_least) {
		if (lo >= limit)
			return "yes";
		if (hi < limit)
			return "no";
		return est >= limit ? "likely" : "unlikely";
	}
	if (hi <= limit)
		return "yes";
	if (lo > limit)
		return "no";
	return est <= limit ? "likely" : "unlikely";
}

static bool v_meets(const char *v)
{
	return !strcmp(v, "yes") || !strcmp(v, "likely");
}

/* Cases needed for a 95% interval around p to clear the limit t (normal
 * approximation: n = z^2 p (1 - p) / (p - t)^2). */
static long cases_to_settle(double p, double t)
{
	double d = fabs(p - t), z = 1.959964;
	if (isnan(p) || d < 1e-9)
		return -1;
	return (long)ceil(z * z * fmax(p * (1 - p), 0.01) / (d * d));
}

struct cand_fig {
	double pass, pass_lo, pass_hi, p95, p95_lo, p95_hi, cost, err;
	long n;
};

static void figs(const json_t *c, struct cand_fig *f)
{
	f->pass = rs_jnum(c, "pass_rate.est");
	f->pass_lo = rs_jnum(c, "pass_rate.lo");
	f->pass_hi = rs_jnum(c, "pass_rate.hi");
	f->n = (long)rs_jnum(c, "pass_rate.n");
	f->p95 = rs_jnum(c, "latency.p95");
	f->p95_lo = rs_jnum(c, "latency.p95_lo");
	f->p95_hi = rs_jnum(c, "latency.p95_hi");
	f->cost = rs_jnum(c, "cost.per_1k");
	f->err = rs_jnum(c, "error_rate");
}

/* a dominates b: no worse on every known axis and better on one. */
static bool dominates(const struct cand_fig *a, const struct cand_fig *b)
{
	double av[3] = { -a->pass, a->cost, a->p95 };
	double bv[3] = { -b->pass, b->cost, b->p95 };
	bool better = false;
	for (int i = 0; i < 3; i++) {
		if (isnan(av[i]) || isnan(bv[i]))
			continue;
		if (av[i] > bv[i])
			return false;
		better = better || av[i] < bv[i];
	}
	return better;
}

json_t *rs_decision(const struct rs_run *r, json_t *cands,
		    const struct stats_opts *o)
{
	const json_t *d = r->decision;
	size_t k = json_array_size(cands);
	struct cand_fig *f;
	double minp = NAN, maxp95 = NAN, maxc = NAN, maxe = NAN;
	json_t *j = json_object(), *rows = json_array(), *pareto = json_array();
	json_t *notes = json_array(), *cons = json_object();
	long best = -1, settle = 0;
	bool clear = true;
	(void)o;

	if (!k) {
		json_decref(j);
		json_decref(rows);
		json_decref(pareto);
		json_decref(notes);
		json_decref(cons);
		return NULL;
	}
	f = xcalloc(k, sizeof *f);
	for (size_t i = 0; i < k; i++)
		figs(json_array_get(cands, i), &f[i]);
	if (d) {
		minp = rs_jnum(d, "min_pass_rate");
		maxp95 = rs_jnum(d, "max_p95_ms");
		maxc = rs_jnum(d, "max_cost_per_1k");
		maxe = rs_jnum(d, "max_error_rate");
		json_object_set_new(cons, "min_pass_rate", rs_num(minp));
		json_object_set_new(cons, "max_p95_ms", rs_num(maxp95));
		json_object_set_new(cons, "max_cost_per_1k", rs_num(maxc));
		json_object_set_new(cons, "max_error_rate", rs_num(maxe));
	}
	json_object_set_new(j, "constraints", cons);
	for (size_t i = 0; i < k; i++) {
		json_t *row = json_object(), *c = json_array_get(cands, i);
		bool meets = true, sure = true;
		json_object_set_new(row, "label", json_incref(
			json_object_get(c, "label")));
		if (!isnan(minp)) {
			const char *v = verdict(f[i].pass, f[i].pass_lo,
						f[i].pass_hi, minp, true);
			json_object_set_new(row, "pass_rate", json_string(v));
			meets = meets && v_meets(v);
			sure = sure && !strcmp(v, "yes");
		}
		if (!isnan(maxp95)) {
			const char *v = verdict(f[i].p95, f[i].p95_lo,
						f[i].p95_hi, maxp95, false);
			json_object_set_new(row, "p95", json_string(v));
			meets = meets && v_meets(v);
			sure = sure && !strcmp(v, "yes");
		}
		if (!isnan(maxc)) {
			const char *v = verdict(f[i].cost, NAN, NAN, maxc, false);
			json_object_set_new(row, "cost", json_string(v));
			meets = meets && v_meets(v);
			sure = sure && !strcmp(v, "yes");
		}
		if (!isnan(maxe)) {
			const char *v = verdict(f[i].err, NAN, NAN, maxe, false);
			json_object_set_new(row, "error_rate", json_string(v));
			meets = meets && v_meets(v);
			sure = sure && !strcmp(v, "yes");
		}
		json_object_set_new(row, "meets", json_boolean(meets));
		json_object_set_new(row, "clearly", json_boolean(meets && sure));
		json_array_append_new(rows, row);
		if (meets && (best < 0 ||
			      (!isnan(f[i].cost) &&
			       (isnan(f[best].cost) || f[i].cost < f[best].cost)) ||
			      (f[i].cost == f[best].cost && f[i].pass > f[best].pass)))
			best = (long)i;
	}
	json_object_set_new(j, "candidates", rows);
	if (best >= 0) {
		json_t *row = json_array_get(rows, (size_t)best);
		json_t *rec = json_pack("{s:O, s:o, s:o, s:o, s:o, s:o, s:o}",
					"label", json_object_get(row, "label"),
					"pass_rate", rs_num(f[best].pass),
					"pass_lo", rs_num(f[best].pass_lo),
					"pass_hi", rs_num(f[best].pass_hi),
					"p95_ms", rs_num(f[best].p95),
					"cost_per_1k", rs_num(f[best].cost),
					"clearly", json_incref(json_object_get(
						row, "clearly")));
		json_object_set_new(j, "recommended", rec);
		if (!json_is_true(json_object_get(row, "clearly"))) {
			long need;
			clear = false;
			json_array_append_new(notes, json_string(
				"the recommended candidate's interval still "
				"crosses a limit"));
			if (!isnan(minp) && (need = cases_to_settle(
					f[best].pass, minp)) > settle)
				settle = need;
		}
		/* a cheaper candidate that might also meet the constraints */
		for (size_t i = 0; i < k; i++) {
			json_t *ri = json_array_get(rows, i);
			const char *pv = json_string_value(json_object_get(
				ri, "pass_rate"));
			long need;
			if ((long)i == best || isnan(f[i].cost) ||
			    isnan(f[best].cost) || f[i].cost >= f[best].cost)
				continue;
			if (pv && !strcmp(pv, "unlikely")) {
				char msg[256];
				clear = false;
				snprintf(msg, sizeof msg, "cheaper %s may still "
					 "reach the pass-rate floor",
					 json_string_value(json_object_get(
						 ri, "label")));
				json_array_append_new(notes, json_string(msg));
				if ((need = cases_to_settle(f[i].pass, minp)) >
				    settle)
					settle = need;
			}
		}
	} else {
		json_object_set_new(j, "recommended", json_null());
		if (d) {
			clear = false;
			json_array_append_new(notes, json_string(
				"no candidate meets every constraint"));
		}
	}
	json_object_set_new(j, "statistically_clear", json_boolean(clear));
	json_object_set_new(j, "cases_to_settle", settle > 0
			    ? json_integer(settle) : json_null());
	json_object_set_new(j, "notes", notes);
	for (size_t i = 0; i < k; i++) {
		bool dom = false;
		for (size_t q = 0; q < k && !dom; q++)
			dom = q != i && dominates(&f[q], &f[i]);
		if (!dom)
			json_array_append_new(pareto, json_incref(json_object_get(
				json_array_get(cands, i), "label")));
	}
	json_object_set_new(j, "pareto", pareto);
	if (d && json_is_object(json_object_get(d, "weights"))) {
		double wq = rs_jnum(d, "weights.quality");
		double wc = rs_jnum(d, "weights.cost");
		double wl = rs_jnum(d, "weights.latency");
		double mc = 0, ml = 0;
		json_t *rank = json_array();
		double *u = xmalloc(k * sizeof *u);
		size_t *ord = xmalloc(k * sizeof *ord);
		wq = isnan(wq) ? 0 : wq;
		wc = isnan(wc) ? 0 : wc;
		wl = isnan(wl) ? 0 : wl;
		for (size_t i = 0; i < k; i++) {
			if (f[i].cost > mc)
				mc = f[i].cost;
			if (f[i].p95 > ml)
				ml = f[i].p95;
		}
		for (size_t i = 0; i < k; i++) {
			u[i] = wq * (isnan(f[i].pass) ? 0 : f[i].pass);
			if (mc > 0 && !isnan(f[i].cost))
				u[i] += wc * (1 - f[i].cost / mc);
			if (ml > 0 && !isnan(f[i].p95))
				u[i] += wl * (1 - f[i].p95 / ml);
			ord[i] = i;
		}
		for (size_t i = 1; i < k; i++)
			for (size_t q = i; q > 0 && u[ord[q]] > u[ord[q - 1]];
			     q--) {
				size_t t = ord[q];
				ord[q] = ord[q - 1];
				ord[q - 1] = t;
			}
		for (size_t i = 0; i < k; i++)
			json_array_append_new(rank, json_pack(
				"{s:O, s:f}", "label", json_object_get(
					json_array_get(cands, ord[i]), "label"),
				"utility", u[ord[i]]));
		json_object_set_new(j, "weighted", rank);
		free(u);
		free(ord);
	}
	free(f);
	return j;
}
