/* view_charts.c — the run page's charts: the same SVG the HTML report
 * draws (report_html_charts), in a small HTML document with no script
 * that the app shows in a same-origin frame.  Its policy allows only the
 * report's style sheet and data: images — nothing can run in it.
 *
 * The document is built from what the report needs of a `.json` export
 * (run, totals, stats, and per result only the latency fields), not the
 * whole export, and kept in a cache of VIEW_CHART_CACHE runs keyed by the
 * run's result count and status: computing the statistics of a
 * 20,000-result run takes a while, a page view then takes microseconds,
 * and a run still being written is drawn again once it has grown. */
#include "view_int.h"

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

static int lat_row(void *ud, const struct store_result *r)
{
	json_t *o = json_object();
	json_object_set_new(o, "provider_id", view_jstr(r->provider_id, 500, NULL));
	json_object_set_new(o, "provider_label", view_jstr(r->provider_label, 500, NULL));
	json_object_set_new(o, "latency_ms", view_jnum(r->latency_ms));
	json_object_set_new(o, "cached", json_boolean(r->cached));
	json_object_set_new(o, "error", r->error_kind ? json_pack("{s:o}", "kind",
					view_jstr(r->error_kind, 100, NULL)) : json_null());
	json_array_append_new(ud, o);
	return 0;
}

/* The charts document of run_id (owned), or NULL with err set. */
static char *draw(struct store *st, const struct store_run *run, struct err *err)
{
	struct summary sum = { 0 };
	json_t *doc = NULL, *stats = NULL, *results = json_array();
	struct buf b = { 0 };
	char *out = NULL;
	if (report_summary(st, run->id, &sum, err) ||
	    !(stats = report_stats_json(st, run->id, NULL, err)) ||
	    store_results_each(st, run->id, lat_row, results, err))
		goto done;
	doc = json_pack("{s:{s:I,s:o,s:o,s:o},s:{s:i,s:i,s:i,s:i},s:O,s:O,s:s}",
		"run", "id", (json_int_t)run->id,
		"description", view_jstr(run->description, 1000, NULL),
		"suite_path", view_jstr(run->suite_path, 1000, NULL),
		"created_at", view_jstr(run->created_at, 64, NULL),
		"totals", "n", (int)sum.total, "passes", (int)sum.passes,
		"fails", (int)sum.fails, "errors", (int)sum.errors,
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
	report_summary_free(&sum);
	buf_free(&b);
	return out;
}

void view_charts(struct view_server *s, int64_t run_id, struct view_reply *r)
{
	struct store_run run = { 0 };
	struct err e = { 0 };
	struct view_chart *hit = NULL;
	if (store_run_get(s->st, run_id, &run, &e)) {
		view_error(r, MHD_HTTP_NOT_FOUND, "no run %lld", (long long)run_id);
		return;
	}
	for (size_t i = 0; i < VIEW_CHART_CACHE; i++) {
		struct view_chart *c = &s->charts[i];
		if (c->html && c->run_id == run_id && c->n_results == run.n_results &&
		    !strcmp(c->status, run.status ? run.status : ""))
			hit = c;
	}
	if (!hit) {
		char *html = draw(s->st, &run, &e);
		if (!html) {
			store_run_free(&run);
			view_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "%s", e.msg);
			return;
		}
		hit = &s->charts[s->next_chart++ % VIEW_CHART_CACHE];
		free(hit->html);
		hit->html = html;
		hit->run_id = run_id;
		hit->n_results = run.n_results;
		snprintf(hit->status, sizeof hit->status, "%s", run.status ? run.status : "");
	}
	store_run_free(&run);
	r->status = MHD_HTTP_OK;
	r->type = "text/html; charset=utf-8";
	r->csp = charts_csp;
	buf_puts(&r->body, hit->html);
}
