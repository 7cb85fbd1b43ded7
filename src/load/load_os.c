/* load_os.c — the load loop and the operating system's scheduler.
 *
 * Why this file: on a shared machine most send lag is not the loop's own
 * work but time the kernel kept it off the CPU after its timer fired
 * (bench/load.sh on two shared cores, load average 3–6: nearly every
 * late send was late only by the time the loop sat on a run queue after
 * its timer fired, 1–14 ms; under SCHED_FIFO the same loop kept 99.9 % of
 * sends within 1 ms).  So the loop measures that wait and its run time
 * (schedstat's run_delay and sum_exec_runtime: load_lag.c splits the lag
 * into the machine's parts and the loop's own) and the machine's steal
 * (/proc/stat), asks for a 1 µs timer slack and the shortest fair-class
 * slice (no privilege needed), and runs at real-time priority when the
 * user asks (`assay load --realtime`).
 *
 * /proc/thread-self/schedstat is "run time, run-queue wait time, time
 * slices", the first two in ns (Documentation/scheduler/sched-stats.rst);
 * it exists when the kernel has CONFIG_SCHED_INFO (Debian's do). */
#include "load/load_os.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

/* sched_setattr(2)'s argument (glibc has no wrapper before 2.41) */
struct os_sched_attr {
	uint32_t size, policy;
	uint64_t flags;
	int32_t nice;
	uint32_t priority;
	uint64_t runtime, deadline, period;
};

/* A fair-class (SCHED_OTHER) task's slice, in ns: from Linux 6.12 the
 * EEVDF scheduler takes a shorter requested slice as an earlier virtual
 * deadline, so a task woken by its timer preempts a CPU hog sooner; no
 * privilege is needed.  Older kernels ignore the field.  0: the default. */
static void fair_slice(uint64_t ns)
{
#ifdef SYS_sched_setattr
	struct os_sched_attr a;
	if (sched_getscheduler(0) != SCHED_OTHER)
		return;   /* real-time, batch or idle: not ours to change */
	memset(&a, 0, sizeof a);
	a.size = sizeof a;
	a.policy = SCHED_OTHER;
	errno = 0;
	a.nice = getpriority(PRIO_PROCESS, 0);
	if (errno)
		return;
	a.runtime = ns;
	(void)syscall(SYS_sched_setattr, 0, &a, 0U);
#else
	(void)ns;
#endif
}

static int schedstat_fd = -2;   /* -2 not opened yet, -1 unavailable */

int load_os_sched(double *run_ms, double *runq_ms)
{
	char buf[128], *p, *end;
	ssize_t n;
	unsigned long long run, wait;
	*run_ms = *runq_ms = -1;
	if (schedstat_fd == -2)
		schedstat_fd = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
	if (schedstat_fd < 0)
		return -1;
	n = pread(schedstat_fd, buf, sizeof buf - 1, 0);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	run = strtoull(buf, &p, 10);    /* run time */
	wait = strtoull(p, &end, 10);   /* run-queue wait */
	if (p == buf || end == p)
		return -1;
	*run_ms = (double)run / 1e6;
	*runq_ms = (double)wait / 1e6;
	return 0;
}

double load_os_runq_ms(void)
{
	double run, runq;
	return load_os_sched(&run, &runq) ? -1 : runq;
}

/* /proc/stat's first line: "cpu  user nice system idle iowait irq softirq
 * steal …" in USER_HZ ticks (proc(5)). */
double load_os_steal_ms(void)
{
	char line[512], *p, *end;
	unsigned long long v = 0;
	long hz = sysconf(_SC_CLK_TCK);
	FILE *f = fopen("/proc/stat", "re");
	bool ok;
	if (!f)
		return -1;
	ok = fgets(line, sizeof line, f) && !strncmp(line, "cpu ", 4);
	fclose(f);
	if (!ok || hz <= 0)
		return -1;
	p = line + 4;
	for (int i = 0; i < 8; i++) {   /* the 8th number is steal */
		v = strtoull(p, &end, 10);
		if (end == p)
			return -1;
		p = end;
	}
	return (double)v * 1000.0 / (double)hz;
}

static int saved_policy = -1;
static struct sched_param saved_param;

int load_os_enter(bool realtime, struct err *err)
{
	/* timer slack in ns: the kernel may fire a timer this much late to
	 * batch wake-ups; 50 µs by default */
	prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL);
	fair_slice(100000);   /* 0.1 ms, the kernel's shortest */
	if (realtime) {
		struct sched_param sp = { .sched_priority = 1 };
		saved_policy = sched_getscheduler(0) & ~SCHED_RESET_ON_FORK;
		sched_getparam(0, &saved_param);
		if (saved_policy == SCHED_FIFO || saved_policy == SCHED_RR) {
			saved_policy = -1;   /* already real-time (chrt): kept */
		} else if (sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp)) {
			int e = errno;
			saved_policy = -1;
			load_os_leave(false);
			return err_set(err, ST_USAGE, "--realtime: cannot use SCHED_FIFO (%s): "
				       "it needs root, CAP_SYS_NICE or an rtprio limit "
				       "(ulimit -r) of at least 1", strerror(e));
		}
	}
	return 0;
}

void load_os_leave(bool realtime)
{
	if (realtime && saved_policy >= 0) {
		sched_setscheduler(0, saved_policy, &saved_param);
		saved_policy = -1;
	}
	fair_slice(0);
	prctl(PR_SET_TIMERSLACK, 0UL, 0UL, 0UL, 0UL);   /* 0: the default */
}
