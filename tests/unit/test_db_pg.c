/* test_db_pg.c — db_pg.c against a real PostgreSQL server (tests/pg.sh):
 * the ?N rewrite, the type mapping of DDL and casts, exact round trips of
 * 64-bit integers and doubles, single-row reading (a 100k-row walk holds
 * one row), a walk interleaved with other statements, db_changes, db_busy
 * on a held row lock, and the password kept out of db_target and every
 * message.  The contract shared with SQLite is in test_db.c. */
#include <float.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "t.h"
#include "tpg.h"
#include "../../src/store/db.h"
#include "../../src/store/store.h"

#define OK(call)                                                       \
	do {                                                           \
		if ((call) != 0) {                                     \
			t_fail(__FILE__, __LINE__, "%s: %s", #call, err.msg); \
			goto out;                                      \
		}                                                      \
	} while (0)

void tdb_contract(const char *target);

/* test_db.c's contract, the checks SQLite passes, on PostgreSQL. */
TEST(db_contract_pg)
{
	char *url;
	TPG_NEED(url);
	tdb_contract(url);
	tpg_drop_db(url);
}

static bool same_double(double a, double b)
{
	return memcmp(&a, &b, sizeof a) == 0;
}

TEST(db_pg_round_trip)
{
	struct db *db = NULL;
	struct db_stmt *q = NULL;
	struct err err = {0};
	char *url;
	const double ds[] = { 0.1, 1.0 / 3.0, 5e-324, DBL_MAX, -2.5e-300,
			      123456789.123456789, DBL_MIN };
	const int64_t is[] = { INT64_MAX, INT64_MIN, 0, -1, (int64_t)1 << 53 };
	const char *text = "it's \"quoted\" ?1 — ünïcode ✓";
	TPG_NEED(url);
	OK(db_open(url, 1000, &db, &err));
	T_ASSERT(db_kind(db) == DB_PG);
	OK(db_exec_ddl(db, "CREATE TABLE t (id INTEGER PRIMARY KEY,"
		       " n INTEGER, x REAL, s TEXT)", &err));
	OK(db_prepare(db, "INSERT INTO t (n, x, s) VALUES (?1, ?2, ?3)"
		      " RETURNING id", &q, &err));
	for (size_t i = 0; i < sizeof ds / sizeof *ds; i++) {
		db_bind_int(q, 1, is[i % 5]);
		db_bind_double(q, 2, ds[i]);
		db_bind_text(q, 3, text);
		T_EQ_INT(db_step(q, &err), DB_ROW);
		T_EQ_INT(db_col_int(q, 0), (int64_t)i + 1);  /* identity */
		T_EQ_INT(db_step(q, &err), DB_DONE);
		T_EQ_INT(db_changes(db), 1);
		db_reset(q);
	}
	db_bind_null(q, 1);
	db_bind_double(q, 2, NAN);  /* binds as NULL */
	db_bind_null(q, 3);
	T_EQ_INT(db_step(q, &err), DB_ROW);
	db_finalize(q);
	q = NULL;
	OK(db_prepare(db, "SELECT n, x, s FROM t ORDER BY id", &q, &err));
	for (size_t i = 0; i < sizeof ds / sizeof *ds; i++) {
		T_EQ_INT(db_step(q, &err), DB_ROW);
		T_EQ_INT(db_ncols(q), 3);
		T_EQ_INT(db_col_int(q, 0), is[i % 5]);
		if (!same_double(db_col_double(q, 1), ds[i]))
			t_fail(__FILE__, __LINE__, "double %.17g came back %.17g",
			       ds[i], db_col_double(q, 1));
		T_EQ_STR(db_col_text(q, 2), text);
		T_EQ_INT(db_col_bytes(q, 2), strlen(text));
	}
	T_EQ_INT(db_step(q, &err), DB_ROW);
	T_ASSERT(db_col_null(q, 0) && db_col_null(q, 1) && db_col_null(q, 2));
	T_EQ_INT(db_col_int(q, 0), 0);
	T_ASSERT(db_col_double(q, 1) == 0.0);
	T_ASSERT(db_col_text(q, 2) == NULL);
	T_EQ_INT(db_step(q, &err), DB_DONE);
out:
	db_finalize(q);
	db_close(db);
	tpg_drop_db(url);
}

/* ?N outside quotes and comments only; numbered out of order; a parameter
 * whose type the server cannot infer, in and out of a transaction. */
TEST(db_pg_placeholders)
{
	struct db *db = NULL;
	struct db_stmt *q = NULL;
	struct err err = {0};
	char *url;
	TPG_NEED(url);
	OK(db_open(url, 1000, &db, &err));
	OK(db_prepare(db, "SELECT '?1 it''s ?2', ?2 || 'b', -- ?3 \n"
		      " /* ?4 */ ?1 || \"?x\" FROM (SELECT 'c' AS \"?x\") s",
		      &q, &err));
	db_bind_text(q, 1, "A");
	db_bind_text(q, 2, "B");
	T_EQ_INT(db_step(q, &err), DB_ROW);
	T_EQ_STR(db_col_text(q, 0), "?1 it's ?2");
	T_EQ_STR(db_col_text(q, 1), "Bb");
	T_EQ_STR(db_col_text(q, 2), "Ac");
	db_finalize(q);
	q = NULL;
	for (int tx = 0; tx < 2; tx++) {
		if (tx)
			OK(db_begin_write(db, &err));
		OK(db_prepare(db, "SELECT CASE WHEN ?1 IS NULL THEN 'none'"
			      " ELSE 'some' END", &q, &err));
		db_bind_int(q, 1, 7);
		T_EQ_INT(db_step(q, &err), DB_ROW);
		T_EQ_STR(db_col_text(q, 0), "some");
		db_reset(q);
		T_EQ_INT(db_step(q, &err), DB_ROW);
		T_EQ_STR(db_col_text(q, 0), "none");
		db_finalize(q);
		q = NULL;
		if (tx)  /* the transaction survived the failed first try */
			OK(db_commit(db, &err));
	}
out:
	db_finalize(q);
	db_close(db);
	tpg_drop_db(url);
}

static char *col_type(struct db *db, const char *col)
{
	struct db_stmt *q = NULL;
	struct err err = {0};
	char *t = NULL;
	if (db_prepare(db, "SELECT data_type || ':' || is_identity"
		       " FROM information_schema.columns"
		       " WHERE table_name = 't' AND column_name = ?1", &q, &err))
		return NULL;
	db_bind_text(q, 1, col);
	if (db_step(q, &err) == DB_ROW)
		t = strdup(db_col_text(q, 0));
	db_finalize(q);
	return t;
}

TEST(db_pg_ddl_types)
{
	struct db *db = NULL;
	struct db_stmt *q = NULL;
	struct err err = {0};
	char *url, *t = NULL;
	TPG_NEED(url);
	OK(db_open(url, 1000, &db, &err));
	OK(db_exec_ddl(db, "CREATE TABLE IF NOT EXISTS t (\n"
		       "  id INTEGER PRIMARY KEY,\n  n INTEGER NOT NULL,\n"
		       "  x REAL, s TEXT DEFAULT 'INTEGER REAL');\n"
		       "CREATE TABLE u (run_id INTEGER PRIMARY KEY, v REAL);", &err));
	OK(db_exec_ddl(db, "ALTER TABLE t ADD COLUMN w REAL NOT NULL DEFAULT 0",
		       &err));
	T_EQ_STR(t = col_type(db, "id"), "bigint:YES");
	free(t);
	T_EQ_STR(t = col_type(db, "n"), "bigint:NO");
	free(t);
	T_EQ_STR(t = col_type(db, "x"), "double precision:NO");
	free(t);
	T_EQ_STR(t = col_type(db, "w"), "double precision:NO");
	free(t);
	t = NULL;
	T_ASSERT(db_has_column(db, "t", "w"));
	T_ASSERT(db_has_column(db, "T", "S"));
	T_ASSERT(!db_has_column(db, "t", "nope"));
	T_ASSERT(!db_has_column(db, "nope", "id"));
	/* a string literal in DDL is not rewritten */
	OK(db_exec(db, "INSERT INTO t (n) VALUES (1)", &err));
	OK(db_prepare(db, "SELECT s, CAST(?1 AS INTEGER), CAST(?2 AS REAL)"
		      " FROM t", &q, &err));
	db_bind_int(q, 1, (int64_t)1 << 40);
	db_bind_double(q, 2, 0.1);
	T_EQ_INT(db_step(q, &err), DB_ROW);
	T_EQ_STR(db_col_text(q, 0), "INTEGER REAL");
	T_EQ_INT(db_col_int(q, 1), (int64_t)1 << 40);  /* BIGINT, not int4 */
	T_ASSERT(same_double(db_col_double(q, 2), 0.1)); /* float8, not float4 */
out:
	free(t);
	db_finalize(q);
	db_close(db);
	tpg_drop_db(url);
}

static long rss_kb(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
			rss = 0;
		fclose(f);
	}
	return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

/* 100k rows of 1 kB (100 MB if a whole result were held) walked in
 * single-row mode: the process grows by far less than the result. */
TEST(db_pg_walk_100k_rows)
{
	struct db *db = NULL;
	struct db_stmt *q = NULL;
	struct err err = {0};
	char *url;
	long before, peak = 0, n = 0, sum = 0;
	int rc;
	TPG_NEED(url);
	OK(db_open(url, 1000, &db, &err));
	OK(db_prepare(db, "SELECT g, repeat('x', 1000) FROM"
		      " generate_series(1, ?1) g", &q, &err));
	db_bind_int(q, 1, 100000);
	before = rss_kb();
	while ((rc = db_step(q, &err)) == DB_ROW) {
		n++;
		sum += (long)db_col_int(q, 0);
		if (db_col_bytes(q, 1) != 1000)
			break;
		if (n % 10000 == 0 && rss_kb() > peak)
			peak = rss_kb();
	}
	T_EQ_INT(rc, DB_DONE);
	T_EQ_INT(n, 100000);
	T_EQ_INT(sum, 100000L * 100001L / 2);
	/* Under ASan freed memory sits in its quarantine (256 MB) and the
	 * RSS grows with every row freed: there, only the rows are checked. */
#ifndef __SANITIZE_ADDRESS__
	if (peak - before > 30 * 1024)
		t_fail(__FILE__, __LINE__, "the walk grew the process by %ld kB",
		       peak - before);
#else
	(void)before;
	(void)peak;
#endif
out:
	db_finalize(q);
	db_close(db);
	tpg_drop_db(url);
}

/* A read inside a walk (the exports read each result's assertion rows)
 * runs on the second connection: the walk is not read ahead, so 20k rows
 * of 5 kB (100 MB) still pass one at a time; the nested reads see the
 * committed rows. */
TEST(db_pg_walk_with_nested_reads)
{
	struct db *db = NULL;
	struct db_stmt *walk = NULL, *in = NULL;
	struct err err = {0};
	char *url;
	long before, peak = 0, n = 0, inner = 0;
	int rc;
	TPG_NEED(url);
	OK(db_open(url, 1000, &db, &err));
	OK(db_exec_ddl(db, "CREATE TABLE a (k INTEGER, v INTEGER);"
		       "INSERT INTO a SELECT g % 100, g FROM generate_series(1, 1000) g",
		       &err));
	OK(db_prepare(db, "SELECT g, repeat('y', 5000) FROM"
		      " generate_series(1, 20000) g", &walk, &err));
	OK(db_prepare(db, "SELECT count(*), sum(v) FROM a WHERE k = ?1", &in, &err));
	before = rss_kb();
	while ((rc = db_step(walk, &err)) == DB_ROW) {
		int64_t g = db_col_int(walk, 0);
		n++;
		if (g % 100 == 0) {
			db_bind_int(in, 1, (g / 100) % 100);
			T_EQ_INT(db_step(in, &err), DB_ROW);
			inner += (long)db_col_int(in, 0);
			db_reset(in);
			if (rss_kb() > peak)
				peak = rss_kb();
		}
	}
	T_EQ_INT(rc, DB_DONE);
	T_EQ_INT(n, 20000);
	T_EQ_INT(inner, 200 * 10);  /* every k holds 10 rows */
#ifndef __SANITIZE_ADDRESS__
	if (peak - before > 30 * 1024)
		t_fail(__FILE__, __LINE__, "the walk grew the process by %ld kB"
		       " (read ahead?)", peak - before);
#else
	(void)before;
	(void)peak;
#endif
out:
	db_finalize(walk);
	db_finalize(in);
	db_close(db);
	tpg_drop_db(url);
}

/* Another statement, db_exec and a transaction in the middle of a walk:
 * the walk goes on with every row (its rest read ahead). */
TEST(db_pg_walk_interleaved)
{
	struct db *db = NULL;
	struct db_stmt *walk = NULL, *ins = NULL, *cnt = NULL;
	struct err err = {0};
	char *url;
	long n = 0, sum = 0;
	int rc;
	TPG_NEED(url);
	OK(db_open(url, 1000, &db, &err));
	OK(db_exec_ddl(db, "CREATE TABLE log (v INTEGER)", &err));
	OK(db_prepare(db, "SELECT g FROM generate_series(1, 50) g", &walk, &err));
	OK(db_prepare(db, "INSERT INTO log (v) VALUES (?1)", &ins, &err));
	OK(db_prepare(db, "SELECT count(*), sum(v) FROM log", &cnt, &err));
	while ((rc = db_step(walk, &err)) == DB_ROW) {
		int64_t v = db_col_int(walk, 0);
		n++;
		sum += (long)v;
		if (v % 10 == 0) {
			OK(db_begin_write(db, &err));
			db_bind_int(ins, 1, v);
			T_EQ_INT(db_step(ins, &err), DB_DONE);
			db_reset(ins);
			OK(db_commit(db, &err));
			OK(db_exec(db, "UPDATE log SET v = v", &err));
		}
	}
	T_EQ_INT(rc, DB_DONE);
	T_EQ_INT(n, 50);
	T_EQ_INT(sum, 1275);
	T_EQ_INT(db_step(cnt, &err), DB_ROW);
	T_EQ_INT(db_col_int(cnt, 0), 5);
	T_EQ_INT(db_col_int(cnt, 1), 150);  /* sum(bigint) is numeric text */
out:
	db_finalize(walk);
	db_finalize(ins);
	db_finalize(cnt);
	db_close(db);
	tpg_drop_db(url);
}

/* db_changes; a reset part way and a step after the end run again. */
TEST(db_pg_changes_and_reruns)
{
	struct db *db = NULL;
	struct db_stmt *q = NULL;
	struct err err = {0};
	char *url;
	TPG_NEED(url);
	OK(db_open(url, 1000, &db, &err));
	OK(db_exec_ddl(db, "CREATE TABLE k (a INTEGER PRIMARY KEY, b TEXT)", &err));
	OK(db_exec(db, "INSERT INTO k VALUES (1,'x'),(2,'x'),(3,'y')", &err));
	T_EQ_INT(db_changes(db), 3);
	OK(db_prepare(db, "UPDATE k SET b = ?2 WHERE b = ?1", &q, &err));
	db_bind_text(q, 1, "x");
	db_bind_text(q, 2, "z");
	T_EQ_INT(db_step(q, &err), DB_DONE);
	T_EQ_INT(db_changes(db), 2);
	db_finalize(q);
	OK(db_prepare(db, "INSERT INTO k VALUES (?1, 'w') ON CONFLICT (a)"
		      " DO NOTHING", &q, &err));
	db_bind_int(q, 1, 1);
	T_EQ_INT(db_step(q, &err), DB_DONE);
	T_EQ_INT(db_changes(db), 0);
	db_finalize(q);
	OK(db_prepare(db, "SELECT a FROM k ORDER BY a", &q, &err));
	T_EQ_INT(db_step(q, &err), DB_ROW);
	T_EQ_INT(db_col_int(q, 0), 1);
	db_reset(q);  /* part way */
	T_EQ_INT(db_step(q, &err), DB_ROW);
	T_EQ_INT(db_col_int(q, 0), 1);
	T_EQ_INT(db_step(q, &err), DB_ROW);
	T_EQ_INT(db_step(q, &err), DB_ROW);
	T_EQ_INT(db_step(q, &err), DB_DONE);
	T_EQ_INT(db_step(q, &err), DB_ROW);  /* after the end: again */
	T_EQ_INT(db_col_int(q, 0), 1);
	/* a failing statement: ST_DB, the target first, the server's words */
	db_finalize(q);
	q = NULL;
	T_EQ_INT(db_prepare(db, "SELEC 1", &q, &err), ST_DB);
	T_ASSERT(q == NULL);
	T_ASSERT(strncmp(err.msg, db_target(db), strlen(db_target(db))) == 0);
	T_ASSERT(strstr(err.msg, "syntax error at or near \"SELEC\"") != NULL);
	T_ASSERT(strchr(err.msg, '\n') == NULL);
	T_ASSERT(!db_busy(db));
	/* a failure inside a transaction leaves it usable for what follows
	 * only at prepare time (a savepoint); a duplicate key names the key */
	OK(db_begin_write(db, &err));
	T_EQ_INT(db_prepare(db, "SELECT nosuch FROM k", &q, &err), ST_DB);
	OK(db_exec(db, "INSERT INTO k VALUES (9, 'p')", &err));
	OK(db_commit(db, &err));
	T_EQ_INT(db_exec(db, "INSERT INTO k VALUES (9, 'p')", &err), ST_DB);
	T_ASSERT(strstr(err.msg, "Key (a)=(9) already exists") != NULL);
out:
	db_finalize(q);
	db_close(db);
	tpg_drop_db(url);
}

/* A row lock held by another connection: the writer waits busy_ms, then
 * fails with db_busy; after the holder commits it goes through. */
TEST(db_pg_busy_on_row_lock)
{
	struct db *a = NULL, *b = NULL;
	struct db_stmt *q = NULL;
	struct err err = {0};
	char *url;
	TPG_NEED(url);
	OK(db_open(url, 1000, &a, &err));
	OK(db_open(url, 50, &b, &err));
	OK(db_exec_ddl(a, "CREATE TABLE r (id INTEGER PRIMARY KEY, v INTEGER);"
		       "INSERT INTO r (v) VALUES (0)", &err));
	OK(db_begin_write(a, &err));
	OK(db_exec(a, "UPDATE r SET v = 1 WHERE id = 1", &err));
	OK(db_prepare(b, "UPDATE r SET v = ?1 WHERE id = 1", &q, &err));
	db_bind_int(q, 1, 2);
	T_EQ_INT(db_step(q, &err), ST_DB);
	T_ASSERT(db_busy(b));
	T_ASSERT(strstr(err.msg, "lock") != NULL);
	OK(db_commit(a, &err));
	db_reset(q);
	db_bind_int(q, 1, 2);
	T_EQ_INT(db_step(q, &err), DB_DONE);
	T_ASSERT(!db_busy(b));
	T_EQ_INT(db_changes(b), 1);
out:
	db_finalize(q);
	db_close(a);
	db_close(b);
	tpg_drop_db(url);
}

/* The password never shows: not in db_target, not in a failure. */
TEST(db_pg_password_hidden)
{
	struct db *db = NULL;
	struct err err = {0};
	char *url, *bad = NULL, *host;
	TPG_NEED(url);
	/* a database that does not exist, on the real server */
	host = strstr(url, "://") + 3;
	bad = malloc(strlen(url) + 64);
	sprintf(bad, "postgresql://assay:Sekr1t%%21@%.*s/nodb_here"
		"?password=Sekr1t%%21&connect_timeout=5",
		(int)(strchr(host, '/') - host), strchr(host, '@') + 1);
	T_EQ_INT(db_open(bad, 1000, &db, &err), ST_DB);
	T_ASSERT(strstr(err.msg, "Sekr1t") == NULL);
	T_ASSERT(strstr(err.msg, "nodb_here") != NULL);
	T_ASSERT(strstr(err.msg, "postgresql://assay:***@") != NULL);
	T_ASSERT(strstr(err.msg, "password=***&connect_timeout=5") != NULL);
	/* and a good connection shows its target without the password */
	sprintf(bad, "postgres://assay:Sekr1t@%s", strchr(host, '@') + 1);
	OK(db_open(bad, 1000, &db, &err));
	T_ASSERT(strstr(db_target(db), "Sekr1t") == NULL);
	T_ASSERT(strncmp(db_target(db), "postgres://assay:***@", 21) == 0);
out:
	db_close(db);
	free(bad);
	tpg_drop_db(url);
}

/* The migrations on PostgreSQL: a version-4 database taken back to
 * version 1 (the columns and table that versions 2–4 added dropped) is
 * brought forward on open, the added columns with PostgreSQL's types. */
struct suite;
struct suite *tfx_suite(size_t n_tests, size_t n_providers);
void tfx_suite_free(struct suite *s);

TEST(db_pg_store_migrates_v1_to_v5)
{
	struct db *db = NULL;
	struct store *st = NULL;
	struct db_stmt *q = NULL;
	struct suite *s = tfx_suite(2, 1);
	struct err err = {0};
	char *url;
	int64_t run = 0;
	TPG_NEED(url);
	OK(store_open(url, &st, &err));
	store_close(st);
	st = NULL;
	OK(db_open(url, 1000, &db, &err));
	OK(db_exec(db, "DELETE FROM schema_version;"
		   " INSERT INTO schema_version (version) VALUES (1);"
		   " ALTER TABLE results DROP COLUMN retry_wait_ms,"
		   "  DROP COLUMN judge_calls, DROP COLUMN judge_cost_usd,"
		   "  DROP COLUMN judge_latency_ms, DROP COLUMN confidence,"
		   "  DROP COLUMN served_model, DROP COLUMN item_key;"
		   " ALTER TABLE assertion_results DROP COLUMN severity;"
		   " ALTER TABLE runs DROP COLUMN label, DROP COLUMN suite_hash,"
		   "  DROP COLUMN config_json, DROP COLUMN git_commit,"
		   "  DROP COLUMN host, DROP COLUMN pid, DROP COLUMN heartbeat_ms;"
		   " ALTER TABLE cases DROP COLUMN case_key, DROP COLUMN case_hash;"
		   " ALTER TABLE run_providers DROP COLUMN provider_key;"
		   " DROP TABLE turns", &err));
	T_ASSERT(!db_has_column(db, "results", "confidence"));
	db_close(db);
	db = NULL;
	OK(store_open(url, &st, &err));
	OK(store_run_begin(st, s, "after migration", 1, &run, &err));
	T_EQ_INT(run, 1);
	store_close(st);
	st = NULL;
	OK(db_open(url, 1000, &db, &err));
	OK(db_prepare(db, "SELECT max(version), (SELECT string_agg(column_name"
		      " || ':' || data_type, ',' ORDER BY column_name)"
		      " FROM information_schema.columns WHERE table_name = 'results'"
		      " AND column_name IN ('confidence', 'judge_calls', 'item_key')),"
		      " (SELECT count(*) FROM information_schema.tables"
		      "  WHERE table_name = 'turns')"
		      " FROM schema_version", &q, &err));
	T_EQ_INT(db_step(q, &err), DB_ROW);
	T_EQ_INT(db_col_int(q, 0), 5);
	T_EQ_STR(db_col_text(q, 1), "confidence:double precision,item_key:text,"
		 "judge_calls:bigint");
	T_EQ_INT(db_col_int(q, 2), 1);
out:
	db_finalize(q);
	db_close(db);
	store_close(st);
	tfx_suite_free(s);
	tpg_drop_db(url);
}
