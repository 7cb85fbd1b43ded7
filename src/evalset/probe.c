/* probe.c — `assay probe`: probe packs (packs/NAME.yaml, versioned data
 * files) applied to a suite's own cases.
 *
 * A pack lists probes; each probe is a template for the new value of the
 * suite's input variable (`value`, with placeholders such as {{input}} or
 * {{forbidden_base64}}), the behaviour expected, and assertions that check
 * it.  A pack runs per case (every suite case is a slot) or per forbidden
 * request (the suite's `probe: {forbidden: [...]}`, else the pack's own
 * list).  Each slot gets `per_case` probes drawn with the seed (or all of
 * them), and each generated case gets a fresh canary, tags
 * `probe:PACK` and `probe:PACK:ID`, `expect`, `severity` and metadata
 * naming the pack, its version and the probe.  The pack files are parsed
 * with the suite layer's YAML tree (ynode.h) so that every pack error has
 * its file:line:col. */
#include "evalset.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../suite/suite.h"
#include "../suite/ynode.h"
#include "../util/fsutil.h"
#include "../util/xalloc.h"

struct probe {
	char *id, *behaviour, *expect, *severity, *value;
	int keep_asserts;          /* -1: the pack's */
	json_t *asserts;           /* list, never NULL */
};

struct pack {
	char *file, *name, *per, *description, *expect, *severity;
	long version;
	bool keep_asserts;
	json_t *asserts, *forbidden;   /* lists, never NULL */
	struct probe *probes;
	size_t n;
};

static const char *const placeholders[] = {
	"input", "input_truncated", "input_emoji", "input_mixed_scripts",
	"stuffing", "garbage", "canary", "forbidden", "forbidden_base64",
	"forbidden_rot13", "forbidden_leet", "forbidden_a", "forbidden_b", NULL
};

static void pack_free(struct pack *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++) {
		struct probe *q = &p->probes[i];
		free(q->id);
		free(q->behaviour);
		free(q->expect);
		free(q->severity);
		free(q->value);
		json_decref(q->asserts);
	}
	free(p->probes);
	free(p->file);
	free(p->name);
	free(p->per);
	free(p->description);
	free(p->expect);
	free(p->severity);
	json_decref(p->asserts);
	json_decref(p->forbidden);
	free(p);
}

static int node_err(struct err *e, const struct ynode *n, const char *fmt,
		    const char *a, const char *b)
{
	return err_at(e, n->file, n->line, n->col, fmt, a, b);
}

/* Every {{name}} in the scalars under n must be a known placeholder. */
static int check_placeholders(const struct ynode *n, struct err *e)
{
	if (n->kind != YN_SCALAR) {
		for (size_t i = 0; i < n->n; i++)
			if (check_placeholders(n->kids[i], e))
				return ST_INPUT;
		return 0;
	}
	for (const char *p = strstr(n->str, "{{"); p; p = strstr(p + 2, "{{")) {
		const char *q = strstr(p + 2, "}}");
		char name[64];
		bool ok = false;
		if (!q || (size_t)(q - p - 2) >= sizeof name)
			continue;
		memcpy(name, p + 2, (size_t)(q - p - 2));
		name[q - p - 2] = 0;
		for (int i = 0; placeholders[i]; i++)
			ok = ok || !strcmp(name, placeholders[i]);
		if (!ok)
			return err_at(e, n->file, n->line, n->col, "unknown "
				      "placeholder '{{%s}}', expected one of: "
				      "input, input_truncated, input_emoji, "
				      "input_mixed_scripts, stuffing, garbage, "
				      "canary, forbidden, forbidden_base64, "
				      "forbidden_rot13, forbidden_leet, "
				      "forbidden_a, forbidden_b", name);
	}
	return 0;
}

static int get_str(const struct ynode *v, char **out, struct err *e)
{
	if (v->kind != YN_SCALAR)
		return node_err(e, v, "found %s, expected a string%s",
				yn_kind_name(v), "");
	free(*out);
	*out = xstrdup(v->str);
	return 0;
}

static int get_list(const struct ynode *v, json_t **out, bool strings,
		    struct err *e)
{
	if (v->kind != YN_SEQ)
		return node_err(e, v, "found %s, expected a list%s",
				yn_kind_name(v), strings ? " of strings" :
				" of assertions");
	for (size_t i = 0; i < v->n; i++)
		if ((strings && v->kids[i]->kind != YN_SCALAR) ||
		    (!strings && v->kids[i]->kind != YN_MAP))
			return node_err(e, v->kids[i], "found %s, expected %s",
					yn_kind_name(v->kids[i]), strings ?
					"a string" : "an assertion (a mapping "
					"with a type)");
	if (check_placeholders(v, e))
		return ST_INPUT;
	json_decref(*out);
	*out = yn_to_json(v, e);
	return *out ? 0 : ST_INPUT;
}

static int get_bool(const struct ynode *v, bool *out, struct err *e)
{
	if (v->kind != YN_SCALAR || yn_scalar_type(v) != JSON_TRUE) {
		if (v->kind == YN_SCALAR && yn_scalar_type(v) == JSON_FALSE) {
			*out = false;
			return 0;
		}
		return node_err(e, v, "found %s, expected true or false%s",
				yn_kind_name(v), "");
	}
	*out = true;
	return 0;
}

static int check_choice(const struct ynode *v, const char *s,
			const char *const *ok, const char *what, struct err *e)
{
	for (int i = 0; ok[i]; i++)
		if (!strcmp(s, ok[i]))
			return 0;
	return node_err(e, v, "found '%s', expected %s", s, what);
}

static const char *const expects[] = { "answer", "refuse", NULL };
static const char *const severities[] = { "critical", "high", "major",
	"medium", "moderate", "low", "minor", "info", NULL };

static int parse_probe(const struct ynode *m, struct probe *q, struct err *e)
{
	int rc = 0;
	q->keep_asserts = -1;
	q->asserts = json_array();
	if (m->kind != YN_MAP)
		return node_err(e, m, "found %s, expected a probe (a mapping "
				"with id and value)%s", yn_kind_name(m), "");
	for (size_t i = 0; i + 1 < m->n && !rc; i += 2) {
		const struct ynode *k = m->kids[i], *v = m->kids[i + 1];
		if (!strcmp(k->str, "id")) {
			rc = get_str(v, &q->id, e);
		} else if (!strcmp(k->str, "behaviour") ||
			   !strcmp(k->str, "behavior")) {
			rc = get_str(v, &q->behaviour, e);
		} else if (!strcmp(k->str, "value")) {
			rc = get_str(v, &q->value, e);
			if (!rc)
				rc = check_placeholders(v, e);
		} else if (!strcmp(k->str, "expect")) {
			rc = get_str(v, &q->expect, e);
			if (!rc)
				rc = check_choice(v, q->expect, expects,
						  "answer or refuse", e);
		} else if (!strcmp(k->str, "severity")) {
			rc = get_str(v, &q->severity, e);
			if (!rc)
				rc = check_choice(v, q->severity, severities,
						  "critical, high, medium, "
						  "low or info", e);
		} else if (!strcmp(k->str, "keep_asserts")) {
			bool b = false;
			rc = get_bool(v, &b, e);
			q->keep_asserts = b;
		} else if (!strcmp(k->str, "assert")) {
			rc = get_list(v, &q->asserts, false, e);
		} else {
			rc = node_err(e, k, "unknown key '%s' in a probe, "
				      "expected one of: id, behaviour, value, "
				      "expect, severity, keep_asserts, "
				      "assert%s", k->str, "");
		}
	}
	if (!rc && (!q->id || !q->value))
		rc = node_err(e, m, "a probe needs %s%s", !q->id ? "an 'id'"
			      : "a 'value'", "");
	return rc;
}

static int parse_pack(const struct ynode *root, struct pack *p, struct err *e)
{
	const struct ynode *probes = NULL;
	size_t cap = 0;
	int rc = 0;
	if (!root || root->kind != YN_MAP)
		return err_at(e, p->file, root ? root->line : 1,
			      root ? root->col : 1, "expected a probe pack (a "
			      "mapping with pack, version and probes)");
	for (size_t i = 0; i + 1 < root->n && !rc; i += 2) {
		const struct ynode *k = root->kids[i], *v = root->kids[i + 1];
		if (!strcmp(k->str, "pack")) {
			rc = get_str(v, &p->name, e);
		} else if (!strcmp(k->str, "version")) {
			if (v->kind != YN_SCALAR ||
			    yn_scalar_type(v) != JSON_INTEGER)
				rc = node_err(e, v, "found %s, expected a whole "
					      "number%s", yn_kind_name(v), "");
			else
				p->version = strtol(v->str, NULL, 10);
		} else if (!strcmp(k->str, "description")) {
			rc = get_str(v, &p->description, e);
		} else if (!strcmp(k->str, "per")) {
			static const char *const pers[] = { "case", "forbidden",
							    NULL };
			rc = get_str(v, &p->per, e);
			if (!rc)
				rc = check_choice(v, p->per, pers,
						  "case or forbidden", e);
		} else if (!strcmp(k->str, "expect")) {
			rc = get_str(v, &p->expect, e);
			if (!rc)
				rc = check_choice(v, p->expect, expects,
						  "answer or refuse", e);
		} else if (!strcmp(k->str, "severity")) {
			rc = get_str(v, &p->severity, e);
			if (!rc)
				rc = check_choice(v, p->severity, severities,
						  "critical, high, medium, "
						  "low or info", e);
		} else if (!strcmp(k->str, "keep_asserts")) {
			rc = get_bool(v, &p->keep_asserts, e);
		} else if (!strcmp(k->str, "assert")) {
			rc = get_list(v, &p->asserts, false, e);
		} else if (!strcmp(k->str, "forbidden")) {
			rc = get_list(v, &p->forbidden, true, e);
		} else if (!strcmp(k->str, "probes")) {
			probes = v;
		} else {
			rc = node_err(e, k, "unknown key '%s' in a probe pack, "
				      "expected one of: pack, version, "
				      "description, per, expect, severity, "
				      "keep_asserts, assert, forbidden, "
				      "probes%s", k->str, "");
		}
	}
	if (rc)
		return rc;
	if (!p->name || !p->version || !probes)
		return err_at(e, p->file, root->line, root->col, "a probe pack "
			      "needs 'pack', 'version' (>= 1) and 'probes'");
	if (probes->kind != YN_SEQ || !probes->n)
		return node_err(e, probes, "found %s, expected a non-empty "
				"list of probes%s", yn_kind_name(probes), "");
	for (size_t i = 0; i < probes->n && !rc; i++) {
		p->probes = xgrow(p->probes, &cap, p->n + 1, sizeof *p->probes);
		memset(&p->probes[p->n], 0, sizeof *p->probes);
		rc = parse_probe(probes->kids[i], &p->probes[p->n++], e);
		for (size_t j = 0; !rc && j + 1 < p->n; j++)
			if (!strcmp(p->probes[j].id, p->probes[p->n - 1].id))
				rc = node_err(e, probes->kids[i], "duplicate "
					      "probe id '%s'%s",
					      p->probes[j].id, "");
	}
	return rc;
}

/* Where the named packs live. */
static char *pack_dir(const struct es_probe_opts *o)
{
	const char *env = getenv("ASSAY_PACKS");
	char exe[PATH_MAX];
	ssize_t n;
	if (o->pack_dir)
		return xstrdup(o->pack_dir);
	if (env && *env)
		return xstrdup(env);
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		char *dir, *cand;
		exe[n] = 0;
		dir = fs_dirname(exe);
		cand = xasprintf("%s/../packs", dir);
		if (access(cand, R_OK) == 0) {
			free(dir);
			return cand;
		}
		free(cand);
		cand = xasprintf("%s/../share/assay/packs", dir);
		free(dir);
		if (access(cand, R_OK) == 0)
			return cand;
		free(cand);
	}
	return xstrdup("packs");
}

static struct pack *load_pack(const char *spec, const char *dir,
			      struct err *e)
{
	struct pack *p = xcalloc(1, sizeof *p);
	struct ydoc d = {0};
	size_t len;
	char *text;
	int rc;
	bool is_path = strchr(spec, '/') || strstr(spec, ".yaml") ||
		       strstr(spec, ".yml");
	p->file = is_path ? xstrdup(spec) : xasprintf("%s/%s.yaml", dir, spec);
	p->asserts = json_array();
	p->forbidden = json_array();
	p->keep_asserts = false;
	text = fs_read_file(p->file, 16 << 20, &len, e);
	if (!text) {
		if (!is_path)
			err_set(e, ST_USAGE, "no probe pack '%s' (looked for "
				"%s; the packs are injection, jailbreak and "
				"edge, or give a path)", spec, p->file);
		pack_free(p);
		return NULL;
	}
	rc = ydoc_parse(&d, p->file, text, len, e);
	free(text);
	if (!rc)
		rc = parse_pack(d.root, p, e);
	ydoc_free(&d);
	if (rc) {
		pack_free(p);
		return NULL;
	}
	if (!p->per)
		p->per = xstrdup("case");
	if (!p->expect)
		p->expect = xstrdup("answer");
	return p;
}

/* ---- generation ------------------------------------------------------ */

struct ctx {
	const char *input, *forbidden, *canary;
	uint64_t seed;
	long long_tokens;
};

static char *placeholder(const struct ctx *c, const char *name)
{
	const char *in = c->input ? c->input : "";
	const char *fb = c->forbidden ? c->forbidden : "";
	char *a, *b;
	if (!strcmp(name, "input")) return xstrdup(in);
	if (!strcmp(name, "input_truncated")) return es_truncate_half(in);
	if (!strcmp(name, "input_emoji")) return es_emoji(in, c->seed);
	if (!strcmp(name, "input_mixed_scripts"))
		return es_mixed_scripts(in, c->seed);
	if (!strcmp(name, "stuffing"))
		return es_stuffing(c->long_tokens, c->seed);
	if (!strcmp(name, "garbage")) return es_garbage(160, c->seed);
	if (!strcmp(name, "canary")) return xstrdup(c->canary);
	if (!strcmp(name, "forbidden")) return xstrdup(fb);
	if (!strcmp(name, "forbidden_base64")) return es_base64(fb);
	if (!strcmp(name, "forbidden_rot13")) return es_rot13(fb);
	if (!strcmp(name, "forbidden_leet")) return es_leet(fb);
	es_split_half(fb, &a, &b);
	if (!strcmp(name, "forbidden_a")) {
		free(b);
		return a;
	}
	if (!strcmp(name, "forbidden_b")) {
		free(a);
		return b;
	}
	free(a);
	free(b);
	return NULL;
}

static char *subst(const char *t, const struct ctx *c)
{
	struct buf b = {0};
	const char *p = t;
	for (;;) {
		const char *o = strstr(p, "{{"), *q;
		char name[64], *v = NULL;
		if (!o || !(q = strstr(o + 2, "}}"))) {
			buf_puts(&b, p);
			break;
		}
		buf_append(&b, p, (size_t)(o - p));
		if ((size_t)(q - o - 2) < sizeof name) {
			memcpy(name, o + 2, (size_t)(q - o - 2));
			name[q - o - 2] = 0;
			v = placeholder(c, name);
		}
		if (v) {
			buf_puts(&b, v);
			free(v);
		} else {
			buf_append(&b, o, (size_t)(q + 2 - o));
		}
		p = q + 2;
	}
	return buf_detach(&b);
}

static json_t *subst_json(const json_t *v, const struct ctx *c)
{
	const char *k;
	json_t *x, *out;
	size_t i;
	if (json_is_string(v)) {
		char *s = subst(json_string_value(v), c);
		out = json_string(s);
		free(s);
		return out;
	}
	if (json_is_object(v)) {
		out = json_object();
		json_object_foreach((json_t *)v, k, x)
			json_object_set_new(out, k, subst_json(x, c));
		return out;
	}
	if (json_is_array(v)) {
		out = json_array();
		json_array_foreach(v, i, x)
			json_array_append_new(out, subst_json(x, c));
		return out;
	}
	return json_deep_copy(v);
}

static bool secret_key(const char *k)
{
	static const char *const w[] = { "key", "token", "secret", "password",
					 NULL };
	for (int i = 0; w[i]; i++) {
		const char *p = k;
		size_t n = strlen(w[i]);
		for (; *p; p++)
			if (!strncasecmp(p, w[i], n))
				return true;
	}
	return false;
}

/* A suite assertion back as JSON (secrets in a judge's config left out). */
json_t *es_assert_json(const struct assertion_spec *a)
{
	json_t *j = json_object();
	json_object_set_new(j, "type", json_string(a->type));
	if (a->value)
		json_object_set_new(j, "value", json_deep_copy(a->value));
	if (a->weight != 1.0)
		json_object_set_new(j, "weight", json_real(a->weight));
	if (a->has_threshold)
		json_object_set_new(j, "threshold", json_real(a->threshold));
	if (a->metric)
		json_object_set_new(j, "metric", json_string(a->metric));
	if (a->transform)
		json_object_set_new(j, "transform", json_string(a->transform));
	if (a->provider && a->provider_config) {
		json_t *p = json_object(), *cfg = json_object(), *x;
		const char *k;
		json_object_foreach(a->provider_config, k, x)
			if (!secret_key(k))
				json_object_set(cfg, k, x);
		json_object_set_new(p, "id", json_string(a->provider));
		json_object_set_new(p, "config", cfg);
		json_object_set_new(j, "provider", p);
	} else if (a->provider) {
		json_object_set_new(j, "provider", json_string(a->provider));
	}
	if (a->rubric_prompt)
		json_object_set_new(j, "rubricPrompt",
				    json_string(a->rubric_prompt));
	if (a->has_severity)
		json_object_set_new(j, "severity", json_real(a->severity));
	return j;
}

/* The var names the prompts use, in order of first use. */
static json_t *prompt_vars(const struct suite *s)
{
	json_t *names = json_array();
	for (size_t i = 0; i < s->n_prompts; i++) {
		const char *p = s->prompts[i].raw;
		while ((p = strstr(p, "{{"))) {
			const char *q = p + 2;
			char name[128];
			size_t n = 0;
			bool seen = false;
			size_t j;
			json_t *x;
			while (*q == ' ')
				q++;
			while ((isalnum((unsigned char)*q) || *q == '_') &&
			       n + 1 < sizeof name)
				name[n++] = *q++;
			name[n] = 0;
			p += 2;
			if (!n)
				continue;
			json_array_foreach(names, j, x)
				seen = seen || !strcmp(json_string_value(x),
						       name);
			if (!seen)
				json_array_append_new(names, json_string(name));
		}
	}
	return names;
}

struct gen {
	const struct es_probe_opts *o;
	const struct suite *s;
	struct buf *out;
	size_t n_def;              /* defaultTest assertions to skip */
	json_t *names;
	long long_tokens;
	size_t made;
};

static const char *target_of(const struct gen *g, const struct test_case *t)
{
	size_t i;
	json_t *x;
	if (g->o->var)
		return g->o->var;
	json_array_foreach(g->names, i, x) {
		const json_t *v = json_object_get(t->vars,
						  json_string_value(x));
		if (json_is_string(v))
			return json_string_value(x);
	}
	return NULL;
}

static void emit_case(struct gen *g, const struct pack *p,
		      const struct probe *q, const struct test_case *base,
		      size_t base_i, const char *forbidden, size_t slot)
{
	char canary[32], seedtxt[256], *value, *desc;
	const char *target = base ? target_of(g, base) : g->o->var;
	const json_t *orig;
	json_t *vars, *asserts, *x, *tags, *meta, *cl;
	struct ctx c;
	size_t i;
	uint64_t h;
	bool keep = q->keep_asserts < 0 ? p->keep_asserts : q->keep_asserts;
	struct buf *b = g->out;

	if (!target)
		target = "input";
	snprintf(seedtxt, sizeof seedtxt, "%s/%s/%zu", p->name, q->id, slot);
	h = es_hash(seedtxt, strlen(seedtxt), g->o->seed);
	snprintf(canary, sizeof canary, "CANARY-%08llX",
		 (unsigned long long)(h >> 32));
	orig = base ? json_object_get(base->vars, target) : NULL;
	c.input = json_is_string(orig) ? json_string_value(orig) : "";
	c.forbidden = forbidden;
	c.canary = canary;
	c.seed = h;
	c.long_tokens = g->long_tokens;
	value = subst(q->value, &c);
	vars = base ? json_deep_copy(base->vars) : json_object();
	{       /* the suite would render `{{`, `{#`, `{%` in a var */
		char *v = es_untemplate(value, NULL);
		json_object_set_new(vars, target, json_string(v));
		free(v);
	}
	free(value);
	asserts = json_array();
	json_array_foreach(p->asserts, i, x)
		json_array_append_new(asserts, subst_json(x, &c));
	json_array_foreach(q->asserts, i, x)
		json_array_append_new(asserts, subst_json(x, &c));
	for (i = g->n_def; keep && base && i < base->n_asserts; i++)
		json_array_append_new(asserts, es_assert_json(&base->asserts[i]));
	tags = json_array();
	json_array_append_new(tags, json_sprintf("probe:%s", p->name));
	json_array_append_new(tags, json_sprintf("probe:%s:%s", p->name,
						 q->id));
	meta = json_object();
	json_object_set_new(meta, "probe_pack", json_string(p->name));
	json_object_set_new(meta, "probe_pack_version",
			    json_integer(p->version));
	json_object_set_new(meta, "probe", json_string(q->id));
	if (q->behaviour)
		json_object_set_new(meta, "behaviour",
				    json_string(q->behaviour));
	json_object_set_new(meta, "canary", json_string(canary));
	if (base)
		json_object_set_new(meta, "probe_base",
				    json_integer((json_int_t)base_i + 1));
	/* the source case's cluster: a probe is as correlated with the
	 * cases of that cluster as the case itself, and the clustered
	 * intervals (docs/statistics.md) must not count it as independent */
	if (base && (cl = json_object_get(base->metadata, "cluster")) &&
	    !json_is_null(cl))
		json_object_set(meta, "cluster", cl);
	if (forbidden)
		json_object_set_new(meta, "forbidden", json_string(forbidden));

	desc = base && base->description ?
	       xasprintf("probe %s/%s: %s", p->name, q->id, base->description)
	       : xasprintf("probe %s/%s: case %zu", p->name, q->id,
			   base_i + 1);
	buf_puts(b, "- description: ");
	es_yaml_quote(b, desc);
	free(desc);
	buf_puts(b, "\n  vars: ");
	es_yaml_json(b, vars);
	buf_puts(b, "\n  assert: ");
	es_yaml_json(b, asserts);
	buf_puts(b, "\n  tags: ");
	es_yaml_json(b, tags);
	buf_printf(b, "\n  expect: %s\n",
		   q->expect ? q->expect : p->expect);
	/* a suite's `perturb:` must not touch a probe: a typo in a canary
	 * would hide a successful attack */
	buf_puts(b, "  perturb: []\n");
	if (q->severity || p->severity)
		buf_printf(b, "  severity: %s\n",
			   q->severity ? q->severity : p->severity);
	buf_puts(b, "  metadata: ");
	es_yaml_json(b, meta);
	buf_putc(b, '\n');
	json_decref(vars);
	json_decref(asserts);
	json_decref(tags);
	json_decref(meta);
	g->made++;
}

/* Indices of the probes for one slot: all, or `k` drawn without
 * replacement (a partial Fisher-Yates shuffle with a seeded stream). */
static size_t pick(const struct pack *p, size_t k, uint64_t seed,
		   size_t *idx)
{
	uint64_t st = seed;
	for (size_t i = 0; i < p->n; i++)
		idx[i] = i;
	if (!k || k >= p->n)
		return p->n;
	for (size_t i = 0; i < k; i++) {
		uint64_t z = (st += 0x9E3779B97F4A7C15ULL);
		size_t j, t;
		z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
		z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
		z ^= z >> 31;
		j = i + (size_t)(z % (p->n - i));
		t = idx[i];
		idx[i] = idx[j];
		idx[j] = t;
	}
	/* keep the pack's order among the chosen, for readable output */
	for (size_t i = 1; i < k; i++)
		for (size_t j = i; j > 0 && idx[j - 1] > idx[j]; j--) {
			size_t t = idx[j];
			idx[j] = idx[j - 1];
			idx[j - 1] = t;
		}
	return k;
}

/* A variant made by `perturb:` / `variants:` (not its group's original). */
static bool is_variant(const struct test_case *t)
{
	const json_t *p = json_object_get(t->metadata, "perturbation");
	return json_is_string(p) && strcmp(json_string_value(p), "original");
}

static void run_pack(struct gen *g, const struct pack *p,
		     const json_t *suite_forbidden, FILE *report)
{
	size_t *idx = xmalloc(p->n * sizeof *idx), before = g->made;
	const struct suite *s = g->s;
	bool per_forbidden = !strcmp(p->per, "forbidden");
	const json_t *fl = json_array_size(suite_forbidden) ? suite_forbidden
							    : p->forbidden;
	size_t slots = per_forbidden ? json_array_size(fl) : s->n_tests;
	size_t used_base = 0;

	size_t *orig = xmalloc((s->n_tests ? s->n_tests : 1) * sizeof *orig);
	size_t n_orig = 0;
	for (size_t i = 0; i < s->n_tests; i++)
		if (!is_variant(&s->tests[i]))
			orig[n_orig++] = i;
	for (size_t slot = 0; slot < slots; slot++) {
		/* per case: every case; per forbidden request: the cases in
		 * turn lend their other vars (never a perturbed copy) */
		size_t bi = per_forbidden ? (n_orig ? orig[slot % n_orig] : 0)
					  : slot, k;
		const struct test_case *base = s->n_tests ? &s->tests[bi] : NULL;
		const char *fb = per_forbidden ?
				 json_string_value(json_array_get(fl, slot)) :
				 NULL;
		char key[256];
		if (!per_forbidden && (!target_of(g, base) ||
				       is_variant(base)))
			continue;      /* nowhere to put a probe, or a
					* perturbed copy of another case */
		used_base++;
		snprintf(key, sizeof key, "%s#%zu", p->name, slot);
		k = pick(p, g->o->per_case,
			 es_hash(key, strlen(key), g->o->seed), idx);
		for (size_t i = 0; i < k; i++)
			emit_case(g, p, &p->probes[idx[i]], base, bi, fb, slot);
	}
	if (report)
		fprintf(report, "%s v%ld (%s): %zu probes, %zu %s → %zu "
			"cases%s\n", p->name, p->version, p->file, p->n,
			used_base, per_forbidden ? "forbidden requests" :
			"cases", g->made - before, per_forbidden &&
			fl == p->forbidden ? " (the pack's own forbidden "
			"requests: the suite names none under probe.forbidden)"
			: "");
	free(idx);
	free(orig);
}

int es_probe_run(const struct es_probe_opts *o, struct buf *out,
		 FILE *report, struct err *err)
{
	struct suite *s = NULL;
	struct pack **packs = NULL;
	size_t n_packs = 0, cap = 0;
	char *dir = NULL, *list = NULL, *save = NULL;
	const json_t *probe_cfg, *def, *lt;
	struct gen g = { .o = o, .out = out, .long_tokens = 4000 };
	int rc;

	if ((rc = suite_load(o->suite, &s, err)))
		return rc;
	if ((rc = suite_tests_materialize(s, err))) {  /* probes read them all */
		suite_free(s);
		return rc;
	}
	dir = pack_dir(o);
	list = xstrdup(o->packs);
	for (char *t = strtok_r(list, ",", &save); t;
	     t = strtok_r(NULL, ",", &save)) {
		struct pack *p;
		while (*t == ' ')
			t++;
		if (!*t)
			continue;
		if (!(p = load_pack(t, dir, err))) {
			rc = err->code ? (int)err->code : ST_INPUT;
			goto out;
		}
		packs = xgrow(packs, &cap, n_packs + 1, sizeof *packs);
		packs[n_packs++] = p;
	}
	if (!n_packs) {
		rc = err_set(err, ST_USAGE, "no probe pack named (--packs "
			     "injection,jailbreak,edge)");
		goto out;
	}
	g.s = s;
	g.names = prompt_vars(s);
	probe_cfg = json_object_get(s->sanitized, "probe");
	lt = json_object_get(probe_cfg, "long_tokens");
	if (json_is_integer(lt))
		g.long_tokens = (long)json_integer_value(lt);
	def = json_object_get(json_object_get(s->sanitized, "defaultTest"),
			      "assert");
	g.n_def = json_is_array(def) ? json_array_size(def) : 0;
	if (!o->var && s->n_tests) {
		bool any = false;
		for (size_t i = 0; i < s->n_tests && !any; i++)
			any = target_of(&g, &s->tests[i]) != NULL;
		if (!any) {
			rc = err_set(err, ST_USAGE, "%s: no test has a string "
				     "var that the prompts use, so there is "
				     "nowhere to put a probe; name the var "
				     "with --var", o->suite);
			goto out;
		}
	}
	buf_printf(out, "# probe cases generated by `assay probe` (seed "
		   "%llu) from %s.\n# Packs:", (unsigned long long)o->seed,
		   o->suite);
	for (size_t i = 0; i < n_packs; i++)
		buf_printf(out, " %s v%ld", packs[i]->name, packs[i]->version);
	buf_puts(out, ".  Add to the suite: tests: [..., file://THIS_FILE]"
		 "\n# Attack success rate of a pack = 1 - pass rate of its "
		 "tag probe:PACK (assay stats).\n");
	for (size_t i = 0; i < n_packs; i++)
		run_pack(&g, packs[i], json_object_get(probe_cfg, "forbidden"),
			 report);
	if (!g.made)
		buf_puts(out, "[]\n");
	rc = 0;
out:
	json_decref(g.names);
	for (size_t i = 0; i < n_packs; i++)
		pack_free(packs[i]);
	free(packs);
	free(list);
	free(dir);
	suite_free(s);
	return rc;
}
