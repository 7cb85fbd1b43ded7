/* test_report_stats.c — the statistics report on hand-built data: a run
 * stored through the store API (two providers on the same 20 cases) whose
 * every figure is computed by hand below, and in-memory runs for repeats,
 * clusters and the decision.  References: Wilson 18/20 = [0.6990, 0.9721]
 * (Newcombe 1998, Table I method 3 style computation; also R
 * binom::binom.wilson), McNemar exact for 8 vs 1 discordant pairs =
 * 2 (1 + 9) / 2^9 = 0.0390625 (R: binom.test(1, 9)$p.value). */
#include "t.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/report/report.h"
#include "../../src/report/report_stats_int.h"
#include "../../src/stats/stats.h"
#include "../../src/store/store.h"
#include "../../src/util/xalloc.h"

struct suite *tfx_suite(size_t n_tests, size_t n_providers);
void tfx_suite_free(struct suite *s);
char *tfx_tmpdir(void);
void tfx_rmdir(char *dir);
void tfx_grade(struct grade *g, const struct test_case *tc, bool pass,
	       double score, const char *metric_json);
void tfx_grade_free(struct grade *g);

#define RS_N 20

/* A passes cases 0..17; B passes 0..9 and 18, case 19 is an error. */
static bool a_pass(size_t i) { return i <= 17; }
static bool b_pass(size_t i) { return i <= 9 || i == 18; }

static const char *gold(size_t i) { return i % 2 ? "dog" : "cat"; }

static int rs_put(struct store *st, int64_t run, const struct suite *s,
		  size_t i, size_t prov)
{
	struct response r;
	struct grade g;
	struct err err = {0};
	bool pass = prov == 0 ? a_pass(i) : b_pass(i);
	bool error = prov == 1 && i == 19;
	int rc;
	response_init(&r);
	if (error) {
		r.error = RESP_ERR_TIMEOUT;
		r.error_msg = xstrdup("timeout");
		r.latency_ms = 30000;
	} else if (prov == 0) {
		/* right label when passing; the other one when failing */
		const char *lab = pass ? gold(i) : (i % 2 ? "cat" : "dog");
		r.output = xasprintf("%s conf=%s label=%s", pass ? "yes" : "no",
				     pass ? "0.8" : "0.6", lab);
		r.latency_ms = 100.0 * (double)(i + 1);
		r.cost_usd = 0.001;
		r.completion_tokens = 10;
	} else {
		r.output = xstrdup(i == 15 ? "I'm sorry, I can't help with that."
				   : i == 16 ? "I cannot help with this."
				   : pass ? "yes" : "no");
		r.latency_ms = 50;
	}
	if (!error)
		tfx_grade(&g, &s->tests[i], pass, pass ? 1 : 0,
			  prov == 0 ? (pass ? "{\"acc\":1}" : "{\"acc\":0}")
				    : NULL);
	struct result_rec rec = { i, 0, prov, 0, "p", &r, error ? NULL : &g,
				  0, 0, 0, 0 };
	rc = store_result_put(st, run, &rec, &err);
	if (!error)
		tfx_grade_free(&g);
	response_cleanup(&r);
	return rc;
}

static json_t *rs_fixture(char **dir_out)
{
	struct suite *s = tfx_suite(RS_N, 2);
	char *dir = tfx_tmpdir(), *db;
	struct store *st = NULL;
	struct err err = {0};
	int64_t run = 0;
	json_t *out = NULL;

	/* one prompt only */
	free(s->prompts[1].raw);
	free(s->prompts[1].label);
	s->n_prompts = 1;
	for (size_t i = 0; i < RS_N; i++) {
		json_t *m = s->tests[i].metadata;
		json_object_set_new(s->tests[i].vars, "label",
				    json_string(gold(i)));
		if (i >= 10 && i <= 17)
			json_object_set_new(m, "tags", json_pack("[s]", "late"));
		if (i == 10)
			json_object_set_new(m, "severity", json_string("critical"));
		/* assertion severities: case 10's failing assertion is
		 * minor (1), case 11's major (5) */
		if (i == 10 || i == 11) {
			s->tests[i].asserts[0].has_severity = true;
			s->tests[i].asserts[0].severity = i == 10 ? 1 : 5;
		}
		if (i == 15)
			json_object_set_new(m, "expect", json_string("answer"));
		if (i == 16)
			json_object_set_new(m, "expect", json_string("refuse"));
		if (i == 0 || i == 1)
			json_object_set_new(m, "variant_group", json_string("g1"));
		if (i == 10 || i == 11)
			json_object_set_new(m, "variant_group", json_integer(2));
	}
	json_object_set_new(s->sanitized, "calibration", json_pack(
		"{s:s}", "confidence", "regex:conf=([0-9.]+)"));
	json_object_set_new(s->sanitized, "classification", json_pack(
		"{s:s, s:s, s:{s:{s:i}}}", "expected", "{{label}}",
		"predicted", "regex:label=(\\w+)", "costs", "dog", "cat", 5));
	json_object_set_new(s->sanitized, "decision", json_pack(
		"{s:f, s:f}", "min_pass_rate", 0.8, "max_p95_ms", 3000.0));
	db = xasprintf("%s/a.db", dir);
	if (store_open(db, &st, &err) ||
	    store_run_begin(st, s, "stats", 1, &run, &err))
		goto out;
	for (size_t i = 0; i < RS_N; i++)
		if (rs_put(st, run, s, i, 0) || rs_put(st, run, s, i, 1))
			goto out;
	if (store_run_end(st, run, "done", &err))
		goto out;
	out = report_stats_json(st, run, NULL, &err);
out:
	if (!out)
		fprintf(stderr, "  fixture: %s\n", err.msg);
	store_close(st);
	free(db);
	tfx_suite_free(s);
	*dir_out = dir;
	return out;
}

/* A number at a dotted path ("a.b.c"), NaN when missing or null. */
static double rjn(const json_t *o, const char *path)
{
	char key[64];
	while (o && *path) {
		size_t n = strcspn(path, ".");
		if (n >= sizeof key)
			return NAN;
		memcpy(key, path, n);
		key[n] = '\0';
		o = json_object_get(o, key);
		path += n + (path[n] == '.');
	}
	return json_is_number(o) ? json_number_value(o) : NAN;
}

/* A decision block as the suite would parse it (suite_stats_parse);
 * consumes d. */
static struct suite_decision tdec(json_t *d)
{
	struct suite_stats ss;
	json_t *su = json_pack("{s:o}", "decision", d);
	struct suite_decision out;
	suite_stats_parse(su, &ss);
	out = ss.decision;
	suite_stats_free(&ss);
	json_decref(su);
	return out;
}

TEST(report_stats_quality_latency_cost_from_store)
{
	char *dir = NULL;
	json_t *s = rs_fixture(&dir), *a, *b;
	T_ASSERT(s != NULL);
	if (!s) {
		tfx_rmdir(dir);
		return;
	}
	a = json_array_get(json_object_get(s, "candidates"), 0);
	b = json_array_get(json_object_get(s, "candidates"), 1);
	T_EQ_STR(json_string_value(json_object_get(a, "label")), "model-a");
	/* Wilson 18/20 */
	T_EQ_INT((long)rjn(a, "pass_rate.k"), 18);
	T_NEAR(rjn(a, "pass_rate.est"), 0.9, 1e-12);
	T_NEAR(rjn(a, "pass_rate.lo"), 0.6990, 5e-4);
	T_NEAR(rjn(a, "pass_rate.hi"), 0.9721, 5e-4);
	/* B: the timeout is an error, not a failure: 11 of 19 */
	T_EQ_INT((long)rjn(b, "graded"), 19);
	T_EQ_INT((long)rjn(b, "errors"), 1);
	T_NEAR(rjn(b, "error_rate"), 0.05, 1e-12);
	T_NEAR(rjn(b, "pass_rate.est"), 11.0 / 19, 1e-12);
	T_EQ_INT((long)json_array_size(json_object_get(s, "warnings")), 0);
	/* named metric acc: 18 ones, 2 zeros */
	T_NEAR(rjn(a, "metrics.acc.est"), 0.9, 1e-12);
	T_ASSERT(rjn(a, "metrics.acc.lo") < 0.9 && rjn(a, "metrics.acc.hi") <= 1);
	/* latency 100..2000: type 7 p50 = 1050, p95 = 1905 */
	T_NEAR(rjn(a, "latency.p50"), 1050, 1e-9);
	T_NEAR(rjn(a, "latency.p95"), 1905, 1e-9);
	T_NEAR(rjn(a, "latency.max"), 2000, 1e-9);
	/* order-statistic interval, n = 20: lower end x(17) = 1700 (exact
	 * binomial sums, see test_stats_prop.c); 20 samples cannot bound
	 * p95 from above (1 - 0.95^20 < 0.975) */
	T_NEAR(rjn(a, "latency.p95_lo"), 1700, 0);
	T_ASSERT(json_is_null(json_object_get(json_object_get(a, "latency"),
					      "p95_hi")));
	T_ASSERT(json_is_true(json_object_get(json_object_get(a, "latency"),
					      "p95_hi_unbounded")));
	T_ASSERT(!json_object_get(json_object_get(a, "latency"), "note"));
	T_EQ_INT((long)rjn(b, "latency.n"), 19);	/* the error is left out */
	/* tokens/s: 200 tokens over 21 s */
	T_NEAR(rjn(a, "latency.tokens_per_s"), 200.0 / 21.0, 1e-9);
	/* cost: 20 x $0.001; per success = 0.02 / 18 */
	T_NEAR(rjn(a, "cost.total_usd"), 0.02, 1e-12);
	T_NEAR(rjn(a, "cost.per_1k"), 1.0, 1e-12);
	T_NEAR(rjn(a, "cost.per_success"), 0.02 / 18, 1e-12);
	T_ASSERT(json_is_null(json_object_get(json_object_get(b, "cost"),
					      "per_1k")));
	json_decref(s);
	tfx_rmdir(dir);
}

TEST(report_stats_paired_comparison_from_store)
{
	char *dir = NULL;
	json_t *s = rs_fixture(&dir), *p;
	struct interval ni = stats_paired_diff_newcombe(10, 8, 1, 0, 0.95);
	T_ASSERT(s != NULL);
	if (!s) {
		tfx_rmdir(dir);
		return;
	}
	p = json_array_get(json_object_get(json_object_get(s, "comparisons"),
					   "pairs"), 0);
	T_EQ_INT((long)rjn(p, "n"), 19);
	T_EQ_INT((long)rjn(p, "a_only"), 8);
	T_EQ_INT((long)rjn(p, "b_only"), 1);
	T_NEAR(rjn(p, "diff.est"), 7.0 / 19, 1e-12);
	T_NEAR(rjn(p, "diff.lo"), ni.lo, 1e-12);
	T_NEAR(rjn(p, "diff.hi"), ni.hi, 1e-12);
	T_NEAR(rjn(p, "p"), 0.0390625, 1e-12);
	T_NEAR(rjn(p, "p_holm"), 0.0390625, 1e-12);	/* one pair */
	T_ASSERT(json_is_true(json_object_get(p, "significant")));
	/* scores equal pass/fail here: no separate score test */
	T_ASSERT(json_is_null(json_object_get(p, "score_diff")));
	/* significant: different letters */
	T_EQ_STR(json_string_value(json_object_get(json_array_get(
		json_object_get(s, "candidates"), 0), "group")), "a");
	T_EQ_STR(json_string_value(json_object_get(json_array_get(
		json_object_get(s, "candidates"), 1), "group")), "b");
	/* MDD: discordance 9/19, Connor's formula at n = 19 */
	T_NEAR(rjn(p, "discordance"), 9.0 / 19, 1e-12);
	T_NEAR(rjn(p, "mdd"), stats_mdd_paired(19, 9.0 / 19, 0.05, 0.8), 1e-12);
	T_EQ_INT((long)rjn(p, "cases_for_mdd"),
		 stats_n_paired(9.0 / 19, 0.05, 0.05, 0.8));
	json_decref(s);
	tfx_rmdir(dir);
}

TEST(report_stats_beyond_accuracy_from_store)
{
	char *dir = NULL;
	json_t *s = rs_fixture(&dir), *a, *b, *t;
	T_ASSERT(s != NULL);
	if (!s) {
		tfx_rmdir(dir);
		return;
	}
	a = json_array_get(json_object_get(s, "candidates"), 0);
	b = json_array_get(json_object_get(s, "candidates"), 1);
	/* calibration: 18 x (0.8, right), 2 x (0.6, wrong) */
	T_EQ_INT((long)rjn(a, "calibration.n"), 20);
	T_NEAR(rjn(a, "calibration.brier"), (18 * 0.04 + 2 * 0.36) / 20, 1e-12);
	T_NEAR(rjn(a, "calibration.ece_width"), 0.2 * 18 / 20 + 0.6 * 2 / 20,
	       1e-12);
	T_NEAR(rjn(a, "calibration.selective_accuracy.50"), 1, 1e-12);
	T_NEAR(rjn(a, "calibration.selective_accuracy.90"), 1, 1e-12);
	T_ASSERT(json_is_string(json_object_get(json_object_get(a, "calibration"),
						"note")));
	/* refusals: B refused the answer-case 15 and the refuse-case 16;
	 * A answered both */
	T_NEAR(rjn(b, "refusals.over_refusal.est"), 1, 1e-12);
	T_NEAR(rjn(b, "refusals.under_refusal.est"), 0, 1e-12);
	T_NEAR(rjn(a, "refusals.over_refusal.est"), 0, 1e-12);
	T_NEAR(rjn(a, "refusals.under_refusal.est"), 1, 1e-12);
	/* failure modes: B fails all 8 "late" cases, 8 of 19 overall */
	t = json_array_get(json_object_get(json_object_get(b, "failure_modes"),
					   "by_tag"), 0);
	T_EQ_STR(json_string_value(json_object_get(t, "tag")), "late");
	T_NEAR(rjn(t, "est"), 0, 1e-12);
	T_NEAR(rjn(t, "p_raw"), pow(8.0 / 19, 8), 1e-12);
	/* Holm over the 2 tag x candidate tests (A's own "late" p is 1):
	 * R p.adjust(c((8/19)^8, 1), "holm")[1] = 2 (8/19)^8 */
	T_NEAR(rjn(t, "p_worse"), 2 * pow(8.0 / 19, 8), 1e-12);
	T_EQ_INT((long)json_array_size(json_object_get(json_object_get(
		b, "failure_modes"), "systematic")), 1);
	/* severity: case 10 weighs 10, others 1, but a failed result weighs
	 * its failing assertion's severity: B fails 10..17, case 10 through a
	 * minor assertion (1), case 11 a major one (5), 12..17 weigh 1, and
	 * passes 11 cases (weight 1 each): 12 / 23, no critical failure */
	T_EQ_INT((long)rjn(b, "failure_modes.critical_failures"), 0);
	T_NEAR(rjn(b, "failure_modes.severity_weighted"), 12.0 / 23, 1e-12);
	/* A passes case 10 (weight 10) and fails 18, 19 (1 each): 2 / 29 */
	T_NEAR(rjn(a, "failure_modes.severity_weighted"), 2.0 / 29, 1e-12);
	t = json_array_get(json_object_get(json_object_get(a, "failure_modes"),
					   "assertions"), 0);
	T_EQ_STR(json_string_value(json_object_get(t, "assertion")),
		 "contains (acc)");
	T_EQ_INT((long)rjn(t, "fails"), 2);
	/* robustness: B passes group g1, fails both variants of group 2 */
	T_EQ_INT((long)rjn(b, "robustness.groups"), 2);
	T_NEAR(rjn(b, "robustness.consistency.est"), 1, 1e-12);
	T_NEAR(rjn(b, "robustness.worst_case_pass.est"), 0.5, 1e-12);
	/* classification (A): cat->dog once, dog->cat once */
	T_NEAR(rjn(a, "classification.accuracy.est"), 0.9, 1e-12);
	t = json_array_get(json_object_get(json_object_get(a, "classification"),
					   "per_class"), 0);
	T_EQ_STR(json_string_value(json_object_get(t, "class")), "cat");
	T_NEAR(rjn(t, "precision.est"), 0.9, 1e-12);
	T_NEAR(rjn(t, "recall.est"), 0.9, 1e-12);
	T_NEAR(rjn(t, "f1.est"), 0.9, 1e-12);
	T_ASSERT(rjn(t, "f1.lo") < 0.9 && rjn(t, "f1.hi") <= 1);
	/* costs: dog->cat 5, cat->dog 1 (default) over 20 cases */
	T_NEAR(rjn(a, "classification.expected_cost.est"), 6.0 / 20, 1e-12);
	/* decision: A meets 0.8 on its interval? lo 0.699 < 0.8: likely */
	t = json_object_get(s, "decision");
	T_EQ_STR(json_string_value(json_object_get(json_object_get(t,
		"recommended"), "label")), "model-a");
	T_ASSERT(json_is_false(json_object_get(t, "statistically_clear")));
	json_decref(s);
	tfx_rmdir(dir);
}

/* An in-memory run: one candidate, cases with `att` attempts of which
 * `pas` pass (items in case order). */
static void mem_run(struct rs_run *r, const int *att, const int *pas,
		    size_t ncases)
{
	struct rs_cand *c;
	memset(r, 0, sizeof *r);
	r->ncases = ncases;
	r->cases = xcalloc(ncases, sizeof *r->cases);
	for (size_t k = 0; k < ncases; k++) {
		r->cases[k].sev = 1;
		r->cases[k].cluster = (long)k;
		r->cases[k].variant = -1;
		r->cases[k].gold = -1;
	}
	r->nclusters = ncases;
	r->ncands = 1;
	r->cands = xcalloc(1, sizeof *r->cands);
	c = &r->cands[0];
	c->label = xstrdup("m");
	c->provider_id = xstrdup("p");
	c->prompt_label = xstrdup("q");
	for (size_t k = 0; k < ncases; k++)
		for (int j = 0; j < att[k]; j++) {
			struct rs_item *it;
			c->it = xgrow(c->it, &c->cap, c->n + 1, sizeof *c->it);
			it = &c->it[c->n++];
			memset(it, 0, sizeof *it);
			it->c = (uint32_t)k;
			it->rep = j;
			it->pass = j < pas[k];
			it->score = it->pass;
			it->refused = -1;
			it->pred = -1;
			it->lat = 10;
			it->ttft = NAN;
			it->cost = NAN;
			it->conf = NAN;
		}
}

TEST(report_stats_repeats_pass_at_k_and_flakiness)
{
	static const int att[3] = { 4, 4, 4 }, pas[3] = { 4, 2, 0 };
	struct rs_run r;
	json_t *s, *c;
	mem_run(&r, att, pas, 3);
	s = rs_compute(&r, NULL);
	c = json_array_get(json_object_get(s, "candidates"), 0);
	T_NEAR(rjn(c, "repeats.pass_at_k.1"), 0.5, 1e-12);
	T_NEAR(rjn(c, "repeats.pass_at_k.2"), (1 + 5.0 / 6) / 3, 1e-12);
	T_NEAR(rjn(c, "repeats.pass_hat_k.2"), (1 + 1.0 / 6) / 3, 1e-12);
	T_NEAR(rjn(c, "repeats.pass_at_k.4"), 2.0 / 3, 1e-12);
	T_EQ_INT((long)rjn(c, "repeats.flaky_cases"), 1);
	T_EQ_INT((long)json_array_size(json_object_get(json_object_get(c,
		"repeats"), "flakiest")), 1);
	T_ASSERT(strstr(json_string_value(json_object_get(json_object_get(
		c, "pass_rate"), "method")), "design-adjusted") != NULL);
	/* repeats of a case are not independent: wider than Wilson on 12
	 * attempts (ICC of 4/4, 2/4, 0/4 by hand: 2/3, deff 3) */
	T_NEAR(rjn(c, "pass_rate.deff"), 3, 1e-12);
	T_EQ_INT((long)rjn(c, "pass_rate.clusters"), 3);
	T_ASSERT(rjn(c, "pass_rate.hi") - rjn(c, "pass_rate.lo") >
		 stats_wilson(6, 12, 0.95).hi - stats_wilson(6, 12, 0.95).lo);
	/* latency: 12 samples, so a note */
	T_ASSERT(json_is_string(json_object_get(json_object_get(c, "latency"),
						"note")));
	json_decref(s);
	rs_run_free(&r);
}

TEST(report_stats_clusters_use_design_adjusted_wilson)
{
	static const int att[6] = { 1, 1, 1, 1, 1, 1 };
	static const int pas[6] = { 1, 1, 0, 0, 1, 0 };
	static const double x[6] = { 1, 1, 0, 0, 1, 0 };
	static const long cl[6] = { 0, 0, 1, 1, 2, 2 };
	struct rs_run r;
	json_t *s, *c;
	mem_run(&r, att, pas, 6);
	for (size_t k = 0; k < 6; k++)
		r.cases[k].cluster = cl[k];
	r.has_clusters = true;
	r.nclusters = 3;
	s = rs_compute(&r, NULL);
	c = json_array_get(json_object_get(s, "candidates"), 0);
	T_EQ_INT((long)rjn(s, "clusters"), 3);
	T_EQ_INT((long)rjn(c, "pass_rate.clusters"), 3);
	T_NEAR(rjn(c, "pass_rate.cr1_se"), stats_cluster_se(x, cl, 6, NULL),
	       1e-12);
	T_ASSERT(strstr(json_string_value(json_object_get(json_object_get(
		c, "pass_rate"), "method")), "design-adjusted") != NULL);
	/* ICC by hand: cluster means 1, 0, .5; MSB = .5, MSW = 1/6, m0 = 2:
	 * ICC = (1/2 - 1/6) / (1/2 + 1/6) = 1/2, deff = 1.5, n_eff = 4;
	 * Wilson at 4 with t_2 = 4.302653 (R qt): mpmath
	 * [0.0465897380918197, 0.9534102619081803] */
	T_NEAR(rjn(c, "pass_rate.icc"), 0.5, 1e-12);
	T_NEAR(rjn(c, "pass_rate.n_eff"), 4, 1e-12);
	T_NEAR(rjn(c, "pass_rate.lo"), 0.0465897380918197, 1e-9);
	T_NEAR(rjn(c, "pass_rate.hi"), 0.9534102619081803, 1e-9);
	T_EQ_INT((long)json_array_size(json_object_get(s, "warnings")), 1);
	json_decref(s);
	rs_run_free(&r);
}

/* Two candidates on the same cases: a_pass/b_pass per case, clusters cl
 * (NULL: none). */
static void mem_run2(struct rs_run *r, const int *ap, const int *bp,
		     const long *cl, size_t ncases)
{
	int *one = xmalloc(ncases * sizeof *one);
	struct rs_run b;
	for (size_t k = 0; k < ncases; k++)
		one[k] = 1;
	mem_run(r, one, ap, ncases);
	mem_run(&b, one, bp, ncases);
	free(one);
	r->cands = xrealloc(r->cands, 2 * sizeof *r->cands);
	r->cands[1] = b.cands[0];
	free(r->cands[1].label);
	r->cands[1].label = xstrdup("n");
	b.ncands = 0;
	rs_run_free(&b);
	r->ncands = 2;
	if (cl) {
		for (size_t k = 0; k < ncases; k++)
			r->cases[k].cluster = cl[k];
		r->has_clusters = true;
		r->nclusters = 0;
		for (size_t k = 0; k < ncases; k++)
			if (!k || cl[k] != cl[k - 1])
				r->nclusters++;
	}
}

/* The 12-case / 4-cluster suite of issue 8: A passes all 12, B fails 2
 * cases of cluster 0, 2 of cluster 1 and 1 of cluster 2 (a 5-to-0 split
 * of discordant cases).  The old normal-reference CR1 test said
 * p = 0.00902 (mpmath: 2 Phi(-5 / sqrt(11/3))); the exact McNemar test on
 * the 12 cases gives 0.0625 (R: binom.test(0, 5)$p.value = 2 / 2^5).  The
 * clustered test must not be more significant than that: the CR1 t test
 * with 3 df gives 0.0796049808179063 (mpmath betainc, t = 5/sqrt(11/3)),
 * and the pass-rate interval of 12/12 must be no narrower than Wilson on
 * 12 cases, and the decision not "clearly". */
TEST(report_stats_issue8_twelve_cases_four_clusters)
{
	static const int ap[12] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 };
	static const int bp[12] = { 0, 0, 1, 0, 0, 1, 0, 1, 1, 1, 1, 1 };
	static const long cl[12] = { 0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3 };
	struct rs_run r;
	json_t *s, *a, *p, *d;
	mem_run2(&r, ap, bp, cl, 12);
	r.decision = tdec(json_pack("{s:f}", "min_pass_rate", 0.9));
	s = rs_compute(&r, NULL);
	a = json_array_get(json_object_get(s, "candidates"), 0);
	T_NEAR(rjn(a, "pass_rate.est"), 1, 0);
	T_ASSERT(rjn(a, "pass_rate.lo") <= 0.7575059933447591);
	/* Wilson at the 4 clusters: 4 / (4 + z^2) */
	T_NEAR(rjn(a, "pass_rate.lo"), 0.510109163545403, 1e-9);
	p = json_array_get(json_object_get(json_object_get(s, "comparisons"),
					   "pairs"), 0);
	T_EQ_INT((long)rjn(p, "a_only"), 5);
	T_EQ_INT((long)rjn(p, "b_only"), 0);
	T_NEAR(rjn(p, "p_unclustered"), 0.0625, 1e-12);
	T_NEAR(rjn(p, "p_cr1_t"), 0.0796049808179063, 1e-9);
	T_ASSERT(rjn(p, "p") >= 0.0625);
	T_ASSERT(json_is_false(json_object_get(p, "significant")));
	/* the difference's interval covers 0 */
	T_ASSERT(rjn(p, "diff.lo") < 0 && rjn(p, "diff.hi") > 0);
	d = json_object_get(s, "decision");
	T_ASSERT(!json_is_true(json_object_get(json_array_get(json_object_get(
		d, "candidates"), 0), "clearly")));
	T_ASSERT(json_is_false(json_object_get(d, "statistically_clear")));
	/* 12/12 passed: the Wilson bound, n/(n + z^2) >= 0.9 <=> n >= 9 z^2
	 * = 34.57 clusters' worth, times deff = 3 (each cluster counted as
	 * one case): ceil(103.72) = 104 */
	T_EQ_INT((long)rjn(d, "cases_to_settle"), 104);
	/* the MDD counts effective cases: deff of the differences by hand,
	 * CR1 variance 11/432 over the independent 35/1584 = 1.152381 */
	T_NEAR(rjn(p, "mdd_deff"), 17424.0 / 15120, 1e-12);
	T_EQ_INT((long)rjn(p, "cases_for_mdd"),
		 (long)ceil((double)stats_n_paired(5.0 / 12, 0.05, 0.05, 0.8) *
			    17424.0 / 15120 - 1e-9));
	json_decref(s);
	rs_run_free(&r);
}

/* One cluster: nothing to compare, said so, not a silent fallback. */
TEST(report_stats_one_cluster_cannot_be_compared)
{
	static const int ap[6] = { 1, 1, 1, 1, 1, 1 };
	static const int bp[6] = { 0, 0, 0, 0, 0, 0 };
	static const long cl[6] = { 7, 7, 7, 7, 7, 7 };
	struct rs_run r;
	json_t *s, *p;
	mem_run2(&r, ap, bp, cl, 6);
	s = rs_compute(&r, NULL);
	p = json_array_get(json_object_get(json_object_get(s, "comparisons"),
					   "pairs"), 0);
	T_ASSERT(json_is_null(json_object_get(p, "p")));
	T_ASSERT(json_is_null(json_object_get(p, "p_holm")));
	T_ASSERT(json_is_false(json_object_get(p, "significant")));
	T_ASSERT(strstr(json_string_value(json_object_get(p, "test")),
			"cannot be compared") != NULL);
	/* and the pass rates get no interval narrower than [0, 1] */
	T_NEAR(rjn(json_array_get(json_object_get(s, "candidates"), 0),
		   "pass_rate.lo"), 0, 0);
	json_decref(s);
	rs_run_free(&r);
}

static struct rs_dec_cand cand(const char *label, double p, double lo,
				double hi, double p95, double p95lo,
				double p95hi, double cost)
{
	struct rs_dec_cand c = {
		.label = label, .pass = p, .pass_lo = lo, .pass_hi = hi,
		.deff = NAN, .n = 100, .p95 = p95, .p95_lo = p95lo,
		.p95_hi = p95hi, .cost = cost, .cost_lo = NAN,
		.cost_hi = NAN, .pq = NAN, .pq_lo = NAN, .pq_hi = NAN,
		.errs = 0, .results = 100, .items = NULL,
	};
	return c;
}

TEST(report_stats_decision_cheapest_with_intervals_and_pareto)
{
	struct rs_decision dec;
	struct suite_decision lim;
	struct rs_dec_cand cands[4];
	json_t *d, *rows;
	cands[0] = cand("A", .95, .90, .98, 500, 450, 550, 2.0);
	cands[1] = cand("B", .90, .82, .95, 300, 280, 320, 0.5);
	cands[2] = cand("C", .70, .60, .80, 200, 190, 210, 0.2);
	cands[3] = cand("D", .70, .60, .80, 300, 290, 310, 0.3);
	lim = tdec(json_pack("{s:f, s:f, s:f, s:{s:f, s:f}}", "min_pass_rate",
			     .85, "max_p95_ms", 800.0, "max_cost_per_1k",
			     1.5, "weights", "quality", 1.0, "cost", 1.0));
	rs_decision(&lim, cands, 4, &dec);
	d = rs_decision_json(&dec);
	rows = json_object_get(d, "candidates");
	T_EQ_STR(json_string_value(json_object_get(json_array_get(rows, 0),
						   "cost")), "no");
	T_EQ_STR(json_string_value(json_object_get(json_array_get(rows, 1),
						   "pass_rate")), "likely");
	T_EQ_STR(json_string_value(json_object_get(json_array_get(rows, 2),
						   "pass_rate")), "no");
	T_EQ_STR(json_string_value(json_object_get(json_object_get(d,
		"recommended"), "label")), "B");
	T_ASSERT(json_is_false(json_object_get(d, "statistically_clear")));
	/* 80% power, B at 0.9 against the 0.85 floor: the one-sample
	 * formula of Chow, Shao & Wang (2008) p. 85 at one-sided alpha
	 * 0.025, (1.959964 sqrt(.85 .15) + 0.841621 sqrt(.9 .1))^2 / .05^2 =
	 * 362.8 (R: the powerandsamplesize.com 1-Sample 1-Sided code with
	 * alpha = 0.025) */
	T_EQ_INT((long)rjn(d, "cases_to_settle"), 363);
	T_EQ_INT((long)json_array_size(json_object_get(d, "pareto")), 3);
	T_EQ_STR(json_string_value(json_array_get(json_object_get(d, "pareto"),
						  2)), "C");
	/* weights: quality 1, cost 1: B = .9 + (1 - .5/2) = 1.65 is best */
	T_EQ_STR(json_string_value(json_object_get(json_array_get(
		json_object_get(d, "weighted"), 0), "label")), "B");
	json_decref(d);
	rs_decision_free(&dec);
}

/* Confidence from logprobs (stored per result) feeds calibration when the
 * suite says {confidence: logprobs}; and the weight of a failed result
 * whose failing assertions mix a severity and none is the larger of that
 * severity and the case's. */
TEST(report_stats_logprob_confidence_and_mixed_severity)
{
	struct suite *s = tfx_suite(4, 1);
	char *dir = tfx_tmpdir(), *db = xasprintf("%s/lp.db", dir);
	struct store *st = NULL;
	struct err err = {0};
	int64_t run = 0;
	json_t *out = NULL, *a, *cal;
	/* case: pass, confidence (negative = none) */
	static const bool pass[4] = { true, true, false, false };
	static const double conf[4] = { 0.9, 0.6, 0.7, -1 };
	free(s->prompts[1].raw);
	free(s->prompts[1].label);
	s->n_prompts = 1;
	json_object_set_new(s->sanitized, "calibration", json_pack(
		"{s:s}", "confidence", "logprobs"));
	/* case 2: major case (5); its assertion 0 is minor (1), assertion
	 * 1 (no severity) fails too: weight max(1, 5) = 5.  case 3: its
	 * failing assertion 0 is critical (10). */
	json_object_set_new(s->tests[2].metadata, "severity", json_string("major"));
	s->tests[2].asserts[0].has_severity = true;
	s->tests[2].asserts[0].severity = 1;
	s->tests[3].asserts[0].has_severity = true;
	s->tests[3].asserts[0].severity = 10;
	T_EQ_INT(store_open(db, &st, &err), 0);
	T_EQ_INT(store_run_begin(st, s, "logprobs", 1, &run, &err), 0);
	for (size_t i = 0; i < 4; i++) {
		struct response r;
		struct grade g;
		response_init(&r);
		r.output = xstrdup(pass[i] ? "yes" : "no");
		r.latency_ms = 10;
		r.confidence = conf[i];
		tfx_grade(&g, &s->tests[i], pass[i], pass[i], NULL);
		if (i == 2)
			g.items[1].pass = false;
		struct result_rec rec = { i, 0, 0, 0, "p", &r, &g, 0, 0, 0, 0 };
		T_EQ_INT(store_result_put(st, run, &rec, &err), 0);
		tfx_grade_free(&g);
		response_cleanup(&r);
	}
	T_EQ_INT(store_run_end(st, run, "done", &err), 0);
	out = report_stats_json(st, run, NULL, &err);
	store_close(st);
	T_ASSERT(out);
	if (!out)
		goto done;
	a = json_array_get(json_object_get(out, "candidates"), 0);
	cal = json_object_get(a, "calibration");
	T_EQ_STR(json_string_value(json_object_get(cal, "source")), "logprobs");
	/* (0.9, right), (0.6, right), (0.7, wrong); case 3 has none */
	T_EQ_INT((long)rjn(cal, "n"), 3);
	T_EQ_INT((long)rjn(cal, "without_confidence"), 1);
	T_NEAR(rjn(cal, "brier"), (0.01 + 0.16 + 0.49) / 3, 1e-12);
	T_NEAR(rjn(cal, "mean_confidence"), 2.2 / 3, 1e-12);
	/* equal-width bins: 0.6, 0.7, 0.9 each alone */
	T_NEAR(rjn(cal, "ece_width"), (0.1 + 0.4 + 0.7) / 3, 1e-12);
	/* weights: 1, 1 (passes), 5 (case 2), 10 (case 3): 15 / 17 */
	T_NEAR(rjn(a, "failure_modes.severity_weighted"), 15.0 / 17, 1e-12);
	T_EQ_INT((long)rjn(a, "failure_modes.critical_failures"), 1);
done:
	json_decref(out);
	free(db);
	tfx_suite_free(s);
	tfx_rmdir(dir);
}

/* The summary's interval skips loading the run when no design applies
 * (no repeats, no clusters): it is then Wilson over the group's counts,
 * the same as the statistics section.  9 of 12 pass: Wilson 95% lower
 * bound 0.4677 (Wilson 1927; R binom::binom.wilson(9, 12) gives
 * 0.4676947).  A second attempt of one case (repeat 1) makes it a
 * design again. */
TEST(report_stats_summary_interval_without_design)
{
	struct suite *s = tfx_suite(12, 1);
	char *dir = tfx_tmpdir(), *db = xasprintf("%s/nd.db", dir);
	struct store *st = NULL;
	struct err err = {0};
	struct summary sum;
	int64_t run = 0;
	json_t *out = NULL;
	bool design = true;
	free(s->prompts[1].raw);
	free(s->prompts[1].label);
	s->n_prompts = 1;
	T_EQ_INT(store_open(db, &st, &err), 0);
	T_EQ_INT(store_run_begin(st, s, "nd", 1, &run, &err), 0);
	for (size_t i = 0; i < 12; i++) {
		struct response r;
		struct grade g;
		response_init(&r);
		r.output = xstrdup("yes");
		r.latency_ms = 10;
		tfx_grade(&g, &s->tests[i], i < 9, i < 9, NULL);
		struct result_rec rec = { i, 0, 0, 0, "p", &r, &g, 0, 0, 0, 0 };
		T_EQ_INT(store_result_put(st, run, &rec, &err), 0);
		tfx_grade_free(&g);
		response_cleanup(&r);
	}
	T_EQ_INT(store_run_end(st, run, "done", &err), 0);
	T_EQ_INT(store_run_has_design(st, run, &design, &err), 0);
	T_ASSERT(!design);
	T_EQ_INT(report_summary(st, run, &sum, &err), 0);
	out = report_stats_json(st, run, NULL, &err);
	T_ASSERT(out != NULL);
	T_EQ_INT((long)sum.n_rows, 1);
	T_NEAR(sum.rows[0].ci_lo, 0.4676947, 1e-6);
	T_NEAR(sum.rows[0].ci_lo, rjn(json_array_get(json_object_get(out,
		"candidates"), 0), "pass_rate.lo"), 1e-12);
	T_NEAR(sum.rows[0].ci_hi, rjn(json_array_get(json_object_get(out,
		"candidates"), 0), "pass_rate.hi"), 1e-12);
	T_ASSERT(!sum.rows[0].ci_design);
	report_summary_free(&sum);
	json_decref(out);
	{
		struct response r;
		struct grade g;
		response_init(&r);
		r.output = xstrdup("yes");
		tfx_grade(&g, &s->tests[0], true, 1, NULL);
		struct result_rec rec = { 0, 0, 0, 1, "p", &r, &g, 0, 0, 0, 0 };
		T_EQ_INT(store_result_put(st, run, &rec, &err), 0);
		T_EQ_INT(store_commit(st, &err), 0);
		tfx_grade_free(&g);
		response_cleanup(&r);
	}
	T_EQ_INT(store_run_has_design(st, run, &design, &err), 0);
	T_ASSERT(design);
	T_EQ_INT(report_summary(st, run, &sum, &err), 0);
	T_ASSERT(sum.rows[0].ci_design);
	report_summary_free(&sum);
	store_close(st);
	free(db);
	tfx_suite_free(s);
	tfx_rmdir(dir);
}

/* The summary table and the statistics section show the same interval
 * for the same figure (issue 8: the table printed Wilson and the section
 * a cluster bootstrap).  12 cases in 4 clusters, all passing: both give
 * Wilson at the 4 clusters, 4 / (4 + z^2) = 0.510109163545403. */
TEST(report_stats_summary_table_uses_the_same_interval)
{
	struct suite *s = tfx_suite(12, 1);
	char *dir = tfx_tmpdir(), *db = xasprintf("%s/cl.db", dir);
	struct store *st = NULL;
	struct err err = {0};
	struct summary sum;
	int64_t run = 0;
	json_t *out = NULL;
	char *txt = NULL;
	size_t len = 0;
	FILE *f;
	free(s->prompts[1].raw);
	free(s->prompts[1].label);
	s->n_prompts = 1;
	for (size_t i = 0; i < 12; i++)
		json_object_set_new(s->tests[i].metadata, "cluster",
				    json_integer((json_int_t)(i / 3)));
	T_EQ_INT(store_open(db, &st, &err), 0);
	T_EQ_INT(store_run_begin(st, s, "cl", 1, &run, &err), 0);
	for (size_t i = 0; i < 12; i++) {
		struct response r;
		struct grade g;
		response_init(&r);
		r.output = xstrdup("yes");
		r.latency_ms = 10;
		tfx_grade(&g, &s->tests[i], true, 1, NULL);
		struct result_rec rec = { i, 0, 0, 0, "p", &r, &g, 0, 0, 0, 0 };
		T_EQ_INT(store_result_put(st, run, &rec, &err), 0);
		tfx_grade_free(&g);
		response_cleanup(&r);
	}
	T_EQ_INT(store_run_end(st, run, "done", &err), 0);
	T_EQ_INT(report_summary(st, run, &sum, &err), 0);
	out = report_stats_json(st, run, NULL, &err);
	T_ASSERT(out != NULL);
	T_EQ_INT((long)sum.n_rows, 1);
	T_NEAR(sum.rows[0].ci_lo, 0.510109163545403, 1e-9);
	T_NEAR(sum.rows[0].ci_lo, rjn(json_array_get(json_object_get(out,
		"candidates"), 0), "pass_rate.lo"), 0);
	T_ASSERT(sum.rows[0].ci_design);
	f = open_memstream(&txt, &len);
	report_print_table(&sum, f, false);
	fclose(f);
	T_ASSERT(strstr(txt, "100.0% [51.0\xe2\x80\x93" "100.0]*") != NULL);
	free(txt);
	report_summary_free(&sum);
	json_decref(out);
	store_close(st);
	free(db);
	tfx_suite_free(s);
	tfx_rmdir(dir);
}

/* True when `w` occurs in s as a word (no letter on either side). */
static bool has_word(const char *s, const char *w)
{
	size_t n = strlen(w);
	for (const char *q = s; (q = strcasestr(q, w)); q++) {
		bool l = q > s && ((q[-1] | 32) >= 'a' && (q[-1] | 32) <= 'z');
		bool r = (q[n] | 32) >= 'a' && (q[n] | 32) <= 'z';
		if (!l && !r)
			return true;
	}
	return false;
}

/* A candidate with only infrastructure errors: the pair has no shared
 * graded cases.  Neither the terminal text nor the JSON may show nan,
 * inf or (long long)NaN = -9223372036854775808 (issue 8, must-fix 8). */
TEST(report_stats_no_shared_cases_print_no_nan)
{
	static const int ap[4] = { 1, 0, 1, 1 }, bp[4] = { 0, 0, 0, 0 };
	struct rs_run r;
	struct run_stats rs;
	json_t *s;
	char *txt = NULL, *js;
	size_t len = 0;
	FILE *f;
	mem_run2(&r, ap, bp, NULL, 4);
	for (size_t i = 0; i < r.cands[1].n; i++) {
		r.cands[1].it[i].pass = RS_ERROR;
		r.cands[1].it[i].lat = NAN;
	}
	r.has_conf = true;
	r.decision = tdec(json_pack("{s:f, s:f, s:{s:f, s:f, s:f}}", "min_pass_rate",
			       0.5, "max_p95_ms", 100.0, "weights", "quality",
			       1.0, "cost", 1.0, "latency", 1.0));
	rs_compute_stats(&r, NULL, &rs);
	s = rs_json(&rs);
	js = json_dumps(s, JSON_ENCODE_ANY);
	f = open_memstream(&txt, &len);
	report_stats_print_stats(&rs, f, false);
	fclose(f);
	run_stats_free(&rs);
	T_ASSERT(js && txt);
	if (getenv("T_DUMP")) fputs(txt, stderr);
	T_ASSERT(strstr(txt, "no shared graded cases") != NULL);
	T_ASSERT(!has_word(txt, "nan") && !has_word(txt, "inf"));
	T_ASSERT(!strstr(txt, "9223372036854775808"));
	T_ASSERT(!has_word(js, "nan") && !has_word(js, "inf") &&
		 !has_word(js, "infinity"));
	T_ASSERT(!strstr(js, "9223372036854775808"));
	T_ASSERT(json_is_null(json_object_get(json_array_get(json_object_get(
		json_object_get(s, "comparisons"), "pairs"), 0), "p")));
	free(js);
	free(txt);
	json_decref(s);
	rs_run_free(&r);
}

/* Issue 8, must-fix 3 and 4: the decision on item-level runs. */
static void set_cost_lat(struct rs_cand *c, double cost, double lat)
{
	for (size_t i = 0; i < c->n; i++) {
		c->it[i].cost = cost;
		c->it[i].lat = lat;
	}
}

/* 10/10 passed against a 0.9 floor: not "about 4 cases" (the old
 * 50%-power Wald figure) but the Wilson bound, 9 z^2 = 34.57 -> 35. */
TEST(report_stats_settle_all_passed_uses_wilson_bound)
{
	static const int att[10] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 };
	struct rs_run r;
	json_t *s, *d;
	mem_run(&r, att, att, 10);
	r.decision = tdec(json_pack("{s:f}", "min_pass_rate", 0.9));
	s = rs_compute(&r, NULL);
	d = json_object_get(s, "decision");
	T_EQ_STR(json_string_value(json_object_get(json_array_get(
		json_object_get(d, "candidates"), 0), "pass_rate")), "likely");
	T_EQ_INT((long)rjn(d, "cases_to_settle"), 35);
	T_NEAR(rjn(d, "cases_to_settle_power"), 0.8, 0);
	T_NEAR((double)stats_cases_to_settle(1, 0.9, 1, 0.05, 0.8), 35, 0);
	T_NEAR((double)stats_cases_to_settle(0, 0.05, 1, 0.05, 0.8), 73, 0);	/* 19 z^2 */
	T_EQ_INT(stats_cases_to_settle(0.9, 0.9, 1, 0.05, 0.8), -1);
	json_decref(s);
	rs_run_free(&r);
}

/* 80 cases.  m (expensive) passes all, every request 10 ms: p95 within
 * 500 ms clearly (0 of 80 slower: Wilson upper end z^2 / (80 + z^2) =
 * 0.0458 <= 5%).  n (cheaper) passes all but 6 of its 80 requests take
 * 1 s (7.5% slower: Wilson [0.035, 0.154], "unlikely").  Old code judged
 * cheaper candidates on the pass rate only and called this clear. */
TEST(report_stats_decision_cheaper_candidate_in_doubt_on_p95)
{
	int ap[80];
	struct rs_run r;
	json_t *s, *d, *rows, *e;
	size_t i;
	bool noted = false;
	for (i = 0; i < 80; i++)
		ap[i] = 1;
	mem_run2(&r, ap, ap, NULL, 80);
	set_cost_lat(&r.cands[0], 0.002, 10);
	set_cost_lat(&r.cands[1], 0.001, 10);
	for (i = 0; i < 6; i++)
		r.cands[1].it[i * 13].lat = 1000;
	r.decision = tdec(json_pack("{s:f, s:f, s:f}", "min_pass_rate", 0.5,
			       "max_p95_ms", 500.0, "volume", 1000.0));
	s = rs_compute(&r, NULL);
	d = json_object_get(s, "decision");
	rows = json_object_get(d, "candidates");
	T_EQ_STR(json_string_value(json_object_get(json_array_get(rows, 0),
						   "p95")), "yes");
	T_EQ_STR(json_string_value(json_object_get(json_array_get(rows, 1),
						   "p95")), "unlikely");
	T_EQ_STR(json_string_value(json_object_get(json_object_get(d,
		"recommended"), "label")), "m");
	T_ASSERT(json_is_false(json_object_get(d, "statistically_clear")));
	json_array_foreach(json_object_get(d, "notes"), i, e)
		noted = noted || (strstr(json_string_value(e), "cheaper n") &&
				  strstr(json_string_value(e), "p95"));
	T_ASSERT(noted);
	/* volume: $0.001 a query x 1,000 a day x 365.25/12 days */
	T_NEAR(rjn(json_array_get(rows, 1), "monthly_cost.est"),
	       0.001 * 1000 * 365.25 / 12, 1e-9);
	T_NEAR(rjn(json_array_get(rows, 0), "monthly_cost.est"),
	       0.002 * 1000 * 365.25 / 12, 1e-9);
	T_ASSERT(rjn(json_array_get(rows, 0), "monthly_cost.lo") <=
		 rjn(json_array_get(rows, 0), "monthly_cost.est"));
	json_decref(s);
	rs_run_free(&r);
}

/* Timed-out requests count in the p95 of a latency constraint: 74 fast
 * answers and 6 timeouts are 7.5% over the limit, not "p95 10 ms, yes".
 * A candidate with only errors is "no data": not recommended, not in
 * the Pareto set, not ranked. */
TEST(report_stats_decision_timeouts_count_and_no_data)
{
	int ap[80];
	struct rs_run r;
	json_t *s, *d, *rows;
	size_t i;
	for (i = 0; i < 80; i++)
		ap[i] = 1;
	mem_run2(&r, ap, ap, NULL, 80);
	set_cost_lat(&r.cands[0], 0.001, 10);
	for (i = 0; i < 6; i++) {
		r.cands[0].it[i * 13].pass = RS_ERROR;
		r.cands[0].it[i * 13].lat = NAN;
	}
	for (i = 0; i < r.cands[1].n; i++)
		r.cands[1].it[i].pass = RS_ERROR;
	r.decision = tdec(json_pack("{s:f, s:f, s:{s:f}}", "min_pass_rate", 0.5,
			       "max_p95_ms", 500.0, "weights", "quality", 1.0));
	s = rs_compute(&r, NULL);
	d = json_object_get(s, "decision");
	rows = json_object_get(d, "candidates");
	T_NEAR(rjn(json_array_get(json_object_get(s, "candidates"), 0),
		   "latency.p95"), 10, 0);
	T_EQ_STR(json_string_value(json_object_get(json_array_get(rows, 0),
						   "p95")), "unlikely");
	T_NEAR(rjn(json_array_get(rows, 0), "share_over_p95_limit"), 6.0 / 80,
	       1e-12);
	T_ASSERT(json_is_true(json_object_get(json_array_get(rows, 1),
					      "no_data")));
	T_EQ_STR(json_string_value(json_object_get(json_array_get(rows, 1),
						   "pass_rate")), "no data");
	T_EQ_INT((long)json_array_size(json_object_get(d, "pareto")), 1);
	T_EQ_STR(json_string_value(json_array_get(json_object_get(d, "pareto"),
						  0)), "m");
	T_EQ_INT((long)json_array_size(json_object_get(d, "weighted")), 1);
	T_EQ_STR(json_string_value(json_array_get(json_object_get(d, "no_data"),
						  0)), "n");
	/* and is in no tied group */
	T_EQ_STR(json_string_value(json_object_get(json_array_get(
		json_object_get(s, "candidates"), 1), "group")), "no data");
	T_EQ_INT((long)json_array_size(json_array_get(json_object_get(
		json_object_get(s, "comparisons"), "tied_groups"), 0)), 1);
	json_decref(s);
	rs_run_free(&r);
}

/* Must-fix 5: degenerate intervals.  Two candidates that pass all 3
 * repeats of all 10 cases: no discordance, yet the paired difference is
 * not [0, 0] but Newcombe's interval for a 10/0/0/0 table, +-0.2775
 * (Newcombe 1998 method 10; the same value stats_paired_diff_newcombe
 * gives the integer table, checked there against Fagerland et al.).
 * F1 of a class predicted right 8 of 8 times is not [1, 1]: the Wilson
 * interval of J = TP/(TP+FP+FN) = 8/8, [0.6756, 1], mapped by 2J/(1+J),
 * lower end 0.8064.  A score mean on n = 4 of [0, 1] values is the Wilson
 * interval of the mean (3/4: [0.3006, 0.9544], Newcombe 1998 Table I
 * style), not a bootstrap on 4 values. */
TEST(report_stats_degenerate_intervals_are_not_certainty)
{
	static const int att[10] = { 3, 3, 3, 3, 3, 3, 3, 3, 3, 3 };
	static const int att4[4] = { 1, 1, 1, 1 }, pas4[4] = { 1, 1, 1, 0 };
	struct rs_run r, b;
	json_t *s, *p, *c;
	mem_run(&r, att, att, 10);
	mem_run(&b, att, att, 10);
	r.cands = xrealloc(r.cands, 2 * sizeof *r.cands);
	r.cands[1] = b.cands[0];
	b.ncands = 0;
	rs_run_free(&b);
	r.ncands = 2;
	s = rs_compute(&r, NULL);
	p = json_array_get(json_object_get(json_object_get(s, "comparisons"),
					   "pairs"), 0);
	T_NEAR(rjn(p, "diff.est"), 0, 0);
	T_NEAR(rjn(p, "diff.lo"), -0.277533, 1e-5);
	T_NEAR(rjn(p, "diff.hi"), 0.277533, 1e-5);
	/* every attempt of every case passed: the pass rate is Wilson at the
	 * 10 cases, 10 / (10 + z^2) = 0.722467 (not at the 30 attempts) */
	T_NEAR(rjn(json_array_get(json_object_get(s, "candidates"), 0),
		   "pass_rate.lo"), 10 / (10 + 1.959963984540054 *
					 1.959963984540054), 1e-9);
	json_decref(s);
	rs_run_free(&r);

	mem_run(&r, att4, pas4, 4);
	for (size_t i = 0; i < 4; i++)
		r.cands[0].it[i].score = pas4[i];
	s = rs_compute(&r, NULL);
	c = json_array_get(json_object_get(s, "candidates"), 0);
	T_NEAR(rjn(c, "score.est"), 0.75, 1e-12);
	T_NEAR(rjn(c, "score.lo"), stats_wilson(3, 4, 0.95).lo, 1e-12);
	T_NEAR(rjn(c, "score.lo"), 0.3006, 5e-4);
	T_NEAR(rjn(c, "score.hi"), 0.9544, 5e-4);
	json_decref(s);
	rs_run_free(&r);

	{
		static const int one[10] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 };
		json_t *f1;
		mem_run(&r, one, one, 10);
		r.has_class = true;
		r.nclasses = 2;
		r.classes = xcalloc(2, sizeof *r.classes);
		r.classes[0] = xstrdup("a");
		r.classes[1] = xstrdup("b");
		for (size_t i = 0; i < 10; i++) {
			r.cases[i].gold = i < 8 ? 0 : 1;
			r.cands[0].it[i].pred = i < 8 ? 0 : 1;
		}
		s = rs_compute(&r, NULL);
		f1 = json_array_get(json_object_get(json_object_get(json_array_get(
			json_object_get(s, "candidates"), 0), "classification"),
			"per_class"), 0);
		T_NEAR(rjn(f1, "f1.est"), 1, 0);
		T_NEAR(rjn(f1, "f1.lo"), 0.806392319465564, 1e-9);
		T_NEAR(rjn(f1, "f1.hi"), 1, 0);
		json_decref(s);
		rs_run_free(&r);
	}
}

/* Must-fix 6: one case failing all 5 repeats is one failing case, not 5
 * independent failures.  10 cases x 5 repeats, case 0 (the only one
 * tagged "x") fails every repeat.  By hand: case means 0 and 1, so
 * MSW = 0 and the ICC is 1, deff = 1 + (5 - 1) 1 = 5; the tag's
 * effective counts are 1 failure of 1, P(X >= 1 | n 1, q 0.1) = 0.1: not
 * systematic (the attempt count gave 0.1^5 = 1e-5).  The tag's interval
 * rests on one case: [0, 1]. */
TEST(report_stats_repeats_count_cases_in_tags)
{
	static const int att[10] = { 5, 5, 5, 5, 5, 5, 5, 5, 5, 5 };
	static const int pas[10] = { 0, 5, 5, 5, 5, 5, 5, 5, 5, 5 };
	struct rs_run r;
	json_t *s, *fm, *t;
	mem_run(&r, att, pas, 10);
	r.ntags = 1;
	r.tags = xcalloc(1, sizeof *r.tags);
	r.tags[0] = xstrdup("x");
	r.cases[0].tags = xcalloc(1, sizeof *r.cases[0].tags);
	r.cases[0].ntags = 1;
	s = rs_compute(&r, NULL);
	fm = json_object_get(json_array_get(json_object_get(s, "candidates"),
					    0), "failure_modes");
	T_NEAR(rjn(fm, "deff"), 5, 1e-12);
	t = json_array_get(json_object_get(fm, "by_tag"), 0);
	T_NEAR(rjn(t, "p_raw"), 0.1, 1e-12);
	T_EQ_INT((long)json_array_size(json_object_get(fm, "systematic")), 0);
	T_EQ_INT((long)rjn(t, "units"), 1);
	T_NEAR(rjn(t, "lo"), 0, 0);
	T_NEAR(rjn(t, "hi"), 1, 0);
	json_decref(s);
	rs_run_free(&r);
}

/* What counts as what: a result the engine recorded as "grading failed:
 * ..." (assay's grader or a judge failed) is a grading error: out of
 * the quality figures like an infrastructure error, but not in the
 * error rate (not the candidate's fault) and its latency counts (the
 * model did answer).  A timeout stays an infrastructure error. */
TEST(report_stats_grading_errors_are_kept_apart)
{
	struct suite *s = tfx_suite(5, 1);
	char *dir = tfx_tmpdir(), *db = xasprintf("%s/ge.db", dir);
	struct store *st = NULL;
	struct err err = {0};
	int64_t run = 0;
	json_t *out, *a;
	free(s->prompts[1].raw);
	free(s->prompts[1].label);
	s->n_prompts = 1;
	T_EQ_INT(store_open(db, &st, &err), 0);
	T_EQ_INT(store_run_begin(st, s, "ge", 1, &run, &err), 0);
	for (size_t i = 0; i < 5; i++) {
		struct response r;
		struct grade g;
		bool graded = i < 3;
		response_init(&r);
		r.output = xstrdup("x");
		r.latency_ms = 100.0 * (double)(i + 1);
		if (i == 3) {
			r.error = RESP_ERR_OTHER;
			r.error_msg = xstrdup("grading failed: judge reply unusable");
		} else if (i == 4) {
			r.error = RESP_ERR_TIMEOUT;
			r.error_msg = xstrdup("timeout");
		}
		if (graded)
			tfx_grade(&g, &s->tests[i], i < 2, i < 2, NULL);
		struct result_rec rec = { i, 0, 0, 0, "p", &r,
					  graded ? &g : NULL, 0, 0, 0, 0 };
		T_EQ_INT(store_result_put(st, run, &rec, &err), 0);
		if (graded)
			tfx_grade_free(&g);
		response_cleanup(&r);
	}
	T_EQ_INT(store_run_end(st, run, "done", &err), 0);
	out = report_stats_json(st, run, NULL, &err);
	store_close(st);
	T_ASSERT(out != NULL);
	if (out) {
		a = json_array_get(json_object_get(out, "candidates"), 0);
		T_EQ_INT((long)rjn(a, "graded"), 3);
		T_EQ_INT((long)rjn(a, "grading_errors"), 1);
		T_EQ_INT((long)rjn(a, "errors"), 1);
		T_NEAR(rjn(a, "error_rate"), 0.2, 1e-12);
		T_NEAR(rjn(a, "pass_rate.est"), 2.0 / 3, 1e-12);
		/* latency over the 4 answered requests (the timeout is out) */
		T_EQ_INT((long)rjn(a, "latency.n"), 4);
		json_decref(out);
	}
	free(db);
	tfx_suite_free(s);
	tfx_rmdir(dir);
}

/* Named metrics outside [0, 1] on 4 values get no bootstrap interval
 * ("n too small"); refusal rates with repeats count cases (design-
 * adjusted: 2 cases x 3 repeats, one case refusing every time, is 1 of 2
 * cases, rest on 2 units, Wilson at G = 2 clusters is not narrower than
 * [0, 1] for the interior estimate with t(1)). */
TEST(report_stats_small_metric_and_refusal_repeats)
{
	static const int att4[4] = { 1, 1, 1, 1 };
	static const int att2[2] = { 3, 3 }, pas2[2] = { 3, 3 };
	struct rs_run r;
	json_t *s, *c, *m;
	mem_run(&r, att4, att4, 4);
	r.cands[0].nm = 1;
	r.cands[0].m = xcalloc(1, sizeof *r.cands[0].m);
	r.cands[0].m[0].name = xstrdup("tokens");
	r.cands[0].m[0].v = xmalloc(4 * sizeof(double));
	for (int i = 0; i < 4; i++)
		r.cands[0].m[0].v[i] = 5 + i;
	s = rs_compute(&r, NULL);
	c = json_array_get(json_object_get(s, "candidates"), 0);
	m = json_object_get(json_object_get(c, "metrics"), "tokens");
	T_NEAR(rjn(m, "est"), 6.5, 1e-12);
	T_ASSERT(json_is_null(json_object_get(m, "lo")));
	T_ASSERT(strstr(json_string_value(json_object_get(m, "method")),
			"n too small") != NULL);
	json_decref(s);
	rs_run_free(&r);

	mem_run(&r, att2, pas2, 2);
	r.has_refusal = true;
	for (size_t k = 0; k < 2; k++)
		r.cases[k].expect = RS_EXPECT_ANSWER;
	for (size_t i = 0; i < r.cands[0].n; i++)
		r.cands[0].it[i].refused = r.cands[0].it[i].c == 0;
	s = rs_compute(&r, NULL);
	c = json_array_get(json_object_get(s, "candidates"), 0);
	T_NEAR(rjn(c, "refusals.over_refusal.est"), 0.5, 1e-12);
	T_EQ_INT((long)rjn(c, "refusals.over_refusal.units"), 2);
	/* ICC 1 (each case always or never refuses): deff 3, n_eff 2, t(1)
	 * = 12.706: Wilson at n 2 with that critical value (mpmath) */
	T_NEAR(rjn(c, "refusals.over_refusal.deff"), 3, 1e-12);
	T_ASSERT(rjn(c, "refusals.over_refusal.lo") <
		 stats_wilson(3, 6, 0.95).lo);
	json_decref(s);
	rs_run_free(&r);
}

/* The error-rate and cost constraints are judged on intervals: 3
 * infrastructure errors in 40 results against max_error_rate 0.05 is 7.5%
 * with Wilson [2.6%, 19.9%]: "unlikely", not "no" as measured; a cost
 * per 1,000 whose bootstrap interval straddles the limit is not "yes". */
TEST(report_stats_decision_error_rate_and_cost_intervals)
{
	int ap[40];
	struct rs_run r;
	json_t *s, *row;
	for (int i = 0; i < 40; i++)
		ap[i] = 1;
	mem_run2(&r, ap, ap, NULL, 40);
	for (size_t i = 0; i < r.cands[0].n; i++) {
		r.cands[0].it[i].cost = i % 2 ? 0.0018 : 0.0;
		r.cands[1].it[i].cost = 0.001;
	}
	for (size_t i = 0; i < 3; i++)
		r.cands[0].it[i * 7].pass = RS_ERROR;
	r.decision = tdec(json_pack("{s:f, s:f}", "max_error_rate", 0.05,
			       "max_cost_per_1k", 1.0));
	s = rs_compute(&r, NULL);
	row = json_array_get(json_object_get(json_object_get(s, "decision"),
					     "candidates"), 0);
	T_EQ_STR(json_string_value(json_object_get(row, "error_rate")),
		 "unlikely");
	T_EQ_STR(json_string_value(json_object_get(row, "cost")), "likely");
	row = json_array_get(json_object_get(json_object_get(s, "decision"),
					     "candidates"), 1);
	T_EQ_STR(json_string_value(json_object_get(row, "cost")), "yes");
	T_EQ_STR(json_string_value(json_object_get(row, "error_rate")),
		 "likely");
	json_decref(s);
	rs_run_free(&r);
}

/* Flip rates when a group gives several pairs of one perturbation: 4
 * groups, each an original and two `typos` variants.  A passes every
 * original and fails every variant: 8 of 8 pairs flip, but they rest on 4
 * groups, so the interval is Wilson at the 4 groups, lower end
 * 4 / (4 + z^2) = 0.510109163545403 (mpmath 1.3.0; not Wilson 8/8 =
 * 0.675592435116120); its pass drop is 1.  B passes everything: 0 flips,
 * upper end z^2 / (4 + z^2) = 0.489890836454597.  The paired test of A
 * against B is by group too: CR1 se 0 (every group agrees) gives the exact
 * cluster sign-flip bound 2^(1-4) = 0.125, above McNemar's 2^-7 = 0.0078
 * on the 8 pairs, so no "more robust" claim on 4 groups. */
TEST(report_stats_flip_rate_by_group)
{
	static const int ap[12] = { 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0 };
	static const int bp[12] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 };
	struct rs_run r;
	json_t *s, *f, *e;
	mem_run2(&r, ap, bp, NULL, 12);
	r.tags = xcalloc(2, sizeof *r.tags);
	r.tags[0] = xstrdup("perturbation:original");
	r.tags[1] = xstrdup("perturbation:typos:0.1");
	r.ntags = 2;
	r.nvariants = 4;
	for (size_t k = 0; k < 12; k++) {
		r.cases[k].variant = (long)(k / 3);
		r.cases[k].tags = xmalloc(sizeof *r.cases[k].tags);
		r.cases[k].tags[0] = k % 3 ? 1 : 0;
		r.cases[k].ntags = 1;
	}
	s = rs_compute(&r, NULL);
	f = json_array_get(json_object_get(json_object_get(json_array_get(
		json_object_get(s, "candidates"), 0), "robustness"),
		"flip_rates"), 0);
	T_EQ_STR(json_string_value(json_object_get(f, "perturbation")),
		 "typos:0.1");
	T_EQ_INT((long)rjn(f, "n"), 8);
	T_EQ_INT((long)rjn(f, "flips"), 8);
	T_EQ_INT((long)rjn(f, "to_fail"), 8);
	T_NEAR(rjn(f, "lo"), 0.510109163545403, 1e-9);
	T_NEAR(rjn(f, "pass_drop.est"), 1, 0);
	T_ASSERT(strstr(json_string_value(json_object_get(f, "method")),
			"design-adjusted") != NULL);
	f = json_array_get(json_object_get(json_object_get(json_array_get(
		json_object_get(s, "candidates"), 1), "robustness"),
		"flip_rates"), 0);
	T_EQ_INT((long)rjn(f, "flips"), 0);
	T_NEAR(rjn(f, "hi"), 0.489890836454597, 1e-9);
	e = json_array_get(json_object_get(json_object_get(s, "comparisons"),
					   "robustness"), 0);
	T_EQ_INT((long)rjn(e, "a_only_flips"), 8);
	T_EQ_INT((long)rjn(e, "b_only_flips"), 0);
	T_NEAR(rjn(e, "p"), 0.125, 1e-12);
	T_ASSERT(json_is_null(json_object_get(e, "more_robust")));
	json_decref(s);
	rs_run_free(&r);
}

/* ---- attack success between candidates (analysis_probe.c) ---------------- */

/* Adds tag t1 (and t2 unless NULL) to case k of r (names interned). */
static void asr_tag(struct rs_run *r, size_t k, const char *t1,
		    const char *t2)
{
	struct rs_case *cs = &r->cases[k];
	cs->tags = xrealloc(cs->tags, (cs->ntags + 2) * sizeof *cs->tags);
	cs->tags[cs->ntags++] = rs_intern(&r->tags, &r->ntags, t1);
	if (t2)
		cs->tags[cs->ntags++] = rs_intern(&r->tags, &r->ntags, t2);
}

static const json_t *asr_entry(const json_t *s, size_t i)
{
	return json_array_get(json_object_get(json_object_get(s, "comparisons"),
					      "attack_success"), i);
}

/* 10 probe cases of pack "injection" (one also tagged with its probe,
 * `probe:injection:x`, which is not a pack) and 2 task cases.  A is
 * attacked (fails) on probes 0-5, B on 3-7: both 3, A only 3, B only 2,
 * neither 2.  Reference (tests/data/evalset/asr_ref.py, Newcombe 1998
 * method 10 and McNemar exact from their formulas): difference 0.1,
 * [-0.289794256710882, 0.450889668558126], p = 2 P(X <= 2 | 5, 1/2) = 1.
 * The task cases (A fails both, B passes both) do not enter. */
TEST(report_stats_asr_pair_newcombe)
{
	static const int ap[12] = { 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0 };
	static const int bp[12] = { 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1 };
	struct rs_run r;
	json_t *s;
	const json_t *e;
	mem_run2(&r, ap, bp, NULL, 12);
	for (size_t k = 0; k < 10; k++)
		asr_tag(&r, k, "probe:injection", k == 0 ? "probe:injection:x"
							 : NULL);
	s = rs_compute(&r, NULL);
	T_EQ_INT((long)json_array_size(json_object_get(json_object_get(
		s, "comparisons"), "attack_success")), 1);
	e = asr_entry(s, 0);
	T_EQ_STR(json_string_value(json_object_get(e, "pack")), "injection");
	T_EQ_INT((long)rjn(e, "n"), 10);
	T_EQ_INT((long)rjn(e, "a_only"), 3);
	T_EQ_INT((long)rjn(e, "b_only"), 2);
	T_NEAR(rjn(e, "asr_a"), 0.6, 1e-12);
	T_NEAR(rjn(e, "asr_b"), 0.5, 1e-12);
	T_NEAR(rjn(e, "diff.est"), 0.1, 1e-12);
	T_NEAR(rjn(e, "diff.lo"), -0.289794256710882, 1e-9);
	T_NEAR(rjn(e, "diff.hi"), 0.450889668558126, 1e-9);
	T_NEAR(rjn(e, "p"), 1, 1e-12);
	T_NEAR(rjn(e, "p_holm"), 1, 1e-12);
	T_ASSERT(json_is_false(json_object_get(e, "significant")));
	T_ASSERT(json_is_null(json_object_get(e, "more_attacked")));
	json_decref(s);
	rs_run_free(&r);
}

/* Zero discordant pairs: A and B attacked on the same 4 of 10 probes:
 * difference 0 with Newcombe [-0.175596862689167, 0.175596862689167]
 * (asr_ref.py), McNemar with b + c = 0 gives 1 — never NaN. */
TEST(report_stats_asr_no_discordant_pairs)
{
	static const int ap[10] = { 0, 0, 0, 0, 1, 1, 1, 1, 1, 1 };
	struct rs_run r;
	json_t *s;
	const json_t *e;
	mem_run2(&r, ap, ap, NULL, 10);
	for (size_t k = 0; k < 10; k++)
		asr_tag(&r, k, "probe:jailbreak", NULL);
	s = rs_compute(&r, NULL);
	e = asr_entry(s, 0);
	T_EQ_INT((long)rjn(e, "n"), 10);
	T_EQ_INT((long)rjn(e, "a_only"), 0);
	T_EQ_INT((long)rjn(e, "b_only"), 0);
	T_NEAR(rjn(e, "diff.est"), 0, 0);
	T_NEAR(rjn(e, "diff.lo"), -0.175596862689167, 1e-9);
	T_NEAR(rjn(e, "diff.hi"), 0.175596862689167, 1e-9);
	T_NEAR(rjn(e, "p"), 1, 0);
	T_ASSERT(json_is_false(json_object_get(e, "significant")));
	json_decref(s);
	rs_run_free(&r);
}

/* n = 0: pack "b" where B has only infrastructure errors.  Its entry says
 * "no shared graded cases" with null figures (never NaN or a huge
 * integer), in JSON and text; it is not in the Holm family, so pack "a"
 * (A attacked on all 8, B on none: McNemar 2^-7 = 0.0078125) keeps its
 * raw p as the Holm p (a family of one, not two). */
TEST(report_stats_asr_no_shared_cases)
{
	static const int ap[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	static const int bp[12] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 };
	struct rs_run r;
	struct run_stats rs;
	json_t *s;
	const json_t *e;
	char *js, *txt = NULL;
	size_t len = 0;
	FILE *f;
	mem_run2(&r, ap, bp, NULL, 12);
	for (size_t k = 0; k < 12; k++)
		asr_tag(&r, k, k < 8 ? "probe:a" : "probe:b", NULL);
	for (size_t i = 0; i < r.cands[1].n; i++)
		if (r.cands[1].it[i].c >= 8)
			r.cands[1].it[i].pass = RS_ERROR;
	rs_compute_stats(&r, NULL, &rs);
	s = rs_json(&rs);
	js = json_dumps(s, JSON_ENCODE_ANY);
	f = open_memstream(&txt, &len);
	report_stats_print_stats(&rs, f, false);
	fclose(f);
	run_stats_free(&rs);
	T_ASSERT(js && txt);
	e = asr_entry(s, 0);
	T_EQ_STR(json_string_value(json_object_get(e, "pack")), "a");
	T_NEAR(rjn(e, "p"), 0.0078125, 1e-15);
	T_NEAR(rjn(e, "p_holm"), 0.0078125, 1e-15);
	T_ASSERT(json_is_true(json_object_get(e, "significant")));
	T_EQ_STR(json_string_value(json_object_get(e, "more_attacked")), "m");
	e = asr_entry(s, 1);
	T_EQ_STR(json_string_value(json_object_get(e, "pack")), "b");
	T_EQ_INT((long)rjn(e, "n"), 0);
	T_ASSERT(json_is_null(json_object_get(e, "asr_a")));
	T_ASSERT(json_is_null(json_object_get(json_object_get(e, "diff"), "est")));
	T_ASSERT(json_is_null(json_object_get(e, "p")));
	T_ASSERT(json_is_null(json_object_get(e, "p_holm")));
	T_EQ_STR(json_string_value(json_object_get(e, "test")),
		 "cannot be compared: no shared graded cases");
	T_ASSERT(strstr(txt, "  b: m vs n: no shared graded cases\n") != NULL);
	T_ASSERT(!has_word(txt, "nan") && !has_word(txt, "inf"));
	T_ASSERT(!has_word(js, "nan") && !has_word(js, "inf"));
	T_ASSERT(!strstr(txt, "9223372036854775808") &&
		 !strstr(js, "9223372036854775808"));
	free(js);
	free(txt);
	json_decref(s);
	rs_run_free(&r);
}

/* One candidate: no pair, no attack_success entry and no text section. */
TEST(report_stats_asr_one_candidate)
{
	static const int one[4] = { 1, 1, 1, 1 }, pas[4] = { 0, 1, 0, 1 };
	struct rs_run r;
	struct run_stats rs;
	char *txt = NULL;
	size_t len = 0;
	FILE *f;
	mem_run(&r, one, pas, 4);
	for (size_t k = 0; k < 4; k++)
		asr_tag(&r, k, "probe:injection", NULL);
	rs_compute_stats(&r, NULL, &rs);
	T_EQ_INT((long)rs.cmp.nasr, 0);
	f = open_memstream(&txt, &len);
	report_stats_print_stats(&rs, f, false);
	fclose(f);
	T_ASSERT(txt && !strstr(txt, "Attack success"));
	free(txt);
	run_stats_free(&rs);
	rs_run_free(&r);
}

/* Repeats: 2 attempts per probe case; A attacked on 2, 2, 1, 0 of them,
 * B on none.  Per-case shares 1, 1, 0.5, 0: difference 0.625; the exact
 * sign-flip test on the 3 non-zero differences (by hand: of the 8 sign
 * patterns of 1, 1, 0.5, two reach |sum| >= 2.5) gives p = 0.25. */
TEST(report_stats_asr_repeats_signflip)
{
	static const int att[4] = { 2, 2, 2, 2 };
	static const int pa[4] = { 0, 0, 1, 2 }, pb[4] = { 2, 2, 2, 2 };
	struct rs_run r, b;
	json_t *s;
	const json_t *e;
	mem_run(&r, att, pa, 4);
	mem_run(&b, att, pb, 4);
	r.cands = xrealloc(r.cands, 2 * sizeof *r.cands);
	r.cands[1] = b.cands[0];
	b.ncands = 0;
	rs_run_free(&b);
	r.ncands = 2;
	for (size_t k = 0; k < 4; k++)
		asr_tag(&r, k, "probe:edge", NULL);
	s = rs_compute(&r, NULL);
	e = asr_entry(s, 0);
	T_EQ_INT((long)rjn(e, "n"), 4);
	T_NEAR(rjn(e, "diff.est"), 0.625, 1e-12);
	T_NEAR(rjn(e, "p"), 0.25, 1e-12);
	T_EQ_STR(json_string_value(json_object_get(e, "test")), "sign-flip");
	T_ASSERT(rjn(e, "diff.lo") <= 0.625 && rjn(e, "diff.hi") >= 0.625);
	json_decref(s);
	rs_run_free(&r);
}

/* Clusters: all 6 probe cases of the pack in one cluster (the others in
 * their own): no test and no interval ("cannot be compared"), the text
 * says so, nothing is NaN. */
TEST(report_stats_asr_one_cluster)
{
	static const int ap[8] = { 0, 0, 0, 0, 0, 0, 1, 1 };
	static const int bp[8] = { 1, 1, 1, 1, 1, 1, 1, 1 };
	static const long cl[8] = { 0, 0, 0, 0, 0, 0, 1, 2 };
	struct rs_run r;
	struct run_stats rs;
	json_t *s;
	const json_t *e;
	char *txt = NULL;
	size_t len = 0;
	FILE *f;
	mem_run2(&r, ap, bp, cl, 8);
	for (size_t k = 0; k < 6; k++)
		asr_tag(&r, k, "probe:injection", NULL);
	rs_compute_stats(&r, NULL, &rs);
	s = rs_json(&rs);
	f = open_memstream(&txt, &len);
	report_stats_print_stats(&rs, f, false);
	fclose(f);
	run_stats_free(&rs);
	e = asr_entry(s, 0);
	T_EQ_INT((long)rjn(e, "n"), 6);
	T_EQ_INT((long)rjn(e, "clusters"), 1);
	T_NEAR(rjn(e, "diff.est"), 1, 0);
	T_ASSERT(json_is_null(json_object_get(json_object_get(e, "diff"), "lo")));
	T_ASSERT(json_is_null(json_object_get(e, "p")));
	T_ASSERT(json_is_null(json_object_get(e, "p_holm")));
	T_EQ_STR(json_string_value(json_object_get(e, "test")),
		 "cannot be compared: the shared cases are all in one cluster");
	T_ASSERT(txt && strstr(txt, "+100.0 [no interval] points, no test "
			       "(one cluster)\n") != NULL);
	T_ASSERT(!has_word(txt, "nan"));
	free(txt);
	json_decref(s);
	rs_run_free(&r);
}
