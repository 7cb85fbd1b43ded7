/* test_load_lag.c — a late send's lag split into its causes
 * (src/load/load_lag.c) from synthetic samples, so that each cause is
 * tested without timing: a timer that fired late, run-queue wait after a
 * wake-up, the loop's own work, a sleep past the arrival the loop asked
 * for, off-CPU time while awake (steal), missing samples, unknown
 * schedstat, and the ring's wrap.  The expected parts are worked out by
 * hand in each case's comment from the rules in load_lag.h. */
#include "../../src/load/load_lag.h"
#include "t.h"

#include <string.h>

static struct lag_sample S(double t, double run, double runq, double deadline)
{
	struct lag_sample s = { .t = t, .run = run, .runq = runq, .deadline = deadline };
	return s;
}

static double sum(const double p[LAG_NCAUSES])
{
	double s = 0;
	for (int i = 0; i < LAG_NCAUSES; i++)
		s += p[i];
	return s;
}

/* Asleep from 0 asking to wake at 10 (the arrival), woke at 14 with no
 * run-queue wait: 10→14 is the timer's (4 ms).  Then awake 14→14.2
 * running 0.19 of it: own 0.19, off CPU 0.01. */
TEST(load_lag_late_timer)
{
	static struct lag_ring r;
	double p[LAG_NCAUSES];
	memset(&r, 0, sizeof r);
	lag_ring_add(&r, S(0, 5, 1, 10));
	lag_ring_add(&r, S(14, 5, 1, -1));
	lag_split(&r, 10, S(14.2, 5.19, 1, -1), p);
	T_NEAR(p[LAG_TIMER], 4.0, 1e-9);
	T_NEAR(p[LAG_OWN], 0.19, 1e-9);
	T_NEAR(p[LAG_OFFCPU], 0.01, 1e-9);
	T_NEAR(p[LAG_RUNQ], 0, 1e-12);
	T_NEAR(p[LAG_HELD], 0, 1e-12);
	T_NEAR(sum(p), 4.2, 1e-9);
	T_EQ_INT(lag_main_cause(p), LAG_TIMER);
}

/* Asleep from 0 asking for 10, woke at 13 having waited 2.5 ms on a run
 * queue (after the timer fired): runq 2.5, timer 0.5; the send at the
 * wake-up itself. */
TEST(load_lag_run_queue_after_the_wake_up)
{
	static struct lag_ring r;
	double p[LAG_NCAUSES];
	memset(&r, 0, sizeof r);
	lag_ring_add(&r, S(0, 5, 1, 10));
	lag_ring_add(&r, S(13, 5, 3.5, -1));
	lag_split(&r, 10, S(13, 5, 3.5, -1), p);
	T_NEAR(p[LAG_RUNQ], 2.5, 1e-9);
	T_NEAR(p[LAG_TIMER], 0.5, 1e-9);
	T_NEAR(p[LAG_OWN], 0, 1e-12);
	T_EQ_INT(lag_main_cause(p), LAG_RUNQ);
}

/* Awake from 8 (working: a burst of answers), the arrival due at 10, sent
 * at 16; over 8→16 the loop ran 7.5 ms and never waited: the share of the
 * stretch after 10 is 6/8, so own = 7.5 × 0.75 = 5.625, off CPU 0.375. */
TEST(load_lag_own_work)
{
	static struct lag_ring r;
	double p[LAG_NCAUSES];
	memset(&r, 0, sizeof r);
	lag_ring_add(&r, S(0, 99, 0, 8));
	lag_ring_add(&r, S(8, 100, 0, -1));
	lag_split(&r, 10, S(16, 107.5, 0, -1), p);
	T_NEAR(p[LAG_OWN], 5.625, 1e-9);
	T_NEAR(p[LAG_OFFCPU], 0.375, 1e-9);
	T_NEAR(p[LAG_TIMER] + p[LAG_RUNQ], 0, 1e-12);
	T_EQ_INT(lag_main_cause(p), LAG_OWN);
}

/* The loop asked to sleep until 12 for an arrival due at 10 and woke at
 * 12.3: 10→12 is its own doing, 12→12.3 the timer's. */
TEST(load_lag_sleeping_past_the_arrival_is_own)
{
	static struct lag_ring r;
	double p[LAG_NCAUSES];
	memset(&r, 0, sizeof r);
	lag_ring_add(&r, S(0, 1, 0, 12));
	lag_ring_add(&r, S(12.3, 1, 0, -1));
	lag_split(&r, 10, S(12.3, 1, 0, -1), p);
	T_NEAR(p[LAG_OWN], 2.0, 1e-9);
	T_NEAR(p[LAG_TIMER], 0.3, 1e-9);
	T_EQ_INT(lag_main_cause(p), LAG_OWN);
}

/* Awake 10→20 but running only 2 ms and waiting 1 ms for a CPU: the
 * other 7 ms the thread was neither (steal, which the task clock leaves
 * out, or a blocking call). */
TEST(load_lag_off_cpu_while_awake)
{
	static struct lag_ring r;
	double p[LAG_NCAUSES];
	memset(&r, 0, sizeof r);
	lag_ring_add(&r, S(10, 50, 4, -1));
	lag_split(&r, 10, S(20, 52, 5, -1), p);
	T_NEAR(p[LAG_OWN], 2.0, 1e-9);
	T_NEAR(p[LAG_RUNQ], 1.0, 1e-9);
	T_NEAR(p[LAG_OFFCPU], 7.0, 1e-9);
	T_EQ_INT(lag_main_cause(p), LAG_OFFCPU);
}

/* Run time + wait above the stretch's length (clock granularity) is
 * scaled to the length: the parts still sum to the lag. */
TEST(load_lag_parts_never_exceed_the_lag)
{
	static struct lag_ring r;
	double p[LAG_NCAUSES];
	memset(&r, 0, sizeof r);
	lag_ring_add(&r, S(10, 0, 0, -1));
	lag_split(&r, 10, S(12, 1.5, 1.5, -1), p);
	T_NEAR(p[LAG_OWN], 1.0, 1e-9);
	T_NEAR(p[LAG_RUNQ], 1.0, 1e-9);
	T_NEAR(p[LAG_OFFCPU], 0, 1e-12);
	T_NEAR(sum(p), 2.0, 1e-9);
}

/* No sample at all, or none before the arrival: the uncovered time is the
 * loop's own (no evidence excuses it); an on-time or early send has no
 * parts. */
TEST(load_lag_without_samples_is_own)
{
	static struct lag_ring r;
	double p[LAG_NCAUSES];
	memset(&r, 0, sizeof r);
	lag_split(&r, 10, S(13, 1, 1, -1), p);
	T_NEAR(p[LAG_OWN], 3.0, 1e-9);
	T_NEAR(sum(p), 3.0, 1e-9);
	/* first sample at 12, a sleep to 12.5 that woke at 14 */
	lag_ring_add(&r, S(12, 1, 1, 12.5));
	lag_ring_add(&r, S(14, 1, 1, -1));
	lag_split(&r, 10, S(14, 1, 1, -1), p);
	T_NEAR(p[LAG_OWN], 2.0 + 0.5, 1e-9);
	T_NEAR(p[LAG_TIMER], 1.5, 1e-9);
	lag_split(&r, 10, S(9, 1, 1, -1), p);
	T_NEAR(sum(p), 0, 1e-12);
}

/* schedstat unreadable (every figure −1): a sleep past its deadline is
 * the timer's, awake time the loop's own. */
TEST(load_lag_unknown_schedstat)
{
	static struct lag_ring r;
	double p[LAG_NCAUSES];
	memset(&r, 0, sizeof r);
	lag_ring_add(&r, S(0, -1, -1, 10));
	lag_ring_add(&r, S(11, -1, -1, -1));
	lag_split(&r, 10, S(12, -1, -1, -1), p);
	T_NEAR(p[LAG_TIMER], 1.0, 1e-9);
	T_NEAR(p[LAG_OWN], 1.0, 1e-9);
	T_NEAR(p[LAG_RUNQ] + p[LAG_OFFCPU], 0, 1e-12);
}

/* The ring keeps the last LAG_SAMPLES: after 600 awake samples 1 ms apart
 * (t = 0..599, the loop running all the time), an arrival at 50 is older
 * than the oldest kept (t = 88): 50→88 own (uncovered), 88→600 own (run). */
TEST(load_lag_ring_wraps)
{
	static struct lag_ring r;
	double p[LAG_NCAUSES];
	memset(&r, 0, sizeof r);
	for (int i = 0; i < 600; i++)
		lag_ring_add(&r, S(i, i, 0, -1));
	T_EQ_INT(r.n, 600);
	lag_split(&r, 50, S(600, 600, 0, -1), p);
	T_NEAR(p[LAG_OWN], 550.0, 1e-6);
	T_NEAR(sum(p), 550.0, 1e-6);
	/* an arrival inside the kept window: 595.5 → 600, all run */
	lag_split(&r, 595.5, S(600, 600, 0, -1), p);
	T_NEAR(p[LAG_OWN], 4.5, 1e-9);
}

/* A tie goes to the earlier cause (the machine before the loop: the loop
 * is blamed only when its part is the largest). */
TEST(load_lag_main_cause_ties)
{
	double p[LAG_NCAUSES] = { 0 };
	p[LAG_RUNQ] = 1;
	p[LAG_OWN] = 1;
	T_EQ_INT(lag_main_cause(p), LAG_RUNQ);
	p[LAG_OWN] = 1.5;
	T_EQ_INT(lag_main_cause(p), LAG_OWN);
	T_EQ_STR(lag_cause_key(LAG_OFFCPU), "offcpu");
	T_EQ_STR(lag_cause_key(LAG_HELD), "held");
}
