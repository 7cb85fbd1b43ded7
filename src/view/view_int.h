/* view_int.h — what the files of src/view/ share: the server, a reply
 * under construction, and the JSON helpers.  Not for use outside. */
#ifndef ASSAY_VIEW_INT_H
#define ASSAY_VIEW_INT_H

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "view.h"
#include "../util/buf.h"

#define VIEW_CHART_CACHE 8
#define VIEW_CHART_WARM 4   /* newest finished runs drawn at start-up */

struct view_chart {
	int64_t run_id;
	long n_results;   /* the run's results and status when drawn: a */
	char status[16];  /* live run is drawn again when they change */
	char *html;       /* owned, or NULL: not drawn yet */
	bool warm;        /* html was drawn by the warm-up thread */
	json_t *cands;    /* the run page's candidate table, owned, or NULL */
};

struct view_server {
	struct MHD_Daemon *d;
	struct store *st;
	char *token;              /* owned, or NULL */
	char csrf[65];
	int port;
	long per_item;
	uint64_t seed, rng;
	struct view_chart charts[VIEW_CHART_CACHE];   /* under mu */
	unsigned next_chart;
	pthread_mutex_t mu;
	pthread_cond_t cv;        /* signalled when warming changes */
	int64_t warming;          /* the run whose charts the warm-up thread
				   * draws, or 0 */
	int64_t warming_cands;    /* ... whose candidate table it computes */
	pthread_t warm;
	bool warm_started;
	atomic_bool warm_stop;
	atomic_int warm_state;    /* 0 off, 1 running, 2 done */
	char *warm_db;            /* owned */
};

/* A reply: status, content type, body, and optional extra headers. */
struct view_reply {
	unsigned status;
	const char *type;         /* static string */
	struct buf body;
	const char *csp;          /* NULL: the app's policy */
	const char *cache;        /* X-Assay-Cache header (static), or NULL */
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
/* Starts the thread that draws the newest finished runs' charts into the
 * cache on its own handle of the database at db_path (-1 when it cannot
 * start: the charts are then drawn on first view); _stop asks it to stop
 * after the run it is drawing and joins it. */
int view_charts_warm_start(struct view_server *s, const char *db_path);
/* The run page's candidate table of run (GET /api/runs/ID: the summary
 * rows), from the same cache (keyed, like the charts, by the run's result
 * count and status: it depends on the results only).  A new array the
 * caller owns, or NULL with err set. */
struct store_run;
json_t *view_run_candidates(struct view_server *s, const struct store_run *run,
			    struct err *err);
void view_charts_warm_stop(struct view_server *s);
/* Frees the cache's charts and candidate tables (view_stop; a server
 * made without view_start, as fuzz/view_api.c makes one, calls it
 * itself). */
void view_charts_free(struct view_server *s);
/* "off" (no warm-up: --no-warm or it could not start), "running" or
 * "done" (GET /api/session reports it). */
const char *view_warm_state(struct view_server *s);

/* Query parameter `name` (NULL when absent); sets *bad when it is longer
 * than VIEW_ARG_MAX bytes. */
const char *view_arg(const struct view_args *a, const char *name, bool *bad);

/* The built-in files (view_assets.c). */
extern const char view_index_html[], view_app_js[], view_app_css[];

#endif
