/* report_stats_human_print.c — the terminal section of the human-grade
 * statistics (struct rs_human of a run_stats, computed by
 * src/analysis/analysis_human.c); called by report_stats_print.c. */
#include "report_stats_int.h"

#include <math.h>

#include "report.h"
#include "../util/buf.h"

/* Untrusted text (labels, names) escaped for the terminal. */
static void put(FILE *f, const char *s, size_t w)
{
	struct buf b = {0};
	size_t cols = report_term_escape(&b, s ? s : "", w);
	fputs(buf_str(&b), f);
	for (; cols < w; cols++)
		fputc(' ', f);
	buf_free(&b);
}

static double fin(double v)
{
	return isfinite(v) ? v : NAN;
}

/* "est [lo, hi]" with prec decimals (scale 100 for percentages). */
static void ci(FILE *f, double e, double lo, double hi, int prec, double scale)
{
	e = fin(e);
	lo = fin(lo);
	hi = fin(hi);
	if (isnan(e)) {
		fputs("-", f);
		return;
	}
	fprintf(f, "%.*f", prec, e * scale);
	if (isnan(lo) || isnan(hi))
		fputs(" [n too small]", f);
	else
		fprintf(f, " [%.*f, %.*f]", prec, lo * scale, prec, hi * scale);
}

static void kappa_line(FILE *f, const char *what, const struct rs_hkappa *k)
{
	if (!k->present)
		return;
	fprintf(f, "  %-28s kappa ", what);
	ci(f, k->est, k->lo, k->hi, 2, 1);
	if (isnan(fin(k->observed)))
		fprintf(f, "  (%ld items)\n", k->n);
	else
		fprintf(f, "  (%ld items, observed agreement %.0f%%)\n", k->n,
			100 * k->observed);
}

void rs_print_human(const struct run_stats *s, FILE *f, bool color)
{
	const struct rs_human *h = &s->human;
	if (!h->present)
		return;
	fprintf(f, "\n%sHuman grades%s: %ld grades by %zu reviewers\n",
		color ? "\033[1m" : "", color ? "\033[0m" : "", h->grades,
		h->ngraders);
	for (size_t i = 0; i < h->ncands; i++) {
		const struct rs_hcand *c = &h->cands[i];
		fputs("  ", f);
		put(f, s->run->cands[c->cand].label, 24);
		fputs(" rating ", f);
		ci(f, c->r_est, c->r_lo, c->r_hi, 2, 1);
		fprintf(f, " (n %ld)  would ship ", c->r_n);
		ci(f, c->s_est, c->s_lo, c->s_hi, 1, 100);
		fprintf(f, "%% (n %ld)\n", c->ship_ok ? c->s_n : 0L);
	}
	if (h->has_pairwise) {
		fprintf(f, "  Pairwise: %ld blind comparisons, %ld ties\n",
			h->comparisons, h->ties);
		for (size_t i = 0; i < h->nwins; i++) {
			const struct rs_hwin *w = &h->wins[i];
			fputs("    ", f);
			put(f, s->run->cands[w->a].label, 0);
			fputs(" beats ", f);
			put(f, s->run->cands[w->b].label, 0);
			fputs(" ", f);
			ci(f, w->est, w->lo, w->hi, 1, 100);
			fprintf(f, "%% of non-ties (%ld-%ld, %ld ties)\n",
				w->wins_a, w->wins_b, w->ties);
		}
		fputs("    Bradley-Terry (1000 + 400 log10 strength):\n", f);
		for (size_t i = 0; i < h->nbt; i++) {
			fputs("      ", f);
			put(f, s->run->cands[h->bt[i].cand].label, 24);
			fputs(" ", f);
			ci(f, h->bt[i].est, h->bt[i].lo, h->bt[i].hi, 0, 1);
			fputc('\n', f);
		}
		fputs("    Position bias: left chosen ", f);
		ci(f, h->pos_est, h->pos_lo, h->pos_hi, 1, 100);
		if (isnan(fin(h->pos_p)))
			fprintf(f, "%% of %ld non-ties (no binomial test)\n",
				h->nonties);
		else
			fprintf(f, "%% of %ld non-ties (binomial p %.3g vs 50%%)\n",
				h->nonties, h->pos_p);
	}
	if (h->has_alpha) {
		fputs("  Reviewers, ratings        Krippendorff alpha (ordinal) ", f);
		ci(f, h->a_rating, h->a_rating_lo, h->a_rating_hi, 2, 1);
		fputc('\n', f);
		fputs("  Reviewers, would ship     Krippendorff alpha (nominal) ", f);
		ci(f, h->a_ship, h->a_ship_lo, h->a_ship_hi, 2, 1);
		fputc('\n', f);
	}
	kappa_line(f, "Two reviewers, would ship", &h->kappa_ship);
	kappa_line(f, "Human ship vs stored pass", &h->vs_pass);
	kappa_line(f, "Human ship vs judge", &h->vs_judge);
	kappa_line(f, "Human ship vs rules", &h->vs_rules);
}
