/* test_store_read.c — the store's read API (runs, cases, results streamed,
 * assertion rows, groups, listing, references, deletion), run records and
 * content keys, the v2 → v3 migration, a killed run read as interrupted,
 * and a foreign write lock held past the busy timeout. */
#include "t.h"
#include "tpg.h"

#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../src/store/store.h"
#include "../../src/suite/suite.h"
#include "../../src/util/hash.h"
#include "../../src/util/xalloc.h"

struct suite *tfx_suite(size_t n_tests, size_t n_providers);
void tfx_suite_free(struct suite *s);
char *tfx_tmpdir(void);
void tfx_rmdir(char *dir);
void tfx_grade(struct grade *g, const struct test_case *tc, bool pass,
	       double score, const char *metric_json);
void tfx_grade_free(struct grade *g);

static void resp_ok(struct response *r, const char *out, double lat)
{
	response_init(r);
	r->output = xstrdup(out);
	r->http_status = 200;
	r->latency_ms = lat;
	r->prompt_tokens = 10;
	r->completion_tokens = 2;
	r->total_tokens = 12;
	r->cost_usd = 0.001;
}

/* A run of s with every item stored: case i passes when i is even; case 2
 * of provider 1 is an infrastructure error. */
static int64_t fill_run(struct store *st, struct suite *s, const char *label)
{
	struct store_run_meta m = { .label = label, .repeat = 1,
				    .config_json = "{\"concurrency\":4,\"apiKey\":\"sk-x\"}",
				    .git_commit = "abc123" };
	struct err err = {0};
	int64_t run = 0;
	if (store_run_begin_meta(st, s, &m, &run, &err))
		return 0;
	for (size_t t = 0; t < s->n_tests; t++)
		for (size_t v = 0; v < s->n_providers; v++) {
			struct response r;
			struct grade g;
			struct result_rec rec = { t, 0, v, 0, "p", &r, &g, 0, 0, 0, 0 };
			bool err_item = t == 2 && v == 1;
			resp_ok(&r, t % 2 ? "no" : "yes", 100.0 + (double)t);
			if (err_item) {
				r.error = RESP_ERR_TIMEOUT;
				r.error_msg = xstrdup("slow");
			}
			tfx_grade(&g, &s->tests[t], t % 2 == 0, t % 2 ? 0 : 1, NULL);
			store_result_put(st, run, &rec, &err);
			tfx_grade_free(&g);
			response_cleanup(&r);
		}
	store_run_end(st, run, "done", &err);
	return run;
}

struct seen {
	long n, passes, errors, asserts;
	size_t last_case;
	bool ordered, keys;
	struct store *st;
};

static int on_assert(void *ud, const struct store_assert *a)
{
	struct seen *s = ud;
	s->asserts += a->type != NULL;
	return 0;
}

static int on_result(void *ud, const struct store_result *r)
{
	struct seen *s = ud;
	struct err err = {0};
	if (s->n && r->case_idx < s->last_case)
		s->ordered = false;
	s->last_case = r->case_idx;
	s->n++;
	s->passes += r->pass == 1;
	s->errors += r->error_kind != NULL;
	if (!r->item_key || strlen(r->item_key) != 64)
		s->keys = false;
	return store_asserts_each(s->st, r->id, on_assert, s, &err);
}

static int on_group(void *ud, const struct store_group *g)
{
	long *sum = ud;
	sum[0] += g->n;
	sum[1] += g->passes;
	sum[2] += g->errors;
	return 0;
}

static int count_run(void *ud, const struct store_run *r)
{
	(void)r;
	++*(long *)ud;
	return 0;
}

STORE_TEST(store_read_api_walks_results_groups_and_runs)
{
	char *dir = tfx_tmpdir();
	char *path = tfx_db(dir, "a.db");
	struct suite *s = tfx_suite(4, 2);
	struct store *st = NULL;
	struct err err = {0};
	struct store_run run;
	struct seen seen = { .ordered = true, .keys = true };
	long sums[3] = {0}, nruns = 0;
	int64_t r1, r2, id = 0;
	double *lat = NULL;
	size_t n_lat = 0;
	T_EQ_INT(store_open(path, &st, &err), 0);
	seen.st = st;
	r1 = fill_run(st, s, "base");
	r2 = fill_run(st, s, "new");
	T_ASSERT(r1 > 0 && r2 > r1);
	T_EQ_INT(store_results_each(st, r1, on_result, &seen, &err), 0);
	T_EQ_INT(seen.n, 8);
	T_EQ_INT(seen.passes, 3);   /* cases 0, 2 × 2 providers, minus the error */
	T_EQ_INT(seen.errors, 1);
	T_EQ_INT(seen.asserts, 7 * 2); /* two assertion rows per graded result */
	T_ASSERT(seen.ordered);
	T_ASSERT(seen.keys);
	T_EQ_INT(store_groups_each(st, r1, on_group, sums, &err), 0);
	T_EQ_INT(sums[0], 8);
	T_EQ_INT(sums[1], 3);
	T_EQ_INT(sums[2], 1);
	T_EQ_INT(store_group_latencies(st, r1, 0, 0, &lat, &n_lat, &err), 0);
	T_EQ_INT((long)n_lat, 4);
	T_ASSERT(lat && lat[0] == 100.0 && lat[3] == 103.0);
	free(lat);
	/* the run record */
	T_EQ_INT(store_run_get(st, r1, &run, &err), 0);
	T_EQ_STR(run.status, "done");
	T_EQ_STR(run.label, "base");
	T_EQ_STR(run.git_commit, "abc123");
	T_ASSERT(run.suite_hash && strlen(run.suite_hash) == 64);
	T_ASSERT(run.config_json && strstr(run.config_json, "concurrency") &&
		 !strstr(run.config_json, "sk-x"));
	T_ASSERT(run.host != NULL);
	T_EQ_INT(run.n_results, 8);
	T_EQ_INT(run.n_errors, 1);
	T_EQ_INT(run.pid, -1);  /* cleared at the end */
	store_run_free(&run);
	/* references */
	T_EQ_INT(store_resolve_run(st, "label:base", &id, &err), 0);
	T_EQ_INT(id, r1);
	T_EQ_INT(store_resolve_run(st, "latest", &id, &err), 0);
	T_EQ_INT(id, r2);
	T_EQ_INT(store_resolve_run(st, "latest~1", &id, &err), 0);
	T_EQ_INT(id, r1);
	T_ASSERT(store_resolve_run(st, "label:nope", &id, &err) != 0);
	T_ASSERT(strstr(err.msg, "no run labelled 'nope'") != NULL);
	T_ASSERT(store_resolve_run(st, "latest~x", &id, &err) == ST_USAGE);
	T_EQ_INT(store_runs_each(st, 0, count_run, &nruns, &err), 0);
	T_EQ_INT(nruns, 2);
	/* deletion */
	T_EQ_INT(store_run_delete(st, r1, &err), 0);
	T_ASSERT(store_run_get(st, r1, &run, &err) != 0);
	T_ASSERT(store_run_delete(st, r1, &err) != 0);
	nruns = 0;
	T_EQ_INT(store_runs_each(st, 0, count_run, &nruns, &err), 0);
	T_EQ_INT(nruns, 1);
	store_close(st);
	tfx_suite_free(s);
	free(path);
	tfx_rmdir(dir);
}

/* Keys come from content: the same case in another position has the same
 * key; a changed assertion or var changes it; a user id keeps it. */
TEST(store_keys_follow_content_not_position)
{
	struct suite *a = tfx_suite(3, 2), *b = tfx_suite(3, 2);
	struct store_keys *ka, *kb;
	char x[65], y[65];
	/* b: cases 0 and 2 swapped */
	struct test_case tmp = b->tests[0];
	b->tests[0] = b->tests[2];
	b->tests[2] = tmp;
	ka = store_keys_new(a);
	kb = store_keys_new(b);
	T_EQ_STR(store_keys_case(ka, 0), store_keys_case(kb, 2));
	T_ASSERT(strcmp(store_keys_case(ka, 0), store_keys_case(ka, 1)) != 0);
	store_keys_item(ka, 0, 1, 1, 0, x);
	store_keys_item(kb, 2, 1, 1, 0, y);
	T_EQ_STR(x, y);
	store_keys_item(ka, 0, 1, 1, 1, y);
	T_ASSERT(strcmp(x, y) != 0);       /* repeat index counts */
	store_keys_item(ka, 0, 0, 1, 0, y);
	T_ASSERT(strcmp(x, y) != 0);       /* prompt counts */
	store_keys_item(ka, 0, 1, 0, 0, y);
	T_ASSERT(strcmp(x, y) != 0);       /* provider counts */
	/* the suite hash is over the suite as run: order counts */
	T_ASSERT(strcmp(store_keys_suite(ka), store_keys_suite(kb)) != 0);
	store_keys_free(kb);
	/* an edited assertion value changes the case; an API key does not */
	json_decref(b->tests[2].asserts[0].value);
	b->tests[2].asserts[0].value = json_string("other");
	json_object_set_new(b->providers[0].config, "apiKey", json_string("sk-new"));
	kb = store_keys_new(b);
	T_ASSERT(strcmp(store_keys_case(ka, 0), store_keys_case(kb, 2)) != 0);
	T_EQ_STR(store_keys_provider(ka, 0), store_keys_provider(kb, 0));
	json_object_set_new(b->providers[0].config, "temperature", json_real(0.9));
	store_keys_free(kb);
	kb = store_keys_new(b);
	T_ASSERT(strcmp(store_keys_provider(ka, 0), store_keys_provider(kb, 0)) != 0);
	store_keys_free(kb);
	/* with a user id the edited case keeps its key, its hash changes */
	json_object_set_new(a->tests[0].metadata, "id", json_string("refund-1"));
	json_object_set_new(b->tests[2].metadata, "id", json_string("refund-1"));
	store_keys_free(ka);
	ka = store_keys_new(a);
	kb = store_keys_new(b);
	T_EQ_STR(store_keys_case(ka, 0), store_keys_case(kb, 2));
	T_ASSERT(strcmp(store_keys_case_hash(ka, 0), store_keys_case_hash(kb, 2)) != 0);
	store_keys_free(ka);
	store_keys_free(kb);
	tfx_suite_free(a);
	tfx_suite_free(b);
}

/* A version-2 file with a run gains the v3 columns and index, keeps its
 * rows, and reads back (keys NULL, an unfinished old run interrupted). */
TEST(store_migrates_schema_v2_to_v3)
{
	char *dir = tfx_tmpdir();
	char *path = xasprintf("%s/v2.db", dir);
	struct suite *s = tfx_suite(2, 1);
	struct store *st = NULL;
	struct err err = {0};
	struct store_run run;
	struct seen seen = { .ordered = true, .keys = true };
	sqlite3 *db;
	sqlite3_stmt *q;
	int64_t r1;
	int v = 0, cols = 0;
	T_EQ_INT(store_open(path, &st, &err), 0);
	r1 = fill_run(st, s, NULL);
	store_close(st);
	T_EQ_INT(sqlite3_open(path, &db), SQLITE_OK);
	T_EQ_INT(sqlite3_exec(db,
		"ALTER TABLE runs DROP COLUMN label; ALTER TABLE runs DROP COLUMN suite_hash;"
		"ALTER TABLE runs DROP COLUMN config_json; ALTER TABLE runs DROP COLUMN git_commit;"
		"ALTER TABLE runs DROP COLUMN host; ALTER TABLE runs DROP COLUMN pid;"
		"ALTER TABLE runs DROP COLUMN heartbeat_ms;"
		"ALTER TABLE cases DROP COLUMN case_key; ALTER TABLE cases DROP COLUMN case_hash;"
		"ALTER TABLE results DROP COLUMN item_key;"
		"ALTER TABLE run_providers DROP COLUMN provider_key;"
		"UPDATE runs SET status = 'running', finished_at = NULL;"
		"DELETE FROM schema_version; INSERT INTO schema_version VALUES (2);",
		NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	T_EQ_INT(store_open(path, &st, &err), 0);
	seen.st = st;
	T_EQ_INT(store_run_get(st, r1, &run, &err), 0);
	T_EQ_STR(run.status, "interrupted"); /* running, no pid, no heartbeat */
	T_ASSERT(run.label == NULL && run.suite_hash == NULL);
	T_EQ_INT(run.n_results, 2);
	store_run_free(&run);
	T_EQ_INT(store_results_each(st, r1, on_result, &seen, &err), 0);
	T_EQ_INT(seen.n, 2);
	T_ASSERT(!seen.keys); /* old rows have no keys */
	/* and new runs work in the migrated file */
	T_ASSERT(fill_run(st, s, "after") > r1);
	store_close(st);
	T_EQ_INT(sqlite3_open(path, &db), SQLITE_OK);
	T_EQ_INT(sqlite3_prepare_v2(db, "SELECT max(version) FROM schema_version", -1, &q, NULL), SQLITE_OK);
	T_EQ_INT(sqlite3_step(q), SQLITE_ROW);
	v = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	T_EQ_INT(sqlite3_prepare_v2(db, "SELECT (SELECT count(*) FROM pragma_table_info('runs')"
				    " WHERE name IN ('label','suite_hash','config_json','git_commit',"
				    "'host','pid','heartbeat_ms')) + (SELECT count(*) FROM"
				    " pragma_table_info('cases') WHERE name IN ('case_key','case_hash'))"
				    " + (SELECT count(*) FROM pragma_table_info('run_providers')"
				    " WHERE name = 'provider_key')"
				    " + (SELECT count(*) FROM pragma_index_list('results') WHERE"
				    " name = 'results_by_key')", -1, &q, NULL), SQLITE_OK);
	T_EQ_INT(sqlite3_step(q), SQLITE_ROW);
	cols = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
	T_EQ_INT(v, 5);
	T_EQ_INT(cols, 10); /* the item-key index is gone since version 5 */
	tfx_suite_free(s);
	free(path);
	tfx_rmdir(dir);
}

/* A version-4 file keeps its rows and loses the index on item keys
 * (version 5: no query used it, and it cost the writer a page per row). */
TEST(store_migrates_schema_v4_to_v5_drops_item_key_index)
{
	char *dir = tfx_tmpdir();
	char *path = xasprintf("%s/v4.db", dir);
	struct suite *s = tfx_suite(2, 1);
	struct store *st = NULL;
	struct err err = {0};
	struct store_run run;
	sqlite3 *db;
	sqlite3_stmt *q;
	int64_t r1;
	T_EQ_INT(store_open(path, &st, &err), 0);
	r1 = fill_run(st, s, NULL);
	store_close(st);
	T_EQ_INT(sqlite3_open(path, &db), SQLITE_OK);
	T_EQ_INT(sqlite3_exec(db,
		"CREATE INDEX results_by_key ON results (run_id, item_key);"
		"DELETE FROM schema_version; INSERT INTO schema_version VALUES (4);",
		NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	T_EQ_INT(store_open(path, &st, &err), 0);
	T_EQ_INT(store_run_get(st, r1, &run, &err), 0);
	T_EQ_INT(run.n_results, 2);
	store_run_free(&run);
	store_close(st);
	T_EQ_INT(sqlite3_open(path, &db), SQLITE_OK);
	T_EQ_INT(sqlite3_prepare_v2(db, "SELECT (SELECT max(version) FROM schema_version),"
				    " (SELECT count(*) FROM pragma_index_list('results')"
				    " WHERE name = 'results_by_key')", -1, &q, NULL), SQLITE_OK);
	T_EQ_INT(sqlite3_step(q), SQLITE_ROW);
	T_EQ_INT(sqlite3_column_int(q, 0), 5);
	T_EQ_INT(sqlite3_column_int(q, 1), 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
	tfx_suite_free(s);
	free(path);
	tfx_rmdir(dir);
}

/* A run whose process died (kill -9) reads as interrupted at once: its
 * pid is gone on this host. */
STORE_TEST(store_killed_run_reads_interrupted)
{
	char *dir = tfx_tmpdir();
	char *path = tfx_db(dir, "k.db");
	struct suite *s = tfx_suite(2, 1);
	struct store *st = NULL;
	struct err err = {0};
	struct store_run run;
	int64_t id = 0;
	pid_t pid = fork();
	int status;
	if (pid == 0) {
		struct store_run_meta m = { .repeat = 1 };
		if (store_open(path, &st, &err) ||
		    store_run_begin_meta(st, s, &m, &id, &err))
			_exit(3);
		kill(getpid(), SIGKILL);
		_exit(4);
	}
	T_ASSERT(pid > 0);
	waitpid(pid, &status, 0);
	T_ASSERT(WIFSIGNALED(status));
	T_EQ_INT(store_open(path, &st, &err), 0);
	T_EQ_INT(store_resolve_run(st, "latest", &id, &err), 0);
	T_EQ_INT(store_run_get(st, id, &run, &err), 0);
	T_EQ_STR(run.status, "interrupted");
	T_ASSERT(run.finished_at == NULL);
	store_run_free(&run);
	/* while this process writes a run, it reads as running */
	{
		struct store_run_meta m = { .repeat = 1 };
		T_EQ_INT(store_run_begin_meta(st, s, &m, &id, &err), 0);
		T_EQ_INT(store_run_get(st, id, &run, &err), 0);
		T_EQ_STR(run.status, "running");
		store_run_free(&run);
	}
	store_close(st);
	tfx_suite_free(s);
	free(path);
	tfx_rmdir(dir);
}

/* Another process holds the write lock for longer than the busy timeout:
 * the puts and the commit wait and succeed; nothing is lost. */
TEST(store_waits_out_a_foreign_write_lock)
{
	char *dir = tfx_tmpdir();
	char *path = xasprintf("%s/l.db", dir);
	struct suite *s = tfx_suite(30, 1);
	struct store *st = NULL;
	struct err err = {0};
	struct store_run run;
	struct store_run_meta m = { .repeat = 1 };
	int64_t id = 0;
	int fds[2], status;
	char c;
	pid_t pid;
	T_EQ_INT(store_open(path, &st, &err), 0);
	store_set_busy_timeout(st, 50);
	T_EQ_INT(store_run_begin_meta(st, s, &m, &id, &err), 0);
	T_EQ_INT(pipe(fds), 0);
	pid = fork();
	if (pid == 0) {
		sqlite3 *db;
		close(fds[0]);
		if (sqlite3_open(path, &db) != SQLITE_OK ||
		    sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
			_exit(3);
		if (write(fds[1], "x", 1) != 1)
			_exit(3);
		usleep(600 * 1000); /* 12 busy timeouts */
		sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
		sqlite3_close(db);
		_exit(0);
	}
	close(fds[1]);
	T_EQ_INT((int)read(fds[0], &c, 1), 1);
	close(fds[0]);
	for (size_t t = 0; t < s->n_tests; t++) {
		struct response r;
		struct grade g;
		struct result_rec rec = { t, 0, 0, 0, "p", &r, &g, 0, 0, 0, 0 };
		resp_ok(&r, "yes", 5);
		tfx_grade(&g, &s->tests[t], true, 1, NULL);
		T_EQ_INT(store_result_put(st, id, &rec, &err), 0);
		tfx_grade_free(&g);
		response_cleanup(&r);
	}
	T_EQ_INT(store_run_end(st, id, "done", &err), 0);
	waitpid(pid, &status, 0);
	T_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	T_EQ_INT(store_run_get(st, id, &run, &err), 0);
	T_EQ_INT(run.n_results, 30);
	T_EQ_STR(run.status, "done");
	store_run_free(&run);
	store_close(st);
	tfx_suite_free(s);
	free(path);
	tfx_rmdir(dir);
}

/* ------------------------------------------- reads for the statistics */

struct figs {
	long n, errors, passes, with_output, sev5, unrated;
	bool ordered, outputs_ok;
	size_t last_prov, last_case;
};

/* STORE_FIG_CASE_ORDER's walk: the case order overall, and each
 * provider's rows in case order (tested for up to 8 providers) */
struct figs_by_case {
	long n, per_prov[8];
	bool case_order, prov_order;
	size_t last_case, last_of[8];
};

static int on_figures_by_case(void *ud, const struct store_figures *f)
{
	struct figs_by_case *s = ud;
	size_t p = f->provider_idx < 8 ? f->provider_idx : 7;
	if (s->n && f->case_idx < s->last_case)
		s->case_order = false;
	if (s->per_prov[p] && f->case_idx < s->last_of[p])
		s->prov_order = false;
	s->last_case = f->case_idx;
	s->last_of[p] = f->case_idx;
	s->per_prov[p]++;
	s->n++;
	return 0;
}

static int on_figures(void *ud, const struct store_figures *f)
{
	struct figs *s = ud;
	if (s->n && (f->provider_idx < s->last_prov ||
		     (f->provider_idx == s->last_prov &&
		      f->case_idx < s->last_case)))
		s->ordered = false;
	s->last_prov = f->provider_idx;
	s->last_case = f->case_idx;
	s->n++;
	s->errors += f->error == 1;
	s->passes += f->pass == 1;
	if (f->output) {
		s->with_output++;
		if (strcmp(f->output, f->case_idx % 2 ? "no" : "yes") ||
		    f->output_len != strlen(f->output))
			s->outputs_ok = false;
	}
	if (f->error == 0 && (f->latency_ms != 100.0 + (double)f->case_idx ||
			      f->prompt_tokens != 10 || f->retries != 0))
		s->outputs_ok = false;
	s->sev5 += f->fail_severity == 5.0;
	s->unrated += f->fail_unrated > 0;
	return 0;
}

struct afail { char names[256]; long fails[8], total[8]; int n; };

static int on_afail(void *ud, size_t prov, size_t prompt, const char *type,
		    const char *metric, long fails, long total)
{
	struct afail *a = ud;
	char one[64];
	snprintf(one, sizeof one, "%zu/%zu:%s:%s ", prov, prompt, type,
		 metric ? metric : "-");
	strncat(a->names, one, sizeof a->names - strlen(a->names) - 1);
	if (a->n < 8) {
		a->fails[a->n] = fails;
		a->total[a->n] = total;
	}
	a->n++;
	return 0;
}

/* store_figures_each streams in candidate order with the outputs and the
 * failing assertions' severities on request; store_run_has_severity and
 * store_assert_fails_each count what report_stats_load.c needs. */
STORE_TEST(store_figures_and_assert_fails_for_statistics)
{
	char *dir = tfx_tmpdir();
	char *path = tfx_db(dir, "f.db");
	struct suite *s = tfx_suite(4, 2);
	struct store *st = NULL;
	struct err err = {0};
	struct figs a = { .ordered = true, .outputs_ok = true };
	struct figs b = { .ordered = true, .outputs_ok = true };
	struct afail af = { .n = 0 };
	bool any = true;
	int64_t r1, r2;
	T_EQ_INT(store_open(path, &st, &err), 0);
	r1 = fill_run(st, s, "plain");
	T_ASSERT(r1 > 0);
	T_EQ_INT(store_run_has_severity(st, r1, &any, &err), 0);
	T_ASSERT(!any);
	T_EQ_INT(store_figures_each(st, r1, 0, on_figures, &a, &err), 0);
	T_EQ_INT(a.n, 8);
	T_EQ_INT(a.errors, 1);
	T_EQ_INT(a.passes, 3);
	T_EQ_INT(a.with_output, 0);   /* not asked for */
	T_EQ_INT(a.sev5 + a.unrated, 0);
	T_ASSERT(a.ordered && a.outputs_ok);
	memset(&a, 0, sizeof a);
	a.ordered = a.outputs_ok = true;
	T_EQ_INT(store_figures_each(st, r1, STORE_FIG_OUTPUT, on_figures, &a,
				    &err), 0);
	T_EQ_INT(a.with_output, 8);   /* the error row still has "yes" */
	T_ASSERT(a.outputs_ok);
	{
		struct figs_by_case c = { .case_order = true, .prov_order = true };
		T_EQ_INT(store_figures_each(st, r1, STORE_FIG_CASE_ORDER,
					    on_figures_by_case, &c, &err), 0);
		T_EQ_INT(c.n, 8);
		T_EQ_INT(c.per_prov[0], 4);
		T_EQ_INT(c.per_prov[1], 4);
		T_ASSERT(c.case_order && c.prov_order);
	}

	/* provider 0: cases 1 and 3 fail "contains" (of 4); provider 1: the
	 * same two of 3 graded (case 2 is an error, without rows) */
	T_EQ_INT(store_assert_fails_each(st, r1, on_afail, &af, &err), 0);
	T_EQ_STR(af.names, "0/0:contains:acc 0/0:not-regex:- "
			   "1/0:contains:acc 1/0:not-regex:- ");
	T_EQ_INT(af.fails[0], 2);
	T_EQ_INT(af.total[0], 4);
	T_EQ_INT(af.fails[1], 0);
	T_EQ_INT(af.fails[2], 2);
	T_EQ_INT(af.total[2], 3);

	/* case 1's failing assertion weighs 5; case 3's has none */
	s->tests[1].asserts[0].has_severity = true;
	s->tests[1].asserts[0].severity = 5;
	r2 = fill_run(st, s, "severe");
	T_EQ_INT(store_run_has_severity(st, r2, &any, &err), 0);
	T_ASSERT(any);
	/* the same answers from the failure counts' walk (rs_load's) */
	{
		struct afail af2 = { .n = 0 };
		bool sev = false;
		T_EQ_INT(store_assert_fails_sev_each(st, r2, on_afail, &af2, &sev,
						     &err), 0);
		T_ASSERT(sev);
		T_EQ_INT(af2.fails[0], 2);
		memset(&af2, 0, sizeof af2);
		sev = true;
		T_EQ_INT(store_assert_fails_sev_each(st, r1, on_afail, &af2, &sev,
						     &err), 0);
		T_ASSERT(!sev);
		T_EQ_STR(af2.names, af.names);
	}
	T_EQ_INT(store_figures_each(st, r2, STORE_FIG_SEVERITY, on_figures, &b,
				    &err), 0);
	T_EQ_INT(b.sev5, 2);     /* case 1 under both providers */
	T_EQ_INT(b.unrated, 2);  /* case 3 under both */
	store_close(st);
	tfx_suite_free(s);
	free(path);
	tfx_rmdir(dir);
}

/* The suite hash is SHA-256 over the compact JSON array of the case,
 * prompt and provider hashes, in that order (docs/storage.md).  Its text
 * is now written directly rather than through jansson: the same bytes, so
 * stored runs keep their suite hash.  Checked against jansson's dump of
 * the array, as the earlier code built it. */
TEST(store_keys_suite_hash_text_unchanged)
{
	struct suite *a = tfx_suite(5, 2);
	struct store_keys *k = store_keys_new(a);
	json_t *all = json_array();
	char *text, want[65];
	struct hash_part part;
	for (size_t i = 0; i < a->n_tests; i++)
		json_array_append_new(all, json_string(store_keys_case_hash(k, i)));
	for (size_t i = 0; i < a->n_prompts; i++) {
		char h[65];
		part = (struct hash_part){ a->prompts[i].raw,
					   strlen(a->prompts[i].raw) };
		hash_sha256_parts(&part, 1, h);
		json_array_append_new(all, json_string(h));
	}
	for (size_t i = 0; i < a->n_providers; i++)
		json_array_append_new(all, json_string(store_keys_provider(k, i)));
	text = json_dumps(all, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY |
			  JSON_REAL_PRECISION(17));
	part = (struct hash_part){ text, strlen(text) };
	hash_sha256_parts(&part, 1, want);
	T_EQ_STR(store_keys_suite(k), want);
	T_ASSERT(strlen(text) == 2 + (a->n_tests + a->n_prompts +
				      a->n_providers) * 67 - 1);
	free(text);
	json_decref(all);
	store_keys_free(k);
	tfx_suite_free(a);
}

/* The content keys are a stored definition (docs/storage.md, "Identity of
 * a case"): old runs pair with new ones only while the same case hashes
 * the same.  Pinned here for each shape a case hash covers — assertions
 * shared from defaultTest, weights, a structured value, a metric and an
 * assertion threshold, a judge with a secret in its config, a rubric, a
 * severity, the test's threshold, transform, judge and rubric, escapes
 * and non-ASCII text in vars, a user id — as schema 3 computed them
 * (jansson's sorted compact JSON of the whole case through SHA-256). */
TEST(store_keys_case_hashes_pinned)
{
	static const char yaml[] =
	"description: keys\n"
	"prompts: [\"Answer: {{q}}\"]\n"
	"providers: [echo]\n"
	"defaultTest:\n"
	"  assert:\n"
	"    - type: contains\n"
	"      value: \"{{a}}\"\n"
	"    - type: javascript\n"
	"      value: \"output.length < 100\"\n"
	"      weight: 0.5\n"
	"tests:\n"
	"  - vars: {q: \"what is \\\"2+2\\\"?\\n\\ttab\", a: \"4 — four ✓\"}\n"
	"  - vars: {q: plain, a: b}\n"
	"    threshold: 0.75\n"
	"    options:\n"
	"      transform: \"output.trim()\"\n"
	"    assert:\n"
	"      - type: equals\n"
	"        value: {k: [1, 2.5, \"x\"], b: true, n: null}\n"
	"        metric: acc\n"
	"        threshold: 0.3\n"
	"      - type: llm-rubric\n"
	"        value: \"is polite\"\n"
	"        provider:\n"
	"          id: openai:chat:gpt-4o-mini\n"
	"          config: {apiKey: sk-secret, temperature: 0}\n"
	"        rubricPrompt: \"Grade {{output}}\"\n"
	"  - vars: {q: \"third\", a: \"c\"}\n"
	"    metadata: {id: case-3}\n"
	"  - vars: {q: \"fourth\", a: \"d\"}\n"
	"    options:\n"
	"      provider: {id: openai:chat:judge, config: {apiKey: sk-other, max_tokens: 5}}\n"
	"      rubricPrompt: \"Judge {{output}} strictly\"\n"
	"    assert:\n"
	"      - type: llm-rubric\n"
	"        value: \"answers d\"\n"
	"        severity: 3\n"
	;
	static const char *const want[] = {
		"25b7d3ebc4689ed14d89ddd9868ed3f8b41550fe9bb827eaaa80b6a623f0e6f6",
		"ce148a58fd84d5ce2f2c06d275e8a8b902aa63eace0574d8c211250767a8e1bc",
		"ce462ede2c1994f8cfd494c688f8f1f66eedb83eabfe7cefb78d773e61844a91",
		"779ec601dbc2e0fd17470971558aaad526f6f55ad890953d5a22803d27e81d6b",
	};
	char *dir = tfx_tmpdir();
	char *path = xasprintf("%s/s.yaml", dir);
	FILE *f = fopen(path, "w");
	struct suite *s = NULL;
	struct store_keys *k;
	struct err err = {0};
	T_ASSERT(f != NULL);
	fputs(yaml, f);
	fclose(f);
	T_EQ_INT(suite_load(path, &s, &err), 0);
	T_EQ_INT((int)s->n_tests, 4);
	k = store_keys_new(s);
	for (size_t i = 0; i < 4; i++)
		T_EQ_STR(store_keys_case_hash(k, i), want[i]);
	/* the third test's key is its user id's hash; the others' are their hashes */
	T_EQ_STR(store_keys_case(k, 0), want[0]);
	T_EQ_STR(store_keys_case(k, 2),
		 "3d6675d87ce538bf5f5ec4a815606ea71596a4cef9d131bcec48095b369c50fc");
	store_keys_free(k);
	suite_free(s);
	free(path);
	tfx_rmdir(dir);
}

struct metric_seen {
	char text[256];
};

static int on_metric(void *ud, size_t provider_idx, size_t prompt_idx,
		     const char *metric, double mean, double sum)
{
	struct metric_seen *m = ud;
	size_t n = strlen(m->text);
	snprintf(m->text + n, sizeof m->text - n, "%zu/%zu %s=%.4g/%.4g;",
		 provider_idx, prompt_idx, metric, mean, sum);
	return 0;
}

/* The mean of each named metric per group (SQLite's json_each,
 * PostgreSQL's jsonb_each): numeric members only, keys in byte order,
 * ungraded (error) results left out.  Means worked by hand: provider 0,
 * cases 0–3 with acc 1, 0, 1, 0 → mean 0.5, sum 2; "Zeta" 2, 4, 6, 8 →
 * mean 5, sum 20 (the sums are what derivedMetrics use). */
STORE_TEST(store_group_metrics_means)
{
	char *dir = tfx_tmpdir();
	char *path = tfx_db(dir, "m.db");
	struct suite *s = tfx_suite(4, 1);
	struct store *st = NULL;
	struct err err = {0};
	struct metric_seen seen = { "" };
	int64_t run = 0;
	T_EQ_INT(store_open(path, &st, &err), 0);
	T_EQ_INT(store_run_begin(st, s, "metrics", 1, &run, &err), 0);
	for (size_t t = 0; t < 4; t++) {
		struct response r;
		struct grade g;
		struct result_rec rec = { t, 0, 0, 0, "p", &r, &g, 0, 0, 0, 0 };
		char named[128];
		snprintf(named, sizeof named,
			 "{\"acc\": %d, \"Zeta\": %d, \"note\": \"x\"}",
			 t % 2 ? 0 : 1, (int)(2 * t + 2));
		resp_ok(&r, "out", 10);
		tfx_grade(&g, &s->tests[t], t % 2 == 0, 1, named);
		T_EQ_INT(store_result_put(st, run, &rec, &err), 0);
		tfx_grade_free(&g);
		response_cleanup(&r);
	}
	T_EQ_INT(store_group_metrics_each(st, run, on_metric, &seen, &err), 0);
	T_EQ_STR(seen.text, "0/0 Zeta=5/20;0/0 acc=0.5/2;");
	store_close(st);
	tfx_suite_free(s);
	free(path);
	tfx_rmdir(dir);
}

/* store_run_get_brief is store_run_get without the counts (-1);
 * store_run_results_key gives the run's result count and highest id,
 * untouched by another run's results. */
STORE_TEST(store_run_brief_and_results_key)
{
	char *dir = tfx_tmpdir();
	char *path = tfx_db(dir, "k.db");
	struct suite *s = tfx_suite(4, 2);
	struct store *st = NULL;
	struct store_run full, brief;
	struct err err = {0};
	long n = 0, n2 = 0;
	int64_t r1, r2, max1 = 0, max1b = 0, max2 = 0;
	T_EQ_INT(store_open(path, &st, &err), 0);
	r1 = fill_run(st, s, "one");
	T_EQ_INT(store_run_get(st, r1, &full, &err), 0);
	T_EQ_INT(store_run_get_brief(st, r1, &brief, &err), 0);
	T_EQ_INT(full.n_results, 8);
	T_EQ_INT(full.n_errors, 1);
	T_EQ_INT(brief.n_results, -1);
	T_EQ_INT(brief.n_errors, -1);
	T_EQ_STR(brief.label, full.label);
	T_EQ_STR(brief.status, full.status);
	T_EQ_INT(brief.n_cases, full.n_cases);
	T_EQ_INT(store_run_results_key(st, r1, &n, &max1, &err), 0);
	T_EQ_INT(n, 8);
	T_ASSERT(max1 >= 8);
	r2 = fill_run(st, s, "two");
	T_EQ_INT(store_run_results_key(st, r1, &n, &max1b, &err), 0);
	T_EQ_INT(n, 8);
	T_EQ_INT(max1b, max1);
	T_EQ_INT(store_run_results_key(st, r2, &n2, &max2, &err), 0);
	T_EQ_INT(n2, 8);
	T_ASSERT(max2 > max1);
	store_run_free(&brief);
	T_ASSERT(store_run_get_brief(st, r2 + 1, &brief, &err) != 0);
	store_run_free(&full);
	store_run_free(&brief);
	store_close(st);
	tfx_suite_free(s);
	free(path);
	tfx_rmdir(dir);
}
