/* mock_queue.c — the mock's queueing model, so that a load test has a
 * known knee: a model with `slots: N` serves at most N requests at once,
 * each for `service_ms` + output tokens × `service_per_token_ms`; a
 * request that finds every slot busy waits, in arrival order (an M/D/N or
 * D/D/N queue, depending on the client's arrivals).  The capacity of a
 * model is N / service time (4 slots × 50 ms = 80 requests/s).
 *
 * Arrival order is kept with tickets: the k-th request to arrive (from 0)
 * may start once fewer than N of the earlier ones are unfinished, i.e.
 * when k < finished + N.  That holds for tickets in increasing order, so
 * waiters start first-come first-served whatever order the condition
 * variable wakes them in.  The server runs one thread per connection when
 * a queue exists (mock_server.c), so a waiting request blocks only its own
 * connection.  Service is a timed wait on the same condition variable, so
 * stopping the server ends every wait at once. */
#include "mock_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "util/fsutil.h"
#include "util/xalloc.h"

struct mq_model {
	uint64_t next_ticket;   /* tickets handed out */
	uint64_t finished;      /* requests that left their slot */
};

struct mock_queue {
	pthread_mutex_t mu;
	pthread_cond_t cv;      /* CLOCK_MONOTONIC */
	int stopping;
	size_t n;
	struct mq_model *m;     /* one per rules model */
};

static int model_queues(const struct mock_model *m)
{
	return m->slots > 0 || m->service_ms > 0 || m->service_token_ms > 0;
}

int mock_queue_needed(const struct mock_rules *r)
{
	for (size_t i = 0; i < r->n_models; i++)
		if (model_queues(&r->models[i]))
			return 1;
	return 0;
}

struct mock_queue *mock_queue_new(const struct mock_rules *r)
{
	struct mock_queue *q;
	pthread_condattr_t ca;
	if (!mock_queue_needed(r))
		return NULL;
	q = xcalloc(1, sizeof *q);
	q->n = r->n_models;
	q->m = xcalloc(q->n ? q->n : 1, sizeof *q->m);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&q->cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&q->mu, NULL);
	return q;
}

void mock_queue_stop(struct mock_queue *q)
{
	if (!q)
		return;
	pthread_mutex_lock(&q->mu);
	q->stopping = 1;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

void mock_queue_free(struct mock_queue *q)
{
	if (!q)
		return;
	pthread_cond_destroy(&q->cv);
	pthread_mutex_destroy(&q->mu);
	free(q->m);
	free(q);
}

static struct timespec deadline(double ms)
{
	struct timespec ts;
	long long ns;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ns = (long long)ts.tv_nsec + (long long)(ms * 1e6);
	ts.tv_sec += (time_t)(ns / 1000000000LL);
	ts.tv_nsec = (long)(ns % 1000000000LL);
	return ts;
}

double mock_queue_serve(struct mock_queue *q, const struct mock_rules *r,
			const struct mock_model *m, long tokens)
{
	struct mq_model *qm;
	uint64_t ticket;
	double t0, waited, service;
	struct timespec until;
	size_t idx;
	if (!q || !model_queues(m))
		return 0;
	idx = (size_t)(m - r->models);
	if (idx >= q->n)
		return 0;
	qm = &q->m[idx];
	service = m->service_ms + (double)(tokens > 0 ? tokens : 0) * m->service_token_ms;
	t0 = fs_mono_ms();
	pthread_mutex_lock(&q->mu);
	ticket = qm->next_ticket++;
	while (!q->stopping && m->slots > 0 &&
	       ticket >= qm->finished + (uint64_t)m->slots)
		pthread_cond_wait(&q->cv, &q->mu);
	waited = fs_mono_ms() - t0;
	until = deadline(service);
	while (!q->stopping &&
	       pthread_cond_timedwait(&q->cv, &q->mu, &until) != ETIMEDOUT)
		;
	qm->finished++;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	return waited;
}
