/* report_stats_load.c — reads a stored run into the flat arrays of
 * report_stats_int.h: cases with their metadata (tags, severity, expect,
 * cluster, variant_group), one array of results per candidate (provider ×
 * prompt), named metrics, assertion failure counts, and — when the suite
 * asks for them — the confidence and predicted label extracted from each
 * output and whether the output is a refusal.
 *
 * Extraction happens here, once per result, so the statistics that follow
 * are pure arithmetic on arrays.  The results are kept as columns
 * (rs_cols_push, src/analysis/rs_cols.c), only those some result differs
 * from the default in: a million results fit in ~21 MB (README "Scale").  The suite's `calibration`,
 * `classification` and `decision` blocks come typed from the suite
 * (suite_stats_parse on the stored sanitized suite JSON, which the loader
 * validated when the run began). */
#include "report_stats_int.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <math.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "../score/score.h"
#include "../suite/template.h"
#include "../util/xalloc.h"

/* Parsed stored JSON (owned), or NULL for a NULL column or bad JSON. */
static json_t *text_json(const char *t)
{
	return t ? json_loads(t, 0, NULL) : NULL;
}

int rs_intern(char ***names, size_t *n, const char *s)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*names)[i], s))
			return (int)i;
	*names = xrealloc(*names, (*n + 1) * sizeof **names);
	(*names)[*n] = xstrdup(s);
	return (int)(*n)++;
}

void rs_run_free(struct rs_run *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->ncases; i++) {
		free(r->cases[i].desc);
		free(r->cases[i].tags);
	}
	free(r->cases);
	for (size_t i = 0; i < r->ncands; i++) {
		struct rs_cand *c = &r->cands[i];
		free(c->label);
		free(c->provider_id);
		free(c->prompt_label);
		free(c->it);
		rs_cols_free(&c->col);
		for (size_t j = 0; j < c->nm; j++) {
			free(c->m[j].name);
			free(c->m[j].v);
		}
		free(c->m);
		for (size_t j = 0; j < c->naf; j++)
			free(c->af[j].name);
		free(c->af);
	}
	free(r->cands);
	for (size_t i = 0; i < r->ntags; i++)
		free(r->tags[i]);
	free(r->tags);
	for (size_t i = 0; i < r->nclasses; i++)
		free(r->classes[i]);
	free(r->classes);
	free(r->costs);
	free(r->conf_source);
	free(r->pred_source);
	memset(r, 0, sizeof *r);
}

/* ---- extracting a value from an output ---------------------------------- */

enum { EX_NONE, EX_OUTPUT, EX_JQ, EX_REGEX };

struct extractor {
	int kind;
	const char *src;	/* "jq:..." for jq, the pattern for regex */
	pcre2_code *re;
	pcre2_match_data *md;
};

static void ex_init(struct extractor *x, const char *spec)
{
	memset(x, 0, sizeof *x);
	if (!spec)
		return;
	if (!strcmp(spec, "output")) {
		x->kind = EX_OUTPUT;
	} else if (!strncmp(spec, "jq:", 3)) {
		x->kind = EX_JQ;
		x->src = spec;
	} else if (!strncmp(spec, "regex:", 6)) {
		int ec;
		PCRE2_SIZE eo;
		x->re = pcre2_compile((PCRE2_SPTR)(spec + 6),
				      PCRE2_ZERO_TERMINATED, PCRE2_UTF, &ec,
				      &eo, NULL);
		if (x->re) {
			x->kind = EX_REGEX;
			x->md = pcre2_match_data_create_from_pattern(x->re,
								     NULL);
		}
	}
}

static void ex_cleanup(struct extractor *x)
{
	pcre2_match_data_free(x->md);
	pcre2_code_free(x->re);
}

/* The extracted text (owned), or NULL when nothing was found. */
static char *ex_run(struct extractor *x, const char *out, size_t len,
		    const json_t *vars)
{
	struct err e = {0};
	char *s = NULL;
	switch (x->kind) {
	case EX_OUTPUT:
		return xstrndup(out, len);
	case EX_JQ:
		if (score_transform(x->src, out, len, vars, &s, &e))
			return NULL;
		return s;
	case EX_REGEX: {
		int rc = pcre2_match(x->re, (PCRE2_SPTR)out, len, 0, 0, x->md,
				     NULL);
		PCRE2_SIZE *ov;
		int g;
		if (rc < 0)
			return NULL;
		ov = pcre2_get_ovector_pointer(x->md);
		g = rc > 1 ? 1 : 0;
		if (ov[2 * g] == PCRE2_UNSET)
			return NULL;
		return xstrndup(out + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
	}
	default:
		return NULL;
	}
}

/* Trims and lower-cases ASCII in place (labels compare this way). */
static char *norm_label(char *s)
{
	size_t a = 0, b = strlen(s);
	while (a < b && isspace((unsigned char)s[a]))
		a++;
	while (b > a && isspace((unsigned char)s[b - 1]))
		b--;
	memmove(s, s + a, b - a);
	s[b - a] = '\0';
	for (char *p = s; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (b - a >= 2 && s[0] == '"' && s[b - a - 1] == '"') {
		memmove(s, s + 1, b - a - 2);
		s[b - a - 2] = '\0';
	}
	return s;
}

/* A confidence: numbers in [0,1] as they are, (1,100] as percentages. */
static double parse_conf(const char *s)
{
	char *end;
	double v;
	if (!s)
		return NAN;
	while (isspace((unsigned char)*s) || *s == '"')
		s++;
	v = strtod(s, &end);
	if (end == s || !isfinite(v) || v < 0)
		return NAN;
	if (*end == '%' || v > 1)
		v /= 100;
	return v <= 1 ? v : NAN;
}

/* ---- the run and its cases ------------------------------------------------ */

/* Severity names → weights: one table, in the suite (suite_stats.h). */
static double severity_weight(const json_t *v, bool *ok)
{
	return suite_severity_weight(v, ok);
}

static char *json_text(const json_t *v)
{
	return json_is_string(v) ? xstrdup(json_string_value(v))
				 : tmpl_value_text(v);
}

struct load_ctx {
	struct rs_run *r;
	struct store *st;
	json_t *suite;
	const char *expected_tmpl;
	struct suite_stats cfg;	/* the suite's statistics blocks */
	struct extractor conf_x, pred_x;
	json_t **vars;		/* per case, kept only when extracting */
	int other_class;	/* id of "(other)", -1 until needed */
};

static int load_run(struct load_ctx *l, struct err *err)
{
	struct store_run run;
	int rc = store_run_get_brief(l->st, l->r->id, &run, err);
	if (rc)
		return rc;
	l->suite = text_json(run.suite_json);
	l->r->repeat = run.repeat;
	store_run_free(&run);
	return 0;
}

static void load_config(struct load_ctx *l)
{
	struct rs_run *r = l->r;
	const char *cs, *pred;
	suite_stats_parse(l->suite, &l->cfg);
	cs = l->cfg.confidence;
	pred = l->cfg.predicted;
	l->other_class = -1;
	if (cs && !strcmp(cs, "logprobs")) {
		r->has_conf = r->conf_logprobs = true;
		r->conf_source = xstrdup(cs);
	} else if (cs) {
		ex_init(&l->conf_x, cs);
		r->has_conf = l->conf_x.kind != EX_NONE;
		r->conf_source = xstrdup(cs);
	}
	l->expected_tmpl = l->cfg.expected;
	if (l->expected_tmpl && pred) {
		ex_init(&l->pred_x, pred);
		r->has_class = l->pred_x.kind != EX_NONE;
		r->pred_source = xstrdup(pred);
	}
	r->decision = l->cfg.decision;
}

/* What load_cases carries from row to row. */
struct cases_walk {
	struct load_ctx *l;
	json_t *clusters, *variants;
	size_t cap;
	long next_cluster;
	bool keep_vars;
};

static int case_row(void *ud, const struct store_case *sc)
{
	struct cases_walk *w = ud;
	struct load_ctx *l = w->l;
	struct rs_run *r = l->r;
	size_t idx = sc->idx;
	const char *d = sc->description;
	json_t *vars = NULL, *meta, *v, *tag;
	struct rs_case *c;
	size_t i;
	if (idx >= 10000000)
		return 0;
	meta = text_json(sc->metadata_json);
	if (idx >= r->ncases) {
		r->cases = xgrow(r->cases, &w->cap, idx + 1,
				 sizeof *r->cases);
		/* the vars only when extracting (a pointer a case) */
		if (w->keep_vars)
			l->vars = xrealloc(l->vars, w->cap * sizeof *l->vars);
		for (i = r->ncases; i <= idx; i++) {
			memset(&r->cases[i], 0, sizeof r->cases[i]);
			r->cases[i].sev = 1;
			r->cases[i].cluster = -1;
			r->cases[i].variant = -1;
			r->cases[i].gold = -1;
			if (l->vars)
				l->vars[i] = NULL;
		}
		r->ncases = idx + 1;
	}
	c = &r->cases[idx];
	c->desc = d ? xstrdup(d) : NULL;
	json_array_foreach(json_object_get(meta, "tags"), i, tag)
		if (json_is_string(tag)) {
			c->tags = xrealloc(c->tags, (c->ntags + 1) *
					   sizeof *c->tags);
			c->tags[c->ntags++] = rs_intern(
				&r->tags, &r->ntags,
				json_string_value(tag));
		}
	if ((v = json_object_get(meta, "severity")))
		c->sev = severity_weight(v, &c->has_sev);
	if ((v = json_object_get(meta, "expect")) && json_is_string(v)) {
		if (!strcasecmp(json_string_value(v), "refuse"))
			c->expect = RS_EXPECT_REFUSE;
		else if (!strcasecmp(json_string_value(v), "answer"))
			c->expect = RS_EXPECT_ANSWER;
		r->has_refusal = r->has_refusal || c->expect;
	}
	if ((v = json_object_get(meta, "cluster")) && !json_is_null(v)) {
		char *key = json_text(v);
		json_t *id = json_object_get(w->clusters, key);
		if (!id) {
			id = json_integer(w->next_cluster++);
			json_object_set_new(w->clusters, key, id);
		}
		c->cluster = (int32_t)json_integer_value(id);
		r->has_clusters = true;
		free(key);
	}
	if ((v = json_object_get(meta, "variant_group")) &&
	    !json_is_null(v)) {
		char *key = json_text(v);
		json_t *id = json_object_get(w->variants, key);
		if (!id) {
			id = json_integer((json_int_t)r->nvariants++);
			json_object_set_new(w->variants, key, id);
		}
		c->variant = (int32_t)json_integer_value(id);
		free(key);
	}
	if (w->keep_vars)
		vars = text_json(sc->vars_json);
	if (r->has_class && l->expected_tmpl) {
		struct err e = {0};
		char *g = tmpl_render(l->expected_tmpl, vars, 0, NULL,
				      &e);
		if (g && *norm_label(g))
			c->gold = rs_intern(&r->classes, &r->nclasses,
					    g);
		free(g);
	}
	if (l->vars) {
		json_decref(l->vars[idx]);
		l->vars[idx] = vars;
	}
	json_decref(meta);
	return 0;
}

static int load_cases(struct load_ctx *l, struct err *err)
{
	struct rs_run *r = l->r;
	struct cases_walk w = {
		.l = l,
		.clusters = json_object(),
		.variants = json_object(),
		.keep_vars = (r->has_conf && !r->conf_logprobs) ||
			     r->has_class,
	};
	int rc = store_cases_each(l->st, r->id, case_row, &w, err);
	/* A case without a cluster is its own cluster. */
	for (size_t i = 0; i < r->ncases; i++)
		if (r->cases[i].cluster < 0)
			r->cases[i].cluster = (int32_t)w.next_cluster++;
	r->nclusters = (size_t)w.next_cluster;
	json_decref(w.clusters);
	json_decref(w.variants);
	return rc;
}

/* What load_cands collects: the run's prompts, then one candidate per
 * provider × prompt. */
struct cands_walk {
	struct rs_run *r;
	size_t cap;
	size_t nprompts;
	size_t *prompt_idx;
	char **prompt_label;
};

static int prompt_row(void *ud, const struct store_prompt *p)
{
	struct cands_walk *w = ud;
	w->prompt_idx = xrealloc(w->prompt_idx, (w->nprompts + 1) *
				 sizeof *w->prompt_idx);
	w->prompt_label = xrealloc(w->prompt_label, (w->nprompts + 1) *
				   sizeof *w->prompt_label);
	w->prompt_idx[w->nprompts] = p->idx;
	w->prompt_label[w->nprompts++] = xstrdup(p->label ? p->label : "");
	return 0;
}

static int provider_row(void *ud, const struct store_provider *p)
{
	struct cands_walk *w = ud;
	struct rs_run *r = w->r;
	const char *pl = p->label ? p->label : "";
	for (size_t k = 0; k < w->nprompts; k++) {
		const char *prl = w->prompt_label[k];
		struct rs_cand *c;
		r->cands = xgrow(r->cands, &w->cap, r->ncands + 1,
				 sizeof *r->cands);
		c = &r->cands[r->ncands++];
		memset(c, 0, sizeof *c);
		c->prov = (int)p->idx;
		c->prompt = (int)w->prompt_idx[k];
		c->provider_id = xstrdup(p->id ? p->id : "");
		c->prompt_label = xstrdup(prl);
		if (w->nprompts > 1)
			c->label = xasprintf("%s / %.40s", pl, prl);
		else
			c->label = xstrdup(pl);
	}
	return 0;
}

static int load_cands(struct load_ctx *l, struct err *err)
{
	struct cands_walk w = { .r = l->r };
	int rc = store_prompts_each(l->st, l->r->id, prompt_row, &w, err);
	if (!rc)
		rc = store_providers_each(l->st, l->r->id, provider_row, &w,
					  err);
	for (size_t k = 0; k < w.nprompts; k++)
		free(w.prompt_label[k]);
	free(w.prompt_label);
	free(w.prompt_idx);
	return rc;
}

static struct rs_cand *find_cand(struct rs_run *r, int prov, int prompt)
{
	for (size_t i = 0; i < r->ncands; i++)
		if (r->cands[i].prov == prov && r->cands[i].prompt == prompt)
			return &r->cands[i];
	return NULL;
}

static void add_metrics(struct rs_cand *c, size_t item, json_t *named)
{
	const char *k;
	json_t *v;
	json_object_foreach(named, k, v) {
		size_t j;
		if (!json_is_number(v))
			continue;
		for (j = 0; j < c->nm && strcmp(c->m[j].name, k); j++)
			;
		if (j == c->nm) {
			c->m = xrealloc(c->m, (c->nm + 1) * sizeof *c->m);
			c->m[j].name = xstrdup(k);
			c->m[j].v = xmalloc((c->cap ? c->cap : 1) *
					    sizeof *c->m[j].v);
			for (size_t i = 0; i < c->cap; i++)
				c->m[j].v[i] = NAN;
			c->nm++;
		}
		c->m[j].v[item] = json_number_value(v);
	}
}

/* Grows the named metrics' arrays to the candidate's capacity (after
 * rs_cols_push grew it from `old`). */
static void grow_metrics(struct rs_cand *c, size_t old)
{
	if (c->cap == old)
		return;
	for (size_t j = 0; j < c->nm; j++) {
		c->m[j].v = xrealloc(c->m[j].v, c->cap * sizeof *c->m[j].v);
		for (size_t i = old; i < c->cap; i++)
			c->m[j].v[i] = NAN;
	}
}

static void extract(struct load_ctx *l, struct rs_item *it,
		    const char *out, size_t len)
{
	struct rs_run *r = l->r;
	const json_t *vars = l->vars && it->c < r->ncases ? l->vars[it->c]
							  : NULL;
	const struct rs_case *cs = it->c < r->ncases ? &r->cases[it->c] : NULL;
	if (r->has_conf && !r->conf_logprobs) {
		char *s = ex_run(&l->conf_x, out, len, vars);
		it->conf = parse_conf(s);
		free(s);
	}
	if (r->has_class && cs && cs->gold >= 0) {
		char *s = ex_run(&l->pred_x, out, len, vars);
		int id = -1;
		if (s && *norm_label(s))
			for (size_t k = 0; k < r->nclasses; k++)
				if (!strcmp(r->classes[k], s))
					id = (int)k;
		if (id < 0) {
			if (l->other_class < 0)
				l->other_class = rs_intern(&r->classes,
							   &r->nclasses,
							   "(other)");
			id = l->other_class;
		}
		it->pred = id;
		free(s);
	}
	if (cs && cs->expect) {
		struct assertion_spec a = { .type = (char *)"is-refusal",
					    .weight = 1 };
		struct assert_outcome o;
		struct err e = {0};
		char *s = xstrndup(out, len);
		if (!score_assert_eval(&a, vars, s, NULL, &o, &e))
			it->refused = o.pass ? 1 : 0;
		free(o.reason);
		free(s);
	}
}

/* What load_results carries from row to row. */
struct results_walk {
	struct load_ctx *l;
	struct rs_cand *c;	/* the candidate of the last row */
	bool need_out;
};

static int figures_row(void *ud, const struct store_figures *f)
{
	struct results_walk *w = ud;
	struct load_ctx *l = w->l;
	struct rs_run *r = l->r;
	struct rs_cand *c = w->c;
	int prov = (int)f->provider_idx, pr = (int)f->prompt_idx;
	struct rs_item item, *it = &item;
	size_t old;
	if (!c || c->prov != prov || c->prompt != pr)
		c = w->c = find_cand(r, prov, pr);
	if (!c)
		return 0;
	memset(it, 0, sizeof *it);
	it->c = (uint32_t)f->case_idx;
	it->rep = f->repeat;
	it->refused = -1;
	it->pred = -1;
	it->conf = NAN;
	if (f->error == 2)
		it->pass = RS_GRADE_ERROR;
	else if (f->error)
		it->pass = RS_ERROR;
	else if (f->pass < 0)
		it->pass = RS_UNGRADED;
	else
		it->pass = f->pass ? 1 : 0;
	it->score = it->pass >= 0 ? f->score : NAN;
	if (it->pass >= 0 && isnan(it->score))
		it->score = it->pass;
	it->lat = f->latency_ms;
	it->ttft = f->ttft_ms;
	it->ctok = f->completion_tokens;
	it->cost = f->cost_usd;
	it->retries = f->retries < 0 ? 0 : (int)f->retries;
	it->cached = (int8_t)f->cached;
	it->judge_cost = isnan(f->judge_cost_usd) ? 0 : f->judge_cost_usd;
	if (r->conf_logprobs && it->pass >= 0) {
		double p = f->confidence;
		it->conf = p >= 0 && p <= 1 ? p : NAN;
	}
	if (it->pass == 0 && !isnan(f->fail_severity)) {
		/* failing assertions without a severity count as
		 * the case's weight */
		double wt = f->fail_severity;
		if (f->fail_unrated > 0 && it->c < r->ncases)
			wt = fmax(wt, r->cases[it->c].sev);
		it->has_asev = 1;
		it->asev = wt;
	}
	if (w->need_out && it->pass != RS_ERROR && f->output)
		extract(l, it, f->output, f->output_len);
	old = c->cap;
	rs_cols_push(c, it);
	grow_metrics(c, old);
	if (it->pass >= 0 && f->named_json) {
		json_t *named = text_json(f->named_json);
		add_metrics(c, c->n - 1, named);
		json_decref(named);
	}
	return 0;
}

static int load_results(struct load_ctx *l, struct err *err)
{
	struct rs_run *r = l->r;
	struct results_walk w = {
		.l = l,
		.need_out = (r->has_conf && !r->conf_logprobs) ||
			    r->has_class || r->has_refusal,
	};
	/* figures_row appends each row to its candidate: only the order
	 * within a candidate (case, repeat) matters, which the unique
	 * index's order keeps without a sort */
	unsigned flags = STORE_FIG_CASE_ORDER;

	/* r->has_asev: set by load_afails, which runs first */
	if (w.need_out)
		flags |= STORE_FIG_OUTPUT;
	if (r->has_asev)
		flags |= STORE_FIG_SEVERITY;
	return store_figures_each(l->st, r->id, flags, figures_row, &w, err);
}

static int afail_row(void *ud, size_t prov, size_t prompt,
		     const char *type, const char *metric, long fails,
		     long total)
{
	struct rs_cand *c = find_cand(ud, (int)prov, (int)prompt);
	struct rs_afail *a;
	if (!c)
		return 0;
	c->af = xrealloc(c->af, (c->naf + 1) * sizeof *c->af);
	a = &c->af[c->naf++];
	a->name = metric ? xasprintf("%s (%s)", type, metric)
			 : xstrdup(type);
	a->fails = fails;
	a->total = total;
	return 0;
}

static int load_afails(struct load_ctx *l, struct err *err)
{
	/* also whether any assertion has a severity (load_results' flag):
	 * one walk over the run's assertions instead of two */
	return store_assert_fails_sev_each(l->st, l->r->id, afail_row, l->r,
					   &l->r->has_asev, err);
}

/* The optional cost matrix (suite_stats.h): every error costs 1 unless
 * the suite says otherwise; `*` sets a row. */
static void load_costs(struct load_ctx *l)
{
	struct rs_run *r = l->r;
	size_t k = r->nclasses;
	if (!r->has_class || !l->cfg.has_costs || !k)
		return;
	r->costs = xcalloc(k * k, sizeof *r->costs);
	for (size_t i = 0; i < k; i++)
		for (size_t j = 0; j < k; j++)
			r->costs[i * k + j] = i == j ? 0 : 1;
	for (size_t q = 0; q < l->cfg.ncosts; q++) {
		const struct suite_cost *c = &l->cfg.costs[q];
		char *e = norm_label(xstrdup(c->expected));
		char *p = norm_label(xstrdup(c->predicted));
		int ei = -1, pi = -1;
		for (size_t i = 0; i < k; i++) {
			if (!strcmp(r->classes[i], e))
				ei = (int)i;
			if (!strcmp(r->classes[i], p))
				pi = (int)i;
		}
		if (!strcmp(p, "*") && ei >= 0) {
			for (size_t j = 0; j < k; j++)
				if ((int)j != ei)
					r->costs[(size_t)ei * k + j] = c->cost;
		} else if (ei >= 0 && pi >= 0) {
			r->costs[(size_t)ei * k + (size_t)pi] = c->cost;
		}
		free(e);
		free(p);
	}
}

int rs_load(struct store *st, int64_t run_id, struct rs_run *r,
	    struct err *err)
{
	struct load_ctx l;
	int rc;
	memset(r, 0, sizeof *r);
	memset(&l, 0, sizeof l);
	r->id = run_id;
	l.r = r;
	l.st = st;
	if (!st)
		return err_set(err, ST_INTERNAL, "stats: no store");
	rc = load_run(&l, err);
	if (!rc) {
		load_config(&l);
		rc = load_cases(&l, err);
	}
	if (!rc)
		rc = load_cands(&l, err);
	if (!rc)
		rc = load_afails(&l, err);
	if (!rc)
		rc = load_results(&l, err);
	if (!rc)
		load_costs(&l);
	for (size_t i = 0; l.vars && i < r->ncases; i++)
		json_decref(l.vars[i]);
	free(l.vars);
	ex_cleanup(&l.conf_x);
	ex_cleanup(&l.pred_x);
	suite_stats_free(&l.cfg);
	json_decref(l.suite);
	if (rc)
		rs_run_free(r);
	return rc;
}
