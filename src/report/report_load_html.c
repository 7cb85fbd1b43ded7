/* report_load_html.c — the HTML page of a load run (report_load_html.h).
 * Axes are linear: x from 0 to the highest offered rate, y from 0 to the
 * highest p99 (or the SLO limit, whichever is higher), so the SLO line and
 * the knee are where the eye expects them. */
#include "report_load_html.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_html.h"
#include "../util/xalloc.h"

#define W 640
#define H 320
#define ML 60   /* margins */
#define MR 20
#define MT 20
#define MB 40

static double num(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

static double lat(const json_t *step, const char *q)
{
	return num(json_object_get(step, "latency_ms"), q);
}

static const char *str(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

struct axes {
	double xmax, ymax;
};

static double px(const struct axes *a, double x)
{
	return ML + (W - ML - MR) * (x / a->xmax);
}

static double py(const struct axes *a, double y)
{
	return H - MB - (H - MT - MB) * (fmin(y, a->ymax) / a->ymax);
}

static void series(struct buf *b, const struct axes *a, const json_t *steps,
		   const char *q, const char *colour)
{
	size_t i;
	const json_t *s;
	buf_printf(b, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", colour);
	json_array_foreach(steps, i, s)
		if (!isnan(lat(s, q)))
			buf_printf(b, "%.1f,%.1f ", px(a, num(s, "offered_rps")), py(a, lat(s, q)));
	buf_puts(b, "\"/>\n");
	json_array_foreach(steps, i, s)
		if (!isnan(lat(s, q)))
			buf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\">"
				   "<title>%s %.1f ms at %.1f req/s</title></circle>\n",
				   px(a, num(s, "offered_rps")), py(a, lat(s, q)), colour, q,
				   lat(s, q), num(s, "offered_rps"));
}

static void vmark(struct buf *b, const struct axes *a, double x, const char *label,
		  const char *colour)
{
	if (isnan(x))
		return;
	buf_printf(b, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"%s\" "
		   "stroke-dasharray=\"2 3\"/><text x=\"%.1f\" y=\"%d\" fill=\"%s\" "
		   "font-size=\"11\">%s %.1f/s</text>\n", px(a, x), px(a, x), MT, H - MB,
		   colour, px(a, x) + 3, MT + 12, colour, label, x);
}

static void chart(struct buf *b, const json_t *cand)
{
	const json_t *steps = json_object_get(cand, "steps"), *s;
	const json_t *sum = json_object_get(cand, "summary");
	struct axes a = { 0, 0 };
	double slo = NAN;
	size_t i;
	json_array_foreach(steps, i, s) {
		a.xmax = fmax(a.xmax, num(s, "offered_rps"));
		if (!isnan(lat(s, "p99")))
			a.ymax = fmax(a.ymax, lat(s, "p99"));
		if (!isnan(num(s, "slo_limit_ms")))
			slo = num(s, "slo_limit_ms");
	}
	if (!isnan(slo))
		a.ymax = fmax(a.ymax, slo * 1.1);
	if (!(a.xmax > 0) || !(a.ymax > 0))
		return;
	a.xmax *= 1.05;
	a.ymax *= 1.05;
	buf_printf(b, "<svg viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\">\n",
		   W, H, W, H);
	buf_printf(b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>"
		   "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>\n",
		   ML, H - MB, W - MR, H - MB, ML, MT, ML, H - MB);
	for (int t = 0; t <= 4; t++) {
		double xv = a.xmax / 1.05 * t / 4, yv = a.ymax / 1.05 * t / 4;
		buf_printf(b, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">"
			   "%.0f</text>", px(&a, xv), H - MB + 14, xv);
		buf_printf(b, "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">"
			   "%.0f</text>\n", ML - 4, py(&a, yv) + 4, yv);
	}
	buf_printf(b, "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">offered "
		   "rate (requests/s)</text><text x=\"14\" y=\"%d\" font-size=\"12\" "
		   "transform=\"rotate(-90 14 %d)\" text-anchor=\"middle\">latency from the "
		   "intended send (ms)</text>\n", (W + ML) / 2, H - 6, H / 2, H / 2);
	if (!isnan(slo))
		buf_printf(b, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#c00\" "
			   "stroke-dasharray=\"6 4\"/><text x=\"%d\" y=\"%.1f\" fill=\"#c00\" "
			   "font-size=\"11\" text-anchor=\"end\">SLO %.0f ms</text>\n", ML, W - MR,
			   py(&a, slo), py(&a, slo), W - MR, py(&a, slo) - 4, slo);
	series(b, &a, steps, "p50", "#2a7");
	series(b, &a, steps, "p95", "#27c");
	series(b, &a, steps, "p99", "#a3c");
	vmark(b, &a, num(sum, "sustained_rps"), "sustained", "#555");
	vmark(b, &a, num(sum, "knee_rps"), "knee", "#b60");
	buf_puts(b, "</svg>\n<p class=\"legend\"><span style=\"color:#2a7\">&#9632; p50</span> "
		 "<span style=\"color:#27c\">&#9632; p95</span> <span style=\"color:#a3c\">"
		 "&#9632; p99</span></p>\n");
}

static void cell(struct buf *b, double v, int prec)
{
	if (isnan(v))
		buf_puts(b, "<td>-</td>");
	else
		buf_printf(b, "<td>%.*f</td>", prec, v);
}

static void table(struct buf *b, const json_t *cand)
{
	const json_t *steps = json_object_get(cand, "steps"), *s;
	size_t i;
	buf_puts(b, "<table><tr><th>offered/s</th><th>achieved/s</th><th>p50 ms</th>"
		 "<th>p95 ms</th><th>p99 ms</th><th>max ms</th><th>TTFT p95</th><th>errors %</th>"
		 "<th>429 %</th><th>late sends</th><th title=\"late sends whose lag the loop's "
		 "own work alone made more than --late-ms (the rest was the machine or the -j "
		 "cap)\">late by own work</th><th>in flight</th><th>SLO %</th><th>pass %</th>"
		 "<th>goodput/s</th><th>verdict</th></tr>\n");
	json_array_foreach(steps, i, s) {
		buf_puts(b, "<tr>");
		cell(b, num(s, "offered_rps"), 1);
		cell(b, num(s, "achieved_rps"), 1);
		cell(b, lat(s, "p50"), 1);
		cell(b, lat(s, "p95"), 1);
		cell(b, lat(s, "p99"), 1);
		cell(b, lat(s, "max"), 1);
		cell(b, num(json_object_get(s, "ttft_ms"), "p95"), 1);
		cell(b, 100 * num(s, "error_rate"), 1);
		cell(b, 100 * num(s, "rate_429"), 1);
		cell(b, num(s, "late_sends"), 0);
		cell(b, num(s, "late_by_own"), 0);
		cell(b, num(s, "inflight_mean"), 1);
		cell(b, 100 * num(s, "slo_attainment"), 1);
		cell(b, 100 * num(s, "pass_rate"), 1);
		cell(b, num(s, "goodput_rps"), 1);
		buf_puts(b, "<td>");
		report_html_escape(b, json_is_string(json_object_get(s, "verdict")) ?
				   str(s, "verdict") : "-");
		buf_puts(b, "</td></tr>\n");
	}
	buf_puts(b, "</table>\n");
}

void report_load_html_render(const json_t *rep, struct buf *b)
{
	const json_t *cands = json_object_get(rep, "candidates"), *c, *slo, *v;
	size_t i, j;
	buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		 "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
		 "style-src 'unsafe-inline'\">\n<title>assay load run ");
	buf_printf(b, "%.0f", num(rep, "run_id"));
	buf_puts(b, "</title>\n<style>body{font:14px sans-serif;margin:2em;color:#222}"
		 "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;"
		 "text-align:right}.legend span{margin-right:1em}</style></head><body>\n");
	buf_printf(b, "<h1>Load run %.0f</h1>\n<p>", num(rep, "run_id"));
	report_html_escape(b, str(rep, "suite"));
	buf_printf(b, " &middot; %s arrivals, %.3g s per step",
		   !strcmp(str(json_object_get(rep, "plan"), "arrivals"), "poisson") ?
		   "Poisson" : "constant", num(json_object_get(rep, "plan"), "duration_s"));
	slo = json_object_get(json_object_get(rep, "plan"), "slo");
	if (json_array_size(slo)) {
		buf_puts(b, " &middot; SLO ");
		json_array_foreach(slo, j, v) {
			if (j)
				buf_puts(b, ", ");
			report_html_escape(b, json_string_value(v) ? json_string_value(v) : "");
		}
	}
	buf_puts(b, " &middot; stopped: ");
	report_html_escape(b, str(rep, "stopped"));
	buf_puts(b, "</p>\n");
	json_array_foreach(cands, i, c) {
		const json_t *sum = json_object_get(c, "summary");
		buf_puts(b, "<h2>");
		report_html_escape(b, str(c, "label"));
		buf_puts(b, " <small>(");
		report_html_escape(b, str(c, "id"));
		buf_puts(b, ")</small></h2>\n<p>");
		if (!isnan(num(sum, "sustained_rps")))
			buf_printf(b, "Highest rate sustained: <b>%.1f req/s</b>. ",
				   num(sum, "sustained_rps"));
		if (!isnan(num(sum, "first_failing_rps")))
			buf_printf(b, "First failing step: %.1f req/s. ", num(sum, "first_failing_rps"));
		if (!isnan(num(sum, "knee_rps")))
			buf_printf(b, "Knee of the p95 curve: %.1f req/s. ", num(sum, "knee_rps"));
		buf_puts(b, "Stopped: ");
		report_html_escape(b, str(c, "stopped"));
		buf_puts(b, ".</p>\n");
		chart(b, c);
		table(b, c);
	}
	buf_puts(b, "<p>Latency is measured from each request's intended send time "
		 "(open loop; docs/load.md).</p>\n</body></html>\n");
}

int report_load_html_write(const json_t *rep, const char *path, struct err *err)
{
	struct buf b = { 0 };
	char *tmp = xasprintf("%s.tmp", path);
	FILE *f;
	int rc = 0;
	report_load_html_render(rep, &b);
	f = fopen(tmp, "wb");
	if (f) {
		bool ok = fwrite(b.p, 1, b.len, f) == b.len;
		if (fclose(f) != 0 || !ok)
			f = NULL;
	}
	if (!f) {
		remove(tmp);
		rc = err_set(err, ST_IO, "cannot write %s", path);
	} else if (rename(tmp, path) != 0) {
		remove(tmp);
		rc = err_set(err, ST_IO, "cannot write %s", path);
	}
	free(tmp);
	buf_free(&b);
	return rc;
}
