/* run_stats_types.h — the parts of a struct run_stats (analysis.h): one
 * struct per figure or section, every field a number, a count, a flag or
 * a pointer into the rs_run the statistics were computed from.  NaN
 * marks a figure that does not exist (JSON null); arrays are owned by the
 * run_stats and freed by run_stats_free.  Meaning of each figure:
 * docs/statistics.md, Part II. */
#ifndef ASSAY_ANALYSIS_RUN_STATS_TYPES_H
#define ASSAY_ANALYSIS_RUN_STATS_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../stats/calib.h"
#include "../stats/design.h"
#include "../suite/suite_stats.h"

/* A share k/n with its interval: Wilson; Wilson at n/deff (deff > 1);
 * or the design-adjusted Wilson of repeats or clusters (`units` of it). */
enum { RS_RATE_WILSON, RS_RATE_DEFF, RS_RATE_DESIGN };
struct rs_rate {
	int kind;
	long k, n;
	double est, lo, hi, deff;
	long units;
};

/* The pass rate: Wilson, or design-adjusted with clusters or repeats. */
struct rs_pass_ci {
	long k, n;		/* passes, graded results */
	bool design;		/* clusters or repeats: design-adjusted */
	struct stats_design_ci ci;
	double cr1_se;
};

/* A mean with the interval its values allow (RS_MEAN_NONE: no values). */
enum { RS_MEAN_NONE, RS_MEAN_UNIT, RS_MEAN_UNIT_DESIGN, RS_MEAN_BOOT,
       RS_MEAN_SMALL };
struct rs_mean {
	int kind;
	double est, lo, hi, se;
	long n, resamples;
};

struct rs_flaky {
	size_t c;		/* case */
	long passes, attempts;
	double share;
};

struct rs_repeats {
	bool present;		/* some case has more than one graded attempt */
	int kmin, kmax;
	long cases_repeated, flaky_cases;
	double flaky_rate;
	double *pass_at_k, *pass_hat_k;	/* [0, kmin): k = 1..kmin */
	struct rs_flaky flakiest[10];
	size_t nflakiest;
};

struct rs_pctl {
	long n;
	double p50, p90, p95, p99, max;
	bool ci;		/* p95_lo/p95_hi computed (inf: unbounded) */
	double p95_lo, p95_hi;
};

struct rs_latency {
	struct rs_pctl lat, ttft;	/* ttft.n 0: nothing streamed */
	long cached;
	double tps, gen_tps;
};

struct rs_cost {
	double cached_usd, spent_usd, judge_usd;
	long known, retries;
	double total, per_query, per_1k, per_success;	/* NaN when !known */
	bool has_ci;
	double pq_lo, pq_hi;	/* per-query cost, percentile bootstrap */
};

struct rs_calib {
	bool present;
	long n, without;
	double mean_conf, accuracy, overconf, ece_mass, ece_width, brier;
	bool has_rel, has_rel_mass, has_sel;
	struct stats_bin rel[10], rel_mass[10];
	double sel[3];		/* selective accuracy at 50, 80, 90% */
};

struct rs_refusals {
	bool present;
	struct rs_rate over, under;
};

struct rs_tag_rate {
	int tag;
	struct rs_rate r;	/* pass rate of the tag's cases */
	double fail_rate, p_raw, p_worse;	/* p_worse: Holm, all tags x
						 * candidates */
	bool systematic;
};

struct rs_failmodes {
	double fail_rate, deff, sev_weighted;	/* sev_weighted NaN: none */
	bool has_sev;
	long critical;
	struct rs_tag_rate *tags;
	size_t ntags;
	size_t nassert;		/* the first of rs_cand.af shown */
};

/* Flip rate under one perturbation kind (docs/statistics.md,
 * "Robustness"): over the pairs (original, perturbed variant) of the
 * variant groups, the share whose verdict differs from the original's. */
struct rs_flip {
	int kind;		/* id into run_stats.perturbs */
	long n, flips, to_fail, to_pass;	/* pairs; flips either way */
	double est, lo, hi;	/* Wilson; design-adjusted by group (or
				 * cluster) when `design` */
	bool design;
	double deff;
	double drop, drop_lo, drop_hi;	/* original minus perturbed pass
					 * rate, Newcombe paired */
};

struct rs_robust {
	bool present;
	long groups;
	struct rs_rate consistency, worst;
	double mean_pass;
	struct rs_flip *flips;	/* one per perturbation kind */
	size_t nflips;
	int8_t *flip;		/* per case: -1 no pair, 0 same verdict as
				 * its original, 1 flipped */
};

/* "A is more robust than B" under one perturbation: a paired test of
 * the flips on the pairs both candidates have. */
struct rs_robust_pair {
	size_t a, b;
	int kind;
	long n, a_only, b_only;	/* pairs flipping for A only, B only */
	double est, lo, hi;	/* flip rate A - B, Newcombe paired */
	double p, p_holm;	/* McNemar exact; with clusters, or groups
				 * giving several pairs, the CR1 t test by
				 * unit (never below McNemar); Holm over all
				 * candidate pairs x kinds */
	bool clustered;
	bool significant;
	long more_robust;	/* candidate, -1 when not significant */
};

/* Attack success between two candidates on one probe pack (the cases
 * tagged `probe:PACK`, docs/statistics.md "Attack success"): on the probe
 * cases both have a graded verdict for, the difference in attack success
 * rate (share of graded attempts that fail) with a paired interval and
 * test, as the paired pass-rate difference (rs_pair_stats) has them. */
struct rs_asr_pair {
	int tag;		/* the pack's `probe:PACK` tag (rs_run.tags) */
	size_t a, b;
	long n;			/* shared graded probe cases; 0: no figure */
	double asr_a, asr_b;	/* attack success on them (NaN when n 0) */
	long a_only, b_only;	/* cases attacked more for A, for B */
	double est, lo, hi;	/* asr_a - asr_b; NaN when n 0 or one
				 * cluster */
	const char *method;	/* of the interval */
	const char *test;	/* or why there is none */
	double p, p_holm;	/* NaN: not tested; Holm over the pairs x
				 * packs tested */
	bool clustered, significant;
	long clusters;		/* with clusters */
	long more_attacked;	/* candidate, -1 when not significant */
};

struct rs_class_row {
	size_t cls;
	long support;
	struct rs_rate precision, recall;
	double f1, f1_lo, f1_hi;
};

struct rs_confusion {
	size_t exp, pred;
	long count, reverse;
	double share;
};

struct rs_classif {
	bool present;
	long n;
	size_t k;		/* classes (rs_run.classes) */
	long *matrix;		/* k x k, row expected */
	struct rs_class_row *per;
	size_t nper;
	struct rs_rate accuracy;
	double macro_f1;
	struct rs_confusion conf[5];
	size_t nconf;
	bool has_cost;
	double ec_est, ec_lo, ec_hi, ec_total;
};

struct rs_cand_stats {
	const struct rs_cand *c;
	long results, graded, passes, fails, errors, ungraded, gerrors;
	struct rs_rate error_ci;
	struct rs_pass_ci pass;
	struct rs_mean score;
	struct rs_mean *metrics;	/* one per rs_cand.m */
	struct rs_repeats rep;
	struct rs_latency lat;
	struct rs_cost cost;
	struct rs_calib cal;
	struct rs_refusals ref;
	struct rs_failmodes fm;
	struct rs_robust rob;
	struct rs_classif cls;
	bool has_group;		/* set by the comparisons */
	char group[72];		/* letters, or "no data" */
};

struct rs_pair_stats {
	size_t a, b;
	long n;			/* shared graded cases */
	const char *test;
	double est, lo, hi;	/* A - B pass */
	const char *diff_method;
	double p, p_holm;	/* NaN: cannot be compared */
	bool significant;
	long a_only, b_only;
	bool clustered, cluster_ok;
	double p_unclustered, p_cr1_t, cr1_se;
	long clusters;
	bool has_score;
	double sd_est, sd_lo, sd_hi, sd_p, sd_p_holm;
	double discordance, mdd_deff, mdd;
	long cases_for_mdd;	/* -1: none */
};

struct rs_comparisons {
	bool present;		/* two candidates or more */
	struct rs_pair_stats *pairs;
	size_t npairs;
	size_t **tied;		/* tied groups: candidate indices */
	size_t *ntied, ngroups;
	size_t *order, norder;	/* candidates by pass rate (ngroups > 0) */
	long cases;
	double target;
	bool has_paired, has_unpaired;
	double discordance, deff, paired, unpaired;
	long for_target_paired, for_target_unpaired;	/* -1: none */
	struct rs_robust_pair *robust;	/* candidate pairs x kinds */
	size_t nrobust;
	struct rs_asr_pair *asr;	/* packs x candidate pairs */
	size_t nasr;
};

/* The decision's view of one candidate: its typed inputs. */
struct rs_dec_cand {
	const char *label;
	bool nodata;			/* no graded result */
	double pass, pass_lo, pass_hi, deff;
	long n;				/* graded results */
	double p95, p95_lo, p95_hi;	/* NaN ends: unbounded */
	double cost, cost_lo, cost_hi;	/* per 1,000 */
	double pq, pq_lo, pq_hi;	/* per query */
	long errs, results;
	const struct rs_cand *items;	/* its results, or NULL (then the
					 * p95 interval judges latency) */
};

enum { RS_K_PASS, RS_K_P95, RS_K_COST, RS_K_ERR, RS_K_N };
struct rs_dec_row {
	const char *v[RS_K_N];	/* verdicts, NULL for an unset constraint */
	bool has_share;
	double share;		/* share slower than the p95 limit */
	bool meets, clearly, nodata, has_monthly;
	double mc_est, mc_lo, mc_hi;
};

struct rs_decision {
	bool present;		/* some candidate */
	struct suite_decision d;
	struct rs_dec_row *rows;
	const char **labels;	/* per row */
	size_t nrows;
	long rec;		/* recommended row, -1 none */
	double rec_pass, rec_lo, rec_hi, rec_p95, rec_cost;
	bool clear;
	long settle;		/* cases to settle it, -1 none */
	char **notes;
	size_t nnotes;
	size_t *pareto, npareto;
	size_t *wrank, nw;	/* weighted ranking, best first */
	double *wutil;
};

#endif
