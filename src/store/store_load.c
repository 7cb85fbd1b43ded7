/* store_load.c — the load tables of store_load.h, on the store's own
 * connection (the statement layer, db.h; the SQL is its dialect, shared
 * by both backends).  Kept apart from store_sqlite.c so that load testing
 * adds a file rather than edits the core store; the tables are created on
 * first use (CREATE TABLE IF NOT EXISTS through db_exec_ddl), so opening a
 * database never changes for runs that are not load runs. */
#include "store_load.h"
#include "store_int.h"

#include <stdio.h>
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
	struct db *db;
	bool in_tx;
	double last_commit;
	struct db_stmt *ins;
} S;

/* After a failed db call (err set by db.h): "store (load): what: …". */
static int db_error(struct err *err, const char *what)
{
	char msg[sizeof err->msg];
	snprintf(msg, sizeof msg, "%s", err->msg);
	return err_set(err, ST_DB, "store (load): %s: %s", what, msg);
}

static int ensure(struct store *st, struct err *err)
{
	struct db *db = st->db;
	if (S.db == db)
		return 0;
	if (S.ins)
		db_finalize(S.ins);
	memset(&S, 0, sizeof S);
	if (store_commit(st, err))
		return ST_DB;
	if (db_exec_ddl(db, load_schema, err))
		return db_error(err, "creating the load tables");
	S.db = db;
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
	return db_commit(S.db, err) ? db_error(err, "committing") : 0;
}

int store_load_tick(struct store *st, struct err *err)
{
	if (S.in_tx && fs_mono_ms() - S.last_commit >= 250)
		return store_load_commit(st, err);
	return 0;
}

static void bind_num(struct db_stmt *s, int i, double v)
{
	if (v < 0)
		db_bind_null(s, i);
	else
		db_bind_double(s, i, v);
}

int store_load_request_put(struct store *st, int64_t run_id,
			   const struct load_request_rec *r, struct err *err)
{
	struct db_stmt *s;
	int rc;
	if (ensure(st, err))
		return ST_DB;
	if (!S.ins && db_prepare(S.db,
			"INSERT INTO load_requests (run_id, provider_idx, step, seq, "
			"test_idx, prompt_idx, intended_ms, sent_ms, done_ms, latency_ms, "
			"ttft_ms, http_status, error, pass, tokens_out, cost_usd) VALUES "
			"(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16)",
			&S.ins, err))
		return db_error(err, "preparing the request insert");
	if (!S.in_tx) {
		if (db_begin_write(S.db, err))
			return db_error(err, "beginning a batch");
		S.in_tx = true;
		S.last_commit = fs_mono_ms();
	}
	s = S.ins;
	db_reset(s);
	db_bind_int(s, 1, run_id);
	db_bind_int(s, 2, (int64_t)r->provider_idx);
	db_bind_int(s, 3, (int64_t)r->step);
	db_bind_int(s, 4, r->seq);
	db_bind_int(s, 5, (int64_t)r->test_idx);
	db_bind_int(s, 6, (int64_t)r->prompt_idx);
	db_bind_double(s, 7, r->intended_ms);
	db_bind_double(s, 8, r->sent_ms);
	bind_num(s, 9, r->done_ms);
	bind_num(s, 10, r->latency_ms);
	bind_num(s, 11, r->ttft_ms);
	db_bind_int(s, 12, r->http_status);
	db_bind_text(s, 13, r->error);
	if (r->pass < 0)
		db_bind_null(s, 14);
	else
		db_bind_int(s, 14, r->pass);
	if (r->tokens_out < 0)
		db_bind_null(s, 15);
	else
		db_bind_int(s, 15, r->tokens_out);
	bind_num(s, 16, r->cost_usd);
	rc = db_step(s, err);
	db_reset(s);
	if (rc != DB_DONE)
		return db_error(err, "storing a load request");
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
	struct db_stmt *s = NULL;
	char *f = NULL, *h = NULL;
	const char *verdict = json_string_value(json_object_get(figures, "verdict"));
	int rc = 0;
	if (store_load_commit(st, err))
		return ST_DB;
	if (db_prepare(S.db,
			"INSERT INTO load_steps (run_id, provider_idx, step, offered_rps, "
			"achieved_rps, p50_ms, p95_ms, p99_ms, error_rate, verdict, figures, "
			"latency_hist) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12) ON CONFLICT "
			"(run_id, provider_idx, step) DO UPDATE SET figures = excluded.figures, "
			"latency_hist = excluded.latency_hist, verdict = excluded.verdict",
			&s, err))
		return db_error(err, "preparing the step insert");
	f = json_dumps(figures, JSON_COMPACT);
	h = json_dumps(hist, JSON_COMPACT);
	db_bind_int(s, 1, run_id);
	db_bind_int(s, 2, (int64_t)provider_idx);
	db_bind_int(s, 3, (int64_t)step);
	bind_num(s, 4, jnum(figures, "offered_rps", NULL));
	bind_num(s, 5, jnum(figures, "achieved_rps", NULL));
	bind_num(s, 6, jnum(figures, "latency_ms", "p50"));
	bind_num(s, 7, jnum(figures, "latency_ms", "p95"));
	bind_num(s, 8, jnum(figures, "latency_ms", "p99"));
	bind_num(s, 9, jnum(figures, "error_rate", NULL));
	db_bind_text(s, 10, verdict);
	db_bind_text(s, 11, f ? f : "{}");
	db_bind_text(s, 12, h ? h : "{}");
	if (db_step(s, err) != DB_DONE)
		rc = db_error(err, "storing a load step");
	db_finalize(s);
	free(f);
	free(h);
	return rc;
}

int store_load_report_put(struct store *st, int64_t run_id,
			  const json_t *report, struct err *err)
{
	struct db_stmt *s = NULL;
	char *txt;
	int rc = 0;
	if (store_load_commit(st, err))
		return ST_DB;
	if (db_prepare(S.db,
			"INSERT INTO load_reports (run_id, report) VALUES (?1, ?2) ON CONFLICT "
			"(run_id) DO UPDATE SET report = excluded.report", &s, err))
		return db_error(err, "preparing the report insert");
	txt = json_dumps(report, JSON_COMPACT | JSON_REAL_PRECISION(10));
	db_bind_int(s, 1, run_id);
	db_bind_text(s, 2, txt ? txt : "{}");
	if (db_step(s, err) != DB_DONE)
		rc = db_error(err, "storing the load report");
	db_finalize(s);
	free(txt);
	return rc;
}

int store_load_report_get(struct store *st, int64_t run_id, json_t **report,
			  struct err *err)
{
	struct db *db = st->db;
	struct db_stmt *s = NULL;
	int rc;
	*report = NULL;
	/* Reading must not create tables in a database without load runs;
	 * asking first also keeps a PostgreSQL transaction free of the error
	 * a missing table would raise. */
	if (!db_has_column(db, "load_reports", "report"))
		return 0;   /* no load table: not a load run */
	if (db_prepare(db, "SELECT report FROM load_reports WHERE run_id = ?1",
		       &s, err))
		return db_error(err, "reading the load report");
	db_bind_int(s, 1, run_id);
	rc = db_step(s, err);
	if (rc == DB_ROW) {
		json_error_t je;
		const char *txt = db_col_text(s, 0);
		*report = json_loads(txt ? txt : "", 0, &je);
		if (!*report) {
			db_finalize(s);
			return err_set(err, ST_DB, "store (load): stored report of run %lld "
				       "is not JSON: %s", (long long)run_id, je.text);
		}
	} else if (rc != DB_DONE) {
		rc = db_error(err, "reading the load report");
		db_finalize(s);
		return rc;
	}
	db_finalize(s);
	return 0;
}

void store_load_close(struct store *st)
{
	struct err ignore;
	if (!st || S.db != st->db)
		return;
	err_clear(&ignore);
	store_load_commit(st, &ignore);
	if (S.ins)
		db_finalize(S.ins);
	memset(&S, 0, sizeof S);
}
