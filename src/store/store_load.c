/* store_load.c — the load tables of store_load.h, on the store's SQLite
 * handle (store_db).  Kept apart from store_sqlite.c so that load testing
 * adds a file rather than edits the core store; the tables are created on
 * first use (CREATE TABLE IF NOT EXISTS), so opening a database never
 * changes for runs that are not load runs. */
#include "store_load.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "../util/fsutil.h"
#include "../util/xalloc.h"

static const char load_schema[] =
	"CREATE TABLE IF NOT EXISTS load_reports (\n"
	"  run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,\n"
	"  report TEXT NOT NULL);\n"
	"CREATE TABLE IF NOT EXISTS load_steps (\n"
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,\n"
	"  provider_idx INTEGER NOT NULL, step INTEGER NOT NULL,\n"
	"  offered_rps REAL, achieved_rps REAL, p50_ms REAL, p95_ms REAL,\n"
	"  p99_ms REAL, error_rate REAL, verdict TEXT,\n"
	"  figures TEXT NOT NULL, latency_hist TEXT NOT NULL,\n"
	"  PRIMARY KEY (run_id, provider_idx, step));\n"
	"CREATE TABLE IF NOT EXISTS load_requests (\n"
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,\n"
	"  provider_idx INTEGER NOT NULL, step INTEGER NOT NULL,\n"
	"  seq INTEGER NOT NULL, test_idx INTEGER, prompt_idx INTEGER,\n"
	"  intended_ms REAL NOT NULL, sent_ms REAL NOT NULL, done_ms REAL,\n"
	"  latency_ms REAL, ttft_ms REAL, http_status INTEGER, error TEXT,\n"
	"  pass INTEGER, tokens_out INTEGER, cost_usd REAL,\n"
	"  PRIMARY KEY (run_id, provider_idx, seq));\n";

/* The state for the one store handle in use (a store is used by one
 * thread at a time, and a process loads into one store): which database
 * has the tables, the open batch, the prepared insert. */
static struct {
	sqlite3 *db;
	bool in_tx;
	double last_commit;
	sqlite3_stmt *ins;
} S;

static int db_error(sqlite3 *db, struct err *err, const char *what)
{
	return err_set(err, ST_DB, "store (load): %s: %s", what, sqlite3_errmsg(db));
}

static int ensure(struct store *st, struct err *err)
{
	sqlite3 *db = (sqlite3 *)store_db(st);
	if (S.db == db)
		return 0;
	if (S.ins)
		sqlite3_finalize(S.ins);
	memset(&S, 0, sizeof S);
	if (store_commit(st, err))
		return ST_DB;
	if (sqlite3_exec(db, load_schema, NULL, NULL, NULL) != SQLITE_OK)
		return db_error(db, err, "creating the load tables");
	S.db = db;
	return 0;
}

static int exec(sqlite3 *db, const char *sql, struct err *err)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_error(db, err, sql);
	return 0;
}

int store_load_commit(struct store *st, struct err *err)
{
	if (ensure(st, err))
		return ST_DB;
	if (!S.in_tx)
		return 0;
	S.in_tx = false;
	S.last_commit = fs_mono_ms();
	return exec(S.db, "COMMIT", err);
}

int store_load_tick(struct store *st, struct err *err)
{
	if (S.in_tx && fs_mono_ms() - S.last_commit >= 250)
		return store_load_commit(st, err);
	return 0;
}

static void bind_num(sqlite3_stmt *s, int i, double v)
{
	if (v < 0)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_double(s, i, v);
}

int store_load_request_put(struct store *st, int64_t run_id,
			   const struct load_request_rec *r, struct err *err)
{
	sqlite3_stmt *s;
	int rc;
	if (ensure(st, err))
		return ST_DB;
	if (!S.ins && sqlite3_prepare_v2(S.db,
			"INSERT INTO load_requests (run_id, provider_idx, step, seq, "
			"test_idx, prompt_idx, intended_ms, sent_ms, done_ms, latency_ms, "
			"ttft_ms, http_status, error, pass, tokens_out, cost_usd) VALUES "
			"(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", -1, &S.ins, NULL) != SQLITE_OK)
		return db_error(S.db, err, "preparing the request insert");
	if (!S.in_tx) {
		if (exec(S.db, "BEGIN IMMEDIATE", err))
			return ST_DB;
		S.in_tx = true;
		S.last_commit = fs_mono_ms();
	}
	s = S.ins;
	sqlite3_reset(s);
	sqlite3_bind_int64(s, 1, run_id);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)r->provider_idx);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)r->step);
	sqlite3_bind_int64(s, 4, r->seq);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)r->test_idx);
	sqlite3_bind_int64(s, 6, (sqlite3_int64)r->prompt_idx);
	sqlite3_bind_double(s, 7, r->intended_ms);
	sqlite3_bind_double(s, 8, r->sent_ms);
	bind_num(s, 9, r->done_ms);
	bind_num(s, 10, r->latency_ms);
	bind_num(s, 11, r->ttft_ms);
	sqlite3_bind_int(s, 12, r->http_status);
	if (r->error)
		sqlite3_bind_text(s, 13, r->error, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, 13);
	if (r->pass < 0)
		sqlite3_bind_null(s, 14);
	else
		sqlite3_bind_int(s, 14, r->pass);
	if (r->tokens_out < 0)
		sqlite3_bind_null(s, 15);
	else
		sqlite3_bind_int64(s, 15, r->tokens_out);
	bind_num(s, 16, r->cost_usd);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return db_error(S.db, err, "storing a load request");
	return store_load_tick(st, err);
}

static double jnum(const json_t *o, const char *a, const char *b)
{
	const json_t *v = json_object_get(o, a);
	if (b)
		v = json_object_get(v, b);
	return json_is_number(v) ? json_number_value(v) : -1;
}

int store_load_step_put(struct store *st, int64_t run_id, size_t provider_idx,
			size_t step, const json_t *figures, const json_t *hist,
			struct err *err)
{
	sqlite3_stmt *s = NULL;
	char *f = NULL, *h = NULL;
	const char *verdict = json_string_value(json_object_get(figures, "verdict"));
	int rc = 0;
	if (store_load_commit(st, err))
		return ST_DB;
	if (sqlite3_prepare_v2(S.db,
			"INSERT INTO load_steps (run_id, provider_idx, step, offered_rps, "
			"achieved_rps, p50_ms, p95_ms, p99_ms, error_rate, verdict, figures, "
			"latency_hist) VALUES (?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT "
			"(run_id, provider_idx, step) DO UPDATE SET figures = excluded.figures, "
			"latency_hist = excluded.latency_hist, verdict = excluded.verdict",
			-1, &s, NULL) != SQLITE_OK)
		return db_error(S.db, err, "preparing the step insert");
	f = json_dumps(figures, JSON_COMPACT);
	h = json_dumps(hist, JSON_COMPACT);
	sqlite3_bind_int64(s, 1, run_id);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)provider_idx);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)step);
	bind_num(s, 4, jnum(figures, "offered_rps", NULL));
	bind_num(s, 5, jnum(figures, "achieved_rps", NULL));
	bind_num(s, 6, jnum(figures, "latency_ms", "p50"));
	bind_num(s, 7, jnum(figures, "latency_ms", "p95"));
	bind_num(s, 8, jnum(figures, "latency_ms", "p99"));
	bind_num(s, 9, jnum(figures, "error_rate", NULL));
	if (verdict)
		sqlite3_bind_text(s, 10, verdict, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, 10);
	sqlite3_bind_text(s, 11, f ? f : "{}", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 12, h ? h : "{}", -1, SQLITE_TRANSIENT);
	if (sqlite3_step(s) != SQLITE_DONE)
		rc = db_error(S.db, err, "storing a load step");
	sqlite3_finalize(s);
	free(f);
	free(h);
	return rc;
}

int store_load_report_put(struct store *st, int64_t run_id,
			  const json_t *report, struct err *err)
{
	sqlite3_stmt *s = NULL;
	char *txt;
	int rc = 0;
	if (store_load_commit(st, err))
		return ST_DB;
	if (sqlite3_prepare_v2(S.db,
			"INSERT INTO load_reports (run_id, report) VALUES (?, ?) ON CONFLICT "
			"(run_id) DO UPDATE SET report = excluded.report", -1, &s, NULL) != SQLITE_OK)
		return db_error(S.db, err, "preparing the report insert");
	txt = json_dumps(report, JSON_COMPACT | JSON_REAL_PRECISION(10));
	sqlite3_bind_int64(s, 1, run_id);
	sqlite3_bind_text(s, 2, txt ? txt : "{}", -1, SQLITE_TRANSIENT);
	if (sqlite3_step(s) != SQLITE_DONE)
		rc = db_error(S.db, err, "storing the load report");
	sqlite3_finalize(s);
	free(txt);
	return rc;
}

int store_load_report_get(struct store *st, int64_t run_id, json_t **report,
			  struct err *err)
{
	sqlite3 *db = (sqlite3 *)store_db(st);
	sqlite3_stmt *s = NULL;
	int rc;
	*report = NULL;
	/* Reading must not create tables in a database without load runs. */
	if (sqlite3_prepare_v2(db, "SELECT report FROM load_reports WHERE run_id = ?",
			       -1, &s, NULL) != SQLITE_OK)
		return 0;   /* no load table: not a load run */
	sqlite3_bind_int64(s, 1, run_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		json_error_t je;
		const char *txt = (const char *)sqlite3_column_text(s, 0);
		*report = json_loads(txt ? txt : "", 0, &je);
		if (!*report) {
			sqlite3_finalize(s);
			return err_set(err, ST_DB, "store (load): stored report of run %lld "
				       "is not JSON: %s", (long long)run_id, je.text);
		}
	} else if (rc != SQLITE_DONE) {
		rc = db_error(db, err, "reading the load report");
		sqlite3_finalize(s);
		return rc;
	}
	sqlite3_finalize(s);
	return 0;
}

void store_load_close(struct store *st)
{
	struct err ignore;
	if (!st || S.db != (sqlite3 *)store_db(st))
		return;
	err_clear(&ignore);
	store_load_commit(st, &ignore);
	if (S.ins)
		sqlite3_finalize(S.ins);
	memset(&S, 0, sizeof S);
}
