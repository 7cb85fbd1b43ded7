/* report_fmt_md.c — a stored run as Markdown (`-o summary.md`), for a
 * pull-request comment: the summary table per provider × prompt with 95%
 * Wilson intervals, and — when the CI gate compared the run with a
 * baseline (report_set_baseline) — the comparison (compare.h). */
#include "report.h"
#include "report_int.h"
#include "compare.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../util/xalloc.h"

int64_t report_md_baseline;

void report_set_baseline(int64_t run_id)
{
	report_md_baseline = run_id;
}

static void rate(FILE *f, const struct summary_row *r)
{
	if (isnan(r->pass_rate))
		fputs("\xe2\x80\x94", f);
	else
		fprintf(f, "%.1f%% [%.1f\xe2\x80\x93%.1f]", 100 * r->pass_rate,
			100 * r->ci_lo, 100 * r->ci_hi);
}

int report_fmt_markdown(struct store *st, int64_t run_id, FILE *f, struct err *err)
{
	struct summary sum;
	struct store_run run;
	bool gerr;
	int rc;
	if ((rc = store_run_get(st, run_id, &run, err)))
		return rc;
	if ((rc = report_summary(st, run_id, &sum, err))) {
		store_run_free(&run);
		return rc;
	}
	gerr = sum.grade_errors > 0;
	fprintf(f, "## assay run %lld", (long long)run_id);
	if (run.label) {
		fputs(" (", f);
		report_md_cell(f, run.label, 60);
		fputc(')', f);
	}
	fputs("\n\n", f);
	if (strcmp(run.status, "done"))
		fprintf(f, "> **Warning:** this run is %s; the figures are partial.\n\n",
			run.status);
	/* a "Grading err" column only when a grader or judge failed */
	fprintf(f, "| Provider | Prompt | Pass rate [95%% CI] | Pass/Fail | Errors |%s"
		   " p95 ms | Cost $ |\n| --- | --- | --- | ---: | ---: |%s ---: | ---: |\n",
		gerr ? " Grading err |" : "", gerr ? " ---: |" : "");
	for (size_t i = 0; i < sum.n_rows; i++) {
		const struct summary_row *r = &sum.rows[i];
		fputs("| ", f);
		report_md_cell(f, r->provider_label, 60);
		fputs(" | ", f);
		report_md_cell(f, r->prompt_label, 40);
		fputs(" | ", f);
		rate(f, r);
		fprintf(f, " | %ld/%ld | %ld | ", r->passes, r->fails, r->errors);
		if (gerr)
			fprintf(f, "%ld | ", r->grade_errors);
		if (isnan(r->p95_ms))
			fputs("\xe2\x80\x94", f);
		else
			fprintf(f, "%.0f", r->p95_ms);
		fprintf(f, " | %.4f |\n", r->cost_usd);
	}
	if (gerr)
		fprintf(f, "\n%ld results: %ld passed, %ld failed, %ld infrastructure errors, "
			   "%ld grading errors (neither counted in the pass rate).\n",
			sum.total, sum.passes, sum.fails, sum.errors, sum.grade_errors);
	else
		fprintf(f, "\n%ld results: %ld passed, %ld failed, %ld infrastructure errors "
			   "(not counted in the pass rate).\n", sum.total, sum.passes,
			sum.fails, sum.errors);
	report_summary_free(&sum);
	store_run_free(&run);
	if (report_md_baseline > 0 && report_md_baseline != run_id) {
		struct compare c;
		if ((rc = report_compare(st, report_md_baseline, run_id, NULL, &c, err)))
			return rc;
		report_compare_markdown(&c, f);
		report_compare_free(&c);
	}
	return 0;
}
