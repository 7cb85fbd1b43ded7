/* report_html.h — a run as one self-contained HTML file: the decision first,
 * charts drawn here as inline SVG (pass rates with intervals and tied
 * groups, paired differences, latency, quality vs cost and vs p95 with the
 * Pareto frontier, reliability diagram, failure rate by tag, consistency
 * across variants) and a per-case table with filters and search.
 *
 * The input is the run as the `.json` export lays it out (docs/output.md:
 * run, summary, results, stats), so the report depends on a documented
 * format and not on the store's or the statistics' internals.  The file
 * fetches nothing: its one script and one style sheet are inline and are
 * the only ones a Content-Security-Policy (by SHA-256 hash) lets run.
 * Every text from the run (model output, labels, vars) is untrusted: the
 * C side escapes it for HTML and SVG; the script writes it with
 * textContent only. */
#ifndef ASSAY_REPORT_HTML_H
#define ASSAY_REPORT_HTML_H

#include <jansson.h>

#include <stdint.h>

#include "../store/store.h"
#include "../util/buf.h"
#include "../util/err.h"

/* Appends the report of `doc` (a `.json` export object; borrowed) to out.
 * Missing sections are left out of the page rather than failing.  Errors:
 * ST_USAGE when doc is not an export object (no `results` array). */
int report_html_render(const json_t *doc, struct buf *out, struct err *err);

/* Appends the header, the decision and the charts of doc's report (the
 * page without its case table and script), as report_html_render draws
 * them; `assay view` shows them on its run page.  doc needs `run`,
 * `totals` and `stats`, and `results` with provider_id, provider_label,
 * latency_ms, error and cached for the latency chart. */
void report_html_charts(const json_t *doc, struct buf *out);

/* The latencies of one provider × prompt as the latency chart reads
 * them from `results`: the rows with a finite latency, no error and not
 * cached (v[0..n), any order; borrowed), with the rows' provider_id and
 * provider_label (either may be NULL). */
struct report_lat_group {
	const char *provider_id, *provider_label;
	const double *v;
	size_t n;
};

/* report_html_charts with the latency chart drawn from groups[0..n)
 * instead of doc's `results` (which is not read): the same document as
 * report_html_charts gives for a `results` array holding those rows,
 * without building one JSON object per result (`assay view`). */
void report_html_charts_lat(const json_t *doc, const struct report_lat_group *groups,
			    size_t n, struct buf *out);

/* Writes the report of run `run_id` to `path`: the run is exported as
 * `.json` to PATH.export.json (report_write), read back, rendered, and
 * written to PATH.tmp renamed into place; the export file is removed.
 * Errors as report_write's; on failure `path` is untouched. */
int report_html_write(struct store *st, int64_t run_id, const char *path,
		      struct err *err);

/* Appends s escaped for HTML text and attribute values (& < > " '); bytes
 * that are not UTF-8 become U+FFFD. */
void report_html_escape(struct buf *out, const char *s);

#endif
