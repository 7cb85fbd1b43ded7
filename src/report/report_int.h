/* report_int.h — the output formats of report_write, one file each.  Each
 * writes run `run_id` to an open file and returns 0 or an error; the
 * driver (report_write.c) picks one by extension, writes PATH.tmp and
 * renames it into place. */
#ifndef ASSAY_REPORT_INT_H
#define ASSAY_REPORT_INT_H

#include <stdint.h>
#include <stdio.h>

#include "../store/store.h"
#include "../util/err.h"

int report_fmt_json(struct store *st, int64_t run_id, FILE *f, struct err *err);
int report_fmt_jsonl(struct store *st, int64_t run_id, FILE *f, struct err *err);
int report_fmt_csv(struct store *st, int64_t run_id, FILE *f, struct err *err);
int report_fmt_bundle(struct store *st, int64_t run_id, FILE *f, struct err *err);
int report_fmt_junit(struct store *st, int64_t run_id, FILE *f, struct err *err);
int report_fmt_markdown(struct store *st, int64_t run_id, FILE *f, struct err *err);

/* The comparison a Markdown summary includes, set by the CI gate
 * (report_set_baseline); 0 when none. */
extern int64_t report_md_baseline;

#endif
