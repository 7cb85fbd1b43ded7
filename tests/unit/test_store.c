/* test_store.c — the SQLite store: round trip of runs and results checked
 * with plain SQL, batching and crash safety, run lookup, secrets never
 * stored, replacement of a redone item, and put throughput. */
#include "t.h"
#include "tpg.h"
#include "../../src/store/db.h"

#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../src/store/store.h"
#include "../../src/util/fsutil.h"
#include "../../src/util/xalloc.h"

struct suite *tfx_suite(size_t n_tests, size_t n_providers);
void tfx_suite_free(struct suite *s);
char *tfx_tmpdir(void);
void tfx_rmdir(char *dir);
void tfx_grade(struct grade *g, const struct test_case *tc, bool pass,
	       double score, const char *metric_json);
void tfx_grade_free(struct grade *g);

#define TFX_SECRET "sk-PLANTED-SECRET-0123456789"

/* Runs one SQL query (db.h: SQLite or PostgreSQL) expected to return one
 * row and returns column 0 as an owned string ("NULL" for SQL NULL, "(no row)" when none). */
static char *q1(const char *db_path, const char *sql)
{
	struct db *db = NULL;
	struct db_stmt *q = NULL;
	struct err err = {0};
	char *out;
	int rc;
	if (db_open(db_path, 1000, &db, &err) || db_prepare(db, sql, &q, &err)) {
		out = xasprintf("(sql error: %s)", err.msg);
	} else if ((rc = db_step(q, &err)) != DB_ROW) {
		out = xstrdup(rc == DB_DONE ? "(no row)" : "(sql error)");
	} else if (db_col_null(q, 0)) {
		out = xstrdup("NULL");
	} else {
		out = xstrdup(db_col_text(q, 0));
	}
	db_finalize(q);
	db_close(db);
	return out;
}

/* Like q1 and compares with `want`; reports the query on mismatch. */
static int q1_is(const char *db_path, const char *sql, const char *want)
{
	char *got = q1(db_path, sql);
	int ok = strcmp(got, want) == 0;
	if (!ok)
		fprintf(stdout, "  query: %s\n  got: %s\n  want: %s\n", sql, got,
			want);
	free(got);
	return ok;
}

static long q1_long(const char *db_path, const char *sql)
{
	char *got = q1(db_path, sql);
	long v = strtol(got, NULL, 10);
	free(got);
	return v;
}

static void ok_response(struct response *r, const char *out, double lat)
{
	response_init(r);
	r->output = xstrdup(out);
	r->finish_reason = xstrdup("stop");
	r->http_status = 200;
	r->latency_ms = lat;
	r->ttft_ms = lat / 4;
	r->prompt_tokens = 12;
	r->completion_tokens = 3;
	r->total_tokens = 15;
	r->cost_usd = 0.0005;
}

TEST(store_roundtrip_rows_and_columns)
{
	char *dir = tfx_tmpdir();
	char *path = xasprintf("%s/sub/dir/assay.db", dir);
	struct suite *s = tfx_suite(3, 2);
	struct store *st = NULL;
	struct err err = {0};
	struct response r0, r1, r2;
	struct grade g0, g1;
	int64_t run = 0;
	int rc;
	T_ASSERT(dir);
	rc = store_open(path, &st, &err);
	T_EQ_INT(rc, 0);
	T_EQ_INT(store_run_begin(st, s, "round trip", 1, &run, &err), 0);
	T_EQ_INT(run, 1);

	ok_response(&r0, "yes, it \"works\"\nline 2", 120.5);
	r0.confidence = 0.75;	/* from logprobs */
	s->tests[1].asserts[1].has_severity = true;
	s->tests[1].asserts[1].severity = 5;
	tfx_grade(&g0, &s->tests[0], true, 1.0, "{\"acc\": 1}");
	ok_response(&r1, "no", 80);
	r1.cached = true;
	tfx_grade(&g1, &s->tests[1], false, 0.5, "{\"acc\": 0}");
	response_init(&r2);
	r2.error = RESP_ERR_TIMEOUT;
	r2.error_msg = xstrdup("timed out after 30000 ms");
	r2.latency_ms = 30000;
	r2.retries = 2;

	struct result_rec rec0 = { 0, 0, 0, 0, "Answer: question 0", &r0, &g0,
				   1714564800123.0, 0, 0, 0 };
	struct result_rec rec1 = { 1, 1, 1, 0, "[chat]", &r1, &g1, 0, 0, 0, 0 };
	/* A grade handed in with an error must be ignored. */
	struct result_rec rec2 = { 2, 0, 1, 0, "Answer: question 2", &r2, &g0, 0, 0, 0, 0 };
	T_EQ_INT(store_result_put(st, run, &rec0, &err), 0);
	T_EQ_INT(store_result_put(st, run, &rec1, &err), 0);
	T_EQ_INT(store_result_put(st, run, &rec2, &err), 0);
	T_EQ_INT(store_run_end(st, run, "done", &err), 0);
	store_close(st);

	T_ASSERT(q1_is(path, "SELECT status||'|'||description||'|'||repeat||'|'||"
			     "suite_path||'|'||(finished_at IS NOT NULL)||'|'||"
			     "n_cases||'|'||n_prompts||'|'||n_providers FROM runs",
		       "done|round trip|1|tests/data/store/suite.yaml|1|3|2|2"));
	T_ASSERT(q1_is(path, "SELECT group_concat(idx||':'||provider_id||':'||label, ',')"
			     " FROM run_providers WHERE run_id=1",
		       "0:openai:chat:model-a:model-a,1:openai:chat:model-b:model-b"));
	T_ASSERT(q1_is(path, "SELECT group_concat(idx||':'||label||':'||is_chat, ',')"
			     " FROM run_prompts", "0:plain:0,1:chat:1"));
	T_ASSERT(q1_is(path, "SELECT description||'|'||vars_json||'|'||metadata_json"
			     "||'|'||n_asserts FROM cases WHERE idx=1",
		       "case 1|{\"q\":\"question 1\",\"lang\":\"fr\"}|{\"tag\":\"fixture\"}|2"));
	T_EQ_INT(q1_long(path, "SELECT count(*) FROM results"), 3);

	/* The successful, passing result, column by column. */
	T_ASSERT(q1_is(path, "SELECT output FROM results WHERE case_idx=0",
		       "yes, it \"works\"\nline 2"));
	T_ASSERT(q1_is(path, "SELECT started_at FROM results WHERE case_idx=0",
		       "2024-05-01T12:00:00.123Z"));
	T_ASSERT(q1_is(path, "SELECT prompt_text||'|'||quote(error_kind)||'|'||"
			     "http_status||'|'||finish_reason||'|'||latency_ms||'|'||"
			     "ttft_ms||'|'||prompt_tokens||'|'||completion_tokens||'|'||"
			     "total_tokens||'|'||cost_usd||'|'||retries||'|'||cached||'|'||"
			     "pass||'|'||score||'|'||reason||'|'||named_scores_json"
			     " FROM results WHERE case_idx=0",
		       "Answer: question 0|NULL|200|stop|120.5|30.125|12|3|15|0.0005|"
		       "0|0|1|1.0|All assertions passed|{\"acc\":1}"));
	T_ASSERT(q1_is(path, "SELECT prompt_idx||provider_idx||cached||pass||score"
			     " FROM results WHERE case_idx=1", "11100.5"));
	/* The error row: no grade at all, error fields set, unknowns NULL. */
	T_ASSERT(q1_is(path, "SELECT error_kind||'|'||error_msg||'|'||"
			     "quote(pass)||'|'||quote(score)||'|'||quote(reason)||'|'||"
			     "quote(output)||'|'||quote(prompt_tokens)||'|'||"
			     "quote(cost_usd)||'|'||quote(ttft_ms)||'|'||"
			     "quote(http_status)||'|'||retries||'|'||"
			     "quote(named_scores_json) FROM results WHERE case_idx=2",
		       "timeout|timed out after 30000 ms|NULL|NULL|NULL|NULL|NULL|"
		       "NULL|NULL|NULL|2|NULL"));
	/* Assertion rows: only for graded results, in order, with spec data. */
	T_EQ_INT(q1_long(path, "SELECT count(*) FROM assertion_results"), 4);
	T_ASSERT(q1_is(path, "SELECT group_concat(a.idx||':'||a.type||':'||a.pass||':'||"
			     "a.score||':'||a.weight||':'||quote(a.metric)||':'||a.reason, ',')"
			     " FROM assertion_results a JOIN results r ON r.id=a.result_id"
			     " WHERE r.case_idx=1",
		       "0:contains:0:0.0:1.0:'acc':assertion 0,"
		       "1:not-regex:1:1.0:2.0:NULL:assertion 1"));
	/* Severity per assertion (NULL when none); confidence per result
	 * (NULL when the provider gave none, and for errors). */
	T_ASSERT(q1_is(path, "SELECT group_concat(quote(a.severity), ',')"
			     " FROM assertion_results a JOIN results r ON r.id=a.result_id"
			     " WHERE r.case_idx=1", "NULL,5.0"));
	T_ASSERT(q1_is(path, "SELECT group_concat(case_idx||':'||quote(confidence), ',')"
			     " FROM results", "0:0.75,1:NULL,2:NULL"));
	T_ASSERT(q1_is(path, "SELECT max(version) FROM schema_version", "5"));
	T_ASSERT(q1_is(path, "PRAGMA journal_mode", "wal"));

	response_cleanup(&r0);
	response_cleanup(&r1);
	response_cleanup(&r2);
	tfx_grade_free(&g0);
	tfx_grade_free(&g1);
	tfx_suite_free(s);
	free(path);
	tfx_rmdir(dir);
}

STORE_TEST(store_batch_commit_and_close_persist)
{
	char *dir = tfx_tmpdir();
	char *path = tfx_db(dir, "b.db");
	struct suite *s = tfx_suite(400, 1);
	struct store *st = NULL;
	struct err err = {0};
	struct response r;
	struct grade g;
	int64_t run;
	T_EQ_INT(store_open(path, &st, &err), 0);
	T_EQ_INT(store_run_begin(st, s, NULL, 1, &run, &err), 0);
	ok_response(&r, "yes", 10);
	tfx_grade(&g, &s->tests[0], true, 1, NULL);
	/* 300 puts: some are committed without asking — all but the open
	 * batch, which holds at most 255 (a batch commits after 256 results
	 * or 250 ms; on a loaded machine a 250 ms commit can come first and
	 * shift the batches, so not necessarily the first 256). */
	for (size_t i = 0; i < 300; i++) {
		struct result_rec rec = { i, 0, 0, 0, "p", &r, &g, 0, 0, 0, 0 };
		T_EQ_INT(store_result_put(st, run, &rec, &err), 0);
	}
	T_ASSERT(q1_long(path, "SELECT count(*) FROM results") >= 300 - 255);
	T_EQ_INT(store_commit(st, &err), 0);
	T_EQ_INT(q1_long(path, "SELECT count(*) FROM results"), 300);
	/* Puts without a commit, then close: close commits them. */
	for (size_t i = 300; i < 310; i++) {
		struct result_rec rec = { i, 0, 0, 0, "p", &r, &g, 0, 0, 0, 0 };
		T_EQ_INT(store_result_put(st, run, &rec, &err), 0);
	}
	store_close(st);
	T_EQ_INT(q1_long(path, "SELECT count(*) FROM results"), 310);
	/* The run was never ended: still "running" (a resumable state). */
	T_ASSERT(q1_is(path, "SELECT status FROM runs", "running"));
	response_cleanup(&r);
	tfx_grade_free(&g);
	tfx_suite_free(s);
	free(path);
	tfx_rmdir(dir);
}

TEST(store_kill9_keeps_committed_batches)
{
	char *dir = tfx_tmpdir();
	char *path = xasprintf("%s/k.db", dir);
	pid_t pid;
	int status = 0;
	fflush(stdout);
	pid = fork();
	T_ASSERT(pid >= 0);
	if (pid == 0) {
		struct suite *s = tfx_suite(600, 1);
		struct store *st = NULL;
		struct err err = {0};
		struct response r;
		int64_t run;
		if (store_open(path, &st, &err) ||
		    store_run_begin(st, s, NULL, 1, &run, &err))
			_exit(3);
		ok_response(&r, "yes", 10);
		for (size_t i = 0; i < 600; i++) {
			struct result_rec rec = { i, 0, 0, 0, "p", &r, NULL, 0, 0, 0, 0 };
			if (store_result_put(st, run, &rec, &err))
				_exit(4);
		}
		raise(SIGKILL);
		_exit(5);
	}
	T_ASSERT(waitpid(pid, &status, 0) == pid);
	T_ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	/* A batch commits after 256 results or 250 ms, so the open batch at
	 * the kill holds at most 255 results: at least 600 - 255 survive.
	 * (Not 512, two full batches: on a loaded machine a 250 ms commit
	 * can come first and shift the batches.) */
	T_ASSERT(q1_long(path, "SELECT count(*) FROM results") >= 600 - 255);
	T_ASSERT(q1_is(path, "PRAGMA integrity_check", "ok"));
	free(path);
	tfx_rmdir(dir);
}

STORE_TEST(store_resolve_run_latest_id_and_errors)
{
	char *dir = tfx_tmpdir();
	char *path = tfx_db(dir, "r.db");
	struct suite *s = tfx_suite(1, 1);
	struct store *st = NULL;
	struct err err = {0};
	int64_t a, b, got = -7;
	T_EQ_INT(store_open(path, &st, &err), 0);
	T_ASSERT(store_resolve_run(st, "latest", &got, &err) != 0);
	T_ASSERT(strstr(err.msg, "no runs") != NULL);
	T_EQ_INT(store_run_begin(st, s, "one", 1, &a, &err), 0);
	T_EQ_INT(store_run_begin(st, s, "two", 3, &b, &err), 0);
	T_ASSERT(b > a);
	T_EQ_INT(store_resolve_run(st, "latest", &got, &err), 0);
	T_EQ_INT(got, b);
	T_EQ_INT(store_resolve_run(st, "1", &got, &err), 0);
	T_EQ_INT(got, a);
	err_clear(&err);
	T_ASSERT(store_resolve_run(st, "99", &got, &err) != 0);
	T_ASSERT(strstr(err.msg, "no run 99") != NULL);
	err_clear(&err);
	T_EQ_INT(store_resolve_run(st, "abc", &got, &err), ST_USAGE);
	T_ASSERT(strstr(err.msg, "latest") != NULL);
	T_ASSERT(store_resolve_run(st, "-1", &got, &err) != 0);
	T_ASSERT(store_resolve_run(st, "2x", &got, &err) != 0);
	T_ASSERT(store_run_end(st, 42, "done", &err) != 0);
	store_close(st);
	T_ASSERT(q1_is(path, "SELECT repeat FROM runs WHERE description='two'", "3"));
	tfx_suite_free(s);
	free(path);
	tfx_rmdir(dir);
}

static int file_has(const char *path, const char *needle)
{
	struct err err = {0};
	size_t len = 0;
	char *data = fs_read_file(path, 0, &len, &err);
	int found;
	if (!data)
		return 0;
	found = memmem(data, len, needle, strlen(needle)) != NULL;
	free(data);
	return found;
}

TEST(store_secrets_never_reach_the_db)
{
	char *dir = tfx_tmpdir();
	char *path = xasprintf("%s/s.db", dir);
	char *wal = xasprintf("%s-wal", path);
	struct suite *s = tfx_suite(2, 2);
	struct store *st = NULL;
	struct err err = {0};
	struct response r;
	int64_t run;
	T_EQ_INT(store_open(path, &st, &err), 0);
	T_EQ_INT(store_run_begin(st, s, NULL, 1, &run, &err), 0);
	ok_response(&r, "fine", 5);
	struct result_rec rec = { 0, 0, 0, 0, "p", &r, NULL, 0, 0, 0, 0 };
	T_EQ_INT(store_result_put(st, run, &rec, &err), 0);
	T_EQ_INT(store_commit(st, &err), 0);
	/* While open (the data is in the WAL) and after close (checkpointed). */
	T_ASSERT(!file_has(path, "PLANTED"));
	T_ASSERT(!file_has(wal, "PLANTED"));
	store_close(st);
	T_ASSERT(!file_has(path, "PLANTED"));
	T_ASSERT(!file_has(wal, "PLANTED"));
	T_ASSERT(!file_has(path, "Bearer"));
	/* What is not secret is kept. */
	T_ASSERT(q1_is(path, "SELECT json_extract(config_json, '$.config.max_tokens')"
			     "||'|'||json_extract(config_json, '$.config.temperature')"
			     "||'|'||json_extract(config_json, '$.config.headers.X-Trace')"
			     "||'|'||json_extract(config_json, '$.config.apiBaseUrl')"
			     " FROM run_providers WHERE idx=0",
		       "64|0.5|on|http://127.0.0.1:1/v1"));
	T_ASSERT(q1_is(path, "SELECT json_extract(suite_json, '$.description') FROM runs",
		       "fixture suite"));
	T_ASSERT(q1_is(path, "SELECT quote(json_extract(config_json, '$.config.apiKey'))"
			     " FROM run_providers WHERE idx=1", "NULL"));
	response_cleanup(&r);
	tfx_suite_free(s);
	free(wal);
	free(path);
	tfx_rmdir(dir);
}

TEST(store_strip_secrets_rules)
{
	json_t *j = json_loads(
		"{\"api_key\":\"a\",\"OPENAI_API_KEY\":\"b\",\"max_tokens\":5,"
		"\"tokenizer_path\":\"c\",\"nested\":[{\"Password\":\"d\"},"
		"\"Bearer xyz\",\"keep\"],\"x\":{\"clientSecret\":\"e\","
		"\"model\":\"m\",\"hdr\":\"Basic Zm9v\"},\"auth\":{\"u\":1}}",
		0, NULL);
	char *s;
	T_ASSERT(j);
	store_json_strip_secrets(j);
	s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	T_EQ_STR(s, "{\"max_tokens\":5,\"nested\":[{},\"keep\"],\"x\":{\"model\":\"m\"}}");
	free(s);
}

TEST(store_redone_item_replaces_the_old_row)
{
	char *dir = tfx_tmpdir();
	char *path = xasprintf("%s/x.db", dir);
	struct suite *s = tfx_suite(1, 1);
	struct store *st = NULL;
	struct err err = {0};
	struct response bad, good;
	struct grade g;
	int64_t run;
	T_EQ_INT(store_open(path, &st, &err), 0);
	T_EQ_INT(store_run_begin(st, s, NULL, 1, &run, &err), 0);
	response_init(&bad);
	bad.error = RESP_ERR_HTTP;
	bad.http_status = 503;
	bad.error_msg = xstrdup("HTTP 503");
	ok_response(&good, "yes", 9);
	tfx_grade(&g, &s->tests[0], true, 1, NULL);
	struct result_rec a = { 0, 0, 0, 0, "p", &bad, NULL, 0, 0, 0, 0 };
	struct result_rec b = { 0, 0, 0, 0, "p", &good, &g, 0, 0, 0, 0 };
	T_EQ_INT(store_result_put(st, run, &b, &err), 0);
	T_EQ_INT(store_result_put(st, run, &a, &err), 0);
	T_EQ_INT(store_result_put(st, run, &b, &err), 0);
	store_close(st);
	T_EQ_INT(q1_long(path, "SELECT count(*) FROM results"), 1);
	T_ASSERT(q1_is(path, "SELECT quote(error_kind)||pass FROM results", "NULL1"));
	T_EQ_INT(q1_long(path, "SELECT count(*) FROM assertion_results"), 2);
	T_EQ_INT(q1_long(path, "SELECT count(*) FROM assertion_results a"
			       " LEFT JOIN results r ON r.id=a.result_id"
			       " WHERE r.id IS NULL"), 0);
	response_cleanup(&bad);
	response_cleanup(&good);
	tfx_grade_free(&g);
	tfx_suite_free(s);
	free(path);
	tfx_rmdir(dir);
}

TEST(store_open_refuses_newer_schema_and_bad_path)
{
	char *dir = tfx_tmpdir();
	char *path = xasprintf("%s/v.db", dir);
	char *cmd;
	struct store *st = NULL;
	struct err err = {0};
	T_EQ_INT(store_open(path, &st, &err), 0);
	store_close(st);
	st = NULL;
	/* Reopening an existing store works and does not add a version row. */
	T_EQ_INT(store_open(path, &st, &err), 0);
	store_close(st);
	st = NULL;
	T_ASSERT(q1_is(path, "SELECT count(*) FROM schema_version", "1"));
	cmd = xasprintf("sqlite3 '%s' 'UPDATE schema_version SET version=99'", path);
	if (system(cmd) == 0) {
		T_ASSERT(store_open(path, &st, &err) != 0);
		T_ASSERT(st == NULL);
		T_ASSERT(strstr(err.msg, "newer") != NULL);
	}
	free(cmd);
	err_clear(&err);
	T_ASSERT(store_open("", &st, &err) != 0);
	free(path);
	tfx_rmdir(dir);
}

STORE_TEST(store_20000_puts_all_stored)
{
	char *dir = tfx_tmpdir();
	char *path = tfx_db(dir, "p.db");
	struct suite *s = tfx_suite(20000, 1);
	struct store *st = NULL;
	struct err err = {0};
	struct response r;
	struct grade g;
	int64_t run;
	/* Every put stored across many batches; the speed is printed for
	 * reference only (the target is checked by bench/run.sh, never by a
	 * timed test on a shared machine). */
	double t0, dt;
	T_EQ_INT(store_open(path, &st, &err), 0);
	T_EQ_INT(store_run_begin(st, s, NULL, 1, &run, &err), 0);
	ok_response(&r, "a typical short model answer of a few dozen bytes", 42);
	tfx_grade(&g, &s->tests[0], true, 1, "{\"acc\":1}");
	t0 = fs_mono_ms();
	for (size_t i = 0; i < 20000; i++) {
		struct result_rec rec = { i, 0, 0, 0, "Answer: question", &r, &g,
					  fs_now_ms(), 0, 0, 0 };
		if (store_result_put(st, run, &rec, &err)) {
			T_ASSERT(!"put failed");
		}
	}
	T_EQ_INT(store_run_end(st, run, "done", &err), 0);
	dt = (fs_mono_ms() - t0) / 1000.0;
	printf("  20000 puts (with 2 assertion rows each): %.3f s\n", dt);
	store_close(st);
	T_EQ_INT(q1_long(path, "SELECT count(*) FROM results"), 20000);
	T_EQ_INT(q1_long(path, "SELECT count(*) FROM assertion_results"), 40000);
	response_cleanup(&r);
	tfx_grade_free(&g);
	tfx_suite_free(s);
	free(path);
	tfx_rmdir(dir);
}

STORE_TEST(store_result_state_and_cache)
{
	char *dir = tfx_tmpdir();
	char *path = tfx_db(dir, "c.db");
	struct suite *s = tfx_suite(2, 1);
	struct store *st = NULL;
	struct err err = {0};
	struct response ok, bad;
	int64_t run;
	int state = -1;
	char *got = NULL;
	T_EQ_INT(store_open(path, &st, &err), 0);
	T_EQ_INT(store_run_begin(st, s, NULL, 1, &run, &err), 0);
	ok_response(&ok, "yes", 3);
	response_init(&bad);
	bad.error = RESP_ERR_CONNECT;
	struct result_rec a = { 0, 0, 0, 0, "p", &ok, NULL, 0, 0, 0, 0 };
	struct result_rec b = { 1, 0, 0, 0, "p", &bad, NULL, 0, 0, 0, 0 };
	T_EQ_INT(store_result_put(st, run, &a, &err), 0);
	T_EQ_INT(store_result_put(st, run, &b, &err), 0);
	T_EQ_INT(store_result_state(st, run, 0, 0, 0, 0, &state, &err), 0);
	T_EQ_INT(state, 1);
	T_EQ_INT(store_result_state(st, run, 1, 0, 0, 0, &state, &err), 0);
	T_EQ_INT(state, 2);
	T_EQ_INT(store_result_state(st, run, 1, 1, 0, 0, &state, &err), 0);
	T_EQ_INT(state, 0);
	T_EQ_INT(store_cache_get(st, "h1", &got, &err), 0);
	T_ASSERT(got == NULL);
	T_EQ_INT(store_cache_put(st, "h1", "openai:chat:x", "{\"m\":1}", "{\"r\":1}", &err), 0);
	T_EQ_INT(store_cache_put(st, "h1", "openai:chat:x", "{\"m\":1}", "{\"r\":2}", &err), 0);
	T_EQ_INT(store_cache_get(st, "h1", &got, &err), 0);
	T_EQ_STR(got, "{\"r\":2}");
	free(got);
	store_close(st);
	T_EQ_INT(q1_long(path, "SELECT count(*) FROM cache"), 1);
	response_cleanup(&ok);
	response_cleanup(&bad);
	tfx_suite_free(s);
	free(path);
	tfx_rmdir(dir);
}

/* A version-1 database (before retry waits and judge accounting) gains the
 * new columns when opened. */
TEST(store_migrates_schema_v1)
{
	const char *path = "build-store-migrate.db";
	struct store *st = NULL;
	struct err e;
	sqlite3 *db;
	sqlite3_stmt *q;
	int cols = 0;
	remove(path);
	err_clear(&e);
	/* Make a version-1 file: today's schema minus the version-2 columns. */
	T_EQ_INT(store_open(path, &st, &e), 0);
	store_close(st);
	T_EQ_INT(sqlite3_open(path, &db), SQLITE_OK);
	T_EQ_INT(sqlite3_exec(db,
		"ALTER TABLE results DROP COLUMN retry_wait_ms;"
		"ALTER TABLE results DROP COLUMN judge_calls;"
		"ALTER TABLE results DROP COLUMN judge_cost_usd;"
		"ALTER TABLE results DROP COLUMN judge_latency_ms;"
		"ALTER TABLE results DROP COLUMN confidence;"
		"ALTER TABLE assertion_results DROP COLUMN severity;"
		"DELETE FROM schema_version; INSERT INTO schema_version VALUES (1);",
		NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	T_EQ_INT(store_open(path, &st, &e), 0);
	store_close(st);
	T_EQ_INT(sqlite3_open(path, &db), SQLITE_OK);
	T_EQ_INT(sqlite3_prepare_v2(db, "SELECT count(*) FROM pragma_table_info('results') WHERE name IN "
				    "('retry_wait_ms','judge_calls','judge_cost_usd','judge_latency_ms',"
				    "'confidence') UNION ALL SELECT count(*) FROM "
				    "pragma_table_info('assertion_results') WHERE name = 'severity'",
				    -1, &q, NULL), SQLITE_OK);
	while (sqlite3_step(q) == SQLITE_ROW)
		cols += sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	T_EQ_INT(sqlite3_prepare_v2(db, "SELECT max(version) FROM schema_version", -1, &q, NULL), SQLITE_OK);
	T_EQ_INT(sqlite3_step(q), SQLITE_ROW);
	T_EQ_INT(sqlite3_column_int(q, 0), 5);
	sqlite3_finalize(q);
	sqlite3_close(db);
	remove(path);
	T_EQ_INT(cols, 6);
}

/* A version-2 database written before results.confidence and
 * assertion_results.severity gains them when opened, and takes puts. */
TEST(store_adds_v2_nullable_columns)
{
	const char *path = "build-store-migrate-v2.db";
	struct store *st = NULL;
	struct err e;
	sqlite3 *db;
	remove(path);
	err_clear(&e);
	T_EQ_INT(store_open(path, &st, &e), 0);
	store_close(st);
	T_EQ_INT(sqlite3_open(path, &db), SQLITE_OK);
	T_EQ_INT(sqlite3_exec(db,
		"ALTER TABLE results DROP COLUMN confidence;"
		"ALTER TABLE assertion_results DROP COLUMN severity;"
		"DELETE FROM schema_version; INSERT INTO schema_version VALUES (2);",
		NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	T_ASSERT(q1_is(path, "SELECT count(*) FROM pragma_table_info('results')"
			     " WHERE name = 'confidence'", "0"));
	T_EQ_INT(store_open(path, &st, &e), 0);
	store_close(st);
	T_ASSERT(q1_is(path, "SELECT (SELECT count(*) FROM pragma_table_info('results')"
			     " WHERE name = 'confidence') + (SELECT count(*) FROM"
			     " pragma_table_info('assertion_results') WHERE name ="
			     " 'severity')", "2"));
	T_ASSERT(q1_is(path, "SELECT max(version) FROM schema_version", "5"));
	remove(path);
	remove("build-store-migrate-v2.db-wal");
	remove("build-store-migrate-v2.db-shm");
}

TEST(store_open_existing_refuses_a_missing_database)
{
	struct store *st = (struct store *)1;
	struct err err = {0};
	T_EQ_INT(store_open_existing("/nonexistent/dir/assay.db", &st, &err), ST_IO);
	T_ASSERT(st == NULL);
	T_ASSERT(strstr(err.msg, "no database at /nonexistent/dir/assay.db (use --db PATH, or set ASSAY_DB") != NULL);
	/* and it creates nothing */
	T_ASSERT(access("/nonexistent/dir", F_OK) != 0);
}
