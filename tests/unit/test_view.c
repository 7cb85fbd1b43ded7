/* test_view.c — the web app's pieces that need no server: JSON strings
 * made from untrusted bytes (view_jstr), and the store reads behind the
 * review queue and the blind pairs (store_view.c): reviewers per item,
 * a seeded sample that grading does not change, pairs not offered twice. */
#include "t.h"
#include "tpg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/store/store_view.h"
#include "../../src/util/xalloc.h"
#include "../../src/view/view_int.h"

struct suite *tfx_suite(size_t n_tests, size_t n_providers);
void tfx_suite_free(struct suite *s);
char *tfx_tmpdir(void);
void tfx_rmdir(char *dir);
/* A finished run; provider 0 passes, the others fail every case. */
int64_t tfx_run(struct store *st, struct suite *s);

TEST(view_jstr_valid_utf8_and_cut)
{
	bool cut = true;
	json_t *j = view_jstr("a\xff" "b", 0, &cut);
	T_EQ_STR(json_string_value(j), "a\xEF\xBF\xBD" "b");
	T_ASSERT(!cut);
	json_decref(j);
	/* "é" is two bytes: a cap of 2 keeps "a" and not half of it */
	j = view_jstr("a\xC3\xA9z", 2, &cut);
	T_EQ_STR(json_string_value(j), "a");
	T_ASSERT(cut);
	json_decref(j);
	j = view_jstr(NULL, 0, NULL);
	T_ASSERT(json_is_null(j));
	json_decref(j);
}

struct ids { int n; int64_t id[16]; };

static int on_item(void *ud, int64_t id, bool mine)
{
	struct ids *x = ud;
	(void)mine;
	if (x->n < 16)
		x->id[x->n] = id;
	x->n++;
	return 0;
}

static int rate(struct store *st, int64_t id, const char *who)
{
	struct store_human_grade g = { .result_id = id, .grader = who, .kind = "rating",
				       .rating = 3, .ship = 1 };
	struct err err = {0};
	return store_human_put(st, &g, NULL, &err);
}

STORE_TEST(store_view_queue_sample_and_reviewers_per_item)
{
	char *dir = tfx_tmpdir();
	char *path = tfx_db(dir, "v.db");
	struct suite *s = tfx_suite(4, 2);
	struct store *st = NULL;
	struct err err = {0};
	struct sv_queue q = { .reviewer = "ann", .provider = -1 };
	struct ids all = {0}, a = {0}, b = {0};
	long total = 0, graded = 0;
	T_ASSERT(store_open(path, &st, &err) == 0);
	int64_t run = tfx_run(st, s);
	T_ASSERT(run > 0);
	if (store_view_queue(st, run, &q, 0, 100, on_item, &all, &total, &graded, &err))
		t_fail(__FILE__, __LINE__, "%s", err.msg);
	T_EQ_INT(total, 8);
	T_EQ_INT(all.n, 8);
	q.failing = true;
	all.n = 0;
	if (store_view_queue(st, run, &q, 0, 100, on_item, &all, &total, &graded, &err))
		t_fail(__FILE__, __LINE__, "%s", err.msg);
	T_EQ_INT(total, 4);   /* provider 1's four failures */
	q.failing = false;
	/* a sample of 3: the same with the same seed, unchanged by grading */
	q.sample = 3;
	q.seed = 7;
	T_ASSERT(store_view_queue(st, run, &q, 0, 100, on_item, &a, &total, &graded, &err) == 0);
	T_EQ_INT(a.n, 3);
	T_ASSERT(rate(st, a.id[0], "ann") == 0);
	T_ASSERT(store_view_queue(st, run, &q, 0, 100, on_item, &b, &total, &graded, &err) == 0);
	T_EQ_INT(b.n, 3);
	T_EQ_INT(graded, 1);
	for (int i = 0; i < 3; i++)
		T_EQ_INT(b.id[i], a.id[i]);
	q.ungraded = true;
	b.n = 0;
	T_ASSERT(store_view_queue(st, run, &q, 0, 100, on_item, &b, &total, &graded, &err) == 0);
	T_EQ_INT(b.n, 2);
	T_EQ_INT(total, 3);
	/* one reviewer per item: ann's rated output leaves bob's queue only */
	q.sample = 0;
	q.ungraded = false;
	q.per_item = 1;
	q.reviewer = "bob";
	T_ASSERT(store_view_queue(st, run, &q, 0, 100, on_item, &b, &total, &graded, &err) == 0);
	T_EQ_INT(total, 7);
	q.reviewer = "ann";
	T_ASSERT(store_view_queue(st, run, &q, 0, 100, on_item, &b, &total, &graded, &err) == 0);
	T_EQ_INT(total, 8);
	store_close(st);
	tfx_suite_free(s);
	free(path);
	tfx_rmdir(dir);
}

STORE_TEST(store_view_pairs_not_offered_twice)
{
	char *dir = tfx_tmpdir();
	char *path = tfx_db(dir, "p.db");
	struct suite *s = tfx_suite(2, 2);
	struct store *st = NULL;
	struct err err = {0};
	int64_t a = 0, b = 0, a2 = 0, b2 = 0, a3 = 1, b3 = 1;
	long total = 0, done = 0;
	T_ASSERT(store_open(path, &st, &err) == 0);
	int64_t run = tfx_run(st, s);
	T_ASSERT(store_view_next_pair(st, run, "ann", -1, -1, 0, 1, &a, &b, &total, &done, &err) == 0);
	T_EQ_INT(total, 2);
	T_EQ_INT(done, 0);
	T_ASSERT(a > 0 && b > a);
	/* stored with the sides swapped: still the same pair */
	struct store_human_grade g = { .result_id = b, .other_result_id = a, .grader = "ann",
				       .kind = "pairwise", .ship = -1, .preferred = b };
	T_ASSERT(store_human_put(st, &g, NULL, &err) == 0);
	T_ASSERT(store_view_next_pair(st, run, "ann", -1, -1, 0, 1, &a2, &b2, &total, &done, &err) == 0);
	T_EQ_INT(done, 1);
	T_ASSERT(a2 > 0 && !(a2 == a && b2 == b));
	g.result_id = a2;
	g.other_result_id = b2;
	g.preferred = 0;
	T_ASSERT(store_human_put(st, &g, NULL, &err) == 0);
	T_ASSERT(store_view_next_pair(st, run, "ann", -1, -1, 0, 1, &a3, &b3, &total, &done, &err) == 0);
	T_EQ_INT(a3, 0);
	T_EQ_INT(done, 2);
	/* another reviewer still gets pairs, unless one per pair is enough */
	T_ASSERT(store_view_next_pair(st, run, "bob", -1, -1, 0, 1, &a3, &b3, &total, &done, &err) == 0);
	T_ASSERT(a3 > 0);
	T_ASSERT(store_view_next_pair(st, run, "bob", -1, -1, 1, 1, &a3, &b3, &total, &done, &err) == 0);
	T_EQ_INT(a3, 0);
	T_EQ_INT(total, 0);
	store_close(st);
	tfx_suite_free(s);
	free(path);
	tfx_rmdir(dir);
}
