/* test_store_load.c — the load tables (src/store/store_load.c): request
 * rows, steps and the report written and read back; a plain run is not a
 * load run; a database without load runs gets no load tables by reading. */
#include "../../src/store/store_load.h"
#include "t.h"

#include <stdio.h>
#include <stdlib.h>

#include "../../src/store/db.h"

struct suite *tfx_suite(size_t n_tests, size_t n_providers);
void tfx_suite_free(struct suite *s);
char *tfx_tmpdir(void);
void tfx_rmdir(char *dir);

/* The first column of sql's first row, read on a connection of its own
 * (it sees what the store committed); -1 on any failure. */
static long count(const char *target, const char *sql)
{
	struct db *db = NULL;
	struct db_stmt *s = NULL;
	struct err e = {0};
	long n = -1;
	if (db_open(target, 1000, &db, &e))
		return -1;
	if (!db_prepare(db, sql, &s, &e) && db_step(s, &e) == DB_ROW)
		n = (long)db_col_int(s, 0);
	db_finalize(s);
	db_close(db);
	return n;
}

/* Whether the database has the load tables. */
static bool has_load_tables(const char *target)
{
	struct db *db = NULL;
	struct err e = {0};
	bool has;
	if (db_open(target, 1000, &db, &e))
		return true;
	has = db_has_column(db, "load_reports", "report");
	db_close(db);
	return has;
}

TEST(store_load_roundtrip)
{
	char *dir = tfx_tmpdir(), path[600];
	struct suite *s = tfx_suite(2, 1);
	struct store *st = NULL;
	struct err e;
	int64_t plain, run;
	json_t *rep = NULL, *fig, *got = NULL, *hist = json_object();
	snprintf(path, sizeof path, "%s/a.db", dir);
	T_EQ_INT(store_open(path, &st, &e), 0);
	T_EQ_INT(store_run_begin(st, s, "plain", 1, &plain, &e), 0);
	T_EQ_INT(store_load_report_get(st, plain, &got, &e), 0);
	T_ASSERT(got == NULL);
	T_ASSERT(!has_load_tables(path));
	T_EQ_INT(store_run_begin(st, s, "load test", 1, &run, &e), 0);
	for (long i = 0; i < 300; i++) {
		struct load_request_rec r = {
			.provider_idx = 0, .step = (size_t)(i / 100), .test_idx = (size_t)(i % 2),
			.seq = i, .intended_ms = (double)(i % 100) * 10, .sent_ms = (double)(i % 100) * 10 + 0.25,
			.done_ms = i == 299 ? -1 : (double)(i % 100) * 10 + 50, .latency_ms = 50.25,
			.ttft_ms = -1, .http_status = 200, .error = i == 299 ? "unfinished" : NULL,
			.pass = (int)(i % 3 == 0), .tokens_out = 4, .cost_usd = -1 };
		T_EQ_INT(store_load_request_put(st, run, &r, &e), 0);
	}
	fig = json_pack("{s:f,s:f,s:{s:f,s:f,s:f},s:f,s:s}", "offered_rps", 10.0,
			"achieved_rps", 9.5, "latency_ms", "p50", 50.0, "p95", 60.0,
			"p99", 70.0, "error_rate", 0.01, "verdict", "pass");
	T_EQ_INT(store_load_step_put(st, run, 0, 0, fig, hist, &e), 0);
	T_EQ_INT(store_load_step_put(st, run, 0, 0, fig, hist, &e), 0); /* replaces */
	rep = json_pack("{s:s,s:[]}", "kind", "load", "candidates");
	T_EQ_INT(store_load_report_put(st, run, rep, &e), 0);
	T_EQ_INT(store_load_report_put(st, run, rep, &e), 0);
	T_EQ_INT(count(path, "select count(*) from load_requests"), 300);
	T_EQ_INT(count(path, "select count(*) from load_requests where done_ms is null and error = 'unfinished'"), 1);
	T_EQ_INT(count(path, "select count(*) from load_requests where cost_usd is null and ttft_ms is null"), 300);
	T_EQ_INT(count(path, "select count(*) from load_steps where p95_ms = 60 and verdict = 'pass'"), 1);
	T_EQ_INT(count(path, "select count(*) from load_reports"), 1);
	T_EQ_INT(store_load_report_get(st, run, &got, &e), 0);
	T_ASSERT(got && json_equal(got, rep));
	json_decref(got);
	json_decref(rep);
	json_decref(fig);
	json_decref(hist);
	store_load_close(st);
	store_close(st);
	tfx_suite_free(s);
	tfx_rmdir(dir);
}
