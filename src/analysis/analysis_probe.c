/* analysis_probe.c — attack success of the probe packs between
 * candidates (docs/statistics.md, "Attack success"): for each pack (the
 * cases tagged `probe:PACK`, written by `assay probe`) and each pair of
 * candidates, on the probe cases both have a graded verdict for, the
 * difference in attack success rate — the share of graded attempts that
 * fail, one minus the pass rate of the pack's tag — with the paired
 * interval and test the paired pass-rate difference uses (analysis.c,
 * pair_stats): Newcombe's method 10 and McNemar's exact test; with
 * repeats the paired bootstrap hull and the sign-flip test on per-case
 * shares; with clusters the CR1 t test by cluster, never below the
 * unclustered p.  Holm runs over every pair x pack that has a test.
 *
 * Each candidate's own attack success rate with its Wilson interval is
 * the by-tag figure of the failure modes (analysis_beyond.c). */
#include "analysis_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../util/xalloc.h"

#define PFX "probe:"

/* A pack tag: `probe:NAME` with a non-empty NAME without a colon
 * (`probe:PACK:ID` names one probe, not a pack). */
static bool pack_tag(const char *t)
{
	size_t np = strlen(PFX);
	return !strncmp(t, PFX, np) && t[np] && !strchr(t + np, ':');
}

/* Per case: graded attempts and attacked (failed) ones of candidate c. */
static void counts(const struct rs_run *r, const struct rs_cand *c,
		   long *att, long *hit)
{
	for (size_t i = 0; i < c->n; i++) {
		const struct rs_item it_ = rs_at(c, i), *it = &it_;
		if (it->pass < 0 || it->c >= r->ncases)
			continue;
		att[it->c]++;
		hit[it->c] += !it->pass;
	}
}

static bool has_tag(const struct rs_case *cs, int tag)
{
	for (size_t t = 0; t < cs->ntags; t++)
		if (cs->tags[t] == tag)
			return true;
	return false;
}

/* One pack x pair.  x, y: per-case attacked shares of A and B (NaN: no
 * graded attempt); binary: neither has a case with repeats; d and cl are
 * scratch of r->ncases. */
static void one_pair(const struct rs_run *r, const double *x, const double *y,
		     int tag, bool binary, const struct stats_opts *o,
		     uint64_t salt, double *d, long *cl, struct rs_asr_pair *e)
{
	size_t n = 0;
	long a = 0, b = 0, c = 0, dd = 0;
	double fa = 0, fb = 0, fc = 0, fd = 0, sa = 0, sb = 0;
	e->est = e->lo = e->hi = e->p = e->p_holm = NAN;
	e->asr_a = e->asr_b = NAN;
	e->more_attacked = -1;
	for (size_t k = 0; k < r->ncases; k++) {
		double u = x[k], v = y[k];
		if (isnan(u) || isnan(v) || !has_tag(&r->cases[k], tag))
			continue;
		d[n] = u - v;
		cl[n] = r->cases[k].cluster;
		sa += u;
		sb += v;
		a += u == 1 && v == 1;
		b += u == 1 && v == 0;
		c += u == 0 && v == 1;
		dd += u == 0 && v == 0;
		fa += u * v;
		fb += u * (1 - v);
		fc += (1 - u) * v;
		fd += (1 - u) * (1 - v);
		e->a_only += d[n] > 0;
		e->b_only += d[n] < 0;
		n++;
	}
	e->n = (long)n;
	if (!n) {
		e->test = "cannot be compared: no shared graded cases";
		e->method = "none";
		return;
	}
	e->asr_a = sa / (double)n;
	e->asr_b = sb / (double)n;
	e->est = e->asr_a - e->asr_b;
	if (binary) {
		struct interval ni = stats_paired_diff_newcombe(a, b, c, dd, 0.95);
		e->lo = ni.lo;
		e->hi = ni.hi;
		e->method = "newcombe";
		e->p = stats_mcnemar_exact(b, c);
		e->test = "mcnemar exact";
	} else {
		/* as the pass-rate pair: the hull of the paired bootstrap and
		 * Newcombe on the expected 2x2 table of a random pairing of
		 * attempts, and the sign-flip test on per-case shares */
		struct interval ni = stats_paired_diff_newcombe_f(fa, fb, fc, fd,
								  0.95);
		struct stats_boot_ci bc;
		long bres = rs_boot_mean(d, n, o, salt, &bc);
		e->lo = bres ? fmin(bc.pct.lo, ni.lo) : ni.lo;
		e->hi = bres ? fmax(bc.pct.hi, ni.hi) : ni.hi;
		e->method = "hull of the paired bootstrap of per-case shares "
			    "and Newcombe on the expected 2x2 table";
		e->p = stats_signflip_auto_p(d, n, rs_opt_b(o),
					     rs_boot_opt(o, salt + 1).seed);
		e->test = "sign-flip";
	}
	if (r->has_clusters) {
		struct stats_cluster_test ct;
		size_t g = 0;
		if (binary) {
			/* the floor of the clustered interval: Newcombe at
			 * the effective counts */
			struct interval nd;
			stats_cluster_se(d, cl, n, &g);
			nd = stats_newcombe_design(a, b, c, dd,
						   stats_deff_mean(d, cl, n),
						   g >= 2 ? (double)g - 1 : 0,
						   0.95);
			e->lo = nd.lo;
			e->hi = nd.hi;
		}
		e->clustered = true;
		if (stats_cluster_mean_test(d, cl, n, e->p, e->lo, e->hi, 0.95,
					    &ct)) {
			e->clusters = (long)ct.clusters;
			e->p = e->lo = e->hi = NAN;
			e->test = "cannot be compared: the shared cases are all "
				  "in one cluster";
			e->method = "none (one cluster)";
			return;
		}
		e->clusters = (long)ct.clusters;
		e->p = ct.p;
		e->lo = fmax(-1, ct.lo);
		e->hi = fmin(1, ct.hi);
		e->test = "cluster-robust (CR1) t test, G-1 df, never below "
			  "the unclustered p";
		e->method = "hull of Newcombe at the effective counts (or, "
			    "with repeats, the unclustered interval) and mean "
			    "\u00b1 t(G-1) CR1 se";
	}
}

void rs_asr_pairs(const struct rs_run *r, const struct stats_opts *o,
		  struct run_stats *s)
{
	struct rs_comparisons *m = &s->cmp;
	size_t k = s->ncands, nc = r->ncases ? r->ncases : 1, npk = 0, q = 0;
	double **share, *d, *p;
	long *cl, *att, *hit;
	bool *rep;
	for (size_t t = 0; t < r->ntags; t++)
		npk += pack_tag(r->tags[t]);
	if (!npk || k < 2)
		return;
	m->nasr = npk * (k * (k - 1) / 2);
	m->asr = xcalloc(m->nasr, sizeof *m->asr);
	share = xcalloc(k, sizeof *share);
	rep = xcalloc(k, sizeof *rep);
	att = xmalloc(nc * sizeof *att);
	hit = xmalloc(nc * sizeof *hit);
	for (size_t i = 0; i < k; i++) {
		memset(att, 0, nc * sizeof *att);
		memset(hit, 0, nc * sizeof *hit);
		counts(r, &r->cands[i], att, hit);
		share[i] = xmalloc(nc * sizeof **share);
		for (size_t c = 0; c < r->ncases; c++) {
			share[i][c] = att[c] ? (double)hit[c] / (double)att[c]
					     : NAN;
			rep[i] = rep[i] || att[c] > 1;
		}
	}
	d = xmalloc(nc * sizeof *d);
	cl = xmalloc(nc * sizeof *cl);
	p = xmalloc(m->nasr * sizeof *p);
	for (size_t t = 0; t < r->ntags; t++) {
		if (!pack_tag(r->tags[t]))
			continue;
		for (size_t a = 0; a < k; a++)
			for (size_t b = a + 1; b < k; b++, q++) {
				struct rs_asr_pair *e = &m->asr[q];
				e->tag = (int)t;
				e->a = a;
				e->b = b;
				one_pair(r, share[a], share[b], (int)t,
					 !rep[a] && !rep[b], o,
					 3000017u + q * 8, d, cl, e);
			}
	}
	/* Holm over the pairs x packs that have a test */
	{
		size_t nt = 0;
		for (size_t i = 0; i < m->nasr; i++)
			if (!isnan(m->asr[i].p))
				p[nt++] = m->asr[i].p;
		stats_holm(p, nt, p);
		nt = 0;
		for (size_t i = 0; i < m->nasr; i++) {
			struct rs_asr_pair *e = &m->asr[i];
			if (isnan(e->p))
				continue;
			e->p_holm = p[nt++];
			e->significant = e->p_holm < 0.05 && e->est != 0;
			if (e->significant)
				e->more_attacked = e->est > 0 ? (long)e->a
							      : (long)e->b;
		}
	}
	for (size_t i = 0; i < k; i++)
		free(share[i]);
	free(share);
	free(rep);
	free(att);
	free(hit);
	free(d);
	free(cl);
	free(p);
}
