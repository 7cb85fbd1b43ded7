/* report_stats.c — the front door functions of stats_report.h: load a
 * stored run (report_stats_load.c), compute its statistics with the
 * analysis layer, add the human-grade statistics, and hand the result to
 * the JSON writer (src/analysis/analysis_json.c) or the terminal printer
 * (report_stats_print.c). */
#include "report_stats_int.h"

#include <stdlib.h>

#include "report.h"
#include "../util/xalloc.h"

struct run_stats *report_stats_compute(struct store *st, int64_t run_id,
				       const struct stats_opts *o,
				       struct err *err)
{
	struct rs_run *r = xcalloc(1, sizeof *r);
	struct run_stats *s;
	if (rs_load(st, run_id, r, err)) {
		free(r);
		return NULL;
	}
	s = xcalloc(1, sizeof *s);
	rs_compute_stats(r, o, s);
	s->own = r;
	if (rs_human(st, run_id, r, o, &s->human, err)) {
		report_stats_free(s);
		return NULL;
	}
	return s;
}

void report_stats_free(struct run_stats *s)
{
	run_stats_free(s);
	free(s);
}

json_t *report_stats_json(struct store *st, int64_t run_id,
			  const struct stats_opts *o, struct err *err)
{
	struct run_stats *s = report_stats_compute(st, run_id, o, err);
	json_t *j;
	if (!s)
		return NULL;
	j = rs_json(s);
	report_stats_free(s);
	return j;
}

int report_stats_print(struct store *st, int64_t run_id,
		       const struct stats_opts *o, FILE *f, bool color,
		       struct err *err)
{
	struct run_stats *s = report_stats_compute(st, run_id, o, err);
	if (!s)
		return err->code ? err->code : ST_DB;
	report_stats_print_stats(s, f, color);
	report_stats_free(s);
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
