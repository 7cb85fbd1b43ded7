/* analysis_robust.c — robustness across variant groups (a case and its
 * rephrasings or perturbations, docs/statistics.md "Robustness"): per
 * candidate the share of groups whose verdict is the same for every
 * member (consistency), the share where every member passes (worst case),
 * the mean pass share of the groups, and the flip rate under each
 * perturbation kind — the share of (original, perturbed) pairs whose
 * verdict differs — with the drop in pass rate it causes; between
 * candidates, the paired test of "A flips more than B" on the pairs
 * both have.
 *
 * A case's kind is its `perturbation:KIND` tag (suite_perturb.c writes
 * `perturbation:original` on the original, the spec such as
 * `perturbation:typos:0.1` or `perturbation:variant` on the others); a
 * case's verdict is pass or fail, with repeats the majority of its
 * graded attempts. */
#include "analysis_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../util/xalloc.h"

#define PFX "perturbation:"

void rs_perturb_index(const struct rs_run *r, struct run_stats *s)
{
	int *tag_kind = xmalloc((r->ntags ? r->ntags : 1) * sizeof *tag_kind);
	long *orig = xmalloc((r->nvariants ? r->nvariants : 1) * sizeof *orig);
	size_t np = strlen(PFX);
	int orig_tag = -1;
	s->case_kind = xmalloc((r->ncases ? r->ncases : 1) *
			       sizeof *s->case_kind);
	s->case_orig = xmalloc((r->ncases ? r->ncases : 1) *
			       sizeof *s->case_orig);
	for (size_t t = 0; t < r->ntags; t++) {
		tag_kind[t] = -1;
		if (strncmp(r->tags[t], PFX, np) || !r->tags[t][np])
			continue;
		if (!strcmp(r->tags[t] + np, "original"))
			orig_tag = (int)t;
		else
			tag_kind[t] = rs_intern(&s->perturbs, &s->nperturbs,
						r->tags[t] + np);
	}
	for (size_t g = 0; g < r->nvariants; g++)
		orig[g] = -1;
	for (size_t k = 0; k < r->ncases; k++) {
		const struct rs_case *c = &r->cases[k];
		s->case_kind[k] = -1;
		s->case_orig[k] = -1;
		for (size_t t = 0; t < c->ntags; t++) {
			if (c->tags[t] == orig_tag && c->variant >= 0 &&
			    orig[c->variant] < 0)
				orig[c->variant] = (long)k;
			if (tag_kind[c->tags[t]] >= 0 && s->case_kind[k] < 0)
				s->case_kind[k] = tag_kind[c->tags[t]];
		}
	}
	for (size_t k = 0; k < r->ncases; k++) {
		long g = r->cases[k].variant;
		if (g >= 0 && s->case_kind[k] >= 0)
			s->case_orig[k] = orig[g];
		if (s->case_orig[k] < 0)
			s->case_kind[k] = -1;
	}
	free(tag_kind);
	free(orig);
}

/* The unit of a pair: its cluster with clusters, else its group. */
static long unit_of(const struct rs_run *r, long orig)
{
	return r->has_clusters ? r->cases[orig].cluster
			       : r->cases[orig].variant;
}

static void flip_rates(const struct rs_run *r, const struct run_stats *s,
		       const int *verdict, struct rs_robust *out)
{
	size_t nc = r->ncases ? r->ncases : 1;
	double *x = xmalloc(nc * sizeof *x);
	long *cl = xmalloc(nc * sizeof *cl);
	out->nflips = s->nperturbs;
	out->flips = xcalloc(s->nperturbs ? s->nperturbs : 1,
			     sizeof *out->flips);
	for (size_t q = 0; q < s->nperturbs; q++) {
		struct rs_flip *f = &out->flips[q];
		long a = 0, b = 0, c = 0, d = 0, *seen;
		size_t n = 0;
		bool dup = false;
		seen = xcalloc(r->nvariants ? r->nvariants : 1, sizeof *seen);
		f->kind = (int)q;
		for (size_t k = 0; k < r->ncases; k++) {
			long o = s->case_orig[k];
			int vo, vv;
			if (s->case_kind[k] != (int)q || out->flip[k] < 0)
				continue;
			vo = verdict[o];
			vv = verdict[k];
			x[n] = vo != vv;
			cl[n] = unit_of(r, o);
			dup = dup || ++seen[r->cases[o].variant] > 1;
			a += vo && vv;
			b += vo && !vv;
			c += !vo && vv;
			d += !vo && !vv;
			n++;
		}
		free(seen);
		f->n = (long)n;
		f->flips = b + c;
		f->to_fail = b;
		f->to_pass = c;
		f->deff = 1;
		f->design = n && (dup || r->has_clusters);
		if (f->design) {
			struct stats_design_ci ci;
			stats_prop_design(x, cl, n, 0.95, &ci);
			f->est = ci.est;
			f->lo = ci.lo;
			f->hi = ci.hi;
			f->deff = ci.d.deff;
		} else {
			struct rs_rate w = rs_wilson(f->flips, f->n);
			f->est = w.est;
			f->lo = w.lo;
			f->hi = w.hi;
		}
		if (n) {
			struct interval ni = r->has_clusters || dup
				? stats_newcombe_design(a, b, c, d, f->deff, 0,
							0.95)
				: stats_paired_diff_newcombe(a, b, c, d, 0.95);
			f->drop = (double)(b - c) / (double)n;
			f->drop_lo = ni.lo;
			f->drop_hi = ni.hi;
		} else {
			f->drop = f->drop_lo = f->drop_hi = NAN;
		}
	}
	free(x);
	free(cl);
}

void rs_robustness(const struct rs_run *r, const struct rs_cand *c,
		   const struct run_stats *s, struct rs_robust *out)
{
	long *att, *pas, *gn, *gp;
	int *verdict;
	long groups = 0, consistent = 0, worst = 0;
	double mean = 0;
	memset(out, 0, sizeof *out);
	if (!r->nvariants)
		return;
	att = xcalloc(r->ncases ? r->ncases : 1, sizeof *att);
	pas = xcalloc(r->ncases ? r->ncases : 1, sizeof *pas);
	verdict = xmalloc((r->ncases ? r->ncases : 1) * sizeof *verdict);
	gn = xcalloc(r->nvariants, sizeof *gn);	/* variants with a verdict */
	gp = xcalloc(r->nvariants, sizeof *gp);	/* ... that pass */
	for (size_t i = 0; i < c->n; i++) {
		const struct rs_item it = rs_at(c, i);
		if (it.pass >= 0 && it.c < r->ncases) {
			att[it.c]++;
			pas[it.c] += it.pass;
		}
	}
	for (size_t k = 0; k < r->ncases; k++) {
		long g = r->cases[k].variant;
		/* with repeats a variant passes when most attempts do */
		verdict[k] = att[k] ? 2 * pas[k] > att[k] : -1;
		if (g < 0 || !att[k])
			continue;
		gn[g]++;
		gp[g] += verdict[k];
	}
	for (size_t g = 0; g < r->nvariants; g++) {
		if (gn[g] < 2)
			continue;
		groups++;
		consistent += gp[g] == 0 || gp[g] == gn[g];
		worst += gp[g] == gn[g];
		mean += (double)gp[g] / (double)gn[g];
	}
	out->present = true;
	out->groups = groups;
	out->consistency = rs_wilson(consistent, groups);
	out->worst = rs_wilson(worst, groups);
	out->mean_pass = groups ? mean / (double)groups : NAN;
	out->flip = xmalloc((r->ncases ? r->ncases : 1) * sizeof *out->flip);
	for (size_t k = 0; k < r->ncases; k++) {
		long o = s->case_orig[k];
		out->flip[k] = -1;
		if (s->case_kind[k] >= 0 && o >= 0 && verdict[k] >= 0 &&
		    verdict[o] >= 0)
			out->flip[k] = (int8_t)(verdict[k] != verdict[o]);
	}
	flip_rates(r, s, verdict, out);
	free(att);
	free(pas);
	free(verdict);
	free(gn);
	free(gp);
}

void rs_robust_pairs(const struct rs_run *r, struct run_stats *s)
{
	struct rs_comparisons *m = &s->cmp;
	size_t k = s->ncands, np = k * (k - 1) / 2, q = 0;
	size_t nc = r->ncases ? r->ncases : 1;
	double *d, *p;
	long *cl;
	if (!s->nperturbs || !r->nvariants || np == 0)
		return;
	m->nrobust = np * s->nperturbs;
	m->robust = xcalloc(m->nrobust, sizeof *m->robust);
	d = xmalloc(nc * sizeof *d);
	cl = xmalloc(nc * sizeof *cl);
	p = xmalloc(m->nrobust * sizeof *p);
	for (size_t a = 0; a < k; a++)
		for (size_t b = a + 1; b < k; b++)
			for (size_t t = 0; t < s->nperturbs; t++, q++) {
				struct rs_robust_pair *e = &m->robust[q];
				const int8_t *fa = s->cands[a].rob.flip;
				const int8_t *fb = s->cands[b].rob.flip;
				long *seen = xcalloc(r->nvariants, sizeof *seen);
				bool dup = false;
				size_t n = 0;
				e->a = a;
				e->b = b;
				e->kind = (int)t;
				e->more_robust = -1;
				for (size_t c = 0; c < r->ncases && fa && fb; c++) {
					if (s->case_kind[c] != (int)t ||
					    fa[c] < 0 || fb[c] < 0)
						continue;
					d[n] = fa[c] - fb[c];
					cl[n] = unit_of(r, s->case_orig[c]);
					dup = dup || ++seen[r->cases[
						s->case_orig[c]].variant] > 1;
					e->a_only += fa[c] && !fb[c];
					e->b_only += !fa[c] && fb[c];
					n++;
				}
				free(seen);
				e->n = (long)n;
				e->clustered = r->has_clusters || dup;
				if (!n) {
					e->est = e->lo = e->hi = e->p = NAN;
					p[q] = 1;
					continue;
				}
				{
					long both = 0, none;
					struct interval ni;
					for (size_t c = 0; c < r->ncases; c++)
						both += s->case_kind[c] == (int)t &&
							fa[c] == 1 && fb[c] == 1;
					none = (long)n - both - e->a_only -
					       e->b_only;
					ni = stats_paired_diff_newcombe(
						both, e->a_only, e->b_only, none,
						0.95);
					e->est = (double)(e->a_only - e->b_only) /
						 (double)n;
					e->lo = ni.lo;
					e->hi = ni.hi;
					e->p = stats_mcnemar_exact(e->a_only,
								   e->b_only);
				}
				if (e->clustered) {
					/* pairs of one group (or cluster)
					 * are not independent */
					struct stats_cluster_test ct;
					if (stats_cluster_mean_test(d, cl, n, e->p,
								    e->lo, e->hi,
								    0.95, &ct)) {
						e->p = NAN;
						e->lo = e->hi = NAN;
					} else {
						e->p = ct.p;
						e->lo = fmax(-1, ct.lo);
						e->hi = fmin(1, ct.hi);
					}
				}
				p[q] = isnan(e->p) ? 1 : e->p;
			}
	stats_holm(p, m->nrobust, p);
	for (size_t i = 0; i < m->nrobust; i++) {
		struct rs_robust_pair *e = &m->robust[i];
		e->p_holm = isnan(e->p) ? NAN : p[i];
		e->significant = !isnan(e->p) && p[i] < 0.05;
		if (e->significant)
			e->more_robust = e->a_only < e->b_only ? (long)e->a
							       : (long)e->b;
	}
	free(d);
	free(cl);
	free(p);
}
