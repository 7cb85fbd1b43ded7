/* report_stats_decide.c — the model decision: which candidates meet the
 * suite's `decision:` constraints (every constraint judged on an
 * interval, not only on the estimate), the cheapest one that does,
 * whether that answer is statistically clear yet and how many cases
 * would settle it (80% power), the Pareto-optimal set on quality, cost
 * and p95 latency, an optional weighted ranking and, with `volume:`, the
 * monthly cost at that many queries a day.  Candidates without graded
 * results are "no data": never recommended, never Pareto-optimal, never
 * ranked.  Works on the candidate objects rs_compute built and, for the
 * latency constraint, on the run's items.  Formulas: docs/statistics.md,
 * "The decision". */
#include "../report/report_stats_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../stats/stats.h"
#include "../util/xalloc.h"

#define DAYS_PER_MONTH (365.25 / 12)
/* p95 <= limit  <=>  at most this share of requests is slower */
#define TAIL 0.05

/* Verdict of one constraint from an estimate and its interval: the
 * interval lies wholly on the good side ("yes"), wholly on the bad side
 * ("no"), or straddles the limit ("likely" / "unlikely" by the estimate).
 * A missing end (NaN) is unbounded on that side. */
static const char *verdict(double est, double lo, double hi, double limit,
			   bool at_least)
{
	if (isnan(est))
		return "unknown";
	if (at_least) {
		if (!isnan(lo) && lo >= limit)
			return "yes";
		if (!isnan(hi) && hi < limit)
			return "no";
		return est >= limit ? "likely" : "unlikely";
	}
	if (!isnan(hi) && hi <= limit)
		return "yes";
	if (!isnan(lo) && lo > limit)
		return "no";
	return est <= limit ? "likely" : "unlikely";
}

/* docs/statistics.md, "The decision": 80% power, two-sided 5% */
long rs_cases_to_settle(double p, double t, double deff)
{
	return stats_cases_to_settle(p, t, deff, 0.05, 0.8);
}

struct cand_fig {
	bool nodata;			/* no graded result */
	double pass, pass_lo, pass_hi, deff;
	long n;				/* graded results */
	double p95, p95_lo, p95_hi;	/* over successes (latency table) */
	long slow, timed;		/* over the p95 limit (errors count) */
	double cost, cost_lo, cost_hi;	/* per 1,000 */
	double pq, pq_lo, pq_hi;	/* per query */
	long errs, results;
};

static void figs(const struct rs_cand *rc, const json_t *c, double maxp95,
		 struct cand_fig *f)
{
	f->pass = rs_jnum(c, "pass_rate.est");
	f->pass_lo = rs_jnum(c, "pass_rate.lo");
	f->pass_hi = rs_jnum(c, "pass_rate.hi");
	f->deff = rs_jnum(c, "pass_rate.deff");
	f->n = (long)fmax(0, rs_jnum(c, "graded"));
	f->nodata = f->n == 0;
	f->p95 = rs_jnum(c, "latency.p95");
	f->p95_lo = rs_jnum(c, "latency.p95_lo");
	f->p95_hi = rs_jnum(c, "latency.p95_hi");
	f->cost = rs_jnum(c, "cost.per_1k");
	f->cost_lo = rs_jnum(c, "cost.per_1k_lo");
	f->cost_hi = rs_jnum(c, "cost.per_1k_hi");
	f->pq = rs_jnum(c, "cost.per_query");
	f->pq_lo = rs_jnum(c, "cost.per_query_lo");
	f->pq_hi = rs_jnum(c, "cost.per_query_hi");
	f->errs = (long)fmax(0, rs_jnum(c, "errors"));
	f->results = (long)fmax(0, rs_jnum(c, "results"));
	f->slow = f->timed = 0;
	if (!rc || isnan(maxp95))
		return;
	/* the latency constraint counts every request (a cache hit with
	 * its original latency): an infrastructure error (a timeout, a
	 * 5xx) was not served within the limit */
	for (size_t i = 0; i < rc->n; i++) {
		const struct rs_item *it = &rc->it[i];
		if (it->pass == RS_ERROR) {
			f->timed++;
			f->slow++;
		} else if (!isnan(it->lat)) {
			f->timed++;
			f->slow += it->lat > maxp95;
		}
	}
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

struct limits {
	double minp, maxp95, maxc, maxe;
};

enum { K_PASS, K_P95, K_COST, K_ERR, K_N };
static const char *const k_name[K_N] = { "pass_rate", "p95", "cost",
					 "error_rate" };

/* The verdicts of one candidate (NULL for an unset constraint), and the
 * cases that would settle each doubtful rate constraint. */
static void judge(const struct cand_fig *f, const struct limits *l,
		  const char *v[K_N], long need[K_N])
{
	struct interval w;
	for (int k = 0; k < K_N; k++) {
		v[k] = NULL;
		need[k] = -1;
	}
	if (!isnan(l->minp)) {
		v[K_PASS] = f->nodata ? "no data" : verdict(
			f->pass, f->pass_lo, f->pass_hi, l->minp, true);
		need[K_PASS] = rs_cases_to_settle(f->pass, l->minp, f->deff);
	}
	if (!isnan(l->maxp95) && !f->timed) {
		/* no items to count (a hand-built object): the p95 interval */
		v[K_P95] = f->nodata ? "no data" : verdict(
			f->p95, f->p95_lo, f->p95_hi, l->maxp95, false);
	} else if (!isnan(l->maxp95)) {
		/* p95 <= limit <=> share slower than the limit <= 5% */
		double s = f->timed ? (double)f->slow / (double)f->timed : NAN;
		w = stats_wilson(f->slow, f->timed, 0.95);
		v[K_P95] = f->nodata ? "no data" : verdict(
			s, f->timed ? w.lo : NAN, f->timed ? w.hi : NAN, TAIL,
			false);
		need[K_P95] = rs_cases_to_settle(s, TAIL, 1);
	}
	if (!isnan(l->maxc))	/* no interval: the cost as measured */
		v[K_COST] = f->nodata ? "no data" : verdict(
			f->cost, isnan(f->cost_lo) ? f->cost : f->cost_lo,
			isnan(f->cost_hi) ? f->cost : f->cost_hi, l->maxc,
			false);
	if (!isnan(l->maxe)) {
		double e = f->results ? (double)f->errs / (double)f->results
				      : NAN;
		w = stats_wilson(f->errs, f->results, 0.95);
		v[K_ERR] = verdict(e, f->results ? w.lo : NAN,
				   f->results ? w.hi : NAN, l->maxe, false);
		need[K_ERR] = rs_cases_to_settle(e, l->maxe, 1);
	}
}

static bool is(const char *v, const char *w)
{
	return v && w && !strcmp(v, w);
}

static void note(json_t *notes, const char *fmt, const char *label,
		 const char *what)
{
	char msg[512];
	snprintf(msg, sizeof msg, fmt, label, what);
	json_array_append_new(notes, json_string(msg));
}

/* "pass rate, p95" — the constraints whose verdict is `want1`/`want2` */
static void list_of(const char *v[K_N], const char *want1, const char *want2,
		    char *buf, size_t n)
{
	size_t len = 0;
	buf[0] = '\0';
	for (int k = 0; k < K_N; k++)
		if (is(v[k], want1) || is(v[k], want2))
			len += (size_t)snprintf(buf + len, len < n ? n - len : 0,
						"%s%s", len ? ", " : "",
						k_name[k]);
}

static json_t *weighted(const json_t *d, const struct cand_fig *f,
			json_t *cands, size_t k)
{
	double wq = rs_jnum(d, "weights.quality");
	double wc = rs_jnum(d, "weights.cost");
	double wl = rs_jnum(d, "weights.latency");
	double mc = 0, ml = 0;
	json_t *rank = json_array();
	double *u = xmalloc(k * sizeof *u);
	size_t *ord = xmalloc(k * sizeof *ord), m = 0;
	wq = isnan(wq) ? 0 : wq;
	wc = isnan(wc) ? 0 : wc;
	wl = isnan(wl) ? 0 : wl;
	for (size_t i = 0; i < k; i++) {
		if (f[i].nodata)
			continue;
		if (f[i].cost > mc)
			mc = f[i].cost;
		if (f[i].p95 > ml)
			ml = f[i].p95;
	}
	for (size_t i = 0; i < k; i++) {
		if (f[i].nodata)
			continue;
		u[i] = wq * (isnan(f[i].pass) ? 0 : f[i].pass);
		if (mc > 0 && !isnan(f[i].cost))
			u[i] += wc * (1 - f[i].cost / mc);
		if (ml > 0 && !isnan(f[i].p95))
			u[i] += wl * (1 - f[i].p95 / ml);
		ord[m++] = i;
	}
	for (size_t i = 1; i < m; i++)
		for (size_t q = i; q > 0 && u[ord[q]] > u[ord[q - 1]]; q--) {
			size_t t = ord[q];
			ord[q] = ord[q - 1];
			ord[q - 1] = t;
		}
	for (size_t i = 0; i < m; i++)
		json_array_append_new(rank, json_pack(
			"{s:O, s:o}", "label", json_object_get(
				json_array_get(cands, ord[i]), "label"),
			"utility", rs_num(u[ord[i]])));
	free(u);
	free(ord);
	return rank;
}

json_t *rs_decision(const struct rs_run *r, json_t *cands,
		    const struct stats_opts *o)
{
	const json_t *d = r->decision;
	size_t k = json_array_size(cands);
	struct cand_fig *f;
	struct limits l = { NAN, NAN, NAN, NAN };
	double volume = NAN;
	json_t *j, *rows, *pareto, *notes, *cons, *nodata;
	long best = -1, settle = 0;
	bool clear = true;
	(void)o;

	if (!k)
		return NULL;
	j = json_object();
	rows = json_array();
	pareto = json_array();
	notes = json_array();
	cons = json_object();
	nodata = json_array();
	if (d) {
		l.minp = rs_jnum(d, "min_pass_rate");
		l.maxp95 = rs_jnum(d, "max_p95_ms");
		l.maxc = rs_jnum(d, "max_cost_per_1k");
		l.maxe = rs_jnum(d, "max_error_rate");
		volume = rs_jnum(d, "volume");
		json_object_set_new(cons, "min_pass_rate", rs_num(l.minp));
		json_object_set_new(cons, "max_p95_ms", rs_num(l.maxp95));
		json_object_set_new(cons, "max_cost_per_1k", rs_num(l.maxc));
		json_object_set_new(cons, "max_error_rate", rs_num(l.maxe));
		if (!isnan(volume))
			json_object_set_new(cons, "volume", rs_num(volume));
	}
	f = xcalloc(k, sizeof *f);
	for (size_t i = 0; i < k; i++)
		figs(i < r->ncands ? &r->cands[i] : NULL,
		     json_array_get(cands, i), l.maxp95, &f[i]);
	json_object_set_new(j, "constraints", cons);
	for (size_t i = 0; i < k; i++) {
		json_t *row = json_object(), *c = json_array_get(cands, i);
		const char *v[K_N];
		long need[K_N];
		bool meets = !f[i].nodata, sure = true;
		judge(&f[i], &l, v, need);
		json_object_set_new(row, "label", json_incref(
			json_object_get(c, "label")));
		for (int q = 0; q < K_N; q++) {
			if (!v[q])
				continue;
			json_object_set_new(row, k_name[q], json_string(v[q]));
			meets = meets && (is(v[q], "yes") || is(v[q], "likely"));
			sure = sure && is(v[q], "yes");
		}
		if (!isnan(l.maxp95) && f[i].timed)
			json_object_set_new(row, "share_over_p95_limit",
					    json_real((double)f[i].slow /
						      (double)f[i].timed));
		json_object_set_new(row, "meets", json_boolean(meets));
		json_object_set_new(row, "clearly", json_boolean(meets && sure));
		json_object_set_new(row, "no_data", json_boolean(f[i].nodata));
		if (f[i].nodata)
			json_array_append_new(nodata, json_incref(
				json_object_get(c, "label")));
		if (!isnan(volume) && !isnan(f[i].pq)) {
			double m = volume * DAYS_PER_MONTH;
			json_t *mc = rs_interval(f[i].pq * m, f[i].pq_lo * m,
						 f[i].pq_hi * m);
			json_object_set_new(row, "monthly_cost", mc);
		}
		json_array_append_new(rows, row);
		if (meets && (best < 0 ||
			      (!isnan(f[i].cost) &&
			       (isnan(f[best].cost) || f[i].cost < f[best].cost)) ||
			      (f[i].cost == f[best].cost && f[i].pass > f[best].pass)))
			best = (long)i;
	}
	json_object_set_new(j, "candidates", rows);
	json_object_set_new(j, "no_data", nodata);
	for (size_t i = 0; i < k; i++)
		if (f[i].nodata)
			note(notes, "%s has no graded results (no data)%s",
			     json_string_value(json_object_get(json_array_get(
				     cands, i), "label")), "");
	if (best >= 0) {
		json_t *row = json_array_get(rows, (size_t)best);
		const char *v[K_N];
		long need[K_N];
		char what[128];
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
		judge(&f[best], &l, v, need);
		if (!json_is_true(json_object_get(row, "clearly"))) {
			clear = false;
			list_of(v, "likely", NULL, what, sizeof what);
			note(notes, "%s is only likely within its limit on: %s",
			     json_string_value(json_object_get(row, "label")),
			     what);
			for (int q = 0; q < K_N; q++)
				if (is(v[q], "likely") && need[q] > settle)
					settle = need[q];
		}
		/* a cheaper candidate that is not ruled out (no "no") might
		 * meet the constraints too: every constraint counts alike */
		for (size_t i = 0; i < k; i++) {
			const char *vi[K_N];
			long ni[K_N];
			bool ruled = false;
			if ((long)i == best || f[i].nodata || isnan(f[i].cost) ||
			    isnan(f[best].cost) || f[i].cost >= f[best].cost)
				continue;
			judge(&f[i], &l, vi, ni);
			for (int q = 0; q < K_N; q++)
				ruled = ruled || is(vi[q], "no");
			if (ruled)
				continue;
			clear = false;
			list_of(vi, "unlikely", "likely", what, sizeof what);
			note(notes, "cheaper %s may still meet the constraints "
			     "(in doubt: %s)", json_string_value(json_object_get(
				     json_array_get(cands, i), "label")), what);
			for (int q = 0; q < K_N; q++)
				if ((is(vi[q], "unlikely") || is(vi[q], "likely"))
				    && ni[q] > settle)
					settle = ni[q];
		}
	} else {
		json_object_set_new(j, "recommended", json_null());
		if (d) {
			clear = false;
			json_array_append_new(notes, json_string(
				"no candidate meets every constraint"));
		}
	}
	if (settle > 0) {
		/* a total: never fewer than one more case than we have */
		long have = 0;
		for (size_t i = 0; i < k; i++)
			if (f[i].n > have)
				have = f[i].n;
		if (settle <= have)
			settle = have + 1;
	}
	json_object_set_new(j, "statistically_clear", json_boolean(clear));
	json_object_set_new(j, "cases_to_settle", settle > 0
			    ? json_integer(settle) : json_null());
	json_object_set_new(j, "cases_to_settle_power", json_real(0.8));
	json_object_set_new(j, "notes", notes);
	for (size_t i = 0; i < k; i++) {
		bool dom = f[i].nodata;
		for (size_t q = 0; q < k && !dom; q++)
			dom = q != i && !f[q].nodata && dominates(&f[q], &f[i]);
		if (!dom)
			json_array_append_new(pareto, json_incref(json_object_get(
				json_array_get(cands, i), "label")));
	}
	json_object_set_new(j, "pareto", pareto);
	if (!isnan(volume))
		json_object_set_new(j, "days_per_month", json_real(DAYS_PER_MONTH));
	if (d && json_is_object(json_object_get(d, "weights")))
		json_object_set_new(j, "weighted", weighted(d, f, cands, k));
	free(f);
	return j;
}
