/* load_eval.c — from one step's counts to its figures and verdict, from a
 * candidate's steps to its conclusion (highest rate within the SLO, the
 * knee), and every figure as JSON (the one JSON writer for load results:
 * the store, -o and the text printer all read it).  docs/load.md defines
 * every figure. */
#include "load/load_int.h"

#include <math.h>
#include <string.h>

#include "stats/stats.h"

double load_slo_limit(const struct load_slo *slo)
{
	for (size_t i = 0; i < slo->n; i++)
		if (slo->c[i].kind == SLO_LATENCY)
			return slo->c[i].limit;
	return -1;
}

static void why_add(struct load_step *st, const char *text)
{
	size_t n = strlen(st->why);
	snprintf(st->why + n, sizeof st->why - n, "%s%s", n ? "; " : "", text);
}

void load_step_figures(struct load_step *st, const struct load_plan *p)
{
	double d = st->duration_s > 0 ? st->duration_s : 1;
	long attempted = st->responses + st->unfinished;
	long growth;
	st->achieved_rps = (double)st->in_window / d;
	st->ok_rps = (double)st->ok_in_window / d;
	st->error_rate = attempted ? (double)(st->errors + st->unfinished) / (double)attempted : 0;
	st->rate429 = attempted ? (double)st->http429 / (double)attempted : 0;
	st->tokens_per_s = (double)st->tokens_out / d;
	st->inflight_mean = st->inflight_area / (d * 1000.0);
	st->slo_limit_ms = load_slo_limit(&p->slo);
	st->attainment = attempted ? (double)st->within / (double)attempted : 0;
	st->goodput_rps = (double)st->good / d;
	/* The backlog grows without bound when the outstanding requests rose
	 * between the middle and the end of the window by more than noise
	 * allows: 5 requests, or 5 % of the step's arrivals. */
	growth = st->backlog_end - st->backlog_mid;
	st->backlog_growing = growth > 5 && (double)growth > 0.05 * (double)st->scheduled;
	st->why[0] = '\0';
	if (st->interrupted || st->sent == 0) {
		st->verdict = -1;
		snprintf(st->why, sizeof st->why, "%s",
			 st->interrupted ? "interrupted" : "nothing sent");
		return;
	}
	st->verdict = 1;
	if (st->backlog_growing) {
		char t[128];
		st->verdict = 0;
		snprintf(t, sizeof t, "backlog grows (%ld more outstanding at the end "
			 "than mid-step; achieved %.1f/s)", growth, st->achieved_rps);
		why_add(st, t);
	}
	for (size_t i = 0; i < p->slo.n; i++) {
		const struct slo_clause *c = &p->slo.c[i];
		double v;
		char t[128];
		if (c->kind == SLO_ERRORS) {
			if (st->error_rate >= c->limit && !(c->limit == 0 && st->error_rate == 0)) {
				st->verdict = 0;
				snprintf(t, sizeof t, "errors %.2f%% not < %.2f%%",
					 100 * st->error_rate, 100 * c->limit);
				why_add(st, t);
			}
			continue;
		}
		v = hist_quantile_ms(c->kind == SLO_TTFT ? &st->ttft : &st->lat, c->q);
		/* unanswered requests have no latency: they break a latency SLO
		 * when they are more than the quantile's tail allows */
		if (attempted && (double)st->unfinished / (double)attempted > 1 - c->q)
			v = INFINITY;
		if (v < 0 || !(v < c->limit)) {
			st->verdict = 0;
			if (v < 0)
				snprintf(t, sizeof t, "%s broken: no successful answer", c->text);
			else if (isfinite(v))
				snprintf(t, sizeof t, "%s broken: %.1f ms", c->text, v);
			else
				snprintf(t, sizeof t, "%s broken: too many unanswered", c->text);
			why_add(st, t);
		}
	}
}

long load_knee(const double *x, const double *y, size_t n)
{
	double x0, x1, y0, y1, best = 0;
	long at = -1;
	if (n < 3)
		return -1;
	x0 = x1 = x[0];
	y0 = y1 = y[0];
	for (size_t i = 1; i < n; i++) {
		x0 = fmin(x0, x[i]);
		x1 = fmax(x1, x[i]);
		y0 = fmin(y0, y[i]);
		y1 = fmax(y1, y[i]);
	}
	if (!(x1 > x0) || !(y1 > y0))
		return -1;
	for (size_t i = 0; i < n; i++) {
		double d = (x[i] - x0) / (x1 - x0) - (y[i] - y0) / (y1 - y0);
		if (d > best + 1e-12) {
			best = d;
			at = (long)i;
		}
	}
	return at;
}

static json_t *num(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

json_t *load_hist_json(const struct hist *h)
{
	json_t *b = json_array();
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		uint64_t lo, w;
		if (!h->count[i])
			continue;
		hist_bucket_range(i, &lo, &w);
		json_array_append_new(b, json_pack("[I,I,I]", (json_int_t)lo,
						   (json_int_t)w, (json_int_t)h->count[i]));
	}
	return json_pack("{s:I,s:I,s:I,s:o}", "n", (json_int_t)h->n,
			 "min_us", (json_int_t)(h->n ? h->min_us : 0),
			 "max_us", (json_int_t)h->max_us, "buckets_lo_width_count", b);
}

static json_t *quantiles(const struct hist *h)
{
	if (!h->n)
		return json_null();
	return json_pack("{s:o,s:o,s:o,s:o,s:o,s:o}",
			 "p50", num(hist_quantile_ms(h, 0.50)),
			 "p90", num(hist_quantile_ms(h, 0.90)),
			 "p95", num(hist_quantile_ms(h, 0.95)),
			 "p99", num(hist_quantile_ms(h, 0.99)),
			 "max", num(hist_quantile_ms(h, 1.0)),
			 "mean", num(hist_mean_ms(h)));
}

json_t *load_step_json(const struct load_step *st)
{
	json_t *j = json_object();
	json_object_set_new(j, "step", json_integer((json_int_t)st->idx));
	json_object_set_new(j, "offered_rps", num(st->offered_rps));
	json_object_set_new(j, "duration_s", num(st->duration_s));
	json_object_set_new(j, "achieved_rps", num(st->achieved_rps));
	json_object_set_new(j, "ok_rps", num(st->ok_rps));
	json_object_set_new(j, "scheduled", json_integer(st->scheduled));
	json_object_set_new(j, "sent", json_integer(st->sent));
	json_object_set_new(j, "responses", json_integer(st->responses));
	json_object_set_new(j, "ok", json_integer(st->ok));
	json_object_set_new(j, "errors", json_integer(st->errors + st->unfinished));
	json_object_set_new(j, "unfinished", json_integer(st->unfinished));
	json_object_set_new(j, "timeouts", json_integer(st->timeouts));
	json_object_set_new(j, "http_429", json_integer(st->http429));
	json_object_set_new(j, "error_rate", num(st->error_rate));
	json_object_set_new(j, "rate_429", num(st->rate429));
	json_object_set_new(j, "latency_ms", quantiles(&st->lat));
	json_object_set_new(j, "ttft_ms", quantiles(&st->ttft));
	json_object_set_new(j, "service_ms", quantiles(&st->svc));
	json_object_set_new(j, "send_lag_ms", quantiles(&st->lag));
	json_object_set_new(j, "late_sends", json_integer(st->late));
	json_object_set_new(j, "late_capped", json_integer(st->capped));
	json_object_set_new(j, "on_time_share", st->sent ? num((double)(st->sent - st->late) /
							       (double)st->sent) : json_null());
	json_object_set_new(j, "late_lag_ms", num(st->lag_late_ms));
	json_object_set_new(j, "late_lag_runq_ms", st->runq_unknown ? json_null() : num(st->lag_runq_ms));
	json_object_set_new(j, "late_by_runq", st->runq_unknown ? json_null() : json_integer(st->late_runq));
	json_object_set_new(j, "runq_wait_ms", st->runq_unknown ? json_null() : num(st->runq_ms));
	{
		json_t *causes = json_object(), *parts = json_object();
		for (int i = 0; i < LAG_NCAUSES; i++) {
			json_object_set_new(causes, lag_cause_key((enum lag_cause)i),
					    json_integer(st->late_cause[i]));
			json_object_set_new(parts, lag_cause_key((enum lag_cause)i),
					    num(st->late_part_ms[i]));
		}
		json_object_set_new(j, "late_causes", causes);
		json_object_set_new(j, "late_lag_parts_ms", parts);
	}
	json_object_set_new(j, "late_by_own", json_integer(st->late_own));
	json_object_set_new(j, "late_by_own_queued", json_integer(st->late_own_queued));
	json_object_set_new(j, "own_on_time_share", st->sent ? num((double)(st->sent - st->late_own) /
								   (double)st->sent) : json_null());
	json_object_set_new(j, "steal_ms", st->steal_ms >= 0 ? num(st->steal_ms) : json_null());
	json_object_set_new(j, "budget_skipped", json_integer(st->budget_skipped));
	json_object_set_new(j, "tokens_out", json_integer(st->tokens_out));
	json_object_set_new(j, "tokens_per_s", num(st->tokens_per_s));
	json_object_set_new(j, "cost_usd", st->cost_unknown && st->cost_unknown >= st->responses
			    ? json_null() : num(st->cost_usd));
	json_object_set_new(j, "cost_unknown", json_integer(st->cost_unknown));
	json_object_set_new(j, "inflight_mean", num(st->inflight_mean));
	json_object_set_new(j, "inflight_max", json_integer(st->inflight_max));
	json_object_set_new(j, "backlog_mid", json_integer(st->backlog_mid));
	json_object_set_new(j, "backlog_end", json_integer(st->backlog_end));
	json_object_set_new(j, "backlog_growing", json_boolean(st->backlog_growing));
	json_object_set_new(j, "slo_limit_ms", st->slo_limit_ms > 0 ? num(st->slo_limit_ms) : json_null());
	json_object_set_new(j, "slo_attainment", st->slo_limit_ms > 0 ? num(st->attainment) : json_null());
	json_object_set_new(j, "graded", json_integer(st->graded));
	json_object_set_new(j, "passed", json_integer(st->passed));
	json_object_set_new(j, "ungraded", json_integer(st->ungraded));
	json_object_set_new(j, "grade_errors", json_integer(st->grade_errors));
	json_object_set_new(j, "pass_rate", st->graded ? num((double)st->passed / (double)st->graded) : json_null());
	json_object_set_new(j, "goodput_rps", st->slo_limit_ms > 0 ? num(st->goodput_rps) : json_null());
	json_object_set_new(j, "verdict", st->verdict < 0 ? json_null() : json_string(st->verdict ? "pass" : "fail"));
	json_object_set_new(j, "why", json_string(st->why));
	json_object_set_new(j, "interrupted", json_boolean(st->interrupted));
	json_object_set_new(j, "budget_hit", json_boolean(st->budget_hit));
	return j;
}

json_t *load_plan_json(const struct load_plan *p)
{
	json_t *rates = json_array(), *slo = json_array();
	for (size_t i = 0; i < p->n_rates; i++)
		json_array_append_new(rates, json_real(p->rates[i]));
	for (size_t i = 0; i < p->slo.n; i++)
		json_array_append_new(slo, json_string(p->slo.c[i].text));
	return json_pack("{s:o,s:f,s:s,s:I,s:i,s:I,s:o,s:f,s:f,s:b,s:b,s:o}",
			 "rates", rates, "duration_s", p->duration_s,
			 "arrivals", p->arrivals == LOAD_POISSON ? "poisson" : "constant",
			 "seed", (json_int_t)p->seed, "concurrency", p->concurrency,
			 "max_requests", (json_int_t)p->max_requests,
			 "max_cost", p->max_cost >= 0 ? json_real(p->max_cost) : json_null(),
			 "late_ms", p->late_ms, "drain_s", p->drain_s,
			 "keep_going", p->keep_going, "realtime", p->realtime, "slo", slo);
}

json_t *load_candidate_summary(const struct load_step *const *steps, size_t n,
			       const struct load_plan *p)
{
	json_t *j = json_object();
	double xs[64], ys[64];
	size_t m = 0;
	long last_pass = -1, first_fail = -1, knee;
	for (size_t i = 0; i < n; i++) {
		const struct load_step *st = steps[i];
		if (st->verdict == 1 && first_fail < 0)
			last_pass = (long)i;
		if (st->verdict == 0 && first_fail < 0)
			first_fail = (long)i;
		if (st->verdict >= 0 && st->lat.n && m < 64) {
			xs[m] = st->offered_rps;
			ys[m] = hist_quantile_ms(&st->lat, 0.95);
			m++;
		}
	}
	/* The highest rate sustained: the last step that passed before the
	 * first that failed.  The true limit lies between it and the failing
	 * rate (the steps bracket it); without a failure only a lower bound
	 * is known. */
	if (last_pass >= 0) {
		const struct load_step *st = steps[last_pass];
		json_object_set_new(j, "sustained_rps", json_real(st->offered_rps));
		json_object_set_new(j, "sustained_interval_rps",
				    json_pack("[f,o]", st->offered_rps,
					      first_fail >= 0 ? json_real(steps[first_fail]->offered_rps)
							      : json_null()));
		if (st->slo_limit_ms > 0) {
			long k = st->within, tot = st->responses + st->unfinished;
			struct interval iv = stats_wilson(k, tot, 0.95);
			json_object_set_new(j, "sustained_attainment",
					    json_pack("{s:f,s:f,s:f,s:I,s:I}", "share",
						      tot ? (double)k / (double)tot : 0.0,
						      "lo95", iv.lo, "hi95", iv.hi,
						      "within", (json_int_t)k, "n", (json_int_t)tot));
		}
	} else {
		json_object_set_new(j, "sustained_rps", json_null());
		json_object_set_new(j, "sustained_interval_rps",
				    first_fail >= 0 ? json_pack("[f,f]", 0.0, steps[first_fail]->offered_rps)
						    : json_null());
	}
	json_object_set_new(j, "first_failing_rps",
			    first_fail >= 0 ? json_real(steps[first_fail]->offered_rps) : json_null());
	knee = load_knee(xs, ys, m);
	json_object_set_new(j, "knee_rps", knee >= 0 ? json_real(xs[knee]) : json_null());
	(void)p;
	return j;
}
