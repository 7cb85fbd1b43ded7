/* report_stats_print.c — the terminal view of the statistics (a struct
 * run_stats, analysis.h): one section per topic, aligned tables, every
 * label escaped with report_term_escape (labels come from the suite and
 * model output is untrusted).  The one place the text is written; the
 * JSON (analysis_json.c) is written from the same struct, so the two
 * cannot disagree.  A figure that does not exist (NaN, infinite) prints
 * as "-", never as nan or a huge integer. */
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
	const struct run_stats *s;
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

/* NaN for a figure that does not exist (as the JSON's null). */
static double fin(double v)
{
	return isfinite(v) ? v : NAN;
}

static void fmt_pct(char *b, size_t n, double v)
{
	v = fin(v);
	if (isnan(v))
		snprintf(b, n, "-");
	else
		snprintf(b, n, "%.1f%%", 100 * v);
}

/* "93.5% [82.5, 97.8]" from an estimate and its interval (percent). */
static void fmt_pct_ci(char *b, size_t n, double e, double lo, double hi)
{
	e = fin(e);
	lo = fin(lo);
	hi = fin(hi);
	if (isnan(e))
		snprintf(b, n, "-");
	else if (isnan(lo))
		snprintf(b, n, "%.1f%%", 100 * e);
	else
		snprintf(b, n, "%.1f%% [%.1f, %.1f]", 100 * e, 100 * lo,
			 100 * hi);
}

static void fmt_rate(char *b, size_t n, const struct rs_rate *r)
{
	fmt_pct_ci(b, n, r->est, r->lo, r->hi);
}

/* A p-value: "-" when missing, "<0.0001" for tiny ones, never "0". */
static const char *fmt_p(char *b, size_t n, double v)
{
	v = fin(v);
	if (isnan(v))
		snprintf(b, n, "-");
	else if (v < 1e-4)
		snprintf(b, n, "<0.0001");
	else
		snprintf(b, n, "%.3g", v);
	return b;
}

static void fmt_num_ci(char *b, size_t n, double e, double lo, double hi,
		       int prec)
{
	e = fin(e);
	lo = fin(lo);
	hi = fin(hi);
	if (isnan(e))
		snprintf(b, n, "-");
	else if (isnan(lo))
		snprintf(b, n, "%.*f", prec, e);
	else
		snprintf(b, n, "%.*f [%.*f, %.*f]", prec, e, prec, lo, prec, hi);
}

static void fmt_num(char *b, size_t n, double v, int prec)
{
	v = fin(v);
	if (isnan(v))
		snprintf(b, n, "-");
	else
		snprintf(b, n, "%.*f", prec, v);
}

static void fmt_usd(char *b, size_t n, double v)
{
	v = fin(v);
	if (isnan(v))
		snprintf(b, n, "-");
	else if (v != 0 && fabs(v) < 0.01)
		snprintf(b, n, "$%.6f", v);
	else
		snprintf(b, n, "$%.4f", v);
}

static const char *label(const struct pr *p, size_t i)
{
	return p->s->run->cands[i].label;
}

/* ---- sections ------------------------------------------------------------------ */

static void quality(struct pr *p)
{
	const struct run_stats *s = p->s;
	bool metrics = false;
	title(p, "Quality (pass rate and score: 95% intervals)");
	fprintf(p->f, "  %-*s %-7s %-24s %-22s %7s %7s\n", LABEL_COLS,
		"candidate", "group", "pass rate [95% CI]", "score [95% CI]",
		"graded", "errors");
	for (size_t i = 0; i < s->ncands; i++) {
		const struct rs_cand_stats *c = &s->cands[i];
		char a[64], b[64];
		fmt_pct_ci(a, sizeof a, c->pass.ci.est, c->pass.ci.lo,
			   c->pass.ci.hi);
		if (c->score.kind == RS_MEAN_NONE)
			snprintf(b, sizeof b, "-");
		else
			fmt_num_ci(b, sizeof b, c->score.est, c->score.lo,
				   c->score.hi, 3);
		fputs("  ", p->f);
		cell(p, label(p, i), LABEL_COLS);
		fprintf(p->f, " %-7s %-24s %-22s %7ld %7ld\n",
			c->has_group ? c->group : "", a, b, c->graded,
			c->errors);
		for (size_t k = 0; k < c->c->nm; k++)
			metrics = metrics || c->metrics[k].kind != RS_MEAN_NONE;
	}
	{
		/* every method used, once: the interval differs by design */
		const char *seen[8];
		size_t ns = 0;
		for (size_t i = 0; i < s->ncands; i++) {
			const char *m = rs_pass_method(&s->cands[i].pass);
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
	for (size_t i = 0; i < s->ncands; i++) {
		const struct rs_cand_stats *c = &s->cands[i];
		fputs("  ", p->f);
		cell(p, label(p, i), LABEL_COLS);
		for (size_t k = 0; k < c->c->nm; k++) {
			const struct rs_mean *m = &c->metrics[k];
			const char *name = c->c->m[k].name;
			char b[64];
			if (m->kind == RS_MEAN_NONE)
				continue;
			fmt_num_ci(b, sizeof b, m->est, m->lo, m->hi, 3);
			fputc(' ', p->f);
			cell(p, name, strlen(name) > 16 ? 16 : strlen(name));
			fprintf(p->f, " %s ", b);
		}
		fputc('\n', p->f);
	}
}

static void repeats(struct pr *p)
{
	const struct run_stats *s = p->s;
	bool any = false;
	for (size_t i = 0; i < s->ncands; i++)
		any = any || s->cands[i].rep.present;
	if (!any)
		return;
	title(p, "Repeats and flakiness");
	fprintf(p->f, "  %-*s %7s %7s %-18s %-18s\n", LABEL_COLS, "candidate",
		"k", "flaky", "pass@k", "pass^k");
	for (size_t i = 0; i < s->ncands; i++) {
		const struct rs_repeats *r = &s->cands[i].rep;
		char k[16], a[32], b[32], f[32];
		if (!r->present)
			continue;
		snprintf(k, sizeof k, "%d", r->kmin);
		fmt_pct(a, sizeof a, r->kmin > 0 ? r->pass_at_k[r->kmin - 1]
						 : NAN);
		fmt_pct(b, sizeof b, r->kmin > 0 ? r->pass_hat_k[r->kmin - 1]
						 : NAN);
		snprintf(f, sizeof f, "%ld/%ld", r->flaky_cases,
			 r->cases_repeated);
		fputs("  ", p->f);
		cell(p, label(p, i), LABEL_COLS);
		fprintf(p->f, " %7s %7s %-18s %-18s\n", k, f, a, b);
		for (size_t q = 0; q < r->nflakiest && q < 3; q++) {
			const struct rs_flaky *e = &r->flakiest[q];
			const char *d = s->run->cases[e->c].desc;
			fprintf(p->f, "      flaky: ");
			cell(p, d ? d : "(no description)", 40);
			fprintf(p->f, " %ld/%ld passed\n", e->passes,
				e->attempts);
		}
	}
}

static void latency(struct pr *p)
{
	const struct run_stats *s = p->s;
	bool open_hi = false, both = false;
	title(p, "Latency (ms; percentiles of successful requests)");
	fprintf(p->f, "  %-*s %6s %8s %8s %-22s %8s %8s %12s %12s\n", LABEL_COLS,
		"candidate", "n", "p50", "p90", "p95 [95% CI]", "p99", "max",
		"ttft p50/95", "tok/s");
	for (size_t i = 0; i < s->ncands; i++) {
		const struct rs_latency *l = &s->cands[i].lat;
		const struct rs_pctl *q = &l->lat;
		char a[16], b[16], d[48], e[16], g[16], h[32], k[40];
		double tps = fin(l->tps), gen = fin(l->gen_tps);
		bool has = q->n > 0;
		fmt_num(a, sizeof a, has ? q->p50 : NAN, 0);
		fmt_num(b, sizeof b, has ? q->p90 : NAN, 0);
		if (!has || isnan(fin(q->p95)))
			fmt_num(d, sizeof d, NAN, 0);
		else {
			char lo[16], hi[16];
			fmt_num(lo, sizeof lo, q->p95_lo, 0);
			fmt_num(hi, sizeof hi, q->p95_hi, 0);
			if (isinf(q->p95_hi)) {
				snprintf(hi, sizeof hi, "open");
				open_hi = true;
			}
			snprintf(d, sizeof d, "%.0f [%s, %s]", q->p95, lo, hi);
		}
		fmt_num(e, sizeof e, has ? q->p99 : NAN, 0);
		fmt_num(g, sizeof g, has ? q->max : NAN, 0);
		if (l->ttft.n)
			snprintf(h, sizeof h, "%.0f/%.0f", fin(l->ttft.p50),
				 fin(l->ttft.p95));
		else
			snprintf(h, sizeof h, "-");
		if (!isnan(gen) && !isnan(tps) && fabs(gen - tps) > 0.05 * tps) {
			snprintf(k, sizeof k, "%.0f/%.0f gen", tps, gen);
			both = true;
		} else {
			fmt_num(k, sizeof k, tps, 0);
		}
		fputs("  ", p->f);
		cell(p, label(p, i), LABEL_COLS);
		fprintf(p->f, " %6ld %8s %8s %-22s %8s %8s %12s %12s\n",
			q->n, a, b, d, e, g, h, k);
	}
	if (both)
		fprintf(p->f, "  tok/s: completion tokens per second of whole "
			"request time; \"N/M gen\": M counts generation time "
			"only (after the first token, streamed replies).\n");
	for (size_t i = 0; i < s->ncands; i++)
		if (s->cands[i].lat.cached > 0) {
			fprintf(p->f, "  cache hits count with the latency of the "
				"response they replay\n");
			break;
		}
	fprintf(p->f, "  p95 interval: order statistics (distribution-free)%s\n",
		open_hi ? "; open = fewer than 72 samples cannot bound p95 "
		"from above" : "");
	for (size_t i = 0; i < s->ncands; i++)
		if (s->cands[i].lat.lat.n > 0 && s->cands[i].lat.lat.n < 20) {
			fprintf(p->f, "  note: some candidates have fewer than 20 "
				"timed requests; their p95/p99 are just the "
				"slowest few requests.\n");
			break;
		}
}

static void cost(struct pr *p)
{
	const struct run_stats *s = p->s;
	bool any = false;
	for (size_t i = 0; i < s->ncands; i++)
		any = any || s->cands[i].cost.known > 0;
	title(p, "Cost (all spend, retries included)");
	if (!any) {
		fprintf(p->f, "  no costs recorded (set a price in the provider's "
			"config: cost: {input_per_mtok, output_per_mtok})\n");
		return;
	}
	fprintf(p->f, "  %-*s %12s %12s %14s %12s %8s %12s\n", LABEL_COLS,
		"candidate", "per query", "per 1,000", "per success", "total",
		"retries", "judge cost");
	for (size_t i = 0; i < s->ncands; i++) {
		const struct rs_cost *k = &s->cands[i].cost;
		char a[32], b[32], d[32], e[32], jc[32];
		fmt_usd(jc, sizeof jc, k->judge_usd);
		fmt_usd(a, sizeof a, k->per_query);
		fmt_usd(b, sizeof b, k->per_1k);
		fmt_usd(d, sizeof d, k->per_success);
		fmt_usd(e, sizeof e, k->total);
		fputs("  ", p->f);
		cell(p, label(p, i), LABEL_COLS);
		fprintf(p->f, " %12s %12s %14s %12s %8ld %12s\n", a, b, d, e,
			k->retries, jc);
	}
	fprintf(p->f, "  judge cost: what model-graded assertions spent grading "
		"each candidate (not part of its own cost)\n");
	for (size_t i = 0; i < s->ncands; i++) {
		const struct rs_cost *k = &s->cands[i].cost;
		char a[32], b[32];
		if (!(fin(k->cached_usd) > 0))
			continue;
		fmt_usd(a, sizeof a, k->cached_usd);
		fmt_usd(b, sizeof b, k->spent_usd);
		fputs("  ", p->f);
		cell(p, label(p, i), 0);
		fprintf(p->f, ": %s of it served from the cache (not spent this "
			"run; spent %s)\n", a, b);
	}
}

static void comparisons(struct pr *p)
{
	const struct run_stats *s = p->s;
	const struct rs_comparisons *cmp = &s->cmp;
	if (!cmp->present)
		return;
	title(p, "Comparisons (paired on the same cases, Holm-adjusted)");
	fprintf(p->f, "  %-*s %-*s %-24s %6s %6s %8s %8s %s\n", 18, "A", 18,
		"B", "A - B pass [95% CI]", "A>B", "B>A", "p", "p(Holm)",
		"score A - B");
	for (size_t i = 0; i < cmp->npairs; i++) {
		const struct rs_pair_stats *e = &cmp->pairs[i];
		char a[64], b[64], c[16], d[24], ph[16];
		double est = fin(e->est), lo = fin(e->lo), hi = fin(e->hi);
		if (e->n <= 0)
			snprintf(a, sizeof a, "no shared graded cases");
		else if (isnan(est))
			snprintf(a, sizeof a, "-");
		else if (isnan(lo) || isnan(hi))
			snprintf(a, sizeof a, "%+.1f [no interval]", 100 * est);
		else
			snprintf(a, sizeof a, "%+.1f [%+.1f, %+.1f]", 100 * est,
				 100 * lo, 100 * hi);
		if (e->n > 0 && e->has_score && !isnan(fin(e->sd_lo)))
			snprintf(b, sizeof b, "%+.3f [%+.3f, %+.3f] p=%s",
				 fin(e->sd_est), fin(e->sd_lo), fin(e->sd_hi),
				 fmt_p(c, sizeof c, e->sd_p_holm));
		else if (e->n > 0 && e->has_score)
			snprintf(b, sizeof b, "%+.3f p=%s", fin(e->sd_est),
				 fmt_p(c, sizeof c, e->sd_p_holm));
		else
			snprintf(b, sizeof b, "(same as pass)");
		fmt_p(c, sizeof c, e->n > 0 ? e->p : NAN);
		snprintf(d, sizeof d, "%s%s", fmt_p(ph, sizeof ph, e->p_holm),
			 e->significant ? "*" : "");
		fputs("  ", p->f);
		cell(p, label(p, e->a), 18);
		fputc(' ', p->f);
		cell(p, label(p, e->b), 18);
		fprintf(p->f, " %-24s %6ld %6ld %8s %8s %s\n", a,
			e->n > 0 ? e->a_only : 0, e->n > 0 ? e->b_only : 0, c,
			d, b);
	}
	fprintf(p->f, "  * significant at 5%% after Holm; test:");
	{
		const char *seen[8];
		size_t ns = 0;
		for (size_t i = 0; i < cmp->npairs; i++) {
			const char *t = cmp->pairs[i].test;
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
	if (cmp->ngroups) {
		fprintf(p->f, "  statistically tied groups (same letter = no "
			"significant difference):\n");
		for (size_t i = 0; i < cmp->ngroups; i++) {
			fprintf(p->f, "    %c: ", (char)(i < 26 ? 'a' + i
							     : 'A' + i - 26));
			for (size_t q = 0; q < cmp->ntied[i]; q++) {
				if (q)
					fputs(", ", p->f);
				cell(p, label(p, cmp->tied[i][q]), 0);
			}
			fputc('\n', p->f);
		}
	}
	{
		double mp = cmp->has_paired ? fin(cmp->paired) : NAN;
		double mu = cmp->has_unpaired ? fin(cmp->unpaired) : NAN;
		fprintf(p->f, "  with %ld cases, 80%% power, alpha 0.05: smallest "
			"detectable difference ", cmp->cases);
		if (!isnan(mp))
			fprintf(p->f, "%.1f points paired", 100 * mp);
		else
			fprintf(p->f, "- paired");
		if (!isnan(mu))
			fprintf(p->f, ", %.1f unpaired", 100 * mu);
		fputc('\n', p->f);
		fprintf(p->f, "  to detect %.1f points: ", 100 * cmp->target);
		if (cmp->has_paired && cmp->for_target_paired >= 0)
			fprintf(p->f, "%ld cases (paired)",
				cmp->for_target_paired);
		else
			fprintf(p->f, "- (paired)");
		if (cmp->has_unpaired && cmp->for_target_unpaired >= 0)
			fprintf(p->f, ", %ld (unpaired)",
				cmp->for_target_unpaired);
		fputc('\n', p->f);
	}
	if (s->run->has_clusters)
		fprintf(p->f, "  intervals and tests rest on %zu clusters "
			"(design-adjusted Wilson; CR1 t tests with G-1 df)\n",
			s->run->nclusters);
}

static void calibration(struct pr *p)
{
	const struct run_stats *s = p->s;
	bool any = false;
	for (size_t i = 0; i < s->ncands; i++)
		any = any || s->cands[i].cal.present;
	if (!any)
		return;
	title(p, "Calibration (stated confidence vs being right)");
	fprintf(p->f, "  %-*s %5s %8s %8s %8s %8s %8s %8s %8s %8s\n", LABEL_COLS,
		"candidate", "n", "conf", "acc", "ECE-mass", "ECE-width",
		"Brier", "acc@50%", "acc@80%", "acc@90%");
	for (size_t i = 0; i < s->ncands; i++) {
		const struct rs_calib *k = &s->cands[i].cal;
		bool has = k->n > 0;
		char v[8][16];
		if (!k->present)
			continue;
		fmt_num(v[0], 16, has ? k->mean_conf : NAN, 3);
		fmt_num(v[1], 16, has ? k->accuracy : NAN, 3);
		fmt_num(v[2], 16, has ? k->ece_mass : NAN, 3);
		fmt_num(v[3], 16, has ? k->ece_width : NAN, 3);
		fmt_num(v[4], 16, has ? k->brier : NAN, 3);
		fmt_pct(v[5], 16, has && k->has_sel ? k->sel[0] : NAN);
		fmt_pct(v[6], 16, has && k->has_sel ? k->sel[1] : NAN);
		fmt_pct(v[7], 16, has && k->has_sel ? k->sel[2] : NAN);
		fputs("  ", p->f);
		cell(p, label(p, i), LABEL_COLS);
		fprintf(p->f, " %5ld %8s %8s %8s %8s %8s %8s %8s %8s\n",
			k->n, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]);
	}
	fprintf(p->f, "  reliability (equal-width bins: confidence -> accuracy, "
		"count)\n");
	for (size_t i = 0; i < s->ncands; i++) {
		const struct rs_calib *k = &s->cands[i].cal;
		if (!k->present || !k->n || !k->has_rel)
			continue;
		fputs("  ", p->f);
		cell(p, label(p, i), LABEL_COLS);
		for (size_t q = 0; q < 10; q++) {
			const struct stats_bin *b = &k->rel[q];
			if (b->count <= 0)
				continue;
			fprintf(p->f, " %.2f->%.2f(%ld)", fin(b->conf),
				fin(b->acc), b->count);
		}
		fputc('\n', p->f);
	}
	if (s->run->conf_source && !strcmp(s->run->conf_source, "logprobs"))
		fprintf(p->f, "  confidence = exp(mean token logprob): "
			"the model's certainty in its own tokens, not "
			"in being right.\n");
	for (size_t i = 0; i < s->ncands; i++)
		if (s->cands[i].cal.present && s->cands[i].cal.n < 300) {
			fprintf(p->f, "  note: fewer than 300 cases with a "
				"confidence; ECE is noisy at this size.\n");
			break;
		}
}

static void refusals(struct pr *p)
{
	const struct run_stats *s = p->s;
	bool any = false;
	for (size_t i = 0; i < s->ncands; i++)
		any = any || s->cands[i].ref.present;
	if (!any)
		return;
	title(p, "Refusals (expect: answer / expect: refuse cases)");
	fprintf(p->f, "  %-*s %-28s %-28s\n", LABEL_COLS, "candidate",
		"over-refusal [95% CI]", "under-refusal [95% CI]");
	for (size_t i = 0; i < s->ncands; i++) {
		const struct rs_refusals *r = &s->cands[i].ref;
		char a[64], b[64], a2[80], b2[80];
		if (!r->present)
			continue;
		fmt_rate(a, sizeof a, &r->over);
		fmt_rate(b, sizeof b, &r->under);
		snprintf(a2, sizeof a2, "%s of %ld", a, r->over.n);
		snprintf(b2, sizeof b2, "%s of %ld", b, r->under.n);
		fputs("  ", p->f);
		cell(p, label(p, i), LABEL_COLS);
		fprintf(p->f, " %-28s %-28s\n", a2, b2);
	}
}

static void failure_modes(struct pr *p)
{
	const struct run_stats *s = p->s;
	title(p, "Failure modes");
	for (size_t i = 0; i < s->ncands; i++) {
		const struct rs_failmodes *fm = &s->cands[i].fm;
		const struct rs_cand *rc = s->cands[i].c;
		size_t shown = 0;
		char a[64];
		fputs("  ", p->f);
		cell(p, label(p, i), 0);
		fmt_pct(a, sizeof a, fm->fail_rate);
		fprintf(p->f, ": fails %s", a);
		if (fm->has_sev && !isnan(fin(fm->sev_weighted))) {
			fmt_pct(a, sizeof a, fm->sev_weighted);
			fprintf(p->f, ", severity-weighted %s, %ld critical",
				a, fm->critical);
		}
		fputc('\n', p->f);
		for (size_t q = 0; q < fm->ntags; q++) {
			const struct rs_tag_rate *e = &fm->tags[q];
			if (!e->systematic)
				continue;
			fprintf(p->f, "    systematic: tag ");
			cell(p, s->run->tags[e->tag], 24);
			fprintf(p->f, " fails %.0f%% vs %.0f%% overall (p=%.2g)\n",
				100 * e->fail_rate, 100 * fin(fm->fail_rate),
				e->p_worse);
		}
		for (size_t q = 0; q < fm->ntags; q++) {
			const struct rs_tag_rate *e = &fm->tags[q];
			char b[64];
			if (fin(e->r.est) >= 1 || shown >= 4)
				continue;
			shown++;
			fmt_rate(b, sizeof b, &e->r);
			fprintf(p->f, "    tag ");
			cell(p, s->run->tags[e->tag], 20);
			fprintf(p->f, " pass %s (n=%ld)\n", b, e->r.n);
		}
		for (size_t q = 0; q < fm->nassert && q < 3; q++) {
			fprintf(p->f, "    assertion ");
			cell(p, rc->af[q].name, 28);
			fprintf(p->f, " failed %ld/%ld\n", rc->af[q].fails,
				rc->af[q].total);
		}
	}
}

static void robustness(struct pr *p)
{
	const struct run_stats *s = p->s;
	bool any = false;
	for (size_t i = 0; i < s->ncands; i++)
		any = any || s->cands[i].rob.present;
	if (!any)
		return;
	title(p, "Robustness (variant groups: same case, other phrasing)");
	fprintf(p->f, "  %-*s %7s %-26s %-26s\n", LABEL_COLS, "candidate",
		"groups", "consistent [95% CI]", "all variants pass [CI]");
	for (size_t i = 0; i < s->ncands; i++) {
		const struct rs_robust *r = &s->cands[i].rob;
		char a[64], b[64];
		if (!r->present)
			continue;
		fmt_rate(a, sizeof a, &r->consistency);
		fmt_rate(b, sizeof b, &r->worst);
		fputs("  ", p->f);
		cell(p, label(p, i), LABEL_COLS);
		fprintf(p->f, " %7ld %-26s %-26s\n", r->groups, a, b);
	}
	if (!s->nperturbs)
		return;
	fprintf(p->f, "  flip rate under each perturbation (share of pairs whose "
		"verdict differs from the original's; Wilson 95%%) and the "
		"pass-rate drop it causes (Newcombe paired):\n");
	for (size_t i = 0; i < s->ncands; i++) {
		const struct rs_robust *r = &s->cands[i].rob;
		for (size_t q = 0; q < r->nflips; q++) {
			const struct rs_flip *f = &r->flips[q];
			char a[64], b[64];
			if (!f->n)
				continue;
			fmt_pct_ci(a, sizeof a, f->est, f->lo, f->hi);
			fmt_num_ci(b, sizeof b, 100 * f->drop, 100 * f->drop_lo,
				   100 * f->drop_hi, 1);
			fputs("  ", p->f);
			cell(p, label(p, i), LABEL_COLS);
			fputc(' ', p->f);
			cell(p, s->perturbs[f->kind], 16);
			fprintf(p->f, " flips %ld/%ld %-22s drop %s points%s\n",
				f->flips, f->n, a, b, f->design
				? " (design-adjusted)" : "");
		}
	}
	for (size_t i = 0; i < s->cmp.nrobust; i++) {
		const struct rs_robust_pair *e = &s->cmp.robust[i];
		char a[64], c[16], d[16];
		if (!e->n)
			continue;
		fmt_p(c, sizeof c, e->p);
		fmt_p(d, sizeof d, e->p_holm);
		fputs("  ", p->f);
		cell(p, label(p, e->a), 0);
		fputs(" vs ", p->f);
		cell(p, label(p, e->b), 0);
		fputs(" under ", p->f);
		cell(p, s->perturbs[e->kind], 0);
		if (isnan(fin(e->lo)) || isnan(fin(e->hi)))
			snprintf(a, sizeof a, "%+.1f [no interval]",
				 100 * fin(e->est));
		else
			snprintf(a, sizeof a, "%+.1f [%+.1f, %+.1f]",
				 100 * fin(e->est), 100 * fin(e->lo),
				 100 * fin(e->hi));
		fprintf(p->f, ": of %ld shared pairs %ld flip for the first only, "
			"%ld for the second only; flip-rate difference %s points, "
			"p %s (Holm %s): ", e->n, e->a_only, e->b_only, a, c, d);
		if (e->more_robust >= 0) {
			cell(p, label(p, (size_t)e->more_robust), 0);
			fputs(" is more robust\n", p->f);
		} else {
			fputs("no significant difference\n", p->f);
		}
	}
}

/* Attack success per probe pack between candidates (the paired
 * difference; each candidate's own rate is its by-tag failure rate). */
static void attack_success(struct pr *p)
{
	const struct run_stats *s = p->s;
	if (!s->cmp.nasr)
		return;
	title(p, "Attack success (probe packs: share of probe cases the attack "
		 "wins; paired, first minus second)");
	for (size_t i = 0; i < s->cmp.nasr; i++) {
		const struct rs_asr_pair *e = &s->cmp.asr[i];
		char a[64], c[16], d[16];
		fputs("  ", p->f);
		cell(p, s->run->tags[e->tag] + strlen("probe:"), 0);
		fputs(": ", p->f);
		cell(p, label(p, e->a), 0);
		fputs(" vs ", p->f);
		cell(p, label(p, e->b), 0);
		if (!e->n) {
			fputs(": no shared graded cases\n", p->f);
			continue;
		}
		if (isnan(fin(e->lo)) || isnan(fin(e->hi)))
			snprintf(a, sizeof a, "%+.1f [no interval]",
				 100 * fin(e->est));
		else
			snprintf(a, sizeof a, "%+.1f [%+.1f, %+.1f]",
				 100 * fin(e->est), 100 * fin(e->lo),
				 100 * fin(e->hi));
		fprintf(p->f, ": %.1f%% vs %.1f%% on %ld shared cases (%ld "
			"attacked more for the first, %ld for the second); "
			"difference %s points, ", 100 * fin(e->asr_a),
			100 * fin(e->asr_b), e->n, e->a_only, e->b_only, a);
		if (isnan(e->p)) {
			fputs("no test (one cluster)\n", p->f);
			continue;
		}
		fmt_p(c, sizeof c, e->p);
		fmt_p(d, sizeof d, e->p_holm);
		fprintf(p->f, "p %s (Holm %s): ", c, d);
		if (e->more_attacked >= 0) {
			cell(p, label(p, (size_t)e->more_attacked), 0);
			fputs(" is attacked more often\n", p->f);
		} else {
			fputs("no significant difference\n", p->f);
		}
	}
}

static void classification(struct pr *p)
{
	const struct run_stats *s = p->s;
	char *const *names = s->run->classes;
	bool any = false;
	for (size_t i = 0; i < s->ncands; i++)
		any = any || s->cands[i].cls.present;
	if (!any)
		return;
	title(p, "Classification");
	for (size_t i = 0; i < s->ncands; i++) {
		const struct rs_classif *k = &s->cands[i].cls;
		char a[64], b[64];
		if (!k->present)
			continue;
		fmt_rate(a, sizeof a, &k->accuracy);
		fmt_num(b, sizeof b, k->macro_f1, 3);
		fputs("  ", p->f);
		cell(p, label(p, i), 0);
		fprintf(p->f, ": accuracy %s, macro F1 %s", a, b);
		if (k->has_cost) {
			fmt_num_ci(a, sizeof a, k->ec_est, k->ec_lo, k->ec_hi, 3);
			fprintf(p->f, ", expected cost per case %s", a);
		}
		fputc('\n', p->f);
		fprintf(p->f, "    %-12s", "expected\\got");
		for (size_t q = 0; q < k->k; q++) {
			fputc(' ', p->f);
			cell(p, names[q], 9);
		}
		fputc('\n', p->f);
		for (size_t r = 0; r < k->k; r++) {
			long sum = 0;
			for (size_t q = 0; q < k->k; q++)
				sum += k->matrix[r * k->k + q];
			if (!sum)
				continue;
			fputs("    ", p->f);
			cell(p, names[r], 12);
			for (size_t q = 0; q < k->k; q++)
				fprintf(p->f, " %9ld", k->matrix[r * k->k + q]);
			fputc('\n', p->f);
		}
		fprintf(p->f, "    %-12s %-22s %-22s %-22s\n", "class",
			"precision [CI]", "recall [CI]", "F1 [CI]");
		for (size_t q = 0; q < k->nper; q++) {
			const struct rs_class_row *e = &k->per[q];
			char x[64], y[64], z[64];
			fmt_rate(x, sizeof x, &e->precision);
			fmt_rate(y, sizeof y, &e->recall);
			fmt_num_ci(z, sizeof z, e->f1, e->f1_lo, e->f1_hi, 2);
			fputs("    ", p->f);
			cell(p, names[e->cls], 12);
			fprintf(p->f, " %-22s %-22s %-22s\n", x, y, z);
		}
		for (size_t q = 0; q < k->nconf && q < 3; q++) {
			const struct rs_confusion *e = &k->conf[q];
			fprintf(p->f, "    confusion: ");
			cell(p, names[e->exp], 0);
			fputs(" -> ", p->f);
			cell(p, names[e->pred], 0);
			fprintf(p->f, " %ld times (%.0f%% of that class; %ld the "
				"other way)\n", e->count, 100 * e->share,
				e->reverse);
		}
	}
}

static void decision(struct pr *p)
{
	const struct rs_decision *d = &p->s->dec;
	static const char *const cname[5] = { "min_pass_rate", "max_p95_ms",
		"max_cost_per_1k", "max_error_rate", "volume" };
	if (!d->present)
		return;
	title(p, "Decision");
	if (d->d.set) {
		double cv[5] = { d->d.min_pass_rate, d->d.max_p95_ms,
				 d->d.max_cost_per_1k, d->d.max_error_rate,
				 d->d.volume };
		fprintf(p->f, "  constraints:");
		for (int k = 0; k < 5; k++)
			if (!isnan(fin(cv[k])))
				fprintf(p->f, " %s %g", cname[k], cv[k]);
		fputc('\n', p->f);
		fprintf(p->f, "  %-*s %-10s %-10s %-10s %-10s %s\n", LABEL_COLS,
			"candidate", "pass rate", "p95", "cost", "errors",
			"meets (on its intervals)");
		for (size_t i = 0; i < d->nrows; i++) {
			const struct rs_dec_row *e = &d->rows[i];
			const char *m = e->nodata ? "no data (no graded results)"
				: e->clearly ? "yes, clearly"
				: e->meets ? "yes, not yet clear" : "no";
			fputs("  ", p->f);
			cell(p, d->labels[i], LABEL_COLS);
			fprintf(p->f, " %-10s %-10s %-10s %-10s %s\n",
				e->v[RS_K_PASS] ? e->v[RS_K_PASS] : "-",
				e->v[RS_K_P95] ? e->v[RS_K_P95] : "-",
				e->v[RS_K_COST] ? e->v[RS_K_COST] : "-",
				e->v[RS_K_ERR] ? e->v[RS_K_ERR] : "-", m);
		}
		if (d->rec >= 0) {
			char a[32], b[64], c[24];
			fmt_usd(a, sizeof a, d->rec_cost);
			fmt_pct_ci(b, sizeof b, d->rec_pass, d->rec_lo, d->rec_hi);
			fmt_num(c, sizeof c, d->rec_p95, 0);
			fprintf(p->f, "  %s=> cheapest candidate meeting every "
				"constraint: ", p->color ? "\033[1m" : "");
			cell(p, d->labels[d->rec], 0);
			fprintf(p->f, "%s (pass %s, p95 %s ms, %s per 1,000 "
				"queries)\n", p->color ? "\033[0m" : "", b, c, a);
		} else {
			fprintf(p->f, "  => no candidate meets every constraint\n");
		}
		if (d->clear)
			fprintf(p->f, "  the answer is statistically clear\n");
		else {
			fprintf(p->f, "  not yet statistically clear:");
			for (size_t i = 0; i < d->nnotes; i++) {
				fputs(i ? "; " : " ", p->f);
				cell(p, d->notes[i], 0);
			}
			if (d->settle > 0)
				fprintf(p->f, "; about %ld cases in total "
					"would settle it (80%% power)",
					d->settle);
			fputc('\n', p->f);
		}
	}
	if (d->d.set && !isnan(fin(d->d.volume))) {
		fprintf(p->f, "  monthly cost at %.0f queries a day (%.2f days a "
			"month):", d->d.volume, 365.25 / 12);
		for (size_t i = 0; i < d->nrows; i++) {
			const struct rs_dec_row *e = &d->rows[i];
			char a[32], b[32], c[32];
			if (!e->has_monthly)
				continue;
			fmt_usd(a, sizeof a, e->mc_est);
			fmt_usd(b, sizeof b, e->mc_lo);
			fmt_usd(c, sizeof c, e->mc_hi);
			fputs(i ? "; " : " ", p->f);
			cell(p, d->labels[i], 0);
			fprintf(p->f, " %s [%s, %s]", a, b, c);
		}
		fputc('\n', p->f);
	}
	fprintf(p->f, "  Pareto-optimal on quality, cost and p95:");
	for (size_t i = 0; i < d->npareto; i++) {
		fputs(i ? ", " : " ", p->f);
		cell(p, d->labels[d->pareto[i]], 0);
	}
	fputc('\n', p->f);
	if (d->d.set && d->d.has_weights) {
		fprintf(p->f, "  weighted ranking:");
		for (size_t i = 0; i < d->nw; i++) {
			fputs(i ? ", " : " ", p->f);
			cell(p, d->labels[d->wrank[i]], 0);
			fprintf(p->f, " (%.2f)", fin(d->wutil[i]));
		}
		fputc('\n', p->f);
	}
}

void report_stats_print_stats(const struct run_stats *s, FILE *f, bool color)
{
	struct pr p = { f, color, s };
	fprintf(f, "\n%sStatistics%s for run %lld: %zu cases, 95%% intervals, "
		"%ld bootstrap resamples (seed %llu)\n", color ? "\033[1m" : "",
		color ? "\033[0m" : "", (long long)s->run->id, s->run->ncases,
		s->resamples, (unsigned long long)s->seed);
	quality(&p);
	repeats(&p);
	comparisons(&p);
	latency(&p);
	cost(&p);
	calibration(&p);
	refusals(&p);
	failure_modes(&p);
	attack_success(&p);
	robustness(&p);
	classification(&p);
	rs_print_human(s, f, color);
	decision(&p);
	if (s->nwarnings) {
		title(&p, "Warnings");
		for (size_t i = 0; i < s->nwarnings; i++) {
			fprintf(f, "  %s! %s", color ? "\033[33m" : "",
				color ? "\033[0m" : "");
			cell(&p, s->warnings[i], 0);
			fputc('\n', f);
		}
	}
}
