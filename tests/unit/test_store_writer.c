/* test_store_writer.c — the store's writer thread (store_writer.c): every
 * result handed over is written, the rows are the synchronous path's,
 * reads and store_commit wait for it, the count of uncommitted results
 * falls to 0 with each commit, its wake-up fd becomes readable, and a
 * failed write is reported (by store_tick, store_commit, the next put and
 * store_writer_stop) instead of lost.  Each also runs on PostgreSQL. */
#include "t.h"
#include "tpg.h"
#include "../../src/store/db.h"
#include "../../src/store/store_int.h"

#include <poll.h>
#include <pthread.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/store/store.h"
#include "../../src/util/buf.h"
#include "../../src/util/xalloc.h"

struct suite *tfx_suite(size_t n_tests, size_t n_providers);
void tfx_suite_free(struct suite *s);
char *tfx_tmpdir(void);
void tfx_rmdir(char *dir);
void tfx_grade(struct grade *g, const struct test_case *tc, bool pass,
	       double score, const char *metric_json);
void tfx_grade_free(struct grade *g);

/* One value of a one-row query on a connection of its own, as text. */
static char *w_q1(const char *target, const char *sql)
{
	struct db *db = NULL;
	struct db_stmt *q = NULL;
	struct err err = {0};
	char *out;
	if (db_open(target, 1000, &db, &err) || db_prepare(db, sql, &q, &err))
		out = xasprintf("(sql error: %s)", err.msg);
	else if (db_step(q, &err) != DB_ROW)
		out = xstrdup("(no row)");
	else
		out = xstrdup(db_col_null(q, 0) ? "NULL" : db_col_text(q, 0));
	db_finalize(q);
	db_close(db);
	return out;
}

static void w_response(struct response *r, const char *out)
{
	response_init(r);
	r->output = xstrdup(out);
	r->finish_reason = xstrdup("stop");
	r->http_status = 200;
	r->latency_ms = 12.5;
	r->prompt_tokens = 12;
	r->completion_tokens = 3;
	r->total_tokens = 15;
}

/* Appends every column of every row of sql (?1 = run) to out. */
static void w_rows(struct db *db, const char *sql, int64_t run, struct buf *out)
{
	struct db_stmt *q = NULL;
	struct err err = {0};
	if (db_prepare(db, sql, &q, &err)) {
		buf_printf(out, "(sql error: %s)", err.msg);
		return;
	}
	db_bind_int(q, 1, run);
	while (db_step(q, &err) == DB_ROW) {
		for (int i = 0; i < db_ncols(q); i++)
			buf_printf(out, "%s,", db_col_null(q, i) ? "NULL"
				   : db_col_text(q, i));
		buf_putc(out, '|');
	}
	db_finalize(q);
}

/* Every column of every result and assertion row of a run, as one text
 * (owned). */
static char *w_dump(const char *target, int64_t run)
{
	struct db *db = NULL;
	struct err err = {0};
	struct buf out = {0};
	if (db_open(target, 1000, &db, &err))
		return xasprintf("(sql error: %s)", err.msg);
	w_rows(db, "SELECT case_idx, prompt_idx, provider_idx, repeat, started_at,"
	       " prompt_text, output, error_kind, error_msg, http_status,"
	       " finish_reason, latency_ms, ttft_ms, prompt_tokens,"
	       " completion_tokens, total_tokens, cost_usd, retries, cached, pass,"
	       " score, reason, named_scores_json, item_key FROM results"
	       " WHERE run_id = ?1 ORDER BY case_idx, provider_idx", run, &out);
	w_rows(db, "SELECT r.case_idx, r.provider_idx, a.idx, a.type, a.pass,"
	       " a.score, a.reason, a.weight, a.metric FROM assertion_results a"
	       " JOIN results r ON r.id = a.result_id WHERE r.run_id = ?1"
	       " ORDER BY r.case_idx, r.provider_idx, a.idx", run, &out);
	db_close(db);
	return buf_detach(&out);
}

/* Puts n results of 2 providers (every 7th an error), with or without a
 * writer; *dump: the stored rows (owned). */
static void put_all(const char *path, size_t n, bool writer, char **dump)
{
	struct suite *s = tfx_suite(n, 2);
	struct store *st = NULL;
	struct err err = {0};
	struct grade g;
	int64_t run = 0;
	*dump = NULL;
	T_EQ_INT(store_open(path, &st, &err), 0);
	T_EQ_INT(store_run_begin(st, s, NULL, 1, &run, &err), 0);
	if (writer)
		T_EQ_INT(store_writer_start(st, &err), 0);
	tfx_grade(&g, &s->tests[0], true, 0.75, "{\"acc\":1}");
	for (size_t i = 0; i < n; i++)
		for (size_t v = 0; v < 2; v++) {
			struct response r;
			char out[64];
			snprintf(out, sizeof out, "answer %zu from %zu", i, v);
			w_response(&r, out);
			if ((i + v) % 7 == 0)
				r.error = RESP_ERR_HTTP;
			struct result_rec rec = { i, 0, v, 0, "the prompt", &r,
						  &g, 1.7e12, 0, 0, 0 };
			T_EQ_INT(store_result_put(st, run, &rec, &err), 0);
			response_cleanup(&r); /* the writer holds its own copy */
		}
	if (writer) {
		T_ASSERT(store_uncommitted(st) >= 0);
		T_EQ_INT(store_commit(st, &err), 0);
		T_EQ_INT(store_uncommitted(st), 0);
		T_EQ_INT(store_writer_stop(st, &err), 0);
	}
	T_EQ_INT(store_run_end(st, run, "done", &err), 0);
	store_close(st);
	*dump = w_dump(path, run);
	tfx_grade_free(&g);
	tfx_suite_free(s);
}

STORE_TEST(store_writer_rows_equal_the_synchronous_ones)
{
	char *dir = tfx_tmpdir();
	char *path = tfx_db(dir, "w.db");
	char *a = NULL, *b = NULL;
	put_all(path, 300, false, &a);  /* run 1 */
	put_all(path, 300, true, &b);   /* run 2 */
	T_ASSERT(a && b);
	T_ASSERT(strstr(a, "answer 299 from 1") != NULL);
	T_ASSERT(strstr(a, "assertion 1") != NULL);
	T_ASSERT(strstr(a, "(sql error") == NULL);
	T_EQ_STR(b, a);
	free(a);
	free(b);
	free(path);
	tfx_rmdir(dir);
}

STORE_TEST(store_writer_reads_wait_and_fd_wakes)
{
	char *dir = tfx_tmpdir();
	char *path = tfx_db(dir, "r.db");
	struct suite *s = tfx_suite(50, 1);
	struct store *st = NULL;
	struct err err = {0};
	struct response r;
	int64_t run = 0;
	int state = -1;
	struct pollfd pfd;
	T_EQ_INT(store_writer_fd(NULL), -1);
	T_EQ_INT(store_open(path, &st, &err), 0);
	T_EQ_INT(store_run_begin(st, s, NULL, 1, &run, &err), 0);
	T_EQ_INT(store_writer_fd(st), -1);
	T_EQ_INT(store_writer_start(st, &err), 0);
	T_ASSERT(store_writer_fd(st) >= 0);
	w_response(&r, "yes");
	for (size_t i = 0; i < 50; i++) {
		struct result_rec rec = { i, 0, 0, 0, "p", &r, NULL, 0, 0, 0, 0 };
		T_EQ_INT(store_result_put(st, run, &rec, &err), 0);
	}
	/* A read sees every row handed over before it. */
	T_EQ_INT(store_result_state(st, run, 49, 0, 0, 0, &state, &err), 0);
	T_EQ_INT(state, 1);
	T_EQ_INT(store_uncommitted(st), 0);
	/* Committed, so visible to another connection, and the fd says so. */
	{
		char *n = w_q1(path, "SELECT count(*) FROM results");
		T_EQ_STR(n, "50");
		free(n);
	}
	pfd = (struct pollfd){ store_writer_fd(st), POLLIN, 0 };
	T_EQ_INT(poll(&pfd, 1, 1000), 1);
	T_EQ_INT(store_tick(st, &err), 0);      /* empties the pipe */
	pfd.revents = 0;
	T_EQ_INT(poll(&pfd, 1, 0), 0);
	/* The idle hint with nothing queued does nothing. */
	store_writer_idle(st);
	T_EQ_INT(store_writer_stop(st, &err), 0);
	T_EQ_INT(store_writer_stop(st, &err), 0); /* twice: nothing */
	T_EQ_INT(store_writer_fd(st), -1);
	response_cleanup(&r);
	store_close(st);
	tfx_suite_free(s);
	free(path);
	tfx_rmdir(dir);
}

STORE_TEST(store_writer_failure_is_reported_not_lost)
{
	char *dir = tfx_tmpdir();
	char *path = tfx_db(dir, "f.db");
	struct suite *s = tfx_suite(4, 1);
	struct store *st = NULL;
	struct err err = {0};
	struct response r;
	int64_t run = 0;
	T_EQ_INT(store_open(path, &st, &err), 0);
	T_EQ_INT(store_run_begin(st, s, NULL, 1, &run, &err), 0);
	T_EQ_INT(store_writer_start(st, &err), 0);
	w_response(&r, "yes");
	{
		/* No such run: the foreign key refuses the row. */
		struct result_rec rec = { 0, 0, 0, 0, "p", &r, NULL, 0, 0, 0, 0 };
		T_EQ_INT(store_result_put(st, run + 1000, &rec, &err), 0);
	}
	T_EQ_INT(store_commit(st, &err), ST_DB);
	T_ASSERT(strstr(err.msg, "storing a result") != NULL);
	err_clear(&err);
	T_EQ_INT(store_tick(st, &err), ST_DB);
	err_clear(&err);
	{
		struct result_rec rec = { 1, 0, 0, 0, "p", &r, NULL, 0, 0, 0, 0 };
		T_EQ_INT(store_result_put(st, run, &rec, &err), ST_DB);
	}
	T_EQ_INT(store_uncommitted(st), 0);
	err_clear(&err);
	T_EQ_INT(store_writer_stop(st, &err), ST_DB);
	T_ASSERT(strstr(err.msg, "storing a result") != NULL);
	response_cleanup(&r);
	store_close(st);
	tfx_suite_free(s);
	free(path);
	tfx_rmdir(dir);
}

struct w_get {
	struct store *st;
	char *got;
	int rc;
};

static void *w_get_main(void *ud)
{
	struct w_get *g = ud;
	struct err e = {0};
	g->rc = store_cache_get(g->st, "k1", &g->got, &e);
	err_clear(&e);
	return NULL;
}

/* Cache entries put during a run go to the writer with the results, are
 * not counted as uncommitted results, and are found once committed; on
 * SQLite a lookup does not wait for the writer's batch (its own reader
 * connection): here it returns while the writer is held mid-batch. */
STORE_TEST(store_writer_takes_cache_entries_and_lookups_do_not_wait)
{
	char *dir = tfx_tmpdir();
	char *path = tfx_db(dir, "c.db");
	struct suite *s = tfx_suite(2, 1);
	struct store *st = NULL;
	struct err err = {0};
	char *got = NULL;
	int64_t run = 0;
	T_EQ_INT(store_open(path, &st, &err), 0);
	T_EQ_INT(store_run_begin(st, s, NULL, 1, &run, &err), 0);
	T_EQ_INT(store_writer_start(st, &err), 0);
	/* Held: the writer takes the entry and waits for the connection. */
	sti_db_lock(st);
	T_EQ_INT(store_cache_put(st, "k1", "openai:chat:x", "{\"m\":1}", "{\"r\":1}", &err), 0);
	T_EQ_INT(store_uncommitted(st), 0);
	if (!tpg_current) {
		struct w_get g = { st, NULL, -1 };
		pthread_t th;
		struct timespec until;
		int joined;
		T_EQ_INT(pthread_create(&th, NULL, w_get_main, &g), 0);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 5;
		joined = pthread_timedjoin_np(th, NULL, &until);
		sti_db_unlock(st);
		if (joined)
			pthread_join(th, NULL);
		T_EQ_INT(joined, 0);   /* it did not wait for the writer */
		T_EQ_INT(g.rc, 0);
		T_ASSERT(g.got == NULL); /* not committed yet */
		free(g.got);
	} else {
		sti_db_unlock(st);
	}
	T_EQ_INT(store_commit(st, &err), 0);
	T_EQ_INT(store_cache_get(st, "k1", &got, &err), 0);
	T_EQ_STR(got, "{\"r\":1}");
	free(got);
	got = NULL;
	/* a second put of the key replaces the entry */
	T_EQ_INT(store_cache_put(st, "k1", "openai:chat:x", "{\"m\":1}", "{\"r\":2}", &err), 0);
	T_EQ_INT(store_writer_stop(st, &err), 0);
	T_EQ_INT(store_cache_get(st, "k1", &got, &err), 0);
	T_EQ_STR(got, "{\"r\":2}");
	free(got);
	store_close(st);
	tfx_suite_free(s);
	free(path);
	tfx_rmdir(dir);
}

struct w_tick {
	struct store *st;
	int rc;
};

static void *w_tick_main(void *ud)
{
	struct w_tick *t = ud;
	struct err e = {0};
	t->rc = store_tick(t->st, &e);
	err_clear(&e);
	return NULL;
}

/* store_tick, every pass of the loop, does not wait while the writer holds
 * the connection for a batch (the writer's own begin stamps the
 * heartbeat): here it returns while the connection is held. */
STORE_TEST(store_tick_does_not_wait_for_the_writer)
{
	char *dir = tfx_tmpdir();
	char *path = tfx_db(dir, "t.db");
	struct suite *s = tfx_suite(2, 1);
	struct store *st = NULL;
	struct err err = {0};
	struct w_tick t = { NULL, -1 };
	pthread_t th;
	struct timespec until;
	int64_t run = 0;
	int joined;
	T_EQ_INT(store_open(path, &st, &err), 0);
	T_EQ_INT(store_run_begin(st, s, NULL, 1, &run, &err), 0);
	T_EQ_INT(store_writer_start(st, &err), 0);
	t.st = st;
	sti_db_lock(st);
	T_EQ_INT(pthread_create(&th, NULL, w_tick_main, &t), 0);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	joined = pthread_timedjoin_np(th, NULL, &until);
	sti_db_unlock(st);
	if (joined)
		pthread_join(th, NULL);
	T_EQ_INT(joined, 0);
	T_EQ_INT(t.rc, 0);
	T_EQ_INT(store_writer_stop(st, &err), 0);
	store_close(st);
	tfx_suite_free(s);
	free(path);
	tfx_rmdir(dir);
}
