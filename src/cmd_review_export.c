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
 * prompt, repeat).  Cases without an approved output are skipped. */
#include "cmd_review.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_human.h"
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
	/* the case being walked */
	long cs;
	bool any;              /* some output of it was graded */
	unsigned char *seen;   /* graders who graded it */
	json_t *best;          /* its approved result so far, or NULL */
	double best_mean;
	int best_yes, best_n;
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
	if (r->case_description)
		json_object_set_new(t, "description", json_string(r->case_description));
	json_object_set_new(vars, "expected", json_string(r->output));
	json_object_set_new(t, "vars", vars);
	if (strcmp(type, "none")) {
		json_t *a = json_object(), *list = json_array();
		json_object_set_new(a, "type", json_string(type));
		json_object_set_new(a, "value", json_string(r->output));
		if (!strcmp(type, "similar")) {
			json_object_set_new(a, "threshold", json_real(
				x->o->threshold > 0 ? x->o->threshold : 0.8));
			if (x->o->embedder)
				json_object_set_new(a, "provider", json_string(x->o->embedder));
		}
		json_array_append_new(list, a);
		json_object_set_new(t, "assert", list);
	}
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
	x->best_mean = m;
	x->best_yes = yes;
	return 0;
}

int review_export(struct store *st, const char *run, const char *out,
		  const struct review_export_opts *o, struct err *err)
{
	struct ex x = { .o = o, .cs = -1 };
	int rc;
	const char *type = o->assert_type ? o->assert_type : "similar";
	if (strcmp(type, "similar") && strcmp(type, "equals") && strcmp(type, "none"))
		return err_set(err, ST_USAGE, "--assert must be similar, equals or none");
	if ((rc = store_resolve_run(st, run, &x.run_id, err)) ||
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
done:
	for (size_t i = 0; i < x.ngr; i++)
		free(x.graders[i]);
	free(x.graders);
	free(x.g);
	free(x.seen);
	return rc;
}
