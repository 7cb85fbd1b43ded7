/* view_charts.c — the run page's charts: the same SVG the HTML report
 * draws (report_html_charts), in a small HTML document with no script
 * that the app shows in a same-origin frame.  Its policy allows only the
 * report's style sheet and data: images — nothing can run in it.
 *
 * The document is built from what the report needs of a `.json` export
 * (run, totals, stats, and the latencies the latency chart draws), not the
 * whole export, and kept in a cache of VIEW_CHART_CACHE runs keyed by the
 * run's result count and status: computing the statistics of a
 * 20,000-result run takes 100–300 ms, a page view then takes microseconds,
 * and a run still being written is drawn again once it has grown.
 *
 * Why a warm-up thread: the first view of a run would otherwise pay for
 * the statistics (issue 11 asks < 200 ms for the run page).  At start-up a
 * thread with its own store handle (SQLite: one handle per thread; WAL, so
 * it never blocks a grade being written) draws the newest VIEW_CHART_WARM
 * finished runs into the cache; a request for the run it is drawing waits
 * for it instead of drawing it again.  The cache is under s->mu. */
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

/* The run's groups (provider × prompt): their totals, and each one's
 * identity for the latency query. */
struct groups {
	struct grp {
		size_t prov, prompt;
		char *id, *label;
	} *g;
	size_t n, cap;
	long total, passes, fails, errors;
};

static int on_group(void *ud, const struct store_group *g)
{
	struct groups *gs = ud;
	struct grp *x;
	gs->g = xgrow(gs->g, &gs->cap, gs->n + 1, sizeof *gs->g);
	x = &gs->g[gs->n++];
	x->prov = g->provider_idx;
	x->prompt = g->prompt_idx;
	x->id = xstrdup(g->provider_id ? g->provider_id : "");
	x->label = xstrdup(g->provider_label ? g->provider_label : "");
	/* the report's totals (report_summary): errors without the grading
	 * errors, which are failures of the grader, not of the model */
	gs->total += g->n;
	gs->passes += g->passes;
	gs->fails += g->fails;
	gs->errors += g->errors - g->grade_errors;
	return 0;
}

/* The latency rows report_html_charts reads (provider id and label,
 * latency, cached, error) for the results it draws — the successful,
 * uncached ones with a latency, the same set it would pick out of every
 * result — one query per group on the results index rather than every
 * result with its output. */
static int latency_rows(struct store *st, int64_t run_id, const struct groups *gs,
			json_t *results, struct err *err)
{
	for (size_t i = 0; i < gs->n; i++) {
		const struct grp *g = &gs->g[i];
		json_t *id = view_jstr(g->id, 500, NULL), *label = view_jstr(g->label, 500, NULL);
		double *lat = NULL;
		size_t n = 0;
		int rc = store_group_latencies(st, run_id, g->prov, g->prompt, &lat, &n, err);
		for (size_t k = 0; k < n && !rc; k++)
			json_array_append_new(results, json_pack("{s:O,s:O,s:o,s:b,s:n}",
				"provider_id", id, "provider_label", label,
				"latency_ms", view_jnum(lat[k]), "cached", 0, "error"));
		free(lat);
		json_decref(id);
		json_decref(label);
		if (rc)
			return rc;
	}
	return 0;
}

/* The charts document of run_id (owned), or NULL with err set.  Reads the
 * statistics (report_stats_json: what takes the time), the group totals
 * and the latencies — not report_summary, which would load the run's
 * results twice more for figures the charts do not show. */
static char *draw(struct store *st, const struct store_run *run, struct err *err)
{
	struct groups gs = { 0 };
	json_t *doc = NULL, *stats = NULL, *results = json_array();
	struct buf b = { 0 };
	char *out = NULL;
	if (store_groups_each(st, run->id, on_group, &gs, err) ||
	    latency_rows(st, run->id, &gs, results, err) ||
	    !(stats = report_stats_json(st, run->id, NULL, err)))
		goto done;
	doc = json_pack("{s:{s:I,s:o,s:o,s:o},s:{s:i,s:i,s:i,s:i},s:O,s:O,s:s}",
		"run", "id", (json_int_t)run->id,
		"description", view_jstr(run->description, 1000, NULL),
		"suite_path", view_jstr(run->suite_path, 1000, NULL),
		"created_at", view_jstr(run->created_at, 64, NULL),
		"totals", "n", (int)gs.total, "passes", (int)gs.passes,
		"fails", (int)gs.fails, "errors", (int)gs.errors,
		"stats", stats, "results", results,
		"assay_version", run->assay_version ? run->assay_version : "");
	buf_puts(&b, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		     "<link rel=\"stylesheet\" href=\"/report.css\">"
		     "<link rel=\"stylesheet\" href=\"/app.css\"></head>"
		     "<body class=\"charts-doc\">\n");
	if (doc)
		report_html_charts(doc, &b);
	buf_puts(&b, "</body></html>\n");
	out = buf_detach(&b);
done:
	json_decref(doc);
	json_decref(stats);
	json_decref(results);
	for (size_t i = 0; i < gs.n; i++) {
		free(gs.g[i].id);
		free(gs.g[i].label);
	}
	free(gs.g);
	buf_free(&b);
	return out;
}

/* The run's candidate table for the run page (GET /api/runs/ID): the
 * summary rows (report_summary: counts, the statistics' pass-rate
 * interval, p50/p95, cost).  A new array, or NULL with err set. */
static json_t *candidates(struct store *st, int64_t run_id, struct err *err)
{
	struct summary sum = { 0 };
	json_t *cands;
	if (report_summary(st, run_id, &sum, err))
		return NULL;
	cands = json_array();
	for (size_t i = 0; i < sum.n_rows; i++) {
		const struct summary_row *w = &sum.rows[i];
		json_array_append_new(cands, json_pack(
			"{s:i,s:i,s:o,s:o,s:i,s:i,s:i,s:i,s:o,s:o,s:o,s:o,s:o,s:o}",
			"provider_idx", w->provider_idx, "prompt_idx", w->prompt_idx,
			"label", view_jstr(w->provider_label ? w->provider_label : w->provider_id, 500, NULL),
			"prompt", view_jstr(w->prompt_label, 500, NULL),
			"n", (int)w->n, "passes", (int)w->passes, "fails", (int)w->fails,
			"errors", (int)w->errors, "pass_rate", view_jnum(w->pass_rate),
			"ci_lo", view_jnum(w->ci_lo), "ci_hi", view_jnum(w->ci_hi),
			"p50_ms", view_jnum(w->p50_ms), "p95_ms", view_jnum(w->p95_ms),
			"cost_usd", view_jnum(w->cost_usd)));
	}
	report_summary_free(&sum);
	return cands;
}

/* The cache entry of run (its id, result count and status), or NULL.
 * Caller holds s->mu. */
static struct view_chart *cached(struct view_server *s, const struct store_run *run)
{
	for (size_t i = 0; i < VIEW_CHART_CACHE; i++) {
		struct view_chart *c = &s->charts[i];
		if ((c->html || c->cands) && c->run_id == run->id &&
		    c->n_results == run->n_results &&
		    !strcmp(c->status, run->status ? run->status : ""))
			return c;
	}
	return NULL;
}

/* The entry of run, made (evicting the oldest) when there is none.
 * Caller holds s->mu. */
static struct view_chart *entry(struct view_server *s, const struct store_run *run)
{
	struct view_chart *c = cached(s, run);
	if (c)
		return c;
	c = &s->charts[s->next_chart++ % VIEW_CHART_CACHE];
	free(c->html);
	json_decref(c->cands);
	c->html = NULL;
	c->cands = NULL;
	c->run_id = run->id;
	c->n_results = run->n_results;
	snprintf(c->status, sizeof c->status, "%s", run->status ? run->status : "");
	return c;
}

/* Waits while the warm-up thread computes this part (*what: s->warming or
 * s->warming_cands) of run_id.  Caller holds s->mu. */
static void wait_warm(struct view_server *s, const int64_t *what, int64_t run_id)
{
	while (*what == run_id)
		pthread_cond_wait(&s->cv, &s->mu);
}

void view_charts(struct view_server *s, int64_t run_id, struct view_reply *r)
{
	struct store_run run = { 0 };
	struct err e = { 0 };
	struct view_chart *hit;
	if (store_run_get(s->st, run_id, &run, &e)) {
		view_error(r, MHD_HTTP_NOT_FOUND, "no run %lld", (long long)run_id);
		return;
	}
	pthread_mutex_lock(&s->mu);
	wait_warm(s, &s->warming, run_id);   /* being drawn: wait, not draw twice */
	hit = cached(s, &run);
	r->cache = hit && hit->html ? (hit->warm ? "warm" : "cached") : "drawn";
	if (!hit || !hit->html) {
		char *html;
		pthread_mutex_unlock(&s->mu);
		html = draw(s->st, &run, &e);
		if (!html) {
			store_run_free(&run);
			view_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "%s", e.msg);
			return;
		}
		pthread_mutex_lock(&s->mu);
		hit = entry(s, &run);
		free(hit->html);
		hit->html = html;
		hit->warm = false;
	}
	buf_puts(&r->body, hit->html);
	pthread_mutex_unlock(&s->mu);
	store_run_free(&run);
	r->status = MHD_HTTP_OK;
	r->type = "text/html; charset=utf-8";
	r->csp = charts_csp;
}

json_t *view_run_candidates(struct view_server *s, const struct store_run *run,
			    struct err *err)
{
	struct view_chart *hit;
	json_t *cands;
	pthread_mutex_lock(&s->mu);
	wait_warm(s, &s->warming_cands, run->id);
	hit = cached(s, run);
	if (hit && hit->cands) {
		cands = json_deep_copy(hit->cands);
		pthread_mutex_unlock(&s->mu);
		return cands;
	}
	pthread_mutex_unlock(&s->mu);
	if (!(cands = candidates(s->st, run->id, err)))
		return NULL;
	pthread_mutex_lock(&s->mu);
	hit = entry(s, run);
	json_decref(hit->cands);
	hit->cands = json_deep_copy(cands);
	pthread_mutex_unlock(&s->mu);
	return cands;
}

/* ------------------------------------------------------------ warm-up */

struct warm_list {
	struct store_run runs[VIEW_CHART_WARM];
	size_t n;
};

static char *dup_or_null(const char *x)
{
	return x ? xstrdup(x) : NULL;
}

static int take_run(void *ud, const struct store_run *r)
{
	struct warm_list *w = ud;
	/* a run still being written is computed when viewed: it is still
	 * growing, so what was computed now would be stale */
	if (w->n < VIEW_CHART_WARM && r->status && strcmp(r->status, "running")) {
		/* a copy (store_run_free frees it), so the run's counts are not
		 * computed twice (store_run_get scans the run's results) */
		struct store_run *d = &w->runs[w->n++];
		*d = *r;
		d->created_at = dup_or_null(r->created_at);
		d->finished_at = dup_or_null(r->finished_at);
		d->status = dup_or_null(r->status);
		d->description = dup_or_null(r->description);
		d->label = dup_or_null(r->label);
		d->suite_path = dup_or_null(r->suite_path);
		d->suite_json = dup_or_null(r->suite_json);
		d->assay_version = dup_or_null(r->assay_version);
		d->suite_hash = dup_or_null(r->suite_hash);
		d->config_json = dup_or_null(r->config_json);
		d->git_commit = dup_or_null(r->git_commit);
		d->host = dup_or_null(r->host);
		d->heartbeat_at = dup_or_null(r->heartbeat_at);
	}
	return 0;
}

/* One part of run's cache entry (the charts, or the candidate table)
 * computed by the warm-up thread on its handle st, unless it is there.
 * While it computes, a request for that part of that run waits. */
static void warm_part(struct view_server *s, struct store *st,
		      const struct store_run *run, bool charts)
{
	int64_t *flag = charts ? &s->warming : &s->warming_cands;
	struct view_chart *c;
	struct err e = { 0 };
	json_t *cands = NULL;
	char *html = NULL;
	pthread_mutex_lock(&s->mu);
	c = cached(s, run);
	if (c && (charts ? c->html != NULL : c->cands != NULL)) {
		pthread_mutex_unlock(&s->mu);
		return;
	}
	*flag = run->id;
	pthread_mutex_unlock(&s->mu);
	if (charts)
		html = draw(st, run, &e);
	else
		cands = candidates(st, run->id, &e);
	pthread_mutex_lock(&s->mu);
	if (html || cands) {
		c = entry(s, run);
		if (html) {
			free(c->html);
			c->html = html;
			c->warm = true;
		} else {
			json_decref(c->cands);
			c->cands = cands;
		}
	}
	*flag = 0;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
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
	    store_runs_each(st, VIEW_CHART_WARM, take_run, &w, &e))
		goto out;
	for (size_t i = 0; i < w.n && !atomic_load(&s->warm_stop); i++) {
		warm_part(s, st, &w.runs[i], true);
		if (!atomic_load(&s->warm_stop))
			warm_part(s, st, &w.runs[i], false);
	}
out:
	for (size_t i = 0; i < w.n; i++)
		store_run_free(&w.runs[i]);
	store_close(st);
	atomic_store(&s->warm_state, 2);
	return NULL;
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
	for (size_t i = 0; i < VIEW_CHART_CACHE; i++) {
		free(s->charts[i].html);
		json_decref(s->charts[i].cands);
		s->charts[i].html = NULL;
		s->charts[i].cands = NULL;
	}
}

void view_charts_warm_stop(struct view_server *s)
{
	if (!s->warm_started)
		return;
	atomic_store(&s->warm_stop, true);
	pthread_join(s->warm, NULL);
	s->warm_started = false;
	free(s->warm_db);
	s->warm_db = NULL;
}
