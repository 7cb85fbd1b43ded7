/* analysis_int.h — shared by the files of src/analysis/ only: the
 * per-section compute functions (each fills its part of a run_stats) and
 * small helpers.  Callers outside use analysis.h. */
#ifndef ASSAY_ANALYSIS_INT_H
#define ASSAY_ANALYSIS_INT_H

#include "analysis.h"
#include "../stats/stats.h"

/* Per candidate, beyond accuracy (analysis_beyond.c). */
void rs_calibration(const struct rs_run *r, const struct rs_cand *c,
		    struct rs_calib *out);
void rs_refusals(const struct rs_run *r, const struct rs_cand *c,
		 struct rs_refusals *out);
void rs_failure_modes(const struct rs_run *r, const struct rs_cand *c,
		      struct rs_failmodes *out);
/* Holm over every candidate's by-tag p_raw together (tags x
 * candidates), setting p_worse and the systematic flags. */
void rs_failure_modes_holm(struct rs_cand_stats *c, size_t n);
void rs_classification(const struct rs_run *r, const struct rs_cand *c,
		       const struct stats_opts *o, struct rs_classif *out);
/* Robustness (analysis_robust.c): rs_perturb_index finds each case's
 * perturbation kind and its group's original (s->perturbs, case_kind,
 * case_orig); rs_robustness the figures of one candidate;
 * rs_robust_pairs the paired tests between candidates (after them). */
void rs_perturb_index(const struct rs_run *r, struct run_stats *s);
void rs_robustness(const struct rs_run *r, const struct rs_cand *c,
		   const struct run_stats *s, struct rs_robust *out);
void rs_robust_pairs(const struct rs_run *r, struct run_stats *s);
/* Attack success of the probe packs (analysis_probe.c): the paired
 * differences between candidates, per pack (after the comparisons). */
void rs_asr_pairs(const struct rs_run *r, const struct stats_opts *o,
		  struct run_stats *s);

/* Helpers. */
struct rs_rate rs_wilson(long k, long n);	/* est NaN if n 0 */
struct stats_boot_opt rs_boot_opt(const struct stats_opts *o, uint64_t salt);
long rs_opt_b(const struct stats_opts *o);
/* Bootstrap mean with the cost cap of stats_boot_budget: returns the
 * resamples used, 0 on failure. */
long rs_boot_mean(const double *x, size_t n, const struct stats_opts *o,
		  uint64_t salt, struct stats_boot_ci *out);

/* A growing list of 0/1 outcomes with their unit (cluster, else case),
 * for rates that count cases, not attempts. */
struct rs_rate_acc {
	double *x;
	long *cl;
	long *seen;		/* attempts per case in this rate */
	size_t n, cap;
	bool repeats;
};
void rs_acc_init(struct rs_rate_acc *q, const struct rs_run *r);
void rs_acc_add(struct rs_rate_acc *q, const struct rs_run *r, uint32_t c,
		double v);
void rs_acc_free(struct rs_rate_acc *q);
/* Wilson, or with repeats or clusters the design-adjusted Wilson. */
struct rs_rate rs_acc_rate(const struct rs_run *r, const struct rs_rate_acc *q);

#endif
