/* report_compare.c — two stored runs compared case by case (`assay
 * compare`, the CI gate): computed into `struct compare`, printed in one
 * place.
 *
 * Pairing: a result's pair key hashes its case key (content, or the
 * test's `id`), its prompt template and its repeat index — never its
 * position — so an edited or reordered suite pairs only the same work.
 * Candidates are matched by label (the provider id when it has none).
 * Per candidate present in both runs, over the cases graded in both:
 * fixed (fail → pass), regressed (pass → fail), unchanged; McNemar's
 * exact test on the discordant pairs (stats/paired.h), Holm-adjusted
 * across candidates; cases with an infrastructure error on either side
 * are counted apart and excluded, and so are cases only one run has.
 * Latency p95 and mean cost per case are compared on the shared cases
 * with a paired bootstrap (cases resampled, 2,000 resamples, seed 0,
 * percentile 95% interval). */
#include "report.h"
#include "compare.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../stats/bootstrap.h"
#include "../stats/paired.h"
#include "../stats/rng.h"
#include "../stats/stats.h"
#include "../util/hash.h"
#include "../util/xalloc.h"

#define BOOT_B 2000

struct entry {
	char key[65];
	size_t cand;
	size_t case_idx;
	int pass;        /* 1, 0, -1 error/ungraded */
	double lat, cost;
	char *desc, *out;
};

struct side {
	bool verbose;
	char **case_keys;      /* per case idx */
	size_t n_cases;
	char **prompt_keys;    /* per prompt idx */
	size_t n_prompts;
	char **labels;         /* per provider idx */
	size_t n_prov;
	struct entry *e;
	size_t n, cap;
};

/* ---------------------------------------------------------- loading */

static int on_case(void *ud, const struct store_case *c)
{
	struct side *s = ud;
	char h[65];
	if (c->idx >= s->n_cases) {
		s->case_keys = xrealloc(s->case_keys, (c->idx + 1) * sizeof *s->case_keys);
		for (size_t i = s->n_cases; i <= c->idx; i++)
			s->case_keys[i] = NULL;
		s->n_cases = c->idx + 1;
	}
	if (c->case_key) {
		s->case_keys[c->idx] = xstrdup(c->case_key);
	} else {
		/* before content keys (schema 2): the vars stand in */
		const char *v = c->vars_json ? c->vars_json : "";
		struct hash_part part = { v, strlen(v) };
		hash_sha256_parts(&part, 1, h);
		s->case_keys[c->idx] = xstrdup(h);
	}
	return 0;
}

static int on_prompt(void *ud, const struct store_prompt *p)
{
	struct side *s = ud;
	const char *raw = p->raw ? p->raw : "";
	struct hash_part part = { raw, strlen(raw) };
	char h[65];
	if (p->idx >= s->n_prompts) {
		s->prompt_keys = xrealloc(s->prompt_keys, (p->idx + 1) * sizeof *s->prompt_keys);
		for (size_t i = s->n_prompts; i <= p->idx; i++)
			s->prompt_keys[i] = NULL;
		s->n_prompts = p->idx + 1;
	}
	hash_sha256_parts(&part, 1, h);
	s->prompt_keys[p->idx] = xstrdup(h);
	return 0;
}

static int on_provider(void *ud, const struct store_provider *p)
{
	struct side *s = ud;
	if (p->idx >= s->n_prov) {
		s->labels = xrealloc(s->labels, (p->idx + 1) * sizeof *s->labels);
		for (size_t i = s->n_prov; i <= p->idx; i++)
			s->labels[i] = NULL;
		s->n_prov = p->idx + 1;
	}
	s->labels[p->idx] = xstrdup(p->label ? p->label : p->id ? p->id : "?");
	return 0;
}

static int on_result(void *ud, const struct store_result *r)
{
	struct side *s = ud;
	struct entry *e;
	char rep[24];
	struct hash_part parts[3];
	const char *ck = r->case_idx < s->n_cases ? s->case_keys[r->case_idx] : NULL;
	const char *pk = r->prompt_idx < s->n_prompts ? s->prompt_keys[r->prompt_idx] : NULL;
	if (!ck || !pk || r->provider_idx >= s->n_prov)
		return 0;
	snprintf(rep, sizeof rep, "%d", r->repeat);
	parts[0] = (struct hash_part){ ck, strlen(ck) };
	parts[1] = (struct hash_part){ pk, strlen(pk) };
	parts[2] = (struct hash_part){ rep, strlen(rep) };
	s->e = xgrow(s->e, &s->cap, s->n + 1, sizeof *s->e);
	e = &s->e[s->n++];
	memset(e, 0, sizeof *e);
	hash_sha256_parts(parts, 3, e->key);
	e->cand = r->provider_idx;
	e->case_idx = r->case_idx;
	e->pass = r->error_kind ? -1 : r->pass;
	e->lat = r->error_kind || r->cached ? NAN : r->latency_ms;
	e->cost = r->cost_usd;
	e->desc = xstrdup(r->case_description && *r->case_description
				  ? r->case_description : r->vars_json ? r->vars_json : "");
	if (s->verbose)
		e->out = r->error_kind ? xasprintf("(error: %s)", r->error_msg ? r->error_msg : "")
				       : xstrdup(r->output ? r->output : "");
	return 0;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int c;
	if (x->cand != y->cand)
		return x->cand < y->cand ? -1 : 1;
	if ((c = strcmp(x->key, y->key)))
		return c;
	return x->case_idx < y->case_idx ? -1 : x->case_idx > y->case_idx;
}

static int load_side(struct store *st, int64_t run, struct side *s,
		     struct err *err)
{
	int rc;
	if ((rc = store_cases_each(st, run, on_case, s, err)) ||
	    (rc = store_prompts_each(st, run, on_prompt, s, err)) ||
	    (rc = store_providers_each(st, run, on_provider, s, err)) ||
	    (rc = store_results_each(st, run, on_result, s, err)))
		return rc;
	if (s->n) /* a run without results has no array (qsort's NULL is UB) */
		qsort(s->e, s->n, sizeof *s->e, entry_cmp);
	return 0;
}

static void free_side(struct side *s)
{
	for (size_t i = 0; i < s->n_cases; i++)
		free(s->case_keys[i]);
	for (size_t i = 0; i < s->n_prompts; i++)
		free(s->prompt_keys[i]);
	for (size_t i = 0; i < s->n_prov; i++)
		free(s->labels[i]);
	for (size_t i = 0; i < s->n; i++) {
		free(s->e[i].desc);
		free(s->e[i].out);
	}
	free(s->case_keys);
	free(s->prompt_keys);
	free(s->labels);
	free(s->e);
}

/* ---------------------------------------------------------- comparing */

/* Entries of candidate v: [*lo, *hi). */
static void segment(const struct side *s, size_t v, size_t *lo, size_t *hi)
{
	size_t i = 0;
	while (i < s->n && s->e[i].cand < v)
		i++;
	*lo = i;
	while (i < s->n && s->e[i].cand == v)
		i++;
	*hi = i;
}

static void add_change(struct cmp_cand *c, const struct entry *b,
		       const struct entry *n)
{
	struct cmp_change *x;
	c->changes = xrealloc(c->changes, (c->n_changes + 1) * sizeof *c->changes);
	x = &c->changes[c->n_changes++];
	x->desc = xstrdup(n->desc);
	x->base_case = b->case_idx;
	x->new_case = n->case_idx;
	x->fixed = n->pass == 1;
	x->base_out = b->out ? xstrdup(b->out) : NULL;
	x->new_out = n->out ? xstrdup(n->out) : NULL;
}

/* Paired bootstrap of p95(new) - p95(base) over pairs with both
 * latencies known. */
static void p95_change(const double *bl, const double *nl, size_t n,
		       struct cmp_cand *c)
{
	double *sb, *sn, *diffs;
	struct stats_rng rng;
	size_t B = BOOT_B;
	c->p95_base = c->p95_new = c->p95_diff = c->p95_lo = c->p95_hi = NAN;
	if (n == 0)
		return;
	sb = xmalloc(n * sizeof *sb);
	sn = xmalloc(n * sizeof *sn);
	diffs = xmalloc(B * sizeof *diffs);
	memcpy(sb, bl, n * sizeof *sb);
	memcpy(sn, nl, n * sizeof *sn);
	stats_sort(sb, n);
	stats_sort(sn, n);
	c->p95_base = stats_quantile_sorted(sb, n, 0.95);
	c->p95_new = stats_quantile_sorted(sn, n, 0.95);
	c->p95_diff = c->p95_new - c->p95_base;
	stats_rng_seed(&rng, 0);
	for (size_t k = 0; k < B; k++) {
		for (size_t i = 0; i < n; i++) {
			size_t j = (size_t)stats_rng_below(&rng, n);
			sb[i] = bl[j];
			sn[i] = nl[j];
		}
		stats_sort(sb, n);
		stats_sort(sn, n);
		diffs[k] = stats_quantile_sorted(sn, n, 0.95) -
			   stats_quantile_sorted(sb, n, 0.95);
	}
	stats_sort(diffs, B);
	c->p95_lo = stats_quantile_sorted(diffs, B, 0.025);
	c->p95_hi = stats_quantile_sorted(diffs, B, 0.975);
	free(sb);
	free(sn);
	free(diffs);
}

static void compare_cand(const struct side *bs, size_t bv, const struct side *ns,
			 size_t nv, struct cmp_cand *c)
{
	size_t bl, bh, nl, nh, i, j;
	double *blat, *nlat, *dcost, cb = 0, cn = 0;
	size_t nlat_n = 0, ncost = 0;
	long bp = 0, np = 0;
	segment(bs, bv, &bl, &bh);
	segment(ns, nv, &nl, &nh);
	blat = xmalloc((bh - bl + 1) * sizeof *blat);
	nlat = xmalloc((bh - bl + 1) * sizeof *nlat);
	dcost = xmalloc((bh - bl + 1) * sizeof *dcost);
	i = bl;
	j = nl;
	while (i < bh || j < nh) {
		int k = i >= bh ? 1 : j >= nh ? -1 : strcmp(bs->e[i].key, ns->e[j].key);
		if (k < 0) {
			c->removed++;
			i++;
			continue;
		}
		if (k > 0) {
			c->added++;
			j++;
			continue;
		}
		{
			const struct entry *b = &bs->e[i++], *n = &ns->e[j++];
			if (b->pass < 0 || n->pass < 0) {
				c->excluded_errors++;
				continue;
			}
			c->shared++;
			bp += b->pass;
			np += n->pass;
			if (b->pass && !n->pass) {
				c->regressed++;
				add_change(c, b, n);
			} else if (!b->pass && n->pass) {
				c->fixed++;
				add_change(c, b, n);
			} else if (b->pass) {
				c->both_pass++;
			} else {
				c->both_fail++;
			}
			if (isfinite(b->lat) && isfinite(n->lat)) {
				blat[nlat_n] = b->lat;
				nlat[nlat_n++] = n->lat;
			}
			if (isfinite(b->cost) && isfinite(n->cost)) {
				dcost[ncost++] = n->cost - b->cost;
				cb += b->cost;
				cn += n->cost;
			}
		}
	}
	c->base_rate = c->shared ? (double)bp / (double)c->shared : NAN;
	c->new_rate = c->shared ? (double)np / (double)c->shared : NAN;
	c->p = stats_mcnemar_exact(c->regressed, c->fixed);
	p95_change(blat, nlat, nlat_n, c);
	c->cost_base = ncost ? cb / (double)ncost : NAN;
	c->cost_new = ncost ? cn / (double)ncost : NAN;
	c->cost_diff = c->cost_lo = c->cost_hi = NAN;
	if (ncost) {
		struct stats_boot_opt o = { .resamples = BOOT_B, .seed = 0, .conf = 0.95 };
		struct stats_boot_ci ci;
		if (!stats_boot_mean(dcost, ncost, &o, &ci)) {
			c->cost_diff = ci.est;
			c->cost_lo = ci.pct.lo;
			c->cost_hi = ci.pct.hi;
		}
	}
	free(blat);
	free(nlat);
	free(dcost);
}

static size_t find_label(const struct side *s, const char *label)
{
	for (size_t i = 0; i < s->n_prov; i++)
		if (s->labels[i] && !strcmp(s->labels[i], label))
			return i;
	return (size_t)-1;
}

int report_compare(struct store *st, int64_t base, int64_t newer,
		   const struct compare_opts *o, struct compare *out,
		   struct err *err)
{
	struct side bs = { .verbose = o && o->verbose }, ns = { .verbose = o && o->verbose };
	double *p = NULL;
	int rc;
	memset(out, 0, sizeof *out);
	out->base = base;
	out->newer = newer;
	out->alpha = o && o->alpha > 0 ? o->alpha : 0.05;
	if ((rc = load_side(st, base, &bs, err)) || (rc = load_side(st, newer, &ns, err)))
		goto done;
	if (o && o->base_cand && o->new_cand) {
		/* one candidate of BASE against another of NEW */
		size_t bv = find_label(&bs, o->base_cand), nv = find_label(&ns, o->new_cand);
		if (bv == (size_t)-1 || nv == (size_t)-1) {
			rc = err_set(err, ST_USAGE, "no candidate '%s' in run %lld",
				     bv == (size_t)-1 ? o->base_cand : o->new_cand,
				     (long long)(bv == (size_t)-1 ? base : newer));
			goto done;
		}
		out->cands = xcalloc(1, sizeof *out->cands);
		out->n_cands = 1;
		out->cands[0].label = xasprintf("%s \xe2\x86\x92 %s", o->base_cand, o->new_cand);
		compare_cand(&bs, bv, &ns, nv, &out->cands[0]);
	} else {
		for (size_t v = 0; v < ns.n_prov; v++) {
			size_t bv = ns.labels[v] ? find_label(&bs, ns.labels[v]) : (size_t)-1;
			struct cmp_cand *c;
			if (bv == (size_t)-1) {
				out->only_new = xrealloc(out->only_new, (out->n_only_new + 1) * sizeof *out->only_new);
				out->only_new[out->n_only_new++] = xstrdup(ns.labels[v] ? ns.labels[v] : "?");
				continue;
			}
			out->cands = xrealloc(out->cands, (out->n_cands + 1) * sizeof *out->cands);
			c = &out->cands[out->n_cands++];
			memset(c, 0, sizeof *c);
			c->label = xstrdup(ns.labels[v]);
			compare_cand(&bs, bv, &ns, v, c);
		}
		for (size_t v = 0; v < bs.n_prov; v++)
			if (bs.labels[v] && find_label(&ns, bs.labels[v]) == (size_t)-1) {
				out->only_base = xrealloc(out->only_base, (out->n_only_base + 1) * sizeof *out->only_base);
				out->only_base[out->n_only_base++] = xstrdup(bs.labels[v]);
			}
	}
	p = xcalloc(out->n_cands + 1, sizeof *p);
	for (size_t i = 0; i < out->n_cands; i++)
		p[i] = out->cands[i].p;
	stats_holm(p, out->n_cands, p);
	for (size_t i = 0; i < out->n_cands; i++) {
		struct cmp_cand *c = &out->cands[i];
		c->p_holm = p[i];
		c->significant_regression = c->regressed > c->fixed && c->p_holm < out->alpha;
		c->significant_improvement = c->fixed > c->regressed && c->p_holm < out->alpha;
		out->any_regression = out->any_regression || c->significant_regression;
	}
done:
	free(p);
	free_side(&bs);
	free_side(&ns);
	if (rc)
		report_compare_free(out);
	return rc;
}

void report_compare_free(struct compare *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_cands; i++) {
		struct cmp_cand *x = &c->cands[i];
		for (size_t k = 0; k < x->n_changes; k++) {
			free(x->changes[k].desc);
			free(x->changes[k].base_out);
			free(x->changes[k].new_out);
		}
		free(x->changes);
		free(x->label);
	}
	for (size_t i = 0; i < c->n_only_base; i++)
		free(c->only_base[i]);
	for (size_t i = 0; i < c->n_only_new; i++)
		free(c->only_new[i]);
	free(c->only_base);
	free(c->only_new);
	free(c->cands);
	memset(c, 0, sizeof *c);
}
