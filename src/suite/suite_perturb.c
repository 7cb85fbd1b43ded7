/* suite_perturb.c — the eval-set keys of a suite: `perturb` (top level, a
 * test or defaultTest) and the top-level `probe` block read by
 * `assay probe`.
 *
 * `perturb: [typos:0.05, lowercase]` (or `{vars: [question], with: [...],
 * seed: N}`) turns each test into a variant group: the original plus one
 * case per perturbation, every string var (or the named ones) perturbed
 * with a seed derived from the test's index, the spec and the var name.
 * Every member gets metadata `variant_group` (the test's own, else
 * `perturb#N`) and `perturbation` ("original" or the spec), and a tag
 * `perturbation:SPEC` so the by-tag figures show each perturbation apart.
 * A variant whose vars come out unchanged is left out (it would only
 * repeat the original's call).  A test's own `perturb` replaces the
 * top-level one; `perturb: []` on a test turns it off. */
#include "suite_int.h"

#include <stdlib.h>
#include <string.h>

#include "perturb.h"
#include "../util/xalloc.h"

static int check_specs(struct ld *l, const struct ynode *v)
{
	if (v->kind != YN_SEQ)
		return ld_err(l, v, "found %s, expected a list of "
			      "perturbations such as [typos:0.05, lowercase]",
			      yn_kind_name(v));
	for (size_t i = 0; i < v->n; i++) {
		struct perturb p;
		char why[512];
		if (v->kids[i]->kind != YN_SCALAR)
			return ld_err(l, v->kids[i], "found %s, expected a "
				      "perturbation such as typos:0.05",
				      yn_kind_name(v->kids[i]));
		if (perturb_parse(v->kids[i]->str, &p, why, sizeof why))
			return ld_err(l, v->kids[i], "%s", why);
	}
	return 0;
}

static int check_perturb(struct ld *l, const struct ynode *v)
{
	const struct ynode *with = NULL;
	if (v->kind != YN_MAP)
		return check_specs(l, v);
	for (size_t i = 0; i + 1 < v->n; i += 2) {
		const struct ynode *k = v->kids[i], *x = v->kids[i + 1];
		if (!strcmp(k->str, "with")) {
			int rc = check_specs(l, x);
			if (rc)
				return rc;
			with = x;
		} else if (!strcmp(k->str, "vars")) {
			if (x->kind != YN_SEQ)
				return ld_err(l, x, "found %s, expected a list "
					      "of var names", yn_kind_name(x));
			for (size_t j = 0; j < x->n; j++)
				if (x->kids[j]->kind != YN_SCALAR)
					return ld_err(l, x->kids[j], "found %s, "
						      "expected a var name",
						      yn_kind_name(x->kids[j]));
		} else if (!strcmp(k->str, "seed")) {
			if (x->kind != YN_SCALAR ||
			    yn_scalar_type(x) != JSON_INTEGER ||
			    x->str[0] == '-')
				return ld_err(l, x, "found %s, expected a whole "
					      "number >= 0", yn_kind_name(x));
		} else {
			return ld_err(l, k, "unknown key '%s' in perturb, "
				      "expected one of: with, vars, seed",
				      k->str);
		}
	}
	if (!with)
		return ld_err(l, v, "perturb needs 'with', a list of "
			      "perturbations such as [typos:0.05, lowercase]");
	return 0;
}

static int check_probe(struct ld *l, const struct ynode *v)
{
	if (v->kind != YN_MAP)
		return ld_err(l, v, "found %s, expected a mapping such as "
			      "{forbidden: [...]}", yn_kind_name(v));
	for (size_t i = 0; i + 1 < v->n; i += 2) {
		const struct ynode *k = v->kids[i], *x = v->kids[i + 1];
		if (!strcmp(k->str, "forbidden")) {
			if (x->kind != YN_SEQ)
				return ld_err(l, x, "found %s, expected a list "
					      "of requests the model must "
					      "refuse", yn_kind_name(x));
			for (size_t j = 0; j < x->n; j++)
				if (x->kids[j]->kind != YN_SCALAR)
					return ld_err(l, x->kids[j], "found %s, "
						      "expected a request (a "
						      "string)",
						      yn_kind_name(x->kids[j]));
		} else if (!strcmp(k->str, "long_tokens")) {
			if (x->kind != YN_SCALAR ||
			    yn_scalar_type(x) != JSON_INTEGER ||
			    strtol(x->str, NULL, 10) < 1 ||
			    strtol(x->str, NULL, 10) > 1000000)
				return ld_err(l, x, "found %s, expected a whole "
					      "number of tokens from 1 to "
					      "1000000", yn_kind_name(x));
		} else {
			return ld_err(l, k, "unknown key '%s' in probe, "
				      "expected one of: forbidden, "
				      "long_tokens", k->str);
		}
	}
	return 0;
}

int ld_evalset_key(struct ld *l, const struct ynode *k, const struct ynode *v)
{
	return !strcmp(k->str, "probe") ? check_probe(l, v)
					: check_perturb(l, v);
}

int ld_perturb_key(struct ld *l, const struct ynode *v, json_t *meta)
{
	json_t *j;
	int rc = check_perturb(l, v);
	if (rc)
		return rc;
	if (!(j = yn_to_json(v, l->err)))
		return ST_INPUT;
	json_object_set_new(meta, "perturb", j);
	return 0;
}

int ld_variants_key(struct ld *l, const struct ynode *v, json_t *meta)
{
	json_t *j;
	if (v->kind != YN_MAP)
		return ld_err(l, v, "found %s, expected a mapping of var names "
			      "to lists of other phrasings", yn_kind_name(v));
	for (size_t i = 0; i + 1 < v->n; i += 2) {
		const struct ynode *x = v->kids[i + 1];
		if (x->kind != YN_SEQ || !x->n)
			return ld_err(l, x, "found %s, expected a non-empty list "
				      "of phrasings of var '%s'",
				      yn_kind_name(x), v->kids[i]->str);
		for (size_t m = 0; m < x->n; m++)
			if (x->kids[m]->kind != YN_SCALAR ||
			    yn_scalar_type(x->kids[m]) != JSON_STRING)
				return ld_err(l, x->kids[m], "found %s, expected "
					      "a phrasing (a string)",
					      yn_kind_name(x->kids[m]));
	}
	if (!(j = yn_to_json(v, l->err)))
		return ST_INPUT;
	json_object_set_new(meta, "variants", j);
	return 0;
}

/* ---- expansion ------------------------------------------------------------ */

static void test_copy(struct test_case *d, const struct test_case *s)
{
	*d = *s;
	d->description = xstrdup(s->description);
	d->vars = json_deep_copy(s->vars);
	d->metadata = json_deep_copy(s->metadata);
	d->asserts_share = NULL;   /* the copy owns its assertions */
	d->asserts = s->n_asserts ? xmalloc(s->n_asserts * sizeof *d->asserts)
				  : NULL;
	for (size_t i = 0; i < s->n_asserts; i++)
		assert_copy(&d->asserts[i], &s->asserts[i]);
	d->grader = xstrdup(s->grader);
	d->grader_config = s->grader_config ? json_deep_copy(s->grader_config)
					    : NULL;
	d->rubric_prompt = xstrdup(s->rubric_prompt);
	d->transform = xstrdup(s->transform);
}

static uint64_t seed_of(uint64_t base, size_t test, const char *spec,
			const char *var)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ base;
	char num[32];
	const char *parts[3] = { num, spec, var };
	snprintf(num, sizeof num, "%zu", test);
	for (int i = 0; i < 3; i++) {
		for (const char *p = parts[i]; *p; p++) {
			h ^= (unsigned char)*p;
			h *= 0x100000001b3ULL;
		}
		h ^= 0xff;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static void add_tag(json_t *meta, const char *tag)
{
	json_t *tags = json_object_get(meta, "tags");
	if (!json_is_array(tags)) {
		tags = json_array();
		json_object_set_new(meta, "tags", tags);
	}
	json_array_append_new(tags, json_string(tag));
}

static bool wanted(const json_t *names, const char *var)
{
	size_t i;
	json_t *x;
	if (!names)
		return true;
	json_array_foreach(names, i, x)
		if (json_is_string(x) && !strcmp(json_string_value(x), var))
			return true;
	return false;
}

/* Appends the variant group of test t (index i, consumed) to out: the
 * original first, then its variants. */
static void expand_one(struct test_case *t, size_t i, const json_t *spec,
		       const json_t *phrasings, struct test_case **out,
		       size_t *n, size_t *cap)
{
	const json_t *with = json_is_object(spec) ?
			     json_object_get(spec, "with") : spec;
	const json_t *names = json_is_object(spec) ?
			      json_object_get(spec, "vars") : NULL;
	const json_t *sd = json_is_object(spec) ?
			   json_object_get(spec, "seed") : NULL;
	uint64_t base = json_is_integer(sd) ? (uint64_t)json_integer_value(sd)
					    : 0;
	const json_t *g = json_object_get(t->metadata, "variant_group");
	char *group = json_is_string(g) ? xstrdup(json_string_value(g)) :
		      json_is_number(g) ? xasprintf("%g", json_number_value(g))
					: xasprintf("perturb#%zu", i + 1);
	size_t k, nv = 0, max = json_array_size(with) + 1;
	struct test_case *vs;
	const char *pv;
	json_t *x, *list;

	json_object_foreach((json_t *)phrasings, pv, list)
		max += json_array_size(list);
	vs = xcalloc(max, sizeof *vs);
	/* the written phrasings first: `variants: {question: [...]}` */
	json_object_foreach((json_t *)phrasings, pv, list) {
		json_array_foreach(list, k, x) {
			struct test_case *v = &vs[nv++];
			char tag[160];
			test_copy(v, t);
			json_object_set(v->vars, pv, x);
			snprintf(tag, sizeof tag, "%s#%zu", pv, k + 2);
			json_object_set_new(v->metadata, "variant_group",
					    json_string(group));
			json_object_set_new(v->metadata, "perturbation",
					    json_string("variant"));
			json_object_set_new(v->metadata, "variant",
					    json_string(tag));
			add_tag(v->metadata, "perturbation:variant");
			if (v->description) {
				char *d = xasprintf("%s [%s]", v->description,
						    tag);
				free(v->description);
				v->description = d;
			}
		}
	}

	json_array_foreach(with, k, x) {
		struct perturb p;
		struct test_case *v = &vs[nv];
		char why[256], tag[96];
		const char *var;
		json_t *val;
		bool changed = false;
		if (perturb_parse(json_string_value(x), &p, why, sizeof why))
			continue;      /* checked at load */
		test_copy(v, t);
		json_object_foreach(v->vars, var, val) {
			char *r;
			if (!json_is_string(val) || !wanted(names, var))
				continue;
			r = perturb_apply(&p, json_string_value(val),
					  seed_of(base, i, p.name, var));
			changed = changed || strcmp(r, json_string_value(val));
			json_object_set_new(v->vars, var, json_string(r));
			free(r);
		}
		if (!changed) {
			suite_test_cleanup(v);
			continue;
		}
		json_object_set_new(v->metadata, "variant_group",
				    json_string(group));
		json_object_set_new(v->metadata, "perturbation",
				    json_string(p.name));
		snprintf(tag, sizeof tag, "perturbation:%s", p.name);
		add_tag(v->metadata, tag);
		if (v->description) {
			char *d = xasprintf("%s [%s]", v->description, p.name);
			free(v->description);
			v->description = d;
		}
		nv++;
	}
	if (nv) {
		json_object_set_new(t->metadata, "variant_group",
				    json_string(group));
		json_object_set_new(t->metadata, "perturbation",
				    json_string("original"));
		add_tag(t->metadata, "perturbation:original");
	}
	*out = xgrow(*out, cap, *n + 1 + nv, sizeof **out);
	(*out)[(*n)++] = *t;
	memset(t, 0, sizeof *t);
	for (k = 0; k < nv; k++)
		(*out)[(*n)++] = vs[k];
	free(vs);
	free(group);
}

int ld_perturb_expand(struct ld *l, const struct ynode *top)
{
	struct suite *s = l->s;
	json_t *top_j = NULL;
	struct test_case *out = NULL;
	size_t n = 0, cap = 0;
	bool any = top != NULL;

	if (s->stream)
		return 0;   /* no perturbation: it would have materialized */
	for (size_t i = 0; i < s->n_tests && !any; i++)
		any = json_object_get(s->tests[i].metadata, "perturb") ||
		      json_object_get(s->tests[i].metadata, "variants");
	if (!any)
		return 0;
	if (top && !(top_j = yn_to_json(top, l->err)))
		return ST_INPUT;
	for (size_t i = 0; i < s->n_tests; i++) {
		struct test_case *t = &s->tests[i];
		/* The loader shares one metadata object among tests that
		 * add nothing to defaultTest's (suite_tests.c, merge_obj);
		 * this pass edits it, so each test gets its own first. */
		json_t *mine = t->metadata ? json_deep_copy(t->metadata)
					   : json_object();
		json_decref(t->metadata);
		t->metadata = mine;
		json_t *own = json_incref(json_object_get(t->metadata,
							  "perturb"));
		const json_t *spec = own ? own : top_j;
		json_t *ph = json_incref(json_object_get(t->metadata,
							 "variants"));
		json_object_del(t->metadata, "perturb");
		json_object_del(t->metadata, "variants");
		if (ph || (spec && json_array_size(json_is_object(spec) ?
				json_object_get(spec, "with") : spec))) {
			expand_one(t, i, spec, ph, &out, &n, &cap);
			json_decref(ph);
		} else {
			out = xgrow(out, &cap, n + 1, sizeof *out);
			out[n++] = *t;
		}
		json_decref(own);
	}
	free(s->tests);
	s->tests = out;
	s->n_tests = n;
	l->cap_tests = cap;
	json_decref(top_j);
	return 0;
}
