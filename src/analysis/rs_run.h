/* rs_run.h — the input of the analysis layer: a stored run as flat arrays,
 * one per candidate (provider × prompt), with each case's metadata (tags,
 * severity, expect, cluster, variant group, gold label) and each result's
 * verdict, score, latency, cost, confidence and predicted label.
 *
 * report_stats_load.c fills one from the store (extracting confidences,
 * labels and refusals from the outputs once); the bench and the unit
 * tests build one by hand.  Everything inside belongs to the struct and
 * is freed by rs_run_free. */
#ifndef ASSAY_ANALYSIS_RS_RUN_H
#define ASSAY_ANALYSIS_RS_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../suite/suite_stats.h"

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
	struct suite_decision decision;	/* the suite's decision block */
	char *conf_source, *pred_source;	/* as written, for the report */
};

void rs_run_free(struct rs_run *r);

/* Interns a tag / class name, returning its id. */
int rs_intern(char ***names, size_t *n, const char *s);

#endif
