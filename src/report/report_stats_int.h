/* report_stats_int.h — internal to the report_stats*.c files: loading a
 * stored run into the analysis layer's input (struct rs_run, rs_run.h)
 * and the terminal section of the human-grade statistics.
 *
 * Flow: rs_load (store → struct rs_run, extracting confidences, predicted
 * labels and refusals from the outputs once) → rs_compute_stats (pure:
 * struct rs_run → struct run_stats) → rs_json / report_stats_print_stats.
 *
 * Ownership: everything inside a struct rs_run belongs to it and is freed
 * by rs_run_free. */
#ifndef ASSAY_REPORT_STATS_INT_H
#define ASSAY_REPORT_STATS_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "stats_report.h"
#include "../analysis/analysis.h"
#include "../stats/stats.h"

/* The terminal section of the human-grade statistics
 * (report_stats_human_print.c); nothing when the run has none. */
void rs_print_human(const struct run_stats *s, FILE *f, bool color);

/* Reads run `run_id` into *r (zeroed first).  Errors: ST_DB. */
int rs_load(struct store *st, int64_t run_id, struct rs_run *r,
	    struct err *err);

#endif
