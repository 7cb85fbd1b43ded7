/* analysis.c — the statistics of a run, computed into a struct run_stats
 * (analysis.h): per-candidate figures (pass rate, score, named metrics,
 * repeats, latency, cost, errors) and the paired comparisons between
 * candidates (difference, McNemar / sign-flip, Holm, tied groups, minimum
 * detectable difference, clusters).  Calibration, refusals, failure modes
 * and classification live in analysis_beyond.c, robustness in
 * analysis_robust.c, attack success between candidates in
 * analysis_probe.c, the decision in analysis_decide.c, the JSON in
 * analysis_json.c.
 *
 * Everything is computed from the arrays of rs_run.h; nothing here
 * touches the store, so the bench and the tests can call rs_compute_stats
 * on a hand-built run.  Definitions and formulas: docs/statistics.md. */
#include "analysis_int.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/xalloc.h"

#define RS_DEFAULT_B 10000

/* ---- helpers ---------------------------------------------------------------- */

struct rs_rate rs_wilson(long k, long n)
{
	struct interval w = stats_wilson(k, n, 0.95);
	struct rs_rate r = { .kind = RS_RATE_WILSON, .k = k, .n = n,
			     .est = n ? (double)k / (double)n : NAN,
			     .lo = w.lo, .hi = w.hi, .deff = NAN };
	return r;
}

long rs_opt_b(const struct stats_opts *o)
{
	return o && o->resamples > 0 ? o->resamples : RS_DEFAULT_B;
}

struct stats_boot_opt rs_boot_opt(const struct stats_opts *o, uint64_t salt)
{
	struct stats_boot_opt b = { .resamples = rs_opt_b(o), .conf = 0.95 };
	uint64_t s = (o ? o->seed : 0) ^ (salt * 0x9E3779B97F4A7C15ull);
	b.seed = stats_splitmix64(&s);
	return b;
}

long rs_boot_mean(const double *x, size_t n, const struct stats_opts *o,
		  uint64_t salt, struct stats_boot_ci *out)
{
	struct stats_boot_opt b = rs_boot_opt(o, salt);
	b.resamples = stats_boot_budget(x, n, b.resamples);
	if (stats_boot_mean(x, n, &b, out))
		return 0;
	return b.resamples;
}

/* Below this many values a percentile bootstrap of a mean is not shown
 * (it is too narrow there: docs/statistics.md, "Bootstrap interval"). */
#define RS_MIN_BOOT_N 20

/* Mean of the score (v NULL) or of a named metric v[] over a candidate's
 * graded results, with an interval that cannot claim certainty at the
 * boundary: values all in [0, 1] get the Wilson interval of their mean
 * (conservative: a [0, 1] variable with mean m has variance at most
 * m (1 - m)), design-adjusted with clusters or repeats; other values a
 * percentile bootstrap from RS_MIN_BOOT_N values, below that no interval
 * ("n too small").  RS_MEAN_NONE when there are no values. */
static void mean_of(const struct rs_run *r, const struct rs_cand *c,
		    const double *v, const struct stats_opts *o,
		    uint64_t salt, struct rs_mean *m)
{
	double *x = xmalloc((c->n ? c->n : 1) * sizeof *x);
	long *cl = xmalloc((c->n ? c->n : 1) * sizeof *cl);
	long *att = xcalloc(r->ncases ? r->ncases : 1, sizeof *att);
	bool unit = true, rep = false;
	size_t n = 0;
	memset(m, 0, sizeof *m);
	m->kind = RS_MEAN_NONE;
	m->se = NAN;
	for (size_t i = 0; i < c->n; i++) {
		const struct rs_item it_ = rs_at(c, i), *it = &it_;
		double y = v ? v[i] : it->score;
		if (it->pass < 0 || isnan(y) || it->c >= r->ncases)
			continue;
		x[n] = y;
		cl[n] = r->has_clusters ? r->cases[it->c].cluster : (long)it->c;
		unit = unit && y >= 0 && y <= 1;
		rep = rep || ++att[it->c] > 1;
		n++;
	}
	if (!n)
		goto out;
	m->n = (long)n;
	if (unit) {
		struct stats_design_ci ci;
		if (rep || r->has_clusters) {
			stats_prop_design(x, cl, n, 0.95, &ci);
		} else {
			/* the mean stats_prop_design would give (summed in
			 * the same order), without its cluster sums: ~40
			 * bytes a value of sorting, the peak of `assay
			 * stats` at a million results, for an interval
			 * that is replaced here */
			double sum = 0;
			struct interval w;
			for (size_t i = 0; i < n; i++)
				sum += x[i];
			ci.est = sum / (double)n;
			w = stats_wilson_eff(ci.est, (double)n,
					     1.959963984540054);
			ci.lo = w.lo;
			ci.hi = w.hi;
		}
		m->kind = rep || r->has_clusters ? RS_MEAN_UNIT_DESIGN
						 : RS_MEAN_UNIT;
		m->est = ci.est;
		m->lo = ci.lo;
		m->hi = ci.hi;
		goto out;
	}
	if (n >= RS_MIN_BOOT_N) {
		struct stats_boot_ci bc;
		long b = rs_boot_mean(x, n, o, salt, &bc);
		if (b) {
			m->kind = RS_MEAN_BOOT;
			m->est = bc.est;
			m->lo = bc.pct.lo;
			m->hi = bc.pct.hi;
			m->se = bc.se;
			m->resamples = b;
			goto out;
		}
	}
	{
		double s = 0;
		for (size_t i = 0; i < n; i++)
			s += x[i];
		m->kind = RS_MEAN_SMALL;
		m->est = s / (double)n;
		m->lo = m->hi = NAN;
	}
out:
	free(x);
	free(cl);
	free(att);
}

static void add_warning(struct run_stats *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void add_warning(struct run_stats *s, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	s->warnings = xrealloc(s->warnings, (s->nwarnings + 1) *
			       sizeof *s->warnings);
	s->warnings[s->nwarnings++] = xstrdup(buf);
}

/* ---- per case views of a candidate ---------------------------------------- */

/* Per case: attempts and passes over graded results, and the mean score. */
struct case_view {
	double *score;		/* mean score; NaN none */
	int32_t *att, *pas;	/* graded attempts and passes (the share of
				 * passes is view_pass: not kept, 8 bytes a
				 * case less at a million cases) */
	bool repeats;		/* some case has > 1 graded attempt */
	int kmin, kmax;		/* graded attempts per case (cases with any) */
};

/* Case k's share of graded repeats passing; NaN when none. */
static double view_pass(const struct case_view *v, size_t k)
{
	long a = v->att[k];
	return a ? (double)v->pas[k] / (double)a : NAN;
}

static void view_build(const struct rs_run *r, const struct rs_cand *c,
		       struct case_view *v)
{
	double *ssum = xcalloc(r->ncases ? r->ncases : 1, sizeof *ssum);
	v->score = xmalloc((r->ncases ? r->ncases : 1) * sizeof *v->score);
	v->att = xcalloc(r->ncases ? r->ncases : 1, sizeof *v->att);
	v->pas = xcalloc(r->ncases ? r->ncases : 1, sizeof *v->pas);
	v->repeats = false;
	v->kmin = 0;
	v->kmax = 0;
	for (size_t i = 0; i < c->n; i++) {
		const struct rs_item it_ = rs_at(c, i), *it = &it_;
		if (it->pass < 0 || it->c >= r->ncases)
			continue;
		v->att[it->c]++;
		v->pas[it->c] += it->pass;
		ssum[it->c] += it->score;
	}
	for (size_t k = 0; k < r->ncases; k++) {
		long a = v->att[k];
		v->score[k] = a ? ssum[k] / (double)a : NAN;
		if (!a)
			continue;
		if (a > 1)
			v->repeats = true;
		if (!v->kmin || a < v->kmin)
			v->kmin = (int)a;
		if (a > v->kmax)
			v->kmax = (int)a;
	}
	free(ssum);
}

static void view_free(struct case_view *v)
{
	free(v->score);
	free(v->att);
	free(v->pas);
}

/* ---- per candidate ---------------------------------------------------------- */

/* The pass-rate interval of one candidate (docs/statistics.md, "Pass
 * rate"): Wilson over graded results; with clusters or repeats the
 * design-adjusted Wilson of stats_prop_design, the unit being the
 * cluster (or, without clusters, the case).  Shared with the summary
 * table (report_stats_summary_ci) so both print the same interval. */
int rs_pass_ci(const struct rs_run *r, const struct rs_cand *c,
	       struct rs_pass_ci *out)
{
	size_t n = 0, nc = r->ncases ? r->ncases : 1;
	long *att = xcalloc(nc, sizeof *att);
	double *x = xmalloc((c->n ? c->n : 1) * sizeof *x);
	long *cl = xmalloc((c->n ? c->n : 1) * sizeof *cl);
	bool repeats = false;
	memset(out, 0, sizeof *out);
	out->k = 0;
	for (size_t i = 0; i < c->n; i++) {
		const struct rs_item it_ = rs_at(c, i), *it = &it_;
		if (it->pass < 0 || it->c >= r->ncases)
			continue;
		x[n] = it->pass;
		cl[n] = r->has_clusters ? r->cases[it->c].cluster : (long)it->c;
		out->k += it->pass;
		repeats = repeats || ++att[it->c] > 1;
		n++;
	}
	out->n = (long)n;
	out->design = repeats || r->has_clusters;
	if (!out->design || !n) {
		struct interval w = stats_wilson(out->k, out->n, 0.95);
		out->ci.est = n ? (double)out->k / (double)n : NAN;
		out->ci.lo = w.lo;
		out->ci.hi = w.hi;
		out->ci.d.clusters = n;
		out->ci.d.icc = NAN;
		out->ci.d.deff = 1;
		out->ci.d.n_eff = (double)n;
		out->cr1_se = NAN;
	} else {
		stats_prop_design(x, cl, n, 0.95, &out->ci);
		out->cr1_se = stats_cluster_se(x, cl, n, NULL);
	}
	free(att);
	free(x);
	free(cl);
	return 0;
}

const char *rs_pass_method(const struct rs_pass_ci *p)
{
	if (!p->design)
		return "wilson";
	if (p->ci.d.clusters < 2)
		return "one cluster: no interval";
	if (p->ci.est <= 0 || p->ci.est >= 1)
		return "wilson at the number of clusters (every result agrees)";
	return "wilson, design-adjusted (Kish n/deff, t with G-1 df)";
}

static void repeats_of(const struct rs_run *r, const struct case_view *v,
		       struct rs_repeats *o)
{
	size_t *idx = xmalloc((r->ncases ? r->ncases : 1) * sizeof *idx);
	size_t nf = 0, nc = 0;
	o->present = true;
	o->kmin = v->kmin;
	o->kmax = v->kmax;
	o->pass_at_k = xmalloc((v->kmin ? (size_t)v->kmin : 1) *
			       sizeof *o->pass_at_k);
	o->pass_hat_k = xmalloc((v->kmin ? (size_t)v->kmin : 1) *
				sizeof *o->pass_hat_k);
	for (int k = 1; k <= v->kmin; k++) {
		double sa = 0, sh = 0;
		nc = 0;
		for (size_t c = 0; c < r->ncases; c++) {
			if (!v->att[c])
				continue;
			sa += stats_pass_at_k(v->att[c], v->pas[c], k);
			sh += stats_pass_hat_k(v->att[c], v->pas[c], k);
			nc++;
		}
		o->pass_at_k[k - 1] = nc ? sa / (double)nc : NAN;
		o->pass_hat_k[k - 1] = nc ? sh / (double)nc : NAN;
	}
	for (size_t c = 0; c < r->ncases; c++)
		if (v->att[c] > 1 && v->pas[c] > 0 && v->pas[c] < v->att[c])
			idx[nf++] = c;
	/* flakiest first: pass share closest to one half */
	for (size_t i = 1; i < nf; i++) {
		size_t t = idx[i], j = i;
		double ft = fabs(view_pass(v, t) - 0.5);
		while (j > 0 && fabs(view_pass(v, idx[j - 1]) - 0.5) > ft) {
			idx[j] = idx[j - 1];
			j--;
		}
		idx[j] = t;
	}
	for (size_t i = 0; i < nf && i < 10; i++) {
		size_t c = idx[i];
		o->flakiest[i].c = c;
		o->flakiest[i].passes = v->pas[c];
		o->flakiest[i].attempts = v->att[c];
		o->flakiest[i].share = view_pass(v, c);
		o->nflakiest = i + 1;
	}
	nc = 0;
	for (size_t c = 0; c < r->ncases; c++)
		nc += v->att[c] > 1;
	o->cases_repeated = (long)nc;
	o->flaky_cases = (long)nf;
	o->flaky_rate = nc ? (double)nf / (double)nc : NAN;
	free(idx);
}

static void percentiles(double *x, size_t n, bool with_ci, struct rs_pctl *p)
{
	memset(p, 0, sizeof *p);
	p->n = (long)n;
	if (!n)
		return;
	stats_sort(x, n);
	p->p50 = stats_quantile_sorted(x, n, .50);
	p->p90 = stats_quantile_sorted(x, n, .90);
	p->p95 = stats_quantile_sorted(x, n, .95);
	p->p99 = stats_quantile_sorted(x, n, .99);
	p->max = x[n - 1];
	if (with_ci) {
		/* distribution-free: ties and small n cannot over-claim; an
		 * end that the sample cannot bound is infinite */
		struct interval iv = stats_quantile_os_ci(x, n, 0.95, 0.95,
							  NULL, NULL);
		p->ci = true;
		p->p95_lo = iv.lo;
		p->p95_hi = iv.hi;
	}
}

/* Tokens per second, defined once (docs/statistics.md, Latency):
 * tokens_per_s = Σ completion tokens / Σ latency (request start to last
 * byte, queueing included) — the same for streamed and whole replies;
 * gen_tokens_per_s = Σ completion tokens / Σ (latency − TTFT) over the
 * streamed replies only (generation speed, as a server reports it), NaN
 * when nothing streamed. */
static void latency_of(const struct rs_cand *c, struct rs_latency *l)
{
	double *x = xmalloc((c->n ? c->n : 1) * sizeof *x);
	double *t = xmalloc((c->n ? c->n : 1) * sizeof *t);
	double toks = 0, secs = 0, gtoks = 0, gsecs = 0;
	size_t n = 0, nt = 0;
	l->cached = 0;
	for (size_t i = 0; i < c->n; i++) {
		const struct rs_item it_ = rs_at(c, i), *it = &it_;
		/* a cache hit keeps the latency its original response had
		 * (the engine stores it with the cached answer), so a
		 * re-run still has latency figures */
		if (it->pass == RS_ERROR || isnan(it->lat))
			continue;
		l->cached += it->cached != 0;
		x[n++] = it->lat;
		if (!isnan(it->ttft))
			t[nt++] = it->ttft;
		if (it->ctok > 0 && it->lat > 0) {
			toks += (double)it->ctok;
			secs += it->lat / 1000;
			if (!isnan(it->ttft) && it->lat - it->ttft > 0) {
				gtoks += (double)it->ctok;
				gsecs += (it->lat - it->ttft) / 1000;
			}
		}
	}
	percentiles(x, n, true, &l->lat);
	percentiles(t, nt, false, &l->ttft);
	l->tps = secs > 0 ? toks / secs : NAN;
	l->gen_tps = gsecs > 0 ? gtoks / gsecs : NAN;
	free(x);
	free(t);
}

static void cost_of(const struct rs_cand *c, long passes,
		    const struct stats_opts *o, uint64_t salt,
		    struct rs_cost *k)
{
	double total = 0, judge = 0, cached = 0;
	long known = 0, retries = 0;
	for (size_t i = 0; i < c->n; i++) {
		const struct rs_item it = rs_at(c, i);
		retries += it.retries;
		judge += it.judge_cost;
		if (!isnan(it.cost)) {
			total += it.cost;
			known++;
			if (it.cached)
				cached += it.cost;
		}
	}
	memset(k, 0, sizeof *k);
	/* a cached answer's cost is what it costs, not what this run
	 * spent: shown apart */
	k->cached_usd = cached;
	k->spent_usd = total - cached;
	k->known = known;
	k->retries = retries;
	k->judge_usd = judge;
	k->total = k->per_query = k->per_1k = k->per_success = NAN;
	k->pq_lo = k->pq_hi = NAN;
	if (!known)
		return;
	k->total = total;
	k->per_query = total / (double)c->n;
	k->per_1k = k->per_query * 1000;
	k->per_success = passes ? total / (double)passes : NAN;
	/* interval of the per-query cost: percentile bootstrap of the
	 * per-result costs (unknown ones count 0, as in the total) */
	{
		double *x = xmalloc(c->n * sizeof *x);
		struct stats_boot_ci bc;
		for (size_t i = 0; i < c->n; i++) {
			double v = rs_at(c, i).cost;
			x[i] = isnan(v) ? 0 : v;
		}
		if (rs_boot_mean(x, c->n, o, salt, &bc)) {
			k->has_ci = true;
			k->pq_lo = bc.pct.lo;
			k->pq_hi = bc.pct.hi;
		}
		free(x);
	}
}

static void cand_stats(const struct rs_run *r, const struct rs_cand *c,
		       const struct case_view *v, const struct stats_opts *o,
		       size_t ci, struct run_stats *s, struct rs_cand_stats *j)
{
	uint64_t salt = (uint64_t)ci * 64;

	j->c = c;
	for (size_t i = 0; i < c->n; i++) {
		int p = rs_at(c, i).pass;
		j->passes += p == 1;
		j->fails += p == 0;
		j->errors += p == RS_ERROR;
		j->ungraded += p == RS_UNGRADED;
		j->gerrors += p == RS_GRADE_ERROR;
	}
	j->results = (long)c->n;
	j->graded = j->passes + j->fails;
	if (j->gerrors)
		add_warning(s, "%s: %ld results could not be graded "
			    "(assay's grader or a judge failed, not the model); "
			    "they are left out of its quality figures",
			    c->label, j->gerrors);
	j->error_ci = rs_wilson(j->errors, (long)c->n);
	if (c->n && (double)j->errors / (double)c->n > 0.05)
		add_warning(s, "%s: %ld of %zu requests (%.1f%%) were "
			    "infrastructure errors; they are left out, so its "
			    "quality figures may be biased", c->label,
			    j->errors, c->n,
			    100.0 * (double)j->errors / (double)c->n);
	rs_pass_ci(r, c, &j->pass);
	mean_of(r, c, NULL, o, salt + 2, &j->score);
	j->metrics = xcalloc(c->nm ? c->nm : 1, sizeof *j->metrics);
	for (size_t k = 0; k < c->nm; k++)
		mean_of(r, c, c->m[k].v, o, salt + 3 + k, &j->metrics[k]);
	if (v->repeats)
		repeats_of(r, v, &j->rep);
	latency_of(c, &j->lat);
	cost_of(c, j->passes, o, salt + 63, &j->cost);
	rs_calibration(r, c, &j->cal);
	rs_refusals(r, c, &j->ref);
	rs_failure_modes(r, c, &j->fm);
	rs_robustness(r, c, s, &j->rob);
	rs_classification(r, c, o, &j->cls);
}

/* ---- between candidates ----------------------------------------------------- */

static double signflip(const double *d, size_t n, const struct stats_opts *o,
		       uint64_t salt)
{
	return stats_signflip_auto_p(d, n, rs_opt_b(o),
				     rs_boot_opt(o, salt).seed);
}

/* The clustered version of a pair's test and interval (docs/statistics.md,
 * "Clusters"): the CR1 t test on the per-case differences with G - 1
 * degrees of freedom, its p-value never below the unclustered one
 * (clustering can only remove information when clusters are positively
 * correlated, and a negative correlation estimated from few clusters is
 * not trusted); with CR1 = 0 the exact cluster sign-flip bound 2^(1-G).
 * The interval is the hull of the unclustered one and mean ± t SE.  One
 * cluster: no test, no interval. */
static void cluster_test(const double *d, const long *cl, size_t n,
			 struct rs_pair_stats *pr)
{
	struct stats_cluster_test ct;
	int rc = stats_cluster_mean_test(d, cl, n, pr->p, pr->lo, pr->hi,
					 0.95, &ct);
	pr->clustered = true;
	pr->p_unclustered = pr->p;
	pr->clusters = (long)ct.clusters;
	if (rc) {
		pr->p = NAN;
		pr->test = "cannot be compared: the shared cases are all in "
			   "one cluster";
		pr->lo = pr->hi = NAN;
		pr->diff_method = "none (one cluster)";
		return;
	}
	pr->cluster_ok = true;
	pr->p = ct.p;
	pr->p_cr1_t = ct.p_t;
	pr->cr1_se = ct.se;
	pr->test = "cluster-robust (CR1) t test, G-1 df, never below the "
		   "unclustered p";
	pr->lo = fmax(-1, ct.lo);
	pr->hi = fmin(1, ct.hi);
	pr->diff_method = "hull of Newcombe at the effective counts (or, with "
			  "repeats, the unclustered interval) and mean \u00b1 "
			  "t(G-1) CR1 se";
}

static void pair_stats(const struct rs_run *r, const struct case_view *va,
		       const struct case_view *vb, const struct stats_opts *o,
		       uint64_t salt, struct rs_pair_stats *pr)
{
	size_t nc = r->ncases ? r->ncases : 1, n = 0;
	double *d = xmalloc(nc * sizeof *d), *ds = xmalloc(nc * sizeof *ds);
	long *cl = xmalloc(nc * sizeof *cl);
	long a = 0, b = 0, c = 0, dd = 0;
	bool binary = !va->repeats && !vb->repeats;
	struct stats_boot_ci bc;
	double mean = 0, abs_sum = 0, md = o && o->mdd > 0 ? o->mdd : 0.05;
	long bres;

	for (size_t k = 0; k < r->ncases; k++) {
		double x = view_pass(va, k), y = view_pass(vb, k);
		if (isnan(x) || isnan(y))
			continue;
		d[n] = x - y;
		ds[n] = va->score[k] - vb->score[k];
		cl[n] = r->cases[k].cluster;
		mean += d[n];
		abs_sum += fabs(d[n]);
		if (binary) {
			a += x == 1 && y == 1;
			b += x == 1 && y == 0;
			c += x == 0 && y == 1;
			dd += x == 0 && y == 0;
		}
		n++;
	}
	pr->n = (long)n;
	pr->p = pr->p_holm = pr->sd_p = pr->sd_p_holm = NAN;
	pr->est = pr->lo = pr->hi = NAN;
	pr->discordance = NAN;
	pr->cases_for_mdd = -1;
	if (!n) {
		pr->test = "cannot be compared: no shared graded cases";
		goto out;
	}
	mean /= (double)n;
	pr->discordance = abs_sum / (double)n;
	pr->est = mean;
	if (binary) {
		struct interval ni = stats_paired_diff_newcombe(a, b, c, dd, 0.95);
		pr->lo = ni.lo;
		pr->hi = ni.hi;
		pr->diff_method = "newcombe";
		pr->p = stats_mcnemar_exact(b, c);
		pr->test = "mcnemar exact";
		pr->a_only = b;
		pr->b_only = c;
	} else {
		/* hull with Newcombe on the expected 2x2 table of a random
		 * pairing of attempts, so that equal shares (no discordance)
		 * or few cases never give a [0, 0] */
		double fa = 0, fb = 0, fc = 0, fd = 0;
		struct interval ni;
		for (size_t k = 0; k < r->ncases; k++) {
			double x = view_pass(va, k), y = view_pass(vb, k);
			if (isnan(x) || isnan(y))
				continue;
			fa += x * y;
			fb += x * (1 - y);
			fc += (1 - x) * y;
			fd += (1 - x) * (1 - y);
		}
		ni = stats_paired_diff_newcombe_f(fa, fb, fc, fd, 0.95);
		bres = rs_boot_mean(d, n, o, salt, &bc);
		pr->lo = bres ? fmin(bc.pct.lo, ni.lo) : ni.lo;
		pr->hi = bres ? fmax(bc.pct.hi, ni.hi) : ni.hi;
		pr->diff_method = "hull of the paired bootstrap of per-case "
				  "pass shares and Newcombe on the expected "
				  "2x2 table";
		pr->p = signflip(d, n, o, salt + 1);
		pr->test = "sign-flip";
		for (size_t k = 0; k < n; k++) {
			pr->a_only += d[k] > 0;
			pr->b_only += d[k] < 0;
		}
	}
	if (r->has_clusters && binary) {
		/* the floor of the clustered interval: Newcombe at the
		 * effective counts (design effect of the differences) */
		size_t g = 0;
		struct interval nd;
		stats_cluster_se(d, cl, n, &g);
		nd = stats_newcombe_design(a, b, c, dd, stats_deff_mean(d, cl, n),
					   g >= 2 ? (double)g - 1 : 0, 0.95);
		pr->lo = nd.lo;
		pr->hi = nd.hi;
	}
	if (r->has_clusters)
		cluster_test(d, cl, n, pr);
	/* scores: only when they carry more than pass/fail */
	{
		bool same = true;
		for (size_t k = 0; k < n && same; k++)
			same = ds[k] == d[k];
		if (!same) {
			double sm = 0;
			for (size_t k = 0; k < n; k++)
				sm += ds[k];
			bres = rs_boot_mean(ds, n, o, salt + 3, &bc);
			pr->has_score = true;
			pr->sd_est = sm / (double)n;
			pr->sd_lo = bres ? bc.pct.lo : NAN;
			pr->sd_hi = bres ? bc.pct.hi : NAN;
			pr->sd_p = signflip(ds, n, o, salt + 4);
			if (r->has_clusters) {
				/* as cluster_test: CR1 t, never below the
				 * unclustered p; one cluster: no test */
				struct stats_cluster_test ct;
				if (stats_cluster_mean_test(ds, cl, n, pr->sd_p,
							    NAN, NAN, 0.95, &ct))
					pr->sd_p = NAN;
				else
					pr->sd_p = ct.p;
			}
		}
	}
	/* with clusters Connor's n counts effective cases: the MDD at
	 * n / deff and the cases needed times deff (deff of the per-case
	 * differences, stats_deff_mean) */
	pr->mdd_deff = r->has_clusters ? stats_deff_mean(d, cl, n) : 1;
	pr->mdd = stats_mdd_paired((long)floor((double)n / pr->mdd_deff),
				   pr->discordance, 0.05, 0.8);
	{
		long need = stats_n_paired(pr->discordance, md, 0.05, 0.8);
		pr->cases_for_mdd = need > 0 ? (long)ceil(
			(double)need * pr->mdd_deff - 1e-9) : -1;
	}
out:
	free(d);
	free(ds);
	free(cl);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Tied groups (compact letter display) on pass rates, over the
 * candidates with graded results (the others: group "no data"). */
static void tied_groups(struct run_stats *s, const double *p)
{
	struct rs_comparisons *m = &s->cmp;
	size_t k = s->ncands, ks = 0;
	double *mean = xmalloc(k * sizeof *mean);
	double *padj = xmalloc(k * k * sizeof *padj);
	size_t order[STATS_CLD_MAX], sub[STATS_CLD_MAX];
	long pos[STATS_CLD_MAX];
	uint64_t groups[STATS_CLD_MAX];
	int g = 0;
	for (size_t i = 0; i < k; i++) {
		double e = s->cands[i].pass.ci.est;
		pos[i] = -1;
		if (isnan(e)) {
			s->cands[i].has_group = true;
			snprintf(s->cands[i].group, sizeof s->cands[i].group,
				 "no data");
			continue;
		}
		pos[i] = (long)ks;
		sub[ks] = i;
		mean[ks++] = e;
	}
	for (size_t i = 0; i < ks; i++)
		padj[i * ks + i] = 1;
	for (size_t i = 0; i < m->npairs; i++) {
		long a, b;
		if (m->pairs[i].a >= k || m->pairs[i].b >= k)
			continue;
		a = pos[m->pairs[i].a];
		b = pos[m->pairs[i].b];
		if (a < 0 || b < 0)
			continue;
		padj[(size_t)a * ks + (size_t)b] = p[i];
		padj[(size_t)b * ks + (size_t)a] = p[i];
	}
	if (ks)
		g = stats_cld(mean, padj, ks, 0.05, order, groups, STATS_CLD_MAX);
	if (g > 0) {
		m->order = xmalloc(ks * sizeof *m->order);
		m->norder = ks;
		for (size_t i = 0; i < ks; i++) {
			struct rs_cand_stats *c = &s->cands[sub[i]];
			c->has_group = true;
			stats_cld_letters(groups, g, i, c->group, sizeof c->group);
			m->order[i] = sub[order[i]];
		}
		m->ngroups = (size_t)g;
		m->tied = xcalloc((size_t)g, sizeof *m->tied);
		m->ntied = xcalloc((size_t)g, sizeof *m->ntied);
		for (int gi = 0; gi < g; gi++) {
			m->tied[gi] = xmalloc(ks * sizeof **m->tied);
			for (size_t i = 0; i < ks; i++)
				if (groups[gi] >> order[i] & 1)
					m->tied[gi][m->ntied[gi]++] =
						sub[order[i]];
		}
	}
	free(mean);
	free(padj);
}

static void comparisons(const struct rs_run *r, const struct case_view *v,
			const struct stats_opts *o, struct run_stats *s)
{
	struct rs_comparisons *m = &s->cmp;
	size_t k = r->ncands, np = k * (k - 1) / 2, q = 0;
	double *p = xmalloc((np ? np : 1) * sizeof *p);
	double *ps = xmalloc((np ? np : 1) * sizeof *ps);
	double *psis = xmalloc((np ? np : 1) * sizeof *psis);
	double *deffs = xmalloc((np ? np : 1) * sizeof *deffs);
	double md = o && o->mdd > 0 ? o->mdd : 0.05, best = NAN;
	size_t npsi = 0, nsc = 0;
	long nmed = 0;

	m->present = true;
	m->pairs = xcalloc(np ? np : 1, sizeof *m->pairs);
	m->npairs = np;
	for (size_t a = 0; a < k; a++)
		for (size_t b = a + 1; b < k; b++, q++) {
			struct rs_pair_stats *pr = &m->pairs[q];
			pr->a = a;
			pr->b = b;
			pair_stats(r, &v[a], &v[b], o, 1000003u + q * 8, pr);
			p[q] = pr->p;
			if (pr->has_score)
				ps[nsc++] = isnan(pr->sd_p) ? 1 : pr->sd_p;
			if (isfinite(pr->discordance) && pr->discordance > 0) {
				deffs[npsi] = pr->mdd_deff;
				psis[npsi++] = pr->discordance;
			}
			if (pr->n > nmed)
				nmed = pr->n;
		}
	/* a pair that cannot be compared counts in the family as p = 1 */
	for (size_t i = 0; i < np; i++)
		if (isnan(p[i]))
			p[i] = 1;
	stats_holm(p, np, p);
	stats_holm(ps, nsc, ps);
	for (size_t i = 0, sc = 0; i < np; i++) {
		struct rs_pair_stats *pr = &m->pairs[i];
		bool cmp = !isnan(pr->p);
		pr->p_holm = cmp ? p[i] : NAN;
		pr->significant = cmp && p[i] < 0.05;
		if (pr->has_score) {
			pr->sd_p_holm = isnan(pr->sd_p) ? NAN : ps[sc];
			sc++;
		}
	}
	if (k >= 1 && k <= STATS_CLD_MAX) {
		for (size_t i = 0; i < k; i++) {
			double e = s->cands[i].pass.ci.est;
			if (!isnan(e) && (isnan(best) || e > best))
				best = e;
		}
		tied_groups(s, p);
	}
	/* minimum detectable difference */
	qsort(psis, npsi, sizeof *psis, cmp_double);
	m->cases = nmed;
	m->target = md;
	m->for_target_paired = m->for_target_unpaired = -1;
	m->paired = m->unpaired = m->discordance = m->deff = NAN;
	if (npsi) {
		/* median discordance, and the median design effect */
		long need;
		qsort(deffs, npsi, sizeof *deffs, cmp_double);
		m->has_paired = true;
		m->deff = deffs[npsi / 2];
		m->discordance = psis[npsi / 2];
		need = stats_n_paired(m->discordance, md, 0.05, 0.8);
		m->paired = stats_mdd_paired((long)floor((double)nmed / m->deff),
					     m->discordance, 0.05, 0.8);
		m->for_target_paired = need > 0 ? (long)ceil(
			(double)need * m->deff - 1e-9) : -1;
	}
	if (!isnan(best) && nmed > 0) {
		long need = stats_n_unpaired(best, best > 0.5 ? best - md
							      : best + md,
					     0.05, 0.8);
		m->has_unpaired = true;
		m->unpaired = stats_mdd_unpaired(nmed, best, 0.05, 0.8);
		m->for_target_unpaired = need > 0 ? need : -1;
	}
	free(p);
	free(ps);
	free(psis);
	free(deffs);
}

/* ---- the decision's inputs ------------------------------------------------- */

static double fin(double v)
{
	return isfinite(v) ? v : NAN;
}

static void dec_input(const struct rs_cand_stats *c, struct rs_dec_cand *f)
{
	const struct rs_pass_ci *p = &c->pass;
	f->label = c->c->label;
	f->pass = fin(p->ci.est);
	f->pass_lo = fin(p->ci.lo);
	f->pass_hi = fin(p->ci.hi);
	f->deff = p->design ? fin(p->ci.d.deff) : NAN;
	f->n = c->graded;
	f->nodata = f->n == 0;
	f->p95 = c->lat.lat.n ? fin(c->lat.lat.p95) : NAN;
	f->p95_lo = c->lat.lat.n ? fin(c->lat.lat.p95_lo) : NAN;
	f->p95_hi = c->lat.lat.n ? fin(c->lat.lat.p95_hi) : NAN;
	f->cost = fin(c->cost.per_1k);
	f->cost_lo = c->cost.has_ci ? fin(1000 * c->cost.pq_lo) : NAN;
	f->cost_hi = c->cost.has_ci ? fin(1000 * c->cost.pq_hi) : NAN;
	f->pq = fin(c->cost.per_query);
	f->pq_lo = c->cost.has_ci ? fin(c->cost.pq_lo) : NAN;
	f->pq_hi = c->cost.has_ci ? fin(c->cost.pq_hi) : NAN;
	f->errs = c->errors;
	f->results = c->results;
	f->items = c->c;
}

/* ---- the whole ------------------------------------------------------------- */

void rs_compute_stats(const struct rs_run *r, const struct stats_opts *o,
		      struct run_stats *s)
{
	struct case_view *v = xcalloc(r->ncands ? r->ncands : 1, sizeof *v);
	memset(s, 0, sizeof *s);
	s->run = r;
	s->resamples = rs_opt_b(o);
	s->seed = o ? o->seed : 0;
	if (r->has_clusters)
		add_warning(s, "cases share clusters: intervals and tests "
			    "rest on %zu clusters, not %zu cases",
			    r->nclusters, r->ncases);
	rs_perturb_index(r, s);
	s->ncands = r->ncands;
	s->cands = xcalloc(r->ncands ? r->ncands : 1, sizeof *s->cands);
	for (size_t i = 0; i < r->ncands; i++) {
		view_build(r, &r->cands[i], &v[i]);
		cand_stats(r, &r->cands[i], &v[i], o, i, s, &s->cands[i]);
	}
	rs_failure_modes_holm(s->cands, s->ncands);
	if (r->ncands >= 2) {
		comparisons(r, v, o, s);
		rs_robust_pairs(r, s);
		rs_asr_pairs(r, o, s);
	}
	if (r->ncands) {
		struct rs_dec_cand *f = xcalloc(r->ncands, sizeof *f);
		for (size_t i = 0; i < r->ncands; i++)
			dec_input(&s->cands[i], &f[i]);
		rs_decision(&r->decision, f, r->ncands, &s->dec);
		free(f);
	}
	for (size_t i = 0; i < r->ncands; i++)
		view_free(&v[i]);
	free(v);
}

void run_stats_free(struct run_stats *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->ncands; i++) {
		struct rs_cand_stats *c = &s->cands[i];
		free(c->metrics);
		free(c->rep.pass_at_k);
		free(c->rep.pass_hat_k);
		free(c->fm.tags);
		free(c->rob.flips);
		free(c->rob.flip);
		free(c->cls.matrix);
		free(c->cls.per);
	}
	free(s->cands);
	free(s->cmp.pairs);
	for (size_t g = 0; g < s->cmp.ngroups; g++)
		free(s->cmp.tied[g]);
	free(s->cmp.tied);
	free(s->cmp.ntied);
	free(s->cmp.order);
	free(s->cmp.robust);
	free(s->cmp.asr);
	free(s->case_kind);
	free(s->case_orig);
	rs_decision_free(&s->dec);
	for (size_t i = 0; i < s->nwarnings; i++)
		free(s->warnings[i]);
	free(s->warnings);
	for (size_t i = 0; i < s->nperturbs; i++)
		free(s->perturbs[i]);
	free(s->perturbs);
	rs_human_free(&s->human);
	if (s->own) {
		rs_run_free(s->own);
		free(s->own);
	}
	memset(s, 0, sizeof *s);
}
