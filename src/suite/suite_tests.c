/* suite_tests.c — the `tests` and `defaultTest` of a suite: inline tests,
 * assertions, and test files (CSV with promptfoo's `__` columns, JSONL,
 * JSON, YAML), with `defaultTest` merged into each test.
 *
 * Every source is turned into the same located node tree (ynode.h) and
 * checked by one function, parse_test: a CSV row becomes a mapping whose
 * nodes sit at the row's cells, a JSONL line a mapping at that line, so
 * every error names the cell or line at fault. */
#include "suite_int.h"
#include "suite_stats.h"
#include "../util/buf.h"
#include "../util/fsutil.h"
#include "../util/json_limit.h"
#include "../util/limits.h"
#include "../util/xalloc.h"

#include <csv.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* ---- values ------------------------------------------------------------- */

static int get_number(struct ld *l, const struct ynode *v, double *out)
{
	int t = yn_scalar_type(v);
	if (!v || v->kind != YN_SCALAR || (t != JSON_INTEGER && t != JSON_REAL))
		return ld_err(l, v, "found %s, expected a number",
			      yn_kind_name(v));
	*out = strtod(v->str, NULL);
	return 0;
}

static int get_string(struct ld *l, const struct ynode *v, char **out)
{
	if (!v || v->kind != YN_SCALAR || yn_scalar_type(v) == JSON_NULL)
		return ld_err(l, v, "found %s, expected a string",
			      yn_kind_name(v));
	free(*out);
	*out = xstrdup(v->str);
	return 0;
}

static bool is_code_ref(const char *path)
{
	char e[16];
	ld_ext(path, e, sizeof e);
	return !strcmp(e, ".js") || !strcmp(e, ".cjs") || !strcmp(e, ".mjs") ||
	       !strcmp(e, ".ts") || !strcmp(e, ".py") || !strcmp(e, ".rb") ||
	       strstr(path, ".py:") || strstr(path, ".js:") ||
	       strstr(path, ".ts:");
}

/* True when `rel` (relative to `from_dir`, or absolute) names a file
 * inside the suite's directory once symlinks and ".." are resolved.
 * A path that cannot be resolved (no such file) counts as inside only
 * when it is relative and has no ".." step; reading it then fails with
 * the usual "cannot read" error. */
static bool inside_dir_of(const struct ld *l, const char *from_dir,
			  const char *rel)
{
	char *full = fs_join(from_dir, rel);
	char *real = realpath(full, NULL);
	char *base = realpath(l->s->dir && *l->s->dir ? l->s->dir : ".", NULL);
	bool ok = false;
	if (!real) {
		ok = rel[0] != '/' && strcmp(rel, "..") &&
		     strncmp(rel, "../", 3) && !strstr(rel, "/../") &&
		     (strlen(rel) < 3 || strcmp(rel + strlen(rel) - 3, "/.."));
	} else if (base) {
		size_t n = strlen(base);
		ok = !strncmp(real, base, n) &&
		     (real[n] == '/' || (n == 1 && base[0] == '/'));
	}
	free(full);
	free(real);
	free(base);
	return ok;
}

static bool inside_suite_dir(const struct ld *l, const char *rel)
{
	return inside_dir_of(l, l->s->dir, rel);
}

/* A file:// reference `ref` written in a data file (CSV, JSONL: l->in_data)
 * at node `at`: such files come from spreadsheets and logs, so they may
 * name files only inside the suite's directory, like vars (limit
 * var_files).  Returns 0 or ST_INPUT at `at`. */
static int data_ref_ok(struct ld *l, const struct ynode *at, const char *ref)
{
	char *dir;
	bool ok;
	if (!l->in_data || !ref || limits_get()->var_files_anywhere)
		return 0;
	ref = strstr(ref, "file://");
	if (!ref)
		return 0;
	dir = fs_dirname(at && at->file ? at->file : l->s->path);
	ok = inside_dir_of(l, dir, ref + 7);
	free(dir);
	if (ok)
		return 0;
	return ld_err(l, at, "'%s' reads a file outside the suite's directory: "
		      "data files (CSV, JSONL) read files only inside it (set "
		      "ASSAY_LIMITS=var_files=anywhere to allow more)", ref);
}

/* ---- judges (model-graded assertions) ------------------------------------ */

/* `provider` of an assertion or of test options: an id string, or a
 * mapping {id, config, label}. */
static int parse_judge(struct ld *l, const struct ynode *v, char **id,
		       json_t **config)
{
	if (v->kind == YN_SCALAR && yn_scalar_type(v) == JSON_STRING && *v->str)
		return get_string(l, v, id);
	if (v->kind != YN_MAP)
		return ld_err(l, v, "found %s, expected a judge provider id "
			      "(e.g. openai:chat:gpt-4o-mini) or a mapping with "
			      "id and config", yn_kind_name(v));
	for (size_t i = 0; i + 1 < v->n; i += 2) {
		const struct ynode *k = v->kids[i], *x = v->kids[i + 1];
		int rc = 0;
		if (!strcmp(k->str, "id")) {
			rc = get_string(l, x, id);
		} else if (!strcmp(k->str, "config")) {
			if (x->kind != YN_MAP)
				return ld_err(l, x, "found %s, expected a "
					      "mapping", yn_kind_name(x));
			json_decref(*config);
			*config = yn_to_json(x, l->err);
			rc = *config ? 0 : ST_INPUT;
		} else if (strcmp(k->str, "label") != 0) {
			return ld_err(l, k, "unknown key '%s' in a judge "
				      "provider, expected one of: id, config, "
				      "label", k->str);
		}
		if (rc)
			return rc;
	}
	if (!*id)
		return ld_err(l, v, "missing key 'id' in a judge provider, "
			      "expected e.g. id: openai:chat:gpt-4o-mini");
	return 0;
}

/* `rubricPrompt`: a string (or a file:// reference to one), or a list
 * of chat messages {role, content} kept as JSON text. */
static int parse_rubric(struct ld *l, const struct ynode *v, char **out)
{
	json_t *j;
	if (v->kind == YN_SCALAR && yn_scalar_type(v) == JSON_STRING) {
		const char *path;
		size_t len;
		char *text;
		if (!ld_is_file_ref(v->str))
			return get_string(l, v, out);
		if (data_ref_ok(l, v, v->str))
			return ST_INPUT;
		text = ld_read(l, v, v->str + 7, &path, &len);
		if (!text)
			return ST_INPUT;
		free(*out);
		*out = text;
		return 0;
	}
	if (v->kind != YN_SEQ || v->n == 0)
		return ld_err(l, v, "found %s, expected a rubric prompt (a "
			      "string or a list of chat messages)",
			      yn_kind_name(v));
	for (size_t i = 0; i < v->n; i++) {
		const struct ynode *m = v->kids[i], *role = yn_get(m, "role"),
				   *content = yn_get(m, "content");
		if (m->kind != YN_MAP || !role || role->kind != YN_SCALAR ||
		    !content || content->kind != YN_SCALAR)
			return ld_err(l, m, "found %s, expected a chat message "
				      "with string role and content",
				      yn_kind_name(m));
	}
	j = yn_to_json(v, l->err);
	if (!j)
		return ST_INPUT;
	free(*out);
	*out = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return *out ? 0 : err_set(l->err, ST_INTERNAL, "out of memory");
}

/* ---- assertions ---------------------------------------------------------- */

/* An assertion's `severity`: the same forms as a case's (a name or a
 * number >= 0), turned into its weight here; a name must be one of the
 * known ones, since the weight is needed now. */
static int parse_severity(struct ld *l, const struct ynode *v, double *w)
{
	int t = yn_scalar_type(v);
	if (v->kind == YN_SCALAR && (t == JSON_INTEGER || t == JSON_REAL)) {
		*w = strtod(v->str, NULL);
		if (*w >= 0)
			return 0;
	} else if (v->kind == YN_SCALAR && t == JSON_STRING) {
		/* the names and weights: one table (suite_stats.c) */
		if (!suite_severity_name(v->str, w))
			return 0;
		return ld_err(l, v, "found '%s', expected a severity: "
			      "critical, high, major, medium, moderate, low, "
			      "minor, info, or a weight >= 0", v->str);
	}
	return ld_err(l, v, "found %s, expected a severity such as low, "
		      "medium, high or critical, or a weight >= 0",
		      v->kind == YN_SCALAR && (t == JSON_INTEGER ||
					       t == JSON_REAL)
		      ? v->str : yn_kind_name(v));
}

static int parse_assert(struct ld *l, const struct ynode *m,
			struct assertion_spec *a);

int ld_parse_judge(struct ld *l, const struct ynode *v, char **id,
		   json_t **config)
{
	return parse_judge(l, v, id, config);
}

int ld_parse_assert(struct ld *l, const struct ynode *m,
		    struct assertion_spec *a)
{
	return parse_assert(l, m, a);
}

static int parse_assert(struct ld *l, const struct ynode *m,
			struct assertion_spec *a)
{
	static const char *const unsup[] = { "config", "contextTransform",
		NULL };
	const struct ynode *type = NULL;

	memset(a, 0, sizeof *a);
	a->weight = 1.0;
	a->loc.file = m->file;
	a->loc.line = m->line;
	a->loc.col = m->col;
	if (m->kind != YN_MAP)
		return ld_err(l, m, "found %s, expected an assertion (a "
			      "mapping with type and value)", yn_kind_name(m));
	for (size_t i = 0; i + 1 < m->n; i += 2) {
		const struct ynode *k = m->kids[i], *v = m->kids[i + 1];
		int rc = 0;
		if (!strcmp(k->str, "type")) {
			type = v;
			rc = get_string(l, v, &a->type);
		} else if (!strcmp(k->str, "value")) {
			if (v->kind == YN_SCALAR &&
			    (rc = data_ref_ok(l, v, ld_is_file_ref(v->str)
					      ? v->str : NULL)))
				return rc;
			if (yn_scalar_type(v) != JSON_NULL || v->kind !=
			    YN_SCALAR) {
				a->value = yn_to_json(v, l->err);
				rc = a->value ? 0 : ST_INPUT;
			}
		} else if (!strcmp(k->str, "weight")) {
			rc = get_number(l, v, &a->weight);
			if (!rc && !(a->weight >= 0))
				rc = ld_err(l, v, "found %s, expected a weight "
					    ">= 0", v->str);
		} else if (!strcmp(k->str, "threshold")) {
			rc = get_number(l, v, &a->threshold);
			a->has_threshold = !rc;
		} else if (!strcmp(k->str, "metric")) {
			rc = get_string(l, v, &a->metric);
		} else if (!strcmp(k->str, "transform")) {
			rc = get_string(l, v, &a->transform);
		} else if (!strcmp(k->str, "provider")) {
			rc = parse_judge(l, v, &a->provider,
					 &a->provider_config);
		} else if (!strcmp(k->str, "rubricPrompt")) {
			rc = parse_rubric(l, v, &a->rubric_prompt);
		} else if (!strcmp(k->str, "severity")) {
			rc = parse_severity(l, v, &a->severity);
			a->has_severity = !rc;
		} else if (!strcmp(k->str, "turn")) {
			double d = 0;
			rc = get_number(l, v, &d);
			if (!rc && !(d >= 1 && d <= 1000 && d == (int)d))
				rc = ld_err(l, v, "found %s, expected a turn "
					    "number (1 for the first turn)",
					    v->str);
			a->turn = rc ? 0 : (int)d;
		} else {
			bool u = false;
			for (int j = 0; unsup[j]; j++)
				u = u || !strcmp(k->str, unsup[j]);
			if (u)
				return ld_err(l, k, "unsupported feature: "
					      "assertion key '%s'", k->str);
			return ld_err(l, k, "unknown key '%s' in an assertion, "
				      "expected one of: type, value, weight, "
				      "threshold, metric, transform, provider, "
				      "rubricPrompt, severity, turn", k->str);
		}
		if (rc)
			return rc;
	}
	if (!type)
		return ld_err(l, m, "missing key 'type' in an assertion, "
			      "expected e.g. type: contains");
	if (!strcmp(a->type, "assert-set") || !strcmp(a->type, "not-assert-set"))
		return ld_err(l, type, "unsupported feature: assertion type "
			      "'assert-set'; list the assertions directly");
	return 0;
}

void assert_copy(struct assertion_spec *dst, const struct assertion_spec *src)
{
	*dst = *src;
	dst->type = xstrdup(src->type);
	dst->value = json_incref(src->value);
	dst->metric = xstrdup(src->metric);
	dst->transform = xstrdup(src->transform);
	dst->provider = xstrdup(src->provider);
	dst->provider_config = src->provider_config ?
			       json_deep_copy(src->provider_config) : NULL;
	dst->rubric_prompt = xstrdup(src->rubric_prompt);
}

/* Gives the assertions [from, n) without a rubricPrompt the test's. */
static void inherit_rubric(struct test_case *t, size_t from, const char *rp)
{
	if (!rp)
		return;
	for (size_t i = from; i < t->n_asserts; i++)
		if (!t->asserts[i].rubric_prompt)
			t->asserts[i].rubric_prompt = xstrdup(rp);
}

/* options.unparsable_output: `fail` (the default: output a transform
 * cannot read is the model's failure) or `error` (a grading error). */
static int parse_unparsable(struct ld *l, const struct ynode *x,
			    struct test_case *t)
{
	if (x->kind == YN_SCALAR && x->str &&
	    (!strcmp(x->str, "fail") || !strcmp(x->str, "error"))) {
		t->has_unparsable = true;
		t->unparsable_error = !strcmp(x->str, "error");
		return 0;
	}
	return ld_err(l, x, "found %s%s%s, expected unparsable_output: fail "
		      "(the default: output a transform cannot read fails) or "
		      "error (it is a grading error)",
		      x->kind == YN_SCALAR && x->str ? "'" : yn_kind_name(x),
		      x->kind == YN_SCALAR && x->str ? x->str : "",
		      x->kind == YN_SCALAR && x->str ? "'" : "");
}

/* A test's `options`: provider (the judge), rubricPrompt, transform and
 * unparsable_output. */
static int parse_options(struct ld *l, const struct ynode *v,
			 struct test_case *t)
{
	if (v->kind != YN_MAP)
		return ld_err(l, v, "found %s, expected a mapping",
			      yn_kind_name(v));
	for (size_t i = 0; i + 1 < v->n; i += 2) {
		const struct ynode *k = v->kids[i], *x = v->kids[i + 1];
		int rc;
		if (!strcmp(k->str, "provider"))
			rc = parse_judge(l, x, &t->grader, &t->grader_config);
		else if (!strcmp(k->str, "rubricPrompt"))
			rc = parse_rubric(l, x, &t->rubric_prompt);
		else if (!strcmp(k->str, "transform")) {
			if (x->kind != YN_SCALAR || !x->str)
				rc = ld_err(l, x, "found %s, expected a transform "
					    "string such as \"jq:.answer\"",
					    yn_kind_name(x));
			else {
				free(t->transform);
				t->transform = xstrdup(x->str);
				rc = 0;
			}
		} else if (!strcmp(k->str, "unparsable_output")) {
			rc = parse_unparsable(l, x, t);
		} else if (!strcmp(k->str, "disableVarExpansion")) {
			if (x->kind != YN_SCALAR ||
			    (yn_scalar_type(x) != JSON_TRUE &&
			     yn_scalar_type(x) != JSON_FALSE))
				rc = ld_err(l, x, "found %s, expected true or "
					    "false", yn_kind_name(x));
			else {
				t->var_expansion =
					yn_scalar_type(x) == JSON_TRUE ? -1 : 1;
				rc = 0;
			}
		} else
			rc = ld_err(l, k, "unsupported feature: test option "
				    "'%s' (supported: provider, rubricPrompt, "
				    "transform, unparsable_output, "
				    "disableVarExpansion)", k->str);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- one test ------------------------------------------------------------ */


/* Replaces top-level string vars "file://path" by the file's text.  A
 * var is data (a CSV exported from a spreadsheet, a case from a log): it
 * may read files only inside the suite's directory unless the limit
 * var_files=anywhere says otherwise, so a cell cannot read
 * file:///proc/self/environ or ../../.ssh/id_rsa into a prompt. */
static int expand_file_vars(struct ld *l, const struct ynode *vn,
			    json_t *vars)
{
	const char *k;
	json_t *v;
	json_object_foreach(vars, k, v) {
		const struct ynode *at;
		const char *path, *ref = json_string_value(v);
		char *text;
		size_t len;
		if (!ld_is_file_ref(ref))
			continue;
		at = yn_get(vn, k);
		if (is_code_ref(ref + 7))
			return ld_err(l, at ? at : vn, "unsupported feature: "
				      "vars computed by code ('%s')", ref);
		if (!limits_get()->var_files_anywhere &&
		    !inside_suite_dir(l, ref + 7))
			return ld_err(l, at ? at : vn, "var '%s' reads '%s', "
				      "outside the suite's directory: vars "
				      "read files only inside it (set "
				      "ASSAY_LIMITS=var_files=anywhere to "
				      "allow more)", k, ref);
		text = ld_read(l, at ? at : vn, ref + 7, &path, &len);
		if (!text)
			return ST_INPUT;
		json_object_set_new(vars, k, json_stringn_nocheck(text, len));
		free(text);
	}
	return 0;
}

static int parse_meta_keys(struct ld *l, const struct ynode *k,
			   const struct ynode *v, json_t *meta)
{
	json_t *j;
	if (!strcmp(k->str, "tags")) {
		if (v->kind == YN_SCALAR && yn_scalar_type(v) == JSON_STRING) {
			j = json_array();
			json_array_append_new(j, json_string(v->str));
		} else if (v->kind == YN_SEQ) {
			for (size_t i = 0; i < v->n; i++)
				if (v->kids[i]->kind != YN_SCALAR)
					return ld_err(l, v->kids[i], "found %s, "
						      "expected a tag string",
						      yn_kind_name(v->kids[i]));
			j = yn_to_json(v, l->err);
			if (!j)
				return ST_INPUT;
		} else {
			return ld_err(l, v, "found %s, expected a list of tag "
				      "strings", yn_kind_name(v));
		}
		json_object_set_new(meta, "tags", j);
		return 0;
	}
	if (v->kind != YN_SCALAR || yn_scalar_type(v) == JSON_NULL)
		return ld_err(l, v, "found %s, expected a %s", yn_kind_name(v),
			      strcmp(k->str, "cluster") &&
			      strcmp(k->str, "variant_group") &&
			      strcmp(k->str, "severity") ? "string"
							 : "string or number");
	/* severity: a name (critical, high/major, medium, low/minor, info)
	 * or a weight >= 0 (docs/statistics.md, failure modes) */
	if (!strcmp(k->str, "severity") && yn_scalar_type(v) != JSON_STRING &&
	    ((yn_scalar_type(v) != JSON_INTEGER &&
	      yn_scalar_type(v) != JSON_REAL) || strtod(v->str, NULL) < 0))
		return ld_err(l, v, "found %s, expected a severity such as "
			      "low, medium, high or critical, or a weight "
			      ">= 0", yn_kind_name(v));
	j = yn_to_json(v, l->err);
	json_object_set_new(meta, k->str, j);
	return 0;
}

/* promptfoo's `assert-set` {assert: [...], weight}: its score is the
 * weighted mean of its assertions' and it passes when they all pass, so
 * it is the same as its assertions listed directly with weights scaled to
 * weight × w_i / Σw — which is how it is stored.  A set's own `threshold`
 * (pass by score, not all), `metric` or `config` cannot be flattened
 * that way and is refused. */
static int add_assert_set(struct ld *l, const struct ynode *m,
			  struct test_case *t, size_t *cap)
{
	const struct ynode *list = NULL;
	double w = 1, sum = 0;
	size_t first = t->n_asserts;
	int rc = 0;

	for (size_t i = 0; i + 1 < m->n; i += 2) {
		const struct ynode *k = m->kids[i], *v = m->kids[i + 1];
		if (!strcmp(k->str, "type"))
			continue;
		if (!strcmp(k->str, "assert")) {
			list = v;
		} else if (!strcmp(k->str, "weight")) {
			if ((rc = get_number(l, v, &w)))
				return rc;
			if (!(w >= 0))
				return ld_err(l, v, "found %s, expected a weight "
					      ">= 0", v->str);
		} else if (!strcmp(k->str, "threshold") ||
			   !strcmp(k->str, "metric") ||
			   !strcmp(k->str, "config")) {
			return ld_err(l, k, "unsupported feature: '%s' on an "
				      "assert-set (assay grades a set as its "
				      "assertions with scaled weights; give "
				      "the assertions their own %s)", k->str,
				      k->str);
		} else {
			return ld_err(l, k, "unknown key '%s' in an assert-set, "
				      "expected type, assert and weight",
				      k->str);
		}
	}
	if (!list || list->kind != YN_SEQ || list->n == 0)
		return ld_err(l, list ? list : m, "found %s, expected the "
			      "set's assertions (a non-empty list under "
			      "'assert')", list ? yn_kind_name(list)
						: "no 'assert'");
	for (size_t j = 0; j < list->n && !rc; j++) {
		const struct ynode *ty = yn_get(list->kids[j], "type");
		if (ty && ty->kind == YN_SCALAR && strstr(ty->str, "assert-set"))
			return ld_err(l, ty, "found an assert-set inside an "
				      "assert-set, expected assertions");
		t->asserts = xgrow(t->asserts, cap, t->n_asserts + 1,
				   sizeof *t->asserts);
		rc = parse_assert(l, list->kids[j], &t->asserts[t->n_asserts]);
		t->n_asserts++;
	}
	if (rc)
		return rc;
	for (size_t j = first; j < t->n_asserts; j++)
		sum += t->asserts[j].weight;
	for (size_t j = first; j < t->n_asserts; j++)
		t->asserts[j].weight = sum > 0 ? w * t->asserts[j].weight / sum
					       : 0;
	return 0;
}

/* Parses a test mapping.  vars and metadata stay NULL when absent. */
static int parse_test(struct ld *l, const struct ynode *m,
		      struct test_case *t, bool is_default)
{
	static const char *const unsup[] = { "provider", "providerOutput",
		"prompts", "assertScoringFunction", "providers", NULL };
	json_t *ours = json_object();
	size_t cap = 0;
	int rc = 0;

	memset(t, 0, sizeof *t);
	t->loc.file = m->file;
	t->loc.line = m->line;
	t->loc.col = m->col;
	if (m->kind != YN_MAP) {
		json_decref(ours);
		return ld_err(l, m, "found %s, expected a test (a mapping "
			      "with vars and assert)", yn_kind_name(m));
	}
	for (size_t i = 0; i + 1 < m->n && !rc; i += 2) {
		const struct ynode *k = m->kids[i], *v = m->kids[i + 1];
		bool is_null = v->kind == YN_SCALAR &&
			       yn_scalar_type(v) == JSON_NULL;
		if (!strcmp(k->str, "description")) {
			rc = get_string(l, v, &t->description);
		} else if (!strcmp(k->str, "vars")) {
			if (is_null)
				continue;
			if (v->kind != YN_MAP) {
				rc = ld_err(l, v, "found %s, expected a mapping "
					    "of var names to values",
					    yn_kind_name(v));
				break;
			}
			json_decref(t->vars);
			t->vars = yn_to_json(v, l->err);
			rc = t->vars ? expand_file_vars(l, v, t->vars)
				     : ST_INPUT;
		} else if (!strcmp(k->str, "assert")) {
			if (is_null)
				continue;
			if (v->kind != YN_SEQ) {
				rc = ld_err(l, v, "found %s, expected a list of "
					    "assertions", yn_kind_name(v));
				break;
			}
			for (size_t j = 0; j < v->n && !rc; j++) {
				const struct ynode *ty = yn_get(v->kids[j], "type");
				if (ty && ty->kind == YN_SCALAR &&
				    !strcmp(ty->str, "assert-set")) {
					rc = add_assert_set(l, v->kids[j], t, &cap);
					continue;
				}
				t->asserts = xgrow(t->asserts, &cap,
						   t->n_asserts + 1,
						   sizeof *t->asserts);
				rc = parse_assert(l, v->kids[j],
						  &t->asserts[t->n_asserts]);
				t->n_asserts++;
			}
		} else if (!strcmp(k->str, "threshold")) {
			rc = get_number(l, v, &t->threshold);
			t->has_threshold = !rc;
		} else if (!strcmp(k->str, "metadata")) {
			if (is_null)
				continue;
			if (v->kind != YN_MAP) {
				rc = ld_err(l, v, "found %s, expected a mapping",
					    yn_kind_name(v));
				break;
			}
			json_decref(t->metadata);
			t->metadata = yn_to_json(v, l->err);
			rc = t->metadata ? 0 : ST_INPUT;
		} else if (!strcmp(k->str, "options")) {
			if (is_null)
				continue;
			rc = parse_options(l, v, t);
		} else if (!strcmp(k->str, "tags") ||
			   (!strcmp(k->str, "id") && !is_default) ||
			   !strcmp(k->str, "severity") ||
			   !strcmp(k->str, "expect") ||
			   !strcmp(k->str, "cluster") ||
			   !strcmp(k->str, "variant_group")) {
			rc = parse_meta_keys(l, k, v, ours);
		} else if (!strcmp(k->str, "perturb")) {
			rc = ld_perturb_key(l, v, ours);  /* suite_perturb.c */
		} else if (!strcmp(k->str, "variants")) {
			rc = ld_variants_key(l, v, ours); /* suite_perturb.c */
		} else if (!strcmp(k->str, "conversation") && !is_default) {
			rc = ld_conversation(l, v, t);    /* suite_conv.c */
		} else {
			bool u = false;
			for (int j = 0; unsup[j]; j++)
				u = u || !strcmp(k->str, unsup[j]);
			if (u)
				rc = ld_err(l, k, "unsupported feature: %s key "
					    "'%s'", is_default ? "defaultTest"
							       : "test",
					    k->str);
			else
				rc = ld_err(l, k, "unknown key '%s' in a %s, "
					    "expected one of: description, "
					    "id, vars, assert, threshold, metadata, "
					    "options, tags, severity, expect, "
					    "cluster, variant_group, perturb, "
					    "variants, conversation",
					    k->str,
					    is_default ?
					    "defaultTest" : "test");
		}
	}
	if (!rc)
		inherit_rubric(t, 0, t->rubric_prompt);
	if (!rc)
		rc = ld_conv_turn_asserts(l, t);  /* suite_conv.c */
	if (!rc && json_object_size(ours)) {
		if (!t->metadata)
			t->metadata = json_object();
		json_object_update(t->metadata, ours);
	}
	json_decref(ours);
	return rc;
}

/* What a JSON value costs in memory, roughly (jansson's structures and
 * malloc's overhead included): the unit of the tests_bytes budget. */
static size_t json_cost(const json_t *v)
{
	const char *k;
	json_t *x;
	size_t i, n = 48;
	switch (json_typeof(v)) {
	case JSON_STRING:
		return n + json_string_length(v);
	case JSON_OBJECT:
		n = 200;
		json_object_foreach((json_t *)v, k, x)
			n += 64 + strlen(k) + json_cost(x);
		return n;
	case JSON_ARRAY:
		n = 64;
		json_array_foreach(v, i, x)
			n += 8 + json_cost(x);
		return n;
	default:
		return n;
	}
}

static size_t str_cost(const char *s)
{
	return s ? 24 + strlen(s) : 0;
}

/* The memory test `t` adds beyond what it shares with defaultTest. */
static size_t test_cost(const struct test_case *t)
{
	size_t n = sizeof *t + str_cost(t->description) +
		   str_cost(t->grader) + str_cost(t->transform) +
		   str_cost(t->rubric_prompt);
	if (t->vars)
		n += json_cost(t->vars);
	if (t->metadata)
		n += json_cost(t->metadata);
	for (size_t i = 0; i < t->n_asserts; i++) {
		const struct assertion_spec *a = &t->asserts[i];
		n += sizeof *a + str_cost(a->type) + str_cost(a->metric) +
		     str_cost(a->transform) + str_cost(a->provider) +
		     str_cost(a->rubric_prompt);
		if (a->value)
			n += json_cost(a->value);
	}
	return n;
}

/* `a` with `b`'s keys on top, as a new object; either may be NULL.  When
 * one side is empty the other is shared (tests' vars and metadata are
 * read-only once loaded): a copy per test is what made a CSV take ~25
 * times its size in memory. */
static json_t *merge_obj(struct ld *l, json_t *a, json_t *b)
{
	json_t *o;
	if (!json_object_size(b) && !json_object_size(a)) {
		if (!l->empty)
			l->empty = json_object();
		return json_incref(l->empty);
	}
	if (!json_object_size(a))
		return json_incref(b);
	if (!json_object_size(b))
		return json_incref(a);
	o = json_object();
	json_object_update(o, a);
	json_object_update(o, b);
	return o;
}

/* defaultTest's assertions as add_merged would copy them into a test that
 * adds none, with `unparsable` (the test's unparsable_error) and def's
 * rubric: built once and shared, so a CSV of a million rows holds one
 * copy.  NULL when the loader's block carries the other unparsable
 * value (that test gets its own copy). */
static struct assert_share *def_share(struct ld *l, const struct test_case *def,
				      bool unparsable)
{
	struct assert_share *sh = l->share;
	if (sh)
		return l->share_unparsable == unparsable ? sh : NULL;
	sh = xmalloc(sizeof *sh + def->n_asserts * sizeof *sh->specs);
	sh->refs = 1;
	sh->n = def->n_asserts;
	for (size_t i = 0; i < sh->n; i++) {
		assert_copy(&sh->specs[i], &def->asserts[i]);
		sh->specs[i].unparsable_error = unparsable;
		if (!sh->specs[i].rubric_prompt && def->rubric_prompt)
			sh->specs[i].rubric_prompt = xstrdup(def->rubric_prompt);
	}
	l->share = sh;
	l->share_unparsable = unparsable;
	return sh;
}

/* Vars are read-only once loaded, so equal short string values can be
 * one json_t: a CSV's category or expected-label column then costs a
 * pointer per row instead of a string object and its text (~80 B).  Only
 * the test's own object is touched, and the table stops growing at
 * INTERN_MAX entries (a column of unique texts fills it once). */
#define INTERN_MAX 4096
#define INTERN_LEN 64

static void intern_vars(struct ld *l, json_t *vars)
{
	const char *k;
	json_t *v, *have;
	if (!l->interned)
		l->interned = json_object();
	json_object_foreach(vars, k, v) {
		const char *txt = json_string_value(v);
		size_t n = json_string_length(v);
		if (!txt || n > INTERN_LEN || strlen(txt) != n)
			continue;
		if ((have = json_object_get(l->interned, txt))) {
			if (have != v)
				json_object_set(vars, k, have);
		} else if (json_object_size(l->interned) < INTERN_MAX) {
			json_object_set(l->interned, txt, v);
		}
	}
}

/* Appends test `t` (consumed) merged with `def` to the suite.  Fails
 * with ST_INPUT at the test when the tests would take more memory than
 * the limit tests_bytes (t is then freed). */
static int add_merged(struct ld *l, struct test_case *t,
		      const struct test_case *def)
{
	struct suite *s = l->s;
	struct test_case *o, **arr = l->to_out ? &l->out : &s->tests;
	size_t *np = l->to_out ? &l->n_out : &s->n_tests;
	size_t cost = test_cost(t), cap = limits_get()->tests_bytes;

	if ((l->to_out || (l->cur && l->cur->dropping)))
		cost = 0;    /* streamed: freed once checked (suite_stream.c) */
	if (cost > cap || l->tests_bytes > cap - cost) {
		int rc = err_at(l->err, t->loc.file, t->loc.line, t->loc.col,
				"the tests take more than %zu bytes of memory "
				"(limit tests_bytes; raise it with "
				"ASSAY_LIMITS=tests_bytes=N)", cap);
		suite_test_cleanup(t);
		return rc;
	}
	l->tests_bytes += cost;
	*arr = xgrow(*arr, l->to_out ? &l->cap_out : &l->cap_tests, *np + 1,
		     sizeof **arr);
	o = &(*arr)[(*np)++];
	*o = *t;
	o->vars = merge_obj(l, def ? def->vars : NULL, t->vars);
	if ((!def || o->vars != def->vars) && o->vars != l->empty)
		intern_vars(l, o->vars);    /* its own object, not a shared one */
	o->metadata = merge_obj(l, def ? def->metadata : NULL, t->metadata);
	json_decref(t->vars);
	json_decref(t->metadata);
	if (def && def->n_asserts && !t->n_asserts) {
		/* defaultTest's alone: shared below when possible */
	} else if (def && def->n_asserts) {
		o->asserts = xmalloc((def->n_asserts + t->n_asserts) *
				     sizeof *o->asserts);
		for (size_t i = 0; i < def->n_asserts; i++)
			assert_copy(&o->asserts[i], &def->asserts[i]);
		if (t->n_asserts)
			memcpy(o->asserts + def->n_asserts, t->asserts,
			       t->n_asserts * sizeof *t->asserts);
		free(t->asserts);
		o->n_asserts = def->n_asserts + t->n_asserts;
	}
	if (def && !t->has_threshold && def->has_threshold) {
		o->has_threshold = true;
		o->threshold = def->threshold;
	}
	if (def && !t->grader && def->grader) {
		o->grader = xstrdup(def->grader);
		o->grader_config = def->grader_config ?
				   json_deep_copy(def->grader_config) : NULL;
	}
	if (def && !t->rubric_prompt && def->rubric_prompt)
		o->rubric_prompt = xstrdup(def->rubric_prompt);
	if (def && !t->transform && def->transform)
		o->transform = xstrdup(def->transform);
	if (def && !t->has_unparsable && def->has_unparsable) {
		o->has_unparsable = true;
		o->unparsable_error = def->unparsable_error;
	}
	if (def && def->n_asserts && !t->n_asserts) {
		struct assert_share *sh = def_share(l, def, o->unparsable_error);
		free(o->asserts);
		if (sh) {
			sh->refs++;
			o->asserts_share = sh;
			o->asserts = sh->specs;
			o->n_asserts = sh->n;
			memset(t, 0, sizeof *t);
			return 0;
		}
		o->asserts = xmalloc(def->n_asserts * sizeof *o->asserts);
		for (size_t i = 0; i < def->n_asserts; i++)
			assert_copy(&o->asserts[i], &def->asserts[i]);
		o->n_asserts = def->n_asserts;
	}
	for (size_t i = 0; i < o->n_asserts; i++)
		o->asserts[i].unparsable_error = o->unparsable_error;
	if (def)
		inherit_rubric(o, 0, def->rubric_prompt);
	memset(t, 0, sizeof *t);
	return 0;
}

/* promptfoo's rule for list vars (generateVarCombinations in its
 * evaluator): a var whose value is a list with a string first element
 * takes each element in turn; any other value, a list of numbers or of
 * mappings or an empty list included, stays whole. */
static bool expands(const json_t *v)
{
	return json_is_array(v) && json_array_size(v) > 0 &&
	       json_is_string(json_array_get(v, 0));
}

/* A copy of `t` (nothing shared that add_merged would free) with vars
 * `vars` (consumed). */
static void test_copy(struct test_case *dst, const struct test_case *t,
		      json_t *vars)
{
	*dst = *t;
	dst->description = xstrdup(t->description);
	dst->vars = vars;
	dst->metadata = t->metadata ? json_incref(t->metadata) : NULL;
	dst->asserts = t->n_asserts ?
		       xmalloc(t->n_asserts * sizeof *dst->asserts) : NULL;
	for (size_t i = 0; i < t->n_asserts; i++)
		assert_copy(&dst->asserts[i], &t->asserts[i]);
	dst->grader = xstrdup(t->grader);
	dst->grader_config = t->grader_config ?
			     json_deep_copy(t->grader_config) : NULL;
	dst->transform = xstrdup(t->transform);
	dst->rubric_prompt = xstrdup(t->rubric_prompt);
}

/* Adds `t` (consumed) once per combination of its list vars (defaultTest's
 * merged under its own), the first var varying slowest, as promptfoo
 * does, unless options.disableVarExpansion (the test's, else
 * defaultTest's) is true.  The tests_bytes limit bounds the product. */
static int add_expanded(struct ld *l, struct test_case *t,
			const struct test_case *def)
{
	int ve = t->var_expansion ? t->var_expansion
				  : def ? def->var_expansion : 0;
	json_t *all = json_object(), *v;
	const char *k;
	size_t nk = 0, *idx, *len, more = 1;
	const char **keys;
	int rc = 0;

	if (def && def->vars)
		json_object_update(all, def->vars);
	if (t->vars)
		json_object_update(all, t->vars);
	json_object_foreach(all, k, v)
		nk += expands(v);
	if (ve < 0 || nk == 0) {
		json_decref(all);
		return add_merged(l, t, def);
	}
	keys = xmalloc(nk * sizeof *keys);
	idx = xmalloc(nk * sizeof *idx);
	len = xmalloc(nk * sizeof *len);
	nk = 0;
	json_object_foreach(all, k, v)
		if (expands(v)) {
			keys[nk] = k;
			idx[nk] = 0;
			len[nk++] = json_array_size(v);
		}
	while (more && !rc) {
		struct test_case c;
		json_t *vars = json_copy(all);
		for (size_t i = 0; i < nk; i++)
			json_object_set(vars, keys[i], json_array_get(
				json_object_get(all, keys[i]), idx[i]));
		test_copy(&c, t, vars);
		rc = add_merged(l, &c, def);
		more = 0;
		for (size_t i = nk; i-- > 0;) {
			if (++idx[i] < len[i]) {
				more = 1;
				break;
			}
			idx[i] = 0;
		}
	}
	free(keys);
	free(idx);
	free(len);
	json_decref(all);
	suite_test_cleanup(t);
	return rc;
}

static int add_test(struct ld *l, const struct ynode *m,
		    const struct test_case *def)
{
	struct test_case t;
	int rc = parse_test(l, m, &t, false);
	if (rc) {
		suite_test_cleanup(&t);
		return rc;
	}
	return add_expanded(l, &t, def);
}

/* ---- CSV ----------------------------------------------------------------- */

struct csvst {
	struct ld *l;
	struct ydoc *d;
	const char *file;
	const struct test_case *def;
	int line, col;              /* position of the byte being fed */
	int fline, fcol;            /* start of the current field */
	bool need_start;
	struct cell *cells;
	size_t n_cells, cap_cells;
	struct cell *hdr;
	enum col_kind *kinds;
	size_t n_hdr;
	int rc;
	struct sseg *g;             /* the file streams: its marks, or NULL */
	bool row_done;              /* a record (or the header) just ended */
	bool hdr_borrowed;          /* hdr and kinds are g's (re-reading) */
};

/* promptfoo's assertion type names, for the `__expected` syntax. */
static const char *const pf_types[] = {
	"answer-relevance", "bleu", "classifier", "contains", "contains-all",
	"contains-any", "contains-html", "contains-json", "contains-sql",
	"contains-xml", "context-faithfulness", "context-recall",
	"context-relevance", "conversation-relevance", "cost", "equals",
	"factuality", "finish-reason", "g-eval", "gleu", "guardrails",
	"icontains", "icontains-all", "icontains-any", "is-html", "is-json",
	"is-refusal", "is-sql", "is-valid-function-call",
	"is-valid-openai-function-call", "is-valid-openai-tools-call",
	"is-xml", "javascript", "latency", "levenshtein", "llm-rubric",
	"meteor", "model-graded-closedqa", "model-graded-factuality",
	"moderation", "perplexity", "perplexity-score", "pi", "python",
	"regex", "rouge-n", "ruby", "select-best", "similar", "starts-with",
	"webhook", "word-count", "max-score", "human", "search-rubric",
	"tool-call-f1", "trace-error-spans", "trace-span-count",
	"trace-span-duration", NULL
};

static bool pf_type_known(const char *s, size_t n)
{
	for (int i = 0; pf_types[i]; i++)
		if (strlen(pf_types[i]) == n && !strncmp(pf_types[i], s, n))
			return true;
	return false;
}

/* True when the n-byte name equals `want`. */
static bool tis(const char *name, size_t n, const char *want)
{
	return strlen(want) == n && !strncmp(name, want, n);
}

static struct ynode *cell_scalar(struct csvst *c, const char *s, size_t n,
				 const struct cell *at)
{
	return yn_scalar(c->d, s, n, 1, c->file, at->line, at->col);
}

/* promptfoo's assertionFromString, as a located assertion mapping. */
static struct ynode *assertion_from_string(struct csvst *c,
					   const struct cell *cl,
					   const char *metric)
{
	const char *s = cl->s, *p, *type, *val = NULL;
	size_t tn;
	struct ynode *m = yn_new(c->d, YN_MAP, c->file, cl->line, cl->col);
	/* promptfoo's code prefixes: javascript:/fn:/eval: and python:. */
	static const struct { const char *prefix, *type; } code[] = {
		{ "javascript:", "javascript" }, { "fn:", "javascript" },
		{ "eval:", "javascript" }, { "python:", "python" }, { NULL, NULL },
	};
	const char *thr = NULL;
	size_t thr_n = 0;
	char full[96];

	for (int i = 0; code[i].prefix; i++)
		if (!strncmp(s, code[i].prefix, strlen(code[i].prefix))) {
			const char *v = s + strlen(code[i].prefix);
			yn_map_set(c->d, m, "type", cell_scalar(c, code[i].type, strlen(code[i].type), cl));
			yn_map_set(c->d, m, "value", cell_scalar(c, v, strlen(v), cl));
			goto metric;
		}
	if (ld_is_file_ref(s) && is_code_ref(s + 7)) {
		char e[16];
		const char *colon = strrchr(s + 7, ':');
		char *path = colon ? xstrndup(s + 7, (size_t)(colon - s - 7)) : xstrdup(s + 7);
		ld_ext(path, e, sizeof e);
		free(path);
		const char *ctype = !strcmp(e, ".py") ? "python"
				 : (!strcmp(e, ".js") || !strcmp(e, ".cjs") || !strcmp(e, ".mjs"))
					   ? "javascript" : NULL;
		if (!ctype) {
			ld_err(c->l, m, "unsupported feature: code assertion '%s' in "
			       "an __expected column (only .js and .py files run)", s);
			return NULL;
		}
		yn_map_set(c->d, m, "type", cell_scalar(c, ctype, strlen(ctype), cl));
		yn_map_set(c->d, m, "value", cell_scalar(c, s, strlen(s), cl));
		goto metric;
	}
	/* a CSV is data: an __expected value such as is-json:file://… may
	 * read a schema only inside the suite's directory, like a var */
	if (data_ref_ok(c->l, m, s))
		return NULL;
	if (!strncmp(s, "grade:", 6) || !strncmp(s, "llm-rubric:", 11)) {
		const char *v = s + (s[0] == 'g' ? 6 : 11);
		yn_map_set(c->d, m, "type", cell_scalar(c, "llm-rubric", 10, cl));
		yn_map_set(c->d, m, "value", cell_scalar(c, v, strlen(v), cl));
		goto metric;
	}
	/* ^(not-)?(type)(\(\d+(\.\d+)?\))?(:(.*))?$ */
	p = s;
	if (!strncmp(p, "not-", 4))
		p += 4;
	type = p;
	while (*p && (isalnum((unsigned char)*p) || *p == '-'))
		p++;
	tn = (size_t)(p - type);
	if (*p == '(') {
		const char *q = p + 1;
		thr = q;
		while (isdigit((unsigned char)*q))
			q++;
		if (q > thr && *q == '.' && isdigit((unsigned char)q[1]))
			for (q++; isdigit((unsigned char)*q); q++)
				;
		thr_n = (size_t)(q - thr);
		if (!thr_n || !isdigit((unsigned char)thr[0]) || *q != ')')
			goto equals;
		p = q + 1;
	}
	if (*p == ':')
		val = p + 1;
	else if (*p)
		goto equals;
	if (!pf_type_known(type, tn))
		goto equals;
	snprintf(full, sizeof full, "%.*s", (int)(type + tn - s), s);
	yn_map_set(c->d, m, "type", cell_scalar(c, full, strlen(full), cl));
	if (val && (tis(type, tn, "contains-all") ||
		    tis(type, tn, "contains-any") ||
		    tis(type, tn, "icontains-all") ||
		    tis(type, tn, "icontains-any"))) {
		struct ynode *list = yn_new(c->d, YN_SEQ, c->file, cl->line,
					    cl->col);
		const char *a = val;
		for (;;) {
			const char *e = strchr(a, ','), *b;
			if (!e)
				e = a + strlen(a);
			b = e;
			while (a < b && isspace((unsigned char)*a))
				a++;
			while (b > a && isspace((unsigned char)b[-1]))
				b--;
			yn_push(list, cell_scalar(c, a, (size_t)(b - a), cl));
			if (!*e)
				break;
			a = e + 1;
		}
		yn_map_set(c->d, m, "value", list);
	} else if (val) {
		yn_map_set(c->d, m, "value", cell_scalar(c, val, strlen(val),
							 cl));
	}
	{
		/* promptfoo gives these types a threshold: the one written
		 * in parentheses, else 0.8 for similar and 0.75 for the
		 * score-like ones.  For cost, latency and starts-with a
		 * default would be meaningless, so only an explicit one. */
		static const char *const th_types[] = { "answer-relevance",
			"classifier", "context-faithfulness", "context-recall",
			"context-relevance", "levenshtein", "perplexity-score",
			"perplexity", "rouge-n", "similar", "cost", "latency",
			"starts-with", NULL };
		double th = thr ? strtod(thr, NULL) : 0;
		int which = -1;
		for (int i = 0; th_types[i]; i++)
			if (tis(type, tn, th_types[i]))
				which = i;
		if (which >= 0 && th == 0 && which < 10)
			th = tis(type, tn, "similar") ? 0.8 : 0.75;
		if (which >= 0 && th != 0) {
			char tb[32];
			snprintf(tb, sizeof tb, "%.17g", th);
			yn_map_set(c->d, m, "threshold",
				   yn_scalar(c->d, tb, strlen(tb), 0, c->file,
					     cl->line, cl->col));
		}
	}
	goto metric;
equals:
	yn_map_set(c->d, m, "type", cell_scalar(c, "equals", 6, cl));
	yn_map_set(c->d, m, "value", cell_scalar(c, s, strlen(s), cl));
metric:
	if (metric && *metric)
		yn_map_set(c->d, m, "metric", cell_scalar(c, metric,
							  strlen(metric), cl));
	return m;
}

/* Refuses a repeated column name, through a set of the names seen (a scan
 * per column was quadratic in a header of 100,000 columns). */
static int csv_dup_columns(struct csvst *c)
{
	json_t *seen = json_object();
	int rc = 0;
	for (size_t i = 0; i < c->n_hdr && !rc; i++) {
		const struct cell *h = &c->hdr[i];
		json_t *first = json_object_get(seen, h->s);
		struct ynode at = { .file = c->file, .line = h->line,
				    .col = h->col };
		if (first)
			rc = ld_err(c->l, &at, "duplicate column '%s' (first at "
				    "column %d)", h->s,
				    (int)json_integer_value(first));
		else if (*h->s)
			json_object_set_new_nocheck(seen, h->s,
						    json_integer(h->col));
	}
	json_decref(seen);
	return rc;
}

static int csv_header(struct csvst *c)
{
	c->n_hdr = c->n_cells;
	c->hdr = c->cells;
	c->cells = NULL;
	c->n_cells = c->cap_cells = 0;
	c->kinds = xcalloc(c->n_hdr, sizeof *c->kinds);
	for (size_t i = 0; i < c->n_hdr; i++) {
		const struct cell *h = &c->hdr[i];
		const char *s = h->s;
		struct ynode at = { .file = c->file, .line = h->line,
				    .col = h->col };
		if (!*s)
			return ld_err(c->l, &at, "found an empty column name, "
				      "expected a var name or a __ column");
		if (strncmp(s, "__", 2) != 0) {
			c->kinds[i] = COL_VAR;
			continue;
		}
		if (!strncmp(s, "__expected", 10) &&
		    strspn(s + 10, "0123456789") == strlen(s + 10))
			c->kinds[i] = COL_EXPECTED;
		else if (!strcmp(s, "__description"))
			c->kinds[i] = COL_DESC;
		else if (!strcmp(s, "__threshold"))
			c->kinds[i] = COL_THRESHOLD;
		else if (!strcmp(s, "__metric"))
			c->kinds[i] = COL_METRIC;
		else if (!strncmp(s, "__metadata:", 11) && s[11]) {
			size_t n = strlen(s);
			c->kinds[i] = n > 13 && !strcmp(s + n - 2, "[]")
				      ? COL_META_LIST : COL_META;
		} else if (!strcmp(s, "__prefix") || !strcmp(s, "__suffix") ||
			   !strcmp(s, "__providerOutput") ||
			   !strncmp(s, "__config:", 9))
			return ld_err(c->l, &at, "unsupported feature: CSV "
				      "column '%s'", s);
		else
			return ld_err(c->l, &at, "unknown special column '%s', "
				      "expected one of: __expected, "
				      "__expected<N>, __description, "
				      "__threshold, __metric, __metadata:<key>",
				      s);
	}
	return csv_dup_columns(c);
}

static int csv_row(struct csvst *c)
{
	struct ynode *m, *vars, *asserts, *meta;
	const char *metric = NULL;
	const struct cell *row = c->cells;
	int rc;

	if (c->n_cells == 1 && c->cells[0].n == 0 && c->n_hdr != 1)
		return 0;        /* a blank line */
	if (c->n_cells != c->n_hdr) {
		struct ynode at = { .file = c->file, .line = row[0].line,
				    .col = row[0].col };
		return ld_err(c->l, &at, "found %zu fields, expected %zu (one "
			      "per header column)", c->n_cells, c->n_hdr);
	}
	/* each row gets its own node tree, freed once the test is built,
	 * so memory does not grow with the file beyond the tests */
	ydoc_free(c->d);
	m = yn_new(c->d, YN_MAP, c->file, row[0].line, row[0].col);
	vars = yn_new(c->d, YN_MAP, c->file, row[0].line, row[0].col);
	asserts = yn_new(c->d, YN_SEQ, c->file, row[0].line, row[0].col);
	meta = yn_new(c->d, YN_MAP, c->file, row[0].line, row[0].col);
	for (size_t i = 0; i < c->n_cells; i++)
		if (c->kinds[i] == COL_METRIC && row[i].n)
			metric = row[i].s;
	for (size_t i = 0; i < c->n_cells; i++) {
		const struct cell *cl = &row[i];
		const char *name = c->hdr[i].s;
		switch (c->kinds[i]) {
		case COL_VAR:
			yn_map_set(c->d, vars, name,
				   cell_scalar(c, cl->s, cl->n, cl));
			break;
		case COL_EXPECTED: {
			const char *t = cl->s;
			struct ynode *a;
			while (isspace((unsigned char)*t))
				t++;
			if (!*t)
				break;
			a = assertion_from_string(c, cl, metric);
			if (!a)
				return ST_INPUT;
			yn_push(asserts, a);
			break;
		}
		case COL_DESC:
			if (cl->n)
				yn_map_set(c->d, m, "description",
					   cell_scalar(c, cl->s, cl->n, cl));
			break;
		case COL_THRESHOLD: {
			char *end;
			struct ynode at = { .file = c->file, .line = cl->line,
					    .col = cl->col };
			if (!cl->n)
				break;
			(void)strtod(cl->s, &end);
			while (isspace((unsigned char)*end))
				end++;
			if (end == cl->s || *end)
				return ld_err(c->l, &at, "found '%s', expected "
					      "a number in __threshold", cl->s);
			yn_map_set(c->d, m, "threshold",
				   yn_scalar(c->d, cl->s, cl->n, 0, c->file,
					     cl->line, cl->col));
			break;
		}
		case COL_METRIC:
			break;
		case COL_META:
			if (cl->n)
				yn_map_set(c->d, meta, name + 11,
					   cell_scalar(c, cl->s, cl->n, cl));
			break;
		case COL_META_LIST: {
			/* comma-separated, `\,` is a literal comma */
			struct ynode *list;
			struct buf b = {0};
			char key[256];
			if (!cl->n)
				break;
			list = yn_new(c->d, YN_SEQ, c->file, cl->line, cl->col);
			for (const char *p = cl->s;; p++) {
				if (*p == '\\' && p[1] == ',') {
					buf_putc(&b, ',');
					p++;
					continue;
				}
				if (*p == ',' || !*p) {
					const char *a = buf_str(&b);
					const char *e = a + b.len;
					while (a < e && isspace((unsigned char)*a))
						a++;
					while (e > a &&
					       isspace((unsigned char)e[-1]))
						e--;
					if (e > a)
						yn_push(list, cell_scalar(c, a,
							(size_t)(e - a), cl));
					buf_reset(&b);
					if (!*p)
						break;
					continue;
				}
				buf_putc(&b, *p);
			}
			buf_free(&b);
			snprintf(key, sizeof key, "%.*s",
				 (int)(strlen(name) - 13), name + 11);
			yn_map_set(c->d, meta, key, list);
			break;
		}
		}
	}
	yn_map_set(c->d, m, "vars", vars);
	if (asserts->n)
		yn_map_set(c->d, m, "assert", asserts);
	if (meta->n)
		yn_map_set(c->d, m, "metadata", meta);
	rc = add_test(c->l, m, c->def);
	ydoc_free(c->d);
	return rc;
}

static void csv_on_field(void *data, size_t n, void *ctx)
{
	struct csvst *c = ctx;
	struct cell *cl;
	c->need_start = true;
	if (c->rc)
		return;
	c->cells = xgrow(c->cells, &c->cap_cells, c->n_cells + 1,
			 sizeof *c->cells);
	cl = &c->cells[c->n_cells++];
	cl->s = xstrndup(data ? data : "", data ? n : 0);
	cl->n = data ? n : 0;
	cl->line = c->fline;
	cl->col = c->fcol;
}

static void free_cells(struct cell *cells, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(cells[i].s);
}

static void csv_on_row(int ch, void *ctx)
{
	struct csvst *c = ctx;
	(void)ch;
	c->need_start = true;
	if (c->rc || !c->n_cells)
		return;
	if (!c->hdr) {
		c->rc = csv_header(c);
		c->row_done = true;
		return;
	}
	c->rc = csv_row(c);
	free_cells(c->cells, c->n_cells);
	c->n_cells = 0;
	c->row_done = true;
}

static int no_space(unsigned char ch)
{
	(void)ch;
	return 0;    /* keep spaces: a var's value is the cell as written */
}

/* The checksum of a streamed file's bytes between marks (FNV-1a). */
static unsigned long long fnv(unsigned long long h, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
	return h;
}

/* Feeds n bytes (at file offset `base`) to the CSV parser, one at a time
 * so each field's line and column are known; tells the stream (c->g)
 * where each record ends. */
static int csv_feed(struct csvst *c, struct csv_parser *p, const char *text,
		    size_t n, long long base)
{
	for (size_t i = 0; i < n && !c->rc; i++) {
		unsigned char ch = (unsigned char)text[i];
		if (c->need_start && ch != '\r' && ch != '\n') {
			c->fline = c->line;
			c->fcol = c->col;
			c->need_start = false;
		}
		if (csv_parse(p, text + i, 1, csv_on_field, csv_on_row,
			      c) != 1) {
			struct ynode at = { .file = c->file, .line = c->line,
					    .col = c->col };
			return ld_err(c->l, &at, "malformed CSV: found '%c' %s, "
				      "expected a field wrapped in double "
				      "quotes with inner quotes doubled (\"\")",
				      ch, c->need_start ? "after a closing quote"
							: "inside a field");
		}
		if (ch == '\n') {
			c->line++;
			c->col = 1;
		} else if ((ch & 0xC0) != 0x80) {
			c->col++;
		}
		if (c->g && !c->hdr_borrowed)
			c->g->sum = fnv(c->g->sum, text + i, 1);
		if (c->row_done) {
			c->row_done = false;
			if (c->g && !c->hdr_borrowed && !c->rc)
				c->rc = ld_stream_row(c->l, c->g, base +
						      (long long)i + 1, c->line,
						      c->col);
		}
	}
	return c->rc;
}

/* Reads a CSV test file: `text` (len bytes) when not NULL, else blocks
 * from `fd` (a file that may stream: g its marks).  With g->hdr set, the
 * text is a chunk of rows to re-produce, starting at mark m. */
static int load_csv(struct ld *l, const char *file, const char *text,
		    size_t len, int fd, struct sseg *g, const struct smark *m,
		    const struct test_case *def)
{
	struct csv_parser p;
	struct csvst c = { .l = l, .d = ld_doc(l), .file = file, .def = def,
			   .line = 1, .col = 1, .need_start = true, .g = g };
	size_t i = 0;
	long long off = 0;
	int rc = 0;

	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0)
		return err_set(l->err, ST_INTERNAL, "cannot start CSV parser");
	csv_set_space_func(&p, no_space);
	if (m) {
		c.hdr = g->hdr;
		c.kinds = g->kinds;
		c.n_hdr = g->n_hdr;
		c.hdr_borrowed = true;
		c.line = m->line;
		c.col = m->col;
		off = m->off;
	} else if (text && len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3)) {
		i = 3;
	}
	if (text) {
		rc = csv_feed(&c, &p, text + i, len - i, off + (long long)i);
	} else {
		char *blk = xmalloc(65536);
		for (;;) {
			ssize_t got = read(fd, blk, 65536);
			size_t skip = 0;
			if (got < 0 && errno == EINTR)
				continue;
			if (got < 0) {
				rc = err_at(l->err, file, c.line, c.col, "cannot "
					    "read the file: %s", strerror(errno));
				break;
			}
			if (got == 0)
				break;
			if (off == 0 && got >= 3 && !memcmp(blk, "\xEF\xBB\xBF", 3))
				skip = 3;
			if ((rc = csv_feed(&c, &p, blk + skip, (size_t)got - skip,
					   off + (long long)skip)))
				break;
			off += got;
		}
		free(blk);
	}
	if (rc)
		goto out;
	if (!c.rc && csv_fini(&p, csv_on_field, csv_on_row, &c) != 0) {
		struct ynode at = { .file = file, .line = c.fline,
				    .col = c.fcol };
		rc = ld_err(l, &at, "malformed CSV: found the end of the file "
			    "inside a quoted field, expected a closing '\"'");
		goto out;
	}
	if (!c.rc && c.row_done && g && !c.hdr_borrowed)
		c.rc = ld_stream_row(l, g, text ? (long long)len : off, c.line,
				     c.col);
	rc = c.rc;
	if (!rc && !c.hdr) {
		struct ynode at = { .file = file, .line = 1, .col = 1 };
		rc = ld_err(l, &at, "found an empty CSV file, expected a "
			    "header row of var names");
	}
out:
	if (rc == 0)
		rc = c.rc;
	csv_free(&p);
	free_cells(c.cells, c.n_cells);
	free(c.cells);
	if (g && !c.hdr_borrowed && !rc) {
		g->hdr = c.hdr;          /* kept to re-read rows */
		g->kinds = c.kinds;
		g->n_hdr = c.n_hdr;
	} else if (!c.hdr_borrowed) {
		free_cells(c.hdr, c.n_hdr);
		free(c.hdr);
		free(c.kinds);
	}
	return rc;
}

/* ---- JSONL, JSON, YAML ---------------------------------------------------- */

/* One line of a JSONL test file (p … e, at `line`): a test, or nothing
 * when blank. */
static int jsonl_line(struct ld *l, const char *file, const char *p,
		      const char *e, int line, const struct test_case *def)
{
	struct ydoc d = {0};
	const char *s = p;
	json_error_t je;
	bool over = false;
	json_t *j;
	struct ynode *n;
	int rc;

	while (s < e && isspace((unsigned char)*s))
		s++;
	if (s == e)
		return 0;
	j = json_loadb_limited(p, (size_t)(e - p), JSON_REJECT_DUPLICATES,
			       limits_get()->tree_bytes, &je, &over);
	if (!j) {
		struct ynode at = { .file = file, .line = line,
				    .col = je.column > 0 ? je.column : 1 };
		if (over)
			return ld_err(l, &at, "%s (limit tree_bytes; raise it "
				      "with ASSAY_LIMITS=tree_bytes=N)", je.text);
		return ld_err(l, &at, "invalid JSON: %s", je.text);
	}
	if (!json_is_object(j)) {
		struct ynode at = { .file = file, .line = line, .col = 1 };
		json_decref(j);
		return ld_err(l, &at, "found %s, expected a test object on each "
			      "line", "a JSON list");
	}
	n = yn_from_json(&d, j, file, line, (int)(s - p) + 1);
	json_decref(j);
	rc = add_test(l, n, def);
	ydoc_free(&d);
	return rc;
}

/* The lines of `text` (len bytes, from file offset `base`, first line
 * `line`); with g, the stream is told where each line ends.  *used: the
 * bytes of whole lines taken (with `partial`, a last line without '\n'
 * is left for the next block). */
static int jsonl_lines(struct ld *l, const char *file, const char *text,
		       size_t len, long long base, int *line, bool partial,
		       struct sseg *g, const struct test_case *def,
		       size_t *used)
{
	const char *p = text, *end = text + len;
	int rc = 0;
	while (p < end && !rc) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end, *start = p;
		if (!nl && partial)
			break;
		rc = jsonl_line(l, file, p, e, *line, def);
		(*line)++;
		p = nl ? nl + 1 : end;
		if (!rc && g) {
			g->sum = fnv(g->sum, start, (size_t)(p - start));
			rc = ld_stream_row(l, g, base + (p - text), *line, 1);
		}
	}
	*used = (size_t)(p - text);
	return rc;
}

/* Reads a JSONL test file: `text` when not NULL (at mark m when
 * re-producing a chunk of g), else blocks from `fd` (g: its marks). */
static int load_jsonl(struct ld *l, const char *file, const char *text,
		      size_t len, int fd, struct sseg *g, const struct smark *m,
		      const struct test_case *def)
{
	struct buf b = {0};
	long long off = 0;
	int line = m ? m->line : 1, rc = 0;
	size_t used;
	if (text)
		return jsonl_lines(l, file, text, len, m ? m->off : 0, &line,
				   false, m ? NULL : g, def, &used);
	if (!g)        /* reading blocks is for a file that may stream */
		return err_set(l->err, ST_INTERNAL, "load_jsonl: no stream");
	if (!g->n_marks)
		rc = ld_stream_row(l, g, 0, 1, 1);
	for (;;) {
		char blk[65536];
		ssize_t got = rc ? 0 : read(fd, blk, sizeof blk);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			rc = err_at(l->err, file, line, 1, "cannot read the file: "
				    "%s", strerror(errno));
		if (got <= 0)
			break;
		buf_append(&b, blk, (size_t)got);
		rc = jsonl_lines(l, file, b.p, b.len, off, &line, true, g,
				 def, &used);
		off += (long long)used;
		memmove(b.p, b.p + used, b.len - used);
		b.len -= used;
	}
	if (!rc && b.len)
		rc = jsonl_lines(l, file, b.p, b.len, off, &line, false, g,
				 def, &used);
	buf_free(&b);
	return rc;
}

static int add_test_list(struct ld *l, const struct ynode *root,
			 const char *file, const struct test_case *def)
{
	struct ynode at = { .file = file, .line = 1, .col = 1 };
	int rc = 0;
	if (!root)
		return ld_err(l, &at, "found an empty file, expected a list "
			      "of tests");
	if (root->kind == YN_MAP)
		return add_test(l, root, def);
	if (root->kind != YN_SEQ)
		return ld_err(l, root, "found %s, expected a list of tests",
			      yn_kind_name(root));
	for (size_t i = 0; i < root->n && !rc; i++)
		rc = add_test(l, root->kids[i], def);
	return rc;
}

static int load_json(struct ld *l, const char *file, const char *text,
		     size_t len, const struct test_case *def)
{
	json_error_t je;
	struct ydoc *d;
	struct err yerr = {0};
	bool over = false;
	json_t *j = json_loadb_limited(text, len, JSON_REJECT_DUPLICATES,
				       limits_get()->tree_bytes, &je, &over);
	int rc;

	if (!j && over)
		return err_at(l->err, file, je.line > 0 ? je.line : 1,
			      je.column > 0 ? je.column : 1, "%s (limit "
			      "tree_bytes; raise it with "
			      "ASSAY_LIMITS=tree_bytes=N)", je.text);
	if (!j)
		return err_at(l->err, file, je.line > 0 ? je.line : 1,
			      je.column > 0 ? je.column : 1, "invalid JSON: %s",
			      je.text);
	/* JSON is YAML: parse it again with libyaml to learn where each
	 * test is; fall back to the JSON value (at 1:1) if that fails. */
	d = ld_doc(l);
	if (ydoc_parse(d, file, text, len, &yerr) == 0 && d->root) {
		json_decref(j);
		if (ld_refs(l, &d->root))  /* suite_config.c */
			return ST_INPUT;
		return add_test_list(l, d->root, file, def);
	}
	if (d->tree > limits_get()->tree_bytes) {
		/* too big for a tree: no fallback that builds one anyway */
		json_decref(j);
		*l->err = yerr;
		return ST_INPUT;
	}
	rc = add_test_list(l, yn_from_json(d, j, file, 1, 1), file, def);
	json_decref(j);
	return rc;
}

/* Lines in the file open at fd (read in blocks, then rewound): at least
 * its records, so a file of stream_tests lines streams from its first row
 * and the rows before the count is reached are never all held (a quoted
 * newline in a CSV only makes a file stream a little early). */
static long long count_lines(int fd)
{
	char blk[1 << 16];
	long long n = 0;
	ssize_t got;
	while ((got = read(fd, blk, sizeof blk)) > 0)
		for (char *p = blk, *e = blk + got; (p = memchr(p, '\n', (size_t)(e - p))); p++)
			n++;
	return lseek(fd, 0, SEEK_SET) == 0 && got == 0 ? n : -1;
}

/* A CSV or JSONL file read in blocks: its tests stay in memory unless
 * it has stream_tests lines or gives stream_tests tests, when they are
 * checked one by one, freed and re-produced later from the marks
 * (suite_stream.c). */
static int stream_file(struct ld *l, const struct ynode *at, const char *rel,
		       bool csv, const struct test_case *def)
{
	const char *path;
	struct sseg g;
	int rc, fd = ld_open(l, at, rel, &path);
	if (fd < 0)
		return ST_INPUT;
	memset(&g, 0, sizeof g);
	g.fd = fd;
	g.file = path;
	g.csv = csv;
	g.mem_at = l->s->n_tests;
	g.base = l->s->n_tests + l->n_streamed;
	g.sum = 14695981039346656037ULL;
	if (limits_get()->stream_tests > 0) {
		long long lines = count_lines(fd);
		if (lines < 0) {
			close(fd);
			return ld_err(l, at, "cannot read file '%s': %s", rel, strerror(errno));
		}
		g.dropping = lines >= limits_get()->stream_tests;
	}
	l->cur = &g;
	l->in_data = true;
	rc = csv ? load_csv(l, path, NULL, 0, fd, &g, NULL, def)
		 : load_jsonl(l, path, NULL, 0, fd, &g, NULL, def);
	l->in_data = false;
	l->cur = NULL;
	return ld_stream_end(l, &g, rc);
}

int ld_chunk(struct ld *l, struct sseg *g, const struct smark *m,
	     const char *text, size_t len, const struct test_case *def)
{
	return g->csv ? load_csv(l, g->file, text, len, -1, g, m, def)
		      : load_jsonl(l, g->file, text, len, -1, g, m, def);
}

static int load_test_file(struct ld *l, const struct ynode *at,
			  const char *ref, const struct test_case *def)
{
	const char *rel = ref + 7, *path;
	char ext[16];
	char *text;
	size_t len;
	int rc;

	if (strpbrk(rel, "*?["))
		return ld_err(l, at, "unsupported feature: glob patterns in "
			      "file:// tests ('%s'); list each file", ref);
	if (is_code_ref(rel))
		return ld_err(l, at, "unsupported feature: tests generated by "
			      "code ('%s')", ref);
	ld_ext(rel, ext, sizeof ext);
	if (strcmp(ext, ".csv") && strcmp(ext, ".jsonl") &&
	    strcmp(ext, ".json") && strcmp(ext, ".yaml") && strcmp(ext, ".yml"))
		return ld_err(l, at, "found a test file '%s', expected a .csv, "
			      ".jsonl, .json, .yaml or .yml file", rel);
	if (l->stream_ok && (!strcmp(ext, ".csv") || !strcmp(ext, ".jsonl")))
		return stream_file(l, at, rel, !strcmp(ext, ".csv"), def);
	text = ld_read(l, at, rel, &path, &len);
	if (!text)
		return ST_INPUT;
	if (!strcmp(ext, ".csv")) {
		l->in_data = true;
		rc = load_csv(l, path, text, len, -1, NULL, NULL, def);
		l->in_data = false;
	} else if (!strcmp(ext, ".jsonl")) {
		l->in_data = true;
		rc = load_jsonl(l, path, text, len, -1, NULL, NULL, def);
		l->in_data = false;
	} else if (!strcmp(ext, ".json")) {
		rc = load_json(l, path, text, len, def);
	} else {
		struct ydoc *d = ld_doc(l);
		rc = ydoc_parse(d, path, text, len, l->err);
		if (!rc)
			rc = ld_refs(l, &d->root);  /* suite_config.c */
		if (!rc)
			rc = add_test_list(l, d->root, path, def);
	}
	free(text);
	return rc;
}

static int test_ref(struct ld *l, const struct ynode *v,
		    const struct test_case *def)
{
	if (v->kind == YN_SCALAR && yn_scalar_type(v) == JSON_STRING) {
		if (ld_is_file_ref(v->str))
			return load_test_file(l, v, v->str, def);
		if (strstr(v->str, "://"))
			return ld_err(l, v, "unsupported feature: tests from "
				      "'%s' (only file:// paths)", v->str);
	}
	return ld_err(l, v, "found %s, expected a test (a mapping) or a "
		      "file:// path", yn_kind_name(v));
}

int ld_tests(struct ld *l, const struct ynode *tests,
	     const struct ynode *default_test)
{
	struct test_case def;
	int rc = 0;
	size_t before = l->s->n_tests + l->n_streamed;

	memset(&def, 0, sizeof def);
	if (default_test) {
		if (default_test->kind == YN_SCALAR &&
		    ld_is_file_ref(default_test->str))
			return ld_err(l, default_test, "unsupported feature: "
				      "defaultTest from a file ('%s'); write "
				      "it inline", default_test->str);
		if (default_test->kind != YN_SCALAR ||
		    yn_scalar_type(default_test) != JSON_NULL) {
			rc = parse_test(l, default_test, &def, true);
			if (rc)
				goto out;
		}
	}
	if (!tests || (tests->kind == YN_SCALAR &&
		       yn_scalar_type(tests) == JSON_NULL)) {
		/* promptfoo runs the prompts once when there are no tests */
	} else if (tests->kind == YN_SEQ) {
		for (size_t i = 0; i < tests->n && !rc; i++)
			rc = tests->kids[i]->kind == YN_MAP
			     ? add_test(l, tests->kids[i], &def)
			     : test_ref(l, tests->kids[i], &def);
	} else if (tests->kind == YN_SCALAR) {
		rc = test_ref(l, tests, &def);
	} else {
		rc = ld_err(l, tests, "found %s, expected a list of tests or "
			    "a file:// path", yn_kind_name(tests));
	}
	if (!rc && l->s->n_tests + l->n_streamed == before) {
		struct test_case t;
		memset(&t, 0, sizeof t);
		t.loc.file = tests ? tests->file : l->s->files[0];
		t.loc.line = tests ? tests->line : 1;
		t.loc.col = tests ? tests->col : 1;
		rc = add_merged(l, &t, &def);
	}
	if (!rc && l->s->n_tests && l->cap_tests > l->s->n_tests) {
		/* the array grew by doubling: give back the unused tail */
		l->s->tests = xrealloc(l->s->tests, l->s->n_tests *
				       sizeof *l->s->tests);
		l->cap_tests = l->s->n_tests;
	}
	if (!rc && l->n_segs)
		rc = ld_stream_finish(l, &def);   /* suite_stream.c; takes def */
out:
	suite_share_release(l->share);
	l->share = NULL;
	json_decref(l->interned);
	l->interned = NULL;
	suite_test_cleanup(&def);
	return rc;
}
