/* report_stats_human_print.c — the terminal section of the human-grade
 * statistics (the `human` object built by report_stats_human.c). */
#include "report_stats_int.h"

#include <math.h>

#include "report.h"
#include "../util/buf.h"

static double num(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

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

/* "est [lo, hi]" with prec decimals (scale 100 for percentages). */
static void ci(FILE *f, const json_t *o, int prec, double scale)
{
	double e = num(o, "est"), lo = num(o, "lo"), hi = num(o, "hi");
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

static void kappa_line(FILE *f, const char *what, const json_t *k)
{
	if (!json_is_object(k))
		return;
	fprintf(f, "  %-28s kappa ", what);
	ci(f, k, 2, 1);
	fprintf(f, "  (%lld items, observed agreement %.0f%%)\n",
		(long long)num(k, "n"), 100 * num(k, "observed"));
}

void rs_print_human(const json_t *h, FILE *f, bool color)
{
	const json_t *e, *pw, *ag;
	size_t i;
	if (!json_is_object(h))
		return;
	fprintf(f, "\n%sHuman grades%s: %lld grades by %zu reviewers\n",
		color ? "\033[1m" : "", color ? "\033[0m" : "",
		(long long)num(h, "grades"),
		json_array_size(json_object_get(h, "graders")));
	json_array_foreach(json_object_get(h, "candidates"), i, e) {
		const json_t *r = json_object_get(e, "rating"),
			     *s = json_object_get(e, "ship");
		fputs("  ", f);
		put(f, json_string_value(json_object_get(e, "candidate")), 24);
		fputs(" rating ", f);
		ci(f, r, 2, 1);
		fprintf(f, " (n %lld)  would ship ", (long long)num(r, "n"));
		ci(f, s, 1, 100);
		fprintf(f, "%% (n %lld)\n", isnan(num(s, "n")) ? 0LL
			: (long long)num(s, "n"));
	}
	pw = json_object_get(h, "pairwise");
	if (json_is_object(pw)) {
		const json_t *pb = json_object_get(pw, "position_bias");
		fprintf(f, "  Pairwise: %lld blind comparisons, %lld ties\n",
			(long long)num(pw, "comparisons"), (long long)num(pw, "ties"));
		json_array_foreach(json_object_get(pw, "win_rates"), i, e) {
			fputs("    ", f);
			put(f, json_string_value(json_object_get(e, "a")), 0);
			fputs(" beats ", f);
			put(f, json_string_value(json_object_get(e, "b")), 0);
			fputs(" ", f);
			ci(f, json_object_get(e, "win_rate_a"), 1, 100);
			fprintf(f, "%% of non-ties (%lld-%lld, %lld ties)\n",
				(long long)num(e, "wins_a"), (long long)num(e, "wins_b"),
				(long long)num(e, "ties"));
		}
		fputs("    Bradley-Terry (1000 + 400 log10 strength):\n", f);
		json_array_foreach(json_object_get(pw, "bradley_terry"), i, e) {
			fputs("      ", f);
			put(f, json_string_value(json_object_get(e, "candidate")), 24);
			fputs(" ", f);
			ci(f, e, 0, 1);
			fputc('\n', f);
		}
		fputs("    Position bias: left chosen ", f);
		ci(f, pb, 1, 100);
		fprintf(f, "%% of %lld non-ties (binomial p %.3g vs 50%%)\n",
			(long long)num(pb, "n"), num(pb, "p"));
	}
	ag = json_object_get(h, "agreement");
	if (json_is_object(ag)) {
		const json_t *a;
		if ((a = json_object_get(ag, "alpha_rating_ordinal"))) {
			fputs("  Reviewers, ratings        Krippendorff alpha (ordinal) ", f);
			ci(f, a, 2, 1);
			fputc('\n', f);
		}
		if ((a = json_object_get(ag, "alpha_ship_nominal"))) {
			fputs("  Reviewers, would ship     Krippendorff alpha (nominal) ", f);
			ci(f, a, 2, 1);
			fputc('\n', f);
		}
		kappa_line(f, "Two reviewers, would ship", json_object_get(ag, "kappa_ship"));
		kappa_line(f, "Human ship vs stored pass", json_object_get(ag, "human_vs_pass"));
		kappa_line(f, "Human ship vs judge", json_object_get(ag, "human_vs_judge"));
		kappa_line(f, "Human ship vs rules", json_object_get(ag, "human_vs_rules"));
	}
}
