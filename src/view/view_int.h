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
/* Each store handle's page cache (KiB): a 20,000-result run's database is
 * ~20 MB, and computing its page walks the results several times */
#define VIEW_READ_CACHE_KIB 65536

struct store;
struct store_run;

/* What makes a cached run page stale (view_compute.c): the run's status,
 * result count and highest result id, and a hash of its human grades. */
struct view_run_key {
	long n_results;
	int64_t max_id;
	uint64_t human;
	long n_human;
	char status[16];
};

/* The run page's parts computed from one pass over the run's statistics
 * (view_compute): all owned. */
struct view_parts {
	char *html;       /* the charts document */
	json_t *cands;    /* the candidate table (GET /api/runs/ID) */
	json_t *tags;     /* the run's case tags (at most 500) */
	long n_errors;    /* results with an error_kind */
};

struct view_chart {
	int64_t run_id;
	struct view_run_key key;  /* the run when computed */
	struct view_parts p;      /* p.html NULL: no entry */
	bool warm;        /* computed by the warm-up thread */
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
	int64_t warming;          /* the run whose page the warm-up thread
				   * computes, or 0 */
	pthread_t warm;
	bool warm_started;
	bool warm_rescan;         /* under mu: the runs list was read since */
	atomic_bool warm_stop;
	atomic_int warm_state;    /* 0 off, 1 running, 2 done */
	atomic_int warm_passes;   /* passes the warm-up thread has finished */
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
/* The run page's data of run (GET /api/runs/ID) from the same cache,
 * computed with the charts when missing or stale: new references to the
 * candidate table and the tags, and the run's error count.  0, or an
 * error code with err set. */
int view_run_page(struct view_server *s, const struct store_run *run,
		  json_t **cands, json_t **tags, long *n_results, long *n_errors,
		  struct err *err);
void view_charts_warm_stop(struct view_server *s);
/* Asks the warm-up thread (when it runs) to compute the newest finished
 * runs again where missing or stale; returns at once. */
void view_charts_warm_poke(struct view_server *s);
/* Frees the cache's charts and candidate tables (view_stop; a server
 * made without view_start, as fuzz/view_api.c makes one, calls it
 * itself). */
void view_charts_free(struct view_server *s);
/* "off" (no warm-up: --no-warm or it could not start), "running" or
 * "done" (GET /api/session reports it). */
const char *view_warm_state(struct view_server *s);

/* The cache key of run (view_compute.c; two cheap queries).  0, or an
 * error code with err set. */
int view_run_key(struct store *st, const struct store_run *run,
		 struct view_run_key *k, struct err *err);
bool view_run_key_eq(const struct view_run_key *a, const struct view_run_key *b);
/* Computes the run page's parts of run into *out (zeroed first): the
 * statistics once, for the charts and the candidate table.  0, or an
 * error code with err set (out released). */
int view_compute(struct store *st, const struct store_run *run,
		 struct view_parts *out, struct err *err);
void view_parts_free(struct view_parts *p);

/* Query parameter `name` (NULL when absent); sets *bad when it is longer
 * than VIEW_ARG_MAX bytes. */
const char *view_arg(const struct view_args *a, const char *name, bool *bad);

/* The built-in files (view_assets.c). */
extern const char view_index_html[], view_app_js[], view_app_css[];

#endif
