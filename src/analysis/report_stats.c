/* report_stats.c — the statistics of a run: the front door functions of
 * stats_report.h, per-candidate figures (pass rate, score, named metrics,
 * repeats, latency, cost, errors) and the paired comparisons between
 * candidates (difference, McNemar / sign-flip, Holm, tied groups, minimum
 * detectable difference, clusters).  Calibration, refusals, failure modes,
 * robustness and classification live in report_stats_beyond.c, the
 * decision in report_stats_decide.c, printing in report_stats_print.c.
 *
 * Everything is computed from the arrays of report_stats_int.h; nothing
 * here touches the store, so the bench and the tests can call rs_compute
 * on a hand-built run.  Definitions and formulas: docs/statistics.md. */
#include "../report/report_stats_int.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../report/report.h"
#include "../stats/stats.h"
#include "../util/xalloc.h"

#define RS_DEFAULT_B 10000
/* Resampling budget for a mean of general (many-valued) data: the
 * bootstrap costs B * n draws there, so B is cut to keep B * n under
 * this, but never below RS_MIN_B (docs/statistics.md, "Speed"). */
#define RS_BUDGET 20000000.0
#define RS_MIN_B 200
/* Sign-flip tests with more non-zero differences than this use the normal
 * approximation of the permutation distribution. */
#define RS_SIGNFLIP_MC_MAX 1000

/* ---- helpers ---------------------------------------------------------------- */

json_t *rs_num(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

json_t *rs_interval(double est, double lo, double hi)
{
	json_t *o = json_object();
	json_object_set_new(o, "est", rs_num(est));
	json_object_set_new(o, "lo", rs_num(lo));
	json_object_set_new(o, "hi", rs_num(hi));
	return o;
}

json_t *rs_wilson(long k, long n)
{
	struct interval w = stats_wilson(k, n, 0.95);
	json_t *o = rs_interval(n ? (double)k / (double)n : NAN, w.lo, w.hi);
	json_object_set_new(o, "k", json_integer(k));
	json_object_set_new(o, "n", json_integer(n));
	return o;
}

double rs_jnum(const json_t *o, const char *path)
{
	char key[64];
	while (o && *path) {
		size_t n = strcspn(path, ".");
		if (n >= sizeof key)
			return NAN;
		memcpy(key, path, n);
		key[n] = '\0';
		o = json_object_get(o, key);
		path += n + (path[n] == '.');
	}
	return json_is_number(o) ? json_number_value(o) : NAN;
}

static long opt_b(const struct stats_opts *o)
{
	return o && o->resamples > 0 ? o->resamples : RS_DEFAULT_B;
}

struct stats_boot_opt rs_boot_opt(const struct stats_opts *o, uint64_t salt)
{
	struct stats_boot_opt b = { .resamples = opt_b(o), .conf = 0.95 };
	uint64_t s = (o ? o->seed : 0) ^ (salt * 0x9E3779B97F4A7C15ull);
	b.seed = stats_splitmix64(&s);
	return b;
}

/* True when x has at most 64 distinct values (the bootstrap then
 * resamples counts, whose cost does not grow with n). */
static bool few_distinct(const double *x, size_t n)
{
	double seen[64];
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		size_t j;
		for (j = 0; j < k && seen[j] != x[i]; j++)
			;
		if (j < k)
			continue;
		if (k == 64)
			return false;
		seen[k++] = x[i];
	}
	return true;
}

long rs_boot_mean(const double *x, size_t n, const struct stats_opts *o,
		  uint64_t salt, struct stats_boot_ci *out)
{
	struct stats_boot_opt b = rs_boot_opt(o, salt);
	if (!few_distinct(x, n) && (double)b.resamples * (double)n > RS_BUDGET)
		b.resamples = (long)fmax(RS_MIN_B, RS_BUDGET / (double)n);
	if (stats_boot_mean(x, n, &b, out))
		return 0;
	return b.resamples;
}

static json_t *boot_json(const struct stats_boot_ci *ci, long b, size_t n)
{
	json_t *o = rs_interval(ci->est, ci->pct.lo, ci->pct.hi);
	json_object_set_new(o, "n", json_integer((json_int_t)n));
	json_object_set_new(o, "se", rs_num(ci->se));
	json_object_set_new(o, "resamples", json_integer(b));
	return o;
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
 * ("n too small").  NULL when there are no values. */
static json_t *mean_json(const struct rs_run *r, const struct rs_cand *c,
			 const double *v, const struct stats_opts *o,
			 uint64_t salt)
{
	double *x = xmalloc((c->n ? c->n : 1) * sizeof *x);
	long *cl = xmalloc((c->n ? c->n : 1) * sizeof *cl);
	long *att = xcalloc(r->ncases ? r->ncases : 1, sizeof *att);
	bool unit = true, rep = false;
	size_t n = 0;
	json_t *j = NULL;
	for (size_t i = 0; i < c->n; i++) {
		const struct rs_item *it = &c->it[i];
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
	if (unit) {
		struct stats_design_ci ci;
		if (rep || r->has_clusters) {
			stats_prop_design(x, cl, n, 0.95, &ci);
		} else {
			struct interval w;
			stats_prop_design(x, cl, n, 0.95, &ci);	/* for est */
			w = stats_wilson_eff(ci.est, (double)n, 1.959963984540054);
			ci.lo = w.lo;
			ci.hi = w.hi;
		}
		j = rs_interval(ci.est, ci.lo, ci.hi);
		json_object_set_new(j, "n", json_integer((json_int_t)n));
		json_object_set_new(j, "method", json_string(
			rep || r->has_clusters
			? "wilson on the mean of [0, 1] values, design-adjusted"
			: "wilson on the mean of [0, 1] values"));
	} else if (n >= RS_MIN_BOOT_N) {
		struct stats_boot_ci bc;
		long b = rs_boot_mean(x, n, o, salt, &bc);
		if (b) {
			j = boot_json(&bc, b, n);
			json_object_set_new(j, "method", json_string(
				"percentile bootstrap"));
		}
	}
	if (!j) {
		double m = 0;
		for (size_t i = 0; i < n; i++)
			m += x[i];
		j = rs_interval(m / (double)n, NAN, NAN);
		json_object_set_new(j, "n", json_integer((json_int_t)n));
		json_object_set_new(j, "method", json_string(
			"none: n too small for an interval"));
	}
out:
	free(x);
	free(cl);
	free(att);
	return j;
}

static void add_warning(json_t *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void add_warning(json_t *w, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	json_array_append_new(w, json_string(buf));
}

/* ---- per case views of a candidate ---------------------------------------- */

/* Per case: attempts and passes over graded results, and the mean score. */
struct case_view {
	double *pass;		/* share of graded repeats passing; NaN none */
	double *score;		/* mean score; NaN none */
	long *att, *pas;
	bool repeats;		/* some case has > 1 graded attempt */
	int kmin, kmax;		/* graded attempts per case (cases with any) */
};

static void view_build(const struct rs_run *r, const struct rs_cand *c,
		       struct case_view *v)
{
	double *ssum = xcalloc(r->ncases ? r->ncases : 1, sizeof *ssum);
	v->pass = xmalloc((r->ncases ? r->ncases : 1) * sizeof *v->pass);
	v->score = xmalloc((r->ncases ? r->ncases : 1) * sizeof *v->score);
	v->att = xcalloc(r->ncases ? r->ncases : 1, sizeof *v->att);
	v->pas = xcalloc(r->ncases ? r->ncases : 1, sizeof *v->pas);
	v->repeats = false;
	v->kmin = 0;
	v->kmax = 0;
	for (size_t i = 0; i < c->n; i++) {
		const struct rs_item *it = &c->it[i];
		if (it->pass < 0 || it->c >= r->ncases)
			continue;
		v->att[it->c]++;
		v->pas[it->c] += it->pass;
		ssum[it->c] += it->score;
	}
	for (size_t k = 0; k < r->ncases; k++) {
		long a = v->att[k];
		v->pass[k] = a ? (double)v->pas[k] / (double)a : NAN;
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
	free(v->pass);
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
		const struct rs_item *it = &c->it[i];
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

static json_t *pass_rate(const struct rs_run *r, const struct rs_cand *c)
{
	struct rs_pass_ci p;
	json_t *pr;
	rs_pass_ci(r, c, &p);
	pr = rs_interval(p.ci.est, p.ci.lo, p.ci.hi);
	json_object_set_new(pr, "k", json_integer(p.k));
	json_object_set_new(pr, "n", json_integer(p.n));
	json_object_set_new(pr, "method", json_string(rs_pass_method(&p)));
	if (p.design) {
		json_object_set_new(pr, "clusters",
				    json_integer((json_int_t)p.ci.d.clusters));
		json_object_set_new(pr, "icc", rs_num(p.ci.d.icc));
		json_object_set_new(pr, "deff", rs_num(p.ci.d.deff));
		json_object_set_new(pr, "n_eff", rs_num(p.ci.d.n_eff));
		json_object_set_new(pr, "cr1_se", rs_num(p.cr1_se));
	}
	return pr;
}

static json_t *repeats_json(const struct rs_run *r, const struct case_view *v)
{
	json_t *o = json_object(), *pk = json_object(), *ph = json_object();
	json_t *fl = json_array();
	size_t *idx = xmalloc((r->ncases ? r->ncases : 1) * sizeof *idx);
	size_t nf = 0, nc = 0;
	for (int k = 1; k <= v->kmin; k++) {
		double sa = 0, sh = 0;
		char key[16];
		nc = 0;
		for (size_t c = 0; c < r->ncases; c++) {
			if (!v->att[c])
				continue;
			sa += stats_pass_at_k(v->att[c], v->pas[c], k);
			sh += stats_pass_hat_k(v->att[c], v->pas[c], k);
			nc++;
		}
		snprintf(key, sizeof key, "%d", k);
		json_object_set_new(pk, key, rs_num(nc ? sa / (double)nc : NAN));
		json_object_set_new(ph, key, rs_num(nc ? sh / (double)nc : NAN));
	}
	for (size_t c = 0; c < r->ncases; c++)
		if (v->att[c] > 1 && v->pas[c] > 0 && v->pas[c] < v->att[c])
			idx[nf++] = c;
	/* flakiest first: pass share closest to one half */
	for (size_t i = 1; i < nf; i++) {
		size_t t = idx[i], j = i;
		double ft = fabs(v->pass[t] - 0.5);
		while (j > 0 && fabs(v->pass[idx[j - 1]] - 0.5) > ft) {
			idx[j] = idx[j - 1];
			j--;
		}
		idx[j] = t;
	}
	for (size_t i = 0; i < nf && i < 10; i++) {
		size_t c = idx[i];
		json_array_append_new(fl, json_pack(
			"{s:I, s:s?, s:I, s:I, s:o}", "case", (json_int_t)c,
			"description", r->cases[c].desc, "passes",
			(json_int_t)v->pas[c], "attempts",
			(json_int_t)v->att[c], "pass_share",
			rs_num(v->pass[c])));
	}
	nc = 0;
	for (size_t c = 0; c < r->ncases; c++)
		nc += v->att[c] > 1;
	json_object_set_new(o, "k_min", json_integer(v->kmin));
	json_object_set_new(o, "k_max", json_integer(v->kmax));
	json_object_set_new(o, "cases_repeated", json_integer((json_int_t)nc));
	json_object_set_new(o, "flaky_cases", json_integer((json_int_t)nf));
	json_object_set_new(o, "flaky_rate", rs_num(nc ? (double)nf / (double)nc
							: NAN));
	json_object_set_new(o, "pass_at_k", pk);
	json_object_set_new(o, "pass_hat_k", ph);
	json_object_set_new(o, "flakiest", fl);
	free(idx);
	return o;
}

static json_t *percentiles(double *x, size_t n, bool with_ci,
			   const struct stats_opts *o, uint64_t salt)
{
	json_t *j = json_object();
	(void)o;
	(void)salt;
	json_object_set_new(j, "n", json_integer((json_int_t)n));
	if (!n)
		return j;
	stats_sort(x, n);
	json_object_set_new(j, "p50", rs_num(stats_quantile_sorted(x, n, .50)));
	json_object_set_new(j, "p90", rs_num(stats_quantile_sorted(x, n, .90)));
	json_object_set_new(j, "p95", rs_num(stats_quantile_sorted(x, n, .95)));
	json_object_set_new(j, "p99", rs_num(stats_quantile_sorted(x, n, .99)));
	json_object_set_new(j, "max", rs_num(x[n - 1]));
	if (with_ci) {
		/* distribution-free: ties and small n cannot over-claim; an
		 * end that the sample cannot bound is null + *_unbounded */
		struct interval iv = stats_quantile_os_ci(x, n, 0.95, 0.95,
							  NULL, NULL);
		json_object_set_new(j, "p95_lo", rs_num(iv.lo));
		json_object_set_new(j, "p95_hi", rs_num(iv.hi));
		if (isinf(iv.hi))
			json_object_set_new(j, "p95_hi_unbounded", json_true());
		json_object_set_new(j, "p95_method", json_string(
			"order statistics (distribution-free)"));
	}
	if (n < 20)
		json_object_set_new(j, "note", json_string(
			"fewer than 20 samples: p95 and above are the largest "
			"values seen, not a reliable tail estimate"));
	return j;
}

/* Tokens per second, defined once (docs/statistics.md, Latency):
 * tokens_per_s = Σ completion tokens / Σ latency (request start to last
 * byte, queueing included) — the same for streamed and whole replies;
 * gen_tokens_per_s = Σ completion tokens / Σ (latency − TTFT) over the
 * streamed replies only (generation speed, as a server reports it), null
 * when nothing streamed. */
static json_t *latency_json(const struct rs_cand *c,
			    const struct stats_opts *o, uint64_t salt)
{
	double *x = xmalloc((c->n ? c->n : 1) * sizeof *x);
	double *t = xmalloc((c->n ? c->n : 1) * sizeof *t);
	double toks = 0, secs = 0, gtoks = 0, gsecs = 0;
	size_t n = 0, nt = 0;
	json_t *j;
	size_t ncached = 0;
	for (size_t i = 0; i < c->n; i++) {
		const struct rs_item *it = &c->it[i];
		/* a cache hit keeps the latency its original response had
		 * (the engine stores it with the cached answer), so a
		 * re-run still has latency figures */
		if (it->pass == RS_ERROR || isnan(it->lat))
			continue;
		ncached += it->cached != 0;
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
	j = percentiles(x, n, true, o, salt);
	json_object_set_new(j, "cached", json_integer((json_int_t)ncached));
	json_object_set_new(j, "ttft", nt ? percentiles(t, nt, false, o, salt)
					  : json_null());
	json_object_set_new(j, "tokens_per_s", rs_num(secs > 0 ? toks / secs
							       : NAN));
	json_object_set_new(j, "gen_tokens_per_s",
			    rs_num(gsecs > 0 ? gtoks / gsecs : NAN));
	free(x);
	free(t);
	return j;
}

static json_t *cost_json(const struct rs_cand *c, long passes,
			 const struct stats_opts *o, uint64_t salt)
{
	double total = 0, judge = 0, cached = 0;
	long known = 0, retries = 0;
	json_t *j = json_object();
	for (size_t i = 0; i < c->n; i++) {
		retries += c->it[i].retries;
		judge += c->it[i].judge_cost;
		if (!isnan(c->it[i].cost)) {
			total += c->it[i].cost;
			known++;
			if (c->it[i].cached)
				cached += c->it[i].cost;
		}
	}
	/* a cached answer's cost is what it costs, not what this run
	 * spent: shown apart */
	json_object_set_new(j, "cached_usd", json_real(cached));
	json_object_set_new(j, "spent_usd", json_real(total - cached));
	json_object_set_new(j, "known", json_integer(known));
	json_object_set_new(j, "retries", json_integer(retries));
	if (!known) {
		json_object_set_new(j, "total_usd", json_null());
		json_object_set_new(j, "per_query", json_null());
		json_object_set_new(j, "per_1k", json_null());
		json_object_set_new(j, "per_success", json_null());
	} else {
		double per = total / (double)c->n;
		json_object_set_new(j, "total_usd", json_real(total));
		json_object_set_new(j, "per_query", json_real(per));
		json_object_set_new(j, "per_1k", json_real(per * 1000));
		json_object_set_new(j, "per_success",
				    rs_num(passes ? total / (double)passes : NAN));
		/* interval of the per-query cost: percentile bootstrap of
		 * the per-result costs (unknown ones count 0, as in the
		 * total) */
		{
			double *x = xmalloc(c->n * sizeof *x);
			struct stats_boot_ci bc;
			for (size_t i = 0; i < c->n; i++)
				x[i] = isnan(c->it[i].cost) ? 0 : c->it[i].cost;
			if (rs_boot_mean(x, c->n, o, salt, &bc)) {
				json_object_set_new(j, "per_query_lo",
						    rs_num(bc.pct.lo));
				json_object_set_new(j, "per_query_hi",
						    rs_num(bc.pct.hi));
				json_object_set_new(j, "per_1k_lo",
						    rs_num(1000 * bc.pct.lo));
				json_object_set_new(j, "per_1k_hi",
						    rs_num(1000 * bc.pct.hi));
			}
			free(x);
		}
	}
	/* What judges cost to grade this candidate: never in its own cost. */
	json_object_set_new(j, "judge_usd", json_real(judge));
	return j;
}

static json_t *cand_json(const struct rs_run *r, const struct rs_cand *c,
			 const struct case_view *v, const struct stats_opts *o,
			 size_t ci, json_t *warnings)
{
	json_t *j = json_object(), *m = json_object(), *sec;
	long passes = 0, fails = 0, errors = 0, ungraded = 0, gerrors = 0;
	double *x = xmalloc((c->n ? c->n : 1) * sizeof *x);
	uint64_t salt = (uint64_t)ci * 64;
	size_t n = 0;

	for (size_t i = 0; i < c->n; i++) {
		int p = c->it[i].pass;
		passes += p == 1;
		fails += p == 0;
		errors += p == RS_ERROR;
		ungraded += p == RS_UNGRADED;
		gerrors += p == RS_GRADE_ERROR;
		if (p >= 0)
			x[n++] = c->it[i].score;
	}
	json_object_set_new(j, "label", json_string(c->label));
	json_object_set_new(j, "provider", json_string(c->provider_id));
	json_object_set_new(j, "prompt", json_string(c->prompt_label));
	json_object_set_new(j, "results", json_integer((json_int_t)c->n));
	json_object_set_new(j, "graded", json_integer(passes + fails));
	json_object_set_new(j, "passes", json_integer(passes));
	json_object_set_new(j, "fails", json_integer(fails));
	json_object_set_new(j, "errors", json_integer(errors));
	json_object_set_new(j, "ungraded", json_integer(ungraded));
	json_object_set_new(j, "grading_errors", json_integer(gerrors));
	if (gerrors)
		add_warning(warnings, "%s: %ld results could not be graded "
			    "(assay's grader or a judge failed, not the model); "
			    "they are left out of its quality figures",
			    c->label, gerrors);
	json_object_set_new(j, "error_rate", rs_num(c->n ? (double)errors /
						    (double)c->n : NAN));
	json_object_set_new(j, "error_rate_ci", rs_wilson(errors, (long)c->n));
	if (c->n && (double)errors / (double)c->n > 0.05)
		add_warning(warnings, "%s: %ld of %zu requests (%.1f%%) were "
			    "infrastructure errors; they are left out, so its "
			    "quality figures may be biased", c->label, errors,
			    c->n, 100.0 * (double)errors / (double)c->n);
	json_object_set_new(j, "pass_rate", pass_rate(r, c));
	json_object_set_new(j, "score", mean_json(r, c, NULL, o, salt + 2));
	for (size_t k = 0; k < c->nm; k++) {
		json_t *mj = mean_json(r, c, c->m[k].v, o, salt + 3 + k);
		if (mj)
			json_object_set_new(m, c->m[k].name, mj);
	}
	json_object_set_new(j, "metrics", m);
	json_object_set_new(j, "repeats", v->repeats ? repeats_json(r, v)
						     : json_null());
	json_object_set_new(j, "latency", latency_json(c, o, salt + 4));
	json_object_set_new(j, "cost", cost_json(c, passes, o, salt + 63));
	if ((sec = rs_calibration(r, c)))
		json_object_set_new(j, "calibration", sec);
	if ((sec = rs_refusals(r, c)))
		json_object_set_new(j, "refusals", sec);
	json_object_set_new(j, "failure_modes", rs_failure_modes(r, c));
	if ((sec = rs_robustness(r, c)))
		json_object_set_new(j, "robustness", sec);
	if ((sec = rs_classification(r, c, o)))
		json_object_set_new(j, "classification", sec);
	free(x);
	return j;
}

/* ---- between candidates ----------------------------------------------------- */

/* Two-sided sign-flip p-value; the normal approximation of the
 * permutation distribution (mean 0, variance sum d^2) for many
 * differences. */
static double signflip(const double *d, size_t n, const struct stats_opts *o,
		       uint64_t salt)
{
	double s = 0, ss = 0;
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (d[i] != 0) {
			s += d[i];
			ss += d[i] * d[i];
			m++;
		}
	if (m <= RS_SIGNFLIP_MC_MAX)
		return stats_signflip_p(d, n, opt_b(o),
					rs_boot_opt(o, salt).seed);
	/* 2 Phi(-|z|), not 2 (1 - Phi(|z|)): no cancellation; a tail
	 * below the smallest double is reported as that, never 0 */
	return ss > 0 ? fmax(DBL_MIN, fmin(1, 2 * stats_norm_cdf(
		-fabs(s) / sqrt(ss)))) : 1;
}

struct pair {
	size_t i, j;
	double p, p_score;	/* raw p-values; p NaN: cannot be compared */
	double psi;		/* share of discordant cases */
	bool has_score;		/* a score_diff object was written */
	double deff;		/* design effect of the differences (1) */
	long n;
};

/* The clustered version of a pair's test and interval (docs/statistics.md,
 * "Clusters"): the CR1 t test on the per-case differences with G - 1
 * degrees of freedom, its p-value never below the unclustered one
 * (clustering can only remove information when clusters are positively
 * correlated, and a negative correlation estimated from few clusters is
 * not trusted); with CR1 = 0 the exact cluster sign-flip bound 2^(1-G).
 * The interval is the hull of the unclustered one and mean ± t SE.  One
 * cluster: no test, no interval. */
static void cluster_test(const double *d, const long *cl, size_t n,
			 double mean, json_t *j, json_t *diff, struct pair *pr)
{
	struct stats_cluster_test ct;
	double lo = rs_jnum(diff, "lo"), hi = rs_jnum(diff, "hi");
	int rc = stats_cluster_mean_test(d, cl, n, pr->p, lo, hi, 0.95, &ct);
	(void)mean;
	json_object_set_new(j, "p_unclustered", rs_num(pr->p));
	json_object_set_new(j, "clusters", json_integer((json_int_t)ct.clusters));
	if (rc) {
		pr->p = NAN;
		json_object_set_new(j, "test", json_string(
			"cannot be compared: the shared cases are all in one "
			"cluster"));
		json_object_set_new(diff, "lo", json_null());
		json_object_set_new(diff, "hi", json_null());
		json_object_set_new(diff, "method", json_string(
			"none (one cluster)"));
		return;
	}
	pr->p = ct.p;
	json_object_set_new(j, "p_cr1_t", rs_num(ct.p_t));
	json_object_set_new(j, "cr1_se", rs_num(ct.se));
	json_object_set_new(j, "test", json_string(
		"cluster-robust (CR1) t test, G-1 df, never below the "
		"unclustered p"));
	json_object_set_new(diff, "lo", rs_num(fmax(-1, ct.lo)));
	json_object_set_new(diff, "hi", rs_num(fmin(1, ct.hi)));
	json_object_set_new(diff, "method", json_string(
		"hull of Newcombe at the effective counts (or, with repeats, "
		"the unclustered interval) and mean \u00b1 t(G-1) CR1 se"));
}

static json_t *pair_json(const struct rs_run *r, const struct rs_cand *ca,
			 const struct rs_cand *cb, const struct case_view *va,
			 const struct case_view *vb, const struct stats_opts *o,
			 uint64_t salt, struct pair *pr)
{
	size_t nc = r->ncases ? r->ncases : 1, n = 0;
	double *d = xmalloc(nc * sizeof *d), *ds = xmalloc(nc * sizeof *ds);
	long *cl = xmalloc(nc * sizeof *cl);
	long a = 0, b = 0, c = 0, dd = 0;
	bool binary = !va->repeats && !vb->repeats;
	json_t *j = json_object(), *diff;
	struct stats_boot_ci bc;
	double mean = 0, abs_sum = 0, md = o && o->mdd > 0 ? o->mdd : 0.05;
	long bres;

	for (size_t k = 0; k < r->ncases; k++) {
		double x = va->pass[k], y = vb->pass[k];
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
	json_object_set_new(j, "a", json_string(ca->label));
	json_object_set_new(j, "b", json_string(cb->label));
	json_object_set_new(j, "n", json_integer((json_int_t)n));
	if (!n) {
		pr->p = NAN;
		pr->p_score = NAN;
		pr->psi = NAN;
		json_object_set_new(j, "test", json_string(
			"cannot be compared: no shared graded cases"));
		json_object_set_new(j, "diff", json_null());
		json_object_set_new(j, "p", json_null());
		json_object_set_new(j, "a_only", json_integer(0));
		json_object_set_new(j, "b_only", json_integer(0));
		json_object_set_new(j, "score_diff", json_null());
		goto out;
	}
	mean /= (double)n;
	pr->psi = abs_sum / (double)n;
	if (binary) {
		struct interval ni = stats_paired_diff_newcombe(a, b, c, dd, 0.95);
		diff = rs_interval(mean, ni.lo, ni.hi);
		json_object_set_new(diff, "method", json_string("newcombe"));
		pr->p = stats_mcnemar_exact(b, c);
		json_object_set_new(j, "test", json_string("mcnemar exact"));
	} else {
		/* hull with Newcombe on the expected 2x2 table of a random
		 * pairing of attempts, so that equal shares (no discordance)
		 * or few cases never give a [0, 0] */
		double fa = 0, fb = 0, fc = 0, fd = 0;
		struct interval ni;
		for (size_t k = 0; k < r->ncases; k++) {
			double x = va->pass[k], y = vb->pass[k];
			if (isnan(x) || isnan(y))
				continue;
			fa += x * y;
			fb += x * (1 - y);
			fc += (1 - x) * y;
			fd += (1 - x) * (1 - y);
		}
		ni = stats_paired_diff_newcombe_f(fa, fb, fc, fd, 0.95);
		bres = rs_boot_mean(d, n, o, salt, &bc);
		diff = rs_interval(mean, bres ? fmin(bc.pct.lo, ni.lo) : ni.lo,
				   bres ? fmax(bc.pct.hi, ni.hi) : ni.hi);
		json_object_set_new(diff, "method", json_string(
			"hull of the paired bootstrap of per-case pass shares "
			"and Newcombe on the expected 2x2 table"));
		pr->p = signflip(d, n, o, salt + 1);
		json_object_set_new(j, "test", json_string("sign-flip"));
	}
	json_object_set_new(j, "a_only", json_integer(binary ? b : -1));
	json_object_set_new(j, "b_only", json_integer(binary ? c : -1));
	if (!binary) {
		long ab = 0, ba = 0;
		for (size_t k = 0; k < n; k++) {
			ab += d[k] > 0;
			ba += d[k] < 0;
		}
		json_object_set_new(j, "a_only", json_integer(ab));
		json_object_set_new(j, "b_only", json_integer(ba));
	}
	if (r->has_clusters && binary) {
		/* the floor of the clustered interval: Newcombe at the
		 * effective counts (design effect of the differences) */
		size_t g = 0;
		struct interval nd;
		stats_cluster_se(d, cl, n, &g);
		nd = stats_newcombe_design(a, b, c, dd, stats_deff_mean(d, cl, n),
					   g >= 2 ? (double)g - 1 : 0, 0.95);
		json_object_set_new(diff, "lo", rs_num(nd.lo));
		json_object_set_new(diff, "hi", rs_num(nd.hi));
	}
	if (r->has_clusters)
		cluster_test(d, cl, n, mean, j, diff, pr);
	json_object_set_new(j, "diff", diff);
	json_object_set_new(j, "p", rs_num(pr->p));
	/* scores: only when they carry more than pass/fail */
	{
		bool same = true;
		for (size_t k = 0; k < n && same; k++)
			same = ds[k] == d[k];
		if (same) {
			pr->p_score = NAN;
			json_object_set_new(j, "score_diff", json_null());
		} else {
			json_t *sd;
			double sm = 0;
			for (size_t k = 0; k < n; k++)
				sm += ds[k];
			bres = rs_boot_mean(ds, n, o, salt + 3, &bc);
			sd = rs_interval(sm / (double)n, bres ? bc.pct.lo : NAN,
					 bres ? bc.pct.hi : NAN);
			pr->p_score = signflip(ds, n, o, salt + 4);
			if (r->has_clusters) {
				/* as cluster_test: CR1 t, never below the
				 * unclustered p; one cluster: no test */
				struct stats_cluster_test ct;
				if (stats_cluster_mean_test(ds, cl, n, pr->p_score,
							    NAN, NAN, 0.95, &ct))
					pr->p_score = NAN;
				else
					pr->p_score = ct.p;
			}
			json_object_set_new(sd, "p", rs_num(pr->p_score));
			pr->has_score = true;
			json_object_set_new(sd, "method", json_string(
				"paired bootstrap (percentile), sign-flip test"));
			json_object_set_new(j, "score_diff", sd);
		}
	}
	/* with clusters Connor's n counts effective cases: the MDD at
	 * n / deff and the cases needed times deff (deff of the per-case
	 * differences, stats_deff_mean) */
	pr->deff = r->has_clusters ? stats_deff_mean(d, cl, n) : 1;
	json_object_set_new(j, "discordance", rs_num(pr->psi));
	json_object_set_new(j, "mdd_deff", rs_num(pr->deff));
	json_object_set_new(j, "mdd", rs_num(stats_mdd_paired(
		(long)floor((double)n / pr->deff), pr->psi, 0.05, 0.8)));
	{
		long need = stats_n_paired(pr->psi, md, 0.05, 0.8);
		json_object_set_new(j, "cases_for_mdd", need > 0
				    ? json_integer((json_int_t)ceil(
					      (double)need * pr->deff - 1e-9))
				    : json_null());
	}
out:
	free(d);
	free(ds);
	free(cl);
	return j;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static json_t *comparisons(const struct rs_run *r, const struct case_view *v,
			   json_t *cands, const struct stats_opts *o)
{
	size_t k = r->ncands, np = k * (k - 1) / 2, q = 0;
	struct pair *pr = xcalloc(np ? np : 1, sizeof *pr);
	double *p = xmalloc((np ? np : 1) * sizeof *p);
	double *ps = xmalloc((np ? np : 1) * sizeof *ps);
	double *psis = xmalloc((np ? np : 1) * sizeof *psis);
	double *deffs = xmalloc((np ? np : 1) * sizeof *deffs);
	json_t *j = json_object(), *pairs = json_array(), *mdd = json_object();
	double md = o && o->mdd > 0 ? o->mdd : 0.05, best = NAN;
	size_t npsi = 0, nsc = 0;
	long nmed = 0;

	for (size_t a = 0; a < k; a++)
		for (size_t b = a + 1; b < k; b++, q++) {
			pr[q].i = a;
			pr[q].j = b;
			json_array_append_new(pairs, pair_json(
				r, &r->cands[a], &r->cands[b], &v[a], &v[b], o,
				1000003u + q * 8, &pr[q]));
			p[q] = pr[q].p;
			if (pr[q].has_score)
				ps[nsc++] = isnan(pr[q].p_score) ? 1
								 : pr[q].p_score;
			if (isfinite(pr[q].psi) && pr[q].psi > 0) {
				deffs[npsi] = pr[q].deff;
				psis[npsi++] = pr[q].psi;
			}
			if (pr[q].n > nmed)
				nmed = pr[q].n;
		}
	/* a pair that cannot be compared counts in the family as p = 1 */
	for (size_t i = 0; i < np; i++)
		if (isnan(p[i]))
			p[i] = 1;
	stats_holm(p, np, p);
	stats_holm(ps, nsc, ps);
	for (size_t i = 0, s = 0; i < np; i++) {
		json_t *pj = json_array_get(pairs, i), *sd;
		bool cmp = !isnan(pr[i].p);
		json_object_set_new(pj, "p_holm", cmp ? rs_num(p[i])
						      : json_null());
		json_object_set_new(pj, "significant",
				    json_boolean(cmp && p[i] < 0.05));
		if (pr[i].has_score) {
			sd = json_object_get(pj, "score_diff");
			json_object_set_new(sd, "p_holm", isnan(pr[i].p_score)
					    ? json_null() : rs_num(ps[s]));
			s++;
		}
	}
	json_object_set_new(j, "pairs", pairs);
	/* tied groups (compact letter display) on pass rates, over the
	 * candidates with graded results (the others: group "no data") */
	if (k >= 1 && k <= STATS_CLD_MAX) {
		double *mean = xmalloc(k * sizeof *mean);
		double *padj = xmalloc(k * k * sizeof *padj);
		size_t order[STATS_CLD_MAX], sub[STATS_CLD_MAX], ks = 0;
		long pos[STATS_CLD_MAX];
		uint64_t groups[STATS_CLD_MAX];
		int g = 0;
		for (size_t i = 0; i < k; i++) {
			double e = rs_jnum(json_array_get(cands, i),
					   "pass_rate.est");
			pos[i] = -1;
			if (isnan(e)) {
				json_object_set_new(json_array_get(cands, i),
						    "group", json_string("no data"));
				continue;
			}
			pos[i] = (long)ks;
			sub[ks] = i;
			mean[ks++] = e;
			if (isnan(best) || e > best)
				best = e;
		}
		for (size_t i = 0; i < ks; i++)
			padj[i * ks + i] = 1;
		for (size_t i = 0; i < np; i++) {
			long a = pos[pr[i].i], b = pos[pr[i].j];
			if (a < 0 || b < 0)
				continue;
			padj[(size_t)a * ks + (size_t)b] = p[i];
			padj[(size_t)b * ks + (size_t)a] = p[i];
		}
		if (ks)
			g = stats_cld(mean, padj, ks, 0.05, order, groups,
				      STATS_CLD_MAX);
		if (g > 0) {
			json_t *tied = json_array(), *ord = json_array();
			for (size_t i = 0; i < ks; i++) {
				char let[STATS_CLD_MAX + 1];
				stats_cld_letters(groups, g, i, let, sizeof let);
				json_object_set_new(json_array_get(cands, sub[i]),
						    "group", json_string(let));
				json_array_append_new(ord, json_integer(
					(json_int_t)sub[order[i]]));
			}
			for (int gi = 0; gi < g; gi++) {
				json_t *grp = json_array();
				for (size_t i = 0; i < ks; i++)
					if (groups[gi] >> order[i] & 1)
						json_array_append_new(grp,
							json_string(r->cands[sub[order[i]]].label));
				json_array_append_new(tied, grp);
			}
			json_object_set_new(j, "tied_groups", tied);
			json_object_set_new(j, "order", ord);
		}
		free(mean);
		free(padj);
	}
	/* minimum detectable difference */
	qsort(psis, npsi, sizeof *psis, cmp_double);
	json_object_set_new(mdd, "power", json_real(0.8));
	json_object_set_new(mdd, "alpha", json_real(0.05));
	json_object_set_new(mdd, "cases", json_integer(nmed));
	json_object_set_new(mdd, "target", json_real(md));
	if (npsi) {
		/* median discordance, and the median design effect */
		double psi, de;
		long need;
		qsort(deffs, npsi, sizeof *deffs, cmp_double);
		de = deffs[npsi / 2];
		psi = psis[npsi / 2];
		need = stats_n_paired(psi, md, 0.05, 0.8);
		json_object_set_new(mdd, "discordance", json_real(psi));
		json_object_set_new(mdd, "deff", json_real(de));
		json_object_set_new(mdd, "paired", rs_num(stats_mdd_paired(
			(long)floor((double)nmed / de), psi, 0.05, 0.8)));
		json_object_set_new(mdd, "cases_for_target_paired",
				    need > 0 ? json_integer((json_int_t)ceil(
					    (double)need * de - 1e-9))
					     : json_null());
	}
	if (!isnan(best) && nmed > 0) {
		long need = stats_n_unpaired(best, best > 0.5 ? best - md
							      : best + md,
					     0.05, 0.8);
		json_object_set_new(mdd, "unpaired", rs_num(stats_mdd_unpaired(
			nmed, best, 0.05, 0.8)));
		json_object_set_new(mdd, "cases_for_target_unpaired",
				    need > 0 ? json_integer(need) : json_null());
	}
	json_object_set_new(j, "mdd", mdd);
	free(pr);
	free(p);
	free(ps);
	free(psis);
	free(deffs);
	return j;
}

/* ---- the whole object ----------------------------------------------------- */

json_t *rs_compute(const struct rs_run *r, const struct stats_opts *o)
{
	json_t *s = json_object(), *cands = json_array(), *warn = json_array();
	json_t *meth = json_object(), *dec;
	struct case_view *v = xcalloc(r->ncands ? r->ncands : 1, sizeof *v);
	bool any_rep = false;

	json_object_set_new(meth, "pass_rate", json_string(
		"Wilson 95%; with clusters or repeats Wilson at the "
		"effective n = n/deff (Kish, ANOVA ICC) with t(G-1), and "
		"Wilson at G clusters when every result agrees"));
	json_object_set_new(meth, "bootstrap", json_string("percentile"));
	json_object_set_new(meth, "resamples", json_integer(opt_b(o)));
	json_object_set_new(meth, "seed", json_integer(
		(json_int_t)(o ? o->seed : 0)));
	json_object_set_new(meth, "confidence", json_real(0.95));
	json_object_set_new(meth, "quantile", json_string(
		"Hyndman-Fan type 7 (R default, NumPy linear)"));
	json_object_set_new(meth, "multiple_comparisons", json_string("holm"));
	json_object_set_new(s, "method", meth);
	json_object_set_new(s, "run_id", json_integer(r->id));
	json_object_set_new(s, "cases", json_integer((json_int_t)r->ncases));
	json_object_set_new(s, "repeat", json_integer(r->repeat));
	json_object_set_new(s, "clusters", r->has_clusters
			    ? json_integer((json_int_t)r->nclusters)
			    : json_null());
	if (r->has_clusters)
		add_warning(warn, "cases share clusters: intervals and tests "
			    "rest on %zu clusters, not %zu cases",
			    r->nclusters, r->ncases);
	for (size_t i = 0; i < r->ncands; i++) {
		view_build(r, &r->cands[i], &v[i]);
		any_rep = any_rep || v[i].repeats;
		json_array_append_new(cands, cand_json(r, &r->cands[i], &v[i],
						       o, i, warn));
	}
	(void)any_rep;
	rs_failure_modes_holm(cands);
	json_object_set_new(s, "candidates", cands);
	json_object_set_new(s, "comparisons", r->ncands >= 2
			    ? comparisons(r, v, cands, o) : json_null());
	dec = rs_decision(r, cands, o);
	json_object_set_new(s, "decision", dec ? dec : json_null());
	json_object_set_new(s, "warnings", warn);
	for (size_t i = 0; i < r->ncands; i++)
		view_free(&v[i]);
	free(v);
	return s;
}

json_t *report_stats_json(struct store *st, int64_t run_id,
			  const struct stats_opts *o, struct err *err)
{
	struct rs_run r;
	json_t *s;
	if (rs_load(st, run_id, &r, err))
		return NULL;
	s = rs_compute(&r, o);
	json_t *h = rs_human_json(st, run_id, &r, o, err);
	rs_run_free(&r);
	if (!h) {
		json_decref(s);
		return NULL;
	}
	json_object_set_new(s, "human", h);
	return s;
}

int report_stats_print(struct store *st, int64_t run_id,
		       const struct stats_opts *o, FILE *f, bool color,
		       struct err *err)
{
	json_t *s = report_stats_json(st, run_id, o, err);
	if (!s)
		return err->code ? err->code : ST_DB;
	report_stats_print_json(s, f, color);
	json_decref(s);
	return 0;
}

int report_stats_summary_ci(struct store *st, int64_t run_id,
			    struct summary *s, struct err *err)
{
	struct rs_run r;
	bool design;
	/* Without repeats or clusters the interval is the Wilson one the
	 * summary rows already hold: loading every result and case (the
	 * run's peak memory, and most of the time after the requests, at
	 * 20,000 cases) would only compute it again. */
	if (store_run_has_design(st, run_id, &design, err))
		return err->code ? err->code : ST_DB;
	if (!design)
		return 0;
	if (rs_load(st, run_id, &r, err))
		return err->code ? err->code : ST_DB;
	for (size_t i = 0; i < r.ncands; i++) {
		struct rs_pass_ci p;
		for (size_t q = 0; q < s->n_rows; q++) {
			struct summary_row *row = &s->rows[q];
			if (row->provider_idx != r.cands[i].prov ||
			    row->prompt_idx != r.cands[i].prompt)
				continue;
			rs_pass_ci(&r, &r.cands[i], &p);
			if (p.n > 0 && p.n == row->passes + row->fails) {
				row->ci_lo = p.ci.lo;
				row->ci_hi = p.ci.hi;
				row->ci_design = p.design;
			}
		}
	}
	rs_run_free(&r);
	return 0;
}

void report_stats_print_json(const json_t *stats, FILE *f, bool color)
{
	rs_print(stats, f, color);
}
