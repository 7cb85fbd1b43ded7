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
#include "report_stats_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Pass rate: Wilson over results; with repeats a two-level bootstrap;
 * with clusters a cluster bootstrap over case means plus CR1. */
static json_t *pass_rate(const struct rs_run *r, const struct rs_cand *c,
			 const struct case_view *v, long k, long n,
			 const struct stats_opts *o, uint64_t salt)
{
	json_t *pr = rs_wilson(k, n);
	struct stats_boot_ci ci;
	struct stats_boot_opt b = rs_boot_opt(o, salt);
	json_object_set_new(pr, "method", json_string("wilson"));
	if (v->repeats && !r->has_clusters) {
		/* x grouped by case: items are ordered by case already */
		double *x = xmalloc((size_t)(n ? n : 1) * sizeof *x);
		size_t *start = xmalloc((r->ncases + 1) * sizeof *start);
		size_t m = 0, g = 0;
		for (size_t i = 0; i < c->n; i++) {
			const struct rs_item *it = &c->it[i];
			if (it->pass >= 0)
				x[m++] = it->pass;
		}
		/* case_start from the per-case attempt counts */
		m = 0;
		for (size_t kc = 0; kc < r->ncases; kc++) {
			if (!v->att[kc])
				continue;
			start[g++] = m;
			m += (size_t)v->att[kc];
		}
		start[g] = m;
		if (g && !stats_boot_repeats(x, start, g, &b, &ci)) {
			json_object_set_new(pr, "lo", rs_num(ci.pct.lo));
			json_object_set_new(pr, "hi", rs_num(ci.pct.hi));
			json_object_set_new(pr, "method", json_string(
				"two-level bootstrap (cases, then repeats), "
				"percentile"));
		}
		free(x);
		free(start);
	}
	if (r->has_clusters) {
		double *x = xmalloc((r->ncases ? r->ncases : 1) * sizeof *x);
		long *cl = xmalloc((r->ncases ? r->ncases : 1) * sizeof *cl);
		size_t m = 0, g = 0;
		double se;
		for (size_t kc = 0; kc < r->ncases; kc++)
			if (!isnan(v->pass[kc])) {
				x[m] = v->pass[kc];
				cl[m++] = r->cases[kc].cluster;
			}
		se = stats_cluster_se(x, cl, m, &g);
		if (g >= 2 && !stats_boot_cluster_mean(x, cl, m, &b, &ci)) {
			json_object_set_new(pr, "est", rs_num(ci.est));
			json_object_set_new(pr, "lo", rs_num(ci.pct.lo));
			json_object_set_new(pr, "hi", rs_num(ci.pct.hi));
			json_object_set_new(pr, "method", json_string(
				"cluster bootstrap, percentile"));
		}
		json_object_set_new(pr, "cr1_se", rs_num(se));
		json_object_set_new(pr, "clusters", json_integer((json_int_t)g));
		free(x);
		free(cl);
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
	struct stats_boot_opt b = rs_boot_opt(o, salt);
	struct stats_boot_ci ci;
	json_object_set_new(j, "n", json_integer((json_int_t)n));
	if (!n)
		return j;
	stats_sort(x, n);
	json_object_set_new(j, "p50", rs_num(stats_quantile_sorted(x, n, .50)));
	json_object_set_new(j, "p90", rs_num(stats_quantile_sorted(x, n, .90)));
	json_object_set_new(j, "p95", rs_num(stats_quantile_sorted(x, n, .95)));
	json_object_set_new(j, "p99", rs_num(stats_quantile_sorted(x, n, .99)));
	json_object_set_new(j, "max", rs_num(x[n - 1]));
	if (with_ci && !stats_boot_quantile(x, n, 0.95, &b, &ci)) {
		json_object_set_new(j, "p95_lo", rs_num(ci.pct.lo));
		json_object_set_new(j, "p95_hi", rs_num(ci.pct.hi));
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
	for (size_t i = 0; i < c->n; i++) {
		const struct rs_item *it = &c->it[i];
		if (it->pass == RS_ERROR || it->cached || isnan(it->lat))
			continue;
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

static json_t *cost_json(const struct rs_cand *c, long passes)
{
	double total = 0, judge = 0;
	long known = 0, retries = 0;
	json_t *j = json_object();
	for (size_t i = 0; i < c->n; i++) {
		retries += c->it[i].retries;
		judge += c->it[i].judge_cost;
		if (!isnan(c->it[i].cost)) {
			total += c->it[i].cost;
			known++;
		}
	}
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
	long passes = 0, fails = 0, errors = 0, ungraded = 0;
	double *x = xmalloc((c->n ? c->n : 1) * sizeof *x);
	struct stats_boot_ci bc;
	uint64_t salt = (uint64_t)ci * 64;
	size_t n = 0;
	long b;

	for (size_t i = 0; i < c->n; i++) {
		int p = c->it[i].pass;
		passes += p == 1;
		fails += p == 0;
		errors += p == RS_ERROR;
		ungraded += p == RS_UNGRADED;
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
	json_object_set_new(j, "error_rate", rs_num(c->n ? (double)errors /
						    (double)c->n : NAN));
	if (c->n && (double)errors / (double)c->n > 0.05)
		add_warning(warnings, "%s: %ld of %zu requests (%.1f%%) were "
			    "infrastructure errors; they are left out, so its "
			    "quality figures may be biased", c->label, errors,
			    c->n, 100.0 * (double)errors / (double)c->n);
	json_object_set_new(j, "pass_rate", pass_rate(r, c, v, passes,
						      passes + fails, o,
						      salt + 1));
	if (n && (b = rs_boot_mean(x, n, o, salt + 2, &bc)))
		json_object_set_new(j, "score", boot_json(&bc, b, n));
	else
		json_object_set_new(j, "score", json_null());
	for (size_t k = 0; k < c->nm; k++) {
		size_t mn = 0;
		for (size_t i = 0; i < c->n; i++)
			if (c->it[i].pass >= 0 && !isnan(c->m[k].v[i]))
				x[mn++] = c->m[k].v[i];
		if (mn && (b = rs_boot_mean(x, mn, o, salt + 3 + k, &bc)))
			json_object_set_new(m, c->m[k].name,
					    boot_json(&bc, b, mn));
	}
	json_object_set_new(j, "metrics", m);
	json_object_set_new(j, "repeats", v->repeats ? repeats_json(r, v)
						     : json_null());
	json_object_set_new(j, "latency", latency_json(c, o, salt + 4));
	json_object_set_new(j, "cost", cost_json(c, passes));
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
	return ss > 0 ? fmin(1, 2 * (1 - stats_norm_cdf(fabs(s) / sqrt(ss))))
		      : 1;
}

struct pair {
	size_t i, j;
	double p, p_score;	/* raw p-values */
	double psi;		/* share of discordant cases */
	long n;
};

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
		pr->p = pr->p_score = 1;
		pr->psi = NAN;
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
		bres = rs_boot_mean(d, n, o, salt, &bc);
		diff = rs_interval(mean, bres ? bc.pct.lo : NAN,
				   bres ? bc.pct.hi : NAN);
		json_object_set_new(diff, "method", json_string(
			"paired bootstrap of per-case pass shares, percentile"));
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
	if (r->has_clusters) {
		size_t g = 0;
		double se = stats_cluster_se(d, cl, n, &g);
		struct stats_boot_opt bo = rs_boot_opt(o, salt + 2);
		json_object_set_new(j, "p_unclustered", rs_num(pr->p));
		if (g >= 2 && se > 0) {
			pr->p = 2 * (1 - stats_norm_cdf(fabs(mean) / se));
			json_object_set_new(j, "test", json_string(
				"cluster-robust (CR1) z test"));
		}
		if (g >= 2 && !stats_boot_cluster_mean(d, cl, n, &bo, &bc)) {
			json_object_set_new(diff, "lo", rs_num(bc.pct.lo));
			json_object_set_new(diff, "hi", rs_num(bc.pct.hi));
			json_object_set_new(diff, "method", json_string(
				"cluster bootstrap, percentile"));
		}
		json_object_set_new(j, "clusters", json_integer((json_int_t)g));
	}
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
			json_object_set_new(sd, "p", rs_num(pr->p_score));
			json_object_set_new(sd, "method", json_string(
				"paired bootstrap (percentile), sign-flip test"));
			json_object_set_new(j, "score_diff", sd);
		}
	}
	json_object_set_new(j, "discordance", rs_num(pr->psi));
	json_object_set_new(j, "mdd", rs_num(stats_mdd_paired(
		(long)n, pr->psi, 0.05, 0.8)));
	{
		long need = stats_n_paired(pr->psi, md, 0.05, 0.8);
		json_object_set_new(j, "cases_for_mdd", need > 0
				    ? json_integer(need) : json_null());
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
			if (!isnan(pr[q].p_score))
				ps[nsc++] = pr[q].p_score;
			if (isfinite(pr[q].psi) && pr[q].psi > 0)
				psis[npsi++] = pr[q].psi;
			if (pr[q].n > nmed)
				nmed = pr[q].n;
		}
	stats_holm(p, np, p);
	stats_holm(ps, nsc, ps);
	for (size_t i = 0, s = 0; i < np; i++) {
		json_t *pj = json_array_get(pairs, i), *sd;
		json_object_set_new(pj, "p_holm", rs_num(p[i]));
		json_object_set_new(pj, "significant", json_boolean(p[i] < 0.05));
		if ((sd = json_object_get(pj, "score_diff")) && json_is_object(sd))
			json_object_set_new(sd, "p_holm", rs_num(ps[s++]));
	}
	json_object_set_new(j, "pairs", pairs);
	/* tied groups (compact letter display) on pass rates */
	if (k >= 1 && k <= STATS_CLD_MAX) {
		double *mean = xmalloc(k * sizeof *mean);
		double *padj = xmalloc(k * k * sizeof *padj);
		size_t order[STATS_CLD_MAX];
		uint64_t groups[STATS_CLD_MAX];
		int g;
		for (size_t i = 0; i < k; i++) {
			double e = rs_jnum(json_array_get(cands, i),
					   "pass_rate.est");
			mean[i] = isnan(e) ? -1 : e;
			padj[i * k + i] = 1;
			if (!isnan(e) && (isnan(best) || e > best))
				best = e;
		}
		for (size_t i = 0; i < np; i++) {
			padj[pr[i].i * k + pr[i].j] = p[i];
			padj[pr[i].j * k + pr[i].i] = p[i];
		}
		g = stats_cld(mean, padj, k, 0.05, order, groups,
			      STATS_CLD_MAX);
		if (g > 0) {
			json_t *tied = json_array(), *ord = json_array();
			for (size_t i = 0; i < k; i++) {
				char let[STATS_CLD_MAX + 1];
				stats_cld_letters(groups, g, i, let, sizeof let);
				json_object_set_new(json_array_get(cands, i),
						    "group", json_string(let));
				json_array_append_new(ord, json_integer(
					(json_int_t)order[i]));
			}
			for (int gi = 0; gi < g; gi++) {
				json_t *grp = json_array();
				for (size_t i = 0; i < k; i++)
					if (groups[gi] >> order[i] & 1)
						json_array_append_new(grp,
							json_string(r->cands[order[i]].label));
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
		double psi = psis[npsi / 2];
		long need = stats_n_paired(psi, md, 0.05, 0.8);
		json_object_set_new(mdd, "discordance", json_real(psi));
		json_object_set_new(mdd, "paired", rs_num(stats_mdd_paired(
			nmed, psi, 0.05, 0.8)));
		json_object_set_new(mdd, "cases_for_target_paired",
				    need > 0 ? json_integer(need) : json_null());
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
		"Wilson 95% (two-level bootstrap with repeats, cluster "
		"bootstrap with clusters)"));
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
	rs_run_free(&r);
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

void report_stats_print_json(const json_t *stats, FILE *f, bool color)
{
	rs_print(stats, f, color);
}
