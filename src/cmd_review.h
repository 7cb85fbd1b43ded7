/* cmd_review.h — the two halves of `assay review` (cmd_review.c parses
 * the command line): importing human grades from JSON lines and
 * exporting the reviewed cases as a tests file. */
#ifndef ASSAY_CMD_REVIEW_H
#define ASSAY_CMD_REVIEW_H

#include "store/store.h"

/* Stores the grades of the JSON-lines file `path` for run `run` (a
 * reference: latest, an id, label:NAME).  All lines are checked first;
 * on a bad line ST_INPUT names path:line:col and nothing is stored. */
int review_import(struct store *st, const char *run, const char *path,
		  struct err *err);

struct review_export_opts {
	const char *assert_type;  /* "similar" (default), "equals" or "none" */
	const char *embedder;     /* provider of `similar`, or NULL */
	double threshold;         /* of `similar`; <= 0: 0.8 */
	const char *suite;        /* the suite to take the cases' own
				   * assertions from; NULL: the run's */
};

/* Writes run `run`'s reviewed cases with an approved output (the
 * reviewers' ship verdict is yes; the highest mean rating wins) to
 * `out` as a YAML list of tests, each with its own assertions (from
 * o->suite, else the run's suite file, matched by content hash) and the
 * reference one; prints how many cases were written and skipped.  A
 * named suite that does not load is an error; the run's own, a warning. */
int review_export(struct store *st, const char *run, const char *out,
		  const struct review_export_opts *o, struct err *err);

#endif
