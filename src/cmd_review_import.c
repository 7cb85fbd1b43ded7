/* cmd_review_import.c — `assay review import FILE`: human grades from JSON
 * lines into the store (the web app's grades without the web app).  One
 * grade a line:
 *   {"grader":"ann","result_id":12,"rating":4,"ship":true,"comment":"ok"}
 *   {"grader":"ann","case":0,"provider":"gpt","rating":2,"ship":false}
 *   {"grader":"bob","kind":"pairwise","left":12,"right":{"case":0,
 *    "provider":1},"preferred":"left"}          (left | right | tie)
 * A result is its id, or {case, provider (label, id or index), prompt,
 * repeat} in the run given by --run (default latest).  Every line is
 * read and checked first, then all grades are stored in one transaction
 * (store_human_put_all): a bad line is reported as FILE:LINE:COL, and a
 * bad line, a grade the store refuses or a store failure part way
 * leaves nothing stored. */
#include "cmd_review.h"

#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_human.h"
#include "util/fsutil.h"
#include "util/xalloc.h"

struct rref {
	int64_t id;
	long cs, prompt, prov, rep;
	char *label, *pid;
};

struct rrefs { struct rref *r; size_t n, cap; };

static int on_res(void *ud, const struct store_result *r)
{
	struct rrefs *x = ud;
	if (x->n == x->cap) {
		x->cap = x->cap ? 2 * x->cap : 64;
		x->r = xrealloc(x->r, x->cap * sizeof *x->r);
	}
	struct rref *e = &x->r[x->n++];
	e->id = r->id;
	e->cs = (long)r->case_idx;
	e->prompt = (long)r->prompt_idx;
	e->prov = (long)r->provider_idx;
	e->rep = r->repeat;
	e->label = xstrdup(r->provider_label ? r->provider_label : "");
	e->pid = xstrdup(r->provider_id ? r->provider_id : "");
	return 0;
}

static bool prov_match(const struct rref *e, const json_t *p)
{
	if (json_is_integer(p))
		return json_integer_value(p) == e->prov;
	const char *s = json_string_value(p);
	return s && (!strcmp(s, e->label) || !strcmp(s, e->pid));
}

/* The result id a JSON reference names; 0 with a message when none. */
static int64_t resolve(const struct rrefs *x, const json_t *v, char *why,
		       size_t wn)
{
	if (json_is_integer(v)) {
		if (json_integer_value(v) > 0)
			return json_integer_value(v);
		snprintf(why, wn, "a result id is a positive integer, not %lld",
			 (long long)json_integer_value(v));
		return 0;
	}
	if (!json_is_object(v)) {
		snprintf(why, wn, "a result is an id or {\"case\": N, \"provider\": …}");
		return 0;
	}
	const json_t *c = json_object_get(v, "case"), *p = json_object_get(v, "provider");
	long prompt = json_integer_value(json_object_get(v, "prompt"));
	long rep = json_integer_value(json_object_get(v, "repeat"));
	if (!json_is_integer(c) || !p) {
		snprintf(why, wn, "a result reference needs \"case\" (an index) and \"provider\"");
		return 0;
	}
	for (size_t i = 0; i < x->n; i++) {
		const struct rref *e = &x->r[i];
		if (e->cs == json_integer_value(c) && e->prompt == prompt &&
		    e->rep == rep && prov_match(e, p))
			return e->id;
	}
	snprintf(why, wn, "no result for case %lld of that provider in the run",
		 (long long)json_integer_value(c));
	return 0;
}

static const struct rref *find(const struct rrefs *x, int64_t id)
{
	for (size_t i = 0; i < x->n; i++)
		if (x->r[i].id == id)
			return &x->r[i];
	return NULL;
}

/* What the store would reject, checked before anything is stored. */
static int check(const struct rrefs *x, const struct store_human_grade *g,
		 char *why, size_t wn)
{
	const struct rref *a = find(x, g->result_id), *b;
	if (!a) {
		snprintf(why, wn, "result %lld is not in the run",
			 (long long)g->result_id);
		return -1;
	}
	if (!strcmp(g->kind, "rating")) {
		if (g->rating < 0 || g->rating > 5 || (!g->rating && g->ship < 0)) {
			snprintf(why, wn, "a rating grade needs \"rating\" 1..5 "
				 "and/or \"ship\" true/false");
			return -1;
		}
		return 0;
	}
	if (strcmp(g->kind, "pairwise")) {
		snprintf(why, wn, "\"kind\" must be \"rating\" or \"pairwise\"");
		return -1;
	}
	if (!(b = find(x, g->other_result_id))) {
		snprintf(why, wn, "result %lld is not in the run",
			 (long long)g->other_result_id);
		return -1;
	}
	if (a->cs != b->cs || a->prompt != b->prompt || a->rep != b->rep ||
	    a->prov == b->prov) {
		snprintf(why, wn, "a pairwise grade compares two providers' "
			 "results of the same case");
		return -1;
	}
	return 0;
}

/* Parses one line into g (strings point into j).  0 or a message. */
static int parse_line(const struct rrefs *x, json_t *j,
		      struct store_human_grade *g, char *why, size_t wn)
{
	const json_t *v;
	memset(g, 0, sizeof *g);
	g->ship = -1;
	if (!json_is_object(j)) {
		snprintf(why, wn, "expected a JSON object (one grade a line)");
		return -1;
	}
	g->grader = json_string_value(json_object_get(j, "grader"));
	g->kind = json_string_value(json_object_get(j, "kind"));
	g->comment = json_string_value(json_object_get(j, "comment"));
	if (!g->grader || !g->grader[0]) {
		snprintf(why, wn, "\"grader\" (a name) is required");
		return -1;
	}
	if (!g->kind)
		g->kind = json_object_get(j, "left") ? "pairwise" : "rating";
	if (!strcmp(g->kind, "pairwise")) {
		const char *pref = json_string_value(json_object_get(j, "preferred"));
		if (!(g->result_id = resolve(x, json_object_get(j, "left"), why, wn)) ||
		    !(g->other_result_id = resolve(x, json_object_get(j, "right"), why, wn)))
			return -1;
		if (!pref || (strcmp(pref, "left") && strcmp(pref, "right") &&
			      strcmp(pref, "tie"))) {
			snprintf(why, wn, "\"preferred\" must be \"left\", \"right\" or \"tie\"");
			return -1;
		}
		g->preferred = !strcmp(pref, "left") ? g->result_id
			: !strcmp(pref, "right") ? g->other_result_id : 0;
		return 0;
	}
	v = json_object_get(j, "result_id");
	if (!(g->result_id = resolve(x, v ? v : j, why, wn)))
		return -1;
	v = json_object_get(j, "rating");
	if (v && !json_is_integer(v)) {
		snprintf(why, wn, "\"rating\" must be an integer 1..5");
		return -1;
	}
	g->rating = v ? (int)json_integer_value(v) : 0;
	v = json_object_get(j, "ship");
	if (v && !json_is_boolean(v)) {
		snprintf(why, wn, "\"ship\" must be true or false");
		return -1;
	}
	g->ship = v ? json_is_true(v) : -1;
	return 0;
}

/* The store's message, now located at path:line (copied first: err_at
 * formats into err->msg). */
static int at_line(struct err *err, const char *path, int line)
{
	char m[sizeof err->msg];
	snprintf(m, sizeof m, "%s", err->msg);
	return err_at(err, path, line, 1, "%s", m);
}

/* The grades of a file, each with its parsed line (the grade's strings
 * point into it) and its line number. */
struct grades {
	struct store_human_grade *g;
	json_t **j;
	int *line;
	size_t n, cap;
};

static void grades_free(struct grades *L)
{
	for (size_t i = 0; i < L->n; i++)
		json_decref(L->j[i]);
	free(L->g);
	free(L->j);
	free(L->line);
}

/* Reads and checks every line of path into L (no store write). */
static int each_line(const char *path, const char *text,
		     const struct rrefs *x, struct grades *L, struct err *err)
{
	const char *p = text;
	int line = 0;
	while (*p) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		json_error_t je;
		char why[256];
		struct store_human_grade g;
		line++;
		json_t *j = NULL;
		size_t k = 0;
		while (k < len && (p[k] == ' ' || p[k] == '\t' || p[k] == '\r'))
			k++;
		if (k < len) {
			if (!(j = json_loadb(p, len, JSON_REJECT_DUPLICATES, &je)))
				return err_at(err, path, line, je.column > 0 ? je.column : 1,
					      "invalid JSON: %s", je.text);
			if (parse_line(x, j, &g, why, sizeof why) ||
			    check(x, &g, why, sizeof why)) {
				json_decref(j);
				return err_at(err, path, line, 1, "%s", why);
			}
			if (L->n == L->cap) {
				L->cap = L->cap ? 2 * L->cap : 64;
				L->g = xrealloc(L->g, L->cap * sizeof *L->g);
				L->j = xrealloc(L->j, L->cap * sizeof *L->j);
				L->line = xrealloc(L->line, L->cap * sizeof *L->line);
			}
			L->g[L->n] = g;
			L->j[L->n] = j;
			L->line[L->n++] = line;
		}
		p += len + (e != NULL);
	}
	return 0;
}

int review_import(struct store *st, const char *run, const char *path,
		  struct err *err)
{
	struct rrefs x = {0};
	struct grades L = {0};
	int64_t run_id = 0;
	size_t len, bad = 0;
	char *text = NULL;
	int rc;
	if (!(text = fs_read_file(path, 64u << 20, &len, err)))
		return err->code ? err->code : ST_IO;
	if (!(rc = store_resolve_run(st, run, &run_id, err)) &&
	    !(rc = store_results_each(st, run_id, on_res, &x, err)) &&
	    !(rc = each_line(path, text, &x, &L, err))) {
		/* one transaction: a grade the store refuses, a failed
		 * statement or commit half-way leaves nothing stored */
		rc = store_human_put_all(st, L.g, L.n, &bad, err);
		if (rc == ST_INPUT && bad < L.n)
			rc = at_line(err, path, L.line[bad]);
	}
	if (!rc)
		printf("stored %zu grades from %s (run %lld)\n", L.n, path,
		       (long long)run_id);
	grades_free(&L);
	for (size_t i = 0; i < x.n; i++) {
		free(x.r[i].label);
		free(x.r[i].pid);
	}
	free(x.r);
	free(text);
	return rc;
}
