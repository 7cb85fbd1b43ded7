/* mock_rules.c — the mock server's rules: loading the YAML rules file,
 * matching a prompt against the rules, and the deterministic "accuracy"
 * draw that decides whether a model answers right or wrong.
 *
 * Everything costly happens at load time (YAML parsing, regex compilation
 * with JIT, template validation), so answering a request is a few
 * substring searches or JIT regex matches plus one hash of the prompt.
 * The file format is documented in docs/mock.md; keep the two in step. */
#include "mock_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "util/fsutil.h"
#include "util/xalloc.h"

#define MOCK_RULES_MAX_BYTES ((size_t)16 << 20)
#define MOCK_DEFAULT_REPLY "I don't know."
#define MOCK_DEFAULT_WRONG "I don't know."

static const char builtin_rules[] =
	"# built-in rules: echo the last user message, any model name\n"
	"models:\n"
	"  - name: mock\n"
	"  - name: \"*\"\n"
	"default: \"{{last_user}}\"\n";

/* ---- freeing ------------------------------------------------------------ */

static void free_strs(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void free_rule_list(struct mock_rule *rules, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(rules[i].pattern);
		pcre2_code_free(rules[i].re);
		free(rules[i].reply);
		free_strs(rules[i].wrong, rules[i].n_wrong);
	}
	free(rules);
}

void mock_rules_free(struct mock_rules *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_models; i++) {
		struct mock_model *m = &r->models[i];
		free(m->name);
		free(m->served_model);
		free_rule_list(m->rules, m->n_rules);
		free(m->default_reply);
		free_strs(m->wrong, m->n_wrong);
	}
	free(r->models);
	free_rule_list(r->rules, r->n_rules);
	free(r->default_reply);
	free_strs(r->wrong, r->n_wrong);
	free(r->source);
	free(r);
}

/* ---- YAML helpers ------------------------------------------------------- */

struct ld {
	yaml_document_t doc;
	const char *name;
	struct err *err;
};

static yaml_node_t *node(struct ld *l, int id)
{
	return yaml_document_get_node(&l->doc, id);
}

__attribute__((format(printf, 3, 4)))
static int at(struct ld *l, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[900];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return err_at(l->err, l->name, n ? (int)n->start_mark.line + 1 : 0,
		      n ? (int)n->start_mark.column + 1 : 0, "%s", msg);
}

static const char *kind_name(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE: return "a mapping";
	case YAML_SEQUENCE_NODE: return "a list";
	default: return "a scalar";
	}
}

static int is_scalar(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE;
}

static const char *sval(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static int get_str(struct ld *l, const yaml_node_t *n, const char *what,
		   char **out)
{
	if (!is_scalar(n))
		return at(l, n, "%s: expected text, got %s", what,
			  kind_name(n));
	free(*out);
	*out = xstrndup(sval(n), n->data.scalar.length);
	return 0;
}

static int get_int(struct ld *l, const yaml_node_t *n, const char *what,
		   long lo, long hi, int *out)
{
	char *end;
	long v;
	if (!is_scalar(n))
		return at(l, n, "%s: expected a whole number, got %s", what,
			  kind_name(n));
	errno = 0;
	v = strtol(sval(n), &end, 10);
	if (end == sval(n) || *end || errno)
		return at(l, n, "%s: expected a whole number, got '%s'", what,
			  sval(n));
	if (v < lo || v > hi)
		return at(l, n, "%s: %ld is out of range %ld..%ld", what, v,
			  lo, hi);
	*out = (int)v;
	return 0;
}

static int get_double(struct ld *l, const yaml_node_t *n, const char *what,
		      double lo, double hi, double *out)
{
	char *end;
	double v;
	if (!is_scalar(n))
		return at(l, n, "%s: expected a number, got %s", what,
			  kind_name(n));
	v = strtod(sval(n), &end);
	if (end == sval(n) || *end || v != v)
		return at(l, n, "%s: expected a number, got '%s'", what,
			  sval(n));
	if (v < lo || v > hi)
		return at(l, n, "%s: %g is out of range %g..%g", what, v, lo,
			  hi);
	*out = v;
	return 0;
}

/* A scalar or a list of scalars → an owned array of owned strings. */
static int get_strlist(struct ld *l, const yaml_node_t *n, const char *what,
		       char ***out, size_t *n_out)
{
	free_strs(*out, *n_out);
	*out = NULL;
	*n_out = 0;
	if (is_scalar(n)) {
		*out = xmalloc(sizeof **out);
		(*out)[0] = xstrndup(sval(n), n->data.scalar.length);
		*n_out = 1;
		return 0;
	}
	if (n->type != YAML_SEQUENCE_NODE)
		return at(l, n, "%s: expected text or a list of texts", what);
	size_t cnt = (size_t)(n->data.sequence.items.top -
			      n->data.sequence.items.start);
	if (!cnt)
		return at(l, n, "%s: the list is empty", what);
	*out = xcalloc(cnt, sizeof **out);
	for (size_t i = 0; i < cnt; i++) {
		yaml_node_t *it = node(l, n->data.sequence.items.start[i]);
		if (!is_scalar(it))
			return at(l, it, "%s: expected text, got %s", what,
				  kind_name(it));
		(*out)[i] = xstrndup(sval(it), it->data.scalar.length);
		*n_out = i + 1;
	}
	return 0;
}

/* Checks a mapping's keys against `allowed` (NULL-terminated) and for
 * duplicates. */
static int check_keys(struct ld *l, const yaml_node_t *map, const char *what,
		      const char *const *allowed)
{
	yaml_node_pair_t *p, *q;
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = node(l, p->key);
		int ok = 0;
		if (!is_scalar(k))
			return at(l, k, "%s: keys must be plain names", what);
		for (const char *const *a = allowed; *a; a++)
			if (!strcmp(sval(k), *a))
				ok = 1;
		if (!ok) {
			char list[400] = "";
			for (const char *const *a = allowed; *a; a++) {
				strncat(list, a == allowed ? "" : ", ",
					sizeof list - strlen(list) - 1);
				strncat(list, *a, sizeof list - strlen(list) - 1);
			}
			return at(l, k, "%s: unknown key '%s' (expected one of: %s)",
				  what, sval(k), list);
		}
		for (q = map->data.mapping.pairs.start; q < p; q++)
			if (!strcmp(sval(node(l, q->key)), sval(k)))
				return at(l, k, "%s: duplicate key '%s'", what,
					  sval(k));
	}
	return 0;
}

#define FOR_PAIRS(l, map, k, v)                                               \
	for (yaml_node_pair_t *p_ = (map)->data.mapping.pairs.start;          \
	     p_ < (map)->data.mapping.pairs.top &&                            \
	     ((k) = sval(node((l), p_->key)), (v) = node((l), p_->value), 1); \
	     p_++)

/* ---- templates ---------------------------------------------------------- */

/* The {{name}} variables a reply template may use. */
enum tvar { TV_NONE = -1, TV_PROMPT, TV_LAST_USER, TV_MODEL };

/* At s (pointing at "{{"), recognises "{{ name }}"; returns the variable
 * and its length in *n, TV_NONE when it is not a variable reference, or
 * -2 when it looks like one but the name is unknown. */
static int tmpl_var(const char *s, size_t *n, const char **name,
		    size_t *name_len)
{
	static const char *const names[] = { "prompt", "last_user", "model" };
	const char *p = s + 2, *b, *e;
	while (*p == ' ')
		p++;
	b = p;
	while ((*p >= 'a' && *p <= 'z') || *p == '_' ||
	       (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9'))
		p++;
	e = p;
	while (*p == ' ')
		p++;
	if (e == b || p[0] != '}' || p[1] != '}')
		return TV_NONE;
	*n = (size_t)(p + 2 - s);
	*name = b;
	*name_len = (size_t)(e - b);
	for (int i = 0; i < 3; i++)
		if (strlen(names[i]) == *name_len &&
		    !strncmp(b, names[i], *name_len))
			return i;
	return -2;
}

/* Validates a template: known {{variables}}, $N within the group count. */
static int tmpl_check(struct ld *l, const yaml_node_t *n, const char *t,
		      int groups)
{
	for (const char *s = t; *s; s++) {
		if (s[0] == '$' && s[1] == '$') {
			s++;
		} else if (s[0] == '$' && s[1] >= '0' && s[1] <= '9') {
			if (s[1] - '0' > groups)
				return at(l, n, "reply uses $%c but the rule has %s", s[1],
					  groups ? "fewer capture groups" :
					  "no capture groups (only regex rules have them)");
			s++;
		} else if (s[0] == '{' && s[1] == '{') {
			size_t len, nl;
			const char *nm;
			if (tmpl_var(s, &len, &nm, &nl) == -2)
				return at(l, n, "reply uses unknown variable {{%.*s}} "
					  "(known: prompt, last_user, model)", (int)nl, nm);
		}
	}
	return 0;
}

struct tmpl_ctx {
	const char *prompt;       /* the text the rule looked at */
	size_t prompt_len;
	const struct mock_prompt *p;
	const char *model;
	const char *subject;      /* for $N */
	const PCRE2_SIZE *ov;     /* NULL: $0 is [m0,m1) */
	int n_ov;
	size_t m0, m1;
};

static void tmpl_expand(struct buf *out, const char *t,
			const struct tmpl_ctx *c)
{
	const char *s = t, *lit = t;
	for (; *s; s++) {
		size_t len, nl;
		const char *nm;
		int v;
		if (s[0] == '$' && s[1] == '$') {
			buf_append(out, lit, (size_t)(s - lit) + 1);
			lit = ++s + 1;
		} else if (s[0] == '$' && s[1] >= '0' && s[1] <= '9') {
			int g = s[1] - '0';
			buf_append(out, lit, (size_t)(s - lit));
			if (c->ov && g < c->n_ov &&
			    c->ov[2 * g] != PCRE2_UNSET)
				buf_append(out, c->subject + c->ov[2 * g],
					   c->ov[2 * g + 1] - c->ov[2 * g]);
			else if (!c->ov && g == 0 && c->subject)
				buf_append(out, c->subject + c->m0,
					   c->m1 - c->m0);
			lit = ++s + 1;
		} else if (s[0] == '{' && s[1] == '{' &&
			   (v = tmpl_var(s, &len, &nm, &nl)) >= 0) {
			buf_append(out, lit, (size_t)(s - lit));
			if (v == TV_PROMPT)
				buf_append(out, c->prompt, c->prompt_len);
			else if (v == TV_LAST_USER)
				buf_append(out, c->p->last_user,
					   c->p->last_user_len);
			else
				buf_puts(out, c->model);
			s += len - 1;
			lit = s + 1;
		}
	}
	buf_append(out, lit, (size_t)(s - lit));
}

/* ---- loading ------------------------------------------------------------ */

static int parse_match_in(struct ld *l, const yaml_node_t *v,
			  enum mock_match_in *out)
{
	if (is_scalar(v) && !strcmp(sval(v), "last_user"))
		*out = MOCK_IN_LAST_USER;
	else if (is_scalar(v) && !strcmp(sval(v), "all"))
		*out = MOCK_IN_ALL;
	else
		return at(l, v, "match_in: expected 'last_user' or 'all'");
	return 0;
}

/* A `faults:` mapping: each key a fault probability or a parameter. */
static int load_faults(struct ld *l, const yaml_node_t *n,
		       struct mock_faults *f)
{
	static const char *const keys[] = { "rate_limit", "server_error",
		"unavailable", "reset", "stream_cut", "malformed",
		"wrong_content_type", "hang", "slow_stream", "retry_after",
		"retry_after_ms", "hang_ms", "slow_stream_ms", "stream_error", "bad_bytes", "redirect", "endless_stream", NULL };
	const yaml_node_t *v;
	const char *k;
	char why[512];
	mock_faults_init(f);
	f->set = 1;
	if (n->type != YAML_MAPPING_NODE)
		return at(l, n, "faults: expected a mapping such as "
			  "{rate_limit: 0.1, retry_after_ms: 200}");
	if (check_keys(l, n, "faults", keys))
		return ST_INPUT;
	FOR_PAIRS(l, n, k, v) {
		if (!is_scalar(v))
			return at(l, v, "faults: %s: expected a number, got %s", k,
				  kind_name(v));
		if (mock_faults_set(f, k, sval(v), why, sizeof why))
			return at(l, v, "faults: %s", why);
	}
	if (mock_faults_check(f, why, sizeof why))
		return at(l, n, "faults: %s", why);
	return 0;
}

static int load_rule(struct ld *l, const yaml_node_t *n,
		     enum mock_match_in def_in, struct mock_rule *r)
{
	static const char *const keys[] = { "contains", "icontains", "regex",
		"match_in", "reply", "wrong", "faults", NULL };
	const yaml_node_t *matcher = NULL, *reply = NULL, *v;
	const char *k;
	int groups = 0;
	memset(r, 0, sizeof *r);
	mock_faults_init(&r->faults);
	r->in = def_in;
	r->line = (int)n->start_mark.line + 1;
	if (n->type != YAML_MAPPING_NODE)
		return at(l, n, "rule: expected a mapping with contains/icontains/regex and reply");
	if (check_keys(l, n, "rule", keys))
		return ST_INPUT;
	FOR_PAIRS(l, n, k, v) {
		if (!strcmp(k, "contains") || !strcmp(k, "icontains") ||
		    !strcmp(k, "regex")) {
			if (matcher)
				return at(l, v, "rule: give only one of contains, icontains, regex");
			matcher = v;
			r->kind = k[0] == 'c' ? MOCK_CONTAINS :
				  k[0] == 'i' ? MOCK_ICONTAINS : MOCK_REGEX;
			if (get_str(l, v, k, &r->pattern))
				return ST_INPUT;
			r->pattern_len = strlen(r->pattern);
			if (!r->pattern_len)
				return at(l, v, "%s: the pattern is empty", k);
		} else if (!strcmp(k, "match_in")) {
			if (parse_match_in(l, v, &r->in))
				return ST_INPUT;
		} else if (!strcmp(k, "reply")) {
			reply = v;
			if (get_str(l, v, "reply", &r->reply))
				return ST_INPUT;
		} else if (!strcmp(k, "wrong")) {
			if (get_strlist(l, v, "wrong", &r->wrong, &r->n_wrong))
				return ST_INPUT;
		} else if (!strcmp(k, "faults")) {
			if (load_faults(l, v, &r->faults))
				return ST_INPUT;
		}
	}
	if (!matcher)
		return at(l, n, "rule: needs one of contains, icontains, regex");
	if (!reply)
		return at(l, n, "rule: needs a reply");
	if (r->kind == MOCK_REGEX) {
		int ec;
		PCRE2_SIZE off;
		uint32_t cap = 0;
		r->re = pcre2_compile((PCRE2_SPTR)r->pattern, r->pattern_len,
				      PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &ec,
				      &off, NULL);
		if (!r->re) {
			PCRE2_UCHAR m[256];
			pcre2_get_error_message(ec, m, sizeof m);
			return at(l, matcher, "regex: %s at offset %zu of /%s/",
				  (char *)m, (size_t)off, r->pattern);
		}
		(void)pcre2_jit_compile(r->re, PCRE2_JIT_COMPLETE);
		pcre2_pattern_info(r->re, PCRE2_INFO_CAPTURECOUNT, &cap);
		groups = cap > 9 ? 9 : (int)cap;
	}
	if (tmpl_check(l, reply, r->reply, groups))
		return ST_INPUT;
	FOR_PAIRS(l, n, k, v)
		if (!strcmp(k, "wrong"))
			for (size_t i = 0; i < r->n_wrong; i++)
				if (tmpl_check(l, v, r->wrong[i], groups))
					return ST_INPUT;
	return 0;
}

static int load_rules(struct ld *l, const yaml_node_t *n,
		      enum mock_match_in def_in, struct mock_rule **out,
		      size_t *n_out)
{
	size_t cnt;
	if (n->type != YAML_SEQUENCE_NODE)
		return at(l, n, "rules: expected a list of rules");
	cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	*out = xcalloc(cnt ? cnt : 1, sizeof **out);
	for (size_t i = 0; i < cnt; i++) {
		int rc = load_rule(l, node(l, n->data.sequence.items.start[i]),
				   def_in, &(*out)[i]);
		*n_out = i + 1;   /* so a half-loaded rule is freed too */
		if (rc)
			return rc;
	}
	return 0;
}

/* Templates outside rules have no capture groups. */
static int check_texts(struct ld *l, const yaml_node_t *n, char **v, size_t cnt)
{
	for (size_t i = 0; i < cnt; i++)
		if (tmpl_check(l, n, v[i], 0))
			return ST_INPUT;
	return 0;
}

static int load_latency(struct ld *l, const yaml_node_t *v,
			struct mock_model *m)
{
	static const char *const keys[] = { "min_ms", "max_ms", NULL };
	const yaml_node_t *lv;
	const char *lk;
	int has_min = 0, has_max = 0, rc;
	if (v->type != YAML_MAPPING_NODE)
		return at(l, v, "latency: expected {min_ms, max_ms} (or use latency_ms)");
	if (check_keys(l, v, "latency", keys))
		return ST_INPUT;
	FOR_PAIRS(l, v, lk, lv) {
		if (!strcmp(lk, "min_ms")) {
			has_min = 1;
			rc = get_int(l, lv, "min_ms", 0, 3600000,
				     &m->latency_min_ms);
		} else {
			has_max = 1;
			rc = get_int(l, lv, "max_ms", 0, 3600000,
				     &m->latency_max_ms);
		}
		if (rc)
			return rc;
	}
	if (!has_min || !has_max)
		return at(l, v, "latency: needs both min_ms and max_ms");
	if (m->latency_min_ms > m->latency_max_ms)
		return at(l, v, "latency: min_ms %d is greater than max_ms %d",
			  m->latency_min_ms, m->latency_max_ms);
	return 0;
}

static int get_profile(struct ld *l, const yaml_node_t *v,
		       enum mock_profile *out)
{
	if (!is_scalar(v) || mock_profile_parse(sval(v), out))
		return at(l, v, "profile: expected one of: openai, llamacpp, "
			  "vllm, ollama");
	return 0;
}

static int load_model(struct ld *l, const yaml_node_t *n,
		      enum mock_match_in def_in, struct mock_model *m)
{
	static const char *const keys[] = { "name", "accuracy", "latency_ms",
		"latency", "stream_chunk_delay_ms", "rules", "default", "wrong",
		"faults", "profile", "served_model", "loading_ms",
		"context_tokens", "close_after_stream", "slots", "service_ms",
		"service_per_token_ms", NULL };
	const yaml_node_t *v, *rules = NULL;
	const char *k;
	memset(m, 0, sizeof *m);
	mock_faults_init(&m->faults);
	m->accuracy = 1.0;
	m->close_after_stream = -1;
	if (n->type != YAML_MAPPING_NODE)
		return at(l, n, "model: expected a mapping with at least a name");
	if (check_keys(l, n, "model", keys))
		return ST_INPUT;
	FOR_PAIRS(l, n, k, v) {
		int rc = 0;
		if (!strcmp(k, "name")) {
			rc = get_str(l, v, "name", &m->name);
			if (!rc && !m->name[0])
				rc = at(l, v, "name: must not be empty");
		} else if (!strcmp(k, "accuracy")) {
			rc = get_double(l, v, "accuracy", 0, 1, &m->accuracy);
		} else if (!strcmp(k, "latency_ms")) {
			rc = get_int(l, v, "latency_ms", 0, 3600000, &m->latency_ms);
		} else if (!strcmp(k, "stream_chunk_delay_ms")) {
			rc = get_int(l, v, "stream_chunk_delay_ms", 0, 600000,
				     &m->chunk_delay_ms);
		} else if (!strcmp(k, "latency")) {
			rc = load_latency(l, v, m);
		} else if (!strcmp(k, "rules")) {
			rules = v;
		} else if (!strcmp(k, "default")) {
			rc = get_str(l, v, "default", &m->default_reply);
			if (!rc)
				rc = check_texts(l, v, &m->default_reply, 1);
		} else if (!strcmp(k, "wrong")) {
			rc = get_strlist(l, v, "wrong", &m->wrong, &m->n_wrong);
			if (!rc)
				rc = check_texts(l, v, m->wrong, m->n_wrong);
		} else if (!strcmp(k, "faults")) {
			rc = load_faults(l, v, &m->faults);
		} else if (!strcmp(k, "profile")) {
			rc = get_profile(l, v, &m->profile);
			m->profile_set = 1;
		} else if (!strcmp(k, "served_model")) {
			rc = get_str(l, v, "served_model", &m->served_model);
			if (!rc && !m->served_model[0])
				rc = at(l, v, "served_model: must not be empty");
		} else if (!strcmp(k, "loading_ms")) {
			rc = get_int(l, v, "loading_ms", 0, 3600000, &m->loading_ms);
		} else if (!strcmp(k, "context_tokens")) {
			int ct = 0;
			rc = get_int(l, v, "context_tokens", 1, 100000000, &ct);
			m->context_tokens = ct;
		} else if (!strcmp(k, "close_after_stream")) {
			if (!is_scalar(v) || (strcmp(sval(v), "true") &&
					      strcmp(sval(v), "false")))
				rc = at(l, v, "close_after_stream: expected true or false");
			else
				m->close_after_stream = !strcmp(sval(v), "true");
		} else if (!strcmp(k, "slots")) {   /* queueing: mock_queue.c */
			rc = get_int(l, v, "slots", 1, 100000, &m->slots);
		} else if (!strcmp(k, "service_ms")) {
			rc = get_double(l, v, "service_ms", 0, 3600000, &m->service_ms);
		} else if (!strcmp(k, "service_per_token_ms")) {
			rc = get_double(l, v, "service_per_token_ms", 0, 60000,
					&m->service_token_ms);
		}
		if (rc)
			return rc;
	}
	if (!m->name)
		return at(l, n, "model: needs a name");
	if (rules)
		return load_rules(l, rules, def_in, &m->rules, &m->n_rules);
	return 0;
}

static int load_root(struct ld *l, const yaml_node_t *root,
		     struct mock_rules *r)
{
	static const char *const keys[] = { "seed", "match_in", "default",
		"wrong", "models", "rules", "faults", "profile", NULL };
	const yaml_node_t *v, *models = NULL, *rules = NULL;
	const char *k;
	if (root->type != YAML_MAPPING_NODE)
		return at(l, root, "rules file: expected a mapping with models, rules, default");
	if (check_keys(l, root, "rules file", keys))
		return ST_INPUT;
	/* match_in first: it is the default for every rule, wherever the
	 * key appears in the file. */
	FOR_PAIRS(l, root, k, v)
		if (!strcmp(k, "match_in") && parse_match_in(l, v, &r->match_in))
			return ST_INPUT;
	FOR_PAIRS(l, root, k, v) {
		int rc = 0;
		if (!strcmp(k, "seed")) {
			char *end;
			if (!is_scalar(v))
				return at(l, v, "seed: expected a whole number");
			errno = 0;
			r->seed = strtoull(sval(v), &end, 10);
			if (end == sval(v) || *end || errno || sval(v)[0] == '-')
				return at(l, v, "seed: expected a whole number ≥ 0, got '%s'",
					  sval(v));
			r->has_seed = 1;
		} else if (!strcmp(k, "default")) {
			rc = get_str(l, v, "default", &r->default_reply);
			if (!rc)
				rc = check_texts(l, v, &r->default_reply, 1);
		} else if (!strcmp(k, "wrong")) {
			rc = get_strlist(l, v, "wrong", &r->wrong, &r->n_wrong);
			if (!rc)
				rc = check_texts(l, v, r->wrong, r->n_wrong);
		} else if (!strcmp(k, "faults")) {
			rc = load_faults(l, v, &r->faults);
		} else if (!strcmp(k, "profile")) {
			rc = get_profile(l, v, &r->profile);
		} else if (!strcmp(k, "models")) {
			models = v;
		} else if (!strcmp(k, "rules")) {
			rules = v;
		}
		if (rc)
			return rc;
	}
	if (!models)
		return at(l, root, "rules file: needs a 'models' list (use name: \"*\" to accept any model)");
	if (models->type != YAML_SEQUENCE_NODE)
		return at(l, models, "models: expected a list of models");
	size_t cnt = (size_t)(models->data.sequence.items.top -
			      models->data.sequence.items.start);
	if (!cnt)
		return at(l, models, "models: the list is empty");
	r->models = xcalloc(cnt, sizeof *r->models);
	for (size_t i = 0; i < cnt; i++) {
		yaml_node_t *mn = node(l, models->data.sequence.items.start[i]);
		int rc = load_model(l, mn, r->match_in, &r->models[i]);
		r->n_models = i + 1;
		if (rc)
			return rc;
		if (!r->models[i].profile_set)
			r->models[i].profile = r->profile;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(r->models[j].name, r->models[i].name))
				return at(l, mn, "model '%s' is listed twice",
					  r->models[i].name);
	}
	if (rules)
		return load_rules(l, rules, r->match_in, &r->rules, &r->n_rules);
	return 0;
}

struct mock_rules *mock_rules_parse(const char *text, size_t len,
				    const char *name, struct err *err)
{
	yaml_parser_t parser;
	struct ld l = { .name = name, .err = err };
	struct mock_rules *r = xcalloc(1, sizeof *r);
	yaml_node_t *root;
	int rc;
	r->source = xstrdup(name);
	mock_faults_init(&r->faults);
	if (!yaml_parser_initialize(&parser)) {
		err_set(err, ST_INTERNAL, "cannot initialise the YAML parser");
		mock_rules_free(r);
		return NULL;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &l.doc)) {
		err_at(err, name, (int)parser.problem_mark.line + 1,
		       (int)parser.problem_mark.column + 1, "YAML: %s%s%s",
		       parser.problem ? parser.problem : "syntax error",
		       parser.context ? " " : "",
		       parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		mock_rules_free(r);
		return NULL;
	}
	yaml_parser_delete(&parser);
	root = yaml_document_get_root_node(&l.doc);
	if (!root)
		rc = err_at(err, name, 1, 1, "rules file is empty: it needs at least a 'models' list");
	else
		rc = load_root(&l, root, r);
	yaml_document_delete(&l.doc);
	if (rc) {
		mock_rules_free(r);
		return NULL;
	}
	return r;
}

struct mock_rules *mock_rules_load(const char *path, struct err *err)
{
	size_t len;
	char *text = fs_read_file(path, MOCK_RULES_MAX_BYTES, &len, err);
	struct mock_rules *r;
	if (!text)
		return NULL;
	r = mock_rules_parse(text, len, path, err);
	free(text);
	return r;
}

struct mock_rules *mock_rules_builtin(struct err *err)
{
	return mock_rules_parse(builtin_rules, sizeof builtin_rules - 1,
				"(built-in rules)", err);
}

const struct mock_model *mock_rules_model(const struct mock_rules *r,
					  const char *name)
{
	const struct mock_model *any = NULL;
	for (size_t i = 0; i < r->n_models; i++) {
		if (!strcmp(r->models[i].name, name))
			return &r->models[i];
		if (!strcmp(r->models[i].name, "*"))
			any = &r->models[i];
	}
	return any;
}

/* ---- the deterministic draw --------------------------------------------- */

/* splitmix64's finaliser: a good 64-bit mixer. */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;
	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static uint64_t draw_bits(uint64_t seed, const char *model, const char *text,
			  size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ mix64(seed + 0x9e3779b97f4a7c15ULL);
	h = fnv1a(h, model, strlen(model) + 1);   /* with the NUL: a separator */
	h = fnv1a(h, text, len);
	return mix64(h);
}

double mock_draw(uint64_t seed, const char *model, const char *text,
		 size_t len)
{
	return (double)(draw_bits(seed, model, text, len) >> 11) * 0x1.0p-53;
}

uint64_t mock_prompt_key(uint64_t seed, const char *model, const char *text,
			 size_t len)
{
	return draw_bits(seed, model, text, len);
}

/* ---- faults ------------------------------------------------------------- */

const struct mock_faults *mock_rules_faults(const struct mock_rules *r,
					    const struct mock_model *m,
					    const struct mock_answer *a)
{
	if (a && a->rule >= 0) {
		const struct mock_rule *rule = a->from_model && m ?
			&m->rules[a->rule] : &r->rules[a->rule];
		if (rule->faults.set)
			return &rule->faults;
	}
	if (m && m->faults.set)
		return &m->faults;
	return &r->faults;
}

/* Calls fn on every faults block; stops at the first nonzero result. */
static int each_faults(const struct mock_rules *r,
		       int (*fn)(const struct mock_faults *))
{
	if (fn(&r->faults))
		return 1;
	for (size_t i = 0; i < r->n_rules; i++)
		if (fn(&r->rules[i].faults))
			return 1;
	for (size_t i = 0; i < r->n_models; i++) {
		const struct mock_model *m = &r->models[i];
		if (fn(&m->faults))
			return 1;
		for (size_t j = 0; j < m->n_rules; j++)
			if (fn(&m->rules[j].faults))
				return 1;
	}
	return 0;
}

static int sleeps(const struct mock_faults *f)
{
	return (f->p[MOCK_FAULT_HANG] > 0 && f->hang_ms > 0) ||
	       (f->p[MOCK_FAULT_SLOW_STREAM] > 0 && f->slow_stream_ms > 0);
}

int mock_rules_fault_sleeps(const struct mock_rules *r)
{
	return each_faults(r, sleeps);
}

int mock_rules_any_faults(const struct mock_rules *r)
{
	return each_faults(r, mock_faults_any);
}

/* ---- answering ---------------------------------------------------------- */

/* Tries one rule; on a match fills the template context's $N fields and
 * returns 1.  *md receives match data the caller frees (regex only). */
static int rule_match(const struct mock_rule *r, const struct mock_prompt *p,
		      struct tmpl_ctx *c, pcre2_match_data **md)
{
	const char *s = r->in == MOCK_IN_ALL ? p->all : p->last_user;
	size_t n = r->in == MOCK_IN_ALL ? p->all_len : p->last_user_len;
	const char *hit;
	c->prompt = s;
	c->prompt_len = n;
	c->subject = s;
	switch (r->kind) {
	case MOCK_CONTAINS:
		hit = memmem(s, n, r->pattern, r->pattern_len);
		break;
	case MOCK_ICONTAINS:
		hit = strcasestr(s, r->pattern);   /* texts hold no NUL */
		break;
	default:
		*md = pcre2_match_data_create_from_pattern(r->re, NULL);
		if (!*md)
			return 0;
		if (pcre2_match(r->re, (PCRE2_SPTR)s, n, 0, 0, *md, NULL) < 0)
			return 0;
		c->ov = pcre2_get_ovector_pointer(*md);
		c->n_ov = (int)pcre2_get_ovector_count(*md);
		return 1;
	}
	if (!hit)
		return 0;
	c->ov = NULL;
	c->m0 = (size_t)(hit - s);
	c->m1 = c->m0 + r->pattern_len;
	return 1;
}

void mock_rules_answer(const struct mock_rules *r, const struct mock_model *m,
		       const char *model_name, uint64_t seed,
		       const struct mock_prompt *p, struct mock_answer *out)
{
	struct tmpl_ctx c = { .p = p, .model = model_name };
	struct buf b = { 0 };
	const struct mock_rule *lists[2] = { m ? m->rules : NULL, r->rules };
	size_t counts[2] = { m ? m->n_rules : 0, r->n_rules };
	memset(out, 0, sizeof *out);
	out->rule = -1;
	out->correct = 1;
	for (int li = 0; li < 2; li++) {
		for (size_t i = 0; i < counts[li]; i++) {
			const struct mock_rule *rule = &lists[li][i];
			pcre2_match_data *md = NULL;
			const char *t;
			uint64_t bits;
			if (!rule_match(rule, p, &c, &md)) {
				pcre2_match_data_free(md);
				continue;
			}
			bits = draw_bits(seed, model_name, p->all, p->all_len);
			out->u = (double)(bits >> 11) * 0x1.0p-53;
			out->correct = out->u < (m ? m->accuracy : 1.0);
			out->rule = (int)i;
			out->from_model = li == 0;
			if (out->correct) {
				t = rule->reply;
			} else {
				/* the most specific wrong list wins */
				char *const *w = rule->wrong;
				size_t nw = rule->n_wrong;
				if (!nw && m && m->n_wrong) {
					w = m->wrong;
					nw = m->n_wrong;
				}
				if (!nw) {
					w = r->wrong;
					nw = r->n_wrong;
				}
				t = nw ? w[mix64(bits + 1) % nw] : MOCK_DEFAULT_WRONG;
			}
			tmpl_expand(&b, t, &c);
			pcre2_match_data_free(md);
			out->text = buf_detach(&b);
			return;
		}
	}
	c.prompt = r->match_in == MOCK_IN_ALL ? p->all : p->last_user;
	c.prompt_len = r->match_in == MOCK_IN_ALL ? p->all_len : p->last_user_len;
	tmpl_expand(&b, m && m->default_reply ? m->default_reply :
		    r->default_reply ? r->default_reply : MOCK_DEFAULT_REPLY, &c);
	out->text = buf_detach(&b);
}
