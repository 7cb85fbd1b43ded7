/* view_compute.c — what the run page needs of a run's statistics,
 * computed in one pass: the charts document (the HTML report's SVG), the
 * candidate table (GET /api/runs/ID), the run's tags and its error count.
 *
 * Why one pass: the statistics (report_stats_compute: every result and
 * case read once, then the analysis) are most of the cost of the run page
 * — 100–200 ms at 20,000 results — and the charts and the candidate table
 * each computed them before (the table through report_summary, which also
 * read the results again for figures the page does not show).  Now they
 * are computed once and both parts made from them: the table's intervals
 * from the statistics' pass-rate intervals (what report_summary takes from
 * report_stats_summary_ci), its p50/p95 and the latency chart from the
 * loaded results, its counts and cost from the store's group totals
 * (store_groups_each, as report_summary).  The output is the same as
 * before, byte for byte (tests/cli/view.sh, view_browser.sh).
 *
 * The cache key (view_run_key) is what makes a cached entry stale: the
 * run's status, its result count and highest result id (the results'
 * index only; see store_run_results_key for the one replacement it
 * misses while a run is written), and a hash of its human grades (their
 * statistics are in the charts; a regrade may reuse the replaced row's
 * id, so the hash covers every field). */
#include "view_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../report/report_html.h"
#include "../report/stats_report.h"
#include "../stats/stats.h"
#include "../store/store_human.h"
#include "../store/store_view.h"
#include "../util/xalloc.h"

/* ---------------------------------------------------------------- key */

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;
	for (size_t i = 0; i < n; i++) {
		h ^= c[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static uint64_t fnv_str(uint64_t h, const char *s)
{
	/* the NUL too, so ("ab", "") and ("a", "b") differ */
	return s ? fnv(h, s, strlen(s) + 1) : fnv(h, "\xff", 1);
}

static int hash_grade(void *ud, const struct store_human_grade *g)
{
	struct view_run_key *k = ud;
	int64_t n[] = { g->id, g->result_id, g->other_result_id, g->rating,
			g->ship, g->preferred };
	k->human = fnv(k->human, n, sizeof n);
	k->human = fnv_str(k->human, g->grader);
	k->human = fnv_str(k->human, g->kind);
	k->human = fnv_str(k->human, g->comment);
	k->human = fnv_str(k->human, g->created_at);
	k->n_human++;
	return 0;
}

int view_run_key(struct store *st, const struct store_run *run,
		 struct view_run_key *k, struct err *err)
{
	int rc;
	memset(k, 0, sizeof *k);
	snprintf(k->status, sizeof k->status, "%s", run->status ? run->status : "");
	k->human = 0xcbf29ce484222325ull;
	if ((rc = store_run_results_key(st, run->id, &k->n_results, &k->max_id, err)))
		return rc;
	return store_human_list(st, run->id, hash_grade, k, err);
}

bool view_run_key_eq(const struct view_run_key *a, const struct view_run_key *b)
{
	return a->n_results == b->n_results && a->max_id == b->max_id &&
	       a->human == b->human && a->n_human == b->n_human &&
	       !strcmp(a->status, b->status);
}

/* ------------------------------------------------------------ compute */

/* The run's groups (provider × prompt): the store's totals, and each
 * one's latencies (successful, uncached, ascending). */
struct groups {
	struct grp {
		struct store_group g;   /* strings owned */
		double *lat;
		size_t nlat;
	} *g;
	size_t n, cap;
};

static char *dup_or_null(const char *x)
{
	return x ? xstrdup(x) : NULL;
}

static int on_group(void *ud, const struct store_group *g)
{
	struct groups *gs = ud;
	struct grp *x;
	gs->g = xgrow(gs->g, &gs->cap, gs->n + 1, sizeof *gs->g);
	x = &gs->g[gs->n++];
	memset(x, 0, sizeof *x);
	x->g = *g;
	x->g.provider_id = dup_or_null(g->provider_id);
	x->g.provider_label = dup_or_null(g->provider_label);
	x->g.prompt_label = dup_or_null(g->prompt_label);
	return 0;
}

static void groups_free(struct groups *gs)
{
	for (size_t i = 0; i < gs->n; i++) {
		free((char *)gs->g[i].g.provider_id);
		free((char *)gs->g[i].g.provider_label);
		free((char *)gs->g[i].g.prompt_label);
		free(gs->g[i].lat);
	}
	free(gs->g);
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The latencies store_group_latencies would read (error_kind NULL, not
 * cached, latency not NULL), taken from the loaded results. */
static void latencies(const struct rs_run *r, struct grp *x)
{
	const struct rs_cand *c = NULL;
	size_t cap = 0;
	for (size_t i = 0; i < r->ncands && !c; i++)
		if ((size_t)r->cands[i].prov == x->g.provider_idx &&
		    (size_t)r->cands[i].prompt == x->g.prompt_idx)
			c = &r->cands[i];
	for (size_t i = 0; c && i < c->n; i++) {
		const struct rs_item it_ = rs_at(c, i), *it = &it_;
		if (it->pass == RS_ERROR || it->pass == RS_GRADE_ERROR ||
		    it->cached || isnan(it->lat))
			continue;
		x->lat = xgrow(x->lat, &cap, x->nlat + 1, sizeof *x->lat);
		x->lat[x->nlat++] = it->lat;
	}
	if (x->nlat)
		qsort(x->lat, x->nlat, sizeof *x->lat, cmp_d);
}

/* The pass-rate interval the statistics give group x, as
 * report_stats_summary_ci puts it into report_summary's row. */
static const struct rs_pass_ci *pass_ci(const struct run_stats *s, const struct grp *x)
{
	for (size_t i = 0; i < s->ncands; i++) {
		const struct rs_cand *c = s->cands[i].c;
		if (c && (size_t)c->prov == x->g.provider_idx &&
		    (size_t)c->prompt == x->g.prompt_idx)
			return &s->cands[i].pass;
	}
	return NULL;
}

/* The candidate table's row of group x (report_summary's figures). */
static json_t *cand_row(const struct run_stats *s, const struct grp *x)
{
	const struct store_group *g = &x->g;
	long errors = g->errors - g->grade_errors, graded = g->passes + g->fails;
	double rate = NAN, lo = NAN, hi = NAN;
	const struct rs_pass_ci *p = pass_ci(s, x);
	if (graded > 0) {
		struct interval ci = stats_wilson(g->passes, graded, 0.95);
		rate = (double)g->passes / (double)graded;
		lo = ci.lo;
		hi = ci.hi;
	}
	if (p && p->n > 0 && p->n == graded) {
		lo = p->ci.lo;
		hi = p->ci.hi;
	}
	return json_pack("{s:i,s:i,s:o,s:o,s:i,s:i,s:i,s:i,s:o,s:o,s:o,s:o,s:o,s:o}",
		"provider_idx", (int)g->provider_idx, "prompt_idx", (int)g->prompt_idx,
		/* report_summary's label is never NULL ("" for none) */
		"label", view_jstr(g->provider_label ? g->provider_label : "", 500, NULL),
		"prompt", view_jstr(g->prompt_label ? g->prompt_label : "", 500, NULL),
		"n", (int)g->n, "passes", (int)g->passes, "fails", (int)g->fails,
		"errors", (int)errors, "pass_rate", view_jnum(rate),
		"ci_lo", view_jnum(lo), "ci_hi", view_jnum(hi),
		"p50_ms", view_jnum(x->nlat ? stats_quantile_sorted(x->lat, x->nlat, 0.50) : NAN),
		"p95_ms", view_jnum(x->nlat ? stats_quantile_sorted(x->lat, x->nlat, 0.95) : NAN),
		"cost_usd", view_jnum(g->cost_usd));
}

/* The charts document: the report's charts of {run, totals, stats}, the
 * latency chart from the groups' latencies. */
static char *charts_doc(const struct store_run *run, const struct groups *gs,
			json_t *stats)
{
	long total = 0, passes = 0, fails = 0, errors = 0;
	struct report_lat_group *lg = xcalloc(gs->n ? gs->n : 1, sizeof *lg);
	json_t **names = xcalloc(2 * (gs->n ? gs->n : 1), sizeof *names);
	struct buf b = { 0 };
	json_t *doc;
	for (size_t i = 0; i < gs->n; i++) {
		const struct grp *x = &gs->g[i];
		/* the report's totals (report_summary): errors without the
		 * grading errors, which are failures of the grader */
		total += x->g.n;
		passes += x->g.passes;
		fails += x->g.fails;
		errors += x->g.errors - x->g.grade_errors;
		/* the strings the rows of a `results` array would carry */
		names[2 * i] = view_jstr(x->g.provider_id ? x->g.provider_id : "", 500, NULL);
		names[2 * i + 1] = view_jstr(x->g.provider_label ? x->g.provider_label : "",
					     500, NULL);
		lg[i].provider_id = json_string_value(names[2 * i]);
		lg[i].provider_label = json_string_value(names[2 * i + 1]);
		lg[i].v = x->lat;
		lg[i].n = x->nlat;
	}
	doc = json_pack("{s:{s:I,s:o,s:o,s:o},s:{s:i,s:i,s:i,s:i},s:O,s:s}",
		"run", "id", (json_int_t)run->id,
		"description", view_jstr(run->description, 1000, NULL),
		"suite_path", view_jstr(run->suite_path, 1000, NULL),
		"created_at", view_jstr(run->created_at, 64, NULL),
		"totals", "n", (int)total, "passes", (int)passes,
		"fails", (int)fails, "errors", (int)errors,
		"stats", stats,
		"assay_version", run->assay_version ? run->assay_version : "");
	buf_puts(&b, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		     "<link rel=\"stylesheet\" href=\"/report.css\">"
		     "<link rel=\"stylesheet\" href=\"/app.css\"></head>"
		     "<body class=\"charts-doc\">\n");
	if (doc)
		report_html_charts_lat(doc, lg, gs->n, &b);
	buf_puts(&b, "</body></html>\n");
	json_decref(doc);
	for (size_t i = 0; i < 2 * gs->n; i++)
		json_decref(names[i]);
	free(names);
	free(lg);
	return buf_detach(&b);
}

static int tag_row(void *ud, const char *t)
{
	if (json_array_size(ud) < 500)
		json_array_append_new(ud, view_jstr(t, 200, NULL));
	return 0;
}

void view_parts_free(struct view_parts *p)
{
	free(p->html);
	json_decref(p->cands);
	json_decref(p->tags);
	memset(p, 0, sizeof *p);
}

int view_compute(struct store *st, const struct store_run *run,
		 struct view_parts *out, struct err *err)
{
	struct groups gs = { 0 };
	struct run_stats *s = NULL;
	json_t *stats = NULL;
	int rc;
	memset(out, 0, sizeof *out);
	out->cands = json_array();
	out->tags = json_array();
	if ((rc = store_groups_each(st, run->id, on_group, &gs, err)) ||
	    (rc = store_view_tags(st, run->id, tag_row, out->tags, err)))
		goto out;
	if (!(s = report_stats_compute(st, run->id, NULL, err))) {
		rc = err->code ? err->code : ST_DB;
		goto out;
	}
	for (size_t i = 0; i < gs.n; i++) {
		latencies(s->run, &gs.g[i]);
		json_array_append_new(out->cands, cand_row(s, &gs.g[i]));
		/* every result with an error_kind (store_run_get's count) */
		out->n_errors += gs.g[i].g.errors;
	}
	stats = rs_json(s);
	out->html = charts_doc(run, &gs, stats);
out:
	json_decref(stats);
	if (s)
		report_stats_free(s);
	groups_free(&gs);
	if (rc)
		view_parts_free(out);
	return rc;
}
