/* report_stats_print.c — the terminal view of the statistics object
 * (rs_compute's JSON): one section per topic, aligned tables, every label
 * escaped with report_term_escape (labels come from the suite and model
 * output is untrusted).  Printing reads only the JSON, so what the
 * terminal shows and what stats.json holds cannot disagree. */
#include "report_stats_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "../util/buf.h"

#define LABEL_COLS 24

struct pr {
	FILE *f;
	bool color;
};

static void title(struct pr *p, const char *t)
{
	fprintf(p->f, "\n%s%s%s\n", p->color ? "\033[1m" : "", t,
		p->color ? "\033[0m" : "");
}

/* Escaped, cut to `w` columns and padded to exactly w. */
static void cell(struct pr *p, const char *s, size_t w)
{
	struct buf b = {0};
	size_t cols = report_term_escape(&b, s ? s : "", w);
	fputs(buf_str(&b), p->f);
	for (; cols < w; cols++)
		fputc(' ', p->f);
	buf_free(&b);
}

static const char *jstr(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

/* An integer field for %lld: 0 when missing or null, never the
 * (long long)NaN that prints as -9223372036854775808. */
static long long jll(const json_t *o, const char *path)
{
	double v = rs_jnum(o, path);
	return isfinite(v) ? (long long)v : 0;
}

static void fmt_pct(char *b, size_t n, double v)
{
	if (isnan(v))
		snprintf(b, n, "-");
	else
		snprintf(b, n, "%.1f%%", 100 * v);
}

/* "93.5% [82.5, 97.8]" from an {est, lo, hi} object (percent). */
static void fmt_pct_ci(char *b, size_t n, const json_t *o)
{
	double e = rs_jnum(o, "est"), lo = rs_jnum(o, "lo"), hi = rs_jnum(o, "hi");
	if (isnan(e))
		snprintf(b, n, "-");
	else if (isnan(lo))
		snprintf(b, n, "%.1f%%", 100 * e);
	else
		snprintf(b, n, "%.1f%% [%.1f, %.1f]", 100 * e, 100 * lo,
			 100 * hi);
}

/* A p-value: "-" when missing, "<1e-300"-style never "0". */
static const char *fmt_p(char *b, size_t n, double v)
{
	if (isnan(v))
		snprintf(b, n, "-");
	else if (v < 1e-4)
		snprintf(b, n, "<0.0001");
	else
		snprintf(b, n, "%.3g", v);
	return b;
}

static void fmt_num_ci(char *b, size_t n, const json_t *o, int prec)
{
	double e = rs_jnum(o, "est"), lo = rs_jnum(o, "lo"), hi = rs_jnum(o, "hi");
	if (isnan(e))
		snprintf(b, n, "-");
	else if (isnan(lo))
		snprintf(b, n, "%.*f", prec, e);
	else
		snprintf(b, n, "%.*f [%.*f, %.*f]", prec, e, prec, lo, prec, hi);
}

static void fmt_num(char *b, size_t n, double v, int prec)
{
	if (isnan(v))
		snprintf(b, n, "-");
	else
		snprintf(b, n, "%.*f", prec, v);
}

static void fmt_usd(char *b, size_t n, double v)
{
	if (isnan(v))
		snprintf(b, n, "-");
	else if (v != 0 && fabs(v) < 0.01)
		snprintf(b, n, "$%.6f", v);
	else
		snprintf(b, n, "$%.4f", v);
}

/* ---- sections ------------------------------------------------------------------ */

static void quality(struct pr *p, const json_t *cands)
{
	size_t i;
	json_t *c;
	bool metrics = false;
	title(p, "Quality (pass rate and score: 95% intervals)");
	fprintf(p->f, "  %-*s %-7s %-24s %-22s %7s %7s\n", LABEL_COLS,
		"candidate", "group", "pass rate [95% CI]", "score [95% CI]",
		"graded", "errors");
	json_array_foreach(cands, i, c) {
		char a[64], b[64];
		fmt_pct_ci(a, sizeof a, json_object_get(c, "pass_rate"));
		fmt_num_ci(b, sizeof b, json_object_get(c, "score"), 3);
		fputs("  ", p->f);
		cell(p, jstr(c, "label"), LABEL_COLS);
		fprintf(p->f, " %-7s %-24s %-22s %7lld %7lld\n", jstr(c, "group"),
			a, b, jll(c, "graded"),
			jll(c, "errors"));
		metrics = metrics || json_object_size(json_object_get(c, "metrics"));
	}
	{
		/* every method used, once: the interval differs by design */
		const char *seen[8];
		size_t ns = 0;
		json_array_foreach(cands, i, c) {
			const char *m = jstr(json_object_get(c, "pass_rate"),
					     "method");
			size_t q;
			for (q = 0; q < ns && strcmp(seen[q], m); q++)
				;
			if (q == ns && ns < 8 && *m)
				seen[ns++] = m;
		}
		if (ns > 1 || (ns == 1 && strcmp(seen[0], "wilson"))) {
			fprintf(p->f, "  (pass-rate intervals:");
			for (size_t q = 0; q < ns; q++)
				fprintf(p->f, "%s %s", q ? ";" : "", seen[q]);
			fprintf(p->f, ")\n");
		}
	}
	if (!metrics)
		return;
	fprintf(p->f, "\n  named metrics (mean [95%% CI])\n");
	json_array_foreach(cands, i, c) {
		const char *k;
		json_t *m;
		fputs("  ", p->f);
		cell(p, jstr(c, "label"), LABEL_COLS);
		json_object_foreach(json_object_get(c, "metrics"), k, m) {
			char b[64];
			fmt_num_ci(b, sizeof b, m, 3);
			fputc(' ', p->f);
			cell(p, k, strlen(k) > 16 ? 16 : strlen(k));
			fprintf(p->f, " %s ", b);
		}
		fputc('\n', p->f);
	}
}

/* True when some candidate has the section `key` (an object). */
static bool any_has(const json_t *cands, const char *key)
{
	size_t i;
	json_t *c;
	json_array_foreach((json_t *)cands, i, c)
		if (json_is_object(json_object_get(c, key)))
			return true;
	return false;
}

static void repeats(struct pr *p, const json_t *cands)
{
	size_t i;
	json_t *c;
	if (!any_has(cands, "repeats"))
		return;
	title(p, "Repeats and flakiness");
	fprintf(p->f, "  %-*s %7s %7s %-18s %-18s\n", LABEL_COLS, "candidate",
		"k", "flaky", "pass@k", "pass^k");
	json_array_foreach(cands, i, c) {
		json_t *r = json_object_get(c, "repeats"), *fl, *e;
		char k[16], a[32], b[32], f[32];
		size_t q;
		if (!json_is_object(r))
			continue;
		snprintf(k, sizeof k, "%lld", jll(r, "k_min"));
		fmt_pct(a, sizeof a, rs_jnum(json_object_get(r, "pass_at_k"), k));
		fmt_pct(b, sizeof b, rs_jnum(json_object_get(r, "pass_hat_k"), k));
		snprintf(f, sizeof f, "%lld/%lld", jll(r, "flaky_cases"),
			 jll(r, "cases_repeated"));
		fputs("  ", p->f);
		cell(p, jstr(c, "label"), LABEL_COLS);
		fprintf(p->f, " %7s %7s %-18s %-18s\n", k, f, a, b);
		fl = json_object_get(r, "flakiest");
		json_array_foreach(fl, q, e) {
			if (q >= 3)
				break;
			fprintf(p->f, "      flaky: ");
			cell(p, json_is_string(json_object_get(e, "description"))
				? jstr(e, "description") : "(no description)", 40);
			fprintf(p->f, " %lld/%lld passed\n",
				jll(e, "passes"),
				jll(e, "attempts"));
		}
	}
}

static void latency(struct pr *p, const json_t *cands)
{
	size_t i;
	json_t *c;
	bool open_hi = false, both = false;
	title(p, "Latency (ms; percentiles of successful requests)");
	fprintf(p->f, "  %-*s %6s %8s %8s %-22s %8s %8s %12s %12s\n", LABEL_COLS,
		"candidate", "n", "p50", "p90", "p95 [95% CI]", "p99", "max",
		"ttft p50/95", "tok/s");
	json_array_foreach(cands, i, c) {
		json_t *l = json_object_get(c, "latency"), *t;
		char a[16], b[16], d[48], e[16], g[16], h[32], k[40];
		double tps, gen;
		fmt_num(a, sizeof a, rs_jnum(l, "p50"), 0);
		fmt_num(b, sizeof b, rs_jnum(l, "p90"), 0);
		if (isnan(rs_jnum(l, "p95")))
			fmt_num(d, sizeof d, rs_jnum(l, "p95"), 0);
		else {
			char lo[16], hi[16];
			fmt_num(lo, sizeof lo, rs_jnum(l, "p95_lo"), 0);
			fmt_num(hi, sizeof hi, rs_jnum(l, "p95_hi"), 0);
			if (json_is_true(json_object_get(l, "p95_hi_unbounded"))) {
				snprintf(hi, sizeof hi, "open");
				open_hi = true;
			}
			snprintf(d, sizeof d, "%.0f [%s, %s]", rs_jnum(l, "p95"),
				 lo, hi);
		}
		fmt_num(e, sizeof e, rs_jnum(l, "p99"), 0);
		fmt_num(g, sizeof g, rs_jnum(l, "max"), 0);
		t = json_object_get(l, "ttft");
		if (json_is_object(t))
			snprintf(h, sizeof h, "%.0f/%.0f", rs_jnum(t, "p50"),
				 rs_jnum(t, "p95"));
		else
			snprintf(h, sizeof h, "-");
		tps = rs_jnum(l, "tokens_per_s");
		gen = rs_jnum(l, "gen_tokens_per_s");
		if (!isnan(gen) && !isnan(tps) && fabs(gen - tps) > 0.05 * tps) {
			snprintf(k, sizeof k, "%.0f/%.0f gen", tps, gen);
			both = true;
		} else {
			fmt_num(k, sizeof k, tps, 0);
		}
		fputs("  ", p->f);
		cell(p, jstr(c, "label"), LABEL_COLS);
		fprintf(p->f, " %6lld %8s %8s %-22s %8s %8s %12s %12s\n",
			jll(l, "n"), a, b, d, e, g, h, k);
	}
	if (both)
		fprintf(p->f, "  tok/s: completion tokens per second of whole "
			"request time; \"N/M gen\": M counts generation time "
			"only (after the first token, streamed replies).\n");
	json_array_foreach(cands, i, c)
		if (rs_jnum(json_object_get(c, "latency"), "cached") > 0) {
			fprintf(p->f, "  cache hits count with the latency of the "
				"response they replay\n");
			break;
		}
	fprintf(p->f, "  p95 interval: order statistics (distribution-free)%s\n",
		open_hi ? "; open = fewer than 72 samples cannot bound p95 "
		"from above" : "");
	json_array_foreach(cands, i, c)
		if (json_is_string(json_object_get(json_object_get(c, "latency"),
						   "note"))) {
			fprintf(p->f, "  note: some candidates have fewer than 20 "
				"timed requests; their p95/p99 are just the "
				"slowest few requests.\n");
			break;
		}
}

static void cost(struct pr *p, const json_t *cands)
{
	size_t i;
	json_t *c;
	bool any = false;
	json_array_foreach(cands, i, c)
		any = any || rs_jnum(json_object_get(c, "cost"), "known") > 0;
	title(p, "Cost (all spend, retries included)");
	if (!any) {
		fprintf(p->f, "  no costs recorded (set a price in the provider's "
			"config: cost: {input_per_mtok, output_per_mtok})\n");
		return;
	}
	fprintf(p->f, "  %-*s %12s %12s %14s %12s %8s %12s\n", LABEL_COLS,
		"candidate", "per query", "per 1,000", "per success", "total",
		"retries", "judge cost");
	json_array_foreach(cands, i, c) {
		json_t *k = json_object_get(c, "cost");
		char a[32], b[32], d[32], e[32], jc[32];
		fmt_usd(jc, sizeof jc, rs_jnum(k, "judge_usd"));
		fmt_usd(a, sizeof a, rs_jnum(k, "per_query"));
		fmt_usd(b, sizeof b, rs_jnum(k, "per_1k"));
		fmt_usd(d, sizeof d, rs_jnum(k, "per_success"));
		fmt_usd(e, sizeof e, rs_jnum(k, "total_usd"));
		fputs("  ", p->f);
		cell(p, jstr(c, "label"), LABEL_COLS);
		fprintf(p->f, " %12s %12s %14s %12s %8lld %12s\n", a, b, d, e,
			jll(k, "retries"), jc);
	}
	fprintf(p->f, "  judge cost: what model-graded assertions spent grading "
		"each candidate (not part of its own cost)\n");
	json_array_foreach(cands, i, c) {
		double cu = rs_jnum(json_object_get(c, "cost"), "cached_usd");
		char a[32], b[32];
		if (!(cu > 0))
			continue;
		fmt_usd(a, sizeof a, cu);
		fmt_usd(b, sizeof b, rs_jnum(json_object_get(c, "cost"),
					    "spent_usd"));
		fputs("  ", p->f);
		cell(p, jstr(c, "label"), 0);
		fprintf(p->f, ": %s of it served from the cache (not spent this "
			"run; spent %s)\n", a, b);
	}
}

static void comparisons(struct pr *p, const json_t *s)
{
	const json_t *cmp = json_object_get(s, "comparisons"), *pairs, *e;
	const json_t *mdd;
	size_t i;
	if (!json_is_object(cmp))
		return;
	title(p, "Comparisons (paired on the same cases, Holm-adjusted)");
	pairs = json_object_get(cmp, "pairs");
	fprintf(p->f, "  %-*s %-*s %-24s %6s %6s %8s %8s %s\n", 18, "A", 18,
		"B", "A - B pass [95% CI]", "A>B", "B>A", "p", "p(Holm)",
		"score A - B");
	json_array_foreach(pairs, i, e) {
		char a[64], b[64], c[16], d[16];
		const json_t *sd = json_object_get(e, "score_diff");
		json_t *diff = json_object_get(e, "diff");
		double est = rs_jnum(diff, "est"), lo = rs_jnum(diff, "lo");
		double hi = rs_jnum(diff, "hi");
		if (jll(e, "n") <= 0)
			snprintf(a, sizeof a, "no shared graded cases");
		else if (isnan(est))
			snprintf(a, sizeof a, "-");
		else if (isnan(lo) || isnan(hi))
			snprintf(a, sizeof a, "%+.1f [no interval]", 100 * est);
		else
			snprintf(a, sizeof a, "%+.1f [%+.1f, %+.1f]", 100 * est,
				 100 * lo, 100 * hi);
		if (json_is_object(sd) && !isnan(rs_jnum(sd, "lo")))
			snprintf(b, sizeof b, "%+.3f [%+.3f, %+.3f] p=%s",
				 rs_jnum(sd, "est"), rs_jnum(sd, "lo"),
				 rs_jnum(sd, "hi"), fmt_p(c, sizeof c,
							  rs_jnum(sd, "p_holm")));
		else if (json_is_object(sd))
			snprintf(b, sizeof b, "%+.3f p=%s", rs_jnum(sd, "est"),
				 fmt_p(c, sizeof c, rs_jnum(sd, "p_holm")));
		else
			snprintf(b, sizeof b, "(same as pass)");
		fmt_p(c, sizeof c, rs_jnum(e, "p"));
		fmt_p(d, sizeof d - 1, rs_jnum(e, "p_holm"));
		if (json_is_true(json_object_get(e, "significant")))
			strcat(d, "*");
		fputs("  ", p->f);
		cell(p, jstr(e, "a"), 18);
		fputc(' ', p->f);
		cell(p, jstr(e, "b"), 18);
		fprintf(p->f, " %-24s %6lld %6lld %8s %8s %s\n", a,
			jll(e, "a_only"),
			jll(e, "b_only"), c, d, b);
	}
	fprintf(p->f, "  * significant at 5%% after Holm; test:");
	{
		const char *seen[8];
		size_t ns = 0;
		json_array_foreach(pairs, i, e) {
			const char *t = jstr(e, "test");
			size_t q;
			for (q = 0; q < ns && strcmp(seen[q], t); q++)
				;
			if (q < ns || ns == 8)
				continue;
			seen[ns++] = t;
			fprintf(p->f, "%s %s", ns > 1 ? ";" : "", t);
		}
	}
	fputc('\n', p->f);
	e = json_object_get(cmp, "tied_groups");
	if (json_array_size(e)) {
		const json_t *g;
		fprintf(p->f, "  statistically tied groups (same letter = no "
			"significant difference):\n");
		json_array_foreach(e, i, g) {
			size_t q;
			const json_t *l;
			fprintf(p->f, "    %c: ", (char)(i < 26 ? 'a' + i
							     : 'A' + i - 26));
			json_array_foreach(g, q, l) {
				if (q)
					fputs(", ", p->f);
				cell(p, json_string_value(l), 0);
			}
			fputc('\n', p->f);
		}
	}
	mdd = json_object_get(cmp, "mdd");
	if (json_is_object(mdd)) {
		double mp = rs_jnum(mdd, "paired"), mu = rs_jnum(mdd, "unpaired");
		fprintf(p->f, "  with %lld cases, 80%% power, alpha 0.05: smallest "
			"detectable difference ", jll(mdd, "cases"));
		if (!isnan(mp))
			fprintf(p->f, "%.1f points paired", 100 * mp);
		else
			fprintf(p->f, "- paired");
		if (!isnan(mu))
			fprintf(p->f, ", %.1f unpaired", 100 * mu);
		fputc('\n', p->f);
		fprintf(p->f, "  to detect %.1f points: ", 100 * rs_jnum(mdd, "target"));
		if (!isnan(rs_jnum(mdd, "cases_for_target_paired")))
			fprintf(p->f, "%lld cases (paired)",
				jll(mdd, "cases_for_target_paired"));
		else
			fprintf(p->f, "- (paired)");
		if (!isnan(rs_jnum(mdd, "cases_for_target_unpaired")))
			fprintf(p->f, ", %lld (unpaired)",
				jll(mdd, "cases_for_target_unpaired"));
		fputc('\n', p->f);
	}
	if (json_is_integer(json_object_get(s, "clusters")))
		fprintf(p->f, "  intervals and tests rest on %lld clusters "
			"(design-adjusted Wilson; CR1 t tests with G-1 df)\n",
			(long long)json_integer_value(json_object_get(s, "clusters")));
}

static void calibration(struct pr *p, const json_t *cands)
{
	size_t i;
	json_t *c;
	if (!any_has(cands, "calibration"))
		return;
	title(p, "Calibration (stated confidence vs being right)");
	fprintf(p->f, "  %-*s %5s %8s %8s %8s %8s %8s %8s %8s %8s\n", LABEL_COLS,
		"candidate", "n", "conf", "acc", "ECE-mass", "ECE-width",
		"Brier", "acc@50%", "acc@80%", "acc@90%");
	json_array_foreach(cands, i, c) {
		json_t *k = json_object_get(c, "calibration"), *sel;
		char v[8][16];
		if (!json_is_object(k))
			continue;
		sel = json_object_get(k, "selective_accuracy");
		fmt_num(v[0], 16, rs_jnum(k, "mean_confidence"), 3);
		fmt_num(v[1], 16, rs_jnum(k, "accuracy"), 3);
		fmt_num(v[2], 16, rs_jnum(k, "ece_mass"), 3);
		fmt_num(v[3], 16, rs_jnum(k, "ece_width"), 3);
		fmt_num(v[4], 16, rs_jnum(k, "brier"), 3);
		fmt_pct(v[5], 16, rs_jnum(sel, "50"));
		fmt_pct(v[6], 16, rs_jnum(sel, "80"));
		fmt_pct(v[7], 16, rs_jnum(sel, "90"));
		fputs("  ", p->f);
		cell(p, jstr(c, "label"), LABEL_COLS);
		fprintf(p->f, " %5lld %8s %8s %8s %8s %8s %8s %8s %8s\n",
			jll(k, "n"), v[0], v[1], v[2], v[3],
			v[4], v[5], v[6], v[7]);
	}
	fprintf(p->f, "  reliability (equal-width bins: confidence -> accuracy, "
		"count)\n");
	json_array_foreach(cands, i, c) {
		json_t *bins = json_object_get(json_object_get(c, "calibration"),
					       "reliability"), *b;
		size_t q;
		if (!json_is_array(bins))
			continue;
		fputs("  ", p->f);
		cell(p, jstr(c, "label"), LABEL_COLS);
		json_array_foreach(bins, q, b) {
			if (rs_jnum(b, "count") <= 0)
				continue;
			fprintf(p->f, " %.2f->%.2f(%lld)", rs_jnum(b, "conf"),
				rs_jnum(b, "acc"), jll(b, "count"));
		}
		fputc('\n', p->f);
	}
	json_array_foreach(cands, i, c) {
		const char *src = json_string_value(json_object_get(
			json_object_get(c, "calibration"), "source"));
		if (src && !strcmp(src, "logprobs")) {
			fprintf(p->f, "  confidence = exp(mean token logprob): "
				"the model's certainty in its own tokens, not "
				"in being right.\n");
			break;
		}
	}
	json_array_foreach(cands, i, c)
		if (json_is_string(json_object_get(json_object_get(c, "calibration"),
						   "note"))) {
			fprintf(p->f, "  note: fewer than 300 cases with a "
				"confidence; ECE is noisy at this size.\n");
			break;
		}
}

static void refusals(struct pr *p, const json_t *cands)
{
	size_t i;
	json_t *c;
	if (!any_has(cands, "refusals"))
		return;
	title(p, "Refusals (expect: answer / expect: refuse cases)");
	fprintf(p->f, "  %-*s %-28s %-28s\n", LABEL_COLS, "candidate",
		"over-refusal [95% CI]", "under-refusal [95% CI]");
	json_array_foreach(cands, i, c) {
		json_t *r = json_object_get(c, "refusals");
		char a[64], b[64], a2[80], b2[80];
		if (!json_is_object(r))
			continue;
		fmt_pct_ci(a, sizeof a, json_object_get(r, "over_refusal"));
		fmt_pct_ci(b, sizeof b, json_object_get(r, "under_refusal"));
		snprintf(a2, sizeof a2, "%s of %lld", a, jll(
			json_object_get(r, "over_refusal"), "n"));
		snprintf(b2, sizeof b2, "%s of %lld", b, jll(
			json_object_get(r, "under_refusal"), "n"));
		fputs("  ", p->f);
		cell(p, jstr(c, "label"), LABEL_COLS);
		fprintf(p->f, " %-28s %-28s\n", a2, b2);
	}
}

static void failure_modes(struct pr *p, const json_t *cands)
{
	size_t i;
	json_t *c;
	title(p, "Failure modes");
	json_array_foreach(cands, i, c) {
		json_t *fm = json_object_get(c, "failure_modes"), *e;
		size_t q, shown = 0;
		char a[64];
		fputs("  ", p->f);
		cell(p, jstr(c, "label"), 0);
		fmt_pct(a, sizeof a, rs_jnum(fm, "fail_rate"));
		fprintf(p->f, ": fails %s", a);
		if (!isnan(rs_jnum(fm, "severity_weighted"))) {
			fmt_pct(a, sizeof a, rs_jnum(fm, "severity_weighted"));
			fprintf(p->f, ", severity-weighted %s, %lld critical",
				a, jll(fm, "critical_failures"));
		}
		fputc('\n', p->f);
		json_array_foreach(json_object_get(fm, "systematic"), q, e) {
			fprintf(p->f, "    systematic: tag ");
			cell(p, jstr(e, "tag"), 24);
			fprintf(p->f, " fails %.0f%% vs %.0f%% overall (p=%.2g)\n",
				100 * rs_jnum(e, "fail_rate"),
				100 * rs_jnum(e, "overall_fail_rate"),
				rs_jnum(e, "p"));
		}
		json_array_foreach(json_object_get(fm, "by_tag"), q, e) {
			char b[64];
			if (rs_jnum(e, "est") >= 1 || shown >= 4)
				continue;
			shown++;
			fmt_pct_ci(b, sizeof b, e);
			fprintf(p->f, "    tag ");
			cell(p, jstr(e, "tag"), 20);
			fprintf(p->f, " pass %s (n=%lld)\n", b,
				jll(e, "n"));
		}
		json_array_foreach(json_object_get(fm, "assertions"), q, e) {
			if (q >= 3)
				break;
			fprintf(p->f, "    assertion ");
			cell(p, jstr(e, "assertion"), 28);
			fprintf(p->f, " failed %lld/%lld\n",
				jll(e, "fails"),
				jll(e, "total"));
		}
	}
}

static void robustness(struct pr *p, const json_t *cands)
{
	size_t i;
	json_t *c;
	if (!any_has(cands, "robustness"))
		return;
	title(p, "Robustness (variant groups: same case, other phrasing)");
	fprintf(p->f, "  %-*s %7s %-26s %-26s\n", LABEL_COLS, "candidate",
		"groups", "consistent [95% CI]", "all variants pass [CI]");
	json_array_foreach(cands, i, c) {
		json_t *r = json_object_get(c, "robustness");
		char a[64], b[64];
		if (!json_is_object(r))
			continue;
		fmt_pct_ci(a, sizeof a, json_object_get(r, "consistency"));
		fmt_pct_ci(b, sizeof b, json_object_get(r, "worst_case_pass"));
		fputs("  ", p->f);
		cell(p, jstr(c, "label"), LABEL_COLS);
		fprintf(p->f, " %7lld %-26s %-26s\n",
			jll(r, "groups"), a, b);
	}
}

static void classification(struct pr *p, const json_t *cands)
{
	size_t i;
	json_t *c;
	if (!any_has(cands, "classification"))
		return;
	title(p, "Classification");
	json_array_foreach(cands, i, c) {
		json_t *k = json_object_get(c, "classification"), *cl, *row, *e;
		size_t q, r;
		char a[64], b[64];
		if (!json_is_object(k))
			continue;
		fmt_pct_ci(a, sizeof a, json_object_get(k, "accuracy"));
		fmt_num(b, sizeof b, rs_jnum(k, "macro_f1"), 3);
		fputs("  ", p->f);
		cell(p, jstr(c, "label"), 0);
		fprintf(p->f, ": accuracy %s, macro F1 %s", a, b);
		if (json_is_object(json_object_get(k, "expected_cost"))) {
			fmt_num_ci(a, sizeof a, json_object_get(k, "expected_cost"), 3);
			fprintf(p->f, ", expected cost per case %s", a);
		}
		fputc('\n', p->f);
		cl = json_object_get(k, "classes");
		fprintf(p->f, "    %-12s", "expected\\got");
		json_array_foreach(cl, q, e) {
			fputc(' ', p->f);
			cell(p, json_string_value(e), 9);
		}
		fputc('\n', p->f);
		json_array_foreach(json_object_get(k, "matrix"), r, row) {
			long sum = 0;
			json_array_foreach(row, q, e)
				sum += (long)json_integer_value(e);
			if (!sum)
				continue;
			fputs("    ", p->f);
			cell(p, json_string_value(json_array_get(cl, r)), 12);
			json_array_foreach(row, q, e)
				fprintf(p->f, " %9lld", (long long)json_integer_value(e));
			fputc('\n', p->f);
		}
		fprintf(p->f, "    %-12s %-22s %-22s %-22s\n", "class",
			"precision [CI]", "recall [CI]", "F1 [CI]");
		json_array_foreach(json_object_get(k, "per_class"), q, e) {
			char x[64], y[64], z[64];
			fmt_pct_ci(x, sizeof x, json_object_get(e, "precision"));
			fmt_pct_ci(y, sizeof y, json_object_get(e, "recall"));
			fmt_num_ci(z, sizeof z, json_object_get(e, "f1"), 2);
			fputs("    ", p->f);
			cell(p, jstr(e, "class"), 12);
			fprintf(p->f, " %-22s %-22s %-22s\n", x, y, z);
		}
		json_array_foreach(json_object_get(k, "confusions"), q, e) {
			if (q >= 3)
				break;
			fprintf(p->f, "    confusion: ");
			cell(p, jstr(e, "expected"), 0);
			fputs(" -> ", p->f);
			cell(p, jstr(e, "predicted"), 0);
			fprintf(p->f, " %lld times (%.0f%% of that class; %lld the "
				"other way)\n", jll(e, "count"),
				100 * rs_jnum(e, "share_of_expected"),
				jll(e, "reverse"));
		}
	}
}

static void decision(struct pr *p, const json_t *s)
{
	const json_t *d = json_object_get(s, "decision"), *e, *rec;
	size_t i;
	if (!json_is_object(d))
		return;
	title(p, "Decision");
	e = json_object_get(d, "constraints");
	if (json_object_size(e)) {
		const char *k;
		json_t *v;
		fprintf(p->f, "  constraints:");
		json_object_foreach((json_t *)e, k, v)
			if (json_is_number(v))
				fprintf(p->f, " %s %g", k, json_number_value(v));
		fputc('\n', p->f);
		fprintf(p->f, "  %-*s %-10s %-10s %-10s %-10s %s\n", LABEL_COLS,
			"candidate", "pass rate", "p95", "cost", "errors",
			"meets (on its intervals)");
		json_array_foreach(json_object_get(d, "candidates"), i, e) {
			const char *m = json_is_true(json_object_get(e, "no_data"))
				? "no data (no graded results)"
				: json_is_true(json_object_get(e, "clearly"))
				? "yes, clearly"
				: json_is_true(json_object_get(e, "meets"))
				? "yes, not yet clear" : "no";
			fputs("  ", p->f);
			cell(p, jstr(e, "label"), LABEL_COLS);
			fprintf(p->f, " %-10s %-10s %-10s %-10s %s\n",
				*jstr(e, "pass_rate") ? jstr(e, "pass_rate") : "-",
				*jstr(e, "p95") ? jstr(e, "p95") : "-",
				*jstr(e, "cost") ? jstr(e, "cost") : "-",
				*jstr(e, "error_rate") ? jstr(e, "error_rate") : "-",
				m);
		}
		rec = json_object_get(d, "recommended");
		if (json_is_object(rec)) {
			char a[32], b[64], c[24];
			json_t *iv = json_pack("{s:o, s:o, s:o}", "est",
				rs_num(rs_jnum(rec, "pass_rate")), "lo",
				rs_num(rs_jnum(rec, "pass_lo")), "hi",
				rs_num(rs_jnum(rec, "pass_hi")));
			fmt_usd(a, sizeof a, rs_jnum(rec, "cost_per_1k"));
			fmt_pct_ci(b, sizeof b, iv);
			json_decref(iv);
			fmt_num(c, sizeof c, rs_jnum(rec, "p95_ms"), 0);
			fprintf(p->f, "  %s=> cheapest candidate meeting every "
				"constraint: ", p->color ? "\033[1m" : "");
			cell(p, jstr(rec, "label"), 0);
			fprintf(p->f, "%s (pass %s, p95 %s ms, %s per 1,000 "
				"queries)\n", p->color ? "\033[0m" : "", b, c, a);
		} else {
			fprintf(p->f, "  => no candidate meets every constraint\n");
		}
		if (json_is_true(json_object_get(d, "statistically_clear")))
			fprintf(p->f, "  the answer is statistically clear\n");
		else {
			fprintf(p->f, "  not yet statistically clear:");
			json_array_foreach(json_object_get(d, "notes"), i, e) {
				fputs(i ? "; " : " ", p->f);
				cell(p, json_string_value(e), 0);
			}
			if (json_is_integer(json_object_get(d, "cases_to_settle")))
				fprintf(p->f, "; about %lld cases in total "
					"would settle it (80%% power)",
					jll(d, "cases_to_settle"));
			fputc('\n', p->f);
		}
	}
	if (!isnan(rs_jnum(d, "constraints.volume"))) {
		fprintf(p->f, "  monthly cost at %.0f queries a day (%.2f days a "
			"month):", rs_jnum(d, "constraints.volume"),
			rs_jnum(d, "days_per_month"));
		json_array_foreach(json_object_get(d, "candidates"), i, e) {
			char a[32], b[32], c[32];
			json_t *mc = json_object_get(e, "monthly_cost");
			if (!json_is_object(mc))
				continue;
			fmt_usd(a, sizeof a, rs_jnum(mc, "est"));
			fmt_usd(b, sizeof b, rs_jnum(mc, "lo"));
			fmt_usd(c, sizeof c, rs_jnum(mc, "hi"));
			fputs(i ? "; " : " ", p->f);
			cell(p, jstr(e, "label"), 0);
			fprintf(p->f, " %s [%s, %s]", a, b, c);
		}
		fputc('\n', p->f);
	}
	fprintf(p->f, "  Pareto-optimal on quality, cost and p95:");
	json_array_foreach(json_object_get(d, "pareto"), i, e) {
		fputs(i ? ", " : " ", p->f);
		cell(p, json_string_value(e), 0);
	}
	fputc('\n', p->f);
	if (json_is_array(json_object_get(d, "weighted"))) {
		fprintf(p->f, "  weighted ranking:");
		json_array_foreach(json_object_get(d, "weighted"), i, e) {
			fputs(i ? ", " : " ", p->f);
			cell(p, jstr(e, "label"), 0);
			fprintf(p->f, " (%.2f)", rs_jnum(e, "utility"));
		}
		fputc('\n', p->f);
	}
}

void rs_print(const json_t *s, FILE *f, bool color)
{
	struct pr p = { f, color };
	const json_t *cands = json_object_get(s, "candidates"), *w;
	size_t i;
	fprintf(f, "\n%sStatistics%s for run %lld: %lld cases, 95%% intervals, "
		"%lld bootstrap resamples (seed %lld)\n", color ? "\033[1m" : "",
		color ? "\033[0m" : "", jll(s, "run_id"),
		jll(s, "cases"),
		jll(s, "method.resamples"),
		jll(s, "method.seed"));
	quality(&p, cands);
	repeats(&p, cands);
	comparisons(&p, s);
	latency(&p, cands);
	cost(&p, cands);
	calibration(&p, cands);
	refusals(&p, cands);
	failure_modes(&p, cands);
	robustness(&p, cands);
	classification(&p, cands);
	rs_print_human(json_object_get(s, "human"), f, color);
	decision(&p, s);
	w = json_object_get(s, "warnings");
	if (json_array_size(w)) {
		const json_t *e;
		title(&p, "Warnings");
		json_array_foreach(w, i, e) {
			fprintf(f, "  %s! %s", color ? "\033[33m" : "",
				color ? "\033[0m" : "");
			cell(&p, json_string_value(e), 0);
			fputc('\n', f);
		}
	}
}
