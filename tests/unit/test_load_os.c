/* test_load_os.c — the load loop's view of the scheduler (src/load/load_os.c):
 * the run-queue wait it reads grows when another busy thread shares its
 * CPU, its run time grows while it runs, and entering / leaving the
 * loop's scheduling sets and restores the timer slack, the fair slice and
 * (as root) SCHED_FIFO.
 *
 * Reference for the wait: two always-runnable threads pinned to one CPU
 * share it, so over W ms of wall time each spends about W/2 runnable but
 * not running (Documentation/scheduler/sched-stats.rst: schedstat's second
 * field is "time spent waiting on a runqueue").  The assertion asks for a
 * tenth of that, so a busy machine (which only adds wait) cannot fail it. */
#include "../../src/load/load_os.h"
#include "../../src/util/fsutil.h"
#include "t.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <unistd.h>

static atomic_int hog_stop;

static void *hog(void *cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(*(int *)cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof set, &set);
	while (!atomic_load(&hog_stop))
		;
	return NULL;
}

TEST(load_os_runq_wait_grows_when_the_cpu_is_shared)
{
	cpu_set_t old, one;
	pthread_t th;
	int cpu = sched_getcpu();
	double r0, r1, t0;
	if (load_os_runq_ms() < 0) {
		printf("skip load_os_runq_wait_grows_when_the_cpu_is_shared: "
		       "no /proc/thread-self/schedstat\n");
		return;
	}
	T_ASSERT(cpu >= 0);
	sched_getaffinity(0, sizeof old, &old);
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	T_ASSERT(sched_setaffinity(0, sizeof one, &one) == 0);
	atomic_store(&hog_stop, 0);
	T_ASSERT(pthread_create(&th, NULL, hog, &cpu) == 0);
	r0 = load_os_runq_ms();
	t0 = fs_mono_ms();
	while (fs_mono_ms() - t0 < 200)
		;
	r1 = load_os_runq_ms();
	atomic_store(&hog_stop, 1);
	pthread_join(th, NULL);
	sched_setaffinity(0, sizeof old, &old);
	T_ASSERT(r0 >= 0);
	/* ≈ 100 ms expected; 10 ms asked */
	T_ASSERT(r1 - r0 > 10.0);
	T_ASSERT(load_os_runq_ms() >= r1);
}

TEST(load_os_enter_and_leave_restore_the_scheduling)
{
	struct err err;
	int slack0 = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);   /* the default */
	err_clear(&err);
	T_ASSERT(sched_getscheduler(0) == SCHED_OTHER);
	T_EQ_INT(load_os_enter(false, &err), 0);
	T_EQ_INT(prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0), 1000);
	T_ASSERT(sched_getscheduler(0) == SCHED_OTHER);
	load_os_leave(false);
	T_EQ_INT(prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0), slack0);
	if (geteuid() == 0) {
		struct sched_param sp;
		int pol;
		T_EQ_INT(load_os_enter(true, &err), 0);
		pol = sched_getscheduler(0);
		sched_getparam(0, &sp);
		load_os_leave(true);   /* before asserting: never left at FIFO */
		T_EQ_INT(pol & ~SCHED_RESET_ON_FORK, SCHED_FIFO);
		T_ASSERT(pol & SCHED_RESET_ON_FORK);
		T_EQ_INT(sp.sched_priority, 1);
		T_EQ_INT(sched_getscheduler(0), SCHED_OTHER);
	}
}

/* load_os_sched's run time grows while the thread runs and never faster
 * than the clock: spinning until 20 ms of run time have passed ends
 * (within 5 s of wall time even on a loaded machine, where the thread
 * gets a share of a CPU), and takes at least 20 ms of wall time.  The
 * machine's steal since boot never goes down. */
TEST(load_os_sched_run_time_grows_while_running)
{
	double run0, rq0, run1 = 0, rq1 = 0, t0, t1, s0, s1;
	if (load_os_sched(&run0, &rq0)) {
		T_ASSERT(run0 < 0 && rq0 < 0);
		printf("skip load_os_sched_run_time_grows_while_running: "
		       "no /proc/thread-self/schedstat\n");
		return;
	}
	s0 = load_os_steal_ms();
	t0 = t1 = fs_mono_ms();
	while (t1 - t0 < 5000) {
		T_EQ_INT(load_os_sched(&run1, &rq1), 0);
		t1 = fs_mono_ms();
		if (run1 - run0 >= 20.0)
			break;
	}
	T_ASSERT(run1 - run0 >= 20.0);
	T_ASSERT(t1 - t0 >= run1 - run0 - 0.5);
	T_ASSERT(rq1 >= rq0);
	s1 = load_os_steal_ms();
	if (s0 >= 0) {
		T_ASSERT(s1 >= s0);
	}
}
