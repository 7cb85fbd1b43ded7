/* cmd_export.h — the one code path that writes a stored run to files,
 * shared by `assay export RUN -o FILE…` and `assay report RUN -o x.html`
 * (cmd_export.c). */
#ifndef ASSAY_CMD_EXPORT_H
#define ASSAY_CMD_EXPORT_H

#include <stddef.h>

/* Opens the store at db (it must exist), resolves ref (an id, latest,
 * latest~N, label:NAME) and writes the run to each of outs[0..n) in the
 * format its extension names (report_write); a load run's .html is its
 * load page (report_load_html.c).  Prints "wrote FILE" per file on
 * stderr, and on failure the error, prefixed by nothing more (err_print).
 * Returns 0 or EXIT_RUN_ERROR; files written before a failure stay. */
int export_run_files(const char *db, const char *ref,
		     const char *const *outs, size_t n);

#endif
