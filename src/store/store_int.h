/* store_int.h — what the files of the store share (store_sqlite.c: open,
 * schema, writes; store_read.c: the read API; store_runs.c: run records,
 * listing, deletion; and the others).  Every one of them runs its SQL
 * through the statement layer (db.h), in the dialect it describes.  Not
 * for use outside src/store/. */
#ifndef ASSAY_STORE_INT_H
#define ASSAY_STORE_INT_H

#include <stdbool.h>

#include "db.h"
#include "store.h"
#include "../util/buf.h"

struct store_writer;

struct store {
	struct db *db;
	char *path;             /* the target as given (a path or URL) */
	struct db_stmt *ins_result, *ins_assert, *find_result, *del_asserts,
		*del_result, *cache_get, *cache_put;
	bool in_tx;
	int pending;            /* results in the open transaction */
	double last_commit_ms;  /* monotonic */
	double last_beat_ms;    /* monotonic: last heartbeat of the open run */
	int64_t live_run;       /* the run this process writes, 0 when none */
	int busy_ms;            /* the backend's lock wait */
	struct store_keys *keys; /* of the live run's suite, or NULL */
	struct store_writer *w;  /* the writer thread, while one runs */
	/* SQLite, while the writer runs: a second connection for cache
	 * lookups, which WAL lets read while the writer writes (through the
	 * shared one they waited for its batch); NULL otherwise
	 * (sti_reader_cache_get opens it on first use). */
	struct db *rdb;
	struct db_stmt *rdb_cache_get;
	bool rdb_tried;
};

/* One result as the values its INSERTs bind: res for `results` (?1 …
 * ?31), one row of nine per assertion (its ?1, the result id, is set when
 * written); every text copied into `text`, at sparam.off.  Filled on the
 * caller's thread from a result_rec, written by whoever holds the
 * connection. */
struct sparam {
	unsigned char kind;     /* store_sqlite.c's SP_*: NULL, int, real, text */
	int64_t i;
	double d;
	size_t off;
};
struct srow {
	int64_t run_id;
	size_t t, p, v;
	int rep;
	struct sparam res[31];
	size_t n_asserts;
	struct sparam (*as)[9];
	struct buf text;
	bool cache;             /* a cache entry (res[0..4]), not a result */
	struct srow *next;      /* the writer's queue */
};
void sti_row_fill(struct store *st, int64_t run_id, const struct result_rec *r,
		  struct srow *row);
/* A cache entry as a row for the writer (key, provider, body, response,
 * the time now). */
void sti_cache_row_fill(struct srow *row, const char *key, const char *provider_id,
			const char *body, const char *response);
/* Writes the row (a result or a cache entry) in the open transaction;
 * 0 or ST_DB. */
int sti_row_write(struct store *st, struct srow *row, struct err *err);
void sti_row_free(struct srow *row);
/* Opens the write transaction unless one is open (stamps the heartbeat);
 * commits it now. */
int sti_tx_begin(struct store *st, struct err *err);
int sti_commit_now(struct store *st, struct err *err);

/* store_writer.c.  While a writer thread runs, the connection is the
 * writer's while it writes a batch; the thread that opened the store uses
 * it only after sti_writer_sync (the rows handed over are written and
 * committed, and the writer then waits for the next one) or inside
 * sti_db_lock / sti_db_unlock (the cache and the heartbeat, which need
 * no result to be written first).  Without a writer these do nothing. */
int sti_writer_put(struct store *st, int64_t run_id,
		   const struct result_rec *r, struct err *err);
/* The reader connection's cache lookup, opened on first use; NULL
 * without a writer thread, on PostgreSQL, or when it cannot be opened. */
struct db_stmt *sti_reader_cache_get(struct store *st);
/* Queues a cache entry; it is not a result (store_uncommitted). */
int sti_writer_put_cache(struct store *st, const char *key, const char *provider_id,
			 const char *body, const char *response, struct err *err);
int sti_writer_sync(struct store *st, struct err *err);
/* The writer's failure (0 when none); empties its wake-up pipe. */
int sti_writer_poll(struct store *st, struct err *err);
void sti_db_lock(struct store *st);
/* sti_db_lock unless the writer holds the connection: false then. */
bool sti_db_trylock(struct store *st);
void sti_db_unlock(struct store *st);

/* After a failed db call (err already set by db.h, naming the target and
 * the server's message), adds what the store was doing: "… (what)";
 * with err not set, "TARGET: what failed".  Returns ST_DB. */
int sti_fail(struct store *st, struct err *err, const char *what);
/* Runs SQL without results; ST_DB with the message on failure. */
int sti_exec(struct store *st, const char *sql, struct err *err);
/* Prepares a statement the caller finalizes. */
int sti_prepare(struct store *st, const char *sql, struct db_stmt **q,
		struct err *err);
/* Steps a statement that returns no rows (or whose rows are not wanted);
 * 0, or ST_DB through sti_fail(what). */
int sti_run(struct store *st, struct db_stmt *q, const char *what,
	    struct err *err);
/* Runs sql, retrying while another process holds the lock (db_busy) for
 * up to STORE_LOCK_GIVE_UP_MS, noting the wait on stderr. */
int sti_locked_exec(struct store *st, const char *sql, struct err *err);
/* ISO 8601 UTC with milliseconds. */
void sti_iso_time(double ms, char out[32]);
/* Binds text (redacted, copied) or NULL. */
void sti_bind_text(struct db_stmt *q, int i, const char *s);
/* A column's text, or NULL. */
const char *sti_text(struct db_stmt *q, int i);
/* A column as an owned string ("" for NULL when `empty`, else NULL). */
char *sti_dup(struct db_stmt *q, int i, bool empty);

/* store_assert_fails_sev_each (store.h) two ways, the same rows in the
 * same order: by the GROUP BY (sti_assert_fails_sql, store_read.c: what
 * PostgreSQL runs) and by one streamed join counted in a hash table
 * (sti_assert_fails_counted, store_afails.c: SQLite's, which would
 * otherwise sort every assertion row of the run). */
int sti_assert_fails_sql(struct store *st, int64_t run_id,
			 int (*cb)(void *ud, size_t provider_idx,
				   size_t prompt_idx, const char *type,
				   const char *metric, long fails, long total),
			 void *ud, bool *any_severity, struct err *err);
int sti_assert_fails_counted(struct store *st, int64_t run_id,
			     int (*cb)(void *ud, size_t provider_idx,
				       size_t prompt_idx, const char *type,
				       const char *metric, long fails,
				       long total),
			     void *ud, bool *any_severity, struct err *err);

#endif
