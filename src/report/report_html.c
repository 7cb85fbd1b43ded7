/* report_html.c — the self-contained HTML report (see report_html.h).
 *
 * Layout: the decision and its constraints first, then the charts, then the
 * per-case table.  Charts are SVG written here (no chart library exists in
 * Debian for C, and fetching one would break "opens from disk"); each is a
 * small function that reads one part of the export and draws nothing when
 * that part is absent.  The per-case table is rendered by the page's script
 * from a JSON block (`<script type="application/json">`, never executed),
 * one page of cases at a time, so a 20,000-result report opens at once.
 *
 * Why the escaping is safe: text goes into HTML and SVG only through
 * report_html_escape (which also escapes quotes, for attributes); in the
 * JSON block every '<' is written \u003c, so no "</script>" can end it; the
 * script writes untrusted text with textContent and never builds markup
 * from it; and the CSP allows only the page's own script and style by hash,
 * so even a missed escape could not run code. */
#include "report_html.h"

#include "report.h"
#include "report_html_assets.h"
#include "../score/score.h"
#include "../util/hash.h"
#include "../util/xalloc.h"

#include <errno.h>
#include <unistd.h>

#include <math.h>
#include <nettle/base64.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ helpers */

void report_html_escape(struct buf *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	while (*p) {
		unsigned c = *p;
		size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3
			 : (c >> 3) == 30 ? 4 : 0;
		bool ok = n > 0;
		for (size_t i = 1; ok && i < n; i++)
			ok = (p[i] & 0xC0) == 0x80;
		if (!ok) {
			buf_puts(out, "\xEF\xBF\xBD");
			p++;
			continue;
		}
		if (n > 1) {
			buf_append(out, p, n);
			p += n;
			continue;
		}
		switch (c) {
		case '&': buf_puts(out, "&amp;"); break;
		case '<': buf_puts(out, "&lt;"); break;
		case '>': buf_puts(out, "&gt;"); break;
		case '"': buf_puts(out, "&quot;"); break;
		case '\'': buf_puts(out, "&#39;"); break;
		default:
			if (c < 0x20 && c != '\n' && c != '\t')
				buf_puts(out, "\xEF\xBF\xBD");
			else
				buf_putc(out, (char)c);
		}
		p++;
	}
}

static void esc(struct buf *b, const char *s)
{
	report_html_escape(b, s);
}

/* Number of a JSON value, NaN when absent or not a number. */
static double num(const json_t *o, const char *key)
{
	const json_t *v = o ? json_object_get(o, key) : NULL;
	return json_is_number(v) ? json_number_value(v) : NAN;
}

static const char *str(const json_t *o, const char *key)
{
	const json_t *v = o ? json_object_get(o, key) : NULL;
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static const json_t *path(const json_t *o, const char *a, const char *b)
{
	const json_t *v = o ? json_object_get(o, a) : NULL;
	return b && v ? json_object_get(v, b) : v;
}

/* Base64 of a SHA-256 digest, for the CSP hashes (Nettle's encoder). */
static void csp_hash(struct buf *b, const char *text)
{
	uint8_t d[32];
	char enc[BASE64_ENCODE_RAW_LENGTH(32) + 1];
	hash_sha256_raw(text, strlen(text), d);
	base64_encode_raw(enc, sizeof d, d);
	enc[BASE64_ENCODE_RAW_LENGTH(32)] = '\0';
	buf_printf(b, "'sha256-%s'", enc);
}

static void pct(struct buf *b, double v)
{
	if (isfinite(v))
		buf_printf(b, "%.1f%%", 100 * v);
	else
		buf_puts(b, "–");
}

/* Chart geometry shared by the horizontal interval charts. */
enum { W = 640, ROW = 26, LEFT = 170, RIGHT = 60, TOP = 28 };

static double xmap(double v, double lo, double hi)
{
	if (!(hi > lo))
		hi = lo + 1;
	return LEFT + (v - lo) / (hi - lo) * (W - LEFT - RIGHT);
}

static void svg_open(struct buf *b, const char *id, const char *title,
		     int height)
{
	buf_printf(b, "<figure class=\"chart\" id=\"%s\"><figcaption>", id);
	esc(b, title);
	buf_printf(b, "</figcaption><svg viewBox=\"0 0 %d %d\" width=\"%d\" "
		      "height=\"%d\" role=\"img\">", W, height, W, height);
}

static void svg_close(struct buf *b, const char *note)
{
	buf_puts(b, "</svg>");
	if (note) {
		buf_puts(b, "<p class=\"note\">");
		esc(b, note);
		buf_puts(b, "</p>");
	}
	buf_puts(b, "</figure>\n");
}

static void svg_text(struct buf *b, double x, double y, const char *anchor,
		     const char *cls, const char *text)
{
	buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" class=\"%s\">",
		   x, y, anchor, cls);
	esc(b, text);
	buf_puts(b, "</text>");
}

/* Vertical grid lines and labels for a 0..1 (percent) or lo..hi axis. */
static void axis(struct buf *b, double lo, double hi, int height, bool percent,
		 const char *unit)
{
	char t[48];
	for (int i = 0; i <= 4; i++) {
		double v = lo + (hi - lo) * i / 4;
		double x = xmap(v, lo, hi);
		buf_printf(b, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
			      "class=\"grid\"/>", x, TOP - 6, x, height - 18);
		if (percent)
			snprintf(t, sizeof t, "%.0f%%", 100 * v);
		else
			snprintf(t, sizeof t, "%.4g%s", v, unit ? unit : "");
		svg_text(b, x, height - 4, "middle", "tick", t);
	}
}

/* An interval row: label, whisker lo..hi, a dot at est. */
static void interval_row(struct buf *b, int row, const char *label, double est,
			 double lo, double hi, double alo, double ahi,
			 const char *cls, const char *right)
{
	double y = TOP + row * ROW + ROW / 2.0;
	svg_text(b, LEFT - 8, y + 4, "end", "label", label);
	if (isfinite(lo) && isfinite(hi))
		buf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
			      "class=\"ci %s\"/>", xmap(lo, alo, ahi), y,
			   xmap(hi, alo, ahi), y, cls);
	if (isfinite(est))
		buf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4.5\" class=\"pt %s\"/>",
			   xmap(est, alo, ahi), y, cls);
	if (right)
		svg_text(b, W - RIGHT + 6, y + 4, "start", "tick", right);
}

/* ------------------------------------------------------------ sections */

static void section_decision(struct buf *b, const json_t *stats)
{
	const json_t *d = path(stats, "decision", NULL);
	const json_t *rec = path(d, "recommended", NULL);
	const json_t *con = path(d, "constraints", NULL);
	const json_t *cands = path(d, "candidates", NULL);
	buf_puts(b, "<section id=\"decision\"><h2>Decision</h2>");
	if (!d) {
		buf_puts(b, "<p>No decision block in this suite (docs/statistics.md: "
			    "<code>decision:</code>).</p></section>\n");
		return;
	}
	if (str(rec, "label")) {
		buf_puts(b, "<p class=\"verdict\">Recommended: <strong>");
		esc(b, str(rec, "label"));
		buf_puts(b, "</strong> — pass rate ");
		pct(b, num(rec, "pass_rate"));
		buf_puts(b, " [");
		pct(b, num(rec, "pass_lo"));
		buf_puts(b, ", ");
		pct(b, num(rec, "pass_hi"));
		buf_puts(b, "]");
		if (isfinite(num(rec, "p95_ms")))
			buf_printf(b, ", p95 %.0f ms", num(rec, "p95_ms"));
		if (isfinite(num(rec, "cost_per_1k")))
			buf_printf(b, ", $%.4g per 1k queries", num(rec, "cost_per_1k"));
		buf_puts(b, json_is_true(json_object_get(d, "statistically_clear"))
				 ? ". The data support this choice.</p>"
				 : ". <em>Not yet statistically clear</em> (see the notes).</p>");
	} else {
		buf_puts(b, "<p class=\"verdict\">No candidate meets every constraint.</p>");
	}
	if (con) {
		const char *k;
		const json_t *v;
		buf_puts(b, "<p>Constraints:");
		json_object_foreach((json_t *)con, k, v) {
			if (json_is_null(v))
				continue;
			buf_puts(b, " <code>");
			esc(b, k);
			buf_printf(b, " = %.6g</code>", json_number_value(v));
		}
		buf_puts(b, "</p>");
	}
	if (json_is_array(cands) && json_array_size(cands)) {
		size_t i;
		const json_t *c;
		buf_puts(b, "<table class=\"small\"><thead><tr><th>candidate</th>"
			    "<th>pass rate</th><th>p95</th><th>cost</th><th>error rate</th>"
			    "<th>meets</th></tr></thead><tbody>");
		json_array_foreach(cands, i, c) {
			static const char *const keys[] = { "pass_rate", "p95", "cost",
							    "error_rate" };
			buf_puts(b, "<tr><td>");
			esc(b, str(c, "label"));
			buf_puts(b, "</td>");
			for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
				const char *s = str(c, keys[k]);
				buf_puts(b, "<td class=\"m-");
				esc(b, s ? s : "na");
				buf_puts(b, "\">");
				esc(b, s ? s : "–");
				buf_puts(b, "</td>");
			}
			buf_puts(b, "<td>");
			buf_puts(b, json_is_true(json_object_get(c, "meets"))
					 ? (json_is_true(json_object_get(c, "clearly"))
						    ? "yes, clearly" : "yes")
					 : "no");
			buf_puts(b, "</td></tr>");
		}
		buf_puts(b, "</tbody></table>");
	}
	const json_t *notes = path(d, "notes", NULL);
	if (json_is_array(notes) && json_array_size(notes)) {
		size_t i;
		const json_t *n;
		buf_puts(b, "<ul class=\"notes\">");
		json_array_foreach(notes, i, n) {
			buf_puts(b, "<li>");
			esc(b, json_string_value(n));
			buf_puts(b, "</li>");
		}
		buf_puts(b, "</ul>");
	}
	buf_puts(b, "</section>\n");
}

static void chart_pass(struct buf *b, const json_t *stats)
{
	const json_t *cands = path(stats, "candidates", NULL);
	size_t n = json_array_size(cands), i;
	const json_t *c;
	if (!n)
		return;
	int h = TOP + (int)n * ROW + 24;
	svg_open(b, "chart-pass", "Pass rate per candidate (95% interval; letters: statistically tied groups)", h);
	axis(b, 0, 1, h, true, NULL);
	json_array_foreach(cands, i, c) {
		const json_t *pr = json_object_get(c, "pass_rate");
		const char *g = str(c, "group");
		char right[64];
		snprintf(right, sizeof right, "%s", g ? g : "");
		interval_row(b, (int)i, str(c, "label"), num(pr, "est"),
			     num(pr, "lo"), num(pr, "hi"), 0, 1, "c0", right);
	}
	const char *method = str(path(json_array_get(cands, 0), "pass_rate", NULL), "method");
	svg_close(b, method ? method : NULL);
}

/* Human grades (report_stats_human.c): mean rating 1–5 and "would ship"
 * per candidate with their intervals, and the Bradley–Terry scores. */
static void chart_human(struct buf *b, const json_t *stats)
{
	const json_t *h = json_object_get(stats, "human");
	const json_t *cands = json_object_get(h, "candidates"), *c;
	const json_t *bt = path(h, "pairwise", "bradley_terry");
	size_t n = json_array_size(cands), i;
	if (n) {
		int ht = TOP + (int)n * ROW + 24;
		svg_open(b, "chart-human", "Human ratings: mean 1-5 per candidate (95% interval, clustered by case)", ht);
		axis(b, 1, 5, ht, false, NULL);
		json_array_foreach(cands, i, c) {
			const json_t *r = json_object_get(c, "rating");
			interval_row(b, (int)i, str(c, "candidate"), num(r, "est"),
				     num(r, "lo"), num(r, "hi"), 1, 5, "c0", NULL);
		}
		svg_close(b, "CR1 standard error by case, t(G-1)");
		svg_open(b, "chart-ship", "Would ship: share of yes per candidate (95% interval)", ht);
		axis(b, 0, 1, ht, true, NULL);
		json_array_foreach(cands, i, c) {
			const json_t *r = json_object_get(c, "ship");
			interval_row(b, (int)i, str(c, "candidate"), num(r, "est"),
				     num(r, "lo"), num(r, "hi"), 0, 1, "c1", NULL);
		}
		svg_close(b, "Wilson at the effective n (design effect by case)");
	}
	if ((n = json_array_size(bt))) {
		double lo = 1e9, hi = -1e9;
		json_array_foreach(bt, i, c) {
			double l = num(c, "lo"), u = num(c, "hi"), e = num(c, "est");
			lo = fmin(lo, isfinite(l) ? l : e);
			hi = fmax(hi, isfinite(u) ? u : e);
		}
		if (!(hi > lo)) {
			lo -= 100;
			hi += 100;
		}
		int ht = TOP + (int)n * ROW + 24;
		svg_open(b, "chart-bt", "Blind pairwise: Bradley-Terry score (1000 + 400 log10 strength, bootstrap 95% interval)", ht);
		axis(b, lo, hi, ht, false, NULL);
		json_array_foreach(bt, i, c)
			interval_row(b, (int)i, str(c, "candidate"), num(c, "est"),
				     num(c, "lo"), num(c, "hi"), lo, hi, "c0", NULL);
		svg_close(b, "maximum-likelihood fit; ties count half a win each");
	}
}

static void chart_pairs(struct buf *b, const json_t *stats)
{
	const json_t *pairs = path(stats, "comparisons", "pairs");
	size_t n = json_array_size(pairs), i, shown = 0;
	const json_t *p;
	double m = 0.05;
	if (!n)
		return;
	json_array_foreach(pairs, i, p) {
		const json_t *d = json_object_get(p, "diff");
		if (isfinite(num(d, "lo")) && fabs(num(d, "lo")) > m)
			m = fabs(num(d, "lo"));
		if (isfinite(num(d, "hi")) && fabs(num(d, "hi")) > m)
			m = fabs(num(d, "hi"));
	}
	m = fmin(1, m * 1.1);
	int h = TOP + (int)n * ROW + 24;
	svg_open(b, "chart-pairs", "Paired differences in pass rate (A − B, 95% interval; filled: significant after Holm)", h);
	axis(b, -m, m, h, true, NULL);
	buf_printf(b, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" class=\"zero\"/>",
		   xmap(0, -m, m), TOP - 6, xmap(0, -m, m), h - 18);
	json_array_foreach(pairs, i, p) {
		const json_t *d = json_object_get(p, "diff");
		struct buf lab = { 0 };
		char right[48];
		buf_printf(&lab, "%s − %s", str(p, "a") ? str(p, "a") : "?",
			   str(p, "b") ? str(p, "b") : "?");
		if (isfinite(num(p, "p_holm")))
			snprintf(right, sizeof right, "p %.3g", num(p, "p_holm"));
		else
			snprintf(right, sizeof right, "no shared cases");
		interval_row(b, (int)i, buf_str(&lab), num(d, "est"), num(d, "lo"),
			     num(d, "hi"), -m, m,
			     json_is_true(json_object_get(p, "significant")) ? "sig" : "ns",
			     right);
		buf_free(&lab);
		shown++;
	}
	svg_close(b, NULL);
	(void)shown;
}

/* Latency per candidate: every successful request as a dot (a bounded,
 * evenly spaced subset when there are many), p50 and p95 marked. */
struct lat_col {
	const char *label;
	double *v;
	size_t n, cap;
};

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The column of a result of provider pid / label pl: the first candidate
 * whose provider is pid or whose label is pl, or -1. */
static long lat_col_of(const json_t *cands, const struct lat_col *cols, size_t nc,
		       const char *pid, const char *pl)
{
	for (size_t k = 0; k < nc; k++) {
		const char *cl = str(json_array_get(cands, k), "provider");
		if ((pid && cl && !strcmp(pid, cl)) ||
		    (pl && cols[k].label && !strcmp(pl, cols[k].label)))
			return (long)k;
	}
	return -1;
}

/* Appends latency l to column k (false when out of memory). */
static bool lat_add(struct lat_col *c, double l, double *hi)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 64;
		double *nv = realloc(c->v, cap * sizeof *nv);
		if (!nv)
			return false;
		c->v = nv;
		c->cap = cap;
	}
	c->v[c->n++] = l;
	if (l > *hi)
		*hi = l;
	return true;
}

/* The latency chart from doc's `results` or, when groups is not NULL,
 * from groups[0..ng) (report_html_charts_lat). */
static void chart_latency(struct buf *b, const json_t *doc, const json_t *stats,
			  const struct report_lat_group *groups, size_t ng)
{
	const json_t *results = json_object_get(doc, "results");
	const json_t *cands = path(stats, "candidates", NULL);
	size_t nc = json_array_size(cands), i;
	const json_t *r, *c;
	double hi = 0;
	if (!nc)
		return;
	struct lat_col *cols = calloc(nc, sizeof *cols);
	if (!cols)
		return;
	json_array_foreach(cands, i, c)
		cols[i].label = str(c, "label");
	for (size_t g = 0; groups && g < ng; g++) {
		long k = lat_col_of(cands, cols, nc, groups[g].provider_id,
				    groups[g].provider_label);
		for (size_t j = 0; k >= 0 && j < groups[g].n; j++)
			if (isfinite(groups[g].v[j]) &&
			    !lat_add(&cols[k], groups[g].v[j], &hi))
				break;
	}
	if (!groups)
		json_array_foreach(results, i, r) {
			double l = num(r, "latency_ms");
			long k;
			if (!isfinite(l) || !json_is_null(json_object_get(r, "error")) ||
			    json_is_true(json_object_get(r, "cached")))
				continue;
			k = lat_col_of(cands, cols, nc, str(r, "provider_id"),
				       str(r, "provider_label"));
			if (k >= 0)
				(void)lat_add(&cols[k], l, &hi);
		}
	if (hi > 0) {
		int h = TOP + (int)nc * ROW + 24;
		svg_open(b, "chart-latency", "Latency of successful requests (ms; | p50, ‖ p95; ◆ time to first token p50)", h);
		axis(b, 0, hi * 1.05, h, false, "");
		for (size_t k = 0; k < nc; k++) {
			const json_t *lat = path(json_array_get(cands, k), "latency", NULL);
			double y = TOP + (double)k * ROW + ROW / 2.0;
			svg_text(b, LEFT - 8, y + 4, "end", "label", cols[k].label);
			qsort(cols[k].v, cols[k].n, sizeof *cols[k].v, cmp_d);
			size_t step = cols[k].n > 300 ? cols[k].n / 300 : 1;
			for (size_t j = 0; j < cols[k].n; j += step) {
				/* A fixed vertical spread by rank: deterministic. */
				double dy = ((double)(j * 7919 % 11) - 5) * 1.4;
				buf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"1.8\" class=\"dot\"/>",
					   xmap(cols[k].v[j], 0, hi * 1.05), y + dy);
			}
			double p50 = num(lat, "p50"), p95 = num(lat, "p95");
			if (isfinite(p50))
				buf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"p50\"/>",
					   xmap(p50, 0, hi * 1.05), y - 10, xmap(p50, 0, hi * 1.05), y + 10);
			if (isfinite(p95)) {
				char t[32];
				buf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"p95\"/>",
					   xmap(p95, 0, hi * 1.05), y - 10, xmap(p95, 0, hi * 1.05), y + 10);
				snprintf(t, sizeof t, "p95 %.0f", p95);
				svg_text(b, W - RIGHT + 6, y + 4, "start", "tick", t);
			}
			double tt = num(path(lat, "ttft", NULL), "p50");
			if (isfinite(tt))
				buf_printf(b, "<path d=\"M%.1f %.1fl4 4l-4 4l-4 -4z\" class=\"ttft\"/>",
					   xmap(tt, 0, hi * 1.05), y - 4);
		}
		svg_close(b, NULL);
	}
	for (size_t k = 0; k < nc; k++)
		free(cols[k].v);
	free(cols);
}

/* Quality against cost per 1k queries or against p95, the Pareto
 * candidates filled and joined by the frontier line. */
static void chart_scatter(struct buf *b, const json_t *stats, bool by_cost)
{
	const json_t *cands = path(stats, "candidates", NULL);
	const json_t *pareto = path(stats, "decision", "pareto");
	size_t nc = json_array_size(cands), i;
	const json_t *c;
	double xmax = 0;
	int have = 0;
	json_array_foreach(cands, i, c) {
		double x = by_cost ? num(path(c, "cost", NULL), "per_1k")
				   : num(path(c, "latency", NULL), "p95");
		if (isfinite(x) && isfinite(num(path(c, "pass_rate", NULL), "est"))) {
			have++;
			if (x > xmax)
				xmax = x;
		}
	}
	if (have < 1)
		return;
	if (!(xmax > 0))
		xmax = 1;
	xmax *= 1.1;
	const int h = 300, x0 = 60, x1 = W - 30, y0 = 20, y1 = h - 40;
	svg_open(b, by_cost ? "chart-cost" : "chart-p95",
		 by_cost ? "Quality vs cost per 1k queries (filled: Pareto-optimal)"
			 : "Quality vs p95 latency (filled: Pareto-optimal)", h);
	for (int t = 0; t <= 4; t++) {
		char s[32];
		double yv = y1 - (y1 - y0) * t / 4.0, xv = x0 + (x1 - x0) * t / 4.0;
		buf_printf(b, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" class=\"grid\"/>",
			   x0, yv, x1, yv);
		snprintf(s, sizeof s, "%d%%", 25 * t);
		svg_text(b, x0 - 6, yv + 4, "end", "tick", s);
		snprintf(s, sizeof s, by_cost ? "$%.3g" : "%.3g ms", xmax * t / 4);
		svg_text(b, xv, h - 20, "middle", "tick", s);
	}
	struct pt { double x, y; } *front = calloc(nc ? nc : 1, sizeof *front);
	size_t nf = 0;
	json_array_foreach(cands, i, c) {
		const json_t *pr = json_object_get(c, "pass_rate");
		double x = by_cost ? num(path(c, "cost", NULL), "per_1k")
				   : num(path(c, "latency", NULL), "p95");
		double y = num(pr, "est");
		bool on = false;
		size_t k;
		const json_t *pn;
		if (!isfinite(x) || !isfinite(y))
			continue;
		json_array_foreach(pareto, k, pn)
			if (json_is_string(pn) && str(c, "label") &&
			    !strcmp(json_string_value(pn), str(c, "label")))
				on = true;
		double px = x0 + x / xmax * (x1 - x0), py = y1 - y * (y1 - y0);
		if (isfinite(num(pr, "lo")) && isfinite(num(pr, "hi")))
			buf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"ci c0\"/>",
				   px, y1 - num(pr, "lo") * (y1 - y0), px,
				   y1 - num(pr, "hi") * (y1 - y0));
		buf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" class=\"%s\"/>",
			   px, py, on ? "pt c0" : "pt hollow");
		svg_text(b, px + 8, py - 6, "start", "label", str(c, "label"));
		if (on && front) {
			front[nf].x = px;
			front[nf].y = py;
			nf++;
		}
	}
	/* The frontier: Pareto points in order of x. */
	for (size_t a = 1; a < nf; a++)
		for (size_t z = a; z > 0 && front[z - 1].x > front[z].x; z--) {
			struct pt t = front[z];
			front[z] = front[z - 1];
			front[z - 1] = t;
		}
	if (nf > 1) {
		buf_puts(b, "<polyline class=\"frontier\" points=\"");
		for (size_t a = 0; a < nf; a++)
			buf_printf(b, "%.1f,%.1f ", front[a].x, front[a].y);
		buf_puts(b, "\"/>");
	}
	free(front);
	svg_close(b, NULL);
}

static void chart_reliability(struct buf *b, const json_t *stats)
{
	const json_t *cands = path(stats, "candidates", NULL);
	size_t i;
	const json_t *c;
	int have = 0;
	json_array_foreach(cands, i, c)
		if (json_array_size(path(c, "calibration", "reliability")))
			have++;
	if (!have)
		return;
	const int h = 320, x0 = 60, x1 = 360, y0 = 20, y1 = 280;
	svg_open(b, "chart-reliability", "Reliability diagram (stated confidence → accuracy; the diagonal is perfect calibration)", h);
	for (int t = 0; t <= 4; t++) {
		char s[16];
		double yv = y1 - (y1 - y0) * t / 4.0, xv = x0 + (x1 - x0) * t / 4.0;
		buf_printf(b, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" class=\"grid\"/>", x0, yv, x1, yv);
		snprintf(s, sizeof s, "%.2g", t / 4.0);
		svg_text(b, x0 - 6, yv + 4, "end", "tick", s);
		svg_text(b, xv, h - 22, "middle", "tick", s);
	}
	buf_printf(b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"zero\"/>", x0, y1, x1, y0);
	int k = 0;
	json_array_foreach(cands, i, c) {
		const json_t *bins = path(c, "calibration", "reliability");
		size_t j;
		const json_t *bin;
		if (!json_array_size(bins))
			continue;
		buf_printf(b, "<polyline class=\"series s%d\" points=\"", k % 6);
		json_array_foreach(bins, j, bin) {
			double cf = num(bin, "conf"), ac = num(bin, "acc");
			if (isfinite(cf) && isfinite(ac) && num(bin, "count") > 0)
				buf_printf(b, "%.1f,%.1f ", x0 + cf * (x1 - x0), y1 - ac * (y1 - y0));
		}
		buf_puts(b, "\"/>");
		buf_printf(b, "<rect x=\"390\" y=\"%d\" width=\"10\" height=\"10\" class=\"sw s%d\"/>",
			   y0 + k * 18, k % 6);
		svg_text(b, 406, y0 + k * 18 + 9, "start", "label", str(c, "label"));
		k++;
	}
	svg_close(b, NULL);
}

/* Failure rate by tag × candidate as a heat map. */
static void chart_heat(struct buf *b, const json_t *stats)
{
	const json_t *cands = path(stats, "candidates", NULL);
	size_t nc = json_array_size(cands), i, j;
	const json_t *c, *t;
	const char **tags = NULL;
	size_t nt = 0;
	json_array_foreach(cands, i, c) {
		json_array_foreach(path(c, "failure_modes", "by_tag"), j, t) {
			const char *name = str(t, "tag");
			bool seen = false;
			if (!name)
				continue;
			for (size_t k = 0; k < nt; k++)
				seen |= !strcmp(tags[k], name);
			if (seen || nt >= 40)
				continue;
			const char **nt2 = realloc(tags, (nt + 1) * sizeof *tags);
			if (!nt2)
				break;
			tags = nt2;
			tags[nt++] = name;
		}
	}
	if (nt && nc) {
		const int cw = 90, rh = 22, lx = 170, top = 40;
		int h = top + (int)nt * rh + 10;
		int w = lx + (int)nc * cw + 10;
		buf_printf(b, "<figure class=\"chart\" id=\"chart-heat\"><figcaption>Failure rate by tag "
			      "(darker: more failures; n in brackets)</figcaption><svg viewBox=\"0 0 %d %d\" "
			      "width=\"%d\" height=\"%d\" role=\"img\">", w, h, w, h);
		json_array_foreach(cands, i, c)
			svg_text(b, lx + (double)i * cw + cw / 2.0, top - 10, "middle", "label", str(c, "label"));
		for (size_t k = 0; k < nt; k++) {
			double y = top + (double)k * rh;
			svg_text(b, lx - 8, y + 15, "end", "label", tags[k]);
			json_array_foreach(cands, i, c) {
				const json_t *hit = NULL;
				json_array_foreach(path(c, "failure_modes", "by_tag"), j, t)
					if (str(t, "tag") && !strcmp(str(t, "tag"), tags[k]))
						hit = t;
				double fr = num(hit, "fail_rate");
				char s[48];
				if (!hit || !isfinite(fr)) {
					buf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%d\" height=\"%d\" class=\"cell na\"/>",
						   lx + (double)i * cw, y, cw - 2, rh - 2);
					continue;
				}
				buf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%d\" height=\"%d\" class=\"cell\" "
					      "fill-opacity=\"%.3f\"/>", lx + (double)i * cw, y, cw - 2, rh - 2,
					   0.08 + 0.92 * fr);
				snprintf(s, sizeof s, "%.0f%% (%.0f)", 100 * fr, num(hit, "n"));
				svg_text(b, lx + (double)i * cw + cw / 2.0, y + 15, "middle",
					 fr > 0.5 ? "tick inv" : "tick", s);
			}
		}
		buf_puts(b, "</svg></figure>\n");
	}
	free(tags);
}

/* Paired differences in attack success per probe pack (A − B). */
static void chart_asr(struct buf *b, const json_t *stats)
{
	const json_t *pairs = path(stats, "comparisons", "attack_success");
	size_t n = json_array_size(pairs), i;
	const json_t *p;
	double m = 0.05;
	if (!n)
		return;
	json_array_foreach(pairs, i, p) {
		const json_t *d = json_object_get(p, "diff");
		if (isfinite(num(d, "lo")) && fabs(num(d, "lo")) > m)
			m = fabs(num(d, "lo"));
		if (isfinite(num(d, "hi")) && fabs(num(d, "hi")) > m)
			m = fabs(num(d, "hi"));
	}
	m = fmin(1, m * 1.1);
	int h = TOP + (int)n * ROW + 24;
	svg_open(b, "chart-asr", "Paired differences in attack success rate per probe pack (A − B, 95% interval; filled: significant after Holm)", h);
	axis(b, -m, m, h, true, NULL);
	buf_printf(b, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" class=\"zero\"/>",
		   xmap(0, -m, m), TOP - 6, xmap(0, -m, m), h - 18);
	json_array_foreach(pairs, i, p) {
		const json_t *d = json_object_get(p, "diff");
		struct buf lab = { 0 };
		char right[48];
		buf_printf(&lab, "%s: %s − %s", str(p, "pack") ? str(p, "pack") : "?",
			   str(p, "a") ? str(p, "a") : "?", str(p, "b") ? str(p, "b") : "?");
		if (!json_integer_value(json_object_get(p, "n")))
			snprintf(right, sizeof right, "no shared graded cases");
		else if (isfinite(num(p, "p_holm")))
			snprintf(right, sizeof right, "p %.3g", num(p, "p_holm"));
		else
			snprintf(right, sizeof right, "no test");
		interval_row(b, (int)i, buf_str(&lab), num(d, "est"), num(d, "lo"),
			     num(d, "hi"), -m, m,
			     json_is_true(json_object_get(p, "significant")) ? "sig" : "ns",
			     right);
		buf_free(&lab);
	}
	svg_close(b, "Newcombe paired interval and McNemar exact test (repeats: sign-flip; clusters: CR1 t by cluster)");
}

static void chart_consistency(struct buf *b, const json_t *stats)
{
	const json_t *cands = path(stats, "candidates", NULL);
	size_t nc = json_array_size(cands), i;
	const json_t *c;
	int have = 0;
	json_array_foreach(cands, i, c)
		if (path(c, "robustness", "consistency"))
			have++;
	if (!have)
		return;
	int h = TOP + (int)nc * ROW + 24;
	svg_open(b, "chart-consistency", "Consistency across prompt variants (share of variant groups with one verdict, 95% interval)", h);
	axis(b, 0, 1, h, true, NULL);
	json_array_foreach(cands, i, c) {
		const json_t *k = path(c, "robustness", "consistency");
		char right[32];
		snprintf(right, sizeof right, "n=%.0f", num(k, "n"));
		interval_row(b, (int)i, str(c, "label"), num(k, "est"), num(k, "lo"),
			     num(k, "hi"), 0, 1, "c1", k ? right : NULL);
	}
	svg_close(b, NULL);
}

/* ------------------------------------------------------------ case data */

/* The JSON block the script reads: candidates (columns) and cases (rows,
 * one per case and repeat) with one cell per candidate. */
static json_t *case_data(const json_t *doc)
{
	const json_t *results = json_object_get(doc, "results");
	json_t *cols = json_array(), *rows = json_array(), *keys = json_object();
	json_t *rowkeys = json_object();
	size_t i;
	const json_t *r;
	bool many_prompts = false;
	json_array_foreach(results, i, r)
		if (json_integer_value(json_object_get(r, "prompt_idx")) > 0)
			many_prompts = true;
	json_array_foreach(results, i, r) {
		char ck[64], rk[64];
		long long pv = json_integer_value(json_object_get(r, "provider_idx"));
		long long pp = json_integer_value(json_object_get(r, "prompt_idx"));
		long long cs = json_integer_value(json_object_get(r, "case_idx"));
		long long rp = json_integer_value(json_object_get(r, "repeat"));
		snprintf(ck, sizeof ck, "%lld:%lld", pv, pp);
		snprintf(rk, sizeof rk, "%lld:%lld", cs, rp);
		json_t *col = json_object_get(keys, ck);
		if (!col) {
			struct buf lab = { 0 };
			const char *pl = str(r, "provider_label");
			buf_puts(&lab, pl ? pl : str(r, "provider_id") ? str(r, "provider_id") : "?");
			if (many_prompts && str(r, "prompt_label"))
				buf_printf(&lab, " / %s", str(r, "prompt_label"));
			col = json_integer((json_int_t)json_array_size(cols));
			json_array_append_new(cols, json_string(buf_str(&lab)));
			json_object_set_new(keys, ck, col);
			buf_free(&lab);
		}
		json_t *row = json_object_get(rowkeys, rk);
		json_t *cells;
		if (!row) {
			row = json_object();
			json_object_set_new(row, "i", json_integer(cs));
			if (rp)
				json_object_set_new(row, "rep", json_integer(rp));
			json_object_set(row, "d", json_object_get(r, "description")
							  ? json_object_get(r, "description") : json_null());
			json_object_set(row, "v", json_object_get(r, "vars"));
			const json_t *tags = path(r, "metadata", "tags");
			if (json_is_array(tags))
				json_object_set(row, "t", (json_t *)tags);
			json_object_set_new(row, "c", json_object());
			json_array_append_new(rows, row);
			json_object_set_new(rowkeys, rk, json_integer((json_int_t)json_array_size(rows) - 1));
		} else {
			row = json_array_get(rows, (size_t)json_integer_value(row));
		}
		cells = json_object_get(row, "c");
		json_t *cell = json_object();
		const json_t *e = json_object_get(r, "error");
		json_object_set(cell, "o", json_object_get(r, "output") ? json_object_get(r, "output") : json_null());
		json_object_set(cell, "p", json_object_get(r, "pass") ? json_object_get(r, "pass") : json_null());
		json_object_set(cell, "s", json_object_get(r, "score") ? json_object_get(r, "score") : json_null());
		if (json_is_object(e)) {
			struct buf em = { 0 };
			buf_printf(&em, "%s: %s", str(e, "kind") ? str(e, "kind") : "error",
				   str(e, "message") ? str(e, "message") : "");
			json_object_set_new(cell, "e", json_string(buf_str(&em)));
			buf_free(&em);
		}
		if (isfinite(num(r, "latency_ms")))
			json_object_set_new(cell, "l", json_real(round(num(r, "latency_ms"))));
		if (isfinite(num(r, "cost_usd")))
			json_object_set_new(cell, "$", json_real(num(r, "cost_usd")));
		json_t *as = json_array();
		int judge_v = -1, rule_v = -1;
		size_t j;
		const json_t *a;
		json_array_foreach(json_object_get(r, "assertions"), j, a) {
			json_t *t = json_array();
			const json_t *ap = json_object_get(a, "pass");
			json_array_append(t, json_object_get(a, "type") ? json_object_get(a, "type") : json_null());
			json_array_append(t, ap ? (json_t *)ap : json_null());
			json_array_append(t, json_object_get(a, "reason") ? json_object_get(a, "reason") : json_null());
			json_array_append_new(as, t);
			if (json_is_boolean(ap)) {
				int v = json_is_true(ap);
				if (score_type_judged(str(a, "type")))
					judge_v = judge_v < 0 ? v : (judge_v && v);
				else if (json_number_value(json_object_get(a, "weight")) != 0 ||
					 !json_object_get(a, "weight"))
					rule_v = rule_v < 0 ? v : (rule_v && v);
			}
		}
		json_object_set_new(cell, "a", as);
		if (judge_v >= 0 && rule_v >= 0 && judge_v != rule_v)
			json_object_set_new(cell, "jr", json_true());
		json_object_set_new(cells, ck, cell);
	}
	json_t *out = json_object();
	json_t *colkeys = json_array();
	const char *k;
	json_t *v;
	for (size_t n = 0; n < json_array_size(cols); n++)
		json_array_append_new(colkeys, json_null());
	json_object_foreach(keys, k, v)
		json_array_set_new(colkeys, (size_t)json_integer_value(v), json_string(k));
	json_object_set_new(out, "cols", cols);
	json_object_set_new(out, "keys", colkeys);
	json_object_set_new(out, "rows", rows);
	json_decref(keys);
	json_decref(rowkeys);
	return out;
}

/* ------------------------------------------------------------ page */

static void section_header(struct buf *b, const json_t *doc)
{
	const json_t *run = json_object_get(doc, "run");
	const json_t *tot = json_object_get(doc, "totals");
	buf_puts(b, "<header><h1>");
	esc(b, str(run, "description") ? str(run, "description") : "assay run");
	buf_puts(b, "</h1><p class=\"meta\">");
	if (json_is_integer(json_object_get(run, "id")))
		buf_printf(b, "run %lld · ", (long long)json_integer_value(json_object_get(run, "id")));
	esc(b, str(run, "suite_path"));
	buf_puts(b, " · ");
	esc(b, str(run, "created_at"));
	if (tot)
		buf_printf(b, " · %lld results: %lld passed, %lld failed, %lld errors",
			   (long long)json_integer_value(json_object_get(tot, "n")),
			   (long long)json_integer_value(json_object_get(tot, "passes")),
			   (long long)json_integer_value(json_object_get(tot, "fails")),
			   (long long)json_integer_value(json_object_get(tot, "errors")));
	buf_puts(b, " · assay ");
	esc(b, str(doc, "assay_version"));
	buf_puts(b, "</p></header>\n");
}

static void charts(const json_t *doc, const struct report_lat_group *groups,
		   size_t ng, struct buf *b)
{
	const json_t *stats = json_object_get(doc, "stats");
	section_header(b, doc);
	section_decision(b, stats);
	buf_puts(b, "<section id=\"charts\"><h2>Charts</h2>\n");
	chart_pass(b, stats);
	chart_pairs(b, stats);
	chart_latency(b, doc, stats, groups, ng);
	chart_scatter(b, stats, true);
	chart_scatter(b, stats, false);
	chart_reliability(b, stats);
	chart_heat(b, stats);
	chart_asr(b, stats);
	chart_consistency(b, stats);
	chart_human(b, stats);
	buf_puts(b, "</section>\n");
}

void report_html_charts(const json_t *doc, struct buf *b)
{
	charts(doc, NULL, 0, b);
}

void report_html_charts_lat(const json_t *doc, const struct report_lat_group *groups,
			    size_t n, struct buf *b)
{
	static const struct report_lat_group none;
	charts(doc, groups ? groups : &none, groups ? n : 0, b);
}

int report_html_render(const json_t *doc, struct buf *b, struct err *err)
{
	if (!json_is_object(doc) || !json_is_array(json_object_get(doc, "results")))
		return err_set(err, ST_USAGE, "not a run export: no results array");
	json_t *data = case_data(doc);
	char *dj = json_dumps(data, JSON_COMPACT | JSON_ESCAPE_SLASH | JSON_REAL_PRECISION(8));
	json_decref(data);
	buf_puts(b, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
		    "img-src data:; script-src ");
	csp_hash(b, report_html_js);
	buf_puts(b, "; style-src ");
	csp_hash(b, report_html_css);
	buf_puts(b, "\">\n<meta name=\"viewport\" content=\"width=device-width\">\n<title>");
	esc(b, str(json_object_get(doc, "run"), "description")
		       ? str(json_object_get(doc, "run"), "description") : "assay report");
	buf_puts(b, " — assay report</title>\n<style>");
	buf_puts(b, report_html_css);
	buf_puts(b, "</style></head><body>\n");
	report_html_charts(doc, b);
	buf_puts(b, "<section id=\"cases\"><h2>Cases</h2>\n"
		    "<div id=\"filters\">"
		    "<label><input type=\"checkbox\" id=\"f-failing\"> failing only</label> "
		    "<label><input type=\"checkbox\" id=\"f-dis\"> candidates disagree</label> "
		    "<label><input type=\"checkbox\" id=\"f-jr\"> judge and rules disagree</label> "
		    "<label>tag <select id=\"f-tag\"><option value=\"\">any</option></select></label> "
		    "<label>candidate <select id=\"f-cand\"><option value=\"\">all</option></select></label> "
		    "<input type=\"search\" id=\"f-q\" placeholder=\"search inputs and outputs\"> "
		    "<span id=\"f-count\"></span></div>\n"
		    "<table id=\"case-table\"><thead></thead><tbody></tbody></table>\n"
		    "<div id=\"pager\"><button id=\"prev\" type=\"button\">◀ previous</button> "
		    "<span id=\"page\"></span> <button id=\"next\" type=\"button\">next ▶</button></div>\n"
		    "</section>\n<script type=\"application/json\" id=\"assay-data\">");
	/* '<' can only occur inside JSON strings, where \u003c means the same:
	 * no "</script" or "<!--" can then appear in the block at all. */
	for (const char *p = dj ? dj : "{}"; *p; p++) {
		if (*p == '<')
			buf_puts(b, "\\u003c");
		else
			buf_putc(b, *p);
	}
	free(dj);
	buf_puts(b, "</script>\n<script>");
	buf_puts(b, report_html_js);
	buf_puts(b, "</script>\n</body></html>\n");
	return 0;
}

int report_html_write(struct store *st, int64_t run_id, const char *path,
		      struct err *err)
{
	char *exp = xasprintf("%s.export.json", path);
	char *tmp = xasprintf("%s.tmp", path);
	struct buf b = { 0 };
	json_error_t jerr;
	json_t *doc = NULL;
	FILE *f = NULL;
	int rc = report_write(st, run_id, exp, err);
	if (rc)
		goto out;
	doc = json_load_file(exp, JSON_DECODE_ANY, &jerr);
	unlink(exp);
	if (!doc) {
		rc = err_set(err, ST_INTERNAL, "reading back the run export: %s", jerr.text);
		goto out;
	}
	if ((rc = report_html_render(doc, &b, err)))
		goto out;
	if (!(f = fopen(tmp, "wb"))) {
		rc = err_set(err, ST_IO, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (fwrite(b.p, 1, b.len, f) != b.len || fclose(f) != 0) {
		f = NULL;
		rc = err_set(err, ST_IO, "writing %s: %s", tmp, strerror(errno));
		unlink(tmp);
		goto out;
	}
	f = NULL;
	if (rename(tmp, path) != 0) {
		rc = err_set(err, ST_IO, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
		unlink(tmp);
	}
out:
	if (f)
		fclose(f);
	json_decref(doc);
	buf_free(&b);
	free(exp);
	free(tmp);
	return rc;
}
