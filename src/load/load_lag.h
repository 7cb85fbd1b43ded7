/* load_lag.h — where a late send's lag went (load_lag.c): the loop keeps a
 * ring of samples (time, its cumulative run time and run-queue wait from
 * schedstat, and whether it was about to sleep, until when), and a send's
 * lag (intended → actual send) is split over the ring into the machine's
 * parts and the loop's own.  Pure arithmetic: tested from synthetic
 * samples (tests/unit/test_load_lag.c).  Internal to src/load/. */
#ifndef ASSAY_LOAD_LAG_H
#define ASSAY_LOAD_LAG_H

#include <stdbool.h>

#define LAG_SAMPLES 512

/* The causes a lag is split into (docs/load.md, "The scheduler's own
 * lag"), in the order the report names them. */
enum lag_cause {
	LAG_HELD,     /* waited for a -j slot or the --max-cost budget */
	LAG_RUNQ,     /* runnable, waiting for a CPU (the machine's other work) */
	LAG_TIMER,    /* asleep past the wake-up it asked for, not on a run
		       * queue: the kernel's timer or the hypervisor */
	LAG_OFFCPU,   /* awake, neither running nor waiting for a CPU: steal
		       * (the kernel leaves it out of run time) or a blocking call */
	LAG_OWN,      /* the loop's own work: running between the intended
		       * time and the send, or asleep because it asked to */
	LAG_NCAUSES
};

/* "held", "runq", "timer", "offcpu", "own": the JSON keys. */
const char *lag_cause_key(enum lag_cause c);

struct lag_sample {
	double t;          /* monotonic ms */
	double run, runq;  /* cumulative ms; < 0: unknown */
	double deadline;   /* taken before a sleep: when it asked to wake;
			    * < 0: not a sleep (the next sample ends it) */
};

struct lag_ring {
	struct lag_sample s[LAG_SAMPLES];
	unsigned n;        /* samples ever added (the ring keeps the last
			    * LAG_SAMPLES) */
};

/* Adds a sample (times must not decrease). */
void lag_ring_add(struct lag_ring *r, struct lag_sample s);

/* Splits the lag of a send intended at t_int and leaving at now.t (now:
 * the cumulative figures at the send) into part[LAG_RUNQ..LAG_OWN], ms,
 * summing to max(now.t − t_int, 0).  Each stretch between two samples
 * that overlaps [t_int, now.t] is a sleep (the earlier sample has a
 * deadline) or an awake stretch:
 *   sleep: its run-queue wait (it comes after the timer fired, at the
 *     stretch's end) is runq; the part before the deadline the loop asked
 *     for is own (it asked to sleep past the arrival); the rest is timer;
 *   awake: its run time is own, its run-queue wait runq, the rest
 *     offcpu — scaled by the share of the stretch that overlaps (an
 *     approximation for the stretch in which t_int falls).
 * Time before the oldest sample kept, and every awake stretch when run
 * time is unknown, is own (the loop is never excused without evidence);
 * part[LAG_HELD] is 0 (the caller knows when a send was held). */
void lag_split(const struct lag_ring *r, double t_int, struct lag_sample now,
	       double part[LAG_NCAUSES]);

/* The cause with the largest part (ties: the earlier in enum order). */
enum lag_cause lag_main_cause(const double part[LAG_NCAUSES]);

#endif
