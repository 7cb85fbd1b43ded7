/* view_charts.c — the run page's charts: the same SVG the HTML report
 * draws (report_html_charts), in a small HTML document with no script
 * that the app shows in a same-origin frame.  Its policy allows only the
 * report's style sheet and data: images — nothing can run in it.
 *
 * The document and the run page's candidate table are computed together
 * from one pass over the run's statistics (view_compute.c) and kept in a
 * cache of VIEW_CHART_CACHE runs keyed by view_run_key: the run's status,
 * result count and highest result id, and a hash of its human grades (the
 * charts show their statistics), so a run still being written, or graded
 * since, is computed again on its next view.  Computing a 20,000-result
 * run takes ~100 ms of CPU; a view that hits the cache costs the two key
 * queries (a few ms).
 *
 * Why a warm-up thread: the first view of a run would otherwise pay for
 * the statistics (issue 11 asks < 200 ms for the run page).  At start-up a
 * thread with its own store handle (SQLite: one handle per thread; WAL, so
 * it never blocks a grade being written) computes the newest
 * VIEW_CHART_WARM finished runs into the cache; a request for the run it
 * is computing waits for it instead of computing it again.  Then it
 * waits: each look at the runs list (GET /api/runs) pokes it to compute
 * the newest finished runs again where they are missing or stale (a run
 * that finished since, or was graded), so the run page opened from the
 * list is a cache hit.  The cache is under s->mu. */
#include "view_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../report/report.h"
#include "../report/report_html.h"
#include "../report/stats_report.h"
#include "../util/xalloc.h"

static const char charts_csp[] =
	"default-src 'none'; style-src 'self'; img-src data:; "
	"frame-ancestors 'self'; base-uri 'none'; form-action 'none'";

/* The cache entry of run_id with key k, or NULL.  Caller holds s->mu. */
static struct view_chart *cached(struct view_server *s, int64_t run_id,
				 const struct view_run_key *k)
{
	for (size_t i = 0; i < VIEW_CHART_CACHE; i++) {
		struct view_chart *c = &s->charts[i];
		if (c->p.html && c->run_id == run_id && view_run_key_eq(&c->key, k))
			return c;
	}
	return NULL;
}

/* Stores p (consumed) as run_id's entry with key k, replacing a stale
 * entry of that run or else the oldest.  Caller holds s->mu. */
static struct view_chart *store_entry(struct view_server *s, int64_t run_id,
				      const struct view_run_key *k,
				      struct view_parts *p, bool warm)
{
	struct view_chart *c = NULL;
	for (size_t i = 0; i < VIEW_CHART_CACHE && !c; i++)
		if (s->charts[i].p.html && s->charts[i].run_id == run_id)
			c = &s->charts[i];
	if (!c)
		c = &s->charts[s->next_chart++ % VIEW_CHART_CACHE];
	view_parts_free(&c->p);
	c->run_id = run_id;
	c->key = *k;
	c->p = *p;
	c->warm = warm;
	memset(p, 0, sizeof *p);
	return c;
}

/* Waits while the warm-up thread computes run_id.  Caller holds s->mu. */
static void wait_warm(struct view_server *s, int64_t run_id)
{
	while (s->warming == run_id)
		pthread_cond_wait(&s->cv, &s->mu);
}

/* The entry of run (brief record) on the request thread's handle: the
 * cached one when its key still holds, else computed now.  Returns it
 * with s->mu held (*how: "warm", "cached" or "drawn"), or NULL with err
 * set and s->mu not held. */
static struct view_chart *page(struct view_server *s, const struct store_run *run,
			       const char **how, struct err *err)
{
	struct view_run_key k;
	struct view_parts p;
	struct view_chart *hit;
	if (view_run_key(s->st, run, &k, err))
		return NULL;
	pthread_mutex_lock(&s->mu);
	wait_warm(s, run->id);   /* being computed: wait, not compute twice */
	if ((hit = cached(s, run->id, &k))) {
		*how = hit->warm ? "warm" : "cached";
		return hit;
	}
	pthread_mutex_unlock(&s->mu);
	if (view_compute(s->st, run, &p, err))
		return NULL;
	pthread_mutex_lock(&s->mu);
	*how = "drawn";
	return store_entry(s, run->id, &k, &p, false);
}

void view_charts(struct view_server *s, int64_t run_id, struct view_reply *r)
{
	struct store_run run = { 0 };
	struct err e = { 0 };
	struct view_chart *hit;
	if (store_run_get_brief(s->st, run_id, &run, &e)) {
		view_error(r, MHD_HTTP_NOT_FOUND, "no run %lld", (long long)run_id);
		return;
	}
	if (!(hit = page(s, &run, &r->cache, &e))) {
		store_run_free(&run);
		view_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "%s", e.msg);
		return;
	}
	buf_puts(&r->body, hit->p.html);
	pthread_mutex_unlock(&s->mu);
	store_run_free(&run);
	r->status = MHD_HTTP_OK;
	r->type = "text/html; charset=utf-8";
	r->csp = charts_csp;
}

int view_run_page(struct view_server *s, const struct store_run *run,
		  json_t **cands, json_t **tags, long *n_results, long *n_errors,
		  struct err *err)
{
	const char *how;
	struct view_chart *hit = page(s, run, &how, err);
	if (!hit)
		return err->code ? err->code : ST_DB;
	*cands = json_deep_copy(hit->p.cands);
	*tags = json_deep_copy(hit->p.tags);
	*n_results = hit->key.n_results;
	*n_errors = hit->p.n_errors;
	pthread_mutex_unlock(&s->mu);
	return 0;
}

/* ------------------------------------------------------------ warm-up */

struct warm_list {
	int64_t ids[VIEW_CHART_WARM];
	size_t n;
};

static int take_run(void *ud, const struct store_run *r)
{
	struct warm_list *w = ud;
	/* a run still being written is computed when viewed: it is still
	 * growing, so what was computed now would be stale */
	if (w->n < VIEW_CHART_WARM && r->status && strcmp(r->status, "running")) {
		w->ids[w->n++] = r->id;
	}
	return 0;
}

/* Run run_id's page parts computed by the warm-up thread on its handle
 * st, unless they are cached.  While it computes, a request for that run
 * waits. */
static void warm_run(struct view_server *s, struct store *st, int64_t run_id)
{
	struct store_run run = { 0 };
	struct view_run_key k;
	struct view_parts p;
	struct err e = { 0 };
	bool have;
	if (store_run_get_brief(st, run_id, &run, &e))
		return;
	if (view_run_key(st, &run, &k, &e)) {
		store_run_free(&run);
		return;
	}
	pthread_mutex_lock(&s->mu);
	have = cached(s, run_id, &k) != NULL;
	if (!have)
		s->warming = run_id;
	pthread_mutex_unlock(&s->mu);
	if (!have) {
		int rc = view_compute(st, &run, &p, &e);
		pthread_mutex_lock(&s->mu);
		if (!rc)
			store_entry(s, run_id, &k, &p, true);
		s->warming = 0;
		pthread_cond_broadcast(&s->cv);
		pthread_mutex_unlock(&s->mu);
	}
	store_run_free(&run);
}

/* The warm-up thread: the newest finished runs' candidate tables and
 * charts, computed on its own store handle, newest first, into the cache. */
static void *warm_main(void *ud)
{
	struct view_server *s = ud;
	struct warm_list w = { .n = 0 };
	struct store *st = NULL;
	struct err e = { 0 };
	if (store_open_existing(s->warm_db, &st, &e) ||
	    store_read_cache(st, VIEW_READ_CACHE_KIB, &e))
		goto out;
	for (;;) {
		w.n = 0;
		if (store_runs_each_brief(st, VIEW_CHART_WARM, take_run, &w, &e))
			break;
		for (size_t i = 0; i < w.n && !atomic_load(&s->warm_stop); i++)
			warm_run(s, st, w.ids[i]);
		/* the start-up pass is done; then wait for a look at the runs
		 * list (view_charts_warm_poke) to compute runs that finished,
		 * or were graded, since */
		atomic_store(&s->warm_state, 2);
		atomic_fetch_add(&s->warm_passes, 1);
		pthread_mutex_lock(&s->mu);
		while (!s->warm_rescan && !atomic_load(&s->warm_stop))
			pthread_cond_wait(&s->cv, &s->mu);
		s->warm_rescan = false;
		pthread_mutex_unlock(&s->mu);
		if (atomic_load(&s->warm_stop))
			break;
	}
out:
	store_close(st);
	atomic_store(&s->warm_state, 2);
	return NULL;
}

void view_charts_warm_poke(struct view_server *s)
{
	if (!s->warm_started)
		return;
	pthread_mutex_lock(&s->mu);
	s->warm_rescan = true;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

int view_charts_warm_start(struct view_server *s, const char *db_path)
{
	s->warm_db = xstrdup(db_path);
	atomic_store(&s->warm_state, 1);   /* before: the thread may end first */
	if (pthread_create(&s->warm, NULL, warm_main, s)) {
		atomic_store(&s->warm_state, 0);
		free(s->warm_db);
		s->warm_db = NULL;
		return -1;
	}
	s->warm_started = true;
	return 0;
}

const char *view_warm_state(struct view_server *s)
{
	int k = atomic_load(&s->warm_state);
	return k == 2 ? "done" : k == 1 ? "running" : "off";
}

void view_charts_free(struct view_server *s)
{
	for (size_t i = 0; i < VIEW_CHART_CACHE; i++)
		view_parts_free(&s->charts[i].p);
}

void view_charts_warm_stop(struct view_server *s)
{
	if (!s->warm_started)
		return;
	atomic_store(&s->warm_stop, true);
	pthread_mutex_lock(&s->mu);
	pthread_cond_broadcast(&s->cv);   /* it may be waiting for a poke */
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->warm, NULL);
	s->warm_started = false;
	free(s->warm_db);
	s->warm_db = NULL;
}
