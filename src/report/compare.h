/* compare.h — two stored runs compared case by case (report_compare.c
 * computes, report_compare_print.c prints text and Markdown).  Used by
 * `assay compare` and by the CI gate of `assay run --baseline`.
 *
 * Ownership: report_compare fills an owned struct released with
 * report_compare_free (safe on a zeroed one). */
#ifndef ASSAY_COMPARE_H
#define ASSAY_COMPARE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../store/store.h"
#include "../util/err.h"

struct compare_opts {
	double alpha;            /* <= 0: 0.05 */
	bool verbose;            /* keep both outputs of changed cases */
	const char *base_cand;   /* with new_cand: compare these two candidates */
	const char *new_cand;    /* (by label) instead of same-label pairs */
};

/* One case whose verdict changed. */
struct cmp_change {
	char *desc;
	size_t base_case, new_case;   /* positions in each run */
	bool fixed;                   /* fail → pass (else pass → fail) */
	char *base_out, *new_out;     /* verbose only, else NULL */
};

/* One candidate present in both runs. */
struct cmp_cand {
	char *label;
	long shared;                  /* graded in both */
	long fixed, regressed, both_pass, both_fail;
	long excluded_errors;         /* an error on either side */
	long added, removed;          /* cases only the new / the base run has */
	double base_rate, new_rate;   /* on the shared cases */
	double p, p_holm;             /* McNemar exact; Holm across candidates */
	bool significant_regression, significant_improvement;
	double p95_base, p95_new, p95_diff, p95_lo, p95_hi;     /* ms */
	double cost_base, cost_new, cost_diff, cost_lo, cost_hi; /* $ per case */
	struct cmp_change *changes;
	size_t n_changes;
};

struct compare {
	int64_t base, newer;
	double alpha;
	struct cmp_cand *cands;
	size_t n_cands;
	char **only_base, **only_new; /* candidates in one run only */
	size_t n_only_base, n_only_new;
	bool any_regression;          /* some candidate significantly worse */
};

/* Compares run `base` with run `newer` of one store.  Errors: ST_DB (no
 * such run), ST_USAGE (a named candidate missing). */
int report_compare(struct store *st, int64_t base, int64_t newer,
		   const struct compare_opts *o, struct compare *out,
		   struct err *err);
void report_compare_free(struct compare *c);

/* The comparison as text: per candidate the counts, rates, the test,
 * latency and cost changes with intervals, and the changed cases (with
 * both outputs side by side when verbose).  max_list caps the cases
 * listed per candidate (0 = all). */
void report_compare_print(const struct compare *c, FILE *f, bool verbose,
			  size_t max_list);

/* The comparison as a Markdown section (for -o summary.md). */
void report_compare_markdown(const struct compare *c, FILE *f);

#endif
