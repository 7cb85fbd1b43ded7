/* test_db.c — the contract of the statement layer (src/store/db.h):
 * binds and steps, NULLs and NaN binding as NULL, 64-bit integers,
 * RETURNING, ON CONFLICT upserts, db_changes, reset clearing bindings,
 * `?N` placeholders (reused, and left alone inside a quoted string),
 * transactions, db_has_column after db_exec_ddl, errors naming the
 * target, and db_busy between two connections.
 *
 * Every check takes the db target, so the same checks run against any
 * backend: tdb_contract(target) runs them all.  The SQLite test below
 * passes a temporary file; a PostgreSQL test passes a postgres:// URL
 * (tables are dropped and created again, so a shared database is fine). */
#include "t.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/store/db.h"
#include "../../src/util/xalloc.h"

char *tfx_tmpdir(void);
void tfx_rmdir(char *dir);
void tdb_contract(const char *target);

/* Opens target and (re)creates table tdb_t: id, i, r, t, u (unique). */
static struct db *fresh(const char *target)
{
	struct db *db = NULL;
	struct err err = {0};
	if (db_open(target, 2000, &db, &err)) {
		t_fail(__FILE__, __LINE__, "db_open: %s", err.msg);
		return NULL;
	}
	if (db_exec(db, "DROP TABLE IF EXISTS tdb_t", &err) ||
	    db_exec_ddl(db, "CREATE TABLE tdb_t (id INTEGER PRIMARY KEY,"
			" i INTEGER, r REAL, t TEXT, u TEXT UNIQUE)", &err)) {
		t_fail(__FILE__, __LINE__, "schema: %s", err.msg);
		db_close(db);
		return NULL;
	}
	return db;
}

/* Values round-trip; NULL, NaN and infinities read back as NULL, and a
 * NULL column reads as 0 / 0.0 / NULL. */
static void check_values(const char *target)
{
	struct db *db = fresh(target);
	struct db_stmt *q = NULL;
	struct err err = {0};
	const int64_t big = ((int64_t)1 << 40) + 7;
	if (!db)
		return;
	T_EQ_INT(db_prepare(db, "INSERT INTO tdb_t (i, r, t, u) VALUES"
			    " (?1, ?2, ?3, ?4)", &q, &err), 0);
	db_bind_int(q, 1, big);
	db_bind_double(q, 2, 0.25);
	db_bind_text(q, 3, "h\xc3\xa9llo");
	db_bind_text(q, 4, "a");
	T_EQ_INT(db_step(q, &err), DB_DONE);
	T_EQ_INT(db_changes(db), 1);
	db_reset(q);
	db_bind_null(q, 1);
	db_bind_double(q, 2, NAN);
	db_bind_text(q, 3, NULL);
	db_bind_text(q, 4, "b");
	T_EQ_INT(db_step(q, &err), DB_DONE);
	db_reset(q);
	db_bind_int(q, 1, -3);
	db_bind_double(q, 2, INFINITY);
	db_bind_text(q, 4, "c");
	T_EQ_INT(db_step(q, &err), DB_DONE);
	db_finalize(q);

	T_EQ_INT(db_prepare(db, "SELECT i, r, t, u FROM tdb_t ORDER BY u",
			    &q, &err), 0);
	T_EQ_INT(db_step(q, &err), DB_ROW);
	T_EQ_INT(db_ncols(q), 4);
	T_EQ_INT(db_col_int(q, 0), big);
	T_NEAR(db_col_double(q, 1), 0.25, 0);
	T_EQ_STR(db_col_text(q, 2), "h\xc3\xa9llo");
	T_EQ_INT(db_col_bytes(q, 2), 6);
	T_ASSERT(!db_col_null(q, 0));
	T_EQ_INT(db_step(q, &err), DB_ROW);
	T_ASSERT(db_col_null(q, 0) && db_col_null(q, 1) && db_col_null(q, 2));
	T_EQ_INT(db_col_int(q, 0), 0);
	T_NEAR(db_col_double(q, 1), 0, 0);
	T_ASSERT(db_col_text(q, 2) == NULL);
	T_EQ_STR(db_col_text(q, 3), "b");
	T_EQ_INT(db_step(q, &err), DB_ROW);
	T_EQ_INT(db_col_int(q, 0), -3);
	T_ASSERT(db_col_null(q, 1));   /* infinity binds as NULL */
	T_EQ_INT(db_step(q, &err), DB_DONE);
	db_finalize(q);
	db_close(db);
}

/* RETURNING id gives a row, then DB_DONE; ids increase.  ON CONFLICT …
 * DO NOTHING returns no row; DO UPDATE SET x = excluded.x updates. */
static void check_returning_and_upserts(const char *target)
{
	struct db *db = fresh(target);
	struct db_stmt *q = NULL;
	struct err err = {0};
	int64_t a, b;
	if (!db)
		return;
	T_EQ_INT(db_prepare(db, "INSERT INTO tdb_t (u, i) VALUES (?1, ?2)"
			    " ON CONFLICT (u) DO NOTHING RETURNING id", &q,
			    &err), 0);
	db_bind_text(q, 1, "x");
	db_bind_int(q, 2, 1);
	T_EQ_INT(db_step(q, &err), DB_ROW);
	a = db_col_int(q, 0);
	T_EQ_INT(db_step(q, &err), DB_DONE);
	db_reset(q);
	db_bind_text(q, 1, "y");
	db_bind_int(q, 2, 2);
	T_EQ_INT(db_step(q, &err), DB_ROW);
	b = db_col_int(q, 0);
	T_ASSERT(a > 0 && b > a);
	T_EQ_INT(db_step(q, &err), DB_DONE);
	db_reset(q);
	db_bind_text(q, 1, "x");           /* a conflict: nothing, no row */
	db_bind_int(q, 2, 9);
	T_EQ_INT(db_step(q, &err), DB_DONE);
	db_finalize(q);

	T_EQ_INT(db_prepare(db, "INSERT INTO tdb_t (u, i) VALUES (?1, ?2)"
			    " ON CONFLICT (u) DO UPDATE SET i = excluded.i",
			    &q, &err), 0);
	db_bind_text(q, 1, "x");
	db_bind_int(q, 2, 42);
	T_EQ_INT(db_step(q, &err), DB_DONE);
	T_EQ_INT(db_changes(db), 1);
	db_finalize(q);

	T_EQ_INT(db_prepare(db, "SELECT i FROM tdb_t WHERE u = ?1", &q, &err),
		 0);
	db_bind_text(q, 1, "x");
	T_EQ_INT(db_step(q, &err), DB_ROW);
	T_EQ_INT(db_col_int(q, 0), 42);
	db_finalize(q);

	T_EQ_INT(db_exec(db, "UPDATE tdb_t SET r = 1.5", &err), 0);
	T_EQ_INT(db_changes(db), 2);
	T_EQ_INT(db_prepare(db, "DELETE FROM tdb_t WHERE u = ?1", &q, &err), 0);
	db_bind_text(q, 1, "nobody");
	T_EQ_INT(db_step(q, &err), DB_DONE);
	T_EQ_INT(db_changes(db), 0);
	db_finalize(q);
	db_close(db);
}

/* A placeholder used twice binds once; `?1` inside a quoted string is
 * text; db_reset clears the bindings (an unbound parameter is NULL). */
static void check_placeholders_and_reset(const char *target)
{
	struct db *db = fresh(target);
	struct db_stmt *q = NULL;
	struct err err = {0};
	if (!db)
		return;
	T_EQ_INT(db_prepare(db, "SELECT '?1', CAST(?1 AS INTEGER) +"
			    " CAST(?1 AS INTEGER), CAST(?2 AS TEXT)", &q,
			    &err), 0);
	db_bind_int(q, 1, 20);
	db_bind_text(q, 2, "two");
	T_EQ_INT(db_step(q, &err), DB_ROW);
	T_EQ_STR(db_col_text(q, 0), "?1");
	T_EQ_INT(db_col_int(q, 1), 40);
	T_EQ_STR(db_col_text(q, 2), "two");
	T_EQ_INT(db_step(q, &err), DB_DONE);
	db_reset(q);
	db_bind_int(q, 1, 1);
	T_EQ_INT(db_step(q, &err), DB_ROW);
	T_EQ_INT(db_col_int(q, 1), 2);
	T_ASSERT(db_col_null(q, 2));      /* ?2 was cleared by the reset */
	db_finalize(q);
	db_close(db);
}

static long count_rows(struct db *db)
{
	struct db_stmt *q = NULL;
	struct err err = {0};
	long n = -1;
	if (db_prepare(db, "SELECT count(*) FROM tdb_t", &q, &err))
		return -1;
	if (db_step(q, &err) == DB_ROW)
		n = (long)db_col_int(q, 0);
	db_finalize(q);
	return n;
}

/* Rollback undoes, commit keeps; db_has_column sees a column that
 * db_exec_ddl added; a bad statement fails with ST_DB naming the target
 * and is not "busy". */
static void check_transactions_schema_errors(const char *target)
{
	struct db *db = fresh(target);
	struct db_stmt *q = NULL;
	struct err err = {0};
	if (!db)
		return;
	T_EQ_INT(db_begin_write(db, &err), 0);
	T_EQ_INT(db_exec(db, "INSERT INTO tdb_t (u) VALUES ('r')", &err), 0);
	T_EQ_INT(db_rollback(db, &err), 0);
	T_EQ_INT(count_rows(db), 0);
	T_EQ_INT(db_begin_write(db, &err), 0);
	T_EQ_INT(db_exec(db, "INSERT INTO tdb_t (u) VALUES ('c')", &err), 0);
	T_EQ_INT(db_commit(db, &err), 0);
	T_EQ_INT(count_rows(db), 1);

	T_ASSERT(db_has_column(db, "tdb_t", "r"));
	T_ASSERT(!db_has_column(db, "tdb_t", "extra"));
	T_EQ_INT(db_exec_ddl(db, "ALTER TABLE tdb_t ADD COLUMN extra INTEGER",
			     &err), 0);
	T_ASSERT(db_has_column(db, "tdb_t", "extra"));

	T_EQ_INT(db_prepare(db, "SELECT nosuchcolumn FROM tdb_t", &q, &err),
		 ST_DB);
	T_ASSERT(q == NULL);
	T_ASSERT(strstr(err.msg, db_target(db)) == err.msg);
	T_ASSERT(!db_busy(db));
	err.msg[0] = '\0';
	T_EQ_INT(db_prepare(db, "INSERT INTO tdb_t (u) VALUES (?1)", &q, &err),
		 0);
	db_bind_text(q, 1, "c");           /* the unique u again */
	T_EQ_INT(db_step(q, &err), ST_DB);
	T_ASSERT(strstr(err.msg, db_target(db)) == err.msg);
	T_ASSERT(!db_busy(db));
	db_finalize(q);
	db_close(db);
}

/* One connection holds a write on a row; the other, with a short busy
 * timeout, fails to write it with db_busy() true, and succeeds once the
 * first commits. */
static void check_busy(const char *target)
{
	struct db *a = fresh(target), *b = NULL;
	struct err err = {0};
	int rc;
	if (!a)
		return;
	T_EQ_INT(db_exec(a, "INSERT INTO tdb_t (id, u, i) VALUES (1, 'k', 0)",
			 &err), 0);
	T_EQ_INT(db_open(target, 50, &b, &err), 0);
	T_EQ_INT(db_begin_write(a, &err), 0);
	T_EQ_INT(db_exec(a, "UPDATE tdb_t SET i = 1 WHERE id = 1", &err), 0);
	/* SQLite refuses the write lock at BEGIN; PostgreSQL at the row. */
	rc = db_begin_write(b, &err);
	if (!rc) {
		rc = db_exec(b, "UPDATE tdb_t SET i = 2 WHERE id = 1", &err);
		T_EQ_INT(rc, ST_DB);
		T_ASSERT(db_busy(b));
		T_EQ_INT(db_rollback(b, &err), 0);
	} else {
		T_EQ_INT(rc, ST_DB);
		T_ASSERT(db_busy(b));
	}
	T_ASSERT(strstr(err.msg, db_target(b)) == err.msg);
	T_EQ_INT(db_commit(a, &err), 0);
	db_set_busy_timeout(b, 2000);
	T_EQ_INT(db_begin_write(b, &err), 0);
	T_EQ_INT(db_exec(b, "UPDATE tdb_t SET i = 2 WHERE id = 1", &err), 0);
	T_ASSERT(!db_busy(b));
	T_EQ_INT(db_commit(b, &err), 0);
	db_close(b);
	{
		struct db_stmt *q = NULL;
		T_EQ_INT(db_prepare(a, "SELECT i FROM tdb_t WHERE id = 1", &q,
				    &err), 0);
		T_EQ_INT(db_step(q, &err), DB_ROW);
		T_EQ_INT(db_col_int(q, 0), 2);
		db_finalize(q);
	}
	db_close(a);
}

void tdb_contract(const char *target)
{
	check_values(target);
	check_returning_and_upserts(target);
	check_placeholders_and_reset(target);
	check_transactions_schema_errors(target);
	check_busy(target);
}

TEST(db_contract_sqlite)
{
	char *dir = tfx_tmpdir();
	char *path = xasprintf("%s/db.sqlite", dir);
	struct db *db = NULL;
	struct err err = {0};
	T_ASSERT(!db_is_url(path));
	T_ASSERT(db_is_url("postgres://u@127.0.0.1/x"));
	T_ASSERT(db_is_url("postgresql://127.0.0.1/x"));
	tdb_contract(path);
	T_EQ_INT(db_open(path, 100, &db, &err), 0);
	T_EQ_INT(db_kind(db), DB_SQLITE);
	T_EQ_STR(db_target(db), path);
	db_close(db);
	free(path);
	tfx_rmdir(dir);
}
