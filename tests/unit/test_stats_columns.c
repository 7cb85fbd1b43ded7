/* test_stats_columns.c — the compact read of a run for the statistics
 * (issue 16's million results) gives exactly the figures of the way it
 * replaced, on a stored run with clusters, repeats, infrastructure and
 * grading errors, continuous scores and metrics, severities, refusals,
 * calibration and classification, two providers and two prompts:
 *
 * - the loader's columns (struct rs_cols): every stored figure read back
 *   through rs_at (checked against store_figures_each), and the whole
 *   `stats` JSON equal to that of the same results as struct rs_item
 *   arrays;
 * - the assertion-failure counts counted by store_afails.c against the
 *   GROUP BY it replaced on SQLite (both backends);
 * - without repeats or clusters, a unit-interval mean's interval against
 *   stats_prop_design's estimate and the Wilson interval at n, the
 *   computation the shortcut in mean_of skips. */
#include "t.h"
#include "tpg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/report/report_stats_int.h"
#include "../../src/stats/stats.h"
#include "../../src/store/store_int.h"
#include "../../src/util/xalloc.h"

struct suite *tfx_suite(size_t n_tests, size_t n_providers);
void tfx_suite_free(struct suite *s);
char *tfx_tmpdir(void);
void tfx_rmdir(char *dir);
void tfx_grade(struct grade *g, const struct test_case *tc, bool pass,
	       double score, const char *metric_json);
void tfx_grade_free(struct grade *g);

#define CN 12

/* A deterministic mix of passes and failures. */
static bool cpass(size_t i, size_t p, size_t v, int rep)
{
	return (i * 7 + p * 3 + v * 5 + (size_t)rep * 11) % 5 < 3;
}

static int put(struct store *st, int64_t run, const struct suite *s,
	       size_t i, size_t p, size_t v, int rep)
{
	struct response r;
	struct grade g;
	struct err err = {0};
	bool pass = cpass(i, p, v, rep);
	bool infra = i == 3 && v == 1 && rep == 0;
	bool gerr = i == 5 && v == 0 && p == 1 && rep == 1;
	char metric[64];
	int rc;
	response_init(&r);
	r.latency_ms = 10.0 * (double)(i + 1) + (double)v + 0.5 * rep;
	if (infra) {
		r.error = RESP_ERR_TIMEOUT;
		r.error_msg = xstrdup("timeout");
	} else if (gerr) {
		r.output = xstrdup("x");
		r.error = RESP_ERR_OTHER;
		r.error_msg = xstrdup("grading failed: judge reply unusable");
	} else {
		r.output = xasprintf("%s conf=%s label=%s",
				     i == 7 && v == 1 ? "I cannot help with this."
				     : pass ? "yes" : "no",
				     pass ? "0.9" : "0.3",
				     (i + v) % 2 ? "dog" : "cat");
		if (v == 0)
			r.cost_usd = 0.001 * (double)(i % 4 + 1);
		if (p == 0)
			r.completion_tokens = (long)(i + 3);
		if (v == 1 && p == 1)
			r.ttft_ms = 2.0 + (double)i;
	}
	if (!infra && !gerr) {
		snprintf(metric, sizeof metric, "{\"acc\":%d,\"len\":%g}",
			 pass ? 1 : 0, 1.5 * (double)i + (double)rep);
		/* a continuous score on some failures */
		tfx_grade(&g, &s->tests[i], pass,
			  pass ? 1 : i % 3 == 0 ? 0.25 : 0, metric);
	}
	struct result_rec rec = { i, p, v, rep, "p", &r,
				  infra || gerr ? NULL : &g, 0, 0, 0, 0 };
	rc = store_result_put(st, run, &rec, &err);
	if (!infra && !gerr)
		tfx_grade_free(&g);
	response_cleanup(&r);
	return rc;
}

/* Stores the fixture run (repeat 2 and clusters when `design`). */
static int64_t fixture(struct store *st, bool design)
{
	struct suite *s = tfx_suite(CN, 2);
	struct err err = {0};
	int64_t run = 0;
	int reps = design ? 2 : 1;
	for (size_t i = 0; i < CN; i++) {
		json_t *m = s->tests[i].metadata;
		json_object_set_new(s->tests[i].vars, "label",
				    json_string(i % 2 ? "dog" : "cat"));
		if (design)
			json_object_set_new(m, "cluster",
					    json_integer((json_int_t)(i / 3)));
		if (i == 7)
			json_object_set_new(m, "expect", json_string("refuse"));
		if (i == 8)
			json_object_set_new(m, "expect", json_string("answer"));
		if (i >= 6)
			json_object_set_new(m, "tags", json_pack("[s]", "late"));
		if (i == 2) {
			s->tests[i].asserts[0].has_severity = true;
			s->tests[i].asserts[0].severity = 5;
		}
	}
	json_object_set_new(s->sanitized, "calibration", json_pack(
		"{s:s}", "confidence", "regex:conf=([0-9.]+)"));
	json_object_set_new(s->sanitized, "classification", json_pack(
		"{s:s, s:s}", "expected", "{{label}}", "predicted",
		"regex:label=(\\w+)"));
	if (store_run_begin(st, s, "columns", reps, &run, &err))
		run = 0;
	for (size_t i = 0; run && i < CN; i++)
		for (size_t p = 0; p < 2; p++)
			for (size_t v = 0; v < 2; v++)
				for (int rep = 0; rep < reps; rep++)
					if (put(st, run, s, i, p, v, rep))
						run = 0;
	if (run && store_run_end(st, run, "done", &err))
		run = 0;
	tfx_suite_free(s);
	return run;
}

/* The run's results as struct rs_item arrays (the form the bench and
 * the tests build), the columns freed. */
static void to_structs(struct rs_run *r)
{
	for (size_t k = 0; k < r->ncands; k++) {
		struct rs_cand *c = &r->cands[k];
		struct rs_item *it = xcalloc(c->n ? c->n : 1, sizeof *it);
		for (size_t i = 0; i < c->n; i++)
			it[i] = rs_at(c, i);
		rs_cols_free(&c->col);
		c->it = it;
	}
}

/* Both NaN, or the same bits. */
static bool same(double a, double b)
{
	return (isnan(a) && isnan(b)) || !memcmp(&a, &b, sizeof a);
}

/* Checks each stored result against what rs_at reads back from the
 * columns (read independently with store_figures_each). */
struct check {
	const struct rs_run *r;
	size_t next[4];		/* per candidate: the next item */
	long rows, bad;
};

static int check_row(void *ud, const struct store_figures *f)
{
	struct check *k = ud;
	const struct rs_cand *c = NULL;
	struct rs_item it;
	int pass;
	double score;
	for (size_t i = 0; i < k->r->ncands; i++)
		if ((size_t)k->r->cands[i].prov == f->provider_idx &&
		    (size_t)k->r->cands[i].prompt == f->prompt_idx)
			c = &k->r->cands[i];
	k->rows++;
	if (!c || k->next[c - k->r->cands] >= c->n) {
		k->bad++;
		return 0;
	}
	it = rs_at(c, k->next[c - k->r->cands]++);
	pass = f->error == 2 ? RS_GRADE_ERROR : f->error ? RS_ERROR
	       : f->pass < 0 ? RS_UNGRADED : f->pass;
	score = pass >= 0 ? (isnan(f->score) ? pass : f->score) : NAN;
	if (it.c != f->case_idx || it.rep != f->repeat || it.pass != pass ||
	    !same(it.score, score) || !same(it.lat, f->latency_ms) ||
	    !same(it.ttft, f->ttft_ms) || !same(it.cost, f->cost_usd) ||
	    it.ctok != f->completion_tokens ||
	    it.retries != (f->retries < 0 ? 0 : f->retries) ||
	    it.cached != f->cached ||
	    !same(it.judge_cost, isnan(f->judge_cost_usd) ? 0
						       : f->judge_cost_usd))
		k->bad++;
	return 0;
}

static json_t *stats_of(const struct rs_run *r)
{
	struct stats_opts o = { .resamples = 2000, .seed = 7, .mdd = 0.05 };
	return rs_compute(r, &o);
}

static void columns_equal_structs(bool design)
{
	char *dir = tfx_tmpdir();
	char *path = tfx_db(dir, "c.db");
	struct store *st = NULL;
	struct err err = {0};
	struct rs_run r;
	json_t *a = NULL, *b = NULL;
	int64_t run;
	T_EQ_INT(store_open(path, &st, &err), 0);
	run = fixture(st, design);
	T_ASSERT(run > 0);
	T_EQ_INT(rs_load(st, run, &r, &err), 0);
	T_EQ_INT((long)r.ncands, 4);
	/* the loader's compact form: no structs, and only the columns
	 * some result differs from the default in */
	for (size_t k = 0; k < r.ncands; k++) {
		const struct rs_cand *c = &r.cands[k];
		T_ASSERT(c->it == NULL);
		T_EQ_INT((long)c->n, CN * (design ? 2 : 1));
		T_ASSERT(c->col.lat != NULL);
		T_ASSERT(c->col.score != NULL);  /* the 0.25 scores */
		T_ASSERT((c->col.rep != NULL) == design);
		T_ASSERT((c->col.cost != NULL) == (c->prov == 0));
		T_ASSERT((c->col.ttft != NULL) ==
			 (c->prov == 1 && c->prompt == 1));
		T_ASSERT(c->col.retries == NULL && c->col.cached == NULL);
	}
	{
		struct check k = { .r = &r };
		T_EQ_INT(store_figures_each(st, run, STORE_FIG_CASE_ORDER,
					    check_row, &k, &err), 0);
		T_EQ_INT(k.rows, 4 * CN * (design ? 2 : 1));
		T_EQ_INT(k.bad, 0);
	}
	a = stats_of(&r);
	to_structs(&r);
	b = stats_of(&r);
	T_ASSERT(a != NULL && b != NULL);
	if (a && b) {
		char *ta = json_dumps(a, JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
		char *tb = json_dumps(b, JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
		const json_t *c0 = json_array_get(json_object_get(a,
							"candidates"), 0);
		/* the fixture reaches the figures it is meant to */
		T_ASSERT(json_object_get(c0, "grading_errors") != NULL);
		T_ASSERT(strstr(ta, "\"errors\": 1") || strstr(ta, "\"errors\":1"));
		T_EQ_STR(ta, tb);
		free(ta);
		free(tb);
	}
	json_decref(a);
	json_decref(b);
	rs_run_free(&r);
	store_close(st);
	free(path);
	tfx_rmdir(dir);
}

STORE_TEST(stats_columns_equal_structs_with_design)
{
	columns_equal_structs(true);
}

STORE_TEST(stats_columns_equal_structs_plain)
{
	columns_equal_structs(false);
}

/* One line per group of a failure-count walk. */
struct afl {
	char text[4096];
	size_t len;
};

static int on_afl(void *ud, size_t prov, size_t prompt, const char *type,
		  const char *metric, long fails, long total)
{
	struct afl *a = ud;
	int n = snprintf(a->text + a->len, sizeof a->text - a->len,
			 "%zu/%zu %s %s %ld/%ld\n", prov, prompt, type,
			 metric ? metric : "(null)", fails, total);
	if (n > 0 && (size_t)n < sizeof a->text - a->len)
		a->len += (size_t)n;
	return 0;
}

/* The counted walk gives the GROUP BY's rows in its order, with the
 * severity flag, on both backends (PostgreSQL runs the GROUP BY). */
STORE_TEST(stats_assert_fails_counted_equal_group_by)
{
	char *dir = tfx_tmpdir();
	char *path = tfx_db(dir, "af.db");
	struct store *st = NULL;
	struct err err = {0};
	struct afl x = { .len = 0 }, y = { .len = 0 };
	bool sx = false, sy = false;
	int64_t run;
	T_EQ_INT(store_open(path, &st, &err), 0);
	run = fixture(st, true);
	T_ASSERT(run > 0);
	T_EQ_INT(sti_assert_fails_sql(st, run, on_afl, &x, &sx, &err), 0);
	T_EQ_INT(sti_assert_fails_counted(st, run, on_afl, &y, &sy, &err), 0);
	T_ASSERT(sx && sy);
	T_ASSERT(x.len > 0);
	T_EQ_STR(y.text, x.text);
	/* 4 candidates x 2 assertions (contains with metric acc, not-regex
	 * without), most failures first */
	{
		size_t lines = 0;
		for (size_t i = 0; i < x.len; i++)
			lines += x.text[i] == '\n';
		T_EQ_INT((long)lines, 8);
	}
	/* and the front door takes one of them */
	{
		struct afl z = { .len = 0 };
		bool sz = false;
		T_EQ_INT(store_assert_fails_sev_each(st, run, on_afl, &z, &sz,
						     &err), 0);
		T_ASSERT(sz);
		T_EQ_STR(z.text, x.text);
	}
	store_close(st);
	free(path);
	tfx_rmdir(dir);
}

/* Without repeats or clusters a mean of values in [0, 1] is the Wilson
 * interval at n around stats_prop_design's estimate: what mean_of
 * computed before it stopped calling stats_prop_design there. */
TEST(stats_unit_mean_without_design_matches_prop_design)
{
	static const double sc[7] = { 1, 0.25, 0, 1, 1, 0.5, 1 };
	struct rs_run r;
	struct rs_cand *c;
	struct stats_design_ci ci;
	struct interval w;
	long cl[7];
	json_t *j;
	memset(&r, 0, sizeof r);
	r.ncases = 7;
	r.cases = xcalloc(7, sizeof *r.cases);
	r.ncands = 1;
	r.cands = xcalloc(1, sizeof *r.cands);
	c = &r.cands[0];
	c->label = xstrdup("a");
	c->provider_id = xstrdup("a");
	c->prompt_label = xstrdup("p");
	c->n = c->cap = 7;
	c->it = xcalloc(7, sizeof *c->it);
	for (size_t k = 0; k < 7; k++) {
		r.cases[k].sev = 1;
		r.cases[k].cluster = (int32_t)k;
		r.cases[k].variant = -1;
		r.cases[k].gold = -1;
		c->it[k].c = (uint32_t)k;
		c->it[k].pass = sc[k] == 1;
		c->it[k].score = sc[k];
		c->it[k].lat = c->it[k].ttft = c->it[k].cost = NAN;
		c->it[k].conf = NAN;
		c->it[k].refused = -1;
		c->it[k].pred = -1;
		c->it[k].ctok = -1;
		cl[k] = (long)k;
	}
	stats_prop_design(sc, cl, 7, 0.95, &ci);
	w = stats_wilson_eff(ci.est, 7, 1.959963984540054);
	j = rs_compute(&r, NULL);
	T_ASSERT(j != NULL);
	if (j) {
		const json_t *s = json_object_get(json_array_get(
			json_object_get(j, "candidates"), 0), "score");
		T_ASSERT(json_real_value(json_object_get(s, "est")) == ci.est);
		T_ASSERT(json_real_value(json_object_get(s, "lo")) == w.lo);
		T_ASSERT(json_real_value(json_object_get(s, "hi")) == w.hi);
		/* (1 + .25 + 0 + 1 + 1 + .5 + 1) / 7 */
		T_NEAR(ci.est, 4.75 / 7, 1e-15);
		json_decref(j);
	}
	rs_run_free(&r);
}
