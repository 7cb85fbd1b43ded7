/* cmd_gate.c — the CI gate (cmd_gate.h). */
#include "cmd_gate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/compare.h"

int gate_parse_rate(const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s)
		return -1;
	if (*end == '%') {
		end++;
		v /= 100.0;
	} else if (v > 1) {
		v /= 100.0;
	}
	if (*end || !(v >= 0 && v <= 1))
		return -1;
	*out = v;
	return 0;
}

int gate_check(struct store *st, const struct gate *g, int64_t run_id,
	       const struct summary *sum, FILE *f, bool *failed,
	       struct err *err)
{
	struct compare cmp;
	int rc;
	*failed = false;
	if (g->min_pass_rate >= 0)
		for (size_t i = 0; i < sum->n_rows; i++) {
			const struct summary_row *r = &sum->rows[i];
			if (!isnan(r->pass_rate) && r->pass_rate < g->min_pass_rate) {
				fprintf(f, "gate: %s / %s passes %.1f%%, below --min-pass-rate %.1f%%\n",
					r->provider_label, r->prompt_label, 100 * r->pass_rate,
					100 * g->min_pass_rate);
				*failed = true;
			}
		}
	if (!g->base_id)
		return 0;
	if ((rc = report_compare(st, g->base_id, run_id, NULL, &cmp, err)))
		return rc;
	fputc('\n', f);
	report_compare_print(&cmp, f, false, 20);
	for (size_t i = 0; i < cmp.n_cands; i++) {
		const struct cmp_cand *c = &cmp.cands[i];
		if (!c->significant_regression)
			continue;
		fprintf(f, "gate: %s regressed against run %lld: %ld cases pass \xe2\x86\x92 fail, "
			   "%ld fail \xe2\x86\x92 pass (McNemar exact, Holm-adjusted p = %.3g):",
			c->label, (long long)g->base_id, c->regressed, c->fixed, c->p_holm);
		for (size_t k = 0, n = 0; k < c->n_changes && n < 20; k++)
			if (!c->changes[k].fixed) {
				fprintf(f, " %zu", c->changes[k].new_case);
				n++;
			}
		fputc('\n', f);
		*failed = true;
	}
	report_compare_free(&cmp);
	return 0;
}
