/* report_stats_int.h — internal to the report_stats*.c files: a stored run
 * loaded into flat arrays (one per candidate = provider × prompt), and the
 * functions that turn it into the `stats` JSON object.
 *
 * Flow: rs_load (SQL → struct rs_run, extracting confidences, predicted
 * labels and refusals from the outputs once) → rs_compute (pure: struct
 * rs_run → json_t) → rs_print (json_t → terminal).  The bench and the unit
 * tests can build a struct rs_run by hand and call rs_compute directly.
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
#include "../stats/stats.h"

/* What counts as what (docs/statistics.md): RS_ERROR is an
 * infrastructure error (the server or network failed: excluded from
 * quality, counted in the error rate and as slow in a latency limit);
 * RS_GRADE_ERROR a grading error (assay's grader or a judge failed:
 * excluded from quality, reported apart, never the candidate's fault);
 * 0 a model failure, including output a transform cannot read. */
enum { RS_ERROR = -1, RS_UNGRADED = -2, RS_GRADE_ERROR = -3 };
enum { RS_EXPECT_NONE = 0, RS_EXPECT_REFUSE = 1, RS_EXPECT_ANSWER = 2 };

/* One stored result. */
struct rs_item {
	uint32_t c;		/* case index */
	int32_t rep;		/* repeat */
	int8_t pass;		/* 1, 0, RS_ERROR, RS_UNGRADED or
				 * RS_GRADE_ERROR */
	int8_t refused;		/* 1/0; -1 not checked */
	int8_t cached;
	int32_t pred;		/* predicted class id, -1 none */
	int retries;
	long ptok, ctok;	/* -1 unknown */
	double score;		/* NaN unless graded */
	double lat, ttft;	/* ms; NaN unknown */
	double cost;		/* USD; NaN unknown */
	double judge_cost;	/* USD spent by judges grading it */
	double conf;		/* confidence in [0,1] (extracted from the
				 * output, or from logprobs); NaN none */
	int8_t has_asev;	/* a failed result whose failing assertions
				 * carry a severity: it weighs asev */
	double asev;		/* max over its failing assertions of their
				 * severity (the case's for those without) */
};

/* A named metric: its value per item (NaN where the item has none). */
struct rs_metric {
	char *name;
	double *v;
};

/* How often one assertion (type, metric) failed. */
struct rs_afail {
	char *name;
	long fails, total;
};

struct rs_cand {
	int prov, prompt;
	char *label;		/* "provider" or "provider / prompt" */
	char *provider_id, *prompt_label;
	struct rs_item *it;	/* ordered by case, then repeat */
	size_t n, cap;
	struct rs_metric *m;
	size_t nm;
	struct rs_afail *af;
	size_t naf;
};

struct rs_case {
	char *desc;		/* may be NULL */
	int *tags;		/* tag ids into rs_run.tags */
	size_t ntags;
	double sev;		/* severity weight (1 when none) */
	bool has_sev;
	int expect;		/* RS_EXPECT_* */
	long cluster;		/* cluster id (own id when none given) */
	long variant;		/* variant group id, -1 none */
	int32_t gold;		/* expected class id, -1 none */
};

struct rs_run {
	int64_t id;
	int repeat;
	struct rs_case *cases;
	size_t ncases;
	struct rs_cand *cands;
	size_t ncands;
	char **tags;		/* tag names */
	size_t ntags;
	bool has_clusters;	/* some case named a cluster */
	size_t nclusters;
	size_t nvariants;	/* variant group ids are 0..nvariants-1 */
	char **classes;		/* class labels (classification) */
	size_t nclasses;
	double *costs;		/* nclasses² (row expected, col predicted) or NULL */
	bool has_conf;		/* calibration configured */
	bool conf_logprobs;	/* ... from the stored logprob confidence */
	bool has_asev;		/* some assertion has a severity */
	bool has_class;		/* classification configured */
	bool has_refusal;	/* some case has expect: refuse|answer */
	json_t *decision;	/* the suite's decision block, or NULL (owned) */
	char *conf_source, *pred_source;	/* as written, for the report */
};

void rs_run_free(struct rs_run *r);

/* The statistics of run_id's human grades (report_stats_human.c) as the
 * `human` object of the statistics, json_null() when there are none, or
 * NULL with err set. */
json_t *rs_human_json(struct store *st, int64_t run_id, const struct rs_run *r,
		      const struct stats_opts *o, struct err *err);
/* Its terminal section (report_stats_human_print.c); nothing for null. */
void rs_print_human(const json_t *human, FILE *f, bool color);

/* Reads run `run_id` into *r (zeroed first).  Errors: ST_DB. */
int rs_load(struct store *st, int64_t run_id, struct rs_run *r,
	    struct err *err);

/* Interns a tag / class name, returning its id. */
int rs_intern(char ***names, size_t *n, const char *s);

/* All the statistics of `r` as one JSON object (owned). */
json_t *rs_compute(const struct rs_run *r, const struct stats_opts *o);

/* Sections computed by report_stats_beyond.c / report_stats_decide.c,
 * each returning a new object (or NULL when the section does not apply). */
json_t *rs_calibration(const struct rs_run *r, const struct rs_cand *c);
json_t *rs_refusals(const struct rs_run *r, const struct rs_cand *c);
json_t *rs_failure_modes(const struct rs_run *r, const struct rs_cand *c);
/* Holm over every candidate's by-tag p_raw together (tags x
 * candidates), setting p_worse, the systematic flags and lists. */
void rs_failure_modes_holm(json_t *cands);
json_t *rs_robustness(const struct rs_run *r, const struct rs_cand *c);
json_t *rs_classification(const struct rs_run *r, const struct rs_cand *c,
			  const struct stats_opts *o);
json_t *rs_decision(const struct rs_run *r, json_t *cands,
		    const struct stats_opts *o);

/* Total cases at which a rate p would be told apart from the limit t
 * with 80% power (docs/statistics.md, "The decision"); -1 if never. */
long rs_cases_to_settle(double p, double t, double deff);

/* Helpers shared by the compute files. */
json_t *rs_num(double v);	/* json_real, or null for NaN/inf */
json_t *rs_interval(double est, double lo, double hi);	/* {est,lo,hi} */
json_t *rs_wilson(long k, long n);	/* {k,n,est,lo,hi} (est null if n 0) */
double rs_jnum(const json_t *o, const char *path);	/* "a.b.c" → NaN */
struct stats_boot_opt rs_boot_opt(const struct stats_opts *o, uint64_t salt);
/* Bootstrap mean with the cost cap for continuous data (see
 * docs/statistics.md): returns the resamples used, 0 on failure. */
long rs_boot_mean(const double *x, size_t n, const struct stats_opts *o,
		  uint64_t salt, struct stats_boot_ci *out);

/* The pass-rate interval of a candidate (Wilson, or design-adjusted
 * with clusters or repeats) and a short name of its method. */
struct rs_pass_ci {
	long k, n;		/* passes, graded results */
	bool design;		/* clusters or repeats: design-adjusted */
	struct stats_design_ci ci;
	double cr1_se;
};
int rs_pass_ci(const struct rs_run *r, const struct rs_cand *c,
	       struct rs_pass_ci *out);
const char *rs_pass_method(const struct rs_pass_ci *p);

/* Prints the object rs_compute made. */
void rs_print(const json_t *s, FILE *f, bool color);

#endif
