/* load_os.h — what the load loop asks of the operating system
 * (load_os.c): how long this thread has waited for a CPU, a tight timer
 * slack, and an optional real-time priority.  Internal to src/load/. */
#ifndef ASSAY_LOAD_OS_H
#define ASSAY_LOAD_OS_H

#include <stdbool.h>

#include "util/err.h"

/* The calling thread's cumulative time runnable but not running (waiting
 * on a run queue for a CPU), in ms, from the second field of
 * /proc/thread-self/schedstat; -1 when the kernel does not provide it.
 * One pread of an open file (a few µs). */
double load_os_runq_ms(void);

/* Both cumulative figures of that file, in ms: the thread's run time (the
 * kernel's task clock, which leaves out steal time when the kernel
 * accounts for it) and its run-queue wait.  0, or -1 with both -1. */
int load_os_sched(double *run_ms, double *runq_ms);

/* The machine's hypervisor steal time since boot, all CPUs summed, in ms
 * (/proc/stat, USER_HZ ticks: 10 ms steps), or -1 unknown. */
double load_os_steal_ms(void);

/* Enters (on) or leaves (off) the loop's scheduling: timer slack 1 µs
 * instead of the default 50 µs, a 0.1 ms fair-class slice (Linux ≥ 6.12:
 * a woken loop preempts a CPU hog sooner), and with realtime SCHED_FIFO
 * priority 1
 * (reset on fork), so that ordinary processes on the machine cannot keep
 * the loop off the CPU when an arrival is due.  Real-time priority needs
 * root or CAP_SYS_NICE (an RLIMIT_RTPRIO); without it returns ST_USAGE
 * saying so and the scheduling is unchanged.  Leaving restores
 * SCHED_OTHER and the default slack; never fails. */
int load_os_enter(bool realtime, struct err *err);
void load_os_leave(bool realtime);

#endif
