/* progress.h — the progress display of a run.
 *
 * On a terminal: one line redrawn in place (bar, done/total, rate, ETA,
 * passes, fails, errors).  Otherwise: a plain line at most every 5 s and
 * at every 10% step.  Writes to the FILE given (stderr). */
#ifndef ASSAY_PROGRESS_H
#define ASSAY_PROGRESS_H

#include <stdbool.h>
#include <stdio.h>

struct progress;

/* `tty` chooses the redrawn bar. Returns an owned display. */
struct progress *progress_new(FILE *f, bool tty, long total);
void progress_update(struct progress *p, long done, long passes, long fails,
		     long errors);
/* A short note shown with the progress (e.g. "acme: backing off 2.0 s");
 * NULL or "" clears it.  Copied. */
void progress_note(struct progress *p, const char *note);

/* Prints the final state and ends the line. progress_free(NULL) is fine. */
void progress_free(struct progress *p);

#endif
