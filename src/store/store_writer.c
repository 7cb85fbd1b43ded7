/* store_writer.c — the results' writer thread (store.h's store_writer_*).
 *
 * Why a thread: against a fast server the run loop spent a third of its
 * CPU in the store — binding, SQLite's inserts into four b-trees, and a
 * commit per pass of the loop that rewrote the same few pages into the
 * WAL each time (issue 16's profile, docs/ARCHITECTURE.md) — and could do
 * nothing else meanwhile; on PostgreSQL every statement is a round trip
 * the loop waited for.  Now the loop copies each result into a row
 * (struct srow, store_int.h) and queues it; this thread takes the whole
 * queue, writes it in one transaction and commits.  While it commits, the
 * next results queue up, so a batch grows with the rate (group commit): a
 * slow run still commits each result as soon as it arrives, a fast one a
 * few dozen together.
 *
 * Durability stays what it was: the engine counts the results handed over
 * and not yet committed (store_uncommitted) against its concurrency, so a
 * kill -9 loses at most -j results, in flight or in hand — as when the
 * loop committed before it slept; Ctrl-C and errors end with
 * store_writer_stop, which writes and commits everything handed over.
 *
 * The connection is shared under `db_mu`: the writer holds it for a
 * batch; the owner thread takes it for the cache and the heartbeat
 * (sti_db_lock), and otherwise syncs first (sti_writer_sync: waits for
 * an empty queue and an idle writer, which then waits for its next row,
 * so the connection is the owner's until it hands one over).  SQLite is
 * opened NOMUTEX (a connection used by one thread at a time, which this
 * ensures); libpq's connection likewise. */
#include "store_int.h"

#include <errno.h>
#include <math.h>
#include <time.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../util/fsutil.h"
#include "../util/xalloc.h"

/* A batch is written when it has W_BATCH rows, when its oldest row has
 * waited W_WAIT_MS, when the owner is about to sleep (store_writer_idle)
 * or needs the rows (sti_writer_sync), whichever comes first: larger
 * batches while the loop is busy, no wait when it is not.  Measured
 * against nginx (docs/ARCHITECTURE.md): waking for every row made more
 * commits than the loop did before (9,036 vs 4,930 for 40,000 results). */
#define W_BATCH 32
#define W_WAIT_MS 1.0

struct store_writer {
	pthread_t th;
	pthread_mutex_t mu;        /* the queue, busy, stop, the failure */
	pthread_cond_t work, idle;
	pthread_mutex_t db_mu;     /* the connection */
	struct srow *head, *tail;
	long n_queued;
	double first_ms;           /* mono ms the oldest queued row arrived */
	bool busy, stop, failed, now;  /* now: commit what is queued at once */
	atomic_long handed, done;  /* rows queued; rows committed or dropped */
	int rc;
	struct err err;
	int pipe[2];               /* a byte after each batch: wakes the loop */
};

static void wake(struct store_writer *w)
{
	ssize_t n = write(w->pipe[1], "", 1);
	(void)n; /* full: the loop has a byte to wake for already */
}

/* Writes one batch in one transaction under the connection's lock. */
static int write_batch(struct store *st, struct srow *batch, struct err *e)
{
	struct store_writer *w = st->w;
	int rc;
	pthread_mutex_lock(&w->db_mu);
	rc = sti_tx_begin(st, e);
	for (struct srow *r = batch; r && !rc; r = r->next)
		rc = sti_row_write(st, r, e);
	if (!rc)
		rc = sti_commit_now(st, e);
	pthread_mutex_unlock(&w->db_mu);
	return rc;
}

static void *writer_main(void *ud)
{
	struct store *st = ud;
	struct store_writer *w = st->w;
	for (;;) {
		struct srow *batch;
		struct err e = {0};
		long n = 0;
		int rc = 0;
		bool failed;
		pthread_mutex_lock(&w->mu);
		while (!w->stop && !(w->head && (w->now || w->n_queued >= W_BATCH ||
						 fs_mono_ms() - w->first_ms >= W_WAIT_MS))) {
			if (!w->head) {
				pthread_cond_wait(&w->work, &w->mu);
			} else {
				struct timespec ts;
				double at = w->first_ms + W_WAIT_MS, now = fs_mono_ms();
				clock_gettime(CLOCK_REALTIME, &ts);
				double ns = (double)ts.tv_nsec + (at - now) * 1e6;
				ts.tv_sec += (time_t)(ns / 1e9);
				ts.tv_nsec = (long)fmod(ns, 1e9);
				pthread_cond_timedwait(&w->work, &w->mu, &ts);
			}
		}
		if (!w->head) {
			pthread_mutex_unlock(&w->mu);
			break;
		}
		batch = w->head;
		w->head = w->tail = NULL;
		w->n_queued = 0;
		w->now = false;
		w->busy = true;
		failed = w->failed;
		pthread_mutex_unlock(&w->mu);
		if (!failed)
			rc = write_batch(st, batch, &e);
		while (batch) {
			struct srow *next = batch->next;
			n += !batch->cache; /* store_uncommitted counts results */
			sti_row_free(batch);
			free(batch);
			batch = next;
		}
		pthread_mutex_lock(&w->mu);
		if (rc && !w->failed) {
			w->failed = true;
			w->rc = rc;
			w->err = e;
		}
		atomic_fetch_add(&w->done, n);
		w->busy = false;
		pthread_cond_broadcast(&w->idle);
		pthread_mutex_unlock(&w->mu);
		wake(w);
	}
	return NULL;
}

/* SQLite, while the writer runs: the reader connection's cache lookup
 * (store_int.h), opened on the first lookup, so a run without the cache
 * opens none; NULL elsewhere, or when it cannot be opened (lookups then
 * share the writer's connection). */
struct db_stmt *sti_reader_cache_get(struct store *st)
{
	struct err ignored = {0};
	if (!st->w || st->rdb_tried)
		return st->rdb_cache_get;
	st->rdb_tried = true;
	if (db_kind(st->db) != DB_SQLITE ||
	    db_open(st->path, st->busy_ms, &st->rdb, &ignored) ||
	    db_prepare(st->rdb, "SELECT response FROM cache WHERE key = ?1",
		       &st->rdb_cache_get, &ignored)) {
		if (st->rdb)
			db_close(st->rdb);
		st->rdb = NULL;
		st->rdb_cache_get = NULL;
	}
	err_clear(&ignored);
	return st->rdb_cache_get;
}

/* Detaches the writer from st and frees it (its thread not running). */
static void writer_free(struct store *st, struct store_writer *w)
{
	if (st->rdb_cache_get)
		db_finalize(st->rdb_cache_get);
	if (st->rdb)
		db_close(st->rdb);
	st->rdb = NULL;
	st->rdb_cache_get = NULL;
	st->rdb_tried = false;
	st->w = NULL;
	close(w->pipe[0]);
	close(w->pipe[1]);
	pthread_mutex_destroy(&w->mu);
	pthread_mutex_destroy(&w->db_mu);
	pthread_cond_destroy(&w->work);
	pthread_cond_destroy(&w->idle);
	free(w);
}

int store_writer_start(struct store *st, struct err *err)
{
	struct store_writer *w;
	sigset_t all, old;
	int rc;
	if (!st || st->w)
		return 0;
	w = xcalloc(1, sizeof *w);
	if (pipe(w->pipe)) {
		rc = errno;
		free(w);
		return err_set(err, ST_INTERNAL, "cannot start the store's writer"
			       " thread: pipe: %s", strerror(rc));
	}
	for (int i = 0; i < 2; i++) {
		fcntl(w->pipe[i], F_SETFL, fcntl(w->pipe[i], F_GETFL) | O_NONBLOCK);
		fcntl(w->pipe[i], F_SETFD, FD_CLOEXEC);
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_mutex_init(&w->db_mu, NULL);
	pthread_cond_init(&w->work, NULL);
	pthread_cond_init(&w->idle, NULL);
	atomic_init(&w->handed, 0);
	atomic_init(&w->done, 0);
	st->w = w;
	/* Signals (Ctrl-C, SIGCHLD, SIGPIPE) stay the owner thread's. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&w->th, NULL, writer_main, st);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!rc)
		pthread_setname_np(w->th, "assay-writer"); /* for top, perf */
	if (rc) {
		writer_free(st, w);
		return err_set(err, ST_INTERNAL, "cannot start the store's writer"
			       " thread: %s", strerror(rc));
	}
	return 0;
}

int store_writer_stop(struct store *st, struct err *err)
{
	struct store_writer *w = st ? st->w : NULL;
	int rc;
	if (!w)
		return 0;
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->th, NULL);  /* it writes what is queued first */
	rc = w->rc;
	if (rc)
		*err = w->err;
	writer_free(st, w);
	return rc;
}

long store_uncommitted(const struct store *st)
{
	struct store_writer *w = st ? st->w : NULL;
	if (!w)
		return 0;
	return atomic_load(&w->handed) - atomic_load(&w->done);
}

int store_writer_fd(const struct store *st)
{
	return st && st->w ? st->w->pipe[0] : -1;
}

/* Queues a filled row (taking it), or frees it and returns the writer's
 * failure. */
static int queue(struct store *st, struct srow *row, struct err *err)
{
	struct store_writer *w = st->w;
	int rc = 0;
	row->next = NULL;
	pthread_mutex_lock(&w->mu);
	if (w->failed) {
		rc = w->rc;
		*err = w->err;
	} else {
		if (w->tail) {
			w->tail->next = row;
		} else {
			w->head = row;
			w->first_ms = fs_mono_ms();
		}
		w->tail = row;
		w->n_queued++;
		if (!row->cache)
			atomic_fetch_add(&w->handed, 1);
		if (w->n_queued == 1 || w->n_queued >= W_BATCH)
			pthread_cond_signal(&w->work);
	}
	pthread_mutex_unlock(&w->mu);
	if (rc) {
		sti_row_free(row);
		free(row);
	}
	return rc;
}

int sti_writer_put(struct store *st, int64_t run_id,
		   const struct result_rec *r, struct err *err)
{
	struct srow *row = xmalloc(sizeof *row);
	sti_row_fill(st, run_id, r, row);
	row->cache = false;
	return queue(st, row, err);
}

int sti_writer_put_cache(struct store *st, const char *key, const char *provider_id,
			 const char *body, const char *response, struct err *err)
{
	struct srow *row = xmalloc(sizeof *row);
	sti_cache_row_fill(row, key, provider_id, body, response);
	return queue(st, row, err);
}

int sti_writer_sync(struct store *st, struct err *err)
{
	struct store_writer *w = st->w;
	int rc;
	if (!w || pthread_equal(pthread_self(), w->th))
		return 0;
	pthread_mutex_lock(&w->mu);
	if (w->head) {
		w->now = true;
		pthread_cond_signal(&w->work);
	}
	while (w->head || w->busy)
		pthread_cond_wait(&w->idle, &w->mu);
	rc = w->rc;
	if (rc)
		*err = w->err;
	pthread_mutex_unlock(&w->mu);
	return rc;
}

int sti_writer_poll(struct store *st, struct err *err)
{
	struct store_writer *w = st->w;
	char b[64];
	int rc;
	if (!w)
		return 0;
	while (read(w->pipe[0], b, sizeof b) > 0)
		;
	pthread_mutex_lock(&w->mu);
	rc = w->rc;
	if (rc)
		*err = w->err;
	pthread_mutex_unlock(&w->mu);
	return rc;
}

void store_writer_idle(struct store *st)
{
	struct store_writer *w = st ? st->w : NULL;
	if (!w || !atomic_load(&w->handed) ||
	    atomic_load(&w->handed) == atomic_load(&w->done))
		return;
	pthread_mutex_lock(&w->mu);
	if (w->head && !w->now) {
		w->now = true;
		pthread_cond_signal(&w->work);
	}
	pthread_mutex_unlock(&w->mu);
}

void sti_db_lock(struct store *st)
{
	if (st->w)
		pthread_mutex_lock(&st->w->db_mu);
}

bool sti_db_trylock(struct store *st)
{
	return !st->w || pthread_mutex_trylock(&st->w->db_mu) == 0;
}

void sti_db_unlock(struct store *st)
{
	if (st->w)
		pthread_mutex_unlock(&st->w->db_mu);
}
