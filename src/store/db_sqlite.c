/* db_sqlite.c — db.h over SQLite: the only file that includes sqlite3.h.
 *
 * SQL passes through unchanged: SQLite reads `?N` placeholders, ON
 * CONFLICT upserts and RETURNING (3.35+) as written, so db_exec_ddl is
 * db_exec and DDL types are SQLite's own.  db_begin_write is BEGIN
 * IMMEDIATE (the write lock at once, so two writers wait in BEGIN instead
 * of deadlocking at their first write).  A lock held by another
 * connection past the busy timeout fails with SQLITE_BUSY or
 * SQLITE_LOCKED, which db_busy() reports.
 *
 * Statements are prepared with SQLITE_PREPARE_PERSISTENT (the store keeps
 * its hot ones for the life of the connection).  A bind that SQLite
 * refuses is remembered and reported by the next db_step, since the bind
 * calls return nothing. */
#include "db_int.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/xalloc.h"

struct sq_db {
	struct db head;
	sqlite3 *h;
};

struct sq_stmt {
	struct db_stmt head;
	sqlite3_stmt *s;
	int bind_rc;   /* first refused bind since the last reset */
	int bind_idx;  /* its parameter */
};

static const struct db_ops sq_ops;

static sqlite3 *H(struct db *db) { return ((struct sq_db *)db)->h; }
static struct sq_stmt *S(struct db_stmt *q) { return (struct sq_stmt *)q; }
static const struct sq_stmt *CS(const struct db_stmt *q)
{
	return (const struct sq_stmt *)q;
}

static bool code_busy(int code)
{
	code &= 0xff;
	return code == SQLITE_BUSY || code == SQLITE_LOCKED;
}

/* Sets err to "TARGET: what: sqlite's message" and db_busy from the
 * connection's last error.  Returns ST_DB. */
static int fail(struct db *db, const char *what, struct err *err)
{
	db->busy = code_busy(sqlite3_extended_errcode(H(db)));
	if (err)
		err_set(err, ST_DB, "%s: %s: %s", db->target, what,
			sqlite3_errmsg(H(db)));
	return ST_DB;
}

int db_sqlite_open(const char *path, int busy_ms, struct db **out,
		   struct err *err)
{
	struct sq_db *d = xcalloc(1, sizeof *d);
	int rc;
	*out = NULL;
	d->head.ops = &sq_ops;
	d->head.kind = DB_SQLITE;
	d->head.target = xstrdup(path);
	rc = sqlite3_open_v2(path, &d->h,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				     SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		err_set(err, ST_DB, "%s: cannot open the database: %s", path,
			d->h ? sqlite3_errmsg(d->h) : "out of memory");
		sqlite3_close(d->h);
		free(d->head.target);
		free(d);
		return ST_DB;
	}
	sqlite3_busy_timeout(d->h, busy_ms > 0 ? busy_ms : 1);
	*out = &d->head;
	return 0;
}

static void sq_close(struct db *db)
{
	sqlite3_close(H(db));
	free(db->target);
	free(db);
}

static void sq_set_busy_timeout(struct db *db, int ms)
{
	sqlite3_busy_timeout(H(db), ms > 0 ? ms : 1);
}

static int sq_exec(struct db *db, const char *sql, struct err *err)
{
	char *msg = NULL;
	int rc = sqlite3_exec(H(db), sql, NULL, NULL, &msg);
	db->changes = sqlite3_changes64(H(db));
	if (rc != SQLITE_OK) {
		db->busy = code_busy(rc);
		err_set(err, ST_DB, "%s: running SQL: %s", db->target,
			msg ? msg : sqlite3_errmsg(H(db)));
		sqlite3_free(msg);
		return ST_DB;
	}
	db->busy = false;
	return 0;
}

static int sq_begin_write(struct db *db, struct err *err)
{
	return sq_exec(db, "BEGIN IMMEDIATE", err);
}

static int sq_commit(struct db *db, struct err *err)
{
	return sq_exec(db, "COMMIT", err);
}

static int sq_rollback(struct db *db, struct err *err)
{
	return sq_exec(db, "ROLLBACK", err);
}

static bool sq_has_column(struct db *db, const char *table, const char *col)
{
	sqlite3_stmt *q = NULL;
	char *sql = xasprintf("PRAGMA table_info(\"%s\")", table);
	bool found = false;
	if (sqlite3_prepare_v2(H(db), sql, -1, &q, NULL) == SQLITE_OK)
		while (!found && sqlite3_step(q) == SQLITE_ROW) {
			const char *name =
				(const char *)sqlite3_column_text(q, 1);
			found = name && !strcmp(name, col);
		}
	sqlite3_finalize(q);
	free(sql);
	return found;
}

static int sq_prepare(struct db *db, const char *sql, struct db_stmt **out,
		      struct err *err)
{
	sqlite3_stmt *s = NULL;
	struct sq_stmt *q;
	*out = NULL;
	if (sqlite3_prepare_v3(H(db), sql, -1, SQLITE_PREPARE_PERSISTENT, &s,
			       NULL) != SQLITE_OK) {
		sqlite3_finalize(s);
		return fail(db, "preparing a statement", err);
	}
	q = xcalloc(1, sizeof *q);
	q->head.ops = &sq_ops;
	q->head.db = db;
	q->s = s;
	*out = &q->head;
	return 0;
}

static void bound(struct db_stmt *q, int i, int rc)
{
	struct sq_stmt *s = S(q);
	if (rc != SQLITE_OK && !s->bind_rc) {
		s->bind_rc = rc;
		s->bind_idx = i;
	}
}

static void sq_bind_int(struct db_stmt *q, int i, int64_t v)
{
	bound(q, i, sqlite3_bind_int64(S(q)->s, i, v));
}

static void sq_bind_double(struct db_stmt *q, int i, double v)
{
	bound(q, i, isfinite(v) ? sqlite3_bind_double(S(q)->s, i, v)
				: sqlite3_bind_null(S(q)->s, i));
}

static void sq_bind_text(struct db_stmt *q, int i, const char *s)
{
	bound(q, i, s ? sqlite3_bind_text(S(q)->s, i, s, -1, SQLITE_TRANSIENT)
		      : sqlite3_bind_null(S(q)->s, i));
}

static void sq_bind_null(struct db_stmt *q, int i)
{
	bound(q, i, sqlite3_bind_null(S(q)->s, i));
}

static int sq_step(struct db_stmt *q, struct err *err)
{
	struct sq_stmt *s = S(q);
	struct db *db = q->db;
	int rc;
	if (s->bind_rc) {
		db->busy = false;
		if (err)
			err_set(err, ST_DB, "%s: binding parameter %d: %s",
				db->target, s->bind_idx,
				sqlite3_errstr(s->bind_rc));
		return ST_DB;
	}
	rc = sqlite3_step(s->s);
	if (rc == SQLITE_ROW) {
		db->busy = false;
		return DB_ROW;
	}
	if (rc == SQLITE_DONE) {
		db->busy = false;
		db->changes = sqlite3_changes64(H(db));
		return DB_DONE;
	}
	/* The statement's own code: the connection's may be reset by now. */
	db->busy = code_busy(rc);
	if (err)
		err_set(err, ST_DB, "%s: running a statement: %s", db->target,
			sqlite3_errmsg(H(db)));
	return ST_DB;
}

static int sq_ncols(const struct db_stmt *q)
{
	return sqlite3_column_count(CS(q)->s);
}

static bool sq_col_null(const struct db_stmt *q, int i)
{
	return sqlite3_column_type(CS(q)->s, i) == SQLITE_NULL;
}

static int64_t sq_col_int(const struct db_stmt *q, int i)
{
	return sqlite3_column_int64(CS(q)->s, i);
}

static double sq_col_double(const struct db_stmt *q, int i)
{
	return sqlite3_column_double(CS(q)->s, i);
}

static const char *sq_col_text(const struct db_stmt *q, int i)
{
	return (const char *)sqlite3_column_text(CS(q)->s, i);
}

static size_t sq_col_bytes(const struct db_stmt *q, int i)
{
	/* After column_text, so the length is the text's. */
	return (size_t)sqlite3_column_bytes(CS(q)->s, i);
}

static void sq_reset(struct db_stmt *q)
{
	struct sq_stmt *s = S(q);
	sqlite3_reset(s->s);
	sqlite3_clear_bindings(s->s);
	s->bind_rc = 0;
	s->bind_idx = 0;
}

static void sq_finalize(struct db_stmt *q)
{
	sqlite3_finalize(S(q)->s);
	free(q);
}

static const struct db_ops sq_ops = {
	.close = sq_close,
	.set_busy_timeout = sq_set_busy_timeout,
	.exec = sq_exec,
	.exec_ddl = sq_exec,
	.begin_write = sq_begin_write,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.has_column = sq_has_column,
	.prepare = sq_prepare,
	.bind_int = sq_bind_int,
	.bind_double = sq_bind_double,
	.bind_text = sq_bind_text,
	.bind_null = sq_bind_null,
	.step = sq_step,
	.ncols = sq_ncols,
	.col_null = sq_col_null,
	.col_int = sq_col_int,
	.col_double = sq_col_double,
	.col_text = sq_col_text,
	.col_bytes = sq_col_bytes,
	.reset = sq_reset,
	.finalize = sq_finalize,
};
