/* view_int.h — what the files of src/view/ share: the server, a reply
 * under construction, and the JSON helpers.  Not for use outside. */
#ifndef ASSAY_VIEW_INT_H
#define ASSAY_VIEW_INT_H

#include <jansson.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stdint.h>

#include "view.h"
#include "../util/buf.h"

#define VIEW_CHART_CACHE 8

struct view_chart {
	int64_t run_id;
	long n_results;   /* the run's results and status when drawn: a */
	char status[16];  /* live run is drawn again when they change */
	char *html;       /* owned */
};

struct view_server {
	struct MHD_Daemon *d;
	struct store *st;
	char *token;              /* owned, or NULL */
	char csrf[65];
	int port;
	long per_item;
	uint64_t seed, rng;
	struct view_chart charts[VIEW_CHART_CACHE];
	unsigned next_chart;
};

/* A reply: status, content type, body, and optional extra headers. */
struct view_reply {
	unsigned status;
	const char *type;         /* static string */
	struct buf body;
	const char *csp;          /* NULL: the app's policy */
	char *location;           /* owned, or NULL */
	char *cookie;             /* owned Set-Cookie value, or NULL */
};

/* Sets r to a JSON reply of j (consumed). */
void view_json(struct view_reply *r, unsigned status, json_t *j);
/* Sets r to {"error": message} with status. */
void view_error(struct view_reply *r, unsigned status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A JSON string of s with bytes that are not UTF-8 replaced by U+FFFD
 * (at most max bytes, 0 = all; *cut set when shortened), or null for NULL. */
json_t *view_jstr(const char *s, size_t max, bool *cut);
/* A JSON number, or null when not finite. */
json_t *view_jnum(double v);

/* Where a request's query parameters come from: the connection (c), or,
 * when c is NULL, get(ud, name) (fuzz/view_api.c, which has no socket). */
struct view_args {
	struct MHD_Connection *c;
	const char *(*get)(void *ud, const char *name);
	void *ud;
};

/* The API (view_api.c): answers GET/POST under /api/ into r; url starts
 * with "/api/", body is the POST body (body_len bytes, any content). */
void view_api(struct view_server *s, const struct view_args *a,
	      const char *method, const char *url, const char *body,
	      size_t body_len, struct view_reply *r);

/* The run page's charts as a script-less HTML document (view_charts.c),
 * drawn by the report's code and kept in a small cache. */
void view_charts(struct view_server *s, int64_t run_id, struct view_reply *r);

/* Query parameter `name` (NULL when absent); sets *bad when it is longer
 * than VIEW_ARG_MAX bytes. */
const char *view_arg(const struct view_args *a, const char *name, bool *bad);

/* The built-in files (view_assets.c). */
extern const char view_index_html[], view_app_js[], view_app_css[];

#endif
