/* analysis_decide.c — the model decision: which candidates meet the
 * suite's `decision:` constraints (every constraint judged on an
 * interval, not only on the estimate), the cheapest one that does,
 * whether that answer is statistically clear yet and how many cases
 * would settle it (80% power), the Pareto-optimal set on quality, cost
 * and p95 latency, an optional weighted ranking and, with `volume:`, the
 * monthly cost at that many queries a day.  Candidates without graded
 * results are "no data": never recommended, never Pareto-optimal, never
 * ranked.  Works on typed inputs (struct rs_dec_cand) and, for the
 * latency constraint, on each candidate's results.  Formulas:
 * docs/statistics.md, "The decision". */
#include "analysis_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
static long to_settle(double p, double t, double deff)
{
	return stats_cases_to_settle(p, t, deff, 0.05, 0.8);
}

/* Requests over the p95 limit (an infrastructure error — a timeout, a
 * 5xx — was not served within the limit; a cache hit counts with its
 * original latency). */
static void count_slow(const struct rs_dec_cand *f, double maxp95,
		       long *slow, long *timed)
{
	*slow = *timed = 0;
	if (!f->items || isnan(maxp95))
		return;
	for (size_t i = 0; i < f->items->n; i++) {
		const struct rs_item it_ = rs_at(f->items, i), *it = &it_;
		if (it->pass == RS_ERROR) {
			(*timed)++;
			(*slow)++;
		} else if (!isnan(it->lat)) {
			(*timed)++;
			*slow += it->lat > maxp95;
		}
	}
}

/* a dominates b: no worse on every known axis and better on one. */
static bool dominates(const struct rs_dec_cand *a, const struct rs_dec_cand *b)
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

static const char *const k_name[RS_K_N] = { "pass_rate", "p95", "cost",
					    "error_rate" };

/* The verdicts of one candidate (NULL for an unset constraint), and the
 * cases that would settle each doubtful rate constraint. */
static void judge(const struct rs_dec_cand *f, long slow, long timed,
		  const struct suite_decision *l, const char *v[RS_K_N],
		  long need[RS_K_N])
{
	struct interval w;
	for (int k = 0; k < RS_K_N; k++) {
		v[k] = NULL;
		need[k] = -1;
	}
	if (!isnan(l->min_pass_rate)) {
		v[RS_K_PASS] = f->nodata ? "no data" : verdict(
			f->pass, f->pass_lo, f->pass_hi, l->min_pass_rate, true);
		need[RS_K_PASS] = to_settle(f->pass, l->min_pass_rate, f->deff);
	}
	if (!isnan(l->max_p95_ms) && !timed) {
		/* no items to count (hand-built inputs): the p95 interval */
		v[RS_K_P95] = f->nodata ? "no data" : verdict(
			f->p95, f->p95_lo, f->p95_hi, l->max_p95_ms, false);
	} else if (!isnan(l->max_p95_ms)) {
		/* p95 <= limit <=> share slower than the limit <= 5% */
		double s = (double)slow / (double)timed;
		w = stats_wilson(slow, timed, 0.95);
		v[RS_K_P95] = f->nodata ? "no data"
					: verdict(s, w.lo, w.hi, TAIL, false);
		need[RS_K_P95] = to_settle(s, TAIL, 1);
	}
	if (!isnan(l->max_cost_per_1k))	/* no interval: the cost as measured */
		v[RS_K_COST] = f->nodata ? "no data" : verdict(
			f->cost, isnan(f->cost_lo) ? f->cost : f->cost_lo,
			isnan(f->cost_hi) ? f->cost : f->cost_hi,
			l->max_cost_per_1k, false);
	if (!isnan(l->max_error_rate)) {
		double e = f->results ? (double)f->errs / (double)f->results
				      : NAN;
		w = stats_wilson(f->errs, f->results, 0.95);
		v[RS_K_ERR] = verdict(e, f->results ? w.lo : NAN,
				      f->results ? w.hi : NAN,
				      l->max_error_rate, false);
		need[RS_K_ERR] = to_settle(e, l->max_error_rate, 1);
	}
}

static bool is(const char *v, const char *w)
{
	return v && w && !strcmp(v, w);
}

static void note(struct rs_decision *d, const char *fmt, const char *label,
		 const char *what)
{
	char msg[512];
	snprintf(msg, sizeof msg, fmt, label, what);
	d->notes = xrealloc(d->notes, (d->nnotes + 1) * sizeof *d->notes);
	d->notes[d->nnotes++] = xstrdup(msg);
}

/* "pass rate, p95" — the constraints whose verdict is `want1`/`want2` */
static void list_of(const char *v[RS_K_N], const char *want1,
		    const char *want2, char *buf, size_t n)
{
	size_t len = 0;
	buf[0] = '\0';
	for (int k = 0; k < RS_K_N; k++)
		if (is(v[k], want1) || is(v[k], want2))
			len += (size_t)snprintf(buf + len, len < n ? n - len : 0,
						"%s%s", len ? ", " : "",
						k_name[k]);
}

static void weighted(const struct suite_decision *d,
		     const struct rs_dec_cand *f, size_t k,
		     struct rs_decision *out)
{
	double wq = isnan(d->w_quality) ? 0 : d->w_quality;
	double wc = isnan(d->w_cost) ? 0 : d->w_cost;
	double wl = isnan(d->w_latency) ? 0 : d->w_latency;
	double mc = 0, ml = 0;
	double *u = xmalloc(k * sizeof *u);
	size_t *ord = xmalloc(k * sizeof *ord), m = 0;
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
	out->wrank = ord;
	out->nw = m;
	out->wutil = xmalloc((m ? m : 1) * sizeof *out->wutil);
	for (size_t i = 0; i < m; i++)
		out->wutil[i] = u[ord[i]];
	free(u);
}

/* Each candidate's verdicts and row; returns the cheapest that meets
 * every constraint (ties: the higher pass rate), -1 for none. */
static long rows(const struct rs_dec_cand *f, size_t k, const long *slow,
		 const long *timed, struct rs_decision *out)
{
	const struct suite_decision *d = &out->d;
	long best = -1;
	for (size_t i = 0; i < k; i++) {
		struct rs_dec_row *row = &out->rows[i];
		long need[RS_K_N];
		bool meets = !f[i].nodata, sure = true;
		judge(&f[i], slow[i], timed[i], d, row->v, need);
		out->labels[i] = f[i].label;
		for (int q = 0; q < RS_K_N; q++) {
			if (!row->v[q])
				continue;
			meets = meets && (is(row->v[q], "yes") ||
					  is(row->v[q], "likely"));
			sure = sure && is(row->v[q], "yes");
		}
		if (!isnan(d->max_p95_ms) && timed[i]) {
			row->has_share = true;
			row->share = (double)slow[i] / (double)timed[i];
		}
		row->meets = meets;
		row->clearly = meets && sure;
		row->nodata = f[i].nodata;
		if (!isnan(d->volume) && !isnan(f[i].pq)) {
			double m = d->volume * DAYS_PER_MONTH;
			row->has_monthly = true;
			row->mc_est = f[i].pq * m;
			row->mc_lo = f[i].pq_lo * m;
			row->mc_hi = f[i].pq_hi * m;
		}
		if (meets && (best < 0 ||
			      (!isnan(f[i].cost) &&
			       (isnan(f[best].cost) || f[i].cost < f[best].cost)) ||
			      (f[i].cost == f[best].cost && f[i].pass > f[best].pass)))
			best = (long)i;
	}
	return best;
}

/* Whether the recommendation `best` is statistically clear: it must meet
 * every constraint on its interval, and no cheaper candidate may still
 * be in the running (every constraint counts alike).  Adds the notes and
 * raises *settle to the cases that would settle each doubt. */
static bool clear_of(const struct rs_dec_cand *f, size_t k, long best,
		     const long *slow, const long *timed,
		     struct rs_decision *out, long *settle)
{
	const struct suite_decision *d = &out->d;
	const char *v[RS_K_N];
	long need[RS_K_N];
	char what[128];
	bool clear = true;
	judge(&f[best], slow[best], timed[best], d, v, need);
	if (!out->rows[best].clearly) {
		clear = false;
		list_of(v, "likely", NULL, what, sizeof what);
		note(out, "%s is only likely within its limit on: %s",
		     f[best].label, what);
		for (int q = 0; q < RS_K_N; q++)
			if (is(v[q], "likely") && need[q] > *settle)
				*settle = need[q];
	}
	for (size_t i = 0; i < k; i++) {
		const char *vi[RS_K_N];
		long ni[RS_K_N];
		bool ruled = false;
		if ((long)i == best || f[i].nodata || isnan(f[i].cost) ||
		    isnan(f[best].cost) || f[i].cost >= f[best].cost)
			continue;
		judge(&f[i], slow[i], timed[i], d, vi, ni);
		for (int q = 0; q < RS_K_N; q++)
			ruled = ruled || is(vi[q], "no");
		if (ruled)
			continue;
		clear = false;
		list_of(vi, "unlikely", "likely", what, sizeof what);
		note(out, "cheaper %s may still meet the constraints "
		     "(in doubt: %s)", f[i].label, what);
		for (int q = 0; q < RS_K_N; q++)
			if ((is(vi[q], "unlikely") || is(vi[q], "likely")) &&
			    ni[q] > *settle)
				*settle = ni[q];
	}
	return clear;
}

void rs_decision(const struct suite_decision *d, const struct rs_dec_cand *f,
		 size_t k, struct rs_decision *out)
{
	long best, settle = 0, *slow, *timed;
	bool clear = true;

	memset(out, 0, sizeof *out);
	out->rec = -1;
	out->settle = -1;
	if (!k)
		return;
	out->present = true;
	out->d = *d;
	if (!d->set) {
		out->d.min_pass_rate = out->d.max_p95_ms = NAN;
		out->d.max_cost_per_1k = out->d.max_error_rate = NAN;
		out->d.volume = NAN;
		out->d.has_weights = false;
	}
	d = &out->d;
	out->rows = xcalloc(k, sizeof *out->rows);
	out->labels = xcalloc(k, sizeof *out->labels);
	out->nrows = k;
	slow = xcalloc(k, sizeof *slow);
	timed = xcalloc(k, sizeof *timed);
	for (size_t i = 0; i < k; i++)
		count_slow(&f[i], d->max_p95_ms, &slow[i], &timed[i]);
	best = rows(f, k, slow, timed, out);
	for (size_t i = 0; i < k; i++)
		if (f[i].nodata)
			note(out, "%s has no graded results (no data)%s",
			     f[i].label, "");
	if (best >= 0) {
		out->rec = best;
		out->rec_pass = f[best].pass;
		out->rec_lo = f[best].pass_lo;
		out->rec_hi = f[best].pass_hi;
		out->rec_p95 = f[best].p95;
		out->rec_cost = f[best].cost;
		clear = clear_of(f, k, best, slow, timed, out, &settle);
	} else if (d->set) {
		clear = false;
		note(out, "%s%s", "no candidate meets every constraint", "");
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
	out->clear = clear;
	out->settle = settle > 0 ? settle : -1;
	out->pareto = xmalloc(k * sizeof *out->pareto);
	for (size_t i = 0; i < k; i++) {
		bool dom = f[i].nodata;
		for (size_t q = 0; q < k && !dom; q++)
			dom = q != i && !f[q].nodata && dominates(&f[q], &f[i]);
		if (!dom)
			out->pareto[out->npareto++] = i;
	}
	if (d->set && d->has_weights)
		weighted(d, f, k, out);
	free(slow);
	free(timed);
}

void rs_decision_free(struct rs_decision *d)
{
	for (size_t i = 0; i < d->nnotes; i++)
		free(d->notes[i]);
	free(d->notes);
	free(d->rows);
	free(d->labels);
	free(d->pareto);
	free(d->wrank);
	free(d->wutil);
	memset(d, 0, sizeof *d);
}
