/* load_int.h — what the files of src/load/ share: one step's raw counts
 * and histograms (filled by load_loop.c) and the figures computed from
 * them (load_eval.c).  Not a front door: other modules use load.h. */
#ifndef ASSAY_LOAD_INT_H
#define ASSAY_LOAD_INT_H

#include "load/hist.h"
#include "load/load.h"
#include "load/load_lag.h"

struct load_step {
	size_t cand, idx;
	double offered_rps, duration_s;
	/* counts (load_loop.c) */
	long scheduled;        /* arrivals in the step's window */
	long sent;             /* requests that left */
	long responses;        /* answered (any status) */
	long ok, errors, http429, timeouts;
	long unfinished;       /* still unanswered after the drain: errors too */
	long late;             /* sent more than plan->late_ms after intended */
	long capped;           /* of which waited for the concurrency cap */
	double lag_late_ms;    /* the lag of the late sends, summed */
	double lag_runq_ms;    /* of which the loop waited for a CPU */
	long late_runq;        /* late sends that were late only by the time
				* the loop waited for a CPU (lag − that wait
				* ≤ late_ms) */
	long late_cause[LAG_NCAUSES];     /* late sends by their largest part */
	double late_part_ms[LAG_NCAUSES]; /* the late sends' lag, by part */
	long late_own;         /* late sends whose own part alone (the loop's
				* work) exceeds late_ms */
	long late_own_queued;  /* of which came due while the arrival before
				* had not left: the loop catching up */
	double steal_ms;       /* the machine's steal over the step (all
				* CPUs), < 0 unknown */
	double runq_ms;        /* the loop's run-queue wait over the step */
	bool runq_unknown;     /* the kernel gives no run-queue wait */
	long budget_skipped;   /* arrivals not sent: the budget was reached */
	long in_window;        /* answers that arrived inside the window */
	long ok_in_window;
	long tokens_out;       /* output tokens of ok answers */
	double cost_usd;       /* of answers with a known cost */
	long cost_unknown;
	long graded, passed, ungraded, grade_errors;
	long within;           /* ok answers within the SLO latency limit */
	long good;             /* within and not failing their grade */
	double inflight_area;  /* ∫ in-flight dt over the window (ms) */
	long inflight_max;
	long backlog_mid, backlog_end;  /* outstanding at D/2 and at D */
	bool interrupted, budget_hit;
	struct hist lat;       /* answer − intended send (ok answers) */
	struct hist ttft;      /* first token (or byte) − intended send */
	struct hist svc;       /* answer − actual send: what a closed-loop
				* tool would report */
	struct hist lag;       /* actual − intended send, every send */
	/* figures (load_step_figures) */
	double achieved_rps, ok_rps, error_rate, rate429, tokens_per_s;
	double inflight_mean, attainment, goodput_rps, slo_limit_ms;
	bool backlog_growing;
	int verdict;           /* 1 pass, 0 fail, -1 no verdict */
	char why[256];
};

/* The latency limit attainment is measured against: the first latency
 * clause's, else -1. */
double load_slo_limit(const struct load_slo *slo);

/* Computes the figures and the verdict of a measured step. */
void load_step_figures(struct load_step *st, const struct load_plan *p);

/* The knee of a convex increasing curve (Kneedle: Satopää, Albrecht,
 * Irwin & Raghavan 2011): both axes scaled to [0,1], the point farthest
 * below the chord, i.e. max(x' − y').  Returns its index, or -1 with fewer
 * than 3 points or a flat curve. */
long load_knee(const double *x, const double *y, size_t n);

json_t *load_hist_json(const struct hist *h);
json_t *load_step_json(const struct load_step *st);
json_t *load_plan_json(const struct load_plan *p);
/* The candidate's conclusion from its measured steps: highest sustained
 * rate and its interval, the knee. */
json_t *load_candidate_summary(const struct load_step *const *steps, size_t n,
			       const struct load_plan *p);

#endif
