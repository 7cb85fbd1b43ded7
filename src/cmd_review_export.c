/* cmd_review_export.c — `assay review export RUN -o cases.yaml`: the
 * cases people reviewed, with the approved output as the reference answer
 * (vars.expected and a `similar` or `equals` assertion) and the review as
 * metadata, written as a promptfoo-style list of tests (each test one
 * JSON-style flow mapping, which YAML reads as is).
 *
 * The approved output of a case: among its outputs whose reviewers said
 * "would ship" more often than not (yes > no), the one with the highest
 * mean rating (an output without ratings counts below any rated one);
 * ties go to more yes votes, then to the first in suite order (provider,
 * prompt, repeat).  Cases without an approved output are skipped.
 *
 * Each written case keeps the assertions it was graded by (the suite's
 * own, without defaultTest's, which the next suite applies anyway), then
 * the reference assertion.  The store keeps assertion results, not their
 * values, so they come from the run's suite file (or --suite): loaded
 * again, each of its tests is matched to the run's case by the content
 * hash the run stored (store_keys.c), so an edited suite never lends a
 * case someone else's assertions; a case it no longer holds is written
 * without them and counted. */
#include "cmd_review.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evalset/evalset.h"
#include "store/store_human.h"
#include "suite/suite.h"
#include "util/xalloc.h"

struct eg { int64_t rid; int grader, rating, ship; };

struct ex {
	struct eg *g;
	size_t ng, cap;
	char **graders;
	size_t ngr;
	const struct review_export_opts *o;
	int64_t run_id;
	FILE *f;
	long written, skipped, reviewed;
	/* the suite's assertions of each case (by case index; NULL: none
	 * known), when the suite could be loaded */
	json_t **orig;
	size_t n_orig;
	bool have_suite;
	long unmatched;        /* written cases the suite did not hold */
	/* the case being walked */
	long cs;
	bool any;              /* some output of it was graded */
	unsigned char *seen;   /* graders who graded it */
	json_t *best;          /* its approved result so far, or NULL */
	double best_mean;
	int best_yes, best_n;
	bool best_orig;        /* its assertions were found in the suite */
};

static int on_grade(void *ud, const struct store_human_grade *g)
{
	struct ex *x = ud;
	size_t k;
	if (!g->kind || strcmp(g->kind, "rating") || !g->grader)
		return 0;
	for (k = 0; k < x->ngr && strcmp(x->graders[k], g->grader); k++)
		;
	if (k == x->ngr) {
		x->graders = xrealloc(x->graders, (x->ngr + 1) * sizeof *x->graders);
		x->graders[x->ngr++] = xstrdup(g->grader);
	}
	if (x->ng == x->cap) {
		x->cap = x->cap ? 2 * x->cap : 64;
		x->g = xrealloc(x->g, x->cap * sizeof *x->g);
	}
	x->g[x->ng++] = (struct eg){ g->result_id, (int)k, g->rating, g->ship };
	return 0;
}

static int cmp_eg(const void *a, const void *b)
{
	int64_t p = ((const struct eg *)a)->rid, q = ((const struct eg *)b)->rid;
	return (p > q) - (p < q);
}

static void emit(struct ex *x)
{
	if (x->any)
		x->reviewed++;
	if (!x->best) {
		x->skipped += x->any;
		goto reset;
	}
	long reviewers = 0;
	for (size_t i = 0; i < x->ngr; i++)
		reviewers += x->seen[i];
	json_t *meta = json_object_get(x->best, "metadata");
	json_t *h = json_object_get(meta, "human");
	json_object_set_new(h, "reviewers", json_integer(reviewers));
	char *s = json_dumps(x->best, JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER |
			     JSON_REAL_PRECISION(10));
	fprintf(x->f, "- %s\n", s);
	free(s);
	x->written++;
	x->unmatched += x->have_suite && !x->best_orig;
	json_decref(x->best);
reset:
	x->best = NULL;
	x->any = false;
	memset(x->seen, 0, x->ngr ? x->ngr : 1);
}

static json_t *obj_or_empty(const char *text)
{
	json_t *j = text ? json_loads(text, 0, NULL) : NULL;
	if (!json_is_object(j)) {
		json_decref(j);
		j = json_object();
	}
	return j;
}

static json_t *make_test(struct ex *x, const struct store_result *r,
			 double mean, int yes, int no, long nrat)
{
	json_t *t = json_object(), *vars = obj_or_empty(r->vars_json);
	json_t *meta = obj_or_empty(r->metadata_json), *h = json_object();
	const char *type = x->o->assert_type ? x->o->assert_type : "similar";
	json_t *orig = r->case_idx < x->n_orig ? x->orig[r->case_idx] : NULL;
	json_t *list = orig ? json_deep_copy(orig) : json_array();
	if (r->case_description)
		json_object_set_new(t, "description", json_string(r->case_description));
	json_object_set_new(vars, "expected", json_string(r->output));
	json_object_set_new(t, "vars", vars);
	if (strcmp(type, "none")) {
		json_t *a = json_object();
		json_object_set_new(a, "type", json_string(type));
		json_object_set_new(a, "value", json_string(r->output));
		if (!strcmp(type, "similar")) {
			json_object_set_new(a, "threshold", json_real(
				x->o->threshold > 0 ? x->o->threshold : 0.8));
			if (x->o->embedder)
				json_object_set_new(a, "provider", json_string(x->o->embedder));
		}
		json_array_append_new(list, a);
	}
	if (json_array_size(list))
		json_object_set_new(t, "assert", list);
	else
		json_decref(list);
	json_object_set_new(h, "rating", isnan(mean) ? json_null() : json_real(mean));
	json_object_set_new(h, "ratings", json_integer(nrat));
	json_object_set_new(h, "ship_yes", json_integer(yes));
	json_object_set_new(h, "ship_no", json_integer(no));
	json_object_set_new(h, "approved_provider", json_string(
		r->provider_label ? r->provider_label : ""));
	json_object_set_new(h, "source_run", json_integer(x->run_id));
	json_object_set_new(meta, "human", h);
	json_object_set_new(t, "metadata", meta);
	return t;
}

static int on_result(void *ud, const struct store_result *r)
{
	struct ex *x = ud;
	struct eg key = { r->id, 0, 0, 0 };
	struct eg *g = x->ng ? bsearch(&key, x->g, x->ng, sizeof *x->g, cmp_eg) : NULL;
	double sum = 0, mean;
	long nrat = 0;
	int yes = 0, no = 0;
	if ((long)r->case_idx != x->cs) {
		emit(x);
		x->cs = (long)r->case_idx;
	}
	if (!g)
		return 0;
	while (g > x->g && g[-1].rid == r->id)
		g--;
	for (; g < x->g + x->ng && g->rid == r->id; g++) {
		x->any = true;
		x->seen[g->grader] = 1;
		if (g->rating > 0) {
			sum += g->rating;
			nrat++;
		}
		yes += g->ship == 1;
		no += g->ship == 0;
	}
	mean = nrat ? sum / (double)nrat : NAN;
	if (yes <= no || !r->output)
		return 0;
	double m = nrat ? mean : 0;
	if (x->best && (m < x->best_mean ||
			(m == x->best_mean && yes <= x->best_yes)))
		return 0;
	json_decref(x->best);
	x->best = make_test(x, r, mean, yes, no, nrat);
	x->best_orig = r->case_idx < x->n_orig && x->orig[r->case_idx];
	x->best_mean = m;
	x->best_yes = yes;
	return 0;
}

/* A test's content hash and its index in the loaded suite. */
struct th { const char *hash; size_t idx; };

static int cmp_th(const void *a, const void *b)
{
	return strcmp(((const struct th *)a)->hash, ((const struct th *)b)->hash);
}

struct match {
	struct ex *x;
	const struct suite *s;
	struct th *by_hash;
	size_t n_def;          /* defaultTest's assertions, first in each test */
};

static int on_case(void *ud, const struct store_case *c)
{
	struct match *m = ud;
	struct th key = { c->case_hash, 0 }, *hit;
	json_t *list;
	if (!c->case_hash || c->idx >= m->x->n_orig ||
	    !(hit = bsearch(&key, m->by_hash, m->s->n_tests, sizeof *hit, cmp_th)))
		return 0;
	const struct test_case *t = &m->s->tests[hit->idx];
	list = json_array();
	for (size_t i = m->n_def; i < t->n_asserts; i++)
		json_array_append_new(list, es_assert_json(&t->asserts[i]));
	m->x->orig[c->idx] = list;
	return 0;
}

/* Fills x->orig from the suite at `path` for the run's cases.  A suite
 * that does not load is an error when the user named it (`named`), else
 * a warning: the cases are then written without their assertions. */
static int load_orig(struct store *st, struct ex *x, const char *path,
		     bool named, long n_cases, struct err *err)
{
	struct suite *s = NULL;
	struct store_keys *k;
	struct match m = { x, NULL, NULL, 0 };
	const json_t *def;
	struct err e;
	int rc;
	err_clear(&e);
	if (!path || suite_load(path, &s, &e)) {
		if (named)
			return err_set(err, e.code ? e.code : ST_INPUT, "%s", e.msg);
		fprintf(stderr, "assay review export: warning: the run's suite %s%s%s: "
			"the cases are written without their original assertions "
			"(name the suite with --suite FILE)\n",
			path ? path : "(unknown)", path ? " does not load: " : "",
			path ? e.msg : "");
		return 0;
	}
	k = store_keys_new(s);
	m.s = s;
	m.by_hash = xcalloc(s->n_tests ? s->n_tests : 1, sizeof *m.by_hash);
	for (size_t i = 0; i < s->n_tests; i++)
		m.by_hash[i] = (struct th){ store_keys_case_hash(k, i), i };
	qsort(m.by_hash, s->n_tests, sizeof *m.by_hash, cmp_th);
	def = json_object_get(json_object_get(s->sanitized, "defaultTest"), "assert");
	m.n_def = json_is_array(def) ? json_array_size(def) : 0;
	x->n_orig = n_cases > 0 ? (size_t)n_cases : 0;
	x->orig = xcalloc(x->n_orig ? x->n_orig : 1, sizeof *x->orig);
	x->have_suite = true;
	rc = store_cases_each(st, x->run_id, on_case, &m, err);
	free(m.by_hash);
	store_keys_free(k);
	suite_free(s);
	return rc;
}

int review_export(struct store *st, const char *run, const char *out,
		  const struct review_export_opts *o, struct err *err)
{
	struct ex x = { .o = o, .cs = -1 };
	struct store_run sr = { 0 };
	bool have_run = false;
	int rc;
	const char *type = o->assert_type ? o->assert_type : "similar";
	if (strcmp(type, "similar") && strcmp(type, "equals") && strcmp(type, "none"))
		return err_set(err, ST_USAGE, "--assert must be similar, equals or none");
	if ((rc = store_resolve_run(st, run, &x.run_id, err)) ||
	    (rc = store_run_get_brief(st, x.run_id, &sr, err)))
		goto done;
	have_run = true;
	if ((rc = load_orig(st, &x, o->suite ? o->suite : sr.suite_path,
			    o->suite != NULL, sr.n_cases, err)) ||
	    (rc = store_human_list(st, x.run_id, on_grade, &x, err)))
		goto done;
	qsort(x.g, x.ng, sizeof *x.g, cmp_eg);
	x.seen = xcalloc(x.ngr ? x.ngr : 1, 1);
	if (!(x.f = fopen(out, "w"))) {
		rc = err_set(err, ST_IO, "%s: cannot write", out);
		goto done;
	}
	fprintf(x.f, "# Reviewed cases of run %lld, written by `assay review export`:\n"
		"# the approved output of each case is its reference answer.\n"
		"# Use it from a suite with  tests: file://THIS_FILE.yaml\n",
		(long long)x.run_id);
	rc = store_results_each(st, x.run_id, on_result, &x, err);
	if (!rc)
		emit(&x);
	json_decref(x.best);
	if (fclose(x.f) && !rc)
		rc = err_set(err, ST_IO, "%s: write failed", out);
	if (!rc)
		fprintf(stderr, "wrote %s: %ld cases with an approved output; "
			"%ld reviewed cases without one skipped\n",
			out, x.written, x.skipped);
	if (!rc && x.unmatched)
		fprintf(stderr, "assay review export: warning: %ld written cases are "
			"not in the suite as it is now (edited since the run?): "
			"written without their original assertions\n", x.unmatched);
done:
	if (have_run)
		store_run_free(&sr);
	for (size_t i = 0; i < x.n_orig; i++)
		json_decref(x.orig[i]);
	free(x.orig);
	for (size_t i = 0; i < x.ngr; i++)
		free(x.graders[i]);
	free(x.graders);
	free(x.g);
	free(x.seen);
	return rc;
}
