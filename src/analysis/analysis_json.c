/* analysis_json.c — the one place the statistics become JSON: a struct
 * run_stats written as the `stats` object of docs/statistics.md (what
 * `assay stats --json`, the .json export, the HTML report and the web
 * app read).  A figure that does not exist (NaN, or an unbounded end) is
 * null; keys appear in a fixed order. */
#include "analysis_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static json_t *num(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *interval(double est, double lo, double hi)
{
	json_t *o = json_object();
	json_object_set_new(o, "est", num(est));
	json_object_set_new(o, "lo", num(lo));
	json_object_set_new(o, "hi", num(hi));
	return o;
}

/* Sets key to v unless v is NULL (json_real of a NaN): no key then. */
static void set(json_t *o, const char *key, json_t *v)
{
	if (v)
		json_object_set_new(o, key, v);
}

static json_t *rate(const struct rs_rate *r)
{
	json_t *o = interval(r->est, r->lo, r->hi);
	json_object_set_new(o, "k", json_integer(r->k));
	json_object_set_new(o, "n", json_integer(r->n));
	if (r->kind == RS_RATE_DEFF) {
		set(o, "deff", json_real(r->deff));
	} else if (r->kind == RS_RATE_DESIGN) {
		json_object_set_new(o, "units", json_integer(r->units));
		json_object_set_new(o, "deff", num(r->deff));
		json_object_set_new(o, "method", json_string(
			"wilson, design-adjusted"));
	}
	return o;
}

static json_t *pass_rate(const struct rs_pass_ci *p)
{
	json_t *pr = interval(p->ci.est, p->ci.lo, p->ci.hi);
	json_object_set_new(pr, "k", json_integer(p->k));
	json_object_set_new(pr, "n", json_integer(p->n));
	json_object_set_new(pr, "method", json_string(rs_pass_method(p)));
	if (p->design) {
		json_object_set_new(pr, "clusters",
				    json_integer((json_int_t)p->ci.d.clusters));
		json_object_set_new(pr, "icc", num(p->ci.d.icc));
		json_object_set_new(pr, "deff", num(p->ci.d.deff));
		json_object_set_new(pr, "n_eff", num(p->ci.d.n_eff));
		json_object_set_new(pr, "cr1_se", num(p->cr1_se));
	}
	return pr;
}

static json_t *mean(const struct rs_mean *m)
{
	static const char *const method[] = {
		[RS_MEAN_UNIT] = "wilson on the mean of [0, 1] values",
		[RS_MEAN_UNIT_DESIGN] = "wilson on the mean of [0, 1] values, design-adjusted",
		[RS_MEAN_BOOT] = "percentile bootstrap",
		[RS_MEAN_SMALL] = "none: n too small for an interval",
	};
	json_t *j;
	if (m->kind == RS_MEAN_NONE)
		return NULL;
	j = interval(m->est, m->lo, m->hi);
	json_object_set_new(j, "n", json_integer(m->n));
	if (m->kind == RS_MEAN_BOOT) {
		json_object_set_new(j, "se", num(m->se));
		json_object_set_new(j, "resamples", json_integer(m->resamples));
	}
	json_object_set_new(j, "method", json_string(method[m->kind]));
	return j;
}

static json_t *repeats(const struct run_stats *s, const struct rs_repeats *v)
{
	json_t *o = json_object(), *pk = json_object(), *ph = json_object();
	json_t *fl = json_array();
	if (!v->present) {
		json_decref(o);
		json_decref(pk);
		json_decref(ph);
		json_decref(fl);
		return json_null();
	}
	for (int k = 1; k <= v->kmin; k++) {
		char key[16];
		snprintf(key, sizeof key, "%d", k);
		json_object_set_new(pk, key, num(v->pass_at_k[k - 1]));
		json_object_set_new(ph, key, num(v->pass_hat_k[k - 1]));
	}
	for (size_t i = 0; i < v->nflakiest; i++) {
		const struct rs_flaky *f = &v->flakiest[i];
		json_array_append_new(fl, json_pack(
			"{s:I, s:s?, s:I, s:I, s:o}", "case", (json_int_t)f->c,
			"description", s->run->cases[f->c].desc, "passes",
			(json_int_t)f->passes, "attempts",
			(json_int_t)f->attempts, "pass_share", num(f->share)));
	}
	json_object_set_new(o, "k_min", json_integer(v->kmin));
	json_object_set_new(o, "k_max", json_integer(v->kmax));
	json_object_set_new(o, "cases_repeated", json_integer(v->cases_repeated));
	json_object_set_new(o, "flaky_cases", json_integer(v->flaky_cases));
	json_object_set_new(o, "flaky_rate", num(v->flaky_rate));
	json_object_set_new(o, "pass_at_k", pk);
	json_object_set_new(o, "pass_hat_k", ph);
	json_object_set_new(o, "flakiest", fl);
	return o;
}

static json_t *percentiles(const struct rs_pctl *p)
{
	json_t *j = json_object();
	json_object_set_new(j, "n", json_integer(p->n));
	if (!p->n)
		return j;
	json_object_set_new(j, "p50", num(p->p50));
	json_object_set_new(j, "p90", num(p->p90));
	json_object_set_new(j, "p95", num(p->p95));
	json_object_set_new(j, "p99", num(p->p99));
	json_object_set_new(j, "max", num(p->max));
	if (p->ci) {
		json_object_set_new(j, "p95_lo", num(p->p95_lo));
		json_object_set_new(j, "p95_hi", num(p->p95_hi));
		if (isinf(p->p95_hi))
			json_object_set_new(j, "p95_hi_unbounded", json_true());
		json_object_set_new(j, "p95_method", json_string(
			"order statistics (distribution-free)"));
	}
	if (p->n < 20)
		json_object_set_new(j, "note", json_string(
			"fewer than 20 samples: p95 and above are the largest "
			"values seen, not a reliable tail estimate"));
	return j;
}

static json_t *latency(const struct rs_latency *l)
{
	json_t *j = percentiles(&l->lat);
	json_object_set_new(j, "cached", json_integer(l->cached));
	json_object_set_new(j, "ttft", l->ttft.n ? percentiles(&l->ttft)
						 : json_null());
	json_object_set_new(j, "tokens_per_s", num(l->tps));
	json_object_set_new(j, "gen_tokens_per_s", num(l->gen_tps));
	return j;
}

static json_t *cost(const struct rs_cost *k)
{
	json_t *j = json_object();
	set(j, "cached_usd", json_real(k->cached_usd));
	set(j, "spent_usd", json_real(k->spent_usd));
	json_object_set_new(j, "known", json_integer(k->known));
	json_object_set_new(j, "retries", json_integer(k->retries));
	if (!k->known) {
		json_object_set_new(j, "total_usd", json_null());
		json_object_set_new(j, "per_query", json_null());
		json_object_set_new(j, "per_1k", json_null());
		json_object_set_new(j, "per_success", json_null());
	} else {
		set(j, "total_usd", json_real(k->total));
		set(j, "per_query", json_real(k->per_query));
		set(j, "per_1k", json_real(k->per_1k));
		json_object_set_new(j, "per_success", num(k->per_success));
		if (k->has_ci) {
			json_object_set_new(j, "per_query_lo", num(k->pq_lo));
			json_object_set_new(j, "per_query_hi", num(k->pq_hi));
			json_object_set_new(j, "per_1k_lo", num(1000 * k->pq_lo));
			json_object_set_new(j, "per_1k_hi", num(1000 * k->pq_hi));
		}
	}
	/* What judges cost to grade this candidate: never in its own cost. */
	set(j, "judge_usd", json_real(k->judge_usd));
	return j;
}

static json_t *bins(const struct stats_bin *b, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_pack(
			"{s:o, s:o, s:o, s:o, s:I}", "lo", num(b[i].lo), "hi",
			num(b[i].hi), "conf", num(b[i].conf), "acc",
			num(b[i].acc), "count", (json_int_t)b[i].count));
	return a;
}

static json_t *calibration(const struct run_stats *s, const struct rs_calib *k)
{
	json_t *j = json_object(), *sel;
	if (s->run->conf_source)	/* "logprobs", "jq:…" or "regex:…" */
		json_object_set_new(j, "source",
				    json_string(s->run->conf_source));
	json_object_set_new(j, "n", json_integer(k->n));
	json_object_set_new(j, "without_confidence", json_integer(k->without));
	if (k->n) {
		set(j, "mean_confidence", json_real(k->mean_conf));
		set(j, "accuracy", json_real(k->accuracy));
		set(j, "overconfidence", json_real(k->overconf));
		json_object_set_new(j, "ece_mass", num(k->ece_mass));
		json_object_set_new(j, "ece_width", num(k->ece_width));
		json_object_set_new(j, "brier", num(k->brier));
		if (k->has_rel)
			json_object_set_new(j, "reliability", bins(k->rel, 10));
		if (k->has_rel_mass)
			json_object_set_new(j, "reliability_mass",
					    bins(k->rel_mass, 10));
		sel = json_object();
		if (k->has_sel) {
			json_object_set_new(sel, "50", num(k->sel[0]));
			json_object_set_new(sel, "80", num(k->sel[1]));
			json_object_set_new(sel, "90", num(k->sel[2]));
		}
		json_object_set_new(j, "selective_accuracy", sel);
	}
	if (k->n < 300)
		json_object_set_new(j, "note", json_string(
			"fewer than 300 cases with a confidence: ECE is noisy "
			"(HELM reports it from 300 up)"));
	return j;
}

static json_t *refusals(const struct rs_refusals *r)
{
	json_t *j = json_object();
	json_object_set_new(j, "over_refusal", rate(&r->over));
	json_object_set_new(j, "under_refusal", rate(&r->under));
	json_object_set_new(j, "detector", json_string("is-refusal"));
	return j;
}

static json_t *failure_modes(const struct run_stats *s,
			     const struct rs_cand_stats *c)
{
	const struct rs_failmodes *m = &c->fm;
	json_t *j = json_object(), *tags = json_array(), *as = json_array();
	json_t *sys = json_array();
	for (size_t t = 0; t < m->ntags; t++) {
		const struct rs_tag_rate *w = &m->tags[t];
		json_t *o = rate(&w->r);
		json_object_set_new(o, "tag", json_string(s->run->tags[w->tag]));
		set(o, "fail_rate", json_real(w->fail_rate));
		json_object_set_new(o, "p_raw", num(w->p_raw));
		set(o, "p_worse", json_real(w->p_worse));
		if (w->systematic) {
			json_object_set_new(o, "systematic", json_true());
			json_array_append_new(sys, json_pack(
				"{s:s, s:f, s:f, s:f}", "tag",
				s->run->tags[w->tag], "fail_rate", w->fail_rate,
				"overall_fail_rate", m->fail_rate, "p",
				w->p_worse));
		}
		json_array_append_new(tags, o);
	}
	for (size_t a = 0; a < m->nassert; a++) {
		const struct rs_afail *f = &c->c->af[a];
		json_array_append_new(as, json_pack(
			"{s:s, s:I, s:I, s:f}", "assertion", f->name, "fails",
			(json_int_t)f->fails, "total", (json_int_t)f->total,
			"fail_rate", (double)f->fails / (double)f->total));
	}
	json_object_set_new(j, "fail_rate", num(m->fail_rate));
	json_object_set_new(j, "deff", num(m->deff));
	json_object_set_new(j, "by_tag", tags);
	json_object_set_new(j, "systematic", sys);
	json_object_set_new(j, "assertions", as);
	if (m->has_sev) {
		json_object_set_new(j, "severity_weighted", num(m->sev_weighted));
		json_object_set_new(j, "critical_failures",
				    json_integer(m->critical));
	}
	return j;
}

static json_t *robustness(const struct run_stats *s, const struct rs_robust *r)
{
	json_t *j = json_object();
	json_object_set_new(j, "groups", json_integer(r->groups));
	json_object_set_new(j, "consistency", rate(&r->consistency));
	json_object_set_new(j, "worst_case_pass", rate(&r->worst));
	json_object_set_new(j, "mean_pass", num(r->mean_pass));
	if (s->nperturbs) {
		json_t *fl = json_array();
		for (size_t q = 0; q < r->nflips; q++) {
			const struct rs_flip *f = &r->flips[q];
			json_t *e = json_object(), *dr;
			json_object_set_new(e, "perturbation",
					    json_string(s->perturbs[f->kind]));
			json_object_set_new(e, "n", json_integer(f->n));
			json_object_set_new(e, "flips", json_integer(f->flips));
			json_object_set_new(e, "to_fail", json_integer(f->to_fail));
			json_object_set_new(e, "to_pass", json_integer(f->to_pass));
			json_object_set_new(e, "est", num(f->est));
			json_object_set_new(e, "lo", num(f->lo));
			json_object_set_new(e, "hi", num(f->hi));
			json_object_set_new(e, "method", json_string(f->design
				? "wilson, design-adjusted (unit: variant group, "
				  "or cluster)" : "wilson"));
			if (f->design)
				json_object_set_new(e, "deff", num(f->deff));
			dr = interval(f->drop, f->drop_lo, f->drop_hi);
			json_object_set_new(dr, "method", json_string(
				"newcombe paired (original - perturbed pass "
				"rate)"));
			json_object_set_new(e, "pass_drop", dr);
			json_array_append_new(fl, e);
		}
		json_object_set_new(j, "flip_rates", fl);
	}
	return j;
}

static json_t *classification(const struct run_stats *s,
			      const struct rs_classif *k)
{
	json_t *j = json_object(), *mat = json_array(), *per = json_array();
	json_t *conf = json_array(), *cl = json_array();
	char *const *names = s->run->classes;
	json_object_set_new(j, "n", json_integer(k->n));
	for (size_t a = 0; a < k->k; a++)
		json_array_append_new(cl, json_string(names[a]));
	json_object_set_new(j, "classes", cl);
	for (size_t a = 0; a < k->k; a++) {
		json_t *row = json_array();
		for (size_t b = 0; b < k->k; b++)
			json_array_append_new(row, json_integer(
				k->matrix[a * k->k + b]));
		json_array_append_new(mat, row);
	}
	for (size_t i = 0; i < k->nper; i++) {
		const struct rs_class_row *r = &k->per[i];
		json_t *pc = json_object();
		json_object_set_new(pc, "class", json_string(names[r->cls]));
		json_object_set_new(pc, "support", json_integer(r->support));
		json_object_set_new(pc, "precision", rate(&r->precision));
		json_object_set_new(pc, "recall", rate(&r->recall));
		json_object_set_new(pc, "f1", interval(r->f1, r->f1_lo, r->f1_hi));
		json_array_append_new(per, pc);
	}
	json_object_set_new(j, "matrix", mat);
	json_object_set_new(j, "per_class", per);
	json_object_set_new(j, "accuracy", rate(&k->accuracy));
	json_object_set_new(j, "macro_f1", num(k->macro_f1));
	for (size_t i = 0; i < k->nconf; i++) {
		const struct rs_confusion *e = &k->conf[i];
		json_array_append_new(conf, json_pack(
			"{s:s, s:s, s:I, s:f, s:I}", "expected", names[e->exp],
			"predicted", names[e->pred], "count",
			(json_int_t)e->count, "share_of_expected", e->share,
			"reverse", (json_int_t)e->reverse));
	}
	json_object_set_new(j, "confusions", conf);
	if (k->has_cost) {
		json_t *ec = interval(k->ec_est, k->ec_lo, k->ec_hi);
		set(ec, "total", json_real(k->ec_total));
		json_object_set_new(j, "expected_cost", ec);
	}
	return j;
}

static json_t *candidate(const struct run_stats *s,
			 const struct rs_cand_stats *c)
{
	json_t *j = json_object(), *m = json_object();
	const struct rs_cand *rc = c->c;
	json_object_set_new(j, "label", json_string(rc->label));
	json_object_set_new(j, "provider", json_string(rc->provider_id));
	json_object_set_new(j, "prompt", json_string(rc->prompt_label));
	json_object_set_new(j, "results", json_integer(c->results));
	json_object_set_new(j, "graded", json_integer(c->graded));
	json_object_set_new(j, "passes", json_integer(c->passes));
	json_object_set_new(j, "fails", json_integer(c->fails));
	json_object_set_new(j, "errors", json_integer(c->errors));
	json_object_set_new(j, "ungraded", json_integer(c->ungraded));
	json_object_set_new(j, "grading_errors", json_integer(c->gerrors));
	json_object_set_new(j, "error_rate", num(c->error_ci.est));
	json_object_set_new(j, "error_rate_ci", rate(&c->error_ci));
	json_object_set_new(j, "pass_rate", pass_rate(&c->pass));
	set(j, "score", mean(&c->score));
	for (size_t k = 0; k < rc->nm; k++)
		set(m, rc->m[k].name, mean(&c->metrics[k]));
	json_object_set_new(j, "metrics", m);
	json_object_set_new(j, "repeats", repeats(s, &c->rep));
	json_object_set_new(j, "latency", latency(&c->lat));
	json_object_set_new(j, "cost", cost(&c->cost));
	if (c->cal.present)
		json_object_set_new(j, "calibration", calibration(s, &c->cal));
	if (c->ref.present)
		json_object_set_new(j, "refusals", refusals(&c->ref));
	json_object_set_new(j, "failure_modes", failure_modes(s, c));
	if (c->rob.present)
		json_object_set_new(j, "robustness", robustness(s, &c->rob));
	if (c->cls.present)
		json_object_set_new(j, "classification",
				    classification(s, &c->cls));
	if (c->has_group)
		json_object_set_new(j, "group", json_string(c->group));
	return j;
}

static json_t *pair(const struct run_stats *s, const struct rs_pair_stats *p)
{
	json_t *j = json_object(), *diff;
	json_object_set_new(j, "a", json_string(s->run->cands[p->a].label));
	json_object_set_new(j, "b", json_string(s->run->cands[p->b].label));
	json_object_set_new(j, "n", json_integer(p->n));
	if (!p->n) {
		json_object_set_new(j, "test", json_string(p->test));
		json_object_set_new(j, "diff", json_null());
		json_object_set_new(j, "p", json_null());
		json_object_set_new(j, "a_only", json_integer(0));
		json_object_set_new(j, "b_only", json_integer(0));
		json_object_set_new(j, "score_diff", json_null());
		json_object_set_new(j, "p_holm", json_null());
		json_object_set_new(j, "significant", json_false());
		return j;
	}
	json_object_set_new(j, "test", json_string(p->test));
	json_object_set_new(j, "a_only", json_integer(p->a_only));
	json_object_set_new(j, "b_only", json_integer(p->b_only));
	if (p->clustered) {
		json_object_set_new(j, "p_unclustered", num(p->p_unclustered));
		json_object_set_new(j, "clusters", json_integer(p->clusters));
		if (p->cluster_ok) {
			json_object_set_new(j, "p_cr1_t", num(p->p_cr1_t));
			json_object_set_new(j, "cr1_se", num(p->cr1_se));
		}
	}
	diff = interval(p->est, p->lo, p->hi);
	json_object_set_new(diff, "method", json_string(p->diff_method));
	json_object_set_new(j, "diff", diff);
	json_object_set_new(j, "p", num(p->p));
	if (p->has_score) {
		json_t *sd = interval(p->sd_est, p->sd_lo, p->sd_hi);
		json_object_set_new(sd, "p", num(p->sd_p));
		json_object_set_new(sd, "method", json_string(
			"paired bootstrap (percentile), sign-flip test"));
		json_object_set_new(sd, "p_holm", num(p->sd_p_holm));
		json_object_set_new(j, "score_diff", sd);
	} else {
		json_object_set_new(j, "score_diff", json_null());
	}
	json_object_set_new(j, "discordance", num(p->discordance));
	json_object_set_new(j, "mdd_deff", num(p->mdd_deff));
	json_object_set_new(j, "mdd", num(p->mdd));
	json_object_set_new(j, "cases_for_mdd", p->cases_for_mdd >= 0
			    ? json_integer(p->cases_for_mdd) : json_null());
	json_object_set_new(j, "p_holm", num(p->p_holm));
	json_object_set_new(j, "significant", json_boolean(p->significant));
	return j;
}

/* Attack success per probe pack between candidates (analysis_probe.c). */
static json_t *asr_pairs(const struct run_stats *s)
{
	const struct rs_comparisons *m = &s->cmp;
	json_t *arr = json_array();
	for (size_t i = 0; i < m->nasr; i++) {
		const struct rs_asr_pair *e = &m->asr[i];
		const char *tag = s->run->tags[e->tag];
		json_t *o = json_object(), *diff;
		json_object_set_new(o, "pack", json_string(tag + strlen("probe:")));
		json_object_set_new(o, "tag", json_string(tag));
		json_object_set_new(o, "a", json_string(s->run->cands[e->a].label));
		json_object_set_new(o, "b", json_string(s->run->cands[e->b].label));
		json_object_set_new(o, "n", json_integer(e->n));
		json_object_set_new(o, "asr_a", num(e->asr_a));
		json_object_set_new(o, "asr_b", num(e->asr_b));
		json_object_set_new(o, "a_only", json_integer(e->a_only));
		json_object_set_new(o, "b_only", json_integer(e->b_only));
		diff = interval(e->est, e->lo, e->hi);
		json_object_set_new(diff, "method", json_string(e->method));
		json_object_set_new(o, "diff", diff);
		json_object_set_new(o, "test", json_string(e->test));
		if (e->clustered)
			json_object_set_new(o, "clusters",
					    json_integer(e->clusters));
		json_object_set_new(o, "p", num(e->p));
		json_object_set_new(o, "p_holm", num(e->p_holm));
		json_object_set_new(o, "significant",
				    json_boolean(e->significant));
		json_object_set_new(o, "more_attacked", e->more_attacked >= 0
			? json_string(s->run->cands[e->more_attacked].label)
			: json_null());
		json_array_append_new(arr, o);
	}
	return arr;
}

static json_t *comparisons(const struct run_stats *s)
{
	const struct rs_comparisons *m = &s->cmp;
	json_t *j = json_object(), *pairs = json_array(), *mdd = json_object();
	for (size_t i = 0; i < m->npairs; i++)
		json_array_append_new(pairs, pair(s, &m->pairs[i]));
	json_object_set_new(j, "pairs", pairs);
	if (m->ngroups) {
		json_t *tied = json_array(), *ord = json_array();
		for (size_t i = 0; i < m->norder; i++)
			json_array_append_new(ord, json_integer(
				(json_int_t)m->order[i]));
		for (size_t g = 0; g < m->ngroups; g++) {
			json_t *grp = json_array();
			for (size_t i = 0; i < m->ntied[g]; i++)
				json_array_append_new(grp, json_string(
					s->run->cands[m->tied[g][i]].label));
			json_array_append_new(tied, grp);
		}
		json_object_set_new(j, "tied_groups", tied);
		json_object_set_new(j, "order", ord);
	}
	json_object_set_new(mdd, "power", json_real(0.8));
	json_object_set_new(mdd, "alpha", json_real(0.05));
	json_object_set_new(mdd, "cases", json_integer(m->cases));
	json_object_set_new(mdd, "target", json_real(m->target));
	if (m->has_paired) {
		set(mdd, "discordance", json_real(m->discordance));
		set(mdd, "deff", json_real(m->deff));
		json_object_set_new(mdd, "paired", num(m->paired));
		json_object_set_new(mdd, "cases_for_target_paired",
				    m->for_target_paired >= 0
				    ? json_integer(m->for_target_paired)
				    : json_null());
	}
	if (m->has_unpaired) {
		json_object_set_new(mdd, "unpaired", num(m->unpaired));
		json_object_set_new(mdd, "cases_for_target_unpaired",
				    m->for_target_unpaired >= 0
				    ? json_integer(m->for_target_unpaired)
				    : json_null());
	}
	json_object_set_new(j, "mdd", mdd);
	if (m->nrobust) {
		json_t *rb = json_array();
		for (size_t i = 0; i < m->nrobust; i++) {
			const struct rs_robust_pair *e = &m->robust[i];
			json_t *o = json_object(), *diff;
			json_object_set_new(o, "a", json_string(
				s->run->cands[e->a].label));
			json_object_set_new(o, "b", json_string(
				s->run->cands[e->b].label));
			json_object_set_new(o, "perturbation",
					    json_string(s->perturbs[e->kind]));
			json_object_set_new(o, "n", json_integer(e->n));
			json_object_set_new(o, "a_only_flips",
					    json_integer(e->a_only));
			json_object_set_new(o, "b_only_flips",
					    json_integer(e->b_only));
			diff = interval(e->est, e->lo, e->hi);
			json_object_set_new(diff, "method", json_string(
				e->clustered
				? "hull of Newcombe paired and mean \u00b1 "
				  "t(G-1) CR1 se" : "newcombe paired"));
			json_object_set_new(o, "flip_diff", diff);
			json_object_set_new(o, "test", json_string(
				e->clustered
				? "cluster-robust (CR1) t test, G-1 df, never "
				  "below McNemar exact" : "mcnemar exact"));
			json_object_set_new(o, "p", num(e->p));
			json_object_set_new(o, "p_holm", num(e->p_holm));
			json_object_set_new(o, "significant",
					    json_boolean(e->significant));
			json_object_set_new(o, "more_robust", e->more_robust >= 0
				? json_string(s->run->cands[e->more_robust].label)
				: json_null());
			json_array_append_new(rb, o);
		}
		json_object_set_new(j, "robustness", rb);
	}
	if (m->nasr)
		json_object_set_new(j, "attack_success", asr_pairs(s));
	return j;
}

#define DAYS_PER_MONTH (365.25 / 12)

json_t *rs_decision_json(const struct rs_decision *d)
{
	static const char *const k_name[RS_K_N] = { "pass_rate", "p95",
						    "cost", "error_rate" };
	json_t *j, *rows, *cons, *nodata, *notes, *pareto;
	if (!d->present)
		return json_null();
	j = json_object();
	rows = json_array();
	cons = json_object();
	nodata = json_array();
	notes = json_array();
	pareto = json_array();
	if (d->d.set) {
		json_object_set_new(cons, "min_pass_rate", num(d->d.min_pass_rate));
		json_object_set_new(cons, "max_p95_ms", num(d->d.max_p95_ms));
		json_object_set_new(cons, "max_cost_per_1k",
				    num(d->d.max_cost_per_1k));
		json_object_set_new(cons, "max_error_rate",
				    num(d->d.max_error_rate));
		if (!isnan(d->d.volume))
			json_object_set_new(cons, "volume", num(d->d.volume));
	}
	json_object_set_new(j, "constraints", cons);
	for (size_t i = 0; i < d->nrows; i++) {
		const struct rs_dec_row *r = &d->rows[i];
		json_t *row = json_object();
		json_object_set_new(row, "label", json_string(d->labels[i]));
		for (int q = 0; q < RS_K_N; q++)
			if (r->v[q])
				json_object_set_new(row, k_name[q],
						    json_string(r->v[q]));
		if (r->has_share)
			set(row, "share_over_p95_limit", json_real(r->share));
		json_object_set_new(row, "meets", json_boolean(r->meets));
		json_object_set_new(row, "clearly", json_boolean(r->clearly));
		json_object_set_new(row, "no_data", json_boolean(r->nodata));
		if (r->nodata)
			json_array_append_new(nodata, json_string(d->labels[i]));
		if (r->has_monthly)
			json_object_set_new(row, "monthly_cost", interval(
				r->mc_est, r->mc_lo, r->mc_hi));
		json_array_append_new(rows, row);
	}
	json_object_set_new(j, "candidates", rows);
	json_object_set_new(j, "no_data", nodata);
	if (d->rec >= 0)
		json_object_set_new(j, "recommended", json_pack(
			"{s:s, s:o, s:o, s:o, s:o, s:o, s:b}", "label",
			d->labels[d->rec], "pass_rate", num(d->rec_pass),
			"pass_lo", num(d->rec_lo), "pass_hi", num(d->rec_hi),
			"p95_ms", num(d->rec_p95), "cost_per_1k",
			num(d->rec_cost), "clearly",
			(int)d->rows[d->rec].clearly));
	else
		json_object_set_new(j, "recommended", json_null());
	for (size_t i = 0; i < d->nnotes; i++)
		json_array_append_new(notes, json_string(d->notes[i]));
	json_object_set_new(j, "statistically_clear", json_boolean(d->clear));
	json_object_set_new(j, "cases_to_settle", d->settle > 0
			    ? json_integer(d->settle) : json_null());
	json_object_set_new(j, "cases_to_settle_power", json_real(0.8));
	json_object_set_new(j, "notes", notes);
	for (size_t i = 0; i < d->npareto; i++)
		json_array_append_new(pareto, json_string(
			d->labels[d->pareto[i]]));
	json_object_set_new(j, "pareto", pareto);
	if (!isnan(d->d.volume))
		json_object_set_new(j, "days_per_month", json_real(DAYS_PER_MONTH));
	if (d->d.set && d->d.has_weights) {
		json_t *rank = json_array();
		for (size_t i = 0; i < d->nw; i++)
			json_array_append_new(rank, json_pack(
				"{s:s, s:o}", "label", d->labels[d->wrank[i]],
				"utility", num(d->wutil[i])));
		json_object_set_new(j, "weighted", rank);
	}
	return j;
}

static json_t *kappa_json(const struct rs_hkappa *k)
{
	json_t *o;
	if (!k->present)
		return json_null();
	o = interval(k->est, k->lo, k->hi);
	json_object_set_new(o, "n", json_integer(k->n));
	json_object_set_new(o, "observed", num(k->observed));
	json_object_set_new(o, "se", num(k->se));
	return o;
}

/* The `human` object (docs/statistics.md, "Human grades"). */
static json_t *human(const struct run_stats *s)
{
	const struct rs_human *h = &s->human;
	json_t *o, *gr, *cands, *ag;
	if (!h->present)
		return json_null();
	o = json_object();
	gr = json_array();
	for (size_t i = 0; i < h->ngraders; i++)
		json_array_append_new(gr, json_string(h->graders[i]));
	json_object_set_new(o, "graders", gr);
	json_object_set_new(o, "grades", json_integer(h->grades));
	cands = json_array();
	for (size_t i = 0; i < h->ncands; i++) {
		const struct rs_hcand *c = &h->cands[i];
		json_t *e = json_object(), *r, *sh;
		json_object_set_new(e, "candidate", json_string(
			s->run->cands[c->cand].label));
		r = interval(c->r_est, c->r_lo, c->r_hi);
		json_object_set_new(r, "n", json_integer(c->r_n));
		json_object_set_new(r, "clusters", json_integer(c->r_clusters));
		json_object_set_new(e, "rating", r);
		sh = interval(c->s_est, c->s_lo, c->s_hi);
		if (c->ship_ok) {
			json_object_set_new(sh, "k", json_integer(c->s_k));
			json_object_set_new(sh, "n", json_integer(c->s_n));
			json_object_set_new(sh, "clusters",
					    json_integer(c->s_clusters));
		}
		json_object_set_new(e, "ship", sh);
		json_array_append_new(cands, e);
	}
	json_object_set_new(o, "candidates", cands);
	if (h->has_pairwise) {
		json_t *pw = json_object(), *wr = json_array(), *bt = json_array();
		json_t *pb;
		json_object_set_new(pw, "comparisons", json_integer(h->comparisons));
		json_object_set_new(pw, "ties", json_integer(h->ties));
		for (size_t i = 0; i < h->nwins; i++) {
			const struct rs_hwin *w = &h->wins[i];
			json_t *e = json_object(), *wa;
			json_object_set_new(e, "a", json_string(
				s->run->cands[w->a].label));
			json_object_set_new(e, "b", json_string(
				s->run->cands[w->b].label));
			json_object_set_new(e, "wins_a", json_integer(w->wins_a));
			json_object_set_new(e, "wins_b", json_integer(w->wins_b));
			json_object_set_new(e, "ties", json_integer(w->ties));
			wa = interval(w->est, w->lo, w->hi);
			json_object_set_new(wa, "k", json_integer(w->wins_a));
			json_object_set_new(wa, "n", json_integer(w->wins_a +
								  w->wins_b));
			json_object_set_new(e, "win_rate_a", wa);
			json_array_append_new(wr, e);
		}
		json_object_set_new(pw, "win_rates", wr);
		for (size_t i = 0; i < h->nbt; i++) {
			json_t *e = interval(h->bt[i].est, h->bt[i].lo,
					     h->bt[i].hi);
			json_object_set_new(e, "candidate", json_string(
				s->run->cands[h->bt[i].cand].label));
			json_array_append_new(bt, e);
		}
		json_object_set_new(pw, "bradley_terry", bt);
		json_object_set_new(pw, "bt_resamples", json_integer(h->bt_resamples));
		pb = interval(h->pos_est, h->pos_lo, h->pos_hi);
		json_object_set_new(pb, "k", json_integer(h->left));
		json_object_set_new(pb, "n", json_integer(h->nonties));
		json_object_set_new(pb, "p", num(h->pos_p));
		json_object_set_new(pw, "position_bias", pb);
		json_object_set_new(o, "pairwise", pw);
	} else {
		json_object_set_new(o, "pairwise", json_null());
	}
	ag = json_object();
	json_object_set_new(ag, "reviewers", json_integer(h->reviewers));
	if (h->has_alpha) {
		json_object_set_new(ag, "alpha_rating_ordinal", interval(
			h->a_rating, h->a_rating_lo, h->a_rating_hi));
		json_object_set_new(ag, "alpha_ship_nominal", interval(
			h->a_ship, h->a_ship_lo, h->a_ship_hi));
	}
	if (h->kappa_ship.present)
		json_object_set_new(ag, "kappa_ship", kappa_json(&h->kappa_ship));
	json_object_set_new(ag, "human_vs_pass", kappa_json(&h->vs_pass));
	json_object_set_new(ag, "human_vs_judge", kappa_json(&h->vs_judge));
	json_object_set_new(ag, "human_vs_rules", kappa_json(&h->vs_rules));
	json_object_set_new(o, "agreement", ag);
	return o;
}

json_t *rs_json(const struct run_stats *s)
{
	const struct rs_run *r = s->run;
	json_t *o = json_object(), *cands = json_array(), *warn = json_array();
	json_t *meth = json_object();

	json_object_set_new(meth, "pass_rate", json_string(
		"Wilson 95%; with clusters or repeats Wilson at the "
		"effective n = n/deff (Kish, ANOVA ICC) with t(G-1), and "
		"Wilson at G clusters when every result agrees"));
	json_object_set_new(meth, "bootstrap", json_string("percentile"));
	json_object_set_new(meth, "resamples", json_integer(s->resamples));
	json_object_set_new(meth, "seed", json_integer((json_int_t)s->seed));
	json_object_set_new(meth, "confidence", json_real(0.95));
	json_object_set_new(meth, "quantile", json_string(
		"Hyndman-Fan type 7 (R default, NumPy linear)"));
	json_object_set_new(meth, "multiple_comparisons", json_string("holm"));
	json_object_set_new(o, "method", meth);
	json_object_set_new(o, "run_id", json_integer(r->id));
	json_object_set_new(o, "cases", json_integer((json_int_t)r->ncases));
	json_object_set_new(o, "repeat", json_integer(r->repeat));
	json_object_set_new(o, "clusters", r->has_clusters
			    ? json_integer((json_int_t)r->nclusters)
			    : json_null());
	for (size_t i = 0; i < s->ncands; i++)
		json_array_append_new(cands, candidate(s, &s->cands[i]));
	json_object_set_new(o, "candidates", cands);
	json_object_set_new(o, "comparisons", s->cmp.present ? comparisons(s)
							     : json_null());
	json_object_set_new(o, "decision", rs_decision_json(&s->dec));
	for (size_t i = 0; i < s->nwarnings; i++)
		json_array_append_new(warn, json_string(s->warnings[i]));
	json_object_set_new(o, "warnings", warn);
	if (s->human.computed)
		json_object_set_new(o, "human", human(s));
	return o;
}

json_t *rs_compute(const struct rs_run *r, const struct stats_opts *o)
{
	struct run_stats s;
	json_t *j;
	rs_compute_stats(r, o, &s);
	j = rs_json(&s);
	run_stats_free(&s);
	return j;
}
