/* cmd_gate.h — the CI gate of `assay run --baseline REF --fail-on
 * regression [--min-pass-rate R]` (docs/ci.md).  After the run, the run
 * is compared with the baseline case by case (report/compare.h); the
 * gate fails (EXIT_REGRESSION) only when a candidate is significantly
 * worse (paired McNemar, Holm across candidates) or a candidate's pass
 * rate is below R.  Failing tests alone do not fail the gate. */
#ifndef ASSAY_CMD_GATE_H
#define ASSAY_CMD_GATE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "report/report.h"
#include "store/store.h"

struct gate {
	const char *baseline;     /* run reference, or NULL */
	bool fail_on_regression;  /* --fail-on regression */
	double min_pass_rate;     /* in [0, 1]; < 0 when not given */
	int64_t base_id;          /* resolved before the run starts */
};

/* Parses --min-pass-rate: 0.9, 90% or 90 (a percentage above 1). */
int gate_parse_rate(const char *s, double *out);

/* Compares run_id with g->base_id (when set) and checks the pass-rate
 * floor; prints the comparison and the verdict to f.  Sets *failed when
 * the gate fails.  Errors only from the store. */
int gate_check(struct store *st, const struct gate *g, int64_t run_id,
	       const struct summary *sum, FILE *f, bool *failed,
	       struct err *err);

#endif
