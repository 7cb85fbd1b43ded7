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

#include <math.h>
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
	long ctok;		/* completion tokens, -1 unknown */
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

/* A candidate's results as the loader keeps them (report_stats_load.c):
 * one array per field of struct rs_item, each NULL while every result has
 * the field's default, so a run holds only what its results carry —
 * 1,000,000 pass/fail results with latencies and token counts take 21
 * bytes each instead of rs_item's 96 (README "Scale").  Read with rs_at,
 * written with rs_cols_push. */
struct rs_cols {
	uint32_t *c;		/* always */
	int8_t *pass;		/* always */
	int32_t *rep;		/* default 0 */
	int8_t *refused;	/* default -1 */
	int8_t *cached;		/* default 0 */
	int8_t *has_asev;	/* default 0 */
	int32_t *pred;		/* default -1 */
	int32_t *retries;	/* default 0 */
	int64_t *ctok;		/* default -1 */
	double *score;		/* default: the pass when graded, else NaN */
	double *lat, *ttft, *cost, *conf;	/* default NaN */
	double *judge_cost, *asev;	/* default 0 */
};

struct rs_cand {
	int prov, prompt;
	char *label;		/* "provider" or "provider / prompt" */
	char *provider_id, *prompt_label;
	/* the results, ordered by case, then repeat: as structs in `it`
	 * (the bench and the tests build them so), or, when `it` is NULL,
	 * as the columns of `col` (the loader); rs_at reads either */
	struct rs_item *it;
	struct rs_cols col;
	size_t n, cap;
	struct rs_metric *m;
	size_t nm;
	struct rs_afail *af;
	size_t naf;
};

/* Narrow types where the range allows (ids count cases, which the loader
 * caps at 10,000,000): 48 bytes a case, which matters at a million. */
struct rs_case {
	char *desc;		/* may be NULL */
	int *tags;		/* tag ids into rs_run.tags */
	double sev;		/* severity weight (1 when none) */
	int32_t cluster;	/* cluster id (own id when none given) */
	int32_t variant;	/* variant group id, -1 none */
	int32_t gold;		/* expected class id, -1 none */
	uint32_t ntags;
	int8_t expect;		/* RS_EXPECT_* */
	bool has_sev;
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

/* Result i of c (i < c->n), from `it` or from the columns. */
static inline struct rs_item rs_at(const struct rs_cand *c, size_t i)
{
	const struct rs_cols *k = &c->col;
	struct rs_item it;
	if (c->it)
		return c->it[i];
	it.c = k->c[i];
	it.pass = k->pass[i];
	it.rep = k->rep ? k->rep[i] : 0;
	it.refused = k->refused ? k->refused[i] : -1;
	it.cached = k->cached ? k->cached[i] : 0;
	it.has_asev = k->has_asev ? k->has_asev[i] : 0;
	it.pred = k->pred ? k->pred[i] : -1;
	it.retries = k->retries ? k->retries[i] : 0;
	it.ctok = k->ctok ? (long)k->ctok[i] : -1;
	it.score = k->score ? k->score[i] : it.pass >= 0 ? it.pass : NAN;
	it.lat = k->lat ? k->lat[i] : NAN;
	it.ttft = k->ttft ? k->ttft[i] : NAN;
	it.cost = k->cost ? k->cost[i] : NAN;
	it.conf = k->conf ? k->conf[i] : NAN;
	it.asev = k->asev ? k->asev[i] : 0;
	it.judge_cost = k->judge_cost ? k->judge_cost[i] : 0;
	return it;
}

/* Appends *it to c's columns (c->it must be NULL), growing them and
 * allocating a column when the first value other than its default
 * arrives; c->n grows by one.  Named metrics (c->m) are the caller's. */
void rs_cols_push(struct rs_cand *c, const struct rs_item *it);
void rs_cols_free(struct rs_cols *k);

/* Interns a tag / class name, returning its id. */
int rs_intern(char ***names, size_t *n, const char *s);

#endif
