/* view_api.c — the JSON API of `assay view` (docs/view.md lists every
 * route): runs, a run's page, the paged matrix, a case, a result, the
 * comparison of two runs, the review queue, the next blind pair, and the
 * two writes (a rating, a pairwise choice).
 *
 * Every parameter is checked (integers in range, strings capped by
 * view_arg) and answered with 400 and a message naming it; a body that is
 * not a JSON object, or has a field of the wrong type, is a 400 too.
 * Text from the store is untrusted: it leaves here only as JSON strings
 * (view_jstr makes them valid UTF-8), and the page writes them with
 * textContent. */
#include "view_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../report/compare.h"
#include "../report/report.h"
#include "../store/store_human.h"
#include "../store/store_view.h"

#define OUT_CAP_MATRIX 4000   /* bytes of an output shown in the matrix */
#define PAGE_MAX 200
#define NOTE_MAX 10000

/* ------------------------------------------------------------ params */

struct params {
	const struct view_args *a;
	struct view_reply *r;
	bool bad;
};

static const char *p_str(struct params *p, const char *name)
{
	bool big = false;
	const char *v = view_arg(p->a, name, &big);
	if (big && !p->bad) {
		p->bad = true;
		view_error(p->r, MHD_HTTP_BAD_REQUEST, "parameter %s is longer than %d bytes",
			   name, VIEW_ARG_MAX);
	}
	return v && *v ? v : NULL;
}

static bool parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;
	if (!s || !*s || strspn(s, "-0123456789") != strlen(s) || strlen(s) > 18)
		return false;
	v = strtol(s, &end, 10);
	if (*end || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

static long p_long(struct params *p, const char *name, long def, long lo, long hi)
{
	const char *v = p_str(p, name);
	long out;
	if (!v || p->bad)
		return def;
	if (!parse_long(v, lo, hi, &out)) {
		p->bad = true;
		view_error(p->r, MHD_HTTP_BAD_REQUEST, "parameter %s must be an integer "
			   "in %ld..%ld", name, lo, hi);
		return def;
	}
	return out;
}

static bool p_flag(struct params *p, const char *name)
{
	const char *v = p_str(p, name);
	return v && strcmp(v, "0");
}

static void db_error(struct view_reply *r, const struct err *e)
{
	view_error(r, e->code == ST_INPUT || e->code == ST_USAGE ? MHD_HTTP_BAD_REQUEST
		   : MHD_HTTP_INTERNAL_SERVER_ERROR, "%s", e->msg);
}

/* ------------------------------------------------------------ cells */

static json_t *cell_json(const struct sv_cell *c, size_t cap, bool full)
{
	bool cut = false;
	json_t *o = json_object();
	json_object_set_new(o, "result_id", json_integer(c->result_id));
	json_object_set_new(o, "case_idx", json_integer(c->case_idx));
	json_object_set_new(o, "repeat", json_integer(c->repeat));
	json_object_set_new(o, "prompt_idx", json_integer(c->prompt_idx));
	json_object_set_new(o, "provider_idx", json_integer(c->provider_idx));
	json_object_set_new(o, "output", view_jstr(c->output, cap, &cut));
	if (cut)
		json_object_set_new(o, "cut", json_true());
	if (c->error_kind) {
		struct buf b = { 0 };
		buf_printf(&b, "%s: %s", c->error_kind, c->error_msg ? c->error_msg : "");
		json_object_set_new(o, "error", view_jstr(buf_str(&b), 2000, NULL));
		buf_free(&b);
	}
	json_object_set_new(o, "pass", c->pass < 0 ? json_null() : json_boolean(c->pass));
	json_object_set_new(o, "score", view_jnum(c->score));
	json_object_set_new(o, "latency_ms", view_jnum(c->latency_ms));
	json_object_set_new(o, "cost_usd", view_jnum(c->cost_usd));
	json_object_set_new(o, "judge_rules", json_boolean(c->judge_rules));
	json_object_set_new(o, "n_ratings", json_integer(c->n_ratings));
	json_object_set_new(o, "mean_rating", view_jnum(c->mean_rating));
	if (full) {
		json_object_set_new(o, "run_id", json_integer(c->run_id));
		json_object_set_new(o, "provider", view_jstr(c->provider_label ? c->provider_label
							     : c->provider_id, 500, NULL));
		json_object_set_new(o, "prompt_label", view_jstr(c->prompt_label, 500, NULL));
		json_object_set_new(o, "prompt", view_jstr(c->prompt_text, 0, NULL));
		json_object_set_new(o, "reason", view_jstr(c->reason, 4000, NULL));
	}
	return o;
}

/* The case part of a cell: description, vars (parsed back), tags. */
static json_t *case_json(const struct sv_cell *c)
{
	json_t *o = json_object(), *v, *m;
	json_object_set_new(o, "case_idx", json_integer(c->case_idx));
	json_object_set_new(o, "repeat", json_integer(c->repeat));
	json_object_set_new(o, "description", view_jstr(c->description, 2000, NULL));
	/* vars are shown as text: the page never interprets them */
	v = c->vars_json ? json_loads(c->vars_json, JSON_DECODE_ANY, NULL) : NULL;
	if (v) {
		char *s = json_dumps(v, JSON_INDENT(1) | JSON_ENSURE_ASCII);
		json_object_set_new(o, "vars", view_jstr(s, 20000, NULL));
		free(s);
		json_decref(v);
	} else {
		json_object_set_new(o, "vars", view_jstr(c->vars_json, 20000, NULL));
	}
	m = c->metadata_json ? json_loads(c->metadata_json, 0, NULL) : NULL;
	json_t *tags = json_array(), *t = json_object_get(m, "tags");
	size_t i;
	json_t *e;
	if (json_is_array(t))
		json_array_foreach(t, i, e)
			if (json_is_string(e) && i < 50)
				json_array_append_new(tags, view_jstr(json_string_value(e), 200, NULL));
	json_object_set_new(o, "tags", tags);
	json_decref(m);
	return o;
}

struct row_ud {
	json_t *cells;
	json_t *kase;
	size_t cap;
	bool full;
};

static int row_cell(void *ud, const struct sv_cell *c)
{
	struct row_ud *u = ud;
	if (!u->kase)
		u->kase = case_json(c);
	json_array_append_new(u->cells, cell_json(c, u->cap, u->full));
	return 0;
}

/* ------------------------------------------------------------ runs */

static json_t *run_json(const struct store_run *r)
{
	return json_pack("{s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:I,s:I,s:I,s:I}",
		"id", (json_int_t)r->id,
		"created_at", view_jstr(r->created_at, 64, NULL),
		"finished_at", view_jstr(r->finished_at, 64, NULL),
		"status", view_jstr(r->status, 32, NULL),
		"description", view_jstr(r->description, 1000, NULL),
		"label", view_jstr(r->label, 200, NULL),
		"suite_path", view_jstr(r->suite_path, 1000, NULL),
		"n_cases", (json_int_t)r->n_cases,
		"n_providers", (json_int_t)r->n_providers,
		"n_results", (json_int_t)r->n_results,
		"n_errors", (json_int_t)r->n_errors);
}

static int runs_row(void *ud, const struct store_run *r)
{
	json_array_append_new(ud, run_json(r));
	return 0;
}

static void api_runs(struct view_server *s, struct view_reply *r)
{
	struct err e = { 0 };
	json_t *a = json_array();
	if (store_runs_each(s->st, 500, runs_row, a, &e)) {
		json_decref(a);
		db_error(r, &e);
		return;
	}
	view_json(r, MHD_HTTP_OK, json_pack("{s:o}", "runs", a));
}

static int prov_row(void *ud, const struct store_provider *p)
{
	json_array_append_new(ud, json_pack("{s:I,s:o,s:o}", "idx", (json_int_t)p->idx,
		"id", view_jstr(p->id, 500, NULL),
		"label", view_jstr(p->label ? p->label : p->id, 500, NULL)));
	return 0;
}

static int tag_row(void *ud, const char *t)
{
	if (json_array_size(ud) < 500)
		json_array_append_new(ud, view_jstr(t, 200, NULL));
	return 0;
}

static int human_row(void *ud, long prov, long n, double mean, long ships, long answers)
{
	json_array_append_new(ud, json_pack("{s:i,s:i,s:o,s:i,s:i}", "provider_idx", (int)prov,
		"n", (int)n, "mean", view_jnum(mean), "ships", (int)ships, "answers", (int)answers));
	return 0;
}

static void api_run(struct view_server *s, int64_t id, struct view_reply *r)
{
	struct store_run run = { 0 };
	struct err e = { 0 };
	json_t *cands = NULL, *provs = json_array(), *tags = json_array(), *human = json_array();
	if (store_run_get(s->st, id, &run, &e)) {
		view_error(r, MHD_HTTP_NOT_FOUND, "no run %lld", (long long)id);
		goto out;
	}
	/* the candidate table depends on the results only: cached per run
	 * (view_charts.c); the ratings below are read live */
	if (!(cands = view_run_candidates(s, &run, &e)) ||
	    store_providers_each(s->st, id, prov_row, provs, &e) ||
	    store_view_tags(s->st, id, tag_row, tags, &e) ||
	    store_view_rating_totals(s->st, id, human_row, human, &e)) {
		json_decref(cands);
		db_error(r, &e);
		goto out;
	}
	view_json(r, MHD_HTTP_OK, json_pack("{s:o,s:o,s:O,s:O,s:O,s:i}", "run", run_json(&run),
		"candidates", cands, "providers", provs, "tags", tags, "human", human,
		"reviewers_per_item", (int)s->per_item));
out:
	json_decref(provs);
	json_decref(tags);
	json_decref(human);
	store_run_free(&run);
}

/* ------------------------------------------------------------ matrix */

struct matrix_ud {
	struct view_server *s;
	int64_t run_id;
	json_t *rows;
	struct err *e;
};

static int matrix_row(void *ud, long case_idx, long repeat)
{
	struct matrix_ud *m = ud;
	struct row_ud u = { json_array(), NULL, OUT_CAP_MATRIX, false };
	int rc = store_view_row_cells(m->s->st, m->run_id, case_idx, repeat, row_cell, &u, m->e);
	json_t *row = u.kase ? u.kase : json_pack("{s:i,s:i}", "case_idx", (int)case_idx,
						 "repeat", (int)repeat);
	json_object_set_new(row, "cells", u.cells);
	json_array_append_new(m->rows, row);
	return rc;
}

static void api_matrix(struct view_server *s, struct params *p, int64_t id)
{
	struct sv_filter f = { 0 };
	struct err e = { 0 };
	long total = 0, offset, limit;
	struct matrix_ud m = { s, id, NULL, &e };
	f.failing = p_flag(p, "failing");
	f.judge_rules = p_flag(p, "jr");
	f.provider = p_long(p, "cand", -1, -1, 1000000);
	f.tag = p_str(p, "tag");
	f.text = p_str(p, "q");
	offset = p_long(p, "offset", 0, 0, 100000000);
	limit = p_long(p, "limit", 50, 1, PAGE_MAX);
	if (p->bad)
		return;
	m.rows = json_array();
	if (store_view_rows(s->st, id, &f, offset, limit, matrix_row, &m, &total, &e)) {
		json_decref(m.rows);
		db_error(p->r, &e);
		return;
	}
	view_json(p->r, MHD_HTTP_OK, json_pack("{s:i,s:i,s:i,s:o}", "total", (int)total,
		"offset", (int)offset, "limit", (int)limit, "rows", m.rows));
}

static void api_case(struct view_server *s, int64_t run_id, long case_idx, long repeat,
		     struct view_reply *r)
{
	struct err e = { 0 };
	struct row_ud u = { json_array(), NULL, 0, true };
	if (store_view_row_cells(s->st, run_id, case_idx, repeat, row_cell, &u, &e)) {
		json_decref(u.cells);
		db_error(r, &e);
		return;
	}
	if (!u.kase) {
		json_decref(u.cells);
		view_error(r, MHD_HTTP_NOT_FOUND, "run %lld has no case %ld repeat %ld",
			   (long long)run_id, case_idx, repeat);
		return;
	}
	json_object_set_new(u.kase, "cells", u.cells);
	view_json(r, MHD_HTTP_OK, u.kase);
}

/* ------------------------------------------------------------ result */

static json_t *grade_json(const struct store_human_grade *g)
{
	return json_pack("{s:I,s:I,s:I,s:o,s:o,s:o,s:o,s:I,s:o,s:o}", "id", (json_int_t)g->id,
		"result_id", (json_int_t)g->result_id,
		"other_result_id", (json_int_t)g->other_result_id,
		"reviewer", view_jstr(g->grader, 200, NULL), "kind", view_jstr(g->kind, 20, NULL),
		"rating", g->rating ? json_integer(g->rating) : json_null(),
		"ship", g->ship < 0 ? json_null() : json_boolean(g->ship),
		"preferred", (json_int_t)g->preferred,
		"note", view_jstr(g->comment, NOTE_MAX, NULL),
		"created_at", view_jstr(g->created_at, 64, NULL));
}

static int grade_row(void *ud, const struct store_human_grade *g)
{
	json_array_append_new(ud, grade_json(g));
	return 0;
}

static int assert_row(void *ud, const struct store_assert *a)
{
	json_array_append_new(ud, json_pack("{s:o,s:b,s:o,s:o}", "type", view_jstr(a->type, 200, NULL),
		"pass", a->pass, "score", view_jnum(a->score), "reason", view_jstr(a->reason, 4000, NULL)));
	return 0;
}

static void api_result(struct view_server *s, int64_t id, struct view_reply *r)
{
	struct err e = { 0 };
	struct row_ud u = { json_array(), NULL, 0, true };
	json_t *asserts = json_array(), *grades = json_array(), *o;
	bool found = false;
	if (store_view_result(s->st, id, row_cell, &u, &found, &e) ||
	    (found && (store_asserts_each(s->st, id, assert_row, asserts, &e) ||
		       store_view_result_grades(s->st, id, grade_row, grades, &e)))) {
		db_error(r, &e);
		goto out;
	}
	if (!found) {
		view_error(r, MHD_HTTP_NOT_FOUND, "no result %lld", (long long)id);
		goto out;
	}
	o = json_array_get(u.cells, 0);
	json_object_set(o, "case", u.kase);
	json_object_set(o, "assertions", asserts);
	json_object_set(o, "grades", grades);
	view_json(r, MHD_HTTP_OK, json_incref(o));
out:
	json_decref(u.cells);
	json_decref(u.kase);
	json_decref(asserts);
	json_decref(grades);
}

/* ------------------------------------------------------------ compare */

static void api_compare(struct view_server *s, struct params *p)
{
	struct compare cmp = { 0 };
	struct compare_opts o = { 0 };
	struct err e = { 0 };
	long base = p_long(p, "base", 0, 1, 1L << 50), nw = p_long(p, "new", 0, 1, 1L << 50);
	json_t *cands;
	if (p->bad)
		return;
	if (!base || !nw) {
		view_error(p->r, MHD_HTTP_BAD_REQUEST, "give two runs: ?base=ID&new=ID");
		return;
	}
	for (int k = 0; k < 2; k++) {
		struct store_run run = { 0 };
		int64_t id = k ? nw : base;
		if (store_run_get(s->st, id, &run, &e)) {
			store_run_free(&run);
			view_error(p->r, MHD_HTTP_NOT_FOUND, "no run %lld", (long long)id);
			return;
		}
		store_run_free(&run);
	}
	if (report_compare(s->st, base, nw, &o, &cmp, &e)) {
		view_error(p->r, e.code == ST_DB ? MHD_HTTP_NOT_FOUND : MHD_HTTP_BAD_REQUEST, "%s", e.msg);
		report_compare_free(&cmp);
		return;
	}
	cands = json_array();
	for (size_t i = 0; i < cmp.n_cands; i++) {
		const struct cmp_cand *c = &cmp.cands[i];
		json_t *ch = json_array();
		for (size_t k = 0; k < c->n_changes && k < 1000; k++)
			json_array_append_new(ch, json_pack("{s:o,s:i,s:i,s:b}",
				"description", view_jstr(c->changes[k].desc, 500, NULL),
				"base_case", (int)c->changes[k].base_case,
				"new_case", (int)c->changes[k].new_case, "fixed", c->changes[k].fixed));
		json_array_append_new(cands, json_pack(
			"{s:o,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:o,s:o,s:o,s:o,s:b,s:b,s:o,s:o,s:o,s:o,s:o}",
			"label", view_jstr(c->label, 500, NULL), "shared", (int)c->shared,
			"fixed", (int)c->fixed, "regressed", (int)c->regressed,
			"both_pass", (int)c->both_pass, "both_fail", (int)c->both_fail,
			"excluded_errors", (int)c->excluded_errors, "added", (int)c->added,
			"removed", (int)c->removed, "base_rate", view_jnum(c->base_rate),
			"new_rate", view_jnum(c->new_rate), "p", view_jnum(c->p),
			"p_holm", view_jnum(c->p_holm),
			"significant_regression", c->significant_regression,
			"significant_improvement", c->significant_improvement,
			"p95_base", view_jnum(c->p95_base), "p95_new", view_jnum(c->p95_new),
			"cost_base", view_jnum(c->cost_base), "cost_new", view_jnum(c->cost_new),
			"changes", ch));
	}
	view_json(p->r, MHD_HTTP_OK, json_pack("{s:I,s:I,s:o,s:b}", "base", (json_int_t)base,
		"new", (json_int_t)nw, "candidates", cands, "any_regression", cmp.any_regression));
	report_compare_free(&cmp);
}

/* ------------------------------------------------------------ queue, pairs */

static int queue_row(void *ud, int64_t id, bool mine)
{
	json_array_append_new(ud, json_pack("{s:I,s:b}", "result_id", (json_int_t)id, "graded", mine));
	return 0;
}

static void api_queue(struct view_server *s, struct params *p, int64_t id)
{
	struct sv_queue q = { 0 };
	struct err e = { 0 };
	long total = 0, graded = 0, offset, limit;
	json_t *items;
	q.reviewer = p_str(p, "reviewer");
	q.failing = p_flag(p, "failing");
	q.judge_rules = p_flag(p, "jr");
	q.ungraded = p_flag(p, "ungraded");
	q.provider = p_long(p, "cand", -1, -1, 1000000);
	q.sample = p_long(p, "sample", 0, 0, 1000000);
	q.seed = (uint64_t)p_long(p, "seed", 1, 0, 1L << 50);
	q.per_item = p_long(p, "per_item", s->per_item, 0, 1000);
	offset = p_long(p, "offset", 0, 0, 100000000);
	limit = p_long(p, "limit", 100, 1, 1000);
	if (p->bad)
		return;
	if (!q.reviewer) {
		view_error(p->r, MHD_HTTP_BAD_REQUEST, "the queue is per reviewer: ?reviewer=NAME");
		return;
	}
	items = json_array();
	if (store_view_queue(s->st, id, &q, offset, limit, queue_row, items, &total, &graded, &e)) {
		json_decref(items);
		db_error(p->r, &e);
		return;
	}
	view_json(p->r, MHD_HTTP_OK, json_pack("{s:i,s:i,s:i,s:o}", "total", (int)total,
		"graded", (int)graded, "per_item", (int)q.per_item, "items", items));
}

/* xorshift64*: the side each result of a pair is shown on. */
static uint64_t next_rand(struct view_server *s)
{
	s->rng ^= s->rng >> 12;
	s->rng ^= s->rng << 25;
	s->rng ^= s->rng >> 27;
	return s->rng * 0x2545F4914F6CDD1Dull;
}

static void api_pair(struct view_server *s, struct params *p, int64_t id)
{
	const char *reviewer = p_str(p, "reviewer");
	long pa = p_long(p, "a", -1, -1, 1000000), pb = p_long(p, "b", -1, -1, 1000000);
	long per = p_long(p, "per_item", s->per_item, 0, 1000);
	uint64_t seed = (uint64_t)p_long(p, "seed", (long)(s->seed & 0xFFFFFFFF), 0, 1L << 50);
	int64_t a = 0, b = 0;
	long total = 0, done = 0;
	struct err e = { 0 };
	json_t *pair = json_null();
	if (p->bad)
		return;
	if (!reviewer) {
		view_error(p->r, MHD_HTTP_BAD_REQUEST, "pairs are per reviewer: ?reviewer=NAME");
		return;
	}
	if (store_view_next_pair(s->st, id, reviewer, pa, pb, per, seed, &a, &b, &total, &done, &e)) {
		db_error(p->r, &e);
		return;
	}
	if (a) {
		struct row_ud ua = { json_array(), NULL, 0, false };
		struct row_ud ub = { json_array(), NULL, 0, false };
		bool fa = false, fb = false;
		if (next_rand(s) >> 63) {
			int64_t t = a;
			a = b;
			b = t;
		}
		if (store_view_result(s->st, a, row_cell, &ua, &fa, &e) ||
		    store_view_result(s->st, b, row_cell, &ub, &fb, &e)) {
			json_decref(ua.cells);
			json_decref(ub.cells);
			json_decref(ua.kase);
			json_decref(ub.kase);
			db_error(p->r, &e);
			return;
		}
		/* Only what a blind choice may see: the case and two outputs. */
		json_t *oa = json_object_get(json_array_get(ua.cells, 0), "output");
		json_t *ob = json_object_get(json_array_get(ub.cells, 0), "output");
		pair = json_pack("{s:o,s:{s:I,s:o},s:{s:I,s:o}}",
			"case", ua.kase ? json_incref(ua.kase) : json_null(),
			"left", "result_id", (json_int_t)a, "output", oa ? json_incref(oa) : json_null(),
			"right", "result_id", (json_int_t)b, "output", ob ? json_incref(ob) : json_null());
		json_decref(ua.cells);
		json_decref(ub.cells);
		json_decref(ua.kase);
		json_decref(ub.kase);
	}
	view_json(p->r, MHD_HTTP_OK, json_pack("{s:i,s:i,s:o}", "total", (int)total,
		"done", (int)done, "pair", pair ? pair : json_null()));
}

/* ------------------------------------------------------------ writes */

/* The body as an object, or a 400 naming what is wrong with it. */
static json_t *body_object(const char *body, size_t n, struct view_reply *r)
{
	json_error_t je;
	json_t *j = json_loadb(body, n, JSON_REJECT_DUPLICATES, &je);
	if (!j) {
		view_error(r, MHD_HTTP_BAD_REQUEST, "the body is not valid JSON: %s "
			   "(line %d, column %d)", je.text, je.line, je.column);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		view_error(r, MHD_HTTP_BAD_REQUEST, "the body must be a JSON object");
		return NULL;
	}
	return j;
}

/* Field `k` as a positive integer id, or a 400. */
static bool field_id(json_t *o, const char *k, int64_t *out, struct view_reply *r)
{
	json_t *v = json_object_get(o, k);
	if (!json_is_integer(v) || json_integer_value(v) <= 0) {
		view_error(r, MHD_HTTP_BAD_REQUEST, "\"%s\" must be a positive integer (a result id)", k);
		return false;
	}
	*out = (int64_t)json_integer_value(v);
	return true;
}

/* Field `k` as a string of at most max bytes (NULL when absent/null), or a 400. */
static bool field_str(json_t *o, const char *k, size_t max, bool need,
		      const char **out, struct view_reply *r)
{
	json_t *v = json_object_get(o, k);
	*out = NULL;
	if (!v || json_is_null(v)) {
		if (need)
			view_error(r, MHD_HTTP_BAD_REQUEST, "\"%s\" is required", k);
		return !need;
	}
	if (!json_is_string(v) || json_string_length(v) > max ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		view_error(r, MHD_HTTP_BAD_REQUEST, "\"%s\" must be a string of at most %zu bytes",
			   k, max);
		return false;
	}
	*out = json_string_value(v);
	return true;
}

static void api_grade(struct view_server *s, const char *body, size_t n, struct view_reply *r)
{
	json_t *o = body_object(body, n, r), *v;
	struct store_human_grade g = { 0 };
	struct err e = { 0 };
	int64_t id = 0;
	if (!o)
		return;
	g.kind = "rating";
	g.ship = -1;
	if (!field_id(o, "result_id", &g.result_id, r) ||
	    !field_str(o, "reviewer", 200, true, &g.grader, r) ||
	    !field_str(o, "note", NOTE_MAX, false, &g.comment, r))
		goto out;
	v = json_object_get(o, "rating");
	if (v && !json_is_null(v)) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 5) {
			view_error(r, MHD_HTTP_BAD_REQUEST, "\"rating\" must be an integer 1..5 or null");
			goto out;
		}
		g.rating = (int)json_integer_value(v);
	}
	v = json_object_get(o, "ship");
	if (v && !json_is_null(v)) {
		if (!json_is_boolean(v)) {
			view_error(r, MHD_HTTP_BAD_REQUEST, "\"ship\" must be true, false or null");
			goto out;
		}
		g.ship = json_is_true(v);
	}
	if (g.comment && !*g.comment)
		g.comment = NULL;
	if (store_human_put(s->st, &g, &id, &e)) {
		db_error(r, &e);
		goto out;
	}
	view_json(r, MHD_HTTP_OK, json_pack("{s:I}", "id", (json_int_t)id));
out:
	json_decref(o);
}

static json_t *reveal(struct view_server *s, int64_t id)
{
	struct row_ud u = { json_array(), NULL, 0, true };
	struct err e = { 0 };
	bool found = false;
	json_t *o;
	store_view_result(s->st, id, row_cell, &u, &found, &e);
	json_t *pv = found ? json_object_get(json_array_get(u.cells, 0), "provider") : NULL;
	o = json_pack("{s:I,s:o}", "result_id", (json_int_t)id, "provider",
		      pv ? json_incref(pv) : json_null());
	json_decref(u.cells);
	json_decref(u.kase);
	return o;
}

static void api_pairwise(struct view_server *s, const char *body, size_t n, struct view_reply *r)
{
	json_t *o = body_object(body, n, r);
	struct store_human_grade g = { 0 };
	struct err e = { 0 };
	const char *choice = NULL;
	int64_t id = 0;
	if (!o)
		return;
	g.kind = "pairwise";
	g.ship = -1;
	if (!field_id(o, "left", &g.result_id, r) || !field_id(o, "right", &g.other_result_id, r) ||
	    !field_str(o, "reviewer", 200, true, &g.grader, r) ||
	    !field_str(o, "choice", 10, true, &choice, r) ||
	    !field_str(o, "note", NOTE_MAX, false, &g.comment, r))
		goto out;
	if (!strcmp(choice, "left"))
		g.preferred = g.result_id;
	else if (!strcmp(choice, "right"))
		g.preferred = g.other_result_id;
	else if (strcmp(choice, "tie")) {
		view_error(r, MHD_HTTP_BAD_REQUEST, "\"choice\" must be \"left\", \"right\" or \"tie\"");
		goto out;
	}
	if (g.comment && !*g.comment)
		g.comment = NULL;
	if (store_human_put(s->st, &g, &id, &e)) {
		db_error(r, &e);
		goto out;
	}
	/* The names, now that the choice is made. */
	view_json(r, MHD_HTTP_OK, json_pack("{s:I,s:o,s:o}", "id", (json_int_t)id,
		"left", reveal(s, g.result_id), "right", reveal(s, g.other_result_id)));
out:
	json_decref(o);
}

/* ------------------------------------------------------------ routes */

/* Splits url (after "/api/") into at most 6 segments; false when longer
 * or a segment is empty. */
static size_t split(const char *url, char seg[6][64])
{
	size_t n = 0;
	const char *p = url;
	while (*p) {
		size_t len = strcspn(p, "/");
		if (n == 6 || len == 0 || len >= 64)
			return 0;
		memcpy(seg[n], p, len);
		seg[n++][len] = 0;
		p += len;
		if (*p == '/')
			p++;
		if (!*p && p[-1] == '/')
			return 0;
	}
	return n;
}

static bool seg_id(const char *s, int64_t *id)
{
	long v;
	if (!parse_long(s, 1, 1L << 50, &v) || s[0] == '-')
		return false;
	*id = v;
	return true;
}

void view_api(struct view_server *s, const struct view_args *a,
	      const char *method, const char *url, const char *body,
	      size_t body_len, struct view_reply *r)
{
	char seg[6][64];
	size_t n = split(url + 5, seg);
	bool post = !strcmp(method, "POST");
	struct params p = { a, r, false };
	int64_t id = 0, ci = 0, rp = 0;
	if (post) {
		if (n == 1 && !strcmp(seg[0], "grades"))
			api_grade(s, body, body_len, r);
		else if (n == 1 && !strcmp(seg[0], "pairwise"))
			api_pairwise(s, body, body_len, r);
		else
			view_error(r, MHD_HTTP_NOT_FOUND, "no POST route %s", url);
		return;
	}
	if (n == 1 && !strcmp(seg[0], "session"))
		view_json(r, MHD_HTTP_OK, json_pack("{s:s,s:i,s:s}", "csrf", s->csrf,
			"reviewers_per_item", (int)s->per_item, "warm_up", view_warm_state(s)));
	else if (n == 1 && !strcmp(seg[0], "runs"))
		api_runs(s, r);
	else if (n == 1 && !strcmp(seg[0], "compare"))
		api_compare(s, &p);
	else if (n == 2 && !strcmp(seg[0], "results") && seg_id(seg[1], &id))
		api_result(s, id, r);
	else if (n >= 2 && !strcmp(seg[0], "runs") && seg_id(seg[1], &id)) {
		if (n == 2)
			api_run(s, id, r);
		else if (n == 3 && !strcmp(seg[2], "matrix"))
			api_matrix(s, &p, id);
		else if (n == 3 && !strcmp(seg[2], "queue"))
			api_queue(s, &p, id);
		else if (n == 3 && !strcmp(seg[2], "pair"))
			api_pair(s, &p, id);
		else if (n == 5 && !strcmp(seg[2], "cases") &&
			 (seg_id(seg[3], &ci) || !strcmp(seg[3], "0")) &&
			 (seg_id(seg[4], &rp) || !strcmp(seg[4], "0")))
			api_case(s, id, (long)ci, (long)rp, r);
		else
			view_error(r, MHD_HTTP_NOT_FOUND, "no API route %s", url);
	} else
		view_error(r, MHD_HTTP_NOT_FOUND, "no API route %s", url);
}
