/* test_review_import.c — what fuzzing found in the review side: `assay
 * review import` (src/cmd_review_import.c) stores a file whole or not at
 * all — a line that the store would refuse (fuzz/review_import.c: a
 * grader name over 200 bytes) stops the file before its first grade is
 * stored, and a store failure half-way (a trigger that fails the third
 * insert, on SQLite and on PostgreSQL) leaves none stored; and the web
 * app's comparison of a run that does not exist
 * (fuzz/view_api.c) is a 404, not a comparison with an empty run. */
#include "t.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tpg.h"
#include "../../src/cmd_review.h"
#include "../../src/store/db.h"
#include "../../src/store/store_human.h"
#include "../../src/util/xalloc.h"
#include "../../src/view/view_int.h"

struct suite *tfx_suite(size_t n_tests, size_t n_providers);
void tfx_suite_free(struct suite *s);
char *tfx_tmpdir(void);
void tfx_rmdir(char *dir);
int64_t tfx_run(struct store *st, struct suite *s);

static int count(void *ud, const struct store_human_grade *g)
{
	(void)g;
	++*(long *)ud;
	return 0;
}

TEST(review_import_stores_nothing_when_a_line_is_refused_by_the_store)
{
	char *dir = tfx_tmpdir();
	char *db = xasprintf("%s/r.db", dir), *path = xasprintf("%s/g.jsonl", dir);
	struct suite *s = tfx_suite(2, 2);
	struct store *st = NULL;
	struct err err = {0};
	int64_t run = 0;
	long n = 0;
	char grader[260];
	FILE *f;
	T_ASSERT(store_open(db, &st, &err) == 0);
	T_ASSERT((run = tfx_run(st, s)) > 0);
	memset(grader, 'g', 250);
	grader[250] = 0;
	f = fopen(path, "w");
	T_ASSERT(f != NULL);
	fprintf(f, "{\"grader\": \"ann\", \"result_id\": 1, \"rating\": 4}\n"
		   "{\"grader\": \"%s\", \"result_id\": 2, \"rating\": 3}\n", grader);
	fclose(f);
	T_EQ_INT(review_import(st, "latest", path, &err), ST_INPUT);
	T_EQ_INT(err.line, 2);
	T_ASSERT(strstr(err.msg, "longer than 200") != NULL);
	T_ASSERT(store_human_list(st, run, count, &n, &err) == 0);
	T_EQ_INT(n, 0);   /* line 1 was stored before the fix */
	store_close(st);
	tfx_suite_free(s);
	free(db);
	free(path);
	tfx_rmdir(dir);
}

/* fuzz/corpus/review_import/regress-result-id-0: a result id of 0 (or
 * below) was returned as "no result" with no message written, so the
 * error printed an uninitialised buffer (ASan: stack-buffer-overflow). */
TEST(review_import_result_id_zero_is_a_located_error)
{
	char *dir = tfx_tmpdir();
	char *db = xasprintf("%s/r.db", dir), *path = xasprintf("%s/g.jsonl", dir);
	struct suite *s = tfx_suite(2, 2);
	struct store *st = NULL;
	struct err err = {0};
	int64_t run = 0;
	long n = 0;
	FILE *f;
	T_ASSERT(store_open(db, &st, &err) == 0);
	T_ASSERT((run = tfx_run(st, s)) > 0);
	f = fopen(path, "w");
	T_ASSERT(f != NULL);
	fprintf(f, "{\"grader\": \"ann\", \"result_id\": 1, \"rating\": 4}\n"
		   "{\"grader\": \"bob\", \"left\": -3, \"right\": 2,"
		   " \"preferred\": \"left\"}\n"
		   "{\"grader\": \"ann\", \"result_id\": 0, \"rating\": 3}\n");
	fclose(f);
	T_EQ_INT(review_import(st, "latest", path, &err), ST_INPUT);
	T_EQ_INT(err.line, 2);
	T_ASSERT(strstr(err.msg, "a result id is a positive integer, not -3") != NULL);
	T_ASSERT(store_human_list(st, run, count, &n, &err) == 0);
	T_EQ_INT(n, 0);
	store_close(st);
	tfx_suite_free(s);
	free(db);
	free(path);
	tfx_rmdir(dir);
}

/* A trigger that fails the insert of any grade by "bob": a store error
 * in the middle of an import (the statement fails, not a check). */
static const char *const fail_bob_sqlite =
	"CREATE TRIGGER fail_bob BEFORE INSERT ON human_grades"
	" WHEN NEW.grader = 'bob' BEGIN"
	" SELECT RAISE(ABORT, 'forced store failure'); END";
static const char *const fail_bob_pg =
	"CREATE FUNCTION fail_bob() RETURNS trigger AS $$ BEGIN"
	" RAISE EXCEPTION 'forced store failure'; END $$ LANGUAGE plpgsql;"
	" CREATE TRIGGER fail_bob BEFORE INSERT ON human_grades FOR EACH ROW"
	" WHEN (NEW.grader = 'bob') EXECUTE FUNCTION fail_bob()";

static int raw_exec(const char *target, const char *sqlite, const char *pg)
{
	struct db *db = NULL;
	struct err err = {0};
	int rc = db_open(target, 5000, &db, &err);
	if (!rc)
		rc = db_exec(db, db_kind(db) == DB_PG ? pg : sqlite, &err);
	if (rc)
		fprintf(stderr, "raw_exec: %s\n", err.msg);
	db_close(db);
	return rc;
}

STORE_TEST(review_import_stores_nothing_when_the_store_fails_half_way)
{
	char *dir = tfx_tmpdir();
	char *db = tfx_db(dir, "r.db"), *path = xasprintf("%s/g.jsonl", dir);
	struct suite *s = tfx_suite(2, 2);
	struct store *st = NULL;
	struct err err = {0};
	int64_t run = 0;
	long n = 0;
	FILE *f;
	T_ASSERT(store_open(db, &st, &err) == 0);
	T_ASSERT((run = tfx_run(st, s)) > 0);
	T_ASSERT(raw_exec(db, fail_bob_sqlite, fail_bob_pg) == 0);
	f = fopen(path, "w");
	T_ASSERT(f != NULL);
	/* two grades that store, then one whose INSERT fails */
	fprintf(f, "{\"grader\": \"ann\", \"result_id\": 1, \"rating\": 4}\n"
		   "{\"grader\": \"ann\", \"result_id\": 3, \"ship\": true}\n"
		   "{\"grader\": \"bob\", \"result_id\": 2, \"rating\": 2}\n");
	fclose(f);
	T_EQ_INT(review_import(st, "latest", path, &err), ST_DB);
	T_ASSERT(strstr(err.msg, "forced store failure") != NULL);
	T_ASSERT(store_human_list(st, run, count, &n, &err) == 0);
	T_EQ_INT(n, 0);   /* lines 1 and 2 were stored before the fix */
	/* the same file without the failure stores all three */
	T_ASSERT(raw_exec(db, "DROP TRIGGER fail_bob",
			  "DROP TRIGGER fail_bob ON human_grades") == 0);
	memset(&err, 0, sizeof err);
	T_EQ_INT(review_import(st, "latest", path, &err), 0);
	T_ASSERT(store_human_list(st, run, count, &n, &err) == 0);
	T_EQ_INT(n, 3);
	store_close(st);
	tfx_suite_free(s);
	free(db);
	free(path);
	tfx_rmdir(dir);
}

static const char *no_args(void *ud, const char *name)
{
	(void)ud;
	return !strcmp(name, "base") ? "1" : !strcmp(name, "new") ? "2" : NULL;
}

TEST(view_api_compare_with_a_missing_run_is_404)
{
	char *dir = tfx_tmpdir();
	char *db = xasprintf("%s/v.db", dir);
	struct suite *s = tfx_suite(2, 2);
	struct view_server vs;
	struct view_args a = { NULL, no_args, NULL };
	struct view_reply r;
	struct err err = {0};
	memset(&vs, 0, sizeof vs);
	memset(&r, 0, sizeof r);
	T_ASSERT(store_open(db, &vs.st, &err) == 0);
	T_ASSERT(tfx_run(vs.st, s) == 1);
	view_api(&vs, &a, "GET", "/api/compare", "", 0, &r);
	T_EQ_INT(r.status, 404);
	T_ASSERT(strstr(buf_str(&r.body), "no run 2") != NULL);
	buf_free(&r.body);
	store_close(vs.st);
	tfx_suite_free(s);
	free(db);
	tfx_rmdir(dir);
}
