/* suite_config.c — promptfoo's config features that rewrite the suite's
 * node tree before the tests are read: `$ref` (JSON pointers into the
 * suite, e.g. "#/assertionTemplates/NAME"), `scenarios` (every scenario
 * config row × every scenario test, merged as promptfoo merges them), the
 * top-level `env` (variables set for the run), `metadata`, and the check
 * of `derivedMetrics` (formulas in util/expr.h's subset of mathjs).
 *
 * Everything works on located nodes (ynode.h), so an error inside a
 * referenced template or a scenario test still names file:line:col of
 * the node at fault.  New nodes live in a document of the load
 * (ld_doc) and are freed with it. */
#include "suite_int.h"
#include "template.h"
#include "../util/expr.h"
#include "../util/limits.h"
#include "../util/redact.h"
#include "../util/xalloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A chain of references longer than this is taken for a cycle. */
#define REF_MAX_DEPTH 64

/* A document for nodes the loader builds itself: the same budgets as a
 * parsed file, so converting a merged node to JSON is bounded alike. */
static struct ydoc *built_doc(struct ld *l)
{
	struct ydoc *d = ld_doc(l);
	d->budget += limits_get()->yaml_nodes;
	d->bytes += (long long)limits_get()->yaml_bytes;
	return d;
}

/* ---- $ref ------------------------------------------------------------------ */

/* The node a "#/a/b/0" pointer names in the suite's root (RFC 6901: '~1'
 * is '/', '~0' is '~'), or NULL with an error at `at`. */
static struct ynode *ref_target(struct ld *l, const struct ynode *at)
{
	const char *p = at->str;
	struct ynode *cur = (struct ynode *)l->root;
	char tok[256];

	if (strncmp(p, "#/", 2) != 0)
		return ld_err(l, at, "unsupported feature: $ref '%s' (only "
			      "references into this suite, such as "
			      "'#/assertionTemplates/NAME')", p), NULL;
	p += 2;
	while (cur) {
		size_t n = 0;
		while (*p && *p != '/' && n + 1 < sizeof tok) {
			if (p[0] == '~' && (p[1] == '0' || p[1] == '1')) {
				tok[n++] = p[1] == '0' ? '~' : '/';
				p += 2;
			} else {
				tok[n++] = *p++;
			}
		}
		tok[n] = '\0';
		if (cur->kind == YN_MAP) {
			struct ynode *next = yn_get(cur, tok);
			if (!next)
				return ld_err(l, at, "$ref '%s': no key '%s' "
					      "there, expected a path to an "
					      "existing value", at->str, tok),
				       NULL;
			cur = next;
		} else if (cur->kind == YN_SEQ) {
			char *end;
			long i = strtol(tok, &end, 10);
			if (!*tok || *end || i < 0 || (size_t)i >= cur->n)
				return ld_err(l, at, "$ref '%s': no item '%s' "
					      "in a list of %zu", at->str, tok,
					      cur->n), NULL;
			cur = cur->kids[i];
		} else {
			return ld_err(l, at, "$ref '%s': '%s' is inside %s, "
				      "expected a mapping or a list", at->str,
				      tok, yn_kind_name(cur)), NULL;
		}
		if (!*p)
			return cur;
		p++;
	}
	return NULL;
}

/* state per node: 1 being resolved, 2 done (the tree is a DAG) */
static int seen_get(json_t *seen, const struct ynode *n)
{
	char k[32];
	snprintf(k, sizeof k, "%p", (const void *)n);
	return (int)json_integer_value(json_object_get(seen, k));
}

static void seen_set(json_t *seen, const struct ynode *n, int v)
{
	char k[32];
	snprintf(k, sizeof k, "%p", (const void *)n);
	json_object_set_new(seen, k, json_integer(v));
}

static int resolve(struct ld *l, struct ynode **slot, int depth,
		   json_t *seen);

/* `{$ref: X, more: …}`: X's keys with the sibling keys on top (json-schema-
 * ref-parser's "extended" reference), as a new mapping. */
static int merge_ref(struct ld *l, struct ynode **slot, struct ynode *t,
		     int depth, json_t *seen)
{
	struct ynode *n = *slot, *m;
	int rc;

	if ((rc = resolve(l, &t, depth + 1, seen)))
		return rc;
	if (t->kind != YN_MAP)
		return ld_err(l, n, "$ref '%s' names %s, so it cannot take "
			      "other keys beside it", yn_get(n, "$ref")->str,
			      yn_kind_name(t));
	m = yn_new(built_doc(l), YN_MAP, n->file, n->line, n->col);
	for (size_t i = 0; i + 1 < t->n; i += 2)
		if (!yn_get(n, t->kids[i]->str)) {
			yn_push(m, t->kids[i]);
			yn_push(m, t->kids[i + 1]);
		}
	for (size_t i = 0; i + 1 < n->n; i += 2)
		if (strcmp(n->kids[i]->str, "$ref")) {
			yn_push(m, n->kids[i]);
			yn_push(m, n->kids[i + 1]);
		}
	*slot = m;
	seen_set(seen, m, 1);
	for (size_t i = 1; i < m->n && !rc; i += 2)
		rc = resolve(l, &m->kids[i], depth, seen);
	seen_set(seen, m, 2);
	return rc;
}

static int resolve(struct ld *l, struct ynode **slot, int depth,
		   json_t *seen)
{
	struct ynode *n = *slot, *ref;
	int rc = 0, st;

	if (n->kind == YN_SCALAR)
		return 0;
	if (depth > REF_MAX_DEPTH)
		return ld_err(l, n, "$ref: more than %d references in a chain, "
			      "expected no cycle", REF_MAX_DEPTH);
	st = seen_get(seen, n);
	if (st == 2)
		return 0;
	if (st == 1)
		return ld_err(l, n, "$ref: this value contains a reference to "
			      "itself, expected no cycle");
	if (n->kind == YN_MAP && (ref = yn_get(n, "$ref"))) {
		struct ynode *t;
		if (ref->kind != YN_SCALAR || yn_scalar_type(ref) != JSON_STRING)
			return ld_err(l, ref, "found %s, expected a $ref string "
				      "such as '#/assertionTemplates/NAME'",
				      yn_kind_name(ref));
		if (!(t = ref_target(l, ref)))
			return ST_INPUT;
		if (n->n > 2)
			return merge_ref(l, slot, t, depth, seen);
		seen_set(seen, n, 1);
		*slot = t;
		rc = resolve(l, slot, depth + 1, seen);
		seen_set(seen, n, 2);
		return rc;
	}
	seen_set(seen, n, 1);
	for (size_t i = 0; i < n->n && !rc; i++) {
		/* map keys are strings; a tool's JSON Schema `parameters`
		 * keeps its own $refs (promptfoo leaves them too) */
		if (n->kind == YN_MAP && (i % 2 == 0 ||
		    !strcmp(n->kids[i - 1]->str, "parameters")))
			continue;
		rc = resolve(l, &n->kids[i], depth, seen);
	}
	seen_set(seen, n, 2);
	return rc;
}

int ld_refs(struct ld *l, struct ynode **root)
{
	json_t *seen;
	int rc;
	if (!*root || !l->root)
		return 0;
	seen = json_object();
	rc = resolve(l, root, 0, seen);
	json_decref(seen);
	return rc;
}

/* ---- scenarios ------------------------------------------------------------- */

/* key: value pairs of `a` whose keys `b` lacks, then `b`'s, into `m`. */
static void map_over(struct ynode *m, const struct ynode *a,
		     const struct ynode *b)
{
	for (size_t i = 0; a && i + 1 < a->n; i += 2)
		if (!yn_get(b, a->kids[i]->str)) {
			yn_push(m, a->kids[i]);
			yn_push(m, a->kids[i + 1]);
		}
	for (size_t i = 0; b && i + 1 < b->n; i += 2) {
		yn_push(m, b->kids[i]);
		yn_push(m, b->kids[i + 1]);
	}
}

static bool is_map_or_absent(const struct ynode *v)
{
	return !v || v->kind == YN_MAP ||
	       (v->kind == YN_SCALAR && yn_scalar_type(v) == JSON_NULL);
}

static const struct ynode *map_or_null(const struct ynode *v)
{
	return v && v->kind == YN_MAP ? v : NULL;
}

/* The vars of defaultTest, the row and the test (later wins), as JSON,
 * for the description template.  NULL when a vars value is no mapping
 * (parse_test reports that later, at its place). */
static json_t *merged_vars(const struct ynode *def, const struct ynode *row,
			   const struct ynode *test)
{
	const struct ynode *src[3] = { def ? yn_get(def, "vars") : NULL,
				       yn_get(row, "vars"),
				       yn_get(test, "vars") };
	json_t *o = json_object();
	for (int i = 0; i < 3; i++) {
		struct err e = {0};
		json_t *j;
		if (!src[i] || src[i]->kind != YN_MAP)
			continue;
		if (!(j = yn_to_json(src[i], &e))) {
			json_decref(o);
			return NULL;
		}
		json_object_update(o, j);
		json_decref(j);
	}
	return o;
}

/* One scenario test: promptfoo's merge of a config row (`row`) and a test
 * (`test`): the test's keys over the row's; vars and metadata merged key
 * by key (the test's win); assert = the row's, then the test's; options
 * the test's only (promptfoo drops a row's options); the test's
 * description rendered with the merged vars (defaultTest's included), left
 * as written when that fails.  defaultTest is merged later, as for every
 * test. */
static struct ynode *scenario_test(struct ydoc *d,
				   const struct ynode *def,
				   const struct ynode *row,
				   const struct ynode *test)
{
	struct ynode *m = yn_new(d, YN_MAP, test->file, test->line, test->col);
	const struct ynode *desc = yn_get(test, "description");
	static const char *const merged[] = { "vars", "metadata", "assert",
					      "options", "description", NULL };

	for (int pass = 0; pass < 2; pass++) {
		const struct ynode *src = pass ? test : row;
		for (size_t i = 0; i + 1 < src->n; i += 2) {
			const char *k = src->kids[i]->str;
			bool skip = false;
			for (int j = 0; merged[j]; j++)
				skip = skip || !strcmp(k, merged[j]);
			if (skip || (!pass && yn_get(test, k)))
				continue;
			yn_push(m, src->kids[i]);
			yn_push(m, src->kids[i + 1]);
		}
	}
	for (int j = 0; j < 2; j++) {
		const char *k = j ? "metadata" : "vars";
		const struct ynode *a = yn_get(row, k), *b = yn_get(test, k);
		struct ynode *v;
		if (!a && !b)
			continue;
		if (!is_map_or_absent(a) || !is_map_or_absent(b)) {
			/* not mappings: parse_test names the bad one */
			yn_map_set(d, m, k, (struct ynode *)(is_map_or_absent(a)
							     ? b : a));
			continue;
		}
		v = yn_new(d, YN_MAP, (b ? b : a)->file, (b ? b : a)->line,
			   (b ? b : a)->col);
		map_over(v, map_or_null(a), map_or_null(b));
		yn_map_set(d, m, k, v);
	}
	{
		const struct ynode *a = yn_get(row, "assert"),
				   *b = yn_get(test, "assert");
		if (a && a->kind != YN_SEQ && yn_scalar_type(a) != JSON_NULL)
			yn_map_set(d, m, "assert", (struct ynode *)a);
		else if (b && b->kind != YN_SEQ &&
			 yn_scalar_type(b) != JSON_NULL)
			yn_map_set(d, m, "assert", (struct ynode *)b);
		else if ((a && a->kind == YN_SEQ) || (b && b->kind == YN_SEQ)) {
			const struct ynode *at = b && b->kind == YN_SEQ ? b : a;
			struct ynode *v = yn_new(d, YN_SEQ, at->file, at->line,
						 at->col);
			for (int s = 0; s < 2; s++) {
				const struct ynode *src = s ? b : a;
				for (size_t i = 0; src && src->kind == YN_SEQ &&
				     i < src->n; i++)
					yn_push(v, src->kids[i]);
			}
			yn_map_set(d, m, "assert", v);
		}
	}
	if (yn_get(test, "options"))
		yn_map_set(d, m, "options", yn_get(test, "options"));
	if (desc && desc->kind == YN_SCALAR &&
	    yn_scalar_type(desc) == JSON_STRING && tmpl_has_tags(desc->str)) {
		json_t *vars = merged_vars(def, row, test);
		struct err e = {0};
		char *r = vars ? tmpl_render(desc->str, vars, TMPL_LENIENT,
					     NULL, &e) : NULL;
		yn_map_set(d, m, "description",
			   r ? yn_scalar(d, r, strlen(r), 1, desc->file,
					 desc->line, desc->col)
			     : (struct ynode *)desc);
		free(r);
		json_decref(vars);
	} else if (desc) {
		yn_map_set(d, m, "description", (struct ynode *)desc);
	} else if (yn_get(row, "description")) {
		yn_map_set(d, m, "description", yn_get(row, "description"));
	}
	return m;
}

/* A list given inline or as a file://x.yaml / .json path (read as YAML,
 * refs resolved). */
static const struct ynode *list_or_file(struct ld *l, const struct ynode *v,
					const char *what)
{
	if (v->kind == YN_SCALAR && yn_scalar_type(v) == JSON_STRING &&
	    ld_is_file_ref(v->str)) {
		char ext[16];
		const char *path;
		size_t len;
		char *text;
		struct ydoc *d;
		ld_ext(v->str + 7, ext, sizeof ext);
		if (strcmp(ext, ".yaml") && strcmp(ext, ".yml") &&
		    strcmp(ext, ".json"))
			return ld_err(l, v, "found %s file '%s', expected a "
				      ".yaml, .yml or .json file", what,
				      v->str), NULL;
		if (!(text = ld_read(l, v, v->str + 7, &path, &len)))
			return NULL;
		d = ld_doc(l);
		if (ydoc_parse(d, path, text, len, l->err)) {
			free(text);
			return NULL;
		}
		free(text);
		if (!d->root)
			return ld_err(l, v, "'%s' is empty, expected a list of "
				      "%s", v->str, what), NULL;
		if (ld_refs(l, &d->root))
			return NULL;
		if (d->root->kind == YN_MAP) {
			/* one item: a list of one */
			struct ynode *s = yn_new(d, YN_SEQ, d->root->file,
						 d->root->line, d->root->col);
			yn_push(s, d->root);
			return s;
		}
		v = d->root;
	}
	if (v->kind != YN_SEQ)
		return ld_err(l, v, "found %s, expected a list of %s or a "
			      "file:// path", yn_kind_name(v), what), NULL;
	return v;
}

static int one_scenario(struct ld *l, struct ydoc *d, struct ynode *out,
			const struct ynode *def, const struct ynode *sc)
{
	const struct ynode *config = NULL, *tests = NULL;
	struct ynode dummy = { .kind = YN_MAP };

	if (sc->kind != YN_MAP)
		return ld_err(l, sc, "found %s, expected a scenario (a mapping "
			      "with config and tests)", yn_kind_name(sc));
	for (size_t i = 0; i + 1 < sc->n; i += 2) {
		const struct ynode *k = sc->kids[i], *v = sc->kids[i + 1];
		if (!strcmp(k->str, "config"))
			config = v;
		else if (!strcmp(k->str, "tests"))
			tests = v;
		else if (!strcmp(k->str, "description")) {
			if (v->kind != YN_SCALAR)
				return ld_err(l, v, "found %s, expected a "
					      "string", yn_kind_name(v));
		} else
			return ld_err(l, k, "unknown key '%s' in a scenario, "
				      "expected description, config or tests",
				      k->str);
	}
	if (!config)
		return ld_err(l, sc, "missing key 'config' in a scenario, "
			      "expected a list of var sets");
	if (!(config = list_or_file(l, config, "scenario config rows")))
		return ST_INPUT;
	if (tests && !(tests = list_or_file(l, tests, "tests")))
		return ST_INPUT;
	dummy.file = sc->file;
	dummy.line = sc->line;
	dummy.col = sc->col;
	/* rows × tests nodes are built before the tests' memory is counted
	 * (add_merged): bound the product first, by the same limit */
	{
		double n = (double)out->n + (double)config->n *
			   (double)(tests ? tests->n : 1);
		if (n * 512 > (double)limits_get()->tests_bytes)
			return ld_err(l, sc, "the scenarios make %.0f tests, "
				      "more than the limit tests_bytes allows "
				      "(raise it with ASSAY_LIMITS=tests_bytes=N)",
				      n);
	}
	for (size_t r = 0; r < config->n; r++) {
		const struct ynode *row = config->kids[r];
		if (row->kind != YN_MAP)
			return ld_err(l, row, "found %s, expected a scenario "
				      "config row (a mapping with vars)",
				      yn_kind_name(row));
		if (yn_get(row, "$values"))
			return ld_err(l, yn_get(row, "$values"), "unsupported "
				      "feature: $values rows in a scenario; "
				      "list the rows");
		for (size_t t = 0; t < (tests ? tests->n : 1); t++) {
			const struct ynode *tc = tests ? tests->kids[t]
						       : &dummy;
			struct ynode *row_at;
			if (tc->kind != YN_MAP)
				return ld_err(l, tc, "found %s, expected a "
					      "test (a mapping)",
					      yn_kind_name(tc));
			row_at = scenario_test(d, def, row, tc);
			if (!tests) {  /* no tests: the row is the test */
				row_at->file = row->file;
				row_at->line = row->line;
				row_at->col = row->col;
			}
			yn_push(out, row_at);
		}
	}
	return 0;
}

int ld_scenarios(struct ld *l, const struct ynode *scen,
		 const struct ynode *tests, const struct ynode *def,
		 const struct ynode **out)
{
	struct ydoc *d = built_doc(l);
	struct ynode *all;
	int rc = 0;

	if (!(scen = list_or_file(l, scen, "scenarios")))
		return ST_INPUT;
	all = yn_new(d, YN_SEQ, scen->file, scen->line, scen->col);
	/* the suite's own tests first, then the scenarios' (promptfoo) */
	if (tests && tests->kind == YN_SEQ) {
		for (size_t i = 0; i < tests->n; i++)
			yn_push(all, tests->kids[i]);
	} else if (tests && !(tests->kind == YN_SCALAR &&
			      yn_scalar_type(tests) == JSON_NULL)) {
		yn_push(all, (struct ynode *)tests);
	}
	if (def && def->kind != YN_MAP)
		def = NULL;  /* ld_tests reports it */
	for (size_t i = 0; i < scen->n && !rc; i++)
		rc = one_scenario(l, d, all, def, scen->kids[i]);
	*out = all;
	return rc;
}

/* ---- env and metadata ------------------------------------------------------ */

int ld_env(struct ld *l, const struct ynode *v)
{
	if (v->kind == YN_SCALAR && yn_scalar_type(v) == JSON_NULL)
		return 0;
	if (v->kind != YN_MAP)
		return ld_err(l, v, "found %s, expected a mapping of "
			      "environment variable names to values",
			      yn_kind_name(v));
	for (size_t i = 0; i + 1 < v->n; i += 2) {
		const struct ynode *k = v->kids[i], *x = v->kids[i + 1];
		const char *name = k->str;
		bool ok = *name && !strchr(name, '=');
		if (!ok)
			return ld_err(l, k, "found '%s', expected an "
				      "environment variable name (no '=')",
				      name);
		/* assay's own settings and limits (ASSAY_LIMITS, ASSAY_DB,
		 * …) are the user's, outside what a suite controls */
		if (!strncmp(name, "ASSAY_", 6))
			return ld_err(l, k, "env %s: assay's own settings "
				      "cannot come from a suite; set %s in "
				      "the shell or in the config file",
				      name, name);
		if (x->kind != YN_SCALAR || yn_scalar_type(x) == JSON_NULL)
			return ld_err(l, x, "env %s: found %s, expected a "
				      "string, number or boolean", name,
				      yn_kind_name(x));
	}
	/* checked whole before any is set: a bad entry changes nothing */
	for (size_t i = 0; i + 1 < v->n; i += 2) {
		const char *name = v->kids[i]->str, *val = v->kids[i + 1]->str;
		setenv(name, val, 1);
		if (redact_secret_name(name))
			redact_add(val);
	}
	return 0;
}

void ld_env_sanitize(json_t *root)
{
	json_t *env = json_object_get(root, "env"), *v;
	const char *k;
	void *tmp;
	if (!json_is_object(env))
		return;
	/* the names stay (what the run used), never the values */
	json_object_foreach_safe(env, tmp, k, v)
		json_object_set_new(env, k, json_string(REDACT_MARK));
}

int ld_metadata(struct ld *l, const struct ynode *v)
{
	if (v->kind == YN_MAP ||
	    (v->kind == YN_SCALAR && yn_scalar_type(v) == JSON_NULL))
		return 0;
	return ld_err(l, v, "found %s, expected a mapping of metadata",
		      yn_kind_name(v));
}

/* ---- derivedMetrics -------------------------------------------------------- */

int ld_derived_metrics(struct ld *l, const struct ynode *v)
{
	if (v->kind == YN_SCALAR && yn_scalar_type(v) == JSON_NULL)
		return 0;
	if (v->kind != YN_SEQ)
		return ld_err(l, v, "found %s, expected a list of {name, value} "
			      "derived metrics", yn_kind_name(v));
	for (size_t i = 0; i < v->n; i++) {
		const struct ynode *m = v->kids[i], *name = NULL, *val = NULL;
		char why[256];
		size_t at = 0;
		if (m->kind != YN_MAP)
			return ld_err(l, m, "found %s, expected a derived "
				      "metric (a mapping with name and value)",
				      yn_kind_name(m));
		for (size_t j = 0; j + 1 < m->n; j += 2) {
			const struct ynode *k = m->kids[j];
			if (!strcmp(k->str, "name"))
				name = m->kids[j + 1];
			else if (!strcmp(k->str, "value"))
				val = m->kids[j + 1];
			else
				return ld_err(l, k, "unknown key '%s' in a "
					      "derived metric, expected name "
					      "and value", k->str);
		}
		if (!name || name->kind != YN_SCALAR || !*name->str)
			return ld_err(l, name ? name : m, "found %s, expected "
				      "the derived metric's name (a string)",
				      name ? yn_kind_name(name) : "no 'name'");
		if (!val || val->kind != YN_SCALAR ||
		    yn_scalar_type(val) != JSON_STRING)
			return ld_err(l, val ? val : m, "found %s, expected a "
				      "formula over named metrics (a string "
				      "such as \"correct / total\")",
				      val ? yn_kind_name(val) : "no 'value'");
		if (expr_check(val->str, why, sizeof why, &at)) {
			/* point at the character when the scalar is on one
			 * line, else at the value */
			struct ynode here = *val;
			if (!strchr(val->str, '\n'))
				here.col = val->text_col + (int)at;
			here.line = val->text_line;
			return ld_err(l, &here, "derivedMetrics '%s': %s",
				      name->str, why);
		}
	}
	return 0;
}

/* ---- evaluateOptions ------------------------------------------------------- */

int ld_evaluate_options(struct ld *l, const struct ynode *v)
{
	/* promptfoo's EvaluateOptions keys; 'u' = assay has no such
	 * behaviour: refused unless off */
	static const struct { const char *k, *type; } keys[] = {
		{ "maxConcurrency", "i1" }, { "repeat", "i1" },
		{ "delay", "i0" }, { "timeoutMs", "i1" }, { "cache", "b" },
		{ "showProgressBar", "b" }, { "silent", "b" },
		{ "eventSource", "s" }, { "generateSuggestions", "bu" },
		{ "interactiveProviders", "bu" }, { "isRedteam", "bu" },
		{ "maxEvalTimeMs", "iu" },
	};
	if (v->kind != YN_MAP)
		return ld_err(l, v, "found %s, expected a mapping",
			      yn_kind_name(v));
	for (size_t i = 0; i + 1 < v->n; i += 2) {
		const struct ynode *k = v->kids[i], *x = v->kids[i + 1];
		const char *t = NULL;
		int jt = x->kind == YN_SCALAR ? yn_scalar_type(x) : -1;
		for (size_t j = 0; j < sizeof keys / sizeof *keys; j++)
			if (!strcmp(keys[j].k, k->str))
				t = keys[j].type;
		if (!t)
			return ld_err(l, k, "unknown key '%s' in evaluateOptions, "
				      "expected one of: maxConcurrency, repeat, "
				      "delay, timeoutMs, cache, showProgressBar, "
				      "silent, eventSource", k->str);
		if (t[0] == 'i') {
			long long min = t[1] == '1' ? 1 : 0;
			if (jt != JSON_INTEGER || strtoll(x->str, NULL, 10) < min)
				return ld_err(l, x, "evaluateOptions.%s: found %s, "
					      "expected a whole number ≥ %lld",
					      k->str, jt == JSON_INTEGER ?
					      "a smaller number" : yn_kind_name(x),
					      min);
		} else if (t[0] == 'b') {
			if (jt != JSON_TRUE && jt != JSON_FALSE)
				return ld_err(l, x, "evaluateOptions.%s: found %s, "
					      "expected true or false", k->str,
					      yn_kind_name(x));
		} else if (jt != JSON_STRING) {
			return ld_err(l, x, "evaluateOptions.%s: found %s, "
				      "expected a string", k->str,
				      yn_kind_name(x));
		}
		if (t[1] == 'u' && !(jt == JSON_FALSE))
			return ld_err(l, k, "unsupported feature: evaluateOptions."
				      "%s (assay does not implement it%s)", k->str,
				      !strcmp(k->str, "maxEvalTimeMs") ?
				      "; each provider's timeout_ms bounds a "
				      "request" : "");
	}
	return 0;
}
