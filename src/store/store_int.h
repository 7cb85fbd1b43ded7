/* store_int.h — what the files of the SQLite store share (store_sqlite.c:
 * open, schema, writes; store_read.c: the read API; store_runs.c: run
 * records, listing, deletion).  Not for use outside src/store/. */
#ifndef ASSAY_STORE_INT_H
#define ASSAY_STORE_INT_H

#include <sqlite3.h>
#include <stdbool.h>

#include "store.h"

struct store {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *ins_result, *ins_assert, *find_result, *del_asserts,
		*del_result, *cache_get, *cache_put;
	bool in_tx;
	int pending;            /* results in the open transaction */
	double last_commit_ms;  /* monotonic */
	double last_beat_ms;    /* monotonic: last heartbeat of the open run */
	int64_t live_run;       /* the run this process writes, 0 when none */
	int busy_ms;            /* sqlite busy timeout */
	struct store_keys *keys; /* of the live run's suite, or NULL */
};

/* Sets err to "PATH: what: sqlite message" and returns ST_DB. */
int sti_fail(struct store *st, struct err *err, const char *what);
/* Runs SQL without results; ST_DB with the message on failure. */
int sti_exec(struct store *st, const char *sql, struct err *err);
/* Prepares a statement the caller finalizes. */
int sti_prepare(struct store *st, const char *sql, sqlite3_stmt **q,
		struct err *err);
/* ISO 8601 UTC with milliseconds. */
void sti_iso_time(double ms, char out[32]);
/* Binds text (copied) or NULL. */
void sti_bind_text(sqlite3_stmt *q, int i, const char *s);
/* A column's text, or NULL. */
const char *sti_text(sqlite3_stmt *q, int i);
/* A column as an owned string ("" for NULL when `empty`, else NULL). */
char *sti_dup(sqlite3_stmt *q, int i, bool empty);

#endif
