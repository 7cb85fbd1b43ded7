/* report_stats_load.c — reads a stored run into the flat arrays of
 * report_stats_int.h: cases with their metadata (tags, severity, expect,
 * cluster, variant_group), one array of results per candidate (provider ×
 * prompt), named metrics, assertion failure counts, and — when the suite
 * asks for them — the confidence and predicted label extracted from each
 * output and whether the output is a refusal.
 *
 * Extraction happens here, once per result, so the statistics that follow
 * are pure arithmetic on arrays.  The suite's `calibration`,
 * `classification` and `decision` blocks come typed from the suite
 * (suite_stats_parse on the stored sanitized suite JSON, which the loader
 * validated when the run began). */
#include "report_stats_int.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <math.h>
#include <pcre2.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "../score/score.h"
#include "../suite/template.h"
#include "../util/xalloc.h"

static int db_err(struct err *err, sqlite3 *db, const char *what)
{
	return err_set(err, ST_DB, "%s: %s", what, sqlite3_errmsg(db));
}

static double col_num(sqlite3_stmt *q, int i)
{
	return sqlite3_column_type(q, i) == SQLITE_NULL
		? NAN : sqlite3_column_double(q, i);
}

static json_t *col_json(sqlite3_stmt *q, int i)
{
	const char *t = (const char *)sqlite3_column_text(q, i);
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
	sqlite3 *db;
	json_t *suite;
	const char *expected_tmpl;
	struct suite_stats cfg;	/* the suite's statistics blocks */
	struct extractor conf_x, pred_x;
	json_t **vars;		/* per case, kept only when extracting */
	int other_class;	/* id of "(other)", -1 until needed */
};

static int load_run(struct load_ctx *l, struct err *err)
{
	sqlite3_stmt *q = NULL;
	int rc = 0;
	if (sqlite3_prepare_v2(l->db, "SELECT suite_json, repeat FROM runs "
			       "WHERE id = ?1", -1, &q, NULL) != SQLITE_OK)
		return db_err(err, l->db, "reading the run");
	sqlite3_bind_int64(q, 1, l->r->id);
	if (sqlite3_step(q) != SQLITE_ROW) {
		rc = err_set(err, ST_DB, "no run %lld in the store",
			     (long long)l->r->id);
	} else {
		l->suite = col_json(q, 0);
		l->r->repeat = sqlite3_column_int(q, 1);
	}
	sqlite3_finalize(q);
	return rc;
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

static int load_cases(struct load_ctx *l, struct err *err)
{
	struct rs_run *r = l->r;
	sqlite3_stmt *q = NULL;
	json_t *clusters = json_object(), *variants = json_object();
	size_t cap = 0;
	long next_cluster = 0;
	int step, rc = 0;
	bool keep_vars = (r->has_conf && !r->conf_logprobs) || r->has_class;

	if (sqlite3_prepare_v2(l->db, "SELECT idx, description, vars_json, "
			       "metadata_json FROM cases WHERE run_id = ?1 "
			       "ORDER BY idx", -1, &q, NULL) != SQLITE_OK) {
		rc = db_err(err, l->db, "reading cases");
		goto out;
	}
	sqlite3_bind_int64(q, 1, r->id);
	while ((step = sqlite3_step(q)) == SQLITE_ROW) {
		size_t idx = (size_t)sqlite3_column_int64(q, 0);
		const char *d = (const char *)sqlite3_column_text(q, 1);
		json_t *vars = NULL, *meta = col_json(q, 3), *v, *tag;
		struct rs_case *c;
		size_t i;
		if (idx >= 10000000)
			continue;
		if (idx >= r->ncases) {
			r->cases = xgrow(r->cases, &cap, idx + 1,
					 sizeof *r->cases);
			l->vars = xrealloc(l->vars, cap * sizeof *l->vars);
			for (i = r->ncases; i <= idx; i++) {
				memset(&r->cases[i], 0, sizeof r->cases[i]);
				r->cases[i].sev = 1;
				r->cases[i].cluster = -1;
				r->cases[i].variant = -1;
				r->cases[i].gold = -1;
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
			json_t *id = json_object_get(clusters, key);
			if (!id) {
				id = json_integer(next_cluster++);
				json_object_set_new(clusters, key, id);
			}
			c->cluster = (long)json_integer_value(id);
			r->has_clusters = true;
			free(key);
		}
		if ((v = json_object_get(meta, "variant_group")) &&
		    !json_is_null(v)) {
			char *key = json_text(v);
			json_t *id = json_object_get(variants, key);
			if (!id) {
				id = json_integer((json_int_t)r->nvariants++);
				json_object_set_new(variants, key, id);
			}
			c->variant = (long)json_integer_value(id);
			free(key);
		}
		if (keep_vars)
			vars = col_json(q, 2);
		if (r->has_class && l->expected_tmpl) {
			struct err e = {0};
			char *g = tmpl_render(l->expected_tmpl, vars, 0, NULL,
					      &e);
			if (g && *norm_label(g))
				c->gold = rs_intern(&r->classes, &r->nclasses,
						    g);
			free(g);
		}
		l->vars[idx] = vars;
		json_decref(meta);
	}
	if (step != SQLITE_DONE)
		rc = db_err(err, l->db, "reading cases");
	/* A case without a cluster is its own cluster. */
	for (size_t i = 0; i < r->ncases; i++)
		if (r->cases[i].cluster < 0)
			r->cases[i].cluster = next_cluster++;
	r->nclusters = (size_t)next_cluster;
out:
	sqlite3_finalize(q);
	json_decref(clusters);
	json_decref(variants);
	return rc;
}

static int load_cands(struct load_ctx *l, struct err *err)
{
	struct rs_run *r = l->r;
	sqlite3_stmt *q = NULL;
	size_t cap = 0;
	int step, rc = 0, nprompts = 0;

	if (sqlite3_prepare_v2(l->db, "SELECT count(*) FROM run_prompts "
			       "WHERE run_id = ?1", -1, &q, NULL) != SQLITE_OK)
		return db_err(err, l->db, "reading prompts");
	sqlite3_bind_int64(q, 1, r->id);
	if (sqlite3_step(q) == SQLITE_ROW)
		nprompts = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	if (sqlite3_prepare_v2(l->db,
			       "SELECT pv.idx, pr.idx, pv.provider_id, pv.label,"
			       " pr.label FROM run_providers pv JOIN run_prompts"
			       " pr ON pr.run_id = pv.run_id WHERE pv.run_id ="
			       " ?1 ORDER BY pv.idx, pr.idx", -1, &q,
			       NULL) != SQLITE_OK)
		return db_err(err, l->db, "reading providers");
	sqlite3_bind_int64(q, 1, r->id);
	while ((step = sqlite3_step(q)) == SQLITE_ROW) {
		struct rs_cand *c;
		const char *pid = (const char *)sqlite3_column_text(q, 2);
		const char *pl = (const char *)sqlite3_column_text(q, 3);
		const char *prl = (const char *)sqlite3_column_text(q, 4);
		r->cands = xgrow(r->cands, &cap, r->ncands + 1,
				 sizeof *r->cands);
		c = &r->cands[r->ncands++];
		memset(c, 0, sizeof *c);
		c->prov = sqlite3_column_int(q, 0);
		c->prompt = sqlite3_column_int(q, 1);
		c->provider_id = xstrdup(pid ? pid : "");
		c->prompt_label = xstrdup(prl ? prl : "");
		if (nprompts > 1)
			c->label = xasprintf("%s / %.40s", pl ? pl : "",
					     prl ? prl : "");
		else
			c->label = xstrdup(pl ? pl : "");
	}
	if (step != SQLITE_DONE)
		rc = db_err(err, l->db, "reading providers");
	sqlite3_finalize(q);
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

static void grow_items(struct rs_cand *c)
{
	size_t old = c->cap;
	if (c->n < c->cap)
		return;
	c->it = xgrow(c->it, &c->cap, c->n + 1, sizeof *c->it);
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
	const json_t *vars = it->c < r->ncases ? l->vars[it->c] : NULL;
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

static const char *const results_sql =
	"SELECT provider_idx, prompt_idx, case_idx, repeat, pass, score,"
	/* 0 no error, 1 infrastructure error, 2 grading error (the engine
	 * records "grading failed: ..." for assay's grader or a judge) */
	" CASE WHEN error_kind IS NULL THEN 0"
	"  WHEN error_msg LIKE 'grading failed:%' THEN 2 ELSE 1 END,"
	" latency_ms, ttft_ms, prompt_tokens,"
	" completion_tokens, cost_usd, retries, cached, named_scores_json,"
	" CASE WHEN ?2 THEN output END, judge_cost_usd, confidence,"
	/* with assertion severities (?3): of a failed result's failing
	 * assertions, the highest severity and how many have none */
	" CASE WHEN ?3 AND pass = 0 THEN (SELECT max(severity) FROM"
	"  assertion_results WHERE result_id = results.id AND pass = 0) END,"
	" CASE WHEN ?3 AND pass = 0 THEN (SELECT count(*) FROM"
	"  assertion_results WHERE result_id = results.id AND pass = 0 AND"
	"  severity IS NULL) END"
	" FROM results WHERE run_id = ?1"
	" ORDER BY provider_idx, prompt_idx, case_idx, repeat";

/* Whether any assertion of the run carries a severity. */
static int any_assert_severity(struct load_ctx *l, struct err *err)
{
	sqlite3_stmt *q = NULL;
	if (sqlite3_prepare_v2(l->db, "SELECT EXISTS (SELECT 1 FROM results r"
			       " JOIN assertion_results a ON a.result_id ="
			       " r.id WHERE r.run_id = ?1 AND a.severity IS"
			       " NOT NULL)", -1, &q, NULL) != SQLITE_OK)
		return db_err(err, l->db, "reading assertions");
	sqlite3_bind_int64(q, 1, l->r->id);
	l->r->has_asev = sqlite3_step(q) == SQLITE_ROW &&
			 sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	return 0;
}

static int load_results(struct load_ctx *l, struct err *err)
{
	struct rs_run *r = l->r;
	sqlite3_stmt *q = NULL;
	struct rs_cand *c = NULL;
	int step, rc = 0;
	bool need_out = (r->has_conf && !r->conf_logprobs) || r->has_class ||
			r->has_refusal;

	if ((rc = any_assert_severity(l, err)))
		return rc;
	if (sqlite3_prepare_v2(l->db, results_sql, -1, &q, NULL) != SQLITE_OK)
		return db_err(err, l->db, "reading results");
	sqlite3_bind_int64(q, 1, r->id);
	sqlite3_bind_int(q, 2, need_out);
	sqlite3_bind_int(q, 3, r->has_asev);
	while ((step = sqlite3_step(q)) == SQLITE_ROW) {
		int prov = sqlite3_column_int(q, 0), pr = sqlite3_column_int(q, 1);
		struct rs_item *it;
		if (!c || c->prov != prov || c->prompt != pr)
			c = find_cand(r, prov, pr);
		if (!c)
			continue;
		grow_items(c);
		it = &c->it[c->n];
		memset(it, 0, sizeof *it);
		it->c = (uint32_t)sqlite3_column_int64(q, 2);
		it->rep = sqlite3_column_int(q, 3);
		it->refused = -1;
		it->pred = -1;
		it->conf = NAN;
		if (sqlite3_column_int(q, 6) == 2)
			it->pass = RS_GRADE_ERROR;
		else if (sqlite3_column_int(q, 6))
			it->pass = RS_ERROR;
		else if (sqlite3_column_type(q, 4) == SQLITE_NULL)
			it->pass = RS_UNGRADED;
		else
			it->pass = sqlite3_column_int(q, 4) ? 1 : 0;
		it->score = it->pass >= 0 ? col_num(q, 5) : NAN;
		if (it->pass >= 0 && isnan(it->score))
			it->score = it->pass;
		it->lat = col_num(q, 7);
		it->ttft = col_num(q, 8);
		it->ptok = sqlite3_column_type(q, 9) == SQLITE_NULL
			? -1 : sqlite3_column_int64(q, 9);
		it->ctok = sqlite3_column_type(q, 10) == SQLITE_NULL
			? -1 : sqlite3_column_int64(q, 10);
		it->cost = col_num(q, 11);
		it->retries = sqlite3_column_int(q, 12);
		it->cached = (int8_t)sqlite3_column_int(q, 13);
		it->judge_cost = sqlite3_column_double(q, 16);
		if (r->conf_logprobs && it->pass >= 0) {
			double p = col_num(q, 17);
			it->conf = p >= 0 && p <= 1 ? p : NAN;
		}
		if (it->pass == 0 && sqlite3_column_type(q, 18) != SQLITE_NULL) {
			/* failing assertions without a severity count as
			 * the case's weight */
			double w = sqlite3_column_double(q, 18);
			if (sqlite3_column_int(q, 19) > 0 && it->c < r->ncases)
				w = fmax(w, r->cases[it->c].sev);
			it->has_asev = 1;
			it->asev = w;
		}
		if (it->pass >= 0 && sqlite3_column_type(q, 14) != SQLITE_NULL) {
			json_t *named = col_json(q, 14);
			add_metrics(c, c->n, named);
			json_decref(named);
		}
		if (need_out && it->pass != RS_ERROR &&
		    sqlite3_column_type(q, 15) != SQLITE_NULL)
			extract(l, it, (const char *)sqlite3_column_text(q, 15),
				(size_t)sqlite3_column_bytes(q, 15));
		c->n++;
	}
	if (step != SQLITE_DONE)
		rc = db_err(err, l->db, "reading results");
	sqlite3_finalize(q);
	return rc;
}

static int load_afails(struct load_ctx *l, struct err *err)
{
	struct rs_run *r = l->r;
	sqlite3_stmt *q = NULL;
	int step, rc = 0;
	if (sqlite3_prepare_v2(l->db,
			       "SELECT r.provider_idx, r.prompt_idx, a.type,"
			       " a.metric, sum(a.pass = 0), count(*)"
			       " FROM assertion_results a JOIN results r"
			       " ON r.id = a.result_id WHERE r.run_id = ?1"
			       " GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 5 DESC",
			       -1, &q, NULL) != SQLITE_OK)
		return db_err(err, l->db, "reading assertions");
	sqlite3_bind_int64(q, 1, r->id);
	while ((step = sqlite3_step(q)) == SQLITE_ROW) {
		struct rs_cand *c = find_cand(r, sqlite3_column_int(q, 0),
					      sqlite3_column_int(q, 1));
		const char *type = (const char *)sqlite3_column_text(q, 2);
		const char *metric = (const char *)sqlite3_column_text(q, 3);
		struct rs_afail *a;
		if (!c)
			continue;
		c->af = xrealloc(c->af, (c->naf + 1) * sizeof *c->af);
		a = &c->af[c->naf++];
		a->name = metric ? xasprintf("%s (%s)", type ? type : "?",
					     metric)
				 : xstrdup(type ? type : "?");
		a->fails = sqlite3_column_int64(q, 4);
		a->total = sqlite3_column_int64(q, 5);
	}
	if (step != SQLITE_DONE)
		rc = db_err(err, l->db, "reading assertions");
	sqlite3_finalize(q);
	return rc;
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
	l.db = (sqlite3 *)store_db(st);
	if (!l.db)
		return err_set(err, ST_INTERNAL, "stats: no store");
	if ((rc = store_commit(st, err)))
		return rc;
	rc = load_run(&l, err);
	if (!rc) {
		load_config(&l);
		rc = load_cases(&l, err);
	}
	if (!rc)
		rc = load_cands(&l, err);
	if (!rc)
		rc = load_results(&l, err);
	if (!rc)
		rc = load_afails(&l, err);
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
