/* db.h — the statement layer under the store: one small interface over
 * SQLite (db_sqlite.c) and PostgreSQL (db_pg.c, libpq), so each store file
 * is written once, against this header, and no file outside these two
 * includes sqlite3.h or libpq-fe.h.
 *
 * SQL is written in the dialect both accept:
 *  - placeholders `?1`, `?2`, … (numbered from 1; db_pg.c rewrites them to
 *    `$1` outside quoted strings and identifiers);
 *  - INSERT … ON CONFLICT … DO NOTHING / DO UPDATE SET x = excluded.x;
 *  - INSERT … RETURNING id instead of a last-insert-rowid call;
 *  - COALESCE, CASE, CAST(x AS REAL|INTEGER|TEXT), LIKE with exact-case
 *    patterns, substr, length, ORDER BY … NULLS as both order them only
 *    when written out.
 * DDL goes through db_exec_ddl, which on PostgreSQL maps the SQLite column
 * types to 64-bit ones (INTEGER → BIGINT, REAL → DOUBLE PRECISION,
 * `id INTEGER PRIMARY KEY` → an identity column).  Where the dialects still
 * differ (JSON functions, PRAGMA, locking), the store asks db_kind() and the
 * file's header names the difference.
 *
 * Values: integers are int64_t, reals double (NaN and infinities bind as
 * NULL), text is NUL-terminated UTF-8, copied at bind time.  Column
 * accessors are 0-based; a NULL column reads as 0 / 0.0 / NULL.  Text
 * returned by db_col_text is valid until the next db_step, db_reset or
 * db_finalize of that statement.
 *
 * Errors: every fallible call returns 0 on success, or ST_DB with `err`
 * set to "TARGET: what failed: the server's message" (a URL is shown
 * without its password); db_busy() tells whether the last failure was a
 * lock held by another process, so the caller may wait and retry. */
#ifndef ASSAY_DB_H
#define ASSAY_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/err.h"

enum db_kind { DB_SQLITE, DB_PG };

/* db_step's results (an error is ST_DB, with err set). */
enum { DB_DONE = 0, DB_ROW = 100 };

struct db;
struct db_stmt;

/* True when `target` is a postgres:// or postgresql:// URL. */
bool db_is_url(const char *target);

/* Opens `target`: a PostgreSQL URL, or else the path of a SQLite file
 * (created when missing).  `busy_ms` bounds each wait for a lock held by
 * another process before a call fails with db_busy() true. */
int db_open(const char *target, int busy_ms, struct db **out,
	    struct err *err);
void db_close(struct db *db);
enum db_kind db_kind(const struct db *db);
/* `target` as given to db_open, with any password replaced by "***". */
const char *db_target(const struct db *db);
void db_set_busy_timeout(struct db *db, int ms);

/* Runs one or more statements that return no rows. */
int db_exec(struct db *db, const char *sql, struct err *err);
/* db_exec for CREATE TABLE / ALTER TABLE ADD COLUMN, with the column
 * types mapped for the backend (see above). */
int db_exec_ddl(struct db *db, const char *sql, struct err *err);
/* Transactions.  db_begin_write takes the write lock at once (SQLite's
 * BEGIN IMMEDIATE; a plain BEGIN on PostgreSQL, whose row locks need no
 * database-wide lock). */
int db_begin_write(struct db *db, struct err *err);
int db_commit(struct db *db, struct err *err);
int db_rollback(struct db *db, struct err *err);
/* True when the last failed call failed on a lock held elsewhere (SQLite
 * BUSY/LOCKED; PostgreSQL serialization failure, deadlock or lock
 * timeout). */
bool db_busy(const struct db *db);
/* Rows inserted, updated or deleted by the last statement. */
int64_t db_changes(const struct db *db);
/* True when `table` has column `col` (for migrations). */
bool db_has_column(struct db *db, const char *table, const char *col);

int db_prepare(struct db *db, const char *sql, struct db_stmt **out,
	       struct err *err);
void db_bind_int(struct db_stmt *q, int i, int64_t v);
void db_bind_double(struct db_stmt *q, int i, double v);
void db_bind_text(struct db_stmt *q, int i, const char *s);
void db_bind_null(struct db_stmt *q, int i);
/* Runs the statement on the first call after a bind or reset, then
 * advances: DB_ROW while there is a row, DB_DONE at the end, or ST_DB. */
int db_step(struct db_stmt *q, struct err *err);
int db_ncols(const struct db_stmt *q);
bool db_col_null(const struct db_stmt *q, int i);
int64_t db_col_int(const struct db_stmt *q, int i);
double db_col_double(const struct db_stmt *q, int i);
const char *db_col_text(const struct db_stmt *q, int i);
size_t db_col_bytes(const struct db_stmt *q, int i);
/* Ready to run again; the bindings are cleared. */
void db_reset(struct db_stmt *q);
void db_finalize(struct db_stmt *q);

#endif
