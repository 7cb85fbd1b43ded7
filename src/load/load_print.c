/* load_print.c — a load report as text: one table per candidate (a row per
 * step), its conclusion and the warnings that matter (late sends: the
 * client was the bottleneck; ungraded answers; the budget).  Reads the
 * report JSON — the one form both a live run and `assay show` have.  Each
 * step also gets a line on the scheduler itself: the share of sends within
 * --late-ms of schedule, the lag quantiles, and what the late sends waited
 * for (the -j cap, or a CPU: run-queue wait). */
#include "load/load.h"

#include <math.h>
#include <string.h>

static double n_of(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

static double q_of(const json_t *o, const char *k, const char *q)
{
	return n_of(json_object_get(o, k), q);
}

static void cell(FILE *f, int w, int prec, double v)
{
	if (isnan(v))
		fprintf(f, " %*s", w, "-");
	else
		fprintf(f, " %*.*f", w, prec, v);
}

static void step_row(FILE *f, const json_t *s)
{
	const char *v = json_string_value(json_object_get(s, "verdict"));
	double pr = n_of(s, "pass_rate"), att = n_of(s, "slo_attainment");
	cell(f, 7, 1, n_of(s, "offered_rps"));
	cell(f, 8, 1, n_of(s, "achieved_rps"));
	cell(f, 7, 1, q_of(s, "latency_ms", "p50"));
	cell(f, 7, 1, q_of(s, "latency_ms", "p90"));
	cell(f, 7, 1, q_of(s, "latency_ms", "p95"));
	cell(f, 7, 1, q_of(s, "latency_ms", "p99"));
	cell(f, 7, 1, q_of(s, "latency_ms", "max"));
	cell(f, 7, 1, q_of(s, "ttft_ms", "p95"));
	cell(f, 5, 1, 100 * n_of(s, "error_rate"));
	cell(f, 5, 1, 100 * n_of(s, "rate_429"));
	cell(f, 5, 0, n_of(s, "late_sends"));
	cell(f, 6, 1, n_of(s, "inflight_mean"));
	cell(f, 7, 0, n_of(s, "tokens_per_s"));
	cell(f, 8, 4, n_of(s, "cost_usd"));
	cell(f, 5, 1, 100 * att);
	cell(f, 5, 1, 100 * pr);
	cell(f, 7, 1, n_of(s, "goodput_rps"));
	fprintf(f, "  %s\n", v ? v : json_is_true(json_object_get(s, "interrupted")) ?
		"interrupted" : "-");
}

/* The scheduler's own figures for one step: how closely sends kept to
 * schedule, and where the late sends' lag went — held by the -j cap or
 * the budget, the machine (run-queue wait, a late timer, off the CPU
 * while awake) or the loop's own work — so a reader can tell the loop's
 * own lag from the machine's.  Reports stored before the split have only
 * the run-queue figures; they print those. */
static void schedule_line(FILE *f, const json_t *s, double late_ms)
{
	static const char *const names[] = { "held", "runq", "timer", "offcpu", "own" };
	static const char *const words[] = { "held by -j or budget", "run queue",
					     "late timer", "off CPU", "own work" };
	double sent = n_of(s, "sent"), late = n_of(s, "late_sends");
	double runq = n_of(s, "late_lag_runq_ms"), lag = n_of(s, "late_lag_ms");
	const json_t *causes = json_object_get(s, "late_causes");
	const json_t *parts = json_object_get(s, "late_lag_parts_ms");
	double steal = n_of(s, "steal_ms");
	if (!(sent > 0))
		return;
	fprintf(f, "  sends vs schedule at %.1f/s: %.1f%% within %g ms (lag p50 %.2f, "
		"p99 %.2f, max %.2f ms)", n_of(s, "offered_rps"),
		100 * (sent - late) / sent, late_ms, q_of(s, "send_lag_ms", "p50"),
		q_of(s, "send_lag_ms", "p99"), q_of(s, "send_lag_ms", "max"));
	if (late > 0 && causes) {
		fprintf(f, "; %.0f late, by cause:", late);
		for (size_t i = 0; i < sizeof names / sizeof *names; i++)
			fprintf(f, "%s %s %.0f (%.0f ms)", i ? "," : "", words[i],
				n_of(causes, names[i]), n_of(parts, names[i]));
		fprintf(f, "; late by the loop's own work alone: %.0f (%.2f%% within %g ms "
			"but for the machine and the cap)", n_of(s, "late_by_own"),
			100 * n_of(s, "own_on_time_share"), late_ms);
		if (n_of(s, "late_by_own_queued") > 0)
			fprintf(f, ", %.0f of them in line behind an earlier late send",
				n_of(s, "late_by_own_queued"));
	} else if (late > 0) {
		fprintf(f, "; %.0f late: %.0f waited for the -j cap", late,
			n_of(s, "late_capped"));
		if (!isnan(runq))
			fprintf(f, ", %.0f late only because the machine kept assay off the "
				"CPU (run-queue wait: %.0f%% of the late sends' lag)",
				n_of(s, "late_by_runq"), lag > 0 ? 100 * runq / lag : 0);
	}
	if (!isnan(steal))
		fprintf(f, "; hypervisor steal %.0f ms", steal);
	fprintf(f, "\n");
}

static void conclusion(FILE *f, const json_t *cand)
{
	const json_t *sum = json_object_get(cand, "summary"), *steps;
	const json_t *iv = json_object_get(sum, "sustained_interval_rps");
	const json_t *att = json_object_get(sum, "sustained_attainment");
	double sus = n_of(sum, "sustained_rps"), knee = n_of(sum, "knee_rps");
	size_t i;
	const json_t *s;
	if (!isnan(sus)) {
		double hi = json_is_number(json_array_get(iv, 1)) ?
		     json_number_value(json_array_get(iv, 1)) : NAN;
		fprintf(f, "  highest rate sustained: %.1f req/s ", sus);
		if (isnan(hi))
			fprintf(f, "(at least: no measured step failed)\n");
		else
			fprintf(f, "(the limit lies in [%.1f, %.1f) req/s)\n", sus, hi);
		if (att)
			fprintf(f, "  SLO attainment there: %.1f%% (%lld of %lld; Wilson 95%% CI "
				"%.1f%%-%.1f%%)\n", 100 * n_of(att, "share"),
				(long long)n_of(att, "within"), (long long)n_of(att, "n"),
				100 * n_of(att, "lo95"), 100 * n_of(att, "hi95"));
	} else if (json_is_number(json_object_get(sum, "first_failing_rps"))) {
		fprintf(f, "  highest rate sustained: none (the lowest step, %.1f req/s, failed)\n",
			n_of(sum, "first_failing_rps"));
	}
	if (!isnan(knee))
		fprintf(f, "  knee of the p95 latency curve: %.1f req/s\n", knee);
	fprintf(f, "  stopped: %s\n", json_string_value(json_object_get(cand, "stopped")));
	steps = json_object_get(cand, "steps");
	json_array_foreach(steps, i, s) {
		double late = n_of(s, "late_sends"), sent = n_of(s, "sent");
		const char *why = json_string_value(json_object_get(s, "why"));
		if (why && *why && json_is_string(json_object_get(s, "verdict")) &&
		    !strcmp(json_string_value(json_object_get(s, "verdict")), "fail"))
			fprintf(f, "  step %.1f/s failed: %s\n", n_of(s, "offered_rps"), why);
		/* The client was a bottleneck when sends waited for the
		 * concurrency cap, or lagged by more than a tenth of the
		 * latency (and 10 ms): lag below that is reported in the table
		 * and the JSON, but does not change the picture. */
		if (sent > 0 && late / sent >= 0.05 &&
		    (n_of(s, "late_capped") > 0 ||
		     q_of(s, "send_lag_ms", "p99") > fmax(10.0, 0.1 * q_of(s, "latency_ms", "p50"))))
		{
			const json_t *lc = json_object_get(s, "late_causes");
			fprintf(f, "  ! %.1f/s: %.0f of %.0f sends left late (send lag p99 %.1f ms, "
				"%.0f waited for the concurrency cap", n_of(s, "offered_rps"), late,
				sent, q_of(s, "send_lag_ms", "p99"), n_of(s, "late_capped"));
			if (lc)
				fprintf(f, "; by cause: %.0f held by -j or budget, %.0f the machine "
					"(run queue, late timer, off CPU), %.0f assay's own work",
					n_of(lc, "held"), n_of(lc, "runq") + n_of(lc, "timer") +
					n_of(lc, "offcpu"), n_of(lc, "own"));
			fprintf(f, "): the client side, not only the server, was a bottleneck; "
				"latencies include the wait\n");
		}
		if (n_of(s, "ungraded") > 0)
			fprintf(f, "  note %.1f/s: %.0f answers not graded (model-graded "
				"assertions are not run under load)\n", n_of(s, "offered_rps"),
				n_of(s, "ungraded"));
		if (n_of(s, "budget_skipped") > 0)
			fprintf(f, "  ! %.1f/s: budget reached, %.0f arrivals not sent\n",
				n_of(s, "offered_rps"), n_of(s, "budget_skipped"));
	}
}

void load_print(const json_t *rep, FILE *f)
{
	const json_t *plan = json_object_get(rep, "plan"), *cands, *c, *slo;
	const json_t *tot = json_object_get(rep, "totals");
	size_t i, j;
	fprintf(f, "load run %lld: %s, %s arrivals, %.3g s per step",
		(long long)n_of(rep, "run_id"), json_string_value(json_object_get(rep, "suite")),
		json_string_value(json_object_get(plan, "arrivals")), n_of(plan, "duration_s"));
	slo = json_object_get(plan, "slo");
	if (json_array_size(slo)) {
		fprintf(f, ", SLO ");
		json_array_foreach(slo, j, c)
			fprintf(f, "%s%s", j ? "," : "", json_string_value(c));
	}
	fprintf(f, "\n");
	cands = json_object_get(rep, "candidates");
	json_array_foreach(cands, i, c) {
		const json_t *steps = json_object_get(c, "steps"), *s;
		fprintf(f, "\n%s (%s)\n", json_string_value(json_object_get(c, "label")),
			json_string_value(json_object_get(c, "id")));
		if (!json_array_size(steps)) {
			fprintf(f, "  no step measured\n");
			continue;
		}
		fprintf(f, " %7s %8s %7s %7s %7s %7s %7s %7s %5s %5s %5s %6s %7s %8s %5s %5s %7s  %s\n",
			"rate/s", "achieved", "p50ms", "p90ms", "p95ms", "p99ms", "maxms",
			"ttft95", "err%", "429%", "late", "inflt", "tok/s", "cost$", "slo%",
			"pass%", "goodput", "verdict");
		json_array_foreach(steps, j, s)
			step_row(f, s);
		json_array_foreach(steps, j, s)
			schedule_line(f, s, isnan(n_of(plan, "late_ms")) ? 1 : n_of(plan, "late_ms"));
		conclusion(f, c);
	}
	fprintf(f, "\n%lld requests sent, cost $%.4f; %s\n",
		(long long)n_of(tot, "requests_sent"), n_of(tot, "cost_usd"),
		json_string_value(json_object_get(rep, "stopped")));
}
