/* report_load_html.h — a load run (`assay load`) as one self-contained
 * HTML file: per candidate, latency (p50, p95, p99) against the offered
 * rate as an inline SVG chart with the SLO line, the highest sustained rate
 * and the knee marked, and the step table.  The input is the load report
 * JSON (docs/load.md, docs/output.md); every text from it is escaped.  No
 * script: a Content-Security-Policy allows inline style only. */
#ifndef ASSAY_REPORT_LOAD_HTML_H
#define ASSAY_REPORT_LOAD_HTML_H

#include <jansson.h>

#include "../util/buf.h"
#include "../util/err.h"

/* Appends the page for `report` (borrowed) to out. */
void report_load_html_render(const json_t *report, struct buf *out);

/* Writes it to path (via path.tmp, renamed into place).  ST_IO on failure,
 * path untouched. */
int report_load_html_write(const json_t *report, const char *path,
			   struct err *err);

#endif
