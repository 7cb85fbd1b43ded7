/* timer_floor.c — the machine's floor for bench/load.sh: how closely a
 * program with nothing else to do keeps the arrival schedule `assay load`
 * keeps (constant arrivals at each rate for D seconds), with the same
 * scheduling settings (timer slack 1 µs, a 0.1 ms fair-class slice, and
 * SCHED_FIFO 1 with --realtime).  Whatever lateness this shows is the
 * kernel's timers, the other processes and the hypervisor: no scheduler
 * on this machine can do better, so assay's own lag is what it adds to it.
 *
 *   timer_floor [--realtime] [--spin US] DURATION_S RATE...
 *
 * Each arrival: sleep (clock_nanosleep, TIMER_ABSTIME) to it — or, with
 * --spin US, to US µs before it and then spin on the clock — and take the
 * lag = wake-up − arrival.  A late wake (lag > 1 ms) counts as run-queue
 * when the thread's run-queue wait (/proc/thread-self/schedstat) over the
 * sleep explains all but 1 ms of it.  One line per rate:
 *   RATE N WITHIN_1MS_PCT P50_MS P99_MS MAX_MS LATE LATE_RUNQ STEAL_MS
 * (STEAL_MS: the machine's hypervisor steal over the rate's run, all CPUs,
 * from /proc/stat; -1 unknown).
 * Built by bench/load.sh with cc; not part of assay. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int ss_fd = -1;

static double runq_ms(void)
{
	char buf[128], *p;
	ssize_t n = ss_fd >= 0 ? pread(ss_fd, buf, sizeof buf - 1, 0) : -1;
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	strtoull(buf, &p, 10);
	return (double)strtoull(p, NULL, 10) / 1e6;
}

static double steal_ms(void)
{
	unsigned long long v[8];
	long hz = sysconf(_SC_CLK_TCK);
	FILE *f = fopen("/proc/stat", "r");
	int got = f ? fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
			     &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) : 0;
	if (f)
		fclose(f);
	return got == 8 && hz > 0 ? (double)v[7] * 1000.0 / (double)hz : -1;
}

static void sleep_until(double t)
{
	struct timespec ts;
	double s = floor(t / 1000.0);
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((t - s * 1000.0) * 1e6);
	if (ts.tv_nsec > 999999999L)
		ts.tv_nsec = 999999999L;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* the same settings as src/load/load_os.c */
struct attr {
	uint32_t size, policy;
	uint64_t flags;
	int32_t nice;
	uint32_t priority;
	uint64_t runtime, deadline, period;
};

static void enter(int realtime)
{
	struct attr a;
	prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL);
	memset(&a, 0, sizeof a);
	a.size = sizeof a;
	a.policy = SCHED_OTHER;
	a.runtime = 100000;
	(void)syscall(SYS_sched_setattr, 0, &a, 0U);
	if (realtime) {
		struct sched_param sp = { .sched_priority = 1 };
		if (sched_setscheduler(0, SCHED_FIFO, &sp)) {
			perror("timer_floor: SCHED_FIFO");
			exit(2);
		}
	}
}

int main(int argc, char **argv)
{
	int realtime = 0, i = 1;
	double spin_ms = 0, dur;
	while (i < argc && argv[i][0] == '-' && argv[i][1] == '-') {
		if (!strcmp(argv[i], "--realtime"))
			realtime = 1;
		else if (!strcmp(argv[i], "--spin") && i + 1 < argc)
			spin_ms = atof(argv[++i]) / 1000.0;
		else
			break;
		i++;
	}
	if (argc - i < 2) {
		fprintf(stderr, "usage: timer_floor [--realtime] [--spin US] DURATION_S RATE...\n");
		return 2;
	}
	dur = atof(argv[i++]);
	ss_fd = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
	enter(realtime);
	for (; i < argc; i++) {
		double rate = atof(argv[i]), t0, *lag, st0 = steal_ms(), st1;
		long n = (long)(rate * dur), late = 0, late_rq = 0, within = 0;
		if (!(rate > 0) || n <= 0)
			continue;
		lag = calloc((size_t)n, sizeof *lag);
		if (!lag)
			return 1;
		t0 = now_ms() + 2.0;
		for (long k = 0; k < n; k++) {
			double due = t0 + (double)k * 1000.0 / rate, r0 = runq_ms(), w;
			if (spin_ms > 0) {
				sleep_until(due - spin_ms);
				while (now_ms() < due)
					;
			} else {
				sleep_until(due);
			}
			w = now_ms();
			lag[k] = w - due;
			if (lag[k] <= 1.0) {
				within++;
			} else {
				double r1 = runq_ms();
				late++;
				if (r0 >= 0 && r1 >= 0 && lag[k] - (r1 - r0) <= 1.0)
					late_rq++;
			}
		}
		st1 = steal_ms();
		qsort(lag, (size_t)n, sizeof *lag, cmp);
		printf("%g %ld %.2f %.3f %.3f %.3f %ld %ld %.0f\n", rate, n, 100.0 * (double)within / (double)n,
		       lag[(n - 1) / 2], lag[(long)ceil(0.99 * (double)n) - 1], lag[n - 1], late, late_rq,
		       st0 >= 0 && st1 >= 0 ? st1 - st0 : -1.0);
		fflush(stdout);
		free(lag);
	}
	return 0;
}
