/* test_compare.c — report_compare: pairing by content (edited cases are
 * added/removed, not paired), fixed/regressed counts, errors excluded,
 * McNemar exact with Holm across candidates, the latency change.
 *
 * Reference values: R 4.3, binom.test(2, 12)$p.value = 0.03857422
 * (McNemar exact with b = 10, c = 2), p.adjust(c(0.03857422, 1), "holm")
 * = c(0.07714844, 1). */
#include "t.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/report/compare.h"
#include "../../src/store/store.h"
#include "../../src/util/xalloc.h"

struct suite *tfx_suite(size_t n_tests, size_t n_providers);
void tfx_suite_free(struct suite *s);
char *tfx_tmpdir(void);
void tfx_rmdir(char *dir);
void tfx_grade(struct grade *g, const struct test_case *tc, bool pass,
	       double score, const char *metric_json);
void tfx_grade_free(struct grade *g);

/* pass(t, v) gives 1, 0, or -1 for an infrastructure error. */
static int64_t store_run(struct store *st, struct suite *s,
			 int (*pass)(size_t t, size_t v), double lat)
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
			int p = pass(t, v);
			response_init(&r);
			r.output = xstrdup(p > 0 ? "yes" : "no");
			r.latency_ms = lat;
			if (p < 0) {
				r.error = RESP_ERR_TIMEOUT;
				r.error_msg = xstrdup("slow");
			}
			tfx_grade(&g, &s->tests[t], p > 0, p > 0 ? 1 : 0, NULL);
			store_result_put(st, run, &rec, &err);
			tfx_grade_free(&g);
			response_cleanup(&r);
		}
	store_run_end(st, run, "done", &err);
	return run;
}

static int base_pass(size_t t, size_t v)
{
	if (v == 0)
		return !(t == 13 || t == 14);
	return t != 3;
}

static int new_pass(size_t t, size_t v)
{
	if (v == 0)
		return !(t >= 3 && t <= 12);
	if (t == 5)
		return -1;
	return t != 4;
}

TEST(compare_pairs_by_content_mcnemar_and_holm)
{
	char *dir = tfx_tmpdir();
	char *path = xasprintf("%s/c.db", dir);
	struct suite *a = tfx_suite(20, 2), *b = tfx_suite(22, 2);
	struct store *st = NULL;
	struct err err = {0};
	struct compare c;
	struct compare_opts o = { .verbose = true };
	int64_t r1, r2;
	/* new suite: cases 0..2 edited (their content differs) */
	for (size_t i = 0; i < 3; i++)
		json_object_set_new(b->tests[i].vars, "q", json_string("edited"));
	T_EQ_INT(store_open(path, &st, &err), 0);
	r1 = store_run(st, a, base_pass, 100);
	r2 = store_run(st, b, new_pass, 150);
	T_ASSERT(r1 && r2);
	T_EQ_INT(report_compare(st, r1, r2, &o, &c, &err), 0);
	T_EQ_INT((long)c.n_cands, 2);
	T_EQ_STR(c.cands[0].label, "model-a");
	T_EQ_INT(c.cands[0].shared, 17);
	T_EQ_INT(c.cands[0].regressed, 10);
	T_EQ_INT(c.cands[0].fixed, 2);
	T_EQ_INT(c.cands[0].both_pass, 5);
	T_EQ_INT(c.cands[0].removed, 3);
	T_EQ_INT(c.cands[0].added, 5);
	T_ASSERT(fabs(c.cands[0].p - 0.03857422) < 1e-7);
	T_ASSERT(fabs(c.cands[0].p_holm - 0.07714844) < 1e-7);
	T_ASSERT(!c.cands[0].significant_regression); /* not after Holm */
	T_ASSERT(fabs(c.cands[0].p95_diff - 50) < 1e-9);
	T_ASSERT(fabs(c.cands[0].p95_lo - 50) < 1e-9 && fabs(c.cands[0].p95_hi - 50) < 1e-9);
	T_EQ_INT((long)c.cands[0].n_changes, 12);
	T_ASSERT(c.cands[0].changes[0].base_out && c.cands[0].changes[0].new_out);
	T_EQ_INT(c.cands[1].regressed, 1);
	T_EQ_INT(c.cands[1].fixed, 1);
	T_EQ_INT(c.cands[1].excluded_errors, 1);
	T_EQ_INT(c.cands[1].shared, 16);
	T_ASSERT(fabs(c.cands[1].p_holm - 1) < 1e-12);
	T_ASSERT(!c.any_regression);
	report_compare_free(&c);
	/* one candidate alone: no Holm penalty, the regression is significant */
	o.base_cand = "model-a";
	o.new_cand = "model-a";
	T_EQ_INT(report_compare(st, r1, r2, &o, &c, &err), 0);
	T_EQ_INT((long)c.n_cands, 1);
	T_ASSERT(fabs(c.cands[0].p_holm - 0.03857422) < 1e-7);
	T_ASSERT(c.cands[0].significant_regression && c.any_regression);
	report_compare_free(&c);
	/* an unknown candidate is a usage error */
	o.new_cand = "nope";
	T_EQ_INT(report_compare(st, r1, r2, &o, &c, &err), ST_USAGE);
	store_close(st);
	tfx_suite_free(a);
	tfx_suite_free(b);
	free(path);
	tfx_rmdir(dir);
}
