/* report_compare_print.c — a `struct compare` (compare.h) as text for the
 * terminal and as a Markdown section for a pull-request comment.  Labels,
 * descriptions and outputs are untrusted: escaped with report_term_escape
 * (text) or with Markdown's table characters neutralised. */
#include "report.h"
#include "compare.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../util/xalloc.h"

static void esc(FILE *f, const char *s, size_t cols)
{
	struct buf b = {0};
	report_term_escape(&b, s, cols);
	if (b.len)
		fwrite(b.p, 1, b.len, f);
	buf_free(&b);
}

static void pct(FILE *f, double v)
{
	if (isnan(v))
		fputs("\xe2\x80\x94", f);
	else
		fprintf(f, "%.1f%%", 100.0 * v);
}

static const char *verdict(const struct cmp_cand *c)
{
	return c->significant_regression ? "REGRESSED (significant)"
	     : c->significant_improvement ? "improved (significant)"
	     : c->shared == 0 ? "no shared cases" : "no significant change";
}

static void side_by_side(FILE *f, const char *a, const char *b)
{
	fputs("        base: ", f);
	esc(f, a ? a : "", 70);
	fputs("\n        new:  ", f);
	esc(f, b ? b : "", 70);
	fputc('\n', f);
}

void report_compare_print(const struct compare *c, FILE *f, bool verbose,
			  size_t max_list)
{
	fprintf(f, "run %lld (base) \xe2\x86\x92 run %lld (new)\n",
		(long long)c->base, (long long)c->newer);
	for (size_t i = 0; i < c->n_cands; i++) {
		const struct cmp_cand *x = &c->cands[i];
		size_t listed = 0;
		fputs("\n", f);
		esc(f, x->label, 60);
		fprintf(f, ": %s\n", verdict(x));
		fprintf(f, "  shared cases %ld: fixed %ld, regressed %ld, unchanged %ld "
			   "(%ld pass, %ld fail)\n", x->shared, x->fixed, x->regressed,
			x->both_pass + x->both_fail, x->both_pass, x->both_fail);
		fputs("  pass rate ", f);
		pct(f, x->base_rate);
		fputs(" \xe2\x86\x92 ", f);
		pct(f, x->new_rate);
		fprintf(f, "; McNemar exact p = %.4g, Holm-adjusted p = %.4g (alpha %.2g)\n",
			x->p, x->p_holm, c->alpha);
		if (!isnan(x->p95_diff))
			fprintf(f, "  latency p95 %.0f \xe2\x86\x92 %.0f ms: %+.0f ms "
				   "[95%% CI %+.0f, %+.0f]\n", x->p95_base, x->p95_new,
				x->p95_diff, x->p95_lo, x->p95_hi);
		if (!isnan(x->cost_diff))
			fprintf(f, "  cost per case $%.6f \xe2\x86\x92 $%.6f: %+.6f "
				   "[95%% CI %+.6f, %+.6f]\n", x->cost_base, x->cost_new,
				x->cost_diff, x->cost_lo, x->cost_hi);
		if (x->added || x->removed || x->excluded_errors)
			fprintf(f, "  excluded: %ld cases only in the new run (added), %ld "
				   "only in the base run (removed), %ld with an "
				   "infrastructure error on either side\n",
				x->added, x->removed, x->excluded_errors);
		for (int pass = 0; pass < 2; pass++)
			for (size_t k = 0; k < x->n_changes; k++) {
				const struct cmp_change *ch = &x->changes[k];
				if (ch->fixed != (pass == 1))
					continue;
				if (max_list && listed++ >= max_list) {
					if (listed == max_list + 1)
						fprintf(f, "    … (--verbose lists all)\n");
					continue;
				}
				fprintf(f, "    %s case %zu: ", ch->fixed ? "fixed    " : "regressed",
					ch->new_case);
				esc(f, ch->desc, 60);
				fputc('\n', f);
				if (verbose)
					side_by_side(f, ch->base_out, ch->new_out);
			}
	}
	for (size_t i = 0; i < c->n_only_base; i++) {
		fputs("\nonly in the base run (not compared): ", f);
		esc(f, c->only_base[i], 60);
	}
	for (size_t i = 0; i < c->n_only_new; i++) {
		fputs("\nonly in the new run (not compared): ", f);
		esc(f, c->only_new[i], 60);
	}
	if (c->n_only_base || c->n_only_new)
		fputc('\n', f);
}

/* Markdown table cell text: pipes, backticks, angle brackets and line
 * breaks would change the table or inject markup. */
void report_md_cell(FILE *f, const char *s, size_t max)
{
	size_t n = 0;
	for (const char *p = s ? s : ""; *p && (!max || n < max); p++, n++) {
		switch (*p) {
		case '|': fputs("\\|", f); break;
		case '`': fputs("\\`", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '\n': case '\r': case '\t': fputc(' ', f); break;
		default:
			if ((unsigned char)*p < 0x20)
				fputc(' ', f);
			else
				fputc(*p, f);
		}
	}
	if (s && strlen(s) > max && max)
		fputs("\xe2\x80\xa6", f);
}

void report_compare_markdown(const struct compare *c, FILE *f)
{
	fprintf(f, "\n### Compared with run %lld\n\n", (long long)c->base);
	fputs("| Candidate | Shared | Fixed | Regressed | Pass rate base \xe2\x86\x92 new "
	      "| p (Holm) | p95 \xce\x94 ms [95% CI] | Verdict |\n", f);
	fputs("| --- | ---: | ---: | ---: | --- | ---: | --- | --- |\n", f);
	for (size_t i = 0; i < c->n_cands; i++) {
		const struct cmp_cand *x = &c->cands[i];
		fputs("| ", f);
		report_md_cell(f, x->label, 60);
		fprintf(f, " | %ld | %ld | %ld | ", x->shared, x->fixed, x->regressed);
		pct(f, x->base_rate);
		fputs(" \xe2\x86\x92 ", f);
		pct(f, x->new_rate);
		fprintf(f, " | %.3g | ", x->p_holm);
		if (isnan(x->p95_diff))
			fputs("\xe2\x80\x94", f);
		else
			fprintf(f, "%+.0f [%+.0f, %+.0f]", x->p95_diff, x->p95_lo, x->p95_hi);
		fprintf(f, " | %s%s%s |\n", x->significant_regression ? "**" : "",
			verdict(x), x->significant_regression ? "**" : "");
	}
	for (size_t i = 0; i < c->n_cands; i++) {
		const struct cmp_cand *x = &c->cands[i];
		size_t listed = 0;
		if (!x->regressed)
			continue;
		fputs("\nRegressed cases of ", f);
		report_md_cell(f, x->label, 60);
		fputs(":\n", f);
		for (size_t k = 0; k < x->n_changes && listed < 50; k++)
			if (!x->changes[k].fixed) {
				fprintf(f, "- case %zu: ", x->changes[k].new_case);
				report_md_cell(f, x->changes[k].desc, 100);
				fputc('\n', f);
				listed++;
			}
	}
}
