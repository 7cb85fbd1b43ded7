/* report_html_assets.h — the HTML report's script and style sheet, compiled
 * into the binary from src/report/assets/ (report_html_assets.c), each a
 * NUL-terminated string. */
#ifndef ASSAY_REPORT_HTML_ASSETS_H
#define ASSAY_REPORT_HTML_ASSETS_H

extern const char report_html_js[];
extern const char report_html_css[];

#endif
