/* test_store_human.c — human grades in the store: put validates (range,
 * kind, one run, same case, different providers), a grader's new rating
 * replaces the old one, list walks one run's grades in order. */
#include "t.h"
#include "tpg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/store/store_human.h"
#include "../../src/util/xalloc.h"

struct suite *tfx_suite(size_t n_tests, size_t n_providers);
void tfx_suite_free(struct suite *s);
char *tfx_tmpdir(void);
void tfx_rmdir(char *dir);
void tfx_grade(struct grade *g, const struct test_case *tc, bool pass,
	       double score, const char *metric_json);
void tfx_grade_free(struct grade *g);

/* ids[case][provider] of a fresh run of s (every item answered). */
static int64_t human_run(struct store *st, struct suite *s)
{
	struct store_run_meta m = { .repeat = 1 };
	struct err err = {0};
	int64_t run = 0;
	if (store_run_begin_meta(st, s, &m, &run, &err))
		return 0;
	for (size_t t = 0; t < s->n_tests; t++)
		for (size_t v = 0; v < s->n_providers; v++) {
			struct response r;
			struct grade g;
			struct result_rec rec = { t, 0, v, 0, "p", &r, &g, 0, 0, 0, 0 };
			response_init(&r);
			r.output = xstrdup("out");
			tfx_grade(&g, &s->tests[t], true, 1, NULL);
			store_result_put(st, run, &rec, &err);
			tfx_grade_free(&g);
			response_cleanup(&r);
		}
	store_run_end(st, run, "done", &err);
	return run;
}

struct ids_ctx { int64_t (*ids)[2]; };

static int on_res(void *ud, const struct store_result *r)
{
	struct ids_ctx *c = ud;
	c->ids[r->case_idx][r->provider_idx] = r->id;
	return 0;
}

struct got { int n; struct store_human_grade g[8]; char grader[8][16]; };

static int on_grade(void *ud, const struct store_human_grade *g)
{
	struct got *x = ud;
	if (x->n < 8) {
		x->g[x->n] = *g;
		snprintf(x->grader[x->n], sizeof x->grader[0], "%s", g->grader);
		x->g[x->n].grader = x->grader[x->n];
		x->g[x->n].comment = x->g[x->n].created_at = NULL;
	}
	x->n++;
	return 0;
}

STORE_TEST(store_human_put_validates_replaces_and_lists)
{
	char *dir = tfx_tmpdir();
	char *path = tfx_db(dir, "h.db");
	struct suite *s = tfx_suite(2, 2);
	struct store *st = NULL;
	struct err err = {0};
	int64_t ids[2][2] = {{0}}, ids2[2][2] = {{0}}, id = 0;
	struct ids_ctx c = { ids }, c2 = { ids2 };
	T_ASSERT(store_open(path, &st, &err) == 0);
	int64_t run = human_run(st, s), run2 = human_run(st, s);
	T_ASSERT(run > 0 && run2 > run);
	T_ASSERT(store_results_each(st, run, on_res, &c, &err) == 0);
	T_ASSERT(store_results_each(st, run2, on_res, &c2, &err) == 0);

	struct store_human_grade g = { .result_id = ids[0][0], .grader = "ann",
				       .kind = "rating", .rating = 4, .ship = 1,
				       .comment = "fine" };
	T_ASSERT(store_human_put(st, &g, &id, &err) == 0);
	T_ASSERT(id > 0);
	g.rating = 2; g.ship = 0;       /* ann changes her mind: replaces */
	T_ASSERT(store_human_put(st, &g, &id, &err) == 0);
	g.grader = "bob"; g.rating = 5; g.ship = -1;
	T_ASSERT(store_human_put(st, &g, NULL, &err) == 0);

	/* invalid grades */
	struct store_human_grade bad = g;
	bad.rating = 6;
	T_EQ_INT(store_human_put(st, &bad, NULL, &err), ST_INPUT);
	T_ASSERT(strstr(err.msg, "out of range") != NULL);
	bad = g; bad.grader = "";
	T_EQ_INT(store_human_put(st, &bad, NULL, &err), ST_INPUT);
	bad = g; bad.kind = "thumbs";
	T_EQ_INT(store_human_put(st, &bad, NULL, &err), ST_INPUT);
	bad = g; bad.rating = 0; bad.ship = -1;
	T_EQ_INT(store_human_put(st, &bad, NULL, &err), ST_INPUT);
	bad = g; bad.result_id = 999999;
	T_EQ_INT(store_human_put(st, &bad, NULL, &err), ST_INPUT);
	T_ASSERT(strstr(err.msg, "no result") != NULL);

	struct store_human_grade p = { .result_id = ids[1][1],
				       .other_result_id = ids[1][0],
				       .grader = "ann", .kind = "pairwise",
				       .ship = -1, .preferred = ids[1][0] };
	T_ASSERT(store_human_put(st, &p, NULL, &err) == 0);
	bad = p; bad.other_result_id = ids[0][0];     /* another case */
	T_EQ_INT(store_human_put(st, &bad, NULL, &err), ST_INPUT);
	T_ASSERT(strstr(err.msg, "same case") != NULL);
	bad = p; bad.other_result_id = ids2[1][0];    /* another run */
	T_EQ_INT(store_human_put(st, &bad, NULL, &err), ST_INPUT);
	T_ASSERT(strstr(err.msg, "different runs") != NULL);
	bad = p; bad.other_result_id = ids[1][1];     /* itself */
	T_EQ_INT(store_human_put(st, &bad, NULL, &err), ST_INPUT);
	bad = p; bad.preferred = ids[0][0];
	T_EQ_INT(store_human_put(st, &bad, NULL, &err), ST_INPUT);
	bad = p; bad.rating = 3;
	T_EQ_INT(store_human_put(st, &bad, NULL, &err), ST_INPUT);
	/* the same pair shown the other way round replaces ann's choice; a
	 * tie is preferred 0 */
	p.result_id = ids[1][0]; p.other_result_id = ids[1][1]; p.preferred = 0;
	T_ASSERT(store_human_put(st, &p, NULL, &err) == 0);
	/* a grade of run 2 is not listed with run 1 */
	struct store_human_grade g2 = { .result_id = ids2[0][1], .grader = "cy",
					.kind = "rating", .rating = 1, .ship = 0 };
	T_ASSERT(store_human_put(st, &g2, NULL, &err) == 0);

	struct got x = {0};
	T_ASSERT(store_human_list(st, run, on_grade, &x, &err) == 0);
	T_EQ_INT(x.n, 3);
	T_EQ_STR(x.g[0].grader, "ann");
	T_EQ_INT(x.g[0].rating, 2);
	T_EQ_INT(x.g[0].ship, 0);
	T_EQ_INT(x.g[0].result_id, ids[0][0]);
	T_EQ_INT(x.g[0].other_result_id, 0);
	T_EQ_STR(x.g[1].grader, "bob");
	T_EQ_INT(x.g[1].ship, -1);
	T_EQ_INT(x.g[1].rating, 5);
	T_EQ_STR(x.g[2].kind == NULL ? "" : "pairwise", "pairwise");
	T_EQ_INT(x.g[2].result_id, ids[1][0]);
	T_EQ_INT(x.g[2].other_result_id, ids[1][1]);
	T_EQ_INT(x.g[2].preferred, 0);
	T_ASSERT(x.g[0].id < x.g[1].id && x.g[1].id < x.g[2].id);
	struct got y = {0};
	T_ASSERT(store_human_list(st, run2, on_grade, &y, &err) == 0);
	T_EQ_INT(y.n, 1);
	T_EQ_INT(y.g[0].rating, 1);

	/* deleting the run deletes its grades */
	T_ASSERT(store_run_delete(st, run, &err) == 0);
	struct got z = {0};
	T_ASSERT(store_human_list(st, run, on_grade, &z, &err) == 0);
	T_EQ_INT(z.n, 0);
	store_close(st);
	tfx_suite_free(s);
	free(path);
	tfx_rmdir(dir);
}
