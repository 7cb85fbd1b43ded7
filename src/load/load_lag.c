/* load_lag.c — a late send's lag split into the machine's parts and the
 * loop's own, from the loop's samples (load_lag.h has the rules).
 *
 * Why these parts: on a virtual machine shared with other work a send
 * can be late for reasons no program in it controls — a CPU busy with
 * other processes (run-queue wait, which schedstat counts), a timer that
 * fires late or a virtual CPU the host did not run (neither counted as
 * run-queue wait) — and for the loop's own: parsing and grading answers,
 * writing requests, sleeping too long.  Only the last says whether the
 * scheduler keeps its schedule.  Run time comes from the kernel's task
 * clock, which leaves out the time the hypervisor stole when the kernel
 * accounts for steal (CONFIG_PARAVIRT_TIME_ACCOUNTING): awake time that
 * is neither run time nor run-queue wait is then steal, or a blocking
 * call (a script grader's child). */
#include "load/load_lag.h"

#include <math.h>

static const char *const keys[LAG_NCAUSES] = {
	[LAG_HELD] = "held", [LAG_RUNQ] = "runq", [LAG_TIMER] = "timer",
	[LAG_OFFCPU] = "offcpu", [LAG_OWN] = "own",
};

const char *lag_cause_key(enum lag_cause c)
{
	return (unsigned)c < LAG_NCAUSES ? keys[c] : "?";
}

void lag_ring_add(struct lag_ring *r, struct lag_sample s)
{
	r->s[r->n++ % LAG_SAMPLES] = s;
}

static const struct lag_sample *at(const struct lag_ring *r, unsigned k)
{
	return &r->s[k % LAG_SAMPLES];
}

/* One stretch [a.t, b.t], of which [lo, hi] lies in the send's lag. */
static void stretch(const struct lag_sample *a, const struct lag_sample *b,
		    double lo, double hi, double part[LAG_NCAUSES])
{
	double len = hi - lo, whole = b->t - a->t;
	bool known = a->runq >= 0 && b->runq >= 0;
	double drq = known ? fmax(b->runq - a->runq, 0) : 0;
	if (a->deadline >= 0) {   /* asleep from a.t, woke at b.t */
		double rq = fmin(drq, len);
		double own = fmin(fmax(a->deadline - lo, 0), len - rq);
		part[LAG_RUNQ] += rq;
		part[LAG_OWN] += own;
		part[LAG_TIMER] += len - rq - own;
		return;
	}
	if (!known || a->run < 0 || b->run < 0 || !(whole > 0)) {
		part[LAG_OWN] += len;
		return;
	}
	{
		double f = len / whole;
		double rq = f * drq, run = f * fmax(b->run - a->run, 0);
		if (rq + run > len) {   /* clock granularity: keep the sum */
			double k = len / (rq + run);
			rq *= k;
			run *= k;
		}
		part[LAG_RUNQ] += rq;
		part[LAG_OWN] += run;
		part[LAG_OFFCPU] += fmax(len - rq - run, 0);
	}
}

void lag_split(const struct lag_ring *r, double t_int, struct lag_sample now,
	       double part[LAG_NCAUSES])
{
	unsigned oldest = r->n > LAG_SAMPLES ? r->n - LAG_SAMPLES : 0, k;
	for (int i = 0; i < LAG_NCAUSES; i++)
		part[i] = 0;
	if (!(now.t > t_int))
		return;
	/* the last sample at or before t_int */
	k = r->n;
	while (k > oldest && at(r, k - 1)->t > t_int)
		k--;
	if (k == oldest) {   /* every kept sample is later (or none) */
		double first = r->n > oldest ? fmin(at(r, oldest)->t, now.t) : now.t;
		part[LAG_OWN] += first - t_int;
		if (r->n == oldest)
			return;
	} else {
		k--;
	}
	for (; k < r->n; k++) {
		const struct lag_sample *a = at(r, k);
		const struct lag_sample *b = k + 1 < r->n ? at(r, k + 1) : &now;
		double lo = fmax(a->t, t_int), hi = fmin(b->t, now.t);
		if (a->t >= now.t)
			break;
		if (hi > lo)
			stretch(a, b, lo, hi, part);
	}
}

enum lag_cause lag_main_cause(const double part[LAG_NCAUSES])
{
	int best = 0;
	for (int i = 1; i < LAG_NCAUSES; i++)
		if (part[i] > part[best])
			best = i;
	return (enum lag_cause)best;
}
