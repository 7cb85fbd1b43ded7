/* view.h — the front door of `assay view`: a local web app over the store
 * (runs, the run page with the report's charts, the cases × candidates
 * matrix, case detail, run comparison, grading by hand and blind pairwise
 * review), served with libmicrohttpd from one internal thread, so the one
 * store handle is used by one thread at a time.
 *
 * Security (docs/view.md): loopback unless a token is given; the token is
 * checked on every request (static files too); without a token the Host
 * header must name the loopback address (no DNS rebinding); POSTs need the
 * CSRF token of GET /api/session and a JSON body of at most
 * VIEW_BODY_MAX bytes; only built-in files are served; every response
 * carries a Content-Security-Policy that allows only the app's own script
 * and style sheet.
 *
 * Ownership: the server borrows the store until view_stop. */
#ifndef ASSAY_VIEW_H
#define ASSAY_VIEW_H

#include <stdbool.h>
#include <stdint.h>

#include "../store/store.h"
#include "../util/err.h"

#define VIEW_BODY_MAX (64 * 1024)   /* a POST body */
#define VIEW_ARG_MAX 512            /* one query parameter */

struct view_config {
	const char *host;       /* NULL: 127.0.0.1 */
	int port;               /* 0: any free port */
	const char *token;      /* NULL: none (loopback only) */
	long reviewers_per_item;/* 0: no limit */
	uint64_t seed;          /* pair order and sides; 0 with !seed_set: random */
	bool seed_set;
	const char *db_path;    /* the store's file: a second handle draws the
				 * newest runs' charts in the background at
				 * start-up; NULL: each is drawn on first view */
};

struct view_server;

/* True when host is a loopback name or address (localhost, 127/8, ::1). */
bool view_host_is_loopback(const char *host);

/* Checks cfg (a non-loopback host needs a token of 16..200 characters
 * from [A-Za-z0-9._~-]), then listens.  Errors: ST_USAGE (bad config),
 * ST_NET (cannot listen).  *out is NULL on failure. */
int view_start(const struct view_config *cfg, struct store *st,
	       struct view_server **out, struct err *err);

int view_port(const struct view_server *s);

/* Stops listening and frees; view_stop(NULL) does nothing. */
void view_stop(struct view_server *s);

#endif
